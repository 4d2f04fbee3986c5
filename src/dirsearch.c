/*
 * dirsearch.c — the user search and the group searches of a lookup, on the
 * worker's connection: paged results, the user entry's attributes, groups
 * by member, memberUid and memberOf, nesting.
 */
#include "dirsearch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "conf.h"
#include "dirdn.h"
#include "direscape.h"
#include "directory.h"
#include "directory_internal.h"
#include "json.h"
#include "ktime.h"
#include "log.h"

#define DIRSEARCH_PAGE_SIZE 200         /* entries per page of a group search */
#define DIRSEARCH_NEST_CHUNK 32         /* group DNs per nested-group filter */
#define DIRSEARCH_MAX_GROUPS 10000      /* more is a directory gone wrong */

/* LEN bytes at S and a NUL, malloc'd. */
static char *
dirsearch_strdup(const char *s, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		fatal("malloc");
	if (len > 0)            /* libldap gives "cn=" a NULL bv_val */
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* V, an array of N elements of SIZE bytes with room for *CAP, with room
 * for one more (the capacity doubles). */
static void *
dirsearch_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 8 : *cap * 2;
	if ((v = reallocarray(v, *cap, size)) == NULL)
		fatal("reallocarray");
	return v;
}

/* The values VALS (a NULL-terminated array, as ldap_get_attribute_ber()
 * gives them) of ATTR that are valid UTF-8, as a malloc'd array of
 * malloc'd strings (*np of them; NULL when none). */
