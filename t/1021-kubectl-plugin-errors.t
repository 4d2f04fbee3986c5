#!/usr/bin/env bash
# The credential plugin on its own (no kubectl in front): the ExecCredential
# of the apiVersion asked for, passwords for scripts, and a clear message
# for each thing that goes wrong — a refused TLS certificate, plain http,
# too many attempts (429 with Retry-After), the service down (503), a
# cluster without a server, an unknown cluster, bad usage.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-kubectl.sh"

for tool in jq python3; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed"
done
[ -x "$KA_BUILDDIR/kubectl-auth_login" ] || bail "no $KA_BUILDDIR/kubectl-auth_login: build first"
stack_up
admin_curl POST /users -d '{"username": "alice"}'
admin_curl POST /clusters -d '{"name": "prod", "server": "https://prod.example.org:6443"}'
admin_curl POST /clusters -d '{"name": "bare"}'
plugin_user "$T/alice"

plugin() { out=$(kubectl-auth_login "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err"); }
get_token() { plugin get-token --url "$KA_URL" --cluster prod --user alice \
	--certificate-authority "$KA_CACERT" "$@"; }
logins() { grep -c "audit: login as alice: token" "$T/ka.log"; }

# --- the ExecCredential -------------------------------------------------------------
export KUBERNETES_AUTH_PASSWORD=alice-secret
get_token </dev/null
is "$rc" 0 "get-token with \$KUBERNETES_AUTH_PASSWORD, no KUBERNETES_EXEC_INFO: exit 0" || diag "$err"
is "$(jq -r '[.apiVersion, .kind] | join(" ")' <<<"$out")" \
	"client.authentication.k8s.io/v1beta1 ExecCredential" "... a v1beta1 ExecCredential"
token=$(jq -r .status.token <<<"$out")
id=$(db_sql "SELECT id FROM tokens ORDER BY created_at DESC LIMIT 1")
is "$(jq -r .status.expirationTimestamp <<<"$out")" \
	"$(db_sql "SELECT DATE_FORMAT(expiry, '%Y-%m-%dT%H:%i:%sZ') FROM tokens WHERE id = '$id'")" \
	"... expirationTimestamp: the token's expiry, to the second"
is "$(jq -c '.status | keys' <<<"$out")" '["expirationTimestamp","token"]' "... status: token and expirationTimestamp"
is "$(db_sql "SELECT description FROM tokens WHERE id = '$id'")" \
	"created by POST /login: kubectl-auth_login on $(hostname)" "... the token says where it came from"
is "$(db_sql "SELECT COUNT(*) FROM token_clusters tc JOIN clusters c ON c.id = tc.cluster_id WHERE tc.token_id = '$id' AND c.name = 'prod'")" \
	1 "... scoped to the cluster"
before=$(logins)
KUBERNETES_EXEC_INFO='{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}' \
	get_token </dev/null
is "$rc $(jq -r .apiVersion <<<"$out")" "0 client.authentication.k8s.io/v1" "KUBERNETES_EXEC_INFO v1: a v1 ExecCredential"
is "$(jq -r .status.token <<<"$out")" "$token" "... the cached token"
is "$(( $(logins) - before ))" 0 "... no login"
KUBERNETES_EXEC_INFO='{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}' \
	get_token </dev/null
is "$rc" 1 "KUBERNETES_EXEC_INFO v1alpha1: exit 1"
like "$err" "v1alpha1.*speaks client.authentication.k8s.io/v1 and" "... saying which it speaks"
is "$out" "" "... nothing on stdout"
unset KUBERNETES_AUTH_PASSWORD

plugin logout --url "$KA_URL" --cluster prod --user alice --certificate-authority "$KA_CACERT"
is "$rc" 0 "logout: exit 0" || diag "$err"
like "$err" "token $id revoked" "... naming the token revoked"
ka_curl GET /me -H "Authorization: Bearer $token"
is "$status" 401 "... the service refuses it now"
get_token --password-stdin <<<alice-secret
is "$rc" 0 "--password-stdin: exit 0" || diag "$err"
plugin logout --url "$KA_URL" --cluster prod --user alice --certificate-authority "$KA_CACERT"
get_token --password-stdin <<<wrong
is "$rc:$out" "1:" "a wrong password: exit 1, no credential"
is "$err" "kubectl-auth_login: login: wrong username or password" "... one clear line"
is "$(cache_files | wc -l)" 0 "... nothing cached"

# --- TLS and plain http --------------------------------------------------------------
before=$(logins)
KUBERNETES_AUTH_PASSWORD=alice-secret plugin get-token --url "$KA_URL" --cluster prod --user alice </dev/null
is "$rc" 1 "the test CA not given: exit 1"
like "$err" "TLS failed.*certificate.*--certificate-authority" "... a TLS failure, saying which option helps"
is "$(( $(logins) - before ))" 0 "... and no login reached the service"
plugin get-token --url "http://localhost:$KA_NGINX_PORT" --cluster prod --user alice </dev/null
is "$rc" 2 "an http:// URL: usage error"
like "$err" "must be https://" "... never in the clear"
plugin setup --url "http://localhost:$KA_NGINX_PORT" --cluster prod
is "$rc" 2 "... for setup too"

