/*
 * dirdn.c — DN parsing: first-RDN values, normalised identities, the
 * single-CN check of client certificates.
 */
#include "dirdn.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "log.h"

/* Is ATTR (an attribute type as ldap_str2dn left it) cn? */
static bool
dirdn_is_cn(const struct berval *attr)
{
	return (attr->bv_len == 2 && strncasecmp(attr->bv_val, "cn", 2) == 0) ||
	    (attr->bv_len == 7 && strncmp(attr->bv_val, "2.5.4.3", 7) == 0);
}

/* The value of DN's first RDN (single-valued, not hex), when its type is
 * cn or, with ANY_TYPE, whatever it is; else NULL. Malloc'd. */
static char *
dirdn_first_rdn(const char *dn, bool any_type)
{
	LDAPDN ldn = NULL;
	LDAPAVA *ava;
	char *value = NULL;

	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    ldn == NULL || ldn[0] == NULL)
		goto done;
	ava = ldn[0][0];
	if (ava == NULL || ldn[0][1] != NULL || (ava->la_flags & LDAP_AVA_BINARY))
		goto done;
	/* "cn=system:masters\00x" must not come out as "system:masters". */
	if (ava->la_value.bv_len > 0 &&
	    memchr(ava->la_value.bv_val, '\0', ava->la_value.bv_len) != NULL)
		goto done;
	if (!any_type && !dirdn_is_cn(&ava->la_attr))
		goto done;
	/* No NUL inside, so strndup copies all of it; libldap gives "cn=" a
	 * NULL bv_val. */
	value = ava->la_value.bv_len > 0 ?
	    strndup(ava->la_value.bv_val, ava->la_value.bv_len) : strdup("");
	if (value == NULL)
		fatal("strndup");
done:
	ldap_dnfree(ldn);
	return value;
}

char *
dirdn_rdn_value(const char *dn)
{
	return dirdn_first_rdn(dn, true);
}

char *
dirdn_rdn_cn(const char *dn)
{
	return dirdn_first_rdn(dn, false);
}

char *
dirdn_key(const char *dn)
{
	char *norm = NULL, *key, *p;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &norm,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || norm == NULL)
		key = strdup(dn);
	else {
		key = strdup(norm);
		ldap_memfree(norm);
	}
	if (key == NULL)
		fatal("strdup");
	for (p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return key;
}

bool
dirdn_single_cn(const char *dn, const char *cn)
{
	LDAPDN ldn = NULL;
	LDAPAVA *ava;
	size_t i, j, ncn = 0, cnlen;
	bool match = false;

	if (dn == NULL || cn == NULL || cn[0] == '\0' ||
	    ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    ldn == NULL)
		goto done;
	cnlen = strlen(cn);
	for (i = 0; ldn[i] != NULL; i++) {
		for (j = 0; ldn[i][j] != NULL; j++) {
			ava = ldn[i][j];
			if (!dirdn_is_cn(&ava->la_attr))
				continue;
			ncn++;
			match = !(ava->la_flags & LDAP_AVA_BINARY) &&
			    ava->la_value.bv_len == cnlen &&
			    memcmp(ava->la_value.bv_val, cn, cnlen) == 0;
		}
	}
done:
	ldap_dnfree(ldn);
	return ncn == 1 && match;
}
