/*
 * fuzz_admin_user — the body of POST /users ({"username": ...}) through
 * admin_user_body_check(): json_parse() and the handler's own checks.
 *
 * Properties: the answer is 0 with no message, or -1 with one; an accepted
 * body is a JSON object whose username is a non-empty string.
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
	const char *username;

	if (admin_user_body_check((const char *)data, size, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(err[0] == '\0');
	text = fuzz_strndup(data, size);
	FUZZ_ASSERT(json_parse(text, size, &tree, err, sizeof(err)) == 0);
	username = json_string(json_get(tree, "username"));
	FUZZ_ASSERT(username != NULL && username[0] != '\0');
	json_free(tree);
	free(text);
	return 0;
}
