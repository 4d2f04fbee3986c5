#!/usr/bin/env bash
# A worker inside one request for longer than request_timeout is killed and
# replaced; its caller gets nginx's JSON 503; other workers keep serving.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

# An LDAP listener that accepts and never answers.
blackhole_start

stack_up - <<YAML
workers: 2
request_timeout: 1s
ldap:
  urls: [ "ldap://127.0.0.1:$BLACKHOLE_PORT" ]
  network_timeout: 30s
  timeout: 30s
YAML
wait_workers 2
before=$(worker_pids)

( ka_curl GET /healthz; echo "$status $body" >"$T/stuck.out" ) &
stuck=$!
sleep 0.3
# Meanwhile the other worker answers.
ka_curl GET /users/x
like "$status" '^(401|404)$' "another worker answers while one is stuck ($status)"
wait "$stuck"
read -r stuck_status stuck_body <"$T/stuck.out"
is "$stuck_status" 503 "the stuck request's caller gets 503"
is "$stuck_body" '{"error":"service unavailable"}' "... nginx's JSON"
like "$(cat "$T/ka.log")" "stuck in one request for [0-9]+ ms .*killing it" "the kill is logged"
like "$(cat "$T/ka.log")" "killed by signal 9" "the worker died by SIGKILL"
wait_workers 2
is "$(worker_count)" 2 "the killed worker was replaced"
isnt "$(worker_pids)" "$before" "with a new pid"
is "$(kill -0 "$KA_PID"; echo $?)" 0 "the master runs on"
ka_stop
is "$?" 0 "graceful stop"
done_testing
