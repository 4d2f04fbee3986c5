/*
 * kubeconfig.c — a kubeconfig's entries for the credential plugin.
 */
#include "kubeconfig.h"

#include "json.h"

void
kubeconfig_gen_cluster(yajl_gen g, const struct kubeconfig_entries *e)
{
	yajl_gen_map_open(g);
	json_gen_str(g, "name", e->cluster);
	json_gen_key(g, "cluster");
	yajl_gen_map_open(g);
	json_gen_str(g, "server", e->server);
	if (e->ca_data != NULL)
		json_gen_str(g, "certificate-authority-data", e->ca_data);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

void
kubeconfig_gen_user(yajl_gen g, const struct kubeconfig_entries *e)
{
	size_t i;

	yajl_gen_map_open(g);
	json_gen_str(g, "name", e->user);
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	json_gen_key(g, "exec");
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", e->exec_api_version);
	json_gen_str(g, "command", KUBECONFIG_PLUGIN_COMMAND);
	json_gen_key(g, "args");
	yajl_gen_array_open(g);
	for (i = 0; i < e->nargs; i++)
		json_gen_str(g, NULL, e->args[i]);
	for (i = 0; i < e->nmore_args; i++)
		json_gen_str(g, NULL, e->more_args[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

void
kubeconfig_gen_context(yajl_gen g, const struct kubeconfig_entries *e)
{
	yajl_gen_map_open(g);
	json_gen_str(g, "name", e->context);
	json_gen_key(g, "context");
	yajl_gen_map_open(g);
	json_gen_str(g, "cluster", e->cluster);
	json_gen_str(g, "user", e->user);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}
