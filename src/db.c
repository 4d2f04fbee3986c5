/*
 * db.c — MariaDB Connector/C connection with timeouts and reconnects.
 */
#include "db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"

struct db {
	const struct conf *conf;
	char *password;
	MYSQL *mysql;           /* NULL when not connected */
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
	if (password != NULL && (db->password = strdup(password)) == NULL) {
		log_warn("strdup");
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
	free(db);
}

void
db_disconnect(struct db *db)
{
	if (db->mysql != NULL) {
		mysql_close(db->mysql);
		db->mysql = NULL;
	}
}

/* The connector takes whole seconds; round up so a 500ms setting is not 0
 * (which would mean "no timeout"). */
static unsigned int
db_seconds(int64_t ms)
{
	return (unsigned int)((ms + 999) / 1000);
}

static const char *
db_where(const struct db *db, char *buf, size_t size)
{
	const struct conf *c = db->conf;
	if (c->database.socket[0] != '\0')
		snprintf(buf, size, "%s", c->database.socket);
	else
		snprintf(buf, size, "%s:%d", c->database.host, c->database.port);
	return buf;
}

static int
db_connect(struct db *db)
{
	const struct conf *c = db->conf;
	unsigned int connect_timeout = db_seconds(c->database.connect_timeout_ms);
	unsigned int read_timeout = db_seconds(c->database.read_timeout_ms);
	char where[300];
	MYSQL *m;

	db_disconnect(db);
	m = mysql_init(NULL);
	if (m == NULL) {
		log_warnx("mysql_init: out of memory");
		return -1;
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Times are stored and compared in UTC whatever the server's zone. */
	mysql_optionsv(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (c->database.tls_ca_file[0] != '\0') {
		my_bool verify = 1;
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, c->database.tls_ca_file);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (mysql_real_connect(m,
	    c->database.socket[0] != '\0' ? NULL : c->database.host,
	    c->database.user, db->password, c->database.name,
	    c->database.socket[0] != '\0' ? 0 : (unsigned int)c->database.port,
	    c->database.socket[0] != '\0' ? c->database.socket : NULL,
	    0) == NULL) {
		log_warnx("database %s: cannot connect: %s (%u)",
		    db_where(db, where, sizeof(where)), mysql_error(m), mysql_errno(m));
		mysql_close(m);
		return -1;
	}
	db->mysql = m;
	log_debug("database %s: connected (server %s)",
	    db_where(db, where, sizeof(where)), mysql_get_server_info(m));
	return 0;
}

int
db_check(struct db *db)
{
	char where[300];

	if (db->mysql == NULL)
		return db_connect(db);
	if (mysql_ping(db->mysql) == 0)
		return 0;
	log_warnx("database %s: connection lost: %s (%u); reconnecting",
	    db_where(db, where, sizeof(where)), mysql_error(db->mysql),
	    mysql_errno(db->mysql));
	return db_connect(db);
}

MYSQL *
db_mysql(struct db *db)
{
	return db->mysql;
}
