# lib-mariadb.sh — MariaDB for tests: a fresh database and user per test.
#
#   mariadb_setup [--private]
#       Use the run's shared server (t/run.sh exports KA_SHARED_MARIADB_*),
#       or with --private (or when there is none) start one in $T/my. Either
#       way create a new database and an app user that may use only it, and
#       export DB_HOST (127.0.0.1), DB_PORT, DB_NAME, DB_USER,
#       DB_PASSWORD_FILE, and DB_SOCK (root over the unix socket).
#   db_sql "SQL"       run SQL as root in DB_NAME; prints rows tab-separated,
#                      no column names
#   db_dump [MARIADB-DUMP-ARGS...]   DB_NAME as SQL, one INSERT a row;
#                      fails when mariadb-dump does
#   db_dump_sum        a checksum of the whole of DB_NAME (AUTO_INCREMENT
#                      counters aside: a refused INSERT may use one up), for
#                      "nothing changed" checks; when the dump fails, a line
#                      that equals no other, so that such a check fails too
#   mariadb_stop_private / mariadb_start_private
#       stop (SIGTERM: a clean shutdown) and start again the private server,
#       same port, same data.
#
# Server-level functions, also used by t/run.sh and contrib/quickstart.sh:
#   mariadb_make_template DIR    initialise a data directory once; later
#       servers copy it instead of running mariadb-install-db (exports
#       KA_MARIADB_TEMPLATE)
#   mariadb_server_start DIR PORT [SOCKET]   (re)start a server whose data
#       lives in DIR/data (created when missing); sets MARIADB_PID
#   mariadb_server_stop DIR [SIG]
#   mariadb_create_db SOCKET NAME USER PASSWORD-FILE   (idempotent)

[ -n "${_KA_LIB_MARIADB:-}" ] && return 0
_KA_LIB_MARIADB=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"

PATH=$PATH:/usr/sbin

_mariadb_have() { command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; }

# --no-defaults must come first, or /etc/mysql settings leak in.
_mariadb_root() {   # _mariadb_root SOCKET [ARGS...]
	local sock=$1
	shift
	mariadb --no-defaults --socket="$sock" -uroot "$@"
}

_mariadb_init() {   # _mariadb_init DATADIR
	mkdir -p "$1"
	mariadb-install-db --no-defaults --user=root --datadir="$1" \
		--auth-root-authentication-method=socket --skip-test-db \
		--innodb-log-file-size=16M >"$1.install.log" 2>&1 || {
		cat "$1.install.log" >&2
		return 1
	}
}

mariadb_make_template() {   # mariadb_make_template DIR
	_mariadb_init "$1" || return 1
	KA_MARIADB_TEMPLATE=$1
	export KA_MARIADB_TEMPLATE
}

mariadb_server_start() {   # mariadb_server_start DIR PORT [SOCKET]
	local d=$1 port=$2 sock=${3:-$1/sock}
	mkdir -p "$d/tmp"
	chmod 0700 "$d"
	if [ ! -d "$d/data/mysql" ]; then
		if [ -n "${KA_MARIADB_TEMPLATE:-}" ] && [ -d "$KA_MARIADB_TEMPLATE/mysql" ]; then
			cp -a "$KA_MARIADB_TEMPLATE" "$d/data" || return 1
		else
			_mariadb_init "$d/data" || return 1
		fi
	fi
	echo "$port" >"$d/port"
	echo "$sock" >"$d/socket"
	rm -f "$d/mariadbd.pid"
	spawn_daemon mariadbd "$d/mariadbd.log" mariadbd --no-defaults --user=root \
		--datadir="$d/data" --tmpdir="$d/tmp" --socket="$sock" --port="$port" \
		--bind-address=127.0.0.1 --pid-file="$d/mariadbd.pid" --log-error="$d/error.log" \
		--skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0
	MARIADB_PID=$SPAWNED_PID
	echo "$MARIADB_PID" >"$d/pid"
	if ! waitfor "$MARIADB_PID" 300 mariadb-admin --no-defaults --socket="$sock" -uroot ping; then
		echo "mariadbd did not start; its log:" >&2
		tail -n 20 "$d/error.log" >&2
		stop_daemon "$MARIADB_PID" KILL 0
		return 1
	fi
}

mariadb_server_stop() {   # mariadb_server_stop DIR [SIG]
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	stop_daemon "$pid" "${2:-TERM}" 300
	rm -f "$1/pid"
}

