/*
 * fuzz_exec_info — KUBERNETES_EXEC_INFO, as kubectl sets it for the
 * credential plugin (plugin_cred_exec_info), and the ExecCredential the
 * plugin answers with (plugin_cred_json).
 *
 * Properties: an accepted input names one of the two apiVersions the
 * plugin speaks, a refused one has a message; the answer for it parses as
 * JSON with that apiVersion, kind ExecCredential, the token given and an
 * expirationTimestamp of the form 2006-01-02T15:04:05Z.
 */
#include "fuzz.h"

#include "json.h"
#include "plugin_cred.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), err[256] = "", *cred, why[160];
	const char *version = NULL, *stamp;
	yajl_val tree = NULL;
	int64_t expiry = 0;
	size_t i;

	if (plugin_cred_exec_info(text, &version, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		free(text);
		return 0;
	}
	FUZZ_ASSERT(strcmp(version, PLUGIN_CRED_V1) == 0 ||
	    strcmp(version, PLUGIN_CRED_V1BETA1) == 0);
	/* An expiry from the input's bytes, within the years 1970..9999. */
	for (i = 0; i < size && i < 8; i++)
		expiry = expiry << 8 | data[i];
	expiry = (expiry & 0x7fffffffffffffLL) % 253402300799000000LL;
	cred = plugin_cred_json(version, "0123456789abcdef", expiry);
	FUZZ_ASSERT(cred != NULL);
	FUZZ_ASSERT(json_parse(cred, strlen(cred), &tree, why, sizeof(why)) == 0);
	FUZZ_ASSERT(strcmp(json_string(json_get(tree, "apiVersion")), version) == 0);
	FUZZ_ASSERT(strcmp(json_string(json_get(tree, "kind")), "ExecCredential") == 0);
	FUZZ_ASSERT(strcmp(json_string(json_get(json_get(tree, "status"), "token")),
	    "0123456789abcdef") == 0);
	stamp = json_string(json_get(json_get(tree, "status"), "expirationTimestamp"));
	FUZZ_ASSERT(stamp != NULL && strlen(stamp) == 20 && stamp[4] == '-' &&
	    stamp[10] == 'T' && stamp[19] == 'Z');
	json_free(tree);
	free(cred);
	free(text);
	return 0;
}
