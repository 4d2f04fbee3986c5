#!/usr/bin/env bash
# POST /authorize and /authorize/{cluster}: every SubjectAccessReview
# fixture, byte for byte (v1 and v1beta1, resource and non-resource, with
# selectors, pre-1.34 metadata), on the global path and on two clusters'
# paths; every answer passes the API server's checks R1-R8. Global and
# cluster rules on both paths; unknown clusters, wrong methods and bodies
# that are no SubjectAccessReview.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"

stack_up - <<'YAML'
logging:
  level: 4
YAML
FIX=$KA_SRCDIR/t/data/k8s-fixtures

for c in prod staging; do
	admin_curl POST /clusters -d "{\"name\": \"$c\"}"
	is "$status" 201 "cluster $c created"
done
rules=(
	'{"name":"jane-health","users":["jane"],"verbs":["get"],"nonResourceURLs":["/healthz"],"effect":"allow"}'
	'{"name":"devs-list-pods","groups":["developers"],"verbs":["list","watch"],"apiGroups":[""],"resources":["pods"],"namespaces":["default"],"effect":"allow"}'
	'{"name":"prod-devs-scale","cluster":"prod","groups":["developers"],"verbs":["get"],"apiGroups":["apps"],"resources":["deployments/scale"],"namespaces":["default"],"effect":"allow"}'
	'{"name":"prod-no-pod-lists","cluster":"prod","users":["jane"],"verbs":["list"],"apiGroups":[""],"resources":["pods"],"effect":"deny"}'
)
for rule in "${rules[@]}"; do
	policy_post "$rule"
	is "$status" 201 "policy $(jq -r .name <<<"$rule") created"
done

# fixture, then the verdict and deciding rule on /authorize, /authorize/prod
# and /authorize/staging.
sent=0
while read -r fixture global prod staging; do
	for f in "$FIX/$fixture" "$FIX/pre-1.34/$fixture"; do
		[ -f "$f" ] || continue
		sent=$((sent + 1))
		api=$(jq -r .apiVersion "$f")
		name=${f#"$FIX/"}
		for pair in "/authorize=$global" "/authorize/prod=$prod" "/authorize/staging=$staging"; do
			path=${pair%%=*} want=${pair#*=}
			sar_post "$path" "$f"
			is "$(sar_problem "$api")" "" "$name on $path: passes R1-R8"
			got=$(sar_verdict)
			rule=$(sar_reason | sed -n 's/.*policy "\(.*\)"$/\1/p')
			[ -n "$rule" ] && got=$got:$rule
			is "$got" "$want" "... $want"
		done
	done
done <<'EOF_TABLE'
sar-v1-nonresource.json allowed:jane-health allowed:jane-health allowed:jane-health
sar-v1beta1-nonresource.json allowed:jane-health allowed:jane-health allowed:jane-health
sar-v1-resource.json no-opinion allowed:prod-devs-scale no-opinion
sar-v1beta1-resource.json no-opinion allowed:prod-devs-scale no-opinion
sar-v1-resource-selectors.json allowed:devs-list-pods denied:prod-no-pod-lists allowed:devs-list-pods
sar-v1beta1-resource-selectors.json allowed:devs-list-pods denied:prod-no-pod-lists allowed:devs-list-pods
EOF_TABLE
is "$sent:$(ls "$FIX"/sar-*.json "$FIX"/pre-1.34/sar-*.json | wc -l)" 10:10 \
	"all ten SubjectAccessReview fixtures were sent"

# The exact answers.
sar_post /authorize "$FIX/sar-v1-nonresource.json"
is "$body" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":true,"reason":"allowed by policy \"jane-health\""}}' \
	"an allow, exactly"
sar_post /authorize/prod "$FIX/sar-v1beta1-resource-selectors.json"
is "$body" '{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","status":{"allowed":false,"denied":true,"reason":"denied by policy \"prod-no-pod-lists\""}}' \
	"a deny, v1beta1, exactly"
