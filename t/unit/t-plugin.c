/*
 * t-plugin.c — the credential plugin's pure parts and its token cache:
 * ExecCredential in (KUBERNETES_EXEC_INFO) and out, for v1 and v1beta1;
 * cache directory and file modes, atomic replacement, keys; the lock
 * between two processes; the parsers of the service's answers; the
 * kubeconfig merge.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "../../src/json.h"
#include "../../src/ktime.h"
#include "../../src/plugin_api.h"
#include "../../src/plugin_cache.h"
#include "../../src/plugin_cred.h"
#include "../../src/plugin_kubeconfig.h"
#include "tap.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static yajl_val
parse(const char *text)
{
	yajl_val v = NULL;
	char err[160] = "";

	if (text == NULL || json_parse(text, strlen(text), &v, err, sizeof(err)) < 0)
		return NULL;
	return v;
}

/* The string at PATH (member names, "/"-separated) of V, or NULL. */
static const char *
at(yajl_val v, const char *path)
{
	char copy[256], *key, *save = NULL;

	snprintf(copy, sizeof(copy), "%s", path);
	for (key = strtok_r(copy, "/", &save); key != NULL && v != NULL;
	    key = strtok_r(NULL, "/", &save))
		v = json_get(v, key);
	return json_string(v);
}

static void
test_exec_info(void)
{
	const char *version = NULL;
	char err[256] = "";

	ok(plugin_cred_exec_info(NULL, &version, err, sizeof(err)) == 0 &&
	    strcmp(version, PLUGIN_CRED_V1BETA1) == 0,
	    "no KUBERNETES_EXEC_INFO (run by hand): v1beta1");
	ok(plugin_cred_exec_info("", &version, err, sizeof(err)) == 0 &&
	    strcmp(version, PLUGIN_CRED_V1BETA1) == 0, "an empty one: v1beta1");
	/* What kubectl 1.20 sets, byte for byte. */
	ok(plugin_cred_exec_info("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1beta1\",\"spec\":{}}", &version,
	    err, sizeof(err)) == 0 && strcmp(version, PLUGIN_CRED_V1BETA1) == 0,
	    "kubectl 1.20's: v1beta1");
	ok(plugin_cred_exec_info("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1\",\"spec\":{\"interactive\":true}}",
	    &version, err, sizeof(err)) == 0 && strcmp(version, PLUGIN_CRED_V1) == 0,
	    "a v1 one (kubectl 1.22+): v1");
	ok(plugin_cred_exec_info("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1alpha1\"}", &version, err,
	    sizeof(err)) < 0 && strstr(err, "v1alpha1") != NULL,
	    "v1alpha1: refused, naming it (%s)", err);
	ok(plugin_cred_exec_info("{\"kind\":\"Config\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1\"}", &version, err,
	    sizeof(err)) < 0, "another kind: refused");
	ok(plugin_cred_exec_info("{\"apiVersion\":\"client.authentication.k8s.io/v1\"}",
	    &version, err, sizeof(err)) < 0, "no kind: refused");
	ok(plugin_cred_exec_info("{\"kind\":", &version, err, sizeof(err)) < 0,
	    "not JSON: refused");
	ok(plugin_cred_exec_info("[]", &version, err, sizeof(err)) < 0,
	    "an array: refused");
}

static void
test_cred_json(void)
{
	const char *versions[] = { PLUGIN_CRED_V1, PLUGIN_CRED_V1BETA1 };
	/* 2030-01-02T03:04:05.999999Z: written to the second, rounded down. */
	int64_t expiry = 1893553445999999LL;
	size_t i;

	for (i = 0; i < 2; i++) {
		char *text = plugin_cred_json(versions[i], TOKEN, expiry);
		yajl_val v = parse(text);
		yajl_val status = json_get(v, "status");

		ok(v != NULL && YAJL_IS_OBJECT(v), "%s: the ExecCredential is "
		    "a JSON object", versions[i]);
		is_str(at(v, "apiVersion"), versions[i], "%s: the apiVersion asked for",
		    versions[i]);
		is_str(at(v, "kind"), "ExecCredential", "%s: kind ExecCredential",
		    versions[i]);
		is_str(at(v, "status/token"), TOKEN, "%s: status.token", versions[i]);
		is_str(at(v, "status/expirationTimestamp"), "2030-01-02T03:04:05Z",
		    "%s: status.expirationTimestamp, RFC 3339, rounded down",
		    versions[i]);
		is_int(v != NULL ? v->u.object.len : 0, 3, "%s: apiVersion, kind, "
		    "status and nothing else", versions[i]);
		is_int(status != NULL ? status->u.object.len : 0, 2,
		    "%s: status holds token and expirationTimestamp only",
		    versions[i]);
		ok(text != NULL && text[strlen(text) - 1] == '\n' &&
		    strchr(text, '\n') == text + strlen(text) - 1,
		    "%s: one line", versions[i]);
		json_free(v);
		free(text);
	}
}