static char **
dirsearch_values(const struct berval *vals, const char *attr, size_t *np)
{
	char **out = NULL, shown[128];
	size_t i, n = 0;

	*np = 0;
	if (vals == NULL)
		return NULL;
	for (i = 0; vals[i].bv_val != NULL; i++)
		;
	if (i == 0)
		return NULL;
	if ((out = calloc(i, sizeof(*out))) == NULL)
		fatal("calloc");
	for (i = 0; vals[i].bv_val != NULL; i++) {
		if (!json_utf8_valid(vals[i].bv_val, vals[i].bv_len)) {
			log_sanitize(shown, sizeof(shown), attr);
			log_warnx("ldap: a value of %s is not UTF-8 text: left out",
			    shown);
			continue;
		}
		out[n++] = dirsearch_strdup(vals[i].bv_val, vals[i].bv_len);
	}
	*np = n;
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Free V and its N strings. */
static void
dirsearch_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The first UTF-8 value of VALS, malloc'd, or NULL. */
static char *
dirsearch_first_value(const struct berval *vals, const char *attr)
{
	char shown[128];
	size_t i;

	for (i = 0; vals != NULL && vals[i].bv_val != NULL; i++) {
		if (json_utf8_valid(vals[i].bv_val, vals[i].bv_len))
			return dirsearch_strdup(vals[i].bv_val, vals[i].bv_len);
		log_sanitize(shown, sizeof(shown), attr);
		log_warnx("ldap: a value of %s is not UTF-8 text: left out",
		    shown);
	}
	return NULL;
}

/* Is the attribute type ATTR (as the server wrote it) NAME? Attribute
 * types compare without regard to case, as ldap_get_values_len() does. */
static bool
dirsearch_attr_is(const struct berval *attr, const char *name)
{
	return strlen(name) == attr->bv_len &&
	    strncasecmp(attr->bv_val, name, attr->bv_len) == 0;
}

/* Walk ENTRY once: its DN (in place, into *DN) and each attribute with
 * its values (in place, valid while the walk lasts) to FN. One decoding
 * pass: ldap_get_values_len() scans the entry again for every attribute
 * asked. Returns 0, or -1 (logged) when the entry does not decode or FN
 * fails. */
typedef int (*dirsearch_attr_fn)(const struct berval *attr,
    const struct berval *vals, void *ctx);
static int
dirsearch_entry_walk(struct directory *dir, LDAPMessage *entry,
    struct berval *dn, dirsearch_attr_fn fn, void *ctx)
{
	BerElement *ber = NULL;
	struct berval attr, *vals;
	int rc = -1;

	if (ldap_get_dn_ber(dir->ld, entry, &ber, dn) != LDAP_SUCCESS)
		goto bad;
	for (;;) {
		vals = NULL;
		if (ldap_get_attribute_ber(dir->ld, entry, ber, &attr, &vals) !=
		    LDAP_SUCCESS)
			goto bad;
		if (attr.bv_val == NULL)
			break;
		if (fn(&attr, vals, ctx) < 0) {
			ber_memfree(vals);
			goto done;
		}
		ber_memfree(vals);
	}
	rc = 0;
	goto done;
bad:
	log_warnx("ldap %s: an entry of a search answer does not decode",
	    dir->url);
done:
	ber_free(ber, 0);
	return rc;
}

void
dirsearch_user_free(struct dirsearch_user *user)
{
	size_t i;

	if (user == NULL)
		return;
	free(user->dn);
	free(user->id);
	free(user->member_uid);
	free(user->username);
	free(user->uid);
	for (i = 0; i < user->nextra; i++) {
		free(user->extra[i].name);
		dirsearch_strv_free(user->extra[i].values, user->extra[i].nvalues);
	}
	free(user->extra);
	dirsearch_strv_free(user->groups, user->ngroups);
	free(user);
}

/* --- one search, page by page ------------------------------------------ */

typedef int (*dirsearch_entry_fn)(struct directory *dir, LDAPMessage *entry,
    void *ctx);

/* Why a search did not deliver everything. */
struct dirsearch_outcome {
	bool dead;              /* the connection is gone: worth a reconnect */
	bool size_exceeded;     /* the server's size (or admin) limit cut it */
};

/* One search: what is asked, and who hears each entry. */
struct dirsearch_query {
	const char *base;
	int scope;
	const char *filter;
	char **attrs;
	int sizelimit;          /* 0: the server's */
	bool paged;             /* RFC 2696, DIRSEARCH_PAGE_SIZE a page */
	dirsearch_entry_fn fn;  /* for each entry, with ctx */
	void *ctx;
};

/* Is the server's result code ERR for a page of Q a success? A size or
 * admin limit only sets OUT->size_exceeded (the caller knows what it
 * means); anything else is logged here, where the filter is known. */
static int
dirsearch_result(struct directory *dir, const struct dirsearch_query *q,
    int err, struct dirsearch_outcome *out)
{
	char shown[256], what[400];

	if (err == LDAP_SUCCESS)
		return 0;
	if (err == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_ADMINLIMIT_EXCEEDED) {
		out->size_exceeded = true;
		return -1;
	}
	log_sanitize(shown, sizeof(shown), q->filter);
	snprintf(what, sizeof(what), "search %s under \"%s\"", shown, q->base);
	out->dead = directory_is_dead(err);
	directory_log_failure(dir, dir->ld, dir->url, what, err, false);
	return -1;
}

/* The server's cookie for the next page, from the controls RCTRLS of an
 * answer, into *COOKIE (left empty: that was the last page, or the server
 * does not page). Returns 0, or -1 (logged) when the control is
 * malformed. */
static int
dirsearch_next_cookie(struct directory *dir, LDAPControl **rctrls,
    struct berval *cookie)
{
	LDAPControl *pr;
	ber_int_t estimate;

	if (rctrls == NULL || (pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS,
	    rctrls, NULL)) == NULL)
		return 0;
	if (ldap_parse_pageresponse_control(dir->ld, pr, &estimate, cookie) !=
	    LDAP_SUCCESS) {
		log_warnx("ldap %s: malformed paged results answer", dir->url);
		return -1;
	}
	return 0;
}

/* One request of Q: with Q->paged, the page after *COOKIE, and *COOKIE
 * becomes the cookie for the next one (empty after the last page; the
 * caller frees it). Returns 0 when the server delivered this page whole,
 * else -1 with *OUT saying why, as dirsearch_run(). */
static int
dirsearch_page(struct directory *dir, const struct dirsearch_query *q,
    struct berval *cookie, struct dirsearch_outcome *out)
{
	struct timeval tv = directory_timeval(dir->conf->ldap.timeout_ms);
	LDAPMessage *res = NULL, *e;
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	int rc, err, ret = -1;

