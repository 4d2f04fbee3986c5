/*
 * metrics.c — GET /metrics: the shared counters rendered as Prometheus text.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "crypto.h"
#include "log.h"
#include "req.h"
#include "secrets.h"
#include "ctx.h"

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
metrics_render_requests(struct metrics_text *t)
{
	struct counters_route c;
	const char *method, *pattern;
	int r;
	size_t i;

	metrics_printf(t, "# HELP kubernetes_auth_requests_total Answered requests by route and status.\n"
	    "# TYPE kubernetes_auth_requests_total counter\n");
	for (r = 0; r <= counters_nroutes(); r++) {
		counters_route(r, &c);
		counters_route_label(r, &method, &pattern);
		for (i = 0; i < COUNTERS_NSTATUS; i++) {
			char status[16];
			if (c.by_status[i] == 0)
				continue;
			if (i < COUNTERS_NSTATUS - 1)
				snprintf(status, sizeof(status), "%d", counters_statuses[i]);
			else
				snprintf(status, sizeof(status), "other");
			metrics_printf(t, "kubernetes_auth_requests_total{method=\"%s\","
			    "route=\"%s\",status=\"%s\"} %llu\n", method, pattern,
			    status, c.by_status[i]);
		}
	}
}

static void
metrics_render_durations(struct metrics_text *t)
{
	struct counters_route c;
	const char *method, *pattern;
	unsigned long long cumulative;
	int r;
	size_t b;

	metrics_printf(t, "# HELP kubernetes_auth_request_duration_seconds Time from accept to answer, by route.\n"
	    "# TYPE kubernetes_auth_request_duration_seconds histogram\n");
	for (r = 0; r <= counters_nroutes(); r++) {
		counters_route(r, &c);
		if (c.count == 0)
			continue;
		counters_route_label(r, &method, &pattern);
		cumulative = 0;
		for (b = 0; b < COUNTERS_NBUCKETS; b++) {
			cumulative += c.buckets[b];
			metrics_printf(t, "kubernetes_auth_request_duration_seconds_bucket"
			    "{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", method,
			    pattern, counters_buckets_us[b] / 1e6, cumulative);
		}
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_bucket"
		    "{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", method, pattern,
		    c.count);
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_sum"
		    "{method=\"%s\",route=\"%s\"} %.6f\n", method, pattern,
		    c.sum_us / 1e6);
		metrics_printf(t, "kubernetes_auth_request_duration_seconds_count"
		    "{method=\"%s\",route=\"%s\"} %llu\n", method, pattern, c.count);
	}
}

/* Decisions, backend errors and workers. */
static void
metrics_render_outcomes(struct metrics_text *t)
{
	unsigned long long starts, deaths, crashes;
	int i;

	metrics_printf(t, "# HELP kubernetes_auth_authentications_total TokenReview outcomes by reason.\n"
	    "# TYPE kubernetes_auth_authentications_total counter\n");
	for (i = 0; i < COUNTERS_NAUTHN; i++)
		metrics_printf(t, "kubernetes_auth_authentications_total{reason=\"%s\"} %llu\n",
		    counters_authn_name(i), counters_authn_count(i));

	metrics_printf(t, "# HELP kubernetes_auth_authorizations_total SubjectAccessReview outcomes by decision.\n"
	    "# TYPE kubernetes_auth_authorizations_total counter\n");
	for (i = 0; i < COUNTERS_NAUTHZ; i++)
		metrics_printf(t, "kubernetes_auth_authorizations_total{decision=\"%s\"} %llu\n",
		    counters_authz_name(i), counters_authz_count(i));

	metrics_printf(t, "# HELP kubernetes_auth_backend_errors_total Failed calls to a backend.\n"
	    "# TYPE kubernetes_auth_backend_errors_total counter\n");
	for (i = 0; i < COUNTERS_NBACKENDS; i++)
		metrics_printf(t, "kubernetes_auth_backend_errors_total{backend=\"%s\"} %llu\n",
		    counters_backend_name(i), counters_backend_errors(i));

	counters_workers(&starts, &deaths, &crashes);
	metrics_printf(t, "# HELP kubernetes_auth_worker_starts_total Workers started.\n"
	    "# TYPE kubernetes_auth_worker_starts_total counter\n"
	    "kubernetes_auth_worker_starts_total %llu\n"
	    "# HELP kubernetes_auth_worker_deaths_total Workers that exited, for any reason.\n"
	    "# TYPE kubernetes_auth_worker_deaths_total counter\n"
	    "kubernetes_auth_worker_deaths_total %llu\n"
	    "# HELP kubernetes_auth_worker_crashes_total Workers that died by a signal or a non-zero exit.\n"
	    "# TYPE kubernetes_auth_worker_crashes_total counter\n"
	    "kubernetes_auth_worker_crashes_total %llu\n", starts, deaths, crashes);
}

static void
metrics_render(struct metrics_text *t)
{
	metrics_printf(t, "# HELP kubernetes_auth_build_info Version of the running service.\n"
	    "# TYPE kubernetes_auth_build_info gauge\n"
	    "kubernetes_auth_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metrics_render_requests(t);
	metrics_render_durations(t);
	metrics_render_outcomes(t);
}

/* With a metrics token configured, the request must carry it as a bearer
 * token; compared as SHA-256 digests in constant time. */
static bool
metrics_allowed(struct req *r)
{
	const unsigned char *want = r->ctx->secrets->metrics_token_digest;
	const char *auth = req_param(r, "HTTP_AUTHORIZATION");
	unsigned char got[CRYPTO_SHA256_LEN];

	if (!r->ctx->secrets->has_metrics_token)
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
	if (!counters_ready()) {
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
