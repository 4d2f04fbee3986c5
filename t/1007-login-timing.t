#!/usr/bin/env bash
# POST /login takes as long for a name the directory does not know as for
# a known name with a wrong password: the same 401 body, and no list of who
# exists by timing. The two cases alternate, and the worker's own time for
# each (the access line, level 5) is compared by median: a ratio, which a
# busy machine moves for both alike.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup
# StartTLS, as a directory should be asked: checking a password opens a
# connection of its own, and its TLS handshake is most of the cost.
ka_config - <<YAML
workers: 1
ldap:
  start_tls: true
  ca_file: $LDAP_CA_FILE
YAML
nginx_setup
ka_start || bail "kubernetes-auth did not start"

N=31
mark=$(wc -l <"$T/ka.log")
bodies=
for i in $(seq "$N"); do
	ka_curl POST /login -u "nobody-$i-$(random_hex 4):wrong-password"
	bodies+="$status $body"$'\n'
	ka_curl POST /login -u "alice:wrong-password-$i"
	bodies+="$status $body"$'\n'
done
is "$(sort -u <<<"${bodies%$'\n'}")" '401 {"error":"invalid username or password"}' \
	"$((2 * N)) failed logins, unknown and known names alike: the same 401"

# The worker's time for each, in order: odd lines unknown, even lines known.
tail -n +$((mark + 1)) "$T/ka.log" | sed -n 's/.*access: POST \/login 401 \([0-9]*\)us$/\1/p' >"$T/times"
is "$(wc -l <"$T/times")" $((2 * N)) "every login has its access line"
read -r unknown known ratio < <(python3 - "$T/times" <<'PY'
import statistics, sys
t = [int(x) for x in open(sys.argv[1])]
unknown, known = statistics.median(t[0::2]), statistics.median(t[1::2])
print(int(unknown), int(known), "%.2f" % (max(unknown, known) / max(1, min(unknown, known))))
PY
)
diag "median worker time: unknown name ${unknown} us, known name with a wrong password ${known} us"
ok "$(python3 -c "import sys; sys.exit(0 if float('$ratio') <= 1.6 else 1)"; echo $?)" \
	"the two medians are within a factor 1.6 of each other (got $ratio)"
done_testing
