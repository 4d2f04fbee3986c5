#!/usr/bin/env bash
# fuzz/run.sh [SECONDS_PER_TARGET] — build the libFuzzer targets (`make
# fuzz`) and run each one for a bounded time from its seed corpus
# (fuzz/corpus/<target>/, copied: the repository is never written to).
#
# Fails (exit 1) on any crash, leak, undefined behaviour, broken property,
# timeout (-timeout=10) or out-of-memory, and prints the executions of each
# target. Crash inputs are kept in a temporary directory that is named at
# the end. A target that cannot be built is reported as SKIPPED; with
# CI=true it fails the run instead. `make -k fuzz` builds what it can, but
# after any build error every target counts as not built.
#
# By default the targets share a budget of FUZZ_BUDGET seconds (240), so
# that a run, build included, stays within five minutes.
#
# Environment: KA_BUILDDIR (the configured build tree; default: the source
# tree, configured in place), CI, FUZZ_BUDGET.
set -uo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${KA_BUILDDIR:-$srcdir}
ci=${CI:-false}

targets=()
for src in "$srcdir"/fuzz/targets/fuzz_*.c; do
	t=$(basename "$src" .c)
	targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz/run.sh: no targets in $srcdir/fuzz/targets" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	secs=$1
else
	secs=$(( ${FUZZ_BUDGET:-240} / ${#targets[@]} ))
fi
case $secs in
''|*[!0-9]*|0) echo "usage: fuzz/run.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

# The longest input worth trying: what each parser sees in practice, with
# room to spare (bodies are capped by max_body, paths by nginx).
max_len_of() {
	case $1 in
	fuzz_conf|fuzz_policy_yaml|fuzz_keyfile) echo 8192 ;;
	fuzz_json|fuzz_sar|fuzz_policy_json|fuzz_admin_*) echo 4096 ;;
	fuzz_router|fuzz_query|fuzz_client_dn) echo 1024 ;;
	fuzz_ldap_*) echo 512 ;;
	fuzz_duration|fuzz_rfc3339) echo 128 ;;
	*) echo 4096 ;;
	esac
}

echo "=== make fuzz (in $builddir)"
build_ok=true
if ! make -C "$builddir" -k fuzz; then
	build_ok=false
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ka-fuzz.XXXXXX")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=report_objects=1

failed=0
skipped=0
summary=()
for t in "${targets[@]}"; do
	bin="$builddir/fuzz/build/$t"
	# After a failed build no binary is trusted: an older one would fuzz
	# yesterday's code.
	if ! $build_ok || [ ! -x "$bin" ]; then
		summary+=("$(printf '%-20s %12s %8s  %s' "$t" - - 'SKIPPED (not built)')")
		skipped=$((skipped + 1))
		continue
	fi
	corpus="$work/corpus/$t"
	mkdir -p "$corpus" "$work/artifacts"
	if [ -d "$srcdir/fuzz/corpus/$t" ]; then
		cp "$srcdir/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	fi
	log="$work/$t.log"
	echo "=== $t: ${secs}s"
	# -close_fd_mask=2: the service's own log lines (at debug level, part of
	# what is fuzzed) are dropped; libFuzzer and the sanitizers still report.
	"$bin" -max_total_time="$secs" -max_len="$(max_len_of "$t")" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=2 \
	    -artifact_prefix="$work/artifacts/$t-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	: "${execs:=?}"
	if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property broken' "$log"; then
		result="FAILED (exit $rc)"
		failed=$((failed + 1))
		grep -E 'ERROR:|SUMMARY:|runtime error:|property broken|Test unit written' "$log" | head -20
	else
		result=ok
	fi
	rate=-
	case $execs in *[!0-9]*) ;; *) rate=$((execs / secs)) ;; esac
	summary+=("$(printf '%-20s %12s %8s  %s' "$t" "$execs" "$rate" "$result")")
done

echo
echo "=== fuzz summary: ${secs}s per target"
printf '%-20s %12s %8s  %s\n' target executions exec/s result
printf '%s\n' "${summary[@]}"

status=0
if [ $failed -gt 0 ]; then
	echo "fuzz/run.sh: $failed target(s) failed; logs and crash inputs in $work" >&2
	echo "reproduce: $builddir/fuzz/build/<target> $work/artifacts/<file>" >&2
	status=1
else
	rm -rf "$work"
fi
if [ $skipped -gt 0 ]; then
	if [ "$ci" = true ]; then
		echo "fuzz/run.sh: $skipped target(s) could not be built, and CI=true" >&2
		status=1
	else
		echo "fuzz/run.sh: WARNING: $skipped target(s) skipped: could not be built" >&2
	fi
fi
exit $status
