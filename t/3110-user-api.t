#!/usr/bin/env bash
# The user API (/me, doc/user-api.md): a user's own bearer token, never the
# admin token; GET /me answers what a TokenReview would; the caller's own
# tokens only (someone else's id is the same 404 as none); a kubeconfig
# whose user runs the credential plugin; clusters' server and
# certificate_authority_data; POST /login's optional body; bad input of
# every class; an audit line per call and no secret in the log.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

# Prefixes and extra: GET /me must answer them exactly as a TokenReview.
stack_up - <<'YAML'
ldap:
  extra_attributes: [cn]
authentication:
  username_prefix: "ldap:"
  group_prefix: "g:"
  default_groups: ["All Users"]
login:
  ttl: 24h
  max_tokens: 10
tokens:
  ttl: 720h
  max_ttl: 720h
YAML

me() {   # me METHOD PATH TOKEN [CURL-ARGS...]
	local method=$1 path=$2 token=$3
	shift 3
	ka_curl "$method" "$path" -H "Authorization: Bearer $token" "$@"
}
review() {   # review TOKEN [CLUSTER]: $review is the TokenReview answer's status
	local saved_status=$status saved_body=$body saved_headers=$headers
	ka_curl POST "/authenticate/token${2:+/$2}" -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$1\"}}"
	review=$(jq -c .status <<<"$body")
	status=$saved_status body=$saved_body headers=$saved_headers
}
login() {   # login USER:PASSWORD [BODY]
	if [ -n "${2:-}" ]; then
		ka_curl POST /login -u "$1" --data-binary "$2"
	else
		ka_curl POST /login -u "$1"
	fi
}
audit_count() { grep -c "audit: me token $1 .*: $2 $3: " "$T/ka.log"; }

# --- clusters: server and certificate_authority_data -------------------------
CA_DATA=$(base64 -w0 <"$PKI_DIR/ca.pem")
admin_curl POST /clusters -d "{\"name\":\"prod\",\"server\":\"https://prod.example.org:6443\",\"certificate_authority_data\":\"$CA_DATA\"}"
is "$status" 201 "POST /clusters with server and certificate_authority_data: 201"
is "$(jq -r .server <<<"$body")" "https://prod.example.org:6443" "... the server in the answer"
is "$(jq -r .certificate_authority_data <<<"$body")" "$CA_DATA" "... and the CA data"
PROD_ID=$(jq -r .id <<<"$body")
two_cas=$(cat "$PKI_DIR/ca.pem" "$PKI_DIR/other-ca.pem" | base64 -w0)
admin_curl POST /clusters -d "{\"name\":\"qa\",\"server\":\"https://[::1]:8443/k8s/clusters/c-1\",\"certificate_authority_data\":\"$two_cas\"}"
is "$status" 201 "an IPv6 server with a path, two CA certificates: 201"
admin_curl POST /clusters -d '{"name":"staging"}'
is "$status" 201 "a cluster without them: 201"
admin_curl GET /clusters?name=staging
is "$(jq -r '.[0] | has("server") or has("certificate_authority_data")' <<<"$body")" false \
	"GET /clusters: neither field when not set"
admin_curl GET "/clusters/$PROD_ID"
is "$(jq -r '[.server, (.certificate_authority_data | length > 0)] | join(" ")' <<<"$body")" \
	"https://prod.example.org:6443 true" "GET /clusters/{id} shows both"

