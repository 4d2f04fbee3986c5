#!/usr/bin/env bash
# Workers' caches: a rule changed through the API is seen by every worker
# within authorization.refresh; decisions run no query; MariaDB stopped:
# the cached rules keep answering (and the admin API says 503); MariaDB
# back: changes flow again; a service that started with MariaDB down
# answers no opinion with an evaluationError until the rules load.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

REFRESH=2
stack_up --private-db - <<YAML
workers: 3
logging:
  level: 4
authorization:
  refresh: ${REFRESH}s
YAML
wait_workers 3

admin_curl POST /clusters -d '{"name": "prod"}'
sar_body authorization.k8s.io/v1 alice '["team"]' url get /x >"$T/sar.json"

# burst_sar N: N SubjectAccessReviews at once (so that every worker gets
# some); leaves the answers' verdicts in $T/burst.out, one a line.
burst_sar() {
	burst "$1" "/authorize/prod?timeout=30s" -H 'Content-Type: application/json' \
		--data-binary "@$T/sar.json"
	cat "$T"/burst/* |
		jq -r 'if .status.allowed then "allowed" elif .status.denied then "denied" else "no-opinion" end' \
		>"$T/burst.out" 2>/dev/null
}
# The workers that logged VERDICT for alice since log line FROM, sorted
# as worker_pids sorts them.
workers_saying() {   # workers_saying FROM VERDICT
	tail -n +"$1" "$T/ka.log" | grep "audit: authorize user alice cluster prod: $2" |
		sed -n 's/.*\[\([0-9]*\)\].*/\1/p' | sort -n -u | tr '\n' ' '
}
all_workers() { worker_pids; }
# until_all FROM VERDICT TENTHS: burst until every worker has said VERDICT.
until_all() {
	local from=$1 verdict=$2 n _ 
	n=$(scaled "$3")
	for _ in $(seq $((n / 2))); do
		burst_sar 24
		[ "$(workers_saying "$from" "$verdict")" = "$(all_workers)" ] && return 0
		sleep 0.2
	done
	return 1
}
logpos() { echo $(($(wc -l <"$T/ka.log") + 1)); }

policy_post '{"name":"alice-x","users":["alice"],"verbs":["get"],"nonResourceURLs":["/x"],"effect":"allow"}'
is "$status" 201 "rule stored"
from=$(logpos)
until_all "$from" "allowed by policy alice-x" 100
ok $? "every worker allows alice (3 workers: $(workers_saying "$from" "allowed by policy alice-x"))"

# Decisions run no query: the server's counter of statements does not move
# across a burst (the generation is looked at once per refresh at most).
q0=$(db_sql "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'" | cut -f2)
burst_sar 60
q1=$(db_sql "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'" | cut -f2)
is "$(grep -c allowed "$T/burst.out")" 60 "60 decisions answered from the cache"
ok "$([ $((q1 - q0)) -le 6 ]; echo $?)" "... with $((q1 - q0)) statements (at most one generation look per worker and refresh)"

# Change the rule through the API: every worker follows within refresh.
from=$(logpos)
admin_curl PUT /policies/alice-x -d '{"name":"alice-x","users":["alice"],"verbs":["get"],"nonResourceURLs":["/x"],"effect":"deny"}'
is "$status" 200 "rule changed to deny"
started=$EPOCHREALTIME
until_all "$from" "denied by policy alice-x" $((REFRESH * 10 + 30))
ok $? "every worker denies within refresh (${REFRESH}s) + slack: $(elapsed "$started") s"
took=$(elapsed "$started")
ok "$(awk -v t="$took" -v b="$((REFRESH * TEST_TIME_FACTOR + 2))" 'BEGIN { exit !(t <= b) }'; echo $?)" \
	"... $took s <= refresh x TEST_TIME_FACTOR + 2 s"

# MariaDB stopped: the cache answers, the admin API says 503.
mariadb_stop_private
ok $? "MariaDB stopped"
sleep "$REFRESH"
bad=0 total=0
deadline=$((SECONDS + REFRESH * 2 + 1))
while [ "$SECONDS" -lt "$deadline" ]; do
	sar_post /authorize/prod "$T/sar.json"
	total=$((total + 1))
	[ "$(sar_problem authorization.k8s.io/v1)$(sar_verdict)$(jq -r '.status.evaluationError // ""' <<<"$body")" = denied ] ||
		{ bad=$((bad + 1)); diag "$status $body"; }
done
is "$bad" 0 "MariaDB down for $((REFRESH * 2 + 1)) s: $total answers, all from the cached rules"
burst_sar 24
is "$(sort "$T/burst.out" | uniq -c | xargs)" "24 denied" "... every worker, at once"
admin_curl POST /policies -d '{"name":"later","users":["x"],"verbs":["get"],"nonResourceURLs":["/y"],"effect":"allow"}'
is "$status:$(jq -r .error <<<"$body")" "503:database unavailable" "the admin API: 503 JSON"
admin_curl GET /policies
is "$status" 503 "GET /policies: 503"
sar_body authorization.k8s.io/v1 alice '["team"]' url get /x >"$T/other.json"
sar_post /authorize/not-cached "$T/other.json"
is "$status:$(sar_verdict):$(jq -r .status.evaluationError <<<"$body")" \
	"200:no-opinion:the cluster could not be checked: database unavailable" \
	"a cluster the cache does not know: no opinion with an evaluationError"

# Back: changes flow again.
mariadb_start_private
ok $? "MariaDB started again"
from=$(logpos)
admin_curl DELETE /policies/alice-x
eventually 50 eval 'admin_curl DELETE /policies/alice-x; [ "$status" = 404 ]'
ok $? "the rule deleted once MariaDB answers"
until_all "$from" "no-opinion" $((REFRESH * 10 + 50))
ok $? "every worker follows: no opinion"

# Started with MariaDB down: no rules loaded yet.
ka_stop
mariadb_stop_private
ka_config - <<YAML
workers: 3
logging:
  level: 4
authorization:
  refresh: ${REFRESH}s
  default: deny
database:
  migrate_on_start: false
YAML
ka_start || bail "kubernetes-auth did not start without MariaDB"
sar_post /authorize "$T/sar.json"
is "$(sar_problem authorization.k8s.io/v1):$(sar_verdict):$(jq -r .status.evaluationError <<<"$body")" \
	":no-opinion:authorization rules are not loaded" \
	"never loaded: no opinion with an evaluationError, even with default: deny"
mariadb_start_private
db_sql "INSERT INTO policies (name, cluster_id, rule, created_at, updated_at) VALUES ('alice-x', NULL, '{\"name\":\"alice-x\",\"users\":[\"alice\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/x\"],\"effect\":\"allow\"}', NOW(6), NOW(6)); UPDATE generations SET generation = generation + 1"
from=$(logpos)
until_all "$from" "allowed by policy alice-x" 60
ok $? "MariaDB up: every worker loads the rules"
sar_body authorization.k8s.io/v1 bob '["team"]' url get /x >"$T/sar.json"
sar_post /authorize "$T/sar.json"
is "$(sar_verdict)" denied "... and default: deny applies again"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
