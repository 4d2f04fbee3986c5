/*
 * secret.h — secrets from files: read once as root, wiped when freed.
 */
#ifndef KA_SECRET_H
#define KA_SECRET_H

/* Read the secret in PATH (WHAT names it in messages, e.g.
 * "database.password_file"): the content with trailing newlines removed.
 * Warns when the file is readable by others; refuses an empty one.
 * Returns 0 and *secretp (free with secret_free) or -1, logged. */
int secret_read_file(const char *path, const char *what, char **secretp);

/* Wipe and free a secret; NULL is fine. */
void secret_free(char *secret);

struct conf;
struct admintoken_set;

/* Every secret the service holds, read by the master as root. */
struct secrets {
	char *db_password;                      /* NULL = none */
	char *ldap_bind_password;               /* NULL = anonymous bind */
	struct admintoken_set *admin_tokens;
};

/* Read the secrets CONF names. ADMIN_TOKEN is the -admin-token flag or
 * KUBERNETES_AUTH_ADMIN_TOKEN (NULL = use admin_token_file). Returns 0 or
 * -1 (logged); on failure *s holds nothing. */
int secrets_load(const struct conf *conf, const char *admin_token,
    struct secrets *s);
void secrets_cleanup(struct secrets *s);

#endif
