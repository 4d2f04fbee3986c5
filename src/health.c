/*
 * health.c — the /healthz handler with a one-second cache per worker.
 */
#include "health.h"

#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "directory.h"
#include "json.h"
#include "ktime.h"
#include "req.h"
#include "ctx.h"

#define HEALTH_CACHE_US 1000000LL

static struct {
	bool valid;
	long long checked_us;
	bool database_ok;
	bool ldap_ok;
} health_cache;

void
health_get(struct req *r)
{
	long long now = ktime_mono_us();
	yajl_gen g;

	if (!health_cache.valid || now - health_cache.checked_us >= HEALTH_CACHE_US) {
		health_cache.database_ok = db_check(r->ctx->db) == 0;
		health_cache.ldap_ok = directory_service_bind(r->ctx->dir) == 0;
		/* The checks may take up to their timeouts: stamp the end. */
		health_cache.checked_us = ktime_mono_us();
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
