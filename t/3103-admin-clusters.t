#!/usr/bin/env bash
# Clusters: create, list, ?name=, get, delete (409 while a live token names
# it), the webhook kubeconfig; bad input refused with nothing changed.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

stack_up

KC=$'apiVersion: v1\nclusters:\n- cluster:\n server: https://master.kubernetes-cluster.local:6443'
admin_curl POST /clusters --data-binary "$(jq -cn --arg kc "$KC" \
	'{name: "namedcluster", master: "", node: "", kubeconfig: $kc, extra: "ignored"}')"
is "$status" 201 "POST /clusters: 201"
c1=$(jq -r .id <<<"$body")
is "$(jq -r 'keys | join(",")' <<<"$body")" "created,id,kubeconfig,master,name,node" \
	"... the original's fields (no client_cn when none)"
is "$(jq -r .kubeconfig <<<"$body")" "$KC" "... kubeconfig kept byte for byte"
like "$(jq -r .created <<<"$body")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' "... created in UTC"

admin_curl POST /clusters -d '{"name": "prod", "master": "https://10.0.0.1:6443", "node": "10.0.0.2", "client_cn": "kube-apiserver-prod"}'
is "$status" 201 "POST /clusters with client_cn: 201"
c2=$(jq -r .id <<<"$body")
is "$(jq -r .client_cn <<<"$body")" "kube-apiserver-prod" "... client_cn shown"
# New names are DNS-1123 labels; clusters made before that rule, or
# imported, keep theirs (made here in SQL, as import would).
for name in 'a_b%c d/e' '..' '.' 'Prod' '-x' 'x-' "$(printf 'a%.0s' $(seq 64))"; do
	admin_curl POST /clusters -d "{\"name\": \"$name\"}"
	is "$status" 400 "POST /clusters named '$name': 400"
done
like "$(jq -r .error <<<"$body")" "DNS-1123 label" "... saying what a name may be"
c3=00000000-0000-4000-8000-0000000000c3
db_sql "INSERT INTO clusters (id, name, master, node, kubeconfig, client_cn, created) VALUES ('$c3', 'a_b%c d', '', '', '', NULL, NOW(6))"
db_sql "INSERT INTO clusters (id, name, master, node, kubeconfig, client_cn, created) VALUES ('00000000-0000-4000-8000-0000000000c4', 'x/y', '', '', '', NULL, NOW(6))"
checked=$(ka_check_config --connect 2>&1)
like "$checked" "cluster $c3 \"a_b%c d\": not a DNS-1123 label .* goes on working" \
	"check-config --connect reports an older odd name"
like "$checked" "\"x/y\": its name cannot be a URL path segment" "... and one no URL can reach"
unlike "$checked" "\"prod\"" "... and not the good ones"
db_sql "DELETE FROM clusters WHERE name = 'x/y'"

admin_curl GET /clusters
is "$(jq -r length <<<"$body")" 3 "GET /clusters lists 3"
admin_curl GET /clusters?name=namedcluster
is "$(jq -r '.[0].id' <<<"$body"):$(jq -r length <<<"$body")" "$c1:1" "?name= filters"
admin_curl GET /clusters -G --data-urlencode 'name=a_b%c d'
is "$(jq -r '.[0].id' <<<"$body")" "$c3" "?name= with special characters (an older cluster's name)"
admin_curl GET /clusters -G --data-urlencode 'name=a%'
is "$body" "[]" "?name=a% : no wildcard"
admin_curl GET /clusters?name=PROD
is "$body" "[]" "?name=PROD : case matters"
admin_curl GET "/clusters/$c2"
is "$(jq -r .name <<<"$body")" "prod" "GET /clusters/{id}"

admin_refused 409 "duplicate name" POST /clusters -d '{"name": "prod"}'
admin_refused 400 "no name" POST /clusters -d '{"master": "x"}'
admin_refused 400 "empty name" POST /clusters -d '{"name": ""}'
admin_refused 400 "name a number" POST /clusters -d '{"name": 7}'
admin_refused 400 "name over 255 bytes" POST /clusters -d "{\"name\": \"$(printf 'n%.0s' $(seq 256))\"}"
admin_refused 400 "master a list" POST /clusters -d '{"name": "x", "master": ["a"]}'
admin_refused 400 "kubeconfig an object" POST /clusters -d '{"name": "x", "kubeconfig": {}}'
admin_refused 400 "client_cn empty" POST /clusters -d '{"name": "x", "client_cn": ""}'
admin_refused 400 "client_cn a number" POST /clusters -d '{"name": "x", "client_cn": 1}'
admin_refused 400 "not an object" POST /clusters -d '["x"]'
admin_refused 400 "malformed JSON" POST /clusters -d '{"name": "x",}'
admin_refused 404 "GET malformed id" GET /clusters/prod
admin_refused 404 "DELETE malformed id" DELETE /clusters/prod
admin_refused 404 "kubeconfig of an unknown cluster" GET /clusters/00000000-0000-4000-8000-000000000000/webhook-kubeconfig

