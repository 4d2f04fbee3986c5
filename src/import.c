/*
 * import.c — a small HTTP/1.1 client (plain, or TLS through libssl) and the
 * mapping from the original service's JSON to the store.
 */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "crypto.h"
#include "db.h"
#include "directory.h"
#include "dirsearch.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "secrets.h"
#include "store.h"

#define IMPORT_MAX_RESPONSE (256 * 1024 * 1024)
#define IMPORT_TIMEOUT_S 30

struct import_url {
	bool tls;
	char host[256];
	char port[8];
	char prefix[1024];              /* path before /users, no trailing / */
};

struct import_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

struct import_counts {
	unsigned added, unchanged, failed;
};

static int
import_parse_url(const char *from, struct import_url *u)
{
	const char *p, *host_end, *path;
	size_t len;

	memset(u, 0, sizeof(*u));
	if (strncmp(from, "http://", 7) == 0) {
		p = from + 7;
		snprintf(u->port, sizeof(u->port), "80");
	} else if (strncmp(from, "https://", 8) == 0) {
		p = from + 8;
		u->tls = true;
		snprintf(u->port, sizeof(u->port), "443");
	} else {
		goto bad;
	}
	path = p + strcspn(p, "/?#");
	if (*path == '?' || *path == '#' || memchr(p, '@', path - p) != NULL)
		goto bad;
	if (*p == '[') {                        /* [v6]:port */
		host_end = memchr(p, ']', path - p);
		if (host_end == NULL)
			goto bad;
		len = host_end - p - 1;
		if (len == 0 || len >= sizeof(u->host))
			goto bad;
		memcpy(u->host, p + 1, len);
		host_end++;
	} else {
		host_end = memchr(p, ':', path - p);
		if (host_end == NULL)
			host_end = path;
		len = host_end - p;
		if (len == 0 || len >= sizeof(u->host))
			goto bad;
		memcpy(u->host, p, len);
	}
	if (*host_end == ':') {
		len = path - host_end - 1;
		if (len == 0 || len >= sizeof(u->port))
			goto bad;
		memcpy(u->port, host_end + 1, len);
		u->port[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if (!isdigit((unsigned char)u->port[i]))
				goto bad;
	} else if (host_end != path) {
		goto bad;
	}
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(u->prefix) || strchr(path, '#') != NULL ||
	    strchr(path, '?') != NULL)
		goto bad;
	memcpy(u->prefix, path, len);
	u->prefix[len] = '\0';
	return 0;
bad:
	log_warnx("import: --from must be an http:// or https:// URL "
	    "(e.g. https://auth.example.org)");
	return -1;
}

static void
import_close(struct import_conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
}

static void
import_ssl_error(const char *what, const struct import_url *u)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	log_warnx("import: %s:%s: %s: %s", u->host, u->port, what,
	    e != 0 ? buf : "failed");
	ERR_clear_error();
}

static int
import_connect(const struct import_url *u, struct import_conn *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = IMPORT_TIMEOUT_S };
	char sni[sizeof(u->host)];
	int rc;

	c->fd = -1;
	c->ctx = NULL;
	c->ssl = NULL;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0) {
		log_warnx("import: %s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (c->fd < 0)
			continue;
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		log_warn("import: cannot connect to %s:%s", u->host, u->port);
		return -1;
	}
	if (!u->tls)
		return 0;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL) {
		import_ssl_error("SSL_CTX_new", u);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* Servers often close without close_notify; a cut answer is still
	 * caught by its Content-Length, the chunked end, or the JSON. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		import_ssl_error("loading the system's CA certificates", u);
		goto fail;
	}
	/* SSL_set_tlsext_host_name() is a macro that casts its argument to
	 * void * (-Wcast-qual): give it a copy rather than cast const away. */
	memcpy(sni, u->host, sizeof(sni));
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1 ||
	    SSL_set1_host(c->ssl, u->host) != 1) {
		import_ssl_error("TLS set-up", u);
		goto fail;
	}
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK)
			log_warnx("import: %s:%s: certificate not accepted: %s "
			    "(set SSL_CERT_FILE to the CA that signed it)", u->host,
			    u->port, X509_verify_cert_error_string(v));
		else
			import_ssl_error("TLS handshake", u);
		goto fail;
	}
	return 0;
