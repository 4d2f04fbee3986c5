/*
 * me.c — the user API: GET /me, the caller's tokens, a kubeconfig.
 */
#include "me.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "authn.h"
#include "conf.h"
#include "ctx.h"
#include "directory_stats.h"
#include "json.h"
#include "ktime.h"
#include "kubeconfig.h"
#include "log.h"
#include "req.h"
#include "secrets.h"
#include "store.h"

/* --- common --------------------------------------------------------------- */

/* The audit line of one call, once its answer is decided: the token by
 * id, its user, the route, how it ended (for a failure, its status and
 * message) and DETAIL (NULL: none). Never a secret. */
static void
me_audit(const struct req *r, const struct store_token_auth *tok,
    const char *detail)
{
	char user[160], error[200], outcome[256];

	log_sanitize(user, sizeof(user), tok->username);
	if (r->error != NULL) {
		log_sanitize(error, sizeof(error), r->error);
		snprintf(outcome, sizeof(outcome), "%s (%d %s)", r->status >= 500 ?
		    "error" : "refused", r->status, error);
	} else {
		snprintf(outcome, sizeof(outcome), "ok");
	}
	log_info("audit: me token %s user %s (%s): %s %s: %s%s%s", tok->id,
	    tok->user_id, user, r->method, r->route != NULL ? r->route : "?",
	    outcome, detail != NULL && detail[0] != '\0' ? ", " : "",
	    detail != NULL ? detail : "");
}

static void
me_gen_time(yajl_gen g, const char *key, int64_t us)
{
	char text[KTIME_TEXT_MAX];

	ktime_format(us, text);
	json_gen_str(g, key, text);
}

/* A token as the user API shows it: never its secret. */
static void
me_gen_token(yajl_gen g, const struct store_token *t, bool last_used)
{
	yajl_gen_map_open(g);
	json_gen_str(g, "id", t->id);
	json_gen_str(g, "description", t->description != NULL ?
	    t->description : "");
	me_gen_time(g, "created", t->created_us);
	me_gen_time(g, "expiry", t->expiry_us);
	if (last_used) {
		if (t->last_used_us != 0) {
			me_gen_time(g, "last_used", t->last_used_us);
		} else {
			json_gen_key(g, "last_used");
			yajl_gen_null(g);
		}
	}
	if (t->scoped)
		json_gen_strs(g, "clusters", t->clusters, t->nclusters);
	yajl_gen_map_close(g);
}

/* Cluster names, copied (what a store callback lends). */
struct me_names {
	char **v;
	size_t n, cap;
};

static void
me_names_add(struct me_names *names, const char *name)
{
	if (names->n == names->cap) {
		names->cap = names->cap == 0 ? 8 : 2 * names->cap;
		names->v = reallocarray(names->v, names->cap, sizeof(*names->v));
		if (names->v == NULL)
			fatal("reallocarray");
	}
	if ((names->v[names->n++] = strdup(name)) == NULL)
		fatal("strdup");
}

static bool
me_names_have(const struct me_names *names, const char *name)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (strcmp(names->v[i], name) == 0)
			return true;
	return false;
}

static void
me_names_free(struct me_names *names)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
	memset(names, 0, sizeof(*names));
}

static int
me_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
me_cluster_name_row(void *ctx, const char *name, const char *client_cn)
{
	me_names_add(ctx, name);
	return 0;
}

/* One token's row (the store lends it to a callback): its description and
 * clusters, copied. */
struct me_token_row {
	bool found;
	char *description;
	int64_t created_us;
	int64_t expiry_us;
	bool scoped;
	struct me_names clusters;
};

static int
me_token_row_fn(void *ctx, const struct store_token *t)
{
	struct me_token_row *row = ctx;
	size_t i;

	row->found = true;
	if ((row->description = strdup(t->description != NULL ?
	    t->description : "")) == NULL)
		fatal("strdup");
	row->created_us = t->created_us;
	row->expiry_us = t->expiry_us;
	row->scoped = t->scoped;
	for (i = 0; i < t->nclusters; i++)
		me_names_add(&row->clusters, t->clusters[i]);
	return 0;
}

static void
me_token_row_cleanup(struct me_token_row *row)
{
	free(row->description);
	me_names_free(&row->clusters);
}

/* The row of the caller's token TOK (its description, created, clusters),
 * or -1 after failing R. */
static int
me_token_row(struct req *r, const struct store_token_auth *tok,
    struct me_token_row *row)
{
	memset(row, 0, sizeof(*row));
	if (store_token_list(r->ctx->db, NULL, NULL, tok->id, me_token_row_fn,
	    row) < 0)
		return req_fail_db(r);
	if (!row->found)        /* revoked since authn_bearer() found it */
		return req_fail(r, 401, "invalid token");
	return 0;
}

