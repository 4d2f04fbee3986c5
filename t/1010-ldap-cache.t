#!/usr/bin/env bash
# ldap.cache_ttl, seen from outside: off by default (every TokenReview binds
# and searches), a hit asks slapd nothing, an entry expires after the TTL,
# and the cache is bounded (ldap.cache_max names per worker, the least
# recently used making room). LDAP
# traffic is counted in slapd's own stats log, not taken from the
# service's word; one worker, so every request meets the same cache.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

# slapd logs its stats: one line per operation.
KA_SLAPD_DEBUG=256 stack_up --private-db --private-ldap - <<<"workers: 1"

# slapd's count of search and bind operations so far.
ldap_ops() { grep -cE ' (SRCH base|BIND dn)=' "$T/ldap/slapd.log"; }
# The audit line of the last TokenReview.
last_audit() { grep 'audit: authn ' "$T/ka.log" | tail -n 1; }

admin_user alice@example.org
admin_token "$user_id" && TOKEN=$token
admin_user bob@example.org
admin_token "$user_id" && BOB=$token

# --- off by default --------------------------------------------------------
grep -q cache_ttl "$T/config.yaml"
is "$?" 1 "the test config does not set ldap.cache_ttl"
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "cache off: authenticated"
before=$(ldap_ops)
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "cache off: authenticated again"
after=$(ldap_ops)
ok "$([ "$after" -ge $((before + 2)) ]; echo $?)" \
	"cache off: the second TokenReview binds and searches again ($before -> $after operations)"
like "$(last_audit)" 'ldap bind [0-9]+us, search [0-9]+us in [1-9][0-9]*\)' "... and its audit line shows the bind and searches"

# --- a hit asks slapd nothing ---------------------------------------------
ka_restart - <<<"$(printf 'workers: 1\nldap:\n  cache_ttl: 60s\n')"
review "$TOKEN"
first=$body
before=$(ldap_ops)
review "$TOKEN"
after=$(ldap_ops)
is "$(jq -r .status.authenticated <<<"$body")" true "cache_ttl 60s: authenticated from the cache"
is "$after" "$before" "... with no LDAP operation at all"
is "$(jq -cS .status.user <<<"$body")" "$(jq -cS .status.user <<<"$first")" \
	"... the same user, uid, groups and extra as the directory's answer"
like "$(last_audit)" 'ldap cached\)' "... and the audit line says cached"
review "$BOB"
ok "$([ "$(ldap_ops)" -gt "$after" ]; echo $?)" "another user is not in the cache: slapd is asked"

# --- expiry ------------------------------------------------------------------
# 3 s, so that two reviews in a row stay within it on a busy machine.
ka_restart - <<<"$(printf 'workers: 1\nldap:\n  cache_ttl: 3s\n')"
review "$TOKEN"
before=$(ldap_ops)
review "$TOKEN"
is "$(ldap_ops)" "$before" "cache_ttl 3s: a second TokenReview at once is a hit"
sleep 3.3
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "after the TTL: authenticated"
ok "$([ "$(ldap_ops)" -gt "$before" ]; echo $?)" "... and slapd was asked again"
unlike "$(last_audit)" 'ldap cached' "... the audit line shows the directory's answer"

# --- the bound: ldap.cache_max, least recently used out -----------------------
MAX=20
N=$((MAX + 1))
seq 0 $((N - 1)) | awk -v base="$LDAP_BASE_DN" '{ u = sprintf("c%05d", $1)
	printf "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n", u, base
	printf "uid: %s\ncn: %s\nsn: C\nmail: %s@example.org\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/%s\n\n", u, u, u, 20000 + $1, u }' \
	>"$T/many.ldif"
slapd_stop_private
slapadd -q -f "$T/ldap/slapd.conf" -l "$T/many.ldif" >"$T/slapadd.log" 2>&1 || bail "slapadd failed: $(cat "$T/slapadd.log")"
KA_SLAPD_DEBUG=256 slapd_start_private || bail "slapd did not restart"
ka_restart - <<<"$(printf 'workers: 1\nldap:\n  cache_ttl: 10m\n  cache_max: %d\n' "$MAX")"

TOKENS=()
for i in $(seq 0 $((N - 1))); do
	admin_user "$(printf 'c%05d' "$i")"
	admin_token "$user_id" && TOKENS+=("$token")
done
secret_used "${TOKENS[@]}"
is "${#TOKENS[@]}" "$N" "$N users with a token each, cache_max $MAX"

# "hit" or "miss" (or the failure) for one TokenReview of user I: slapd's
# operation count says, and the audit line must agree.
probe() {   # probe I
	local before after audit
	before=$(ldap_ops)
	review "${TOKENS[$1]}"
	after=$(ldap_ops)
	audit=$(last_audit)
	if [ "$(jq -r .status.authenticated <<<"$body")" != true ]; then
		echo "not authenticated"
	elif [ "$after" = "$before" ] && [[ $audit == *"ldap cached)"* ]]; then
		echo hit
	elif [ "$after" -gt "$before" ] && [[ $audit != *"ldap cached"* ]]; then
		echo miss
	else
		echo "unclear: $before -> $after, $audit"
	fi
}
misses=0
for i in $(seq 0 $((N - 1))); do
	[ "$(probe "$i")" = miss ] && misses=$((misses + 1))
done
is "$misses" "$N" "first pass over $N users: $N misses"
# The cache now holds users 1..$MAX: user 0 made room for user $MAX.
is "$(probe 1)" hit "user 1 is still cached (and is now the most recently used)"
is "$(probe 0)" miss "user 0 was the least recently used: it made room"
# Room for user 0 came from the least recently used: user 2, not user 1,
# although user 1 was cached first.
is "$(probe 1)" hit "user 1, used again, stayed"
is "$(probe 2)" miss "user 2, the least recently used, made room for user 0"
is "$(probe "$MAX")" hit "user $MAX is still cached"
diag "worker's Private_Dirty with the cache full: $(awk '/^Private_Dirty:/ { print $2 " kB" }' "/proc/$(pgrep -P "$KA_PID" | head -n 1)/smaps_rollup")"

ka_stop
ok $? "clean stop"
done_testing
