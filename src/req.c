/*
 * req.c — struct req over FCGX_Request: params, bounded body, answers.
 */
#include "req.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "dirdn.h"
#include "hex.h"
#include "json.h"
#include "ktime.h"
#include "log.h"

static char *
req_strdup(const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		fatal("strdup");
	return copy;
}

void
req_init(struct req *r, FCGX_Request *fcgx, struct ctx *w)
{
	memset(r, 0, sizeof(*r));
	r->fcgx = fcgx;
	r->ctx = w;
	r->route_index = -1;
	r->started_us = ktime_mono_us();

	r->method = req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "";

	/* REQUEST_URI is the raw target as the client sent it: nginx's
	 * DOCUMENT_URI is already decoded and merged, which would let
	 * "/users/%2F.." mean something else than what the client asked. */
	const char *uri = req_param(r, "REQUEST_URI");
	if (uri == NULL || uri[0] != '/') {
		r->path = req_strdup("/");
		r->query = req_strdup("");
		req_fail(r, 400, "missing or malformed request URI");
		return;
	}
	const char *q = strchr(uri, '?');
	if (q != NULL) {
		r->path = strndup(uri, q - uri);
		r->query = req_strdup(q + 1);
		if (r->path == NULL)
			fatal("strndup");
	} else {
		r->path = req_strdup(uri);
		r->query = req_strdup("");
	}
}

void
req_cleanup(struct req *r)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r->path);
	free(r->query);
	free(r->body);
	free(r->error);
	free(r->allow);
	if (r->gen != NULL)
		yajl_gen_free(r->gen);
	memset(r, 0, sizeof(*r));
}

const char *
req_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx->envp);
}

bool
req_client_cert_allowed(const struct req *r, const char *client_cn)
{
	bool bound = client_cn != NULL && client_cn[0] != '\0';
	const char *verify, *subject;

	if (!bound && (r->ctx == NULL || r->ctx->conf == NULL ||
	    r->ctx->conf->webhook_client_cert != CONF_CLIENT_CERT_REQUIRED))
		return true;
	verify = req_param(r, "SSL_CLIENT_VERIFY");
	subject = req_param(r, "SSL_CLIENT_S_DN");
	if (verify == NULL || strcmp(verify, "SUCCESS") != 0 || subject == NULL)
		return false;
	return !bound || dirdn_single_cn(subject, client_cn);
}

int
req_fail_db(struct req *r)
{
	switch (db_error(r->ctx->db)) {
	case DB_ERR_UNAVAILABLE:
		return req_fail(r, 503, "database unavailable");
	case DB_ERR_DEADLOCK:
		/* Retried inside already (db_transaction()): a client may
		 * try again. */
		return req_fail(r, 503, "database busy, try again");
	default:
		return req_fail(r, 500, "internal error");
	}
}

int
req_read_body(struct req *r, size_t max_body)
{
	const char *cl = req_param(r, "CONTENT_LENGTH");
	unsigned long long len = 0;

	if (cl != NULL && cl[0] != '\0') {
		char *end;
		errno = 0;
		len = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || cl[0] == '-')
			return req_fail(r, 400, "invalid Content-Length");
	}
	if (len > max_body)
		return req_fail(r, 413, "request body too large (limit %zu bytes)",
		    max_body);

	r->body = malloc(len + 1);
	if (r->body == NULL)
		fatal("malloc");
	size_t got = 0;
	while (got < len) {
		int chunk = len - got > INT_MAX ? INT_MAX : (int)(len - got);
		int n = FCGX_GetStr(r->body + got, chunk, r->fcgx->in);
		if (n <= 0)
			break;
		got += n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	if (got != len)
		return req_fail(r, 400, "request body shorter than Content-Length");
	return 0;
}

char *
req_percent_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (out == NULL)
		fatal("malloc");
	for (i = 0; i < len; i++) {
		if (s[i] == '+' && plus_is_space) {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= len)
				goto bad;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *
req_query_get(const struct req *r, const char *name, bool *invalid)
{
	const char *p = r->query;

	*invalid = false;
	while (*p != '\0') {
		size_t seg = strcspn(p, "&");
		const char *eq = memchr(p, '=', seg);
		size_t key_len = eq != NULL ? (size_t)(eq - p) : seg;
		char *key = req_percent_decode(p, key_len, true);

		if (key != NULL && strcmp(key, name) == 0) {
			free(key);
			if (eq == NULL)
				return req_strdup("");
			char *value = req_percent_decode(eq + 1, seg - key_len - 1, true);
			if (value == NULL)
				*invalid = true;
			return value;
		}
		free(key);
		p += seg;
		if (*p == '&')
			p++;
	}
	return NULL;
}

int
req_fail(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->error != NULL || r->answered)
		return -1;
	r->status = status;
	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	return -1;
}

yajl_gen
req_json(struct req *r)
{
	if (r->gen == NULL) {
		r->gen = yajl_gen_alloc(NULL);
		if (r->gen == NULL)
			fatal("yajl_gen_alloc");
		/* Go's encoder escapes '/' nowhere; keep strings as they are. */
		yajl_gen_config(r->gen, yajl_gen_validate_utf8, 1);
	}
	return r->gen;
}

void
req_check_begin(struct req *r, struct ctx *w, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->ctx = w;
	r->method = "POST";
	r->route_index = -1;
	if ((r->body = malloc(len + 1)) == NULL)
		fatal("malloc");
	memcpy(r->body, text, len);
	r->body[len] = '\0';
	r->body_len = len;
}

