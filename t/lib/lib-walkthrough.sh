# lib-walkthrough.sh — the README's walk-through: the main job, done once.
# Used by contrib/quickstart.sh and the HA lab (contrib/ha-lab.sh).
#
#   walkthrough URL CACERT ADMIN-TOKEN NAME
#       registers alice@example.org, issues a token ("NAME demo") and sends a
#       TokenReview for it; adds the rule NAME-admins (members of admins may
#       do anything) and sends a SubjectAccessReview. Prints both answers,
#       one a line. Safe to repeat: the user and the rule are made once, a
#       token each run. Non-zero unless alice is authenticated and allowed.

[ -n "${_KA_LIB_WALKTHROUGH:-}" ] && return 0
_KA_LIB_WALKTHROUGH=1

walkthrough() {   # walkthrough URL CACERT ADMIN-TOKEN NAME
	local url=$1 ca=$2 admin=$3 name=$4 user_id token tokenreview sar
	_walkthrough_api() {   # METHOD PATH [JSON]
		curl -sS --cacert "$ca" --max-time 20 -X "$1" \
			-H "x-auth-token: $admin" ${3:+-d "$3"} "$url$2"
	}
	user_id=$(_walkthrough_api GET "/users?username=alice@example.org" | jq -r '.[0].id // empty')
	[ -n "$user_id" ] || user_id=$(_walkthrough_api POST /users '{"username": "alice@example.org"}' | jq -r .id)
	token=$(_walkthrough_api POST /tokens "{\"user_id\": \"$user_id\", \"description\": \"$name demo\"}" | jq -r .token)
	tokenreview=$(_walkthrough_api POST /authenticate/token "{\"spec\": {\"token\": \"$token\"}}")
	_walkthrough_api GET /policies | jq -e --arg n "$name-admins" '.[] | select(.name == $n)' >/dev/null 2>&1 ||
		_walkthrough_api POST /policies "{\"name\": \"$name-admins\", \"groups\": [\"admins\"], \"verbs\": [\"*\"],
			\"apiGroups\": [\"*\"], \"resources\": [\"*\"], \"effect\": \"allow\",
			\"description\": \"$name demo: members of admins may do anything\"}" >/dev/null
	sar=$(_walkthrough_api POST /authorize '{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": {"user": "alice@example.org", "groups": ["admins", "developers"],
		"resourceAttributes": {"namespace": "default", "verb": "delete", "resource": "pods"}}}')
	printf '%s\n%s\n' "$tokenreview" "$sar"
	[[ "$tokenreview" == *'"authenticated":true'* ]] && [[ "$sar" == *'"allowed":true'* ]]
}
