#!/usr/bin/env bash
# The HA lab when the LDAP provider goes away, under a steady mixed load
# through the front door:
#   5. provider down: authentications go on from the consumer, through both
#      hosts (host A asks the provider first, host B the consumer first);
#      provider back: a user removed from a group on the provider after it
#      returns is removed on the consumer too, and in the answers of both
#      hosts.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-haload.sh"

halab_test_setup
token_of() { jq -r --arg u "$1" '[.valid[] | select(.username == $u)][0].token' "$T/load.json"; }
alice=$(token_of alice@example.org)
bob=$(token_of bob@example.org)

# bob's groups as host H answers them (one TokenReview).
groups_via() {   # groups_via a|b|fd TOKEN
	curl -sS --max-time 20 --cacert "$K8S_AUTH_CACERT" -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$2\"}}" \
		"$(halab_url "$1")/authenticate/token" | jq -c '.status.user.groups'
}
for h in a b; do
	is "$(groups_via "$h" "$bob")" '["developers","All Users"]' "5: before: host $h: bob is in developers"
done

load_begin s5
sleep 2
load_event provider_down
stopped=$EPOCHREALTIME
halab_slapd_stop provider
ok "$(! halab_ldap provider ldapsearch -o nettimeout=2 -b '' -s base >/dev/null 2>&1; echo $?)" \
	"5: the provider is down"
for h in a b; do
	probe_review "$h" 20 "$alice" alice@example.org
	is "$PROBE_OK/$PROBE_FAILED/$PROBE_WRONG" "20/0/0" \
		"5: provider down: host $h: 20 TokenReviews of 20 right (ok/failed/wrong)"
done
is "$(groups_via a "$alice")" '["admins","developers","All Users"]' \
	"5: provider down: host A finds alice's groups on the consumer"
sleep 2

load_event provider_up
down_for=$(elapsed "$stopped")
restarted=$EPOCHREALTIME
halab_slapd_start provider
ok $? "5: the provider is back"
# Right away, while the consumer may still be reconnecting.
halab_ldap provider ldapmodify >"$T/modify.out" 2>&1 <<-EOF
	dn: cn=developers,ou=groups,$LDAP_BASE_DN
	changetype: modify
	delete: memberUid
	memberUid: bob
	EOF
ok $? "5: bob removed from developers on the provider"
consumer_has_it() {
	! halab_ldap consumer ldapsearch -LLL -b "cn=developers,ou=groups,$LDAP_BASE_DN" -s base memberUid |
		grep -qx 'memberUid: bob'
}
waitfor "$(cat "$(_halab_ldap_dir consumer)/pid")" 300 consumer_has_it
ok $? "5: ... and on the consumer"
diag "scenario 5: the consumer had the change $(elapsed "$restarted") s after the provider's restart"
for h in b a fd; do
	is "$(groups_via "$h" "$bob")" '["All Users"]' "5: host $h answers bob without developers"
done
csn_p=$(halab_ldap provider ldapsearch -LLL -b "$LDAP_BASE_DN" -s base contextCSN | sed -n 's/^contextCSN: //p')
csn_c=$(halab_ldap consumer ldapsearch -LLL -b "$LDAP_BASE_DN" -s base contextCSN | sed -n 's/^contextCSN: //p')
is "$csn_c" "$csn_p" "5: the consumer is at the provider's contextCSN"
sleep 2
load_checks 5
diag "scenario 5: the provider was down for $down_for s"

done_testing
