#!/usr/bin/env bash
# The HA lab when a service host goes away, under a steady mixed load
# through the front door:
#   4. host A's master is killed (SIGKILL): its workers die with it, the
#      front door moves the traffic to host B, and no more requests fail
#      than were in flight at the kill; host A comes back into service;
#   7. a rolling upgrade: a migration applied with `migrate up` from one host
#      while both serve, then host A and host B restarted one after the
#      other (SIGTERM, a graceful stop, then a start): no request fails but
#      those in flight at a stop, and none of those should either.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-haload.sh"

halab_test_setup

# --- 4: kill host A's master ----------------------------------------------------

load_begin s4
sleep 2
master=$(halab_service_pid a)
workers=$(pgrep -P "$master" | xargs)
ok "$([ -n "$workers" ]; echo $?)" "4: host A's master ($master) has workers ($workers)"
load_event kill
killed=$EPOCHREALTIME
kill -KILL "$master"
# Nothing but the master is signalled: the workers must notice by themselves.
workers_alive() { local p; for p in $workers; do alive "$p" && return 0; done; return 1; }
for _ in $(seq "$(scaled 100)"); do
	workers_alive || break
	sleep 0.1
done
ok "$(! workers_alive; echo $?)" "4: the workers died with their master"
diag "scenario 4: the workers were gone $(elapsed "$killed") s after the kill"
wait "$master" 2>/dev/null
waitfor "$(halab_service_pid b)" 100 eval '[ "$(halab_backends | xargs)" = "a DOWN b UP" ]'
ok $? "4: the front door takes host A out of service ($(halab_backends | xargs))"
diag "scenario 4: host A out of service $(elapsed "$killed") s after the kill"
sleep 2
load_event restart
restarted=$EPOCHREALTIME
halab_service_start a
ok $? "4: host A started again"
waitfor "$(halab_service_pid a)" 100 _halab_backends_up 2
ok $? "4: the front door has host A back in service ($(halab_backends | xargs))"
diag "scenario 4: host A back in service $(elapsed "$restarted") s after its start"
sleep 2
load_checks 4 kill
ok "$([ "$(load_value served_a)" -gt 0 ] && [ "$(load_value served_b)" -gt 0 ]; echo $?)" \
	"4: both hosts served ($(load_value served_a) and $(load_value served_b))"

# --- 7: rolling upgrade -------------------------------------------------------------

# The upgrade brings a migration (in the lab's copy of sql/, which both hosts
# read); each migration keeps the previous release working.
version=1999999999
cat >"$HALAB_DIR/sql/${version}_ha_lab_upgrade.up.sql" <<'SQL'
CREATE TABLE ha_lab_upgrade (id BIGINT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB;
SQL
echo 'DROP TABLE ha_lab_upgrade;' >"$HALAB_DIR/sql/${version}_ha_lab_upgrade.down.sql"
chmod a+r "$HALAB_DIR"/sql/*

load_begin s7
sleep 2
load_event migrate
netns_exec sa "$KA_BIN" migrate up -config-file "$HALAB_DIR/sa/config.yaml" >"$T/migrate.out" 2>&1
ok $? "7: migrate up from host A while both hosts serve" || sed 's/^/#   /' "$T/migrate.out"
for i in 1 2 3; do
	is "$(galera_sql "$i" "SET SESSION wsrep_sync_wait = 1;
		SELECT CONCAT(version, ' ', dirty) FROM kubernetes_auth.schema_migrations")" "$version 0" \
		"7: node $i: the schema at version $version, not dirty"
done
for h in a b; do
	load_event "stop_$h"
	halab_service_stop "$h" TERM
	is "$?" 0 "7: host $h stopped gracefully (exit status 0)"
	halab_service_start "$h"
	ok $? "7: host $h started again"
	other=b
	[ "$h" = b ] && other=a
	# A rolling upgrade waits for each host to be back before the next.
	waitfor "$(halab_service_pid "$other")" 100 _halab_backends_up 2
	ok $? "7: the front door has host $h back in service ($(halab_backends | xargs))"
	sleep 1
done
load_checks 7 stop_a stop_b
is "$LOAD_FAILED" 0 "7: no request failed at all (graceful stops)"

done_testing
