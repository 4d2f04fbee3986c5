#!/usr/bin/env bash
# bench/run.sh — the benchmark: every hot path next to its ceiling, in one
# run, on one machine, with the same number of workers.
#
#   bench/run.sh                      # ~10 minutes; writes bench/RESULTS.md
#   BENCH_DURATION=5 BENCH_USERS=1000 BENCH_LONG_REQUESTS=50000 bench/run.sh
#
# Builds an optimised binary (-O2 -g) from a copy of the tree (the files git
# knows, plus new ones it does not ignore; the working tree is not touched),
# starts MariaDB, a private slapd, nginx and the service with the test
# harness (t/lib/), seeds BENCH_USERS LDAP users (loaded offline with
# slapadd, in a directory shaped like real ones: one group holding every
# user, four holding a fifth each, 2-4 small ones and a posixGroup per user;
# member, memberUid, uid, mail indexed, uniqueMember not) with a local user
# and a token each, 1,000 authorization rules, and runs wrk (loopback,
# HTTPS through the real nginx site) against:
#   1 nginx `return 200`               (static ceiling)
#   2 bench/fcgi-null behind nginx     (the FastCGI ceiling: the bare
#                                       responder every target is held to)
#   3 bench/ldap-ceiling               (the directory alone: the same
#                                       dirsearch_lookup() authn.c calls,
#                                       one process per worker, no HTTP)
#   4 GET /healthz
#   5 TokenReview rotating over the tokens, LDAP on every request,
#     group_methods [member] (the default)
#   5m the same with group_methods [memberOf]
#   6 TokenReview, [member], ldap.cache_ttl: 10m
#   7 TokenReview with unknown tokens
#   8 SubjectAccessReview against the 1,000 rules
#   9 GET /users (all, and a page of 100), POST /tokens
# then a long TokenReview run (max_requests: 0) for memory growth.
#
# The headline is the CPU per review: utime+stime from /proc/PID/stat of
# every process the request goes through (the service or fcgi-null, slapd,
# MariaDB, nginx, and wrk itself), summed, and that sum divided by the bare
# responder's (2). On a shared machine it is steadier than req/s. Prints a
# table and writes it to bench/RESULTS.md (BENCH_RESULTS) with the commit id
# and the CPU model. Everything it starts is stopped at exit.
#
# Settings (environment):
#   BENCH_DURATION       seconds per target (15)
#   BENCH_USERS          LDAP users, local users and tokens (10000)
#   BENCH_WORKERS        workers of the service, fcgi-null and ldap-ceiling (4)
#   BENCH_CONNECTIONS    wrk connections (32)
#   BENCH_LONG_REQUESTS  TokenReviews of the long run (1000000), bounded by
#   BENCH_LONG_SECONDS   (240): the table says how many it reached
#   BENCH_CEILING_SECONDS (5): each ceiling measurement around a target
#   BENCH_WARM_SLICES    (8): at most this many 10 s slices fill the caches
#                        before (6); they stop at 90 % hits
#   BENCH_RESULTS        output file (bench/RESULTS.md)
#
# Needs, as root on Debian 12 (contrib/test.sh --deps-only installs them):
#   apt-get install build-essential autoconf automake libtool pkg-config \
#     libfcgi-dev libmariadb-dev libyajl-dev libyaml-dev libssl-dev libldap-dev \
#     mariadb-server slapd ldap-utils nginx curl jq wrk openssl python3
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
D=${BENCH_DURATION:-15}
NUSERS=${BENCH_USERS:-10000}
W=${BENCH_WORKERS:-4}
C=${BENCH_CONNECTIONS:-32}
LONG_REQUESTS=${BENCH_LONG_REQUESTS:-1000000}
LONG_SECONDS=${BENCH_LONG_SECONDS:-240}
CD=${BENCH_CEILING_SECONDS:-5}
WARM_SLICES=${BENCH_WARM_SLICES:-8}
RESULTS=${BENCH_RESULTS:-$SRC/bench/RESULTS.md}
NRULES=1000

for tool in wrk jq curl gcc autoreconf make slapadd nginx mariadbd python3; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
		{ echo "bench: $tool is not installed (see the apt-get line in $0)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: run as root (like the service tests)" >&2; exit 1; }