/* --- GET /me -------------------------------------------------------------- */

/* Who the caller is to the clusters now, through the same code as a
 * TokenReview (authn_identify): 403 with the review's reason when a
 * cluster would refuse the token now, 503 when LDAP cannot answer. */
void
me_get(struct req *r)
{
	struct store_token_auth tok;
	struct authn_user au = { .username = NULL };
	struct directory_stats stats;
	struct me_token_row row = { .description = NULL };
	struct me_names all = { .v = NULL };
	const struct me_names *clusters;
	enum counters_authn outcome;
	char detail[200] = "", shown[160];
	yajl_gen g;

	if (authn_bearer(r, "me", &tok) < 0)
		return;
	if (authn_identify(r, &tok, &au, &outcome, detail, sizeof(detail),
	    &stats) < 0) {
		req_fail(r, 503, "ldap unavailable");
		goto done;
	}
	if (outcome != COUNTERS_AUTHN_AUTHENTICATED) {
		req_fail(r, 403, "%s", authn_error_text(outcome));
		goto done;
	}
	if (me_token_row(r, &tok, &row) < 0)
		goto done;
	clusters = &row.clusters;
	if (!row.scoped) {
		if (store_cluster_names(r->ctx->db, me_cluster_name_row, &all) < 0) {
			req_fail_db(r);
			goto done;
		}
		clusters = &all;
	}
	qsort(clusters->v, clusters->n, sizeof(*clusters->v), me_cmp_names);

	g = req_json(r);
	yajl_gen_map_open(g);
	authn_user_gen(g, &au);
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	json_gen_str(g, "id", tok.user_id);
	json_gen_strn(g, "username", tok.username, tok.username_len);
	yajl_gen_map_close(g);
	json_gen_key(g, "token");
	yajl_gen_map_open(g);
	json_gen_str(g, "id", tok.id);
	json_gen_str(g, "description", row.description);
	me_gen_time(g, "created", row.created_us);
	me_gen_time(g, "expiry", tok.expiry_us);
	if (row.scoped)
		json_gen_strs(g, "clusters", (const char *const *)row.clusters.v,
		    row.clusters.n);
	yajl_gen_map_close(g);
	json_gen_strs(g, "clusters", (const char *const *)clusters->v,
	    clusters->n);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
	log_sanitize(shown, sizeof(shown), au.username);
	snprintf(detail, sizeof(detail), "username %s, %zu groups", shown,
	    au.ngroups);
done:
	me_audit(r, &tok, detail);
	me_names_free(&all);
	me_token_row_cleanup(&row);
	authn_user_cleanup(&au);
}

/* --- GET/POST /me/tokens, DELETE /me/tokens/{id} -------------------------- */

/* The caller's live tokens, for the list and for login.max_tokens. */
struct me_token_walk {
	yajl_gen g;                     /* NULL = only count */
	int64_t now;
	unsigned long long live;
};

static int
me_token_walk_fn(void *ctx, const struct store_token *t)
{
	struct me_token_walk *w = ctx;

	if (t->expiry_us <= w->now)
		return 0;
	w->live++;
	if (w->g != NULL)
		me_gen_token(w->g, t, true);
	return 0;
}

void
me_tokens_list(struct req *r)
{
	struct store_token_auth tok;
	struct me_token_walk w = { .now = ktime_now_us() };
	char detail[64] = "";

	if (authn_bearer(r, "me", &tok) < 0)
		return;
	w.g = req_json(r);
	yajl_gen_array_open(w.g);
	if (store_token_list(r->ctx->db, NULL, tok.user_id, NULL,
	    me_token_walk_fn, &w) < 0) {
		req_fail_db(r);
	} else {
		yajl_gen_array_close(w.g);
		req_send_json(r, 200);
		snprintf(detail, sizeof(detail), "%llu tokens", w.live);
	}
	me_audit(r, &tok, detail);
}

/* Check BODY (NULL: none) at NOW as a POST /me/tokens into *F (free
 * F->clusters, also after a failure): ttl or expiry up to tokens.max_ttl
 * (login.ttl when neither), a description, clusters. Returns 0 or -1
 * (400). */
static int
me_token_body_parse(struct req *r, yajl_val body, int64_t now,
    struct admin_token_fields *f)
{
	const struct conf *conf = r->ctx->conf;
	const struct admin_token_limits lim = { conf->login.ttl_ms,
	    conf->tokens.max_ttl_ms, "tokens.max_ttl", STORE_DESCRIPTION_MAX };

