/*
 * store.c — users, tokens, clusters, policies: every statement prepared.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db.h"
#include "ktime.h"
#include "log.h"

#define STORE_CREATE_ATTEMPTS 5
/* Runs of a transaction that keeps deadlocking before we give up. */
#define STORE_TXN_ATTEMPTS 3
#define STORE_PURGE_BATCH 1000

/* --- users ---------------------------------------------------------------- */

static const struct db_stmt_def store_user_insert = {
	"user_insert",
	"INSERT INTO users (id, username, created_at) VALUES (?, ?, ?)", false,
};
static const struct db_stmt_def store_user_select_all = {
	"user_select_all",
	"SELECT id, username, created_at FROM users ORDER BY created_at, id", true,
};
static const struct db_stmt_def store_user_select_name = {
	"user_select_name",
	"SELECT id, username, created_at FROM users WHERE username = ?", true,
};
static const struct db_stmt_def store_user_select_id = {
	"user_select_id",
	"SELECT id, username, created_at FROM users WHERE id = ?", true,
};
/* A page: the (created_at, id) of the previous page's last user bounds it,
 * which the users_created index (created_at, and id as InnoDB appends the
 * primary key) serves in order. */
static const struct db_stmt_def store_user_select_page = {
	"user_select_page",
	"SELECT id, username, created_at FROM users WHERE username LIKE ? AND "
	"(created_at > ? OR (created_at = ? AND id > ?)) "
	"ORDER BY created_at, id LIMIT ?", true,
};
static const struct db_stmt_def store_user_delete_id = {
	"user_delete", "DELETE FROM users WHERE id = ?", true,
};

static const enum db_type store_user_cols[] = { DB_T_STR, DB_T_BIN, DB_T_TIME };

/* A users row (id, username, created_at) as a struct store_user. */
static void
store_user_from_row(const struct db_val *c, struct store_user *u)
{
	*u = (struct store_user){ .created_us = c[2].num };
	snprintf(u->id, sizeof(u->id), "%s", c[0].str);
	u->username_len = c[1].len < STORE_USERNAME_MAX ? c[1].len :
	    STORE_USERNAME_MAX;
	memcpy(u->username, c[1].str, u->username_len);
	u->username[u->username_len] = '\0';
}

struct store_user_walk {
	store_user_fn fn;
	void *ctx;
};

static int
store_user_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_user_walk *w = ctx;
	struct store_user u;

	store_user_from_row(c, &u);
	return w->fn(w->ctx, &u);
}

int
store_user_create(struct db *db, struct store_user *u)
{
	if (u->id[0] == '\0' && crypto_uuid_new(u->id) < 0)
		return -1;
	if (u->created_us == 0)
		u->created_us = ktime_now_us();
	struct db_val p[] = { db_str(u->id), db_bin(u->username, u->username_len),
	    db_time(u->created_us) };
	return db_run(db, &store_user_insert, p, 3, NULL, 0, NULL, NULL, NULL);
}

int
store_user_list(struct db *db, const char *username, store_user_fn fn, void *ctx)
{
	struct store_user_walk w = { fn, ctx };
	struct db_val p = username != NULL ? db_bin(username, strlen(username)) :
	    db_null(DB_T_BIN);

	return db_run(db, username != NULL ? &store_user_select_name :
	    &store_user_select_all, &p, username != NULL ? 1 : 0,
	    store_user_cols, 3, store_user_row, &w, NULL);
}

/* S as the start of a LIKE pattern into OUT (SIZE bytes; 2 * strlen(S) +
 * strlen(SUFFIX) + 1 hold it whole): LIKE's own %, _ and \ escaped, then
 * SUFFIX as it is ("%" and the like). */
static void
store_like(const char *s, const char *suffix, char *out, size_t size)
{
	size_t n = 0, k = strlen(suffix);

	for (; *s != '\0' && n + 2 + k < size; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	memcpy(out + n, suffix, k + 1);
}

int
store_user_list_page(struct db *db, const struct store_user_page *page,
    store_user_fn fn, void *ctx, bool *after_found)
{
	struct store_user_walk w = { fn, ctx };
	char pattern[2 * STORE_USERNAME_MAX + 2];
	struct store_user after = { .id = "", .created_us = 0 };
	bool found = true;

	*after_found = true;
	if (page->after_id != NULL) {
		if (store_user_get(db, page->after_id, &after, &found) < 0)
			return -1;
		if (!found) {
			*after_found = false;
			return 0;
		}
	}
	store_like(page->prefix != NULL ? page->prefix : "", "%", pattern,
	    sizeof(pattern));
	struct db_val p[] = { db_bin(pattern, strlen(pattern)),
	    db_time(after.created_us), db_time(after.created_us), db_str(after.id),
	    db_int(page->limit > 0 && page->limit < (unsigned long long)INT64_MAX ?
	    (long long)page->limit : INT64_MAX) };
	return db_run(db, &store_user_select_page, p, 5, store_user_cols, 3,
	    store_user_row, &w, NULL);
}

/* The one user DEF finds with KEY. */
static int
store_user_one(struct db *db, const struct db_stmt_def *def, struct db_val key,
    struct store_user *u, bool *found)
{
	struct db_row row;

	*found = false;
	if (db_get(db, def, &key, 1, store_user_cols, 3, &row) < 0)
		return -1;
	if (row.found)
		store_user_from_row(row.col, u);
	*found = row.found;
	db_row_cleanup(&row);
	return 0;
}

int
store_user_get(struct db *db, const char *id, struct store_user *u, bool *found)
{
	return store_user_one(db, &store_user_select_id, db_str(id), u, found);
}

int
store_user_find(struct db *db, const char *username, struct store_user *u,
    bool *found)
{
	return store_user_one(db, &store_user_select_name,
	    db_bin(username, strlen(username)), u, found);
}

int
store_user_delete(struct db *db, const char *id, bool *found)
{
	struct db_val p = db_str(id);
	unsigned long long n = 0;

	*found = false;
	/* Tokens and their cluster rows go by ON DELETE CASCADE. */
	if (db_run(db, &store_user_delete_id, &p, 1, NULL, 0, NULL, NULL, &n) < 0)
		return -1;
	*found = n > 0;
	return 0;
}

/* --- tokens --------------------------------------------------------------- */

static const struct db_stmt_def store_token_insert = {
	"token_insert",
	"INSERT INTO tokens (id, user_id, token_hmac, token_enc, key_id, "
	"description, scoped, expiry, created_at, username) VALUES "
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT username FROM users WHERE id = ?))",
	false,
};
static const struct db_stmt_def store_token_cluster_insert = {
	"token_cluster_insert",
	"INSERT INTO token_clusters (token_id, cluster_id) "
	"SELECT ?, id FROM clusters WHERE name = ?", false,
};