/* How many entries DIR has, . and .. aside. */
static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
test_cache(const char *base)
{
	struct plugin_cache_entry e = { .url = (char *)"https://auth.example.org",
	    .cluster = (char *)"prod", .user = (char *)"alice",
	    .id = (char *)"9a41c0de-0000-4000-8000-000000000001",
	    .token = (char *)TOKEN, .expiry_us = 1893553445000000LL }, got;
	char *dir = NULL, *path, *other, *again, *shifted, *moved, **names;
	char xdg[512], err[256], link[600];
	bool found;
	int i, n;

	snprintf(xdg, sizeof(xdg), "%s/cache", base);
	setenv("XDG_CACHE_HOME", xdg, 1);
	umask(0);       /* the modes must not come from the umask */
	ok(plugin_cache_dir(&dir, err, sizeof(err)) == 0, "the cache directory "
	    "is made under $XDG_CACHE_HOME (%s)", err);
	ok(dir != NULL && strcmp(dir + strlen(xdg), "/kubernetes-auth") == 0,
	    "... $XDG_CACHE_HOME/kubernetes-auth");
	is_int(mode_of(dir), 0700, "... mode 0700 whatever the umask");
	chmod(dir, 0755);
	free(dir);
	ok(plugin_cache_dir(&dir, err, sizeof(err)) == 0 &&
	    mode_of(dir) == 0700, "a looser one of ours is made 0700 again");

	path = plugin_cache_path(dir, e.url, e.cluster, e.user, ".json");
	other = plugin_cache_path(dir, e.url, e.cluster, "bob", ".json");
	again = plugin_cache_path(dir, e.url, e.cluster, e.user, ".json");
	shifted = plugin_cache_path(dir, e.url, "prodalice", "", ".json");
	ok(strcmp(path, again) == 0, "one path per (service, cluster, user)");
	ok(strcmp(path, other) != 0, "another user: another file");
	ok(strcmp(path, shifted) != 0, "(prod, alice) and (prodalice, \"\") differ");
	ok(strncmp(path, dir, strlen(dir)) == 0 &&
	    strncmp(path + strlen(dir), "/token-", 7) == 0 &&
	    strlen(path + strlen(dir)) == strlen("/token-") + 16 + 5,
	    "token-<16 hex>.json in the directory (%s)", path + strlen(dir));

	ok(plugin_cache_read(path, e.url, e.cluster, e.user, &got, &found, err,
	    sizeof(err)) == 0 && !found, "nothing cached yet: not found");
	ok(plugin_cache_write(path, &e, err, sizeof(err)) == 0, "write (%s)", err);
	is_int(mode_of(path), 0600, "the file is 0600 whatever the umask");
	is_int(count_files(dir), 1, "... no temporary file left beside it");
	ok(plugin_cache_read(path, e.url, e.cluster, e.user, &got, &found, err,
	    sizeof(err)) == 0 && found, "read back: found");
	ok(found && strcmp(got.token, TOKEN) == 0 && strcmp(got.id, e.id) == 0 &&
	    got.expiry_us == e.expiry_us, "... the same token, id and expiry");
	plugin_cache_entry_cleanup(&got);
	ok(plugin_cache_read(path, e.url, e.cluster, "bob", &got, &found, err,
	    sizeof(err)) == 0 && !found,
	    "a file holding another key counts as none");

	/* Replacing: rename() over the old file, a new inode. */
	{
		struct stat before, after;
		e.token = (char *)"ffff" TOKEN;
		stat(path, &before);
		ok(plugin_cache_write(path, &e, err, sizeof(err)) == 0, "rewrite");
		stat(path, &after);
		ok(before.st_ino != after.st_ino, "... a new file renamed over the "
		    "old one (atomic for readers)");
		ok(plugin_cache_read(path, e.url, e.cluster, e.user, &got, &found,
		    err, sizeof(err)) == 0 && found &&
		    strcmp(got.token, "ffff" TOKEN) == 0, "... the new token is read");
		plugin_cache_entry_cleanup(&got);
		is_int(mode_of(path), 0600, "... still 0600");
	}

	/* A write that cannot happen leaves nothing behind. */
	chmod(dir, 0500);
	if (geteuid() != 0) {
		ok(plugin_cache_write(other, &e, err, sizeof(err)) < 0,
		    "a directory that cannot be written: the write fails (%s)", err);
		is_int(count_files(dir), 1, "... and leaves no file");
	}
	chmod(dir, 0700);

	n = plugin_cache_list(dir, &names);
	is_int(n, 1, "list: one entry file");
	ok(n == 1 && plugin_cache_peek(names[0], &got) == 0 &&
	    strcmp(got.user, "alice") == 0, "peek reads its key");
	if (n == 1)
		plugin_cache_entry_cleanup(&got);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);

	/* A corrupt file is no entry. */
	{
		int fd = open(path, O_WRONLY | O_TRUNC);
		ok(fd >= 0 && write(fd, "{\"token\":", 9) == 9, "corrupt the file");
		close(fd);
		ok(plugin_cache_read(path, e.url, e.cluster, e.user, &got, &found,
		    err, sizeof(err)) == 0 && !found, "... then it counts as none");
	}
	ok(plugin_cache_remove(path, err, sizeof(err)) == 0 &&
	    access(path, F_OK) < 0, "remove");
	ok(plugin_cache_remove(path, err, sizeof(err)) == 0,
	    "remove a missing file: no error");

	/* A symbolic link where the directory should be is refused. */
	snprintf(link, sizeof(link), "%s/linked", base);
	mkdir(link, 0700);
	snprintf(xdg, sizeof(xdg), "%s/linked/kubernetes-auth", base);
	ok(symlink("/tmp", xdg) == 0, "put a link in place of the directory");
	snprintf(xdg, sizeof(xdg), "%s/linked", base);
	setenv("XDG_CACHE_HOME", xdg, 1);
	moved = NULL;
	ok(plugin_cache_dir(&moved, err, sizeof(err)) < 0 &&
	    strstr(err, "not a directory of this user") != NULL,
	    "... refused (%s)", err);
	free(moved);

	/* A relative $XDG_CACHE_HOME is ignored (the XDG specification). */
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", base, 1);
	ok(plugin_cache_dir(&moved, err, sizeof(err)) == 0 && moved != NULL &&
	    strncmp(moved, base, strlen(base)) == 0 &&
	    strcmp(moved + strlen(base), "/.cache/kubernetes-auth") == 0,
	    "a relative $XDG_CACHE_HOME: ~/.cache/kubernetes-auth");
	free(moved);
	free(path);
	free(other);
	free(again);
	free(shifted);
	free(dir);
	umask(022);
}

