#!/usr/bin/env bash
# Transactions that meet a lock wait timeout (DB_ERR_DEADLOCK: MariaDB rolls
# the statement back) on the policy generation row run again from the start
# and leave exactly what one clean run would. Before db_transaction(), a
# POST /policies retried this way answered 201 with the id of a row that was
# never stored. Should the machine be too slow for the lock to be held when
# a request arrives, the request simply succeeds first time: the checks
# hold either way, and the diag line says how many retries were taken.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"

mariadb_setup --private
slapd_setup
db_sql "SET GLOBAL innodb_lock_wait_timeout = 1"
ka_config
nginx_setup
ka_start || bail "kubernetes-auth did not start"

# Hold the policies generation row for 1.6 s: the first attempt waits 1 s
# and times out (DB_ERR_DEADLOCK), the second gets the row.
hold() {
	_mariadb_root "$DB_SOCK" -N -B "$DB_NAME" -e "BEGIN;
	    SELECT generation FROM generations WHERE name = 'policies' FOR UPDATE;
	    SELECT SLEEP(1.6); COMMIT;" >/dev/null &
	sleep 0.2
}

admin_curl POST /clusters -d '{"name": "prod"}'
cl=$(jq -r .id <<<"$body")
g0=$(db_sql "SELECT generation FROM generations WHERE name = 'policies'")

hold
policy_post '{"name":"r1","groups":["*"],"verbs":["get"],"apiGroups":[""],"resources":["pods"],"namespaces":["a"],"effect":"allow"}'
wait
is "$status" 201 "create after a lock timeout: 201"
is "$(db_sql "SELECT name FROM policies WHERE id = '$policy_id'")" r1 "... the id it answered names the stored row"
is "$(db_sql "SELECT COUNT(*) FROM policies")" 1 "... one row"
is "$(db_sql "SELECT generation FROM generations WHERE name = 'policies'")" $((g0 + 1)) "... generation bumped once"
id=$policy_id

hold
admin_curl PUT "/policies/$id" --data-binary '{"name":"r1","groups":["*"],"verbs":["list"],"apiGroups":[""],"resources":["pods"],"namespaces":["a"],"effect":"allow"}'
wait
is "$status" 200 "replace after a lock timeout: 200"
like "$(db_sql "SELECT rule FROM policies WHERE id = '$id'")" list "... stored"

hold
admin_curl DELETE "/policies/$id"
wait
is "$status" 200 "delete policy after a lock timeout: 200"
is "$(db_sql "SELECT COUNT(*) FROM policies")" 0 "... gone"

hold
admin_curl DELETE "/clusters/$cl"
wait
like "$status" '^20[04]$' "delete cluster after a lock timeout: 2xx"
is "$(db_sql "SELECT COUNT(*) FROM clusters")" 0 "... gone"
diag "lock wait timeouts logged (retries taken): $(grep -c "Lock wait timeout" "$T/ka.log")"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
