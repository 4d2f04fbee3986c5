# lib-daemon.sh — processes in tests: the per-test directory, the exit stack,
# free ports, starting and stopping daemons, and kubernetes-auth itself.
#
# Source after t/lib/tap.sh (the other t/lib/lib-*.sh source this file
# themselves). What it gives a test:
#
#   $T                 a fresh directory (/tmp/ka.XXXXXX, mode 0711), removed
#                      at exit unless KA_KEEP_TMP=1
#   at_exit CMD        run CMD at exit; commands run in reverse order, also
#                      when the test fails, calls exit, or gets INT/TERM/HUP;
#                      a watchdog kills the test's daemons even on SIGKILL
#   free_port          print a free loopback port in 20000-29999
#   alive PID          PID runs (and is no zombie)
#   waitfor PID N CMD  poll CMD every 0.1 s, at most N tenths of a second
#                      (scaled by TEST_TIME_FACTOR), while PID lives
#   spawn_daemon NAME LOG CMD...   start CMD in its own session; sets
#                      SPAWNED_PID; killed (whole process group) at exit
#   wait               (no arguments) waits for the test's own background
#                      jobs only, not for daemons or the watchdog
#   stop_daemon PID [SIG] [N]      SIG (TERM) to PID, wait N tenths (scaled),
#                      then KILL its process group; returns PID's exit status
#   secret_file PATH CONTENT       a 0600 file; random_hex [BYTES]
#   elapsed START      seconds since START (an $EPOCHREALTIME value)
#
#   ka_config [FILE|-] write $T/config.yaml from DB_*, LDAP_* (and YAML
#                      merged over it, see below); sets KA_SOCK,
#                      KA_ADMIN_TOKEN, KA_KEY_FILE, KA_NGINX_PORT
#   ka_check_config [--connect]    $KA_BIN check-config on it
#   ka_start [ARGS]    start $KA_BIN on that config, stderr to $T/ka.log;
#                      waits for the socket and a worker (after migrations);
#                      sets KA_PID; non-zero when it does not get there
#   ka_stop            SIGTERM, wait, KILL after a bound; returns its status
#                      (non-zero too when the log holds a sanitizer report)
#   ka_sanitizer_report   status 0 when the log holds one (and shows it)
#   ka_restart [FILE|-]   ka_stop, ka_config with that overlay, ka_start; a
#                      stop that is not clean is a failed check, a start
#                      that fails bails out
#   ka_pids            master and worker pids, one a line
#   ka_curl METHOD PATH [CURL-ARGS...]     HTTPS through nginx ($KA_URL);
#                      sets $status, $body, $headers (CRs stripped)
#   admin_curl METHOD PATH [CURL-ARGS...]  the same with x-auth-token
#   header NAME        a header of the last response (case-insensitive)
#   body_error         the last response's {"error": "..."} string; nothing
#                      when the body is no JSON object with a non-empty one
#
# Quick start sets KA_PERSIST=1 and its own T before sourcing: daemons are
# then left running at exit and nothing is removed.

[ -n "${_KA_LIB_DAEMON:-}" ] && return 0
_KA_LIB_DAEMON=1

[ -n "${KA_SRCDIR:-}" ] && declare -F ok >/dev/null || . "${BASH_SOURCE[0]%/*}/tap.sh"
: "${KA_PERSIST:=0}"

# A T inherited from the environment belongs to someone else (t/run.sh keeps
# its own unexported): every test gets a fresh one.
if [ -z "${T:-}" ] || [[ "$(declare -p T 2>/dev/null)" == "declare -x"* ]]; then
	export -n T 2>/dev/null || true
	T=$(mktemp -d /tmp/ka.XXXXXX) || bail "mktemp failed"
	_ka_own_tmp=1
else
	mkdir -p "$T"
	_ka_own_tmp=0
fi
# nginx workers (nobody) must reach sockets below $T.
chmod 0711 "$T"

# --- exit stack --------------------------------------------------------------

_ka_exit_cmds=()

at_exit() { _ka_exit_cmds+=("$1"); }

