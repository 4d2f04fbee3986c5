/*
 * db.c — MariaDB Connector/C connection with timeouts, reconnects and
 * failover across database.hosts (Galera-aware), a registry of prepared
 * statements, and binding without boilerplate.
 */
#include "db.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>

#include "conf.h"
#include "counters.h"
#include "ktime.h"
#include "log.h"

#define DB_MAX_STMTS 64
#define DB_MAX_PARAMS 16
/* A connection idle longer than this is pinged before it is trusted with
 * a statement that cannot be retried: the server may have restarted. */
#define DB_IDLE_PING_US 1000000LL
#define DB_DEADLOCK_RETRIES 3

static bool db_errno_is_connection(unsigned int e);

struct db_prepared {
	const struct db_stmt_def *def;
	MYSQL_STMT *stmt;
};

struct db {
	const struct conf *conf;
	char *password;
	MYSQL *mysql;           /* NULL when not connected */
	struct db_prepared stmts[DB_MAX_STMTS];
	size_t nstmts;
	bool in_txn;
	long long last_ok_us;   /* monotonic time of the last good answer */
	enum db_error error;

	/* Where the connection goes: database.hosts, in order. */
	size_t host;            /* index of the connected host */
	int64_t connected_us;   /* monotonic time the connection was made */
	int64_t *down_until_us; /* per host: passed over until then (it did
	                           not connect, or was no usable node) */
	bool galera;            /* the server is a Galera node (wsrep_on) */
	char node_state[32];    /* its wsrep_local_state_comment; "" if not */
	bool refused;           /* the last failure: the node refused the
	                           statement, which therefore did not run */
};

