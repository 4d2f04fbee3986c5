#!/usr/bin/env bash
# kubernetes-auth import --from URL --admin-token T against a small fake of
# the original service's documented API: users, clusters and tokens come
# over with their ids, secrets and expiries; a second run changes nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

command -v jq >/dev/null || skip_all "jq not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"
mariadb_setup
slapd_setup
ka_config
nginx_setup
pki_setup

U1=1b4e28ba-2fa1-41d2-883f-0016d3cca427
U2=6fa459ea-ee8a-4ca4-894e-db77e160355e
C1=16fd2706-8baf-433b-82eb-8c7fada847da
T1=886313e1-3b8a-4372-9b90-0c9aee199e5d
T2=c9bf9e57-1685-4c89-bafb-ff5af830be8a
S1=$(openssl rand -hex 32)
S2=$(openssl rand -hex 32)

# The original's answers, as its documentation shows them (the expiry with
# a zone offset and nanoseconds, as Go writes it).
cat >"$T/original.json" <<JSON
{
 "/users": [{"id": "$U1", "username": "alice@example.org"},
            {"id": "$U2", "username": "'; DROP TABLE users; --"}],
 "/clusters": [{"id": "$C1", "name": "namedcluster", "master": "", "node": "",
   "kubeconfig": "apiVersion: v1\nclusters:\n- cluster:\n server: https://master.kubernetes-cluster.local:6443",
   "created": "2018-01-01T12:34:56Z"}],
 "/tokens": [{"id": "$T1", "token": "$S1", "user_id": "$U1", "description": "sample token",
              "expiry": "2031-08-03T13:09:51.396053123+02:00"},
             {"id": "$T2", "token": "$S2", "user_id": "$U2", "description": "",
              "expiry": "2030-01-01T00:00:00Z"}]
}
JSON
cat >"$T/original.py" <<'PY'
import http.server, json, ssl, sys
data = json.load(open(sys.argv[1]))
port, tls = int(sys.argv[2]), len(sys.argv) > 3
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        path = self.path.split("?")[0]
        for prefix in ("/api", "/bad"):
            if path.startswith(prefix + "/"):
                path = path[len(prefix):]
        if self.headers.get("x-auth-token") != "foo":
            return self.answer(401, b'{"error":"unauthorized"}')
        if path not in data:
            return self.answer(404, b'{"error":"not found"}')
        items = list(data[path])
        if self.path.startswith("/bad/tokens"):
            items.append({"id": "0b7e0ee5-7b7d-4c2c-9a4b-9c7c1f2f7f10", "token": "X" * 64,
                          "user_id": items[0]["user_id"], "expiry": "2030-01-01T00:00:00Z"})
        body = json.dumps(items).encode()
        if path == "/tokens":           # as Go does for larger answers
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 100):
                part = body[i:i + 100]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.answer(200, body)
    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.HTTPServer(("127.0.0.1", port), H)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
port=$(free_port)
spawn_daemon original "$T/original.log" python3 "$T/original.py" "$T/original.json" "$port"
waitfor "$SPAWNED_PID" 50 curl -s -o /dev/null "http://127.0.0.1:$port/" || bail "the fake original did not start"
tport=$(free_port)
spawn_daemon original-tls "$T/original-tls.log" python3 "$T/original.py" "$T/original.json" "$tport" \
	"$PKI_DIR/server.pem" "$PKI_DIR/server.key"
waitfor "$SPAWNED_PID" 50 curl -s -o /dev/null --cacert "$PKI_DIR/ca.pem" "https://localhost:$tport/" ||
	bail "the fake original (https) did not start"

"$KA_BIN" migrate up -config-file "$T/config.yaml" >/dev/null 2>&1 || bail "migrate up failed"
imp() { out=$("$KA_BIN" import -config-file "$T/config.yaml" "$@" 2>&1); rc=$?; }

before=$(db_dump_sum)
imp --from "http://127.0.0.1:$port" --admin-token wrong
is "$rc" 1 "a wrong admin token: exit 1"
like "$out" "HTTP 401" "... says 401"
is "$(db_dump_sum)" "$before" "... nothing changed"
imp --from "ftp://127.0.0.1:$port" --admin-token foo
is "$rc" 2 "an ftp:// URL: usage error"
imp --from "http://127.0.0.1:$port"
is "$rc" 2 "no --admin-token: usage error"