mariadb_create_db() {   # mariadb_create_db SOCKET NAME USER PASSWORD-FILE
	local sock=$1 name=$2 user=$3 pwfile=$4 pw
	[ -s "$pwfile" ] || secret_file "$pwfile" "$(random_hex 16)"
	pw=$(cat "$pwfile")
	# The app user exists for the socket (localhost) and for TCP
	# (127.0.0.1, with --skip-name-resolve).
	_mariadb_root "$sock" <<-SQL
	CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
	CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pw';
	CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pw';
	ALTER USER '$user'@'localhost' IDENTIFIED BY '$pw';
	ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$pw';
	GRANT ALL ON \`$name\`.* TO '$user'@'localhost', '$user'@'127.0.0.1';
	SQL
}

# Start a server, picking a new port when the chosen one was taken meanwhile.
_mariadb_start_new() {   # _mariadb_start_new DIR
	local _ port
	for _ in 1 2 3; do
		port=$(free_port) || return 1
		mariadb_server_start "$1" "$port" && return 0
		grep -q 'Address already in use' "$1/error.log" 2>/dev/null || return 1
	done
	return 1
}

mariadb_setup() {   # mariadb_setup [--private]
	local private=0 id
	while [ $# -gt 0 ]; do
		case $1 in
		--private) private=1 ;;
		*) bail "mariadb_setup: unknown option $1" ;;
		esac
		shift
	done
	_mariadb_have || skip_all "mariadb-server not installed"
	if [ "$private" = 0 ] && [ -n "${KA_SHARED_MARIADB_SOCK:-}" ]; then
		MARIADB_PRIVATE_DIR=
		DB_SOCK=$KA_SHARED_MARIADB_SOCK
		DB_PORT=$KA_SHARED_MARIADB_PORT
	else
		MARIADB_PRIVATE_DIR=$T/my
		_mariadb_start_new "$MARIADB_PRIVATE_DIR" || bail "could not start mariadbd"
		DB_SOCK=$MARIADB_PRIVATE_DIR/sock
		DB_PORT=$(cat "$MARIADB_PRIVATE_DIR/port")
	fi
	id=$(random_hex 4)
	DB_HOST=127.0.0.1
	DB_NAME=ka_test_$id
	DB_USER=ka_$id
	DB_PASSWORD_FILE=$T/db.pass
	mariadb_create_db "$DB_SOCK" "$DB_NAME" "$DB_USER" "$DB_PASSWORD_FILE" ||
		bail "could not create database $DB_NAME"
	if [ -z "$MARIADB_PRIVATE_DIR" ]; then
		at_exit "_mariadb_root '$DB_SOCK' -e \"DROP DATABASE IF EXISTS \\\`$DB_NAME\\\`; DROP USER IF EXISTS '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1'\""
	fi
	export DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD_FILE DB_SOCK
	# Registered after the drop (or the server's stop), so it runs before
	# them: a dump for the secrets hygiene check.
	[ -n "${KA_AUDIT_DIR:-}" ] && at_exit _mariadb_dump
	return 0
}

_mariadb_dump() { db_dump --hex-blob >"$T/.dump.sql" 2>/dev/null; }

db_sql() {   # db_sql "SQL"
	_mariadb_root "$DB_SOCK" -N -B "$DB_NAME" -e "$1"
}

db_dump() {   # db_dump [MARIADB-DUMP-ARGS...]
	mariadb-dump --no-defaults --socket="$DB_SOCK" -uroot --skip-dump-date \
		--skip-comments --skip-extended-insert "$@" "$DB_NAME"
}

db_dump_sum() {
	local dump
	if dump=$(db_dump --hex-blob) && [ -n "$dump" ]; then
		sed 's/ AUTO_INCREMENT=[0-9]*//' <<<"$dump" | sha256sum
	else
		echo "db_dump_sum: mariadb-dump failed" >&2
		echo "no dump ($EPOCHREALTIME)"
	fi
}

mariadb_stop_private() {
	: "${MARIADB_PRIVATE_DIR:?mariadb_stop_private: no private server (mariadb_setup --private)}"
	mariadb_server_stop "$MARIADB_PRIVATE_DIR" TERM
}

mariadb_start_private() {
	: "${MARIADB_PRIVATE_DIR:?mariadb_start_private: no private server (mariadb_setup --private)}"
	mariadb_server_start "$MARIADB_PRIVATE_DIR" "$DB_PORT"
}
