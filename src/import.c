/*
 * import.c — reading the original service's API (through http.c) and the
 * mapping from its JSON to the store.
 */
#include "import.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "crypto.h"
#include "db.h"
#include "directory.h"
#include "dirsearch.h"
#include "http.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "secrets.h"
#include "store.h"

#define IMPORT_MAX_RESPONSE (256 * 1024 * 1024)
#define IMPORT_TIMEOUT_S 300

/* Where the original service is: FROM without trailing slashes, and the
 * TLS settings. */
struct import_source {
	char *base;                     /* malloc'd */
	struct http_opts http;
};

struct import_counts {
	unsigned added, unchanged, failed;
};

/* FROM must be an http:// or https:// URL without query or fragment (a
 * path prefix is kept). Returns 0 or -1 (logged). */
static int
import_source_init(const char *from, const char *cacert, struct import_source *src)
{
	size_t len = strlen(from);

	memset(src, 0, sizeof(*src));
	if ((strncmp(from, "http://", 7) != 0 && strncmp(from, "https://", 8) != 0) ||
	    strpbrk(from, "?# ") != NULL || strchr(from + 8, '@') != NULL) {
		log_warnx("import: --from must be an http:// or https:// URL "
		    "(e.g. https://auth.example.org)");
		return -1;
	}
	while (len > 0 && from[len - 1] == '/')
		len--;
	if ((src->base = strndup(from, len)) == NULL)
		fatal("strndup");
	/* The original runs on the operator's own network: plain http is
	 * its choice. --cacert, else $SSL_CERT_FILE (what OpenSSL reads),
	 * else the system's CAs. */
	src->http.allow_http = true;
	src->http.ca_file = cacert != NULL ? cacert : getenv("SSL_CERT_FILE");
	src->http.timeout_s = IMPORT_TIMEOUT_S;
	src->http.max_answer = IMPORT_MAX_RESPONSE;
	src->http.user_agent = "kubernetes-auth-import/" PACKAGE_VERSION;
	return 0;
}

/* GET PATH: 0 and the JSON tree of a 200 answer, or -1 (logged). */
static int
import_get(const struct import_source *src, const char *path,
    const char *token, yajl_val *tree)
{
	struct http_request req = { .method = "GET" };
	struct http_answer ans;
	char *url = NULL, *header = NULL, err[512];
	int rc = -1;

	*tree = NULL;
	if (asprintf(&url, "%s%s", src->base, path) < 0 ||
	    asprintf(&header, "x-auth-token: %s", token) < 0)
		fatal("asprintf");
	req.url = url;
	req.header = header;
	if (http_send(&src->http, &req, &ans, err, sizeof(err)) < 0) {
		log_warnx("import: GET %s%s", err, ans.failure == HTTP_FAIL_TLS ?
		    " (--cacert names the CA that signed its certificate)" : "");
		goto done;
	}
	if (ans.status != 200) {
		log_warnx("import: GET %s: HTTP %ld%s", url, ans.status,
		    ans.status == 401 ? " (wrong --admin-token?)" : "");
		goto done;
	}
	if (json_parse(ans.body, ans.len, tree, err, sizeof(err)) < 0) {
		log_warnx("import: GET %s: %s", url, err);
		goto done;
	}
	if (!YAJL_IS_ARRAY(*tree)) {
		log_warnx("import: GET %s: expected a JSON array", url);
		json_free(*tree);
		*tree = NULL;
		goto done;
	}
	rc = 0;
done:
	http_answer_cleanup(&ans);
	OPENSSL_cleanse(header, strlen(header));
	free(header);
	free(url);
	return rc;
}

