/*
 * routes.h — the service's route table (routes.c): method + path pattern ->
 * handler, for every path the service answers. Above the handlers, which
 * it names; the matcher itself is router.c.
 */
#ifndef KA_ROUTES_H
#define KA_ROUTES_H

struct counters_label;
struct req;

/* Route R through the service's table and run its handler, or fail it
 * with 404/405/400. */
void routes_dispatch(struct req *r);

/* Each route's method and pattern, in table order, for the counters'
 * labels: *LABELS (static, never freed) and their number. */
int routes_labels(const struct counters_label **labels);

#endif
