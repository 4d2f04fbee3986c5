/*
 * fuzz_ldap_filter — RFC 4515 escaping of a user-supplied value
 * (direscape_filter(), direscape_expand_filter()): the value is a
 * username from TokenReview, HTTP Basic or the admin API, and ends up in
 * ldap.user_filter.
 *
 * The property (issue 9): the escaped value placed in a filter parses back
 * to one equality assertion with the original value. Checked two ways:
 *
 *   - by libldap's own filter parser, reached through the public
 *     ldap_put_vrFilter() (a values-return filter is a parenthesised list
 *     of simple items, parsed and unescaped by the same code as a search
 *     filter): "((uid=<escaped>))" must encode exactly as an equality
 *     assertion uid=<value> built directly with ber_printf(), and a
 *     two-item template with %% must encode as two assertions;
 *   - by an independent reader: "(uid=<escaped>)" has exactly one
 *     top-level pair of parentheses, no unescaped '(', ')', '*' or NUL
 *     inside, every '\' starts two hex digits, and unescaping gives the
 *     value back.
 */
#include "fuzz.h"

#include <lber.h>
#include <ldap.h>

#include "direscape.h"

/* The BER of a values-return filter with N equality items (ATTR, VALUE). */
static struct berval *
expected_ber(size_t n, const char *const *attrs, const char *const *values,
    const size_t *lens)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval *bv = NULL;

	FUZZ_ASSERT(ber != NULL);
	FUZZ_ASSERT(ber_printf(ber, "{") >= 0);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(ber_printf(ber, "t{so}", (ber_tag_t)LDAP_FILTER_EQUALITY,
		    attrs[i], values[i], (ber_len_t)lens[i]) >= 0);
	FUZZ_ASSERT(ber_printf(ber, "N}") >= 0);
	FUZZ_ASSERT(ber_flatten(ber, &bv) == 0);
	ber_free(ber, 1);
	return bv;
}

/* libldap's reading of "(" FILTER ")"; NULL when it refuses it. */
static struct berval *
libldap_ber(const char *filter)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval *bv = NULL;
	size_t len = strlen(filter);
	char *vrf = malloc(len + 3);

	FUZZ_ASSERT(ber != NULL && vrf != NULL);
	vrf[0] = '(';
	memcpy(vrf + 1, filter, len);
	memcpy(vrf + 1 + len, ")", 2);
	if (ldap_put_vrFilter(ber, vrf) == 0)
		FUZZ_ASSERT(ber_flatten(ber, &bv) == 0);
	ber_free(ber, 1);
	free(vrf);
	return bv;
}

static bool
same_ber(const struct berval *a, const struct berval *b)
{
	return a != NULL && b != NULL && a->bv_len == b->bv_len &&
	    memcmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The independent reader of "(uid=<escaped>)". */
static void
check_by_hand(const char *filter, const uint8_t *value, size_t len)
{
	size_t flen = strlen(filter), i, depth = 0, pairs = 0, n = 0;
	unsigned char *decoded = malloc(flen + 1);

	FUZZ_ASSERT(decoded != NULL);
	FUZZ_ASSERT(flen >= 6 && memcmp(filter, "(uid=", 5) == 0 && filter[flen - 1] == ')');
	/* Unescaped parentheses: exactly the outer pair. */
	for (i = 0; i < flen; i++) {
		if (filter[i] == '\\') {
			FUZZ_ASSERT(i + 2 < flen && hexval((unsigned char)filter[i + 1]) >= 0 &&
			    hexval((unsigned char)filter[i + 2]) >= 0);
			i += 2;
		} else if (filter[i] == '(') {
			FUZZ_ASSERT(depth == 0);
			depth++;
			pairs++;
		} else if (filter[i] == ')') {
			FUZZ_ASSERT(depth == 1 && i == flen - 1);
			depth--;
		}
	}
	FUZZ_ASSERT(depth == 0 && pairs == 1);
	/* The assertion value: no unescaped special, and it unescapes back. */
	for (i = 5; i < flen - 1; i++) {
		FUZZ_ASSERT(filter[i] != '*' && filter[i] != '(' && filter[i] != ')');
		if (filter[i] == '\\') {
			decoded[n++] = (unsigned char)(hexval((unsigned char)filter[i + 1]) << 4 |
			    hexval((unsigned char)filter[i + 2]));
			i += 2;
		} else {
			decoded[n++] = (unsigned char)filter[i];
		}
	}
	FUZZ_ASSERT(n == len && memcmp(decoded, value, len) == 0);
	free(decoded);
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
	const char *value = (const char *)data;
	char *escaped, *filter, *joined;
	struct berval *want, *got;

	escaped = direscape_filter(value, size);
	filter = direscape_expand_filter("(uid=%s)", value, size);
	FUZZ_ASSERT(escaped != NULL && filter != NULL);
	FUZZ_ASSERT(strlen(escaped) <= 3 * size);
	FUZZ_ASSERT(strlen(filter) == strlen(escaped) + 6 &&
	    strncmp(filter + 5, escaped, strlen(escaped)) == 0);

	check_by_hand(filter, data, size);

	want = expected_ber(1, (const char *const[]){ "uid" },
	    (const char *const[]){ value }, (const size_t[]){ size });
	got = libldap_ber(filter);
	FUZZ_ASSERT(same_ber(want, got));
	ber_bvfree(want);
	ber_bvfree(got);

	/* Two substitutions and a literal %. */
	joined = direscape_expand_filter("(uid=%s)(cn=%s)(description=100%%)", value, size);
	FUZZ_ASSERT(joined != NULL);
	want = expected_ber(3, (const char *const[]){ "uid", "cn", "description" },
	    (const char *const[]){ value, value, "100%" },
	    (const size_t[]){ size, size, 4 });
	got = libldap_ber(joined);
	FUZZ_ASSERT(same_ber(want, got));
	ber_bvfree(want);
	ber_bvfree(got);

	free(joined);
	free(filter);
	free(escaped);
	return 0;
}
