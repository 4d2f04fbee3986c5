/*
 * health.h — GET /healthz: are MariaDB and LDAP answering?
 */
#ifndef KA_HEALTH_H
#define KA_HEALTH_H

struct health_cache;
struct req;

/* 200 {"status":"ok","database":"ok","database_node":"HOST:PORT",
 * "ldap":"ok"} when both backends answer (on a Galera node also
 * "database_state" and "database_synced"), else 503 naming the failed
 * one. Each worker keeps its result for a second so that the
 * endpoint (which needs no token) cannot be used to load the backends. */
void health_get(struct req *r);

/* Free a worker's health cache (ctx->health; NULL is fine). */
void health_cache_free(struct health_cache *cache);

#endif
