#!/usr/bin/env bash
# bench/profile.sh — where a worker's instructions go, per request kind:
# the service (-O2 -g, built from a copy of the tree like bench/run.sh)
# runs with one worker under valgrind's callgrind, behind the same nginx;
# wrk drives each kind of request for a while, and the worker's counters
# are dumped between kinds. Prints the top functions (self cost) of each.
#
#   bench/profile.sh               # TokenReview (LDAP every request),
#                                  # TokenReview (unknown token), SAR,
#                                  # TokenReview (ldap.cache_ttl on: hits)
#   PROFILE_SECONDS=20 PROFILE_TOP=25 bench/profile.sh
#
# callgrind rather than perf: perf needs hardware counters, which virtual
# machines often lack (`perf stat -e instructions true` says "not
# supported"). Instruction counts are not time: a worker waiting on LDAP or
# MySQL costs no instructions here; bench/run.sh shows the waiting.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${PROFILE_SECONDS:-15}
TOP=${PROFILE_TOP:-20}
NUSERS=200
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
	{ echo "profile: apt-get install valgrind" >&2; exit 1; }
KA_SRCDIR=$SRC
. "$SRC/t/lib/tap.sh"
. "$SRC/t/lib/lib-mariadb.sh"
. "$SRC/t/lib/lib-slapd.sh"
. "$SRC/t/lib/lib-nginx.sh"
say() { printf '%s profile: %s\n' "$(date +%T)" "$*" >&2; }
die() { say "$*"; exit 1; }
. "$SRC/bench/lib.sh"

B=$T/build
say "building"
bench_build "$B" kubernetes-auth
KA_SRCDIR=$B
export KA_SRCDIR

mariadb_setup
slapd_setup --private
slapd_stop_private
# Shaped like bench/run.sh's directory: each user in a group with every
# user, one with a quarter, a team of ten and a group of its own (memberOf
# written into the entries: slapadd runs no overlay); member indexed,
# uniqueMember not.
seq 0 $((NUSERS - 1)) | awk -v base="$LDAP_BASE_DN" -v n="$NUSERS" '{ u = sprintf("u%05d", $1)
	m = sprintf("member: uid=%s,ou=people,%s\n", u, base)
	printf "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n", u, base
	printf "uid: %s\ncn: %s\nsn: B\nmail: %s@example.org\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/%s\n", u, u, u, 10000 + $1, u
	printf "memberOf: cn=everyone,ou=groups,%s\nmemberOf: cn=quarter-%d,ou=groups,%s\n", base, $1 % 4, base
	printf "memberOf: cn=team-%02d,ou=groups,%s\nmemberOf: cn=pg-%s,ou=groups,%s\n\n", $1 % 20, base, u, base
	printf "dn: cn=pg-%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: pg-%s\n%s\n", u, base, u, m
	all = all m; quarter[$1 % 4] = quarter[$1 % 4] m; team[$1 % 20] = team[$1 % 20] m }
	END { printf "dn: cn=everyone,ou=groups,%s\nobjectClass: groupOfNames\ncn: everyone\n%s\n", base, all
	for (q = 0; q < 4; q++)
		printf "dn: cn=quarter-%d,ou=groups,%s\nobjectClass: groupOfNames\ncn: quarter-%d\n%s\n", q, base, q, quarter[q]
	for (t = 0; t < 20; t++)
		printf "dn: cn=team-%02d,ou=groups,%s\nobjectClass: groupOfNames\ncn: team-%02d\n%s\n", t, base, t, team[t] }' \
	>"$T/users.ldif"
slapadd -q -f "$SLAPD_PRIVATE_DIR/slapd.conf" -l "$T/users.ldif" >"$T/slapadd.log" 2>&1 || die "slapadd failed"
slapd_start_private || die "slapd did not restart"

