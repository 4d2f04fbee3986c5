# lib-galera.sh — a MariaDB Galera cluster with one node per network
# namespace (lib-netns.sh): node I runs in host nI.
#
# Each node has two links: its clients reach it on CLIENT-ADDR (port 3306),
# the nodes replicate among themselves on REPL-ADDR (4567 group
# communication, 4568 IST, 4444 SST). Cutting a node's replication link
# makes it a minority that its clients can still reach: the case where a
# node answers but must not be used.
#
#   galera_init DIR NAME "CLIENT-ADDR..." "REPL-ADDR..."
#                      write each node's my.cnf under DIR/nI (no data yet)
#   galera_bootstrap   start node 1 as a new cluster, then the others (SST by
#                      rsync, mariadbd running as mysql), each Synced
#   galera_start I [MARIADBD-ARGS...]  start node I; waits until it is Synced
#   galera_kill I      SIGKILL node I;   galera_stop I: SIGTERM, clean stop
#   galera_recover I   print node I's last committed position (uuid:seqno),
#                      from mariadbd --wsrep-recover
#   galera_restart_ist I
#                      after a crash: recover, then start at that position,
#                      so the node catches up by IST rather than a full SST
#   galera_sql I SQL   as root over node I's unix socket, rows tab-separated
#   galera_var I NAME  one status variable (e.g. wsrep_cluster_status)
#   galera_state I     "Primary Synced 3": cluster status, local state, size
#   galera_wait I TENTHS STATE   until galera_state I is STATE (a regex)
#   galera_pid I

[ -n "${_KA_LIB_GALERA:-}" ] && return 0
_KA_LIB_GALERA=1
. "${BASH_SOURCE[0]%/*}/lib-netns.sh"
. "${BASH_SOURCE[0]%/*}/lib-mariadb.sh"

GALERA_PROVIDER=/usr/lib/galera/libgalera_smm.so

_galera_have() { [ -e "$GALERA_PROVIDER" ] && command -v rsync >/dev/null && _mariadb_have; }

