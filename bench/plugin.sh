#!/usr/bin/env bash
# bench/plugin.sh — how long the credential plugin takes from its start to
# a token on stdout, against the running quick start (contrib/quickstart.sh):
#
#   fresh    no cached token: POST /login (an LDAP bind as the user, a
#            token made), the cache file written
#   cached   a cached token: GET /me (the token looked up, the user's
#            directory entry and groups asked, as a TokenReview would)
#
# Each run is the whole process (`kubectl-auth_login get-token`, as kubectl
# starts it), timed with bash's $EPOCHREALTIME around it; between fresh
# runs a logout (not timed) revokes the token. Prints min, median, p90 and
# max in milliseconds.
#
#   contrib/quickstart.sh && bench/plugin.sh [RUNS]      (default 50)
#
# It uses user bob (password bob-secret) of the demo directory, and a cache
# directory of its own (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}

[ -f .quickstart/env ] || { echo "bench/plugin.sh: start contrib/quickstart.sh first" >&2; exit 1; }
# shellcheck source=/dev/null
. .quickstart/env
export XDG_CACHE_HOME
XDG_CACHE_HOME=$(mktemp -d /tmp/plugin-bench.XXXXXX)
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
export KUBERNETES_AUTH_USER=bob KUBERNETES_AUTH_PASSWORD=bob-secret
args=(--url "$K8S_AUTH_URL" --cluster demo --certificate-authority "$K8S_AUTH_CACERT")

# One timed get-token: its milliseconds on stdout.
timed() {
	local start=$EPOCHREALTIME
	kubectl-auth_login get-token "${args[@]}" </dev/null >/dev/null
	echo "$start $EPOCHREALTIME" | awk '{ printf "%.2f\n", ($2 - $1) * 1000 }'
}

summary() {   # summary NAME < milliseconds, one a line
	sort -n | awk -v name="$1" '{ v[NR] = $1 }
		END { printf "%-7s runs %3d  min %7.2f  median %7.2f  p90 %7.2f  max %7.2f ms\n",
			name, NR, v[1], v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}

kubectl-auth_login logout "${args[@]}" >/dev/null 2>&1 || true
for _ in $(seq "$runs"); do
	timed
	kubectl-auth_login logout "${args[@]}" >/dev/null 2>&1
done | summary fresh
timed >/dev/null       # a token to reuse
for _ in $(seq "$runs"); do
	timed
done | summary cached
kubectl-auth_login logout "${args[@]}" >/dev/null 2>&1 || true
echo "kubectl-auth_login $(kubectl-auth_login --version | cut -d' ' -f2), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
