#!/usr/bin/env bash
# GET /users in pages (limit, after) and by username prefix; the list
# without them is the whole list, as it always was; each kind of bad
# paging input is a 400 with {"error": ...}.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

# A user is stored under its directory entry's uid: the directory gets an
# entry for each name (base64 in the LDIF: one holds a backslash).
stack_up --private-ldap
names=()
for i in $(seq -w 0 24); do names+=("page-$i"); done
names+=(other-a 'x%y' x_y 'x\z' xay)
for name in "${names[@]}"; do
	dn="uid=${name//\\/\\5c},ou=people,$LDAP_BASE_DN"
	printf 'dn:: %s\nobjectClass: inetOrgPerson\nuid:: %s\ncn: t\nsn: t\n\n' \
		"$(printf '%s' "$dn" | base64 -w0)" "$(printf '%s' "$name" | base64 -w0)"
done >"$T/people.ldif"
ldap_root ldapadd -f "$T/people.ldif" >"$T/ldapadd.log" 2>&1 || { sed 's/^/# /' "$T/ldapadd.log" | tail; bail "ldapadd failed"; }
for name in "${names[@]}"; do
	admin_user "$name" || bail "POST /users $name: $status $body"
done
admin_curl GET /users
is "$status" 200 "GET /users: 200"
ALL=$(jq -c 'map(.username)' <<<"$body")
is "$(jq length <<<"$body")" 30 "... every user, in one answer, without paging"
is "$(jq -r '.[0].username, .[29].username' <<<"$body" | paste -sd,)" 'page-00,xay' "... oldest first"

# walk QUERY: every page of limit=7 with QUERY, following after=; $pages
# and $walked (the usernames, in order, as a JSON list).
walk() {
	local after= q names=()
	pages=0
	while :; do
		q="limit=7${1:+&$1}${after:+&after=$after}"
		admin_curl GET "/users?$q"
		[ "$status" = 200 ] || { diag "GET /users?$q: $status $body"; break; }
		pages=$((pages + 1))
		mapfile -t -O "${#names[@]}" names < <(jq -r '.[].username' <<<"$body")
		[ "$(jq length <<<"$body")" -lt 7 ] && break
		after=$(jq -r '.[-1].id' <<<"$body")
		[ "$pages" -lt 20 ] || break
	done
	walked=$(printf '%s\n' "${names[@]}" | jq -R . | jq -sc .)
}
admin_curl GET "/users?limit=7"
is "$(jq -c 'map(.username)' <<<"$body")" "$(jq -c '.[0:7]' <<<"$ALL")" "limit=7: the first 7"
walk ""
is "$walked" "$ALL" "pages of 7, each after the last of the one before: the whole list, in order"
is "$pages" 5 "... in 5 pages (the last one short)"
walk "prefix=page-"
is "$walked" "$(jq -c 'map(select(startswith("page-")))' <<<"$ALL")" "prefix=page- in pages: the 25 page- users"
is "$pages" 4 "... in 4 pages"
admin_curl GET "/users?prefix=x%25"
is "$(jq -c 'map(.username)' <<<"$body")" '["x%y"]' "prefix x%: % is no wildcard"
admin_curl GET "/users?prefix=x_"
is "$(jq -c 'map(.username)' <<<"$body")" '["x_y"]' "prefix x_: _ is no wildcard"
admin_curl GET "/users?prefix=x%5C"
is "$(jq -c 'map(.username)' <<<"$body")" '["x\\z"]' 'prefix x\: a backslash is a byte'
admin_curl GET "/users?prefix=PAGE"
is "$body" "[]" "prefix is byte for byte: PAGE matches no page-"
admin_curl GET "/users?username=other-a&limit=3"
is "$(jq -c 'map(.username)' <<<"$body")" '["other-a"]' "username with limit: the one user"
last=$(jq -r '.[-1].id' <<<"$(admin_curl GET /users >/dev/null; echo "$body")")
admin_curl GET "/users?after=$last"
is "$body" "[]" "after the last user: an empty page"

# bad QUERY DESCRIPTION: 400 with an error naming the parameter.
bad() {
	admin_curl GET "/users?$1"
	is "$status" 400 "$2: 400"
	like "$(jq -r .error <<<"$body" 2>/dev/null)" "${3:-.}" "... {\"error\": ...}"
}
bad "limit=0" "limit 0" "^limit: "
bad "limit=1001" "limit over 1000" "^limit: "
bad "limit=-1" "a negative limit" "^limit: "
bad "limit=ten" "a limit that is no number" "^limit: "
bad "limit=" "an empty limit" "^limit: "
bad "limit=5x" "a limit with trailing junk" "^limit: "
bad "limit=99999999999999999999999" "a limit past 64 bits" "^limit: "
bad "after=not-an-id" "after that is no user id" "^after: "
bad "after=00000000-0000-4000-8000-000000000000" "after naming no user" "^after: no user"
bad "prefix=" "an empty prefix" "^prefix: "
bad "prefix=$(head -c 256 /dev/zero | tr '\0' a)" "a prefix over 255 bytes" "^prefix: "
bad "username=other-a&after=$last" "username with after" "^after: cannot"
bad "username=other-a&prefix=o" "username with prefix" "^prefix: cannot"
bad "limit=%zz" "a malformed encoding" "limit"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