int
req_check_end(struct req *r, char *err, size_t errlen)
{
	int rc = r->error != NULL ? -1 : 0;

	snprintf(err, errlen, "%s", r->error != NULL ? r->error : "");
	req_cleanup(r);
	return rc;
}

const char *
req_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

static void
req_write_as(struct req *r, int status, const char *content_type,
    const unsigned char *body, size_t len, bool newline)
{
	char head[512];
	int n;

	/* snprintf, not FCGX_FPrintF: libfcgi's own formatter knows no %zu
	 * and silently drops the rest of the format. */
	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "\r\n",
	    status, req_status_text(status), content_type, len + newline,
	    r->allow != NULL ? "Allow: " : "", r->allow != NULL ? r->allow : "",
	    r->allow != NULL ? "\r\n" : "",
	    r->challenge != NULL ? "WWW-Authenticate: " : "",
	    r->challenge != NULL ? r->challenge : "",
	    r->challenge != NULL ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		fatalx("response header longer than %zu bytes", sizeof(head));
	FCGX_PutStr(head, n, r->fcgx->out);
	FCGX_PutStr((const char *)body, (int)len, r->fcgx->out);
	if (newline)
		FCGX_PutChar('\n', r->fcgx->out);
	r->status = status;
	r->answered = true;
}

/* JSON answers end with a newline, like Go's encoder writes them. */
static void
req_write(struct req *r, int status, const unsigned char *body, size_t len)
{
	req_write_as(r, status, "application/json", body, len, true);
}

void
req_send_text(struct req *r, int status, const char *content_type,
    const char *body, size_t len)
{
	if (!r->answered)
		req_write_as(r, status, content_type, (const unsigned char *)body,
		    len, false);
}

void
req_send_json(struct req *r, int status)
{
	const unsigned char *buf;
	size_t len;

	if (r->answered)
		return;
	if (yajl_gen_get_buf(req_json(r), &buf, &len) != yajl_gen_status_ok) {
		log_warnx("%s %s: the answer is not valid JSON", r->method, r->path);
		req_fail(r, 500, "internal error");
		return;
	}
	req_write(r, status, buf, len);
}

bool
req_is_webhook(const struct req *r)
{
	static const char *const prefixes[] = { "/authenticate", "/authorize" };
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (r->path != NULL && strncmp(r->path, prefixes[i], n) == 0 &&
		    (r->path[n] == '\0' || r->path[n] == '/'))
			return true;
	}
	return false;
}

/* The StatusReason Kubernetes gives an HTTP status
 * (k8s.io/apimachinery/pkg/apis/meta/v1/types.go). */
static const char *
req_status_reason(int status)
{
	switch (status) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 429: return "TooManyRequests";
	case 503: return "ServiceUnavailable";
	default:  return "InternalError";
	}
}

/* The failure as JSON: a Status object on webhook paths ({"kind": "Status",
 * "apiVersion": "v1", "metadata": {}, "status": "Failure", "message",
 * "reason", "code"}), so that the API server's log says why instead of
 * "unknown"; {"error": message} everywhere else. */
static void
req_gen_failure(const struct req *r, yajl_gen g)
{
	yajl_gen_map_open(g);
	if (req_is_webhook(r)) {
		json_gen_str(g, "kind", "Status");
		json_gen_str(g, "apiVersion", "v1");
		json_gen_key(g, "metadata");
		yajl_gen_map_open(g);
		yajl_gen_map_close(g);
		json_gen_str(g, "status", "Failure");
		json_gen_key(g, "message");
	} else {
		json_gen_key(g, "error");
	}
	if (yajl_gen_string(g, (const unsigned char *)r->error,
	    strlen(r->error)) != yajl_gen_status_ok)
		json_gen_str(g, NULL, "invalid input");
	if (req_is_webhook(r)) {
		json_gen_str(g, "reason", req_status_reason(r->status));
		json_gen_int(g, "code", r->status);
	}
	yajl_gen_map_close(g);
}

void
req_finish(struct req *r)
{
	if (!r->answered && r->error == NULL)
		req_fail(r, 500, "internal error: no answer");
	if (!r->answered) {
		yajl_gen g = yajl_gen_alloc(NULL);
		const unsigned char *buf;
		size_t len;

		if (g == NULL)
			fatal("yajl_gen_alloc");
		yajl_gen_config(g, yajl_gen_validate_utf8, 1);
		req_gen_failure(r, g);
		yajl_gen_get_buf(g, &buf, &len);
		req_write(r, r->status, buf, len);
		yajl_gen_free(g);
	}
	if (log_enabled(LOG_LVL_ACCESS)) {
		/* The route pattern ("/tokens/{}"), never the raw path: a
		 * client may put anything in a path, a token included. */
		char path[128], method[16];
		if (r->route != NULL) {
			log_sanitize(path, sizeof(path), r->route);
		} else {
			size_t first = strcspn(r->path + 1, "/") + 1;
			char head[64];
			snprintf(head, sizeof(head), "%.*s%s", (int)first, r->path,
			    r->path[first] != '\0' ? "/..." : "");
			log_sanitize(path, sizeof(path), head);
		}
		log_sanitize(method, sizeof(method), r->method);
		log_at(LOG_LVL_ACCESS, "%s %s %d %ldus", method, path,
		    r->status, ktime_since_us(r->started_us));
	}
}