profile_config() {   # profile_config CACHE-TTL: one worker, as long as it takes
	ka_config - <<-YAML
	workers: 1
	max_requests: 0
	request_timeout: 60s
	logging:
	  level: 4
	ldap:
	  cache_ttl: $1
	  group_methods: [member]
	YAML
}
profile_config 0
nginx_setup
mkdir -m 1777 "$T/cg"
# The worker drops to nobody: callgrind writes into a directory it may use.
printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/cg/callgrind.%%p %s/kubernetes-auth "$@"\n' \
	"$T" "$B" >"$T/ka-callgrind"
chmod 0755 "$T/ka-callgrind"
KA_BIN=$T/ka-callgrind
TEST_TIME_FACTOR=10
ka_start || die "kubernetes-auth did not start under valgrind"
TEST_TIME_FACTOR=1
worker=$(pgrep -P "$KA_PID" | head -n 1)
[ -n "$worker" ] || die "no worker"

for i in $(seq 0 $((NUSERS - 1))); do printf '{"username":"u%05d"}\n' "$i"; done >"$T/users.jsonl"
: >"$T/tokens"
while read -r line; do
	admin_curl POST /users -d "$line"
	admin_curl POST /tokens -d "{\"user_id\":\"$(jq -r .id <<<"$body")\"}"
	jq -r .token <<<"$body" >>"$T/tokens"
done <"$T/users.jsonl"
admin_curl POST /clusters -d '{"name": "prod"}'
for i in $(seq 0 199); do
	printf '{"name":"rule-%03d","groups":["group-%d"],"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"namespaces":["team-%d"]}\n' \
		"$i" $((i % 50)) $((i % 20))
done | while read -r rule; do admin_curl POST /policies -d "$rule"; done
head -c 6400 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w64 >"$T/bad-tokens"
echo >>"$T/bad-tokens"

export BENCH_ADMIN_TOKEN=$KA_ADMIN_TOKEN
ka_stop
# One service run per kind of request: the worker's profile is written when
# it exits. (callgrind_control cannot reach a worker: it is not dumpable.)
phase() {   # phase NAME PATH MODE [ARGS...]
	local name=$1 path=$2 worker f n w
	shift 2
	TEST_TIME_FACTOR=10
	ka_start || die "kubernetes-auth did not start under valgrind"
	TEST_TIME_FACTOR=1
	worker=$(pgrep -P "$KA_PID" | head -n 1)
	wrk -t1 -c4 -d3s --timeout 30s -s "$B/bench/wrk.lua" "$KA_URL$path" -- "$@" >"$T/wrk.$name.warm" 2>&1
	wrk -t1 -c4 -d"${SECS}s" --timeout 30s -s "$B/bench/wrk.lua" "$KA_URL$path" -- "$@" >"$T/wrk.$name" 2>&1
	ka_stop
	w=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$T/wrk.$name.warm")
	n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$T/wrk.$name")
	n=$(( ${n:-0} + ${w:-0} ))
	f=$T/cg/callgrind.$worker
	echo "== $name: $n requests (start-up and warm-up included) under callgrind"
	[ -s "$f" ] || { echo "(no profile)"; return; }
	cp "$f" "$T/cg/$name.callgrind"
	callgrind_annotate --inclusive=no "$f" 2>/dev/null |
		awk -v n="$n" -v top="$TOP" '
			/PROGRAM TOTALS/ { t = $1; gsub(",", "", t); printf "total: %.0f instructions per request\n", t / (n > 0 ? n : 1) }
			/^-+$/ { sep++ }
			sep >= 3 && /^ *[0-9,]+ / && shown < top { print; shown++ }'
	echo
}
phase tokenreview /authenticate/token tokenreview "$T/tokens" true
phase unknown-token /authenticate/token tokenreview "$T/bad-tokens" false
phase sar /authorize/prod sar
# The cache on: the warm-up fills it (one worker, 200 users), so what is
# measured is the hit path.
profile_config 10m
phase tokenreview-cached /authenticate/token tokenreview "$T/tokens" true
if [ "${KA_KEEP_TMP:-0}" = 1 ]; then
	echo "profiles: $T/cg/*.callgrind (callgrind_annotate, kcachegrind)"
fi