_ka_run_exit() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM HUP
	for ((i = ${#_ka_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_ka_exit_cmds[i]}" >/dev/null 2>&1
	done
	exit "$rc"
}

if [ "$KA_PERSIST" != 1 ]; then
	trap _ka_run_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ "$_ka_own_tmp" = 1 ]; then
		if [ "${KA_KEEP_TMP:-0}" = 1 ]; then
			at_exit "echo '# kept $T' >&2"
		else
			at_exit "rm -rf '$T'"
		fi
	fi
	# Runs after the daemons have stopped (the stack unwinds in reverse).
	at_exit _ka_audit_save
fi

# Daemons run in their own session, so one kill reaches a master and its
# workers. Their process group ids are listed in $T/.daemons for the
# watchdog, which kills them if this shell dies without running its traps.
_ka_watchdog_pid=

_ka_watchdog_start() {
	[ -n "$_ka_watchdog_pid" ] || [ "$KA_PERSIST" = 1 ] && return 0
	local shell_pid=$$ list=$T/.daemons keep=${KA_KEEP_TMP:-0} own=$_ka_own_tmp dir=$T
	(
		trap '' INT HUP TERM
		exec </dev/null >/dev/null 2>&1
		while kill -0 "$shell_pid" 2>/dev/null; do sleep 1; done
		if [ -s "$list" ]; then
			while read -r pg; do kill -KILL -- "-$pg" 2>/dev/null; done <"$list"
		fi
		[ "$own" = 1 ] && [ "$keep" != 1 ] && rm -rf "$dir"
	) &
	_ka_watchdog_pid=$!
	at_exit "kill $_ka_watchdog_pid"
}

# --- ports -------------------------------------------------------------------

# Ports handed out are recorded (t/run.sh shares the file with all tests), so
# two tests never get the same port, even when one of them is not yet
# listening or has stopped its server for a while.
: "${KA_PORT_REGISTRY:=$T/.ports}"

_ka_port_is_free() {
	if command -v python3 >/dev/null; then
		python3 - "$1" <<-'PY' 2>/dev/null
		import socket, sys
		s = socket.socket()
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("127.0.0.1", int(sys.argv[1])))
		PY
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

free_port() {
	local p _
	for _ in $(seq 100); do
		# Below the kernel's ephemeral range (32768-60999 by default):
		# a client's outgoing connection can never hold a port a test
		# wants to bind again after stopping its server.
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 10000))
		if (
			flock 9
			grep -qx "$p" "$KA_PORT_REGISTRY" 2>/dev/null && exit 1
			_ka_port_is_free "$p" || exit 1
			echo "$p" >>"$KA_PORT_REGISTRY"
		) 9>>"$KA_PORT_REGISTRY.lock"; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# --- processes ---------------------------------------------------------------

# PID runs (a zombie does not: the orphaned daemons of the quick start are
# reaped by init, maybe not at once).
alive() {   # alive PID
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ "$state" != Z ]
}

waitfor() {   # waitfor PID TENTHS CMD...
	local pid=$1 n _
	n=$(scaled "$2")
	shift 2
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		alive "$pid" || return 1
		sleep 0.1
	done
	return 1
}

spawn_daemon() {   # spawn_daemon NAME LOG CMD...
	local name=$1 log=$2
	shift 2
	_ka_watchdog_start
	# Without job control a background child is no group leader, so setsid
	# does not fork: $! is the daemon itself.
	setsid "$@" </dev/null >>"$log" 2>&1 &
	SPAWNED_PID=$!
	if [ "$KA_PERSIST" != 1 ]; then
		echo "$SPAWNED_PID" >>"$T/.daemons"
		at_exit "stop_daemon $SPAWNED_PID KILL 0"
	fi
}

# A bare "wait" waits for the test's own background jobs (a curl, wrk), not
# for the daemons started here or the watchdog, which run until stopped: the
# builtin would block forever. With arguments it is the builtin.
wait() {
	[ $# -gt 0 ] && { builtin wait "$@"; return; }
	local pid rc=0
	for pid in $(jobs -p); do
		[ "$pid" = "$_ka_watchdog_pid" ] && continue
		grep -qx "$pid" "$T/.daemons" 2>/dev/null && continue
		builtin wait "$pid" || rc=$?
	done
	return "$rc"
}

stop_daemon() {   # stop_daemon PID [SIG] [TENTHS] -> PID's exit status
	local pid=$1 sig=${2:-TERM} n _ rc=0
	n=$(scaled "${3:-100}")
	alive "$pid" || { wait "$pid" 2>/dev/null; return; }
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq "$n"); do
		alive "$pid" || break
		sleep 0.1
	done
	alive "$pid" && rc=137
	# Leftovers (workers of a killed master) share its process group.
	kill -KILL -- "-$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local st=$?
	[ "$rc" = 0 ] && rc=$st
	[ -f "$T/.daemons" ] && sed -i "/^$pid\$/d" "$T/.daemons"
	return "$rc"
}

