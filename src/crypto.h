/*
 * crypto.h — OpenSSL libcrypto for everything secret: digests,
 * constant-time comparison (later: token generation, HMAC, AES-GCM).
 */
#ifndef KA_CRYPTO_H
#define KA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define CRYPTO_SHA256_LEN 32

/* SHA-256 of LEN bytes at DATA into OUT. Returns 0 or -1. */
int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);

/* Compare two equal-length buffers in time independent of their content. */
bool crypto_equal(const void *a, const void *b, size_t len);

#endif
