#!/usr/bin/env bash
# The TokenReview webhook against the shared directory: the original's
# walk-through end to end, every fixture byte for byte (v1, v1beta1, the
# pre-1.34 forms), the alias path, the failure reasons that need no special
# directory data, last_used_at, and the audit lines. Every answer is checked
# with the API server's own rules (t/data/k8s-fixtures/README.md, R1-R8).
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

stack_up

# apiserver_accepts API-VERSION: R1-R8 of the fixtures' README on the last
# answer, plus: no status.audiences, and no user on a failure.
apiserver_accepts() {
	local want=$1
	[ "$status" -ge 200 ] && [ "$status" -le 206 ] || { diag "R1: status $status"; return 1; }
	[ -n "$body" ] || { diag "R2: empty body"; return 1; }
	[[ "$(header content-type)" == application/json* ]] || { diag "R3: $(header content-type)"; return 1; }
	[ "$(jq -s 'length' <<<"$body")" = 1 ] || { diag "R4: not one JSON value"; return 1; }
	jq -e --arg v "$want" '
		def strs: . == null or (type == "array" and all(.[]; type == "string"));
		type == "object"
		and (.apiVersion == null or .apiVersion == $v)
		and (.kind == null or .kind == "TokenReview")
		and (.status | type == "object")
		and (.status.authenticated == null or (.status.authenticated | type == "boolean"))
		and (.status.error == null or (.status.error | type == "string"))
		and (.status.audiences == null)
		and (.status.user == null or (
			(.status.user | type == "object")
			and (.status.user.username == null or (.status.user.username | type == "string"))
			and (.status.user.uid == null or (.status.user.uid | type == "string"))
			and (.status.user.groups | strs)
			and (.status.user.extra == null or (.status.user.extra | type == "object"
				and all(.[]; strs)))))
		and (.status.authenticated == true or .status.user == null)
	' <<<"$body" >/dev/null || { diag "R5-R7: $body"; return 1; }
}

# --- the original's walk-through (ORIGINAL-API.md), end to end -----------
K8S_AUTH_URL=$KA_URL
K8S_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN
K8S_AUTH_USERNAME=alice@example.org
export CURL_CA_BUNDLE=$KA_CACERT
curl -s -X POST "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"username\": \"$K8S_AUTH_USERNAME\"}" >/dev/null
USER_ID=$(curl -s "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.username == \"$K8S_AUTH_USERNAME\") | .id")
like "$USER_ID" '^[0-9a-f-]{36}$' "walk-through: user created and found"
curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$USER_ID\"}" >/dev/null
TOKEN=$(curl -s "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.user_id == \"$USER_ID\") | .token")
like "$TOKEN" '^[0-9a-f]{64}$' "walk-through: token created and found"
out=$(curl -s -w '\n%{http_code}' -X POST "$K8S_AUTH_URL/authenticate/token" \
	-d "{\"spec\": {\"token\": \"$TOKEN\"}}")
code=${out##*$'\n'}
out=${out%$'\n'*}
is "$code" 200 "walk-through: POST /authenticate/token answers 200"
is "$(jq -r .status.authenticated <<<"$out")" true "... authenticated: true"
is "$(jq -r .apiVersion <<<"$out")" authentication.k8s.io/v1beta1 "... as v1beta1 (no apiVersion sent)"
is "$(jq -r .kind <<<"$out")" TokenReview "... kind TokenReview"
is "$(jq -r .status.user.username <<<"$out")" alice@example.org "... username alice@example.org"
is "$(jq -c .status.user.uid <<<"$out")" '"500"' "... uid \"500\" (a string)"
is "$(jq -c .status.user.groups <<<"$out")" '["admins","developers","All Users"]' \
	"... groups from LDAP (member, memberUid) plus All Users"
unlike "$out" '"audiences"' "... no status.audiences"

# --- every fixture, byte for byte ----------------------------------------
for f in tokenreview-v1.json tokenreview-v1beta1.json pre-1.34/tokenreview-v1.json \
	pre-1.34/tokenreview-v1beta1.json; do
	want=authentication.k8s.io/v1
	[[ "$f" == *v1beta1* ]] && want=authentication.k8s.io/v1beta1
	REVIEW_FIXTURE=$f review "$TOKEN"
	apiserver_accepts "$want"
	ok $? "$f: the API server would accept the answer (R1-R8)"
	is "$(jq -r .apiVersion <<<"$body")" "$want" "... apiVersion $want, as asked"
	is "$(jq -r .status.authenticated <<<"$body")" true "... authenticated"
	is "$(jq -r .status.user.username <<<"$body")" alice@example.org "... alice@example.org"
done
review "$TOKEN" /authenticate
is "$(jq -r .status.authenticated <<<"$body")" true "alias POST /authenticate"
review "$TOKEN" /authenticate/token/
is "$(jq -r .status.authenticated <<<"$body")" true "... and with a trailing slash"
ka_curl GET "/authenticate/token"
is "$status" 405 "GET /authenticate/token: 405"

# --- failure reasons ------------------------------------------------------
deny_is() {   # deny_is REASON DESCRIPTION
	apiserver_accepts authentication.k8s.io/v1 &&
		[ "$(jq -r .status.authenticated <<<"$body")" = false ] &&
		[ "$(jq -r '.status | has("user")' <<<"$body")" = false ]
	ok $? "$2: authenticated false, no user, R1-R8"
	is "$(jq -r .status.error <<<"$body")" "$1" "... error: $1"
}
review ""
deny_is "No token found" "empty token"
ka_curl POST /authenticate/token -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{}}'
deny_is "No token found" "no spec.token"
review "$(random_hex 32)"
deny_is "token not found" "an unknown token"
review "${TOKEN^^}"
deny_is "token not found" "the token in upper case"
review "${TOKEN:0:63}"
deny_is "token not found" "the token less one character"

