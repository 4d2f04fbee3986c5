#!/usr/bin/env bash
# After the whole suite: no token, password or key that any test used or
# was handed appears in any log the service or nginx wrote, nor in any
# database dump. t/run.sh collects them (KA_AUDIT_DIR); run serially, this
# test sorts last.
. "$(dirname "$0")/lib/tap.sh"

[ -n "${KA_AUDIT_DIR:-}" ] && [ -d "$KA_AUDIT_DIR" ] ||
	{ echo "1..0 # SKIP needs the suite's audit directory (run through t/run.sh)"; exit 0; }

secrets=$(mktemp)
trap 'rm -f "$secrets"' EXIT
{
	cat "$KA_AUDIT_DIR"/*/secrets 2>/dev/null
	# The demo directory's user passwords (used by login tests).
	printf '%s\n' alice-secret bob-secret carol-secret
} | awk 'length($0) >= 8' | sort -u >"$secrets"

nsecrets=$(wc -l <"$secrets")
ntokens=$(grep -cE '^[0-9a-f]{64}$' "$secrets")
mapfile -t logs < <(find "$KA_AUDIT_DIR" -path '*/logs/*' -type f)
mapfile -t dumps < <(find "$KA_AUDIT_DIR" -name dump.sql -type f)
diag "$nsecrets secrets ($ntokens 64-hex tokens and keys), ${#logs[@]} logs, ${#dumps[@]} database dumps"

# Not vacuous: the suite must have left material to check.
ok "$([ "$nsecrets" -ge 20 ]; echo $?)" "secrets collected from the suite ($nsecrets)"
ok "$([ "$ntokens" -ge 10 ]; echo $?)" "issued tokens and keys among them ($ntokens)"
ok "$([ "${#logs[@]}" -ge 10 ]; echo $?)" "service and nginx logs collected (${#logs[@]})"
ok "$([ "${#dumps[@]}" -ge 5 ]; echo $?)" "database dumps collected (${#dumps[@]})"
service_logs=$(printf '%s\n' "${logs[@]}" | grep -c '/ka[^/]*\.log$')
ok "$([ "$service_logs" -ge 5 ]; echo $?)" "service logs among them ($service_logs)"

hits=0
if [ "${#logs[@]}" -gt 0 ] || [ "${#dumps[@]}" -gt 0 ]; then
	# -F fixed strings, -f the list: one pass over every file.
	while IFS= read -r line; do
		hits=$((hits + 1))
		# Name the file and the secret's first 6 characters only.
		file=${line%%:*}
		diag "secret found in ${file#"$KA_AUDIT_DIR"/}"
	done < <(grep -rHoFf "$secrets" "${logs[@]}" "${dumps[@]}" 2>/dev/null | sort -u | head -50)
fi
is "$hits" 0 "no secret in any log or database dump"
# A file that holds a secret is its owner's alone (the lists themselves).
modes=$("$KA_SRCDIR/t/lib/secret-modes.sh" "$KA_AUDIT_DIR" "$secrets")
is "$?:$modes" "0:" "no file in the audit directory that holds a secret is readable by others"
done_testing
