/*
 * directory.h — the LDAP directory: one persistent connection per worker.
 *
 * (Named "directory" rather than "ldap": <ldap.h> and the ldap_* namespace
 * belong to libldap.)
 *
 * The connection tries ldap.urls in order (failover), optionally StartTLS or
 * ldaps:// verified against ldap.ca_file, with network and operation
 * timeouts, never chasing referrals. A call that fails on an established
 * connection reconnects once and retries; a second failure is reported to
 * the caller (who answers 503).
 */
#ifndef KA_DIRECTORY_H
#define KA_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct directory;

/* A handle for CONF (borrowed; must outlive the handle) and the service
 * bind password (copied; may be NULL for an anonymous bind). Does not
 * connect yet. Caller frees with directory_free(). */
int directory_new(const struct conf *conf, const char *bind_password,
    struct directory **dirp);
void directory_free(struct directory *dir);

/* Bind with the service credentials, connecting first when there is no
 * connection (or reconnecting once when the bound connection turns out to
 * be dead). Returns 0 or -1 (logged, with the server URL and
 * ldap_err2string). Used by /healthz and before each authentication. */
int directory_service_bind(struct directory *dir);

/* Drop the connection (the next call reconnects). */
void directory_disconnect(struct directory *dir);

/* What the directory says about one user (directory_lookup). Owned by the
 * caller: directory_user_free(). Every string is valid UTF-8: values that
 * are not are left out (and logged). */
struct directory_attr {
	char *name;                     /* as configured (extra_attributes) */
	char **values;
	size_t nvalues;
};

struct directory_user {
	char *dn;
	char *id;                       /* first id_attribute value, or NULL */
	char *username;                 /* first username_attribute value, or NULL */
	char *uid;                      /* first uid_attribute value, or NULL */
	struct directory_attr *extra;   /* extra_attributes the entry has */
	size_t nextra;
	char **groups;                  /* names (ldap.group_name), distinct, */
	size_t ngroups;                 /* in the order they were found */
};
void directory_user_free(struct directory_user *user);

/* Where the time of the last directory_lookup() went, in microseconds. */
struct directory_stats {
	long bind_us;                   /* service bind (and any reconnect) */
	long search_us;                 /* user and group searches */
	unsigned searches;              /* search operations (pages count) */
	bool cached;                    /* answered from the cache */
};
void directory_get_stats(const struct directory *dir,
    struct directory_stats *stats);

/*
 * Find the user NAME (LEN bytes, the stored id or a login name) through
 * ldap.user_filter, after a service bind on the worker's connection (one
 * per call: the bind is what proves the connection and the credentials
 * still work). *NENTRIES gets how many entries matched (0, 1, or 2 for
 * "more than one"); with exactly one, *USERP gets it (caller frees) and,
 * with WITH_GROUPS, its groups by every ldap.group_methods, nested up to
 * ldap.nested_depth. Group searches use paged results (RFC 2696); a search
 * the server cuts short (size or admin limit) fails the call: a shorter
 * group list would be a wrong answer. A connection lost on the way is
 * re-opened once. Returns 0, or -1 when the directory cannot answer
 * (logged; the caller answers 503).
 */
int directory_lookup(struct directory *dir, const char *name, size_t len,
    bool with_groups, struct directory_user **userp, size_t *nentries);

/* directory_lookup() with groups, answered from this worker's cache when
 * ldap.cache_ttl is set and the same NAME found exactly one entry less
 * than cache_ttl ago (no bind, no search: stats say "cached"). Only such
 * answers are kept, at most ldap.cache_max names per worker; the least
 * recently used makes room. cache_ttl 0: exactly directory_lookup().
 * *USERP is borrowed: it stays valid until the next call or
 * directory_free(). */
int directory_lookup_cached(struct directory *dir, const char *name,
    size_t len, const struct directory_user **userp, size_t *nentries);

/* Does PASSWORD (LEN bytes) bind as DN? Binds on a connection of its own
 * (URL failover, TLS and timeouts as the service's), never on the worker's
 * service connection, and closes it. An empty password is refused without
 * asking the server (a simple bind with one is an anonymous bind, which
 * servers accept). Returns 0 with *VALID, or -1 when no server could be
 * asked (logged). The password never reaches a log line. */
int directory_check_password(struct directory *dir, const char *dn,
    const char *password, size_t len, bool *valid);

#endif
