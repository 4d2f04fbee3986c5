/*
 * http.c — one HTTP request through libcurl's easy interface.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* The answer being received, bounded. */
struct http_sink {
	char *buf;
	size_t len, cap, max;
	bool too_large;
};

int
http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t
http_write(char *data, size_t size, size_t n, void *ctx)
{
	struct http_sink *s = ctx;
	size_t len = size * n;

	if (len > s->max - s->len) {
		s->too_large = true;
		return 0;               /* libcurl stops: CURLE_WRITE_ERROR */
	}
	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap == 0 ? 4096 : s->cap;
		char *grown;

		while (cap < s->len + len + 1)
			cap *= 2;
		/* Not realloc: what moves may be a secret, wiped first. */
		if ((grown = malloc(cap)) == NULL)
			return 0;
		if (s->buf != NULL) {
			memcpy(grown, s->buf, s->len);
			explicit_bzero(s->buf, s->cap);
			free(s->buf);
		}
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return len;
}

/* What went wrong, from libcurl's code: the kind, and a line for a person
 * (libcurl's own detail when it gave one). */
static enum http_failure
http_failure_of(CURLcode rc, const struct http_sink *sink, const char *detail,
    const char *url, char *err, size_t errlen)
{
	const char *what = detail[0] != '\0' ? detail : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (sink->too_large) {
			snprintf(err, errlen, "%s: the answer is larger than %zu "
			    "bytes", url, sink->max);
			return HTTP_FAIL_TOO_LARGE;
		}
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_INITFAILED:
		snprintf(err, errlen, "%s: TLS failed: %s", url, what);
		return HTTP_FAIL_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		snprintf(err, errlen, "%s: cannot reach the server: %s", url, what);
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "%s: no answer in time: %s", url, what);
		return HTTP_FAIL_TIMEOUT;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		snprintf(err, errlen, "%s: not a usable URL: %s", url, what);
		return HTTP_FAIL_URL;
	default:
		break;
	}
	snprintf(err, errlen, "%s: %s", url, what);
	return HTTP_FAIL_OTHER;
}

/* The options of one request on handle C. Returns 0 or -1. */
static int
http_setup(CURL *c, const struct http_opts *o, const struct http_request *req,
    struct curl_slist *headers, struct http_sink *sink, char *detail)
{
	bool ok = true;

#define SET(opt, v) (ok = ok && curl_easy_setopt(c, opt, v) == CURLE_OK)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, o->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, 10L);
	SET(CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : (long)HTTP_TIMEOUT_S);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->user_agent != NULL)
		SET(CURLOPT_USERAGENT, o->user_agent);
	SET(CURLOPT_ERRORBUFFER, detail);
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_HTTPHEADER, headers);
	if (strcmp(req->method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "POST") == 0)
		SET(CURLOPT_POST, 1L);
	else
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL || strcmp(req->method, "POST") == 0) {
		SET(CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->user != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, req->password != NULL ? req->password : "");
	} else if (req->bearer != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, req->bearer);
	}
#undef SET
	return ok ? 0 : -1;
}

/* Wipe the header lines (one may carry a secret), then free them. */
static void
http_headers_free(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

int
http_send(const struct http_opts *o, const struct http_request *req,
    struct http_answer *ans, char *err, size_t errlen)
{
	struct http_sink sink = { .max = o->max_answer > 0 ? o->max_answer :
	    HTTP_MAX_ANSWER };
	struct curl_slist *headers = NULL, *more;
	char detail[CURL_ERROR_SIZE] = "";
	curl_off_t retry_after = -1;
	CURL *c = NULL;
	CURLcode rc;
	int status = -1;

	memset(ans, 0, sizeof(*ans));
	ans->retry_after = -1;
	ans->failure = HTTP_FAIL_OTHER;
	/* Said here, in words, rather than libcurl's "unsupported protocol":
	 * a password or token is never sent in the clear. */
	if (!o->allow_http && strncmp(req->url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: only https:// URLs are used (a password "
		    "or token is never sent in the clear)", req->url);
		ans->failure = HTTP_FAIL_URL;
		goto done;
	}
	/* The body is JSON; "Expect: 100-continue" would only cost a round
	 * trip. */
	if ((more = curl_slist_append(headers, "Accept: application/json")) == NULL ||
	    (headers = more, more = curl_slist_append(headers, "Expect:")) == NULL)
		goto nomem;
	headers = more;
	if (req->body != NULL) {
		if ((more = curl_slist_append(headers,
		    "Content-Type: application/json")) == NULL)
			goto nomem;
		headers = more;
	}
	if (req->header != NULL) {
		if ((more = curl_slist_append(headers, req->header)) == NULL)
			goto nomem;
		headers = more;
	}
	if ((c = curl_easy_init()) == NULL ||
	    http_setup(c, o, req, headers, &sink, detail) < 0)
		goto nomem;
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		ans->failure = http_failure_of(rc, &sink, detail, req->url, err,
		    errlen);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
	if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		ans->retry_after = (long)retry_after;
	if (sink.buf == NULL && (sink.buf = calloc(1, 1)) == NULL)
		goto nomem;
	ans->body = sink.buf;
	ans->len = sink.len;
	sink.buf = NULL;
	ans->failure = HTTP_OK;
	status = 0;
	goto done;
nomem:
	snprintf(err, errlen, "%s: out of memory, or libcurl refused an option",
	    req->url);
done:
	if (c != NULL)
		curl_easy_cleanup(c);
	http_headers_free(headers);
	if (sink.buf != NULL) {
		explicit_bzero(sink.buf, sink.cap);
		free(sink.buf);
	}
	return status;
}

void
http_answer_cleanup(struct http_answer *ans)
{
	if (ans->body != NULL) {
		explicit_bzero(ans->body, ans->len);
		free(ans->body);
	}
	memset(ans, 0, sizeof(*ans));
}
