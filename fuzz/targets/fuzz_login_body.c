/*
 * fuzz_login_body — the optional body of POST /login through
 * authn_login_body_check(): {ttl, expiry, clusters, description}, checked
 * before any bind; login.ttl 24h (the default and the most), a fixed "now".
 *
 * Properties: 0 with no message or -1 with one; an accepted body is blank
 * or an object, never with both expiry and ttl, no ttl over login.ttl (a
 * number of seconds is compared exactly), and a description short enough
 * to follow "created by POST /login: " within 1024 characters.
 */
#include "fuzz.h"

#include "authn.h"
#include "conf.h"
#include "json.h"

#define NOW_US 1767225600000000LL       /* 2026-01-01T00:00:00Z */

static struct conf conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	conf.login.ttl_ms = 24LL * 3600 * 1000;
	conf.tokens.ttl_ms = 8760LL * 3600 * 1000;
	conf.tokens.max_ttl_ms = conf.tokens.ttl_ms;
	return 0;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "x", *text;
	yajl_val tree = NULL, ttl;
	const char *description;

	if (authn_login_body_check((const char *)data, size, &conf, NOW_US, err,
	    sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(err[0] == '\0');
	if (fuzz_blank(data, size))
		return 0;
	text = fuzz_strndup(data, size);
	FUZZ_ASSERT(json_parse(text, size, &tree, err, sizeof(err)) == 0);
	FUZZ_ASSERT(YAJL_IS_OBJECT(tree));
	FUZZ_ASSERT(!(fuzz_present(tree, "expiry") && fuzz_present(tree, "ttl")));
	ttl = json_get(tree, "ttl");
	if (ttl != NULL && YAJL_IS_INTEGER(ttl))
		FUZZ_ASSERT(ttl->u.number.i > 0 && ttl->u.number.i <= 24 * 3600);
	description = json_string(json_get(tree, "description"));
	if (description != NULL)
		FUZZ_ASSERT(utf8_chars(description) +
		    strlen(AUTHN_LOGIN_DESCRIPTION ": ") <= 1024);
	json_free(tree);
	free(text);
	return 0;
}
