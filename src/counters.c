/*
 * counters.c — atomic counters in one shared mapping.
 */
#include "counters.h"

#include <stdatomic.h>
#include <sys/mman.h>

#include "log.h"

#define COUNTERS_MAX_ROUTES 64

const int counters_statuses[COUNTERS_NSTATUS - 1] = {
	200, 201, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503,
};

/* le="0.0005" ... le="10" seconds */
const long counters_buckets_us[COUNTERS_NBUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

/* The TokenReview outcomes: "authenticated", the status.error strings of
 * doc/authentication.md, then the two that are no decision. */
static const char *const counters_authn_names[COUNTERS_NAUTHN] = {
	"authenticated", "No token found", "token not found", "token expired",
	"token revoked", "token not valid for this cluster",
	"user not found in directory", "user matches several directory entries",
	"user not allowed", "unavailable", "other",
};

static const char *const counters_authz_names[COUNTERS_NAUTHZ] = {
	"allowed", "denied", "no-opinion", "error",
};

static const char *const counters_backend_names[COUNTERS_NBACKENDS] = {
	"database", "ldap",
};

struct counters_shared_route {
	_Atomic unsigned long long by_status[COUNTERS_NSTATUS];
	_Atomic unsigned long long buckets[COUNTERS_NBUCKETS];
	_Atomic unsigned long long count;
	_Atomic unsigned long long sum_us;
};

struct counters_block {
	struct counters_shared_route routes[COUNTERS_MAX_ROUTES + 1];
	_Atomic unsigned long long authn[COUNTERS_NAUTHN];
	_Atomic unsigned long long authz[COUNTERS_NAUTHZ];
	_Atomic unsigned long long backend_errors[COUNTERS_NBACKENDS];
	_Atomic unsigned long long worker_starts;
	_Atomic unsigned long long worker_deaths;
	_Atomic unsigned long long worker_crashes;
};

static struct counters_block *counters;
static const struct counters_label *counters_labels;
static int counters_routes;

int
counters_init_master(const struct counters_label *labels, int nroutes)
{
	if (nroutes < 0 || nroutes > COUNTERS_MAX_ROUTES) {
		log_warnx("counters: %d routes, room for %d", nroutes,
		    COUNTERS_MAX_ROUTES);
		return -1;
	}
	counters = mmap(NULL, sizeof(*counters), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counters == MAP_FAILED) {
		counters = NULL;
		log_warn("mmap for counters");
		return -1;
	}
	counters_labels = labels;
	counters_routes = nroutes;
	return 0;
}

bool
counters_ready(void)
{
	return counters != NULL;
}

static size_t
counters_status_index(int status)
{
	size_t i;

	for (i = 0; i < COUNTERS_NSTATUS - 1; i++)
		if (counters_statuses[i] == status)
			return i;
	return COUNTERS_NSTATUS - 1;
}

void
counters_request(int route, int status, long elapsed_us)
{
	struct counters_shared_route *m;
	size_t b;

	if (counters == NULL)
		return;
	if (route < 0 || route > counters_routes)
		route = counters_routes;
	m = &counters->routes[route];
	atomic_fetch_add(&m->by_status[counters_status_index(status)], 1);
	for (b = 0; b < COUNTERS_NBUCKETS; b++)
		if (elapsed_us <= counters_buckets_us[b]) {
			atomic_fetch_add(&m->buckets[b], 1);
			break;
		}
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->sum_us,
	    elapsed_us > 0 ? (unsigned long long)elapsed_us : 0);
}

void
counters_authn(enum counters_authn outcome)
{
	if (counters != NULL && outcome < COUNTERS_NAUTHN)
		atomic_fetch_add(&counters->authn[outcome], 1);
}

void
counters_authz(enum counters_authz outcome)
{
	if (counters != NULL && outcome < COUNTERS_NAUTHZ)
		atomic_fetch_add(&counters->authz[outcome], 1);
}

void
counters_backend_error(enum counters_backend backend)
{
	if (counters != NULL && backend < COUNTERS_NBACKENDS)
		atomic_fetch_add(&counters->backend_errors[backend], 1);
}

void
counters_worker_started(void)
{
	if (counters != NULL)
		atomic_fetch_add(&counters->worker_starts, 1);
}

void
counters_worker_died(bool crashed)
{
	if (counters == NULL)
		return;
	atomic_fetch_add(&counters->worker_deaths, 1);
	if (crashed)
		atomic_fetch_add(&counters->worker_crashes, 1);
}

int
counters_nroutes(void)
{
	return counters_routes;
}

void
counters_route_label(int route, const char **method, const char **pattern)
{
	if (route >= 0 && route < counters_routes) {
		*method = counters_labels[route].method;
		*pattern = counters_labels[route].pattern;
	} else {
		*method = "";
		*pattern = "unmatched";
	}
}

void
counters_route(int route, struct counters_route *out)
{
	const struct counters_shared_route *m;
	size_t i;

	*out = (struct counters_route){ 0 };
	if (counters == NULL || route < 0 || route > counters_routes)
		return;
	m = &counters->routes[route];
	for (i = 0; i < COUNTERS_NSTATUS; i++)
		out->by_status[i] = atomic_load(&m->by_status[i]);
	for (i = 0; i < COUNTERS_NBUCKETS; i++)
		out->buckets[i] = atomic_load(&m->buckets[i]);
	out->count = atomic_load(&m->count);
	out->sum_us = atomic_load(&m->sum_us);
}

unsigned long long
counters_authn_count(enum counters_authn outcome)
{
	return counters != NULL && outcome < COUNTERS_NAUTHN ?
	    atomic_load(&counters->authn[outcome]) : 0;
}

unsigned long long
counters_authz_count(enum counters_authz outcome)
{
	return counters != NULL && outcome < COUNTERS_NAUTHZ ?
	    atomic_load(&counters->authz[outcome]) : 0;
}

unsigned long long
counters_backend_errors(enum counters_backend backend)
{
	return counters != NULL && backend < COUNTERS_NBACKENDS ?
	    atomic_load(&counters->backend_errors[backend]) : 0;
}

void
counters_workers(unsigned long long *starts, unsigned long long *deaths,
    unsigned long long *crashes)
{
	*starts = *deaths = *crashes = 0;
	if (counters == NULL)
		return;
	*starts = atomic_load(&counters->worker_starts);
	*deaths = atomic_load(&counters->worker_deaths);
	*crashes = atomic_load(&counters->worker_crashes);
}

const char *
counters_authn_name(enum counters_authn outcome)
{
	return outcome < COUNTERS_NAUTHN ? counters_authn_names[outcome] : "?";
}

const char *
counters_authz_name(enum counters_authz outcome)
{
	return outcome < COUNTERS_NAUTHZ ? counters_authz_names[outcome] : "?";
}

const char *
counters_backend_name(enum counters_backend backend)
{
	return backend < COUNTERS_NBACKENDS ? counters_backend_names[backend] : "?";
}
