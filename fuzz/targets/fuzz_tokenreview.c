/*
 * fuzz_tokenreview — TokenReview bodies (authn_review_parse()), what every
 * kube-apiserver and any client sends to /authenticate*.
 *
 * Properties: a parse that succeeds names one of the two API versions;
 * the token it finds survives being written into a fresh TokenReview with
 * yajl and parsed again, byte for byte; a failure always has a message.
 */
#include "fuzz.h"

#include <yajl_gen.h>

#include "authn.h"
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
	char *body = fuzz_strndup(data, size), err[160] = "";
	const char *api_version, *token;
	yajl_val tree = NULL;

	/* fuzz_strndup stops at a NUL: parse what a C string holds. */
	if (authn_review_parse(body, strlen(body), &tree, &api_version, &token,
	    err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		goto done;
	}
	FUZZ_ASSERT(strcmp(api_version, "authentication.k8s.io/v1") == 0 ||
	    strcmp(api_version, "authentication.k8s.io/v1beta1") == 0);
	if (token != NULL) {
		yajl_gen g = yajl_gen_alloc(NULL);
		const unsigned char *buf;
		size_t len;
		yajl_val again = NULL;
		const char *v2, *t2;

		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"apiVersion", 10);
		yajl_gen_string(g, (const unsigned char *)api_version, strlen(api_version));
		yajl_gen_string(g, (const unsigned char *)"spec", 4);
		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"token", 5);
		yajl_gen_string(g, (const unsigned char *)token, strlen(token));
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		FUZZ_ASSERT(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
		char *text = fuzz_strndup(buf, len);
		FUZZ_ASSERT(authn_review_parse(text, len, &again, &v2, &t2, err,
		    sizeof(err)) == 0);
		FUZZ_ASSERT(strcmp(v2, api_version) == 0);
		FUZZ_ASSERT(t2 != NULL && strcmp(t2, token) == 0);
		json_free(again);
		free(text);
		yajl_gen_free(g);
	}
done:
	if (tree != NULL)
		json_free(tree);
	free(body);
	return 0;
}
