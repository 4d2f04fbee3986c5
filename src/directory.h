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

/* RFC 4515 escaping of an assertion value: '*', '(', ')', '\\' and NUL
 * become \2a \28 \29 \5c \00; bytes >= 0x80 are kept (UTF-8 is valid in a
 * filter). Returns a malloc'd string (caller frees) or NULL on ENOMEM. */
char *directory_escape_filter(const char *value, size_t len);

/* RFC 4514 escaping of an attribute value inside a DN: ',', '+', '"', '\\',
 * '<', '>', ';', '=' (and NUL), a leading '#' or space, a trailing space.
 * Returns a malloc'd string (caller frees) or NULL on ENOMEM. */
char *directory_escape_dn(const char *value, size_t len);

/* Expand a user_filter template: every "%s" becomes the filter-escaped
 * VALUE, "%%" becomes "%". Returns a malloc'd string or NULL. */
char *directory_expand_filter(const char *tmpl, const char *value, size_t len);

#endif
