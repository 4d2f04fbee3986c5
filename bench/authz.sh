#!/usr/bin/env bash
# bench/authz.sh — SubjectAccessReview throughput and latency through nginx
# with 1,000 rules loaded, next to GET /healthz and a bare nginx
# `return 200` on the same server, in the same run.
#
# usage: bench/authz.sh [SECONDS] [CONNECTIONS] [WORKERS]   (10, 16, 4)
# BENCH_LOG_LEVEL=4 keeps the audit line per decision (default 3: none).
#
# Starts its own MariaDB, slapd, nginx and service with the test harness
# (t/lib/), as root, like the tests; needs wrk and jq. Prints wrk's figures
# for each target and a summary table.
set -uo pipefail
SECONDS_RUN=${1:-10} CONNS=${2:-16} WORKERS=${3:-4}
. "$(dirname "$0")/../t/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"

command -v wrk >/dev/null || { echo "bench: wrk is not installed" >&2; exit 1; }
mariadb_setup
slapd_setup
ka_config - <<YAML
workers: $WORKERS
logging:
  level: ${BENCH_LOG_LEVEL:-3}
YAML
nginx_setup
# The bare nginx answer, on the same server and TLS set-up.
sed -i 's|^    location / {|    location = /bench-return-200 { return 200 "{}\\n"; }\n    location / {|' \
	"$T/nginx/kubernetes-auth.conf"
kill -HUP "$(cat "$T/nginx/pid")"
ka_start || { echo "bench: kubernetes-auth did not start" >&2; exit 1; }

# 1,000 rules through the admin API: 800 global, 200 for the cluster, on
# 200 users and 50 groups, both effects, every kind of field.
admin_curl POST /clusters -d '{"name": "prod"}'
verbs='["get","list"]'
for i in $(seq 0 999); do
	case $((i % 5)) in
	0) subj="\"users\":[\"user-$((i % 200))\"]" ;;
	*) subj="\"groups\":[\"group-$((i % 50))\"]" ;;
	esac
	case $((i % 4)) in
	0) what='"apiGroups":[""],"resources":["pods","pods/log"],"namespaces":["team-'$((i % 20))'"]' ;;
	1) what='"apiGroups":["apps"],"resources":["deployments","*/scale"]' ;;
	2) what='"apiGroups":[""],"resources":["secrets"],"namespaces":["team-'$((i % 20))'"],"resourceNames":["obj-'$((i % 50))'"]' ;;
	3) what='"nonResourceURLs":["/logs/*","/metrics"]' ;;
	esac
	effect=allow
	[ $((i % 7)) = 0 ] && effect=deny
	cluster=
	[ "$i" -ge 800 ] && cluster='"cluster":"prod",'
	printf '{"name":"rule-%04d",%s%s,"verbs":%s,%s,"effect":"%s"}\n' \
		"$i" "$cluster" "$subj" "$verbs" "$what" "$effect"
done >"$T/rules.jsonl"
xargs -P 8 -d '\n' -I{} curl -sS -o /dev/null -w '%{http_code}\n' --cacert "$KA_CACERT" \
	-H "x-auth-token: $KA_ADMIN_TOKEN" --data-binary {} "$KA_URL/policies" \
	<"$T/rules.jsonl" | sort | uniq -c
echo "rules stored: $(db_sql 'SELECT COUNT(*) FROM policies')"

run() {   # run NAME URL [WRK-ARGS...]
	local name=$1 url=$2
	shift 2
	wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --latency "$@" "$url" >"$T/wrk.$name" 2>&1
	echo "== $name"
	cat "$T/wrk.$name"
	awk -v n="$name" '
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = $2 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%-24s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n", n, rps, p50, p99, bad + 0 }' \
		"$T/wrk.$name" >>"$T/summary"
}
: >"$T/summary"
# Warm every worker's cache first.
wrk -t2 -c"$CONNS" -d2s -s "$KA_SRCDIR/bench/sar.lua" "$KA_URL/authorize/prod" >/dev/null 2>&1
run nginx-return-200 "$KA_URL/bench-return-200"
run healthz "$KA_URL/healthz"
run sar-global "$KA_URL/authorize?timeout=30s" -s "$KA_SRCDIR/bench/sar.lua"
run sar-cluster "$KA_URL/authorize/prod?timeout=30s" -s "$KA_SRCDIR/bench/sar.lua"
echo
echo "$WORKERS workers, $CONNS connections, ${SECONDS_RUN}s each, 1,000 rules, $(nproc) CPUs:"
cat "$T/summary"
ka_stop
