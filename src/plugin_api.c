/*
 * plugin_api.c — the credential plugin's calls to the user API.
 */
#include "plugin_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl_gen.h>

#include "hex.h"
#include "json.h"
#include "ktime.h"
#include "kubeconfig.h"
#include "log.h"
#include "plugin_cred.h"

#define PLUGIN_API_NAME_MAX 255
#define PLUGIN_API_ARG_MAX 2048

void
plugin_api_token_cleanup(struct plugin_api_token *t)
{
	if (t->token != NULL) {
		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
	}
	free(t->id);
	memset(t, 0, sizeof(*t));
}

void
plugin_api_kubeconfig_cleanup(struct plugin_api_kubeconfig *kc)
{
	size_t i;

	free(kc->cluster);
	free(kc->server);
	free(kc->ca_data);
	free(kc->user_entry);
	free(kc->context);
	free(kc->exec_api_version);
	for (i = 0; i < kc->nargs; i++)
		free(kc->args[i]);
	memset(kc, 0, sizeof(*kc));
}

/* --- parsers -------------------------------------------------------------- */

void
plugin_api_error_text(const char *body, size_t len, char *out, size_t outlen)
{
	yajl_val tree = NULL;
	const char *text;
	char why[160];

	out[0] = '\0';
	if (len == 0 || json_parse(body, len, &tree, why, sizeof(why)) < 0)
		return;
	if ((text = json_string(json_get(tree, "error"))) != NULL ||
	    (text = json_string(json_get(tree, "message"))) != NULL)
		log_sanitize(out, outlen, text);
	json_free(tree);
}

int
plugin_api_parse_token(const char *body, size_t len, struct plugin_api_token *t)
{
	yajl_val tree = NULL, token;
	const char *id, *secret, *expiry;
	char why[160];
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (json_parse(body, len, &tree, why, sizeof(why)) < 0)
		return -1;
	token = json_get(tree, "token");
	id = json_string(json_get(tree, "id"));
	secret = json_string(token);
	expiry = json_string(json_get(tree, "expiry"));
	if (id != NULL && id[0] != '\0' && strlen(id) <= PLUGIN_API_NAME_MAX &&
	    secret != NULL && secret[0] != '\0' && strlen(secret) <= 4096 &&
	    strcspn(secret, "\r\n") == strlen(secret) &&
	    expiry != NULL && ktime_parse(expiry, &t->expiry_us) == 0) {
		t->id = strdup(id);
		t->token = strdup(secret);
		rc = t->id != NULL && t->token != NULL ? 0 : -1;
	}
	if (secret != NULL)
		explicit_bzero(token->u.string, strlen(secret));
	json_free(tree);
	return rc;
}

/* Is S a name we take: 1..MAX bytes, no control character? */
static bool
plugin_api_clean(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A copy of string member KEY of OBJ when it is clean (1..MAX bytes). */
static char *
plugin_api_field(yajl_val obj, const char *key, size_t max)
{
	const char *s = json_string(json_get(obj, key));

	return plugin_api_clean(s, max) ? strdup(s) : NULL;
}

/* The only element of array KEY of OBJ, when it is an object. */
static yajl_val
plugin_api_only(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !YAJL_IS_ARRAY(v) || v->u.array.len != 1 ||
	    !YAJL_IS_OBJECT(v->u.array.values[0]))
		return NULL;
	return v->u.array.values[0];
}

/* The exec stanza of the user: this plugin, get-token, string args. */
static int
plugin_api_parse_exec(yajl_val exec, struct plugin_api_kubeconfig *kc,
    char *err, size_t errlen)
{
	const char *command = json_string(json_get(exec, "command"));
	yajl_val args = json_get(exec, "args");
	size_t i;

	kc->exec_api_version = plugin_api_field(exec, "apiVersion", 128);
	if (kc->exec_api_version == NULL ||
	    (strcmp(kc->exec_api_version, PLUGIN_CRED_V1) != 0 &&
	    strcmp(kc->exec_api_version, PLUGIN_CRED_V1BETA1) != 0)) {
		snprintf(err, errlen, "the user's exec apiVersion is none this "
		    "plugin speaks");
		return -1;
	}
	/* The service may only make the kubeconfig run this plugin. */
	if (command == NULL || strcmp(command, KUBECONFIG_PLUGIN_COMMAND) != 0) {
		snprintf(err, errlen, "the user's exec command is not "
		    KUBECONFIG_PLUGIN_COMMAND);
		return -1;
	}
	if (args == NULL || !YAJL_IS_ARRAY(args) || args->u.array.len == 0 ||
	    args->u.array.len > PLUGIN_API_MAX_ARGS) {
		snprintf(err, errlen, "the exec args are not 1 to %d strings",
		    PLUGIN_API_MAX_ARGS);
		return -1;
	}
	for (i = 0; i < args->u.array.len; i++) {
		const char *arg = json_string(args->u.array.values[i]);
		if (!plugin_api_clean(arg, PLUGIN_API_ARG_MAX) ||
		    (kc->args[kc->nargs++] = strdup(arg)) == NULL) {
			snprintf(err, errlen, "exec arg %zu is not a clean string",
			    i + 1);
			return -1;
		}
		if (i > 0 && strcmp(kc->args[i - 1], "--user") == 0)
			kc->user = kc->args[i];
	}
	if (strcmp(kc->args[0], "get-token") != 0) {
		snprintf(err, errlen, "the exec args do not start with get-token");
		return -1;
	}
	return 0;
}

