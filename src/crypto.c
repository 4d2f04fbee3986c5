/*
 * crypto.c — thin, checked wrappers over libcrypto.
 */
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"

int
crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int out_len = 0;

	if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) != 1 ||
	    out_len != CRYPTO_SHA256_LEN) {
		log_warnx("EVP_Digest(sha256) failed");
		return -1;
	}
	return 0;
}

bool
crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
