/*
 * authz.c — the authorization webhook and the worker's cache of compiled
 * rules (see authz.h for how they fit together).
 */
#include "authz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "counters.h"
#include "db.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "policy_file.h"
#include "policy_request.h"
#include "policy_rule.h"
#include "policy_set.h"
#include "req.h"
#include "store.h"
#include "ctx.h"

/* While no set could be loaded, try the database at most this often (not
 * on every request: each try may cost database.connect_timeout). */
#define AUTHZ_RETRY_MS 1000

/* --- the worker's cache --------------------------------------------------- */

/* Clusters known to exist: each entry is "name\0client_cn" in one
 * allocation, sorted by name (strcmp stops at the first NUL). */
struct authz_names {
	char **v;                       /* sorted, owned */
	size_t n, cap;
};

/* One per worker, in its context (ctx.h). */
struct authz_cache {
	struct policy_set *set;         /* NULL: never loaded */
	long long generation;           /* what SET was built from */
	long long checked_ms;           /* last look at the generation */
	bool checked;
	struct authz_names clusters;    /* names known to exist */
};

/* The worker's cache, made on first use. */
static struct authz_cache *
authz_cache_of(struct ctx *w)
{
	if (w->authz == NULL && (w->authz = calloc(1, sizeof(*w->authz))) == NULL)
		fatal("calloc");
	return w->authz;
}

static int
authz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
authz_names_free(struct authz_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
authz_names_add(void *ctx, const char *name, const char *client_cn)
{
	struct authz_names *l = ctx;
	size_t name_len = strlen(name), cn_len = strlen(client_cn);

	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : 2 * l->cap;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = malloc(name_len + cn_len + 2)) == NULL)
		return -1;
	memcpy(l->v[l->n], name, name_len + 1);
	memcpy(l->v[l->n] + name_len + 1, client_cn, cn_len + 1);
	l->n++;
	return 0;
}

/* The client_cn of a cached cluster ("" = none), or NULL if not cached. */
static const char *
authz_names_client_cn(const struct authz_names *l, const char *name)
{
	char **hit;

	if (l->n == 0)
		return NULL;
	hit = bsearch(&name, l->v, l->n, sizeof(*l->v), authz_name_cmp);
	return hit != NULL ? *hit + strlen(*hit) + 1 : NULL;
}

/* What a rebuild gathers from the database. */
struct authz_load {
	const struct policy_rule **rules;  /* file rules first, then the
	                                      database's */
	size_t n, cap, nfile;
	struct policy_rule **owned;     /* the database's, to free */
	size_t nowned;
	char error[512];                /* the first rule left out, and why */
	size_t left_out;
};

/* Add RULE to L; OWNED: L frees it (a database rule). */
static int
authz_load_push(struct authz_load *l, const struct policy_rule *rule,
    struct policy_rule *owned)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : 2 * l->cap;
		const struct policy_rule **v = realloc(l->rules, cap * sizeof(*v));
		struct policy_rule **o = realloc(l->owned, cap * sizeof(*o));
		if (v != NULL)
			l->rules = v;
		if (o != NULL)
			l->owned = o;
		if (v == NULL || o == NULL)
			return -1;
		l->cap = cap;
	}
	l->rules[l->n++] = rule;
	if (owned != NULL)
		l->owned[l->nowned++] = owned;
	return 0;
}

static void
authz_load_left_out(struct authz_load *l, long long id, const char *why)
{
	if (l->left_out++ == 0)
		snprintf(l->error, sizeof(l->error), "policy %lld is left out: %s",
		    id, why);
}

/* A database row: parsed and kept, or left out (named in the set's
 * load error, which every answer then carries as evaluationError). */
static int
authz_load_row(void *ctx, long long id, const char *text, size_t len)
{
	struct authz_load *l = ctx;
	struct policy_rule *rule;
	char err[256];

	if (policy_rule_from_json_text(text, len, &rule, err, sizeof(err)) < 0) {
		log_warnx("authorization: policy %lld does not parse: %s", id, err);
		authz_load_left_out(l, id, err);
		return 0;
	}
	rule->id = id;
	rule->from_file = false;
	/* The API refuses such names, but the file may gain one later: the
	 * file wins, as it is the operator's own and cannot be edited here. */
	if (policy_file_find(rule->name) != NULL) {
		log_warnx("authorization: policy %lld is named like a rule of "
		    "policy_file (%s): left out", id, rule->name);
		authz_load_left_out(l, id, "its name is taken by policy_file");
		policy_rule_free(rule);
		return 0;
	}
	if (authz_load_push(l, rule, rule) < 0) {
		policy_rule_free(rule);
		return -1;
	}
	return 0;
}

