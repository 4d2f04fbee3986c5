# lib-load.sh — bounded load through nginx for process tests.
#
#   load_start SECONDS PATH [CONNECTIONS]   wrk in the background on
#                      $KA_URL$PATH for SECONDS (never longer); sets LOAD_PID
#   load_wait          wait for it; sets LOAD_REQUESTS (completed) and
#                      LOAD_FAILED (non-2xx answers + socket errors)
#   blackhole_start    a listener that accepts and never answers:
#                      BLACKHOLE_PORT
#   worker_pids, worker_count, eventually TENTHS CMD...
#
# wrk's counts are what a client saw: a request cut by a killed worker shows
# up as a JSON 503 from nginx (non-2xx), a refused connection as an error.

[ -n "${_KA_LIB_LOAD:-}" ] && return 0
_KA_LIB_LOAD=1

load_start() {   # load_start SECONDS PATH [CONNECTIONS]
	local seconds=$1 path=$2 conns=${3:-8}
	command -v wrk >/dev/null || bail "wrk is not installed"
	wrk -t2 -c"$conns" -d"${seconds}s" --timeout 15s "${KA_URL:?}$path" \
		>"$T/wrk.out" 2>&1 &
	LOAD_PID=$!
	at_exit "kill $LOAD_PID 2>/dev/null || true"
}

load_wait() {
	wait "$LOAD_PID"
	LOAD_REQUESTS=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
	local non2xx errors
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$T/wrk.out")
	errors=$(awk -F'[ ,]+' '/Socket errors:/ { print $4 + $6 + $8 + $10 }' "$T/wrk.out")
	LOAD_FAILED=$(( ${non2xx:-0} + ${errors:-0} ))
	: "${LOAD_REQUESTS:=0}"
	diag "load: $LOAD_REQUESTS requests, $LOAD_FAILED failed"
}

# A listener on a free loopback port that accepts connections and never
# answers (a hung LDAP server, say); sets BLACKHOLE_PORT, stopped at exit.
blackhole_start() {
	BLACKHOLE_PORT=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$BLACKHOLE_PORT" &
	local pid=$!
	at_exit "kill $pid 2>/dev/null"
	waitfor "$pid" 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BLACKHOLE_PORT" ||
		bail "the black-hole listener did not start"
}

# The worker pids of the running service, sorted, one line.
worker_pids() { pgrep -P "${KA_PID:?}" | sort -n | tr '\n' ' '; }
worker_count() { pgrep -P "${KA_PID:?}" | wc -l; }

# Poll until CMD succeeds, at most TENTHS tenths of a second (scaled).
eventually() {   # eventually TENTHS CMD...
	local n=$1 _
	shift
	for _ in $(seq "$(scaled "$n")"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
