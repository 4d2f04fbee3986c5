/*
 * t-router.c — route matching: literals, {} segments, 404/405/400.
 */
#include <string.h>

#include "../../src/router.h"
#include "tap.h"

static void h_list(struct req *r) { (void)r; }
static void h_create(struct req *r) { (void)r; }
static void h_get(struct req *r) { (void)r; }
static void h_delete(struct req *r) { (void)r; }
static void h_kubeconfig(struct req *r) { (void)r; }
static void h_authn(struct req *r) { (void)r; }

static const struct route table[] = {
	{ "GET", "/users", h_list },
	{ "POST", "/users", h_create },
	{ "GET", "/users/{}", h_get },
	{ "DELETE", "/users/{}", h_delete },
	{ "GET", "/clusters/{}/webhook-kubeconfig", h_kubeconfig },
	{ "POST", "/authenticate/token", h_authn },
	{ "POST", "/authenticate/token/{}", h_authn },
};
#define N (sizeof(table) / sizeof(table[0]))

int
main(void)
{
	struct router_match m;

	is_int(router_find(table, N, "GET", "/users", &m), ROUTER_FOUND, "GET /users found");
	ok(m.route->handler == h_list, "GET /users -> list");
	is_int(m.nparams, 0, "no params");
	router_match_cleanup(&m);

	is_int(router_find(table, N, "POST", "/users/", &m), ROUTER_FOUND, "trailing slash ignored");
	ok(m.route->handler == h_create, "POST /users/ -> create");
	router_match_cleanup(&m);

	is_int(router_find(table, N, "GET", "/users/abc-123", &m), ROUTER_FOUND, "GET /users/{id}");
	ok(m.route->handler == h_get, "-> get");
	is_str(m.params[0], "abc-123", "captured id");
	router_match_cleanup(&m);

	is_int(router_find(table, N, "GET", "/users/a%20b%2Cc", &m), ROUTER_FOUND, "escaped segment");
	is_str(m.params[0], "a b,c", "segment percent-decoded after splitting");
	router_match_cleanup(&m);
	/* nginx decodes and merges the path before it picks a location (and
	 * its rate limit): a segment must not mean another path to it. */
	is_int(router_find(table, N, "GET", "/users/a%2Fb", &m), ROUTER_BAD_PATH, "%%2F -> 400");
	is_int(router_find(table, N, "GET", "/users/%2e%2e%2fhealthz", &m), ROUTER_BAD_PATH,
	    "%%2e%%2e%%2f -> 400");
	is_int(router_find(table, N, "GET", "/users/%2E%2E", &m), ROUTER_BAD_PATH, ".. -> 400");
	is_int(router_find(table, N, "GET", "/users/%2e", &m), ROUTER_BAD_PATH, ". -> 400");
	is_int(router_find(table, N, "GET", "/users/..x", &m), ROUTER_FOUND, "..x is a name");
	router_match_cleanup(&m);

	is_int(router_find(table, N, "GET", "/users/a%zz", &m), ROUTER_BAD_PATH, "bad escape -> 400");
	is_int(router_find(table, N, "GET", "/users/a%00", &m), ROUTER_BAD_PATH, "%%00 -> 400");
	is_int(router_find(table, N, "GET", "/users/a%2", &m), ROUTER_BAD_PATH, "short escape -> 400");

	is_int(router_find(table, N, "HEAD", "/users/x", &m), ROUTER_FOUND, "HEAD is served by GET");
	ok(m.route->handler == h_get, "HEAD /users/x -> get");
	router_match_cleanup(&m);
	is_int(router_find(table, N, "HEAD", "/authenticate/token", &m), ROUTER_BAD_METHOD,
	    "HEAD where there is no GET -> 405");

	is_int(router_find(table, N, "PUT", "/users", &m), ROUTER_BAD_METHOD, "PUT /users -> 405");
	is_str(m.allow, "GET, POST", "Allow lists GET and POST once each");
	is_int(router_find(table, N, "POST", "/users/x", &m), ROUTER_BAD_METHOD, "POST /users/x -> 405");
	is_str(m.allow, "GET, DELETE", "Allow for /users/{}");

	is_int(router_find(table, N, "GET", "/nope", &m), ROUTER_NOT_FOUND, "unknown path -> 404");
	is_int(router_find(table, N, "GET", "/users/a/b", &m), ROUTER_NOT_FOUND, "extra segment -> 404");
	is_int(router_find(table, N, "GET", "/users//", &m), ROUTER_NOT_FOUND, "empty segment -> 404");
	is_int(router_find(table, N, "GET", "/usersx", &m), ROUTER_NOT_FOUND, "prefix is not a match");
	is_int(router_find(table, N, "GET", "", &m), ROUTER_NOT_FOUND, "empty path -> 404");
	is_int(router_find(table, N, "GET", "/", &m), ROUTER_NOT_FOUND, "root -> 404");

	is_int(router_find(table, N, "GET", "/clusters/c1/webhook-kubeconfig", &m), ROUTER_FOUND,
	    "param in the middle");
	is_str(m.params[0], "c1", "middle param captured");
	router_match_cleanup(&m);

	is_int(router_find(table, N, "POST", "/authenticate/token/prod-eu", &m), ROUTER_FOUND,
	    "per-cluster webhook path");
	is_str(m.params[0], "prod-eu", "cluster name captured");
	router_match_cleanup(&m);
	is_int(router_find(table, N, "POST", "/authenticate/token", &m), ROUTER_FOUND,
	    "global webhook path");
	is_int(m.nparams, 0, "no cluster");
	router_match_cleanup(&m);

	return tap_done();
}