#define STORE_TOKEN_SELECT \
	"SELECT t.id, t.user_id, t.description, t.expiry, t.created_at, " \
	"t.key_id, t.token_enc, t.scoped, c.name, t.last_used_at FROM tokens t " \
	"LEFT JOIN token_clusters tc ON tc.token_id = t.id " \
	"LEFT JOIN clusters c ON c.id = tc.cluster_id " \
	"WHERE t.revoked_at IS NULL "
#define STORE_TOKEN_ORDER " ORDER BY t.created_at, t.id, c.name"

static const struct db_stmt_def store_token_select_all = {
	"token_select_all", STORE_TOKEN_SELECT STORE_TOKEN_ORDER, true,
};
static const struct db_stmt_def store_token_select_user = {
	"token_select_user",
	STORE_TOKEN_SELECT "AND t.user_id = ?" STORE_TOKEN_ORDER, true,
};
static const struct db_stmt_def store_token_select_id = {
	"token_select_id", STORE_TOKEN_SELECT "AND t.id = ?" STORE_TOKEN_ORDER, true,
};
static const struct db_stmt_def store_token_revoke_id = {
	"token_revoke",
	"UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	true,
};
static const struct db_stmt_def store_token_revoke_owned_id = {
	"token_revoke_owned",
	"UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND "
	"revoked_at IS NULL", true,
};
static const struct db_stmt_def store_token_exists_id = {
	"token_exists", "SELECT 1 FROM tokens WHERE id = ?", true,
};
static const struct db_stmt_def store_token_purge_old = {
	"token_purge",
	"DELETE FROM tokens WHERE expiry < ? OR revoked_at < ? LIMIT 1000", true,
};

static const enum db_type store_token_cols[] = { DB_T_STR, DB_T_STR, DB_T_STR,
    DB_T_TIME, DB_T_TIME, DB_T_INT, DB_T_BIN, DB_T_INT, DB_T_BIN, DB_T_TIME };

/* The result holds one row per (token, cluster): gather a token's rows. */
struct store_token_walk {
	const struct crypto_keyring *ring;
	store_token_fn fn;
	void *ctx;
	struct store_token cur;
	char *description;
	char **clusters;
	size_t nclusters, cap;
	bool have;
};

static void
store_token_walk_reset(struct store_token_walk *w)
{
	size_t i;

	for (i = 0; i < w->nclusters; i++)
		free(w->clusters[i]);
	w->nclusters = 0;
	free(w->description);
	w->description = NULL;
	OPENSSL_cleanse(w->cur.token, sizeof(w->cur.token));
	w->have = false;
}

static int
store_token_flush(struct store_token_walk *w)
{
	int rc = 0;

	if (!w->have)
		return 0;
	w->cur.description = w->description;
	w->cur.clusters = (const char *const *)w->clusters;
	w->cur.nclusters = w->nclusters;
	if (w->fn != NULL)
		rc = w->fn(w->ctx, &w->cur);
	store_token_walk_reset(w);
	return rc;
}

static char *
store_strdup(const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		fatal("strdup");
	return copy;
}

static int
store_token_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_token_walk *w = ctx;

	if (w->have && strcmp(w->cur.id, c[0].str) != 0 && store_token_flush(w) < 0)
		return -1;
	if (!w->have) {
		struct store_token *t = &w->cur;
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", c[0].str);
		snprintf(t->user_id, sizeof(t->user_id), "%s", c[1].str);
		w->description = store_strdup(c[2].str);
		t->expiry_us = c[3].num;
		t->created_us = c[4].num;
		t->scoped = c[7].num != 0;
		t->last_used_us = c[9].null ? 0 : c[9].num;
		if (!c[6].null && w->ring != NULL) {
			const struct crypto_key *key =
			    crypto_keyring_find(w->ring, (uint32_t)c[5].num);
			if (key == NULL)
				log_debug("token %s: key %lld is not in tokens.key_file: "
				    "cannot show it", t->id, c[5].num);
			else if (crypto_token_open(key, (const unsigned char *)c[6].str,
			    c[6].len, t->id, t->token) < 0)
				log_warnx("token %s: its sealed copy does not open with "
				    "key %lld (altered in the database?)", t->id, c[5].num);
		}
		w->have = true;
	}
	if (!c[8].null) {
		if (w->nclusters == w->cap) {
			size_t cap = w->cap == 0 ? 4 : 2 * w->cap;
			char **v = realloc(w->clusters, cap * sizeof(*v));
			if (v == NULL)
				fatal("realloc");
			w->clusters = v;
			w->cap = cap;
		}
		w->clusters[w->nclusters++] = store_strdup(c[8].str);
	}
	return 0;
}