fail:
	import_close(c);
	return -1;
}

static int
import_write(struct import_conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;
		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, buf, (int)len);
			n = w > 0 ? w : -1;
		} else {
			n = write(c->fd, buf, len);
			if (n < 0 && errno == EINTR)
				continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Everything until the server closes. Malloc'd into *out. */
static int
import_read_all(struct import_conn *c, char **out, size_t *outlen)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);

	if (buf == NULL)
		fatal("malloc");
	for (;;) {
		ssize_t n;
		if (len == cap) {
			if (cap >= IMPORT_MAX_RESPONSE) {
				log_warnx("import: answer larger than %d bytes",
				    IMPORT_MAX_RESPONSE);
				free(buf);
				return -1;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL)
				fatal("realloc");
			buf = nb;
		}
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, buf + len, (int)(cap - len));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				/* Many servers close without close_notify. */
				if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
					break;
				log_warnx("import: TLS read failed: %s",
				    ERR_reason_error_string(ERR_get_error()));
				free(buf);
				return -1;
			}
			n = r;
		} else {
			n = read(c->fd, buf + len, cap - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_warn("import: read");
				free(buf);
				return -1;
			}
			if (n == 0)
				break;
		}
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Undo chunked transfer coding in place. */
static int
import_dechunk(char *body, size_t len, size_t *outlen)
{
	char *r = body, *w = body, *end = body + len;

	for (;;) {
		char *eol = memmem(r, end - r, "\r\n", 2);
		unsigned long size;
		char *num_end;

		if (eol == NULL)
			return -1;
		errno = 0;
		size = strtoul(r, &num_end, 16);
		if (num_end == r || errno != 0 || (size_t)(end - eol - 2) < size)
			return -1;
		r = eol + 2;
		if (size == 0)
			break;
		memmove(w, r, size);
		w += size;
		r += size;
		if (end - r < 2 || r[0] != '\r' || r[1] != '\n')
			return -1;
		r += 2;
	}
	*w = '\0';
	*outlen = w - body;
	return 0;
}

/* Send GET PATH and read the whole answer (the request says
 * "Connection: close") into *resp, malloc'd; the caller cleanses and
 * frees it (it may hold secrets). Returns 0 or -1 (logged). */
static int
import_fetch(const struct import_url *u, const char *path, const char *token,
    char **resp, size_t *resp_len)
{
	struct import_conn c;
	char *req = NULL;
	bool v6 = strchr(u->host, ':') != NULL;
	int rc = -1;

	if (import_connect(u, &c) < 0)
		return -1;
	if (asprintf(&req, "GET %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	    "x-auth-token: %s\r\nAccept: application/json\r\n"
	    "User-Agent: kubernetes-auth-import/" PACKAGE_VERSION "\r\n"
	    "Connection: close\r\n\r\n", u->prefix, path, v6 ? "[" : "", u->host,
	    v6 ? "]" : "", u->port, token) < 0)
		fatal("asprintf");
	if (import_write(&c, req, strlen(req)) < 0)
		log_warnx("import: %s%s: cannot send the request", u->prefix, path);
	else if (import_read_all(&c, resp, resp_len) == 0)
		rc = 0;
	OPENSSL_cleanse(req, strlen(req));
	free(req);
	import_close(&c);
	return rc;
}

/* The status and the body of RESP, an HTTP/1.x answer of RESP_LEN bytes:
 * *body points into RESP, de-chunked in place or cut at its
 * Content-Length, and NUL-terminated. Returns 0 or -1 (logged). */
