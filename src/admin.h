/*
 * admin.h — the admin API: users, tokens, clusters.
 *
 * Every handler first checks x-auth-token (FastCGI HTTP_X_AUTH_TOKEN)
 * against the admin tokens (401 otherwise), then reads the body as JSON
 * whatever its Content-Type (the original's walk-through uses plain
 * `curl -d`). Unknown fields are ignored, as the original did. Changes
 * are logged at level 4 as audit lines naming the admin token's name,
 * never a token. Shapes: doc/admin-api.md.
 */
#ifndef KA_ADMIN_H
#define KA_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl_tree.h>

#include "store.h"

struct conf;
struct req;

/* Shared with the other admin handlers (policies_api.c). */
/* Check x-auth-token: the admin token's name, or NULL after 401. */
const char *admin_auth(struct req *r);
/* Path parameter IDX as a lowercase UUID in OUT, or -1 after 404 "WHAT not
 * found": a malformed id names nothing, like an unknown one. */
int admin_path_id(struct req *r, size_t idx, const char *what,
    char out[STORE_ID_LEN + 1]);
/* The body as a JSON object in *tree (caller frees), or -1 after 400. */
int admin_body(struct req *r, yajl_val *tree);
/* The same for a body whose every field is optional: an empty or blank
 * one is *tree NULL (json_get() finds nothing in it) and no error. */
int admin_body_optional(struct req *r, yajl_val *tree);

/* The fields every way of making a token reads from its body (POST
 * /tokens, POST /me/tokens in me.c, POST /login in authn.c), each with its
 * own limits. */
struct admin_token_fields {
	const char *description;        /* borrowed from the body; "" if absent */
	int64_t expiry_us;
	const char **clusters;          /* malloc'd, names borrowed from the */
	size_t nclusters;               /* body; 0 = valid everywhere */
};
struct admin_token_limits {
	int64_t default_ms;             /* lifetime with neither ttl nor expiry */
	int64_t max_ms;                 /* the longest one may ask for... */
	const char *max_name;           /* ...named so in messages */
	size_t description_max;         /* characters */
};
/* "description" (absent or null: ""), "expiry" (RFC 3339) or "ttl" (a Go
 * duration string, or seconds as a number) from NOW, and "clusters" (1 to
 * 100 distinct names; absent or null: none) of BODY (NULL: no body) into
 * *F; free F->clusters, also after a failure. Returns 0 or -1 after
 * failing R with 400. */
int admin_token_fields_parse(struct req *r, yajl_val body, int64_t now,
    const struct admin_token_limits *lim, struct admin_token_fields *f);

void admin_users_list(struct req *r);           /* GET /users[?username=] */
void admin_users_create(struct req *r);         /* POST /users */
void admin_users_get(struct req *r);            /* GET /users/{id} */
void admin_users_delete(struct req *r);         /* DELETE /users/{id} */

void admin_tokens_list(struct req *r);          /* GET /tokens[?user_id=] */
void admin_tokens_create(struct req *r);        /* POST /tokens */
void admin_tokens_get(struct req *r);           /* GET /tokens/{id} */
void admin_tokens_delete(struct req *r);        /* DELETE /tokens/{id} */

void admin_clusters_list(struct req *r);        /* GET /clusters[?name=] */
void admin_clusters_create(struct req *r);      /* POST /clusters */
void admin_clusters_get(struct req *r);         /* GET /clusters/{id} */
void admin_clusters_delete(struct req *r);      /* DELETE /clusters/{id} */
void admin_clusters_kubeconfig(struct req *r);  /* GET /clusters/{id}/webhook-kubeconfig */

/* What POST /users, /tokens and /clusters check in a body before the store
 * sees it, without a request or a database (fuzz/ drives these): LEN bytes
 * at TEXT (no NUL needed after them). Returns 0, or -1 with the message the
 * client would get in ERR. The token check reads tokens.ttl and max_ttl from
 * CONF and takes NOW (microseconds since 1970) as the current time. */
int admin_user_body_check(const char *text, size_t len, char *err, size_t errlen);
int admin_token_body_check(const char *text, size_t len, const struct conf *conf,
    int64_t now, char *err, size_t errlen);
int admin_cluster_body_check(const char *text, size_t len, char *err,
    size_t errlen);

/* Is NAME a name POST /clusters accepts now: a DNS-1123 label (at most 63
 * lowercase letters, digits and '-', a letter or digit at both ends)?
 * Clusters made before, or imported, may have others. Pure. */
bool admin_cluster_name_valid(const char *name);

/* Is URL what a cluster's "server" may be: https://, a host name or
 * address ([IPv6] in brackets), an optional port 1..65535 and path, no
 * user information, query or fragment, visible ASCII only, at most
 * STORE_SERVER_MAX bytes? Pure. */
bool admin_server_url_valid(const char *url);

#endif
