# tap.sh — TAP helpers for the shell tests. Source it first in every t/*.t.
#
# Sets KA_SRCDIR (the source tree), KA_BUILDDIR (where the binary is) and
# KA_BIN, and provides ok/is/like/unlike/skip_all/bail/done_testing.

: "${KA_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${KA_BUILDDIR:=$KA_SRCDIR}"
: "${KA_BIN:=$KA_BUILDDIR/kubernetes-auth}"
: "${TEST_TIME_FACTOR:=1}"
export KA_SRCDIR KA_BUILDDIR KA_BIN TEST_TIME_FACTOR

_tap_n=0
_tap_failed=0

ok() {        # ok CONDITION-EXIT-STATUS DESCRIPTION   e.g.  ok $? "it worked"
	local rc=$1; shift
	_tap_n=$((_tap_n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $*"
	fi
	return "$rc"
}

is() {        # is GOT WANT DESCRIPTION
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		printf '#   got:  %s\n#   want: %s\n' "$got" "$want"
		return 1
	fi
}

like() {      # like GOT EXTENDED-REGEX DESCRIPTION
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$@"
	else
		ok 1 "$@"
		printf '#   got:      %s\n#   expected: /%s/\n' "$(printf '%s' "$got" | head -c 2000)" "$re"
		return 1
	fi
}

unlike() {    # unlike GOT EXTENDED-REGEX DESCRIPTION
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 1 "$@"
		printf '#   got:          %s\n#   not expected: /%s/\n' "$(printf '%s' "$got" | head -c 2000)" "$re"
		return 1
	fi
	ok 0 "$@"
}

diag() { printf '# %s\n' "$*"; }

skip_all() {  # skip_all REASON — a missing service is a failure under TEST_REQUIRE_SERVICES=1
	if [ "${TEST_REQUIRE_SERVICES:-0}" = 1 ]; then
		bail "required: $*"
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

bail() { echo "Bail out! $*"; exit 255; }

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# Scale a wait bound (in tenths of a second) by TEST_TIME_FACTOR.
scaled() { echo $(( $1 * TEST_TIME_FACTOR )); }