galera_init() {   # galera_init DIR NAME "CLIENT-ADDR..." "REPL-ADDR..."
	local i d peers
	GALERA_DIR=$1
	GALERA_NAME=$2
	read -r -a GALERA_CLIENT <<<"$3"
	read -r -a GALERA_REPL <<<"$4"
	GALERA_NODES=${#GALERA_CLIENT[@]}
	peers=$(IFS=,; echo "${GALERA_REPL[*]}")
	mkdir -p "$GALERA_DIR"
	# mariadbd runs as mysql: it must traverse every parent.
	chmod 0755 "$GALERA_DIR"
	for ((i = 1; i <= GALERA_NODES; i++)); do
		d=$GALERA_DIR/n$i
		mkdir -p "$d/tmp"
		_galera_cnf "$d" "${GALERA_CLIENT[i - 1]}" "${GALERA_REPL[i - 1]}" "$peers" "n$i" >"$d/my.cnf"
	done
}

# The settings Galera requires (ROW binlog, InnoDB, interleaved auto-increment
# locks) and small buffers: three nodes share one small machine.
_galera_cnf() {   # _galera_cnf DIR CLIENT-ADDR REPL-ADDR PEERS NAME
	cat <<-EOF
	[mariadbd]
	user=mysql
	datadir=$1/data
	tmpdir=$1/tmp
	socket=$1/mysql.sock
	pid-file=$1/mariadbd.pid
	log-error=$1/error.log
	bind-address=$2
	port=3306
	skip-name-resolve
	character-set-server=utf8mb4
	innodb_buffer_pool_size=32M
	innodb_log_file_size=16M
	innodb_flush_log_at_trx_commit=2
	performance_schema=OFF
	binlog_format=ROW
	default_storage_engine=InnoDB
	innodb_autoinc_lock_mode=2
	wsrep_on=ON
	wsrep_provider=$GALERA_PROVIDER
	wsrep_provider_options="gcache.size=32M;gmcast.listen_addr=tcp://$3:4567;ist.recv_addr=$3:4568"
	wsrep_cluster_name=$GALERA_NAME
	wsrep_cluster_address=gcomm://$4
	wsrep_node_address=$3
	wsrep_node_name=$5
	wsrep_sst_method=rsync
	wsrep_sst_receive_address=$3:4444
	EOF
}

galera_pid() {   # galera_pid I
	local pid
	pid=$(cat "$GALERA_DIR/n$1/pid" 2>/dev/null) && alive "$pid" && echo "$pid"
}

galera_sql() {   # galera_sql I SQL
	mariadb --no-defaults --socket="$GALERA_DIR/n$1/mysql.sock" -uroot -N -B \
		--connect-timeout=5 -e "$2"
}

galera_var() {   # galera_var I NAME
	galera_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2
}

galera_state() {   # galera_state I
	local rows
	rows=$(galera_sql "$1" "SHOW GLOBAL STATUS WHERE Variable_name IN
		('wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_cluster_size')" 2>/dev/null) ||
		{ echo down; return 1; }
	awk -F'\t' '{ v[$1] = $2 } END { print v["wsrep_cluster_status"], v["wsrep_local_state_comment"], v["wsrep_cluster_size"] }' <<<"$rows"
}

galera_wait() {   # galera_wait I TENTHS STATE-REGEX
	local i=$1 n _
	n=$(scaled "$2")
	for _ in $(seq "$n"); do
		[[ "$(galera_state "$i")" =~ ^$3$ ]] && return 0
		galera_pid "$i" >/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# A node's data starts as a copy of a fresh data directory; a joiner's is
# replaced by the SST anyway.
_galera_datadir() {   # _galera_datadir I
	local d=$GALERA_DIR/n$1
	[ -d "$d/data/mysql" ] && return 0
	if [ -z "${KA_MARIADB_TEMPLATE:-}" ] || [ ! -d "$KA_MARIADB_TEMPLATE/mysql" ]; then
		# mariadb-install-db fails now and then on a busy machine: once more.
		mariadb_make_template "$GALERA_DIR/template" 2>/dev/null || {
			rm -rf "$GALERA_DIR/template"
			mariadb_make_template "$GALERA_DIR/template"
		} || return 1
	fi
	cp -a "$KA_MARIADB_TEMPLATE" "$d/data" || return 1
	chown -R mysql:mysql "$d"
	chmod 0750 "$d"
}

galera_start() {   # galera_start I [MARIADBD-ARGS...]
	local i=$1 d=$GALERA_DIR/n$1
	shift
	_galera_datadir "$i" || return 1
	# The SST's rsync daemon and mariadbd itself write here as mysql.
	chown -R mysql:mysql "$d"
	# --defaults-file must come first.
	netns_spawn "n$i" mariadbd "$d/mariadbd.out" mariadbd --defaults-file="$d/my.cnf" "$@"
	echo "$SPAWNED_PID" >"$d/pid"
	if ! galera_wait "$i" 900 'Primary Synced [0-9]+'; then
		echo "galera: node $i is not Synced ($(galera_state "$i")); its log:" >&2
		tail -n 30 "$d/error.log" >&2
		return 1
	fi
}

galera_bootstrap() {
	local i
	galera_start 1 --wsrep-new-cluster || return 1
	# One joiner at a time: two at once wait for each other's donor.
	for ((i = 2; i <= GALERA_NODES; i++)); do
		galera_start "$i" || return 1
	done
}

galera_kill() {   # galera_kill I
	local pid
	pid=$(galera_pid "$1") || return 0
	stop_daemon "$pid" KILL 50
}

galera_stop() {   # galera_stop I
	local pid
	pid=$(galera_pid "$1") || return 0
	stop_daemon "$pid" TERM 600
}

galera_recover() {   # galera_recover I
	local d=$GALERA_DIR/n$1
	rm -f "$d/recover.log"
	netns_exec "n$1" mariadbd --defaults-file="$d/my.cnf" --wsrep-recover \
		--log-error="$d/recover.log" >/dev/null 2>&1
	sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:-\{0,1\}[0-9]*\).*/\1/p' "$d/recover.log" | tail -n 1
}

galera_restart_ist() {   # galera_restart_ist I
	local pos
	pos=$(galera_recover "$1")
	[ -n "$pos" ] || { echo "galera: no recovered position for node $1" >&2; return 1; }
	galera_start "$1" --wsrep-start-position="$pos"
}
