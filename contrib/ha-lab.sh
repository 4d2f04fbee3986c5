#!/usr/bin/env bash
# contrib/ha-lab.sh — a high-availability deployment of kubernetes-auth on
# this one machine: hosts in network namespaces with a three-node MariaDB
# Galera cluster, an LDAP provider and its syncrepl consumer, two service
# hosts (nginx + kubernetes-auth) and an HAProxy front door. Layout and
# scenarios: doc/high-availability.md. Debian 12, as root.
#
# usage: contrib/ha-lab.sh [up|down|status|demo]
#   up      (default) install missing packages, build, bring the lab up,
#           write .ha-lab/env and run the README walk-through through the
#           front door. When the lab is already up and well it says so and
#           changes nothing; what a failed or half-stopped lab left is torn
#           down first.
#   down    stop everything, remove the namespaces, the bridges and the
#           data (always, whatever state the lab is in); keeps the CA in
#           .ha-lab/pki
#   status  every host, node and its state; non-zero unless all are well
#   demo    the README walk-through through the front door again
#
# The lab uses 10.77.X.0/24 (the first X free on this machine) on bridges
# and namespaces named after this checkout (kl + 4 hex digits), so it does
# not meet another checkout's lab or the test suite's.
#
# Then:   . .ha-lab/env
#         curl --cacert "$K8S_AUTH_CACERT" "$K8S_AUTH_URL/healthz"
set -euo pipefail
umask 077
cd "$(dirname "$0")/.."
SRC=$PWD
STATE=$SRC/.ha-lab

say() { printf 'ha-lab: %s\n' "$*"; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

cmd=${1:-up}
[[ "$cmd" =~ ^(-h|--help|help)$ ]] && { usage; exit 0; }
[[ "$cmd" =~ ^(up|down|status|demo)$ ]] || { usage >&2; exit 2; }
[ "$(id -u)" = 0 ] || { say "run as root (network namespaces, bridges, daemons)" >&2; exit 1; }

mkdir -p "$STATE"
# The harness's helpers, with daemons that outlive this script.
T=$STATE
KA_PERSIST=1
. "$SRC/t/lib/tap.sh"
. "$SRC/t/lib/lib-halab.sh"

PREFIX=kl$(printf '%s' "$STATE" | md5sum | cut -c1-4)
HALAB_PKI_DIR=$STATE/pki
HALAB_VERBOSE=1

# The data: below the checkout when mariadbd (mysql) and the service's
# workers (nobody) can reach it and socket paths stay short, else in /tmp.
lab_datadir() {
	local u
	for u in nobody mysql; do
		if ! setpriv --reuid="$u" --regid=nogroup --clear-groups test -x "$STATE" 2>/dev/null; then
			echo "/tmp/kubernetes-auth-ha-lab.$(printf '%s' "$STATE" | md5sum | cut -c1-8)"
			return
		fi
	done
	if [ ${#STATE} -gt 60 ]; then
		echo "/tmp/kubernetes-auth-ha-lab.$(printf '%s' "$STATE" | md5sum | cut -c1-8)"
	else
		echo "$STATE/data"
	fi
}
DATA=$(lab_datadir)

lab_down() {   # processes, namespaces, bridges; with --data also the data
	netns_teardown "$PREFIX" || true
	if [ "${1:-}" = --data ]; then
		rm -rf "$DATA" "$STATE/env" "$STATE/.secrets"
	fi
}

case $cmd in
down)
	lab_down --data
	if netns_lab_exists "$PREFIX"; then
		say "could not remove everything: $(ip netns list | grep "^$PREFIX-" | xargs)"
		exit 1
	fi
	say "down: no namespace, bridge or process of lab $PREFIX is left"
	exit 0
	;;
status)
	if ! halab_load "$DATA" || ! netns_lab_exists "$PREFIX"; then
		say "not up"
		exit 1
	fi
	halab_status
	exit
	;;
demo)
	halab_load "$DATA" || { say "not up: contrib/ha-lab.sh up"; exit 1; }
	halab_demo
	exit
	;;
esac

# --- up ---------------------------------------------------------------------------

started=$EPOCHREALTIME
"$SRC/contrib/test.sh" --build-only

if netns_lab_exists "$PREFIX"; then
	if halab_load "$DATA" && halab_status >/dev/null 2>&1; then
		say "already up and well (contrib/ha-lab.sh down first to build it again):"
		halab_status
		exit 0
	fi
	say "a lab that is not well is left from an earlier run: tearing it down"
	lab_down --data
fi
rm -rf "$DATA"

# A failed up leaves nothing running; its logs stay in the data directory.
trap 'rc=$?; if [ "$rc" != 0 ]; then disown -a; lab_down; say "failed: torn down; logs in $DATA"; fi' EXIT
halab_up "$DATA" "$PREFIX"
if [ "$DATA" != "$STATE/data" ]; then
	cp "$DATA/env" "$STATE/env"
else
	ln -sf data/env "$STATE/env"
fi
say "up in $(elapsed "$started") s"
halab_status
walkthrough=$(halab_demo)
trap - EXIT
cat <<EOF

The walk-through, through the front door (user alice@example.org, a token,
a TokenReview; rule ha-lab-admins, a SubjectAccessReview):
$walkthrough

Try it:
  . .ha-lab/env
  curl --cacert "\$K8S_AUTH_CACERT" "\$K8S_AUTH_URL/healthz"
  contrib/ha-lab.sh status
Break it (doc/high-availability.md):
  ip link set $PREFIX-n2g down        # cut node 2 off its peers (up again: set ... up)
  ip netns pids $PREFIX-sa            # the processes of service host A
Logs: $DATA/{sa,sb}/ka.log, $DATA/galera/n*/error.log, $DATA/fd/haproxy.log
Stop with: contrib/ha-lab.sh down
EOF
