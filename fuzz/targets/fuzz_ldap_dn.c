/*
 * fuzz_ldap_dn — RFC 4514 escaping of a value placed in a DN
 * (direscape_dn()): a user's id becomes "uid=<escaped>,<base>".
 *
 * Property: libldap's DN parser (ldap_str2dn(), LDAPv3 syntax) reads
 * "uid=<escaped>,ou=people,dc=example,dc=org" as four RDNs, the first of
 * one attribute, uid, whose value is the original bytes; the rest of the
 * DN is untouched; and "cn=<escaped>+uid=x" is one RDN of two values.
 */
#include "fuzz.h"

#include <ldap.h>

#include "direscape.h"

static void
check_ava(const LDAPAVA *ava, const char *attr, const void *value, size_t len)
{
	FUZZ_ASSERT(ava->la_attr.bv_len == strlen(attr) &&
	    memcmp(ava->la_attr.bv_val, attr, ava->la_attr.bv_len) == 0);
	FUZZ_ASSERT(ava->la_value.bv_len == len &&
	    (len == 0 || memcmp(ava->la_value.bv_val, value, len) == 0));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = ",ou=people,dc=example,dc=org";
	char *escaped, *text;
	LDAPDN dn = NULL;
	size_t n;

	/* An empty value is no RDN at all: callers never build one. */
	if (size == 0)
		return 0;
	escaped = direscape_dn((const char *)data, size);
	FUZZ_ASSERT(escaped != NULL && strlen(escaped) <= 3 * size);
	n = strlen(escaped);
	text = malloc(n + sizeof(base) + 16);
	FUZZ_ASSERT(text != NULL);

	sprintf(text, "uid=%s%s", escaped, base);
	if (ldap_str2dn(text, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
		fprintf(stderr, "refused: %s\n", text);
		FUZZ_ASSERT(!"ldap_str2dn reads the escaped DN");
	}
	for (n = 0; dn[n] != NULL; n++)
		;
	FUZZ_ASSERT(n == 4);
	FUZZ_ASSERT(dn[0][0] != NULL && dn[0][1] == NULL);
	check_ava(dn[0][0], "uid", data, size);
	check_ava(dn[1][0], "ou", "people", 6);
	check_ava(dn[3][0], "dc", "org", 3);
	ldap_dnfree(dn);

	sprintf(text, "cn=%s+uid=x", escaped);
	FUZZ_ASSERT(ldap_str2dn(text, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS);
	FUZZ_ASSERT(dn[0] != NULL && dn[1] == NULL);
	FUZZ_ASSERT(dn[0][0] != NULL && dn[0][1] != NULL && dn[0][2] == NULL);
	check_ava(dn[0][0], "cn", data, size);
	check_ava(dn[0][1], "uid", "x", 1);
	ldap_dnfree(dn);

	free(text);
	free(escaped);
	return 0;
}
