/*
 * migrate.c — apply sql/ migrations with golang-migrate's semantics.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "log.h"

#define MIGRATE_NIL (-1LL)              /* no row: nothing applied */
#define MIGRATE_LOCK_WAIT_S 120
#define MIGRATE_MAX_FILE (4 * 1024 * 1024)
/* The named lock makes a deadlock on schema_migrations unlikely, but
 * rewriting its row again after one is safe. */
#define MIGRATE_SET_ATTEMPTS 3

struct migration {
	long long version;
	char *name;                     /* "1732521600_create_users" */
	char *up;                       /* paths; NULL when missing */
	char *down;
};

struct migrate {
	const struct conf *conf;
	struct db *db;
	struct migration *v;            /* sorted by version */
	size_t n;
	char lock_name[65];
	bool locked;
};

static const struct db_stmt_def migrate_create_table = {
	"migrate_create_table",
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	"version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL) "
	"ENGINE=InnoDB", true,
};
static const struct db_stmt_def migrate_get_lock = {
	"migrate_get_lock", "SELECT GET_LOCK(?, ?)", false,
};
static const struct db_stmt_def migrate_release_lock = {
	"migrate_release_lock", "SELECT RELEASE_LOCK(?)", false,
};
static const struct db_stmt_def migrate_read = {
	"migrate_read", "SELECT version, dirty FROM schema_migrations", true,
};
static const struct db_stmt_def migrate_clear = {
	"migrate_clear", "DELETE FROM schema_migrations", true,
};
static const struct db_stmt_def migrate_insert = {
	"migrate_insert",
	"INSERT INTO schema_migrations (version, dirty) VALUES (?, ?)", false,
};

static int
migrate_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return x->version < y->version ? -1 : x->version > y->version;
}

static void
migrate_cleanup(struct migrate *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].up);
		free(m->v[i].down);
	}
	free(m->v);
	if (m->locked) {
		struct db_val p = db_str(m->lock_name);
		db_run(m->db, &migrate_release_lock, &p, 1, (enum db_type[]){ DB_T_INT },
		    1, NULL, NULL, NULL);
	}
	db_free(m->db);
	memset(m, 0, sizeof(*m));
}

/* golang-migrate's file name rule: VERSION_NAME.(up|down).sql */
static int
migrate_scan(struct migrate *m)
{
	const char *dir = m->conf->migrations_dir;
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -1;

	if (d == NULL) {
		log_warn("migrations_dir %s", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		const char *f = e->d_name, *us = strchr(f, '_');
		size_t len = strlen(f), stem;
		bool up;
		char *path, *end;

		if (len > 7 && strcmp(f + len - 7, ".up.sql") == 0) {
			up = true;
			stem = len - 7;
		} else if (len > 9 && strcmp(f + len - 9, ".down.sql") == 0) {
			up = false;
			stem = len - 9;
		} else {
			continue;
		}
		if (us == NULL || us == f || (size_t)(us - f) >= stem)
			continue;
		errno = 0;
		long long version = strtoll(f, &end, 10);
		if (end != us || errno != 0 || version < 0)
			continue;
		struct migration *mg = NULL;
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i].version == version)
				mg = &m->v[i];
		if (mg == NULL) {
			struct migration *nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
			if (nv == NULL)
				fatal("realloc");
			m->v = nv;
			mg = &m->v[m->n++];
			memset(mg, 0, sizeof(*mg));
			mg->version = version;
			if ((mg->name = strndup(f, stem)) == NULL)
				fatal("strndup");
		} else if (strncmp(mg->name, f, stem) != 0 || mg->name[stem] != '\0') {
			log_warnx("migrations_dir %s: two migrations have version %lld",
			    dir, version);
			goto done;
		}
		if (asprintf(&path, "%s/%s", dir, f) < 0)
			fatal("asprintf");
		if (up)
			mg->up = path;
		else
			mg->down = path;
	}
	qsort(m->v, m->n, sizeof(*m->v), migrate_cmp);
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].up == NULL) {
			log_warnx("migrations_dir %s: %s has no .up.sql", dir, m->v[i].name);
			goto done;
		}
	if (m->n == 0) {
		log_warnx("migrations_dir %s: no migrations found", dir);
		goto done;
	}
	rc = 0;
done:
	closedir(d);
	return rc;
}

