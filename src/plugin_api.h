/*
 * plugin_api.h — what the credential plugin asks the service (the user
 * API, doc/user-api.md), over http.c, and the parsers of its answers.
 *
 * The parsers are pure (bytes in, fields out) so that fuzz/ can drive
 * them: an answer is outside input even from one's own service. Messages
 * put in ERR are one line for the person at the terminal, with the
 * service's own {"error": ...} text where it gave one (control characters
 * replaced).
 */
#ifndef KA_PLUGIN_API_H
#define KA_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define PLUGIN_API_MAX_ARGS 32

struct plugin_api {
	const char *url;                /* the service, without trailing / */
	struct http_opts http;
};

/* A token the service made (POST /login). */
struct plugin_api_token {
	char *id;
	char *token;                    /* the secret */
	int64_t expiry_us;
};
void plugin_api_token_cleanup(struct plugin_api_token *t);

/* What GET /me/kubeconfig answers, checked: one cluster, one user running
 * this plugin, one context. */
struct plugin_api_kubeconfig {
	char *cluster;                  /* the cluster entry's name */
	char *server;                   /* https:// */
	char *ca_data;                  /* base64, or NULL */
	char *user_entry;               /* the users: entry's name */
	char *context;
	char *exec_api_version;         /* PLUGIN_CRED_V1 or _V1BETA1 */
	char *args[PLUGIN_API_MAX_ARGS];  /* the exec args, args[0] "get-token" */
	size_t nargs;
	const char *user;               /* the value after "--user" in args, or NULL */
};
void plugin_api_kubeconfig_cleanup(struct plugin_api_kubeconfig *kc);

/* POST /login as USER with PASSWORD (HTTP Basic), asking for a token
 * scoped to CLUSTER, for TTL (a duration, or NULL: the service's
 * login.ttl), described as DESCRIPTION. Returns 0 with *T, or -1 with ERR
 * ("wrong username or password" for a 401). *RETRY_AFTER is the service's
 * Retry-After after a 429, else -1. */
int plugin_api_login(const struct plugin_api *api, const char *user,
    const char *password, const char *cluster, const char *ttl,
    const char *description, struct plugin_api_token *t, long *retry_after,
    char *err, size_t errlen);

/* GET /me with TOKEN: is it still good? *VALID true on 200; false on 401
 * (revoked, expired, unknown) and on 403 (a cluster would refuse it now:
 * the user's directory entry changed; a new login may be a new local
 * user), with the reason in ERR for a 403. Returns 0, or -1 with ERR for
 * anything else (the service down). */
int plugin_api_check(const struct plugin_api *api, const char *token,
    bool *valid, char *err, size_t errlen);

/* DELETE /me/tokens/ID with TOKEN (the token revoking itself). A token
 * already gone (401, 404) counts as revoked. Returns 0, or -1 with ERR. */
int plugin_api_revoke(const struct plugin_api *api, const char *token,
    const char *id, char *err, size_t errlen);

/* GET /me/kubeconfig?cluster=CLUSTER with TOKEN, checked, into *KC.
 * Returns 0, or -1 with ERR. */
int plugin_api_kubeconfig(const struct plugin_api *api, const char *token,
    const char *cluster, struct plugin_api_kubeconfig *kc, char *err,
    size_t errlen);

/* --- the parsers (pure) --------------------------------------------------- */

/* A POST /login answer (201): id, token, expiry. Returns 0 with *T, or -1
 * (free *T with plugin_api_token_cleanup either way). */
int plugin_api_parse_token(const char *body, size_t len,
    struct plugin_api_token *t);

/* A GET /me/kubeconfig answer: exactly one cluster (https:// server,
 * base64 CA data when any), one user whose exec runs KUBECONFIG_PLUGIN_COMMAND
 * "get-token" with at most PLUGIN_API_MAX_ARGS string arguments, one
 * context; names 1..255 bytes without control characters. Returns 0 with
 * *KC, or -1 with ERR (free *KC either way). */
int plugin_api_parse_kubeconfig(const char *body, size_t len,
    struct plugin_api_kubeconfig *kc, char *err, size_t errlen);

/* The "error" text of an error answer's BODY, control characters and
 * non-ASCII replaced, at most OUTLEN - 1 bytes; "" when there is none. */
void plugin_api_error_text(const char *body, size_t len, char *out,
    size_t outlen);

#endif
