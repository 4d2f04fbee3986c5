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

struct req;

void authn_token_review(struct req *r);  /* POST /authenticate[/token[/{}]] */
void authn_login(struct req *r);         /* POST /login (HTTP Basic) */
void authn_logout(struct req *r);        /* POST /logout (Bearer) */

/* May R act for a cluster whose client_cn is CLIENT_CN (NULL = not bound)?
 * True when unbound, or when nginx verified a client certificate
 * (SSL_CLIENT_VERIFY=SUCCESS) whose subject (SSL_CLIENT_S_DN) holds exactly
 * one CN, equal to CLIENT_CN. For every webhook path of a cluster. */
bool authn_cluster_client_allowed(const struct req *r, const char *client_cn);

/* The description of tokens made by POST /login (login.max_tokens counts
 * these). */
#define AUTHN_LOGIN_DESCRIPTION "created by POST /login"

#endif