int
store_token_list(struct db *db, const struct crypto_keyring *ring,
    const char *user_id, const char *id, store_token_fn fn, void *ctx)
{
	struct store_token_walk w = { .ring = ring, .fn = fn, .ctx = ctx };
	const struct db_stmt_def *def = &store_token_select_all;
	struct db_val p;
	size_t np = 0;
	int rc;

	if (id != NULL) {
		def = &store_token_select_id;
		p = db_str(id);
		np = 1;
	} else if (user_id != NULL) {
		def = &store_token_select_user;
		p = db_str(user_id);
		np = 1;
	}
	rc = db_run(db, def, &p, np, store_token_cols, 10, store_token_row, &w,
	    NULL);
	if (rc == 0)
		rc = store_token_flush(&w);
	store_token_walk_reset(&w);
	free(w.clusters);
	return rc;
}

struct store_token_scoped_txn {
	const struct db_val *p;         /* the token row's parameters */
	const struct store_token_new *in;
	const char *missing;            /* out: a cluster that is not there */
};

/* A scoped token's row and its cluster rows, in a transaction. */
static int
store_token_insert_scoped(struct db *db, void *ctx)
{
	struct store_token_scoped_txn *tx = ctx;
	const struct store_token_new *in = tx->in;
	size_t i;

	tx->missing = NULL;
	if (db_run(db, &store_token_insert, tx->p, 10, NULL, 0, NULL, NULL,
	    NULL) < 0)
		return -1;
	for (i = 0; i < in->nclusters; i++) {
		struct db_val q[] = { tx->p[0], db_bin(in->clusters[i],
		    strlen(in->clusters[i])) };
		unsigned long long n = 0;
		if (db_run(db, &store_token_cluster_insert, q, 2, NULL, 0, NULL,
		    NULL, &n) < 0)
			return -1;
		if (n == 0) {
			tx->missing = in->clusters[i];
			return -1;
		}
	}
	return 0;
}

/* One attempt at inserting a token and its cluster rows. */
static int
store_token_insert_once(struct db *db, const struct db_val *p,
    const struct store_token_new *in, const char **missing)
{
	struct store_token_scoped_txn tx = { .p = p, .in = in };
	int rc;

	if (in->nclusters == 0)
		return db_run(db, &store_token_insert, p, 10, NULL, 0, NULL, NULL, NULL);
	/* Once: store_token_create() runs a deadlocked insert again, and
	 * retrying here too would multiply its attempts. */
	rc = db_transaction(db, 1, store_token_insert_scoped, &tx);
	*missing = tx.missing;
	return rc;
}

int
store_token_create(struct db *db, const struct crypto_keyring *ring,
    bool reveal, const struct store_token_new *in, struct store_token *out,
    const char **missing)
{
	const struct crypto_key *key = crypto_keyring_newest(ring);
	unsigned char hmac[CRYPTO_SHA256_LEN], sealed[CRYPTO_SEALED_LEN];
	int attempt, rc = -1;

	*missing = NULL;
	memset(out, 0, sizeof(*out));
	if (key == NULL) {
		log_warnx("no token key loaded");
		return -1;
	}
	out->created_us = in->created_us != 0 ? in->created_us : ktime_now_us();
	for (attempt = 0; attempt < STORE_CREATE_ATTEMPTS; attempt++) {
		if (in->id != NULL)
			snprintf(out->id, sizeof(out->id), "%s", in->id);
		else if (crypto_uuid_new(out->id) < 0)
			goto done;
		if (in->token != NULL)
			snprintf(out->token, sizeof(out->token), "%s", in->token);
		else if (crypto_token_new(out->token) < 0)
			goto done;
		if (crypto_token_hmac(key, out->token, strlen(out->token), hmac) < 0 ||
		    (reveal && crypto_token_seal(key, out->token, out->id, sealed) < 0))
			goto done;
		struct db_val p[] = {
			db_str(out->id), db_str(in->user_id),
			db_bin(hmac, sizeof(hmac)),
			reveal ? db_bin(sealed, sizeof(sealed)) : db_null(DB_T_BIN),
			db_int(key->id), db_str(in->description),
			db_int(in->nclusters > 0), db_time(in->expiry_us),
			db_time(out->created_us), db_str(in->user_id),
		};
		if (store_token_insert_once(db, p, in, missing) == 0) {
			rc = 0;
			goto done;
		}
		if (*missing != NULL)
			goto done;
		if (db_error(db) == DB_ERR_NO_PARENT) {
			*missing = "user_id";
			goto done;
		}
		/* A secret or id that exists already: only a fresh one helps
		 * (an imported one is what it is). A deadlock: run it again. */
		if (db_error(db) == DB_ERR_DUPLICATE && in->id == NULL &&
		    in->token == NULL) {
			log_warnx("token insert: duplicate key, making a new token");
			continue;
		}
		if (db_error(db) == DB_ERR_DEADLOCK)
			continue;
		goto done;
	}
	log_warnx("token insert: gave up after %d attempts", STORE_CREATE_ATTEMPTS);
done:
	OPENSSL_cleanse(hmac, sizeof(hmac));
	OPENSSL_cleanse(sealed, sizeof(sealed));
	if (rc < 0)
		OPENSSL_cleanse(out->token, sizeof(out->token));
	out->user_id[0] = '\0';
	snprintf(out->user_id, sizeof(out->user_id), "%s", in->user_id);
	out->description = in->description;
	out->expiry_us = in->expiry_us;
	out->scoped = in->nclusters > 0;
	out->clusters = in->clusters;
	out->nclusters = in->nclusters;
	return rc;
}