	if (q->paged) {
		rc = ldap_create_page_control(dir->ld, DIRSEARCH_PAGE_SIZE,
		    cookie, 0, &page);
		if (rc != LDAP_SUCCESS) {
			log_warnx("ldap %s: paged results control: %s",
			    dir->url, ldap_err2string(rc));
			return -1;
		}
		sctrls[0] = page;
	}
	dir->stats.searches++;
	rc = ldap_search_ext_s(dir->ld, q->base, q->scope, q->filter, q->attrs,
	    0, q->paged ? sctrls : NULL, NULL,
	    dir->conf->ldap.timeout_ms > 0 ? &tv : NULL, q->sizelimit, &res);
	ldap_control_free(page);
	if (res == NULL || directory_is_dead(rc)) {
		out->dead = directory_is_dead(rc) || rc == LDAP_SUCCESS;
		directory_log_failure(dir, dir->ld, dir->url, "search",
		    rc == LDAP_SUCCESS ? LDAP_SERVER_DOWN : rc, false);
		goto done;
	}
	for (e = ldap_first_entry(dir->ld, res); e != NULL;
	    e = ldap_next_entry(dir->ld, e))
		if (q->fn(dir, e, q->ctx) < 0)
			goto done;
	rc = ldap_parse_result(dir->ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
	if (rc != LDAP_SUCCESS) {
		out->dead = directory_is_dead(rc);
		directory_log_failure(dir, dir->ld, dir->url, "search result", rc,
		    false);
		goto done;
	}
	if (dirsearch_result(dir, q, err, out) < 0)
		goto done;
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	if (q->paged && dirsearch_next_cookie(dir, rctrls, cookie) < 0)
		goto done;
	ret = 0;
done:
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	return ret;
}

/*
 * Run Q: every page of it, calling Q->fn for each entry (search references
 * are skipped: referrals are never chased). Paged results are not critical:
 * a server without the control answers in one go, up to its size limit.
 * Returns 0 when the server delivered the whole result, else -1 with *OUT
 * saying why (a size limit is not logged: the caller knows what it means;
 * anything else is).
 */
static int
dirsearch_run(struct directory *dir, const struct dirsearch_query *q,
    struct dirsearch_outcome *out)
{
	struct berval cookie = { 0, NULL };
	int64_t started = ktime_mono_us();
	int rc;

