#!/usr/bin/env bash
# Migrations: a fresh database; one at a middle version; down then up; a
# dirty one (start-up refused with the `migrate force` hint); a failing
# migration; two runs at once apply each migration once; force; version.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup
cp -r "$KA_SRCDIR/sql" "$T/sql"
ka_config - <<YAML
migrations_dir: $T/sql
YAML
nginx_setup

mig() { out=$("$KA_BIN" migrate "$@" -config-file "$T/config.yaml" 2>&1); rc=$?; }
schema() {
	mariadb-dump --no-defaults --socket="$DB_SOCK" -uroot --no-data --skip-dump-date \
		--skip-comments "$DB_NAME" | sed 's/ AUTO_INCREMENT=[0-9]*//'
}
tables() { db_sql "SHOW TABLES" | sort | tr '\n' ' '; }
versions=($(ls "$T/sql" | sed -n 's/^\([0-9]*\)_.*\.up\.sql$/\1/p' | sort -n))
latest=${versions[-1]}
n=${#versions[@]}

# A fresh database: the service migrates at start.
ka_start || bail "kubernetes-auth did not start on a fresh database"
is "$(tables)" "clusters generations policies schema_migrations token_clusters tokens users " "fresh database: all tables made at start"
is "$(db_sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations")" "$latest:0" \
	"... schema_migrations: one row, the latest version, clean"
is "$(grep -c 'migrations: applied' "$T/ka.log")" "$n" "... each migration applied once"
is "$(db_sql "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'schema_migrations'" | sort -u)" \
	InnoDB "... all InnoDB"
is "$(db_sql "SELECT DISTINCT DATA_TYPE, DATETIME_PRECISION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'datetime'" | tr '\t' ' ')" \
	"datetime 6" "... times are DATETIME(6)"
full=$(schema)
mig version
is "$out" "$latest" "migrate version: the latest"
ka_stop
ka_start || bail "no second start"
is "$(grep -c 'migrations: applied' "$T/ka.log")" "$n" "a second start applies nothing"
admin_curl POST /users -d '{"username": "keep-me"}'
is "$status" 201 "the service works"
ka_stop

# Down then up.
mig down 2
is "$rc" 0 "migrate down 2: exit 0"
is "$(db_sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations")" "${versions[-3]}:0" \
	"... at the version two back"
is "$(tables)" "clusters schema_migrations token_clusters tokens users " "... policies and generations gone"
is "$(db_sql "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'clusters' AND COLUMN_NAME IN ('server', 'certificate_authority_data')")" \
	0 "... and clusters' server and certificate_authority_data"
mig version
is "$out" "${versions[-3]}" "migrate version says so"
ka_start || bail "no start at a middle version"
is "$(tables)" "clusters generations policies schema_migrations token_clusters tokens users " "a middle version: the service migrates up at start"
is "$(schema)" "$full" "... to the same schema"
is "$(db_sql "SELECT username FROM users")" "keep-me" "... data kept"
ka_stop
mig down "$n"
is "$rc" 0 "migrate down $n: exit 0"
is "$(tables)" "schema_migrations " "... everything undone"
mig version
is "$out" "none" "migrate version: none"
mig up 1
is "$rc:$(db_sql "SELECT version FROM schema_migrations")" "0:${versions[0]}" "migrate up 1: one step"
mig up
is "$rc" 0 "migrate up: exit 0"
is "$(schema)" "$full" "down then up: the same schema"
mig down 9999
is "$rc:$(tables)" "0:schema_migrations " "migrate down more than there is: down to none"
mig up
mig down 0
is "$rc" 2 "migrate down 0: usage error"
mig down
is "$rc" 2 "migrate down without N: usage error"
mig sideways
is "$rc" 2 "migrate sideways: usage error"
like "$out" "usage: kubernetes-auth migrate" "... with the usage"

