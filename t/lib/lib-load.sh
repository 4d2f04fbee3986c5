# lib-load.sh — bounded load through nginx for process tests.
#
#   load_start SECONDS PATH [CONNECTIONS]   wrk in the background on
#                      $KA_URL$PATH for SECONDS (never longer); sets LOAD_PID
#   load_wait          wait for it; sets LOAD_REQUESTS (completed) and
#                      LOAD_FAILED (non-2xx answers + socket errors)
#   blackhole_start    a listener that accepts and never answers:
#                      BLACKHOLE_PORT; blackhole_connections: how many it
#                      has accepted so far (its start-up probe's included)
#   burst N PATH [CURL-ARGS...]   N requests to $KA_URL$PATH sent at once
#                      (one curl, 20 at a time, GET unless CURL-ARGS say
#                      otherwise); writes "STATUS FILE" lines to
#                      $T/burst.codes, each answer's body to its FILE in
#                      $T/burst/; sets BURST_TOOK, the seconds from before
#                      the first request left to after the last answer
#   burst_answers      the statuses of the last burst counted, e.g.
#                      "11 200 189 429"; burst_answered STATUS: how many
#   worker_pids, worker_count, eventually TENTHS CMD...
#   wait_workers N [TENTHS]        until the service has N workers (at
#                      most 5 s, scaled); non-zero if it does not get there
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
# It notes each connection in $T/blackhole.PORT.log.
blackhole_start() {
	BLACKHOLE_PORT=$(free_port)
	BLACKHOLE_LOG=$T/blackhole.$BLACKHOLE_PORT.log
	: >"$BLACKHOLE_LOG"
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
    with open(sys.argv[2], "a") as log: log.write("accepted\n")
' "$BLACKHOLE_PORT" "$BLACKHOLE_LOG" &
	local pid=$!
	at_exit "kill $pid 2>/dev/null"
	waitfor "$pid" 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BLACKHOLE_PORT" ||
		bail "the black-hole listener did not start"
}

blackhole_connections() { wc -l <"$BLACKHOLE_LOG"; }

burst() {   # burst N PATH [CURL-ARGS...]
	local n=$1 path=$2 started i
	shift 2
	rm -rf "$T/burst" && mkdir "$T/burst"
	for i in $(seq "$n"); do
		printf 'url = "%s"\noutput = "%s"\n' "${KA_URL:?}$path" "$T/burst/$i"
	done >"$T/burst.conf"
	started=$EPOCHREALTIME
	curl -sS -Z --parallel-max 20 --cacert "$KA_CACERT" --max-time "$((30 * TEST_TIME_FACTOR))" \
		-w '%{http_code} %{filename_effective}\n' "$@" -K "$T/burst.conf" >"$T/burst.codes"
	BURST_TOOK=$(elapsed "$started")
}

burst_answers() { cut -d' ' -f1 "$T/burst.codes" | sort | uniq -c | xargs; }
burst_answered() { grep -c "^$1 " "$T/burst.codes"; }   # burst_answered STATUS

# The worker pids of the running service, sorted, one line.
worker_pids() { pgrep -P "${KA_PID:?}" | sort -n | tr '\n' ' '; }
worker_count() { pgrep -P "${KA_PID:?}" | wc -l; }

# "$(worker_count)" in eventually's arguments would be counted once only.
wait_workers() { eventually "${2:-50}" _load_workers_are "$1"; }   # wait_workers N [TENTHS]
_load_workers_are() { [ "$(worker_count)" = "$1" ]; }

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
