#!/usr/bin/env bash
# The admin API for rules: create, list, get (by id or by name), replace,
# delete; the generation counter moves with every change; names unique;
# clusters must exist and cannot be deleted while a rule names them; every
# kind of bad rule refused with 400 and nothing stored.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

stack_up - <<'YAML'
logging:
  level: 4
YAML

generation() { db_sql "SELECT generation FROM generations WHERE name = 'policies'"; }
bad_rule() {   # bad_rule DESCRIPTION JSON [ERROR-REGEX]
	admin_refused 400 "$1" POST /policies --data-binary "$2"
	[ -z "${3:-}" ] || like "$(jq -r .error <<<"$body")" "$3" "... says why"
}

admin_curl GET /policies
is "$status:$body" "200:[]" "GET /policies on an empty store: []"
admin_curl POST /clusters -d '{"name": "prod"}'
prod=$(jq -r .id <<<"$body")

g0=$(generation)
rule='{"name":"devs-read","cluster":"prod","groups":["developers"],"verbs":["get","list"],"apiGroups":[""],"resources":["pods","pods/log"],"namespaces":["team-a"],"effect":"allow","description":"read team-a"}'
policy_post "$rule"
is "$status" 201 "POST /policies: 201"
id1=$policy_id
like "$id1" '^[1-9][0-9]*$' "... with a numeric id"
is "$(jq -c 'del(.id)' <<<"$body")" "$(jq -c . <<<"$rule")" "... the rule as given"
is "$(generation)" $((g0 + 1)) "... the generation moved"
grep -q "audit: admin flag created policy $id1 (name devs-read, allow)" "$T/ka.log"
ok $? "... an audit line"
is "$(db_sql "SELECT c.name FROM policies p JOIN clusters c ON c.id = p.cluster_id WHERE p.id = $id1")" prod \
	"... stored with its cluster"
policy_post '{"name":"no-secrets","groups":["*"],"verbs":["*"],"apiGroups":[""],"resources":["secrets"],"namespaces":["kube-system"],"effect":"deny"}'
id2=$policy_id
is "$status" 201 "a global deny rule: 201"

admin_curl GET "/policies/$id1"
is "$status:$(jq -c . <<<"$body")" "200:$(jq -c --argjson id "$id1" '{id: $id} + .' <<<"$rule")" \
	"GET /policies/{id}: the rule, id first"
admin_curl GET /policies/devs-read
is "$(jq -r .id <<<"$body")" "$id1" "GET /policies/{name}: the same rule"
admin_curl GET /policies
is "$(jq -r '[.[].id] | join(",")' <<<"$body")" "$id1,$id2" "GET /policies: both, by id"

# PUT: a GET answer can be PUT back; changes apply.
admin_curl GET "/policies/$id1"
changed=$(jq -c '.verbs = ["get"] | del(.description)' <<<"$body")
g1=$(generation)
admin_curl PUT "/policies/$id1" --data-binary "$changed"
is "$status" 200 "PUT a changed GET answer back: 200"
is "$(jq -c . <<<"$body")" "$changed" "... the new rule"
is "$(generation)" $((g1 + 1)) "... the generation moved"
admin_curl PUT /policies/devs-read --data-binary "$(jq -c '.name = "devs-read-2" | del(.id)' <<<"$changed")"
is "$status:$(jq -r .id <<<"$body")" "200:$id1" "PUT by name; renaming is fine"
admin_curl GET /policies/devs-read
is "$status" 404 "... the old name is gone"
admin_curl PUT "/policies/$id1" --data-binary "$(jq -c '.cluster = null | .name = "devs-read-2"' <<<"$changed")"
is "$status:$(db_sql "SELECT cluster_id IS NULL FROM policies WHERE id = $id1")" "200:1" "PUT can make a rule global"

# Conflicts and things that are not there: nothing changes.
admin_refused 409 "POST a name in use" POST /policies --data-binary "$(jq -c '.name = "no-secrets" | del(.id)' <<<"$changed")"
is "$(jq -r .error <<<"$body")" "a policy with this name exists" "... says why"
admin_refused 409 "PUT a name in use" PUT "/policies/$id1" --data-binary "$(jq -c '.name = "no-secrets" | del(.id)' <<<"$changed")"
admin_refused 400 "POST for an unknown cluster" POST /policies --data-binary "$(jq -c '.name = "x" | .cluster = "nowhere" | del(.id)' <<<"$changed")"
is "$(jq -r .error <<<"$body")" 'cluster: no cluster is named "nowhere"' "... says why"
admin_refused 400 "PUT for an unknown cluster" PUT "/policies/$id1" --data-binary "$(jq -c '.cluster = "nowhere"' <<<"$changed")"
admin_refused 400 "PUT with another rule's id" PUT "/policies/$id1" --data-binary "$(jq -c ".id = $id2" <<<"$changed")"
admin_refused 400 "POST with an id" POST /policies --data-binary "$(jq -c '.name = "y" | .id = 99' <<<"$changed")"
admin_refused 404 "PUT an unknown id" PUT /policies/99999 --data-binary "$(jq -c 'del(.id) | .name = "z"' <<<"$changed")"
admin_refused 404 "PUT an unknown name" PUT /policies/nothing-here --data-binary "$(jq -c 'del(.id) | .name = "z"' <<<"$changed")"
admin_refused 404 "GET an unknown id" GET /policies/99999
admin_refused 404 "GET id 0" GET /policies/0
admin_refused 404 "GET a huge id" GET /policies/99999999999999999999999
admin_refused 404 "DELETE an unknown id" DELETE /policies/99999
admin_refused 405 "PATCH /policies/{id}" PATCH "/policies/$id1" -d '{}'
admin_refused 405 "PUT /policies" PUT /policies -d '{}'
before=$(db_dump_sum)
ka_curl POST /policies --data-binary "$(jq -c 'del(.id) | .name = "n"' <<<"$changed")"
is "$status" 401 "no admin token: 401"
ka_curl GET /policies
is "$status" 401 "GET without the admin token: 401"
is "$(db_dump_sum)" "$before" "... nothing changed"

