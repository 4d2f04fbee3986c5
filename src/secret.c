/*
 * secret.c — read secret files, check their modes, wipe copies.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admintoken.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"

#define SECRET_MAX (64 * 1024)

int
secret_read_file(const char *path, const char *what, char **secretp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	*secretp = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_warn("%s: cannot open %s", what, path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("%s: cannot stat %s", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: %s is not a regular file", what, path);
		goto fail;
	}
	if (st.st_size > SECRET_MAX) {
		log_warnx("%s: %s is larger than %d bytes", what, path, SECRET_MAX);
		goto fail;
	}
	if (st.st_mode & S_IROTH)
		log_warnx("%s: %s is readable by every user: chmod o-r it",
		    what, path);

	buf = malloc(st.st_size + 1);
	if (buf == NULL) {
		log_warn("%s: malloc", what);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s: cannot read %s", what, path);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		log_warnx("%s: %s is empty", what, path);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		log_warnx("%s: %s contains a NUL byte", what, path);
		goto fail;
	}
	close(fd);
	*secretp = buf;
	return 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	close(fd);
	return -1;
}

void
secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

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
secrets_load_tools(const struct conf *conf, bool want_keys, struct secrets *s)
{
	memset(s, 0, sizeof(*s));
	if (conf->database.password_file[0] != '\0' &&
	    secret_read_file(conf->database.password_file,
	    "database.password_file", &s->db_password) < 0)
		goto fail;
	if (want_keys && secrets_load_token_keys(conf, s) < 0)
		goto fail;
	return 0;
fail:
	secrets_cleanup(s);
	return -1;
}
