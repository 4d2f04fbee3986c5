# lib-authn.sh — TokenReviews for the tests, sent as a kube-apiserver sends
# them. Source after lib-nginx.sh (it uses ka_curl).
#
#   review TOKEN [PATH [CURL-ARGS...]]
#                      POST the fixture $REVIEW_FIXTURE (default
#                      tokenreview-v1.json, from t/data/k8s-fixtures/) to
#                      PATH (default /authenticate/token), TOKEN in place of
#                      TOKEN_PLACEHOLDER, with the API server's headers and
#                      ?timeout=30s; sets $status, $body, $headers and $took
#                      (seconds)
#   review_answer      the last answer in short: "authenticated as USERNAME",
#                      the status.error of a 200 that is not ("token not
#                      found"), or "STATUS MESSAGE" of a refusal, which is a
#                      Kubernetes Status ("404 cluster not found")

[ -n "${_KA_LIB_AUTHN:-}" ] && return 0
_KA_LIB_AUTHN=1

review() {   # review TOKEN [PATH [CURL-ARGS...]]
	local token=$1 path=${2:-/authenticate/token} started=$EPOCHREALTIME
	shift
	[ $# -gt 0 ] && shift
	sed "s/TOKEN_PLACEHOLDER/$token/" \
		"$KA_SRCDIR/t/data/k8s-fixtures/${REVIEW_FIXTURE:-tokenreview-v1.json}" >"$T/review.json" ||
		return 1
	ka_curl POST "$path?timeout=30s" -H 'User-Agent: Go-http-client/1.1' \
		-H 'Accept: application/json, */*' -H 'Content-Type: application/json' \
		-H 'Accept-Encoding: gzip' --data-binary @"$T/review.json" "$@"
	took=$(elapsed "$started")
}

review_answer() {
	if [ "$status" != 200 ]; then
		echo "$status $(jq -r 'if .kind == "Status" then .message else .error end // ""' <<<"$body" 2>/dev/null)"
	elif [ "$(jq -r .status.authenticated <<<"$body" 2>/dev/null)" = true ]; then
		echo "authenticated as $(jq -r .status.user.username <<<"$body")"
	else
		jq -r '.status.error // "no status.error"' <<<"$body" 2>/dev/null
	fi
}
