/*
 * metrics.h — GET /metrics: the shared counters (counters.h) as Prometheus
 * text.
 */
#ifndef KA_METRICS_H
#define KA_METRICS_H

struct req;

/* GET /metrics: the Prometheus text format. With metrics_token_file set,
 * only "Authorization: Bearer <that token>" is let in (never the admin
 * token); without it, access is nginx's business (an allow list). */
void metrics_get(struct req *r);

#endif
