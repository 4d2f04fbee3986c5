/*
 * direscape.h — putting untrusted text into LDAP strings: RFC 4515 escaping
 * of a filter's assertion value, RFC 4514 escaping of a DN's attribute
 * value, and the ldap.user_filter template (doc/authentication.md, "LDAP").
 *
 * Pure functions: no connection, no configuration, nothing logged. Every
 * result is a malloc'd string the caller frees; NULL means ENOMEM (errno
 * set). Values are byte strings with a length: a NUL inside is escaped,
 * never a terminator.
 */
#ifndef KA_DIRESCAPE_H
#define KA_DIRESCAPE_H

#include <stddef.h>

/* RFC 4515 escaping of an assertion value: '*', '(', ')', '\\' and NUL
 * become \2a \28 \29 \5c \00; bytes >= 0x80 are kept (UTF-8 is valid in a
 * filter). */
char *direscape_filter(const char *value, size_t len);

/* RFC 4514 escaping of an attribute value inside a DN: ',', '+', '"', '\\',
 * '<', '>', ';', '=', a leading '#' or space, a trailing space; control
 * characters (NUL included) in hex. */
char *direscape_dn(const char *value, size_t len);

/* Expand a user_filter template: every "%s" becomes VALUE (LEN bytes)
 * escaped by direscape_filter(), "%%" becomes "%". */
char *direscape_expand_filter(const char *tmpl, const char *value, size_t len);

#endif
