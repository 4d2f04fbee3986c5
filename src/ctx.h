/*
 * ctx.h — what a request handler may use: the worker's configuration and
 * secrets (inherited from the master, read-only), its own connections, and
 * its caches. One per worker; req->ctx borrows it for each request.
 */
#ifndef KA_CTX_H
#define KA_CTX_H

struct authz_cache;
struct conf;
struct db;
struct directory;
struct health_cache;
struct secrets;

struct ctx {
	const struct conf *conf;
	const struct secrets *secrets;
	struct db *db;                  /* this worker's MariaDB connection */
	struct directory *dir;          /* this worker's LDAP connection */
	struct authz_cache *authz;      /* compiled rules (authz.c); NULL
	                                   until the first SubjectAccessReview */
	struct health_cache *health;    /* /healthz's last check (health.c) */
};

#endif