bad_cluster() {   # bad_cluster JSON-FIELDS WHAT
	before=$(db_sql "SELECT COUNT(*) FROM clusters")
	admin_curl POST /clusters -d "{\"name\":\"bad\",$1}"
	is "$status:$(db_sql "SELECT COUNT(*) FROM clusters")" "400:$before" "POST /clusters: $2: 400, nothing stored"
}
bad_cluster '"server":"http://prod.example.org"' "server over plain http"
bad_cluster '"server":"https://user:pw@prod.example.org"' "server with user information"
bad_cluster '"server":"https://prod.example.org/?x=1"' "server with a query"
bad_cluster '"server":"https://prod.example.org:99999"' "server with port 99999"
bad_cluster '"server":"https://"' "server without a host"
bad_cluster '"server":"https://prod example.org"' "server with a space"
bad_cluster '"server":"https://prod.example.org/\u0000"' "server with a NUL"
bad_cluster '"server":"https://prod.example.org/\n"' "server with a newline"
bad_cluster '"server":6443' "server of the wrong type"
bad_cluster "\"server\":\"https://$(head -c 2100 /dev/zero | tr '\0' a).org\"" "server longer than 2048"
bad_cluster '"certificate_authority_data":"not base64!"' "CA data that is not base64"
bad_cluster "\"certificate_authority_data\":\"$(base64 -w0 <"$PKI_DIR/ca.key")\"" "CA data holding a private key"
bad_cluster "\"certificate_authority_data\":\"$(printf 'hello' | base64 -w0)\"" "CA data without a certificate"
bad_cluster "\"certificate_authority_data\":\"$(printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' | base64 -w0)\"" \
	"CA data with a certificate that does not parse"
bad_cluster "\"certificate_authority_data\":\"$(base64 <"$PKI_DIR/ca.pem" | tr -d '\n' | sed 's/.\{76\}/&\\n/g')\"" \
	"CA data with line breaks"
bad_cluster '"certificate_authority_data":["x"]' "CA data of the wrong type"

# --- users and tokens --------------------------------------------------------
admin_curl POST /users -d '{"username":"alice"}'
ALICE=$(jq -r .id <<<"$body")
admin_curl POST /users -d '{"username":"bob"}'
BOB=$(jq -r .id <<<"$body")
login alice:alice-secret
is "$status" 201 "POST /login without a body: 201, as before"
A1=$(jq -r .token <<<"$body")
A1_ID=$(jq -r .id <<<"$body")
is "$(jq -r 'has("clusters")' <<<"$body")" false "... an unscoped token"
login bob:bob-secret
B1=$(jq -r .token <<<"$body")
B1_ID=$(jq -r .id <<<"$body")

# --- GET /me -------------------------------------------------------------------
me GET /me "$A1"
is "$status" 200 "GET /me: 200"
like "$(header content-type)" '^application/json' "... JSON"
review "$A1"
is "$(jq -c '{username, uid, groups, extra}' <<<"$body")" \
	"$(jq -c '.user | {username, uid, groups, extra}' <<<"$review")" \
	"... username, uid, groups and extra are exactly the TokenReview's"
is "$(jq -r .username <<<"$body")" "ldap:alice@example.org" "... with username_prefix"
is "$(jq -c .groups <<<"$body")" '["g:admins","g:developers","All Users"]' "... group_prefix and default_groups"
is "$(jq -c .extra <<<"$body")" '{"cn":["Alice Example"]}' "... extra_attributes"
is "$(jq -c .user <<<"$body")" "{\"id\":\"$ALICE\",\"username\":\"alice\"}" "... the local user"
is "$(jq -r '.token | [.id, .description] | join("|")' <<<"$body")" "$A1_ID|created by POST /login" \
	"... the token it carried"
like "$(jq -r '.token.created + " " + .token.expiry' <<<"$body")" \
	'^20[0-9-]+T[0-9:.]+Z 20[0-9-]+T[0-9:.]+Z$' "... with created and expiry"
is "$(jq -r '.token | has("clusters") or has("token")' <<<"$body")" false "... no clusters (unscoped), no secret"
is "$(jq -c .clusters <<<"$body")" '["prod","qa","staging"]' "... valid on every cluster"
is "$(audit_count "$A1_ID" GET /me)" 1 "... an audit line naming the token by id"

