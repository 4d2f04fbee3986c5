/*
 * fuzz_query — query strings (req_query_get(), as the admin API reads
 * ?username=, ?user_id=, ?name=, ?for=) and req_percent_decode() on its
 * own, in both of its modes (path segment, form component).
 *
 * Properties: a decoded value is never longer than its text and holds no
 * NUL; text without '%' (and, for forms, '+') decodes to itself; the
 * decoding of the full percent-encoding of a value is the value; a
 * parameter reported invalid has no value; req_query_get() agrees with a
 * plain reference reader on the first occurrence of a name.
 */
#include "fuzz.h"

#include "req.h"

static void
check_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = req_percent_decode(s, len, plus_is_space);

	if (out == NULL) {
		FUZZ_ASSERT(memchr(s, '%', len) != NULL);
		return;
	}
	size_t olen = strlen(out);
	FUZZ_ASSERT(olen <= len);
	if (memchr(s, '%', len) == NULL && (!plus_is_space || memchr(s, '+', len) == NULL))
		FUZZ_ASSERT(olen == len && memcmp(out, s, len) == 0);

	char *enc = malloc(3 * olen + 1), *e = enc;
	FUZZ_ASSERT(enc != NULL);
	for (size_t i = 0; i < olen; i++)
		e += sprintf(e, "%%%02x", (unsigned char)out[i]);
	char *back = req_percent_decode(enc, (size_t)(e - enc), plus_is_space);
	FUZZ_ASSERT(back != NULL && strcmp(back, out) == 0);
	free(back);
	free(enc);
	free(out);
}

/* The first value of NAME by the book: split on '&', then on the first
 * '=', decode both. 1 = found (*value set, NULL when undecodable). */
static int
reference_get(const char *query, const char *name, char **value)
{
	const char *p = query;

	while (*p != '\0') {
		size_t seg = strcspn(p, "&");
		const char *eq = memchr(p, '=', seg);
		size_t klen = eq != NULL ? (size_t)(eq - p) : seg;
		char *key = req_percent_decode(p, klen, true);
		int match = key != NULL && strcmp(key, name) == 0;

		free(key);
		if (match) {
			*value = eq != NULL ? req_percent_decode(eq + 1, seg - klen - 1, true)
			    : strdup("");
			return 1;
		}
		p += seg;
		if (*p == '&')
			p++;
	}
	return 0;
}

static void
check_get(const struct req *r, const char *name)
{
	bool invalid = true;
	char *value = req_query_get(r, name, &invalid), *expected = NULL;
	int found = reference_get(r->query, name, &expected);

	if (invalid)
		FUZZ_ASSERT(value == NULL && found && expected == NULL);
	else if (value == NULL)
		FUZZ_ASSERT(!found);
	else
		FUZZ_ASSERT(found && expected != NULL && strcmp(value, expected) == 0);
	free(expected);
	free(value);
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
	static const char *const names[] = { "username", "user_id", "name", "for",
	    "timeout", "" };
	struct req r = { 0 };
	char *query = fuzz_strndup(data, size);

	/* Callers hand it pieces of C strings (FastCGI's REQUEST_URI and
	 * QUERY_STRING): no raw NUL, so the text ends at the first one. */
	check_decode(query, strlen(query), false);
	check_decode(query, strlen(query), true);

	r.query = query;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_get(&r, names[i]);
	/* A name the input itself spells: the first key, decoded. */
	size_t klen = strcspn(query, "=&");
	char *key = req_percent_decode(query, klen, true);
	if (key != NULL) {
		check_get(&r, key);
		free(key);
	}
	free(query);
	return 0;
}