int
db_new(const struct conf *conf, const char *password, struct db **dbp)
{
	struct db *db = calloc(1, sizeof(*db));

	*dbp = NULL;
	if (db == NULL) {
		log_warn("calloc");
		return -1;
	}
	db->conf = conf;
	db->down_until_us = calloc(conf->database.hosts.n > 0 ?
	    conf->database.hosts.n : 1, sizeof(*db->down_until_us));
	if (db->down_until_us == NULL ||
	    (password != NULL && (db->password = strdup(password)) == NULL)) {
		log_warn("db_new");
		free(db->down_until_us);
		free(db);
		return -1;
	}
	*dbp = db;
	return 0;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	if (db->password != NULL) {
		OPENSSL_cleanse(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->down_until_us);
	free(db);
}

void
db_disconnect(struct db *db)
{
	size_t i;

	/* mysql_close() first: it detaches the statements, so closing them
	 * afterwards only frees memory and sends nothing down a dead link. */
	if (db->mysql != NULL) {
		mysql_close(db->mysql);
		db->mysql = NULL;
	}
	for (i = 0; i < db->nstmts; i++)
		mysql_stmt_close(db->stmts[i].stmt);
	db->nstmts = 0;
	db->in_txn = false;
}

enum db_error
db_error(const struct db *db)
{
	return db->error;
}

/* The connector takes whole seconds; round up so a 500ms setting is not 0
 * (which would mean "no timeout"). */
static unsigned int
db_seconds(int64_t ms)
{
	return (unsigned int)((ms + 999) / 1000);
}

/* HOST's address for log lines and /healthz: the socket, or host:port. */
static const char *
db_where(const struct db *db, size_t host, char *buf, size_t size)
{
	const struct conf *c = db->conf;
	const struct conf_db_host *h = &c->database.hosts.v[host];

	if (c->database.socket[0] != '\0')
		snprintf(buf, size, "%s", c->database.socket);
	else if (strchr(h->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", h->host, h->port);
	else
		snprintf(buf, size, "%s:%d", h->host, h->port);
	return buf;
}

/* Open a connection to HOST (not yet checked as a Galera node). */
static int
db_open(struct db *db, size_t host)
{
	const struct conf *c = db->conf;
	const struct conf_db_host *h = &c->database.hosts.v[host];
	unsigned int connect_timeout = db_seconds(c->database.connect_timeout_ms);
	unsigned int read_timeout = db_seconds(c->database.read_timeout_ms);
	bool on_socket = c->database.socket[0] != '\0';
	char where[300];
	MYSQL *m;

	m = mysql_init(NULL);
	if (m == NULL) {
		log_warnx("mysql_init: out of memory");
		return -1;
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Times are stored and compared in UTC whatever the server's zone;
	 * strict mode: a value that does not fit is an error, never cut. */
	mysql_optionsv(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00', "
	    "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
	    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
	if (c->database.tls_ca_file[0] != '\0') {
		my_bool verify = 1;
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, c->database.tls_ca_file);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (mysql_real_connect(m, on_socket ? NULL : h->host, c->database.user,
	    db->password, c->database.name, on_socket ? 0 : (unsigned int)h->port,
	    on_socket ? c->database.socket : NULL, CLIENT_FOUND_ROWS) == NULL) {
		counters_backend_error(COUNTERS_DATABASE);
		log_warnx("database %s: cannot connect: %s (%u)",
		    db_where(db, host, where, sizeof(where)), mysql_error(m),
		    mysql_errno(m));
		mysql_close(m);
		return -1;
	}
	db->mysql = m;
	db->host = host;
	return 0;
}

/* A text query's first row's first column into OUT ("" when there is no
 * row or it is NULL). Returns 0, or -1 with the server's error number in
 * *err_no. Only for the fixed queries below: no parameters. */
static int
db_query_value(MYSQL *m, const char *sql, char *out, size_t size,
    unsigned int *err_no)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	out[0] = '\0';
	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL) {
		*err_no = mysql_errno(m);
		return -1;
	}
	if ((row = mysql_fetch_row(res)) != NULL && mysql_num_fields(res) > 0 &&
	    row[mysql_num_fields(res) - 1] != NULL)
		snprintf(out, size, "%s", row[mysql_num_fields(res) - 1]);
	mysql_free_result(res);
	return 0;
}

/*
 * Is the connected server a node we may answer from? A plain server is.
 * A Galera node (wsrep_on) must be ready and in the primary component: a
 * node cut off from the others refuses reads and writes (1047), and one
 * that is still joining has not got the data. On a usable Galera node the
 * session's reads are made causal (wsrep_sync_wait = 1): each read waits
 * until the node has applied every write committed anywhere in the
 * cluster before it began, so a token created through one host
 * authenticates through any other at once (doc/high-availability.md).
 * Returns 0, or -1 (logged) when the node must not be used.
 */
static int
db_node_check(struct db *db)
{
	char value[64], where[300];
	unsigned int e = 0;

	db->galera = false;
	db->node_state[0] = '\0';
	/* MySQL has no wsrep_on at all: a plain server. */
	if (db_query_value(db->mysql, "SELECT @@global.wsrep_on", value,
	    sizeof(value), &e) < 0 || strcmp(value, "1") != 0)
		return db_errno_is_connection(e) ? -1 : 0;
	db->galera = true;
	if (db_query_value(db->mysql, "SHOW GLOBAL STATUS LIKE "
	    "'wsrep_local_state_comment'", db->node_state,
	    sizeof(db->node_state), &e) < 0 ||
	    db_query_value(db->mysql, "SHOW GLOBAL STATUS LIKE "
	    "'wsrep_cluster_status'", value, sizeof(value), &e) < 0)
		goto unusable;
	if (strcmp(value, "Primary") != 0) {
		log_warnx("database %s: Galera node not in the primary component "
		    "(%s, %s)", db_where(db, db->host, where, sizeof(where)),
		    value, db->node_state);
		return -1;
	}
	if (db_query_value(db->mysql, "SHOW GLOBAL STATUS LIKE 'wsrep_ready'",
	    value, sizeof(value), &e) < 0)
		goto unusable;
	if (strcmp(value, "ON") != 0) {
		log_warnx("database %s: Galera node not ready (%s)",
		    db_where(db, db->host, where, sizeof(where)), db->node_state);
		return -1;
	}
	if (mysql_query(db->mysql, "SET SESSION wsrep_sync_wait = 1") != 0) {
		e = mysql_errno(db->mysql);
		goto unusable;
	}
	return 0;
unusable:
	log_warnx("database %s: cannot read the Galera node's state: %s (%u)",
	    db_where(db, db->host, where, sizeof(where)),
	    mysql_error(db->mysql), e);
	return -1;
}

/* Pass over host I until failback has gone by: it failed us. */
static void
db_mark_down(struct db *db, size_t i)
{
	db->down_until_us[i] = ktime_mono_us() +
	    db->conf->database.failback_ms * 1000;
}

/*
 * Connect to the first usable host of database.hosts, in order. Hosts
 * that failed within the last database.failback are passed over while
 * another one answers; when none does, they are tried too. Each attempt
 * is bounded by database.connect_timeout.
 */
static int
db_connect(struct db *db)
{
	size_t i, n = db->conf->database.hosts.n;
	int64_t now = ktime_mono_us();
	char where[300];
	int pass;

	db_disconnect(db);
	db->error = DB_ERR_UNAVAILABLE;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			bool resting = db->down_until_us[i] > now;
			if (resting != (pass == 1))
				continue;
			if (db_open(db, i) < 0) {
				db_mark_down(db, i);
				continue;
			}
			if (db_node_check(db) < 0) {
				db_disconnect(db);
				db_mark_down(db, i);
				continue;
			}
			db->down_until_us[i] = 0;
			db->connected_us = db->last_ok_us = ktime_mono_us();
			db->error = DB_OK;
			if (i > 0)
				log_warnx("database: using %s, host %zu of "
				    "database.hosts (the first %s not answer)",
				    db_where(db, i, where, sizeof(where)), i + 1,
				    i > 1 ? "ones do" : "one does");
			log_debug("database %s: connected (server %s%s%s)",
			    db_where(db, i, where, sizeof(where)),
			    mysql_get_server_info(db->mysql),
			    db->galera ? ", Galera node " : "", db->node_state);
			return 0;
		}
	return -1;
}

/* Failed over a while ago (database.failback): time to try the first
 * hosts again? Never inside a transaction. */
static bool
db_failback_due(const struct db *db)
{
	if (db->mysql == NULL || db->in_txn || db->host == 0 ||
	    ktime_mono_us() - db->connected_us < db->conf->database.failback_ms * 1000)
		return false;
	log_info("database: on host %zu of database.hosts for %lld s: trying "
	    "the first hosts again", db->host + 1,
	    (long long)(db->conf->database.failback_ms / 1000));
	return true;
}

int
db_check(struct db *db)
{
	char where[300];

	if (db->mysql == NULL || db_failback_due(db))
		return db_connect(db);
	if (mysql_ping(db->mysql) == 0 && (!db->galera || db_node_check(db) == 0)) {
		db->last_ok_us = ktime_mono_us();
		return 0;
	}
	counters_backend_error(COUNTERS_DATABASE);
	log_warnx("database %s: %s; reconnecting",
	    db_where(db, db->host, where, sizeof(where)),
	    mysql_errno(db->mysql) != 0 ? mysql_error(db->mysql) :
	    "the node cannot be used");
	db_mark_down(db, db->host);
	return db_connect(db);
}

const char *
db_node(const struct db *db, char *buf, size_t size)
{
	if (db->mysql == NULL) {
		snprintf(buf, size, "%s", "");
		return buf;
	}
	return db_where(db, db->host, buf, size);
}

bool
db_is_galera(const struct db *db)
{
	return db->galera;
}

const char *
db_node_state(const struct db *db)
{
	return db->galera ? db->node_state : "";
}

MYSQL *
db_mysql(struct db *db)
{
	return db->mysql;
}

/* Connected and, when idle for a while, known to answer. Inside a
 * transaction the connection must still be the one it began on. */
static int
db_ready(struct db *db)
{
	if (db->in_txn) {
		if (db->mysql != NULL)
			return 0;
		db->error = DB_ERR_UNAVAILABLE;
		return -1;
	}
	if (db->mysql == NULL)
		return db_connect(db);
	if (db_failback_due(db))
		return db_connect(db);
	if (ktime_mono_us() - db->last_ok_us > DB_IDLE_PING_US)
		return db_check(db);
	return 0;
}

static bool
db_errno_is_connection(unsigned int e)
{
	switch (e) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_SERVER_LOST_EXTENDED:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case 4031:              /* MySQL 8: disconnected by the server (idle) */
		return true;
	}
	return false;
}

static enum db_error
db_classify(unsigned int e)
{
	if (db_errno_is_connection(e))
		return DB_ERR_UNAVAILABLE;
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
		return DB_ERR_DUPLICATE;
	case ER_NO_REFERENCED_ROW:
	case ER_NO_REFERENCED_ROW_2:
		return DB_ERR_NO_PARENT;
	case ER_ROW_IS_REFERENCED:
	case ER_ROW_IS_REFERENCED_2:
		return DB_ERR_REFERENCED;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return DB_ERR_DEADLOCK;
	}
	return DB_ERR_OTHER;
}

