/*
 * dircache.c — the per-worker cache of lookups (ldap.cache_ttl,
 * ldap.cache_max): answers indexed by name (tsearch), and in a list from
 * the most to the least recently used, whose tail makes room.
 */
#include "dircache.h"

#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "directory_internal.h"
#include "dirsearch.h"
#include "ktime.h"
#include "log.h"

/* What an entry is found by: first in struct dircache_entry, so that the
 * index compares entries and a key on the stack alike. */
struct dircache_key {
	const char *name;               /* the lookup's NAME, LEN bytes */
	size_t len;
};

struct dircache_entry {
	struct dircache_key key;        /* key.name points to name[] */
	int64_t expires_ms;             /* monotonic */
	struct dirsearch_user *user;
	struct dircache_entry *newer, *older;
	char name[];
};

struct dircache {
	void *index;                    /* of entries, by key */
	struct dircache_entry *newest, *oldest;
	size_t n;
	struct dirsearch_user *last;    /* the last answer not kept */
};

/* The index's order: by length, then byte by byte. */
static int
dircache_cmp(const void *a, const void *b)
{
	const struct dircache_key *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/* Take E out of the recency list (it stays in the index). */
static void
dircache_unlink(struct dircache *c, struct dircache_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Put E at the most recently used end of the list. */
static void
dircache_link_newest(struct dircache *c, struct dircache_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

/* Forget E: out of the index and the list, freed with its answer. */
static void
dircache_drop(struct dircache *c, struct dircache_entry *e)
{
	tdelete(e, &c->index, dircache_cmp);
	dircache_unlink(c, e);
	c->n--;
	dirsearch_user_free(e->user);
	free(e);
}

/* Keep USER (owned from now on) as the answer for NAME (LEN bytes) until
 * EXPIRES_MS, making room first when the cache is full. */
static void
dircache_keep(struct dircache *c, size_t max, const char *name, size_t len,
    int64_t expires_ms, struct dirsearch_user *user)
{
	struct dircache_entry *e;

	if (c->n >= max)
		dircache_drop(c, c->oldest);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		fatal("calloc");
	if (len > 0)
		memcpy(e->name, name, len);
	e->key.name = e->name;
	e->key.len = len;
	e->expires_ms = expires_ms;
	e->user = user;
	if (tsearch(e, &c->index, dircache_cmp) == NULL)
		fatal("tsearch");
	dircache_link_newest(c, e);
	c->n++;
}

/* directory_free() calls this through dir->cache_free. */
static void
dircache_free(struct dircache *c)
{
	while (c->oldest != NULL)
		dircache_drop(c, c->oldest);
	dirsearch_user_free(c->last);
	free(c);
}

/* DIR's cache, made on first use. */
static struct dircache *
dircache_of(struct directory *dir)
{
	if (dir->cache == NULL) {
		if ((dir->cache = calloc(1, sizeof(*dir->cache))) == NULL)
			fatal("calloc");
		dir->cache_free = dircache_free;
	}
	return dir->cache;
}

int
dircache_lookup(struct directory *dir, const char *name, size_t len,
    const struct dirsearch_user **userp, size_t *nentries)
{
	struct dircache *c = dircache_of(dir);
	int64_t ttl = dir->conf->ldap.cache_ttl_ms, now;
	struct dircache_key key = { .name = name, .len = len };
	struct dircache_entry *e;
	struct dirsearch_user *user = NULL;
	void *node;
	int rc;

	*userp = NULL;
	dirsearch_user_free(c->last);
	c->last = NULL;
	now = ttl > 0 ? ktime_mono_us() / 1000 : 0;
	if (ttl > 0 && (node = tfind(&key, &c->index, dircache_cmp)) != NULL) {
		e = *(struct dircache_entry **)node;
		if (e->expires_ms > now) {
			memset(&dir->stats, 0, sizeof(dir->stats));
			dir->stats.cached = true;
			dircache_unlink(c, e);
			dircache_link_newest(c, e);
			*userp = e->user;
			*nentries = 1;
			return 0;
		}
		dircache_drop(c, e);
	}
	rc = dirsearch_lookup(dir, name, len, true, &user, nentries);
	/* Only "exactly one entry" is kept: a user added to, or fixed in,
	 * the directory is seen at once. */
	if (ttl <= 0 || rc < 0 || *nentries != 1) {
		c->last = user;
		*userp = user;
		return rc;
	}
	dircache_keep(c, (size_t)dir->conf->ldap.cache_max, name, len, now + ttl,
	    user);
	*userp = user;
	return 0;
}