KA_SRCDIR=$SRC
. "$SRC/t/lib/tap.sh"
. "$SRC/t/lib/lib-mariadb.sh"
. "$SRC/t/lib/lib-slapd.sh"
. "$SRC/t/lib/lib-nginx.sh"

say() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { say "$*"; exit 1; }
. "$SRC/bench/lib.sh"
T0=$EPOCHREALTIME

# --- build ------------------------------------------------------------------
B=$T/build
COMMIT=$(bench_commit)
say "building $COMMIT in $B"
bench_build "$B" kubernetes-auth libka.a
libs=$(sed -n 's/^\(FCGI\|MARIADB\|YAJL\|YAML\|SSL\|CRYPTO\|LDAP\)_LIBS = //p' "$B/Makefile" | tr '\n' ' ')
gcc -O2 -g -std=gnu11 -o "$B/fcgi-null" "$B/bench/fcgi-null.c" -lfcgi ||
	die "cannot build bench/fcgi-null.c"
# shellcheck disable=SC2086
gcc -O2 -g -std=gnu11 -I"$B/src" -o "$B/ldap-ceiling" "$B/bench/ldap-ceiling.c" "$B/libka.a" $libs ||
	die "cannot build bench/ldap-ceiling.c"
KA_BIN=$B/kubernetes-auth
KA_SRCDIR=$B
export KA_BIN KA_SRCDIR

# --- services ---------------------------------------------------------------
say "starting MariaDB and slapd"
mariadb_setup
slapd_setup --private
B_DN=$LDAP_BASE_DN
# NUSERS people, shaped like a real directory: every user in bench-all
# (one group with everyone), in one of four bench-big-N (a fifth each), in
# 2-4 small groupOfNames and in one posixGroup (memberUid): 5-7 groups by
# member, 1 by memberUid. slapadd runs no overlay, so the memberOf values
# the memberof overlay would keep are written into the entries here.
awk -v n="$NUSERS" -v base="$B_DN" 'BEGIN {
	G = int(n / 25); if (G < 10) G = 10
	P = int(n / 50); if (P < 5) P = 5
	for (i = 0; i < n; i++) {
		u = sprintf("u%05d", i)
		m = sprintf("member: uid=%s,ou=people,%s\n", u, base)
		printf "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n", u, base
		printf "uid: %s\ncn: Bench %s\nsn: Bench\nmail: %s@example.org\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/%s\n", u, u, u, 10000 + i, u
		printf "memberOf: cn=bench-all,ou=groups,%s\n", base
		all = all m
		b = i % 4
		big[b] = big[b] m
		printf "memberOf: cn=bench-big-%d,ou=groups,%s\n", b, base
		k = 2 + i % 3
		for (j = 0; j < k; j++) {
			g = (i + j * (int(G / 5) + 1)) % G
			members[g] = members[g] m
			printf "memberOf: cn=bench-g%03d,ou=groups,%s\n", g, base
		}
		printf "\n"
		p = i % P
		puids[p] = puids[p] sprintf("memberUid: %s\n", u)
	}
	printf "dn: cn=bench-all,ou=groups,%s\nobjectClass: groupOfNames\ncn: bench-all\n%s\n", base, all
	for (b = 0; b < 4; b++)
		printf "dn: cn=bench-big-%d,ou=groups,%s\nobjectClass: groupOfNames\ncn: bench-big-%d\n%s\n", b, base, b, big[b]
	for (g = 0; g < G; g++)
		if (g in members)
			printf "dn: cn=bench-g%03d,ou=groups,%s\nobjectClass: groupOfNames\ncn: bench-g%03d\n%s\n", g, base, g, members[g]
	for (p = 0; p < P; p++)
		printf "dn: cn=bench-p%03d,ou=groups,%s\nobjectClass: posixGroup\ncn: bench-p%03d\ngidNumber: %d\n%s\n", p, base, p, 20000 + p, puids[p]
}' >"$T/bench.ldif"
slapd_stop_private
# The test directory's indexes (objectClass, uid, mail, cn, memberUid,
# member), as a directory's owner keeps them: uniqueMember is not indexed,
# which the default member_attributes: [member] never asks for.
grep -q '^index .*\bmember eq' "$SLAPD_PRIVATE_DIR/slapd.conf" || die "slapd.conf: no member index"
! grep -q '^index .*uniqueMember' "$SLAPD_PRIVATE_DIR/slapd.conf" || die "slapd.conf: uniqueMember is indexed"
slapadd -q -f "$SLAPD_PRIVATE_DIR/slapd.conf" -l "$T/bench.ldif" >"$T/slapadd.log" 2>&1 ||
	{ cat "$T/slapadd.log" >&2; die "slapadd failed"; }
