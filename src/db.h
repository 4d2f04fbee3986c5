/*
 * db.h — one MariaDB/MySQL connection per worker, and its prepared
 * statements.
 *
 * Connections are never shared across fork(): each worker makes its own
 * after it starts. The connection is opened lazily and re-opened when a call
 * finds it dead; MYSQL_OPT_RECONNECT stays off so that a reconnect is always
 * ours to notice (prepared statements die with the connection).
 *
 * With several database.hosts the connection goes to the first one that
 * answers and, on Galera, is a ready node of the primary component; a
 * host that fails is passed over for database.failback, and a connection
 * on a later host goes back to the first ones after that long. A node
 * that refuses a statement (not in the primary component) counts as a
 * lost connection, except that the statement, which did not run, is
 * always run again on the next node.
 *
 * Statements are defined by their users (store.c, migrate.c) as static
 * struct db_stmt_def and run through db_run(): each is prepared on first
 * use on this connection, kept, and prepared again after a reconnect or
 * when the server no longer knows it (1243, 1615). A connection found dead
 * before or while running a statement is re-opened and the statement run
 * once more when that is safe: it was never sent, or it is idempotent and
 * no transaction is open. Otherwise the call fails with DB_ERR_UNAVAILABLE
 * (HTTP 503). A deadlock outside a transaction is retried; inside one it is
 * reported (DB_ERR_DEADLOCK) for the caller to run the transaction again,
 * which db_transaction() does.
 */
#ifndef KA_DB_H
#define KA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mysql.h>

struct conf;
struct db;

/* A handle for CONF (borrowed; outlives the handle) and PASSWORD (copied;
 * NULL = none). Does not connect. Free with db_free(). */
int db_new(const struct conf *conf, const char *password, struct db **dbp);
void db_free(struct db *db);

/* Make sure the connection is open and answers: connect when there is
 * none, ping otherwise, and reconnect once when the ping fails.
 * Returns 0 or -1 (logged with mysql_error). */
int db_check(struct db *db);

/* Drop the connection (and its statements); the next call reconnects. */
void db_disconnect(struct db *db);

/* The live connection (after db_check() returned 0). Borrowed. */
MYSQL *db_mysql(struct db *db);

/* The node the connection goes to ("host:port" or the socket; "" when
 * not connected) in BUF, and, on a Galera node, its
 * wsrep_local_state_comment at the last check ("Synced", "Donor/Desynced",
 * ...; "" for a plain server). For /healthz. */
const char *db_node(const struct db *db, char *buf, size_t size);
const char *db_node_state(const struct db *db);
/* Is the connected server a Galera node (wsrep_on)? */
bool db_is_galera(const struct db *db);

/* Why the last failed call failed. */
enum db_error {
	DB_OK,
	DB_ERR_UNAVAILABLE,     /* cannot connect, or lost mid-statement */
	DB_ERR_DUPLICATE,       /* a unique key already holds the value */
	DB_ERR_NO_PARENT,       /* a foreign key names a row that is not there */
	DB_ERR_REFERENCED,      /* the row is still named by a foreign key */
	DB_ERR_DEADLOCK,        /* deadlock or lock wait timeout in a transaction */
	DB_ERR_OTHER,           /* anything else (logged) */
};
enum db_error db_error(const struct db *db);

/* A parameter or a fetched column. */
enum db_type {
	DB_T_STR,               /* text (utf8mb4) */
	DB_T_BIN,               /* bytes (sent as a blob) */
	DB_T_INT,               /* long long */
	DB_T_TIME,              /* DATETIME(6) in UTC <-> microseconds since 1970 */
};

struct db_val {
	enum db_type type;
	bool null;
	const char *str;        /* STR/BIN; fetched ones are NUL-terminated */
	size_t len;
	long long num;          /* INT, TIME */
};

static inline struct db_val
db_str(const char *s)
{
	return (struct db_val){ .type = DB_T_STR, .str = s, .len = strlen(s) };
}
static inline struct db_val
db_bin(const void *p, size_t len)
{
	return (struct db_val){ .type = DB_T_BIN, .str = p, .len = len };
}
static inline struct db_val
db_int(long long v)
{
	return (struct db_val){ .type = DB_T_INT, .num = v };
}
static inline struct db_val
db_time(int64_t us)
{
	return (struct db_val){ .type = DB_T_TIME, .num = us };
}
static inline struct db_val
db_null(enum db_type type)
{
	return (struct db_val){ .type = type, .null = true };
}

/* One statement. Define them static const: the address is the key of the
 * per-connection registry. */
struct db_stmt_def {
	const char *name;       /* for log lines */
	const char *sql;
	bool idempotent;        /* running it twice does no harm */
};

/* Called for each result row; COLS are borrowed for the call. Return 0,
 * or -1 to stop (db_run then fails with DB_ERR_OTHER). */
typedef int (*db_row_fn)(void *ctx, const struct db_val *cols, size_t ncols);

/* Run DEF with PARAMS. For a statement with a result, COLS/NCOLS give the
 * type to fetch each column as and FN is called for every row (after the
 * whole result has arrived: a retry never repeats a row). AFFECTED (may be
 * NULL) gets the affected row count. Returns 0 or -1 (see db_error();
 * logged unless it is a duplicate or foreign-key error, which are the
 * caller's to explain). */
int db_run(struct db *db, const struct db_stmt_def *def,
    const struct db_val *params, size_t nparams,
    const enum db_type *cols, size_t ncols, db_row_fn fn, void *ctx,
    unsigned long long *affected);

/* One row, for a query that answers at most one: its columns copied
 * (strings in one allocation the row owns). */
#define DB_MAX_COLS 16
struct db_row {
	bool found;                     /* false: the query answered no row */
	struct db_val col[DB_MAX_COLS];
	char *text;                     /* the string columns' bytes */
};

/* Run DEF with PARAMS and keep the first row of its answer in *ROW (the
 * columns fetched as COLS/NCOLS; ROW->found false when there was none).
 * Returns 0 (free with db_row_cleanup, also when nothing was found) or -1
 * as db_run(). */
int db_get(struct db *db, const struct db_stmt_def *def,
    const struct db_val *params, size_t nparams,
    const enum db_type *cols, size_t ncols, struct db_row *row);
void db_row_cleanup(struct db_row *row);

/* Transactions. db_begin() opens the connection if needed (a dead one is
 * re-opened: nothing has run yet); inside, db_run() never retries after a
 * lost connection. db_rollback() never fails (a lost connection rolls back
 * by itself). */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* One attempt at a transaction's body: returns 0, or -1 to roll back. */
typedef int (*db_tx_fn)(struct db *db, void *ctx);

/* Begin, run FN, commit; roll back when FN or the commit fails. A deadlock
 * (DB_ERR_DEADLOCK) undoes everything, so the whole transaction is run
 * again, up to ATTEMPTS times in all: FN must reset its outputs in CTX
 * before it sets them and do nothing outside the database. Returns 0, or
 * -1 with db_error() telling why (DB_OK when FN gave up without a database
 * error, e.g. on a row that was not there). */
int db_transaction(struct db *db, int attempts, db_tx_fn fn, void *ctx);

/* Run SQL text holding several statements: only for trusted migration
 * files, never for anything a client sent. Returns 0 or -1 (logged). */
int db_exec_script(struct db *db, const char *sql, const char *what);

#endif