/* Read the rules and clusters at GENERATION and swap them in. On any
 * failure the previous set stays. */
static void
authz_rebuild(struct ctx *w, long long generation)
{
	struct authz_cache *cache = authz_cache_of(w);
	struct authz_load l = { .nfile = 0 };
	struct authz_names clusters = { 0 };
	struct policy_set *set = NULL;
	char err[512], load_error[600];
	size_t i;

	for (i = 0; i < policy_file_count(); i++)
		if (authz_load_push(&l, policy_file_rule(i), NULL) < 0)
			goto out;
	l.nfile = l.n;
	if (store_policy_list(w->db, authz_load_row, &l) < 0 ||
	    store_cluster_names(w->db, authz_names_add, &clusters) < 0) {
		log_warnx("authorization: cannot read the rules; answering with "
		    "the %s", cache->set != NULL ? "cached ones" :
		    "no rules (no opinion)");
		goto out;
	}
	if (clusters.n > 1)
		qsort(clusters.v, clusters.n, sizeof(*clusters.v), authz_name_cmp);
	if (l.left_out > 1)
		snprintf(load_error, sizeof(load_error), "%s (and %zu more)",
		    l.error, l.left_out - 1);
	else
		snprintf(load_error, sizeof(load_error), "%s", l.error);
	if (policy_set_new(l.rules, l.n, l.left_out > 0 ? load_error : NULL, &set,
	    err, sizeof(err)) < 0) {
		log_warnx("authorization: cannot compile the rules: %s", err);
		goto out;
	}
	log_debug("authorization: %zu rules (%zu from policy_file), %zu clusters, "
	    "generation %lld", policy_set_count(set), l.nfile, clusters.n,
	    generation);
	policy_set_free(cache->set);
	cache->set = set;
	cache->generation = generation;
	authz_names_free(&cache->clusters);
	cache->clusters = clusters;
	clusters = (struct authz_names){ 0 };
out:
	for (i = 0; i < l.nowned; i++)
		policy_rule_free(l.owned[i]);
	free(l.owned);
	free(l.rules);
	authz_names_free(&clusters);
}

/* Look at the generation when `refresh` has passed (or no set is loaded
 * yet), and rebuild when it moved. */
static void
authz_refresh(struct ctx *w)
{
	struct authz_cache *cache = authz_cache_of(w);
	long long now = ktime_mono_us() / 1000, generation;
	long long every = w->conf->authorization.refresh_ms;

	if (cache->set == NULL && every > AUTHZ_RETRY_MS)
		every = AUTHZ_RETRY_MS;
	if (cache->checked && now - cache->checked_ms < every)
		return;
	cache->checked = true;
	cache->checked_ms = now;
	if (store_policy_generation(w->db, &generation) < 0) {
		log_debug("authorization: cannot read the generation; %s",
		    cache->set != NULL ? "answering from the cache" :
		    "no rules loaded yet");
		return;
	}
	if (cache->set != NULL && generation == cache->generation)
		return;
	authz_rebuild(w, generation);
}

void
authz_cache_invalidate(struct ctx *w)
{
	if (w->authz != NULL)
		w->authz->checked = false;
}

void
authz_cache_free(struct authz_cache *cache)
{
	if (cache == NULL)
		return;
	policy_set_free(cache->set);
	authz_names_free(&cache->clusters);
	free(cache);
}

/* --- the webhook ---------------------------------------------------------- */

enum authz_cluster { AUTHZ_CLUSTER_KNOWN, AUTHZ_CLUSTER_UNKNOWN,
	AUTHZ_CLUSTER_UNCHECKED };

/* Does cluster NAME exist, and what client_cn binds it? From the cache; a
 * name it does not hold (a cluster made since the last rebuild, or a wrong
 * path) costs one query, and a found one is remembered until the next
 * rebuild. *client_cn is borrowed from the cache. */
static enum authz_cluster
authz_cluster_check(struct ctx *w, const char *name, const char **client_cn)
{
	struct authz_cache *cache = authz_cache_of(w);
	struct store_cluster *c;

	*client_cn = authz_names_client_cn(&cache->clusters, name);
	if (*client_cn != NULL)
		return AUTHZ_CLUSTER_KNOWN;
	if (store_cluster_get(w->db, name, NULL, &c) < 0)
		return AUTHZ_CLUSTER_UNCHECKED;
	if (c == NULL)
		return AUTHZ_CLUSTER_UNKNOWN;
	if (authz_names_add(&cache->clusters, name,
	    c->client_cn != NULL ? c->client_cn : "") == 0)
		qsort(cache->clusters.v, cache->clusters.n,
		    sizeof(*cache->clusters.v), authz_name_cmp);
	free(c);
	*client_cn = authz_names_client_cn(&cache->clusters, name);
	return *client_cn != NULL ? AUTHZ_CLUSTER_KNOWN : AUTHZ_CLUSTER_UNCHECKED;
}

