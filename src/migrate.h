/*
 * migrate.h — the sql/ runner, with golang-migrate's bookkeeping.
 *
 * Files are migrations_dir/<version>_<name>.up.sql and .down.sql; the
 * version (a unix timestamp) orders them. The database records where it is
 * in schema_migrations(version BIGINT PRIMARY KEY, dirty BOOLEAN), one row
 * (none = nothing applied): before a migration runs the row says the
 * target version, dirty; after it ran, clean. A migration that fails half
 * way leaves the database dirty, and nothing runs until an operator has
 * repaired the schema and said which version it is at (`migrate force V`).
 * Applying holds GET_LOCK, so several hosts starting at once migrate once
 * -- except on Galera, where GET_LOCK locks one node only: there
 * migrate_on_start refuses, and operators run `migrate up` from one host.
 */
#ifndef KA_MIGRATE_H
#define KA_MIGRATE_H

struct conf;

/* At start-up (database.migrate_on_start): apply pending "up" migrations.
 * A dirty database, an unknown version or a failed migration is an error
 * that says what to do; a database newer than these files is only a
 * warning (another host runs a newer release). Returns 0 or -1 (logged). */
int migrate_on_start(const struct conf *conf, const char *db_password);

/* At start-up without database.migrate_on_start: is the schema at least
 * this release's latest version, and clean? A database that cannot be
 * reached is only a warning (the service starts and answers 503 until it
 * is back). Returns 0, or -1 (logged, saying what to run). */
int migrate_check(const struct conf *conf, const char *db_password);

/* `kubernetes-auth migrate up [N] | down N | version | force V`: ARGS are
 * the words after "migrate". Returns the process exit status. */
int migrate_command(const struct conf *conf, const char *db_password,
    const char *const *args, int nargs);

#endif
