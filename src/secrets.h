/*
 * secrets.h — every secret the service holds: read by the master as root
 * (from the files the configuration names, through secret.h), inherited
 * by the workers, wiped when freed.
 */
#ifndef KA_SECRETS_H
#define KA_SECRETS_H

#include <stdbool.h>

struct conf;
struct admintoken_set;
struct crypto_keyring;

/* Every secret the service holds, read by the master as root. */
struct secrets {
	char *db_password;                      /* NULL = none */
	char *ldap_bind_password;               /* NULL = anonymous bind */
	struct admintoken_set *admin_tokens;
	struct crypto_keyring *token_keys;      /* NULL until loaded */
	bool has_metrics_token;                 /* metrics_token_file set */
	unsigned char metrics_token_digest[32]; /* its SHA-256 */
};

/* Read the secrets CONF names. ADMIN_TOKEN is the -admin-token flag or
 * KUBERNETES_AUTH_ADMIN_TOKEN (NULL = use admin_token_file). Returns 0 or
 * -1 (logged); on failure *s holds nothing. */
int secrets_load(const struct conf *conf, const char *admin_token,
    struct secrets *s);
void secrets_cleanup(struct secrets *s);

/* Read tokens.key_file into s->token_keys (see doc/tokens.md). A missing
 * or malformed file is an error whose message says how to make one.
 * Returns 0 or -1 (logged); secrets_cleanup() frees the keys. */
int secrets_load_token_keys(const struct conf *conf, struct secrets *s);

/* Only what the command-line tools need (migrate, import, purge-expired):
 * the database password, and FOR_IMPORT also the token keys and the LDAP
 * bind password. No admin token. Returns 0 or -1 (logged); on failure *s
 * holds nothing. */
int secrets_load_tools(const struct conf *conf, bool for_import,
    struct secrets *s);

#endif
