/*
 * fuzz_me_token — the body of POST /me/tokens through me_token_body_check():
 * description, expiry (RFC 3339) or ttl (a Go duration or seconds),
 * clusters; login.ttl 24h (the default lifetime), tokens.max_ttl 8760h,
 * a fixed "now". An empty or blank body is the defaults.
 *
 * Properties: 0 with no message or -1 with one; an accepted body is blank
 * or an object, never with both expiry and ttl, and its clusters (when
 * given) a non-empty list of non-empty strings.
 */
#include "fuzz.h"

#include "conf.h"
#include "json.h"
#include "me.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "x", *text;
	yajl_val tree = NULL, clusters;
	size_t i;

	if (me_token_body_check((const char *)data, size, &conf, NOW_US, err,
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
	clusters = json_get(tree, "clusters");
	if (fuzz_present(tree, "clusters")) {
		FUZZ_ASSERT(YAJL_IS_ARRAY(clusters) && clusters->u.array.len > 0);
		for (i = 0; i < clusters->u.array.len; i++) {
			const char *name = json_string(clusters->u.array.values[i]);
			FUZZ_ASSERT(name != NULL && name[0] != '\0');
		}
	}
	json_free(tree);
	free(text);
	return 0;
}