slapd_start_private || die "slapd did not restart"
SLAPD_PID=$(cat "$SLAPD_PRIVATE_DIR/pid")
MARIADB_PID=$(cat "${MARIADB_PRIVATE_DIR:-/nonexistent}/pid" 2>/dev/null || pgrep -o mariadbd)

# The service reaches MariaDB over its unix socket, as a package install
# does; the workers run as an unprivileged user, so the socket's directories
# must be searchable (the files in them keep their own modes).
chmod o+x "$T" "$(dirname "$DB_SOCK")"
service_config() {   # service_config CACHE-TTL GROUP-METHODS
	ka_config - <<-YAML
	workers: $W
	max_requests: 0
	logging:
	  level: 4
	database:
	  socket: $DB_SOCK
	ldap:
	  cache_ttl: $1
	  group_methods: [$2]
	YAML
}
service_config 0 member
nginx_setup
# Two locations in this nginx only: the static ceiling and fcgi-null, in
# the same server (TLS, fastcgi_params) as the service's paths.
NULL_SOCK=$T/run/null.sock
# fcgi-null gets the webhooks' FastCGI parameters (those of the site's
# webhook location), so that nginx does the same work for both.
webhook_params=$(awk '/^    location ~ \^\/\(authenticate\|authorize\)/ { w = 1 }
	w && /^ *fastcgi_(param|pass_request_headers) / { sub(/^ */, ""); printf "%s ", $0 }
	w && /^    }/ { exit }' "$T/nginx/kubernetes-auth.conf")
[ -n "$webhook_params" ] || die "no FastCGI parameters in the site's webhook location"
sed -i "s|^    location / {|    location = /bench/return-200 { return 200 '{\"kind\":\"TokenReview\"}\\\\n'; }\n    location = /bench/fcgi-null { ${webhook_params}fastcgi_pass unix:$NULL_SOCK; }\n    location / {|" \
	"$T/nginx/kubernetes-auth.conf"
nginx -q -t -p "$T/nginx" -e "$T/nginx/logs/error.log" -c "$T/nginx/nginx.conf" || die "nginx: bad bench locations"
kill -HUP "$(cat "$T/nginx/pid")"
NGINX_PID=$(cat "$T/nginx/pid")
spawn_daemon fcgi-null "$T/fcgi-null.log" "$B/fcgi-null" "$NULL_SOCK" "$W"
NULL_PID=$SPAWNED_PID
ka_start || die "kubernetes-auth did not start"
export BENCH_ADMIN_TOKEN=$KA_ADMIN_TOKEN
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KA_CACERT" "$KA_URL/bench/fcgi-null")" = 200 ] && break
	sleep 0.1
done