static void
db_forget_stmt(struct db *db, const struct db_stmt_def *def)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].def == def) {
			mysql_stmt_close(db->stmts[i].stmt);
			db->stmts[i] = db->stmts[--db->nstmts];
			return;
		}
}

/* DEF's statement on this connection, prepared now if it is not yet.
 * On failure *err_no is the server's or client's error number. */
static MYSQL_STMT *
db_prepared(struct db *db, const struct db_stmt_def *def, unsigned int *err_no)
{
	MYSQL_STMT *stmt;
	size_t i;

	*err_no = 0;
	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].def == def)
			return db->stmts[i].stmt;
	if (db->nstmts == DB_MAX_STMTS)
		fatalx("db: more than %d statements: raise DB_MAX_STMTS", DB_MAX_STMTS);
	stmt = mysql_stmt_init(db->mysql);
	if (stmt == NULL) {
		*err_no = mysql_errno(db->mysql);
		log_warnx("database: mysql_stmt_init: %s", mysql_error(db->mysql));
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, def->sql, strlen(def->sql)) != 0) {
		*err_no = mysql_stmt_errno(stmt);
		if (!db_errno_is_connection(*err_no))
			log_warnx("database: cannot prepare %s: %s (%u)", def->name,
			    mysql_stmt_error(stmt), *err_no);
		mysql_stmt_close(stmt);
		return NULL;
	}
	db->stmts[db->nstmts].def = def;
	db->stmts[db->nstmts].stmt = stmt;
	db->nstmts++;
	return stmt;
}

