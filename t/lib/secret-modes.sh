#!/usr/bin/env bash
# secret-modes.sh DIR SECRETS-FILE: every file under DIR that holds one of
# the secrets listed in SECRETS-FILE (one a line; lines under 8 characters
# are ignored) must be readable by its owner only. Prints each file that
# is not (mode and path, never the secret) and exits 1 when there is one;
# exits 2 when there is nothing to check.
dir=$1 list=$2
[ -d "$dir" ] && [ -s "$list" ] || { echo "secret-modes.sh: nothing to check in $dir" >&2; exit 2; }
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
awk 'length($0) >= 8' "$list" | sort -u >"$patterns"
bad=0
while IFS= read -r -d '' f; do
	mode=$(stat -c %a "$f")
	# Group or others may read it: the last two octal digits.
	if [ $(( 8#$mode & 8#044 )) -ne 0 ]; then
		echo "$mode $f"
		bad=1
	fi
done < <(grep -rlZFf "$patterns" "$dir" 2>/dev/null)
exit "$bad"
