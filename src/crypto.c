/*
 * crypto.c — thin, checked wrappers over libcrypto.
 */
#include "crypto.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "hex.h"
#include "log.h"

/* HKDF inputs: changing them changes every derived key, so never do. */
#define CRYPTO_HKDF_SALT "kubernetes-auth token keys"
#define CRYPTO_HKDF_INFO_MAC "kubernetes-auth v1 token hmac"
#define CRYPTO_HKDF_INFO_ENC "kubernetes-auth v1 token aes-256-gcm"

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

int
crypto_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		log_warnx("RAND_bytes failed");
		return -1;
	}
	return 0;
}

int
crypto_token_new(char token[CRYPTO_TOKEN_LEN + 1])
{
	unsigned char raw[CRYPTO_TOKEN_BYTES];

	if (crypto_random(raw, sizeof(raw)) < 0)
		return -1;
	hex_encode(raw, sizeof(raw), token);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

bool
crypto_token_wellformed(const char *s, size_t len)
{
	size_t i;

	if (len != CRYPTO_TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
crypto_uuid_new(char uuid[CRYPTO_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	if (crypto_random(b, sizeof(b)) < 0)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;            /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;            /* RFC 4122 variant */
	hex_encode(b, sizeof(b), hex);
	snprintf(uuid, CRYPTO_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s",
	    hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return 0;
}

bool
crypto_uuid_valid(const char *s)
{
	size_t i;

	for (i = 0; i < CRYPTO_UUID_LEN; i++) {
		if (s[i] == '\0')
			return false;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return s[CRYPTO_UUID_LEN] == '\0';
}

/* HKDF-SHA256(salt, ikm = RAW, info = INFO) -> OUT (32 bytes). */
static int
crypto_hkdf(const unsigned char *raw, size_t raw_len, const char *info,
    unsigned char out[CRYPTO_KEY_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t out_len = CRYPTO_KEY_LEN;
	int rc = -1;

	if (ctx == NULL)
		goto done;
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(ctx, (const unsigned char *)CRYPTO_HKDF_SALT,
	    (int)strlen(CRYPTO_HKDF_SALT)) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, raw, (int)raw_len) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info,
	    (int)strlen(info)) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &out_len) <= 0 || out_len != CRYPTO_KEY_LEN)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		log_warnx("HKDF key derivation failed");
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
crypto_key_cmp(const void *a, const void *b)
{
	const struct crypto_key *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* An HMAC-SHA256 context holding KEY, ready for EVP_MAC_init(ctx, NULL,
 * ...). NULL when OpenSSL cannot make one (logged). */
static EVP_MAC_CTX *
crypto_hmac_new(const unsigned char *key, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	EVP_MAC_free(mac);      /* the context keeps its own reference */
	if (ctx == NULL || EVP_MAC_init(ctx, key, len, params) != 1) {
		log_warnx("HMAC-SHA256: cannot set up the key");
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* One "ID:HEX" or "HEX" line into RING. */
static int
crypto_keyring_line(struct crypto_keyring *ring, const char *line, size_t len,
    const char *where, int lineno)
{
	unsigned char raw[CRYPTO_KEY_LEN];
	const char *hex = line, *colon = memchr(line, ':', len);
	unsigned long id = 1;
	size_t hex_len = len, i;
	int rc = -1;

	if (colon != NULL) {
		char idbuf[16];
		char *end;
		size_t id_len = (size_t)(colon - line);
		if (id_len == 0 || id_len >= sizeof(idbuf))
			goto bad_id;
		memcpy(idbuf, line, id_len);
		idbuf[id_len] = '\0';
		for (i = 0; i < id_len; i++)
			if (!isdigit((unsigned char)idbuf[i]))
				goto bad_id;
		errno = 0;
		id = strtoul(idbuf, &end, 10);
		if (errno != 0 || id < 1 || id > 0x7fffffffUL)
			goto bad_id;
		hex = colon + 1;
		hex_len = len - id_len - 1;
	}
	/* Never echo the line: it is a key. */
	if (hex_len != 2 * CRYPTO_KEY_LEN) {
		log_warnx("%s:%d: a key must be %d hex digits (32 bytes): make one "
		    "with `openssl rand -hex 32`", where, lineno, 2 * CRYPTO_KEY_LEN);
		return -1;
	}
	for (i = 0; i < CRYPTO_KEY_LEN; i++) {
		int hi = hex_value((unsigned char)hex[2 * i]);
		int lo = hex_value((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			log_warnx("%s:%d: the key is not hexadecimal", where, lineno);
			goto done;
		}
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	for (i = 0; i < ring->n; i++)
		if (ring->v[i].id == id) {
			log_warnx("%s:%d: key id %lu appears twice", where, lineno, id);
			goto done;
		}
	if (ring->n == CRYPTO_KEYRING_MAX) {
		log_warnx("%s:%d: more than %d keys", where, lineno, CRYPTO_KEYRING_MAX);
		goto done;
	}
	struct crypto_key *k = &ring->v[ring->n];
	k->id = (uint32_t)id;
	if (crypto_hkdf(raw, sizeof(raw), CRYPTO_HKDF_INFO_MAC, k->mac) < 0 ||
	    crypto_hkdf(raw, sizeof(raw), CRYPTO_HKDF_INFO_ENC, k->enc) < 0 ||
	    (k->hmac = crypto_hmac_new(k->mac, sizeof(k->mac))) == NULL) {
		OPENSSL_cleanse(k, sizeof(*k));
		goto done;
	}
	ring->n++;
	rc = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
bad_id:
	log_warnx("%s:%d: expected ID:KEY with ID a number from 1 to 2147483647",
	    where, lineno);
	return -1;
}

int
crypto_keyring_parse(const char *text, const char *where,
    struct crypto_keyring **ringp)
{
	struct crypto_keyring *ring = calloc(1, sizeof(*ring));
	const char *line, *next;
	int lineno = 0;

	*ringp = NULL;
	if (ring == NULL) {
		log_warn("calloc");
		return -1;
	}
	for (line = text; *line != '\0'; line = next) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		next = nl != NULL ? nl + 1 : line + len;
		lineno++;
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			len--;
		while (len > 0 && isspace((unsigned char)*line)) {
			line++;
			len--;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (crypto_keyring_line(ring, line, len, where, lineno) < 0)
			goto fail;
	}
	if (ring->n == 0) {
		log_warnx("%s: holds no key: make one with "
		    "`(umask 077; openssl rand -hex 32 | sed 's/^/1:/' > FILE)`", where);
		goto fail;
	}
	qsort(ring->v, ring->n, sizeof(ring->v[0]), crypto_key_cmp);
	*ringp = ring;
	return 0;
fail:
	crypto_keyring_free(ring);
	return -1;
}

void
crypto_keyring_free(struct crypto_keyring *ring)
{
	size_t i;

	if (ring == NULL)
		return;
	for (i = 0; i < ring->n; i++)
		EVP_MAC_CTX_free(ring->v[i].hmac);
	OPENSSL_cleanse(ring, sizeof(*ring));
	free(ring);
}

const struct crypto_key *
crypto_keyring_newest(const struct crypto_keyring *ring)
{
	return ring != NULL && ring->n > 0 ? &ring->v[ring->n - 1] : NULL;
}

const struct crypto_key *
crypto_keyring_find(const struct crypto_keyring *ring, uint32_t id)
{
	size_t i;

	for (i = 0; ring != NULL && i < ring->n; i++)
		if (ring->v[i].id == id)
			return &ring->v[i];
	return NULL;
}

int
crypto_token_hmac(const struct crypto_key *key, const char *token,
    size_t token_len, unsigned char out[CRYPTO_SHA256_LEN])
{
	size_t out_len = 0;

	/* A NULL key re-initialises the context with the key it holds. */
	if (key->hmac == NULL ||
	    EVP_MAC_init(key->hmac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(key->hmac, (const unsigned char *)token,
	    token_len) != 1 ||
	    EVP_MAC_final(key->hmac, out, &out_len, CRYPTO_SHA256_LEN) != 1 ||
	    out_len != CRYPTO_SHA256_LEN) {
		log_warnx("HMAC-SHA256 failed");
		return -1;
	}
	return 0;
}

int
crypto_token_seal(const struct crypto_key *key, const char *token,
    const char *aad, unsigned char out[CRYPTO_SEALED_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char *nonce = out, *ct = out + CRYPTO_GCM_NONCE_LEN;
	unsigned char *tag = ct + CRYPTO_TOKEN_LEN;
	int len = 0, fin = 0, rc = -1;

	if (ctx == NULL || crypto_random(nonce, CRYPTO_GCM_NONCE_LEN) < 0)
		goto done;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_GCM_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->enc, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &len, (const unsigned char *)token,
	    CRYPTO_TOKEN_LEN) != 1 || len != CRYPTO_TOKEN_LEN ||
	    EVP_EncryptFinal_ex(ctx, ct + len, &fin) != 1 || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_GCM_TAG_LEN,
	    tag) != 1)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		log_warnx("AES-256-GCM encryption failed");
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
crypto_token_open(const struct crypto_key *key, const unsigned char *sealed,
    size_t sealed_len, const char *aad, char token[CRYPTO_TOKEN_LEN + 1])
{
	EVP_CIPHER_CTX *ctx;
	const unsigned char *nonce = sealed, *ct = sealed + CRYPTO_GCM_NONCE_LEN;
	unsigned char tag[CRYPTO_GCM_TAG_LEN];
	int len = 0, fin = 0, rc = -1;

	if (sealed_len != CRYPTO_SEALED_LEN)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	memcpy(tag, ct + CRYPTO_TOKEN_LEN, sizeof(tag));
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_GCM_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->enc, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)token, &len, ct,
	    CRYPTO_TOKEN_LEN) != 1 || len != CRYPTO_TOKEN_LEN ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_GCM_TAG_LEN,
	    tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)token + len, &fin) != 1)
		goto done;
	token[CRYPTO_TOKEN_LEN] = '\0';
	rc = 0;
done:
	if (rc < 0)
		OPENSSL_cleanse(token, CRYPTO_TOKEN_LEN + 1);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

void
crypto_fingerprint(const unsigned char hmac[CRYPTO_SHA256_LEN], char out[9])
{
	hex_encode(hmac, 4, out);
}

int
crypto_base64_decode(const char *b64, size_t len, unsigned char *out)
{
	int n;

	if (len == 0 || len % 4 != 0 || len > INT_MAX)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the bytes the padding stands for. */
	return n - (b64[len - 1] == '=') - (b64[len - 2] == '=');
}

int
crypto_ca_data_check(const char *b64, size_t len, char *err, size_t errlen)
{
	unsigned char *pem = NULL, *der = NULL;
	char *name = NULL, *header = NULL;
	long der_len;
	BIO *bio = NULL;
	size_t i;
	int n, ncerts = 0, rc = -1;

	if (len == 0 || len % 4 != 0 || len > INT_MAX) {
		snprintf(err, errlen, "not base64 (a multiple of 4 characters)");
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)b64[i]) && b64[i] != '+' &&
		    b64[i] != '/' && !(b64[i] == '=' && i >= len - 2)) {
			snprintf(err, errlen, "not base64 (character %zu)", i + 1);
			return -1;
		}
	if ((pem = malloc(len / 4 * 3 + 1)) == NULL)
		fatal("malloc");
	if ((n = crypto_base64_decode(b64, len, pem)) < 0) {
		snprintf(err, errlen, "not base64");
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pem, n)) == NULL)
		fatal("BIO_new_mem_buf");
	/* Every PEM block must be a certificate that parses. */
	while (PEM_read_bio(bio, &name, &header, &der, &der_len) == 1) {
		const unsigned char *p = der;
		X509 *cert = NULL;

		if (strcmp(name, "CERTIFICATE") != 0) {
			snprintf(err, errlen, "holds a PEM block that is no "
			    "certificate (%.40s)", name);
			goto done;
		}
		cert = d2i_X509(NULL, &p, der_len);
		X509_free(cert);
		if (cert == NULL || p != der + der_len) {
			snprintf(err, errlen, "certificate %d does not parse",
			    ncerts + 1);
			goto done;
		}
		ncerts++;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		name = header = NULL;
		der = NULL;
	}
	if (ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_PEM &&
	    ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "holds a malformed PEM block");
		goto done;
	}
	if (ncerts == 0) {
		snprintf(err, errlen, "holds no PEM certificate");
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	free(pem);
	return rc;
}