static void
db_time_to_mysql(int64_t us, MYSQL_TIME *t)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	memset(t, 0, sizeof(*t));
	t->year = tm.tm_year + 1900;
	t->month = tm.tm_mon + 1;
	t->day = tm.tm_mday;
	t->hour = tm.tm_hour;
	t->minute = tm.tm_min;
	t->second = tm.tm_sec;
	t->second_part = frac;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

static int64_t
db_time_from_mysql(const MYSQL_TIME *t)
{
	struct tm tm = {
		.tm_year = (int)t->year - 1900, .tm_mon = (int)t->month - 1,
		.tm_mday = (int)t->day, .tm_hour = (int)t->hour,
		.tm_min = (int)t->minute, .tm_sec = (int)t->second,
	};
	return (int64_t)timegm(&tm) * 1000000 + (int64_t)t->second_part;
}

/* Everything one execution needs, kept off the heap for params. */
struct db_exec {
	MYSQL_BIND bind[DB_MAX_PARAMS];
	MYSQL_TIME times[DB_MAX_PARAMS];
	long long nums[DB_MAX_PARAMS];
	my_bool nulls[DB_MAX_PARAMS];
	unsigned long lengths[DB_MAX_PARAMS];
};

static void
db_bind_params(struct db_exec *x, const struct db_val *params, size_t n)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < n; i++) {
		MYSQL_BIND *b = &x->bind[i];
		const struct db_val *p = &params[i];

		x->nulls[i] = p->null;
		b->is_null = &x->nulls[i];
		switch (p->type) {
		case DB_T_STR:
		case DB_T_BIN:
			b->buffer_type = p->type == DB_T_STR ? MYSQL_TYPE_STRING :
			    MYSQL_TYPE_BLOB;
			/* MYSQL_BIND serves input and output alike, so its
			 * buffer is not const; for a parameter the connector
			 * only reads it. (Through uintptr_t: copying every
			 * string to drop the const would cost a copy per
			 * statement.) */
			b->buffer = (void *)(uintptr_t)(p->null ? "" : p->str);
			x->lengths[i] = p->null ? 0 : p->len;
			b->buffer_length = x->lengths[i];
			b->length = &x->lengths[i];
			break;
		case DB_T_INT:
			x->nums[i] = p->num;
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &x->nums[i];
			break;
		case DB_T_TIME:
			db_time_to_mysql(p->num, &x->times[i]);
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = &x->times[i];
			break;
		}
	}
}

