#!/usr/bin/env bash
# GET /metrics: counters aggregated over every worker (deltas after known
# traffic), the metrics bearer token (never the admin token), nginx's allow
# list; and nginx's rate limit on the admin paths for untrusted addresses.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

mariadb_setup
slapd_setup
ka_config - <<'YAML'
workers: 3
YAML
nginx_setup
ka_start || bail "kubernetes-auth did not start"
eventually 50 test "$(worker_count)" = 3

# metric NAME-AND-LABELS: its value in the last scrape (0 when absent).
scrape() { ka_curl GET /metrics "$@"; scraped=$body; }
metric() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' <<<"$scraped"; }

scrape
is "$status" 200 "GET /metrics: 200"
like "$(header content-type)" '^text/plain; version=0.0.4' "Prometheus text format"
like "$scraped" 'kubernetes_auth_build_info\{version="[0-9.]+"\} 1' "build info"
h0=$(metric 'kubernetes_auth_requests_total{method="GET",route="/healthz",status="200"}')
n0=$(metric 'kubernetes_auth_requests_total{method="GET",route="/users/{}",status="404"}')
m0=$(metric 'kubernetes_auth_requests_total{method="",route="unmatched",status="405"}')
c0=$(metric 'kubernetes_auth_request_duration_seconds_count{method="GET",route="/healthz"}')
s0=$(metric 'kubernetes_auth_worker_starts_total')
d0=$(metric 'kubernetes_auth_worker_deaths_total')
x0=$(metric 'kubernetes_auth_worker_crashes_total')
is "$s0" 3 "three worker starts so far"

for _ in $(seq 20); do ka_curl GET /healthz; done
for _ in $(seq 3); do admin_curl GET /users/00000000-0000-4000-8000-000000000000; done
for _ in $(seq 2); do ka_curl POST /healthz -d '{}'; done
victim=$(pgrep -P "$KA_PID" | head -1)
kill -KILL "$victim"
eventually 50 eval '[ "$(worker_count)" = 3 ] && ! pgrep -P "$KA_PID" | grep -qx "$victim"'

scrape
is "$(( $(metric 'kubernetes_auth_requests_total{method="GET",route="/healthz",status="200"}') - h0 ))" 20 \
	"20 healthz requests counted, across all workers"
is "$(( $(metric 'kubernetes_auth_requests_total{method="GET",route="/users/{}",status="404"}') - n0 ))" 3 \
	"3 404s on /users/{} counted"
is "$(( $(metric 'kubernetes_auth_requests_total{method="",route="unmatched",status="405"}') - m0 ))" 2 \
	"2 405s counted as unmatched"
is "$(( $(metric 'kubernetes_auth_request_duration_seconds_count{method="GET",route="/healthz"}') - c0 ))" 20 \
	"the latency histogram counted 20 healthz requests"
inf=$(metric 'kubernetes_auth_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}')
cnt=$(metric 'kubernetes_auth_request_duration_seconds_count{method="GET",route="/healthz"}')
is "$inf" "$cnt" "the +Inf bucket equals the count"
is "$(( $(metric 'kubernetes_auth_worker_starts_total') - s0 ))" 1 "the replacement worker's start is counted"
is "$(( $(metric 'kubernetes_auth_worker_deaths_total') - d0 ))" 1 "the death is counted"
is "$(( $(metric 'kubernetes_auth_worker_crashes_total') - x0 ))" 1 "... as a crash"
like "$scraped" 'kubernetes_auth_authentications_total\{reason="authenticated"\} [0-9]+' "authentication counters by reason"
like "$scraped" 'kubernetes_auth_authorizations_total\{decision="denied"\} [0-9]+' "authorization counters by decision"
like "$scraped" 'kubernetes_auth_backend_errors_total\{backend="database"\} 0' "no database errors"
diag "$(grep -E '^kubernetes_auth_(requests_total|worker)' <<<"$scraped" | head -8)"

# From an address outside nginx's allow list: 403 JSON from nginx.
code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o "$T/out" -w '%{http_code}' "$KA_URL/metrics")
is "$code" 403 "/metrics from 127.0.0.2: 403 (nginx allow list)"
is "$(jq -r .error "$T/out")" forbidden "... as JSON"

# Rate limit: an untrusted address is limited on the admin paths, a trusted
# one is not, and the webhooks never are.
limited=0
for _ in $(seq 40); do
	code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o "$T/out" -w '%{http_code}' \
		-H "x-auth-token: $KA_ADMIN_TOKEN" "$KA_URL/users")
	[ "$code" = 429 ] && limited=$((limited + 1)) && cp "$T/out" "$T/429"
done
ok "$([ "$limited" -gt 0 ]; echo $?)" "40 quick admin requests from 127.0.0.2: $limited answered 429"
is "$(jq -r .error "$T/429" 2>/dev/null)" "too many requests" "the 429 is JSON"
trusted_limited=0
for _ in $(seq 40); do
	admin_curl GET /users
	[ "$status" = 429 ] && trusted_limited=$((trusted_limited + 1))
done
is "$trusted_limited" 0 "40 quick admin requests from 127.0.0.1 (trusted): none limited"
webhook_limited=0
for _ in $(seq 40); do
	code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}' "$KA_URL/healthz")
	[ "$code" = 429 ] && webhook_limited=$((webhook_limited + 1))
done
is "$webhook_limited" 0 "40 quick /healthz requests from 127.0.0.2: none limited"

# With metrics_token_file: the bearer token and nothing else.
ka_stop
metrics_token=$(random_hex 32)
secret_file "$T/metrics.token" "$metrics_token"
ka_config - <<YAML
metrics_token_file: $T/metrics.token
YAML
ka_start || bail "restart failed"
scrape
is "$status" 401 "metrics token set: no token, 401"
is "$(jq -r .error <<<"$body")" "missing or invalid bearer token for /metrics" "... JSON error"
scrape -H "x-auth-token: $KA_ADMIN_TOKEN"
is "$status" 401 "the admin token as x-auth-token: 401"
scrape -H "Authorization: Bearer $KA_ADMIN_TOKEN"
is "$status" 401 "the admin token as bearer: 401"
scrape -H "Authorization: Bearer ${metrics_token}x"
is "$status" 401 "a wrong bearer token: 401"
scrape -H "Authorization: Bearer $metrics_token"
is "$status" 200 "the metrics token: 200"
unlike "$(cat "$T/ka.log")" "$metrics_token" "the metrics token is not logged"
done_testing