static int waited;
static int wait_signal_fd = -1;

static void
on_wait(void)
{
	waited++;
	if (wait_signal_fd >= 0 && write(wait_signal_fd, "w", 1) != 1)
		abort();
}

/* A child holds the lock until told (or, with RELEASE_ON_WAIT, until the
 * parent says it waits). */
static pid_t
hold_lock(const char *lock_path, int *to_child, int *from_child)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe(down) < 0 || pipe(up) < 0)
		abort();
	if ((pid = fork()) == 0) {
		char err[256] = "", c;
		int fd;
		close(down[1]);
		close(up[0]);
		if (plugin_cache_lock(lock_path, 5, NULL, &fd, err, sizeof(err)) < 0)
			_exit(1);
		if (write(up[1], "l", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		close(fd);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	*to_child = down[1];
	*from_child = up[0];
	return pid;
}

static void
test_lock(const char *base)
{
	char lock_path[512], err[256], c;
	int fd = -1, to_child, from_child, status;
	pid_t pid;

	snprintf(lock_path, sizeof(lock_path), "%s/entry.lock", base);
	ok(plugin_cache_lock(lock_path, 5, NULL, &fd, err, sizeof(err)) == 0,
	    "lock a free entry");
	is_int(mode_of(lock_path), 0600, "... its lock file is 0600");
	close(fd);

	/* Another process holds it: a short wait gives up, saying so. */
	pid = hold_lock(lock_path, &to_child, &from_child);
	ok(read(from_child, &c, 1) == 1, "a second process takes the lock");
	waited = 0;
	ok(plugin_cache_lock(lock_path, 1, on_wait, &fd, err, sizeof(err)) < 0,
	    "while it holds it, the lock is not granted (%s)", err);
	is_int(waited, 1, "... after saying once that it waits");
	ok(write(to_child, "r", 1) == 1 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0, "the holder lets go");
	close(to_child);
	close(from_child);

	/* Waiting: granted as soon as the holder lets go. The holder lets
	 * go when it hears that we wait, so that nothing depends on time. */
	pid = hold_lock(lock_path, &to_child, &from_child);
	ok(read(from_child, &c, 1) == 1, "a second process takes the lock again");
	waited = 0;
	wait_signal_fd = to_child;
	ok(plugin_cache_lock(lock_path, 30, on_wait, &fd, err, sizeof(err)) == 0,
	    "waiting for it: granted once the holder lets go");
	is_int(waited, 1, "... having waited");
	wait_signal_fd = -1;
	/* Granted without waiting (a lock that excludes nothing): the
	 * holder never heard us, and must still be let go. */
	if (waited == 0 && write(to_child, "r", 1) != 1)
		abort();
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "... the holder is gone");
	/* Now we hold it: the child cannot. */
	pid = fork();
	if (pid == 0) {
		int child_fd;
		_exit(plugin_cache_lock(lock_path, 1, NULL, &child_fd, err,
		    sizeof(err)) < 0 ? 0 : 1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "held by us, another process is refused");
	close(fd);
	close(to_child);
	close(from_child);
}

static void
test_answers(void)
{
	struct plugin_api_token t;
	struct plugin_api_kubeconfig kc;
	char err[256] = "", text[64];
	const char *good = "{\"apiVersion\":\"v1\",\"kind\":\"Config\","
	    "\"clusters\":[{\"name\":\"prod\",\"cluster\":{\"server\":"
	    "\"https://prod.example.org:6443\",\"certificate-authority-data\":"
	    "\"QUJD\"}}],\"users\":[{\"name\":\"alice@prod\",\"user\":{\"exec\":"
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"command\":"
	    "\"kubectl-auth_login\",\"args\":[\"get-token\",\"--url\","
	    "\"https://auth\",\"--cluster\",\"prod\",\"--user\",\"alice\"]}}}],"
	    "\"contexts\":[{\"name\":\"prod\",\"context\":{\"cluster\":\"prod\","
	    "\"user\":\"alice@prod\"}}],\"current-context\":\"prod\"}";
	char bad[2048];

	{
		const char *body = "{\"id\":\"x\",\"token\":\"" TOKEN "\","
		    "\"expiry\":\"2030-01-02T03:04:05Z\",\"user_id\":\"u\"}";
		ok(plugin_api_parse_token(body, strlen(body), &t) == 0 &&
		    strcmp(t.id, "x") == 0 && strcmp(t.token, TOKEN) == 0 &&
		    t.expiry_us == 1893553445000000LL, "a login answer: id, token, expiry");
		plugin_api_token_cleanup(&t);
		body = "{\"id\":\"x\",\"token\":\"" TOKEN "\"}";
		ok(plugin_api_parse_token(body, strlen(body), &t) < 0,
		    "no expiry: refused");
		plugin_api_token_cleanup(&t);
		body = "{\"id\":\"x\",\"token\":\"a\\nb\",\"expiry\":\"2030-01-02T03:04:05Z\"}";
		ok(plugin_api_parse_token(body, strlen(body), &t) < 0,
		    "a token with a newline: refused");
		plugin_api_token_cleanup(&t);
	}

	err[0] = '\0';
	ok(plugin_api_parse_kubeconfig(good, strlen(good), &kc, err,
	    sizeof(err)) == 0 && err[0] == '\0',
	    "the service's kubeconfig parses, no error written (%s)", err);
	is_str(kc.server, "https://prod.example.org:6443", "... its server");
	is_str(kc.ca_data, "QUJD", "... its CA data");
	is_str(kc.user_entry, "alice@prod", "... its user entry");
	is_str(kc.user, "alice", "... the user get-token logs in as");
	is_int(kc.nargs, 7, "... the exec args");
	plugin_api_kubeconfig_cleanup(&kc);

	{
		/* Each refused for its own reason: WHY is in the error. */
		struct { const char *from, *to, *what, *why; } cases[] = {
			{ "\"kubectl-auth_login\"", "\"sh\"", "another exec command",
			    "exec command is not" },
			{ "\"https://prod.example.org:6443\"", "\"http://prod\"",
			    "an http:// server", "not an https:// URL" },
			{ "\"get-token\",", "\"setup\",", "args not starting with get-token",
			    "do not start with get-token" },
			{ "\"--user\",", "1,", "an arg that is no string",
			    "is not a clean string" },
			{ "\"name\":\"prod\",\"cluster\"", "\"name\":\"pr\\nod\",\"cluster\"",
			    "a cluster name with a newline", "names are missing or not clean" },
			{ "\"QUJD\"", "\"QU JD\"", "CA data that is not base64",
			    "is not base64" },
			{ "v1beta1\",\"command", "v1alpha1\",\"command",
			    "an exec apiVersion this plugin does not speak",
			    "apiVersion is none this plugin speaks" },
		};
		size_t i;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *p = strstr(good, cases[i].from);
			snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(p - good), good,
			    cases[i].to, p + strlen(cases[i].from));
			err[0] = '\0';
			ok(plugin_api_parse_kubeconfig(bad, strlen(bad), &kc, err,
			    sizeof(err)) < 0 && strstr(err, cases[i].why) != NULL,
			    "a kubeconfig with %s: refused (%s)", cases[i].what, err);
			plugin_api_kubeconfig_cleanup(&kc);
		}
		snprintf(bad, sizeof(bad), "{\"clusters\":[],\"users\":[],\"contexts\":[]}");
		ok(plugin_api_parse_kubeconfig(bad, strlen(bad), &kc, err,
		    sizeof(err)) < 0, "an empty kubeconfig: refused");
		plugin_api_kubeconfig_cleanup(&kc);
	}

	{
		const char *body = "{\"error\":\"wrong\\u001b[31m\"}";
		plugin_api_error_text(body, strlen(body), text, sizeof(text));
	}
	is_str(text, "wrong?[31m", "an error text: control characters replaced");
	plugin_api_error_text("<html>", 6, text, sizeof(text));
	is_str(text, "", "no JSON: no text");
}

