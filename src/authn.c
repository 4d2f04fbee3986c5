/*
 * authn.c — TokenReview, cluster binding, /login and /logout.
 */
#include "authn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "conf.h"
#include "counters.h"
#include "crypto.h"
#include "db.h"
#include "dircache.h"
#include "dirdn.h"
#include "directory.h"
#include "dirsearch.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "req.h"
#include "secrets.h"
#include "store.h"
#include "textbuf.h"
#include "ctx.h"

#define AUTHN_V1 "authentication.k8s.io/v1"
#define AUTHN_V1BETA1 "authentication.k8s.io/v1beta1"
#define AUTHN_TOKEN_MAX 4096            /* longer: no token of ours */
#define AUTHN_SYSTEM "system:"

/* The status.error string of each refusal (doc/authentication.md), and
 * nothing else. */
static const char *const authn_errors[COUNTERS_NAUTHN] = {
	[COUNTERS_AUTHN_NO_TOKEN] = "No token found",
	[COUNTERS_AUTHN_UNKNOWN] = "token not found",
	[COUNTERS_AUTHN_EXPIRED] = "token expired",
	[COUNTERS_AUTHN_REVOKED] = "token revoked",
	[COUNTERS_AUTHN_WRONG_CLUSTER] = "token not valid for this cluster",
	[COUNTERS_AUTHN_NOT_IN_DIRECTORY] = "user not found in directory",
	[COUNTERS_AUTHN_AMBIGUOUS] = "user matches several directory entries",
	[COUNTERS_AUTHN_NOT_ALLOWED] = "user not allowed",
};

#define AUTHN_LOGIN_FAILED "invalid username or password"
#define AUTHN_LOGIN_NOT_ALLOWED "user not allowed"

static bool
authn_is_system(const char *name)
{
	return strncmp(name, AUTHN_SYSTEM, strlen(AUTHN_SYSTEM)) == 0;
}

/* --- TokenReview ---------------------------------------------------------- */

/* One authentication, for the answer and the audit line. */
struct authn_review {
	struct req *r;
	const char *api_version;        /* the request's (or v1beta1) */
	const char *cluster;            /* path's cluster name, or NULL */
	struct store_cluster *cl;       /* its row, when there is a cluster */

	bool found;                     /* the token, matched under its key */
	struct store_token_auth tok;    /* its fingerprint even when not */

	long db_us;
	struct directory_stats ldap;
	bool asked_ldap;
	bool counted;                   /* the outcome is in the counters */
};

static void
authn_count(struct authn_review *rv, enum counters_authn outcome)
{
	counters_authn(outcome);
	rv->counted = true;
}

static void
authn_review_cleanup(struct authn_review *rv)
{
	free(rv->cl);
}

/*
 * The audit line: token (id, or fingerprint when unknown), user, cluster,
 * decision, reason, time and where it went. Never the token.
 */
static void
authn_audit(struct authn_review *rv, const char *decision, const char *reason,
    const char *k8s_user, size_t ngroups)
{
	char line[LOG_LINE_MAX];
	struct textbuf l = TEXTBUF_INIT(line);
	const char *fp = rv->tok.fingerprint;

	/* Written for every review: built by appending, not by printf (which
	 * cost three times as much). Untrusted text is shown as
	 * log_sanitize() would, in at most 159 bytes. */
	if (!log_enabled(LOG_LVL_INFO))
		return;
	textbuf_add(&l, "audit: authn token ");
	if (rv->found) {
		textbuf_add(&l, rv->tok.id);
	} else {
		textbuf_add(&l, "fp:");
		textbuf_add(&l, fp[0] != '\0' ? fp : "-");
	}
	textbuf_add(&l, " user ");
	textbuf_shown(&l, rv->found ? rv->tok.username : "-", 159);
	textbuf_add(&l, " cluster ");
	textbuf_shown(&l, rv->cluster != NULL ? rv->cluster : "-", 159);
	textbuf_add(&l, ": ");
	textbuf_add(&l, decision);
	textbuf_add(&l, " (");
	textbuf_add(&l, reason);
	if (k8s_user != NULL) {
		textbuf_add(&l, ", username ");
		textbuf_shown(&l, k8s_user, 159);
		textbuf_add(&l, ", ");
		textbuf_num(&l, (long long)ngroups);
		textbuf_add(&l, " groups");
	}
	textbuf_add(&l, ") ");
	textbuf_num(&l, ktime_since_us(rv->r->started_us));
	textbuf_add(&l, "us (db ");
	textbuf_num(&l, rv->db_us);
	textbuf_add(&l, "us");
	if (rv->asked_ldap && rv->ldap.cached) {
		textbuf_add(&l, ", ldap cached");
	} else if (rv->asked_ldap) {
		textbuf_add(&l, ", ldap bind ");
		textbuf_num(&l, rv->ldap.bind_us);
		textbuf_add(&l, "us, search ");
		textbuf_num(&l, rv->ldap.search_us);
		textbuf_add(&l, "us in ");
		textbuf_num(&l, rv->ldap.searches);
	}
	textbuf_add(&l, ")");
	log_text(LOG_LVL_INFO, l.text, l.len);
}

