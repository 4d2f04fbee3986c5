/*
 * routes.c — the service's route table: every path it answers and its
 * handler.
 */
#include "routes.h"

#include <stdlib.h>

#include "admin.h"
#include "authn.h"
#include "authz.h"
#include "counters.h"
#include "health.h"
#include "log.h"
#include "me.h"
#include "metrics.h"
#include "policies_api.h"
#include "router.h"

static const struct route routes_table[] = {
	{ "GET", "/healthz", health_get },
	{ "GET", "/metrics", metrics_get },

	{ "POST", "/authenticate", authn_token_review },
	{ "POST", "/authenticate/token", authn_token_review },
	{ "POST", "/authenticate/token/{}", authn_token_review },
	{ "POST", "/login", authn_login },
	{ "POST", "/logout", authn_logout },

	{ "GET", "/me", me_get },
	{ "GET", "/me/tokens", me_tokens_list },
	{ "POST", "/me/tokens", me_tokens_create },
	{ "DELETE", "/me/tokens/{}", me_tokens_delete },
	{ "GET", "/me/kubeconfig", me_kubeconfig },

	{ "GET", "/users", admin_users_list },
	{ "POST", "/users", admin_users_create },
	{ "GET", "/users/{}", admin_users_get },
	{ "DELETE", "/users/{}", admin_users_delete },
	{ "GET", "/tokens", admin_tokens_list },
	{ "POST", "/tokens", admin_tokens_create },
	{ "GET", "/tokens/{}", admin_tokens_get },
	{ "DELETE", "/tokens/{}", admin_tokens_delete },
	{ "GET", "/clusters", admin_clusters_list },
	{ "POST", "/clusters", admin_clusters_create },
	{ "GET", "/clusters/{}", admin_clusters_get },
	{ "DELETE", "/clusters/{}", admin_clusters_delete },
	{ "GET", "/clusters/{}/webhook-kubeconfig", admin_clusters_kubeconfig },

	{ "POST", "/authorize", authz_review },
	{ "POST", "/authorize/{}", authz_review },
	{ "GET", "/policies", policies_api_list },
	{ "POST", "/policies", policies_api_create },
	{ "GET", "/policies/{}", policies_api_get },
	{ "PUT", "/policies/{}", policies_api_replace },
	{ "DELETE", "/policies/{}", policies_api_delete },
};

#define ROUTES_N (sizeof(routes_table) / sizeof(routes_table[0]))

void
routes_dispatch(struct req *r)
{
	router_dispatch(routes_table, ROUTES_N, r);
}

int
routes_labels(const struct counters_label **labels)
{
	static struct counters_label *v;
	size_t i;

	if (v == NULL) {
		if ((v = calloc(ROUTES_N, sizeof(*v))) == NULL)
			fatal("calloc");
		for (i = 0; i < ROUTES_N; i++) {
			v[i].method = routes_table[i].method;
			v[i].pattern = routes_table[i].pattern;
		}
	}
	*labels = v;
	return (int)ROUTES_N;
}