	memset(out, 0, sizeof(*out));
	do
		rc = dirsearch_page(dir, q, &cookie, out);
	while (rc == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	dir->stats.search_us += ktime_since_us(started);
	return rc;
}

/* --- the user entry --------------------------------------------------- */

struct dirsearch_user_walk {
	struct dirsearch_user *user;    /* the first entry */
	size_t n;
	char **member_of;               /* memberOf values, when asked */
	size_t nmember_of;
};

static bool
dirsearch_want_member_of(const struct conf *conf)
{
	return (conf->ldap.group_methods & CONF_GROUPS_MEMBER_OF) != 0;
}

/* One user entry's attributes as dirsearch_entry_walk() meets them: each
 * configured role an attribute plays (the same one may play several:
 * uid is both id and username by default) takes its values. */
struct dirsearch_user_attrs {
	const struct conf *conf;
	struct dirsearch_user *u;
	struct dirsearch_attr *extra;   /* per extra_attributes item */
	struct dirsearch_user_walk *w;
};

static int
dirsearch_user_attr(const struct berval *attr, const struct berval *vals,
    void *ctx)
{
	struct dirsearch_user_attrs *a = ctx;
	const struct conf *conf = a->conf;
	struct dirsearch_user *u = a->u;
	size_t i;

	if (u->id == NULL && dirsearch_attr_is(attr, conf->ldap.id_attribute))
		u->id = dirsearch_first_value(vals, conf->ldap.id_attribute);
	if (u->username == NULL &&
	    dirsearch_attr_is(attr, conf->ldap.username_attribute))
		u->username = dirsearch_first_value(vals,
		    conf->ldap.username_attribute);
	if (u->uid == NULL && dirsearch_attr_is(attr, conf->ldap.uid_attribute))
		u->uid = dirsearch_first_value(vals, conf->ldap.uid_attribute);
	if ((conf->ldap.group_methods & CONF_GROUPS_MEMBER_UID) &&
	    u->member_uid == NULL &&
	    dirsearch_attr_is(attr, conf->ldap.member_uid_attribute))
		u->member_uid = dirsearch_first_value(vals,
		    conf->ldap.member_uid_attribute);
	for (i = 0; i < conf->ldap.extra_attributes.n; i++)
		if (a->extra[i].values == NULL &&
		    dirsearch_attr_is(attr, conf->ldap.extra_attributes.v[i]))
			a->extra[i].values = dirsearch_values(vals,
			    conf->ldap.extra_attributes.v[i], &a->extra[i].nvalues);
	if (dirsearch_want_member_of(conf) && a->w->member_of == NULL &&
	    dirsearch_attr_is(attr, "memberOf"))
		a->w->member_of = dirsearch_values(vals, "memberOf",
		    &a->w->nmember_of);
	return 0;
}

/* dirsearch_entry_fn of the user search: CTX counts the entries and keeps
 * the first. */
static int
dirsearch_user_entry(struct directory *dir, LDAPMessage *entry, void *ctx)
{
	struct dirsearch_user_walk *w = ctx;
	const struct conf *conf = dir->conf;
	size_t i, nextra = conf->ldap.extra_attributes.n;
	struct dirsearch_user_attrs a = { .conf = conf, .w = w };
	struct berval dn;
	int rc;

	if (w->n++ > 0)
		return 0;
	if ((a.u = calloc(1, sizeof(*a.u))) == NULL ||
	    (nextra > 0 && (a.extra = calloc(nextra, sizeof(*a.extra))) == NULL))
		fatal("calloc");
	w->user = a.u;
	rc = dirsearch_entry_walk(dir, entry, &dn, dirsearch_user_attr, &a);
	if (rc == 0)
		a.u->dn = dirsearch_strdup(dn.bv_val, dn.bv_len);
	/* The extra attributes the entry has, in the configured order. */
	for (i = 0; i < nextra; i++) {
		const char *name = conf->ldap.extra_attributes.v[i];

		if (a.extra[i].nvalues == 0)
			continue;
		a.extra[a.u->nextra].name = dirsearch_strdup(name, strlen(name));
		a.extra[a.u->nextra].values = a.extra[i].values;
		a.extra[a.u->nextra].nvalues = a.extra[i].nvalues;
		a.u->nextra++;
	}
	if (a.u->nextra > 0)
		a.u->extra = a.extra;
	else
		free(a.extra);
	return rc;
}

/* The attributes the user search asks for: nothing else. */
static char **
dirsearch_user_attrs(const struct conf *conf)
{
	size_t n = 0, i, max = 6 + conf->ldap.extra_attributes.n;
	char **attrs = calloc(max, sizeof(*attrs));

	if (attrs == NULL)
		fatal("calloc");
	attrs[n++] = conf->ldap.id_attribute;
	attrs[n++] = conf->ldap.username_attribute;
	attrs[n++] = conf->ldap.uid_attribute;
	if (conf->ldap.group_methods & CONF_GROUPS_MEMBER_UID)
		attrs[n++] = conf->ldap.member_uid_attribute;
	for (i = 0; i < conf->ldap.extra_attributes.n; i++)
		attrs[n++] = conf->ldap.extra_attributes.v[i];
	if (dirsearch_want_member_of(conf))
		attrs[n++] = "memberOf";
	attrs[n] = NULL;
	return attrs;
}

/* --- groups ----------------------------------------------------------- */

struct dirsearch_group {
	char *key;                      /* normalised DN, lowercase: identity
	                                   (NULL until a second source needs
	                                   it: dirsearch_groups_keyed()) */
	char *dn;                       /* as the server wrote it */
	char *name;                     /* the name answered (cn), or NULL:
	                                   the DN */
};

struct dirsearch_groups {
	struct dirsearch_group *v;
	size_t n, cap;
	bool keyed;                     /* every group has its key, and an
	                                   added group is checked against
	                                   them */
	bool too_many;
};

static void
dirsearch_groups_cleanup(struct dirsearch_groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].key);
		free(g->v[i].dn);
		free(g->v[i].name);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* From now on, G tells groups apart by normalised DN. Normalising a DN is
 * the dearest thing the client does for a group (ldap_dn_normalize), and
 * one search never answers the same entry twice: so keys are made only
 * once a second source (memberOf after a search, or nesting) may repeat
 * a group. */
static void
dirsearch_groups_keyed(struct dirsearch_groups *g)
{
	size_t i;

	if (g->keyed)
		return;
	for (i = 0; i < g->n; i++)
		if (g->v[i].key == NULL)
			g->v[i].key = dirdn_key(g->v[i].dn);
	g->keyed = true;
}

static bool
dirsearch_groups_have(const struct dirsearch_groups *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->v[i].key, key) == 0)
			return true;
	return false;
}

/* Add the group DN (malloc'd, taken over), named CN (taken over; NULL: its
 * first RDN's cn) when group_name is cn. Once G is keyed, a group seen
 * before is skipped: the cycle guard of nesting. */