/* The answer's opening: apiVersion, kind, and "status": { */
static yajl_gen
authn_answer_open(struct authn_review *rv)
{
	yajl_gen g = req_json(rv->r);

	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", rv->api_version);
	json_gen_str(g, "kind", "TokenReview");
	json_gen_key(g, "status");
	yajl_gen_map_open(g);
	return g;
}

/* authenticated: false for OUTCOME, with its status.error; DETAIL (or the
 * error) goes to the audit line. */
static void
authn_deny(struct authn_review *rv, enum counters_authn outcome,
    const char *detail)
{
	const char *reason = authn_errors[outcome];
	yajl_gen g = authn_answer_open(rv);

	authn_count(rv, outcome);
	json_gen_bool(g, "authenticated", false);
	json_gen_str(g, "error", reason);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	req_send_json(rv->r, 200);
	authn_audit(rv, "deny", detail != NULL ? detail : reason, NULL, 0);
}

/* A backend cannot answer: 503 JSON (the API server fails fast on it). */
static void
authn_unavailable(struct authn_review *rv, const char *what)
{
	char reason[64];

	snprintf(reason, sizeof(reason), "%s unavailable", what);
	authn_count(rv, COUNTERS_AUTHN_UNAVAILABLE);
	req_fail(rv->r, 503, "%s", reason);
	authn_audit(rv, "error", reason, NULL, 0);
}

/* PREFIX and NAME in one malloc'd string (the caller frees it): asprintf
 * would parse a format for each of a review's groups. */
static char *
authn_concat(const char *prefix, const char *name)
{
	size_t plen = strlen(prefix), nlen = strlen(name);
	char *s = malloc(plen + nlen + 1);

	if (s == NULL)
		fatal("malloc");
	memcpy(s, prefix, plen);
	memcpy(s + plen, name, nlen + 1);
	return s;
}

