# bench/lib.sh — what the benchmark scripts share. Sourced after SRC (the
# tree), T (the run's temporary directory), say and die are set.

# The commit of $SRC, naming up to five changed files beside it
# (bench/RESULTS.md aside: a run rewrites it), or "(not a git checkout)".
bench_commit() {
	local id changed
	git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		{ echo "(not a git checkout)"; return; }
	id=$(git -C "$SRC" rev-parse --short=12 HEAD)
	changed=$(git -C "$SRC" status --porcelain --untracked-files=no | awk '{ print $NF }' |
		grep -vx 'bench/RESULTS.md' | head -n 5 | paste -sd, -)
	if [ -n "$changed" ]; then
		echo "$id (uncommitted changes: ${changed//,/, })"
	else
		echo "$id"
	fi
}

# bench_build DIR TARGET...: copy the tree to DIR (in a checkout the files
# git knows plus new ones it does not ignore; the working tree is never
# touched) and build TARGETs optimised (-O2 -g); dies on a failed build,
# with the end of its log.
bench_build() {
	local dir=$1
	shift
	mkdir -p "$dir"
	if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
			tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$dir"
	else
		cp -a "$SRC/." "$dir/" && { [ ! -f "$dir/Makefile" ] || make -C "$dir" distclean >/dev/null 2>&1; }
	fi
	(cd "$dir" && ./autogen.sh && ./configure CFLAGS='-O2 -g' && make -j"$(nproc)" "$@") \
		>"$T/build.log" 2>&1 || { tail -n 30 "$T/build.log" >&2; die "build failed (log above)"; }
}

cpu_ticks() {   # cpu_ticks PID... -> utime+stime, summed
	local p s=0 v
	for p in "$@"; do
		v=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# post_lines PATH FILE: POST each line of FILE (a JSON body) to the
# service's PATH with the admin token, 16 at a time; prints one answer a
# line. The token goes through a curl config made 0600 (never argv).
post_lines() {
	local path=$1 file=$2
	(umask 077 && awk -v url="$KA_URL$path" -v ca="$KA_CACERT" -v tok="$KA_ADMIN_TOKEN" '
		{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\"")
		  if (NR > 1) print "next"
		  printf "url = \"%s\"\ncacert = \"%s\"\nheader = \"x-auth-token: %s\"\n", url, ca, tok
		  printf "header = \"Content-Type: application/json\"\ndata = \"%s\"\nwrite-out = \"\\n\"\nsilent\n", $0 }' \
		"$file" >"$T/curl.conf") || return
	curl -s --parallel --parallel-max 16 -K "$T/curl.conf" 2>>"$T/curl.err"
}
