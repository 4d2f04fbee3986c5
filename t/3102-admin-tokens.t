#!/usr/bin/env bash
# Tokens: create (ttl/expiry rules, scoped), list, get, revoke, purge;
# secrets never in the database dump or the log; key rotation; reveal: false;
# no key file. Bad input refused with nothing changed.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

stack_up

epoch() { date -u -d "$1" +%s; }
TOKENS=()
new_token() {   # new_token JSON -> $tid $secret, status
	admin_curl POST /tokens --data-binary "$1"
	tid=$(jq -r .id <<<"$body")
	secret=$(jq -r .token <<<"$body")
	[ "$status" = 201 ] && TOKENS+=("$secret")
}

admin_curl POST /users -d '{"username": "alice"}'
alice=$(jq -r .id <<<"$body")
admin_curl POST /users -d '{"username": "bob"}'
bob=$(jq -r .id <<<"$body")

# Defaults: tokens.ttl 8760h.
now=$(date -u +%s)
new_token "{\"user_id\": \"$alice\", \"description\": \"sample token\"}"
is "$status" 201 "POST /tokens: 201"
t1=$tid s1=$secret
is "$(jq -r .description <<<"$body")" "sample token" "... description kept"
exp=$(epoch "$(jq -r .expiry <<<"$body")")
ok $(( exp - now >= 8760 * 3600 - 5 && exp - now <= 8760 * 3600 + 5 ? 0 : 1 )) "... expires in tokens.ttl (8760h)"

new_token "{\"user_id\": \"$alice\", \"ttl\": \"1h30m\"}"
exp=$(epoch "$(jq -r .expiry <<<"$body")"); now=$(date -u +%s)
ok $(( exp - now >= 5395 && exp - now <= 5405 ? 0 : 1 )) "ttl \"1h30m\": expires in 90 minutes"
new_token "{\"user_id\": \"$alice\", \"ttl\": 600}"
exp=$(epoch "$(jq -r .expiry <<<"$body")"); now=$(date -u +%s)
ok $(( exp - now >= 595 && exp - now <= 605 ? 0 : 1 )) "ttl 600 (seconds): expires in 10 minutes"
want=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%S)
new_token "{\"user_id\": \"$alice\", \"expiry\": \"${want}.25+00:00\"}"
is "$(jq -r .expiry <<<"$body")" "${want}.25Z" "expiry (RFC 3339 with offset): kept, rendered in UTC"
want2=$(date -u -d '+30 days 2 hours' +%Y-%m-%dT%H:%M:%S)
new_token "{\"user_id\": \"$alice\", \"expiry\": \"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%S)+02:00\", \"ttl\": null}"
is "$status" 201 "expiry with a +02:00 offset and ttl null: 201"
new_token "{\"user_id\": \"$(tr a-f A-F <<<"$bob")\"}"
is "$(jq -r .user_id <<<"$body")" "$bob" "user_id in upper case: stored in lower case"
tb=$tid

admin_curl GET /tokens
is "$(jq -r length <<<"$body")" 6 "GET /tokens lists 6"
is "$(jq -r '.[0].token' <<<"$body")" "$s1" "... oldest first, secrets shown (reveal: true)"
admin_curl GET "/tokens?user_id=$bob"
is "$(jq -r '[.[].id] | join(" ")' <<<"$body")" "$tb" "?user_id= filters"
admin_curl GET "/tokens?user_id=00000000-0000-4000-8000-000000000000"
is "$body" "[]" "?user_id= unknown: []"
admin_curl GET "/tokens?user_id=nope"
is "$status" 400 "?user_id= malformed: 400"
admin_curl GET "/tokens/$t1"
is "$(jq -c '{id, token, user_id, description}' <<<"$body")" \
	"{\"id\":\"$t1\",\"token\":\"$s1\",\"user_id\":\"$alice\",\"description\":\"sample token\"}" \
	"GET /tokens/{id}: the token"

# Bad input.
admin_refused 400 "no user_id" POST /tokens -d '{}'
admin_refused 400 "user_id a number" POST /tokens -d '{"user_id": 5}'
admin_refused 400 "user_id malformed" POST /tokens -d '{"user_id": "alice"}'
admin_refused 400 "unknown user_id" POST /tokens -d '{"user_id": "00000000-0000-4000-8000-000000000000"}'
is "$(jq -r .error <<<"$body")" "unknown user_id" "... says so"
admin_refused 400 "an array body" POST /tokens -d "[{\"user_id\": \"$alice\"}]"
admin_refused 400 "truncated JSON" POST /tokens -d "{\"user_id\": \"$alice\""
admin_refused 400 "description a number" POST /tokens -d "{\"user_id\": \"$alice\", \"description\": 1}"
admin_refused 400 "description over 1024 characters" POST /tokens \
	-d "{\"user_id\": \"$alice\", \"description\": \"$(printf 'd%.0s' $(seq 1025))\"}"