# Expired: move the expiry into the past.
tok2=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$USER_ID\"}")
db_sql "UPDATE tokens SET expiry = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = '$(jq -r .id <<<"$tok2")'"
review "$(jq -r .token <<<"$tok2")"
deny_is "token expired" "an expired token"

tok3=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$USER_ID\"}")
review "$(jq -r .token <<<"$tok3")"
is "$(jq -r .status.authenticated <<<"$body")" true "a second token works"
admin_curl DELETE "/tokens/$(jq -r .id <<<"$tok3")"
review "$(jq -r .token <<<"$tok3")"
deny_is "token revoked" "a revoked token"

# A user the directory does not know.
nobody=$(curl -s -X POST "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d '{"username": "nobody@example.org"}' | jq -r .id)
ntok=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$nobody\"}" | jq -r .token)
review "$ntok"
deny_is "user not found in directory" "a user not in the directory"

# Injection through the stored id: escaped, so it matches no one.
for evil in '*' '*)(uid=*' 'alic*' 'alice)(|(uid=*' '\2a'; do
	id=$(jq -rn --arg u "$evil" '{username: $u}' | curl -s -X POST "$K8S_AUTH_URL/users" \
		-H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" -d @- | jq -r .id)
	etok=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
		-d "{\"user_id\": \"$id\"}" | jq -r .token)
	review "$etok"
	deny_is "user not found in directory" "stored id '$evil' (filter injection) matches no one"
done

# Malformed requests: 400 JSON (the API server counts them as errors).
ka_curl POST /authenticate/token -d '{"apiVersion":"authentication.k8s.io/v2","kind":"TokenReview","spec":{"token":"x"}}'
is "$status" 400 "an unknown apiVersion: 400"
ka_curl POST /authenticate/token -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SubjectAccessReview","spec":{"token":"x"}}'
is "$status" 400 "another kind: 400"
ka_curl POST /authenticate/token -d '[1]'
is "$status" 400 "not an object: 400"
like "$(header content-type)" '^application/json' "... as JSON"
ka_curl POST /authenticate/token/no-such-cluster --data-binary @"$T/review.json"
is "$status" 404 "an unknown cluster in the path: 404"
is "$(jq -c . <<<"$body")" '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"cluster not found","reason":"NotFound","code":404}' \
	"... as a Kubernetes Status (the API server logs its message)"
ka_curl POST /authenticate/token -d '[1]'
is "$(jq -r '[.kind, .status, .reason, .code, .message] | join(" ")' <<<"$body")" \
	"Status Failure BadRequest 400 the body must be a TokenReview object" "a malformed body: a Status too"

# --- last_used_at: at most one write per token and 10 minutes -------------
tid=$(curl -s "$K8S_AUTH_URL/tokens?user_id=$USER_ID" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.token == \"$TOKEN\") | .id")
first=$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")
like "$first" '^[0-9]{4}-' "last_used_at is set after a use"
review "$TOKEN"
is "$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")" "$first" \
	"... and not written again at once"
db_sql "UPDATE tokens SET last_used_at = UTC_TIMESTAMP(6) - INTERVAL 540 SECOND WHERE id = '$tid'"
old=$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")
review "$TOKEN"
is "$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")" "$old" \
	"... nor 9 minutes later"
db_sql "UPDATE tokens SET last_used_at = UTC_TIMESTAMP(6) - INTERVAL 601 SECOND WHERE id = '$tid'"
old=$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")
review "$TOKEN"
new=$(db_sql "SELECT last_used_at FROM tokens WHERE id = '$tid'")
[ "$new" != "$old" ] && [[ "$new" > "$old" ]]
ok $? "... but 10 minutes later it is ($old -> $new)"

# --- audit lines ----------------------------------------------------------
grep -q "audit: authn token $tid user alice@example.org cluster -: allow" "$T/ka.log"
ok $? "audit line for an allow: token id, user, cluster, decision"
grep -Eq "audit: authn token fp:[0-9a-f]{8} user - cluster -: deny \(token not found\) [0-9]+us" "$T/ka.log"
ok $? "audit line for an unknown token: its HMAC fingerprint, reason, time"
grep -q "deny (user not found in directory)" "$T/ka.log"
ok $? "audit line for a user not in the directory"
grep -q "audit: authn token fp:- user - cluster -: error (malformed TokenReview)" "$T/ka.log"
ok $? "audit line for a malformed request"
grep -qF "$TOKEN" "$T/ka.log"
is "$?" 1 "no token in any log line"
grep -qF "$(jq -r .token <<<"$tok2")" "$T/ka.log"
is "$?" 1 "... not even a refused one"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