static void
dirsearch_groups_add(struct directory *dir, struct dirsearch_groups *g,
    char *dn, char *cn)
{
	struct dirsearch_group *grp;
	char *key = g->keyed ? dirdn_key(dn) : NULL;

	if ((key != NULL && dirsearch_groups_have(g, key)) ||
	    g->n == DIRSEARCH_MAX_GROUPS) {
		if (g->n == DIRSEARCH_MAX_GROUPS)
			g->too_many = true;
		free(key);
		free(dn);
		free(cn);
		return;
	}
	g->v = dirsearch_grow(g->v, g->n, &g->cap, sizeof(*g->v));
	grp = &g->v[g->n++];
	grp->key = key;
	grp->dn = dn;
	if (dir->conf->ldap.group_name == CONF_GROUP_NAME_DN) {
		free(cn);
		grp->name = NULL;
	} else {
		grp->name = cn != NULL ? cn : dirdn_rdn_cn(dn);
	}
}

/* A group entry's cn, as dirsearch_entry_walk() meets its attributes. */
struct dirsearch_group_attrs {
	const struct berval *dn;        /* the entry's DN (set by the walk) */
	char *cn;                       /* the name chosen, malloc'd */
};

static int
dirsearch_group_attr(const struct berval *attr, const struct berval *vals,
    void *ctx)
{
	struct dirsearch_group_attrs *a = ctx;
	char *rdn_cn = NULL, *dn;
	size_t i;

	if (a->cn != NULL || !dirsearch_attr_is(attr, "cn") || vals == NULL ||
	    vals[0].bv_val == NULL)
		return 0;
	/* Several cn values: the one naming the entry, else the first. One
	 * value (the usual case) needs no look at the DN. */
	if (vals[1].bv_val != NULL) {
		dn = dirsearch_strdup(a->dn->bv_val, a->dn->bv_len);
		rdn_cn = dirdn_rdn_cn(dn);
		free(dn);
	}
	if (rdn_cn != NULL) {
		for (i = 0; vals[i].bv_val != NULL && a->cn == NULL; i++)
			if (vals[i].bv_len == strlen(rdn_cn) &&
			    memcmp(vals[i].bv_val, rdn_cn, vals[i].bv_len) == 0 &&
			    json_utf8_valid(vals[i].bv_val, vals[i].bv_len))
				a->cn = dirsearch_strdup(vals[i].bv_val,
				    vals[i].bv_len);
		free(rdn_cn);
	}
	if (a->cn == NULL)
		a->cn = dirsearch_first_value(vals, "cn");
	return 0;
}

/* dirsearch_entry_fn of the group searches: one group into CTX. */
static int
dirsearch_group_entry(struct directory *dir, LDAPMessage *entry, void *ctx)
{
	struct dirsearch_groups *g = ctx;
	struct berval dn;
	struct dirsearch_group_attrs a = { .dn = &dn };

	/* The DN and the cn values (only cn was asked for), in place. */
	if (dirsearch_entry_walk(dir, entry, &dn, dirsearch_group_attr, &a) < 0) {
		free(a.cn);
		return -1;
	}
	dirsearch_groups_add(dir, g, dirsearch_strdup(dn.bv_val, dn.bv_len),
	    a.cn);
	return 0;
}

/* Where groups are searched: group_base_dn, or base_dn when unset. */
static const char *
dirsearch_group_base(const struct conf *conf)
{
	return conf->ldap.group_base_dn[0] != '\0' ? conf->ldap.group_base_dn :
	    conf->ldap.base_dn;
}

/* Forget the groups G got since it held N (a search being asked again). */
static void
dirsearch_groups_truncate(struct dirsearch_groups *g, size_t n)
{
	while (g->n > n) {
		g->n--;
		free(g->v[g->n].key);
		free(g->v[g->n].dn);
		free(g->v[g->n].name);
	}
	g->too_many = false;
}

/*
 * A search for groups. Most users are in a few groups, and slapd charges
 * a paged search about 2.5 times a plain one: so the search is first sent
 * plain, with a size limit of one page, and only an answer that limit (or
 * the server's) cut is asked again, whole and paged. The cut answer is
 * dropped: a shorter group list would be a wrong answer. A search that
 * still comes back short is logged here, where the filter is known.
 */
