#!/usr/bin/env bash
# The self-service page /ui/ in a real browser: headless Chromium driven by
# Selenium (t/lib/ui-browser.py) against the real stack — the nginx site
# serving ui/ from the source tree, the service, MariaDB and slapd. Signs
# in (a wrong password first), reads "Who am I", downloads a kubeconfig,
# creates, uses and revokes tokens, signs out, and checks each outcome
# through the admin API and the TokenReview webhook. Two more nginx
# instances from the same site file show the errors a person meets: one
# with no service behind it (503), one that rate-limits the browser's own
# address (429).
#
# Screenshots of every step: $T/screenshots, copied at exit to
# t/artifacts/7001-web-ui/ in the build tree (KA_ARTIFACTS_DIR overrides).
. "$(dirname "$0")/lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (nginx, and the service drops to nobody)"
CHROMIUM=$(command -v chromium || true)
CHROMEDRIVER=$(command -v chromedriver || true)
[ -n "$CHROMIUM" ] || skip_all "chromium not installed (Debian package chromium)"
[ -n "$CHROMEDRIVER" ] || skip_all "chromedriver not installed (Debian package chromium-driver)"
# Debian's python3-selenium is for Debian's python3: prefer it to another
# python3 earlier on PATH.
UI_PYTHON=
for py in /usr/bin/python3 python3; do
	if "$py" -c 'import selenium' 2>/dev/null; then UI_PYTHON=$py; break; fi
done
[ -n "$UI_PYTHON" ] || skip_all "python3 selenium not installed (Debian package python3-selenium)"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

# All three ways a directory records groups, as in the quick start: alice
# is in admins, developers and operators.
stack_up - <<'YAML'
ldap:
  group_methods: [member, memberUid, memberOf]
YAML

# --- what the page serves ----------------------------------------------------

CSP="default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
ka_curl GET /ui/
is "$status" 200 "GET /ui/: 200"
like "$(header content-type)" '^text/html; charset=utf-8' "... HTML in UTF-8"
is "$(header content-security-policy)" "$CSP" "... with the Content-Security-Policy"
is "$(header x-frame-options)" DENY "... X-Frame-Options: DENY"
is "$(header x-content-type-options)" nosniff "... X-Content-Type-Options: nosniff"
is "$(header referrer-policy)" no-referrer "... Referrer-Policy: no-referrer"
unlike "$body" '<script>|<style|style=| on[a-z]+=' "... no inline script, style or handler"
unlike "$body" '(src|href)="(https?:)?//' "... and nothing from another site"
for f in app.js:text/javascript app.css:text/css favicon.svg:image/svg+xml; do
	ka_curl GET "/ui/${f%%:*}"
	is "$status $(header content-type | sed 's/;.*//')|$(header content-security-policy)" \
		"200 ${f#*:}|$CSP" "GET /ui/${f%%:*}: 200 ${f#*:}, the same policy"
done
ka_curl GET /ui
is "$status $(header location)" "301 /ui/" "GET /ui: a redirect to /ui/"
ka_curl GET /ui/nothing-here
is "$status $body" '404 {"error":"not found"}' "a missing file under /ui/: the site's JSON 404"
ka_curl POST /ui/ -d x
is "$status $body" '405 {"error":"method not allowed"}' "POST /ui/: the site's JSON 405"
grep -rqiE 'x-auth-token|(local|session)Storage\.|document\.cookie' "$KA_SRCDIR/ui"
is "$?" 1 "the page's code never uses the admin token header, web storage or cookies"

# --- users and clusters ------------------------------------------------------

admin_user alice && ALICE=$user_id
admin_user bob && BOB=$user_id
like "$ALICE $BOB" '^[0-9a-f-]{36} [0-9a-f-]{36}$' "users alice and bob exist"
CA_DATA=$(base64 -w0 "$KA_CACERT")
admin_curl POST /clusters -d "{\"name\": \"prod\", \"server\": \"https://prod.example.org:6443\",
	\"certificate_authority_data\": \"$CA_DATA\"}"
is "$status" 201 "cluster prod, with its API server and CA"
admin_curl POST /clusters -d '{"name": "staging"}'
is "$status" 201 "cluster staging, with no API server on record"

# --- the extra nginx instances -------------------------------------------------

# No service behind it: what a person sees when the service is down.
DOWN_PORT=$(free_port)
nginx_server_start "$T/nginx-down" "$DOWN_PORT" "$T/run/no-service.sock" ||
	bail "could not start the nginx with no service"
# The browser's own address rate-limited, as any user's is.
LIMITED_PORT=$(free_port)
KA_NGINX_UNTRUSTED_LOOPBACK=1 nginx_server_start "$T/nginx-limited" "$LIMITED_PORT" "$KA_SOCK" ||
	bail "could not start the rate-limiting nginx"

# --- the browser ---------------------------------------------------------------

SHOTS=$T/screenshots
ARTIFACTS=${KA_ARTIFACTS_DIR:-$KA_BUILDDIR/t/artifacts}/7001-web-ui
mkdir -p "$SHOTS" "$T/downloads" "$T/chromium"
rm -rf "$ARTIFACTS"
at_exit "mkdir -p '$ARTIFACTS' && cp '$SHOTS'/*.png '$ARTIFACTS'/"

# Chromium trusts the test server's key, and nothing else it cannot verify.
SPKI=$(openssl x509 -in "$PKI_DIR/server.pem" -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)

# The script prints "ok DESCRIPTION", "not ok DESCRIPTION", "# ..." and
# "secret HEX" (a token it saw: the logs must not hold it) lines.
export UI_URL=https://localhost:$KA_NGINX_PORT UI_DOWN_URL=https://localhost:$DOWN_PORT \
	UI_LIMITED_URL=https://localhost:$LIMITED_PORT UI_SPKI=$SPKI UI_SHOTS=$SHOTS \
	UI_DOWNLOADS=$T/downloads UI_PROFILE=$T/chromium UI_CHROMIUM=$CHROMIUM \
	UI_CHROMEDRIVER=$CHROMEDRIVER UI_ALICE=$ALICE UI_BOB=$BOB KA_ADMIN_TOKEN KA_CACERT
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok }" ;;
	"not ok "*) ok 1 "${line#not ok }" ;;
	"secret "*) secret_used "${line#secret }" ;;
	"exit "*) script_exit=$line ;;
	*) echo "$line" ;;
	esac
done < <(timeout $((300 * TEST_TIME_FACTOR)) "$UI_PYTHON" "$KA_SRCDIR/t/lib/ui-browser.py" 2>"$T/ui-browser.err"; echo "exit $?")
[ "${script_exit:-}" = "exit 0" ] || sed 's/^/#   /' "$T/ui-browser.err" | tail -n 30
is "${script_exit:-}" "exit 0" "the browser script ran to its end"

n=$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)
ok "$([ "$n" -ge 10 ]; echo $?)" "$n screenshots in $SHOTS (copied to $ARTIFACTS)"

grep -q 'audit: login as alice refused: wrong password' "$T/ka.log"
ok $? "the service logged the wrong password"
grep -q 'alice-secret\|bob-secret' "$T/ka.log" "$T"/nginx*/logs/*.log
is "$?" 1 "no password in the service's or nginx's logs"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