int
store_token_revoke(struct db *db, const char *id, bool *found)
{
	struct db_val p[] = { db_time(ktime_now_us()), db_str(id) };
	unsigned long long n = 0;

	*found = false;
	if (db_run(db, &store_token_revoke_id, p, 2, NULL, 0, NULL, NULL, &n) < 0)
		return -1;
	*found = n > 0;
	return 0;
}

int
store_token_revoke_owned(struct db *db, const char *id, const char *user_id,
    bool *found)
{
	struct db_val p[] = { db_time(ktime_now_us()), db_str(id),
	    db_str(user_id) };
	unsigned long long n = 0;

	*found = false;
	if (db_run(db, &store_token_revoke_owned_id, p, 3, NULL, 0, NULL, NULL,
	    &n) < 0)
		return -1;
	*found = n > 0;
	return 0;
}

int
store_token_exists(struct db *db, const char *id, bool *found)
{
	struct db_val p = db_str(id);
	struct db_row row;

	*found = false;
	if (db_get(db, &store_token_exists_id, &p, 1, (enum db_type[]){ DB_T_INT },
	    1, &row) < 0)
		return -1;
	*found = row.found;
	db_row_cleanup(&row);
	return 0;
}

int
store_token_purge(struct db *db, int64_t before_us, unsigned long long *count)
{
	struct db_val p[] = { db_time(before_us), db_time(before_us) };
	unsigned long long n;

	*count = 0;
	/* In batches: a long DELETE would hold locks the webhook needs. */
	do {
		n = 0;
		if (db_run(db, &store_token_purge_old, p, 2, NULL, 0, NULL, NULL, &n) < 0)
			return -1;
		*count += n;
	} while (n == STORE_PURGE_BATCH);
	return 0;
}

/* --- authentication ------------------------------------------------------ */

#define STORE_HMAC_PLACEHOLDERS "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

/* One row of one table (sql/1732521630_tokens_username.up.sql): the user's
 * stored id is on the token row. */
#define STORE_TOKEN_AUTH_SELECT \
	"SELECT t.id, t.user_id, t.username, t.key_id, t.token_hmac, t.expiry, " \
	"t.revoked_at IS NOT NULL, t.scoped, t.last_used_at " \
	"FROM tokens t "
static const struct db_stmt_def store_token_by_hmac = {
	"token_by_hmac",
	STORE_TOKEN_AUTH_SELECT
	"WHERE t.token_hmac IN (" STORE_HMAC_PLACEHOLDERS ")", true,
};
/* One key (the usual case): one HMAC to send, not STORE_HMAC_SLOTS. */
static const struct db_stmt_def store_token_by_hmac1 = {
	"token_by_hmac1",
	STORE_TOKEN_AUTH_SELECT "WHERE t.token_hmac = ?", true,
};
static const struct db_stmt_def store_token_cluster_member = {
	"token_cluster_member",
	"SELECT 1 FROM token_clusters WHERE token_id = ? AND cluster_id = ?", true,
};
static const struct db_stmt_def store_token_touch_id = {
	"token_touch",
	"UPDATE tokens SET last_used_at = ? WHERE id = ? AND "
	"(last_used_at IS NULL OR last_used_at < ?)", true,
};
static const struct db_stmt_def store_token_described = {
	"token_described",
	"SELECT id FROM tokens WHERE user_id = ? AND "
	"(description = ? OR description LIKE ?) AND "
	"revoked_at IS NULL AND expiry > ? ORDER BY created_at DESC, id", true,
};

static const enum db_type store_token_auth_cols[] = { DB_T_STR, DB_T_STR,
    DB_T_BIN, DB_T_INT, DB_T_BIN, DB_T_TIME, DB_T_INT, DB_T_INT, DB_T_TIME };

/* Looking up a presented token: its HMAC under each key, and the row that
 * one of them finds. */
struct store_token_lookup {
	const struct crypto_keyring *ring;
	unsigned char hmacs[CRYPTO_KEYRING_MAX][CRYPTO_SHA256_LEN];
	struct store_token_auth *out;
	bool found;
	bool no_username;               /* a row of the previous release */
};

/* An id column into OUT (room for an id and its NUL): a copy, not a
 * snprintf, on the lookup every review makes. */
static void
store_copy_id(char out[STORE_ID_LEN + 1], const struct db_val *c)
{
	size_t n = c->len < STORE_ID_LEN ? c->len : STORE_ID_LEN;

	memcpy(out, c->str, n);
	out[n] = '\0';
}

/* A row whose token_hmac is one of ours. It counts only when it was made
 * with the key whose HMAC found it: another key's HMAC that happens to
 * match is no proof of the token. */
