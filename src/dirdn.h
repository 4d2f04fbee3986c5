/*
 * dirdn.h — reading DNs (RFC 4514 strings), through libldap's own parser
 * (ldap_str2dn, LDAPv3 syntax) so that escapes, hex values and multi-valued
 * RDNs mean what they mean to the server: a client certificate's subject
 * against a cluster's client_cn, and group DNs as group names and as
 * identities (doc/authentication.md, "LDAP").
 *
 * Pure functions: no connection, no configuration, nothing logged. A
 * string returned is malloc'd and the caller frees it; running out of
 * memory exits (fatal), like the rest of the directory code.
 */
#ifndef KA_DIRDN_H
#define KA_DIRDN_H

#include <stdbool.h>

/* The value of DN's first RDN ("system:masters" for
 * "cn=system:masters,ou=groups,..."), or NULL when it does not parse, is
 * multi-valued or in hex form, or holds a NUL. */
char *dirdn_rdn_value(const char *dn);

/* dirdn_rdn_value(), but only when that RDN's type is cn (or 2.5.4.3, its
 * OID), in any case; else NULL. A group's name under group_name: cn. */
char *dirdn_rdn_cn(const char *dn);

/* DN's identity, for telling two spellings of one DN apart: libldap's
 * normal form, ASCII-lowercased (attribute types and the values of the
 * usual naming attributes compare without case). A DN that does not parse
 * is kept as written. Never NULL. */
char *dirdn_key(const char *dn);

/* Does DN (an RFC 4514 string such as nginx's $ssl_client_s_dn) hold
 * exactly one CN, equal to CN byte for byte? "O=CN\=x" or a CN inside
 * another value never counts. A DN that does not parse, or a CN in hex
 * (#...) form, does not match. */
bool dirdn_single_cn(const char *dn, const char *cn);

#endif