# Refusals: 401 with WWW-Authenticate, the same body for all.
me GET /me ""
is "$status $(header www-authenticate)" "401 Bearer" "no bearer token: 401, WWW-Authenticate: Bearer"
is "$body" '{"error":"invalid token"}' "... {\"error\":\"invalid token\"}"
ka_curl GET /me
is "$status" 401 "no Authorization header: 401"
me GET /me "$(random_hex 32)"
is "$status $body" '401 {"error":"invalid token"}' "an unknown token: 401, the same answer"
ka_curl GET /me -H "x-auth-token: $KA_ADMIN_TOKEN"
is "$status" 401 "the admin token as x-auth-token: 401"
me GET /me "$KA_ADMIN_TOKEN"
is "$status $body" '401 {"error":"invalid token"}' "the admin token as a bearer token: 401, an unknown token"
ka_curl GET /me -H "Authorization: Basic $(printf alice:alice-secret | base64)"
is "$status" 401 "HTTP Basic: 401"
me GET /me "$A1 x"
is "$status" 401 "a token with trailing junk: 401"
me GET /me "$(head -c 5000 /dev/zero | tr '\0' a)"
is "$status" 401 "a 5000-byte token: 401"
grep -q "audit: me refused: token fp:" "$T/ka.log"
ok $? "refusals are audit lines naming the token by fingerprint"

# GET /me when a cluster would refuse the user now: 403 with the reason.
# (A user whose entry has left the directory since: POST /users would
# refuse the name now, so the row goes in directly.)
GHOST_ID=$(cat /proc/sys/kernel/random/uuid)
db_sql "INSERT INTO users (id, username, created_at) VALUES ('$GHOST_ID', 'ghost', UTC_TIMESTAMP(6))"
admin_curl POST /tokens -d "{\"user_id\":\"$GHOST_ID\"}"
GHOST=$(jq -r .token <<<"$body")
me GET /me "$GHOST"
is "$status $(jq -r .error <<<"$body")" "403 user not found in directory" \
	"GET /me for a user gone from the directory: 403, the TokenReview's reason"
review "$GHOST"
is "$(jq -r .error <<<"$review")" "user not found in directory" "... what a TokenReview says"

# A stored name the directory matches to an entry that names itself
# otherwise ("ALICE" finds alice): refused by both alike.
UPPER_ID=$(cat /proc/sys/kernel/random/uuid)
db_sql "INSERT INTO users (id, username, created_at) VALUES ('$UPPER_ID', 'ALICE', UTC_TIMESTAMP(6))"
admin_curl POST /tokens -d "{\"user_id\":\"$UPPER_ID\"}"
UPPER=$(jq -r .token <<<"$body")
me GET /me "$UPPER"
review "$UPPER"
is "$status $(jq -r .error <<<"$body") / $(jq -r .error <<<"$review")" \
	"403 user not found in directory / user not found in directory" \
	"a user stored as ALICE: GET /me and a TokenReview refuse it alike"

# Expired and revoked tokens.
login alice:alice-secret
A2=$(jq -r .token <<<"$body")
A2_ID=$(jq -r .id <<<"$body")
db_sql "UPDATE tokens SET expiry = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = '$A2_ID'"
me GET /me "$A2"
is "$status $body" '401 {"error":"invalid token"}' "an expired token: 401"
grep -q "audit: me refused: token $A2_ID expired" "$T/ka.log"
ok $? "... logged as expired"
login alice:alice-secret
A3=$(jq -r .token <<<"$body")
A3_ID=$(jq -r .id <<<"$body")
admin_curl DELETE "/tokens/$A3_ID"
me GET /me "$A3"
is "$status $body" '401 {"error":"invalid token"}' "a revoked token: 401"

# --- POST /login with a body -----------------------------------------------------
login alice:alice-secret '{"ttl":"2h","clusters":["prod"],"description":"laptop"}'
is "$status" 201 "POST /login with {ttl, clusters, description}: 201"
S1=$(jq -r .token <<<"$body")
S1_ID=$(jq -r .id <<<"$body")
is "$(jq -c .clusters <<<"$body")" '["prod"]' "... scoped to prod"
is "$(jq -r .description <<<"$body")" "created by POST /login: laptop" \
	"... the description after the login one (login.max_tokens counts it)"
