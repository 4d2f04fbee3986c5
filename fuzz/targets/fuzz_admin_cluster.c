/*
 * fuzz_admin_cluster — the body of POST /clusters through
 * admin_cluster_body_check(): name, master, node, kubeconfig, client_cn.
 *
 * Properties: 0 with no message or -1 with one; an accepted body has a
 * non-empty name with no control character.
 */
#include "fuzz.h"

#include "admin.h"
#include "json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "x", *text;
	yajl_val tree = NULL;
	const char *name;

	if (admin_cluster_body_check((const char *)data, size, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(err[0] == '\0');
	text = fuzz_strndup(data, size);
	FUZZ_ASSERT(json_parse(text, size, &tree, err, sizeof(err)) == 0);
	name = json_string(json_get(tree, "name"));
	FUZZ_ASSERT(name != NULL && name[0] != '\0');
	for (const char *p = name; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	json_free(tree);
	free(text);
	return 0;
}
