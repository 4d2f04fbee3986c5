#!/usr/bin/env bash
# Under abuse the service keeps answering: 1,000 concurrent connections and
# clients that send their bodies byte by byte are absorbed by nginx while
# quick requests keep flowing; 1,000 parallel POST /tokens each get a
# unique token and leave no orphan row.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

# wrk and nginx (which inherits this shell's limit) need more than 1,024 files.
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
stack_up - <<'YAML'
workers: 3
logging:
  level: 4
YAML
wait_workers 3

# beside PID WHAT: while PID abuses the service, 40 quick requests one at a
# time, every one answered 200; then wait for PID.
beside() {
	local pid=$1 what=$2 good=0 bad=0 code
	at_exit "kill $pid 2>/dev/null || true"
	sleep 1
	for _ in $(seq 40); do
		code=$(curl -sS --max-time 10 --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}' "$KA_URL/healthz")
		if [ "$code" = 200 ]; then good=$((good + 1)); else bad=$((bad + 1)); fi
		sleep 0.05
	done
	wait "$pid"
	is "$bad" 0 "$what: 40 quick requests beside them all answered 200 ($good)"
}

# 1. 1,000 concurrent connections for 5 seconds.
wrk -t2 -c1000 -d5s --timeout 20s "$KA_URL/healthz" >"$T/wrk1000.out" 2>&1 &
beside $! "1,000 concurrent connections"
diag "1000 connections: $(grep -E 'requests in|Socket errors|Non-2xx' "$T/wrk1000.out" | xargs)"
completed=$(awk '/requests in/ { print $1 }' "$T/wrk1000.out")
ok "$([ "${completed:-0}" -gt 1000 ]; echo $?)" "the 1,000 connections were served too (${completed:-0} requests)"
is "$(worker_count)" 3 "no worker died"

# 2. 200 clients sending a body one byte at a time, slower than nginx's
# client_body_timeout allows; nginx buffers bodies, so no worker waits.
# The service counts every request it answers (level 4 logs no access
# lines): POST /users must not move while they send.
post_users() {
	ka_curl GET /metrics
	awk '/^kubernetes_auth_requests_total\{method="POST",route="\/users",/ { s += $NF }
		END { print s + 0 }' <<<"$body"
}
posted=$(post_users)
python3 - "$KA_NGINX_PORT" >"$T/slow.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(200):
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
        s.sendall(b"POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\nx-auth-token: x\r\n\r\n")
        conns.append(s)
    except OSError as e:
        print("connect failed:", e)
deadline = time.time() + 6
while time.time() < deadline:
    for s in conns:
        try: s.send(b"x")
        except OSError: pass
    time.sleep(0.5)
print("opened", len(conns))
PY
beside $! "200 slow-body clients"
diag "slow clients: $(cat "$T/slow.out")"
is "$(post_users)" "$posted" "no slow body reached a worker (no POST /users answered)"
ka_curl POST /users -H 'x-auth-token: x' -d '{}'
is "$(post_users)" $((posted + 1)) "... where one whole POST /users is counted"
is "$(worker_count)" 3 "no worker died"

# 3. 1,000 parallel POST /tokens for one user.
admin_curl POST /users -d '{"username":"load-user"}'
is "$status" 201 "a user for the tokens"
user_id=$(jq -r .id <<<"$body")
seq 1000 | xargs -P 50 -I{} curl -sS --cacert "$KA_CACERT" -o /dev/null -w '%{http_code}\n' \
	-H "x-auth-token: $KA_ADMIN_TOKEN" -d "{\"user_id\":\"$user_id\",\"description\":\"load {}\"}" \
	"$KA_URL/tokens" >"$T/codes"
is "$(sort "$T/codes" | uniq -c | xargs)" "1000 201" "1,000 parallel POST /tokens: all 201"
is "$(db_sql "SELECT COUNT(*), COUNT(DISTINCT token_hmac) FROM tokens WHERE user_id = (SELECT id FROM users WHERE username = 'load-user')")" \
	"1000	1000" "1,000 rows, 1,000 distinct tokens"
admin_curl GET "/tokens?user_id=$user_id"
is "$(jq -r '.[].token' <<<"$body" | sort -u | wc -l)" 1000 "GET /tokens shows 1,000 distinct secrets"
is "$(db_sql "SELECT COUNT(*) FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE u.id IS NULL")" 0 "no token without its user"
is "$(db_sql "SELECT COUNT(*) FROM token_clusters tc LEFT JOIN tokens t ON t.id = tc.token_id WHERE t.id IS NULL")" 0 "no orphan token_clusters row"
is "$(worker_count)" 3 "no worker died"
ka_stop
is "$?" 0 "graceful stop"
done_testing
