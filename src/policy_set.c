/*
 * policy_set.c — the compiled set of rules and its decisions (see
 * policy_set.h).
 *
 * Matching follows Kubernetes RBAC (k8s.io/kubernetes pkg/apis/rbac/v1
 * evaluation_helpers.go: VerbMatches, APIGroupMatches, ResourceMatches,
 * ResourceNameMatches, NonResourceURLMatches), plus two rules of our own
 * (doc/policies.md, "Namespaces and names" and "Protected requests"): deny
 * rules match conservatively when the request has no namespace or no name,
 * and requests by "system:" users are touched only by rules that name them.
 *
 * Rules are copied into an arena, sorted by name (so "the first matching
 * rule" is well defined), and indexed by subject in an open-addressing hash
 * table keyed by (cluster, kind, name): a decision looks up the request's
 * user, each of its groups and the wildcard, globally and for its cluster,
 * and evaluates only the rules found there.
 */
#include "policy_set.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy_rule.h"

/*
 * The arena: everything a set holds, freed at once
 */

struct policy_set_chunk {
	struct policy_set_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define POLICY_SET_CHUNK (64 * 1024)

static void *
policy_set_arena_alloc(struct policy_set_chunk **head, size_t size)
{
	struct policy_set_chunk *c = *head;
	size_t align = sizeof(max_align_t);

	size = (size + align - 1) / align * align;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > POLICY_SET_CHUNK ? size : POLICY_SET_CHUNK;
		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->size = want;
		*head = c;
	}
	c->used += size;
	return (char *)c->data + c->used - size;
}

static char *
policy_set_arena_strdup(struct policy_set_chunk **head, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = policy_set_arena_alloc(head, len);

	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

static void
policy_set_arena_free(struct policy_set_chunk *c)
{
	while (c != NULL) {
		struct policy_set_chunk *next = c->next;
		free(c);
		c = next;
	}
}

/*
 * The set
 */

/* A list of a compiled rule: strings in the arena. */
struct policy_set_list {
	const char **v;
	uint32_t n;
};

/* A rule as matching needs it: the wildcards found once, at compile time. */
struct policy_set_rule {
	const char *name;
	bool deny;
	bool non_resource;
	bool any_verb, any_group, any_resource, any_ns, any_name, any_url;
	struct policy_set_list verbs, api_groups, resources, namespaces, names,
	    urls;
};

enum policy_set_subject { SUBJECT_USER, SUBJECT_GROUP, SUBJECT_ANY };

/* One key of the subject index and the rules filed under it. */
struct policy_set_slot {
	const char *name;               /* NULL = empty slot */
	uint64_t hash;
	uint32_t cluster;               /* 0 = global, else 1 + index */
	uint32_t kind;                  /* enum policy_set_subject */
	uint32_t start, count;          /* in policy_set.refs */
};

struct policy_set {
	struct policy_set_chunk *arena;
	struct policy_set_rule *rules;  /* sorted by name */
	size_t nrules;
	const char **clusters;          /* sorted, unique */
	size_t nclusters;
	struct policy_set_slot *slots;
	size_t mask;                    /* number of slots - 1 */
	uint32_t *refs;                 /* rule indexes, grouped by slot */
	char *load_error;               /* NULL = none */
};

/* FNV-1a over the name; cluster and kind are mixed in afterwards so that
 * a request's strings are hashed once per decision. */
static uint64_t
policy_set_hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
policy_set_hash_key(uint64_t name_hash, uint32_t cluster, uint32_t kind)
{
	uint64_t h = name_hash ^
	    ((uint64_t)cluster << 8 | kind) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static const struct policy_set_slot *
policy_set_index_find(const struct policy_set *set, uint64_t name_hash,
    uint32_t cluster, uint32_t kind, const char *name)
{
	uint64_t h = policy_set_hash_key(name_hash, cluster, kind);

	for (size_t i = h & set->mask;; i = (i + 1) & set->mask) {
		const struct policy_set_slot *s = &set->slots[i];
		if (s->name == NULL)
			return NULL;
		if (s->hash == h && s->cluster == cluster && s->kind == kind &&
		    strcmp(s->name, name) == 0)
			return s;
	}
}

struct policy_set_entry {
	const char *name;
	uint32_t cluster, kind, rule;
};

static int
policy_set_entry_cmp(const void *a, const void *b)
{
	const struct policy_set_entry *x = a, *y = b;
	int c;

	if (x->cluster != y->cluster)
		return x->cluster < y->cluster ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool
policy_set_same_key(const struct policy_set_entry *x,
    const struct policy_set_entry *y)
{
	return x->cluster == y->cluster && x->kind == y->kind &&
	    strcmp(x->name, y->name) == 0;
}

static int
policy_set_rule_cmp(const void *a, const void *b)
{
	const struct policy_rule *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
policy_set_name_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* Does LIST hold the RBAC wildcard "*"? */
static bool
policy_set_has_wildcard(const struct policy_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i], "*") == 0)
			return true;
	return false;
}

static int
policy_set_list_copy(struct policy_set_chunk **arena,
    struct policy_set_list *out, const struct policy_list *in)
{
	out->n = (uint32_t)in->n;
	if (in->n == 0)
		return 0;
	if ((out->v = policy_set_arena_alloc(arena,
	    in->n * sizeof(*out->v))) == NULL)
		return -1;
	for (size_t i = 0; i < in->n; i++)
		if ((out->v[i] = policy_set_arena_strdup(arena, in->v[i])) == NULL)
			return -1;
	return 0;
}

static int
policy_set_rule_build(struct policy_set_chunk **arena,
    struct policy_set_rule *c, const struct policy_rule *r)
{
	c->name = policy_set_arena_strdup(arena, r->name);
	c->deny = r->effect == POLICY_DENY;
	c->non_resource = r->non_resource_urls.n > 0;
	c->any_verb = policy_set_has_wildcard(&r->verbs);
	c->any_group = policy_set_has_wildcard(&r->api_groups);
	c->any_resource = policy_set_has_wildcard(&r->resources);
	c->any_ns = r->namespaces.n == 0 ||
	    policy_set_has_wildcard(&r->namespaces);
	c->any_name = r->resource_names.n == 0 ||
	    policy_set_has_wildcard(&r->resource_names);
	c->any_url = policy_set_has_wildcard(&r->non_resource_urls);
	if (c->name == NULL ||
	    policy_set_list_copy(arena, &c->verbs, &r->verbs) < 0 ||
	    policy_set_list_copy(arena, &c->api_groups, &r->api_groups) < 0 ||
	    policy_set_list_copy(arena, &c->resources, &r->resources) < 0 ||
	    policy_set_list_copy(arena, &c->namespaces, &r->namespaces) < 0 ||
	    policy_set_list_copy(arena, &c->names, &r->resource_names) < 0 ||
	    policy_set_list_copy(arena, &c->urls, &r->non_resource_urls) < 0)
		return -1;
	return 0;
}

static uint32_t
policy_set_cluster_id(const struct policy_set *set, const char *cluster)
{
	size_t lo = 0, hi = set->nclusters;

	if (cluster == NULL)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cluster, set->clusters[mid]);
		if (c == 0)
			return (uint32_t)mid + 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return UINT32_MAX;              /* no rule names this cluster */
}