/* Decide SAR for the path's cluster (NULL = global) into *D. Returns 0, or
 * -1 with the refusal recorded on R (404 unknown cluster, 403 a client
 * certificate the cluster does not accept). */
static int
authz_decide(struct req *r, const char *cluster,
    const struct policy_request *sar, struct policy_decision *d)
{
	struct ctx *w = r->ctx;
	const char *client_cn = NULL;

	/* webhook_client_cert: required: no API server, no answer (not even
	 * whether a cluster exists). */
	if (!req_client_cert_allowed(r, NULL))
		return req_fail(r, 403, "a verified client certificate is "
		    "required");
	authz_refresh(w);
	if (cluster == NULL) {
		policy_set_decide(authz_cache_of(w)->set, NULL, sar,
		    w->conf->authorization.default_decision, d);
		return 0;
	}
	switch (authz_cluster_check(w, cluster, &client_cn)) {
	case AUTHZ_CLUSTER_UNKNOWN:
		return req_fail(r, 404, "cluster not found");
	case AUTHZ_CLUSTER_UNCHECKED:
		/* A cluster the cache does not know, and no database to ask:
		 * no opinion, as for a set that is not loaded. */
		memset(d, 0, sizeof(*d));
		d->verdict = POLICY_NO_OPINION;
		snprintf(d->reason, sizeof(d->reason),
		    "the cluster could not be checked");
		snprintf(d->evaluation_error, sizeof(d->evaluation_error),
		    "the cluster could not be checked: database unavailable");
		return 0;
	case AUTHZ_CLUSTER_KNOWN:
		break;
	}
	/* A cluster bound to a client certificate answers only its API
	 * servers, as on its authentication paths. */
	if (!req_client_cert_allowed(r, client_cn))
		return req_fail(r, 403, "client certificate not accepted for "
		    "this cluster");
	policy_set_decide(authz_cache_of(w)->set, cluster, sar,
	    w->conf->authorization.default_decision, d);
	return 0;
}

/* The audit line of one decision (level 4). */
static void
authz_audit(const struct req *r, const char *cluster,
    const struct policy_request *sar, const struct policy_decision *d)
{
	char user[96], shown_cluster[96];

	log_sanitize(user, sizeof(user), sar->user);
	if (cluster != NULL)
		log_sanitize(shown_cluster, sizeof(shown_cluster), cluster);
	log_info("audit: authorize user %s cluster %s: %s%s%s%s in %ld us",
	    user, cluster != NULL ? shown_cluster : "(global)",
	    policy_request_verdict_name(d->verdict),
	    d->rule != NULL ? " by policy " :
	    d->by_default ? " by default" : "",
	    d->rule != NULL ? d->rule : "",
	    d->evaluation_error[0] != '\0' ? " (evaluation error)" : "",
	    ktime_since_us(r->started_us));
}

void
authz_review(struct req *r)
{
	const char *cluster = r->nparams > 0 ? r->params[0] : NULL;
	struct policy_request sar = { 0 };
	struct policy_decision d;
	char err[256];
	yajl_val root = NULL;
	bool parsed = false, counted = false;

	if (json_parse(r->body, r->body_len, &root, err, sizeof(err)) < 0) {
		req_fail(r, 400, "%s", err);
		goto done;
	}
	if (policy_request_parse(root, &sar, err, sizeof(err)) < 0) {
		req_fail(r, 400, "%s", err);
		goto done;
	}
	parsed = true;
	if (authz_decide(r, cluster, &sar, &d) < 0)
		goto done;
	policy_request_answer_gen(req_json(r), &sar, &d);
	req_send_json(r, 200);
	counted = true;
	counters_authz(d.verdict == POLICY_ALLOWED ? COUNTERS_AUTHZ_ALLOWED :
	    d.verdict == POLICY_DENIED ? COUNTERS_AUTHZ_DENIED :
	    COUNTERS_AUTHZ_NO_OPINION);
	authz_audit(r, cluster, &sar, &d);
done:
	/* Refused before a decision: 400, 403, 404. */
	if (!counted)
		counters_authz(COUNTERS_AUTHZ_ERROR);
	if (parsed)
		policy_request_cleanup(&sar);
	json_free(root);
}
