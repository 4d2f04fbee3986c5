/*
 * fuzz_keyfile — the token key file (crypto_keyring_parse()): "ID:HEX"
 * lines, a bare HEX line as key 1, '#' comments, blank lines.
 *
 * Properties: an accepted file gives 1 to CRYPTO_KEYRING_MAX keys with
 * distinct ids from 1 to 2^31-1, sorted ascending; the newest key is the
 * last; every key can be found by its id, and its derived keys seal and
 * open a token.
 */
#include "fuzz.h"

#include "crypto.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char token[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char *text = fuzz_strndup(data, size), opened[CRYPTO_TOKEN_LEN + 1];
	struct crypto_keyring *ring = NULL;
	unsigned char sealed[CRYPTO_SEALED_LEN];
	size_t i;

	if (crypto_keyring_parse(text, "fuzz", &ring) < 0) {
		FUZZ_ASSERT(ring == NULL);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(ring != NULL && ring->n >= 1 && ring->n <= CRYPTO_KEYRING_MAX);
	for (i = 0; i < ring->n; i++) {
		FUZZ_ASSERT(ring->v[i].id >= 1 && ring->v[i].id <= 0x7fffffffu);
		FUZZ_ASSERT(i == 0 || ring->v[i - 1].id < ring->v[i].id);
		FUZZ_ASSERT(crypto_keyring_find(ring, ring->v[i].id) == &ring->v[i]);
	}
	FUZZ_ASSERT(crypto_keyring_newest(ring) == &ring->v[ring->n - 1]);
	FUZZ_ASSERT(crypto_token_seal(&ring->v[0], token, "id", sealed) == 0);
	FUZZ_ASSERT(crypto_token_open(&ring->v[0], sealed, sizeof(sealed), "id",
	    opened) == 0 && strcmp(opened, token) == 0);
	crypto_keyring_free(ring);
	free(text);
	return 0;
}
