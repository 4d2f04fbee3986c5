#!/usr/bin/env bash
# Users: create, list, filter, get, delete; names kept byte for byte; every
# kind of bad input refused with {"error": ...} and nothing changed.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

stack_up

admin_curl GET /users
is "$status" 200 "GET /users on an empty store: 200"
is "$body" "[]" "... an empty list"

admin_user alice
is "$status" 201 "POST /users: 201"
alice=$user_id
admin_curl GET "/users/$alice"
is "$status" 200 "GET /users/{id}: 200"
is "$(jq -c . <<<"$body")" "{\"id\":\"$alice\",\"username\":\"alice\"}" "... the user"
upper=$(tr 'a-f' 'A-F' <<<"$alice")
admin_curl GET "/users/$upper"
is "$(jq -r .id <<<"$body")" "$alice" "GET /users/{ID in upper case}: the same user"
admin_curl GET "/users/$alice/"
is "$status" 200 "a trailing slash is fine"

# Names are compared byte for byte.
admin_user Alice
is "$status" 201 "Alice is not alice: 201"
admin_user "alice "
is "$status" 201 "'alice ' (trailing space) is not alice: 201"
admin_refused 409 "duplicate username" POST /users -d '{"username": "alice"}'
is "$(jq -r .error <<<"$body")" "a user with this username exists" "... says why"

specials=(
	"'; DROP TABLE users; --"
	'%'
	'_'
	'a%'
	'b_c'
	'back\slash'
	'*()\'
	'cn=x,ou=y+z'
	'"quoted"'
	'ünïcødé 用户 🙂'
	'<script>'
)
for name in "${specials[@]}"; do
	admin_user "$name"
	is "$status" 201 "stored: $name"
	admin_curl GET "/users/$user_id"
	is "$(jq -r .username <<<"$body")" "$name" "... returned byte for byte"
	admin_curl GET /users -G --data-urlencode "username=$name"
	is "$(jq -r 'length' <<<"$body"):$(jq -r '.[0].username' <<<"$body")" "1:$name" \
		"... ?username= finds exactly it"
