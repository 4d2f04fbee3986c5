#!/usr/bin/env bash
# Backends failing under a steady load of TokenReviews and
# SubjectAccessReviews through nginx: while MariaDB is down, TokenReviews
# are JSON 503s (never a hang, never authenticated: true) and
# SubjectAccessReviews keep answering from the cached rules; while slapd is
# down, TokenReviews are 503s. Correct answers resume once the backend is
# back, no worker dies, and no stale-connection error (2006, 1243) follows.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

command -v wrk >/dev/null || skip_all "wrk not installed"
stack_up --private-db --private-ldap - <<'YAML'
workers: 3
authorization:
  refresh: 1s
logging:
  level: 4
YAML
wait_workers 3
FIXTURES=$KA_SRCDIR/t/data/k8s-fixtures

admin_user alice
admin_token "$user_id"
sed "s/TOKEN_PLACEHOLDER/$token/" "$FIXTURES/tokenreview-v1.json" >"$T/tr.json"
admin_curl POST /policies -d '{"name":"devs-scale","groups":["developers"],"verbs":["get"],
	"apiGroups":["apps"],"resources":["deployments/scale"],"effect":"allow"}'
is "$status" 201 "an allow rule for the SAR fixture"
cp "$FIXTURES/sar-v1-resource.json" "$T/sar.json"

# phase NAME SECONDS: TokenReviews and SARs at once, 8 connections each.
phase() {
	wrk -t1 -c8 -d"$2s" --timeout 10s -s "$KA_SRCDIR/t/data/count-statuses.lua" \
		"$KA_URL/authenticate/token?timeout=30s" -- "$T/tr.json" >"$T/$1.tr" 2>&1 &
	local a=$!
	wrk -t1 -c8 -d"$2s" --timeout 10s -s "$KA_SRCDIR/t/data/count-statuses.lua" \
		"$KA_URL/authorize" -- "$T/sar.json" >"$T/$1.sar" 2>&1 &
	local b=$!
	wait "$a" "$b"
	diag "$1: TokenReview $(grep -E '^(status|authenticated|timeouts|errors|p99)' "$T/$1.tr" | xargs);" \
		"SAR $(grep -E '^(status|timeouts|errors|p99)' "$T/$1.sar" | xargs)"
}
count() { awk -v k="$2" -v v="$3" '$1 == k && (v == "" || $2 == v) { print (v == "" ? $2 : $3) }' "$T/$1" | head -1; }
total() { awk '$1 == "status" { s += $3 } END { print s + 0 }' "$T/$1"; }

workers_before=$(worker_pids)
phase warm 3
is "$(count warm.tr status 200)" "$(total warm.tr)" "warm-up: every TokenReview answered 200"
is "$(count warm.tr authenticated)" "$(total warm.tr)" "... each authenticated"
is "$(count warm.sar status 200)" "$(total warm.sar)" "warm-up: every SAR answered 200"

# MariaDB down.
mariadb_stop_private
phase db_down 4
trs=$(total db_down.tr)
ok "$([ "$trs" -gt 20 ]; echo $?)" "MariaDB down: TokenReviews kept coming ($trs)"
is "$(count db_down.tr authenticated)" 0 "MariaDB down: never authenticated: true"
is "$(( $(count db_down.tr status 200) + 0 ))" 0 "MariaDB down: no TokenReview answered 200"
is "$(count db_down.tr status 503)" "$trs" "MariaDB down: every TokenReview a 503"
is "$(count db_down.tr timeouts)" 0 "MariaDB down: no TokenReview hung past 10 s"
is "$(count db_down.sar status 200)" "$(total db_down.sar)" "MariaDB down: every SAR still answered 200 (cached rules)"
ok "$(grep -q '"allowed":true' <(curl -sS --cacert "$KA_CACERT" -H 'Content-Type: application/json' \
	--data-binary @"$T/sar.json" "$KA_URL/authorize"); echo $?)" "... and still allowed"
started=$EPOCHREALTIME
mariadb_start_private || bail "MariaDB did not restart"
eventually 200 eval 'ka_curl POST /authenticate/token -H "Content-Type: application/json" --data-binary @"$T/tr.json"; [ "$status" = 200 ]'
is "$status" 200 "MariaDB back: TokenReviews answered again"
diag "TokenReview recovered $(elapsed "$started") s after MariaDB was started"
mark=$(wc -l <"$T/ka.log")
phase db_back 3
is "$(count db_back.tr status 200)" "$(total db_back.tr)" "after MariaDB's return: every TokenReview 200"
is "$(count db_back.tr authenticated)" "$(total db_back.tr)" "... authenticated"
is "$(count db_back.sar status 200)" "$(total db_back.sar)" "after MariaDB's return: every SAR 200"
unlike "$(tail -n +"$((mark + 1))" "$T/ka.log")" '\((1243|2006|2013)\)' "no stale-connection error once recovered"

# slapd down.
slapd_stop_private
phase ldap_down 4
trs=$(total ldap_down.tr)
ok "$([ "$trs" -gt 20 ]; echo $?)" "slapd down: TokenReviews kept coming ($trs)"
is "$(count ldap_down.tr authenticated)" 0 "slapd down: never authenticated: true"
is "$(count ldap_down.tr status 503)" "$trs" "slapd down: every TokenReview a 503"
is "$(count ldap_down.tr timeouts)" 0 "slapd down: no TokenReview hung past 10 s"
is "$(count ldap_down.sar status 200)" "$(total ldap_down.sar)" "slapd down: SARs unaffected"
started=$EPOCHREALTIME
slapd_start_private || bail "slapd did not restart"
eventually 200 eval 'ka_curl POST /authenticate/token -H "Content-Type: application/json" --data-binary @"$T/tr.json"; [ "$status" = 200 ]'
is "$status" 200 "slapd back: TokenReviews answered again"
diag "TokenReview recovered $(elapsed "$started") s after slapd was started"
phase ldap_back 3
is "$(count ldap_back.tr status 200)" "$(total ldap_back.tr)" "after slapd's return: every TokenReview 200"
is "$(count ldap_back.tr authenticated)" "$(total ldap_back.tr)" "... authenticated"

is "$(worker_pids)" "$workers_before" "no worker died through both outages"
ka_stop
is "$?" 0 "graceful stop"
done_testing