static int
store_token_auth_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_token_lookup *l = ctx;
	struct store_token_auth *t = l->out;
	uint32_t key_id = (uint32_t)c[3].num;
	size_t i;

	if (l->found || c[4].len != CRYPTO_SHA256_LEN)
		return 0;
	for (i = 0; i < l->ring->n; i++)
		if (l->ring->v[i].id == key_id &&
		    crypto_equal(l->hmacs[i], c[4].str, CRYPTO_SHA256_LEN))
			break;
	if (i == l->ring->n)
		return 0;
	l->found = true;
	store_copy_id(t->id, &c[0]);
	store_copy_id(t->user_id, &c[1]);
	l->no_username = c[2].null;
	t->username_len = c[2].null ? 0 : c[2].len < STORE_USERNAME_MAX ?
	    c[2].len : STORE_USERNAME_MAX;
	if (t->username_len > 0)
		memcpy(t->username, c[2].str, t->username_len);
	t->username[t->username_len] = '\0';
	t->key_id = key_id;
	t->expiry_us = c[5].num;
	t->revoked = c[6].num != 0;
	t->scoped = c[7].num != 0;
	t->last_used_us = c[8].null ? 0 : c[8].num;
	return 0;
}

/* The rows whose token_hmac is one of L's HMACs: one query on the unique
 * token_hmac index (per STORE_HMAC_SLOTS keys). */
static int
store_token_by_hmacs(struct db *db, struct store_token_lookup *l)
{
	size_t i, k, n = l->ring->n;
	struct db_val p[STORE_HMAC_SLOTS];

	if (n == 1) {
		p[0] = db_bin(l->hmacs[0], CRYPTO_SHA256_LEN);
		return db_run(db, &store_token_by_hmac1, p, 1,
		    store_token_auth_cols, 9, store_token_auth_row, l, NULL);
	}
	for (i = 0; i < n && !l->found; i += STORE_HMAC_SLOTS) {
		/* Unused slots repeat an HMAC of this batch: IN ignores it. */
		for (k = 0; k < STORE_HMAC_SLOTS; k++)
			p[k] = db_bin(l->hmacs[i + k < n ? i + k : i],
			    CRYPTO_SHA256_LEN);
		if (db_run(db, &store_token_by_hmac, p, STORE_HMAC_SLOTS,
		    store_token_auth_cols, 9, store_token_auth_row, l,
		    NULL) < 0)
			return -1;
	}
	return 0;
}

int
store_token_find(struct db *db, const struct crypto_keyring *ring,
    const char *token, size_t len, struct store_token_auth *t, bool *found)
{
	struct store_token_lookup l = { .ring = ring, .out = t };
	size_t i;
	int rc = -1;

	*found = false;
	memset(t, 0, sizeof(*t));
	if (ring == NULL || ring->n == 0) {
		log_warnx("token lookup: no token key loaded");
		return -1;
	}
	for (i = 0; i < ring->n; i++)
		if (crypto_token_hmac(&ring->v[i], token, len, l.hmacs[i]) < 0)
			goto done;
	crypto_fingerprint(l.hmacs[ring->n - 1], t->fingerprint);
	if (store_token_by_hmacs(db, &l) < 0)
		goto done;
	if (l.found && l.no_username) {
		/* Made by the previous release, which does not copy the
		 * username onto the token row. */
		struct store_user u;
		bool user_found;
		if (store_user_get(db, t->user_id, &u, &user_found) < 0)
			goto done;
		l.found = user_found;
		if (user_found) {
			memcpy(t->username, u.username, u.username_len + 1);
			t->username_len = u.username_len;
		}
	}
	*found = l.found;
	rc = 0;
done:
	/* The ones computed: the array has room for CRYPTO_KEYRING_MAX. */
	OPENSSL_cleanse(l.hmacs, ring->n * sizeof(l.hmacs[0]));
	return rc;
}

int
store_token_in_cluster(struct db *db, const char *token_id,
    const char *cluster_id, bool *in)
{
	struct db_val p[] = { db_str(token_id), db_str(cluster_id) };
	struct db_row row;

	*in = false;
	if (db_get(db, &store_token_cluster_member, p, 2,
	    (enum db_type[]){ DB_T_INT }, 1, &row) < 0)
		return -1;
	*in = row.found;
	db_row_cleanup(&row);
	return 0;
}

int
store_token_touch(struct db *db, const char *id, int64_t now_us)
{
	struct db_val p[] = { db_time(now_us), db_str(id),
	    db_time(now_us - STORE_TOUCH_US) };

	return db_run(db, &store_token_touch_id, p, 3, NULL, 0, NULL, NULL, NULL);
}

struct store_id_walk {
	store_id_fn fn;
	void *ctx;
};

static int
store_id_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_id_walk *w = ctx;

	return w->fn(w->ctx, c[0].str);
}

int
store_token_list_described(struct db *db, const char *user_id,
    const char *description, int64_t now_us, store_id_fn fn, void *ctx)
{
	struct store_id_walk w = { fn, ctx };
	size_t size = 2 * strlen(description) + 4;
	char *pattern = malloc(size);
	int rc;

	if (pattern == NULL)
		fatal("malloc");
	store_like(description, ": %", pattern, size);      /* "DESCRIPTION: %" */
	struct db_val p[] = { db_str(user_id), db_str(description),
	    db_str(pattern), db_time(now_us) };
	rc = db_run(db, &store_token_described, p, 4,
	    (enum db_type[]){ DB_T_STR }, 1, store_id_row, &w, NULL);
	free(pattern);
	return rc;
}

/* --- clusters ------------------------------------------------------------- */

static int store_policy_bump(struct db *db);

static const struct db_stmt_def store_cluster_insert = {
	"cluster_insert",
	"INSERT INTO clusters (id, name, master, node, kubeconfig, client_cn, "
	"created, server, certificate_authority_data) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", false,
};
#define STORE_CLUSTER_SELECT \
	"SELECT id, name, master, node, kubeconfig, client_cn, created, server, " \
	"certificate_authority_data FROM clusters "
