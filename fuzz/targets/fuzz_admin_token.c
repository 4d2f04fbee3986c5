/*
 * fuzz_admin_token — the body of POST /tokens through
 * admin_token_body_check(): user_id, description, expiry (RFC 3339) or ttl
 * (a Go duration or a number of seconds), clusters; with tokens.ttl and
 * tokens.max_ttl at their defaults (8760h) and a fixed "now".
 *
 * Properties: 0 with no message or -1 with one; an accepted body has a
 * well-formed user_id and never both expiry and ttl.
 */
#include "fuzz.h"

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "json.h"

#define NOW_US 1767225600000000LL       /* 2026-01-01T00:00:00Z */

static struct conf conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	conf.tokens.ttl_ms = 8760LL * 3600 * 1000;
	conf.tokens.max_ttl_ms = conf.tokens.ttl_ms;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "x", *text;
	yajl_val tree = NULL;
	const char *user_id;

	if (admin_token_body_check((const char *)data, size, &conf, NOW_US, err,
	    sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(err[0] == '\0');
	text = fuzz_strndup(data, size);
	FUZZ_ASSERT(json_parse(text, size, &tree, err, sizeof(err)) == 0);
	user_id = json_string(json_get(tree, "user_id"));
	FUZZ_ASSERT(user_id != NULL && crypto_uuid_valid(user_id));
	FUZZ_ASSERT(!(fuzz_present(tree, "expiry") && fuzz_present(tree, "ttl")));
	json_free(tree);
	free(text);
	return 0;
}
