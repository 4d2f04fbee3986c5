/*
 * admintoken.h — the admin API's tokens.
 *
 * One token from -admin-token or KUBERNETES_AUTH_ADMIN_TOKEN (named "flag"),
 * or admin_token_file with "name:token" lines (re-read on SIGHUP, so tokens
 * rotate without downtime). Only SHA-256 digests are kept; a presented
 * token is compared with every digest through CRYPTO_memcmp.
 */
#ifndef KA_ADMINTOKEN_H
#define KA_ADMINTOKEN_H

#include "crypto.h"

#define ADMINTOKEN_MIN_LEN 32   /* shorter ones work but warn */

struct admintoken {
	char name[64];
	unsigned char digest[CRYPTO_SHA256_LEN];
};

struct admintoken_set {
	size_t n;
	struct admintoken *v;
};

/* Build the set from FLAG_TOKEN when not NULL, else from the file PATH
 * ("" = none). No token at all, an empty one, or a malformed line is an
 * error. Returns 0 and *setp (free with admintoken_free) or -1, logged. */
int admintoken_load(const char *flag_token, const char *path,
    struct admintoken_set **setp);
void admintoken_free(struct admintoken_set *set);

/* The name of the token PRESENTED matches, or NULL. */
const char *admintoken_check(const struct admintoken_set *set,
    const char *presented);

#endif
