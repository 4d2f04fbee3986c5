#!/usr/bin/env bash
# bench/galera.sh — what a three-node MariaDB Galera cluster costs a
# TokenReview, next to a single MariaDB server, in one run, as a ratio.
#
#   bench/galera.sh                   # as root; ~3 minutes; adds its section to bench/RESULTS.md
#   BENCH_DURATION=5 BENCH_GALERA_ROUNDS=1 bench/galera.sh   # a quick look
#   BENCH_GALERA=1 bench/run.sh       # after bench/run.sh's targets, on its binary
#
# Both databases run on this machine, each node in a network namespace of
# its own (t/lib/lib-netns.sh, as in the HA lab, doc/high-availability.md):
#   n0      NET.10                   one MariaDB server: the Galera nodes' my.cnf
#                                    without its wsrep_ lines
#   n1..n3  NET.11-13 for clients,   a Galera cluster (t/lib/lib-galera.sh),
#           NET.141-143 replication  bootstrapped and Synced
# The service, nginx (the real site, t/lib/lib-nginx.sh), a private slapd
# with the test directory (t/lib/lib-slapd.sh) and wrk run in the root
# namespace and reach either database over TCP the same way. The service is
# one build with the same workers, configured as the HA lab's host a
# (halab_db_yaml: database.hosts [n1, n2, n3], so it reads from n1, with
# causal reads, wsrep_sync_wait = 1, on every session), or with
# database.hosts [n0] and nothing else changed. Its data: the test
# directory's users (alice, bob, carol) with BENCH_GALERA_TOKENS tokens among
# them, created through the service on the single server and copied to the
# cluster (mariadb-dump), so both hold the same rows and the same tokens,
# every last_used_at recent (no review writes).
#
# Two targets, like bench/run.sh's (5) and (6), each measured
# BENCH_GALERA_ROUNDS times on each database, alternating (single, galera,
# galera, single, ...: a steady drift weighs on both alike), the service
# restarted with the right configuration and warmed up before each:
#   ldap    TokenReview rotating over the tokens, LDAP on every request
#           (ldap.cache_ttl: 0, the default)
#   cache   the same with ldap.cache_ttl: 10m: the database lookup is then
#           most of what the review asks of other processes
# Prints and writes a section to BENCH_RESULTS (replacing its own section
# if the file has one): req/s, p50, p99 and the CPU per review of every
# process it goes through (/proc/PID/stat: the service, the mariadbd in use
# -- all three on Galera --, slapd, nginx, wrk), Galera ÷ single, and every
# measurement in order. Everything it starts (processes, namespaces,
# bridges, files) is removed at exit, also when it fails.
#
# Settings (environment):
#   BENCH_DURATION        seconds per measurement (10)
#   BENCH_GALERA_ROUNDS   measurements per target and database (2)
#   BENCH_GALERA_TOKENS   tokens (1000)
#   BENCH_WORKERS         workers of the service (4)
#   BENCH_CONNECTIONS     wrk connections (32)
#   BENCH_RESULTS         the results file (bench/RESULTS.md)
#   BENCH_BIN             a built kubernetes-auth to use (else an -O2 -g
#                         build from a copy of the tree, as bench/run.sh does)
#
# Needs, as root on Debian 12, bench/run.sh's packages and the HA lab's:
#   apt-get install galera-4 rsync
# shellcheck disable=SC2015  # "A && B || die": die exits
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
D=${BENCH_DURATION:-10}
ROUNDS=${BENCH_GALERA_ROUNDS:-2}
NTOKENS=${BENCH_GALERA_TOKENS:-1000}
W=${BENCH_WORKERS:-4}
C=${BENCH_CONNECTIONS:-32}
RESULTS=${BENCH_RESULTS:-$SRC/bench/RESULTS.md}
WARM=3
HEADING="## TokenReview on a 3-node Galera cluster vs a single server"

for tool in wrk jq curl gcc autoreconf make nginx mariadbd mariadb-dump slapd ip rsync python3; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
		{ echo "bench/galera: $tool is not installed (see $0)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/galera: run as root (namespaces, bridges, daemons)" >&2; exit 1; }

# Under bench/run.sh (BENCH_GALERA=1) its harness's settings are in the
# environment: this run makes its own.
unset KA_SOCK KA_KEY_FILE KA_ADMIN_TOKEN KA_NGINX_PORT KA_URL KA_CACERT KA_NGINX_LOGS \
	KA_BUILDDIR DB_SOCK BENCH_ADMIN_TOKEN