like "$(jq -r .expiry <<<"$body")" "^$(date -u -d '+2 hours' +%Y-%m-%dT%H)" "... for 2 hours"
review "$S1" prod
is "$(jq -r .authenticated <<<"$review")" true "... it authenticates on prod's path"
review "$S1" staging
is "$(jq -r .error <<<"$review")" "token not valid for this cluster" "... and not on staging's"
login alice:alice-secret '{"ttl":7200}'
is "$status" 201 "ttl as seconds: 201"
login alice:alice-secret '   '
is "$status" 201 "a blank body counts as none: 201"

login_refused() {   # login_refused BODY STATUS WHAT
	local before
	before=$(db_sql "SELECT COUNT(*) FROM tokens")
	login alice:alice-secret "$1"
	is "$status:$(db_sql "SELECT COUNT(*) FROM tokens")" "$2:$before" "POST /login, $3: $2, no token"
}
login_refused '{"ttl":"25h"}' 400 "ttl over login.ttl"
like "$(jq -r .error <<<"$body")" "login.ttl" "... naming login.ttl"
login_refused '{"clusters":["nowhere"]}' 400 "an unknown cluster"
is "$(jq -r .error <<<"$body")" "unknown cluster in clusters: nowhere" "... naming it"
login_refused '{"ttl":' 400 "malformed JSON"
login_refused '["ttl"]' 400 "a JSON array"
login_refused '{"ttl":true}' 400 "ttl of the wrong type"
login_refused '{"clusters":"prod"}' 400 "clusters of the wrong type"
login_refused '{"description":5}' 400 "description of the wrong type"
login_refused '{"clusters":[]}' 400 "an empty cluster list"
login_refused "{\"description\":\"$(head -c 1020 /dev/zero | tr '\0' d)\"}" 400 \
	"a description that does not fit after the login one"
before_binds=$(grep -c "audit: login as alice refused: wrong password" "$T/ka.log")
ka_curl POST /login -u alice:wrong --data-binary '{"ttl":'
is "$status" 400 "a malformed body with a wrong password: 400 (the body is checked first)"
is "$(grep -c "audit: login as alice refused: wrong password" "$T/ka.log")" "$before_binds" \
	"... and no bind was tried"

# --- scoped tokens on /me --------------------------------------------------------
me GET /me "$S1"
is "$status" 200 "GET /me with a scoped token: 200"
is "$(jq -c '[.token.clusters, .clusters]' <<<"$body")" '[["prod"],["prod"]]' \
	"... its clusters, and only those"
me POST /me/tokens "$S1" -d '{"clusters":["staging"]}'
is "$status $(jq -r .error <<<"$body")" "400 cluster not allowed for this token: staging" \
	"a scoped token cannot make a token for another cluster: 400 naming it"
me POST /me/tokens "$S1" -d '{"clusters":["prod","staging"]}'
is "$status" 400 "... nor for more clusters than its own"
me POST /me/tokens "$S1" -d '{"description":"ci"}'
is "$status $(jq -c .clusters <<<"$body")" '201 ["prod"]' "no clusters asked: scoped to its own"
S2_ID=$(jq -r .id <<<"$body")
me GET /me/kubeconfig?cluster=staging "$S1"
is "$status" 404 "GET /me/kubeconfig for a cluster the token is not scoped to: 404"
me GET /me/kubeconfig?cluster=prod "$S1"
is "$status" 200 "... for its own: 200"
me DELETE "/me/tokens/$S2_ID" "$S1"
is "$status" 200 "a scoped token revokes a token of its user: 200"

# --- GET /me/tokens ------------------------------------------------------------
me GET /me/tokens "$A1"
is "$status" 200 "GET /me/tokens: 200"
ids=$(jq -r '[.[].id] | join(" ")' <<<"$body")
want=$(db_sql "SELECT id FROM tokens WHERE user_id = '$ALICE' AND revoked_at IS NULL AND expiry > UTC_TIMESTAMP(6) ORDER BY created_at, id" | xargs)
is "$ids" "$want" "... alice's live tokens, oldest first (no expired, no revoked)"
unlike "$ids" "$B1_ID|$A2_ID|$A3_ID" "... not bob's, not the expired or revoked ones"
is "$(jq -r '[.[] | has("token")] | any' <<<"$body")" false "... never a secret"
is "$(jq -r '.[0] | keys | join(",")' <<<"$body")" "created,description,expiry,id,last_used" \
	"... id, description, created, expiry, last_used"