/* Is NAME in V (N strings)? */
static bool
authn_listed(char **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/* With group_name: dn, a group whose own name (its RDN's value) starts with
 * "system:" is dropped too: "cn=system:masters,ou=groups,..." is no
 * Kubernetes group, but it is one the directory meant as system:masters. */
static bool
authn_dn_is_system(const struct conf *conf, const char *dn)
{
	char *value;
	bool system;

	if (conf->ldap.group_name != CONF_GROUP_NAME_DN)
		return false;
	value = dirdn_rdn_value(dn);
	system = value != NULL && authn_is_system(value);
	free(value);
	return system;
}

/* The groups to answer: LDAP's (prefixed) then default_groups, distinct,
 * none starting with "system:" (dropped and logged, naming the local user
 * LOCAL). *NP strings, each malloc'd, in a malloc'd array. */
static char **
authn_groups(const struct conf *conf, const char *local,
    const struct dirsearch_user *u, size_t *np)
{
	const char *prefix = conf->authentication.group_prefix;
	size_t i, n = 0, max = u->ngroups + conf->authentication.default_groups.n;
	char **out = calloc(max + 1, sizeof(*out)), *name, shown[160];

	if (out == NULL)
		fatal("calloc");
	for (i = 0; i < max; i++) {
		bool from_ldap = i < u->ngroups;
		const char *raw = from_ldap ? u->groups[i] :
		    conf->authentication.default_groups.v[i - u->ngroups];

		name = authn_concat(from_ldap ? prefix : "", raw);
		if (authn_is_system(raw) || authn_is_system(name) ||
		    (from_ldap && authn_dn_is_system(conf, raw))) {
			char user[160];
			log_sanitize(shown, sizeof(shown), name);
			log_sanitize(user, sizeof(user), local);
			log_warnx("authn: group \"%s\" of user %s dropped: names "
			    "starting with system: never come from %s", shown,
			    user, from_ldap ? "LDAP" : "the configuration");
			free(name);
			continue;
		}
		if (authn_listed(out, n, name)) {
			free(name);
			continue;
		}
		out[n++] = name;
	}
	*np = n;
	return out;
}

void
authn_user_cleanup(struct authn_user *au)
{
	size_t i;

	for (i = 0; i < au->ngroups; i++)
		free(au->groups[i]);
	free(au->groups);
	free(au->username);
	memset(au, 0, sizeof(*au));
}

/* The user a TokenReview answers for the entry U of the local user LOCAL:
 * 0 with *AU, or a refusal (*OUTCOME, and DETAIL for the audit line). */
static int
authn_user_build(const struct conf *conf, const char *local,
    const struct dirsearch_user *u, struct authn_user *au,
    enum counters_authn *outcome, char *detail, size_t detail_len)
{
	memset(au, 0, sizeof(*au));
	if (u->username == NULL || u->username[0] == '\0') {
		*outcome = COUNTERS_AUTHN_NOT_ALLOWED;
		snprintf(detail, detail_len, "directory entry has no %s",
		    conf->ldap.username_attribute);
		return -1;
	}
	au->username = authn_concat(conf->authentication.username_prefix,
	    u->username);
	if (authn_is_system(u->username) || authn_is_system(au->username)) {
		*outcome = COUNTERS_AUTHN_NOT_ALLOWED;
		snprintf(detail, detail_len, "username starts with system:");
		authn_user_cleanup(au);
		return -1;
	}
	au->uid = u->uid;
	au->groups = authn_groups(conf, local, u, &au->ngroups);
	au->extra = u->extra;
	au->nextra = u->nextra;
	*outcome = COUNTERS_AUTHN_AUTHENTICATED;
	return 0;
}

int
authn_identify(struct req *r, const struct store_token_auth *tok,
    struct authn_user *au, enum counters_authn *outcome, char *detail,
    size_t detail_len, struct directory_stats *stats)
{
	const struct dirsearch_user *u = NULL;
	size_t nentries;
	int rc;

	memset(au, 0, sizeof(*au));
	detail[0] = '\0';
	rc = dircache_lookup(r->ctx->dir, tok->username, tok->username_len, &u,
	    &nentries);
	directory_get_stats(r->ctx->dir, stats);
	if (rc < 0)
		return -1;
	if (nentries != 1) {
		*outcome = nentries == 0 ? COUNTERS_AUTHN_NOT_IN_DIRECTORY :
		    COUNTERS_AUTHN_AMBIGUOUS;
		return 0;
	}
	/* The entry must name itself exactly as the user is stored: the
	 * directory matches "ALICE", "alice " or a full-width "alice" to
	 * alice's entry, and each would otherwise be a second local user
	 * (with tokens of its own) authenticating as alice. */
	if (u->id == NULL || strcmp(u->id, tok->username) != 0) {
		*outcome = COUNTERS_AUTHN_NOT_IN_DIRECTORY;
		snprintf(detail, detail_len, "the directory entry found does not "
		    "have the stored name as its id_attribute");
		return 0;
	}
	authn_user_build(r->ctx->conf, tok->username, u, au, outcome, detail,
	    detail_len);
	return 0;
}

void
authn_user_gen(yajl_gen g, const struct authn_user *au)
{
	size_t i, j;

	json_gen_str(g, "username", au->username);
	if (au->uid != NULL)
		json_gen_str(g, "uid", au->uid);
	json_gen_key(g, "groups");
	yajl_gen_array_open(g);
	for (i = 0; i < au->ngroups; i++)
		json_gen_str(g, NULL, au->groups[i]);
	yajl_gen_array_close(g);
	if (au->nextra == 0)
		return;
	json_gen_key(g, "extra");
	yajl_gen_map_open(g);
	for (i = 0; i < au->nextra; i++) {
		json_gen_key(g, au->extra[i].name);
		yajl_gen_array_open(g);
		for (j = 0; j < au->extra[i].nvalues; j++)
			json_gen_str(g, NULL, au->extra[i].values[j]);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
}

const char *
authn_error_text(enum counters_authn outcome)
{
	return outcome < COUNTERS_NAUTHN && authn_errors[outcome] != NULL ?
	    authn_errors[outcome] : "user not allowed";
}

/* authenticated: true with the user AU. */
static void
authn_allow(struct authn_review *rv, const struct authn_user *au)
{
	yajl_gen g = authn_answer_open(rv);

	json_gen_bool(g, "authenticated", true);
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	authn_user_gen(g, au);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	req_send_json(rv->r, 200);
	authn_count(rv, COUNTERS_AUTHN_AUTHENTICATED);
	authn_audit(rv, "allow", "authenticated", au->username, au->ngroups);
}

/* The cluster of the path: 404 when unknown, 403 when bound to a client
 * certificate this request does not carry. Returns 0 or -1 (failed). */
static int
authn_path_cluster(struct authn_review *rv)
{
	struct req *r = rv->r;
	int64_t t0;
	char shown[160];
	int rc;

	/* webhook_client_cert: required: no API server, no answer (not even
	 * whether a cluster exists). */
	if (!req_client_cert_allowed(r, NULL)) {
		log_info("audit: authn refused: no verified client certificate "
		    "(webhook_client_cert: required)");
		return req_fail(r, 403, "a verified client certificate is "
		    "required");
	}
	if (r->nparams == 0)
		return 0;
	rv->cluster = r->params[0];
	t0 = ktime_mono_us();
	rc = store_cluster_get(r->ctx->db, rv->cluster, NULL, &rv->cl);
	rv->db_us += ktime_since_us(t0);
	if (rc < 0) {
		authn_unavailable(rv, "database");
		return -1;
	}
	log_sanitize(shown, sizeof(shown), rv->cluster);
	if (rv->cl == NULL) {
		log_info("audit: authn cluster %s: refused (no such cluster)", shown);
		return req_fail(r, 404, "cluster not found");
	}
	if (!req_client_cert_allowed(r, rv->cl->client_cn)) {
		char subject[256];
		const char *verify = req_param(r, "SSL_CLIENT_VERIFY");
		log_sanitize(subject, sizeof(subject),
		    req_param(r, "SSL_CLIENT_S_DN") != NULL ?
		    req_param(r, "SSL_CLIENT_S_DN") : "-");
		log_info("audit: authn cluster %s: refused: client certificate "
		    "%s, subject %s (the cluster wants CN %s)", shown,
		    verify != NULL && verify[0] != '\0' ? verify : "NONE",
		    subject, rv->cl->client_cn);
		return req_fail(r, 403, "this cluster's webhook needs its API "
		    "server's client certificate");
	}
	return 0;
}

int
authn_review_parse(const char *body, size_t len, yajl_val *tree,
    const char **api_version, const char **token, char *err, size_t errlen)
{
	yajl_val v, spec;

	*token = NULL;
	*api_version = AUTHN_V1BETA1;
	if (json_parse(body, len, tree, err, errlen) < 0)
		return -1;
	if (!YAJL_IS_OBJECT(*tree)) {
		snprintf(err, errlen, "the body must be a TokenReview object");
		return -1;
	}
	/* The original's walk-through sends no apiVersion: v1beta1. */
	v = json_get(*tree, "apiVersion");
	if (v == NULL || YAJL_IS_NULL(v))
		*api_version = AUTHN_V1BETA1;
	else if (json_string(v) != NULL && strcmp(json_string(v), AUTHN_V1) == 0)
		*api_version = AUTHN_V1;
	else if (json_string(v) != NULL &&
	    strcmp(json_string(v), AUTHN_V1BETA1) == 0)
		*api_version = AUTHN_V1BETA1;
	else {
		snprintf(err, errlen, "apiVersion must be " AUTHN_V1 " or "
		    AUTHN_V1BETA1);
		return -1;
	}
	v = json_get(*tree, "kind");
	if (v != NULL && !YAJL_IS_NULL(v) && (json_string(v) == NULL ||
	    strcmp(json_string(v), "TokenReview") != 0)) {
		snprintf(err, errlen, "kind must be TokenReview");
		return -1;
	}
	spec = json_get(*tree, "spec");
	if (spec != NULL && !YAJL_IS_NULL(spec) && !YAJL_IS_OBJECT(spec)) {
		snprintf(err, errlen, "spec must be an object");
		return -1;
	}
	*token = json_string(json_get(spec, "token"));
	return 0;
}

/* The request body: a TokenReview. Sets rv->api_version; *token is the
 * spec.token string (borrowed from TREE) or NULL. Returns 0 or -1 (400). */
static int
authn_parse_review(struct authn_review *rv, yajl_val *tree, const char **token)
{
	char err[160];

	if (authn_review_parse(rv->r->body, rv->r->body_len, tree,
	    &rv->api_version, token, err, sizeof(err)) < 0)
		return req_fail(rv->r, 400, "%s", err);
	return 0;
}

/* The token's row, and whether it may be used here: unknown, revoked,
 * expired, or scoped to other clusters are refusals. Returns 0 when the
 * review goes on, -1 when it was answered. */
static int
authn_check_token(struct authn_review *rv, const char *token, int64_t now)
{
	struct req *r = rv->r;
	size_t len = strlen(token);
	bool in = false;
	int64_t t0;
	int rc;

	if (len > AUTHN_TOKEN_MAX) {
		authn_deny(rv, COUNTERS_AUTHN_UNKNOWN, "token too long");
		return -1;
	}
	t0 = ktime_mono_us();
	rc = store_token_find(r->ctx->db, r->ctx->secrets->token_keys, token,
	    len, &rv->tok, &rv->found);
	rv->db_us += ktime_since_us(t0);
	if (rc < 0) {
		authn_unavailable(rv, "database");
		return -1;
	}
	if (!rv->found) {
		authn_deny(rv, COUNTERS_AUTHN_UNKNOWN, NULL);
		return -1;
	}
	if (rv->tok.revoked) {
		authn_deny(rv, COUNTERS_AUTHN_REVOKED, NULL);
		return -1;
	}
	if (rv->tok.expiry_us <= now) {
		authn_deny(rv, COUNTERS_AUTHN_EXPIRED, NULL);
		return -1;
	}
	if (!rv->tok.scoped)
		return 0;
	/* A scoped token is valid on its clusters' paths only: not on the
	 * global ones, which no cluster binds. */
	if (rv->cl != NULL) {
		t0 = ktime_mono_us();
		rc = store_token_in_cluster(r->ctx->db, rv->tok.id, rv->cl->id,
		    &in);
		rv->db_us += ktime_since_us(t0);
		if (rc < 0) {
			authn_unavailable(rv, "database");
			return -1;
		}
	}
	if (!in) {
		authn_deny(rv, COUNTERS_AUTHN_WRONG_CLUSTER, NULL);
		return -1;
	}
	return 0;
}

/* The user, from the directory (or this worker's cache of it), as the
 * answer will carry it in *AU; or a refusal. Returns 0, or -1 when the
 * review was answered. */
static int
authn_directory_user(struct authn_review *rv, struct authn_user *au)
{
	enum counters_authn outcome;
	char detail[200];

	rv->asked_ldap = true;
	if (authn_identify(rv->r, &rv->tok, au, &outcome, detail, sizeof(detail),
	    &rv->ldap) < 0) {
		authn_unavailable(rv, "ldap");
		return -1;
	}
	if (outcome != COUNTERS_AUTHN_AUTHENTICATED) {
		authn_deny(rv, outcome, detail[0] != '\0' ? detail : NULL);
		return -1;
	}
	return 0;
}

/* Record the token's use: at most one write per token and STORE_TOUCH_US,
 * since the webhook is hot. A failure is only logged. */
static void
authn_touch(struct authn_review *rv, int64_t now)
{
	int64_t t0;

	if (rv->tok.last_used_us != 0 &&
	    now - rv->tok.last_used_us < STORE_TOUCH_US)
		return;
	t0 = ktime_mono_us();
	if (store_token_touch(rv->r->ctx->db, rv->tok.id, now) < 0)
		log_warnx("authn: token %s: cannot record its use "
		    "(last_used_at)", rv->tok.id);
	rv->db_us += ktime_since_us(t0);
}

void
authn_token_review(struct req *r)
{
	struct authn_review rv = { .r = r, .api_version = AUTHN_V1BETA1 };
	struct authn_user au = { .username = NULL };
	yajl_val tree = NULL;
	const char *token;
	int64_t now;

	if (authn_path_cluster(&rv) < 0)
		goto done;
	if (authn_parse_review(&rv, &tree, &token) < 0) {
		authn_audit(&rv, "error", "malformed TokenReview", NULL, 0);
		goto done;
	}
	if (token == NULL || token[0] == '\0') {
		authn_deny(&rv, COUNTERS_AUTHN_NO_TOKEN, NULL);
		goto done;
	}
	now = ktime_now_us();
	if (authn_check_token(&rv, token, now) < 0 ||
	    authn_directory_user(&rv, &au) < 0)
		goto done;
	authn_touch(&rv, now);
	authn_allow(&rv, &au);
done:
	/* Refused before any decision: a body that is no TokenReview, an
	 * unknown cluster, a missing client certificate, an internal error. */
	if (!rv.counted)
		authn_count(&rv, COUNTERS_AUTHN_OTHER);
	json_free(tree);
	authn_user_cleanup(&au);
	authn_review_cleanup(&rv);
}

/* --- /login and /logout --------------------------------------------------- */

int
authn_basic_decode(const char *h, char **buf, size_t *buf_size,
    const char **user, char **password, size_t *password_len)
{
	const char *b64;
	size_t len;
	char *colon;
	int n;

	*buf = NULL;
	*buf_size = 0;
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	for (b64 = h + 6; *b64 == ' '; b64++)
		;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len > 4096)
		return -1;
	*buf_size = len / 4 * 3 + 1;
	if ((*buf = calloc(1, *buf_size)) == NULL)
		fatal("calloc");
	if ((n = crypto_base64_decode(b64, len, (unsigned char *)*buf)) < 0)
		return -1;
	(*buf)[n] = '\0';
	if (memchr(*buf, '\0', (size_t)n) != NULL ||
	    (colon = strchr(*buf, ':')) == NULL)
		return -1;
	*colon = '\0';
	*user = *buf;
	*password = colon + 1;
	*password_len = (size_t)n - (size_t)(colon + 1 - *buf);
	return 0;
}

/* The request's Basic credentials: authn_basic_decode() of its
 * Authorization header. */
static int
authn_basic(const struct req *r, char **buf, size_t *buf_size,
    const char **user, char **password, size_t *password_len)
{
	return authn_basic_decode(req_param(r, "HTTP_AUTHORIZATION"), buf,
	    buf_size, user, password, password_len);
}

static bool
authn_login_name_ok(const char *name)
{
	const unsigned char *p;

	if (name[0] == '\0' || strlen(name) > STORE_USERNAME_MAX)
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Login tokens beyond login.max_tokens (newest first: skip KEEP). */
struct authn_trim {
	int keep;
	int seen;
	char (*ids)[STORE_ID_LEN + 1];
	size_t n, cap;
};

static int
authn_trim_row(void *ctx, const char *id)
{
	struct authn_trim *t = ctx;

	if (t->seen++ < t->keep)
		return 0;
	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 8 : 2 * t->cap;
		if ((t->ids = reallocarray(t->ids, t->cap, sizeof(*t->ids))) == NULL)
			fatal("reallocarray");
	}
	snprintf(t->ids[t->n++], sizeof(*t->ids), "%s", id);
	return 0;
}

/* Revoke the oldest login tokens of USER_ID beyond login.max_tokens. A
 * failure is logged: the new token stands. */
static void
authn_login_trim(struct req *r, const char *user_id, int64_t now)
{
	struct authn_trim t = { .keep = r->ctx->conf->login.max_tokens };
	size_t i;
	bool found;

	if (store_token_list_described(r->ctx->db, user_id,
	    AUTHN_LOGIN_DESCRIPTION, now, authn_trim_row, &t) < 0)
		goto fail;
	for (i = 0; i < t.n; i++) {
		if (store_token_revoke(r->ctx->db, t.ids[i], &found) < 0)
			goto fail;
		if (found)
			log_info("audit: login: token %s of user %s revoked "
			    "(login.max_tokens %d reached)", t.ids[i], user_id,
			    t.keep);
	}
	free(t.ids);
	return;
fail:
	log_warnx("login: user %s: could not revoke tokens beyond "
	    "login.max_tokens", user_id);
	free(t.ids);
}

/* The local user named ID: found, or made with login.auto_create. */
static int
authn_login_local_user(struct req *r, const char *id, char out[STORE_ID_LEN + 1],
    const char *shown)
{
	struct store_user u;
	bool found;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (store_user_find(r->ctx->db, id, &u, &found) < 0)
			return req_fail_db(r);
		if (found) {
			memcpy(out, u.id, sizeof(u.id));
			return 0;
		}
		if (!r->ctx->conf->login.auto_create) {
			log_info("audit: login as %s refused: no local user "
			    "(login.auto_create is off)", shown);
			return req_fail(r, 403, "no account here for this user: "
			    "ask an administrator to create it");
		}
		u = (struct store_user){ .id = "" };
		u.username_len = strlen(id);
		memcpy(u.username, id, u.username_len + 1);
		if (store_user_create(r->ctx->db, &u) == 0) {
			log_info("audit: login: created user %s (username %s)",
			    u.id, shown);
			memcpy(out, u.id, sizeof(u.id));
			return 0;
		}
		/* Made by a concurrent login: look again. */
		if (db_error(r->ctx->db) != DB_ERR_DUPLICATE)
			return req_fail_db(r);
	}
	return req_fail(r, 500, "internal error");
}

