/*
 * fuzz_basic — "Authorization: Basic" headers (authn_basic_decode()), what
 * anyone may send to POST /login.
 *
 * Properties: any header is decoded safely; and credentials "user:pass"
 * made from the input (no NUL, at least one ':') encoded with base64
 * decode back to exactly that user (up to the first ':') and password.
 */
#include "fuzz.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "authn.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

static void
release(char *buf, size_t size)
{
	if (buf != NULL) {
		OPENSSL_cleanse(buf, size);
		free(buf);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_strndup(data, size), *buf = NULL, *password;
	const char *user;
	size_t buf_size = 0, password_len;

	/* 1. The input as a header value, as it comes. */
	if (authn_basic_decode(header, &buf, &buf_size, &user, &password,
	    &password_len) == 0) {
		FUZZ_ASSERT(strlen(password) == password_len);
		FUZZ_ASSERT(strchr(user, ':') == NULL);
	}
	release(buf, buf_size);
	buf = NULL;

	/* 2. The input as credentials: encode, decode, compare. */
	if (size > 0 && size <= 3000 && memchr(data, '\0', size) == NULL &&
	    memchr(data, ':', size) != NULL) {
		char *b64 = malloc(6 + 4 * ((size + 2) / 3) + 1);
		const char *colon = memchr(data, ':', size);
		size_t user_len = (size_t)(colon - (const char *)data);

		memcpy(b64, "Basic ", 6);
		EVP_EncodeBlock((unsigned char *)b64 + 6, data, (int)size);
		FUZZ_ASSERT(authn_basic_decode(b64, &buf, &buf_size, &user,
		    &password, &password_len) == 0);
		FUZZ_ASSERT(strlen(user) == user_len && memcmp(user, data, user_len) == 0);
		FUZZ_ASSERT(password_len == size - user_len - 1);
		FUZZ_ASSERT(memcmp(password, colon + 1, password_len) == 0);
		release(buf, buf_size);
		free(b64);
	}
	free(header);
	return 0;
}
