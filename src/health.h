/*
 * health.h — GET /healthz: are MariaDB and LDAP answering?
 */
#ifndef KA_HEALTH_H
#define KA_HEALTH_H

struct req;

/* 200 {"status":"ok",...} when both backends answer, else 503 naming the
 * failed one. Each worker keeps its result for a second so that the
 * endpoint (which needs no token) cannot be used to load the backends. */
void health_get(struct req *r);

#endif
