/*
 * http.h — HTTP requests through libcurl: the one HTTP client of the
 * repository (`kubernetes-auth import`, the credential plugin
 * kubectl-auth_login).
 *
 * One request, one answer, no redirects followed: TLS is verified against
 * the system's CAs or a given CA file, with the server's name; plain
 * http:// is refused unless the caller allows it. Nothing here logs: a
 * failure comes back as a message for the caller to show. Secrets (a
 * password, a bearer token, a header value) are wiped from what this
 * module allocated once the request is done.
 */
#ifndef KA_HTTP_H
#define KA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_TIMEOUT_S 30               /* a whole request, by default */
#define HTTP_MAX_ANSWER (16 * 1024 * 1024)  /* bytes, by default */

struct http_opts {
	const char *ca_file;            /* PEM CAs to trust; NULL = the system's */
	bool allow_http;                /* plain http:// too (tests, import) */
	long timeout_s;                 /* 0 = HTTP_TIMEOUT_S */
	size_t max_answer;              /* 0 = HTTP_MAX_ANSWER */
	const char *user_agent;         /* NULL = libcurl's */
};

struct http_request {
	const char *method;             /* "GET", "POST", "DELETE" */
	const char *url;
	const char *body;               /* NULL = none */
	size_t body_len;
	const char *user;               /* HTTP Basic when not NULL... */
	const char *password;           /* ...with this password */
	const char *bearer;             /* Authorization: Bearer, or NULL */
	const char *header;             /* one more "Name: value", or NULL */
};

/* Why a request got no answer. */
enum http_failure {
	HTTP_OK,                        /* an answer came (any status) */
	HTTP_FAIL_URL,                  /* malformed, or http:// not allowed */
	HTTP_FAIL_CONNECT,              /* name, connection refused or reset */
	HTTP_FAIL_TLS,                  /* handshake, certificate not trusted */
	HTTP_FAIL_TIMEOUT,
	HTTP_FAIL_TOO_LARGE,            /* answer over max_answer */
	HTTP_FAIL_OTHER,
};

struct http_answer {
	long status;                    /* HTTP status, 0 without an answer */
	char *body;                     /* malloc'd, NUL-terminated (also */
	size_t len;                     /* when empty); len bytes */
	long retry_after;               /* Retry-After in seconds, or -1 */
	enum http_failure failure;
};

/* Once per process, before any thread: libcurl's global set-up. Returns 0
 * or -1. */
int http_init(void);

/* Send REQ under O. Returns 0 with *ANS (the status and body of whatever
 * the server answered, 4xx and 5xx included), or -1 when no answer came:
 * ANS->failure says what kind, ERR (a line for a person) what happened.
 * Free *ANS with http_answer_cleanup() either way. */
int http_send(const struct http_opts *o, const struct http_request *req,
    struct http_answer *ans, char *err, size_t errlen);

/* Wipe and free ANS's body (it may hold a secret). */
void http_answer_cleanup(struct http_answer *ans);

#endif
