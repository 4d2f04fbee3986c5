/*
 * kubeconfig.h — the entries of a kubeconfig that runs the credential
 * plugin: a cluster, a user whose exec runs kubectl-auth_login, and a
 * context joining them. The service writes them (GET /me/kubeconfig) and
 * the plugin merges them into a user's file (setup): one writer for both.
 */
#ifndef KA_KUBECONFIG_H
#define KA_KUBECONFIG_H

#include <stddef.h>

#include <yajl_gen.h>

/* The credential plugin's command: what GET /me/kubeconfig makes kubectl
 * run, and the only command setup accepts in a kubeconfig it is given. */
#define KUBECONFIG_PLUGIN_COMMAND "kubectl-auth_login"

struct kubeconfig_entries {
	const char *cluster;            /* the cluster entry's name */
	const char *server;             /* the API server's URL */
	const char *ca_data;            /* base64 PEM, or NULL */
	const char *user;               /* the user entry's name */
	const char *context;            /* the context's name */
	const char *exec_api_version;   /* client.authentication.k8s.io/... */
	const char *const *args;        /* the plugin's arguments */
	size_t nargs;
	const char *const *more_args;   /* and these after them (may be NULL) */
	size_t nmore_args;
};

/* E's cluster entry, user entry and context entry, each as one JSON object
 * (an element of the kubeconfig's clusters, users, contexts). */
void kubeconfig_gen_cluster(yajl_gen g, const struct kubeconfig_entries *e);
void kubeconfig_gen_user(yajl_gen g, const struct kubeconfig_entries *e);
void kubeconfig_gen_context(yajl_gen g, const struct kubeconfig_entries *e);

#endif