# A cluster named by a rule cannot go; once the rule has, it can.
policy_post '{"name":"prod-only","cluster":"prod","users":["bob"],"verbs":["get"],"nonResourceURLs":["/metrics"],"effect":"allow"}'
id3=$policy_id
admin_refused 409 "DELETE a cluster a rule names" DELETE "/clusters/$prod"
is "$(jq -r .error <<<"$body")" "1 policies name this cluster: delete them first" "... says why"
admin_curl DELETE "/policies/$id3"
is "$status:$(jq -c . <<<"$body")" "200:{\"id\":$id3}" "DELETE /policies/{id}: 200 {id}"
grep -q "audit: admin flag deleted policy $id3" "$T/ka.log"
ok $? "... an audit line"
admin_curl GET "/policies/$id3"
is "$status" 404 "... then GET: 404"
g2=$(generation)
admin_curl DELETE "/clusters/$prod"
is "$status" 200 "then the cluster can be deleted"
is "$(generation)" $((g2 + 1)) "... which moves the generation (caches hold cluster names)"

# Bad rules: 400, nothing stored.
base='{"name":"r","users":["u"],"verbs":["get"],"apiGroups":[""],"resources":["pods"],"effect":"allow"}'
mod() { jq -c "$1" <<<"$base"; }
bad_rule "malformed JSON" '{"name":'
bad_rule "empty body" ''
bad_rule "an array" "[$base]"
bad_rule "null" 'null'
bad_rule "unknown field" "$(mod '.colour = "red"')" 'unknown field "colour"'
bad_rule "a field given twice" '{"name":"r","name":"s","users":["u"],"verbs":["get"],"nonResourceURLs":["/x"],"effect":"allow"}' 'twice'
bad_rule "no name" "$(mod 'del(.name)')" 'name'
bad_rule "a bad name" "$(mod '.name = "-x"')" 'name'
bad_rule "a name with a space" "$(mod '.name = "a b"')" 'name'
bad_rule "no subject" "$(mod 'del(.users)')" 'subject'
bad_rule "no verbs" "$(mod 'del(.verbs)')" 'verbs'
bad_rule "verbs []" "$(mod '.verbs = []')" 'verbs'
bad_rule "users []" "$(mod '.users = []')" 'users'
bad_rule "verbs a string" "$(mod '.verbs = "get"')" 'verbs'
bad_rule "a verb a number" "$(mod '.verbs = ["get", 5]')" 'verbs\[1\]'
bad_rule "no effect" "$(mod 'del(.effect)')" 'effect'
bad_rule "effect maybe" "$(mod '.effect = "maybe"')" 'effect'
bad_rule "no apiGroups" "$(mod 'del(.apiGroups)')" 'apiGroups'
bad_rule "no resources" "$(mod 'del(.resources)')" 'resources'
bad_rule "resource and non-resource fields" "$(mod '.nonResourceURLs = ["/x"]')" 'nonResourceURLs'
bad_rule "a pattern in a group" "$(mod '.users = ["system:*"]')" 'wildcard'
bad_rule "pods/*" "$(mod '.resources = ["pods/*"]')" 'resources'
bad_rule "a URL without /" "$(mod 'del(.apiGroups, .resources) | .nonResourceURLs = ["healthz"]')" 'nonResourceURLs'
bad_rule "an empty user" "$(mod '.users = [""]')" 'users'
bad_rule "a control character" "$(mod '.users = ["a\nb"]')" 'control'
bad_rule "cluster empty" "$(mod '.cluster = ""')" 'cluster'
bad_rule "cluster a list" "$(mod '.cluster = ["prod"]')" 'cluster'
bad_rule "id a string" "$(mod '.id = "1"')" 'id'
bad_rule "a 254-byte name" "$(mod ".name = \"$(printf 'n%.0s' $(seq 254))\"")" 'name'
bad_rule "a 1025-entry list" "$(mod '.users = [range(1025) | "u\(.)"]')" '1024'

admin_curl GET /policies
is "$(jq -r '[.[].name] | join(",")' <<<"$body")" "devs-read-2,no-secrets" "the store holds just the two good rules"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