KA_SRCDIR=$SRC
. "$SRC/t/lib/tap.sh"
. "$SRC/t/lib/lib-halab.sh"

say() { printf '%s bench/galera: %s\n' "$(date +%T)" "$*" >&2; }
die() { say "$*"; exit 1; }
. "$SRC/bench/lib.sh"
T0=$EPOCHREALTIME
_galera_have || die "galera-4 (and rsync) are not installed"
_netns_have || die "cannot create network namespaces here"

# --- build ------------------------------------------------------------------
COMMIT=$(bench_commit)
if [ -n "${BENCH_BIN:-}" ]; then
	[ -x "$BENCH_BIN" ] || die "BENCH_BIN=$BENCH_BIN is not an executable"
	KA_BIN=$BENCH_BIN
else
	say "building $COMMIT (-O2 -g) in $T/build"
	bench_build "$T/build" kubernetes-auth
	KA_BIN=$T/build/kubernetes-auth
fi
export KA_BIN

# --- the databases ------------------------------------------------------------
say "network namespaces, a single server and a 3-node Galera cluster"
netns_lab_new "kb$(openssl rand -hex 2)" || die "cannot make the namespaces and bridges"
netns_bridge g || die "cannot make the replication bridge"
netns_host n0 && netns_attach n0 c eth0 "$NETNS_NET.10/25" || die "cannot make host n0"
for i in 1 2 3; do
	netns_host "n$i" && netns_attach "n$i" c eth0 "$NETNS_NET.1$i/25" &&
		netns_attach "n$i" g eth1 "$NETNS_NET.14$i/25" || die "cannot make host n$i"
done
galera_init "$T/galera" "kb-$NETNS_PREFIX" "$NETNS_NET.11 $NETNS_NET.12 $NETNS_NET.13" \
	"$NETNS_NET.141 $NETNS_NET.142 $NETNS_NET.143"
galera_bootstrap || die "the Galera cluster did not come up"

# The single server: the nodes' settings (lib-galera.sh) but wsrep, from
# the same data template, run the same way.
S=$T/single
mkdir -p "$S/tmp" && cp -a "$KA_MARIADB_TEMPLATE" "$S/data" || die "no data directory for the single server"
_galera_cnf "$S" "$NETNS_NET.10" - - n0 | grep -v '^wsrep_' >"$S/my.cnf"
chown -R mysql:mysql "$S" && chmod 0750 "$S"
netns_spawn n0 mariadbd "$S/mariadbd.out" mariadbd --defaults-file="$S/my.cnf"
echo "$SPAWNED_PID" >"$S/pid"
single_sql() { mariadb --no-defaults --socket="$S/mysql.sock" -uroot -N -B --connect-timeout=5 "$@"; }
waitfor "$SPAWNED_PID" 300 single_sql -e 'SELECT 1' ||
	{ tail -n 20 "$S/error.log" >&2; die "the single server did not start"; }
[ "$(single_sql -e 'SELECT @@global.wsrep_on')" = 0 ] || die "the single server runs wsrep"

# One database and account on each, the service's from the root namespace
# (NET.1); created on node 1, replicated to the others.
DB_NAME=kubernetes_auth DB_USER=kubernetes-auth DB_PASSWORD_FILE=$T/db.pass
DB_HOST=$NETNS_NET.10 DB_PORT=3306
secret_file "$DB_PASSWORD_FILE" "$(random_hex 16)"
account="CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
	CREATE USER '$DB_USER'@'$NETNS_NET.%' IDENTIFIED BY '$(cat "$DB_PASSWORD_FILE")';
	GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'$NETNS_NET.%';"
single_sql -e "$account" && galera_sql 1 "$account" || die "cannot create the database and its account"
export DB_NAME DB_USER DB_PASSWORD_FILE DB_HOST DB_PORT