/* M with the migration files, and no connection yet. */
static int
migrate_scan_only(struct migrate *m, const struct conf *conf)
{
	memset(m, 0, sizeof(*m));
	m->conf = conf;
	snprintf(m->lock_name, sizeof(m->lock_name), "kubernetes-auth:migrate:%s",
	    conf->database.name);
	return migrate_scan(m);
}

static int
migrate_open(struct migrate *m, const struct conf *conf, const char *password)
{
	if (migrate_scan_only(m, conf) < 0)
		return -1;
	if (db_new(conf, password, &m->db) < 0)
		return -1;
	if (db_check(m->db) < 0) {
		log_warnx("migrations: cannot reach the database");
		return -1;
	}
	return 0;
}

static int
migrate_lock(struct migrate *m)
{
	struct db_val p[2] = { db_str(m->lock_name), db_int(MIGRATE_LOCK_WAIT_S) };
	struct db_row row;
	long long got = -2;

	if (db_get(m->db, &migrate_get_lock, p, 2, (enum db_type[]){ DB_T_INT }, 1,
	    &row) == 0) {
		if (row.found && !row.col[0].null)
			got = row.col[0].num;
		db_row_cleanup(&row);
	}
	if (got != 1) {
		log_warnx("migrations: cannot take the lock %s%s", m->lock_name,
		    got == 0 ? " (another process held it too long)" : "");
		return -1;
	}
	if (db_is_galera(m->db))
		log_info("migrations: on Galera the lock %s holds on this node "
		    "only: run migrations from one host at a time", m->lock_name);
	m->locked = true;
	return 0;
}

struct migrate_state {
	long long version;
	bool dirty;
	int rows;
};

static int
migrate_state_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct migrate_state *s = ctx;
	s->version = cols[0].num;
	s->dirty = cols[1].num != 0;
	s->rows++;
	return 0;
}

static int
migrate_read_state(struct migrate *m, struct migrate_state *s)
{
	s->version = MIGRATE_NIL;
	s->dirty = false;
	s->rows = 0;
	if (db_run(m->db, &migrate_create_table, NULL, 0, NULL, 0, NULL, NULL,
	    NULL) < 0)
		return -1;
	if (db_run(m->db, &migrate_read, NULL, 0,
	    (enum db_type[]){ DB_T_INT, DB_T_INT }, 2, migrate_state_row, s,
	    NULL) < 0)
		return -1;
	if (s->rows > 1) {
		log_warnx("migrations: schema_migrations holds %d rows, expected "
		    "one: run `kubernetes-auth migrate force V`", s->rows);
		return -1;
	}
	return 0;
}

struct migrate_set_txn {
	long long version;
	bool dirty;
};

static int
migrate_set_once(struct db *db, void *ctx)
{
	struct migrate_set_txn *tx = ctx;
	struct db_val p[2] = { db_int(tx->version), db_int(tx->dirty) };

	if (db_run(db, &migrate_clear, NULL, 0, NULL, 0, NULL, NULL, NULL) < 0)
		return -1;
	/* As golang-migrate: a nil version keeps a row only while dirty. */
	if ((tx->version != MIGRATE_NIL || tx->dirty) &&
	    db_run(db, &migrate_insert, p, 2, NULL, 0, NULL, NULL, NULL) < 0)
		return -1;
	return 0;
}

/* Record VERSION (MIGRATE_NIL = nothing applied) and DIRTY, atomically. */
static int
migrate_set(struct migrate *m, long long version, bool dirty)
{
	struct migrate_set_txn tx = { version, dirty };

	return db_transaction(m->db, MIGRATE_SET_ATTEMPTS, migrate_set_once,
	    &tx);
}

