/*
 * metrics.c — counters in shared memory, rendered as Prometheus text.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "conf.h"
#include "crypto.h"
#include "json.h"
#include "log.h"
#include "req.h"
#include "router.h"
#include "secret.h"
#include "worker.h"

#define METRICS_MAX_ROUTES 64

/* Statuses the service answers; anything else counts as "other". */
static const int metrics_statuses[] = {
	200, 201, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503,
};
#define METRICS_NSTATUS (sizeof(metrics_statuses) / sizeof(metrics_statuses[0]) + 1)

/* Latency buckets in microseconds (le="0.0005" ... le="10" seconds). */
static const long metrics_buckets_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
#define METRICS_NBUCKETS (sizeof(metrics_buckets_us) / sizeof(metrics_buckets_us[0]))

/* The authentication outcomes of DESIGN.md, in this order. */
static const char *const metrics_authn_reasons[] = {
	"authenticated", "No token found", "token not found", "token expired",
	"token revoked", "token not valid for this cluster",
	"user not found in directory", "user matches several directory entries",
	"user not allowed", "unavailable", "other",
};
#define METRICS_NAUTHN (sizeof(metrics_authn_reasons) / sizeof(metrics_authn_reasons[0]))

static const char *const metrics_authz_names[METRICS_NAUTHZ] = {
	"allowed", "denied", "no-opinion", "error",
};
static const char *const metrics_backend_names[METRICS_NBACKENDS] = {
	"database", "ldap",
};

struct metrics_route {
	_Atomic unsigned long long by_status[METRICS_NSTATUS];
	_Atomic unsigned long long buckets[METRICS_NBUCKETS]; /* not cumulative */
	_Atomic unsigned long long count;
	_Atomic unsigned long long sum_us;
};

struct metrics_block {
	struct metrics_route routes[METRICS_MAX_ROUTES + 1];  /* + unmatched */
	_Atomic unsigned long long authn[METRICS_NAUTHN];
	_Atomic unsigned long long authz[METRICS_NAUTHZ];
	_Atomic unsigned long long backend_errors[METRICS_NBACKENDS];
	_Atomic unsigned long long worker_starts;
	_Atomic unsigned long long worker_deaths;
	_Atomic unsigned long long worker_crashes;
};

static struct metrics_block *metrics;

int
metrics_init_master(void)
{
	if (router_route_count() > METRICS_MAX_ROUTES)
		fatalx("metrics: %d routes, room for %d", router_route_count(),
		    METRICS_MAX_ROUTES);
	metrics = mmap(NULL, sizeof(*metrics), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (metrics == MAP_FAILED) {
		metrics = NULL;
		log_warn("mmap for metrics");
		return -1;
	}
	return 0;
}

static size_t
metrics_status_index(int status)
{
	size_t i;
	for (i = 0; i < METRICS_NSTATUS - 1; i++)
		if (metrics_statuses[i] == status)
			return i;
	return METRICS_NSTATUS - 1;
}

void
metrics_request(int route, int status, long elapsed_us)
{
	struct metrics_route *m;
	size_t b;

	if (metrics == NULL)
		return;
	if (route < 0 || route > router_route_count())
		route = router_route_count();
	m = &metrics->routes[route];
	atomic_fetch_add(&m->by_status[metrics_status_index(status)], 1);
	for (b = 0; b < METRICS_NBUCKETS; b++)
		if (elapsed_us <= metrics_buckets_us[b]) {
			atomic_fetch_add(&m->buckets[b], 1);
			break;
		}
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->sum_us, elapsed_us > 0 ? (unsigned long long)elapsed_us : 0);
}

void
metrics_authn(const char *reason)
{
	size_t i;

	if (metrics == NULL)
		return;
	for (i = 0; i < METRICS_NAUTHN - 1; i++)
		if (strcmp(metrics_authn_reasons[i], reason) == 0)
			break;
	atomic_fetch_add(&metrics->authn[i], 1);
}

void
metrics_authz(enum metrics_authz verdict)
{
	if (metrics != NULL && verdict < METRICS_NAUTHZ)
		atomic_fetch_add(&metrics->authz[verdict], 1);
}

void
metrics_backend_error(enum metrics_backend backend)
{
	if (metrics != NULL && backend < METRICS_NBACKENDS)
		atomic_fetch_add(&metrics->backend_errors[backend], 1);
}

void
metrics_worker_started(void)
{
	if (metrics != NULL)
		atomic_fetch_add(&metrics->worker_starts, 1);
}

void
metrics_worker_died(bool crashed)
{
	if (metrics == NULL)
		return;
	atomic_fetch_add(&metrics->worker_deaths, 1);
	if (crashed)
		atomic_fetch_add(&metrics->worker_crashes, 1);
}

/* A growing text buffer for the answer. */
struct metrics_text {
	char *buf;
	size_t len, cap;
};

