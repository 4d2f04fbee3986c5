/*
 * plugin_cred.c — ExecCredential in and out.
 */
#include "plugin_cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl_gen.h>

#include "json.h"

int
plugin_cred_exec_info(const char *info, const char **api_version, char *err,
    size_t errlen)
{
	yajl_val tree = NULL;
	const char *version, *kind;
	char why[160];
	int rc = -1;

	*api_version = PLUGIN_CRED_V1BETA1;
	if (info == NULL || info[0] == '\0')
		return 0;
	if (json_parse(info, strlen(info), &tree, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "KUBERNETES_EXEC_INFO: %s", why);
		return -1;
	}
	kind = json_string(json_get(tree, "kind"));
	version = json_string(json_get(tree, "apiVersion"));
	if (!YAJL_IS_OBJECT(tree) || kind == NULL ||
	    strcmp(kind, "ExecCredential") != 0) {
		snprintf(err, errlen, "KUBERNETES_EXEC_INFO is no ExecCredential");
	} else if (version != NULL && strcmp(version, PLUGIN_CRED_V1) == 0) {
		*api_version = PLUGIN_CRED_V1;
		rc = 0;
	} else if (version != NULL && strcmp(version, PLUGIN_CRED_V1BETA1) == 0) {
		rc = 0;
	} else {
		snprintf(err, errlen, "KUBERNETES_EXEC_INFO asks for apiVersion "
		    "\"%.80s\": this plugin speaks " PLUGIN_CRED_V1 " and "
		    PLUGIN_CRED_V1BETA1, version != NULL ? version : "");
	}
	json_free(tree);
	return rc;
}

char *
plugin_cred_json(const char *api_version, const char *token, int64_t expiry_us)
{
	time_t seconds = (time_t)(expiry_us / 1000000);
	char expiry[32];
	struct tm tm;
	size_t len;
	yajl_gen g;

	gmtime_r(&seconds, &tm);
	strftime(expiry, sizeof(expiry), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", api_version);
	json_gen_str(g, "kind", "ExecCredential");
	json_gen_key(g, "status");
	yajl_gen_map_open(g);
	json_gen_str(g, "token", token);
	json_gen_str(g, "expirationTimestamp", expiry);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return json_gen_take(g, &len);
}