/* A bind as a user that does not exist, with PASSWORD: what a wrong
 * password for a real user costs (a connection of its own, TLS, a bind),
 * so that /login takes as long for a name the directory does not know as
 * for one it knows (no list of who exists by timing). */
static void
authn_login_decoy_bind(struct req *r, const char *password, size_t len)
{
	char *dn;
	bool valid;

	if (asprintf(&dn, "cn=kubernetes-auth-no-such-user,%s",
	    r->ctx->conf->ldap.base_dn) < 0)
		fatal("asprintf");
	(void)directory_check_password(r->ctx->dir, dn, password, len, &valid);
	free(dn);
}

/* Who is NAME, and is PASSWORD (LEN bytes) theirs? The directory entry
 * with its groups in *U, or -1 with the request failed: 401 for any wrong
 * name or password alike (in answer and in time: the groups are asked
 * for only once the password is right), 503 when the directory cannot
 * answer. */
static int
authn_login_verify(struct req *r, const char *name, const char *password,
    size_t len, struct dirsearch_user **u)
{
	char shown[160];
	size_t nentries;
	bool valid = false;

	log_sanitize(shown, sizeof(shown), name);
	/* An empty password would make a simple bind anonymous, which a
	 * server accepts: refused here, before any bind. */
	if (len == 0 || !authn_login_name_ok(name)) {
		log_info("audit: login as %s refused: %s", shown,
		    len == 0 ? "empty password" : "malformed user name");
		return req_fail(r, 401, AUTHN_LOGIN_FAILED);
	}
	if (dirsearch_lookup(r->ctx->dir, name, strlen(name), false, u,
	    &nentries) < 0)
		return req_fail(r, 503, "ldap unavailable");
	if (nentries != 1) {
		authn_login_decoy_bind(r, password, len);
		log_info("audit: login as %s refused: %s", shown, nentries == 0 ?
		    "not in the directory" : "several directory entries match");
		return req_fail(r, 401, AUTHN_LOGIN_FAILED);
	}
	if (directory_check_password(r->ctx->dir, (*u)->dn, password, len,
	    &valid) < 0)
		return req_fail(r, 503, "ldap unavailable");
	if (!valid) {
		log_info("audit: login as %s refused: wrong password", shown);
		return req_fail(r, 401, AUTHN_LOGIN_FAILED);
	}
	/* The password is right: now the groups (login.allowed_groups). */
	dirsearch_user_free(*u);
	*u = NULL;
	if (dirsearch_lookup(r->ctx->dir, name, strlen(name), true, u,
	    &nentries) < 0)
		return req_fail(r, 503, "ldap unavailable");
	if (nentries != 1) {
		log_info("audit: login as %s refused: the entry changed while "
		    "logging in", shown);
		return req_fail(r, 401, AUTHN_LOGIN_FAILED);
	}
	return 0;
}