static const struct db_stmt_def store_cluster_select_all = {
	"cluster_select_all", STORE_CLUSTER_SELECT "ORDER BY created, id", true,
};
static const struct db_stmt_def store_cluster_select_name = {
	"cluster_select_name", STORE_CLUSTER_SELECT "WHERE name = ?", true,
};
static const struct db_stmt_def store_cluster_select_id = {
	"cluster_select_id", STORE_CLUSTER_SELECT "WHERE id = ?", true,
};
/* Revoked tokens no longer name anything: their rows go first, then the
 * cluster, which the foreign key keeps while a live token names it. */
static const struct db_stmt_def store_cluster_unlink_revoked = {
	"cluster_unlink_revoked",
	"DELETE tc FROM token_clusters tc JOIN tokens t ON t.id = tc.token_id "
	"WHERE tc.cluster_id = ? AND t.revoked_at IS NOT NULL", true,
};
static const struct db_stmt_def store_cluster_delete_id = {
	"cluster_delete", "DELETE FROM clusters WHERE id = ?", true,
};

static const enum db_type store_cluster_cols[] = { DB_T_STR, DB_T_BIN, DB_T_STR,
    DB_T_STR, DB_T_STR, DB_T_STR, DB_T_TIME, DB_T_STR, DB_T_STR };
#define STORE_CLUSTER_NCOLS 9

struct store_cluster_walk {
	store_cluster_fn fn;
	void *ctx;
};

static int
store_cluster_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_cluster_walk *w = ctx;
	struct store_cluster cl = { .name = c[1].str, .master = c[2].str,
	    .node = c[3].str, .kubeconfig = c[4].str,
	    .client_cn = c[5].null ? NULL : c[5].str, .created_us = c[6].num,
	    .server = c[7].null ? NULL : c[7].str,
	    .ca_data = c[8].null ? NULL : c[8].str };

	snprintf(cl.id, sizeof(cl.id), "%s", c[0].str);
	return w->fn(w->ctx, &cl);
}

int
store_cluster_create(struct db *db, struct store_cluster *c)
{
	if (c->id[0] == '\0' && crypto_uuid_new(c->id) < 0)
		return -1;
	if (c->created_us == 0)
		c->created_us = ktime_now_us();
	struct db_val p[] = { db_str(c->id), db_bin(c->name, strlen(c->name)),
	    db_str(c->master), db_str(c->node), db_str(c->kubeconfig),
	    c->client_cn != NULL ? db_str(c->client_cn) : db_null(DB_T_STR),
	    db_time(c->created_us),
	    c->server != NULL ? db_str(c->server) : db_null(DB_T_STR),
	    c->ca_data != NULL ? db_str(c->ca_data) : db_null(DB_T_STR) };
	return db_run(db, &store_cluster_insert, p, 9, NULL, 0, NULL, NULL, NULL);
}

int
store_cluster_list(struct db *db, const char *name, store_cluster_fn fn,
    void *ctx)
{
	struct store_cluster_walk w = { fn, ctx };
	struct db_val p;

	if (name == NULL)
		return db_run(db, &store_cluster_select_all, NULL, 0,
		    store_cluster_cols, STORE_CLUSTER_NCOLS, store_cluster_row,
		    &w, NULL);
	p = db_bin(name, strlen(name));
	return db_run(db, &store_cluster_select_name, &p, 1, store_cluster_cols,
	    STORE_CLUSTER_NCOLS, store_cluster_row, &w, NULL);
}

/* A copy of the cluster in ROW's columns in one allocation: the struct,
 * then its strings. */
static struct store_cluster *
store_cluster_copy(const struct db_val *c)
{
	const struct db_val *text[] = { &c[1], &c[2], &c[3], &c[4], &c[5],
	    &c[7], &c[8] };
	const char **field[7];
	struct store_cluster *cl;
	size_t i, size = sizeof(*cl);
	char *p;

	for (i = 0; i < 7; i++)
		size += text[i]->null ? 0 : text[i]->len + 1;
	if ((cl = calloc(1, size)) == NULL)
		fatal("calloc");
	field[0] = &cl->name;
	field[1] = &cl->master;
	field[2] = &cl->node;
	field[3] = &cl->kubeconfig;
	field[4] = &cl->client_cn;
	field[5] = &cl->server;
	field[6] = &cl->ca_data;
	p = (char *)(cl + 1);
	for (i = 0; i < 7; i++) {
		if (text[i]->null)
			continue;       /* the optional ones: stay NULL */
		memcpy(p, text[i]->str, text[i]->len + 1);
		*field[i] = p;
		p += text[i]->len + 1;
	}
	snprintf(cl->id, sizeof(cl->id), "%s", c[0].str);
	cl->created_us = c[6].num;
	return cl;
}

int
store_cluster_get(struct db *db, const char *name, const char *id,
    struct store_cluster **c)
{
	struct db_val p = id != NULL ? db_str(id) : db_bin(name, strlen(name));
	struct db_row row;

	*c = NULL;
	if (db_get(db, id != NULL ? &store_cluster_select_id :
	    &store_cluster_select_name, &p, 1, store_cluster_cols,
	    STORE_CLUSTER_NCOLS, &row) < 0)
		return -1;
	if (row.found)
		*c = store_cluster_copy(row.col);
	db_row_cleanup(&row);
	return 0;
}