/* Where one row of a result lands: a buffer per column. */
struct db_fetch_bufs {
	MYSQL_BIND bind[DB_MAX_COLS];
	MYSQL_TIME times[DB_MAX_COLS];
	long long nums[DB_MAX_COLS];
	my_bool nulls[DB_MAX_COLS];
	unsigned long lengths[DB_MAX_COLS];
	char *text[DB_MAX_COLS];        /* malloc'd, for STR and BIN */
};

/* Bind NCOLS columns of the types COLS to F's buffers. FIELDS give the
 * longest value of each (known: the result is stored and
 * STMT_ATTR_UPDATE_MAX_LENGTH is set). */
static void
db_fetch_bind(struct db_fetch_bufs *f, const MYSQL_FIELD *fields,
    const enum db_type *cols, size_t ncols)
{
	size_t i;

	memset(f->bind, 0, sizeof(f->bind));
	for (i = 0; i < ncols; i++) {
		MYSQL_BIND *b = &f->bind[i];

		b->is_null = &f->nulls[i];
		b->length = &f->lengths[i];
		switch (cols[i]) {
		case DB_T_STR:
		case DB_T_BIN:
			if ((f->text[i] = malloc(fields[i].max_length + 1)) == NULL)
				fatal("malloc");
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = f->text[i];
			b->buffer_length = fields[i].max_length + 1;
			break;
		case DB_T_INT:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &f->nums[i];
			break;
		case DB_T_TIME:
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = &f->times[i];
			break;
		}
	}
}

/* The row just fetched into F, as NCOLS values (borrowing F's buffers). */
static void
db_fetch_values(struct db_fetch_bufs *f, const enum db_type *cols,
    size_t ncols, struct db_val *vals)
{
	size_t i;

	for (i = 0; i < ncols; i++) {
		vals[i] = (struct db_val){ .type = cols[i], .null = f->nulls[i] };
		if (f->nulls[i])
			continue;
		switch (cols[i]) {
		case DB_T_STR:
		case DB_T_BIN:
			f->text[i][f->lengths[i]] = '\0';
			vals[i].str = f->text[i];
			vals[i].len = f->lengths[i];
			break;
		case DB_T_INT:
			vals[i].num = f->nums[i];
			break;
		case DB_T_TIME:
			vals[i].num = db_time_from_mysql(&f->times[i]);
			break;
		}
	}
}

