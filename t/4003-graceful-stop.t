#!/usr/bin/env bash
# SIGTERM: workers stop accepting, finish the request in hand, exit 0;
# nothing is left running and the socket file is removed. Stragglers are
# killed after shutdown_timeout.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

# An LDAP "server" that accepts connections and never answers: a /healthz
# request then stays in its worker for ldap.timeout (3 s) — a slow request
# in hand, finished with the service's own answer.
blackhole_start
blackhole_port=$BLACKHOLE_PORT

stack_up - <<YAML
workers: 2
shutdown_timeout: 20s
ldap:
  urls: [ "ldap://127.0.0.1:$blackhole_port" ]
  network_timeout: 3s
  timeout: 3s
YAML
wait_workers 2
workers=$(pgrep -P "$KA_PID")

( ka_curl GET /healthz; echo "$status $body" >"$T/slow.out" ) &
slow=$!
sleep 1      # the request is now inside a worker, waiting on LDAP
kill -TERM "$KA_PID"
wait "$slow"
read -r slow_status slow_body <"$T/slow.out"
is "$slow_status" 503 "the request in hand completed"
like "$slow_body" '"database":"ok"' "... with the worker's own answer (not nginx's)"
stop_daemon "$KA_PID" TERM 200
is "$?" 0 "the master exits 0"
KA_PID=
for pid in $workers; do
	ok "$(kill -0 "$pid" 2>/dev/null; [ $? -ne 0 ]; echo $?)" "worker $pid is gone"
done
ok "$(test ! -e "$KA_SOCK"; echo $?)" "the socket file is removed"
like "$(cat "$T/ka.log")" "stopping 2 workers" "the stop is logged"
like "$(cat "$T/ka.log")" "stopped" "... and its end"

# SIGTERM during a steady load of quick requests: every request that got a
# connection gets a full answer.
ka_config - <<'YAML'
workers: 2
YAML
ka_start || bail "restart failed"
wait_workers 2
workers=$(pgrep -P "$KA_PID")
# Through the service: a fixed number of sequential requests, TERM midway.
( for i in $(seq 200); do
	code=$(curl -sS --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}' "$KA_URL/healthz")
	echo "$code"
done >"$T/codes" ) &
client=$!
sleep 0.5
kill -TERM "$KA_PID"
stop_daemon "$KA_PID" TERM 200
is "$?" 0 "SIGTERM under requests: the master exits 0"
KA_PID=
wait "$client"
# After the stop nginx answers 503 itself; before it, 200. A 200 must
# never be cut: nginx would log "upstream prematurely closed".
test -f "$KA_NGINX_LOGS/kubernetes-auth.error.log" &&
	! grep -q 'prematurely closed' "$KA_NGINX_LOGS/kubernetes-auth.error.log"
ok $? "no request was cut off (the site's error log shows no truncated answer)"
is "$(wc -l <"$T/codes")" 200 "every one of the 200 requests was answered"
like "$(sort -u "$T/codes" | tr '\n' ' ')" '^(200 )?(503 )?$' "... 200 until the stop, then nginx's JSON 503"
for pid in $workers; do
	ok "$(kill -0 "$pid" 2>/dev/null; [ $? -ne 0 ]; echo $?)" "worker $pid is gone"
done

# A worker that does not finish in time is killed after shutdown_timeout.
ka_config - <<YAML
workers: 1
shutdown_timeout: 1s
request_timeout: 30s
ldap:
  urls: [ "ldap://127.0.0.1:$blackhole_port" ]
  network_timeout: 10s
  timeout: 10s
YAML
ka_start || bail "restart failed"
wait_workers 1
( ka_curl GET /healthz ) &
straggler=$!
sleep 1
kill -TERM "$KA_PID"
stop_daemon "$KA_PID" TERM 100
is "$?" 1 "a straggler killed after shutdown_timeout: exit status 1"
KA_PID=
like "$(cat "$T/ka.log")" "still busy after shutdown_timeout" "the kill is logged"
wait "$straggler"
# The stops above are stop_daemon's, which reads no log.
! ka_sanitizer_report
ok $? "no sanitizer report in the service's log"
done_testing
