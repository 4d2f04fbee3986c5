/*
 * secrets.c — every secret the service holds, read by the master as root.
 */
#include "secrets.h"

#include <string.h>

#include "admintoken.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "secret.h"

int
secrets_load(const struct conf *conf, const char *admin_token, struct secrets *s)
{
	memset(s, 0, sizeof(*s));
	if (conf->database.password_file[0] != '\0' &&
	    secret_read_file(conf->database.password_file,
	    "database.password_file", &s->db_password) < 0)
		goto fail;
	if (conf->ldap.bind_password_file[0] != '\0' &&
	    secret_read_file(conf->ldap.bind_password_file,
	    "ldap.bind_password_file", &s->ldap_bind_password) < 0)
		goto fail;
	if (admintoken_load(admin_token, conf->admin_token_file,
	    &s->admin_tokens) < 0)
		goto fail;
	if (conf->metrics_token_file[0] != '\0') {
		char *token;
		if (secret_read_file(conf->metrics_token_file,
		    "metrics_token_file", &token) < 0)
			goto fail;
		int rc = crypto_sha256(token, strlen(token), s->metrics_token_digest);
		secret_free(token);
		if (rc < 0)
			goto fail;
		s->has_metrics_token = true;
	}
	return 0;
fail:
	secrets_cleanup(s);
	return -1;
}

void
secrets_cleanup(struct secrets *s)
{
	secret_free(s->db_password);
	secret_free(s->ldap_bind_password);
	admintoken_free(s->admin_tokens);
	crypto_keyring_free(s->token_keys);
	memset(s, 0, sizeof(*s));
}

int
secrets_load_token_keys(const struct conf *conf, struct secrets *s)
{
	char *text = NULL;
	int rc;

	if (conf->tokens.key_file[0] == '\0') {
		log_warnx("tokens.key_file is not set: tokens cannot be made "
		    "without a key (see doc/tokens.md)");
		return -1;
	}
	if (secret_read_file(conf->tokens.key_file, "tokens.key_file", &text) < 0) {
		log_warnx("tokens.key_file: make one with "
		    "`(umask 077; echo \"1:$(openssl rand -hex 32)\" > %s)` and "
		    "make it readable by root only", conf->tokens.key_file);
		return -1;
	}
	crypto_keyring_free(s->token_keys);
	s->token_keys = NULL;
	rc = crypto_keyring_parse(text, conf->tokens.key_file, &s->token_keys);
	secret_free(text);
	return rc;
}

int
secrets_load_tools(const struct conf *conf, bool for_import, struct secrets *s)
{
	memset(s, 0, sizeof(*s));
	if (conf->database.password_file[0] != '\0' &&
	    secret_read_file(conf->database.password_file,
	    "database.password_file", &s->db_password) < 0)
		goto fail;
	/* import resolves each user in the directory and seals tokens. */
	if (for_import && conf->ldap.bind_password_file[0] != '\0' &&
	    secret_read_file(conf->ldap.bind_password_file,
	    "ldap.bind_password_file", &s->ldap_bind_password) < 0)
		goto fail;
	if (for_import && secrets_load_token_keys(conf, s) < 0)
		goto fail;
	return 0;
fail:
	secrets_cleanup(s);
	return -1;
}