/* May the entry U log in here? It needs a usable id_attribute (the local
 * user is the entry's id, not what was typed: a mail address, a name in
 * another case) and, with login.allowed_groups, one of those groups. */
static int
authn_login_admit(struct req *r, const struct dirsearch_user *u)
{
	const struct conf *conf = r->ctx->conf;
	char shown[160];
	size_t i;

	if (u->id == NULL || u->id[0] == '\0' || strlen(u->id) > STORE_USERNAME_MAX) {
		log_sanitize(shown, sizeof(shown), u->dn);
		log_warnx("login as %s refused: the directory entry has no "
		    "usable %s", shown, conf->ldap.id_attribute);
		return req_fail(r, 403, AUTHN_LOGIN_NOT_ALLOWED);
	}
	if (conf->login.allowed_groups.n == 0)
		return 0;
	for (i = 0; i < u->ngroups; i++)
		if (authn_listed(conf->login.allowed_groups.v,
		    conf->login.allowed_groups.n, u->groups[i]))
			return 0;
	log_sanitize(shown, sizeof(shown), u->id);
	log_info("audit: login as %s refused: in none of login.allowed_groups",
	    shown);
	return req_fail(r, 403, AUTHN_LOGIN_NOT_ALLOWED);
}

/* POST /login's optional body, checked: what the new token asks for. */
struct authn_login_body {
	yajl_val tree;                  /* NULL without a body */
	struct admin_token_fields f;
	char *description;              /* malloc'd: the login one, then f's */
};

