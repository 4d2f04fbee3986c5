#!/usr/bin/env bash
# GET /healthz through nginx: 200 with both backends up, 503 naming the one
# that is down, 200 again once it is back. Also what nginx answers itself.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

# Both are stopped below: private servers.
stack_up --private-db --private-ldap

# Poll /healthz until it answers WANT (the service caches the answer for a
# second; a worker reconnects on its next check).
healthz_becomes() {   # healthz_becomes WANT TENTHS
	local _
	for _ in $(seq "$(scaled "$2")"); do
		ka_curl GET /healthz
		[ "$status" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

ka_curl GET /healthz
is "$status" 200 "GET /healthz: 200 with MariaDB and slapd up"
like "$(header content-type)" '^application/json' "... as JSON"
is "$(jq -r .status <<<"$body")" ok "... status ok"

ka_curl HEAD /healthz
is "$status" 200 "HEAD /healthz: 200"

ka_curl GET /nope
is "$status" 404 "GET /nope: 404 from nginx"
like "$(header content-type)" '^application/json' "... as JSON"
is "$(jq -r .error <<<"$body")" "not found" "... with an error"

admin_curl GET /users/nope
is "$status" 404 "GET /users/nope: 404 from the service"
like "$(header content-type)" '^application/json' "... as JSON"
like "$(body_error)" . "... with an error"

ka_curl POST /healthz -d '{}'
is "$status" 405 "POST /healthz: 405"
like "$(header allow)" 'GET' "... Allow names GET"
like "$(header content-type)" '^application/json' "... as JSON"

mariadb_stop_private
healthz_becomes 503 50
is "$status" 503 "MariaDB stopped: 503"
like "$(header content-type)" '^application/json' "... as JSON"
like "$body" 'database' "... naming the database"
mariadb_start_private || bail "MariaDB did not restart"
healthz_becomes 200 150
is "$status" 200 "MariaDB back: 200"

slapd_stop_private
healthz_becomes 503 50
is "$status" 503 "slapd stopped: 503"
like "$body" 'ldap' "... naming LDAP"
slapd_start_private || bail "slapd did not restart"
healthz_becomes 200 150
is "$status" 200 "slapd back: 200"

ka_stop
ok $? "SIGTERM: kubernetes-auth stops cleanly"
test ! -e "$KA_SOCK"
ok $? "... and removes its socket"
ka_curl GET /healthz
is "$status" 503 "service gone: nginx answers 503"
is "$(jq -r .error <<<"$body")" "service unavailable" "... as JSON"
# On the webhook paths nginx's own answers are Kubernetes Status objects,
# like the service's (the API server logs only a Status's message).
ka_curl POST /authenticate/token -d '{"spec": {"token": "x"}}'
is "$status" 503 "service gone: a TokenReview gets 503 from nginx"
is "$(jq -c . <<<"$body")" '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"service unavailable","reason":"ServiceUnavailable","code":503}' \
	"... as a Status"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/big.json"
ka_curl POST /authorize/prod --data-binary "@$T/big.json"
is "$status" 413 "a 1.1 MB SubjectAccessReview: 413 from nginx"
is "$(jq -r '[.kind, .reason, .code] | join(" ")' <<<"$body")" "Status RequestEntityTooLarge 413" "... as a Status"

done_testing