static char *
migrate_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL) {
		log_warn("%s", path);
		return NULL;
	}
	buf = malloc(MIGRATE_MAX_FILE + 1);
	if (buf == NULL)
		fatal("malloc");
	len = fread(buf, 1, MIGRATE_MAX_FILE + 1, f);
	if (ferror(f) || len > MIGRATE_MAX_FILE) {
		log_warnx("%s: unreadable or larger than %d bytes", path,
		    MIGRATE_MAX_FILE);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static bool
migrate_blank(const char *sql)
{
	/* Only whitespace and "--" comment lines: nothing to send. */
	const char *p = sql;
	while (*p != '\0') {
		if (*p == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
		} else {
			return false;
		}
	}
	return true;
}

/* Run one file with the dirty bookkeeping around it. */
static int
migrate_run_file(struct migrate *m, const char *path, long long target,
    const char *what)
{
	char *sql = migrate_read_file(path);
	int rc = -1;

	if (sql == NULL)
		return -1;
	if (migrate_set(m, target, true) < 0)
		goto done;
	if (!migrate_blank(sql) && db_exec_script(m->db, sql, path) < 0) {
		long long shown = target;
		log_warnx("migrations: %s failed; the database is now dirty at "
		    "version %lld. Repair the schema by hand, then run "
		    "`kubernetes-auth migrate force V` with the version it matches",
		    what, shown);
		goto done;
	}
	/* A failed script dropped the connection and with it the lock; a
	 * good one keeps both. */
	if (migrate_set(m, target, false) < 0)
		goto done;
	rc = 0;
done:
	free(sql);
	return rc;
}

static ssize_t
migrate_index(const struct migrate *m, long long version)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		if (m->v[i].version == version)
			return (ssize_t)i;
	return -1;
}

static int
migrate_check_clean(const struct migrate_state *s)
{
	if (!s->dirty)
		return 0;
	log_warnx("migrations: the database is dirty at version %lld (a "
	    "migration failed half way). Repair the schema by hand, then run "
	    "`kubernetes-auth migrate force %lld` (or force the version it "
	    "matches) and start again", s->version, s->version);
	return -1;
}

/* Apply at most LIMIT (< 0: all) pending up migrations. */
static int
migrate_up(struct migrate *m, long limit, bool at_start)
{
	struct migrate_state s;
	size_t i, first = 0;
	long applied = 0;

	if (migrate_read_state(m, &s) < 0 || migrate_check_clean(&s) < 0)
		return -1;
	if (s.version != MIGRATE_NIL) {
		ssize_t at = migrate_index(m, s.version);
		if (at < 0 && s.version > m->v[m->n - 1].version) {
			log_warnx("migrations: the database is at version %lld, newer "
			    "than this release's latest (%lld): %s", s.version,
			    m->v[m->n - 1].version, at_start ? "starting anyway" :
			    "nothing to do");
			return 0;
		}
		if (at < 0) {
			log_warnx("migrations: the database is at version %lld, which "
			    "is not among the files in %s", s.version,
			    m->conf->migrations_dir);
			return -1;
		}
		first = (size_t)at + 1;
	}
	for (i = first; i < m->n && (limit < 0 || applied < limit); i++) {
		if (migrate_run_file(m, m->v[i].up, m->v[i].version, m->v[i].name) < 0)
			return -1;
		log_info("migrations: applied %s", m->v[i].name);
		applied++;
	}
	if (applied == 0)
		log_debug("migrations: the database is up to date (version %lld)",
		    s.version);
	return 0;
}

static int
migrate_down(struct migrate *m, long count)
{
	struct migrate_state s;
	long done;

	if (migrate_read_state(m, &s) < 0 || migrate_check_clean(&s) < 0)
		return -1;
	for (done = 0; done < count; done++) {
		if (s.version == MIGRATE_NIL) {
			log_info("migrations: nothing left to undo");
			break;
		}
		ssize_t at = migrate_index(m, s.version);
		if (at < 0) {
			log_warnx("migrations: the database is at version %lld, which "
			    "is not among the files in %s", s.version,
			    m->conf->migrations_dir);
			return -1;
		}
		if (m->v[at].down == NULL) {
			log_warnx("migrations: %s has no .down.sql", m->v[at].name);
			return -1;
		}
		long long prev = at > 0 ? m->v[at - 1].version : MIGRATE_NIL;
		if (migrate_run_file(m, m->v[at].down, prev, m->v[at].name) < 0)
			return -1;
		log_info("migrations: undid %s", m->v[at].name);
		s.version = prev;
	}
	return 0;
}

/* GET_LOCK on a Galera node locks that node only: two hosts migrating at
 * once through two nodes would both get it. */
static const char migrate_galera_advice[] =
    "set database.migrate_on_start: false on every host and run "
    "`kubernetes-auth migrate up` from one host (doc/high-availability.md)";