# A file of mode 0600 holding one line, with no newline (ldap tools' -y
# would take it as part of the password).
secret_file() {   # secret_file PATH CONTENT
	(umask 077 && printf '%s' "$2" >"$1")
	secret_used "$2"
}

# Secrets hygiene: every secret a test uses is listed in $T/.secrets; with
# KA_AUDIT_DIR set (t/run.sh sets it), each test leaves that list, the
# service's and nginx's logs and a dump of its database there at exit, and
# t/9999-secrets-hygiene.t greps them all for every secret.
secret_used() {   # secret_used SECRET...
	local s
	for s in "$@"; do
		[ -n "$s" ] && printf '%s\n' "$s" >>"$T/.secrets"
	done
	return 0
}

_ka_audit_save() {
	local dest
	[ -n "${KA_AUDIT_DIR:-}" ] || return 0
	dest=$KA_AUDIT_DIR/$(basename "$0" .t).$$
	mkdir -p "$dest/logs"
	[ -f "$T/.secrets" ] && cp "$T/.secrets" "$dest/secrets"
	find "$T" -maxdepth 3 -name '*.log' -not -path '*/my/*' -not -path '*/ldap/*' \
		-exec sh -c 'd=$1 t=$2; shift 2; for f; do cp "$f" "$d/logs/$(echo "${f#"$t"/}" | tr / _)"; done' _ "$dest" "$T" {} +
	[ -f "$T/.dump.sql" ] && cp "$T/.dump.sql" "$dest/dump.sql"
	return 0
}

random_hex() { openssl rand -hex "${1:-16}"; }