static void
test_merge(void)
{
	struct plugin_api_kubeconfig kc;
	const char *svc = "{\"clusters\":[{\"name\":\"prod\",\"cluster\":{\"server\":"
	    "\"https://prod:6443\"}}],\"users\":[{\"name\":\"alice@prod\",\"user\":"
	    "{\"exec\":{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
	    "\"command\":\"kubectl-auth_login\",\"args\":[\"get-token\"]}}}],"
	    "\"contexts\":[{\"name\":\"prod\",\"context\":{\"cluster\":\"prod\","
	    "\"user\":\"alice@prod\"}}]}";
	const char *old = "{\"kind\":\"Config\",\"apiVersion\":\"v1\","
	    "\"preferences\":{\"colors\":true},\"clusters\":[{\"name\":\"other\","
	    "\"cluster\":{\"server\":\"https://other\"}},{\"name\":\"prod\","
	    "\"cluster\":{\"server\":\"https://stale\"}}],\"users\":null,"
	    "\"contexts\":[{\"name\":\"other\",\"context\":{\"cluster\":\"other\","
	    "\"user\":\"x\"}}],\"current-context\":\"other\"}";
	const char *extra[] = { "--certificate-authority", "/etc/ca.pem" };
	char err[256] = "", *text;
	size_t len;
	yajl_val v;

	ok(plugin_api_parse_kubeconfig(svc, strlen(svc), &kc, err, sizeof(err)) == 0,
	    "a kubeconfig to merge (%s)", err);
	text = plugin_kubeconfig_merge_text(NULL, 0, &kc, extra, 2, &len, err,
	    sizeof(err));
	v = parse(text);
	is_str(at(v, "current-context"), "prod", "into nothing: the context is current");
	is_int(json_get(json_get(json_get(json_get(v, "users")->u.array.values[0],
	    "user"), "exec"), "args")->u.array.len, 3,
	    "... the exec args with setup's options after them");
	json_free(v);
	free(text);

	text = plugin_kubeconfig_merge_text(old, strlen(old), &kc, NULL, 0, &len,
	    err, sizeof(err));
	v = parse(text);
	ok(v != NULL, "into a kubeconfig with entries: merged");
	is_int(json_get(v, "clusters")->u.array.len, 2, "... two clusters: "
	    "the other kept, prod replaced");
	is_str(json_string(json_get(json_get(json_get(v, "clusters")->u.array.values[1],
	    "cluster"), "server")), "https://prod:6443", "... prod's server is the new one");
	is_int(json_get(v, "contexts")->u.array.len, 2, "... both contexts");
	is_str(at(v, "current-context"), "prod", "... ours current");
	ok(YAJL_IS_TRUE(json_get(json_get(v, "preferences"), "colors")),
	    "... preferences kept");
	json_free(v);
	free(text);
	ok(plugin_kubeconfig_merge_text("[1]", 3, &kc, NULL, 0, &len, err,
	    sizeof(err)) == NULL, "a kubeconfig that is no object: refused");
	plugin_api_kubeconfig_cleanup(&kc);
}

int
main(void)
{
	char base[] = "/tmp/t-plugin.XXXXXX";

	if (mkdtemp(base) == NULL)
		return 1;
	test_exec_info();
	test_cred_json();
	test_cache(base);
	test_lock(base);
	test_answers();
	test_merge();
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", base);
	}
	return tap_done();
}
