#!/usr/bin/env bash
# GET /metrics: counters aggregated over every worker (deltas after known
# traffic), the metrics bearer token (never the admin token), nginx's allow
# list; and nginx's rate limit on the admin paths for untrusted addresses.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up - <<'YAML'
workers: 3
YAML
wait_workers 3

# metric NAME-AND-LABELS: its value in the last scrape (0 when absent).
scrape() { ka_curl GET /metrics "$@"; scraped=$body; }
# Label values may hold spaces: the value is the last field.
metric() {
	awk -v k="$1" '{ key = substr($0, 1, length($0) - length($NF) - 1) }
		key == k { v = $NF } END { print v + 0 }' <<<"$scraped"
}

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
is "$(( $(metric 'kubernetes_auth_backend_errors_total{backend="database"}') ))" 0 "no database errors"

# Decisions: a known sequence of reviews, then the exact delta of every
# outcome (a counter that is never incremented reads 0 and fails here).
authn_metric() { metric "kubernetes_auth_authentications_total{reason=\"$1\"}"; }
authz_metric() { metric "kubernetes_auth_authorizations_total{decision=\"$1\"}"; }
AUTHN_REASONS=("authenticated" "No token found" "token not found" "token expired"
	"token revoked" "token not valid for this cluster" "user not found in directory"
	"user matches several directory entries" "user not allowed" "unavailable" "other")
AUTHZ_DECISIONS=(allowed denied no-opinion error)
declare -A before
snapshot() {
	local k
	scrape
	for k in "${AUTHN_REASONS[@]}"; do before["authn $k"]=$(authn_metric "$k"); done
	for k in "${AUTHZ_DECISIONS[@]}"; do before["authz $k"]=$(authz_metric "$k"); done
	before[ldap]=$(metric 'kubernetes_auth_backend_errors_total{backend="ldap"}')
}
# expect_deltas "REASON=N"... : every outcome not named must not move.
expect_deltas() {
	local -A want=()
	local kv k got
	for kv in "$@"; do want[${kv%=*}]=${kv##*=}; done
	scrape
	for k in "${AUTHN_REASONS[@]}"; do
		got=$(( $(authn_metric "$k") - ${before["authn $k"]} ))
		is "$got" "${want["authn $k"]:-0}" "authentications_total{reason=\"$k\"} moved by ${want["authn $k"]:-0}"
	done
	for k in "${AUTHZ_DECISIONS[@]}"; do
		got=$(( $(authz_metric "$k") - ${before["authz $k"]} ))
		is "$got" "${want["authz $k"]:-0}" "authorizations_total{decision=\"$k\"} moved by ${want["authz $k"]:-0}"
	done
	got=$(( $(metric 'kubernetes_auth_backend_errors_total{backend="ldap"}') - ${before[ldap]} ))
	is "$got" "${want[ldap]:-0}" "backend_errors_total{backend=\"ldap\"} moved by ${want[ldap]:-0}"
}
tokenreview() { ka_curl POST /authenticate/token -d "{\"spec\": {\"token\": \"$1\"}}"; }

admin_curl POST /users -d '{"username": "alice"}'
alice=$(jq -r .id <<<"$body")
admin_curl POST /tokens -d "{\"user_id\": \"$alice\"}"
good=$(jq -r .token <<<"$body")
admin_curl POST /tokens -d "{\"user_id\": \"$alice\"}"
revoked=$(jq -r .token <<<"$body")
admin_curl DELETE "/tokens/$(jq -r .id <<<"$body")"
admin_curl POST /policies -d '{"name": "admins-read", "groups": ["admins"], "verbs": ["get"],
	"apiGroups": [""], "resources": ["pods"], "effect": "allow"}'
admin_curl POST /policies -d '{"name": "no-delete", "users": ["bob"], "verbs": ["delete"],
	"apiGroups": [""], "resources": ["pods"], "effect": "deny"}'
sar() {   # sar USER GROUP VERB
	ka_curl POST /authorize -d "{\"apiVersion\": \"authorization.k8s.io/v1\",
		\"kind\": \"SubjectAccessReview\", \"spec\": {\"user\": \"$1\", \"groups\": [\"$2\"],
		\"resourceAttributes\": {\"namespace\": \"default\", \"verb\": \"$3\", \"resource\": \"pods\"}}}"
}

# metric reads a series that is not there as 0: a zero delta below says
# something only because every series it looks at is in the scrape.
scrape
missing=
for k in "${AUTHN_REASONS[@]}"; do
	grep -qF "kubernetes_auth_authentications_total{reason=\"$k\"} " <<<"$scraped" || missing+="reason=$k "
done
for k in "${AUTHZ_DECISIONS[@]}"; do
	grep -qF "kubernetes_auth_authorizations_total{decision=\"$k\"} " <<<"$scraped" || missing+="decision=$k "
done
for k in database ldap; do
	grep -qF "kubernetes_auth_backend_errors_total{backend=\"$k\"} " <<<"$scraped" || missing+="backend=$k "