	return admin_token_fields_parse(r, body, now, &lim, f);
}

int
me_token_body_check(const char *text, size_t len, const struct conf *conf,
    int64_t now, char *err, size_t errlen)
{
	struct ctx w = { .conf = conf };
	struct admin_token_fields b = { .clusters = NULL };
	struct req r;
	yajl_val body;

	req_check_begin(&r, &w, text, len);
	if (admin_body_optional(&r, &body) == 0)
		me_token_body_parse(&r, body, now, &b);
	free(b.clusters);
	json_free(body);
	return req_check_end(&r, err, errlen);
}

/* A scoped caller makes tokens scoped to some of its own clusters only
 * (none asked for: all of its own); an unscoped one, to any cluster. The
 * names the new token gets in *NAMES and *N (B's, or borrowed from ROW), or
 * -1 after 400 naming the first cluster not allowed. */
static int
me_token_scope(struct req *r, const struct me_token_row *row,
    const struct admin_token_fields *b, const char *const **names, size_t *n)
{
	size_t i;

	*names = b->clusters;
	*n = b->nclusters;
	if (!row->scoped)
		return 0;
	if (b->nclusters == 0) {
		*names = (const char *const *)row->clusters.v;
		*n = row->clusters.n;
		return 0;
	}
	for (i = 0; i < b->nclusters; i++)
		if (!me_names_have(&row->clusters, b->clusters[i]))
			return req_fail(r, 400, "cluster not allowed for this "
			    "token: %s", b->clusters[i]);
	return 0;
}

/* 201 with the new token OUT, its secret shown this once. */
static void
me_token_created(struct req *r, const struct store_token *out)
{
	yajl_gen g = req_json(r);

	yajl_gen_map_open(g);
	json_gen_str(g, "id", out->id);
	json_gen_str(g, "token", out->token);
	json_gen_str(g, "description", out->description);
	me_gen_time(g, "created", out->created_us);
	me_gen_time(g, "expiry", out->expiry_us);
	if (out->scoped)
		json_gen_strs(g, "clusters", out->clusters, out->nclusters);
	yajl_gen_map_close(g);
	req_send_json(r, 201);
}

void
me_tokens_create(struct req *r)
{
	const struct conf *conf = r->ctx->conf;
	struct store_token_auth tok;
	struct admin_token_fields b = { .clusters = NULL };
	struct me_token_row row = { .description = NULL };
	struct me_token_walk count = { .now = ktime_now_us() };
	struct store_token_new in = { 0 };
	struct store_token out;
	const char *missing = NULL;
	char detail[96] = "";
	yajl_val body = NULL;

	memset(&out, 0, sizeof(out));
	if (authn_bearer(r, "me", &tok) < 0)
		return;
	if (admin_body_optional(r, &body) < 0 ||
	    me_token_body_parse(r, body, count.now, &b) < 0)
		goto done;
	if (me_token_row(r, &tok, &row) < 0 ||
	    me_token_scope(r, &row, &b, &in.clusters, &in.nclusters) < 0)
		goto done;
	if (store_token_list(r->ctx->db, NULL, tok.user_id, NULL,
	    me_token_walk_fn, &count) < 0) {
		req_fail_db(r);
		goto done;
	}
	if (count.live >= (unsigned long long)conf->login.max_tokens) {
		req_fail(r, 409, "you have %llu live tokens, the most allowed "
		    "(login.max_tokens): revoke one first", count.live);
		goto done;
	}
	in.user_id = tok.user_id;
	in.description = b.description;
	in.expiry_us = b.expiry_us;
	in.created_us = count.now;
	if (store_token_create(r->ctx->db, r->ctx->secrets->token_keys,
	    conf->tokens.reveal, &in, &out, &missing) < 0) {
		if (missing != NULL && strcmp(missing, "user_id") != 0)
			req_fail(r, 400, "unknown cluster in clusters: %s", missing);
		else
			req_fail_db(r);
		goto done;
	}
	me_token_created(r, &out);
	snprintf(detail, sizeof(detail), "created token %s%s", out.id,
	    out.scoped ? " (scoped)" : "");
done:
	me_audit(r, &tok, detail);
	OPENSSL_cleanse(out.token, sizeof(out.token));
	me_token_row_cleanup(&row);
	free(b.clusters);
	json_free(body);
}