static int
dirsearch_group_search(struct directory *dir, const char *filter,
    struct dirsearch_groups *g, struct dirsearch_outcome *out)
{
	static char *cn_attrs[] = { "cn", NULL };
	static char *no_attrs[] = { LDAP_NO_ATTRS, NULL };
	struct dirsearch_query q = {
		.base = dirsearch_group_base(dir->conf),
		.scope = LDAP_SCOPE_SUBTREE,
		.filter = filter,
		.attrs = dir->conf->ldap.group_name == CONF_GROUP_NAME_CN ?
		    cn_attrs : no_attrs,
		.sizelimit = DIRSEARCH_PAGE_SIZE,
		.fn = dirsearch_group_entry,
		.ctx = g,
	};
	size_t before = g->n;
	char shown[256];

	if (dirsearch_run(dir, &q, out) == 0 && !g->too_many)
		return 0;
	if (out->size_exceeded && !g->too_many) {
		dirsearch_groups_truncate(g, before);
		q.sizelimit = 0;
		q.paged = true;
		if (dirsearch_run(dir, &q, out) == 0 && !g->too_many)
			return 0;
	}
	log_sanitize(shown, sizeof(shown), filter);
	if (out->size_exceeded)
		log_warnx("ldap %s: group search %s under \"%s\" hit the "
		    "server's size limit even with paged results: answering "
		    "503 rather than a shorter group list (raise the limit for "
		    "the service account, e.g. slapd's size.prtotal)",
		    dir->url, shown, dirsearch_group_base(dir->conf));
	else if (g->too_many)
		log_warnx("ldap %s: more than %d groups for one user: giving up",
		    dir->url, DIRSEARCH_MAX_GROUPS);
	return -1;
}

/* A filter being written: "(|" and its terms. */
struct dirsearch_filter {
	char *text;
	size_t len, cap;
	size_t nterms;
};

static void
dirsearch_filter_append(struct dirsearch_filter *f, const char *s, size_t len)
{
	if (f->len + len + 1 > f->cap) {
		f->cap = f->len + len + 1 < 256 ? 256 : 2 * (f->len + len + 1);
		if ((f->text = realloc(f->text, f->cap)) == NULL)
			fatal("realloc");
	}
	memcpy(f->text + f->len, s, len);
	f->len += len;
	f->text[f->len] = '\0';
}

/* Add the term "(ATTR=VALUE)", VALUE escaped (RFC 4515). */
static void
dirsearch_filter_term(struct dirsearch_filter *f, const char *attr,
    const char *value)
{
	char *esc = direscape_filter(value, strlen(value));

	if (esc == NULL)
		fatal("direscape_filter");
	if (f->nterms++ == 0)
		dirsearch_filter_append(f, "(|", 2);
	dirsearch_filter_append(f, "(", 1);
	dirsearch_filter_append(f, attr, strlen(attr));
	dirsearch_filter_append(f, "=", 1);
	dirsearch_filter_append(f, esc, strlen(esc));
	dirsearch_filter_append(f, ")", 1);
	free(esc);
}

/* Add a term for DN in each of ldap.member_attributes. */
static void
dirsearch_filter_member(struct dirsearch_filter *f, const struct conf *conf,
    const char *dn)
{
	if (conf->ldap.member_attributes & CONF_MEMBER_ATTR_MEMBER)
		dirsearch_filter_term(f, "member", dn);
	if (conf->ldap.member_attributes & CONF_MEMBER_ATTR_UNIQUE_MEMBER)
		dirsearch_filter_term(f, "uniqueMember", dn);
}

/* The filter (at least one term), malloc'd: the caller frees it. One
 * term goes alone: "(|(member=X))" asks the same in more words. */
static char *
dirsearch_filter_end(struct dirsearch_filter *f)
{
	if (f->nterms == 1) {
		memmove(f->text, f->text + 2, f->len - 2 + 1);
		f->len -= 2;
	} else {
		dirsearch_filter_append(f, ")", 1);
	}
	return f->text;
}

/* The groups that list U by the search methods of group_methods, all in
 * one search: member (each of ldap.member_attributes) is its DN,
 * memberUid its member_uid_attribute (uid, RFC 2307). */
static int
dirsearch_direct_groups(struct directory *dir, const struct dirsearch_user *u,
    struct dirsearch_groups *g, struct dirsearch_outcome *out)
{
	const struct conf *conf = dir->conf;
	struct dirsearch_filter f = { 0 };
	char *filter;
	int rc;

