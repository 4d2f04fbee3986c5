/*
 * counters.h — the service's counters, shared by every process.
 *
 * The master maps one block of atomic counters before it forks; workers add
 * to it with atomic_fetch_add (no locks between processes). Counters
 * survive worker deaths and reloads; they restart with the master. This
 * module knows nothing of HTTP: backends count their errors here, and the
 * GET /metrics handler (metrics.c) reads the block to render it.
 */
#ifndef KA_COUNTERS_H
#define KA_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>

enum counters_backend { COUNTERS_DATABASE, COUNTERS_LDAP, COUNTERS_NBACKENDS };

/* The outcome of one TokenReview request: exactly one is counted per
 * request that reached the handler. */
enum counters_authn {
	COUNTERS_AUTHN_AUTHENTICATED,
	COUNTERS_AUTHN_NO_TOKEN,
	COUNTERS_AUTHN_UNKNOWN,
	COUNTERS_AUTHN_EXPIRED,
	COUNTERS_AUTHN_REVOKED,
	COUNTERS_AUTHN_WRONG_CLUSTER,
	COUNTERS_AUTHN_NOT_IN_DIRECTORY,
	COUNTERS_AUTHN_AMBIGUOUS,
	COUNTERS_AUTHN_NOT_ALLOWED,
	COUNTERS_AUTHN_UNAVAILABLE,     /* a backend could not answer (503) */
	COUNTERS_AUTHN_OTHER,           /* refused before a decision: 400,
	                                   unknown cluster, client certificate */
	COUNTERS_NAUTHN,
};

/* The outcome of one SubjectAccessReview request, likewise. */
enum counters_authz {
	COUNTERS_AUTHZ_ALLOWED,
	COUNTERS_AUTHZ_DENIED,
	COUNTERS_AUTHZ_NO_OPINION,
	COUNTERS_AUTHZ_ERROR,           /* refused before a decision */
	COUNTERS_NAUTHZ,
};

/* Latency buckets, upper bounds in microseconds. */
#define COUNTERS_NBUCKETS 14
extern const long counters_buckets_us[COUNTERS_NBUCKETS];

/* HTTP statuses counted one by one; anything else is "other" (index
 * COUNTERS_NSTATUS - 1). */
#define COUNTERS_NSTATUS 13
extern const int counters_statuses[COUNTERS_NSTATUS - 1];

/* One route's requests (not cumulative: bucket B counts those that took
 * more than bucket B-1's bound and at most bucket B's). */
struct counters_route {
	unsigned long long by_status[COUNTERS_NSTATUS];
	unsigned long long buckets[COUNTERS_NBUCKETS];
	unsigned long long count;
	unsigned long long sum_us;
};

/* A route as /metrics labels it. */
struct counters_label {
	const char *method;
	const char *pattern;
};

/* Map the shared block for NROUTES routes, labelled by LABELS (borrowed:
 * they must live as long as the process), plus one for requests no route
 * matched (master, before forking). Returns 0 or -1 (logged). */
int counters_init_master(const struct counters_label *labels, int nroutes);

/* Has the block been mapped? (Tools that never do count nothing.) */
bool counters_ready(void);

/* One answered request: ROUTE is a route's index, or anything outside
 * 0..nroutes-1 for "no route matched". */
void counters_request(int route, int status, long elapsed_us);
void counters_authn(enum counters_authn outcome);
void counters_authz(enum counters_authz outcome);
void counters_backend_error(enum counters_backend backend);
void counters_worker_started(void);
void counters_worker_died(bool crashed);

/* Reading, for rendering: ROUTE in 0..nroutes (nroutes = unmatched,
 * labelled method "" and pattern "unmatched"). */
int counters_nroutes(void);
void counters_route_label(int route, const char **method, const char **pattern);
void counters_route(int route, struct counters_route *out);
unsigned long long counters_authn_count(enum counters_authn outcome);
unsigned long long counters_authz_count(enum counters_authz outcome);
unsigned long long counters_backend_errors(enum counters_backend backend);
void counters_workers(unsigned long long *starts, unsigned long long *deaths,
    unsigned long long *crashes);

/* Labels: the reason / decision / backend names /metrics shows. */
const char *counters_authn_name(enum counters_authn outcome);
const char *counters_authz_name(enum counters_authz outcome);
const char *counters_backend_name(enum counters_backend backend);

#endif