# --- the service, nginx, slapd --------------------------------------------------
slapd_setup --private
SLAPD_PID=$(cat "$SLAPD_PRIVATE_DIR/pid")
# database: as the HA lab's host a (lib-halab.sh), all three nodes; the
# single server's is the same with its one host.
HALAB_DB_HOSTS=1
halab_db_yaml a >"$T/db-galera.yaml"
sed "s|^  hosts: .*|  hosts: [\"$NETNS_NET.10:3306\"]|" "$T/db-galera.yaml" >"$T/db-single.yaml"
grep -q "hosts: \[\"$NETNS_NET.11:3306\", \"$NETNS_NET.12:3306\", \"$NETNS_NET.13:3306\"\]" "$T/db-galera.yaml" ||
	die "halab_db_yaml does not list the three nodes: $(cat "$T/db-galera.yaml")"
service_config() {   # service_config single|galera CACHE-TTL
	ka_config - <<-YAML
	workers: $W
	max_requests: 0
	logging:
	  level: 4
	$(cat "$T/db-$1.yaml")
	ldap:
	  cache_ttl: $2
	YAML
}
service_config single 0
"$KA_BIN" migrate up -config-file "$T/config.yaml" >"$T/migrate.log" 2>&1 ||
	{ cat "$T/migrate.log" >&2; die "migrate up failed on the single server"; }
nginx_setup
NGINX_PID=$(cat "$T/nginx/pid")
ka_start || die "kubernetes-auth did not start on the single server"

# --- the data ---------------------------------------------------------------------
# POST each line of FILE to PATH over one HTTP/2 connection, 16 at a time;
# the answers to stdout, one a line. The admin token stays in a 0600 file.
say "seeding 3 users and $NTOKENS tokens"
printf '{"username":"%s"}\n' alice bob carol >"$T/users.jsonl"
post_lines /users "$T/users.jsonl" | jq -r 'select(.id) | .id' >"$T/user-ids"
[ "$(wc -l <"$T/user-ids")" = 3 ] || die "POST /users did not create the three users"
awk -v n="$NTOKENS" '{ id[NR] = $1 } END { for (i = 0; i < n; i++)
	printf "{\"user_id\":\"%s\",\"description\":\"bench %d\"}\n", id[i % NR + 1], i }' \
	"$T/user-ids" >"$T/tokens.jsonl"
post_lines /tokens "$T/tokens.jsonl" | jq -r 'select(.token) | .token' >"$T/tokens"
[ "$(wc -l <"$T/tokens")" = "$NTOKENS" ] || die "POST /tokens: $(wc -l <"$T/tokens") of $NTOKENS created"
ka_stop
# The same rows on the cluster (node 1; replicated). No LOCK TABLES:
# Galera does not replicate explicit locks.
mariadb-dump --no-defaults --socket="$S/mysql.sock" -uroot --single-transaction \
	--skip-lock-tables --skip-add-locks "$DB_NAME" >"$T/dump.sql" &&
	mariadb --no-defaults --socket="$T/galera/n1/mysql.sock" -uroot "$DB_NAME" <"$T/dump.sql" ||
	die "cannot copy the data to the cluster"
# Steady state: every token used within the last 10 minutes (the whole run
# is shorter), so no review writes last_used_at.
steady="UPDATE tokens SET last_used_at = UTC_TIMESTAMP(6)"
single_sql "$DB_NAME" -e "$steady" && galera_sql 1 "USE $DB_NAME; $steady" || die "cannot set last_used_at"
want=$(single_sql "$DB_NAME" -e 'SELECT COUNT(*) FROM tokens')
for i in 1 2 3; do
	# A causal read: it waits until node i has applied what node 1 took.
	got=$(galera_sql "$i" "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM $DB_NAME.tokens")
	[ "$got" = "$want" ] || die "node $i holds $got tokens, the single server $want"
done

# --- measuring ----------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
db_pids() {   # db_pids single|galera
	if [ "$1" = single ]; then cat "$S/pid"; else galera_pid 1; galera_pid 2; galera_pid 3; fi
}
# shellcheck disable=SC2046  # pid lists
cpu_snapshot() {   # cpu_snapshot single|galera -> service MariaDB slapd nginx
	echo "$(cpu_ticks "$KA_PID" $(pgrep -P "$KA_PID")) $(cpu_ticks $(db_pids "$1")) $(cpu_ticks "$SLAPD_PID") $(cpu_ticks $(pgrep -g "$NGINX_PID"))"
}
# wrk's BENCH line (bench/wrk.lua) and, as client=TICKS, wrk's own CPU: the
# subshell's reaped children's.
run_wrk() {   # run_wrk SECONDS OUT
	(
		me=$BASHPID
		wrk -t2 -c"$C" -d"$1s" --timeout 10s -s "$SRC/bench/wrk.lua" "$KA_URL/authenticate/token" \
			-- tokenreview "$T/tokens" true >"$2" 2>&1
		echo "$(grep '^BENCH ' "$2") client=$(awk '{ sub(/.*\) /, ""); print $14 + $15 }' "/proc/$me/stat")"
	)
}
# A status counter of node 1 (Galera) or nothing.
node1() { [ "$1" = galera ] && galera_var 1 "$2"; }

