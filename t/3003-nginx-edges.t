#!/usr/bin/env bash
# What nginx answers itself, at the edges: every answer is JSON with the
# right 4xx (an API server retries a 500, and a script cannot read HTML),
# for malformed paths, oversized headers and URIs, odd methods and plain
# HTTP; and the rate limit follows the path the service routes, whatever
# path nginx decoded.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup
ka_config
nginx_setup
ka_start || bail "kubernetes-auth did not start"

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
no_500=$(grep -c 'empty URI in redirect' "$KA_NGINX_LOGS/kubernetes-auth.error.log" 2>/dev/null)
is "${no_500:-0}" 0 "nginx never failed an error page (no 'empty URI in redirect')"

# The rate limit follows the raw path: /users/%2e%2e%2fhealthz is /healthz
# to nginx's location matching but an admin path to the service (which
# refuses the segment); from an untrusted address it is limited like any
# admin request. A parallel burst of 40 against burst=10 and 5 r/s: at
# most 10 + 5 * (the burst's duration) + 1 get through.
start=$EPOCHREALTIME
for _ in $(seq 40); do
	curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.2 --cacert "$KA_CACERT" \
		-H "x-auth-token: wrong" "$KA_URL/users/%2e%2e%2fhealthz" &
done >"$T/codes"
wait
secs=$(elapsed "$start")
limited=$(grep -c '^429$' "$T/codes")
passed=$((40 - limited))
allowed=$(python3 -c "import math; print(10 + math.ceil(5 * $secs) + 1)")
ok "$([ "$passed" -le "$allowed" ]; echo $?)" \
	"40 parallel /users/%2e%2e%2fhealthz from an untrusted address: $limited limited, $passed passed (at most $allowed may)"
unlike "$(sort -u "$T/codes" | tr '\n' ' ')" '401' "... and none of them reached the admin token check"
done_testing
