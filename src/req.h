/*
 * req.h — one FastCGI request: its parameters, bounded body, and answer.
 *
 * struct req owns everything allocated for one request; req_cleanup() is its
 * single destructor. Handlers either write an answer with req_send_json() or
 * record a failure with req_fail(); the worker turns a failure into the HTTP
 * status and {"error": "..."} body in one place (req_finish()).
 */
#ifndef KA_REQ_H
#define KA_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <yajl_gen.h>

#define REQ_MAX_PARAMS 4        /* {} segments a route may capture */

struct ctx;

struct req {
	FCGX_Request *fcgx;
	struct ctx *ctx;                /* borrowed: the worker's backends */

	const char *method;             /* borrowed from the FastCGI params */
	char *path;                     /* raw path, query string cut off */
	char *query;                    /* raw query string, "" when none */
	char *body;                     /* NUL-terminated copy, body_len bytes */
	size_t body_len;

	char *params[REQ_MAX_PARAMS];   /* decoded {} path segments */
	size_t nparams;
	const char *route;              /* the matched pattern, for logs */
	int route_index;                /* its row in the table, for metrics */

	int status;                     /* 0 until an answer is decided */
	char *error;                    /* message of req_fail() */
	char *allow;                    /* Allow header for a 405 */
	const char *challenge;          /* WWW-Authenticate for a 401 (static) */
	yajl_gen gen;                   /* the JSON answer being built */
	bool answered;                  /* headers and body written */

	int64_t started_us;             /* ktime_mono_us() at accept */
};

/* Take the request FCGX has just accepted. Never fails: a request whose
 * parameters are unusable is failed with 400 and still answered. */
void req_init(struct req *r, FCGX_Request *fcgx, struct ctx *w);
void req_cleanup(struct req *r);

/* A FastCGI parameter (e.g. "SSL_CLIENT_VERIFY"), or NULL. Borrowed. */
const char *req_param(const struct req *r, const char *name);

/* May R use a webhook path of a cluster whose client_cn is CLIENT_CN, or a
 * global one (CLIENT_CN NULL or "": not bound)? A bound cluster needs a
 * client certificate nginx verified (SSL_CLIENT_VERIFY=SUCCESS) whose
 * subject (SSL_CLIENT_S_DN) holds exactly one CN, equal to CLIENT_CN; an
 * unbound one, or a global path, needs a verified certificate with
 * webhook_client_cert: required, and nothing otherwise. */
bool req_client_cert_allowed(const struct req *r, const char *client_cn);

/* Is R on a webhook path (/authenticate..., /authorize...)? Their callers
 * are API servers: they read errors as Kubernetes Status objects, and
 * their bodies are bounded by webhook_max_body. */
bool req_is_webhook(const struct req *r);

/* Read the body, at most MAX_BODY bytes: a longer one fails the request
 * with 413 before any byte is read. Returns 0 or -1 (request failed). */
int req_read_body(struct req *r, size_t max_body);

/* The first value of query parameter NAME, decoded (application/
 * x-www-form-urlencoded); NULL when absent. Malloc'd, caller frees.
 * *invalid is set when the value has a bad escape or a NUL. */
char *req_query_get(const struct req *r, const char *name, bool *invalid);

/* Percent-decode LEN bytes (a path segment, or with PLUS_IS_SPACE a form
 * component). NULL when an escape is malformed or decodes to NUL (no field
 * of ours can hold one). Malloc'd, caller frees. Pure. */
char *req_percent_decode(const char *s, size_t len, bool plus_is_space);

/* Record a failure: the answer becomes STATUS with {"error": message}.
 * The first failure wins. Always returns -1 so callers can return it. */
int req_fail(struct req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fail R after a database call failed, by db_error() of its connection:
 * 503 when the database is unreachable or busy (deadlock or lock wait
 * that survived the retries), 500 otherwise. The one mapping from
 * database errors to HTTP; callers handle the errors they can explain
 * (duplicate, still referenced) first. Returns -1. */
int req_fail_db(struct req *r);

/* The generator for the JSON answer (created on first use). */
yajl_gen req_json(struct req *r);

/* Send STATUS with the JSON built in req_json(). */
void req_send_json(struct req *r, int status);

/* Send STATUS with LEN bytes of BODY as CONTENT_TYPE (not JSON: /metrics). */
void req_send_text(struct req *r, int status, const char *content_type,
    const char *body, size_t len);

/* Write the answer if the handler did not (failure or 500), and log the
 * access line. */
void req_finish(struct req *r);

/* A request made up to check a body without FastCGI (the body checks
 * fuzz/ drives): method POST, a copy of LEN bytes at TEXT as its body, W
 * borrowed. req_check_end() says how the check went and cleans R up:
 * 0, or -1 with the message the client would get in ERR. */
void req_check_begin(struct req *r, struct ctx *w, const char *text, size_t len);
int req_check_end(struct req *r, char *err, size_t errlen);

/* The reason phrase for an HTTP status ("Not Found"). */
const char *req_status_text(int status);

#endif
