#!/usr/bin/env bash
# A worker that dies is replaced at once and the service keeps answering;
# under load, killing one worker a second costs at most one request a kill.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up - <<'YAML'
workers: 3
logging:
  level: 4
YAML
wait_workers 3
is "$(worker_count)" 3 "three workers"

before=$(worker_pids)
victim=$(pgrep -P "$KA_PID" | head -1)
kill -KILL "$victim"
eventually 50 eval '[ "$(worker_count)" = 3 ] && ! pgrep -P "$KA_PID" | grep -qx "$victim"'
ok $? "SIGKILLed worker $victim replaced"
is "$(worker_count)" 3 "still three workers"
unlike " $(worker_pids)" " $victim " "the dead pid is gone"
like "$(cat "$T/ka.log")" "killed by signal 9" "its death is logged with the signal"
ka_curl GET /healthz
is "$status" 200 "the service answers after the kill"

# Load for 6 s, a worker killed every second (5 kills).
before=$(worker_pids)
load_start 6 /healthz 8
sleep 0.5
kills=0
for _ in 1 2 3 4 5; do
	victim=$(pgrep -P "$KA_PID" | shuf -n 1)
	[ -n "$victim" ] && kill -KILL "$victim" && kills=$((kills + 1))
	sleep 1
done
load_wait
is "$kills" 5 "five workers killed under load"
ok "$([ "$LOAD_REQUESTS" -gt 100 ]; echo $?)" "load ran ($LOAD_REQUESTS requests)"
ok "$([ "$LOAD_FAILED" -le "$kills" ]; echo $?)" "at most one failed request per kill ($LOAD_FAILED failed, $kills kills)"
wait_workers 3
is "$(worker_count)" 3 "three workers after the kills"
isnt "$(worker_pids)" "$before" "workers were replaced"
ka_curl GET /healthz
is "$status" 200 "answers after the load"
is "$(kill -0 "$KA_PID"; echo $?)" 0 "the master is still running"

ka_stop
is "$?" 0 "graceful stop: exit 0"
done_testing
