#!/usr/bin/env bash
# max_requests: a worker leaves after that many requests, between requests,
# and is replaced; no request fails. 0 = never.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up - <<'YAML'
workers: 2
max_requests: 5
YAML
wait_workers 2
before=$(worker_pids)

codes=$(for _ in $(seq 30); do
	curl -sS --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}\n' "$KA_URL/healthz"
done | sort | uniq -c | xargs)
is "$codes" "30 200" "30 requests across recycling: all 200"
recycled=$(grep -c "recycling after 5 requests" "$T/ka.log")
exits=$(grep -cE "exited after [0-9]+ ms and 5 requests" "$T/ka.log")
ok "$([ "$((recycled + exits))" -ge 1 ] || [ "$(worker_pids)" != "$before" ]; echo $?)" "workers were recycled"
ok "$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(worker_pids | tr ' ' '\n' | sort) | grep -q .; [ $? -ne 0 ]; echo $?)" \
	"none of the first workers is left after 30 requests"
wait_workers 2
is "$(worker_count)" 2 "two workers"
unlike "$(cat "$T/ka.log")" "died before serving" "recycling is not taken for a crash"

load_start 3 /healthz 8
load_wait
is "$LOAD_FAILED" 0 "load with max_requests 5: 0 failed ($LOAD_REQUESTS served)"

ka_stop
ka_config - <<'YAML'
workers: 1
max_requests: 0
YAML
ka_start || bail "restart failed"
wait_workers 1
pid=$(worker_pids)
for _ in $(seq 50); do ka_curl GET /healthz; done
is "$(worker_pids)" "$pid" "max_requests 0: the same worker after 50 requests"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