M=0
measure() {   # measure single|galera ldap|cache
	local db=$1 target=$2 ttl=0 before after line node commits0 causal0
	[ "$target" = cache ] && ttl=10m
	M=$((M + 1))
	ka_stop
	service_config "$db" "$ttl"
	ka_start || die "kubernetes-auth did not start ($db, $target)"
	run_wrk "$WARM" "$T/wrk.warm" >/dev/null
	node=$(curl -s --cacert "$KA_CACERT" "$KA_URL/healthz" | jq -r '"\(.database_node) \(.database_state // "-")"')
	commits0=$(node1 "$db" wsrep_last_committed) causal0=$(node1 "$db" wsrep_causal_reads)
	before=$(cpu_snapshot "$db")
	line=$(run_wrk "$D" "$T/wrk.$M")
	after=$(cpu_snapshot "$db")
	# One line a measurement: what, where, wrk's figures, CPU ticks
	# (service MariaDB slapd nginx), writesets and causal reads on node 1.
	echo "$M $target $db ${node// /,} $line cpu=$(awk -v a="$after" -v b="$before" 'BEGIN {
		n = split(a, x); split(b, y); for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? "," : ""), x[i] - y[i] }') commits=$(
		[ -n "$commits0" ] && echo $(($(node1 "$db" wsrep_last_committed) - commits0)) || echo -) causal=$(
		[ -n "$causal0" ] && echo $(($(node1 "$db" wsrep_causal_reads) - causal0)) || echo -)" >>"$T/measurements"
	say "$(tail -n 1 "$T/measurements")"
}

say "measuring: $ROUNDS rounds, ${D}s each, $W workers, wrk -t2 -c$C (load average $(cut -d' ' -f1-3 /proc/loadavg))"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$T/measurements"
for ((r = 1; r <= ROUNDS; r++)); do
	order="single galera"
	[ $((r % 2)) = 0 ] && order="galera single"
	for target in ldap cache; do
		for db in $order; do
			measure "$db" "$target"
		done
	done
done
ka_stop

# --- the table --------------------------------------------------------------------------
# Per target and database, the means of its measurements: req/s = requests
# ÷ seconds, p50 and p99 the mean of the runs', CPU per review = ticks ÷
# requests; then Galera ÷ single.
awk -v hz="$HZ" -v ncpu="$(nproc)" '
function kv(s, k) { if (!match(s, " " k "=[^ ]*")) return ""; return substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 2) }
function ms(u) { return u < 1000 ? sprintf("%d µs", u) : sprintf("%.2f ms", u / 1000) }
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
{
	k = $2 " " $3
	n[k]++
	req[k] += kv($0, "requests"); secs[k] += kv($0, "seconds")
	p50[k] += kv($0, "p50"); p99[k] += kv($0, "p99")
	bad[k] += kv($0, "errors") + kv($0, "bad")
	split(kv($0, "cpu"), c, ",")
	for (i = 1; i <= 4; i++) ticks[k, i] += c[i]
	ticks[k, 5] += kv($0, "client")
}
END {
	print "| target | database | req/s | p50 | p99 | CPU µs per review: all | service | MariaDB | slapd | nginx | wrk | CPUs busy | failed |"
	print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	split("ldap cache", targets, " ")
	name["ldap"] = "TokenReview, LDAP every request"; name["cache"] = "TokenReview, ldap.cache_ttl 10m"
	split("single galera", dbs, " ")
	label["single"] = "single server"; label["galera"] = "Galera, 3 nodes"
	for (t = 1; t <= 2; t++) {
		s = targets[t] " single"; g = targets[t] " galera"
		if (!(s in n) || !(g in n)) continue
		for (d = 1; d <= 2; d++) {
			k = targets[t] " " dbs[d]
			rps[k] = req[k] / secs[k]; m50[k] = p50[k] / n[k]; m99[k] = p99[k] / n[k]
			cpu[k, 0] = 0; cols = ""
			for (i = 1; i <= 5; i++) {
				cpu[k, i] = ticks[k, i] / hz * 1e6 / req[k]; cpu[k, 0] += cpu[k, i]
				cols = cols sprintf(" | %.0f", cpu[k, i])
			}
			busy[k] = cpu[k, 0] * rps[k] / 1e6
			printf "| %s | %s | %.0f | %s | %s | %.0f%s | %.2f of %d | %d |\n", name[targets[t]], label[dbs[d]],
				rps[k], ms(m50[k]), ms(m99[k]), cpu[k, 0], cols, busy[k], ncpu, bad[k]
		}
		cols = ""
		for (i = 1; i <= 5; i++) cols = cols " | " ratio(cpu[g, i], cpu[s, i])
		printf "| %s | **Galera ÷ single** | **%s** | %s | %s | **%s**%s | %s | |\n", name[targets[t]],
			ratio(rps[g], rps[s]), ratio(m50[g], m50[s]), ratio(m99[g], m99[s]), ratio(cpu[g, 0], cpu[s, 0]), cols,
			ratio(busy[g], busy[s])
	}
}' "$T/measurements" >"$T/table.md"

