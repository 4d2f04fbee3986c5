#!/usr/bin/env bash
# database.hosts: the first host that answers serves; a host that stops
# answering hands over to the next without a failed request; after
# database.failback the first hosts are tried again. Three "hosts" of one
# MariaDB: a port nobody listens on, a TCP relay (socat) that the test
# stops and starts, and the server itself. (Galera nodes: t/6*.)
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

command -v jq >/dev/null || skip_all "jq not installed"
command -v socat >/dev/null || skip_all "socat not installed"
mariadb_setup
slapd_setup

closed=$(free_port)
relay_port=$(free_port)
relay_start() {
	spawn_daemon relay "$T/relay.log" socat \
		"TCP-LISTEN:$relay_port,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$DB_PORT"
	relay=$SPAWNED_PID
	waitfor "$relay" 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$relay_port"
}
relay_start || bail "the relay did not start"

ka_config - <<YAML
workers: 1
database:
  host: localhost
  hosts: ["127.0.0.1:$closed", "127.0.0.1:$relay_port", "127.0.0.1:$DB_PORT"]
  failback: 2s
  connect_timeout: 2s
YAML
nginx_setup
ka_start || bail "kubernetes-auth did not start"

# node: the database node /healthz reports (its answer lives a second).
node() { ka_curl GET /healthz; jq -r '.database_node // "-"' <<<"$body"; }
node_is() { [ "$(node)" = "$1" ]; }

is "$(node)" "127.0.0.1:$relay_port" "the first host refuses: the second serves (healthz names it)"
like "$(cat "$T/ka.log")" "127.0.0.1:$closed: cannot connect" "... the refusal is logged"

admin_user alice
admin_token "$user_id"
review "$token"
is "$(review_answer)" "authenticated as alice@example.org" "a TokenReview through the second host"

# The second host goes away between two requests: the next request finds
# its connection dead, walks the list again and lands on the third.
stop_daemon "$relay" TERM 20
review "$token"
is "$(review_answer)" "authenticated as alice@example.org" \
	"the second host gone: the very next TokenReview is answered (by the third)"
sleep 1.1
is "$(node)" "127.0.0.1:$DB_PORT" "... healthz names the third"
like "$(cat "$T/ka.log")" "using 127.0.0.1:$DB_PORT, host 3 of database.hosts" "... and the log says so"
codes=
for i in 1 2 3 4 5; do review "$token"; codes+="$status "; done
is "$codes" "200 200 200 200 200 " "... and goes on answering"

# Back: after database.failback (2 s) the first hosts are tried again.
relay_start || bail "the relay did not start again"
eventually 80 node_is "127.0.0.1:$relay_port"
is "$(node)" "127.0.0.1:$relay_port" "the second host back: the service fails back to it"
review "$token"
is "$(review_answer)" "authenticated as alice@example.org" "... and answers from it"
like "$(cat "$T/ka.log")" "trying the first hosts again" "... the log says why"

# No host at all: 503, and healthz says so.
stop_daemon "$relay" TERM 20
ka_stop
ka_config - <<YAML
workers: 1
database:
  host: localhost
  hosts: ["127.0.0.1:$closed", "127.0.0.1:$relay_port"]
  migrate_on_start: false
  connect_timeout: 2s
YAML
ka_start || bail "kubernetes-auth did not restart"
review "$token"
is "$(review_answer)" "503 database unavailable" "no host answers: 503, database unavailable"
ka_curl GET /healthz
is "$status:$(jq -r '.database + " " + (.database_node // "none")' <<<"$body")" "503:unavailable none" \
	"... healthz 503, no node"
done_testing
