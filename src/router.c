/*
 * router.c — method + path -> a route of a table, and dispatching to it.
 */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "req.h"

/* May a decoded {} segment name something? Not when it holds a "/" or is
 * "." or "..": nginx chooses its location (and rate limit) from the
 * decoded, normalised path, so "/users/%2e%2e%2fhealthz" is "/healthz" to
 * nginx while the router would see a user id, and a name with a "/" could
 * never be routed back to through its own URL. */
static bool
router_segment_ok(const char *seg)
{
	return strchr(seg, '/') == NULL && strcmp(seg, ".") != 0 &&
	    strcmp(seg, "..") != 0;
}

/* Does PATH match PATTERN? Captures {} segments into m when it does. */
static bool
router_path_matches(const char *pattern, const char *path,
    struct router_match *m, bool *bad_segment)
{
	const char *p = pattern, *s = path;

	m->nparams = 0;
	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/')
			goto no;
		p++;
		s++;
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
		if (plen == 2 && p[0] == '{' && p[1] == '}') {
			if (slen == 0 || m->nparams == sizeof(m->params) / sizeof(m->params[0]))
				goto no;
			char *seg = req_percent_decode(s, slen, false);
			if (seg == NULL || !router_segment_ok(seg)) {
				free(seg);
				*bad_segment = true;
				goto no;
			}
			m->params[m->nparams++] = seg;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			goto no;
		}
		p += plen;
		s += slen;
	}
	if (*p == '\0' && *s == '\0')
		return true;
no:
	router_match_cleanup(m);
	return false;
}

enum router_result
router_find(const struct route *table, size_t n, const char *method,
    const char *path, struct router_match *m)
{
	bool path_known = false, bad_segment = false;
	size_t i, plen = strlen(path);
	char *trimmed = NULL;

	memset(m, 0, sizeof(*m));
	/* "/users/" is "/users": scripts differ on trailing slashes. */
	if (plen > 1 && path[plen - 1] == '/') {
		trimmed = strndup(path, plen - 1);
		if (trimmed == NULL)
			return ROUTER_NOT_FOUND;
		path = trimmed;
	}
	for (i = 0; i < n; i++) {
		struct router_match probe = { 0 };
		if (!router_path_matches(table[i].pattern, path, &probe, &bad_segment))
			continue;
		/* HEAD is GET without the body (nginx drops it). */
		if (strcmp(table[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(table[i].method, "GET") == 0)) {
			*m = probe;
			m->route = &table[i];
			free(trimmed);
			return ROUTER_FOUND;
		}
		router_match_cleanup(&probe);
		if (!path_known || strstr(m->allow, table[i].method) == NULL) {
			size_t used = strlen(m->allow);
			if (used + strlen(table[i].method) + 3 < sizeof(m->allow)) {
				if (used > 0)
					strcat(m->allow, ", ");
				strcat(m->allow, table[i].method);
			}
		}
		path_known = true;
	}
	free(trimmed);
	if (path_known)
		return ROUTER_BAD_METHOD;
	return bad_segment ? ROUTER_BAD_PATH : ROUTER_NOT_FOUND;
}

void
router_match_cleanup(struct router_match *m)
{
	size_t i;
	for (i = 0; i < m->nparams; i++) {
		free(m->params[i]);
		m->params[i] = NULL;
	}
	m->nparams = 0;
}

void
router_dispatch(const struct route *table, size_t n, struct req *r)
{
	struct router_match m;
	size_t i;

	switch (router_find(table, n, r->method, r->path, &m)) {
	case ROUTER_FOUND:
		for (i = 0; i < m.nparams; i++)
			r->params[i] = m.params[i];
		r->nparams = m.nparams;
		r->route = m.route->pattern;
		r->route_index = (int)(m.route - table);
		m.route->handler(r);
		return;
	case ROUTER_BAD_METHOD:
		r->allow = strdup(m.allow);
		if (r->allow == NULL)
			fatal("strdup");
		req_fail(r, 405, "method %s not allowed here (allowed: %s)",
		    r->method[0] != '\0' ? r->method : "(none)", m.allow);
		return;
	case ROUTER_BAD_PATH:
		req_fail(r, 400, "malformed path segment (a bad %%-escape, or one "
		    "that decodes to \"/\", \".\" or \"..\")");
		return;
	case ROUTER_NOT_FOUND:
		req_fail(r, 404, "not found");
		return;
	}
}
