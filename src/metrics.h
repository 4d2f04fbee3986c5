/*
 * metrics.h — Prometheus counters shared by every worker.
 *
 * The master maps one block of atomic counters before it forks; workers add
 * to it with atomic_fetch_add (no locks between processes) and any worker
 * renders the sum at GET /metrics. Counters survive worker deaths and
 * reloads; they restart with the master.
 */
#ifndef KA_METRICS_H
#define KA_METRICS_H

#include <stdbool.h>

struct req;

enum metrics_backend { METRICS_DATABASE, METRICS_LDAP, METRICS_NBACKENDS };

enum metrics_authz {
	METRICS_AUTHZ_ALLOWED,
	METRICS_AUTHZ_DENIED,
	METRICS_AUTHZ_NO_OPINION,
	METRICS_AUTHZ_ERROR,
	METRICS_NAUTHZ,
};

/* Map the shared block (master, before forking). Returns 0 or -1. */
int metrics_init_master(void);

/* One answered request: ROUTE is the index of the router table row (or
 * router_route_count() when nothing matched), STATUS the HTTP status. */
void metrics_request(int route, int status, long elapsed_us);

/* One authentication decision: REASON is "authenticated" or one of the
 * status.error strings, or "unavailable" for a 503. */
void metrics_authn(const char *reason);
void metrics_authz(enum metrics_authz verdict);
void metrics_backend_error(enum metrics_backend backend);
void metrics_worker_started(void);
void metrics_worker_died(bool crashed);

/* GET /metrics: the Prometheus text format. With metrics_token_file set,
 * only "Authorization: Bearer <that token>" is let in (never the admin
 * token); without it, access is nginx's business (an allow list). */
void metrics_get(struct req *r);

#endif
