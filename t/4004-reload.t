#!/usr/bin/env bash
# SIGHUP: a broken configuration keeps the old workers serving; a good one
# replaces every worker one by one without a failed request, also ten times
# in a row; keys that need a restart are reported and kept.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up - <<'YAML'
workers: 3
logging:
  level: 4
YAML
wait_workers 3
cp "$T/config.yaml" "$T/config.good"
# More than ACCEPTED reloads were accepted and none is under way: the log's
# last "configuration accepted" has a "reload complete" after it (a SIGHUP
# during a reload joins it, and one "reload complete" ends both).
reloads_done() {   # reloads_done ACCEPTED
	[ "$(grep -c 'reload: configuration accepted' "$T/ka.log")" -gt "$1" ] &&
		grep -E 'reload: configuration accepted|reload complete' "$T/ka.log" | tail -n 1 |
		grep -q 'reload complete'
}
accepted() { grep -c 'reload: configuration accepted' "$T/ka.log"; }

# A broken file: logged, nothing replaced, still serving.
before=$(worker_pids)
printf 'workers: lots\n' >>"$T/config.yaml"
kill -HUP "$KA_PID"
eventually 50 grep -q "still serving with the running configuration" "$T/ka.log"
ok $? "broken config: the reload is refused in the log"
like "$(cat "$T/ka.log")" "config.yaml:[0-9]+: workers: " "... naming file, line and key"
sleep 0.5
is "$(worker_pids)" "$before" "broken config: the same workers keep running"
ka_curl GET /healthz
is "$status" 200 "broken config: still serving"

# A good file under load: every worker replaced, no failed request.
cp "$T/config.good" "$T/config.yaml"
load_start 4 /healthz 8
sleep 1
kill -HUP "$KA_PID"
eventually 100 grep -q "reload complete" "$T/ka.log"
ok $? "reload completed"
load_wait
is "$LOAD_FAILED" 0 "reload under load: 0 failed requests ($LOAD_REQUESTS served)"
after=$(worker_pids)
is "$(worker_count)" 3 "three workers after the reload"
common=$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort) | grep -c .)
is "$common" 0 "every worker pid was replaced"
diag "$(grep -o 'reload complete.*' "$T/ka.log" | tail -1)"

# Ten in a row under load.
load_start 6 /healthz 8
sleep 0.5
n=$(accepted)
for _ in $(seq 10); do
	kill -HUP "$KA_PID"
	sleep 0.2
done
load_wait
is "$LOAD_FAILED" 0 "10 SIGHUPs in a row under load: 0 failed ($LOAD_REQUESTS served)"
eventually 100 reloads_done "$n"
ok $? "... and they complete"
wait_workers 3
is "$(worker_count)" 3 "three workers after ten reloads"
ka_curl GET /healthz
is "$status" 200 "serving after ten reloads"

# A changed worker count applies; a changed socket or user does not.
sed -i 's/^workers: .*/workers: 2/; s|^listen: .*|listen: /tmp/elsewhere.sock|; s/^user: .*/user: daemon/' "$T/config.yaml"
n=$(accepted)
kill -HUP "$KA_PID"
eventually 100 reloads_done "$n"
ok $? "a reload with workers: 2, another listen and another user completes"
wait_workers 2
is "$(worker_count)" 2 "workers: 2 applies on reload"
like "$(cat "$T/ka.log")" 'listen changed .* needs a restart' "a changed listen is reported"
like "$(cat "$T/ka.log")" 'user changed .* needs a restart' "a changed user is reported"
ok "$(test -S "$KA_SOCK" && test ! -e /tmp/elsewhere.sock; echo $?)" "the socket stays where it was"
for pid in $(pgrep -P "$KA_PID"); do
	is "$(stat -c %U "/proc/$pid")" nobody "worker $pid still runs as nobody"
done
ka_curl GET /healthz
is "$status" 200 "serving after the partial reload"

ka_stop
is "$?" 0 "graceful stop after reloads"
done_testing
