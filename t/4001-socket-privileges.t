#!/usr/bin/env bash
# The master opens the socket as root with the configured mode and group,
# then every process runs as the configured user; the admin token given on
# the command line does not stay visible there.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (socket ownership, privilege drop)"
mariadb_setup
slapd_setup
ka_config
nginx_setup
secret=$(random_hex 32)
ka_start -admin-token "$secret" || bail "kubernetes-auth did not start"

is "$(stat -c %a "$KA_SOCK")" 660 "socket mode 0660"
is "$(stat -c %G "$KA_SOCK")" nogroup "socket group is listen_group"
is "$(stat -c %F "$KA_SOCK")" socket "it is a socket"

nobody=$(id -u nobody)
nogroup=$(getent group nogroup | cut -d: -f3)
for pid in $(ka_pids); do
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | xargs)
	is "$uids" "$nobody $nobody $nobody $nobody" "pid $pid: real, effective, saved uid are nobody"
	is "$gids" "$nogroup $nogroup $nogroup $nogroup" "pid $pid: all gids are nogroup"
	is "$groups" "$nogroup" "pid $pid: no supplementary groups but nogroup"
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	unlike "$cmdline" "$secret" "pid $pid: the -admin-token value is not in the command line"
done
is "$(worker_count)" 2 "two workers"

ka_curl GET /healthz
is "$status" 200 "serving through the 0660 socket as nginx's group"

# Another local user cannot talk FastCGI to the service.
out=$(su -s /bin/sh daemon -c "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect(\"$KA_SOCK\")'" 2>&1)
like "$out" "Permission denied" "a user outside listen_group cannot connect"

# A user in listen_group but not in listen_peer_users (on Debian, another
# site's FastCGI pool in www-data) can connect, but is not served: it
# could send any parameter, a verified client certificate included.
KA_ADMIN_TOKEN=$secret   # as given on the command line
admin_curl POST /clusters -d '{"name": "bound", "client_cn": "apiserver-bound"}'
is "$status" 201 "a cluster bound to a client certificate"
admin_user bob
admin_token "$user_id"
bob_token=$token
forge() {   # forge USER: a TokenReview on the bound cluster's path, with a forged certificate
	printf '{"spec": {"token": "%s"}}' "$bob_token" |
		setpriv --reuid="$1" --regid=nogroup --clear-groups /usr/bin/python3 "$KA_SRCDIR/t/lib/fcgi-request.py" \
			"$KA_SOCK" REQUEST_METHOD=POST REQUEST_URI=/authenticate/token/bound \
			SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_S_DN=CN=apiserver-bound"
}
out=$(forge daemon)
is "$?:$out" "2:" "a member of listen_group outside listen_peer_users: closed without an answer"
like "$(cat "$T/ka.log")" "refused a FastCGI connection from uid $(id -u daemon) \(pid [0-9]+\): not in listen_peer_users" \
	"... and logged"
out=$(forge nobody)
like "$out" '"authenticated":true' "nginx's own user (listen_peer_users) is served, forged parameters and all"

# The access line (level 5 in tests) names the route, never the raw path.
leak=$(random_hex 32)
admin_curl GET "/tokens/$leak"
admin_curl GET "/users/a/b/$leak"
eventually 20 grep -q 'access: GET /users/\.\.\. 404' "$T/ka.log"
like "$(cat "$T/ka.log")" 'access: GET /tokens/\{\} 40[14] [0-9]+us' "access line with the route pattern"
like "$(cat "$T/ka.log")" 'access: GET /users/\.\.\. 404' "an unmatched path logs its first segment only"
unlike "$(cat "$T/ka.log")" "$leak" "a secret-looking path segment never reaches the log"

ka_stop
is "$?" 0 "SIGTERM: exit status 0"
ok "$(test ! -e "$KA_SOCK"; echo $?)" "the socket file is removed on stop"
unlike "$(cat "$T/ka.log")" "$secret" "the admin token is not in the log"

# A stale socket from a crash is replaced; anything else at the path is kept.
ka_start || bail "restart failed"
workers=$(pgrep -P "$KA_PID")
kill -KILL "$KA_PID"
# Workers die with their master (PR_SET_PDEATHSIG).
eventually 50 eval '! kill -0 $workers 2>/dev/null'
ok $? "workers leave when the master is killed"
ok "$(test -S "$KA_SOCK"; echo $?)" "SIGKILL leaves a stale socket"
ka_start
ok $? "start over a stale socket"
ka_stop
ok $? "... and stops cleanly"
echo "not a socket" >"$KA_SOCK"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$secret timeout 20 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "a regular file at the socket path stops start-up"
like "$out" "exists and is not a socket" "... with a clear message"
is "$(cat "$KA_SOCK")" "not a socket" "... and the file is kept"

done_testing