/* Fetch every row of STMT's stored result into FN. */
static int
db_fetch(struct db *db, const struct db_stmt_def *def, MYSQL_STMT *stmt,
    const enum db_type *cols, size_t ncols, db_row_fn fn, void *ctx)
{
	struct db_fetch_bufs f = { .text = { 0 } };
	struct db_val vals[DB_MAX_COLS];
	MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
	size_t i;
	int rc = -1, st;

	if (meta == NULL || mysql_num_fields(meta) != ncols || ncols > DB_MAX_COLS) {
		log_warnx("database: %s: expected %zu columns", def->name, ncols);
		db->error = DB_ERR_OTHER;
		goto done;
	}
	db_fetch_bind(&f, mysql_fetch_fields(meta), cols, ncols);
	if (mysql_stmt_bind_result(stmt, f.bind) != 0) {
		log_warnx("database: %s: bind result: %s", def->name,
		    mysql_stmt_error(stmt));
		db->error = DB_ERR_OTHER;
		goto done;
	}
	while ((st = mysql_stmt_fetch(stmt)) == 0) {
		db_fetch_values(&f, cols, ncols, vals);
		if (fn != NULL && fn(ctx, vals, ncols) < 0) {
			db->error = DB_ERR_OTHER;
			goto done;
		}
	}
	if (st != MYSQL_NO_DATA) {
		log_warnx("database: %s: fetch: %s", def->name,
		    st == MYSQL_DATA_TRUNCATED ? "data truncated" : mysql_stmt_error(stmt));
		db->error = DB_ERR_OTHER;
		goto done;
	}
	rc = 0;
done:
	for (i = 0; i < ncols && i < DB_MAX_COLS; i++)
		free(f.text[i]);
	if (meta != NULL)
		mysql_free_result(meta);
	mysql_stmt_free_result(stmt);
	return rc;
}

/*
 * Did the server refuse a statement because this node may not serve (so
 * it did not run)? Galera answers 1047 (ER_UNKNOWN_COM_ERROR, "WSREP has
 * not yet prepared node for application use") on a node outside the
 * primary component, and with wsrep_sync_wait a read there fails with
 * 1205 (lock wait timeout) at once; both, like a deadlock (1213), are
 * also what a healthy node answers for other reasons, so the node's own
 * state decides.
 */
static bool
db_refused(struct db *db, unsigned int e)
{
	if (!db->galera || db->mysql == NULL)
		return false;
	if (e != ER_UNKNOWN_COM_ERROR && e != ER_LOCK_WAIT_TIMEOUT &&
	    e != ER_LOCK_DEADLOCK)
		return false;
	return db_node_check(db) < 0;
}