static int
import_parse_answer(const struct import_url *u, const char *path, char *resp,
    size_t resp_len, int *status, char **body, size_t *body_len)
{
	long long content_length = -1;
	bool chunked = false;
	char *hdr_end;

	if (sscanf(resp, "HTTP/1.%*1[01] %3d", status) != 1) {
		log_warnx("import: GET %s%s: not an HTTP answer", u->prefix, path);
		return -1;
	}
	if ((hdr_end = strstr(resp, "\r\n\r\n")) == NULL) {
		log_warnx("import: GET %s%s: truncated answer", u->prefix, path);
		return -1;
	}
	*hdr_end = '\0';
	*body = hdr_end + 4;
	*body_len = resp_len - (size_t)(*body - resp);
	for (char *line = strstr(resp, "\r\n"); line != NULL;
	    line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
		    strcasestr(line, "chunked") != NULL)
			chunked = true;
		else if (strncasecmp(line, "Content-Length:", 15) == 0)
			content_length = strtoll(line + 15, NULL, 10);
	}
	if (chunked) {
		if (import_dechunk(*body, *body_len, body_len) < 0) {
			log_warnx("import: GET %s%s: bad chunked answer", u->prefix, path);
			return -1;
		}
	} else if (content_length >= 0) {
		if ((size_t)content_length > *body_len) {
			log_warnx("import: GET %s%s: answer shorter than its "
			    "Content-Length", u->prefix, path);
			return -1;
		}
		*body_len = (size_t)content_length;
		(*body)[*body_len] = '\0';
	}
	return 0;
}

/* GET PATH: 0 and the JSON tree of a 200 answer, or -1 (logged). */
static int
import_get(const struct import_url *u, const char *path, const char *token,
    yajl_val *tree)
{
	char *resp = NULL, *body, err[160];
	size_t resp_len = 0, body_len;
	int rc = -1, status = 0;

	*tree = NULL;
	if (import_fetch(u, path, token, &resp, &resp_len) < 0)
		return -1;
	if (import_parse_answer(u, path, resp, resp_len, &status, &body, &body_len) < 0)
		goto done;
	if (status != 200) {
		log_warnx("import: GET %s%s: HTTP %d%s", u->prefix, path, status,
		    status == 401 ? " (wrong --admin-token?)" : "");
		goto done;
	}
	if (json_parse(body, body_len, tree, err, sizeof(err)) < 0) {
		log_warnx("import: GET %s%s: %s", u->prefix, path, err);
		goto done;
	}
	if (!YAJL_IS_ARRAY(*tree)) {
		log_warnx("import: GET %s%s: expected a JSON array", u->prefix, path);
		json_free(*tree);
		*tree = NULL;
		goto done;
	}
	rc = 0;
done:
	OPENSSL_cleanse(resp, resp_len);
	free(resp);
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
    const char *from, const char *admin_token)
{
	struct import_counts users = { 0 }, clusters = { 0 }, tokens = { 0 };
	yajl_val tree = NULL;
	struct import_url u;
	struct directory *dir = NULL;
	struct db *db = NULL;
	int status = 1;

	if (from == NULL || admin_token == NULL || admin_token[0] == '\0') {
		fprintf(stderr, "usage: kubernetes-auth import --from URL "
		    "--admin-token TOKEN\n");
		return 2;
	}
	if (import_parse_url(from, &u) < 0)
		return 2;
	if (db_new(conf, secrets->db_password, &db) < 0 || db_check(db) < 0) {
		log_warnx("import: cannot reach the database");
		goto done;
	}
	if (directory_new(conf, secrets->ldap_bind_password, &dir) < 0)
		goto done;
	/* Users first, then clusters: tokens name both. */
	if (import_get(&u, "/users", admin_token, &tree) < 0)
		goto done;
	import_users(db, dir, tree, &users);
	json_free(tree);
	if (import_get(&u, "/clusters", admin_token, &tree) < 0)
		goto done;
	import_clusters(db, tree, &clusters);
	json_free(tree);
	if (import_get(&u, "/tokens", admin_token, &tree) < 0)
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
	return status;
}