# The webhook kubeconfig.
admin_curl GET "/clusters/$c2/webhook-kubeconfig"
is "$status" 200 "GET /clusters/{id}/webhook-kubeconfig: 200"
is "$(jq -r '.clusters[0].cluster.server' <<<"$body")" "https://localhost:$KA_NGINX_PORT/authenticate/token/prod" \
	"... server: public_url + /authenticate/token/NAME"
is "$(jq -r '.["current-context"]' <<<"$body")" webhook "... a current context"
like "$(jq -r '.users[0].user["client-certificate"]' <<<"$body")" '\.crt$' "... a client certificate slot (client_cn set)"
like "$(jq -r '.clusters[0].cluster["certificate-authority"]' <<<"$body")" '\.crt$' "... a CA slot"
admin_curl GET "/clusters/$c2/webhook-kubeconfig?for=authorization"
is "$(jq -r '.clusters[0].cluster.server' <<<"$body")" "https://localhost:$KA_NGINX_PORT/authorize/prod" \
	"?for=authorization: /authorize/NAME"
admin_curl GET "/clusters/$c1/webhook-kubeconfig"
is "$(jq -c '.users[0].user' <<<"$body")" "{}" "no client_cn: no client certificate"
admin_curl GET "/clusters/$c3/webhook-kubeconfig"
is "$(jq -r '.clusters[0].cluster.server' <<<"$body")" "https://localhost:$KA_NGINX_PORT/authenticate/token/a_b%25c%20d" \
	"an older name with specials is percent-encoded"
admin_refused 400 "?for=bogus" GET "/clusters/$c1/webhook-kubeconfig?for=bogus"
# The name where the id goes: the file right after the cluster is made.
admin_curl GET "/clusters/$c2/webhook-kubeconfig?for=authorization"
by_id=$body
admin_curl GET "/clusters/prod/webhook-kubeconfig?for=authorization"
is "$status" 200 "GET /clusters/NAME/webhook-kubeconfig: 200"
is "$body" "$by_id" "... the same file as by id"
admin_curl GET "/clusters/a_b%25c%20d/webhook-kubeconfig"
is "$(jq -r '.clusters[0].cluster.server' <<<"$body")" "https://localhost:$KA_NGINX_PORT/authenticate/token/a_b%25c%20d" \
	"... a percent-encoded name too"
admin_refused 404 "kubeconfig of an unknown name" GET /clusters/no-such-cluster/webhook-kubeconfig

# Deleting a cluster.
admin_curl POST /users -d '{"username": "alice"}'
alice=$(jq -r .id <<<"$body")
admin_curl POST /tokens -d "{\"user_id\": \"$alice\", \"clusters\": [\"prod\"]}"
tid=$(jq -r .id <<<"$body")
admin_refused 409 "DELETE a cluster a live token names" DELETE "/clusters/$c2"
like "$(jq -r .error <<<"$body")" "token" "... says tokens name it"
admin_curl DELETE "/tokens/$tid"
admin_curl DELETE "/clusters/$c2"
is "$status" 200 "after revoking the token: DELETE 200"
admin_curl GET "/clusters/$c2"
is "$status" 404 "... then GET: 404"
is "$(db_sql "SELECT COUNT(*) FROM token_clusters")" 0 "... the revoked token's link went with it"
admin_curl DELETE "/clusters/$c2"
is "$status" 404 "DELETE again: 404"
grep -q "audit: admin flag deleted cluster $c2" "$T/ka.log"
ok $? "audit line for the deletion"

# public_url unset: the kubeconfig cannot be made.
ka_stop
ka_config - <<'YAML'
public_url: ""
YAML
ka_start || bail "no restart"
admin_curl GET "/clusters/$c1/webhook-kubeconfig"
is "$status" 409 "no public_url: 409"
like "$(jq -r .error <<<"$body")" "public_url" "... names public_url"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