int
db_run(struct db *db, const struct db_stmt_def *def,
    const struct db_val *params, size_t nparams,
    const enum db_type *cols, size_t ncols, db_row_fn fn, void *ctx,
    unsigned long long *affected)
{
	int reconnects = 0, reprepares = 0, deadlocks = 0;
	struct db_exec x;

	db->error = DB_OK;
	db->refused = false;
	if (nparams > DB_MAX_PARAMS)
		fatalx("db: %s: more than %d parameters", def->name, DB_MAX_PARAMS);
	for (;;) {
		MYSQL_STMT *stmt;
		unsigned int e;
		bool sent = false;

		if (db_ready(db) < 0)
			return -1;
		stmt = db_prepared(db, def, &e);
		if (stmt != NULL) {
			my_bool update_max = 1;
			db_bind_params(&x, params, nparams);
			sent = true;
			if ((nparams == 0 || mysql_stmt_bind_param(stmt, x.bind) == 0) &&
			    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH,
			    &update_max) == 0 &&
			    mysql_stmt_execute(stmt) == 0 &&
			    (ncols == 0 || mysql_stmt_store_result(stmt) == 0)) {
				db->last_ok_us = ktime_mono_us();
				if (affected != NULL)
					*affected = mysql_stmt_affected_rows(stmt);
				if (ncols == 0) {
					mysql_stmt_free_result(stmt);
					return 0;
				}
				return db_fetch(db, def, stmt, cols, ncols, fn, ctx);
			}
			e = mysql_stmt_errno(stmt);
		}

		if (e == ER_UNKNOWN_STMT_HANDLER || e == ER_NEED_REPREPARE) {
			/* The server forgot the statement: nothing ran. */
			db_forget_stmt(db, def);
			if (++reprepares <= 2)
				continue;
		}
		if (db_refused(db, e)) {
			/* Not run: safe to run again on another node, unless
			 * a transaction was open there (db_transaction() then
			 * runs it again whole). */
			bool was_in_txn = db->in_txn;
			counters_backend_error(COUNTERS_DATABASE);
			log_warnx("database: %s: the node refused it (%u)%s; "
			    "failing over", def->name, e,
			    was_in_txn ? " in a transaction" : "");
			db_mark_down(db, db->host);
			db_disconnect(db);
			db->error = DB_ERR_UNAVAILABLE;
			db->refused = true;
			if (!was_in_txn && reconnects++ == 0)
				continue;
			return -1;
		}
		if (db_errno_is_connection(e) || (stmt == NULL && e == 0)) {
			bool was_in_txn = db->in_txn;
			counters_backend_error(COUNTERS_DATABASE);
			log_warnx("database: %s: connection lost (%u)%s", def->name, e,
			    was_in_txn ? " in a transaction" : "");
			db_disconnect(db);
			db->error = DB_ERR_UNAVAILABLE;
			if (!was_in_txn && reconnects++ == 0 &&
			    (!sent || def->idempotent))
				continue;
			return -1;
		}
		db->error = db_classify(e);
		if (db->error == DB_ERR_DEADLOCK && !db->in_txn &&
		    ++deadlocks <= DB_DEADLOCK_RETRIES) {
			log_debug("database: %s: deadlock, retrying", def->name);
			continue;
		}
		if (db->error == DB_ERR_OTHER || db->error == DB_ERR_DEADLOCK)
			log_warnx("database: %s: %s (%u)", def->name,
			    stmt != NULL ? mysql_stmt_error(stmt) : "prepare failed", e);
		return -1;
	}
}

/* db_get(): the first row, copied into a struct db_row. */
static int
db_row_copy(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct db_row *row = ctx;
	size_t i, text = 0;
	char *p;

	if (row->found)
		return 0;
	for (i = 0; i < ncols; i++)
		if (!cols[i].null && (cols[i].type == DB_T_STR ||
		    cols[i].type == DB_T_BIN))
			text += cols[i].len + 1;
	if (text > 0 && (row->text = malloc(text)) == NULL)
		fatal("malloc");
	p = row->text;
	for (i = 0; i < ncols; i++) {
		row->col[i] = cols[i];
		if (cols[i].null || (cols[i].type != DB_T_STR &&
		    cols[i].type != DB_T_BIN))
			continue;
		memcpy(p, cols[i].str, cols[i].len + 1);
		row->col[i].str = p;
		p += cols[i].len + 1;
	}
	row->found = true;
	return 0;
}

int
db_get(struct db *db, const struct db_stmt_def *def,
    const struct db_val *params, size_t nparams,
    const enum db_type *cols, size_t ncols, struct db_row *row)
{
	*row = (struct db_row){ .found = false };
	if (ncols > DB_MAX_COLS)
		fatalx("db_get: %s: more than %d columns", def->name, DB_MAX_COLS);
	if (db_run(db, def, params, nparams, cols, ncols, db_row_copy, row,
	    NULL) < 0) {
		db_row_cleanup(row);
		return -1;
	}
	return 0;
}

void
db_row_cleanup(struct db_row *row)
{
	free(row->text);
	*row = (struct db_row){ .found = false };
}