# Dirty.
db_sql "UPDATE schema_migrations SET dirty = 1"
mig version
is "$out" "$latest (dirty)" "migrate version shows dirty"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN timeout 30 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "a dirty database: start-up refused"
like "$out" "dirty at version $latest" "... says it is dirty"
like "$out" "migrate force $latest" "... with the migrate force hint"
test ! -e "$KA_SOCK"
ok $? "... and leaves no socket"
mig up
is "$rc" 1 "migrate up on a dirty database: refused"
mig force "$latest"
is "$rc:$(db_sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations")" "0:$latest:0" "migrate force V: clean at V"
mig force none
is "$rc:$(db_sql "SELECT COUNT(*) FROM schema_migrations")" "0:0" "migrate force none: no version"
mig force "$latest"
mig force x
is "$rc" 2 "migrate force x: usage error"

# A migration that fails half way.
printf 'CREATE TABLE half (id INT);\nSELECT nonsense FROM nowhere;\n' >"$T/sql/1999999999_broken.up.sql"
printf 'DROP TABLE IF EXISTS half;\n' >"$T/sql/1999999999_broken.down.sql"
mig up
is "$rc" 1 "a failing migration: exit 1"
like "$out" "migrate force" "... with the hint"
is "$(db_sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations")" "1999999999:1" \
	"... dirty at the failed version (golang-migrate's rule)"
mig force "$latest"
db_sql "DROP TABLE half"
rm "$T/sql/1999999999_broken."*
mig up
is "$rc" 0 "repaired and forced: migrate up works"

# Two at once: the lock lets one apply, the other finds nothing to do.
printf 'DO SLEEP(2);\nCREATE TABLE slow (id INT);\n' >"$T/sql/1999999998_slow.up.sql"
printf 'DROP TABLE slow;\n' >"$T/sql/1999999998_slow.down.sql"
"$KA_BIN" migrate up -config-file "$T/config.yaml" >"$T/m1.log" 2>&1 &
p1=$!
"$KA_BIN" migrate up -config-file "$T/config.yaml" >"$T/m2.log" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$r1:$r2" "0:0" "two migrate up at once: both succeed"
is "$(cat "$T/m1.log" "$T/m2.log" | grep -c 'applied 1999999998_slow')" 1 "... the migration ran once"
is "$(db_sql "SELECT CONCAT(version, ':', dirty) FROM schema_migrations")" "1999999998:0" "... clean at its version"
mig down 1
rm "$T/sql/1999999998_slow."*

# Two service starts at once on a fresh database.
db_sql "DROP TABLE policies, generations, token_clusters, tokens, clusters, users, schema_migrations"
mark=$(wc -l <"$T/ka.log")
cp "$T/config.yaml" "$T/config2.yaml"
sed -i "s|^listen: .*|listen: $T/run/ka2.sock|" "$T/config2.yaml"
KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN spawn_daemon ka2 "$T/ka2.log" "$KA_BIN" -config-file "$T/config2.yaml"
pid2=$SPAWNED_PID
ka_start || bail "no start"
waitfor "$pid2" 100 test -S "$T/run/ka2.sock"; st=$?; sleep 0.2
ok $st "a second service started at the same time starts too"
is "$({ tail -n +$((mark + 1)) "$T/ka.log"; cat "$T/ka2.log"; } | grep -c 'migrations: applied')" "$n" \
	"... each migration applied once" || { diag "$(cat $T/ka2.log)"; diag "$(tail -n +$((mark + 1)) $T/ka.log)"; }
stop_daemon "$pid2" TERM 100
ka_stop

# migrate_on_start: false leaves the schema alone, and a service whose
# schema is behind does not start: it says to run migrate up.
db_sql "DROP TABLE policies, generations, token_clusters, tokens, clusters, users, schema_migrations"
ka_config - <<YAML
migrations_dir: $T/sql
database:
  migrate_on_start: false
YAML
mark=$(wc -l <"$T/ka.log")
ka_start
rc=$?
ok "$([ "$rc" != 0 ]; echo $?)" "migrate_on_start: false on an empty database: the service does not start"
like "$(tail -n +$((mark + 1)) "$T/ka.log")" "this release needs [0-9]+; with database.migrate_on_start: false, run .kubernetes-auth migrate up." \
	"... and says to run migrate up"
is "$(tables)" "schema_migrations " "... and made no table but the bookkeeping"
mig up
is "$(tables)" "clusters generations policies schema_migrations token_clusters tokens users " "migrate up makes them"
ka_start || bail "no start after migrate up"
admin_curl GET /users
is "$status" 200 "... then the service starts and answers"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing
