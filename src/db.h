/*
 * db.h — one MariaDB/MySQL connection per worker.
 *
 * Connections are never shared across fork(): each worker makes its own
 * after it starts. The connection is opened lazily and re-opened when a call
 * finds it dead; MYSQL_OPT_RECONNECT stays off so that a reconnect is always
 * ours to notice (prepared statements die with the connection).
 */
#ifndef KA_DB_H
#define KA_DB_H

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

/* Drop the connection; the next db_check() reconnects. */
void db_disconnect(struct db *db);

/* The live connection (after db_check() returned 0). Borrowed. */
MYSQL *db_mysql(struct db *db);

#endif
