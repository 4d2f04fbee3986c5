#!/usr/bin/env bash
# The group search against a directory whose size limit is small (5): a
# user in groups of every style (groupOfNames member, groupOfUniqueNames
# uniqueMember, posixGroup memberUid, memberOf only) gets them all from one
# search; a short answer is asked once, plain; one the limit cuts is asked
# again with paged results and comes back complete, never shorter (or 503
# when the server's limit on paged results cuts that too). slapd's own
# stats log counts the operations. check-config --connect times a lookup.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
KA_SLAPD_DEBUG=256 slapd_setup --sizelimit 5      # stats: one line per operation
B=$LDAP_BASE_DN

person() {   # person UID
	printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n' "$1" "$B"
	printf 'uid: %s\ncn: %s\nsn: Test\nmail: %s@example.org\nuidNumber: 600\ngidNumber: 100\nhomeDirectory: /home/%s\n\n' \
		"$1" "$1" "$1" "$1"
}
{
	person mixed
	person few
	for i in 1 2 3 4; do
		printf 'dn: cn=gon-%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: gon-%s\nmember: uid=mixed,ou=people,%s\n\n' \
			"$i" "$B" "$i" "$B"
	done
	for i in 1 2 3; do
		printf 'dn: cn=gun-%s,ou=groups,%s\nobjectClass: groupOfUniqueNames\ncn: gun-%s\nuniqueMember: uid=mixed,ou=people,%s\n\n' \
			"$i" "$B" "$i" "$B"
		printf 'dn: cn=pg-%s,ou=groups,%s\nobjectClass: posixGroup\ncn: pg-%s\ngidNumber: 80%s\nmemberUid: mixed\n\n' \
			"$i" "$B" "$i" "$i"
	done
	# Members unreadable by the service account (ou=teams): memberOf only.
	printf 'dn: cn=team-x,ou=teams,%s\nobjectClass: groupOfNames\ncn: team-x\nmember: uid=mixed,ou=people,%s\n\n' "$B" "$B"
	printf 'dn: cn=few-1,ou=groups,%s\nobjectClass: groupOfNames\ncn: few-1\nmember: uid=few,ou=people,%s\n\n' "$B" "$B"
	printf 'dn: cn=few-2,ou=groups,%s\nobjectClass: posixGroup\ncn: few-2\ngidNumber: 900\nmemberUid: few\n\n' "$B"
} >"$T/test.ldif"
ldap_root ldapadd -f "$T/test.ldif" >"$T/ldapadd.log" 2>&1 || { sed 's/^/# /' "$T/ldapadd.log" | tail; bail "ldapadd failed"; }

ka_config - <<-YAML
workers: 1
ldap:
  group_methods: [member, memberUid, memberOf]
  member_attributes: [member, uniqueMember]
YAML
nginx_setup
ka_start || bail "kubernetes-auth did not start"

declare -A TOKENS
for name in mixed few; do
	admin_user "$name"
	admin_token "$user_id" && TOKENS[$name]=$token
done
# slapd's count of search operations so far.
searches() { grep -c ' SRCH base=' "$T/ldap/slapd.log"; }
# The number of search operations the last audit line reports.
audit_searches() { grep 'audit: authn ' "$T/ka.log" | tail -n 1 | sed -n 's/.* search [0-9]*us in \([0-9]*\)).*/\1/p'; }
ALL="gon-1,gon-2,gon-3,gon-4,gun-1,gun-2,gun-3,pg-1,pg-2,pg-3,team-x,All Users"

s0=$(searches)
review "${TOKENS[few]}"
is "$(jq -r '.status.user.groups | join(",")' <<<"$body")" "few-1,few-2,All Users" \
	"two groups (member, memberUid), sorted; then default_groups"
is "$(audit_searches)" 2 "... the user search and one group search"
is "$(( $(searches) - s0 ))" 2 "... and slapd saw two searches"

# 11 groups, more than the size limit of 5; paged results stop at
# size.prtotal, which defaults to the hard limit: 503, not 5 groups.
review "${TOKENS[mixed]}"
is "$status" 503 "11 groups with a size limit of 5 and no more for paged results: 503"
grep -q "hit the server's size limit even with paged results" "$T/ka.log"
ok $? "... and the log says why"

slapd_stop_private
printf 'limits dn.exact="%s" size.prtotal=unlimited\n' "$LDAP_BIND_DN" >>"$T/ldap/slapd.conf"
KA_SLAPD_DEBUG=256 slapd_start_private || bail "slapd did not restart"
s0=$(searches)
review "${TOKENS[mixed]}"
is "$status" 200 "with size.prtotal unlimited: 200"
is "$(jq -r '.status.user.groups | join(",")' <<<"$body")" "$ALL" \
	"every group of every style, once each, sorted: the cut first answer was asked again whole"
is "$(audit_searches)" 3 "... in three searches: the user, the group search the limit cut, the paged one"
is "$(( $(searches) - s0 ))" 3 "... and slapd saw three"
review "${TOKENS[mixed]}"
is "$(jq -r '.status.user.groups | join(",")' <<<"$body")" "$ALL" "the same answer, in the same order, again"
review "${TOKENS[few]}"
is "$(audit_searches)" 2 "a user with few groups still needs one group search"

out=$(ka_check_config --connect -lookup mixed 2>&1)
ok $? "check-config --connect -lookup mixed" || diag "$out"
grep -qE '^ldap: lookup of "mixed" \(found\): bind [0-9.]+ ms, user search [0-9.]+ ms, group search [0-9.]+ ms \(best of 3\)$' <<<"$out"
ok $? "... times the bind and both searches" || diag "$out"
grep -q '^ldap: "mixed" is in 11 groups$' <<<"$out"
ok $? "... and counts the groups"
out=$(ka_check_config --connect 2>&1)
ok $? "check-config --connect without -lookup" || diag "$out"
grep -qE '^ldap: lookup of "kubernetes-auth-check-config-probe" \(no such entry: groups of a made-up one\): bind [0-9.]+ ms' <<<"$out"
ok $? "... times the group search for a made-up entry" || diag "$out"
ka_check_config -lookup mixed >/dev/null 2>&1
[ $? = 1 ]
ok $? "-lookup without --connect is refused"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