	if (conf->ldap.group_methods & CONF_GROUPS_MEMBER)
		dirsearch_filter_member(&f, conf, u->dn);
	if ((conf->ldap.group_methods & CONF_GROUPS_MEMBER_UID) &&
	    u->member_uid != NULL)
		dirsearch_filter_term(&f, "memberUid", u->member_uid);
	if (f.nterms == 0)
		return 0;
	filter = dirsearch_filter_end(&f);
	rc = dirsearch_group_search(dir, filter, g, out);
	free(filter);
	return rc;
}

/* Nesting: the groups whose member (ldap.member_attributes) is a group of
 * the previous level, breadth first, up to nested_depth levels above G's,
 * DIRSEARCH_NEST_CHUNK groups a search; a group already found is not
 * followed again, which ends cycles. */
static int
dirsearch_nested_groups(struct directory *dir, struct dirsearch_groups *g,
    struct dirsearch_outcome *out)
{
	struct dirsearch_filter f;
	char *filter;
	size_t i, k, to, from = 0, level_end;
	int depth, rc;

	if (dir->conf->ldap.nested_depth > 0)
		dirsearch_groups_keyed(g);
	for (depth = 0; depth < dir->conf->ldap.nested_depth; depth++) {
		level_end = g->n;
		if (from == level_end)
			break;
		for (i = from; i < level_end; i += DIRSEARCH_NEST_CHUNK) {
			to = i + DIRSEARCH_NEST_CHUNK < level_end ?
			    i + DIRSEARCH_NEST_CHUNK : level_end;
			f = (struct dirsearch_filter){ 0 };
			for (k = i; k < to; k++)
				dirsearch_filter_member(&f, dir->conf, g->v[k].dn);
			filter = dirsearch_filter_end(&f);
			rc = dirsearch_group_search(dir, filter, g, out);
			free(filter);
			if (rc < 0)
				return -1;
		}
		from = level_end;
	}
	return 0;
}

static int
dirsearch_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* G's names into U->groups: distinct, sorted (byte order), so that the
 * answer does not depend on the order the server sent them in, nor on
 * which search found them. A group named by something else than cn
 * (group_name: cn) is answered by its DN. */
static void
dirsearch_group_names(struct dirsearch_user *u,
    const struct dirsearch_groups *g)
{
	size_t i, n = 0;

	if (g->n == 0)
		return;
	if ((u->groups = calloc(g->n, sizeof(*u->groups))) == NULL)
		fatal("calloc");
	for (i = 0; i < g->n; i++) {
		const char *name = g->v[i].name != NULL ? g->v[i].name : g->v[i].dn;
		if (json_utf8_valid(name, strlen(name)))
			u->groups[n++] = dirsearch_strdup(name, strlen(name));
	}
	qsort(u->groups, n, sizeof(*u->groups), dirsearch_name_cmp);
	u->ngroups = 0;
	for (i = 0; i < n; i++) {
		if (u->ngroups > 0 &&
		    strcmp(u->groups[u->ngroups - 1], u->groups[i]) == 0)
			free(u->groups[i]);
		else
			u->groups[u->ngroups++] = u->groups[i];
	}
}

/* U's groups by each configured method (MEMBER_OF: the user entry's
 * memberOf values), then nested ones. */
static int
dirsearch_user_groups(struct directory *dir, struct dirsearch_user *u,
    char **member_of, size_t nmember_of, struct dirsearch_outcome *out)
{
	struct dirsearch_groups g = { 0 };
	int64_t started = ktime_mono_us();
	size_t i;
	int rc = -1;

	if (dirsearch_direct_groups(dir, u, &g, out) < 0)
		goto done;
	/* memberOf values are distinct, but may repeat what the search
	 * found. */
	if (g.n > 0 && nmember_of > 0)
		dirsearch_groups_keyed(&g);
	for (i = 0; i < nmember_of; i++) {
		dirsearch_groups_add(dir, &g, member_of[i], NULL);
		member_of[i] = NULL;
	}
	if (dirsearch_nested_groups(dir, &g, out) < 0)
		goto done;
	dirsearch_group_names(u, &g);
	rc = 0;
done:
	dirsearch_groups_cleanup(&g);
	dir->stats.group_search_us += ktime_since_us(started);
	return rc;
}

