# tap.sh — TAP helpers for the shell tests. Source it first in every t/*.t.
#
# Sets KA_SRCDIR (the source tree), KA_BUILDDIR (where the binary is) and
# KA_BIN, and provides ok/is/isnt/like/unlike/diag/skip_all/bail/done_testing.
#
# A command that does not exist (a helper no file defines, a tool that is not
# installed) fails the test wherever it is called: in a function, a
# pipeline, a subshell or a $(...) whose output and errors are thrown away.

: "${KA_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${KA_BUILDDIR:=$KA_SRCDIR}"
: "${KA_BIN:=$KA_BUILDDIR/kubernetes-auth}"
: "${TEST_TIME_FACTOR:=1}"
export KA_SRCDIR KA_BUILDDIR KA_BIN TEST_TIME_FACTOR

_tap_n=0
_tap_failed=0

# bash runs this in a child process in place of a command it cannot find, so
# a counter would be lost: it notes the call in a file that the test's own
# shell reads at its next check (_tap_unknown_report), and makes a "not ok"
# of each. The file exists only between such a call and that check.
_tap_unknown=${TMPDIR:-/tmp}/ka-tap-unknown.$$.${EPOCHREALTIME/./}
command_not_found_handle() {
	local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
	printf '%s: %s\n' "$where" "$*" >>"$_tap_unknown"
	printf '%s: %s: command not found\n' "$where" "$1" >&2
	return 127
}

_tap_unknown_report() {
	local seen=$_tap_unknown.seen line
	[ -s "$_tap_unknown" ] || return 0
	mv -f "$_tap_unknown" "$seen" || return 0
	while IFS= read -r line; do
		_tap_n=$((_tap_n + 1))
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - command not found: $line"
	done <"$seen"
	rm -f "$seen"
}

ok() {        # ok CONDITION-EXIT-STATUS DESCRIPTION   e.g.  ok $? "it worked"
	local rc=$1; shift
	_tap_unknown_report
	_tap_n=$((_tap_n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $*"
	fi
	return "$rc"
}

# A value under a failed check, every line of it a TAP comment: a value of
# several lines must not read as test lines ("ok 3 - ...") to the harness.
_tap_show() {   # _tap_show LABEL VALUE
	local pad=${1//?/ }
	printf '%s\n' "$2" | sed "1s/^/#   $1/; 2,\$s/^/#   $pad/"
}

is() {        # is GOT WANT DESCRIPTION
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		_tap_show 'got:  ' "$got"
		_tap_show 'want: ' "$want"
		return 1
	fi
}

isnt() {      # isnt GOT UNWANTED DESCRIPTION
	local got=$1 unwanted=$2; shift 2
	if [ "$got" != "$unwanted" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		_tap_show 'got:      ' "$got"
		_tap_show 'expected: ' "anything else"
		return 1
	fi
}

like() {      # like GOT EXTENDED-REGEX DESCRIPTION
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$@"
	else
		ok 1 "$@"
		_tap_show 'got:      ' "$(printf '%s' "$got" | head -c 2000)"
		_tap_show 'expected: ' "/$re/"
		return 1
	fi
}

unlike() {    # unlike GOT EXTENDED-REGEX DESCRIPTION
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 1 "$@"
		_tap_show 'got:          ' "$(printf '%s' "$got" | head -c 2000)"
		_tap_show 'not expected: ' "/$re/"
		return 1
	fi
	ok 0 "$@"
}

diag() { printf '# %s\n' "$*"; }

skip_all() {  # skip_all REASON — a missing service is a failure under TEST_REQUIRE_SERVICES=1
	if [ -s "$_tap_unknown" ]; then
		_tap_unknown_report
		bail "a command was not found before skip_all: $*"
	fi
	if [ "${TEST_REQUIRE_SERVICES:-0}" = 1 ]; then
		bail "required: $*"
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

bail() { echo "Bail out! $*"; exit 255; }

done_testing() {
	_tap_unknown_report
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# Scale a wait bound (in tenths of a second) by TEST_TIME_FACTOR.
scaled() { echo $(( $1 * TEST_TIME_FACTOR )); }
