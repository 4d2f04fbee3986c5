#!/usr/bin/env bash
# t/lib/tap.sh itself: isnt, and a command that does not exist failing the
# test wherever it is called (a helper used but defined nowhere once hid a
# check that never ran). Each case is a small script run in its own bash.
. "$(dirname "$0")/lib/tap.sh"

T=$(mktemp -d /tmp/ka-tap.XXXXXX)
trap 'rm -rf "$T"' EXIT

# tap_case SCRIPT: source tap.sh, run SCRIPT; sets $out (stdout) and $rc.
tap_case() {
	printf '. "%s/t/lib/tap.sh"\n%s\n' "$KA_SRCDIR" "$1" >"$T/case.sh"
	out=$(TMPDIR=$T bash "$T/case.sh" 2>/dev/null)
	rc=$?
}

tap_case 'isnt a b "differs"; done_testing'
is "$rc:$out" $'0:ok 1 - differs\n1..1' "isnt: two different values pass"
tap_case 'isnt a a "same"; done_testing'
is "$rc" 1 "isnt: equal values fail the test"
like "$out" '^not ok 1 - same' "... as not ok"

tap_case 'ok 0 first; no_such_helper x; ok 0 second; done_testing'
is "$rc" 1 "an unknown command fails the test"
is "$out" $'ok 1 - first\nnot ok 2 - command not found: case.sh:2: no_such_helper x\nok 3 - second\n1..3' \
	"... as a numbered not ok, naming file, line and the command"
tap_case 'v=$(no_such_helper 2>/dev/null); is "$v" "" "quiet"; done_testing'
is "$rc" 1 "... also inside \$(...) with its errors thrown away"
like "$out" 'not ok 1 - command not found: case.sh:2: no_such_helper' "... reported at the next check"
tap_case 'f() { ( no_such_tool | cat ) >/dev/null 2>&1; }; f; done_testing'
is "$rc:$(grep -c '^not ok' <<<"$out")" "1:1" "... and in a function's subshell's pipeline"
tap_case 'ok 0 fine; no_such_helper; done_testing'
like "$out" $'not ok 2 - command not found.*\n1\\.\\.2$' "... reported by done_testing before the plan"
tap_case 'no_such_helper; skip_all "nothing to do"'
is "$rc" 255 "skip_all after an unknown command: bails out instead of passing"
tap_case 'command -v no_such_tool >/dev/null || ok 0 "not installed"; done_testing'
is "$rc:$out" $'0:ok 1 - not installed\n1..1' "command -v on a missing tool is no failure"
tap_case 'is "$(printf "a\nok 5 - b")" c "lines"; like "$(printf "x\nok 6")" y "lines"; done_testing'
is "$(grep -v '^#' <<<"$out")" $'not ok 1 - lines\nnot ok 2 - lines\n1..2' \
	"a failed check shows a value of several lines as comments only"
is "$(ls -A "$T" | grep -v '^case\.sh$')" "" "no note file is left behind"

done_testing
