# lib-haload.sh — the HA lab in a test: bring it up, run a steady mixed load
# through its front door (t/lib/ha-load.py), and count what clients saw.
#
#   halab_test_setup   skip (or, under TEST_REQUIRE_SERVICES=1, fail) unless
#                      root with everything installed; bring the lab up in
#                      $T/lab (torn down at exit, even on failure), export
#                      its env (K8S_AUTH_*), and create the load's users,
#                      tokens and rules ($T/load.json)
#   ha_load ARGS...    t/lib/ha-load.py
#   load_begin NAME [RUN-ARGS...]   the load in the background (100 req/s,
#                      8 connections, at most 300 s), one line per request
#                      to $T/NAME.tsv
#   load_event NAME    record that something happens now (for in-flight
#                      counts: the requests being served at that moment)
#   load_end           stop it; sets LOAD_REQUESTS, LOAD_FAILED, LOAD_WRONG
#                      and LOAD_SUMMARY (key=value lines, also $T/NAME.sum)
#   load_value KEY     a value of the last load's summary (0 if absent)
#   load_verify        every token the last load created authenticates now:
#                      sets LOAD_CREATED, LOAD_LOST
#   load_checks LABEL [EVENT...]
#                      load_end, then what every scenario asks of its load:
#                      no wrong answer, no more failed requests than were in
#                      flight at the EVENTs (none without), every token it
#                      created authenticates
#   probe_review HOST N TOKEN USERNAME
#                      N TokenReviews through a|b|fd; sets PROBE_OK (200,
#                      authenticated as USERNAME), PROBE_FAILED (no 200),
#                      PROBE_WRONG (200, anything else)
#   until_reviews HOST ATTEMPTS TOKEN USERNAME
#                      retry (0.1 s apart) until one such review succeeds

[ -n "${_KA_LIB_HALOAD:-}" ] && return 0
_KA_LIB_HALOAD=1
. "${BASH_SOURCE[0]%/*}/lib-halab.sh"

halab_test_setup() {
	[ "$(id -u)" = 0 ] || skip_all "the HA lab needs root (network namespaces)"
	halab_have || skip_all "the HA lab needs galera-4, rsync, haproxy, socat, mariadb-server, slapd, nginx, jq, python3"
	[ -x "$KA_BIN" ] || bail "no $KA_BIN: build first"
	local started=$EPOCHREALTIME
	halab_up "$T/lab" || bail "the HA lab did not come up"
	diag "lab $NETNS_PREFIX up in $(elapsed "$started") s on $NETNS_NET.0/24" \
		"(database.$([ "$HALAB_DB_HOSTS" = 1 ] && echo "hosts: all three nodes" || echo "host: one node per service host"))"
	# shellcheck source=/dev/null
	. "$HALAB_DIR/env"
	export K8S_AUTH_URL K8S_AUTH_ADMIN_TOKEN K8S_AUTH_CACERT
	# Through one host: a token created and revoked at once through the
	# front door would be a test of reading one's writes across hosts.
	ha_load setup "$T/load.json" --url "$(halab_url a)" || bail "could not set up the load's users and tokens"
	secret_used $(jq -r '.valid[].token, .revoked[]' "$T/load.json")
	# For t/9999-secrets-hygiene.t, from a node that runs.
	[ -n "${KA_AUDIT_DIR:-}" ] && at_exit _halab_dump
	return 0
}

_halab_dump() {
	local i
	for i in 1 2 3; do
		mariadb-dump --no-defaults --socket="$HALAB_DIR/galera/n$i/mysql.sock" -uroot \
			--hex-blob --skip-comments kubernetes_auth >"$T/.dump.sql" 2>/dev/null && return 0
	done
}

ha_load() { python3 "$KA_SRCDIR/t/lib/ha-load.py" "$@"; }

load_begin() {   # load_begin NAME [RUN-ARGS...]
	LOAD_NAME=$1
	shift
	: >"$T/$LOAD_NAME.events"
	# Not through ha_load: $! must be python itself, which SIGTERM stops.
	python3 "$KA_SRCDIR/t/lib/ha-load.py" run "$T/load.json" "$T/$LOAD_NAME.tsv" \
		--url "$K8S_AUTH_URL" "$@" &
	LOAD_PID=$!
	at_exit "kill $LOAD_PID 2>/dev/null"
}

