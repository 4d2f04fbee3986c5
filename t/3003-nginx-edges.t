#!/usr/bin/env bash
# What nginx answers itself, at the edges: every answer is JSON with the
# right 4xx (an API server retries a 500, and a script cannot read HTML),
# for malformed paths, oversized headers and URIs, odd methods and plain
# HTTP; and the rate limit follows the path the service routes, whatever
# path nginx decoded.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up

# raw REQUEST-LINE [HEADER...]: one request written as is (curl would
# normalise it); sets status and body.
raw() {
	local line=$1 h out
	shift
	{
		printf '%s\r\nHost: localhost\r\n' "$line"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Connection: close\r\n\r\n'
	} >"$T/request"
	out=$(openssl s_client -quiet -connect "127.0.0.1:$KA_NGINX_PORT" -servername localhost \
		-CAfile "$KA_CACERT" <"$T/request" 2>/dev/null | tr -d '\r')
	status=$(sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' <<<"$out")
	body=$(sed '1,/^$/d' <<<"$out")
}
# json_error STATUS DESCRIPTION: the last answer was STATUS with a JSON body
# that says something.
json_error() {
	is "$status" "$1" "$2: $1"
	is "$(jq -r 'if .kind == "Status" then .message else .error end | type' <<<"$body" 2>/dev/null)" string \
		"... as JSON ($(head -c 60 <<<"$body"))"
}

raw "GET /users/% HTTP/1.1"
json_error 400 "GET /users/%"
raw "GET /authorize/x%00 HTTP/1.1"
json_error 400 "GET /authorize/x%00"
raw "GET /../x HTTP/1.1"
json_error 400 "a raw GET /../x"
raw "TRACE /users HTTP/1.1"
json_error 405 "TRACE /users"
raw "GET /$(printf 'a%.0s' $(seq 10000)) HTTP/1.1"
json_error 414 "a 10 KB URI"
raw "GET /healthz HTTP/1.1" "X-Big: $(printf 'a%.0s' $(seq 10000))"
json_error 400 "a 10 KB header"
raw "GET /healthz HTTP/1.1" "Host: a" "Host: b"
json_error 400 "two Host headers"
code=$(curl -s -o "$T/out" -w '%{http_code}' "http://localhost:$KA_NGINX_PORT/healthz")
body=$(cat "$T/out"); status=$code
json_error 400 "plain HTTP to the HTTPS port"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/big"
ka_curl POST /users --data-binary @"$T/big"
json_error 413 "a 1.1 MB admin body (over nginx's 1m)"
raw "GET /users HTTP/1.1"
json_error 401 "a well-formed admin request without a token (the service's own answer)"
test -f "$KA_NGINX_LOGS/kubernetes-auth.error.log" &&
	! grep -q 'empty URI in redirect' "$KA_NGINX_LOGS/kubernetes-auth.error.log"
ok $? "nginx never failed an error page (no 'empty URI in redirect' in the site's error log)"

# The rate limit follows the raw path: /users/%2e%2e%2fhealthz is /healthz
# to nginx's location matching but an admin path to the service (which
# refuses the segment); from an untrusted address it is limited like any
# admin request, as limit_req counts (lib-nginx.sh; a fresh bucket).
nginx_admin_limit || bail "the site file's admin limit not found"
burst 40 /users/%2e%2e%2fhealthz --interface 127.0.0.2 -H "x-auth-token: wrong"
limited=$(burst_answered 429) passed=$((40 - limited)) most=$(nginx_limit_most "$BURST_TOOK")
ok "$([ "$passed" -ge $((NGINX_BURST + 1)) ] && [ "$passed" -le "$most" ]; echo $?)" \
	"40 /users/%2e%2e%2fhealthz at once from an untrusted address: $limited limited, $passed passed (burst + 1 to $most may)"
is "$(burst_answered 401)" 0 "... and none of them reached the admin token check ($(burst_answers))"
done_testing
