/*
 * fuzz_router — method + path -> route (router_find()), with a copy of the
 * service's route table (router.c keeps its own static: keep this one in
 * step when routes are added). Input: "METHOD\nPATH".
 *
 * Properties: a found route has the request's method (or GET for HEAD)
 * and as many captured parameters as its pattern has {}, each non-empty;
 * percent-encoding those parameters again and routing the result finds the
 * same route and parameters; a trailing '/' changes nothing; a 405 lists
 * the allowed methods; a captured id is checked with crypto_uuid_valid().
 */
#include "fuzz.h"

#include "crypto.h"
#include "router.h"

static void
handler(struct req *r)
{
}

static const struct route table[] = {
	{ "GET", "/healthz", handler },
	{ "GET", "/metrics", handler },
	{ "POST", "/authenticate", handler },
	{ "POST", "/authenticate/token", handler },
	{ "POST", "/authenticate/token/{}", handler },
	{ "POST", "/login", handler },
	{ "POST", "/logout", handler },
	{ "GET", "/me", handler },
	{ "GET", "/me/tokens", handler },
	{ "POST", "/me/tokens", handler },
	{ "DELETE", "/me/tokens/{}", handler },
	{ "GET", "/me/kubeconfig", handler },
	{ "GET", "/users", handler },
	{ "POST", "/users", handler },
	{ "GET", "/users/{}", handler },
	{ "DELETE", "/users/{}", handler },
	{ "GET", "/tokens", handler },
	{ "POST", "/tokens", handler },
	{ "GET", "/tokens/{}", handler },
	{ "DELETE", "/tokens/{}", handler },
	{ "GET", "/clusters", handler },
	{ "POST", "/clusters", handler },
	{ "GET", "/clusters/{}", handler },
	{ "DELETE", "/clusters/{}", handler },
	{ "GET", "/clusters/{}/webhook-kubeconfig", handler },
	{ "POST", "/authorize", handler },
	{ "POST", "/authorize/{}", handler },
	{ "GET", "/policies", handler },
	{ "POST", "/policies", handler },
	{ "GET", "/policies/{}", handler },
	{ "PUT", "/policies/{}", handler },
	{ "DELETE", "/policies/{}", handler },
	/* Patterns the service does not have (yet), for the matcher's sake. */
	{ "GET", "/a/{}/b/{}/c/{}/d/{}", handler },
	{ "GET", "/{}", handler },
};
#define NROUTES (sizeof(table) / sizeof(table[0]))

static size_t
count_params(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; (p = strstr(p, "{}")) != NULL; p += 2)
		n++;
	return n;
}

/* PATTERN with each {} replaced by the fully percent-encoded PARAMS. */
static char *
rebuild(const char *pattern, char *const *params)
{
	size_t size = strlen(pattern) + 1, i = 0;
	char *out, *o;

	for (size_t k = 0; k < count_params(pattern); k++)
		size += 3 * strlen(params[k]);
	out = o = malloc(size);
	FUZZ_ASSERT(out != NULL);
	for (const char *p = pattern; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '}') {
			for (const char *s = params[i++]; *s != '\0'; s++)
				o += sprintf(o, "%%%02X", (unsigned char)*s);
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_strndup(data, size), *nl = strchr(input, '\n');
	const char *method = nl != NULL ? input : "GET";
	const char *path = nl != NULL ? nl + 1 : input;
	struct router_match m, again;
	enum router_result res;
	size_t plen;

	if (nl != NULL)
		*nl = '\0';
	res = router_find(table, NROUTES, method, path, &m);
	switch (res) {
	case ROUTER_FOUND:
		FUZZ_ASSERT(m.route != NULL);
		FUZZ_ASSERT(strcmp(m.route->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(m.route->method, "GET") == 0));
		FUZZ_ASSERT(m.nparams == count_params(m.route->pattern));
		for (size_t i = 0; i < m.nparams; i++) {
			FUZZ_ASSERT(m.params[i] != NULL && m.params[i][0] != '\0');
			/* nginx must see the path the router routes. */
			FUZZ_ASSERT(strchr(m.params[i], '/') == NULL &&
			    strcmp(m.params[i], ".") != 0 &&
			    strcmp(m.params[i], "..") != 0);
			(void)crypto_uuid_valid(m.params[i]);
		}
		char *rebuilt = rebuild(m.route->pattern, m.params);
		FUZZ_ASSERT(router_find(table, NROUTES, method, rebuilt, &again) == ROUTER_FOUND);
		FUZZ_ASSERT(again.route == m.route && again.nparams == m.nparams);
		for (size_t i = 0; i < m.nparams; i++)
			FUZZ_ASSERT(strcmp(again.params[i], m.params[i]) == 0);
		router_match_cleanup(&again);
		free(rebuilt);
		break;
	case ROUTER_BAD_METHOD:
		FUZZ_ASSERT(m.allow[0] != '\0' && m.nparams == 0);
		break;
	case ROUTER_NOT_FOUND:
	case ROUTER_BAD_PATH:
		FUZZ_ASSERT(m.nparams == 0);
		break;
	}

	/* "/users/" is "/users". */
	plen = strlen(path);
	if (plen > 0 && path[0] == '/' && path[plen - 1] != '/') {
		char *slashed = malloc(plen + 2);
		FUZZ_ASSERT(slashed != NULL);
		memcpy(slashed, path, plen);
		memcpy(slashed + plen, "/", 2);
		FUZZ_ASSERT(router_find(table, NROUTES, method, slashed, &again) == res);
		FUZZ_ASSERT(again.route == m.route);
		router_match_cleanup(&again);
		free(slashed);
	}
	router_match_cleanup(&m);
	free(input);
	return 0;
}