load_event() {   # load_event NAME
	echo "$1 $EPOCHREALTIME" >>"$T/$LOAD_NAME.events"
}

load_end() {
	kill -TERM "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID"
	LOAD_SUMMARY=$(ha_load summary "$T/$LOAD_NAME.tsv" --events "$T/$LOAD_NAME.events")
	printf '%s\n' "$LOAD_SUMMARY" >"$T/$LOAD_NAME.sum"
	LOAD_REQUESTS=$(load_value requests)
	LOAD_FAILED=$(load_value failed)
	LOAD_WRONG=$(load_value wrong)
	diag "$LOAD_NAME load: $LOAD_REQUESTS requests, $LOAD_FAILED failed, $LOAD_WRONG wrong;" \
		"$(grep -E '^(served_|inflight_|seconds=)' <<<"$LOAD_SUMMARY" | xargs)"
	diag "$LOAD_NAME load, per kind (requests/failed/wrong):" \
		"$(grep -E '^(tr-|sar-|token-)' <<<"$LOAD_SUMMARY" | xargs)"
	grep '^example=' <<<"$LOAD_SUMMARY" | sed 's/^/  /' | while read -r l; do diag "$l"; done
}

load_value() {   # load_value KEY
	local v
	v=$(sed -n "s/^$1=//p" <<<"$LOAD_SUMMARY" | head -n 1)
	echo "${v:-0}"
}

load_verify() {
	local out
	out=$(ha_load verify "$T/load.json" "$T/$LOAD_NAME.tsv" --url "$K8S_AUTH_URL")
	LOAD_CREATED=$(sed -n 's/^created=//p' <<<"$out")
	LOAD_LOST=$(sed -n 's/^lost=//p' <<<"$out")
	diag "$LOAD_NAME load: $LOAD_CREATED tokens created; $LOAD_LOST of them do not authenticate now" \
		"($(sed -n 's/^verify_failed=//p' <<<"$out") reviews failed)"
}

load_checks() {   # load_checks LABEL [EVENT...]
	local label=$1 e inflight=0 at=
	shift
	load_end
	is "$LOAD_WRONG" 0 "$label: the load saw no wrong answer"
	for e; do
		inflight=$((inflight + $(load_value "inflight_$e")))
	done
	[ $# -gt 0 ] && at=" (no more than the $inflight in flight at: $*)"
	ok "$([ "$LOAD_FAILED" -le "$inflight" ]; echo $?)" "$label: $LOAD_FAILED failed requests$at"
	load_verify
	is "$LOAD_LOST" 0 "$label: every token the load created (answer 201) authenticates"
	diag "scenario $label figures: $LOAD_REQUESTS requests, $LOAD_FAILED failed, $LOAD_WRONG wrong," \
		"$LOAD_CREATED tokens created, $LOAD_LOST lost$at"
}

# One TokenReview through a host: "ok", "failed" or "wrong".
_review() {   # _review HOST TOKEN USERNAME
	local out
	out=$(curl -sS --max-time 20 --cacert "$K8S_AUTH_CACERT" -w '\n%{http_code}' \
		-H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$2\"}}" \
		"$(halab_url "$1")/authenticate/token" 2>/dev/null)
	if [ "${out##*$'\n'}" != 200 ]; then
		echo failed
	elif [ "$(jq -r 'if .status.authenticated then .status.user.username else "" end' <<<"${out%$'\n'*}")" = "$3" ]; then
		echo ok
	else
		echo wrong
	fi
}

probe_review() {   # probe_review HOST N TOKEN USERNAME
	local i r
	PROBE_OK=0 PROBE_FAILED=0 PROBE_WRONG=0
	for ((i = 0; i < $2; i++)); do
		r=$(_review "$1" "$3" "$4")
		case $r in
		ok) PROBE_OK=$((PROBE_OK + 1)) ;;
		failed) PROBE_FAILED=$((PROBE_FAILED + 1)) ;;
		*) PROBE_WRONG=$((PROBE_WRONG + 1)) ;;
		esac
	done
}

until_reviews() {   # until_reviews HOST ATTEMPTS TOKEN USERNAME
	local n _
	n=$(scaled "$2")
	for _ in $(seq "$n"); do
		[ "$(_review "$1" "$3" "$4")" = ok ] && return 0
		sleep 0.1
	done
	return 1
}