static void
authn_login_body_cleanup(struct authn_login_body *b)
{
	free(b->f.clusters);
	free(b->description);
	json_free(b->tree);
	memset(b, 0, sizeof(*b));
}

/* R's body, when it has one (empty or blank: none): {"ttl"?, "expiry"?,
 * "clusters"?, "description"?}. ttl at most login.ttl (the default); the
 * description follows AUTHN_LOGIN_DESCRIPTION, so that login.max_tokens
 * still finds the token. Checked before any bind: bad input costs the
 * directory nothing. Returns 0 or -1 (400). */
static int
authn_login_body_parse(struct req *r, int64_t now, struct authn_login_body *b)
{
	const struct conf *conf = r->ctx->conf;
	const struct admin_token_limits lim = { conf->login.ttl_ms,
	    conf->login.ttl_ms, "login.ttl", STORE_DESCRIPTION_MAX -
	    strlen(AUTHN_LOGIN_DESCRIPTION ": ") };

	memset(b, 0, sizeof(*b));
	if (admin_body_optional(r, &b->tree) < 0 ||
	    admin_token_fields_parse(r, b->tree, now, &lim, &b->f) < 0)
		return -1;
	if (asprintf(&b->description, "%s%s%s", AUTHN_LOGIN_DESCRIPTION,
	    b->f.description[0] != '\0' ? ": " : "", b->f.description) < 0)
		fatal("asprintf");
	return 0;
}

