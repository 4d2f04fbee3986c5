#!/usr/bin/env bash
# The HA lab (contrib/ha-lab.sh, doc/high-availability.md): its layout, the
# README walk-through through its front door, and the scenarios of a healthy
# cluster, under a steady mixed load through the front door:
#   1. 1,000 tokens created through service host A, each reviewed at once
#      through host B: none missed (read your writes across hosts);
#   6. 100 policy writes through each host at once: all applied once, the
#      generation counter monotonic, both hosts answering with all of them.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-haload.sh"

halab_test_setup

# --- the layout ---------------------------------------------------------------

status_out=$(halab_status)
ok $? "status: every host is well"
printf '%s\n' "$status_out" | sed 's/^/#   /'
for i in 1 2 3; do
	like "$status_out" "galera n$i .*wsrep_cluster_status=Primary, wsrep_local_state_comment=Synced, wsrep_cluster_size=3" \
		"galera node $i: Primary, Synced, cluster of 3"
done
like "$status_out" 'front door .*host a UP, host b UP' "the front door has both service hosts in service"
csn_p=$(halab_ldap provider ldapsearch -LLL -b "$LDAP_BASE_DN" -s base contextCSN | sed -n 's/^contextCSN: //p')
csn_c=$(halab_ldap consumer ldapsearch -LLL -b "$LDAP_BASE_DN" -s base contextCSN | sed -n 's/^contextCSN: //p')
ok "$([ -n "$csn_p" ] && [ "$csn_p" = "$csn_c" ]; echo $?)" "the LDAP consumer is at the provider's contextCSN ($csn_c)"
is "$(ip netns list | grep -c "^$NETNS_PREFIX-")" 8 "8 hosts, each in its own namespace"
is "$(stat -c %a "$HALAB_DIR/env")" 600 "the env file is mode 0600"
like "$(cat "$HALAB_DIR/env")" "K8S_AUTH_URL=https://$NETNS_NET.5" "K8S_AUTH_URL is the front door"
for h in a b; do
	like "$(cat "$HALAB_DIR/s$h/config.yaml")" 'migrate_on_start: false' "host $h: migrate_on_start: false"
	is "$(stat -c %a "$HALAB_DIR/s$h/token.key")" 600 "host $h: its own copy of the key file, mode 0600"
done
ok "$(cmp -s "$HALAB_DIR/sa/token.key" "$HALAB_DIR/sb/token.key"; echo $?)" "both hosts hold the same token keys"

demo=$(halab_demo)
ok $? "the README walk-through through the front door"
like "$demo" '"authenticated":true,"user":\{"username":"alice@example.org","uid":"500","groups":\["admins","developers","All Users"\]' \
	"... TokenReview: alice, her groups from LDAP"
like "$demo" '"allowed":true,"reason":"allowed by policy \\"ha-lab-admins\\""' "... SubjectAccessReview allowed"

served=$(for _ in $(seq 20); do
	curl -sS -o /dev/null -D - --cacert "$K8S_AUTH_CACERT" "$K8S_AUTH_URL/healthz" | tr -d '\r' |
		sed -n 's/^[Xx]-[Ss]erved-[Bb]y: //p'
done | sort | uniq -c | xargs)
like "$served" '^[0-9]+ a [0-9]+ b$' "the front door sends requests to both hosts ($served)"

# --- 1: create on A, review on B ---------------------------------------------------

load_begin s1
out=$(ha_load pairs "$T/load.json" --create-url "$(halab_url a)" --review-url "$(halab_url b)" --count 1000)
pairs_ok=$(sed -n 's/^ok=//p' <<<"$out")
misses=$(sed -n 's/^miss=//p' <<<"$out")
diag "scenario 1: 1000 pairs: $pairs_ok reviewed authenticated, $misses missed," \
	"$(sed -n 's/^create_failed=//p' <<<"$out") creates and $(sed -n 's/^review_failed=//p' <<<"$out") reviews failed"
is "$misses" 0 "1: no token created through A is missed by B at once"
is "$pairs_ok" 1000 "1: all 1000 pairs created and authenticated"
load_checks 1

# --- 6: concurrent policy writes on both hosts ---------------------------------------

generation() { galera_sql "$1" "SET SESSION wsrep_sync_wait = 1; SELECT generation FROM kubernetes_auth.generations WHERE name = 'policies'"; }
gen0=$(generation 3)
load_begin s6
# The counter as node 3 sees it while both hosts write (through nodes 1 and 2).
(
	while [ ! -e "$T/s6.stop" ]; do
		generation 3 >>"$T/s6.generations"
		sleep 0.05
	done
) &
sampler=$!
out=$(ha_load policies --url-a "$(halab_url a)" --url-b "$(halab_url b)" --prefix ha6 --count 100)
touch "$T/s6.stop"
wait "$sampler"
kv() { sed -n "s/^$1=//p" <<<"$out"; }
is "$(kv created_a) $(kv created_b)" "100 100" "6: 100 POST /policies through each host, all created"
is "$(kv unclean_a) $(kv unclean_b)" "0 0" "6: no 503 had applied the rule (no 409 when sent again)"
is "$(kv other_a) $(kv other_b)" "0 0" "6: no other answer than 201 and 503"
diag "scenario 6: 503s sent again: $(kv unavailable_a) through host a, $(kv unavailable_b) through host b"
for i in 1 2 3; do
	is "$(generation "$i")" "$((gen0 + 200))" "6: node $i: the generation went up by exactly 200"
done
samples=$(wc -l <"$T/s6.generations")
is "$(awk 'NR > 1 && $1 < prev { bad++ } { prev = $1 } END { print bad + 0 }' "$T/s6.generations")" 0 \
	"6: the generation never went down ($samples samples on node 3)"
for h in a b; do
	names=$(curl -sS --cacert "$K8S_AUTH_CACERT" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
		"$(halab_url "$h")/policies" | jq -r '.[].name | select(startswith("ha6-"))' | sort)
	is "$(wc -l <<<"$names") $(uniq <<<"$names" | wc -l)" "200 200" "6: host $h lists the 200 rules, each once"
done
started=$EPOCHREALTIME
for _ in $(seq 20); do
	check=$(ha_load policies-check --url-a "$(halab_url a)" --url-b "$(halab_url b)" --prefix ha6 --count 100)
	[ "$(xargs <<<"$check")" = "allowed_via_a=200 allowed_via_b=200" ] && break
	sleep 0.5
done
is "$(xargs <<<"$check")" "allowed_via_a=200 allowed_via_b=200" "6: both hosts allow by all 200 rules"
diag "scenario 6: 200 writes, generation $gen0 -> $(generation 3); both hosts converged $(elapsed "$started") s after the last write"
load_checks 6

for h in a b; do
	halab_service_stop "$h"
	is "$?" 0 "host $h stops gracefully (and no sanitizer report in its log)"
done

done_testing
