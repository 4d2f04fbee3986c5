#!/usr/bin/env bash
# bench/authn.sh — TokenReview throughput and latency through nginx,
# rotating over 1,000 valid tokens of 50 users in 4 groups each (three
# groupOfNames, one posixGroup), next to GET /healthz in the same run; then
# where an authentication's time goes, from the audit lines (database,
# LDAP service bind, LDAP searches, the rest).
#
# usage: bench/authn.sh [SECONDS] [CONNECTIONS] [WORKERS]   (10, 16, 4)
#
# Starts its own MariaDB, slapd, nginx and service with the test harness
# (t/lib/), as root, like the tests; needs wrk and jq.
set -uo pipefail
SECONDS_RUN=${1:-10} CONNS=${2:-16} WORKERS=${3:-4}
. "$(dirname "$0")/../t/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"

command -v wrk >/dev/null || { echo "bench: wrk is not installed" >&2; exit 1; }
mariadb_setup
slapd_setup --private
B=$LDAP_BASE_DN
{
	for u in $(seq -w 0 49); do
		printf 'dn: uid=bench%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n' "$u" "$B"
		printf 'uid: bench%s\ncn: bench%s\nsn: Bench\nmail: bench%s@example.org\nuidNumber: %d\n' "$u" "$u" "$u" $((1000 + 10#$u))
		printf 'gidNumber: 100\nhomeDirectory: /home/bench\n\n'
	done
	for g in $(seq 0 9); do
		printf 'dn: cn=team%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: team%s\n' "$g" "$B" "$g"
		for u in $(seq -w 0 49); do
			# three of the ten teams per user
			case $(( (10#$u + 10 - g) % 10 )) in 0|3|7) printf 'member: uid=bench%s,ou=people,%s\n' "$u" "$B" ;; esac
		done
		printf '\n'
	done
	printf 'dn: cn=bench-posix,ou=groups,%s\nobjectClass: posixGroup\ncn: bench-posix\ngidNumber: 900\n' "$B"
	for u in $(seq -w 0 49); do printf 'memberUid: bench%s\n' "$u"; done
	printf '\n'
} >"$T/bench.ldif"
ldap_root ldapadd -f "$T/bench.ldif" >/dev/null || { echo "bench: ldapadd failed" >&2; exit 1; }

ka_config - <<YAML
workers: $WORKERS
logging:
  level: 4
YAML
nginx_setup
ka_start || { echo "bench: kubernetes-auth did not start" >&2; exit 1; }

# 50 users, 20 tokens each.
for u in $(seq -w 0 49); do
	admin_curl POST /users -d "{\"username\": \"bench$u@example.org\"}"
	jq -r .id <<<"$body"
done >"$T/user-ids"
while read -r id; do
	for _ in $(seq 20); do printf '{"user_id":"%s"}\n' "$id"; done
done <"$T/user-ids" >"$T/token-requests"
xargs -P 8 -d '\n' -I{} curl -sS --cacert "$KA_CACERT" -H "x-auth-token: $KA_ADMIN_TOKEN" \
	--data-binary {} "$KA_URL/tokens" <"$T/token-requests" | jq -r .token >"$T/tokens"
echo "tokens: $(grep -c '^[0-9a-f]\{64\}$' "$T/tokens")"

run() {   # run NAME URL [LUA-SCRIPT SCRIPT-ARG]
	local name=$1 url=$2
	if [ $# -gt 2 ]; then
		wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --latency -s "$3" "$url" -- "$4"
	else
		wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --latency "$url"
	fi >"$T/wrk.$name" 2>&1
	echo "== $name"
	cat "$T/wrk.$name"
	awk -v n="$name" '
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = $2 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx/ { bad = $NF }
		/not authenticated:/ { bad += $NF }
		END { printf "%-24s %10s req/s   p50 %8s   p99 %8s   failed %s\n", n, rps, p50, p99, bad + 0 }' \
		"$T/wrk.$name" >>"$T/summary"
}
: >"$T/summary"
# Warm every worker's connections first.
wrk -t2 -c"$CONNS" -d2s -s "$KA_SRCDIR/bench/tokenreview.lua" "$KA_URL/authenticate/token" \
	-- "$T/tokens" >/dev/null 2>&1
run healthz "$KA_URL/healthz"
mark=$(wc -l <"$T/ka.log")
run tokenreview "$KA_URL/authenticate/token?timeout=30s" "$KA_SRCDIR/bench/tokenreview.lua" "$T/tokens"
echo
echo "$WORKERS workers, $CONNS connections, ${SECONDS_RUN}s each, 1,000 tokens, 50 users x 4 groups, $(nproc) CPUs:"
cat "$T/summary"

# Where the time goes, from the audit lines of the measured run:
# "... allow (...) TOTALus (db DBus, ldap bind BINDus, search SEARCHus in N)"
echo
tail -n +"$((mark + 1))" "$T/ka.log" | grep 'audit: authn .*: allow' |
	sed -n 's/.*) \([0-9]*\)us (db \([0-9]*\)us, ldap bind \([0-9]*\)us, search \([0-9]*\)us in \([0-9]*\)).*/\1 \2 \3 \4 \5/p' >"$T/split"
for col in 1 2 3 4; do
	sort -n -k"$col","$col" "$T/split" | awk -v c="$col" '{ v[NR] = $c; s += $c }
		END { printf "%s %d %d %d %d\n", c, s / NR, v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], NR }'
done | awk '
	BEGIN { name[1] = "total (in the worker)"; name[2] = "MySQL"; name[3] = "LDAP service bind"; name[4] = "LDAP searches" }
	{ printf "%-24s mean %6d us   p50 %6d us   p99 %6d us   (%d authentications)\n", name[$1], $2, $3, $4, $5
	  mean[$1] = $2 }
	END { printf "%-24s mean %6d us\n", "the rest (HMAC, JSON, ...)", mean[1] - mean[2] - mean[3] - mean[4] }'
echo "searches per authentication: $(awk '{ s += $5 } END { print s / NR }' "$T/split")"
ka_stop
