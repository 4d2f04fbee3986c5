/*
 * admin.c — handlers of the admin API (users, tokens, clusters).
 */
#include "admin.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admintoken.h"
#include "authz.h"
#include "conf.h"
#include "ctx.h"
#include "crypto.h"
#include "db.h"
#include "dirsearch.h"
#include "hex.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "policy_file.h"
#include "req.h"
#include "secrets.h"
#include "store.h"

#define ADMIN_MAX_CLUSTERS 100          /* names in one token's "clusters" */
#define ADMIN_KUBECONFIG_MAX (16 * 1024 * 1024)  /* bytes of a cluster's */
#define ADMIN_CLUSTER_NAME_MAX 63       /* a DNS-1123 label */
#define ADMIN_CA_DATA_MAX (256 * 1024)  /* base64 of a CA bundle */

/* --- common --------------------------------------------------------------- */

/* The admin token's name, or NULL after failing the request with 401. */
const char *
admin_auth(struct req *r)
{
	const char *name = admintoken_check(r->ctx->secrets->admin_tokens,
	    req_param(r, "HTTP_X_AUTH_TOKEN"));

	if (name == NULL) {
		/* The route pattern, not the path: a path may hold a
		 * token (GET /tokens/<secret> by mistake). */
		log_info("audit: admin request refused: %s x-auth-token (%s %s)",
		    req_param(r, "HTTP_X_AUTH_TOKEN") != NULL ? "wrong" : "no",
		    r->method, r->route != NULL ? r->route : "?");
		req_fail(r, 401, "missing or invalid x-auth-token");
	}
	return name;
}

