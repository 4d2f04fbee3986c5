/*
 * crypto.h — OpenSSL libcrypto for everything secret: digests,
 * constant-time comparison, random ids and tokens, the token key ring
 * (HKDF-derived HMAC and AES-256-GCM keys), sealing a token for "reveal".
 */
#ifndef KA_CRYPTO_H
#define KA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_TOKEN_BYTES 32           /* random bytes in a token */
#define CRYPTO_TOKEN_LEN 64             /* its lowercase hex form */
#define CRYPTO_UUID_LEN 36              /* 8-4-4-4-12 */
#define CRYPTO_KEY_LEN 32               /* a key in the key file */
#define CRYPTO_GCM_NONCE_LEN 12
#define CRYPTO_GCM_TAG_LEN 16
/* nonce || ciphertext || tag of one token */
#define CRYPTO_SEALED_LEN (CRYPTO_GCM_NONCE_LEN + CRYPTO_TOKEN_LEN + CRYPTO_GCM_TAG_LEN)
#define CRYPTO_KEYRING_MAX 64

/* SHA-256 of LEN bytes at DATA into OUT. Returns 0 or -1. */
int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);

/* Compare two equal-length buffers in time independent of their content. */
bool crypto_equal(const void *a, const void *b, size_t len);

/* LEN bytes from RAND_bytes. Returns 0 or -1 (logged). */
int crypto_random(void *buf, size_t len);

/* A new token: 32 random bytes as 64 lowercase hex characters + NUL. */
int crypto_token_new(char token[CRYPTO_TOKEN_LEN + 1]);

/* A random (version 4) UUID, lowercase, + NUL. */
int crypto_uuid_new(char uuid[CRYPTO_UUID_LEN + 1]);

/* Is S a UUID (8-4-4-4-12 hex digits, any version, any case)? Pure. */
bool crypto_uuid_valid(const char *s);

/* One key of the key file, as derived keys only (the raw key is wiped). */
struct crypto_key {
	uint32_t id;
	unsigned char mac[CRYPTO_KEY_LEN];      /* HMAC-SHA256 lookup key */
	unsigned char enc[CRYPTO_KEY_LEN];      /* AES-256-GCM reveal key */
	/* HMAC with the mac key already set up: each token HMAC re-initialises
	 * it instead of deriving the inner and outer pads and fetching the
	 * algorithm again (a fifth of an unknown token's TokenReview). */
	EVP_MAC_CTX *hmac;
};

struct crypto_keyring {
	size_t n;
	struct crypto_key v[CRYPTO_KEYRING_MAX];  /* sorted by id, ascending */
};

/* Parse the key file's TEXT (WHERE names it in messages): lines "ID:HEX"
 * with ID 1..2^31-1 and HEX 64 hex digits (32 bytes); a line of just HEX
 * is key 1; '#' comments and blank lines are skipped. Derives each key's
 * mac and enc keys with HKDF-SHA256. Never logs key material. Returns 0
 * and *ringp (free with crypto_keyring_free) or -1, logged. */
int crypto_keyring_parse(const char *text, const char *where,
    struct crypto_keyring **ringp);
void crypto_keyring_free(struct crypto_keyring *ring);

/* The key new tokens use: the one with the highest id. Borrowed. */
const struct crypto_key *crypto_keyring_newest(const struct crypto_keyring *ring);
/* The key with ID, or NULL. Borrowed. */
const struct crypto_key *crypto_keyring_find(const struct crypto_keyring *ring,
    uint32_t id);

/* HMAC-SHA256 of TOKEN under KEY's mac key: the token's lookup key. */
int crypto_token_hmac(const struct crypto_key *key, const char *token,
    size_t token_len, unsigned char out[CRYPTO_SHA256_LEN]);

/* Encrypt the 64-character TOKEN with AES-256-GCM under KEY's enc key, a
 * random nonce, and AAD (the token id) as associated data. */
int crypto_token_seal(const struct crypto_key *key, const char *token,
    const char *aad, unsigned char out[CRYPTO_SEALED_LEN]);

/* Decrypt what crypto_token_seal made; fails (-1, not logged) when the
 * data, key or AAD do not match. TOKEN gets 64 characters + NUL. */
int crypto_token_open(const struct crypto_key *key, const unsigned char *sealed,
    size_t sealed_len, const char *aad, char token[CRYPTO_TOKEN_LEN + 1]);

/* Is S exactly 64 lowercase hex characters? Pure. */
bool crypto_token_wellformed(const char *s, size_t len);

/* The first 4 bytes of HMAC as 8 hex characters: a token's fingerprint
 * for log lines. */
void crypto_fingerprint(const unsigned char hmac[CRYPTO_SHA256_LEN], char out[9]);

/* LEN characters of standard base64 at B64 (a multiple of 4, no line
 * breaks) decoded into OUT, which has room for LEN / 4 * 3 + 1 bytes.
 * Returns the number of bytes decoded (padding not counted), or -1. */
int crypto_base64_decode(const char *b64, size_t len, unsigned char *out);

/* Is B64 (LEN bytes) what a kubeconfig's certificate-authority-data holds:
 * standard base64 (no line breaks) of one or more PEM certificates, each
 * one parsing as X.509, and no other PEM block (a private key pasted by
 * mistake is refused)? Returns 0, or -1 with the reason in ERR. Pure. */
int crypto_ca_data_check(const char *b64, size_t len, char *err, size_t errlen);

#endif
