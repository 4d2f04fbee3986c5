/*
 * plugin_kubeconfig.c — merging setup's entries into a kubeconfig file,
 * with kubectl reading and writing its format.
 */
#include "plugin_kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl_gen.h>

#include "json.h"
#include "kubeconfig.h"
#include "plugin_api.h"
#include "plugin_file.h"

#define PLUGIN_KUBECONFIG_MAX (16 * 1024 * 1024)

char *
plugin_kubeconfig_path(const char *given)
{
	const char *list = getenv("KUBECONFIG"), *home = getenv("HOME");
	char *copy, *file, *save = NULL, *last = NULL, *path = NULL;

	if (given != NULL)
		return strdup(given);
	if (list != NULL && list[0] != '\0' && (copy = strdup(list)) != NULL) {
		for (file = strtok_r(copy, ":", &save); file != NULL;
		    file = strtok_r(NULL, ":", &save)) {
			last = file;
			if (access(file, F_OK) == 0)
				break;
		}
		if (last != NULL)
			path = strdup(file != NULL ? file : last);
		free(copy);
		if (path != NULL)
			return path;
	}
	if (home == NULL || home[0] == '\0' ||
	    asprintf(&path, "%s/.kube/config", home) < 0)
		return NULL;
	return path;
}

/* --- the merge, in JSON --------------------------------------------------- */

/* Does entry V of a clusters/users/contexts list carry NAME? */
static bool
plugin_kubeconfig_named(yajl_val v, const char *name)
{
	const char *s = json_string(json_get(v, "name"));

	return s != NULL && strcmp(s, name) == 0;
}

/* List KEY of OLD without the entry named NAME; the caller adds its own. */
static void
plugin_kubeconfig_list_open(yajl_gen g, yajl_val old, const char *key,
    const char *name)
{
	yajl_val list = json_get(old, key);
	size_t i;

	json_gen_key(g, key);
	yajl_gen_array_open(g);
	if (list == NULL || !YAJL_IS_ARRAY(list))
		return;
	for (i = 0; i < list->u.array.len; i++)
		if (!plugin_kubeconfig_named(list->u.array.values[i], name))
			json_gen_value(g, list->u.array.values[i]);
}

