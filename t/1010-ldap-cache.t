#!/usr/bin/env bash
# ldap.cache_ttl, seen from outside: off by default (every TokenReview binds
# and searches), a hit asks slapd nothing, an entry expires after the TTL,
# and the cache is bounded (DIRECTORY_CACHE_MAX names per worker). LDAP
# traffic is counted in slapd's own stats log, not taken from the
# service's word; one worker, so every request meets the same cache.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup --private
KA_SLAPD_DEBUG=256 slapd_setup --private      # stats: one line per operation
ka_config - <<<"workers: 1"
nginx_setup
ka_start || bail "kubernetes-auth did not start"

FIXTURES=$KA_SRCDIR/t/data/k8s-fixtures
review() {   # review TOKEN
	sed "s/TOKEN_PLACEHOLDER/$1/" "$FIXTURES/tokenreview-v1.json" >"$T/review.json"
	ka_curl POST "/authenticate/token?timeout=30s" -H 'Content-Type: application/json' \
		--data-binary @"$T/review.json"
}
restart_with() {   # restart_with YAML (merged over the test defaults)
	ka_stop || diag "ka_stop: $?"
	ka_config - <<<"$1" || bail "ka_config failed"
	ka_start || bail "kubernetes-auth did not restart"
}
# slapd's count of search and bind operations so far.
ldap_ops() { grep -cE ' (SRCH base|BIND dn)=' "$T/ldap/slapd.log"; }
# The audit line of the last TokenReview.
last_audit() { grep 'audit: authn ' "$T/ka.log" | tail -n 1; }

uid=$(admin_curl POST /users -d '{"username": "alice@example.org"}' && jq -r .id <<<"$body")
admin_curl POST /tokens -d "{\"user_id\": \"$uid\"}"
TOKEN=$(jq -r .token <<<"$body")
uid=$(admin_curl POST /users -d '{"username": "bob@example.org"}' && jq -r .id <<<"$body")
admin_curl POST /tokens -d "{\"user_id\": \"$uid\"}"
BOB=$(jq -r .token <<<"$body")

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
like "$(last_audit)" 'ldap bind [0-9]+us, search [0-9]+us in [0-9]+\)' "... and its audit line shows the bind and searches"

# --- a hit asks slapd nothing ---------------------------------------------
restart_with "$(printf 'workers: 1\nldap:\n  cache_ttl: 60s\n')"
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
restart_with "$(printf 'workers: 1\nldap:\n  cache_ttl: 1s\n')"
review "$TOKEN"
before=$(ldap_ops)
review "$TOKEN"
is "$(ldap_ops)" "$before" "cache_ttl 1s: a second TokenReview at once is a hit"
sleep 1.3
review "$TOKEN"
is "$(jq -r .status.authenticated <<<"$body")" true "after the TTL: authenticated"
ok "$([ "$(ldap_ops)" -gt "$before" ]; echo $?)" "... and slapd was asked again"
unlike "$(last_audit)" 'ldap cached' "... the audit line shows the directory's answer"

# --- the bound ---------------------------------------------------------------
# MAX+1 users, each reviewed once, then each again: a cache of at most MAX
# names per worker answers at most MAX of the second pass.
MAX=$(sed -n 's/^#define DIRECTORY_CACHE_MAX \([0-9]*\).*/\1/p' "$KA_SRCDIR/src/directory.h")
[ -n "$MAX" ] || bail "no DIRECTORY_CACHE_MAX in src/directory.h"
N=$((MAX + 1))
seq 0 $((N - 1)) | awk -v base="$LDAP_BASE_DN" '{ u = sprintf("c%05d", $1)
	printf "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n", u, base
	printf "uid: %s\ncn: %s\nsn: C\nmail: %s@example.org\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/%s\n\n", u, u, u, 20000 + $1, u }' \
	>"$T/many.ldif"
slapd_stop_private
slapadd -q -f "$T/ldap/slapd.conf" -l "$T/many.ldif" >"$T/slapadd.log" 2>&1 || bail "slapadd failed: $(cat "$T/slapadd.log")"
slapd_start_private || bail "slapd did not restart"
restart_with "$(printf 'workers: 1\nldap:\n  cache_ttl: 10m\n')"

# POST each line of FILE to PATH (16 at a time, one curl); answers on stdout.
post_lines() {   # post_lines PATH FILE [ADMIN]
	awk -v url="$KA_URL$1" -v ca="$KA_CACERT" -v tok="${3:+$KA_ADMIN_TOKEN}" '
		{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\"")
		  if (NR > 1) print "next"
		  printf "url = \"%s\"\ncacert = \"%s\"\nheader = \"Content-Type: application/json\"\n", url, ca
		  if (tok != "") printf "header = \"x-auth-token: %s\"\n", tok
		  printf "data = \"%s\"\nwrite-out = \"\\n\"\n", $0 }' "$2" >"$T/curl.conf"
	chmod 0600 "$T/curl.conf"
	curl -s --parallel --parallel-max 16 -K "$T/curl.conf" 2>>"$T/curl.err"
}
seq 0 $((N - 1)) | awk '{ printf "{\"username\":\"c%05d\"}\n", $1 }' >"$T/users.jsonl"
post_lines /users "$T/users.jsonl" admin | jq -r 'select(.id) | "{\"user_id\":\"\(.id)\"}"' >"$T/tokens.jsonl"
post_lines /tokens "$T/tokens.jsonl" admin | jq -r 'select(.token) | .token' >"$T/tokens"
is "$(wc -l <"$T/tokens")" "$N" "$N users with a token each (cache bound $MAX)"
secret_used $(cat "$T/tokens")
tmpl=$(jq -c . "$FIXTURES/tokenreview-v1.json")
awk -v tmpl="$tmpl" '{ line = tmpl; sub(/TOKEN_PLACEHOLDER/, $1, line); print line }' \
	"$T/tokens" >"$T/reviews.jsonl"
mark=$(wc -l <"$T/ka.log")
pass1=$(post_lines /authenticate/token "$T/reviews.jsonl" | grep -c '"authenticated":true')
is "$pass1" "$N" "first pass: $N TokenReviews authenticated"
mark2=$(wc -l <"$T/ka.log")
pass2=$(post_lines /authenticate/token "$T/reviews.jsonl" | grep -c '"authenticated":true')
is "$pass2" "$N" "second pass: all authenticated again"
hits1=$(sed -n "$((mark + 1)),${mark2}p" "$T/ka.log" | grep 'audit: authn ' | grep -c 'ldap cached)')
hits2=$(tail -n +"$((mark2 + 1))" "$T/ka.log" | grep 'audit: authn ' | grep -c 'ldap cached)')
is "$hits1" 0 "first pass: no hits (each user once)"
ok "$([ "$hits2" -le "$MAX" ]; echo $?)" "second pass: $hits2 hits, at most the bound ($MAX)"
diag "worker's Private_Dirty with the cache full: $(awk '/^Private_Dirty:/ { print $2 " kB" }' "/proc/$(pgrep -P "$KA_PID" | head -n 1)/smaps_rollup")"

ka_stop
ok $? "clean stop"
done_testing