/* The clusters RULES name, sorted and unique, into SET: a cluster's id is
 * 1 + its index there (0 is global). */
static int
policy_set_clusters(struct policy_set *set,
    const struct policy_rule *const *rules,
    size_t n)
{
	const char **names;
	size_t nnames = 0;
	int rc = -1;

	if ((names = calloc(n > 0 ? n : 1, sizeof(*names))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rules[i]->cluster != NULL)
			names[nnames++] = rules[i]->cluster;
	qsort(names, nnames, sizeof(*names), policy_set_name_cmp);
	if (nnames > 0 && (set->clusters = policy_set_arena_alloc(&set->arena,
	    nnames * sizeof(*set->clusters))) == NULL)
		goto out;
	for (size_t i = 0; i < nnames; i++)
		if ((i == 0 || strcmp(names[i - 1], names[i]) != 0) &&
		    (set->clusters[set->nclusters++] =
		    policy_set_arena_strdup(&set->arena, names[i])) == NULL)
			goto out;
	rc = 0;
out:
	free(names);
	return rc;
}

/* One entry per subject of each rule of SORTED (in set->rules' order),
 * sorted by key. Returns 0 and a new array of *np entries in *entriesp
 * (caller frees), or -1 (out of memory). */
static int
policy_set_entries(const struct policy_set *set,
    const struct policy_rule *const *sorted, struct policy_set_entry **entriesp,
    size_t *np)
{
	struct policy_set_entry *entries;
	size_t n = 0;

	for (size_t i = 0; i < set->nrules; i++)
		n += sorted[i]->users.n + sorted[i]->groups.n;
	if ((entries = calloc(n > 0 ? n : 1, sizeof(*entries))) == NULL)
		return -1;
	n = 0;
	for (size_t i = 0; i < set->nrules; i++) {
		const struct policy_rule *r = sorted[i];
		uint32_t cid = policy_set_cluster_id(set, r->cluster);
		for (size_t k = 0; k < 2; k++) {
			const struct policy_list *subjects = k == 0 ? &r->users :
			    &r->groups;
			for (size_t j = 0; j < subjects->n; j++) {
				bool any = strcmp(subjects->v[j], "*") == 0;
				entries[n++] = (struct policy_set_entry){
					.name = any ? "" : subjects->v[j],
					.cluster = cid,
					.kind = any ? SUBJECT_ANY : k == 0 ?
					    SUBJECT_USER : SUBJECT_GROUP,
					.rule = (uint32_t)i,
				};
			}
		}
	}
	qsort(entries, n, sizeof(*entries), policy_set_entry_cmp);
	*entriesp = entries;
	*np = n;
	return 0;
}

/* Fill the subject index from the sorted rules (set->rules and SORTED in
 * the same order). */
static int
policy_set_index_build(struct policy_set *set,
    const struct policy_rule *const *sorted)
{
	struct policy_set_entry *entries;
	struct policy_set_slot *slot = NULL;
	size_t nentries, nkeys = 0, nslots = 16, nrefs = 0;
	int rc = -1;

	if (policy_set_entries(set, sorted, &entries, &nentries) < 0)
		return -1;
	for (size_t i = 0; i < nentries; i++)
		if (i == 0 || !policy_set_same_key(&entries[i - 1], &entries[i]))
			nkeys++;
	while (nslots < 2 * nkeys)
		nslots *= 2;
	set->mask = nslots - 1;
	if ((set->slots = policy_set_arena_alloc(&set->arena,
	    nslots * sizeof(*set->slots))) == NULL ||
	    (set->refs = policy_set_arena_alloc(&set->arena,
	    (nentries > 0 ? nentries : 1) * sizeof(*set->refs))) == NULL)
		goto out;
	memset(set->slots, 0, nslots * sizeof(*set->slots));

	for (size_t i = 0; i < nentries; i++) {
		const struct policy_set_entry *e = &entries[i];
		bool repeat = i > 0 && policy_set_same_key(&entries[i - 1], e);

		if (repeat && entries[i - 1].rule == e->rule)
			continue;       /* a subject listed twice in one rule */
		if (!repeat) {
			uint64_t h = policy_set_hash_key(policy_set_hash_name(e->name),
			    e->cluster, e->kind);
			size_t at = h & set->mask;
			while (set->slots[at].name != NULL)
				at = (at + 1) & set->mask;
			slot = &set->slots[at];
			if ((slot->name = policy_set_arena_strdup(&set->arena,
			    e->name)) == NULL)
				goto out;
			slot->hash = h;
			slot->cluster = e->cluster;
			slot->kind = e->kind;
			slot->start = (uint32_t)nrefs;
		}
		set->refs[nrefs++] = e->rule;
		slot->count++;
	}
	rc = 0;
out:
	free(entries);
	return rc;
}

int
policy_set_new(const struct policy_rule *const *rules, size_t n,
    const char *load_error, struct policy_set **setp, char *err, size_t errlen)
{
	struct policy_set *set;
	const struct policy_rule **sorted = NULL;

	*setp = NULL;
	if (n > UINT32_MAX / 2) {
		snprintf(err, errlen, "too many policies");
		return -1;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (sorted = calloc(n > 0 ? n : 1, sizeof(*sorted))) == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++)
		sorted[i] = rules[i];
	qsort(sorted, n, sizeof(*sorted), policy_set_rule_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			snprintf(err, errlen, "two policies are named \"%s\"",
			    sorted[i]->name);
			goto fail;
		}
	if (policy_set_clusters(set, rules, n) < 0)
		goto oom;
	if (n > 0 && (set->rules = policy_set_arena_alloc(&set->arena,
	    n * sizeof(*set->rules))) == NULL)
		goto oom;
	set->nrules = n;
	for (size_t i = 0; i < n; i++) {
		memset(&set->rules[i], 0, sizeof(set->rules[i]));
		if (policy_set_rule_build(&set->arena, &set->rules[i],
		    sorted[i]) < 0)
			goto oom;
	}
	if (policy_set_index_build(set, sorted) < 0)
		goto oom;
	if (load_error != NULL && *load_error != '\0') {
		char buf[sizeof(((struct policy_decision *)0)->evaluation_error)];
		log_sanitize(buf, sizeof(buf), load_error);
		if ((set->load_error = policy_set_arena_strdup(&set->arena,
		    buf)) == NULL)
			goto oom;
	}
	free(sorted);
	*setp = set;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(sorted);
	policy_set_free(set);
	return -1;
}

void
policy_set_free(struct policy_set *set)
{
	if (set == NULL)
		return;
	policy_set_arena_free(set->arena);
	free(set);
}

size_t
policy_set_count(const struct policy_set *set)
{
	return set != NULL ? set->nrules : 0;
}

/*
 * Matching (RBAC's evaluation_helpers.go, plus conservative denies)
 */

static bool
policy_set_list_has(const struct policy_set_list *l, const char *s)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* RBAC ResourceMatches: "*" is everything, subresources included; else
 * the combined "resource/subresource" exactly, or "*\/subresource". */
static bool
policy_set_resource_matches(const struct policy_set_rule *r,
    const struct policy_request *q, size_t resource_len)
{
	if (r->any_resource)
		return true;
	for (uint32_t i = 0; i < r->resources.n; i++) {
		const char *rr = r->resources.v[i];
		if (*q->subresource == '\0') {
			if (strcmp(rr, q->resource) == 0)
				return true;
			continue;
		}
		if (strncmp(rr, q->resource, resource_len) == 0 &&
		    rr[resource_len] == '/' &&
		    strcmp(rr + resource_len + 1, q->subresource) == 0)
			return true;
		if (rr[0] == '*' && rr[1] == '/' &&
		    strcmp(rr + 2, q->subresource) == 0)
			return true;
	}
	return false;
}

/* An empty namespace is a cluster-scoped request or one across all
 * namespaces, an empty name a list, watch, create or deletecollection:
 * an allow rule must say so (namespaces [""], no resourceNames), a deny
 * rule limited to some namespaces or names matches them anyway. */
static bool
policy_set_ns_matches(const struct policy_set_rule *r,
    const struct policy_request *q)
{
	if (r->any_ns || (*q->ns == '\0' && r->deny))
		return true;
	return policy_set_list_has(&r->namespaces, q->ns);
}

static bool
policy_set_name_matches(const struct policy_set_rule *r,
    const struct policy_request *q)
{
	if (r->any_name)
		return true;
	if (*q->name == '\0')
		return r->deny;
	return policy_set_list_has(&r->names, q->name);
}

static bool
policy_set_url_matches(const struct policy_set_rule *r, const char *path)
{
	if (r->any_url)
		return true;
	for (uint32_t i = 0; i < r->urls.n; i++) {
		const char *u = r->urls.v[i];
		size_t len = strlen(u);
		if (u[len - 1] == '*' ? strncmp(u, path, len - 1) == 0 :
		    strcmp(u, path) == 0)
			return true;
	}
	return false;
}

static bool
policy_set_rule_matches(const struct policy_set_rule *r,
    const struct policy_request *q, size_t resource_len)
{
	if (r->non_resource == q->is_resource)
		return false;
	if (!r->any_verb && !policy_set_list_has(&r->verbs, q->verb))
		return false;
	if (r->non_resource)
		return policy_set_url_matches(r, q->path);
	return (r->any_group ||
	    policy_set_list_has(&r->api_groups, q->api_group)) &&
	    policy_set_resource_matches(r, q, resource_len) &&
	    policy_set_ns_matches(r, q) && policy_set_name_matches(r, q);
}

/*
 * Deciding
 */

#define POLICY_SET_NO_RULE UINT32_MAX

struct policy_set_evaluation {
	const struct policy_set *set;
	const struct policy_request *q;
	size_t resource_len;
	uint32_t deny, allow;           /* lowest matching index, or
	                                   POLICY_SET_NO_RULE */
};

static void
policy_set_evaluate_slot(struct policy_set_evaluation *e,
    const struct policy_set_slot *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = s->start; i < s->start + s->count; i++) {
		uint32_t idx = e->set->refs[i];
		const struct policy_set_rule *r = &e->set->rules[idx];

		if (r->deny ? idx >= e->deny :
		    (e->deny != POLICY_SET_NO_RULE || idx >= e->allow))
			continue;       /* cannot change the outcome */
		if (policy_set_rule_matches(r, e->q, e->resource_len)) {
			if (r->deny)
				e->deny = idx;
			else
				e->allow = idx;
		}
	}
}

