#!/usr/bin/env bash
# The webhook when a backend fails: MariaDB or slapd stopped (503 JSON
# within the timeouts, then recovery), an LDAP listener that accepts and
# never answers, failover to the second URL, StartTLS and ldaps with the
# test CA, and a refusal with the wrong CA. Never authenticated: true
# without the directory's answer.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
stack_up --private-db --private-ldap

# review_within SECONDS TOKEN: curl gives up after SECONDS (scaled), so a
# hang shows as status 000.
review_within() { review "$2" /authenticate/token --max-time "$(($1 * TEST_TIME_FACTOR))"; }
unavailable_is() {   # unavailable_is WHAT DESCRIPTION: a JSON 503 naming WHAT
	is "$status" 503 "$2: 503 (in ${took}s)"
	like "$(header content-type)" '^application/json' "... as JSON"
	is "$(jq -r '.reason + ": " + .message' <<<"$body")" "ServiceUnavailable: $1 unavailable" "... naming $1"
	unlike "$body" '"authenticated"' "... and no TokenReview answer"
}

admin_user alice@example.org
admin_token "$user_id"
TOKEN=$token
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "both backends up: authenticated"

# --- slapd stopped, then back --------------------------------------------
slapd_stop_private
review_within 8 "$TOKEN"
unavailable_is ldap "slapd stopped"
review_within 8 "$TOKEN"
unavailable_is ldap "slapd still stopped (the other worker, or a retry)"
slapd_start_private || bail "slapd did not restart"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "slapd back: authenticated again (reconnected)"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "... on every worker"

# --- MariaDB stopped, then back ------------------------------------------
mariadb_stop_private
review_within 8 "$TOKEN"
unavailable_is database "MariaDB stopped"
mariadb_start_private || bail "MariaDB did not restart"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	review "$TOKEN"
	[ "$status" = 200 ] && break
	sleep 0.5
done
is "$(jq -r .status.authenticated <<<"$body")" true "MariaDB back: authenticated again"

# --- ldap.cache_ttl: answers kept per worker (one worker here) -------------
# Right after MariaDB's restart a write may land on a worker whose old
# connection is still to be found dead: a non-idempotent statement then
# answers 503 rather than risk running twice. Retry as a client would.
BOB=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	admin_curl GET "/users?username=bob@example.org"
	bob_id=$(jq -r '.[0].id // empty' <<<"$body" 2>/dev/null)
	[ -n "$bob_id" ] || { admin_curl POST /users -d '{"username": "bob@example.org"}'; continue; }
	admin_curl POST /tokens -d "{\"user_id\": \"$bob_id\"}"
	[ "$status" = 201 ] && BOB=$(jq -r .token <<<"$body") && break
	sleep 0.5
done
like "$BOB" '^[0-9a-f]{64}$' "a token for bob (after MariaDB's restart)"
ka_restart - <<<"$(printf 'workers: 1\nldap:\n  cache_ttl: 60s\n')"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "cache_ttl 60s: authenticated"
review "$TOKEN"
is "$(jq -c .status.user.groups <<<"$body")" '["admins","developers","All Users"]' \
	"... the second time from the cache, same groups"
grep -q "audit: authn .* user alice@example.org cluster -: allow .*, ldap cached)" "$T/ka.log"
ok $? "... and the audit line says so"
slapd_stop_private
review_within 8 "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "slapd stopped: a cached user still authenticates"
review_within 8 "$BOB"
unavailable_is ldap "slapd stopped: a user not in the cache"
slapd_start_private || bail "slapd did not restart"
review "$BOB"
is "$(jq -r .status.authenticated <<<"$body")" true "slapd back: that user too"

# --- a listener that accepts and never answers ---------------------------
blackhole_start
HOLE_PORT=$BLACKHOLE_PORT
CLOSED_PORT=$(free_port)

# network_timeout 2s, timeout 3s (the test config).
ka_restart - <<<"$(printf 'ldap:\n  urls: ["ldap://127.0.0.1:%s"]\n' "$HOLE_PORT")"
review_within 8 "$TOKEN"
unavailable_is ldap "black-holed LDAP listener"
grep -q "ldap ldap://127.0.0.1:$HOLE_PORT: .*: Timed out\|ldap ldap://127.0.0.1:$HOLE_PORT: .*Can't contact" "$T/ka.log"
ok $? "... logged with the URL"

ka_restart - <<<"$(printf 'ldap:\n  urls: ["ldaps://127.0.0.1:%s"]\n  ca_file: %s\n' "$HOLE_PORT" "$LDAP_CA_FILE")"
review_within 8 "$TOKEN"
unavailable_is ldap "black-holed ldaps:// listener (the TLS handshake is bounded too)"

# --- failover -------------------------------------------------------------
ka_restart - <<<"$(printf 'ldap:\n  urls: ["ldap://127.0.0.1:%s", "%s"]\n' "$CLOSED_PORT" "$LDAP_URL")"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "first URL refuses connections: the second answers"
# One worker: the second review meets the connection the first one made.
ka_restart - <<<"$(printf 'workers: 1\nldap:\n  urls: ["ldap://127.0.0.1:%s", "%s"]\n' "$HOLE_PORT" "$LDAP_URL")"
review_within 9 "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "first URL black-holed: the second answers (in ${took}s)"
held=$(blackhole_connections)
review "$TOKEN"
is "$(review_answer)" "authenticated as alice@example.org" "... and the next review too"
is "$(blackhole_connections)" "$held" "... without trying the black hole again: the service stays on the second URL"

# --- TLS ------------------------------------------------------------------
ka_restart - <<<"$(printf 'ldap:\n  urls: ["%s"]\n  start_tls: true\n  ca_file: %s\n' "$LDAP_URL" "$LDAP_CA_FILE")"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "StartTLS with the test CA"
ka_restart - <<<"$(printf 'ldap:\n  urls: ["%s"]\n  ca_file: %s\n' "$LDAPS_URL" "$LDAP_CA_FILE")"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "ldaps:// with the test CA"

ka_restart - <<<"$(printf 'ldap:\n  urls: ["%s"]\n  start_tls: true\n  ca_file: %s\n' "$LDAP_URL" "$PKI_DIR/other-ca.pem")"
review_within 8 "$TOKEN"
unavailable_is ldap "StartTLS, server certificate from another CA"
ka_restart - <<<"$(printf 'ldap:\n  urls: ["%s"]\n  ca_file: %s\n' "$LDAPS_URL" "$PKI_DIR/other-ca.pem")"
review_within 8 "$TOKEN"
unavailable_is ldap "ldaps://, server certificate from another CA"
grep -q "TLS: the server certificate does not verify" "$T/ka.log"
ok $? "... the log says the certificate does not verify"

grep -qF "$TOKEN" "$T/ka.log"
is "$?" 1 "no token in the log"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