/* A lowercase copy of the UUID member KEY of OBJ, or -1. */
static int
import_id(yajl_val obj, const char *key, char out[STORE_ID_LEN + 1])
{
	const char *s = json_string(json_get(obj, key));
	size_t i;

	if (s == NULL || !crypto_uuid_valid(s))
		return -1;
	for (i = 0; i <= STORE_ID_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return 0;
}

static const char *
import_str(yajl_val obj, const char *key)
{
	const char *s = json_string(json_get(obj, key));
	return s != NULL ? s : "";
}

/* USERNAME as the directory names it (dirsearch_resolve), as POST /users
 * stores it: malloc'd, or NULL when it cannot be (logged). */
static char *
import_user_resolve(struct directory *dir, const char *id, const char *username)
{
	enum dirsearch_resolution res;
	char shown[128], *stored;

	log_sanitize(shown, sizeof(shown), username);
	if (dirsearch_resolve(dir, username, strlen(username), &stored, &res) < 0) {
		log_warnx("import: user %s (username %s): the directory cannot "
		    "answer", id, shown);
		return NULL;
	}
	if (res != DIRSEARCH_ONE || strlen(stored) > STORE_USERNAME_MAX) {
		log_warnx("import: user %s (username %s): %s: not imported (nor "
		    "its tokens)", id, shown, res == DIRSEARCH_NONE ?
		    "no directory entry matches" : res == DIRSEARCH_SEVERAL ?
		    "several directory entries match" : "its directory entry has "
		    "no usable id_attribute");
		free(stored);
		return NULL;
	}
	if (strcmp(stored, username) != 0) {
		char as[128];
		log_sanitize(as, sizeof(as), stored);
		log_info("import: user %s: username %s is %s in the directory: "
		    "stored as %s", id, shown, as, as);
	}
	return stored;
}

static void
import_users(struct db *db, struct directory *dir, yajl_val list,
    struct import_counts *n)
{
	size_t i;

	for (i = 0; i < list->u.array.len; i++) {
		yajl_val v = list->u.array.values[i];
		struct store_user u = { .id = "" }, here;
		const char *typed = json_string(json_get(v, "username"));
		char shown[128], *username = NULL;
		bool found;

		if (import_id(v, "id", u.id) < 0 || typed == NULL ||
		    typed[0] == '\0' || strlen(typed) > STORE_USERNAME_MAX) {
			log_warnx("import: users[%zu]: no valid id and username", i);
			n->failed++;
			continue;
		}
		if ((username = import_user_resolve(dir, u.id, typed)) == NULL) {
			n->failed++;
			continue;
		}
		log_sanitize(shown, sizeof(shown), username);
		if (store_user_get(db, u.id, &here, &found) < 0) {
			n->failed++;
			free(username);
			continue;
		}
		if (found) {
			if (strcmp(here.username, username) == 0) {
				n->unchanged++;
			} else {
				log_warnx("import: user %s exists here with another "
				    "username: left as it is", u.id);
				n->failed++;
			}
			free(username);
			continue;
		}
		u.username_len = strlen(username);
		memcpy(u.username, username, u.username_len + 1);
		if (store_user_create(db, &u) < 0) {
			if (db_error(db) == DB_ERR_DUPLICATE)
				log_warnx("import: user %s: username %s exists here "
				    "with another id (one directory entry, one "
				    "user): not imported", u.id, shown);
			n->failed++;
			free(username);
			continue;
		}
		log_info("import: added user %s (username %s)", u.id, shown);
		n->added++;
		free(username);
	}
}

static void
import_clusters(struct db *db, yajl_val list, struct import_counts *n)
{
	size_t i;

	for (i = 0; i < list->u.array.len; i++) {
		yajl_val v = list->u.array.values[i];
		struct store_cluster c = { .id = "" }, *here;
		const char *created = json_string(json_get(v, "created"));
		char shown[128];

		c.name = json_string(json_get(v, "name"));
		if (import_id(v, "id", c.id) < 0 || c.name == NULL ||
		    c.name[0] == '\0' || strlen(c.name) > STORE_CLUSTER_NAME_MAX) {
			log_warnx("import: clusters[%zu]: no valid id and name", i);
			n->failed++;
			continue;
		}
		log_sanitize(shown, sizeof(shown), c.name);
		if (store_cluster_get(db, NULL, c.id, &here) < 0) {
			n->failed++;
			continue;
		}
		if (here != NULL) {
			free(here);
			n->unchanged++;
			continue;
		}
		c.master = import_str(v, "master");
		c.node = import_str(v, "node");
		c.kubeconfig = import_str(v, "kubeconfig");
		c.client_cn = json_string(json_get(v, "client_cn"));
		if (c.client_cn != NULL && c.client_cn[0] == '\0')
			c.client_cn = NULL;
		if (created == NULL || ktime_parse(created, &c.created_us) < 0)
			c.created_us = 0;
		if (store_cluster_create(db, &c) < 0) {
			if (db_error(db) == DB_ERR_DUPLICATE)
				log_warnx("import: cluster %s: name %s exists here with "
				    "another id", c.id, shown);
			n->failed++;
			continue;
		}
		log_info("import: added cluster %s (name %s)", c.id, shown);
		n->added++;
	}
}

/* The distinct cluster names of V's "clusters" array, as a calloc'd array
 * of pointers into V (the caller frees the array only), or NULL for none. */
static const char **
import_token_clusters(yajl_val v, size_t *n)
{
	yajl_val vc = json_get(v, "clusters");
	const char **clusters;
	size_t j, k;

	*n = 0;
	if (vc == NULL || !YAJL_IS_ARRAY(vc) || vc->u.array.len == 0)
		return NULL;
	if ((clusters = calloc(vc->u.array.len, sizeof(*clusters))) == NULL)
		fatal("calloc");
	for (j = 0; j < vc->u.array.len; j++) {
		const char *name = json_string(vc->u.array.values[j]);
		if (name == NULL)
			continue;
		for (k = 0; k < *n; k++)
			if (strcmp(clusters[k], name) == 0)
				break;
		if (k == *n)
			clusters[(*n)++] = name;
	}
	return clusters;
}

static void
import_tokens(struct db *db, const struct conf *conf,
    const struct crypto_keyring *ring, yajl_val list, struct import_counts *n)
{
	size_t i;

	for (i = 0; i < list->u.array.len; i++) {
		yajl_val v = list->u.array.values[i];
		char id[STORE_ID_LEN + 1], user_id[STORE_ID_LEN + 1];
		const char *token = json_string(json_get(v, "token"));
		const char *expiry = json_string(json_get(v, "expiry"));
		const char *missing = NULL, **clusters;
		struct store_token_new in = { 0 };
		struct store_token out;
		bool found;

		if (import_id(v, "id", id) < 0 || import_id(v, "user_id", user_id) < 0) {
			log_warnx("import: tokens[%zu]: no valid id and user_id", i);
			n->failed++;
			continue;
		}
		if (token == NULL || !crypto_token_wellformed(token, strlen(token))) {
			/* Never print it: it may be a secret in another form. */
			log_warnx("import: token %s: the secret is missing or not 64 "
			    "lowercase hex characters: skipped", id);
			n->failed++;
			continue;
		}
		if (expiry == NULL || ktime_parse(expiry, &in.expiry_us) < 0) {
			log_warnx("import: token %s: no valid expiry: skipped", id);
			n->failed++;
			continue;
		}
		if (store_token_exists(db, id, &found) < 0) {
			n->failed++;
			continue;
		}
		if (found) {
			n->unchanged++;
			continue;
		}
		clusters = import_token_clusters(v, &in.nclusters);
		in.id = id;
		in.token = token;
		in.user_id = user_id;
		in.description = import_str(v, "description");
		in.clusters = clusters;
		if (store_token_create(db, ring, conf->tokens.reveal, &in, &out,
		    &missing) < 0) {
			if (missing != NULL && strcmp(missing, "user_id") == 0)
				log_warnx("import: token %s: its user %s was not "
				    "imported: skipped", id, user_id);
			else if (missing != NULL)
				log_warnx("import: token %s: a cluster it names is "
				    "not here: skipped", id);
			else if (db_error(db) == DB_ERR_DUPLICATE)
				log_warnx("import: token %s: the same secret exists here "
				    "under another id: skipped", id);
			n->failed++;
		} else {
			log_info("import: added token %s for user %s", id, user_id);
			n->added++;
		}
		OPENSSL_cleanse(out.token, sizeof(out.token));
		free(clusters);
	}
}

int
import_run(const struct conf *conf, const struct secrets *secrets,
    const char *from, const char *admin_token, const char *cacert)
{
	struct import_counts users = { 0 }, clusters = { 0 }, tokens = { 0 };
	yajl_val tree = NULL;
	struct import_source src;
	struct directory *dir = NULL;
	struct db *db = NULL;
	int status = 1;

	if (from == NULL || admin_token == NULL || admin_token[0] == '\0') {
		fprintf(stderr, "usage: kubernetes-auth import --from URL "
		    "--admin-token TOKEN [--cacert FILE]\n");
		return 2;
	}
	if (import_source_init(from, cacert, &src) < 0)
		return 2;
	if (http_init() < 0) {
		log_warnx("import: libcurl's set-up failed");
		goto done;
	}
	if (db_new(conf, secrets->db_password, &db) < 0 || db_check(db) < 0) {
		log_warnx("import: cannot reach the database");
		goto done;
	}
	if (directory_new(conf, secrets->ldap_bind_password, &dir) < 0)
		goto done;
	/* Users first, then clusters: tokens name both. */
	if (import_get(&src, "/users", admin_token, &tree) < 0)
		goto done;
	import_users(db, dir, tree, &users);
	json_free(tree);
	if (import_get(&src, "/clusters", admin_token, &tree) < 0)
		goto done;
	import_clusters(db, tree, &clusters);
	json_free(tree);
	if (import_get(&src, "/tokens", admin_token, &tree) < 0)
		goto done;
	import_tokens(db, conf, secrets->token_keys, tree, &tokens);
	/* The tree holds the secrets it carried. */
	for (size_t i = 0; i < tree->u.array.len; i++) {
		yajl_val t = json_get(tree->u.array.values[i], "token");
		if (t != NULL && YAJL_IS_STRING(t))
			OPENSSL_cleanse(t->u.string, strlen(t->u.string));
	}
	json_free(tree);
	printf("users: %u added, %u already here, %u not imported\n",
	    users.added, users.unchanged, users.failed);
	printf("clusters: %u added, %u already here, %u not imported\n",
	    clusters.added, clusters.unchanged, clusters.failed);
	printf("tokens: %u added, %u already here, %u not imported\n",
	    tokens.added, tokens.unchanged, tokens.failed);
	status = users.failed + clusters.failed + tokens.failed == 0 ? 0 : 1;
done:
	directory_free(dir);
	db_free(db);
	free(src.base);
	return status;
}
