#!/usr/bin/env bash
# The decision table through HTTP: the rules of t/data/authz/rules.jsonl
# stored through the admin API, every row of t/data/authz/decisions.txt
# sent as a SubjectAccessReview in its apiVersion and in the other one
# (v1 "groups" vs v1beta1 "group"): user vs group subjects, verbs, the core
# group, subresources, "*" in each field, namespaced vs cluster-scoped vs
# all-namespaces lists, resourceNames, nonResourceURLs exact and prefix,
# deny over allow, conservative denies, global vs cluster rules on both
# paths, protected system: users; then the rows for authorization.default:
# deny after a reload that sets it.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

stack_up - <<'YAML'
logging:
  level: 4
YAML
DATA=$KA_SRCDIR/t/data/authz

for c in prod dev staging; do
	admin_curl POST /clusters -d "{\"name\": \"$c\"}"
done
n=0 stored=0
while read -r rule; do
	n=$((n + 1))
	policy_post "$rule"
	[ "$status" = 201 ] && stored=$((stored + 1)) || diag "$status $body"
done <"$DATA/rules.jsonl"
is "$stored" "$n" "all $n rules stored through the API"

other_version() { [ "$1" = v1 ] && echo v1beta1 || echo v1; }

# run_rows DEFAULT: send the rows for that authorization.default.
run_rows() {
	local dflt=$1 rows=0 what cluster rdflt api user groups attrs want path v got rule
	while IFS='|' read -r what cluster rdflt api user groups attrs want; do
		what=$(echo $what) cluster=$(echo $cluster) rdflt=$(echo $rdflt)
		api=$(echo $api) user=$(echo $user) want=$(echo $want)
		[ "$rdflt" = "$dflt" ] || continue
		rows=$((rows + 1))
		path=/authorize
		[ "$cluster" = - ] || path=/authorize/$cluster
		[ "$user" = - ] && user=
		for v in "$api" "$(other_version "$api")"; do
			# shellcheck disable=SC2086
			sar_body "authorization.k8s.io/$v" "$user" "$groups" $attrs >"$T/sar.json"
			sar_post "$path" "$T/sar.json"
			got=$(sar_verdict)
			rule=$(sar_reason | sed -n 's/.*policy "\(.*\)"$/\1/p')
			[ -n "$rule" ] && got=$got:$rule
			problem=$(sar_problem "authorization.k8s.io/$v")
			is "$got${problem:+ ($problem)}" "$want" "$what ($v, $path): $want"
		done
	done < <(grep -v '^#' "$DATA/decisions.txt")
	ROWS=$rows
}

run_rows no-opinion
ok "$([ "$ROWS" -ge 40 ]; echo $?)" "$ROWS rows with authorization.default: no-opinion"

# authorization.default: deny, through a reload.
cat >>"$T/config.yaml" <<'YAML'
authorization:
  default: deny
YAML
kill -HUP "$KA_PID"
eventually 100 grep -q "reload complete" "$T/ka.log"
ok $? "reloaded with authorization.default: deny"
run_rows deny
ok "$([ "$ROWS" -ge 4 ]; echo $?)" "$ROWS rows with authorization.default: deny"
sar_body authorization.k8s.io/v1 nobody '["system:authenticated"]' url get /nothing >"$T/sar.json"
sar_post /authorize "$T/sar.json"
is "$body" '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":false,"denied":true,"reason":"denied by default: no policy allows this request"}}' \
	"default deny: the answer, exactly"
sar_body authorization.k8s.io/v1 system:kube-scheduler '["system:authenticated"]' url get /nothing >"$T/sar.json"
sar_post /authorize/prod "$T/sar.json"
is "$(sar_verdict)" no-opinion "default deny never applies to a system: user, on a cluster path either"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