int
plugin_api_parse_kubeconfig(const char *body, size_t len,
    struct plugin_api_kubeconfig *kc, char *err, size_t errlen)
{
	yajl_val tree = NULL, cluster, user, context, exec;
	const char *ca, *p;
	char why[160];
	int rc = -1;

	memset(kc, 0, sizeof(*kc));
	if (json_parse(body, len, &tree, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the kubeconfig is not JSON: %s", why);
		return -1;
	}
	cluster = plugin_api_only(tree, "clusters");
	user = plugin_api_only(tree, "users");
	context = plugin_api_only(tree, "contexts");
	if (cluster == NULL || user == NULL || context == NULL) {
		snprintf(err, errlen, "the kubeconfig does not have one cluster, "
		    "one user and one context");
		goto done;
	}
	kc->cluster = plugin_api_field(cluster, "name", PLUGIN_API_NAME_MAX);
	kc->server = plugin_api_field(json_get(cluster, "cluster"), "server",
	    PLUGIN_API_ARG_MAX);
	kc->user_entry = plugin_api_field(user, "name", PLUGIN_API_NAME_MAX);
	kc->context = plugin_api_field(context, "name", PLUGIN_API_NAME_MAX);
	if (kc->cluster == NULL || kc->user_entry == NULL || kc->context == NULL) {
		snprintf(err, errlen, "the kubeconfig's names are missing or not "
		    "clean");
		goto done;
	}
	if (kc->server == NULL || strncmp(kc->server, "https://", 8) != 0) {
		snprintf(err, errlen, "the cluster's server is not an https:// URL");
		goto done;
	}
	ca = json_string(json_get(json_get(cluster, "cluster"),
	    "certificate-authority-data"));
	if (ca != NULL) {
		for (p = ca; *p != '\0'; p++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789+/=", *p) == NULL)
				break;
		if (ca[0] == '\0' || *p != '\0' || (kc->ca_data = strdup(ca)) == NULL) {
			snprintf(err, errlen, "the cluster's certificate-authority-data "
			    "is not base64");
			goto done;
		}
	}
	exec = json_get(json_get(user, "user"), "exec");
	if (exec == NULL || !YAJL_IS_OBJECT(exec)) {
		snprintf(err, errlen, "the kubeconfig's user runs no exec plugin");
		goto done;
	}
	rc = plugin_api_parse_exec(exec, kc, err, errlen);
done:
	json_free(tree);
	return rc;
}

/* --- calls ---------------------------------------------------------------- */

/* What a failed call says: ANS's status and the service's own words. */
static void
plugin_api_failure(const char *what, const struct http_answer *ans, char *err,
    size_t errlen)
{
	char text[256];

	plugin_api_error_text(ans->body, ans->len, text, sizeof(text));
	switch (ans->status) {
	case 429:
		if (ans->retry_after > 0)
			snprintf(err, errlen, "%s: too many attempts: try again in "
			    "%ld seconds", what, ans->retry_after);
		else
			snprintf(err, errlen, "%s: too many attempts: try again "
			    "later", what);
		return;
	case 502:
	case 503:
	case 504:
		snprintf(err, errlen, "%s: the service is unavailable (HTTP %ld%s%s)",
		    what, ans->status, text[0] != '\0' ? ": " : "", text);
		return;
	default:
		snprintf(err, errlen, "%s: HTTP %ld%s%s", what, ans->status,
		    text[0] != '\0' ? ": " : "", text);
	}
}

/* One call: METHOD on the service's PATH with REQ's credentials and body.
 * Returns 0 with *ANS (any status), or -1 with ERR. */
static int
plugin_api_call(const struct plugin_api *api, struct http_request *req,
    const char *method, const char *path, struct http_answer *ans, char *err,
    size_t errlen)
{
	char *url, why[512];
	int rc;

	if (asprintf(&url, "%s%s", api->url, path) < 0) {
		snprintf(err, errlen, "out of memory");
		memset(ans, 0, sizeof(*ans));
		return -1;
	}
	req->method = method;
	req->url = url;
	rc = http_send(&api->http, req, ans, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "%s%s", why, ans->failure == HTTP_FAIL_TLS ?
		    " (--certificate-authority names the CA that signed the "
		    "service's certificate)" : "");
	free(url);
	return rc;
}

/* The body of POST /login: {"clusters": [CLUSTER], "ttl"?, "description"}. */
static char *
plugin_api_login_body(const char *cluster, const char *ttl,
    const char *description, size_t *len)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	json_gen_key(g, "clusters");
	yajl_gen_array_open(g);
	json_gen_str(g, NULL, cluster);
	yajl_gen_array_close(g);
	if (ttl != NULL)
		json_gen_str(g, "ttl", ttl);
	json_gen_str(g, "description", description);
	yajl_gen_map_close(g);
	return json_gen_take(g, len);
}

int
plugin_api_login(const struct plugin_api *api, const char *user,
    const char *password, const char *cluster, const char *ttl,
    const char *description, struct plugin_api_token *t, long *retry_after,
    char *err, size_t errlen)
{
	struct http_request req = { .user = user, .password = password };
	struct http_answer ans;
	char *body;
	int rc = -1;

	*retry_after = -1;
	memset(t, 0, sizeof(*t));
	if ((body = plugin_api_login_body(cluster, ttl, description,
	    &req.body_len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req.body = body;
	if (plugin_api_call(api, &req, "POST", "/login", &ans, err, errlen) < 0)
		goto done;
	*retry_after = ans.retry_after;
	if (ans.status == 201) {
		if ((rc = plugin_api_parse_token(ans.body, ans.len, t)) < 0)
			snprintf(err, errlen, "login: the service's answer holds no "
			    "token");
	} else if (ans.status == 401) {
		snprintf(err, errlen, "login: wrong username or password");
	} else {
		plugin_api_failure("login", &ans, err, errlen);
	}
done:
	http_answer_cleanup(&ans);
	free(body);
	return rc;
}

int
plugin_api_check(const struct plugin_api *api, const char *token, bool *valid,
    char *err, size_t errlen)
{
	struct http_request req = { .bearer = token };
	struct http_answer ans;
	int rc = -1;

	*valid = false;
	if (plugin_api_call(api, &req, "GET", "/me", &ans, err, errlen) < 0)
		goto done;
	if (ans.status == 200 || ans.status == 401 || ans.status == 403) {
		*valid = ans.status == 200;
		if (ans.status == 403)
			plugin_api_failure("GET /me", &ans, err, errlen);
		rc = 0;
	} else {
		plugin_api_failure("GET /me", &ans, err, errlen);
	}
done:
	http_answer_cleanup(&ans);
	return rc;
}

int
plugin_api_revoke(const struct plugin_api *api, const char *token,
    const char *id, char *err, size_t errlen)
{
	struct http_request req = { .bearer = token };
	struct http_answer ans;
	char *path, *escaped = hex_percent_encode(id);
	int rc = -1;

	if (escaped == NULL || asprintf(&path, "/me/tokens/%s", escaped) < 0) {
		free(escaped);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (plugin_api_call(api, &req, "DELETE", path, &ans, err, errlen) == 0) {
		if (ans.status == 200 || ans.status == 401 || ans.status == 404)
			rc = 0;
		else
			plugin_api_failure("logout", &ans, err, errlen);
	}
	http_answer_cleanup(&ans);
	free(path);
	free(escaped);
	return rc;
}

int
plugin_api_kubeconfig(const struct plugin_api *api, const char *token,
    const char *cluster, struct plugin_api_kubeconfig *kc, char *err,
    size_t errlen)
{
	struct http_request req = { .bearer = token };
	struct http_answer ans;
	char *path, *escaped = hex_percent_encode(cluster), why[256];
	int rc = -1;

	memset(kc, 0, sizeof(*kc));
	if (escaped == NULL ||
	    asprintf(&path, "/me/kubeconfig?cluster=%s", escaped) < 0) {
		free(escaped);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (plugin_api_call(api, &req, "GET", path, &ans, err, errlen) == 0) {
		if (ans.status != 200)
			plugin_api_failure("GET /me/kubeconfig", &ans, err, errlen);
		else if ((rc = plugin_api_parse_kubeconfig(ans.body, ans.len, kc,
		    why, sizeof(why))) < 0)
			snprintf(err, errlen, "GET /me/kubeconfig: %s", why);
	}
	http_answer_cleanup(&ans);
	free(path);
	free(escaped);
	return rc;
}
