#!/usr/bin/env bash
# Users and groups as the directory has them: each group method alone and
# combined, cn or DN naming, nested groups with a cycle and a depth limit,
# system: names, prefixes, extra attributes, ids with filter and DN
# specials and non-ASCII, several matching entries, and a user in 600 groups
# (as the service account, whose size limit of 500 is real). A private slapd:
# the test adds entries.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup --private
B=$LDAP_BASE_DN
b64() { printf '%s' "$1" | base64 -w0; }

# person UID MAIL UIDNUMBER: an entry whose uid may hold DN specials (the
# DN and the values are written base64-encoded).
person() {
	local uid=$1 mail=$2 num=$3 dn
	dn="uid=$(printf '%s' "$uid" | sed -e 's/\\/\\\\/g' -e 's/[,=+"<>;]/\\&/g'),ou=people,$B"
	cat <<-LDIF
	dn:: $(b64 "$dn")
	objectClass: inetOrgPerson
	objectClass: posixAccount
	uid:: $(b64 "$uid")
	cn:: $(b64 "$uid")
	sn: Test
	mail: $mail
	uidNumber: $num
	gidNumber: 100
	homeDirectory: /home/test
	departmentNumber: 42
	departmentNumber: 43
	userPassword: test-secret

	LDIF
}
SPECIAL='a*b(c)d\e,f=g+h'
SPECIAL_DN="uid=a*b(c)d\\\\e\\,f\\=g\\+h,ou=people,$B"
UTF8='jürgen-ñ-日本'
{
	person dave dave@example.org 510
	person "$SPECIAL" special@example.org 511
	person "$UTF8" juergen@example.org 512
	person twin1 twin@example.org 513
	person twin2 twin@example.org 514
	person sysuser system:evil 515
	person many many@example.org 516
	cat <<-LDIF
	dn: cn=g-member,ou=groups,$B
	objectClass: groupOfNames
	cn: g-member
	member: uid=dave,ou=people,$B

	dn: cn=g-unique,ou=groups,$B
	objectClass: groupOfUniqueNames
	cn: g-unique
	uniqueMember: uid=dave,ou=people,$B

	dn: cn=g-posix,ou=groups,$B
	objectClass: posixGroup
	cn: g-posix
	gidNumber: 700
	memberUid: dave

	dn: cn=g-team,ou=teams,$B
	objectClass: groupOfNames
	cn: g-team
	member: uid=dave,ou=people,$B

	dn: cn=system:masters,ou=groups,$B
	objectClass: groupOfNames
	cn: system:masters
	member: uid=dave,ou=people,$B

	dn: cn=n1,ou=groups,$B
	objectClass: groupOfNames
	cn: n1
	member: cn=g-member,ou=groups,$B

	dn: cn=n2,ou=groups,$B
	objectClass: groupOfNames
	cn: n2
	member: cn=n1,ou=groups,$B

	dn: cn=n3,ou=groups,$B
	objectClass: groupOfNames
	cn: n3
	member: cn=n2,ou=groups,$B

	dn: cn=g-special,ou=groups,$B
	objectClass: groupOfNames
	cn: g-special
	member:: $(b64 "$SPECIAL_DN")

	dn: cn=g-special-posix,ou=groups,$B
	objectClass: posixGroup
	cn: g-special-posix
	gidNumber: 701
	memberUid:: $(b64 "$SPECIAL")

	dn:: $(b64 "cn=gruppe-ä,ou=groups,$B")
	objectClass: groupOfNames
	cn:: $(b64 "gruppe-ä")
	member:: $(b64 "uid=$UTF8,ou=people,$B")

	dn: cn=g-twin,ou=groups,$B
	objectClass: groupOfNames
	cn: g-twin
	member: uid=twin1,ou=people,$B

	dn: cn=n1,ou=groups,$B
	changetype: modify
	add: member
	member: cn=n2,ou=groups,$B

	LDIF
	for i in $(seq -w 1 600); do
		printf 'dn: cn=big-%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: big-%s\nmember: uid=many,ou=people,%s\n\n' \
			"$i" "$B" "$i" "$B"
	done
} >"$T/test.ldif"
# The one "changetype: modify" record closes the cycle n1 <-> n2.
ldap_root ldapadd -f "$T/test.ldif" >"$T/ldapadd.log" 2>&1 || { sed 's/^/# /' "$T/ldapadd.log" | tail; bail "ldapadd failed"; }

ka_config
nginx_setup
ka_start || bail "kubernetes-auth did not start"

# token_for NAME: $tok, a token of the local user whose stored id is NAME.
declare -A TOKENS
token_for() {
	if [ -z "${TOKENS["x$1"]:-}" ]; then
		local id
		id=$(jq -rn --arg u "$1" '{username: $u}' | curl -s --cacert "$KA_CACERT" -X POST \
			"$KA_URL/users" -H "x-auth-token: $KA_ADMIN_TOKEN" -d @- | jq -r .id)
		TOKENS["x$1"]=$(curl -s --cacert "$KA_CACERT" -X POST "$KA_URL/tokens" \
			-H "x-auth-token: $KA_ADMIN_TOKEN" -d "{\"user_id\": \"$id\"}" | jq -r .token)
	fi
	tok=${TOKENS["x$1"]}
}
# groups_of NAME: $got, the sorted groups comma-separated, or the error
# (not in a subshell: the tokens made and $body stay).
groups_of() {
	token_for "$1"
	review "$tok"
	if [ "$(jq -r .status.authenticated <<<"$body")" = true ]; then
		got=$(jq -r '.status.user.groups | sort | join(",")' <<<"$body")
	else
		got="error $status: $(jq -r '.status.error // .message' <<<"$body")"
	fi
}

