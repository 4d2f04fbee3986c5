#!/usr/bin/env bash
# The HA lab when a Galera node fails, under a steady mixed load through the
# front door:
#   2. node 1 (service host A's first node) is killed with SIGKILL, then
#      restarted from its recovered position (IST): no wrong answer, failed
#      requests no more than were in flight at the kill, both service hosts
#      keep serving, the node rejoins and host A returns to it (failback);
#   3. node 2 (host B's first node) loses its replication link: it becomes
#      a non-Primary minority that still answers its clients, must refuse
#      them, and host B must fail over; no wrong answer, not even for a token
#      revoked through host A during the partition.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-haload.sh"

halab_test_setup
alice=$(jq -r '.valid[] | select(.username == "alice@example.org") | .token' "$T/load.json" | head -n 1)

# --- 2: kill a node, bring it back by IST -------------------------------------------

load_begin s2
sleep 2
load_event kill
killed=$EPOCHREALTIME
galera_kill 1
ok "$(! galera_pid 1 >/dev/null; echo $?)" "2: node 1 killed (SIGKILL)"
galera_wait 2 300 'Primary Synced 2'
ok $? "2: nodes 2 and 3 form a Primary component of 2 ($(galera_state 2))"
diag "scenario 2: the survivors were a cluster of 2 $(elapsed "$killed") s after the kill"
# Host H answers again (within 300 tries), then 20 TokenReviews of 20 right.
serves() {   # serves LABEL H SINCE WHAT
	local asked=$EPOCHREALTIME
	until_reviews "$2" 300 "$alice" alice@example.org
	ok $? "$1: host $2 answers TokenReviews $4"
	diag "scenario $1: host $2 answered $(elapsed "$asked") s after asked, $(elapsed "$3") s after the fault"
	probe_review "$2" 20 "$alice" alice@example.org
	is "$PROBE_OK/$PROBE_FAILED/$PROBE_WRONG" "20/0/0" "$1: host $2: 20 TokenReviews of 20 right (ok/failed/wrong)"
}
for h in a b; do
	serves 2 "$h" "$killed" "with node 1 down"
done
waitfor "$(galera_pid 2)" 100 _halab_backends_up 2
ok $? "2: the front door keeps both hosts in service ($(halab_backends | xargs))"

load_event restart
restarted=$EPOCHREALTIME
mark=$(wc -l <"$HALAB_DIR/galera/n1/error.log")
galera_restart_ist 1
ok $? "2: node 1 restarted from its recovered position"
diag "scenario 2: node 1 Synced $(elapsed "$restarted") s after its restart"
for i in 1 2 3; do
	is "$(galera_state "$i")" "Primary Synced 3" "2: node $i back in a Primary cluster of 3"
done
# Host A's first node is back: its workers return to it once
# database.failback (10 s in the lab) has passed since they failed over.
nodes_of_a() {
	for _ in $(seq 10); do
		curl -sS --max-time 10 --cacert "$K8S_AUTH_CACERT" "$(halab_url a)/healthz" | jq -r '.database_node // "none"'
	done | sort -u | xargs
}
waitfor "$(galera_pid 1)" 300 eval '[ "$(nodes_of_a)" = "$NETNS_NET.11:3306" ]'
ok $? "2: host a is back on node 1 (failback; its /healthz names: $(nodes_of_a))"
diag "scenario 2: host a back on node 1 $(elapsed "$restarted") s after node 1's restart"
joined=$(tail -n +"$((mark + 1))" "$HALAB_DIR/galera/n1/error.log")
ist=$(grep -oE 'Receiving IST: [0-9]+ writesets' <<<"$joined")
ok "$([ -n "$ist" ]; echo $?)" "2: node 1 caught up by IST (${ist:-no IST})"
ok "$(! grep -q 'SST completed on joiner' <<<"$joined"; echo $?)" "2: ... not by a full SST"
sleep 2
load_checks 2 kill

# --- 3: partition a node ---------------------------------------------------------

# A token to revoke through host A while node 2 (host B's) is cut off.
tok=$(curl -sS --cacert "$K8S_AUTH_CACERT" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$(jq -r '.users["bob@example.org"]' "$T/load.json")\", \"description\": \"revoked in 3\"}" \
	"$K8S_AUTH_URL/tokens")
tok_id=$(jq -r .id <<<"$tok")
tok_secret=$(jq -r .token <<<"$tok")
secret_used "$tok_secret"
until_reviews b 100 "$tok_secret" bob@example.org
ok $? "3: the token authenticates through host B before the partition"

load_begin s3
sleep 2
load_event partition
cut=$EPOCHREALTIME
netns_link n2 g down
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$K8S_AUTH_CACERT" \
	-H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" -X DELETE "$(halab_url a)/tokens/$tok_id")
is "$status" 200 "3: the token revoked through host A during the partition"
diag "scenario 3: the revocation was answered $(elapsed "$cut") s after the cut"
# Until node 2 knows it is cut off, host B must not read the old state.
probe_review b 20 "$tok_secret" ""
is "$PROBE_WRONG" 0 "3: host B never authenticates the revoked token (20 reviews: $PROBE_OK right, $PROBE_FAILED failed)"
galera_wait 2 300 'non-Primary .*'
ok $? "3: node 2 is a non-Primary minority ($(galera_state 2))"
diag "scenario 3: node 2 non-Primary $(elapsed "$cut") s after the cut"
refused=$(galera_sql 2 "SELECT COUNT(*) FROM kubernetes_auth.tokens" 2>&1)
like "$refused" '1047|WSREP has not yet prepared node' "3: node 2 refuses reads"
for i in 1 3; do
	is "$(galera_state "$i")" "Primary Synced 2" "3: node $i in the Primary component of 2"
done
serves 3 b "$cut" "with node 2 cut off (failed over)"
probe_review b 5 "$tok_secret" ""
is "$PROBE_OK/$PROBE_FAILED/$PROBE_WRONG" "5/0/0" "3: host B: the revoked token is refused"

load_event heal
healed=$EPOCHREALTIME
netns_link n2 g up
galera_wait 2 600 'Primary Synced 3'
ok $? "3: node 2 rejoined by itself ($(galera_state 2))"
diag "scenario 3: node 2 Synced again $(elapsed "$healed") s after the link came back"
sleep 2
load_checks 3 partition

done_testing