int
migrate_on_start(const struct conf *conf, const char *db_password)
{
	struct migrate m;
	int rc = -1;

	if (migrate_open(&m, conf, db_password) < 0)
		goto done;
	if (db_is_galera(m.db)) {
		log_warnx("migrations: database.migrate_on_start is set, but the "
		    "database is a Galera cluster, where GET_LOCK locks one node "
		    "only and cannot keep two hosts from migrating at once: %s",
		    migrate_galera_advice);
		goto done;
	}
	if (migrate_lock(&m) < 0)
		goto done;
	rc = migrate_up(&m, -1, true);
done:
	migrate_cleanup(&m);
	return rc;
}

int
migrate_check(const struct conf *conf, const char *db_password)
{
	struct migrate_state s;
	struct migrate m;
	long long latest;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	if (migrate_scan_only(&m, conf) < 0)
		goto done;
	latest = m.v[m.n - 1].version;
	if (db_new(conf, db_password, &m.db) < 0)
		goto done;
	/* Down now, perhaps back soon: serving 503s until then is better
	 * than not starting (the other hosts may be upgraded meanwhile). */
	if (db_check(m.db) < 0) {
		log_warnx("migrations: cannot reach the database to check its "
		    "schema version; starting anyway");
		rc = 0;
		goto done;
	}
	if (migrate_read_state(&m, &s) < 0 || migrate_check_clean(&s) < 0)
		goto done;
	if (s.version == MIGRATE_NIL || s.version < latest) {
		log_warnx("migrations: the database is at version %lld and this "
		    "release needs %lld; with database.migrate_on_start: false, "
		    "run `kubernetes-auth migrate up` (from one host) first",
		    s.version == MIGRATE_NIL ? 0 : s.version, latest);
		goto done;
	}
	if (s.version > latest)
		log_info("migrations: the database is at version %lld, newer than "
		    "this release's %lld (another host runs a newer release)",
		    s.version, latest);
	rc = 0;
done:
	migrate_cleanup(&m);
	return rc;
}

static int
migrate_number(const char *text, long long min, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	return text[0] == '\0' || *end != '\0' || errno != 0 || *out < min ? -1 : 0;
}

int
migrate_command(const struct conf *conf, const char *db_password,
    const char *const *args, int nargs)
{
	const char *verb = nargs > 0 ? args[0] : "";
	long long n = -1;
	struct migrate m;
	int rc = -1;

	if (strcmp(verb, "up") == 0 && nargs <= 2) {
		if (nargs == 2 && migrate_number(args[1], 1, &n) < 0)
			goto usage;
	} else if (strcmp(verb, "down") == 0 && nargs == 2) {
		if (migrate_number(args[1], 1, &n) < 0)
			goto usage;
	} else if (strcmp(verb, "force") == 0 && nargs == 2) {
		/* "none" (no migration applied) is golang-migrate's -1, which
		 * the command line would take for an option. */
		if (strcmp(args[1], "none") != 0 &&
		    migrate_number(args[1], -1, &n) < 0)
			goto usage;
	} else if (!(strcmp(verb, "version") == 0 && nargs == 1)) {
		goto usage;
	}

	if (migrate_open(&m, conf, db_password) < 0)
		goto done;
	if (strcmp(verb, "version") == 0) {
		struct migrate_state s;
		if (migrate_read_state(&m, &s) < 0)
			goto done;
		if (s.version == MIGRATE_NIL && !s.dirty)
			printf("none\n");
		else
			printf("%lld%s\n", s.version, s.dirty ? " (dirty)" : "");
		rc = 0;
		goto done;
	}
	if (migrate_lock(&m) < 0)
		goto done;
	if (strcmp(verb, "up") == 0) {
		rc = migrate_up(&m, (long)n, false);
	} else if (strcmp(verb, "down") == 0) {
		rc = migrate_down(&m, (long)n);
	} else {
		if (strcmp(args[1], "none") == 0)
			n = MIGRATE_NIL;
		if (n != MIGRATE_NIL && migrate_index(&m, n) < 0)
			log_warnx("migrations: %lld is not the version of any file "
			    "in %s", n, conf->migrations_dir);
		rc = migrate_read_state(&m, &(struct migrate_state){ 0 });
		if (rc == 0)
			rc = migrate_set(&m, n, false);
		if (rc == 0)
			log_info("migrations: version forced to %lld", n);
	}
done:
	migrate_cleanup(&m);
	return rc == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: kubernetes-auth migrate up [N] | down N | version | "
	    "force V\n  (N a positive count; V a version, or none)\n");
	return 2;
}
