#!/usr/bin/env bash
# MariaDB restarted while the service is idle, and while it is answering:
# the admin API answers again, without a restart of the service, and no
# worker died (prepared statements are made again on the new connection).
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

stack_up --private-db

admin_curl POST /users -d '{"username": "alice"}'
alice=$(jq -r .id <<<"$body")
# Both workers use their statements once.
for _ in 1 2 3 4; do
	admin_curl GET /users
	admin_curl POST /tokens -d "{\"user_id\": \"$alice\"}"
done
pids=$(ka_pids | sort | tr '\n' ' ')

# Idle.
mariadb_stop_private
mariadb_start_private || bail "MariaDB did not restart"
sleep 1.2
codes=
for _ in 1 2 3 4; do
	admin_curl GET /users
	codes+="$status "
done
is "$codes" "200 200 200 200 " "restarted while idle: GET /users answers at once, on every worker"
codes=
for _ in 1 2 3 4; do
	admin_curl POST /tokens -d "{\"user_id\": \"$alice\"}"
	codes+="$status "
done
is "$codes" "201 201 201 201 " "... and POST /tokens (not retried, so checked before use)"
is "$(ka_pids | sort | tr '\n' ' ')" "$pids" "... no worker died"

# Under requests.
load() {   # load SECONDS: requests in a loop, status codes to $T/codes
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --cacert "$KA_CACERT" --max-time 10 \
			-H "x-auth-token: $KA_ADMIN_TOKEN" "$KA_URL/users"
		curl -s -o /dev/null -w '%{http_code}\n' --cacert "$KA_CACERT" --max-time 10 \
			-H "x-auth-token: $KA_ADMIN_TOKEN" -d "{\"user_id\": \"$alice\"}" "$KA_URL/tokens"
	done >>"$T/codes"
}
load 6 &
loader=$!
sleep 1.5
mariadb_stop_private
sleep 0.5
mariadb_start_private || bail "MariaDB did not restart"
wait $loader
unexpected=$(grep -vE '^(200|201|503)$' "$T/codes" | sort | uniq -c | tr '\n' ' ')
is "$unexpected" "" "under requests: only 200, 201 or 503 answers ($(sort "$T/codes" | uniq -c | tr '\n' ' '))"
is "$(tail -n 4 "$T/codes" | tr '\n' ' ')" "200 201 200 201 " "... the last ones succeed"
admin_curl GET /users
is "$status" 200 "... the admin API answers"
is "$(ka_pids | sort | tr '\n' ' ')" "$pids" "... no worker died"
grep -q 'connection lost' "$T/ka.log"
ok $? "... the lost connection was logged"

# MariaDB down: 503 JSON, promptly.
mariadb_stop_private
start=$EPOCHREALTIME
admin_curl GET /users
is "$status" 503 "MariaDB down: 503"
is "$(jq -r .error <<<"$body")" "database unavailable" "... as JSON"
ok "$(awk -v e="$(elapsed "$start")" 'BEGIN { print (e < 5 ? 0 : 1) }')" "... within the connect timeout"
admin_curl POST /users -d '{"username": "bob"}'
is "$status" 503 "POST /users: 503 too"
mariadb_start_private || bail "MariaDB did not restart"
admin_curl POST /users -d '{"username": "bob"}'
is "$status" 201 "back: POST /users 201"
is "$(ka_pids | sort | tr '\n' ' ')" "$pids" "no worker died through all this"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
