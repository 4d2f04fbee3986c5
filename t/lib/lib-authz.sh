# lib-authz.sh — SubjectAccessReviews and policies for the t/2NNN tests.
#
# Source after lib-nginx.sh (it uses ka_curl / admin_curl).
#
#   sar_post PATH FILE [CURL-ARGS...]
#                          POST FILE's bytes to PATH as a kube-apiserver does
#                          (Content-Type, Accept, User-Agent, ?timeout=30s);
#                          sets $status, $body, $headers
#   sar_body APIVERSION USER GROUPS ATTRS
#                          print a SubjectAccessReview: GROUPS is a JSON
#                          array ('["a","b"]' or '[]'), ATTRS either
#                          "res NS VERB GROUP RESOURCE SUBRESOURCE NAME" (use
#                          - for an empty field) or "url VERB PATH"
#   sar_problem APIVERSION print what is wrong with the last answer by the
#                          API server's checks R1-R8 (k8s-fixtures/README.md),
#                          nothing when it passes
#   sar_verdict            "allowed", "denied" or "no-opinion" of the answer
#   sar_reason             its status.reason
#   policy_post JSON       POST /policies; sets $status, $body, $policy_id

[ -n "${_KA_LIB_AUTHZ:-}" ] && return 0
_KA_LIB_AUTHZ=1

sar_post() {   # sar_post PATH FILE [CURL-ARGS...]
	local path=$1 file=$2
	shift 2
	ka_curl POST "$path?timeout=30s" --data-binary "@$file" \
		-H 'Content-Type: application/json' \
		-H 'Accept: application/json, */*' \
		-H 'User-Agent: Go-http-client/1.1' "$@"
}

sar_body() {   # sar_body APIVERSION USER GROUPS ATTRS...
	local api=$1 user=$2 groups=$3 kind=$4 key=groups
	shift 4
	[ "$api" = authorization.k8s.io/v1beta1 ] && key=group
	local d=() v
	for v in "$@"; do
		[ "$v" = - ] && v=
		d+=("$v")
	done
	if [ "$kind" = url ]; then
		jq -cn --arg api "$api" --arg user "$user" --argjson groups "$groups" \
			--arg key "$key" --arg verb "${d[0]}" --arg path "${d[1]}" '
			{kind: "SubjectAccessReview", apiVersion: $api, metadata: {},
			 spec: ({nonResourceAttributes: {path: $path, verb: $verb}}
			   + (if $user == "" then {} else {user: $user} end)
			   + (if ($groups | length) == 0 then {} else {($key): $groups} end))}'
	else
		jq -cn --arg api "$api" --arg user "$user" --argjson groups "$groups" \
			--arg key "$key" --arg ns "${d[0]}" --arg verb "${d[1]}" \
			--arg group "${d[2]}" --arg resource "${d[3]}" --arg sub "${d[4]}" \
			--arg name "${d[5]}" '
			def nonempty: with_entries(select(.value != ""));
			{kind: "SubjectAccessReview", apiVersion: $api, metadata: {},
			 spec: ({resourceAttributes: ({namespace: $ns, verb: $verb,
			     group: $group, version: "v1", resource: $resource,
			     subresource: $sub, name: $name} | nonempty)}
			   + (if $user == "" then {} else {user: $user} end)
			   + (if ($groups | length) == 0 then {} else {($key): $groups} end))}'
	fi
}

sar_problem() {   # sar_problem APIVERSION
	local api=$1 ct
	[ "$status" = 200 ] || { echo "R1: HTTP $status"; return; }
	[ -n "$body" ] || { echo "R2: empty body"; return; }
	ct=$(header content-type)
	[[ "$ct" == application/json* ]] || { echo "R3: Content-Type '$ct'"; return; }
	jq -se 'length == 1 and (.[0] | type == "object")' <<<"$body" >/dev/null 2>&1 ||
		{ echo "R4: not exactly one JSON object: $body"; return; }
	jq -e --arg api "$api" '.apiVersion == $api and .kind == "SubjectAccessReview"' \
		<<<"$body" >/dev/null || { echo "R5: apiVersion/kind: $body"; return; }
	jq -e '(.status | type == "object")
		and (.status.allowed | type == "boolean")
		and ((.status.denied | type) as $t | $t == "boolean" or $t == "null")
		and ((.status.reason | type) as $t | $t == "string" or $t == "null")
		and ((.status.evaluationError | type) as $t | $t == "string" or $t == "null")' \
		<<<"$body" >/dev/null || { echo "R7: types: $body"; return; }
	jq -e '(.status.allowed and .status.denied) | not' <<<"$body" >/dev/null ||
		{ echo "both allowed and denied: $body"; return; }
	jq -e '.status.denied != false' <<<"$body" >/dev/null ||
		{ echo "denied present but false: $body"; return; }
}

sar_verdict() {
	jq -r 'if .status.allowed then "allowed" elif .status.denied then "denied"
		else "no-opinion" end' <<<"$body" 2>/dev/null
}

sar_reason() { jq -r '.status.reason // ""' <<<"$body" 2>/dev/null; }

policy_post() {   # policy_post JSON
	admin_curl POST /policies --data-binary "$1"
	policy_id=$(jq -r '.id // empty' <<<"$body" 2>/dev/null)
}