each=$(awk '
function kv(s, k) { if (!match(s, " " k "=[^ ]*")) return ""; return substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 2) }
{
	printf "%s%d. %s, %s: %.0f req/s", (NR > 1 ? "; " : ""), $1, $2, $3, kv($0, "rps")
	if ($3 == "galera") {
		causal = kv($0, "requests") > 0 ? kv($0, "causal") / kv($0, "requests") : 0
		printf " (%s writesets, %.2f causal reads per review)", kv($0, "commits"), causal
	}
}
END { print "." }' "$T/measurements")
# "10.77.1.11:3306,Synced" -> "node 1 (Synced)"
nodes=$(awk -v net="$NETNS_NET" '$3 == "galera" { split($4, a, ","); n = a[1]; sub("^" net "\\.1", "", n); sub(":.*", "", n)
	print "node " n " (" a[2] ")" }' "$T/measurements" | sort -u | paste -sd, - | sed 's/,/, /g')

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "$HEADING"
	echo
	echo "Written by \`bench/galera.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT."
	echo "CPU: $cpu_model, $(nproc) CPUs shared by everything below; kernel $(uname -r);"
	echo "load average $LOAD0 at the start. One build, $W workers, wrk -t2 -c$C, ${D}s per"
	echo "measurement after ${WARM}s of warm-up, HTTPS over loopback through the real nginx site, the"
	echo "test directory's slapd (alice, bob, carol), $NTOKENS tokens among them, the same rows in both"
	echo "databases, every last_used_at recent (no review writes). The service reaches the database"
	echo "over TCP on a bridge, each server in a network namespace of its own: one MariaDB server,"
	echo "or three Galera nodes (the same my.cnf with wsrep) listed in \`database.hosts\` as the HA"
	echo "lab's host a does, causal reads (\`wsrep_sync_wait = 1\`) on every session. Each target"
	echo "ran $ROUNDS × ${D}s on each database, alternating; the rows are their means (req/s:"
	echo "requests ÷ seconds; p50, p99: the mean of the runs'; CPU: ticks ÷ requests)."
	echo
	cat "$T/table.md"
	echo
	echo "CPU per review: utime+stime from /proc/PID/stat over each run, divided by its requests:"
	echo "the service's master and workers, the mariadbd in use (all three nodes on Galera), slapd,"
	echo "nginx and wrk (10 ms ticks: small values are coarse). CPUs busy: that CPU per review times"
	echo "req/s, out of the machine's. The service read from Galera $nodes."
	echo "Every measurement, in order: $each"
} >"$T/section.md"

# Into the results file: its own section replaced, or added at the end.
if [ -f "$RESULTS" ]; then
	awk -v h="$HEADING" '$0 == h { skip = 1; next } skip && /^##? / { skip = 0 } !skip' "$RESULTS" |
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$RESULTS.tmp"
	echo >>"$RESULTS.tmp"
else
	: >"$RESULTS.tmp"
fi
cat "$T/section.md" >>"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
echo
cat "$T/section.md"
say "done in $(elapsed "$T0")s; written to $RESULTS"
