#!/usr/bin/env bash
# The original service's documented walk-through (../shared/ORIGINAL-API.md),
# step by step as an operator runs it: plain `curl -d` (so the Content-Type
# is application/x-www-form-urlencoded) and jq, through nginx over HTTPS.
# It stops before the authentication call (the webhook's own tests do that).
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

stack_up

K8S_AUTH_URL=$KA_URL
K8S_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN
K8S_AUTH_USERNAME=alice@example.org
export CURL_CA_BUNDLE=$KA_CACERT

# 1. Create the user.
out=$(curl -s -X POST "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"username\": \"$K8S_AUTH_USERNAME\"}")
is "$(jq -r .username <<<"$out")" "$K8S_AUTH_USERNAME" "1. POST /users with plain curl -d: the user comes back"
like "$(jq -r .id <<<"$out")" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"... with a random (v4) UUID"
is "$(jq -r 'keys | join(",")' <<<"$out")" "id,username" "... and exactly the original's fields"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$K8S_AUTH_URL/users" \
	-H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" -d '{"username": "bob@example.org"}')
is "$code" 201 "... POST answers 201"

# 2. Find the user's id.
USER_ID=$(curl -s "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.username == \"$K8S_AUTH_USERNAME\") | .id")
is "$USER_ID" "$(jq -r .id <<<"$out")" "2. GET /users | jq select(.username) | .id finds it"

# 3. Create a token.
tok=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$USER_ID\"}")
is "$(jq -r .user_id <<<"$tok")" "$USER_ID" "3. POST /tokens with only user_id: the token comes back"
like "$(jq -r .token <<<"$tok")" '^[0-9a-f]{64}$' "... a 64-hex secret"
is "$(jq -r 'keys | join(",")' <<<"$tok")" "description,expiry,id,token,user_id" \
	"... with exactly the original's fields"
like "$(jq -r .expiry <<<"$tok")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$' \
	"... expiry in RFC 3339, UTC"
want_year=$(( $(date -u +%Y) + 1 ))
like "$(jq -r .expiry <<<"$tok")" "^$want_year-" "... one year away (tokens.ttl default 8760h)"

# 4. Find the token.
TOKEN=$(curl -s "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.user_id == \"$USER_ID\") | .token")
is "$TOKEN" "$(jq -r .token <<<"$tok")" "4. GET /tokens | jq select(.user_id) | .token finds the secret"
is "$(wc -l <<<"$TOKEN")" 1 "... exactly one"

# Same with a Content-Type: application/json, and with none at all.
code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST "$K8S_AUTH_URL/users" \
	-H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" -H 'Content-Type: application/json' \
	-d '{"username": "carol@example.org"}')
is "$code" 201 "POST /users with Content-Type: application/json"
code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST "$K8S_AUTH_URL/users" \
	-H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" -H 'Content-Type: text/plain' \
	-d '{"username": "dave@example.org", "ignored": [1, {"x": true}]}')
is "$code" 201 "... with text/plain and an unknown field (ignored)"

# Without the admin token: 401 JSON, and nothing listed.
code=$(curl -s -o "$T/out" -w '%{http_code}' "$K8S_AUTH_URL/users")
is "$code" 401 "GET /users without x-auth-token: 401"
is "$(jq -r .error <"$T/out")" "missing or invalid x-auth-token" "... as JSON"
code=$(curl -s -o "$T/out" -w '%{http_code}' "$K8S_AUTH_URL/tokens" -H "x-auth-token: ${K8S_AUTH_ADMIN_TOKEN}x")
is "$code" 401 "GET /tokens with a wrong x-auth-token: 401"
unlike "$(cat "$T/out")" "$TOKEN" "... and no token in the answer"
grep -q "audit: admin flag created user $USER_ID" "$T/ka.log"
ok $? "audit line names the admin token's name (flag) and the user id"
grep -qF "$TOKEN" "$T/ka.log"
is "$?" 1 "the token is in no log line"
grep -qF "$KA_ADMIN_TOKEN" "$T/ka.log"
is "$?" 1 "the admin token is in no log line"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
