# lib-admin.sh — the admin API in tests: users and tokens to test with, and
# refusals. Source after lib-stack.sh (it uses admin_curl and db_dump_sum).
#
#   admin_user NAME    POST /users; sets $user_id (empty, and status 1, when
#                      refused)
#   admin_token USER-ID [FIELDS-JSON]
#                      POST /tokens for USER-ID, with FIELDS merged in (e.g.
#                      '{"clusters": ["prod"]}'); sets $token (the secret)
#                      and $token_id (empty, and status 1, when refused)
#   admin_refused STATUS DESCRIPTION METHOD PATH [CURL-ARGS...]
#                      admin_curl METHOD PATH ...; three checks: the answer
#                      is STATUS, it carries {"error": "..."}, and the
#                      database is as it was (db_dump_sum). $status, $body
#                      stay for further checks.

[ -n "${_KA_LIB_ADMIN:-}" ] && return 0
_KA_LIB_ADMIN=1

admin_user() {   # admin_user NAME
	admin_curl POST /users --data-binary "$(jq -cn --arg u "$1" '{username: $u}')"
	user_id=$(jq -r '.id // empty' <<<"$body" 2>/dev/null)
	[ -n "$user_id" ]
}

admin_token() {   # admin_token USER-ID [FIELDS-JSON]
	admin_curl POST /tokens --data-binary "$(jq -cn --arg u "$1" --argjson f "${2:-"{}"}" '{user_id: $u} + $f')"
	token=$(jq -r '.token // empty' <<<"$body" 2>/dev/null)
	token_id=$(jq -r '.id // empty' <<<"$body" 2>/dev/null)
	[ -n "$token" ]
}

admin_refused() {   # admin_refused STATUS DESCRIPTION METHOD PATH [CURL-ARGS...]
	local want=$1 what=$2 before
	shift 2
	before=$(db_dump_sum)
	admin_curl "$@"
	is "$status" "$want" "$what: $want"
	like "$(body_error)" . "... {\"error\": ...}"
	is "$(db_dump_sum)" "$before" "... nothing changed"
}