sar_post /authorize "$FIX/sar-v1-resource.json"
is "$body" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":false,"reason":"no policy matches this request"}}' \
	"no opinion: no denied, exactly"
grep -q 'audit: authorize user jane cluster prod: denied by policy prod-no-pod-lists in [0-9]* us' "$T/ka.log"
ok $? "an audit line per decision: user, cluster, verdict, rule, time"
grep -q 'audit: authorize user jane cluster (global): no-opinion in' "$T/ka.log"
ok $? "... also for no opinion on the global path"

# Unknown clusters, other paths, other methods.
sar_post /authorize/nowhere "$FIX/sar-v1-resource.json"
is "$status:$(jq -r '.kind + ":" + .message' <<<"$body")" "404:Status:cluster not found" "unknown cluster: 404, a Status"
sar_post /authorize/PROD "$FIX/sar-v1-resource.json"
is "$status" 404 "cluster names are case-sensitive"
admin_curl POST /clusters -d '{"name": "dc-7"}'
sar_post "/authorize/dc%2D7" "$FIX/sar-v1-nonresource.json"
is "$status:$(sar_verdict)" "200:allowed" "a percent-encoded cluster name is decoded"
sar_post "/authorize/dc-7%2F..%2Fprod" "$FIX/sar-v1-nonresource.json"
is "$status:$(jq -r .kind <<<"$body")" "400:Status" "a cluster segment that decodes to hold / : 400"
admin_curl POST /clusters -d '{"name": "fresh"}'
sar_post /authorize/fresh "$FIX/sar-v1-nonresource.json"
is "$status:$(sar_verdict)" "200:allowed" "a cluster made a moment ago is known at once"
sar_post /authorize/ "$FIX/sar-v1-nonresource.json"
is "$status:$(sar_verdict)" "200:allowed" "a trailing slash is the global path"
ka_curl GET /authorize
is "$status:$(header allow)" "405:POST" "GET /authorize: 405, Allow: POST"
ka_curl GET /authorize/prod
is "$status" 405 "GET /authorize/{cluster}: 405"

# Bodies that are no SubjectAccessReview: 400 JSON.
bad_sar() {   # bad_sar DESCRIPTION BODY
	printf '%s' "$2" >"$T/bad.json"
	sar_post /authorize "$T/bad.json"
	is "$status" 400 "$1: 400"
	is "$(jq -r '.kind + " " + .reason' <<<"$body" 2>/dev/null)" "Status BadRequest" "... a Status"
	like "$(jq -r .message <<<"$body" 2>/dev/null)" '^[a-z].{5,}' "... with a message"
}
bad_sar "empty body" ''
bad_sar "not JSON" 'hello'
bad_sar "an array" '[]'
bad_sar "a TokenReview" "$(cat "$FIX/tokenreview-v1.json")"
bad_sar "another apiVersion" '{"apiVersion":"authorization.k8s.io/v2","kind":"SubjectAccessReview","spec":{"user":"a","nonResourceAttributes":{"path":"/","verb":"get"}}}'
bad_sar "no spec" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"}'
bad_sar "neither attributes" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a"}}'
bad_sar "both attributes" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","nonResourceAttributes":{"path":"/","verb":"get"},"resourceAttributes":{"verb":"get","resource":"pods"}}}'
bad_sar "no user nor groups" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/","verb":"get"}}}'
bad_sar "v1 with v1beta1's group" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","group":["x"],"nonResourceAttributes":{"path":"/","verb":"get"}}}'
bad_sar "groups not a list" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","groups":"x","nonResourceAttributes":{"path":"/","verb":"get"}}}'

# A body without apiVersion (curl by hand) is read and answered as v1beta1.
printf '%s' '{"spec":{"user":"jane","group":["x"],"nonResourceAttributes":{"path":"/healthz","verb":"get"}}}' >"$T/plain.json"
sar_post /authorize "$T/plain.json"
is "$(sar_problem authorization.k8s.io/v1beta1):$(sar_verdict)" ":allowed" \
	"no apiVersion: answered as v1beta1, allowed"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
