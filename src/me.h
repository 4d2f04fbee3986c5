/*
 * me.h — the user API: what a user may do with one of their own tokens
 * (Authorization: Bearer), never with the admin token. doc/user-api.md.
 *
 * Every handler first finds the bearer token live (authn_bearer(): 401
 * otherwise), works only on that token's user, and writes an audit line
 * (level 4) naming the token by id, never a secret.
 */
#ifndef KA_ME_H
#define KA_ME_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct req;

void me_get(struct req *r);             /* GET /me */
void me_tokens_list(struct req *r);     /* GET /me/tokens */
void me_tokens_create(struct req *r);   /* POST /me/tokens */
void me_tokens_delete(struct req *r);   /* DELETE /me/tokens/{id} */
void me_kubeconfig(struct req *r);      /* GET /me/kubeconfig?cluster=NAME */

/* What POST /me/tokens checks in a body before the store sees it, without
 * a request or a database (fuzz/ drives it): LEN bytes at TEXT, with
 * login.ttl and tokens.max_ttl from CONF and NOW as the time. Returns 0, or
 * -1 with the client's message in ERR. */
int me_token_body_check(const char *text, size_t len, const struct conf *conf,
    int64_t now, char *err, size_t errlen);

/* The apiVersion a kubeconfig from GET /me/kubeconfig runs the credential
 * plugin (KUBECONFIG_PLUGIN_COMMAND) with: every kubectl since 1.11 speaks
 * v1beta1; v1 needs 1.22. */
#define ME_PLUGIN_API_VERSION "client.authentication.k8s.io/v1beta1"

#endif