int
authn_login_body_check(const char *text, size_t len, const struct conf *conf,
    int64_t now, char *err, size_t errlen)
{
	struct ctx w = { .conf = conf };
	struct authn_login_body b;
	struct req r;

	req_check_begin(&r, &w, text, len);
	authn_login_body_parse(&r, now, &b);
	authn_login_body_cleanup(&b);
	return req_check_end(&r, err, errlen);
}

/* 201 with the token OUT of the entry U. */
static void
authn_login_answer(struct req *r, const struct store_token *out,
    const struct dirsearch_user *u)
{
	char expiry[KTIME_TEXT_MAX];
	yajl_gen g = req_json(r);

	yajl_gen_map_open(g);
	json_gen_str(g, "id", out->id);
	json_gen_str(g, "token", out->token);
	json_gen_str(g, "user_id", out->user_id);
	json_gen_str(g, "description", out->description);
	ktime_format(out->expiry_us, expiry);
	json_gen_str(g, "expiry", expiry);
	if (out->scoped)
		json_gen_strs(g, "clusters", out->clusters, out->nclusters);
	/* A users: entry of a kubeconfig, ready for `kubectl config`. */
	json_gen_key(g, "kubeconfig_user");
	yajl_gen_map_open(g);
	json_gen_str(g, "name", u->id);
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	json_gen_str(g, "token", out->token);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	req_send_json(r, 201);
}