admin_refused 400 "expiry in the past" POST /tokens -d "{\"user_id\": \"$alice\", \"expiry\": \"2001-01-01T00:00:00Z\"}"
is "$(jq -r .error <<<"$body")" "expiry is in the past" "... says so"
admin_refused 400 "expiry unparseable" POST /tokens -d "{\"user_id\": \"$alice\", \"expiry\": \"next tuesday\"}"
admin_refused 400 "expiry without a zone" POST /tokens -d "{\"user_id\": \"$alice\", \"expiry\": \"$want\"}"
admin_refused 400 "expiry a number" POST /tokens -d "{\"user_id\": \"$alice\", \"expiry\": 1700000000}"
admin_refused 400 "expiry beyond max_ttl" POST /tokens \
	-d "{\"user_id\": \"$alice\", \"expiry\": \"$(date -u -d '+2 years' +%Y-%m-%dT%H:%M:%SZ)\"}"
like "$(jq -r .error <<<"$body")" "max_ttl \\(8760h\\)" "... names max_ttl"
admin_refused 400 "ttl over max_ttl" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": \"8761h\"}"
admin_refused 400 "ttl over max_ttl in seconds" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": 31536001}"
admin_refused 400 "ttl zero" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": \"0s\"}"
admin_refused 400 "ttl negative" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": -5}"
admin_refused 400 "ttl unparseable" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": \"forever\"}"
admin_refused 400 "ttl a boolean" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": true}"
admin_refused 400 "ttl a fraction" POST /tokens -d "{\"user_id\": \"$alice\", \"ttl\": 1.5}"
admin_refused 400 "both expiry and ttl" POST /tokens \
	-d "{\"user_id\": \"$alice\", \"ttl\": \"1h\", \"expiry\": \"$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)\"}"
is "$(jq -r .error <<<"$body")" "give expiry or ttl, not both" "... says so"
admin_refused 400 "clusters not an array" POST /tokens -d "{\"user_id\": \"$alice\", \"clusters\": \"c1\"}"
admin_refused 400 "clusters empty" POST /tokens -d "{\"user_id\": \"$alice\", \"clusters\": []}"
admin_refused 400 "clusters with a number" POST /tokens -d "{\"user_id\": \"$alice\", \"clusters\": [1]}"
admin_refused 400 "unknown cluster name" POST /tokens -d "{\"user_id\": \"$alice\", \"clusters\": [\"nope\"]}"
is "$(jq -r .error <<<"$body")" "unknown cluster in clusters: nope" "... names it"
admin_refused 404 "GET malformed id" GET /tokens/1234
admin_refused 404 "GET unknown id" GET /tokens/00000000-0000-4000-8000-000000000000
notatoken=$(openssl rand -hex 32)
admin_refused 404 "DELETE with a secret-looking id" DELETE "/tokens/$notatoken"
unlike "$body" "$notatoken" "... the error does not echo it"
admin_refused 405 "PUT /tokens/{id}" PUT "/tokens/$t1" -d '{}'

# Scoped tokens.
admin_curl POST /clusters -d '{"name": "prod"}'
admin_curl POST /clusters -d '{"name": "dev"}'
dev=$(jq -r .id <<<"$body")
new_token "{\"user_id\": \"$alice\", \"clusters\": [\"prod\", \"dev\", \"prod\"]}"
is "$status" 201 "a scoped token: 201"
ts=$tid
is "$(jq -c .clusters <<<"$body")" '["prod","dev"]' "... names its clusters (duplicates dropped)"
admin_curl GET "/tokens/$ts"
is "$(jq -c .clusters <<<"$body")" '["dev","prod"]' "GET shows its clusters"
is "$(db_sql "SELECT scoped FROM tokens WHERE id = '$ts'")" 1 "... scoped in the database"
admin_curl GET "/tokens/$t1"
is "$(jq -r 'has("clusters")' <<<"$body")" false "an unscoped token has no clusters field"
admin_refused 400 "a known and an unknown cluster" POST /tokens \
	-d "{\"user_id\": \"$alice\", \"clusters\": [\"prod\", \"staging\"]}"
admin_refused 409 "DELETE a cluster a token names" DELETE "/clusters/$dev"

# Revocation.
admin_curl DELETE "/tokens/$ts"
is "$status" 200 "DELETE /tokens/{id}: 200"
admin_curl GET "/tokens/$ts"
is "$status" 404 "... then GET: 404"
admin_curl GET /tokens
is "$(jq -r --arg id "$ts" '[.[] | select(.id == $id)] | length' <<<"$body")" 0 "... gone from the list"
like "$(db_sql "SELECT revoked_at FROM tokens WHERE id = '$ts'")" '^[0-9]{4}-' "... revoked_at set"
admin_curl DELETE "/tokens/$ts"
is "$status" 404 "DELETE again: 404"
admin_curl DELETE "/clusters/$dev"
is "$status" 200 "the cluster a revoked token named can go"

# At rest: only the HMAC and the sealed copy.
plain=$(db_dump) && hex=$(db_dump --hex-blob) || bail "mariadb-dump failed"
is "$(grep -c '^INSERT INTO `tokens` VALUES' <<<"$hex")" "${#TOKENS[@]}" \
	"the dump holds a row for each of the ${#TOKENS[@]} tokens issued"
