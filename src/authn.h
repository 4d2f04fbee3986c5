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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl_gen.h>
#include <yajl_tree.h>

#include "counters.h"

struct conf;
struct directory_stats;
struct dirsearch_attr;
struct req;
struct store_token_auth;

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
 * these); one asked for in the body follows it after ": ". */
#define AUTHN_LOGIN_DESCRIPTION "created by POST /login"

/* --- what the clusters see: shared with the user API (me.c) ------------- */

/* The user a TokenReview answers: username (with username_prefix), uid,
 * groups (the directory's with group_prefix, then default_groups; never a
 * "system:" name) and extra. */
struct authn_user {
	char *username;                         /* malloc'd */
	const char *uid;                        /* borrowed from the entry, or NULL */
	char **groups;                          /* malloc'd, each malloc'd */
	size_t ngroups;
	const struct dirsearch_attr *extra;     /* borrowed from the entry */
	size_t nextra;
};
void authn_user_cleanup(struct authn_user *au);

/* Who the token TOK (found live by the caller) is to the clusters now:
 * the directory entry of its user (through the worker's cache), made into
 * what a TokenReview answers — the one code path for both. Returns 0 with
 * *OUTCOME COUNTERS_AUTHN_AUTHENTICATED and *AU filled (borrowing from the
 * worker's directory cache until its next lookup: free with
 * authn_user_cleanup), or 0 with the refusal in *OUTCOME (and, sometimes,
 * DETAIL for the log); -1 when the directory cannot answer. *STATS says
 * where the time went. */
int authn_identify(struct req *r, const struct store_token_auth *tok,
    struct authn_user *au, enum counters_authn *outcome, char *detail,
    size_t detail_len, struct directory_stats *stats);
/* AU's members (username, uid, groups, extra) into an open JSON map. */
void authn_user_gen(yajl_gen g, const struct authn_user *au);
/* The status.error of a refusal ("user not found in directory"). Static. */
const char *authn_error_text(enum counters_authn outcome);

/* The token of R's "Authorization: Bearer" header, when it is live (found,
 * not revoked, not expired), in *TOK. Returns 0, or -1 after failing R:
 * 401 {"error": "invalid token"} with WWW-Authenticate: Bearer for any
 * other token or none (an audit line names it, for WHAT: "logout"), 503
 * when the database cannot answer. */
int authn_bearer(struct req *r, const char *what, struct store_token_auth *tok);

/* What POST /login checks in its optional body ({"ttl"?, "expiry"?,
 * "clusters"?, "description"?}) before any bind, without a request or a
 * database (fuzz/ drives it): LEN bytes at TEXT. login.ttl and
 * tokens.max_ttl come from CONF, NOW is the time. Returns 0, or -1 with
 * the client's message in ERR. */
int authn_login_body_check(const char *text, size_t len,
    const struct conf *conf, int64_t now, char *err, size_t errlen);

#endif
