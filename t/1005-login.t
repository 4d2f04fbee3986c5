#!/usr/bin/env bash
# Self-service tokens: POST /login with HTTP Basic (the directory checks
# the password by a bind as the user), POST /logout with the token.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

stack_up

login() { ka_curl POST /login -u "$1"; }

# --- auto_create off (the default): an admin makes the user first --------
login alice:alice-secret
is "$status" 403 "auto_create off, no local user: 403"
like "$(jq -r .error <<<"$body")" "ask an administrator" "... saying whom to ask"
admin_curl GET "/users?username=alice"
is "$body" "[]" "... and no user was created"

admin_curl POST /users -d '{"username": "alice"}'
ALICE=$(jq -r .id <<<"$body")
login alice:alice-secret
is "$status" 201 "login as alice: 201"
like "$(header content-type)" '^application/json' "... as JSON"
is "$(jq -r 'keys | join(",")' <<<"$body")" "description,expiry,id,kubeconfig_user,token,user_id" \
	"... the token object plus kubeconfig_user"
is "$(jq -r .user_id <<<"$body")" "$ALICE" "... for the local user alice"
TOKEN1=$(jq -r .token <<<"$body")
like "$TOKEN1" '^[0-9a-f]{64}$' "... a token"
is "$(jq -c .kubeconfig_user <<<"$body")" "{\"name\":\"alice\",\"user\":{\"token\":\"$TOKEN1\"}}" \
	"... and a kubeconfig users: entry with it"
exp=$(jq -r .expiry <<<"$body")
want=$(date -u -d '+24 hours' +%Y-%m-%dT%H)
like "$exp" "^${want}" "... expiring after login.ttl (24h)"
review "$TOKEN1"
is "$(review_answer)" "authenticated as alice@example.org" "the token authenticates"

login alice@example.org:alice-secret
is "$status" 201 "login by mail (user_filter uid or mail): 201"
is "$(jq -r .user_id <<<"$body")" "$ALICE" "... the local user is the entry's uid, not what was typed"
TOKEN2=$(jq -r .token <<<"$body")

# --- refusals: one generic message ----------------------------------------
login alice:wrong-password
is "$status" 401 "a wrong password: 401"
is "$(jq -r .error <<<"$body")" "invalid username or password" "... generic message"
login nobody:whatever
is "$status" 401 "an unknown user: 401"
is "$(jq -r .error <<<"$body")" "invalid username or password" "... the same message"
login alice:
is "$status" 401 "an empty password: 401"
is "$(jq -r .error <<<"$body")" "invalid username or password" "... the same message"
login 'ali*:alice-secret'
is "$status" 401 "a wildcard in the name matches no one: 401"
ka_curl POST /login
is "$status" 401 "no credentials: 401"
ka_curl POST /login -H 'Authorization: Basic !!!'
is "$status" 401 "malformed credentials: 401"
grep -q 'audit: login as alice refused: wrong password' "$T/ka.log"
ok $? "the wrong password is logged"
grep -q 'audit: login as alice refused: empty password' "$T/ka.log"
ok $? "the empty password is refused before any bind (logged as such)"
grep -q 'wrong-password\|alice-secret' "$T/ka.log"
is "$?" 1 "no password in any log line"
grep -qF "$TOKEN1" "$T/ka.log"
is "$?" 1 "no token in any log line"

# --- logout ---------------------------------------------------------------
ka_curl POST /logout -H "Authorization: Bearer $TOKEN2"
is "$status" 200 "logout: 200"
review "$TOKEN2"
is "$(review_answer)" "token revoked" "... the token is revoked"
review "$TOKEN1"
is "$(review_answer)" "authenticated as alice@example.org" "... the other one still works"
ka_curl POST /logout -H "Authorization: Bearer $TOKEN2"
is "$status" 401 "logout again: 401"
ka_curl POST /logout -H "Authorization: Bearer $(random_hex 32)"
is "$status" 401 "logout with an unknown token: 401"
ka_curl POST /logout
is "$status" 401 "logout without a token: 401"

# --- auto_create, allowed_groups, max_tokens -------------------------------
ka_restart - <<<"$(printf 'login:\n  auto_create: true\n  allowed_groups: [admins]\n  max_tokens: 2\n')"
login bob:bob-secret
is "$status" 403 "allowed_groups [admins]: bob (developers) refused: 403"
admin_curl GET "/users?username=bob"
is "$body" "[]" "... and not created"
ka_restart - <<<"$(printf 'login:\n  auto_create: true\n  max_tokens: 2\n')"
login bob:bob-secret
is "$status" 201 "auto_create: bob logs in: 201"
admin_curl GET "/users?username=bob"
is "$(jq -r '.[0].username' <<<"$body")" bob "... and the local user bob was created"
ka_restart - <<<"$(printf 'login:\n  allowed_groups: [admins, developers]\n  max_tokens: 2\n')"
login alice:alice-secret
is "$status" 201 "allowed_groups: alice (admins) logs in"
TOKEN3=$(jq -r .token <<<"$body")
login alice:alice-secret
TOKEN4=$(jq -r .token <<<"$body")
review "$TOKEN1"
is "$(review_answer)" "token revoked" "max_tokens 2: the oldest login token is revoked"
review "$TOKEN3"
is "$(review_answer)" "authenticated as alice@example.org" "... the newer ones work"
review "$TOKEN4"
is "$(review_answer)" "authenticated as alice@example.org" "... both"
is "$(db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$ALICE' AND revoked_at IS NULL")" 2 \
	"... two live tokens"
# A login with a description of its own ("created by POST /login: ...",
# found with LIKE; this one holds LIKE's own characters) counts too.
ka_curl POST /login -u alice:alice-secret -H 'Content-Type: application/json' \
	-d '{"description":"50%_off\\"}'
is "$status" 201 "a login with the description 50%_off\\: 201"
is "$(jq -r .description <<<"$body")" 'created by POST /login: 50%_off\' "... as given"
TOKEN5=$(jq -r .token <<<"$body")
review "$TOKEN3"
is "$(review_answer)" "token revoked" "... it counts for max_tokens: the oldest is revoked"
review "$TOKEN5"
is "$(review_answer)" "authenticated as alice@example.org" "... it works"
review "$TOKEN4"
is "$(review_answer)" "authenticated as alice@example.org" "... and the one before"

ka_restart - <<<"$(printf 'login:\n  enabled: false\n')"
login alice:alice-secret
is "$status" 404 "login.enabled false: 404"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