/* A delete by id in a transaction: the id, and whether a row went. */
struct store_delete_txn {
	struct db_val id;
	bool found;                     /* out */
};

static int
store_cluster_delete_once(struct db *db, void *ctx)
{
	struct store_delete_txn *tx = ctx;
	unsigned long long n = 0;

	tx->found = false;
	if (db_run(db, &store_cluster_unlink_revoked, &tx->id, 1, NULL, 0, NULL,
	    NULL, NULL) < 0 ||
	    db_run(db, &store_cluster_delete_id, &tx->id, 1, NULL, 0, NULL,
	    NULL, &n) < 0)
		return -1;
	tx->found = n > 0;
	return tx->found ? store_policy_bump(db) : 0;
}

int
store_cluster_delete(struct db *db, const char *id, bool *found)
{
	struct store_delete_txn tx = { .id = db_str(id) };

	*found = false;
	if (db_transaction(db, STORE_TXN_ATTEMPTS, store_cluster_delete_once,
	    &tx) < 0)
		return -1;
	*found = tx.found;
	return 0;
}

static const struct db_stmt_def store_cluster_select_names = {
	"cluster_select_names",
	"SELECT name, COALESCE(client_cn, '') FROM clusters", true,
};
static const struct db_stmt_def store_cluster_count_policies = {
	"cluster_count_policies",
	"SELECT COUNT(*) FROM policies WHERE cluster_id = ?", true,
};

struct store_cluster_name_walk {
	store_cluster_name_fn fn;
	void *ctx;
};

static int
store_cluster_name_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_cluster_name_walk *w = ctx;
	return w->fn(w->ctx, c[0].str, c[1].str != NULL ? c[1].str : "");
}

int
store_cluster_names(struct db *db, store_cluster_name_fn fn, void *ctx)
{
	struct store_cluster_name_walk w = { fn, ctx };

	return db_run(db, &store_cluster_select_names, NULL, 0,
	    (enum db_type[]){ DB_T_BIN, DB_T_BIN }, 2, store_cluster_name_row, &w, NULL);
}

int
store_cluster_policy_count(struct db *db, const char *id,
    unsigned long long *count)
{
	struct db_val p = db_str(id);
	struct db_row row;

	*count = 0;
	if (db_get(db, &store_cluster_count_policies, &p, 1,
	    (enum db_type[]){ DB_T_INT }, 1, &row) < 0)
		return -1;
	*count = row.found ? (unsigned long long)row.col[0].num : 0;
	db_row_cleanup(&row);
	return 0;
}

/* --- policies ------------------------------------------------------------- */

static const struct db_stmt_def store_policy_select_all = {
	"policy_select_all", "SELECT id, rule FROM policies ORDER BY id", true,
};
static const struct db_stmt_def store_policy_select_id = {
	"policy_select_id", "SELECT id, rule FROM policies WHERE id = ?", true,
};
static const struct db_stmt_def store_policy_select_name = {
	"policy_select_name", "SELECT id FROM policies WHERE name = ?", true,
};
static const struct db_stmt_def store_policy_cluster_id = {
	"policy_cluster_id", "SELECT id FROM clusters WHERE name = ?", true,
};
static const struct db_stmt_def store_policy_insert = {
	"policy_insert",
	"INSERT INTO policies (name, cluster_id, rule, created_at, updated_at) "
	"VALUES (?, ?, ?, ?, ?)", false,
};
static const struct db_stmt_def store_policy_update_id = {
	"policy_update",
	"UPDATE policies SET name = ?, cluster_id = ?, rule = ?, updated_at = ? "
	"WHERE id = ?", true,
};
static const struct db_stmt_def store_policy_delete_id = {
	"policy_delete", "DELETE FROM policies WHERE id = ?", true,
};
/* Not idempotent: a retry after a lost answer would count twice (harmless,
 * but the transaction is what keeps it exact). */
static const struct db_stmt_def store_policy_generation_bump = {
	"policy_generation_bump",
	"UPDATE generations SET generation = generation + 1 "
	"WHERE name = 'policies'", false,
};
static const struct db_stmt_def store_policy_generation_get = {
	"policy_generation_get",
	"SELECT generation FROM generations WHERE name = 'policies'", true,
};

struct store_policy_walk {
	store_policy_fn fn;
	void *ctx;
};

static int
store_policy_row(void *ctx, const struct db_val *c, size_t n)
{
	struct store_policy_walk *w = ctx;

	return w->fn(w->ctx, c[0].num, c[1].str, c[1].len);
}

int
store_policy_list(struct db *db, store_policy_fn fn, void *ctx)
{
	struct store_policy_walk w = { fn, ctx };

	return db_run(db, &store_policy_select_all, NULL, 0,
	    (enum db_type[]){ DB_T_INT, DB_T_STR }, 2, store_policy_row, &w,
	    NULL);
}

int
store_policy_get(struct db *db, long long id, char **rule, size_t *len)
{
	struct db_val p = db_int(id);
	struct db_row row;

	*rule = NULL;
	*len = 0;
	if (db_get(db, &store_policy_select_id, &p, 1,
	    (enum db_type[]){ DB_T_INT, DB_T_STR }, 2, &row) < 0)
		return -1;
	if (row.found) {
		if ((*rule = strdup(row.col[1].str)) == NULL)
			fatal("strdup");
		*len = row.col[1].len;
	}
	db_row_cleanup(&row);
	return 0;
}