# --- seeding ----------------------------------------------------------------
say "seeding $NUSERS local users and tokens, $NRULES rules"
seq 0 $((NUSERS - 1)) | awk '{ printf "u%05d\n", $1 }' >"$T/names"
awk '{ printf "{\"username\":\"%s\"}\n", $1 }' "$T/names" >"$T/users.jsonl"
# What went wrong with a seeding request: its distinct answers.
seed_failed() {   # seed_failed WHAT ANSWERS-FILE COUNT
	say "$1: $3 of $NUSERS created; other answers: $(jq -c 'select((.id // .token) == null)' "$2" | sort | uniq -c | head -n 5)"
	die "seeding failed"
}
post_lines /users "$T/users.jsonl" >"$T/users.out"
jq -r 'select(.id) | .id' "$T/users.out" >"$T/user-ids"
[ "$(wc -l <"$T/user-ids")" = "$NUSERS" ] || seed_failed "POST /users" "$T/users.out" "$(wc -l <"$T/user-ids")"
awk '{ printf "{\"user_id\":\"%s\",\"description\":\"bench\"}\n", $1 }' "$T/user-ids" >"$T/tokens.jsonl"
post_lines /tokens "$T/tokens.jsonl" >"$T/tokens.out"
jq -r 'select(.token) | .token' "$T/tokens.out" >"$T/tokens"
[ "$(wc -l <"$T/tokens")" = "$NUSERS" ] || seed_failed "POST /tokens" "$T/tokens.out" "$(wc -l <"$T/tokens")"
# Steady state: every token was used within the last 10 minutes, so a
# review does not write last_used_at (at most one write per token and 10
# minutes). Without this, (5) -- the first target to use the tokens --
# would write on most of its requests and measure a cold start.
db_sql "UPDATE tokens SET last_used_at = UTC_TIMESTAMP(6)"
head -c $((32 * 1000)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w64 >"$T/bad-tokens"
echo >>"$T/bad-tokens"
# 1,000 rules: 800 global, 200 for the cluster "prod", on 200 users and 50
# groups, both effects, every kind of field (what the sar mode asks about).
admin_curl POST /clusters -d '{"name": "prod"}'
awk -v n="$NRULES" 'BEGIN { for (i = 0; i < n; i++) {
	subj = (i % 5 == 0) ? sprintf("\"users\":[\"user-%d\"]", i % 200) : sprintf("\"groups\":[\"group-%d\"]", i % 50)
	k = i % 4
	if (k == 0) what = sprintf("\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/log\"],\"namespaces\":[\"team-%d\"]", i % 20)
	else if (k == 1) what = "\"apiGroups\":[\"apps\"],\"resources\":[\"deployments\",\"*/scale\"]"
	else if (k == 2) what = sprintf("\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"namespaces\":[\"team-%d\"],\"resourceNames\":[\"obj-%d\"]", i % 20, i % 50)
	else what = "\"nonResourceURLs\":[\"/logs/*\",\"/metrics\"]"
	printf "{\"name\":\"rule-%04d\",%s%s,\"verbs\":[\"get\",\"list\"],%s,\"effect\":\"%s\"}\n",
		i, (i >= n * 0.8) ? "\"cluster\":\"prod\"," : "", subj, what, (i % 7 == 0) ? "deny" : "allow"
}}' >"$T/rules.jsonl"
post_lines /policies "$T/rules.jsonl" >/dev/null
[ "$(db_sql 'SELECT COUNT(*) FROM policies')" = "$NRULES" ] || die "POST /policies: not $NRULES rules"
say "seeded in $(elapsed "$T0")s since start"

# --- measuring --------------------------------------------------------------
ka_all_pids() { echo "$KA_PID"; pgrep -P "$KA_PID"; }
# The processes a request goes through, in the table's order: the service
# and fcgi-null (only one of them is asked at a time), slapd, MariaDB,
# nginx. The client (wrk, ldap-ceiling) is counted as it exits: see
# client_ticks.
# shellcheck disable=SC2046  # pid lists
cpu_snapshot() {
	echo "$(cpu_ticks $(ka_all_pids) "$NULL_PID" $(pgrep -P "$NULL_PID")) $(cpu_ticks "$SLAPD_PID") $(cpu_ticks "$MARIADB_PID") $(cpu_ticks $(pgrep -g "$NGINX_PID"))"
}
# Run CMD... in a subshell that then prints the CPU ticks of the children
# it waited for (cutime+cstime of its own stat): the client's whole CPU,
# workers included, on the last line of OUT.
client_run() {   # client_run OUT CMD...
	local out=$1
	shift
	( "$@" >"$out" 2>&1
	  awk '{ sub(/.*\) /, ""); print "CLIENT_TICKS", $14 + $15 }' "/proc/$BASHPID/stat" >>"$out" )
}
HZ=$(getconf CLK_TCK)
declare -A RPS P50 P99 P999 BAD CPU SUM NAME CEIL CEILSUM

