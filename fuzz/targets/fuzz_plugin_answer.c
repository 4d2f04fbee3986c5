/*
 * fuzz_plugin_answer — what the credential plugin reads from the service
 * and its cache: a POST /login answer (plugin_api_parse_token), a GET
 * /me/kubeconfig answer (plugin_api_parse_kubeconfig, then merged into an
 * empty kubeconfig with plugin_kubeconfig_merge_text), an error body
 * (plugin_api_error_text), a cache file (plugin_cache_parse).
 *
 * Properties: an accepted token has an id and a secret without a line
 * break; an accepted kubeconfig runs kubectl-auth_login get-token on an
 * https:// server, its --user (when any) is one of its args, and merged it
 * is a JSON kubeconfig whose current context is its own; an error text is
 * printable ASCII within its buffer; an accepted cache entry has every
 * field.
 */
#include "fuzz.h"

#include "json.h"
#include "plugin_api.h"
#include "plugin_cache.h"
#include "plugin_kubeconfig.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

static void
check_kubeconfig(const char *text, size_t size)
{
	struct plugin_api_kubeconfig kc;
	char err[256], *merged;
	yajl_val tree = NULL;
	size_t i, len;
	bool user_found = false;

	if (plugin_api_parse_kubeconfig(text, size, &kc, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		plugin_api_kubeconfig_cleanup(&kc);
		return;
	}
	FUZZ_ASSERT(strncmp(kc.server, "https://", 8) == 0);
	FUZZ_ASSERT(kc.nargs >= 1 && strcmp(kc.args[0], "get-token") == 0);
	for (i = 0; i < kc.nargs; i++)
		if (kc.user == kc.args[i])
			user_found = true;
	FUZZ_ASSERT(kc.user == NULL || user_found);
	merged = plugin_kubeconfig_merge_text(NULL, 0, &kc, NULL, 0, &len, err,
	    sizeof(err));
	FUZZ_ASSERT(merged != NULL);
	FUZZ_ASSERT(json_parse(merged, len, &tree, err, sizeof(err)) == 0);
	FUZZ_ASSERT(strcmp(json_string(json_get(tree, "current-context")),
	    kc.context) == 0);
	json_free(tree);
	free(merged);
	plugin_api_kubeconfig_cleanup(&kc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), out[64];
	struct plugin_api_token t;
	struct plugin_cache_entry e;
	size_t i;

	if (plugin_api_parse_token(text, size, &t) == 0) {
		FUZZ_ASSERT(t.id[0] != '\0' && t.token[0] != '\0');
		FUZZ_ASSERT(strpbrk(t.token, "\r\n") == NULL);
	}
	plugin_api_token_cleanup(&t);

	check_kubeconfig(text, size);

	plugin_api_error_text(text, size, out, sizeof(out));
	FUZZ_ASSERT(strlen(out) < sizeof(out));
	for (i = 0; out[i] != '\0'; i++)
		FUZZ_ASSERT(out[i] >= 0x20 && out[i] < 0x7f);

	if (plugin_cache_parse(text, size, &e) == 0)
		FUZZ_ASSERT(e.url != NULL && e.cluster != NULL && e.user != NULL &&
		    e.id != NULL && e.token != NULL && e.token[0] != '\0');
	plugin_cache_entry_cleanup(&e);
	free(text);
	return 0;
}