imp --from "http://127.0.0.1:$port" --admin-token foo
is "$rc" 0 "import: exit 0"
like "$out" "users: 2 added, 0 already here, 0 not imported" "... 2 users"
like "$out" "clusters: 1 added" "... 1 cluster"
like "$out" "tokens: 2 added" "... 2 tokens"
unlike "$out" "$S1|$S2" "... no secret in its output"
is "$(db_sql "SELECT id FROM users ORDER BY id" | tr '\n' ' ')" "$U1 $U2 " "user ids kept"
is "$(db_sql "SELECT username FROM users WHERE id = '$U2'")" "'; DROP TABLE users; --" "... usernames byte for byte"
is "$(db_sql "SELECT created FROM clusters WHERE id = '$C1'")" "2018-01-01 12:34:56.000000" "cluster created kept"
is "$(db_sql "SELECT expiry FROM tokens WHERE id = '$T1'")" "2031-08-03 11:09:51.396053" "token expiry kept (in UTC)"
dump=$(db_dump) || bail "mariadb-dump failed"
like "$dump" "^INSERT INTO \`tokens\` VALUES \('$T1'" "the database dump holds the imported tokens"
grep -qiE "$S1|$S2" <<<"$dump"
is "$?" 1 "... but not their secrets"

after=$(db_dump_sum)
imp --from "http://127.0.0.1:$port/" --admin-token foo
is "$rc" 0 "a second import: exit 0"
like "$out" "users: 0 added, 2 already here" "... everything already here"
like "$out" "tokens: 0 added, 2 already here" "... tokens too"
is "$(db_dump_sum)" "$after" "... nothing changed"

imp --from "https://localhost:$tport/api" --admin-token foo
is "$rc" 1 "https with an unknown CA: refused"
like "$out" "certificate" "... says why"
out=$(SSL_CERT_FILE=$PKI_DIR/ca.pem "$KA_BIN" import -config-file "$T/config.yaml" \
	--from "https://localhost:$tport/api" --admin-token foo 2>&1)
is "$?" 0 "https with SSL_CERT_FILE and a path prefix: exit 0" || diag "$out"
like "$out" "tokens: 0 added, 2 already here" "... the same data"
out=$(SSL_CERT_FILE=$PKI_DIR/ca.pem "$KA_BIN" import -config-file "$T/config.yaml" \
	--from "https://127.0.0.1:$tport/api" --admin-token foo 2>&1)
is "$?" 0 "https to an IP address the certificate holds: exit 0"
out=$(SSL_CERT_FILE=$PKI_DIR/other-ca.pem "$KA_BIN" import -config-file "$T/config.yaml" \
	--from "https://localhost:$tport/api" --admin-token foo 2>&1)
is "$?" 1 "https trusting another CA only: refused"
imp --from "http://127.0.0.1:$port/bad" --admin-token foo
is "$rc" 1 "a token whose secret is not 64 lowercase hex: exit 1"
like "$out" "not 64 lowercase hex" "... says why"
unlike "$out" "XXXXXXXX" "... without printing it"
is "$(db_dump_sum)" "$after" "... nothing changed"

# The imported tokens, through the admin API.
ka_start || bail "kubernetes-auth did not start"
admin_curl GET /tokens
is "$(jq -r --arg id "$T1" '.[] | select(.id == $id) | .token' <<<"$body")" "$S1" "GET /tokens shows the imported secret"
is "$(jq -r --arg id "$T1" '.[] | select(.id == $id) | .expiry' <<<"$body")" "2031-08-03T11:09:51.396053Z" "... and its expiry"
admin_curl GET "/users/$U2"
is "$(jq -r .username <<<"$body")" "'; DROP TABLE users; --" "GET /users/{id} of an imported user"
admin_curl GET /clusters?name=namedcluster
is "$(jq -r '.[0].created' <<<"$body")" "2018-01-01T12:34:56Z" "GET /clusters?name= renders created as the original did"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
