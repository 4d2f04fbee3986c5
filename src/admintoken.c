/*
 * admintoken.c — load admin tokens, keep digests, compare in constant time.
 */
#include "admintoken.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "secret.h"

static int
admintoken_add(struct admintoken_set *set, const char *name, const char *token,
    size_t token_len, const char *where)
{
	struct admintoken *t;
	size_t i;

	if (token_len == 0) {
		log_warnx("%s: admin token '%s' is empty", where, name);
		return -1;
	}
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0) {
			log_warnx("%s: admin token name '%s' appears twice", where, name);
			return -1;
		}
	if (token_len < ADMINTOKEN_MIN_LEN)
		log_warnx("%s: admin token '%s' is shorter than %d characters: "
		    "make one with `openssl rand -hex 32`", where, name,
		    ADMINTOKEN_MIN_LEN);
	t = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (t == NULL) {
		log_warn("realloc");
		return -1;
	}
	set->v = t;
	t = &set->v[set->n];
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (crypto_sha256(token, token_len, t->digest) < 0)
		return -1;
	set->n++;
	return 0;
}

static bool
admintoken_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= sizeof(((struct admintoken *)0)->name))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && strchr("_.-@", name[i]) == NULL)
			return false;
	return true;
}

/* "name:token" lines; blank lines and lines starting with '#' skipped. */
static int
admintoken_parse_file(struct admintoken_set *set, const char *path, char *text)
{
	char *line, *next;
	int lineno = 0;

	for (line = text; line != NULL; line = next) {
		char where[512], name[64];
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		size_t len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			/* Never echo the line: it may be a bare token. */
			log_warnx("%s: expected name:token", where);
			return -1;
		}
		if (!admintoken_valid_name(line, colon - line)) {
			log_warnx("%s: the token name must be 1-63 characters "
			    "of [A-Za-z0-9_.@-]", where);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
		if (admintoken_add(set, name, colon + 1, strlen(colon + 1), where) < 0)
			return -1;
	}
	return 0;
}

int
admintoken_load(const char *flag_token, const char *path,
    struct admintoken_set **setp)
{
	struct admintoken_set *set = calloc(1, sizeof(*set));
	char *text = NULL;

	*setp = NULL;
	if (set == NULL) {
		log_warn("calloc");
		return -1;
	}
	if (flag_token != NULL) {
		if (admintoken_add(set, "flag", flag_token, strlen(flag_token),
		    "-admin-token") < 0)
			goto fail;
	} else if (path != NULL && path[0] != '\0') {
		if (secret_read_file(path, "admin_token_file", &text) < 0)
			goto fail;
		if (admintoken_parse_file(set, path, text) < 0)
			goto fail;
		if (set->n == 0) {
			log_warnx("admin_token_file: %s holds no token", path);
			goto fail;
		}
	} else {
		log_warnx("no admin token: give -admin-token, set "
		    "KUBERNETES_AUTH_ADMIN_TOKEN, or set admin_token_file");
		goto fail;
	}
	secret_free(text);
	*setp = set;
	return 0;
fail:
	secret_free(text);
	admintoken_free(set);
	return -1;
}

void
admintoken_free(struct admintoken_set *set)
{
	if (set == NULL)
		return;
	OPENSSL_cleanse(set->v, set->n * sizeof(*set->v));
	free(set->v);
	free(set);
}

const char *
admintoken_check(const struct admintoken_set *set, const char *presented)
{
	unsigned char digest[CRYPTO_SHA256_LEN];
	const char *match = NULL;
	size_t i;

	if (set == NULL || presented == NULL || presented[0] == '\0')
		return NULL;
	if (crypto_sha256(presented, strlen(presented), digest) < 0)
		return NULL;
	/* Look at every entry: the time taken does not say which matched. */
	for (i = 0; i < set->n; i++)
		if (crypto_equal(digest, set->v[i].digest, sizeof(digest)))
			match = set->v[i].name;
	return match;
}