done
is "$missing" "" "every outcome's series is in the scrape, at 0 too"

snapshot
for _ in 1 2 3; do tokenreview "$(random_hex 32)"; done
is "$(jq -r .status.error <<<"$body")" "token not found" "an unknown token: token not found"
tokenreview ""
tokenreview "$good"
is "$(jq -r .status.authenticated <<<"$body")" true "alice's token authenticates"
tokenreview "$revoked"
ka_curl POST /authenticate/token -d '{"spec": '
is "$status" 400 "a malformed TokenReview: 400"
ka_curl POST /authenticate/token/no-such-cluster -d '{"spec": {"token": "x"}}'
is "$status" 404 "an unknown cluster: 404"
eventually 50 eval 'sar alice admins get; [ "$(jq -r .status.allowed <<<"$body")" = true ]'
snapshot   # the retries above must not count below
sar alice admins get
sar bob developers delete
is "$(jq -r .status.denied <<<"$body")" true "bob may not delete pods"
sar carol developers get
sar carol developers list
ka_curl POST /authorize -d '[]'
is "$status" 400 "a SubjectAccessReview that is no object: 400"
for _ in 1 2 3; do tokenreview "$(random_hex 32)"; done
tokenreview ""
tokenreview "$good"
tokenreview "$revoked"
ka_curl POST /authenticate/token -d '{"spec": '
ka_curl POST /authenticate/token/no-such-cluster -d '{"spec": {"token": "x"}}'
expect_deltas "authn token not found=3" "authn No token found=1" "authn authenticated=1" \
	"authn token revoked=1" "authn other=2" \
	"authz allowed=1" "authz denied=1" "authz no-opinion=2" "authz error=1"

diag "$(grep -E '^kubernetes_auth_(requests_total|worker)' <<<"$scraped" | head -8)"

# From an address outside nginx's allow list: 403 JSON from nginx.
code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o "$T/out" -w '%{http_code}' "$KA_URL/metrics")
is "$code" 403 "/metrics from 127.0.0.2: 403 (nginx allow list)"
is "$(jq -r .error "$T/out")" forbidden "... as JSON"

# Rate limit: an untrusted address is limited on the admin paths, a trusted
# one is not, and the webhooks never are; as limit_req counts (lib-nginx.sh:
# a fresh bucket, and 127.0.0.2 has not asked for an admin path yet).
nginx_admin_limit
ok $? "the site limits the admin paths to $NGINX_RATE r/s, burst $NGINX_BURST, nodelay"
N=200
burst "$N" /users --interface 127.0.0.2 -H "x-auth-token: $KA_ADMIN_TOKEN"
through=$(burst_answered 200) limited=$(burst_answered 429) most=$(nginx_limit_most "$BURST_TOOK")
is "$((through + limited))" "$N" "$N admin requests at once from 127.0.0.2: each answered 200 or 429 ($(burst_answers))"
ok "$([ "$through" -ge $((NGINX_BURST + 1)) ]; echo $?)" "... the first $((NGINX_BURST + 1)) (burst + 1) go through ($through did)"
ok "$([ "$through" -le "$most" ]; echo $?)" \
	"... at most $most in ${BURST_TOOK}s (burst + 1 + rate x (t + 1)): the other $((N - through)) answered 429"
is "$(jq -r .error "$(grep -m1 '^429 ' "$T/burst.codes" | cut -d' ' -f2-)" 2>/dev/null)" "too many requests" \
	"the 429 is JSON"
# Its wait, from the next refused request (at most 40 tries).
for _ in $(seq 40); do
	code=$(curl -sS --interface 127.0.0.2 --cacert "$KA_CACERT" -o /dev/null -D "$T/429.h" \
		-w '%{http_code}' -H "x-auth-token: $KA_ADMIN_TOKEN" "$KA_URL/users")
	[ "$code" = 429 ] && break
done
is "$code $(grep -i '^retry-after:' "$T/429.h" | tr -d '\r' | tr A-Z a-z)" "429 retry-after: 1" \
	"... and says when to try again"
burst "$N" /users -H "x-auth-token: $KA_ADMIN_TOKEN"
is "$(burst_answers)" "$N 200" "$N admin requests at once from 127.0.0.1 (trusted): none limited"
burst "$N" /healthz --interface 127.0.0.2
is "$(burst_answers)" "$N 200" "$N /healthz requests at once from 127.0.0.2: none limited"

# LDAP that cannot be reached: each review is one failed call to the
# directory (counted as a backend error) and answers 503 ("unavailable").
ka_stop
ka_config - <<YAML
workers: 1
ldap:
  urls: ["ldap://127.0.0.1:$(free_port)"]
YAML
ka_start || bail "restart without LDAP failed"
wait_workers 1
snapshot
tokenreview "$good"
is "$status" 503 "LDAP down: 503"
tokenreview "$good"
expect_deltas "authn unavailable=2" "ldap=2"

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
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