is "$(jq -r --arg id "$S1_ID" '.[] | select(.id == $id) | .clusters | join(",")' <<<"$body")" prod \
	"... clusters for a scoped token"
like "$(jq -r --arg id "$S1_ID" '.[] | select(.id == $id) | .last_used' <<<"$body")" \
	"^$(db_sql "SELECT DATE_FORMAT(last_used_at, '%Y-%m-%dT%H:%i:%s') FROM tokens WHERE id = '$S1_ID'")" \
	"... last_used: when a TokenReview last used it"
me GET /me/tokens "$B1"
is "$(jq -r '[.[].id] | join(" ")' <<<"$body")" "$B1_ID" "bob sees his one token"
is "$(jq -r '.[0].last_used' <<<"$body")" null "... last_used null until used"

# --- POST /me/tokens ---------------------------------------------------------------
me POST /me/tokens "$A1" -d '{"description":"'"'"'; DROP TABLE tokens; --","ttl":"48h"}'
is "$status" 201 "POST /me/tokens: 201"
N1=$(jq -r .token <<<"$body")
N1_ID=$(jq -r .id <<<"$body")
is "$(jq -r 'keys | join(",")' <<<"$body")" "created,description,expiry,id,token" "... id, token, description, created, expiry"
like "$N1" '^[0-9a-f]{64}$' "... the secret, once"
is "$(jq -r .description <<<"$body")" "'; DROP TABLE tokens; --" "... an injection string stored as it is"
like "$(jq -r .expiry <<<"$body")" "^$(date -u -d '+48 hours' +%Y-%m-%dT%H)" "... ttl 48h (over login.ttl, within tokens.max_ttl)"
review "$N1"
is "$(jq -r .user.username <<<"$review")" "ldap:alice@example.org" "... it authenticates as alice"
me POST /me/tokens "$A1" -d '{}'
like "$(jq -r .expiry <<<"$body")" "^$(date -u -d '+24 hours' +%Y-%m-%dT%H)" "neither ttl nor expiry: login.ttl"
N2_ID=$(jq -r .id <<<"$body")
me POST /me/tokens "$A1" -d '{"clusters":["qa"]}'
is "$status $(jq -c .clusters <<<"$body")" '201 ["qa"]' "an unscoped caller scopes a token to any cluster"
N3_ID=$(jq -r .id <<<"$body")