# Seconds since START (an $EPOCHREALTIME value), e.g. "1.25".
elapsed() {   # elapsed START
	local us=$((${EPOCHREALTIME/./} - ${1/./}))
	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# --- kubernetes-auth ---------------------------------------------------------

# Can the unprivileged service read DIR?
_ka_nobody_reads() {   # _ka_nobody_reads DIR
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$1" -a -x "$1" 2>/dev/null
}

# The token key file. One place to change when its format grows key ids.
ka_key_file_write() {   # ka_key_file_write PATH
	secret_file "$1" "$(openssl rand -hex 32)"
}

# Merge YAML (block style, two levels) over a base file: a top-level key of
# OVERLAY replaces the base's; a second-level key replaces or joins the
# base section's; the value "!delete" removes the key. Enough for configs,
# with no YAML library.
_ka_yaml_merge() {   # _ka_yaml_merge BASE OVERLAY > MERGED
	python3 - "$1" "$2" <<-'PY'
	import re, sys

	def parse(path):
	    """[(key, head_line, [(subkey, [lines])] or None, [lines])]"""
	    out, cur, sub = [], None, None
	    for line in open(path):
	        if not line.strip() or line.lstrip().startswith("#"):
	            continue
	        if not line[0].isspace():
	            key = line.split(":", 1)[0].strip()
	            cur = [key, line, [], []]
	            out.append(cur)
	            sub = None
	        elif cur is None:
	            sys.exit("merge: indented line before any key: " + line)
	        elif re.match(r"^  [^ #-][^:]*:", line):
	            sub = [line.split(":", 1)[0].strip(), [line]]
	            cur[2].append(sub)
	        elif sub is not None:
	            sub[1].append(line)
	        else:
	            cur[3].append(line)
	    return out

	def deleted(lines):
	    return lines[0].split(":", 1)[1].strip() == "!delete"

	base, over = parse(sys.argv[1]), parse(sys.argv[2])
	for entry in over:
	    key, head, subs, rest = entry
	    old = [b for b in base if b[0] == key]
	    b = old[0] if old else None
	    if deleted([head]):
	        if b: base.remove(b)
	    elif b is None:
	        base.append(entry)
	    elif not subs or not b[2]:
	        base[base.index(b)] = entry
	    else:
	        for skey, slines in subs:
	            same = [x for x in b[2] if x[0] == skey]
	            if deleted(slines):
	                for x in same: b[2].remove(x)
	            elif same:
	                same[0][1] = slines
	            else:
	                b[2].append([skey, slines])
	for key, head, subs, rest in base:
	    sys.stdout.write(head)
	    for _, lines in subs:
	        sys.stdout.writelines(lines)
	    sys.stdout.writelines(rest)
	PY
}

# Write $T/config.yaml for the services set up by mariadb_setup and
# slapd_setup. With an argument, that YAML file ("-": stdin) is merged over
# the defaults, e.g.
#     ka_config - <<'EOF'
#     ldap:
#       group_methods: [memberOf]
#     login:
#       auto_create: true
#     EOF
ka_config() {   # ka_config [OVERLAY-YAML-FILE | -]
	: "${DB_NAME:?ka_config needs mariadb_setup first}" "${LDAP_URL:?ka_config needs slapd_setup first}"
	local conf=${KA_CONFIG:-$T/config.yaml} run
	KA_SOCK=${KA_SOCK:-$T/run/ka.sock}
	run=$(dirname "$KA_SOCK")
	mkdir -p "$run"
	# The service drops to nobody and removes its socket on exit.
	chown nobody:nogroup "$run"
	chmod 0755 "$run"
	# It reads migrations as nobody too: a checkout below /root is out of reach.
	if [ -z "${KA_MIGRATIONS_DIR:-}" ]; then
		KA_MIGRATIONS_DIR=$KA_SRCDIR/sql
		if ! _ka_nobody_reads "$KA_MIGRATIONS_DIR"; then
			rm -rf "$T/sql" && cp -r "$KA_SRCDIR/sql" "$T/sql" && chmod -R a+rX "$T/sql"
			KA_MIGRATIONS_DIR=$T/sql
		fi
	fi
	# nginx_setup may come later: reserve its port now for public_url.
	KA_NGINX_PORT=${KA_NGINX_PORT:-$(free_port)}
	KA_KEY_FILE=${KA_KEY_FILE:-$T/token.key}
	[ -s "$KA_KEY_FILE" ] || ka_key_file_write "$KA_KEY_FILE"
	[ -n "${KA_ADMIN_TOKEN:-}" ] || KA_ADMIN_TOKEN=$(random_hex 32)
	secret_used "$KA_ADMIN_TOKEN"
	export KA_SOCK KA_KEY_FILE KA_ADMIN_TOKEN KA_NGINX_PORT
	cat >"$conf.base" <<-EOF
	listen: $KA_SOCK
	listen_group: ${KA_NGINX_GROUP:-nogroup}
	# nginx's workers run as nobody here (as www-data on Debian).
	listen_peer_users: [nobody]
	user: nobody
	group: nogroup
	workers: 2
	max_body: 65536
	request_timeout: 10s
	shutdown_timeout: 10s
	public_url: ${KA_PUBLIC_URL:-https://localhost:$KA_NGINX_PORT}
	migrations_dir: $KA_MIGRATIONS_DIR
	database:
	  host: $DB_HOST
	  port: $DB_PORT
	  name: $DB_NAME
	  user: $DB_USER
	  password_file: $DB_PASSWORD_FILE
	  connect_timeout: 2s
	  read_timeout: 5s
	ldap:
	  urls: [ "$LDAP_URL" ]
	  bind_dn: $LDAP_BIND_DN
	  bind_password_file: $LDAP_BIND_PASSWORD_FILE
	  base_dn: $LDAP_BASE_DN
	  user_filter: "(|(uid=%s)(mail=%s))"
	  username_attribute: mail
	  uid_attribute: uidNumber
	  group_methods: [member, memberUid]
	  network_timeout: 2s
	  timeout: 3s
	authentication:
	  default_groups: ["All Users"]
	tokens:
	  key_file: $KA_KEY_FILE
	logging:
	  level: 5
	EOF
	if [ -n "${1:-}" ]; then
		cat -- "$1" >"$conf.overlay" || return 1
		_ka_yaml_merge "$conf.base" "$conf.overlay" >"$conf" || return 1
		rm -f "$conf.overlay"
	else
		cp "$conf.base" "$conf"
	fi
	rm -f "$conf.base"
	chmod 0644 "$conf"
}

# kubernetes-auth check-config on that config, e.g. ka_check_config --connect
ka_check_config() {   # ka_check_config [ARGS...]
	KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN \
		"$KA_BIN" check-config "$@" -config-file "${KA_CONFIG:-$T/config.yaml}"
}

ka_start() {   # ka_start [EXTRA-ARGS...]
	local conf=${KA_CONFIG:-$T/config.yaml} log=${KA_LOG:-$T/ka.log}
	[ -x "$KA_BIN" ] || { diag "no $KA_BIN: build first (./configure && make)"; return 1; }
	[ -f "$conf" ] || ka_config || return 1
	rm -f "$KA_SOCK"
	# Sanitizer reports go to the log, and fail loudly.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN \
		spawn_daemon kubernetes-auth "$log" "$KA_BIN" -config-file "$conf" "$@"
	KA_PID=$SPAWNED_PID
	if ! waitfor "$KA_PID" 100 _ka_ready; then
		diag "kubernetes-auth is not ready (no $KA_SOCK or no worker); its log:"
		sed 's/^/#   /' "$log" | tail -n 40
		return 1
	fi
}

# Ready: the socket exists and a worker runs. The master opens the socket
# first, then migrates, then forks the workers.
_ka_ready() { [ -S "$KA_SOCK" ] && pgrep -P "$KA_PID" >/dev/null; }

# The bound is above the test config's shutdown_timeout (10s): a master that
# is still there after it is stuck, and gets KILL (status 137).
ka_stop() {   # -> the master's exit status (0 after a graceful stop)
	local rc=0
	[ -n "${KA_PID:-}" ] || return 0
	stop_daemon "$KA_PID" TERM 150 || rc=$?
	KA_PID=
	if ka_sanitizer_report; then
		[ "$rc" = 0 ] && rc=1
	fi
	return "$rc"
}

# Status 0 when the service's log holds a sanitizer report, which it then
# shows as diagnostics.
ka_sanitizer_report() {
	local log=${KA_LOG:-$T/ka.log} re='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
	grep -Eq "$re" "$log" || return 1
	diag "sanitizer report in $log:"
	grep -E -A 20 "$re" "$log" | head -n 60 | sed 's/^/#   /'
}

# The merged config changes; the service's data, database and nginx stay.
ka_restart() {   # ka_restart [OVERLAY-YAML-FILE | -]
	ka_stop || ok $? "kubernetes-auth stops cleanly before the restart (see ${KA_LOG:-$T/ka.log})"
	ka_config "$@" || bail "ka_config failed"
	ka_start || bail "kubernetes-auth did not restart"
}

ka_pids() {
	[ -n "${KA_PID:-}" ] || return 1
	echo "$KA_PID"
	pgrep -P "$KA_PID" || true
}

ka_curl() {   # ka_curl METHOD PATH-OR-URL [CURL-ARGS...]
	local method=$1 url=$2
	shift 2
	[[ "$url" == http* ]] || url=${KA_URL:?ka_curl needs nginx_setup}$url
	local method_arg=(-X "$method")
	[ "$method" = HEAD ] && method_arg=(-I)
	# A request that gets no answer must not leave the last one's behind.
	rm -f "$T/.curl.body" "$T/.curl.headers"
	status=$(curl -sS --cacert "$KA_CACERT" "${method_arg[@]}" \
		--max-time "$((20 * TEST_TIME_FACTOR))" \
		-o "$T/.curl.body" -D "$T/.curl.headers" -w '%{http_code}' "$@" "$url") ||
		status=${status:-000}
	body=$(cat "$T/.curl.body" 2>/dev/null)
	# Any token an answer reveals is a secret the logs must not hold.
	secret_used $(grep -oE '\b[0-9a-f]{64}\b' "$T/.curl.body" 2>/dev/null | sort -u)
	headers=$(tr -d '\r' <"$T/.curl.headers" 2>/dev/null)
}

admin_curl() {   # admin_curl METHOD PATH [CURL-ARGS...]
	local method=$1 path=$2
	shift 2
	ka_curl "$method" "$path" -H "x-auth-token: $KA_ADMIN_TOKEN" "$@"
}

header() {   # header NAME -> the value, from the last ka_curl
	printf '%s\n' "$headers" | awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" '
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}

body_error() {
	jq -r 'if type == "object" and (.error | type) == "string" and .error != ""
		then .error else empty end' <<<"$body" 2>/dev/null
}
