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

struct req;

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

#endif