void
authn_login(struct req *r)
{
	const struct conf *conf = r->ctx->conf;
	struct store_token_new in = { 0 };
	struct store_token out;
	struct authn_login_body b = { .tree = NULL };
	struct dirsearch_user *u = NULL;
	char *creds = NULL, *password = NULL, shown[160];
	char user_id[STORE_ID_LEN + 1];
	const char *name = NULL, *missing = NULL;
	size_t creds_size = 0, password_len = 0;
	int64_t now = ktime_now_us();

	memset(&out, 0, sizeof(out));
	if (!conf->login.enabled) {
		req_fail(r, 404, "login is disabled");
		goto done;
	}
	if (authn_login_body_parse(r, now, &b) < 0) {
		log_info("audit: login refused: malformed body");
		goto done;
	}
	if (authn_basic(r, &creds, &creds_size, &name, &password,
	    &password_len) < 0) {
		req_fail(r, 401, "HTTP Basic credentials required");
		goto done;
	}
	if (authn_login_verify(r, name, password, password_len, &u) < 0 ||
	    authn_login_admit(r, u) < 0)
		goto done;
	log_sanitize(shown, sizeof(shown), u->id);
	if (authn_login_local_user(r, u->id, user_id, shown) < 0)
		goto done;

	in.user_id = user_id;
	in.description = b.description;
	in.expiry_us = b.f.expiry_us;
	in.created_us = now;
	in.clusters = b.f.clusters;
	in.nclusters = b.f.nclusters;
	if (store_token_create(r->ctx->db, r->ctx->secrets->token_keys,
	    conf->tokens.reveal, &in, &out, &missing) < 0) {
		if (missing != NULL && strcmp(missing, "user_id") != 0) {
			char cluster[160];
			log_sanitize(cluster, sizeof(cluster), missing);
			log_info("audit: login as %s refused: unknown cluster %s",
			    shown, cluster);
			req_fail(r, 400, "unknown cluster in clusters: %s", missing);
		} else
			req_fail_db(r);
		goto done;
	}
	authn_login_trim(r, user_id, now);
	log_info("audit: login as %s: token %s created for user %s%s", shown,
	    out.id, user_id, out.scoped ? " (scoped)" : "");
	authn_login_answer(r, &out, u);
done:
	OPENSSL_cleanse(out.token, sizeof(out.token));
	if (creds != NULL) {
		OPENSSL_cleanse(creds, creds_size);
		free(creds);
	}
	dirsearch_user_free(u);
	authn_login_body_cleanup(&b);
}

int
authn_bearer(struct req *r, const char *what, struct store_token_auth *tok)
{
	const char *h = req_param(r, "HTTP_AUTHORIZATION"), *token = NULL;
	const char *why;
	size_t len = 0;
	bool found = false;

	memset(tok, 0, sizeof(*tok));
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		for (token = h + 7; *token == ' '; token++)
			;
		len = strlen(token);
	}
	if (len == 0 || len > AUTHN_TOKEN_MAX) {
		why = len == 0 ? "no bearer token" : "token too long";
	} else if (store_token_find(r->ctx->db, r->ctx->secrets->token_keys,
	    token, len, tok, &found) < 0) {
		return req_fail_db(r);
	} else if (!found) {
		why = "unknown";
	} else if (tok->revoked) {
		why = "revoked";
	} else if (tok->expiry_us <= ktime_now_us()) {
		why = "expired";
	} else {
		return 0;
	}
	log_info("audit: %s refused: token %s%s %s", what, found ? "" : "fp:",
	    found ? tok->id : tok->fingerprint[0] != '\0' ? tok->fingerprint :
	    "-", why);
	r->challenge = "Bearer";
	return req_fail(r, 401, "invalid token");
}

void
authn_logout(struct req *r)
{
	struct store_token_auth tok;
	bool found;
	yajl_gen g;

	if (authn_bearer(r, "logout", &tok) < 0)
		return;
	if (store_token_revoke(r->ctx->db, tok.id, &found) < 0) {
		req_fail_db(r);
		return;
	}
	log_info("audit: logout: token %s of user %s revoked", tok.id,
	    tok.user_id);
	g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_str(g, "id", tok.id);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
}