/* The rules filed under subject (CLUSTER, KIND, NAME), NAME_HASH being
 * policy_set_hash_name(NAME). */
static void
policy_set_evaluate_subject(struct policy_set_evaluation *e, uint32_t cluster,
    enum policy_set_subject kind, const char *name, uint64_t name_hash)
{
	policy_set_evaluate_slot(e, policy_set_index_find(e->set, name_hash,
	    cluster, kind, name));
}

static bool
policy_set_protected_user(const char *user)
{
	return strncmp(user, "system:", 7) == 0;
}

/* The groups through which rules reach a protected user: its own
 * system: groups, but not the ones every request carries. */
static bool
policy_set_protected_group(const char *group)
{
	return strncmp(group, "system:", 7) == 0 &&
	    strcmp(group, "system:authenticated") != 0 &&
	    strcmp(group, "system:unauthenticated") != 0;
}

/* Every rule the request's subjects reach, globally and in CLUSTER: a
 * protected user's only through its name and its own system: groups. */
static void
policy_set_evaluate(struct policy_set_evaluation *e, const char *cluster,
    bool protected_user)
{
	const struct policy_set *set = e->set;
	const struct policy_request *sar = e->q;
	uint64_t user_hash, any_hash;
	uint32_t cids[2];
	size_t ncids = 0;

	if (set->nrules == 0)
		return;
	cids[ncids++] = 0;
	if (cluster != NULL &&
	    (cids[ncids] = policy_set_cluster_id(set, cluster)) != UINT32_MAX)
		ncids++;
	user_hash = *sar->user != '\0' ? policy_set_hash_name(sar->user) : 0;
	any_hash = policy_set_hash_name("");
	for (size_t c = 0; c < ncids; c++) {
		if (*sar->user != '\0')
			policy_set_evaluate_subject(e, cids[c], SUBJECT_USER,
			    sar->user, user_hash);
		if (!protected_user)
			policy_set_evaluate_subject(e, cids[c], SUBJECT_ANY, "",
			    any_hash);
		for (size_t g = 0; g < sar->ngroups; g++) {
			const char *group = sar->groups[g];
			if (protected_user && !policy_set_protected_group(group))
				continue;
			policy_set_evaluate_subject(e, cids[c], SUBJECT_GROUP,
			    group, policy_set_hash_name(group));
		}
	}
}

