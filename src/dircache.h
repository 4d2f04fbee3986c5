/*
 * dircache.h — dirsearch_lookup() answers kept by the worker between
 * requests (ldap.cache_ttl, ldap.cache_max; doc/authentication.md, "LDAP").
 *
 * Only answers that found exactly one entry are kept, so a user added to,
 * or fixed in, the directory is seen at once; a kept answer is used until
 * it is cache_ttl old, without a bind or a search, and so also while the
 * directory is down. At most cache_max names per worker: the least
 * recently used makes room. The cache lives as long as the directory
 * handle (directory_free() empties it).
 */
#ifndef KA_DIRCACHE_H
#define KA_DIRCACHE_H

#include <stddef.h>

struct directory;
struct dirsearch_user;

/* dirsearch_lookup() with groups, answered from the cache when it can be
 * (directory_get_stats() then says "cached"). cache_ttl 0: exactly
 * dirsearch_lookup(). *USERP is borrowed from the cache: it stays valid
 * until the next dircache_lookup() on DIR, or directory_free(). */
int dircache_lookup(struct directory *dir, const char *name, size_t len,
    const struct dirsearch_user **userp, size_t *nentries);

#endif