char *
plugin_kubeconfig_merge_text(const char *old_text, size_t len,
    const struct plugin_api_kubeconfig *kc, const char *const *extra,
    size_t nextra, size_t *out_len, char *err, size_t errlen)
{
	static const char *const ours[] = { "apiVersion", "kind", "clusters",
	    "users", "contexts", "current-context" };
	const char *args[PLUGIN_API_MAX_ARGS];
	struct kubeconfig_entries e = {
		.cluster = kc->cluster, .server = kc->server,
		.ca_data = kc->ca_data, .user = kc->user_entry,
		.context = kc->context, .exec_api_version = kc->exec_api_version,
		.args = args, .nargs = kc->nargs,
		.more_args = extra, .nmore_args = nextra,
	};
	yajl_val old = NULL;
	yajl_gen g;
	char why[160];
	size_t i, j;

	for (i = 0; i < kc->nargs; i++)
		args[i] = kc->args[i];

	if (len > 0 && json_parse(old_text, len, &old, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the kubeconfig is not readable: %s", why);
		return NULL;
	}
	if (old != NULL && !YAJL_IS_OBJECT(old)) {
		snprintf(err, errlen, "the kubeconfig is not a Config object");
		json_free(old);
		return NULL;
	}
	if ((g = yajl_gen_alloc(NULL)) == NULL) {
		json_free(old);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", "v1");
	json_gen_str(g, "kind", "Config");
	plugin_kubeconfig_list_open(g, old, "clusters", kc->cluster);
	kubeconfig_gen_cluster(g, &e);
	yajl_gen_array_close(g);
	plugin_kubeconfig_list_open(g, old, "users", kc->user_entry);
	kubeconfig_gen_user(g, &e);
	yajl_gen_array_close(g);
	plugin_kubeconfig_list_open(g, old, "contexts", kc->context);
	kubeconfig_gen_context(g, &e);
	yajl_gen_array_close(g);
	json_gen_str(g, "current-context", kc->context);
	/* Everything else (preferences, extensions) as it was. */
	for (i = 0; old != NULL && i < old->u.object.len; i++) {
		for (j = 0; j < sizeof(ours) / sizeof(ours[0]); j++)
			if (strcmp(old->u.object.keys[i], ours[j]) == 0)
				break;
		if (j < sizeof(ours) / sizeof(ours[0]))
			continue;
		json_gen_key(g, old->u.object.keys[i]);
		json_gen_value(g, old->u.object.values[i]);
	}
	yajl_gen_map_close(g);
	json_free(old);
	return json_gen_take(g, out_len);
}

/* --- kubectl, and the file ------------------------------------------------ */

/* Run `kubectl config view --raw [-o json] --kubeconfig FILE` and take its
 * stdout (kubectl's stderr is ours). Returns 0 with *OUT (malloc'd, *LEN
 * bytes), or -1 with ERR. */
static int
plugin_kubeconfig_view(const char *file, bool json, char **out, size_t *len,
    char *err, size_t errlen)
{
	const char *argv[] = { "kubectl", "config", "view", "--raw",
	    "--kubeconfig", file, json ? "-o" : NULL, "json", NULL };
	size_t cap = 65536;
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	*len = 0;
	if ((*out = malloc(cap + 1)) == NULL || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "kubectl: %s", strerror(errno));
		free(*out);
		*out = NULL;
		return -1;
	}
	if ((pid = fork()) == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp("kubectl", (char *const *)(uintptr_t)argv);
		fprintf(stderr, "kubectl-auth_login: cannot run kubectl: %s\n",
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && (n = read(fds[0], *out + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		*len += (size_t)n;
		if (*len == cap && cap < PLUGIN_KUBECONFIG_MAX) {
			char *grown = realloc(*out, 2 * cap + 1);
			if (grown == NULL)
				break;
			*out = grown;
			cap *= 2;
		} else if (*len == cap) {
			break;
		}
	}
	close(fds[0]);
	(*out)[*len] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "`kubectl config view --kubeconfig %s` "
		    "failed", file);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
plugin_kubeconfig_merge(const char *path_given,
    const struct plugin_api_kubeconfig *kc, const char *const *extra,
    size_t nextra, char *err, size_t errlen)
{
	char *path = NULL, *dir_copy = NULL, *old = NULL, *merged = NULL;
	char *yaml = NULL, *json_tmp = NULL;
	const char *dir;
	size_t old_len = 0, merged_len = 0, yaml_len = 0;
	mode_t mode = 0600;
	struct stat st;
	int rc = -1;

	/* A link is followed: the file it names is the one to change. */
	if ((path = realpath(path_given, NULL)) == NULL &&
	    (errno != ENOENT || (path = strdup(path_given)) == NULL)) {
		snprintf(err, errlen, "%s: %s", path_given, strerror(errno));
		goto done;
	}
	if ((dir_copy = strdup(path)) == NULL)
		goto nomem;
	dir = dirname(dir_copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto done;
	}
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 0777;
		if (st.st_size > 0 && plugin_kubeconfig_view(path, true, &old,
		    &old_len, err, errlen) < 0)
			goto done;
	}
	if ((merged = plugin_kubeconfig_merge_text(old, old_len, kc, extra,
	    nextra, &merged_len, err, errlen)) == NULL)
		goto done;
	/* kubectl's own YAML of the merged file is what gets written. */
	if (plugin_file_temp(dir, merged, merged_len, 0600, &json_tmp, err,
	    errlen) < 0 ||
	    plugin_kubeconfig_view(json_tmp, false, &yaml, &yaml_len, err,
	    errlen) < 0 ||
	    plugin_file_replace(path, yaml, yaml_len, mode, err, errlen) < 0)
		goto done;
	rc = 0;
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
done:
	if (json_tmp != NULL)
		unlink(json_tmp);
	free(json_tmp);
	free(yaml);
	free(merged);
	free(old);
	free(dir_copy);
	free(path);
	return rc;
}