/* One attempt: service bind, user search, groups. */
static int
dirsearch_lookup_once(struct directory *dir, const char *filter,
    bool with_groups, struct dirsearch_user **userp, size_t *nentries,
    struct dirsearch_outcome *out)
{
	struct dirsearch_user_walk w = { 0 };
	struct dirsearch_query q = {
		.base = dir->conf->ldap.base_dn,
		.scope = LDAP_SCOPE_SUBTREE,
		.filter = filter,
		.sizelimit = 2,         /* enough to tell one entry from several */
		.fn = dirsearch_user_entry,
		.ctx = &w,
	};
	int64_t started;
	char shown[256];
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	started = ktime_mono_us();
	rc = directory_service_bind(dir);
	dir->stats.bind_us += ktime_since_us(started);
	if (rc < 0)
		return -1;
	q.attrs = dirsearch_user_attrs(dir->conf);
	started = ktime_mono_us();
	rc = dirsearch_run(dir, &q, out);
	dir->stats.user_search_us += ktime_since_us(started);
	free(q.attrs);
	if (rc < 0 && out->size_exceeded && w.n > 1)
		rc = 0;
	if (rc < 0) {
		if (out->size_exceeded) {
			log_sanitize(shown, sizeof(shown), filter);
			log_warnx("ldap %s: user search %s: size limit exceeded "
			    "with %zu entries", dir->url, shown, w.n);
		}
		goto done;
	}
	*nentries = w.n > 1 ? 2 : w.n;
	if (w.n == 1 && with_groups &&
	    dirsearch_user_groups(dir, w.user, w.member_of, w.nmember_of,
	    out) < 0)
		goto done;
	if (w.n == 1) {
		*userp = w.user;
		w.user = NULL;
	}
	ret = 0;
done:
	dirsearch_strv_free(w.member_of, w.nmember_of);
	dirsearch_user_free(w.user);
	return ret;
}

int
dirsearch_lookup(struct directory *dir, const char *name, size_t len,
    bool with_groups, struct dirsearch_user **userp, size_t *nentries)
{
	struct dirsearch_outcome out;
	char *filter;
	int attempt, rc = -1;

	*userp = NULL;
	*nentries = 0;
	memset(&dir->stats, 0, sizeof(dir->stats));
	filter = direscape_expand_filter(dir->conf->ldap.user_filter, name, len);
	if (filter == NULL)
		fatal("direscape_expand_filter");
	/* A connection that dies between the bind and the searches (a
	 * server restart) is re-opened once; directory_service_bind()
	 * already does the same for one found dead by the bind. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = dirsearch_lookup_once(dir, filter, with_groups, userp,
		    nentries, &out)) == 0 || !out.dead)
			break;
		directory_disconnect(dir);
	}
	if (rc < 0 && out.dead)
		directory_disconnect(dir);
	free(filter);
	return rc;
}

int
dirsearch_probe_groups(struct directory *dir, const char *dn, const char *id,
    size_t *ngroups)
{
	struct dirsearch_user u = { .dn = (char *)(uintptr_t)dn,
	    .id = (char *)(uintptr_t)id };
	struct dirsearch_outcome out;
	int64_t started;
	int rc;

	*ngroups = 0;
	memset(&dir->stats, 0, sizeof(dir->stats));
	started = ktime_mono_us();
	rc = directory_service_bind(dir);
	dir->stats.bind_us += ktime_since_us(started);
	if (rc < 0)
		return -1;
	memset(&out, 0, sizeof(out));
	rc = dirsearch_user_groups(dir, &u, NULL, 0, &out);
	*ngroups = u.ngroups;
	dirsearch_strv_free(u.groups, u.ngroups);
	if (rc < 0 && out.dead)
		directory_disconnect(dir);
	return rc;
}

int
dirsearch_resolve(struct directory *dir, const char *name, size_t len,
    char **id, enum dirsearch_resolution *res)
{
	struct dirsearch_user *u = NULL;
	size_t nentries;

	*id = NULL;
	if (dirsearch_lookup(dir, name, len, false, &u, &nentries) < 0)
		return -1;
	if (nentries != 1)
		*res = nentries == 0 ? DIRSEARCH_NONE : DIRSEARCH_SEVERAL;
	else if (u->id == NULL || u->id[0] == '\0')
		*res = DIRSEARCH_NO_ID;
	else {
		*res = DIRSEARCH_ONE;
		if ((*id = strdup(u->id)) == NULL)
			fatal("strdup");
	}
	dirsearch_user_free(u);
	return 0;
}