void
policy_set_decide(const struct policy_set *set, const char *cluster,
    const struct policy_request *sar, enum conf_authz_default dflt,
    struct policy_decision *d)
{
	struct policy_set_evaluation e = {
		.set = set, .q = sar, .resource_len = strlen(sar->resource),
		.deny = POLICY_SET_NO_RULE, .allow = POLICY_SET_NO_RULE,
	};

	memset(d, 0, sizeof(*d));
	d->verdict = POLICY_NO_OPINION;
	d->protected_user = policy_set_protected_user(sar->user);
	if (set == NULL) {
		/* Like a webhook that cannot answer: the API server's failure
		 * policy is no opinion, and a default deny would lock out
		 * every user while MySQL is unreachable at start-up. */
		snprintf(d->reason, sizeof(d->reason),
		    "authorization rules are not loaded");
		snprintf(d->evaluation_error, sizeof(d->evaluation_error),
		    "authorization rules are not loaded");
		return;
	}
	if (set->load_error != NULL)
		snprintf(d->evaluation_error, sizeof(d->evaluation_error), "%s",
		    set->load_error);
	policy_set_evaluate(&e, cluster, d->protected_user);

	if (e.deny != POLICY_SET_NO_RULE) {
		d->verdict = POLICY_DENIED;
		d->rule = set->rules[e.deny].name;
		snprintf(d->reason, sizeof(d->reason), "denied by policy \"%s\"",
		    d->rule);
	} else if (e.allow != POLICY_SET_NO_RULE) {
		d->verdict = POLICY_ALLOWED;
		d->rule = set->rules[e.allow].name;
		snprintf(d->reason, sizeof(d->reason), "allowed by policy \"%s\"",
		    d->rule);
	} else if (dflt == CONF_AUTHZ_DENY && !d->protected_user) {
		d->verdict = POLICY_DENIED;
		d->by_default = true;
		snprintf(d->reason, sizeof(d->reason),
		    "denied by default: no policy allows this request");
	} else {
		snprintf(d->reason, sizeof(d->reason), "%s", d->protected_user ?
		    "no policy names this system: user or its system: groups" :
		    "no policy matches this request");
	}
}