void
me_tokens_delete(struct req *r)
{
	struct store_token_auth tok;
	char id[STORE_ID_LEN + 1] = "", detail[96];
	bool found = false;
	yajl_gen g;

	if (authn_bearer(r, "me", &tok) < 0)
		return;
	/* Someone else's token, or none: the same 404, and the same single
	 * statement, so that the answer tells nothing. */
	if (admin_path_id(r, 0, "token", id) < 0)
		goto done;
	if (store_token_revoke_owned(r->ctx->db, id, tok.user_id, &found) < 0) {
		req_fail_db(r);
		goto done;
	}
	if (!found) {
		req_fail(r, 404, "token not found");
		goto done;
	}
	g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_str(g, "id", id);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
done:
	snprintf(detail, sizeof(detail), "token %s", id[0] != '\0' ? id :
	    "(not an id)");
	me_audit(r, &tok, detail);
}

/* --- GET /me/kubeconfig --------------------------------------------------- */

/* A kubeconfig for cluster C whose user runs the credential plugin,
 * told where the service is, which cluster, which user (its token cache
 * key and the name it asks the password for) and the token lifetime to
 * ask for: cluster, user and context, the context current. JSON, which is
 * YAML. */
static void
me_gen_kubeconfig(struct req *r, const struct store_cluster *c,
    const struct store_token_auth *tok, const char *url)
{
	char *user_entry, ttl[32];
	yajl_gen g = req_json(r);
	const char *args[] = { "get-token", "--url", url, "--cluster", c->name,
	    "--user", tok->username, "--ttl", ttl };
	struct kubeconfig_entries e = {
		.cluster = c->name, .server = c->server, .ca_data = c->ca_data,
		.context = c->name, .exec_api_version = ME_PLUGIN_API_VERSION,
		.args = args, .nargs = sizeof(args) / sizeof(args[0]),
	};

	ktime_duration_text(r->ctx->conf->login.ttl_ms, ttl, sizeof(ttl));
	if (asprintf(&user_entry, "%s@%s", tok->username, c->name) < 0)
		fatal("asprintf");
	e.user = user_entry;
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", "v1");
	json_gen_str(g, "kind", "Config");
	json_gen_key(g, "clusters");
	yajl_gen_array_open(g);
	kubeconfig_gen_cluster(g, &e);
	yajl_gen_array_close(g);
	json_gen_key(g, "users");
	yajl_gen_array_open(g);
	kubeconfig_gen_user(g, &e);
	yajl_gen_array_close(g);
	json_gen_key(g, "contexts");
	yajl_gen_array_open(g);
	kubeconfig_gen_context(g, &e);
	yajl_gen_array_close(g);
	json_gen_str(g, "current-context", c->name);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
	free(user_entry);
}

void
me_kubeconfig(struct req *r)
{
	const char *public_url = r->ctx->conf->public_url;
	struct store_token_auth tok;
	struct store_cluster *c = NULL;
	bool in = true, invalid;
	char *name = NULL, *url = NULL, detail[200] = "";
	size_t len;

	if (authn_bearer(r, "me", &tok) < 0)
		return;
	name = req_query_get(r, "cluster", &invalid);
	if (invalid || name == NULL || name[0] == '\0') {
		req_fail(r, 400, "query parameter cluster: give a cluster name "
		    "(?cluster=NAME)");
		goto done;
	}
	snprintf(detail, sizeof(detail), "cluster ");
	log_sanitize(detail + strlen(detail), sizeof(detail) - strlen(detail),
	    name);
	/* Unknown, or not one this token may be used on: the same 404. */
	if (strlen(name) > STORE_CLUSTER_NAME_MAX) {
		req_fail(r, 404, "cluster not found");
		goto done;
	}
	if (store_cluster_get(r->ctx->db, name, NULL, &c) < 0 ||
	    (c != NULL && tok.scoped &&
	    store_token_in_cluster(r->ctx->db, tok.id, c->id, &in) < 0)) {
		req_fail_db(r);
		goto done;
	}
	if (c == NULL || !in) {
		req_fail(r, 404, "cluster not found");
		goto done;
	}
	if (c->server == NULL || public_url[0] == '\0') {
		req_fail(r, 409, "%s", c->server == NULL ? "this cluster has no "
		    "server URL: ask an administrator to set it" :
		    "public_url is not set in the service's configuration");
		goto done;
	}
	len = strlen(public_url);
	while (len > 0 && public_url[len - 1] == '/')
		len--;
	if ((url = strndup(public_url, len)) == NULL)
		fatal("strndup");
	me_gen_kubeconfig(r, c, &tok, url);
done:
	me_audit(r, &tok, detail);
	free(url);
	free(name);
	free(c);
}
