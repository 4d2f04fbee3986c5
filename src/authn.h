/*
 * authn.h — the authentication webhook (TokenReview) and self-service
 * login/logout.
 *
 * POST /authenticate/token (alias /authenticate) and, per cluster,
 * /authenticate/token/{cluster-name}: a TokenReview (authentication.k8s.io
 * v1 or v1beta1; no apiVersion = v1beta1) answered with HTTP 200 and the
 * request's apiVersion, either the user (username, uid, groups, extra:
 * from LDAP at this moment) or authenticated false with status.error. A
 * backend that cannot answer is a JSON 503, never a guess. Every decision
 * is an audit line (level 4) naming the token by id, or by an 8-hex HMAC
 * fingerprint when it is unknown — never the token. doc/authentication.md.
 */
#ifndef KA_AUTHN_H
#define KA_AUTHN_H

#include <stddef.h>

#include <stdbool.h>

#include <yajl_tree.h>

struct req;

void authn_token_review(struct req *r);  /* POST /authenticate[/token[/{}]] */
void authn_login(struct req *r);         /* POST /login (HTTP Basic) */
void authn_logout(struct req *r);        /* POST /logout (Bearer) */

/* Parse LEN bytes of a TokenReview body (NUL at BODY[LEN]): *tree (free
 * with json_free, also after a failure), *api_version (the request's,
 * or v1beta1 when absent; static) and *token (spec.token, borrowed from
 * the tree, or NULL). Returns 0, or -1 with a message for a 400 in ERR.
 * Pure: no I/O. */
int authn_review_parse(const char *body, size_t len, yajl_val *tree,
    const char **api_version, const char **token, char *err, size_t errlen);

/* Decode an "Authorization: Basic ..." header value H (NULL = absent) into
 * a malloc'd buffer *BUF of *BUF_SIZE bytes (the caller wipes and frees it,
 * also after a failure), split at the first ':' into *user and *password
 * (*password_len bytes). Returns 0, or -1 when H is missing or malformed.
 * Pure. */
int authn_basic_decode(const char *h, char **buf, size_t *buf_size,
    const char **user, char **password, size_t *password_len);

/* The description of tokens made by POST /login (login.max_tokens counts
 * these). */
#define AUTHN_LOGIN_DESCRIPTION "created by POST /login"

#endif
