/*
 * health.c — the /healthz handler with a one-second cache per worker.
 */
#include "health.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "db.h"
#include "directory.h"
#include "json.h"
#include "ktime.h"
#include "log.h"
#include "req.h"

#define HEALTH_CACHE_US 1000000LL

/* One per worker, in its context (ctx.h). */
struct health_cache {
	bool valid;
	long long checked_us;
	bool database_ok;
	bool ldap_ok;
	char node[300];                 /* the database node in use */
	char node_state[32];            /* its Galera state; "" if none */
};

void
health_cache_free(struct health_cache *cache)
{
	free(cache);
}

void
health_get(struct req *r)
{
	long long now = ktime_mono_us();
	struct health_cache *c = r->ctx->health;
	yajl_gen g;

	if (c == NULL && (c = r->ctx->health = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	if (!c->valid || now - c->checked_us >= HEALTH_CACHE_US) {
		c->database_ok = db_check(r->ctx->db) == 0;
		db_node(r->ctx->db, c->node, sizeof(c->node));
		snprintf(c->node_state, sizeof(c->node_state), "%s",
		    db_node_state(r->ctx->db));
		c->ldap_ok = directory_service_bind(r->ctx->dir) == 0;
		/* The checks may take up to their timeouts: stamp the end. */
		c->checked_us = ktime_mono_us();
		c->valid = true;
	}

	bool ok = c->database_ok && c->ldap_ok;
	g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_str(g, "status", ok ? "ok" : "unavailable");
	if (!ok)
		json_gen_str(g, "error",
		    !c->database_ok && !c->ldap_ok ?
		    "database and ldap unavailable" :
		    !c->database_ok ? "database unavailable" :
		    "ldap unavailable");
	json_gen_str(g, "database", c->database_ok ? "ok" : "unavailable");
	/* Which node answers, and on Galera its state: an operator (or a
	 * front door's check) sees a host that failed over. */
	if (c->database_ok) {
		json_gen_str(g, "database_node", c->node);
		if (c->node_state[0] != '\0') {
			json_gen_str(g, "database_state", c->node_state);
			json_gen_bool(g, "database_synced",
			    strcmp(c->node_state, "Synced") == 0);
		}
	}
	json_gen_str(g, "ldap", c->ldap_ok ? "ok" : "unavailable");
	yajl_gen_map_close(g);
	req_send_json(r, ok ? 200 : 503);
}
