# lib-netns.sh — hosts in network namespaces on one machine (the HA lab).
#
# A lab has a name prefix of its own (NETNS_PREFIX, "ka" and 4 hex digits),
# so that the labs of several test runs and a user's lab never meet, and a
# 10.77.X.0/24 of its own (NETNS_NET=10.77.X). Its hosts are namespaces
# named PREFIX-HOST, joined by veth pairs to bridges PREFIX-NAME in the root
# namespace. Nothing routes out: the namespaces have no default route, the
# root namespace forwards nothing, and only the addresses the lab gives
# itself are used.
#
#   netns_lab_new [PREFIX]  choose NETNS_PREFIX (given, else random) and a
#                      free NETNS_NET, and create the lab's first bridge,
#                      PREFIX-c, with NETNS_NET.1/25 in the root namespace
#                      (the clients' side: tests and users reach the hosts
#                      from there). Outside KA_PERSIST=1 the lab is torn
#                      down at exit, and by a watchdog if the shell is
#                      killed without running its traps.
#   netns_bridge NAME  another bridge, PREFIX-NAME, with no address
#   netns_host HOST    the namespace PREFIX-HOST, loopback up
#   netns_attach HOST BRIDGE IFNAME ADDR/LEN
#                      a veth pair: IFNAME inside HOST with ADDR, its peer
#                      PREFIX-HOST<last letter of BRIDGE> on the bridge
#   netns_link HOST BRIDGE up|down
#                      set the bridge side of that pair: "down" cuts HOST
#                      off that bridge (a partition), and nothing else
#   netns_exec HOST CMD...          run CMD inside HOST
#   netns_spawn HOST NAME LOG CMD...
#                      spawn_daemon (lib-daemon.sh) inside HOST
#   netns_teardown [PREFIX]
#                      kill every process in the lab's namespaces, delete
#                      them, their veths and the bridges
#   netns_lab_exists [PREFIX]       any namespace or bridge of it left

[ -n "${_KA_LIB_NETNS:-}" ] && return 0
_KA_LIB_NETNS=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"

PATH=$PATH:/usr/sbin:/sbin

# Held while a lab picks its subnet and creates the bridge that claims it.
_netns_lock=/run/lock/kubernetes-auth-ha-lab.lock
[ -d /run/lock ] || _netns_lock=/tmp/kubernetes-auth-ha-lab.lock

_netns_have() { command -v ip >/dev/null && ip netns list >/dev/null 2>&1; }

# A subnet is taken when the root namespace has any route into it: another
# lab's bridge, or anyone else's use of 10.77.X.
_netns_subnet_free() {   # _netns_subnet_free X
	! ip -4 route show 2>/dev/null | awk '$1 != "default" { print $1 }' |
		grep -q "^10\.77\.$1[./]" &&
		[ -z "$(ip -4 route show to match "10.77.$1.1" 2>/dev/null | grep -v '^default')" ]
}

netns_lab_new() {   # netns_lab_new [PREFIX]
	local x
	NETNS_PREFIX=${1:-ka$(openssl rand -hex 2)}
	_netns_have || return 1
	exec 8>>"$_netns_lock"
	flock 8
	NETNS_NET=
	# 10.77.0.0/24 is left for labs made by hand.
	for x in $(seq 1 254); do
		if _netns_subnet_free "$x"; then
			NETNS_NET=10.77.$x
			break
		fi
	done
	if [ -z "$NETNS_NET" ] || ip link show "$NETNS_PREFIX-c" >/dev/null 2>&1; then
		flock -u 8
		exec 8>&-
		echo "netns: no free 10.77.X.0/24, or $NETNS_PREFIX exists" >&2
		return 1
	fi
	if [ "$KA_PERSIST" != 1 ]; then
		at_exit "netns_teardown $NETNS_PREFIX"
		_netns_watchdog_start
	fi
	ip link add "$NETNS_PREFIX-c" type bridge &&
		ip addr add "$NETNS_NET.1/25" dev "$NETNS_PREFIX-c" &&
		ip link set "$NETNS_PREFIX-c" up
	local rc=$?
	flock -u 8
	exec 8>&-
	export NETNS_PREFIX NETNS_NET
	return "$rc"
}

# Tears the lab down if this shell dies without running its exit traps
# (lib-daemon's watchdog kills the daemons, not namespaces and bridges).
_netns_watchdog_start() {
	local shell_pid=$$ prefix=$NETNS_PREFIX
	(
		trap '' INT HUP TERM
		exec </dev/null >/dev/null 2>&1 8>&-
		while kill -0 "$shell_pid" 2>/dev/null; do sleep 1; done
		netns_teardown "$prefix"
	) &
	at_exit "kill $! 2>/dev/null"
}

netns_bridge() {   # netns_bridge NAME
	ip link add "$NETNS_PREFIX-$1" type bridge && ip link set "$NETNS_PREFIX-$1" up
}

netns_host() {   # netns_host HOST
	ip netns add "$NETNS_PREFIX-$1" && ip -n "$NETNS_PREFIX-$1" link set lo up
}

_netns_peer() { echo "$NETNS_PREFIX-$1${2: -1}"; }   # _netns_peer HOST BRIDGE

netns_attach() {   # netns_attach HOST BRIDGE IFNAME ADDR/LEN
	local ns=$NETNS_PREFIX-$1 peer
	peer=$(_netns_peer "$1" "$2")
	ip link add "$peer" type veth peer name "$3" netns "$ns" &&
		ip link set "$peer" master "$NETNS_PREFIX-$2" up &&
		ip -n "$ns" addr add "$4" dev "$3" &&
		ip -n "$ns" link set "$3" up
}

netns_link() {   # netns_link HOST BRIDGE up|down
	ip link set "$(_netns_peer "$1" "$2")" "$3"
}

netns_exec() {   # netns_exec HOST CMD...
	local ns=$NETNS_PREFIX-$1
	shift
	ip netns exec "$ns" "$@"
}

# ip execs CMD: the pid spawn_daemon records is the daemon's own.
netns_spawn() {   # netns_spawn HOST NAME LOG CMD...
	local host=$1 name=$2 log=$3
	shift 3
	spawn_daemon "$name" "$log" ip netns exec "$NETNS_PREFIX-$host" "$@"
}

_netns_namespaces() {   # _netns_namespaces PREFIX
	ip netns list 2>/dev/null | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'
}

_netns_links() {   # _netns_links PREFIX: the root namespace's bridges and veths
	ip -o link show 2>/dev/null | awk -F': ' -v p="$1-" '{ sub(/@.*/, "", $2) } index($2, p) == 1 { print $2 }'
}

netns_lab_exists() {   # netns_lab_exists [PREFIX]
	local p=${1:-$NETNS_PREFIX}
	[ -n "$(_netns_namespaces "$p")$(_netns_links "$p")" ]
}

# Only the lab's own processes live in its namespaces: they all go, the
# daemons the lab started and whatever those forked (workers, an SST's rsync).
netns_teardown() {   # netns_teardown [PREFIX]
	local p=${1:-$NETNS_PREFIX} ns pids _ link
	[ -n "$p" ] || return 0
	for ns in $(_netns_namespaces "$p"); do
		for _ in $(seq 50); do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] || break
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
			sleep 0.1
		done
		ip netns del "$ns" 2>/dev/null
	done
	# Deleting a namespace deletes its veths; the bridges are left.
	for link in $(_netns_links "$p"); do
		ip link del "$link" 2>/dev/null
	done
	! netns_lab_exists "$p"
}
