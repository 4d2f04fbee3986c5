/*
 * directory.h — the LDAP directory: one handle per worker, holding one
 * persistent connection (doc/authentication.md, "LDAP").
 *
 * (Named "directory" rather than "ldap": <ldap.h> and the ldap_* namespace
 * belong to libldap.) The directory code is five modules:
 *
 *   directory.c   this handle and its connection: URL failover, TLS,
 *                 timeouts, the service bind, the password check
 *   dirsearch.c   the user and group searches of a lookup (dirsearch.h)
 *   dircache.c    lookups kept between requests (dircache.h)
 *   direscape.c   RFC 4515 / RFC 4514 escaping (direscape.h; pure)
 *   dirdn.c       DN parsing (dirdn.h; pure)
 *
 * The first three share the handle's fields through directory_internal.h,
 * which nothing else includes.
 *
 * The connection tries ldap.urls in order (failover), optionally StartTLS
 * or ldaps:// verified against ldap.ca_file, with network and operation
 * timeouts, never chasing referrals. A call that fails on an established
 * connection reconnects once and retries; a second failure is reported to
 * the caller (who answers 503). Nothing here is shared across fork(): each
 * worker makes its own handle.
 */
#ifndef KA_DIRECTORY_H
#define KA_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "directory_stats.h"

struct conf;
struct directory;

/* A handle for CONF (borrowed; must outlive the handle) and the service
 * bind password (copied; may be NULL for an anonymous bind). Does not
 * connect yet. Caller frees with directory_free(), which also empties the
 * handle's cache (dircache.h). */
int directory_new(const struct conf *conf, const char *bind_password,
    struct directory **dirp);
void directory_free(struct directory *dir);

/* Bind with the service credentials, connecting first when there is no
 * connection (or reconnecting once when the bound connection turns out to
 * be dead). Returns 0 or -1 (logged, with the server URL and
 * ldap_err2string). Used by /healthz and before each lookup. */
int directory_service_bind(struct directory *dir);

/* Does PASSWORD (LEN bytes) bind as DN? Binds on a connection of its own
 * (URL failover, TLS and timeouts as the service's), never on the worker's
 * service connection, and closes it. An empty password is refused without
 * asking the server (a simple bind with one is an anonymous bind, which
 * servers accept). Returns 0 with *VALID, or -1 when no server could be
 * asked (logged). The password never reaches a log line. */
int directory_check_password(struct directory *dir, const char *dn,
    const char *password, size_t len, bool *valid);

/* Where the time of the last lookup (dirsearch_lookup() or
 * dircache_lookup()) went, copied into *STATS. */
void directory_get_stats(const struct directory *dir,
    struct directory_stats *stats);

#endif