int
admin_path_id(struct req *r, size_t idx, const char *what,
    char out[STORE_ID_LEN + 1])
{
	const char *p = idx < r->nparams ? r->params[idx] : "";
	size_t i;

	if (!crypto_uuid_valid(p))
		return req_fail(r, 404, "%s not found", what);
	for (i = 0; i <= STORE_ID_LEN; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	return 0;
}

/* The body as a JSON object (tree freed by the caller), or 400. */
int
admin_body(struct req *r, yajl_val *tree)
{
	char err[160];

	*tree = NULL;
	if (json_parse(r->body, r->body_len, tree, err, sizeof(err)) < 0)
		return req_fail(r, 400, "%s", err);
	if (!YAJL_IS_OBJECT(*tree)) {
		json_free(*tree);
		*tree = NULL;
		return req_fail(r, 400, "the body must be a JSON object");
	}
	return 0;
}

int
admin_body_optional(struct req *r, yajl_val *tree)
{
	size_t i;

	*tree = NULL;
	/* (strchr() would find the NUL too: a body of NULs is no blank.) */
	for (i = 0; i < r->body_len && r->body[i] != '\0' &&
	    strchr(" \t\r\n", r->body[i]) != NULL; i++)
		;
	return i == r->body_len ? 0 : admin_body(r, tree);
}

/* UTF-8 characters in S (the JSON parser has checked it is valid). */
static size_t
admin_utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool
admin_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* Optional string member KEY of OBJ: *out NULL when absent or null.
 * Other types: 400. */
static int
admin_opt_string(struct req *r, yajl_val obj, const char *key, const char **out)
{
	yajl_val v = json_get(obj, key);

	*out = NULL;
	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return req_fail(r, 400, "%s must be a string", key);
	if (!json_utf8_valid(v->u.string, strlen(v->u.string)))
		return req_fail(r, 400, "%s is not valid UTF-8", key);
	*out = v->u.string;
	return 0;
}

/* A name: required, 1..MAX bytes, no control characters. */
static int
admin_name(struct req *r, yajl_val obj, const char *key, size_t max,
    const char **out)
{
	if (admin_opt_string(r, obj, key, out) < 0)
		return -1;
	if (*out == NULL)
		return req_fail(r, 400, "%s is required", key);
	if ((*out)[0] == '\0')
		return req_fail(r, 400, "%s must not be empty", key);
	if (strlen(*out) > max)
		return req_fail(r, 400, "%s is longer than %zu bytes", key, max);
	if (admin_has_control(*out))
		return req_fail(r, 400, "%s must not contain control characters", key);
	return 0;
}

/* A query parameter: NULL when absent; 400 when it does not decode. */
static int
admin_query(struct req *r, const char *name, char **out)
{
	bool invalid;

	*out = req_query_get(r, name, &invalid);
	if (invalid)
		return req_fail(r, 400, "query parameter %s: malformed encoding", name);
	return 0;
}

static void
admin_gen_time(yajl_gen g, const char *key, int64_t us)
{
	char buf[32];
	ktime_format(us, buf);
	json_gen_str(g, key, buf);
}

/* After a store call that looks up one row (RC its result, *FOUND set by
 * it): 0 to go on, or -1 after failing the request — 503/500 when the
 * store failed, 404 "WHAT not found" when there is no such row. */
static int
admin_found(struct req *r, int rc, const bool *found, const char *what)
{
	if (rc < 0) {
		req_fail_db(r);
		return -1;
	}
	if (!*found) {
		req_fail(r, 404, "%s not found", what);
		return -1;
	}
	return 0;
}

/* The answer to a DELETE: {"id": ID}. */
static void
admin_send_id(struct req *r, const char *id)
{
	yajl_gen g = req_json(r);

	yajl_gen_map_open(g);
	json_gen_str(g, "id", id);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
}

/* --- users ---------------------------------------------------------------- */

static int
admin_gen_user(void *ctx, const struct store_user *u)
{
	yajl_gen g = ctx;

	yajl_gen_map_open(g);
	json_gen_str(g, "id", u->id);
	json_gen_strn(g, "username", u->username, u->username_len);
	yajl_gen_map_close(g);
	return 0;
}

#define ADMIN_USERS_PAGE_MAX 1000

/* GET /users's paging and prefix (doc/admin-api.md): *PAGED false when
 * none is asked for, so the whole list is answered as it always was.
 * Returns 0, or -1 with a 400 that names the parameter. */
static int
admin_users_page(struct req *r, const char *username, struct store_user_page *page,
    char **limit, char **after, char **prefix, bool *paged)
{
	char *end;
	unsigned long long n;

	*page = (struct store_user_page){ 0 };
	if (admin_query(r, "limit", limit) < 0 || admin_query(r, "after", after) < 0 ||
	    admin_query(r, "prefix", prefix) < 0)
		return -1;
	*paged = *limit != NULL || *after != NULL || *prefix != NULL;
	if (*limit != NULL) {
		errno = 0;
		n = strtoull(*limit, &end, 10);
		if ((*limit)[0] < '0' || (*limit)[0] > '9' || *end != '\0' ||
		    errno != 0 || n < 1 || n > ADMIN_USERS_PAGE_MAX)
			return req_fail(r, 400, "limit: expected a whole number "
			    "from 1 to %d", ADMIN_USERS_PAGE_MAX);
		page->limit = n;
	}
	if (*after != NULL) {
		if (!crypto_uuid_valid(*after))
			return req_fail(r, 400, "after: expected a user id (the "
			    "last of the previous page)");
		page->after_id = *after;
	}
	if (*prefix != NULL) {
		if ((*prefix)[0] == '\0' || strlen(*prefix) > STORE_USERNAME_MAX)
			return req_fail(r, 400, "prefix: expected 1 to %d bytes",
			    STORE_USERNAME_MAX);
		page->prefix = *prefix;
	}
	/* A username names one user at most: no pages to walk. */
	if (username != NULL && (*after != NULL || *prefix != NULL))
		return req_fail(r, 400, "%s: cannot be used with username",
		    *after != NULL ? "after" : "prefix");
	return 0;
}

void
admin_users_list(struct req *r)
{
	struct store_user_page page;
	char *username = NULL, *limit = NULL, *after = NULL, *prefix = NULL;
	bool paged, after_found = true;
	yajl_gen g;
	int rc;

	if (admin_auth(r) == NULL || admin_query(r, "username", &username) < 0 ||
	    admin_users_page(r, username, &page, &limit, &after, &prefix,
	    &paged) < 0)
		goto done;
	g = req_json(r);
	yajl_gen_array_open(g);
	if (!paged || username != NULL)
		rc = store_user_list(r->ctx->db, username, admin_gen_user, g);
	else
		rc = store_user_list_page(r->ctx->db, &page, admin_gen_user, g,
		    &after_found);
	if (rc < 0) {
		req_fail_db(r);
		goto done;
	}
	if (!after_found) {
		req_fail(r, 400, "after: no user with this id (deleted since? "
		    "start again from the first page)");
		goto done;
	}
	yajl_gen_array_close(g);
	req_send_json(r, 200);
done:
	free(prefix);
	free(after);
	free(limit);
	free(username);
}

/* A POST /users body: the username, checked, in *U. Returns 0 or -1
 * (400). */
static int
admin_user_body_parse(struct req *r, yajl_val body, struct store_user *u)
{
	const char *username;

	*u = (struct store_user){ .id = "" };
	if (admin_name(r, body, "username", STORE_USERNAME_MAX, &username) < 0)
		return -1;
	u->username_len = strlen(username);
	memcpy(u->username, username, u->username_len + 1);
	return 0;
}

/* U's username as the directory names it: the id_attribute of the one
 * entry user_filter finds, so that one entry is one local user ("ALICE",
 * "alice " and a full-width "alice" are alice). Returns 0 with U rewritten,
 * or -1 (400 no or several entries, 503 no directory). */
static int
admin_user_resolve(struct req *r, struct store_user *u)
{
	enum dirsearch_resolution res;
	char *id;

	if (dirsearch_resolve(r->ctx->dir, u->username, u->username_len, &id,
	    &res) < 0)
		return req_fail(r, 503, "ldap unavailable");
	switch (res) {
	case DIRSEARCH_NONE:
		return req_fail(r, 400, "username: no directory entry matches it");
	case DIRSEARCH_SEVERAL:
		return req_fail(r, 400, "username: several directory entries "
		    "match it");
	case DIRSEARCH_NO_ID:
		return req_fail(r, 400, "username: its directory entry has no %s",
		    r->ctx->conf->ldap.id_attribute);
	case DIRSEARCH_ONE:
		break;
	}
	if (strlen(id) > STORE_USERNAME_MAX) {
		free(id);
		return req_fail(r, 400, "username: its directory entry's %s is "
		    "longer than %d bytes", r->ctx->conf->ldap.id_attribute,
		    STORE_USERNAME_MAX);
	}
	u->username_len = strlen(id);
	memcpy(u->username, id, u->username_len + 1);
	free(id);
	return 0;
}

void
admin_users_create(struct req *r)
{
	struct store_user u, here;
	const char *admin;
	yajl_val body = NULL;
	char shown[128], typed[128];
	bool found;

	if ((admin = admin_auth(r)) == NULL || admin_body(r, &body) < 0)
		return;
	if (admin_user_body_parse(r, body, &u) < 0)
		goto done;
	log_sanitize(typed, sizeof(typed), u.username);
	if (admin_user_resolve(r, &u) < 0)
		goto done;
	if (store_user_create(r->ctx->db, &u) < 0) {
		if (db_error(r->ctx->db) != DB_ERR_DUPLICATE)
			req_fail_db(r);
		else if (store_user_find(r->ctx->db, u.username, &here,
		    &found) == 0 && found)
			req_fail(r, 409, "the directory entry of this username "
			    "is user %s already", here.id);
		else
			req_fail(r, 409, "a user with this username exists");
		goto done;
	}
	log_sanitize(shown, sizeof(shown), u.username);
	log_info("audit: admin %s created user %s (username %s, as %s)", admin,
	    u.id, shown, typed);
	admin_gen_user(req_json(r), &u);
	req_send_json(r, 201);
done:
	json_free(body);
}

void
admin_users_get(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	struct store_user u;
	bool found;

	if (admin_auth(r) == NULL || admin_path_id(r, 0, "user", id) < 0)
		return;
	if (admin_found(r, store_user_get(r->ctx->db, id, &u, &found), &found,
	    "user") < 0)
		return;
	admin_gen_user(req_json(r), &u);
	req_send_json(r, 200);
}

void
admin_users_delete(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	const char *admin;
	bool found;

	if ((admin = admin_auth(r)) == NULL || admin_path_id(r, 0, "user", id) < 0)
		return;
	if (admin_found(r, store_user_delete(r->ctx->db, id, &found),
	    &found, "user") < 0)
		return;
	log_info("audit: admin %s deleted user %s and its tokens", admin, id);
	admin_send_id(r, id);
}

/* --- tokens --------------------------------------------------------------- */

static int
admin_gen_token(void *ctx, const struct store_token *t)
{
	yajl_gen g = ctx;

	yajl_gen_map_open(g);
	json_gen_str(g, "id", t->id);
	/* Without a revealable copy (tokens.reveal: false, or a key no
	 * longer in the key file) the field is left out. */
	if (t->token[0] != '\0')
		json_gen_str(g, "token", t->token);
	json_gen_str(g, "user_id", t->user_id);
	json_gen_str(g, "description", t->description != NULL ? t->description : "");
	admin_gen_time(g, "expiry", t->expiry_us);
	if (t->scoped)
		json_gen_strs(g, "clusters", t->clusters, t->nclusters);
	yajl_gen_map_close(g);
	return 0;
}

void
admin_tokens_list(struct req *r)
{
	char *user_id = NULL;

	if (admin_auth(r) == NULL || admin_query(r, "user_id", &user_id) < 0)
		goto done;
	if (user_id != NULL) {
		if (!crypto_uuid_valid(user_id)) {
			req_fail(r, 400, "user_id is not a valid id");
			goto done;
		}
		for (char *p = user_id; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	yajl_gen g = req_json(r);
	yajl_gen_array_open(g);
	if (store_token_list(r->ctx->db, r->ctx->secrets->token_keys, user_id,
	    NULL, admin_gen_token, g) < 0) {
		req_fail_db(r);
		goto done;
	}
	yajl_gen_array_close(g);
	req_send_json(r, 200);
done:
	free(user_id);
}

/* "description": absent or null = "", at most MAX characters. */
static int
admin_token_description(struct req *r, yajl_val body, size_t max,
    const char **out)
{
	if (admin_opt_string(r, body, "description", out) < 0)
		return -1;
	if (*out == NULL)
		*out = "";
	if (admin_utf8_chars(*out) > max)
		return req_fail(r, 400, "description is longer than %zu characters",
		    max);
	return 0;
}

/* "expiry" or "ttl", at most MAX_MS away; neither: DEFAULT_MS. */
static int
admin_token_expiry(struct req *r, yajl_val body, int64_t now,
    int64_t default_ms, int64_t max_ms, const char *max_name, int64_t *expiry)
{
	yajl_val vexp = json_get(body, "expiry"), vttl = json_get(body, "ttl");
	char max[32];
	int64_t ttl_ms;

	if (vexp != NULL && YAJL_IS_NULL(vexp))
		vexp = NULL;
	if (vttl != NULL && YAJL_IS_NULL(vttl))
		vttl = NULL;
	ktime_duration_text(max_ms, max, sizeof(max));
	if (vexp != NULL && vttl != NULL)
		return req_fail(r, 400, "give expiry or ttl, not both");
	if (vexp != NULL) {
		if (!YAJL_IS_STRING(vexp) || ktime_parse(vexp->u.string, expiry) < 0)
			return req_fail(r, 400, "expiry must be an RFC 3339 time, "
			    "e.g. 2030-01-02T15:04:05Z");
		if (*expiry <= now)
			return req_fail(r, 400, "expiry is in the past");
		if (*expiry - now > max_ms * 1000)
			return req_fail(r, 400, "expiry is further away than "
			    "%s (%s)", max_name, max);
		return 0;
	}
	if (vttl == NULL) {
		ttl_ms = default_ms;
	} else if (YAJL_IS_STRING(vttl)) {
		if (conf_parse_duration(vttl->u.string, &ttl_ms) < 0)
			return req_fail(r, 400, "ttl must be a duration such as "
			    "\"720h\", or a number of seconds");
	} else if (YAJL_IS_INTEGER(vttl)) {
		if (vttl->u.number.i <= 0 || vttl->u.number.i > max_ms / 1000)
			return req_fail(r, 400, "ttl must be from 1 second to "
			    "%s (%s)", max_name, max);
		ttl_ms = vttl->u.number.i * 1000;
	} else {
		return req_fail(r, 400, "ttl must be a duration such as \"720h\", "
		    "or a number of seconds");
	}
	if (ttl_ms <= 0)
		return req_fail(r, 400, "ttl must be positive");
	if (ttl_ms > max_ms)
		return req_fail(r, 400, "ttl is longer than %s (%s)", max_name, max);
	*expiry = now + ttl_ms * 1000;
	return 0;
}

/* "clusters": absent/null = valid everywhere; else 1..100 distinct names. */
static int
admin_token_clusters(struct req *r, yajl_val body, const char ***names,
    size_t *n)
{
	yajl_val v = json_get(body, "clusters");
	size_t i, j;

	*names = NULL;
	*n = 0;
	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return req_fail(r, 400, "clusters must be an array of cluster names");
	if (v->u.array.len == 0)
		return req_fail(r, 400, "clusters must name at least one cluster "
		    "(leave it out for a token valid on every cluster)");
	if (v->u.array.len > ADMIN_MAX_CLUSTERS)
		return req_fail(r, 400, "clusters names more than %d clusters",
		    ADMIN_MAX_CLUSTERS);
	*names = calloc(v->u.array.len, sizeof(**names));
	if (*names == NULL)
		fatal("calloc");
	for (i = 0; i < v->u.array.len; i++) {
		const char *name = json_string(v->u.array.values[i]);
		if (name == NULL || name[0] == '\0')
			return req_fail(r, 400, "clusters must be an array of "
			    "cluster names");
		for (j = 0; j < *n; j++)
			if (strcmp((*names)[j], name) == 0)
				break;
		if (j == *n)
			(*names)[(*n)++] = name;
	}
	return 0;
}

int
admin_token_fields_parse(struct req *r, yajl_val body, int64_t now,
    const struct admin_token_limits *lim, struct admin_token_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->description = "";
	if (admin_token_description(r, body, lim->description_max,
	    &f->description) < 0 ||
	    admin_token_expiry(r, body, now, lim->default_ms, lim->max_ms,
	    lim->max_name, &f->expiry_us) < 0)
		return -1;
	return admin_token_clusters(r, body, &f->clusters, &f->nclusters);
}

/* A POST /tokens body, checked: what store_token_create() needs. */
struct admin_token_body {
	char user_id[STORE_ID_LEN + 1];         /* lowercase */
	struct admin_token_fields f;
};

/* Check BODY as a POST /tokens at NOW into *B (free B->f.clusters, also
 * after a failure). Returns 0 or -1 (400). */
static int
admin_token_body_parse(struct req *r, yajl_val body, int64_t now,
    struct admin_token_body *b)
{
	const struct conf *conf = r->ctx->conf;
	const struct admin_token_limits lim = { conf->tokens.ttl_ms,
	    conf->tokens.max_ttl_ms, "tokens.max_ttl", STORE_DESCRIPTION_MAX };
	const char *user_id;
	size_t i;

	memset(b, 0, sizeof(*b));
	if (admin_opt_string(r, body, "user_id", &user_id) < 0)
		return -1;
	if (user_id == NULL)
		return req_fail(r, 400, "user_id is required");
	if (!crypto_uuid_valid(user_id))
		return req_fail(r, 400, "unknown user_id");
	for (i = 0; i <= STORE_ID_LEN; i++)
		b->user_id[i] = (char)tolower((unsigned char)user_id[i]);
	return admin_token_fields_parse(r, body, now, &lim, &b->f);
}

void
admin_tokens_create(struct req *r)
{
	struct admin_token_body b = { .f.clusters = NULL };
	struct store_token_new in = { 0 };
	struct store_token out;
	const char *admin, *missing = NULL;
	yajl_val body = NULL;
	int64_t now = ktime_now_us();

	if ((admin = admin_auth(r)) == NULL || admin_body(r, &body) < 0)
		return;
	if (admin_token_body_parse(r, body, now, &b) < 0)
		goto done;
	in.user_id = b.user_id;
	in.description = b.f.description;
	in.expiry_us = b.f.expiry_us;
	in.clusters = b.f.clusters;
	in.nclusters = b.f.nclusters;
	in.created_us = now;
	if (store_token_create(r->ctx->db, r->ctx->secrets->token_keys,
	    r->ctx->conf->tokens.reveal, &in, &out, &missing) < 0) {
		if (missing != NULL && strcmp(missing, "user_id") == 0) {
			req_fail(r, 400, "unknown user_id");
		} else if (missing != NULL) {
			req_fail(r, 400, "unknown cluster in clusters: %s", missing);
		} else {
			req_fail_db(r);
		}
		goto done;
	}
	log_info("audit: admin %s created token %s for user %s%s", admin, out.id,
	    out.user_id, out.scoped ? " (scoped)" : "");
	admin_gen_token(req_json(r), &out);
	req_send_json(r, 201);
	OPENSSL_cleanse(out.token, sizeof(out.token));
done:
	free(b.f.clusters);
	json_free(body);
}

void
admin_tokens_get(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	yajl_gen g;
	size_t before, after;
	const unsigned char *buf;

	if (admin_auth(r) == NULL || admin_path_id(r, 0, "token", id) < 0)
		return;
	g = req_json(r);
	yajl_gen_get_buf(g, &buf, &before);
	if (store_token_list(r->ctx->db, r->ctx->secrets->token_keys, NULL, id,
	    admin_gen_token, g) < 0) {
		req_fail_db(r);
		return;
	}
	yajl_gen_get_buf(g, &buf, &after);
	if (after == before) {
		req_fail(r, 404, "token not found");
		return;
	}
	req_send_json(r, 200);
}

void
admin_tokens_delete(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	const char *admin;
	bool found;

	if ((admin = admin_auth(r)) == NULL || admin_path_id(r, 0, "token", id) < 0)
		return;
	if (admin_found(r, store_token_revoke(r->ctx->db, id, &found),
	    &found, "token") < 0)
		return;
	log_info("audit: admin %s revoked token %s", admin, id);
	admin_send_id(r, id);
}

/* --- clusters ------------------------------------------------------------- */

static int
admin_gen_cluster(void *ctx, const struct store_cluster *c)
{
	yajl_gen g = ctx;

	yajl_gen_map_open(g);
	json_gen_str(g, "id", c->id);
	json_gen_str(g, "name", c->name);
	json_gen_str(g, "master", c->master);
	json_gen_str(g, "node", c->node);
	json_gen_str(g, "kubeconfig", c->kubeconfig);
	admin_gen_time(g, "created", c->created_us);
	if (c->client_cn != NULL)
		json_gen_str(g, "client_cn", c->client_cn);
	if (c->server != NULL)
		json_gen_str(g, "server", c->server);
	if (c->ca_data != NULL)
		json_gen_str(g, "certificate_authority_data", c->ca_data);
	yajl_gen_map_close(g);
	return 0;
}

void
admin_clusters_list(struct req *r)
{
	char *name = NULL;
	yajl_gen g;

	if (admin_auth(r) == NULL || admin_query(r, "name", &name) < 0)
		goto done;
	g = req_json(r);
	yajl_gen_array_open(g);
	if (store_cluster_list(r->ctx->db, name, admin_gen_cluster, g) < 0) {
		req_fail_db(r);
		goto done;
	}
	yajl_gen_array_close(g);
	req_send_json(r, 200);
done:
	free(name);
}

/* Optional free text of at most MAX characters; absent or null = "". */
static int
admin_text(struct req *r, yajl_val body, const char *key, size_t max,
    const char **out)
{
	if (admin_opt_string(r, body, key, out) < 0)
		return -1;
	if (*out == NULL)
		*out = "";
	if (admin_utf8_chars(*out) > max)
		return req_fail(r, 400, "%s is longer than %zu characters", key, max);
	return 0;
}

/* Is NAME a DNS-1123 label (what Kubernetes calls a namespace)? Lowercase
 * letters, digits and '-', a letter or digit at both ends, at most 63
 * bytes: it is a path segment of the cluster's webhook URLs as it is. */
bool
admin_cluster_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > ADMIN_CLUSTER_NAME_MAX || name[0] == '-' ||
	    name[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '-')
			return false;
	return true;
}

bool
admin_server_url_valid(const char *url)
{
	const char *host = url + 8, *end, *p;
	size_t n = strlen(url);

	if (n <= 8 || n > STORE_SERVER_MAX || strncmp(url, "https://", 8) != 0)
		return false;
	/* Visible ASCII only; no query, fragment or backslash. */
	for (p = url; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#' ||
		    *p == '\\')
			return false;
	end = host + strcspn(host, "/");
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return false;           /* no user:password@ */
	if (*host == '[') {             /* [IPv6]:port */
		for (p = host + 1; p < end && *p != ']'; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return false;
		if (p == end || p == host + 1)
			return false;
		p++;
	} else {
		for (p = host; p < end && *p != ':'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
				return false;
		if (p == host)
			return false;
	}
	if (p < end && *p == ':') {     /* a port: 1..65535 */
		long port = 0;
		const char *digits = ++p;
		for (; p < end && isdigit((unsigned char)*p) && port <= 65535; p++)
			port = port * 10 + (*p - '0');
		if (p == digits || p != end || port < 1 || port > 65535)
			return false;
	}
	return p == end;
}

/* "server" and "certificate_authority_data" of a POST /clusters body: what
 * a user's kubeconfig needs to reach the cluster (GET /me/kubeconfig).
 * Both optional; null = absent. */
static int
admin_cluster_access_parse(struct req *r, yajl_val body, struct store_cluster *c)
{
	char why[160];

	if (admin_opt_string(r, body, "server", &c->server) < 0 ||
	    admin_opt_string(r, body, "certificate_authority_data",
	    &c->ca_data) < 0)
		return -1;
	if (c->server != NULL && !admin_server_url_valid(c->server))
		return req_fail(r, 400, "server must be an https:// URL of at most "
		    "%d characters (host, optional port and path; no user, query "
		    "or fragment)", STORE_SERVER_MAX);
	if (c->ca_data == NULL)
		return 0;
	if (strlen(c->ca_data) > ADMIN_CA_DATA_MAX)
		return req_fail(r, 400, "certificate_authority_data is longer than "
		    "%d bytes", ADMIN_CA_DATA_MAX);
	if (crypto_ca_data_check(c->ca_data, strlen(c->ca_data), why,
	    sizeof(why)) < 0)
		return req_fail(r, 400, "certificate_authority_data must be base64 "
		    "of PEM certificates: it %s", why);
	return 0;
}

/* A POST /clusters body, checked, in *C (strings borrowed from BODY).
 * Returns 0 or -1 (400). */
static int
admin_cluster_body_parse(struct req *r, yajl_val body, struct store_cluster *c)
{
	*c = (struct store_cluster){ .id = "" };
	if (admin_name(r, body, "name", STORE_CLUSTER_NAME_MAX, &c->name) < 0)
		return -1;
	if (!admin_cluster_name_valid(c->name))
		return req_fail(r, 400, "name must be a DNS-1123 label: at most %d "
		    "lowercase letters, digits and '-', starting and ending with "
		    "a letter or digit", ADMIN_CLUSTER_NAME_MAX);
	if (
	    admin_text(r, body, "master", STORE_URL_MAX, &c->master) < 0 ||
	    admin_text(r, body, "node", STORE_URL_MAX, &c->node) < 0 ||
	    admin_text(r, body, "kubeconfig", ADMIN_KUBECONFIG_MAX,
	    &c->kubeconfig) < 0 ||
	    admin_opt_string(r, body, "client_cn", &c->client_cn) < 0)
		return -1;
	if (c->client_cn != NULL && (c->client_cn[0] == '\0' ||
	    admin_utf8_chars(c->client_cn) > STORE_CLIENT_CN_MAX ||
	    admin_has_control(c->client_cn)))
		return req_fail(r, 400, "client_cn must be 1 to %d characters, "
		    "no control characters", STORE_CLIENT_CN_MAX);
	return admin_cluster_access_parse(r, body, c);
}

void
admin_clusters_create(struct req *r)
{
	struct store_cluster c;
	const char *admin;
	yajl_val body = NULL;
	char shown[128];

	if ((admin = admin_auth(r)) == NULL || admin_body(r, &body) < 0)
		return;
	if (admin_cluster_body_parse(r, body, &c) < 0)
		goto done;
	if (store_cluster_create(r->ctx->db, &c) < 0) {
		if (db_error(r->ctx->db) == DB_ERR_DUPLICATE)
			req_fail(r, 409, "a cluster with this name exists");
		else
			req_fail_db(r);
		goto done;
	}
	log_sanitize(shown, sizeof(shown), c.name);
	log_info("audit: admin %s created cluster %s (name %s)", admin, c.id, shown);
	admin_gen_cluster(req_json(r), &c);
	req_send_json(r, 201);
done:
	json_free(body);
}

void
admin_clusters_get(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	struct store_cluster *c;

	if (admin_auth(r) == NULL || admin_path_id(r, 0, "cluster", id) < 0)
		return;
	if (store_cluster_get(r->ctx->db, NULL, id, &c) < 0) {
		req_fail_db(r);
		return;
	}
	if (c == NULL) {
		req_fail(r, 404, "cluster not found");
		return;
	}
	admin_gen_cluster(req_json(r), c);
	req_send_json(r, 200);
	free(c);
}

void
admin_clusters_delete(struct req *r)
{
	char id[STORE_ID_LEN + 1];
	const char *admin;
	struct store_cluster *c;
	unsigned long long npolicies = 0;
	bool found;

	if ((admin = admin_auth(r)) == NULL || admin_path_id(r, 0, "cluster", id) < 0)
		return;
	/* Rules of policy_file may name it too (the database cannot know). */
	if (policy_file_count() > 0) {
		if (store_cluster_get(r->ctx->db, NULL, id, &c) < 0) {
			req_fail_db(r);
			return;
		}
		bool named = c != NULL && policy_file_names_cluster(c->name);
		free(c);
		if (named) {
			req_fail(r, 409, "rules of policy_file name this cluster: "
			    "remove them from the file first");
			return;
		}
	}
	if (store_cluster_delete(r->ctx->db, id, &found) < 0) {
		if (db_error(r->ctx->db) != DB_ERR_REFERENCED)
			req_fail_db(r);
		else if (store_cluster_policy_count(r->ctx->db, id, &npolicies) == 0 &&
		    npolicies > 0)
			req_fail(r, 409, "%llu policies name this cluster: delete "
			    "them first", npolicies);
		else
			req_fail(r, 409, "tokens are scoped to this cluster: revoke "
			    "them first");
		return;
	}
	authz_cache_invalidate(r->ctx);
	if (!found) {
		req_fail(r, 404, "cluster not found");
		return;
	}
	log_info("audit: admin %s deleted cluster %s", admin, id);
	admin_send_id(r, id);
}

/*
 * The kubeconfig an API server's --authentication-token-webhook-config-file
 * (?for=authentication, the default) or --authorization-webhook-config-file
 * (?for=authorization) reads. JSON is YAML, and client-go reads either.
 * The file paths are slots for the operator to fill: this service does not
 * know which CA signed nginx's certificate, nor the API server's key.
 */
void
admin_clusters_kubeconfig(struct req *r)
{
	const char *public_url = r->ctx->conf->public_url;
	const char *key = r->nparams > 0 ? r->params[0] : "";
	struct store_cluster *c = NULL;
	char id[STORE_ID_LEN + 1], *which = NULL, *segment = NULL, *url = NULL;
	bool authz;
	size_t base_len;
	yajl_gen g;

	if (admin_auth(r) == NULL || admin_query(r, "for", &which) < 0)
		goto done;
	if (which == NULL || strcmp(which, "authentication") == 0) {
		authz = false;
	} else if (strcmp(which, "authorization") == 0) {
		authz = true;
	} else {
		req_fail(r, 400, "for must be authentication or authorization");
		goto done;
	}
	/* The cluster's id, or its name: the file is what an operator
	 * fetches right after naming a cluster. */
	if (crypto_uuid_valid(key)) {
		admin_path_id(r, 0, "cluster", id);
		key = NULL;
	}
	if (store_cluster_get(r->ctx->db, key, key == NULL ? id : NULL, &c) < 0) {
		req_fail_db(r);
		goto done;
	}
	if (c == NULL) {
		req_fail(r, 404, "cluster not found");
		goto done;
	}
	if (public_url[0] == '\0') {
		req_fail(r, 409, "public_url is not set in the configuration");
		goto done;
	}
	base_len = strlen(public_url);
	while (base_len > 0 && public_url[base_len - 1] == '/')
		base_len--;
	if ((segment = hex_percent_encode(c->name)) == NULL)
		fatal("malloc");
	if (asprintf(&url, "%.*s%s%s", (int)base_len, public_url,
	    authz ? "/authorize/" : "/authenticate/token/", segment) < 0)
		fatal("asprintf");

	g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", "v1");
	json_gen_str(g, "kind", "Config");
	json_gen_key(g, "clusters");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	json_gen_str(g, "name", "kubernetes-auth");
	json_gen_key(g, "cluster");
	yajl_gen_map_open(g);
	json_gen_str(g, "server", url);
	json_gen_str(g, "certificate-authority",
	    "/etc/kubernetes/pki/kubernetes-auth-ca.crt");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	json_gen_key(g, "users");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	json_gen_str(g, "name", "kube-apiserver");
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	if (c->client_cn != NULL) {
		json_gen_str(g, "client-certificate",
		    "/etc/kubernetes/pki/kubernetes-auth-client.crt");
		json_gen_str(g, "client-key",
		    "/etc/kubernetes/pki/kubernetes-auth-client.key");
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	json_gen_key(g, "contexts");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	json_gen_str(g, "name", "webhook");
	json_gen_key(g, "context");
	yajl_gen_map_open(g);
	json_gen_str(g, "cluster", "kubernetes-auth");
	json_gen_str(g, "user", "kube-apiserver");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	json_gen_str(g, "current-context", "webhook");
	yajl_gen_map_close(g);
	req_send_json(r, 200);
done:
	free(which);
	free(segment);
	free(url);
	free(c);
}

/* --- bodies without a request (fuzz/) ------------------------------------- */

/*
 * The checks POST /users, /tokens and /clusters make on a body before the
 * store sees it, reachable without FastCGI, MariaDB or an admin token so
 * that fuzz/ can drive them with arbitrary bytes: the handlers' own body
 * parsers, on a request made up for the purpose.
 */
int
admin_user_body_check(const char *text, size_t len, char *err, size_t errlen)
{
	struct ctx w = { 0 };
	struct store_user u;
	struct req r;
	yajl_val body;

	req_check_begin(&r, &w, text, len);
	if (admin_body(&r, &body) == 0)
		admin_user_body_parse(&r, body, &u);
	json_free(body);
	return req_check_end(&r, err, errlen);
}

int
admin_token_body_check(const char *text, size_t len, const struct conf *conf,
    int64_t now, char *err, size_t errlen)
{
	struct ctx w = { .conf = conf };
	struct admin_token_body b = { .f.clusters = NULL };
	struct req r;
	yajl_val body;

	req_check_begin(&r, &w, text, len);
	if (admin_body(&r, &body) == 0)
		admin_token_body_parse(&r, body, now, &b);
	free(b.f.clusters);
	json_free(body);
	return req_check_end(&r, err, errlen);
}

int
admin_cluster_body_check(const char *text, size_t len, char *err, size_t errlen)
{
	struct ctx w = { 0 };
	struct store_cluster c;
	struct req r;
	yajl_val body;

	req_check_begin(&r, &w, text, len);
	if (admin_body(&r, &body) == 0)
		admin_cluster_body_parse(&r, body, &c);
	json_free(body);
	return req_check_end(&r, err, errlen);
}