static void metrics_printf(struct metrics_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
metrics_printf(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("metrics: vsnprintf");
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = (t->cap + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		if (t->buf == NULL)
			fatal("realloc");
	}
	t->len += n;
}

static void
metrics_render(struct metrics_text *t)
{
	int r, nroutes = router_route_count();
	size_t i, b;

	metrics_printf(t, "# HELP kubernetes_auth_build_info Version of the running service.\n"
	    "# TYPE kubernetes_auth_build_info gauge\n"
	    "kubernetes_auth_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);

	metrics_printf(t, "# HELP kubernetes_auth_requests_total Answered requests by route and status.\n"
	    "# TYPE kubernetes_auth_requests_total counter\n");
	for (r = 0; r <= nroutes; r++) {
		const char *method = r < nroutes ? router_route_method(r) : "";
		const char *pattern = r < nroutes ? router_route_pattern(r) : "unmatched";
		for (i = 0; i < METRICS_NSTATUS; i++) {
			unsigned long long v = atomic_load(&metrics->routes[r].by_status[i]);
			if (v == 0)
				continue;
			if (i < METRICS_NSTATUS - 1)
				metrics_printf(t, "kubernetes_auth_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%d\"} %llu\n", method, pattern,
				    metrics_statuses[i], v);
			else
				metrics_printf(t, "kubernetes_auth_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"other\"} %llu\n", method, pattern, v);
		}
	}

	metrics_printf(t, "# HELP kubernetes_auth_request_duration_seconds Time from accept to answer, by route.\n"
	    "# TYPE kubernetes_auth_request_duration_seconds histogram\n");
	for (r = 0; r <= nroutes; r++) {
		struct metrics_route *m = &metrics->routes[r];
		unsigned long long count = atomic_load(&m->count), cumulative = 0;
		if (count == 0)
			continue;
		const char *method = r < nroutes ? router_route_method(r) : "";
		const char *pattern = r < nroutes ? router_route_pattern(r) : "unmatched";
		for (b = 0; b < METRICS_NBUCKETS; b++) {
			cumulative += atomic_load(&m->buckets[b]);
			metrics_printf(t, "kubernetes_auth_request_duration_seconds_bucket"
			    "{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", method, pattern,
			    metrics_buckets_us[b] / 1e6, cumulative);
		}
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_bucket"
		    "{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", method, pattern, count);
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_sum"
		    "{method=\"%s\",route=\"%s\"} %.6f\n", method, pattern,
		    atomic_load(&m->sum_us) / 1e6);
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_count"
		    "{method=\"%s\",route=\"%s\"} %llu\n", method, pattern, count);
	}

	metrics_printf(t, "# HELP kubernetes_auth_authentications_total TokenReview decisions by reason.\n"
	    "# TYPE kubernetes_auth_authentications_total counter\n");
	for (i = 0; i < METRICS_NAUTHN; i++)
		metrics_printf(t, "kubernetes_auth_authentications_total{reason=\"%s\"} %llu\n",
		    metrics_authn_reasons[i], atomic_load(&metrics->authn[i]));

	metrics_printf(t, "# HELP kubernetes_auth_authorizations_total SubjectAccessReview decisions by effect.\n"
	    "# TYPE kubernetes_auth_authorizations_total counter\n");
	for (i = 0; i < METRICS_NAUTHZ; i++)
		metrics_printf(t, "kubernetes_auth_authorizations_total{decision=\"%s\"} %llu\n",
		    metrics_authz_names[i], atomic_load(&metrics->authz[i]));

	metrics_printf(t, "# HELP kubernetes_auth_backend_errors_total Failed calls to a backend.\n"
	    "# TYPE kubernetes_auth_backend_errors_total counter\n");
	for (i = 0; i < METRICS_NBACKENDS; i++)
		metrics_printf(t, "kubernetes_auth_backend_errors_total{backend=\"%s\"} %llu\n",
		    metrics_backend_names[i], atomic_load(&metrics->backend_errors[i]));

	metrics_printf(t, "# HELP kubernetes_auth_worker_starts_total Workers started.\n"
	    "# TYPE kubernetes_auth_worker_starts_total counter\n"
	    "kubernetes_auth_worker_starts_total %llu\n"
	    "# HELP kubernetes_auth_worker_deaths_total Workers that exited, for any reason.\n"
	    "# TYPE kubernetes_auth_worker_deaths_total counter\n"
	    "kubernetes_auth_worker_deaths_total %llu\n"
	    "# HELP kubernetes_auth_worker_crashes_total Workers that died by a signal or a non-zero exit.\n"
	    "# TYPE kubernetes_auth_worker_crashes_total counter\n"
	    "kubernetes_auth_worker_crashes_total %llu\n",
	    atomic_load(&metrics->worker_starts), atomic_load(&metrics->worker_deaths),
	    atomic_load(&metrics->worker_crashes));
}

/* With a metrics token configured, the request must carry it as a bearer
 * token; compared as SHA-256 digests in constant time. */
static bool
metrics_allowed(struct req *r)
{
	const unsigned char *want = r->worker->secrets->metrics_token_digest;
	const char *auth = req_param(r, "HTTP_AUTHORIZATION");
	unsigned char got[CRYPTO_SHA256_LEN];

	if (!r->worker->secrets->has_metrics_token)
		return true;
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	if (crypto_sha256(auth + 7, strlen(auth + 7), got) < 0)
		return false;
	return crypto_equal(got, want, sizeof(got));
}

void
metrics_get(struct req *r)
{
	struct metrics_text t = { 0 };

	if (!metrics_allowed(r)) {
		req_fail(r, 401, "missing or invalid bearer token for /metrics");
		return;
	}
	if (metrics == NULL) {
		req_fail(r, 503, "metrics unavailable");
		return;
	}
	t.cap = 16384;
	t.buf = malloc(t.cap);
	if (t.buf == NULL)
		fatal("malloc");
	metrics_render(&t);
	req_send_text(r, 200, "text/plain; version=0.0.4", t.buf, t.len);
	free(t.buf);
}
