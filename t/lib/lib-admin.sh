# lib-admin.sh — the admin API's refusals. Source after lib-mariadb.sh and
# lib-nginx.sh (it uses db_dump_sum and admin_curl).
#
#   admin_refused STATUS DESCRIPTION METHOD PATH [CURL-ARGS...]
#                      admin_curl METHOD PATH ...; three checks: the answer
#                      is STATUS, it carries {"error": "..."}, and the
#                      database is as it was (db_dump_sum). $status, $body
#                      stay for further checks.

[ -n "${_KA_LIB_ADMIN:-}" ] && return 0
_KA_LIB_ADMIN=1

admin_refused() {   # admin_refused STATUS DESCRIPTION METHOD PATH [CURL-ARGS...]
	local want=$1 what=$2 before
	shift 2
	before=$(db_dump_sum)
	admin_curl "$@"
	is "$status" "$want" "$what: $want"
	like "$(body_error)" . "... {\"error\": ...}"
	is "$(db_dump_sum)" "$before" "... nothing changed"
}
