/*
 * dirsearch.h — what the directory says about one user: the user search
 * and the group searches, on the worker's connection (directory.h).
 *
 * A lookup is one service bind (the bind is what proves the connection and
 * the credentials still work), the user search (ldap.user_filter under
 * ldap.base_dn, asking only for the configured attributes) and, when asked
 * for, the user's groups by every ldap.group_methods, nested up to
 * ldap.nested_depth. The direct groups come from one search whatever the
 * methods; a group search is sent plain with a size limit of one page and,
 * only when that cuts it, again with paged results (RFC 2696); a search
 * the server cuts short even then fails the lookup: a shorter group list
 * would be a wrong answer. A connection lost on the way is
 * re-opened once. Each filter, and what is asked for: doc/authentication.md,
 * "LDAP". Where the lookup's time went: directory_get_stats().
 */
#ifndef KA_DIRSEARCH_H
#define KA_DIRSEARCH_H

#include <stdbool.h>
#include <stddef.h>

struct directory;

/* One user's entry and groups. Everything in it belongs to the struct,
 * which belongs to whoever dirsearch_lookup() gave it to: free with
 * dirsearch_user_free(). Every string is valid UTF-8: values that are not
 * are left out (and logged). */
struct dirsearch_attr {
	char *name;                     /* as configured (extra_attributes) */
	char **values;
	size_t nvalues;
};

struct dirsearch_user {
	char *dn;
	char *id;                       /* first id_attribute value, or NULL */
	char *username;                 /* first username_attribute value, or NULL */
	char *uid;                      /* first uid_attribute value, or NULL */
	char *member_uid;               /* first member_uid_attribute value (with
	                                   group_methods memberUid), or NULL */
	struct dirsearch_attr *extra;   /* extra_attributes the entry has */
	size_t nextra;
	char **groups;                  /* names (ldap.group_name), distinct, */
	size_t ngroups;                 /* sorted (byte order) */
};
void dirsearch_user_free(struct dirsearch_user *user);

/* Find the user NAME (LEN bytes, the stored id or a login name) on DIR's
 * connection. *NENTRIES gets how many entries matched (0, 1, or 2 for "more
 * than one"); with exactly one, *USERP gets it (the caller frees it) and,
 * with WITH_GROUPS, its groups. Returns 0, or -1 when the directory cannot
 * answer (logged; the caller answers 503). */
int dirsearch_lookup(struct directory *dir, const char *name, size_t len,
    bool with_groups, struct dirsearch_user **userp, size_t *nentries);

/* What a name is to the directory (dirsearch_resolve). */
enum dirsearch_resolution {
	DIRSEARCH_ONE,                  /* one entry: *id is its id_attribute */
	DIRSEARCH_NONE,                 /* no entry matches */
	DIRSEARCH_SEVERAL,              /* more than one entry matches */
	DIRSEARCH_NO_ID,                /* one entry, without id_attribute */
};

/* The directory's own name for NAME (LEN bytes, as typed: a uid, a mail,
 * in any case or width the directory's matching rules accept): the
 * id_attribute value of the one entry ldap.user_filter finds, in *ID
 * (malloc'd; the caller frees) when *RES is DIRSEARCH_ONE. A local user is
 * stored under this value, so that one entry is one local user. Returns
 * 0, or -1 when the directory cannot answer (logged). */
int dirsearch_resolve(struct directory *dir, const char *name, size_t len,
    char **id, enum dirsearch_resolution *res);

/* The groups of a made-up entry DN (its id ID) by the configured methods,
 * after a service bind: what the group search costs the directory even
 * when there is no user to look up (check-config --connect times it; a
 * search on an unindexed attribute costs the same whoever it is for).
 * *NGROUPS gets how many groups it found; directory_get_stats() the time.
 * DN and ID are borrowed. Returns 0 or -1 (logged). */
int dirsearch_probe_groups(struct directory *dir, const char *dn,
    const char *id, size_t *ngroups);

#endif