/* The first column, an integer, of the one row DEF answers with PARAMS. */
static int
store_get_int(struct db *db, const struct db_stmt_def *def,
    const struct db_val *params, size_t nparams, long long *value, bool *found)
{
	struct db_row row;

	*value = 0;
	*found = false;
	if (db_get(db, def, params, nparams, (enum db_type[]){ DB_T_INT }, 1,
	    &row) < 0)
		return -1;
	*found = row.found;
	if (row.found)
		*value = row.col[0].num;
	db_row_cleanup(&row);
	return 0;
}

int
store_policy_find_name(struct db *db, const char *name, long long *id,
    bool *found)
{
	struct db_val p = db_bin(name, strlen(name));

	return store_get_int(db, &store_policy_select_name, &p, 1, id, found);
}

static int
store_policy_bump(struct db *db)
{
	return db_run(db, &store_policy_generation_bump, NULL, 0, NULL, 0, NULL,
	    NULL, NULL);
}

struct store_policy_write_txn {
	long long update_id;            /* the policy to replace; 0 = insert */
	const char *name;
	const char *cluster;            /* NULL = global */
	const char *rule;
	long long id;                   /* out: the inserted policy's */
	bool found;                     /* out: false when update_id is gone */
	bool cluster_missing;           /* out */
};

/* One attempt at writing a policy. The insert's id is an output, never
 * the input: a retried insert must insert again, not update the row that
 * the deadlock rolled back. */
static int
store_policy_write_once(struct db *db, void *ctx)
{
	struct store_policy_write_txn *tx = ctx;
	struct db_val pname = db_bin(tx->name, strlen(tx->name));
	int64_t now = ktime_now_us();
	unsigned long long n = 0;
	struct db_row cl = { .found = false };
	bool found;
	int rc = -1;

	tx->id = 0;
	tx->found = false;
	tx->cluster_missing = false;
	if (tx->cluster != NULL) {
		struct db_val pc = db_bin(tx->cluster, strlen(tx->cluster));
		if (db_get(db, &store_policy_cluster_id, &pc, 1,
		    (enum db_type[]){ DB_T_STR }, 1, &cl) < 0)
			return -1;
		if (!cl.found) {
			tx->cluster_missing = true;
			goto done;
		}
	}
	struct db_val cid = tx->cluster != NULL ? db_str(cl.col[0].str) :
	    db_null(DB_T_STR);
	if (tx->update_id == 0) {
		struct db_val p[] = { pname, cid, db_str(tx->rule),
		    db_time(now), db_time(now) };
		if (db_run(db, &store_policy_insert, p, 5, NULL, 0, NULL, NULL,
		    NULL) < 0 ||
		    store_get_int(db, &store_policy_select_name, &pname, 1,
		    &tx->id, &found) < 0)
			goto done;
		if (!found) {
			log_warnx("policy insert: the new row is not there");
			goto done;
		}
	} else {
		struct db_val p[] = { pname, cid, db_str(tx->rule),
		    db_time(now), db_int(tx->update_id) };
		if (db_run(db, &store_policy_update_id, p, 5, NULL, 0, NULL, NULL,
		    &n) < 0)
			goto done;
		/* CLIENT_FOUND_ROWS: matched, not changed. No row, no change:
		 * nothing to bump. */
		if (n == 0) {
			rc = 0;
			goto done;
		}
	}
	tx->found = true;
	rc = store_policy_bump(db);
done:
	db_row_cleanup(&cl);
	return rc;
}

/* Returns 0 also when an update found no row (*found false). */
static int
store_policy_write(struct db *db, long long *id, const char *name,
    const char *cluster, const char *rule, bool *found, bool *cluster_missing)
{
	struct store_policy_write_txn tx = { .update_id = *id, .name = name,
	    .cluster = cluster, .rule = rule };

	*found = false;
	*cluster_missing = false;
	if (db_transaction(db, STORE_TXN_ATTEMPTS, store_policy_write_once,
	    &tx) < 0) {
		/* A cluster deleted between our look-up and the insert. */
		*cluster_missing = tx.cluster_missing ||
		    db_error(db) == DB_ERR_NO_PARENT;
		return -1;
	}
	if (tx.update_id == 0)
		*id = tx.id;
	*found = tx.found;
	return 0;
}

int
store_policy_create(struct db *db, const char *name, const char *cluster,
    const char *rule, long long *id, bool *cluster_missing)
{
	bool found;

	*id = 0;
	return store_policy_write(db, id, name, cluster, rule, &found,
	    cluster_missing);
}

int
store_policy_update(struct db *db, long long id, const char *name,
    const char *cluster, const char *rule, bool *found, bool *cluster_missing)
{
	return store_policy_write(db, &id, name, cluster, rule, found,
	    cluster_missing);
}

static int
store_policy_delete_once(struct db *db, void *ctx)
{
	struct store_delete_txn *tx = ctx;
	unsigned long long n = 0;

	tx->found = false;
	if (db_run(db, &store_policy_delete_id, &tx->id, 1, NULL, 0, NULL, NULL,
	    &n) < 0)
		return -1;
	tx->found = n > 0;
	return tx->found ? store_policy_bump(db) : 0;
}

int
store_policy_delete(struct db *db, long long id, bool *found)
{
	struct store_delete_txn tx = { .id = db_int(id) };

	*found = false;
	if (db_transaction(db, STORE_TXN_ATTEMPTS, store_policy_delete_once,
	    &tx) < 0)
		return -1;
	*found = tx.found;
	return 0;
}

int
store_policy_generation(struct db *db, long long *generation)
{
	bool found;

	return store_get_int(db, &store_policy_generation_get, NULL, 0,
	    generation, &found);
}