n=0
for s in "${TOKENS[@]}"; do
	grep -qiF "$s" <<<"$plain" && n=$((n + 1))
	grep -qiF "$(printf '%s' "$s" | xxd -p -c 200)" <<<"$hex" && n=$((n + 1))
done
is "$n" 0 "... and none of their secrets (plain or hex)"
n=0
for s in "${TOKENS[@]}"; do grep -qF "$s" "$T/ka.log" && n=$((n + 1)); done
is "$n" 0 "... nor does the log"
is "$(db_sql "SELECT COUNT(DISTINCT key_id) FROM tokens")" 1 "all made with key 1"
is "$(db_sql "SELECT MIN(LENGTH(token_enc)) FROM tokens")" 92 "sealed copies: nonce + 64 + tag"

# Key rotation: add key 2; old tokens still show, new ones use key 2.
ka_stop
old_key=$(cat "$KA_KEY_FILE")
secret_file "$KA_KEY_FILE" "$(printf '# rotated\n1:%s\n2:%s\n' "$old_key" "$(openssl rand -hex 32)")"
ka_start || bail "no restart with two keys"
admin_curl GET "/tokens/$t1"
is "$(jq -r .token <<<"$body")" "$s1" "after adding key 2: an old token still shows"
new_token "{\"user_id\": \"$alice\"}"
t2=$tid s2=$secret
is "$(db_sql "SELECT key_id FROM tokens WHERE id = '$t2'")" 2 "... a new one uses key 2"
admin_curl GET "/tokens/$t2"
is "$(jq -r .token <<<"$body")" "$s2" "... and shows"
# TokenReview looks a token up under every key's HMAC at once.
AS_ALICE="authenticated as alice@example.org"
review "$s1"
is "$(review_answer)" "$AS_ALICE" "two keys: a key 1 token authenticates"
review "$s2"
is "$(review_answer)" "$AS_ALICE" "two keys: a key 2 token authenticates"
ka_stop
secret_file "$KA_KEY_FILE" "$(grep '^2:' "$KA_KEY_FILE")"
ka_start || bail "no restart with key 2 only"
admin_curl GET "/tokens/$t1"
is "$status:$(jq -r 'has("token")' <<<"$body")" "200:false" "key 1 removed: its token is listed without its secret"
admin_curl GET "/tokens/$t2"
is "$(jq -r .token <<<"$body")" "$s2" "... key 2's token still shows"
review "$s2"
is "$(review_answer)" "$AS_ALICE" "key 2 only: its token authenticates"
# Not found (no loaded key's HMAC of it matches a row), no other refusal.
review "$s1"
is "$(review_answer)" "token not found" "... a key 1 token no longer does: not found"

# reveal: false: shown once.
ka_stop
ka_config - <<'YAML'
tokens:
  reveal: false
YAML
ka_start || bail "no restart with reveal: false"
new_token "{\"user_id\": \"$alice\"}"
like "$secret" '^[0-9a-f]{64}$' "reveal: false: POST shows the secret once"
admin_curl GET "/tokens/$tid"
is "$status:$(jq -r 'has("token")' <<<"$body")" "200:false" "... GET does not"
is "$(db_sql "SELECT token_enc IS NULL FROM tokens WHERE id = '$tid'")" 1 "... no sealed copy kept"

# purge-expired: expired (or revoked) before now - keep_expired (720h).
db_sql "UPDATE tokens SET expiry = '2001-01-01 00:00:00' WHERE id = '$t1'"
db_sql "UPDATE tokens SET revoked_at = '2001-01-01 00:00:00' WHERE id = '$ts'"
db_sql "UPDATE tokens SET expiry = UTC_TIMESTAMP() - INTERVAL 1 DAY WHERE id = '$t2'"
before=$(db_sql "SELECT COUNT(*) FROM tokens")
out=$("$KA_BIN" purge-expired -config-file "$T/config.yaml" 2>&1)
is "$?" 0 "purge-expired: exit 0"
like "$out" "^2 tokens deleted" "... deleted 2"
is "$(db_sql "SELECT COUNT(*) FROM tokens")" $((before - 2)) "... the two old ones"
is "$(db_sql "SELECT COUNT(*) FROM tokens WHERE id = '$t2'")" 1 "... not the one expired yesterday"

# No key file: start-up refused with how to make one.
ka_stop
ok $? "kubernetes-auth stops cleanly"
mv "$KA_KEY_FILE" "$KA_KEY_FILE.gone"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN timeout 20 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "no key file: refuses to start (exit 1)"
like "$out" "openssl rand -hex 32" "... and says how to make one"
printf '1:abc\n' >"$KA_KEY_FILE"; chmod 600 "$KA_KEY_FILE"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN timeout 20 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "a malformed key file: refuses to start"
unlike "$out" "abc" "... without printing the key"
mv "$KA_KEY_FILE.gone" "$KA_KEY_FILE"

done_testing
