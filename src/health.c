/*
 * health.c — the /healthz handler with a one-second cache per worker.
 */
#include "health.h"

#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "directory.h"
#include "json.h"
#include "req.h"
#include "worker.h"

#define HEALTH_CACHE_NS 1000000000LL

static struct {
	bool valid;
	long long checked_ns;
	bool database_ok;
	bool ldap_ok;
} health_cache;

static long long
health_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
health_get(struct req *r)
{
	long long now = health_now_ns();
	yajl_gen g;

	if (!health_cache.valid || now - health_cache.checked_ns >= HEALTH_CACHE_NS) {
		health_cache.database_ok = db_check(r->worker->db) == 0;
		health_cache.ldap_ok = directory_service_bind(r->worker->dir) == 0;
		/* The checks may take up to their timeouts: stamp the end. */
		health_cache.checked_ns = health_now_ns();
		health_cache.valid = true;
	}

	bool ok = health_cache.database_ok && health_cache.ldap_ok;
	g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_str(g, "status", ok ? "ok" : "unavailable");
	if (!ok)
		json_gen_str(g, "error",
		    !health_cache.database_ok && !health_cache.ldap_ok ?
		    "database and ldap unavailable" :
		    !health_cache.database_ok ? "database unavailable" :
		    "ldap unavailable");
	json_gen_str(g, "database", health_cache.database_ok ? "ok" : "unavailable");
	json_gen_str(g, "ldap", health_cache.ldap_ok ? "ok" : "unavailable");
	yajl_gen_map_close(g);
	req_send_json(r, ok ? 200 : 503);
}
