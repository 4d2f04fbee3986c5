#!/usr/bin/env bash
# The credential plugin with real kubectl (Debian's kubernetes-client, 1.20,
# which speaks exec v1beta1) against a stand-in API server that
# authenticates every request through the service's TokenReview webhook:
# `kubectl auth-login setup` writes the kubeconfig; kubectl asks for the
# password once and then reuses the cached token; a revoked (by the user or
# an admin) or expired token makes it ask again; a wrong password is a
# clear error and leaves no cache file; two kubectl at once make one token;
# logout revokes; the cache is 0600 in 0700; errors say what went wrong.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-kubectl.sh"

for tool in jq kubectl python3; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed (apt-get install jq kubernetes-client python3)"
done
[ -x "$KA_BUILDDIR/kubectl-auth_login" ] || bail "no $KA_BUILDDIR/kubectl-auth_login: build first"
stack_up
admin_curl POST /users -d '{"username": "alice"}'
ALICE=$(jq -r .id <<<"$body")
standin_setup demo || bail "the stand-in API server did not start"

plugin_user "$T/alice"
logins() { grep -c "audit: login as alice: token" "$T/ka.log"; }
live_tokens() { db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$ALICE' AND revoked_at IS NULL AND expiry > UTC_TIMESTAMP(6)"; }
cached() { jq -r ".$1" "$(cache_files | head -n 1)" 2>/dev/null; }
namespaces() {   # namespaces [PTY-RUN-ARGS...]: kubectl on a terminal, its stdout in $T/out.json
	rm -f "$T/out.json"
	on_tty "$T/tty.txt" "$@" -- sh -c 'exec kubectl get --raw /api/v1/namespaces >"$0"' "$T/out.json"
	who=$(jq -r '.items[0].metadata.annotations["kubernetes-auth.example.org/user"]' "$T/out.json" 2>/dev/null)
}
PASSWORD=(--answer 'Password for alice at ' alice-secret)

# --- setup -------------------------------------------------------------------
mkdir -p "$HOME/.kube"
cat >"$KUBECONFIG" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example.org
contexts:
- name: other
  context:
    cluster: other
    user: other
users:
- name: other
  user:
    token: not-ours
current-context: other
YAML
before=$(logins)
on_tty "$T/setup.txt" "${PASSWORD[@]}" -- kubectl auth-login setup --url "$KA_URL" \
	--cluster demo --user alice --certificate-authority "$KA_CACERT"
is "$rc" 0 "kubectl auth-login setup: exit 0" || diag "$tty"
is "$(grep -c 'Password for alice at' <<<"$tty")" 1 "... it asked for the password once, on the terminal"
unlike "$tty" "alice-secret" "... which did not echo it"
is "$(( $(logins) - before ))" 1 "... one login"
kc=$(kubectl config view --raw -o json)
is "$(jq -r '."current-context"' <<<"$kc")" demo "the kubeconfig's current context: demo"
is "$(jq -r '.clusters[] | select(.name == "demo") | .cluster.server' <<<"$kc")" "$STANDIN_URL" \
	"... the cluster's server from the cluster record"
is "$(jq -r '.clusters[] | select(.name == "demo") | .cluster."certificate-authority-data"' <<<"$kc")" \
	"$(base64 -w0 <"$PKI_DIR/ca.pem")" "... and its CA"
is "$(jq -r '.users[] | select(.name == "alice@demo") | .user.exec.args | join(" ")' <<<"$kc")" \
	"get-token --url $KA_URL --cluster demo --user alice --ttl 24h --certificate-authority $KA_CACERT" \
	"... a user running the plugin, with --certificate-authority added"
is "$(jq -r '.users[] | select(.name == "alice@demo") | .user.exec.apiVersion' <<<"$kc")" \
	client.authentication.k8s.io/v1beta1 "... exec v1beta1"
is "$(jq -r '[.contexts[].name] | sort | join(" ")' <<<"$kc")" "demo other" "... the other context kept"
is "$(jq -r '.users[] | select(.name == "other") | .user.token' <<<"$kc")" not-ours "... and the other user"
like "$(head -n 1 "$KUBECONFIG")" '^apiVersion: v1$' "... the file is still YAML"
is "$(stat -c %a "$HOME/.cache/kubernetes-auth")" 700 "the token cache directory is 0700"
is "$(cache_files | wc -l)" 1 "... one cache file"
is "$(stat -c %a "$(cache_files)")" 600 "... 0600"
is "$(cached cluster) $(cached user)" "demo alice" "... for cluster demo, user alice"

# --- cached token ------------------------------------------------------------------
before=$(logins)
namespaces
is "$rc" 0 "kubectl get --raw /api/v1/namespaces: exit 0" || diag "$tty"
is "$who" "alice@example.org" "... the stand-in API server saw alice (through the TokenReview webhook)"
unlike "$tty" "Password" "... no password asked: the token setup cached"
is "$(( $(logins) - before ))" 0 "... no login"
out=$(kubectl get --raw /version </dev/null 2>&1)
is "$(jq -r .user.username <<<"$out")" "alice@example.org" "kubectl get --raw /version, no terminal: alice"

# --- logout, then a login from kubectl -------------------------------------------------------
id=$(cached id)
out=$(kubectl auth-login logout --url "$KA_URL" --cluster demo --user alice \
	--certificate-authority "$KA_CACERT" 2>&1)
is "$?" 0 "kubectl auth-login logout: exit 0" || diag "$out"
is "$(db_sql "SELECT revoked_at IS NOT NULL FROM tokens WHERE id = '$id'")" 1 "... the token is revoked"
is "$(cache_files | wc -l)" 0 "... and the cache file gone"

before=$(logins)
namespaces "${PASSWORD[@]}"
is "$rc" 0 "kubectl after logout: exit 0" || diag "$tty"
is "$(grep -c 'Password for alice at' <<<"$tty")" 1 "... asked for the password once"
is "$who" "alice@example.org" "... as alice"
is "$(( $(logins) - before ))" 1 "... one login"
id=$(cached id)
namespaces
is "$rc:$(grep -c Password <<<"$tty")" "0:0" "the next kubectl: the cached token, no password"
is "$(cached id)" "$id" "... the same token"

# --- revoked by the user, by an admin; expired --------------------------------------------
ka_curl DELETE "/me/tokens/$id" -H "Authorization: Bearer $(cached token)"
is "$status" 200 "DELETE /me/tokens/{id} with the cached token"
namespaces "${PASSWORD[@]}"
is "$rc" 0 "kubectl after DELETE /me/tokens/{id}: exit 0" || diag "$tty"
is "$(grep -c 'Password for alice at' <<<"$tty")" 1 "... asked again"
like "$tty" "expired or revoked" "... saying why"
isnt_id=$(cached id)
ok "$([ "$isnt_id" != "$id" ]; echo $?)" "... a new token cached"

admin_curl DELETE "/tokens/$(cached id)"
namespaces "${PASSWORD[@]}"
is "$rc:$(grep -c 'Password for alice at' <<<"$tty")" "0:1" "after an admin revoked it: asked again"

db_sql "UPDATE tokens SET expiry = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = '$(cached id)'"
namespaces "${PASSWORD[@]}"
is "$rc:$(grep -c 'Password for alice at' <<<"$tty")" "0:1" "after it expired (the service says 401): asked again"

jq '.expiry = "2001-01-01T00:00:00Z"' "$(cache_files)" >"$T/stale.json" && cat "$T/stale.json" >"$(cache_files)"
# (The service's own access lines: nginx buffers its log.)
me_before=$(grep -c 'access: GET /me ' "$T/ka.log")
namespaces "${PASSWORD[@]}"
is "$rc:$(grep -c 'Password for alice at' <<<"$tty")" "0:1" "a cached expiry in the past: asked again"
is "$(grep -c 'access: GET /me ' "$T/ka.log")" "$me_before" \
	"... without asking the service about the old token"

# --- a wrong password ------------------------------------------------------------------------
kubectl auth-login logout >/dev/null 2>&1 --certificate-authority "$KA_CACERT"
is "$(cache_files | wc -l)" 0 "logout (every cached token): the cache is empty"
namespaces --answer 'Password for alice at ' wrong-password
ok "$([ "$rc" != 0 ]; echo $?)" "a wrong password: kubectl fails"
like "$tty" "kubectl-auth_login: login: wrong username or password" "... saying why"
is "$(cache_files | wc -l)" 0 "... and no cache file"
unlike "$tty" "wrong-password" "... the password not shown"

# --- two kubectl at once: one password prompt, one token ---------------------------------------
before=$(logins)
tokens_before=$(db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$ALICE'")
on_tty "$T/two.txt" --wait-for 'waiting for another kubectl-auth_login' "${PASSWORD[@]}" -- \
	sh -c 'kubectl get --raw /api/v1/namespaces >"$0/o1" & kubectl get --raw /api/v1/namespaces >"$0/o2" & wait' "$T"
is "$rc" 0 "two kubectl at once: both ran" || diag "$tty"
like "$tty" "waiting for another kubectl-auth_login" "... one waited for the other's lock"
is "$(grep -c 'Password for alice at' <<<"$tty")" 1 "... one password prompt"
is "$(( $(logins) - before ))" 1 "... one login"
is "$(( $(db_sql "SELECT COUNT(*) FROM tokens WHERE user_id = '$ALICE'") - tokens_before ))" 1 "... one token"
is "$(jq -r '.items[0].metadata.annotations["kubernetes-auth.example.org/user"]' "$T/o1" "$T/o2" | xargs)" \
	"alice@example.org alice@example.org" "... both authenticated as alice"

# --- for scripts: no terminal ------------------------------------------------------------------
kubectl auth-login logout >/dev/null 2>&1 --certificate-authority "$KA_CACERT"
out=$(setsid kubectl get --raw /version </dev/null 2>&1)
ok "$([ $? != 0 ]; echo $?)" "no terminal, no password given: kubectl fails"
like "$out" "no terminal to ask on.*KUBERNETES_AUTH_PASSWORD" "... saying how to give one"
out=$(KUBERNETES_AUTH_PASSWORD=alice-secret setsid kubectl get --raw /version </dev/null 2>&1)
is "$(jq -r .user.username <<<"$out" 2>/dev/null)" "alice@example.org" "\$KUBERNETES_AUTH_PASSWORD: works without a terminal"

# --- setup without --user: the name is asked, the token kept under the local user's name
admin_curl POST /users -d '{"username": "bob"}'
plugin_user "$T/bob"
on_tty "$T/bob.txt" --answer 'User name for ' bob@example.org --answer 'Password for bob@example.org at ' bob-secret -- \
	kubectl auth-login setup --url "$KA_URL" --cluster demo --certificate-authority "$KA_CACERT"
is "$rc" 0 "setup without --user: exit 0" || diag "$tty"
like "$tty" "User name for $KA_URL: bob@example.org" "... the user name asked (and shown)"
is "$(kubectl config view -o json | jq -r '.users[0].user.exec.args | join(" ")')" \
	"get-token --url $KA_URL --cluster demo --user bob --ttl 24h --certificate-authority $KA_CACERT" \
	"... the kubeconfig names the local user bob"
is "$(cache_files | wc -l):$(cached user)" "1:bob" "... one cache file, under bob"
namespaces
is "$rc:$who:$(grep -c Password <<<"$tty")" "0:bob@example.org:0" "kubectl as bob: no password asked"

# --- a cached token the service refuses (403: the user is no longer the one
# the directory names), though neither expired nor revoked ---------------------
plugin_user "$T/alice"
KUBERNETES_AUTH_PASSWORD=alice-secret setsid kubectl get --raw /version </dev/null >/dev/null 2>&1
# (Token rows keep a copy of the user's name: both change.)
db_sql "UPDATE users SET username = 'ALICE' WHERE id = '$ALICE'"
db_sql "UPDATE tokens SET username = 'ALICE' WHERE user_id = '$ALICE'"
admin_curl POST /users -d '{"username": "alice"}'
namespaces "${PASSWORD[@]}"
is "$rc:$who" "0:alice@example.org" "a cached token GET /me refuses with 403: a new login" || diag "$tty"
like "$tty" "the cached token is refused \(GET /me: HTTP 403: user not found in directory\): log in again" \
	"... saying why"

done_testing