# A stand-in for the service: every answer as configured, over http or https.
cat >"$T/fake.py" <<'PY'
import http.server, json, ssl, sys
port, status, retry, tls = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], len(sys.argv) > 4
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): print(self.command, self.path, self.headers.get("Authorization", "-")[:5], flush=True)
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if status == 201:
            body = json.dumps({"id": "f00", "token": "t" * 64, "expiry": "2099-01-01T00:00:00Z"}).encode()
        else:
            body = json.dumps({"error": "too many requests" if status == 429 else "database unavailable"}).encode()
        self.send_response(status)
        if retry != "-":
            self.send_header("Retry-After", retry)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_DELETE = answer
srv = http.server.HTTPServer(("127.0.0.1", port), H)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
fake() {   # fake STATUS RETRY-AFTER [tls]: FAKE_URL
	local port
	port=$(free_port)
	if [ "${3:-}" = tls ]; then
		spawn_daemon "fake-$1" "$T/fake-$1.log" python3 "$T/fake.py" "$port" "$1" "$2" \
			"$PKI_DIR/server.pem" "$PKI_DIR/server.key"
		FAKE_URL=https://localhost:$port
		waitfor "$SPAWNED_PID" 50 curl -s -o /dev/null --cacert "$PKI_DIR/ca.pem" "$FAKE_URL/" ||
			bail "the fake service did not start"
	else
		spawn_daemon "fake-$1" "$T/fake-$1.log" python3 "$T/fake.py" "$port" "$1" "$2"
		FAKE_URL=http://127.0.0.1:$port
		waitfor "$SPAWNED_PID" 50 curl -s -o /dev/null "$FAKE_URL/" || bail "the fake service did not start"
	fi
}
fake 201 - plain
KUBERNETES_AUTH_PASSWORD=pw plugin get-token --url "$FAKE_URL" --cluster prod --user alice --insecure-allow-http </dev/null
is "$rc $(jq -r .status.token <<<"$out")" "0 $(printf 't%.0s' {1..64})" \
	"--insecure-allow-http: an http:// service is used"
fake 429 42 tls
KUBERNETES_AUTH_PASSWORD=pw plugin get-token --url "$FAKE_URL" --cluster prod --user alice \
	--certificate-authority "$PKI_DIR/ca.pem" </dev/null
is "$rc" 1 "429 from the service: exit 1"
is "$err" "kubectl-auth_login: login: too many attempts: try again in 42 seconds" "... with Retry-After: when to try again"
fake 429 - tls
KUBERNETES_AUTH_PASSWORD=pw plugin get-token --url "$FAKE_URL" --cluster prod --user alice \
	--certificate-authority "$PKI_DIR/ca.pem" </dev/null
is "$err" "kubectl-auth_login: login: too many attempts: try again later" "... without it: later"
grep -q "POST /login Basi" "$T/fake-429.log"
ok $? "... (the fake saw a POST /login with Basic credentials)"

# --- the service down ---------------------------------------------------------------
KUBERNETES_AUTH_PASSWORD=alice-secret get_token </dev/null
is "$rc" 0 "a cached token again"
cached=$(cache_files | wc -l)
ka_stop
get_token </dev/null
is "$rc" 1 "the service down (nginx answers 503): exit 1"
like "$err" "GET /me: the service is unavailable \(HTTP 503" "... saying so"
is "$out" "" "... no credential"
plugin logout --url "$KA_URL" --cluster prod --user alice --certificate-authority "$KA_CACERT"
is "$rc" 1 "logout with the service down: exit 1"
like "$err" "the token is kept, try again" "... the token kept for another try"
is "$(cache_files | wc -l)" "$cached" "... still cached"
ka_start || bail "no restart"

# --- setup's errors ----------------------------------------------------------------------
export KUBERNETES_AUTH_PASSWORD=alice-secret
plugin setup --url "$KA_URL" --cluster bare --user alice --certificate-authority "$KA_CACERT" </dev/null
is "$rc" 1 "setup for a cluster without a server: exit 1"
like "$err" "HTTP 409: this cluster has no server URL" "... the service's reason"
ok "$([ ! -e "$KUBECONFIG" ]; echo $?)" "... no kubeconfig written"
plugin setup --url "$KA_URL" --cluster nowhere --user alice --certificate-authority "$KA_CACERT" </dev/null
is "$rc" 1 "setup for an unknown cluster: exit 1"
like "$err" "HTTP 400: unknown cluster in clusters: nowhere" "... the service's reason"
plugin setup --url "$KA_URL" --cluster prod --user alice --certificate-authority "$KA_CACERT" \
	--kubeconfig "$T/elsewhere.yaml" </dev/null
is "$rc" 0 "setup --kubeconfig FILE: exit 0" || diag "$err"
is "$(kubectl config view --kubeconfig "$T/elsewhere.yaml" -o jsonpath='{.current-context}' 2>/dev/null)" prod \
	"... that file has the context" 
is "$(stat -c %a "$T/elsewhere.yaml")" 600 "... a new kubeconfig is 0600"
ok "$([ ! -e "$KUBECONFIG" ]; echo $?)" "... and \$KUBECONFIG is untouched"
unset KUBERNETES_AUTH_PASSWORD

# --- usage ------------------------------------------------------------------------------
plugin --help
is "$rc" 0 "--help: exit 0"
like "$out" "kubectl auth-login setup --url URL --cluster NAME" "... shows setup"
plugin --version
like "$rc $out" "^0 kubectl-auth_login [0-9]" "--version"
plugin
is "$rc" 2 "no command: usage error"
plugin frobnicate
is "$rc" 2 "an unknown command: usage error"
plugin get-token --url "$KA_URL"
is "$rc" 2 "get-token without --cluster: usage error"
plugin get-token --bogus
is "$rc" 2 "an unknown option: usage error"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