token_refused() {   # token_refused STATUS WHAT CURL-ARGS...
	local want=$1 what=$2 before
	shift 2
	before=$(db_sql "SELECT COUNT(*) FROM tokens")
	me POST /me/tokens "$A1" "$@"
	is "$status:$(db_sql "SELECT COUNT(*) FROM tokens")" "$want:$before" "POST /me/tokens, $what: $want, no token"
}
token_refused 400 "malformed JSON" -d '{"ttl":'
token_refused 400 "not an object" -d '"ttl"'
token_refused 400 "a NUL in a string" -d '{"description":"a\u0000b"}'
token_refused 400 "invalid UTF-8" --data-binary $'{"description":"\xff"}'
token_refused 400 "ttl of the wrong type" -d '{"ttl":[1]}'
token_refused 400 "ttl over tokens.max_ttl" -d '{"ttl":"721h"}'
token_refused 400 "ttl and expiry both" -d '{"ttl":"1h","expiry":"2030-01-01T00:00:00Z"}'
token_refused 400 "expiry in the past" -d '{"expiry":"2001-01-01T00:00:00Z"}'
token_refused 400 "a negative ttl" -d '{"ttl":-5}'
token_refused 400 "clusters of the wrong type" -d '{"clusters":{"prod":1}}'
token_refused 400 "an unknown cluster" -d '{"clusters":["prod","../../etc"]}'
is "$(jq -r .error <<<"$body")" "unknown cluster in clusters: ../../etc" "... naming it"
token_refused 400 "a description over 1024 characters" -d "{\"description\":\"$(head -c 1025 /dev/zero | tr '\0' d)\"}"
token_refused 400 "nesting deeper than the parser allows" -d "$(printf '%.0s[' {1..100})"
printf ' \0\0' >"$T/nul.json"
token_refused 400 "a blank body with NUL bytes (not blank)" --data-binary @"$T/nul.json"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
token_refused 413 "a body over max_body" --data-binary @"$T/huge.json"
me POST /me/tokens "$A1"
is "$status" 201 "no body at all: 201, the defaults"
# login.max_tokens (10) live tokens: one more is a 409.
live=$(db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$ALICE' AND revoked_at IS NULL AND expiry > UTC_TIMESTAMP(6)")
while [ "$live" -lt 10 ]; do
	me POST /me/tokens "$A1" -d '{}'
	live=$((live + 1))
done
token_refused 409 "at login.max_tokens live tokens"
like "$(jq -r .error <<<"$body")" "revoke one first" "... saying what to do"

# --- DELETE /me/tokens/{id} ---------------------------------------------------------
me DELETE "/me/tokens/$N2_ID" "$A1"
is "$status $body" "200 {\"id\":\"$N2_ID\"}" "DELETE /me/tokens/{own id}: 200 {id}"
is "$(db_sql "SELECT revoked_at IS NOT NULL FROM tokens WHERE id = '$N2_ID'")" 1 "... revoked"
me POST /me/tokens "$A1" -d '{}'
is "$status" 201 "... which frees a place under login.max_tokens"
me DELETE "/me/tokens/$B1_ID" "$A1"
other=$status:$body
is "$status" 404 "DELETE /me/tokens/{bob's id} with alice's token: 404"
is "$(db_sql "SELECT revoked_at IS NULL FROM tokens WHERE id = '$B1_ID'")" 1 "... bob's token untouched"
me DELETE "/me/tokens/$(cat /proc/sys/kernel/random/uuid)" "$A1"
is "$status:$body" "$other" "... the very answer for an id that names nothing"
me DELETE "/me/tokens/$N2_ID" "$A1"
is "$status:$body" "$other" "... and for an own token already revoked"
me DELETE "/me/tokens/not-a-uuid" "$A1"
is "$status" 404 "a malformed id: 404"
me DELETE "/me/tokens/%2e%2e" "$A1"
like "$status" '^40[04]$' "a path segment ..: refused"
me DELETE "/me/tokens/$(tr a-f A-F <<<"$N3_ID")" "$A1"
is "$status" 200 "an id in upper case: 200"
me DELETE "/me/tokens/$A1_ID" "$B1"
is "$status" 404 "bob cannot revoke alice's token either"
me GET /me "$A1"
is "$status" 200 "... which still works"

# --- GET /me/kubeconfig ---------------------------------------------------------------
me GET "/me/kubeconfig?cluster=prod" "$A1"
is "$status" 200 "GET /me/kubeconfig?cluster=prod: 200"
kc=$body
is "$(jq -r '[.apiVersion, .kind, ."current-context"] | join(" ")' <<<"$kc")" "v1 Config prod" \
	"... a Config, its context current"
is "$(jq -c '.clusters' <<<"$kc")" \
	"[{\"name\":\"prod\",\"cluster\":{\"server\":\"https://prod.example.org:6443\",\"certificate-authority-data\":\"$CA_DATA\"}}]" \
	"... the cluster with its server and CA"
is "$(jq -c '.contexts' <<<"$kc")" '[{"name":"prod","context":{"cluster":"prod","user":"alice@prod"}}]' \
	"... a context tying them"
is "$(jq -r '.users[0].name' <<<"$kc")" "alice@prod" "... the user entry"
is "$(jq -c '.users[0].user.exec | {apiVersion, command}' <<<"$kc")" \
	'{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"kubectl-auth_login"}' \
	"... runs the credential plugin, exec v1beta1"
is "$(jq -r '.users[0].user.exec.args | join(" ")' <<<"$kc")" \
	"get-token --url $KA_URL --cluster prod --user alice --ttl 24h" \
	"... with the service's public_url, the cluster, the local user and login.ttl"
is "$(jq -r '.users[0].user | has("token")' <<<"$kc")" false "... and no token in it"
me GET "/me/kubeconfig?cluster=staging" "$A1"
is "$status" 409 "a cluster without a server: 409"
me GET "/me/kubeconfig?cluster=nowhere" "$A1"
is "$status $(jq -r .error <<<"$body")" "404 cluster not found" "an unknown cluster: 404"
me GET "/me/kubeconfig?cluster=%27%20OR%201%3D1%20--%20" "$A1"
is "$status" 404 "an injection string as the cluster: 404"
me GET "/me/kubeconfig" "$A1"
is "$status" 400 "no ?cluster=: 400"
me GET "/me/kubeconfig?cluster=%zz" "$A1"
is "$status" 400 "a malformed escape: 400"
me GET "/me/kubeconfig?cluster=prod" "$GHOST"
is "$status" 200 "a token whose user left the directory still gets a kubeconfig (no LDAP asked)"

# --- routes and methods -----------------------------------------------------------------
me GET /me/nothing "$A1"
is "$status" 404 "GET /me/nothing: 404"
me PUT /me "$A1"
is "$status $(header allow)" "405 GET" "PUT /me: 405, Allow: GET"
me DELETE /me/tokens "$A1"
is "$status" 405 "DELETE /me/tokens: 405"
me GET "/me/tokens/$A1_ID" "$A1"
is "$status" 405 "GET /me/tokens/{id}: 405"
me GET /me/ "$A1"
is "$status" 200 "GET /me/ (trailing slash): 200"
me GET "/me/tokens/..%2f..%2fusers" "$A1"
like "$status" '^4(00|04|05)$' "an encoded ../ in a /me path: refused"

# --- backends ------------------------------------------------------------------------------
ka_stop
ka_config - <<YAML
ldap:
  urls: ["ldap://127.0.0.1:$(free_port)"]
  network_timeout: 1s
YAML
ka_start || bail "no restart"
me GET /me "$A1"
is "$status $(jq -r .error <<<"$body")" "503 ldap unavailable" "GET /me with LDAP down: 503"
me GET /me/tokens "$A1"
is "$status" 200 "... GET /me/tokens needs no LDAP: 200"

# --- rate limit, audit, secrets -------------------------------------------------------------
limited=0
for _ in $(seq 1 40); do
	code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $A1" "$KA_URL/me/tokens")
	[ "$code" = 429 ] && limited=$((limited + 1))
done
ok "$([ "$limited" -gt 0 ]; echo $?)" "40 quick /me requests from an untrusted address: $limited answered 429"
for route in "GET /me" "GET /me/tokens" "POST /me/tokens" "DELETE /me/tokens/{}" "GET /me/kubeconfig"; do
	grep -q "audit: me token $A1_ID user $ALICE (alice): $route: " "$T/ka.log"
	ok $? "an audit line for $route naming the token by id"
done
grep -q "audit: me token $A1_ID user $ALICE (alice): GET /me/kubeconfig: refused (409 this cluster has no server URL: ask an administrator to set it), cluster staging" "$T/ka.log"
ok $? "refusals too: GET /me/kubeconfig's 409, naming the cluster"
grep -q "audit: me token $A1_ID user $ALICE (alice): DELETE /me/tokens/{}: refused (404 token not found), token $B1_ID" "$T/ka.log"
ok $? "... DELETE of bob's token by alice, naming it"
grep -q "audit: me token $A1_ID user $ALICE (alice): POST /me/tokens: refused (400 invalid JSON" "$T/ka.log"
ok $? "... a malformed body"
for secret in "$A1" "$S1" "$N1" "$B1" alice-secret; do
	grep -qF -- "$secret" "$T/ka.log" "$KA_NGINX_LOGS"/* 2>/dev/null
	is "$?" 1 "no secret in any log (${secret:0:6}...)"
done
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