done
admin_curl GET /users -G --data-urlencode "username=a_"
is "$body" "[]" "?username=a_ : _ is no wildcard"
admin_curl GET /users -G --data-urlencode "username=%"
is "$(jq -r 'length' <<<"$body")" 1 "?username=%: % is no wildcard (one match: the user named %)"
admin_curl GET /users -G --data-urlencode "username=ALICE"
is "$body" "[]" "?username=ALICE: no match (case matters)"
admin_curl GET '/users?username=alice+'
is "$(jq -r '.[0].username' <<<"$body")" "alice " "?username=alice+ : + is a space (form encoding)"
admin_curl GET '/users?username='
is "$body" "[]" "?username= (empty): no match"
name255=$(printf 'x%.0s' $(seq 255))
admin_user "$name255"
is "$status" 201 "a 255-byte username is fine"
admin_curl GET /users
is "$(jq -r length <<<"$body")" $((4 + ${#specials[@]})) "GET /users lists them all"
is "$(jq -r '[.[] | keys | join(",")] | unique | join(" ")' <<<"$body")" "id,username" \
	"... each with id and username only"
is "$(jq -r '.[0].username' <<<"$body")" "alice" "... oldest first"

# Bad input.
admin_refused 400 "malformed JSON" POST /users -d '{"username": "x"'
admin_refused 400 "truncated JSON" POST /users -d '{"user'
admin_refused 400 "empty body" POST /users -d ''
admin_refused 400 "an array" POST /users -d '[{"username": "x"}]'
admin_refused 400 "a number" POST /users -d '5'
admin_refused 400 "a string" POST /users -d '"x"'
admin_refused 400 "null" POST /users -d 'null'
admin_refused 400 "missing username" POST /users -d '{"user": "x"}'
admin_refused 400 "username null" POST /users -d '{"username": null}'
admin_refused 400 "username a number" POST /users -d '{"username": 5}'
is "$(jq -r .error <<<"$body")" "username must be a string" "... says why"
admin_refused 400 "username an object" POST /users -d '{"username": {"a": 1}}'
admin_refused 400 "username an array" POST /users -d '{"username": ["x"]}'
admin_refused 400 "empty username" POST /users -d '{"username": ""}'
admin_refused 400 "username over 255 bytes" POST /users -d "{\"username\": \"${name255}y\"}"
admin_refused 400 "a 128-character, 256-byte username" POST /users \
	-d "{\"username\": \"$(printf 'é%.0s' $(seq 128))\"}"
admin_refused 400 "escaped NUL" POST /users -d '{"username": "a\u0000b"}'
printf '{"username": "a\0b"}' >"$T/nul.json"
admin_refused 400 "raw NUL" POST /users --data-binary "@$T/nul.json"
printf '{"username": "a\xff\xfeb"}' >"$T/latin.json"
admin_refused 400 "invalid UTF-8" POST /users --data-binary "@$T/latin.json"
printf '{"username": "\xc0\xaf"}' >"$T/overlong.json"
admin_refused 400 "overlong UTF-8" POST /users --data-binary "@$T/overlong.json"
printf '{"username": "\xed\xa0\x80"}' >"$T/surrogate.json"
admin_refused 400 "a UTF-8 encoded surrogate" POST /users --data-binary "@$T/surrogate.json"
printf '{"username": "\xf4\x90\x80\x80"}' >"$T/beyond.json"
admin_refused 400 "UTF-8 beyond U+10FFFF" POST /users --data-binary "@$T/beyond.json"
admin_refused 400 "a control character" POST /users -d '{"username": "a\nb"}'
admin_refused 400 "trailing data" POST /users -d '{"username": "x"} {"username": "y"}'
admin_refused 400 "deep nesting" POST /users -d "$(printf '[%.0s' $(seq 1000))"
head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"username": "/; s/$/"}/' >"$T/big.json"
admin_refused 413 "body over max_body" POST /users --data-binary "@$T/big.json"
admin_refused 404 "malformed UUID in the path" GET /users/not-a-uuid
admin_refused 404 "almost a UUID" GET "/users/${alice}0"
admin_refused 404 "unknown UUID" GET /users/00000000-0000-4000-8000-000000000000
admin_refused 404 "DELETE unknown" DELETE /users/00000000-0000-4000-8000-000000000000
admin_refused 404 "DELETE malformed" DELETE "/users/x'%20OR%201=1"
admin_refused 400 "bad escape in the query" GET '/users?username=%zz'
admin_refused 405 "PUT /users" PUT /users -d '{"username": "x"}'
like "$(header allow)" "GET, POST" "... Allow: GET, POST"
admin_refused 405 "POST /users/{id}" POST "/users/$alice" -d '{}'
before=$(db_dump_sum)
ka_curl POST /users -d '{"username": "x"}'
is "$status" 401 "no admin token: 401"
is "$(db_dump_sum)" "$before" "... nothing changed"
ka_curl POST /users -H "x-auth-token: ${KA_ADMIN_TOKEN:0:63}" -d '{"username": "x"}'
is "$status" 401 "a prefix of the admin token: 401"
ka_curl POST /users -H "x-auth-token: $KA_ADMIN_TOKEN " -d '{"username": "x"}'
is "$status" 401 "the admin token and a space: 401"
is "$(db_dump_sum)" "$before" "... nothing changed"

# A user with tokens: deleting it deletes them.
admin_curl POST /tokens -d "{\"user_id\": \"$alice\"}"
tid=$(jq -r .id <<<"$body")
admin_curl DELETE "/users/$alice"
is "$status" 200 "DELETE /users/{id}: 200"
is "$(jq -r .id <<<"$body")" "$alice" "... names the user"
admin_curl GET "/users/$alice"
is "$status" 404 "... then GET: 404"
admin_curl GET "/tokens/$tid"
is "$status" 404 "... and its token is gone"
is "$(db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$alice'")" 0 "... from the database too"
admin_curl DELETE "/users/$alice"
is "$status" 404 "DELETE again: 404"
is "$(db_sql "SELECT COUNT(*) FROM users WHERE username = 'Alice'")" 1 "Alice is still there"
grep -q "audit: admin flag deleted user $alice" "$T/ka.log"
ok $? "audit line for the deletion"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