int
db_begin(struct db *db)
{
	int tries;

	db->error = DB_OK;
	db->refused = false;
	if (db->in_txn)
		fatalx("db_begin: a transaction is already open");
	for (tries = 0; tries < 2; tries++) {
		if (db_ready(db) < 0)
			return -1;
		if (mysql_autocommit(db->mysql, 0) == 0) {
			db->in_txn = true;
			return 0;
		}
		unsigned int e = mysql_errno(db->mysql);
		if (!db_errno_is_connection(e)) {
			log_warnx("database: begin: %s (%u)", mysql_error(db->mysql), e);
			db->error = DB_ERR_OTHER;
			return -1;
		}
		db_disconnect(db);
	}
	log_warnx("database: begin: connection lost");
	db->error = DB_ERR_UNAVAILABLE;
	return -1;
}

int
db_commit(struct db *db)
{
	unsigned int e;

	db->error = DB_OK;
	db->refused = false;
	if (!db->in_txn || db->mysql == NULL) {
		db->in_txn = false;
		db->error = DB_ERR_UNAVAILABLE;
		return -1;
	}
	if (mysql_commit(db->mysql) == 0 && mysql_autocommit(db->mysql, 1) == 0) {
		db->in_txn = false;
		db->last_ok_us = ktime_mono_us();
		return 0;
	}
	e = mysql_errno(db->mysql);
	db->error = db_classify(e);
	log_warnx("database: commit: %s (%u)", mysql_error(db->mysql), e);
	db_rollback(db);
	/* A node outside the primary component refuses the commit: nothing
	 * was written anywhere, and db_transaction() runs it all again. */
	if (e == ER_UNKNOWN_COM_ERROR && db->galera) {
		db_mark_down(db, db->host);
		db_disconnect(db);
		db->error = DB_ERR_UNAVAILABLE;
		db->refused = true;
	}
	return -1;
}

void
db_rollback(struct db *db)
{
	if (db->mysql != NULL && db->in_txn) {
		if (mysql_rollback(db->mysql) != 0 ||
		    mysql_autocommit(db->mysql, 1) != 0) {
			/* Cannot tell the state of the session: start afresh. */
			db_disconnect(db);
		}
	}
	db->in_txn = false;
}

int
db_transaction(struct db *db, int attempts, db_tx_fn fn, void *ctx)
{
	int tries = 0;

	for (;;) {
		if (db_begin(db) < 0)
			return -1;
		if (fn(db, ctx) == 0 && db_commit(db) == 0)
			return 0;
		/* After a failed commit this does nothing: it rolled back. */
		db_rollback(db);
		if (db->refused && ++tries < attempts) {
			/* Nothing ran on the node that refused: run it all
			 * again on the next one. */
			log_debug("database: transaction refused by the node, "
			    "running it again on another");
			continue;
		}
		if (db_error(db) != DB_ERR_DEADLOCK || ++tries >= attempts)
			return -1;
		/* A Galera node cut off answers deadlocks too: do not run it
		 * again there. */
		if (db->galera && db->mysql != NULL && db_node_check(db) < 0) {
			db_mark_down(db, db->host);
			db_disconnect(db);
		}
		log_debug("database: transaction deadlocked, running it again");
	}
}

int
db_exec_script(struct db *db, const char *sql, const char *what)
{
	MYSQL *m;
	int st;

	db->error = DB_OK;
	if (db_ready(db) < 0)
		return -1;
	m = db->mysql;
	if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
		goto fail;
	if (mysql_real_query(m, sql, strlen(sql)) != 0)
		goto fail;
	do {
		MYSQL_RES *res = mysql_store_result(m);
		if (res != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(m) != 0)
			goto fail;
		st = mysql_next_result(m);
		if (st > 0)
			goto fail;
	} while (st == 0);
	mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	db->last_ok_us = ktime_mono_us();
	return 0;
fail:
	log_warnx("%s: %s (%u)", what, mysql_error(m), mysql_errno(m));
	db->error = db_classify(mysql_errno(m));
	/* The rest of a multi-statement answer may be pending: start afresh. */
	db_disconnect(db);
	return -1;
}