record() {   # record KEY NAME BENCH-LINE CPU-BEFORE CPU-AFTER CLIENT-TICKS
	local key=$1 line=$3 before after reqs i cpu='' errors bad sum=0 d
	read -ra before <<<"$4"
	read -ra after <<<"$5"
	before[4]=0 after[4]=${6:-0}
	NAME[$key]=$2
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
	RPS[$key]=$(get rps) P50[$key]=$(get p50) P99[$key]=$(get p99) P999[$key]=$(get p999)
	errors=$(get errors) bad=$(get bad)
	BAD[$key]=$(( ${errors:-0} + ${bad:-0} ))
	reqs=$(get requests)
	for i in 0 1 2 3 4; do
		if [ -n "${after[i]:-}" ] && [ "${reqs:-0}" -gt 0 ]; then
			d=$(awk -v d=$((after[i] - before[i])) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
			cpu+="$d "
			sum=$(awk -v a="$sum" -v b="$d" 'BEGIN { print a + b }')
		else
			cpu+="- "
		fi
	done
	CPU[$key]=$cpu
	SUM[$key]=$sum
	say "$(printf '%-36s %9.0f req/s  p50 %6s  p99 %6s us  bad %s  cpu us/req (service slapd mariadb nginx client) %s= %s' \
		"$2" "${RPS[$key]:-0}" "${P50[$key]}" "${P99[$key]}" "${BAD[$key]}" "$cpu" "$sum")"
}

run_wrk() {   # run_wrk KEY NAME SECONDS PATH MODE [ARGS...]
	local key=$1 name=$2 secs=$3 path=$4 before after
	shift 4
	before=$(cpu_snapshot)
	client_run "$T/wrk.$key" wrk -t2 -c"$C" -d"${secs}s" --timeout 10s -s "$B/bench/wrk.lua" "$KA_URL$path" -- "$@"
	after=$(cpu_snapshot)
	record "$key" "$name" "$(grep '^BENCH ' "$T/wrk.$key")" "$before" "$after" \
		"$(sed -n 's/^CLIENT_TICKS //p' "$T/wrk.$key")"
}

private_dirty() {   # private_dirty -> "KiB KiB ..." of the workers
	local p out=
	for p in $(pgrep -P "$KA_PID" | sort -n); do
		out+="$(awk '/^Private_Dirty:/ { print $2 }' "/proc/$p/smaps_rollup") "
	done
	echo "$out"
}

restart_service() {   # restart_service CACHE-TTL GROUP-METHODS
	say "restarting with ldap.cache_ttl: $1, group_methods: [$2]"
	ka_stop
	service_config "$1" "$2"
	ka_start || die "kubernetes-auth did not start (cache_ttl $1, group_methods [$2])"
}

say "warming up"
run_wrk warm warm-up 5 /authenticate/token tokenreview "$T/tokens" true 2>/dev/null

# On a shared machine the speed drifts by tens of percent within a run, so
# each target is compared with the FastCGI ceiling measured right before
# and right after it (CEILING_SECONDS each; the mean of the two), not with
# a measurement minutes away: its req/s, and its CPU sum per review. C2:
# every measurement of the ceiling.
C2=() C2SUM=() fresh=
ceiling2() {
	run_wrk c2 "fcgi-null" "$CD" /bench/fcgi-null tokenreview "$T/tokens" true
	C2+=("${RPS[c2]}") C2SUM+=("${SUM[c2]}") fresh=2
}
ldap_ceiling() {   # ldap_ceiling KEY NAME SECONDS
	local before after
	before=$(cpu_snapshot)
	client_run "$T/ldap-ceiling.out" "$B/ldap-ceiling" "$T/config.yaml" "$T/names" "$W" "$3"
	after=$(cpu_snapshot)
	record "$1" "$2" "$(grep '^BENCH ' "$T/ldap-ceiling.out") bad=0" "$before" "$after" \
		"$(sed -n 's/^CLIENT_TICKS //p' "$T/ldap-ceiling.out")"
	fresh=
}
# bracketed KEY NAME SECONDS PATH MODE [ARGS...]: run the target between two
# measurements of the FastCGI ceiling.
bracketed() {
	local before beforesum
	[ "$fresh" = 2 ] || ceiling2
	before=${C2[-1]} beforesum=${C2SUM[-1]}
	run_wrk "$@"
	ceiling2
	CEIL[$1]=$(awk -v a="$before" -v b="${C2[-1]}" 'BEGIN { print (a + b) / 2 }')
	CEILSUM[$1]=$(awk -v a="$beforesum" -v b="${C2SUM[-1]}" 'BEGIN { print (a + b) / 2 }')
}

run_wrk 1 "1 nginx return 200" "$D" /bench/return-200 get
run_wrk 2 "2 fcgi-null (FastCGI ceiling)" "$D" /bench/fcgi-null tokenreview "$T/tokens" true
C2+=("${RPS[2]}") C2SUM+=("${SUM[2]}") fresh=2
bracketed 4 "4 GET /healthz" "$D" /healthz get
ldap_ceiling 3 "3 ldap-ceiling, [member] (the directory alone)" "$D"
bracketed 5 "5 TokenReview, LDAP every request, [member]" "$D" /authenticate/token tokenreview "$T/tokens" true
MEM_WARM=$(private_dirty)
bracketed 7 "7 TokenReview, unknown tokens" "$D" /authenticate/token tokenreview "$T/bad-tokens" false
bracketed 8 "8 SubjectAccessReview, 1,000 rules" "$D" /authorize/prod sar
bracketed 9a "9 GET /users ($NUSERS users)" "$D" /users get
bracketed 9p "9 GET /users?limit=100" "$D" "/users?limit=100" get
bracketed 9b "9 POST /tokens" "$D" /tokens post "$T/tokens.jsonl"

restart_service 0 memberOf
fresh=
bracketed 5m "5m TokenReview, LDAP every request, [memberOf]" "$D" /authenticate/token tokenreview "$T/tokens" true

restart_service 10m member
log_mark=$(wc -l <"$T/ka.log")
# Fill every worker's cache. A worker meets a user only when wrk's
# connection happens to land on it, so it takes several passes over the
# users: warm up in 10-second slices until 90 % of a slice's answers come
# from a cache (at most WARM_SLICES slices; the table reports the rate).
for slice in $(seq 1 "$WARM_SLICES"); do
	mark=$(wc -l <"$T/ka.log")
	run_wrk warm warm-up 10 /authenticate/token tokenreview "$T/tokens" true 2>/dev/null
	rate=$(tail -n +"$((mark + 1))" "$T/ka.log" | awk '/audit: authn .*: allow/ { n++; if (/ldap cached\)/) h++ }
		END { printf "%d", (n > 0 ? 100 * h / n : 0) }')
	say "cache warm-up slice $slice: $rate % hits"
	[ "$rate" -ge 90 ] && break
done
WARM_RATE=$rate
fresh=
bracketed 6 "6 TokenReview, ldap.cache_ttl 10m" "$D" /authenticate/token tokenreview "$T/tokens" true
MEM_CACHE_WARM=$(private_dirty)
# The long run: as many TokenReviews as asked, within LONG_SECONDS.
long_secs=$(awk -v n="$LONG_REQUESTS" -v r="${RPS[6]:-1}" -v max="$LONG_SECONDS" \
	'BEGIN { s = int(n / (r > 0 ? r : 1) * 1.25) + 1; print (s > max ? max : s) }')
say "long run: $LONG_REQUESTS TokenReviews wanted, ${long_secs}s at most"
bracketed long "long TokenReview run (cache on)" "$long_secs" /authenticate/token tokenreview "$T/tokens" true
LONG_DONE=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$T/wrk.long")
MEM_LONG=$(private_dirty)
tail -n +"$((log_mark + 1))" "$T/ka.log" | grep 'audit: authn .*: allow' >"$T/allows"
HITS=$(grep -c 'ldap cached)' "$T/allows")
ALLOWS=$(wc -l <"$T/allows")

# --- the table ----------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { if (u == "") print "-"; else if (u < 1000) printf "%d µs", u; else printf "%.2f ms", u / 1000 }'; }
# The ratio of a target's req/s to its ceiling's: (2) to (1), the others
# to the bracketing measurements of (2); (3) has none.
ratio() {   # ratio KEY
	case $1 in
	1|3) echo "-" ;;
	2) awk -v a="${RPS[2]:-0}" -v b="${RPS[1]:-0}" 'BEGIN { if (b > 0) printf "%.0f %% of (1)", 100 * a / b; else print "-" }' ;;
	*) awk -v a="${RPS[$1]:-0}" -v b="${CEIL[$1]:-0}" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "-" }' ;;
	esac
}
# A target's CPU sum per review over the bare responder's: the bracketing
# measurements of (2), or for (1)-(3) the full-length one.
sumx() {   # sumx KEY
	awk -v a="${SUM[$1]:-0}" -v b="${CEILSUM[$1]:-${SUM[2]:-0}}" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "-" }'
}
p99x() { awk -v a="${P99[$1]:-0}" -v b="${P99[2]:-0}" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }'; }
mib() { awk '{ for (i = 1; i <= NF; i++) printf "%s%.1f", (i > 1 ? " / " : ""), $i / 1024 }' <<<"$1"; }
us() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "") print "-"; else printf "%.0f", v }'; }
{
	echo "| target | CPU µs per review, all processes | ÷ (2)'s | req/s | of (2)'s req/s | p50 | p99 | p99 ÷ (2)'s | service | slapd | MariaDB | nginx | client | failed |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for k in 1 2 3 4 5 5m 6 7 8 9a 9p 9b long; do
		[ -n "${NAME[$k]:-}" ] || continue
		read -r cka csl cdb cng ccl <<<"${CPU[$k]}"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAME[$k]}" \
			"$(us "${SUM[$k]}")" "$(sumx "$k")" "$(printf '%.0f' "${RPS[$k]:-0}")" "$(ratio "$k")" \
			"$(ms "${P50[$k]}")" "$(ms "${P99[$k]}")" "$(p99x "$k")" \
			"$(us "$cka")" "$(us "$csl")" "$(us "$cdb")" "$(us "$cng")" "$(us "$ccl")" "${BAD[$k]}"
	done
	echo
	echo "Every measurement of the FastCGI ceiling (2) in this run, in order: req/s"
	echo "$(printf '%.0f\n' "${C2[@]}" | paste -sd ' '); CPU µs per review $(printf '%.0f\n' "${C2SUM[@]}" | paste -sd ' ')."
} >"$T/table.md"
{
	echo "Private_Dirty per worker (MiB), $W workers:"
	echo
	echo "- after warm-up, LDAP every request (after target 5): $(mib "$MEM_WARM")"
	echo "- after warm-up, cache on (after target 6): $(mib "$MEM_CACHE_WARM")"
	echo "- after the long run (${LONG_DONE:-0} more TokenReviews of $LONG_REQUESTS wanted, max_requests: 0, cache on): $(mib "$MEM_LONG")"
	echo
	echo "Cache: $HITS of $ALLOWS allowed TokenReviews with ldap.cache_ttl on (warm-up, (6) and the long run)"
	echo "were answered from a worker's cache ($WARM_RATE % in the last warm-up slice before (6))."
} >"$T/memory.md"

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "# Benchmark results"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT."
	echo "CPU: $cpu_model, $(nproc) CPUs (wrk, nginx, the service, slapd and MariaDB share them);"
	echo "kernel $(uname -r). $W workers (service, fcgi-null, ldap-ceiling), wrk -t2 -c$C,"
	echo "${D}s per target, HTTPS over loopback through the real nginx site,"
	echo "$NUSERS LDAP users, each in 5–7 groupOfNames (one with every user, one of four with a"
	echo "fifth each, 2–4 small ones; memberOf kept on the users) and one posixGroup; slapd indexes"
	echo "objectClass, uid, mail, cn, member and memberUid, not uniqueMember. One token per user,"
	echo "$NRULES rules. group_methods [member] (the default) unless the target says [memberOf];"
	echo "logging level 4 (the default); MariaDB over its unix socket, as with the default"
	echo "\`database.host: localhost\`; every token's last_used_at is recent, as in a steady state"
	echo "(no review writes it). A shared machine's speed drifts within a run, so each target is"
	echo "compared with the FastCGI ceiling (2) measured again for ${CD}s right before and right"
	echo "after it (the mean of those two); the (2) row shows the first, full-length measurement."
	echo
	cat "$T/table.md"
	echo
	cat "$T/memory.md"
	echo
	echo "CPU per review: utime+stime deltas from /proc/PID/stat over the target's run, divided by its"
	echo "requests, for every process it goes through: the service (fcgi-null for (2)), slapd,"
	echo "MariaDB, nginx and the client (wrk; for (3), ldap-ceiling's processes). The sum is the"
	echo "headline, and \"÷ (2)'s\" its ratio to the bare responder's sum around it: steadier than"
	echo "req/s on a shared machine. Clock ticks are 10 ms: small values are coarse."
} >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
echo
cat "$RESULTS"
say "done in $(elapsed "$T0")s; written to $RESULTS"
ka_stop

# Optional, BENCH_GALERA=1: TokenReview on a 3-node Galera cluster vs a
# single server (bench/galera.sh, ~3 minutes more), on this run's binary;
# its section is added to the results file.
if [ "${BENCH_GALERA:-0}" = 1 ]; then
	BENCH_BIN=$B/kubernetes-auth BENCH_RESULTS=$RESULTS "$SRC/bench/galera.sh" || say "bench/galera.sh failed"
fi
