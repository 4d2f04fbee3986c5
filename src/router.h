/*
 * router.h — method + path -> handler, from a table.
 *
 * A pattern is a path whose segments are literals or "{}" (exactly one
 * non-empty segment, captured percent-decoded; one that decodes to hold a
 * "/", or to "." or "..", is refused: nginx would have seen another path). Routing looks at the path
 * alone: the API server appends "?timeout=30s" to webhook URLs.
 */
#ifndef KA_ROUTER_H
#define KA_ROUTER_H

#include <stddef.h>

struct req;

typedef void (*route_handler)(struct req *r);

struct route {
	const char *method;             /* "GET", "POST", ... */
	const char *pattern;            /* "/users/{}" */
	route_handler handler;
};

enum router_result {
	ROUTER_FOUND,                   /* *matchp is the route; params set */
	ROUTER_NOT_FOUND,               /* no pattern matches the path */
	ROUTER_BAD_METHOD,              /* path known: allow lists its methods */
	ROUTER_BAD_PATH,                /* a {} segment that is malformed (bad
	                                   %, NUL), holds "/", or is . or .. */
};

struct router_match {
	const struct route *route;
	char *params[4];                /* malloc'd; router_match_cleanup frees */
	size_t nparams;
	char allow[64];                 /* "GET, POST" for ROUTER_BAD_METHOD */
};

/* Look METHOD and PATH up in TABLE (N routes). Pure: no I/O. */
enum router_result router_find(const struct route *table, size_t n,
    const char *method, const char *path, struct router_match *m);
void router_match_cleanup(struct router_match *m);

/* Route request R with TABLE (N routes) and run the handler, or fail the
 * request with 404/405/400. Sets r->route and r->route_index (the row). */
void router_dispatch(const struct route *table, size_t n, struct req *r);

#endif
