/*
 * fuzz_client_dn — DNs read from outside: the client certificate's subject
 * as nginx passes it (SSL_CLIENT_S_DN, checked against a cluster's
 * client_cn by dirdn_single_cn()), and group DNs from the directory
 * (named by their first RDN's value, dirdn_rdn_value()).
 *
 * Input: "CN\nDN" (no newline: the whole input is both).
 *
 * Properties, for any DN text: dirdn_single_cn() agrees with a
 * count of cn / 2.5.4.3 values made here from ldap_str2dn(); a first-RDN
 * value is never cut short by a NUL in it (it would name another group:
 * "cn=system:masters\00x"). For the CN itself: "CN=<escaped>,O=x" matches
 * it, and so does "O=x+CN=<escaped>"; "CN=<escaped>,CN=<escaped>" (two
 * CNs) and "O=CN\=<escaped>" (a CN inside another value) do not.
 */
#include "fuzz.h"

#include <strings.h>

#include <ldap.h>

#include "dirdn.h"
#include "direscape.h"

static bool
is_cn(const struct berval *attr)
{
	return (attr->bv_len == 2 && strncasecmp(attr->bv_val, "cn", 2) == 0) ||
	    (attr->bv_len == 7 && memcmp(attr->bv_val, "2.5.4.3", 7) == 0);
}

/* The reference: exactly one CN, textual, equal to CN byte for byte. */
static bool
reference_single_cn(const char *dn, const char *cn)
{
	LDAPDN ldn = NULL;
	size_t ncn = 0, cnlen = strlen(cn);
	bool match = false;

	if (cn[0] == '\0' || ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	for (size_t i = 0; ldn != NULL && ldn[i] != NULL; i++)
		for (size_t j = 0; ldn[i][j] != NULL; j++) {
			const LDAPAVA *ava = ldn[i][j];
			if (!is_cn(&ava->la_attr))
				continue;
			ncn++;
			match = !(ava->la_flags & LDAP_AVA_BINARY) &&
			    ava->la_value.bv_len == cnlen &&
			    memcmp(ava->la_value.bv_val, cn, cnlen) == 0;
		}
	ldap_dnfree(ldn);
	return ncn == 1 && match;
}

static void
check_rdn_value(const char *dn)
{
	char *value = dirdn_rdn_value(dn);
	LDAPDN ldn = NULL;

	if (value == NULL)
		return;
	FUZZ_ASSERT(ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS);
	FUZZ_ASSERT(ldn != NULL && ldn[0] != NULL && ldn[0][0] != NULL && ldn[0][1] == NULL);
	FUZZ_ASSERT(strlen(value) == ldn[0][0]->la_value.bv_len);
	FUZZ_ASSERT(value[0] == '\0' ||
	    memcmp(value, ldn[0][0]->la_value.bv_val, strlen(value)) == 0);
	ldap_dnfree(ldn);
	free(value);
}

static bool
single_cn_of(const char *fmt, const char *escaped, const char *cn)
{
	size_t size = strlen(fmt) + 2 * strlen(escaped) + 1;
	char *dn = malloc(size);
	bool yes;

	FUZZ_ASSERT(dn != NULL);
	snprintf(dn, size, fmt, escaped, escaped);
	yes = dirdn_single_cn(dn, cn);
	check_rdn_value(dn);
	free(dn);
	return yes;
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
	char *input = fuzz_strndup(data, size), *nl = strchr(input, '\n');
	const char *cn = input, *dn = nl != NULL ? nl + 1 : input;
	char *escaped;

	if (nl != NULL)
		*nl = '\0';
	FUZZ_ASSERT(dirdn_single_cn(dn, cn) == reference_single_cn(dn, cn));
	check_rdn_value(dn);

	if (cn[0] != '\0') {
		escaped = direscape_dn(cn, strlen(cn));
		FUZZ_ASSERT(escaped != NULL);
		FUZZ_ASSERT(single_cn_of("CN=%s,O=Example", escaped, cn));
		FUZZ_ASSERT(single_cn_of("O=Example+cn=%s,C=DE", escaped, cn));
		FUZZ_ASSERT(!single_cn_of("CN=%s,CN=%s", escaped, cn));
		FUZZ_ASSERT(!single_cn_of("O=CN\\=%s", escaped, cn));
		free(escaped);
	}
	free(input);
	return 0;
}