# The test config's defaults: member + memberUid, cn, no nesting.
groups_of dave
is "$got" "All Users,g-member,g-posix,g-unique" \
	"member + memberUid: groupOfNames, groupOfUniqueNames, posixGroup; system:masters dropped"
grep -q 'group "system:masters" of user .* dropped' "$T/ka.log"
ok $? "... the dropped system:masters group is logged"

ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member]\n')"
groups_of dave
is "$got" "All Users,g-member,g-unique" "member only"
ka_restart - <<<"$(printf 'ldap:\n  group_methods: [memberUid]\n')"
groups_of dave
is "$got" "All Users,g-posix" "memberUid only"
ka_restart - <<<"$(printf 'ldap:\n  group_methods: [memberOf]\n')"
groups_of dave
is "$got" "All Users,g-member,g-team" \
	"memberOf only (g-team's members are unreadable: found through memberOf)"
ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member, memberUid, memberOf]\nauthentication:\n  default_groups: ["All Users", "system:masters", "g-member"]\n')"
groups_of dave
is "$got" "All Users,g-member,g-posix,g-team,g-unique" \
	"all three combined, each group once; system: in default_groups dropped too"

ka_restart - <<<"$(printf 'ldap:\n  group_name: dn\n')"
groups_of dave
is "$got" "All Users,cn=g-member,ou=groups,$B,cn=g-posix,ou=groups,$B,cn=g-unique,ou=groups,$B" \
	"group_name: dn (cn=system:masters,... dropped too)"

ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member]\n  nested_depth: 1\n')"
groups_of dave
is "$got" "All Users,g-member,g-unique,n1" "nested_depth 1: one level up"
ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member]\n  nested_depth: 10\n')"
groups_of dave
is "$got" "All Users,g-member,g-unique,n1,n2,n3" \
	"nested_depth 10 with a cycle (n1 <-> n2): every group once, and an answer"
ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member]\n  nested_depth: 2\n  group_name: dn\n')"
groups_of dave
is "$got" "All Users,cn=g-member,ou=groups,$B,cn=g-unique,ou=groups,$B,cn=n1,ou=groups,$B,cn=n2,ou=groups,$B" \
	"nested_depth 2, named by DN"

# Prefixes, uid, extra attributes; system: behind a prefix.
ka_restart - <<<"$(printf 'ldap:\n  extra_attributes: [departmentNumber, cn]\nauthentication:\n  username_prefix: "ldap:"\n  group_prefix: "ldap:"\n  default_groups: ["All Users"]\n')"
token_for dave
review "$tok"
is "$(jq -r .status.user.username <<<"$body")" "ldap:dave@example.org" "username_prefix"
is "$(jq -r '.status.user.groups | sort | join(",")' <<<"$body")" "All Users,ldap:g-member,ldap:g-posix,ldap:g-unique" \
	"group_prefix on LDAP groups (not on default_groups); ldap:system:masters dropped all the same"
is "$(jq -c .status.user.uid <<<"$body")" '"510"' "uid from uidNumber"
is "$(jq -c .status.user.extra <<<"$body")" '{"departmentNumber":["42","43"],"cn":["dave"]}' \
	"extra attributes, every value"

ka_restart - <<<"$(printf 'ldap:\n  group_methods: [member, memberUid]\n')"
# Ids with filter and DN specials, and non-ASCII.
groups_of "$SPECIAL"
is "$got" "All Users,g-special,g-special-posix" \
	"id with * ( ) \\ , = + : found; groups by escaped DN and escaped memberUid"
is "$(jq -r .status.user.username <<<"$body")" special@example.org "... the right user"
groups_of "$UTF8"
is "$got" "All Users,gruppe-ä" "a non-ASCII id and group"
is "$(jq -r .status.user.username <<<"$body")" juergen@example.org "... the right user"
# Injection attempts match no one else.
for evil in '*' '*)(uid=*' 'alic*' 'a*b(c)d*' 'dave)(uid=alice' 'twin*' 'dave\2a'; do
	groups_of "$evil"
	is "$got" "error 200: user not found in directory" "stored id '$evil' matches no one"
done
groups_of twin@example.org
is "$got" "error 200: user matches several directory entries" \
	"two entries match: refused"
groups_of sysuser
is "$got" "error 200: user not allowed" "a username starting with system: is refused"
grep -q 'deny (username starts with system:)' "$T/ka.log"
ok $? "... and logged"

# 600 groups, as the non-root service account (size limit 500): paged
# results do not get past slapd's total for paged searches (size.prtotal,
# by default the hard limit): 503, never a shorter list.
token_for many
review "$tok"
is "$status" 503 "600 groups beyond the server's limit: 503"
is "$(jq -r .message <<<"$body")" "ldap unavailable" "... as a Status"
grep -q "hit the server's size limit even with paged results" "$T/ka.log"
ok $? "... and the log says why"
# Lift the limit on paged searches for the service account: all 600.
slapd_stop_private
printf 'limits dn.exact="%s" size.prtotal=unlimited\n' "$LDAP_BIND_DN" >>"$T/ldap/slapd.conf"
slapd_start_private || bail "slapd did not restart"
review "$tok"
is "$status" 200 "with size.prtotal unlimited: 200"
is "$(jq '.status.user.groups | map(select(startswith("big-"))) | unique | length' <<<"$body")" 600 \
	"... and all 600 groups"
n=$(grep "audit: authn .* user many cluster -: allow" "$T/ka.log" | tail -1 | sed -n 's/.* search [0-9]*us in \([0-9]*\)).*/\1/p')
[ "${n:-0}" -ge 4 ]
ok $? "... in pages of 200 (${n:-?} search operations)"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
