/*
 * plugin.c — kubectl-auth_login: a kubectl plugin (`kubectl auth-login
 * setup | logout`) and the exec credential provider a kubeconfig from
 * GET /me/kubeconfig runs (`get-token`). doc/kubectl-plugin.md.
 *
 * get-token: the cached token for (service, cluster, user) when the
 * service still takes it (GET /me), else a login (POST /login with the
 * password asked on the terminal), cached; then the ExecCredential on
 * stdout. Everything for a person goes to stderr or the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "ktime.h"
#include "plugin_api.h"
#include "plugin_cache.h"
#include "plugin_cred.h"
#include "plugin_kubeconfig.h"
#include "plugin_tty.h"

#define PLUGIN "kubectl-auth_login"
#define PLUGIN_PASSWORD_MAX 1024
#define PLUGIN_LOCK_WAIT_S 300          /* another one's password prompt */
#define PLUGIN_EXPIRY_MARGIN_US (30 * 1000000LL)  /* a token this close to
                                           its end is not worth handing out */
#define PLUGIN_ANSWER_MAX (1024 * 1024)  /* bytes of an answer */
#define PLUGIN_ENV_USER "KUBERNETES_AUTH_USER"
#define PLUGIN_ENV_PASSWORD "KUBERNETES_AUTH_PASSWORD"

struct plugin_opts {
	const char *command;
	const char *url;
	const char *cluster;
	const char *user;               /* --user or $KUBERNETES_AUTH_USER */
	const char *ttl;
	const char *ca_file;
	const char *kubeconfig;
	bool insecure_allow_http;
	bool password_stdin;
};

/* One cache entry, locked while in use. */
struct plugin_slot {
	char *dir, *path, *lock_path;
	int lock_fd;
};

static void
plugin_usage(FILE *out)
{
	fprintf(out,
	    "usage: kubectl auth-login setup --url URL --cluster NAME [options]\n"
	    "       kubectl auth-login logout [--url URL --cluster NAME [--user NAME]]\n"
	    "       " PLUGIN " get-token --url URL --cluster NAME [options]\n"
	    "\n"
	    "  setup       log in, then write the cluster, a user running this plugin\n"
	    "              and a context (made current) into the kubeconfig\n"
	    "  get-token   print an ExecCredential for kubectl (what the kubeconfig\n"
	    "              runs): the cached token, or a new one after a login\n"
	    "  logout      revoke the cached token(s) and forget them\n"
	    "\n"
	    "options:\n"
	    "  --url URL                     the kubernetes-auth service (https://)\n"
	    "  --cluster NAME                the cluster, as the service names it\n"
	    "  --user NAME                   the user name to log in as (else asked,\n"
	    "                                or $" PLUGIN_ENV_USER ")\n"
	    "  --ttl DURATION                token lifetime to ask for (e.g. 8h;\n"
	    "                                default: the service's login.ttl)\n"
	    "  --certificate-authority FILE  CA certificates (PEM) for the service's\n"
	    "                                TLS certificate (default: the system's)\n"
	    "  --password-stdin              read the password from stdin's first line\n"
	    "                                (default: $" PLUGIN_ENV_PASSWORD ", else\n"
	    "                                asked on the terminal, /dev/tty)\n"
	    "  --kubeconfig FILE             setup: the file to write (default:\n"
	    "                                $KUBECONFIG's, else ~/.kube/config)\n"
	    "  --insecure-allow-http         allow an http:// URL (tests only: the\n"
	    "                                password would travel in the clear)\n"
	    "  -h, --help, --version\n"
	    "\n"
	    "Tokens are cached in $XDG_CACHE_HOME/kubernetes-auth/ (~/.cache/...).\n"
	    "See kubectl-auth_login(1).\n");
}

static int
plugin_parse(int argc, char **argv, struct plugin_opts *o)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'U' },
		{ "ttl", required_argument, NULL, 't' },
		{ "certificate-authority", required_argument, NULL, 'a' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "insecure-allow-http", no_argument, NULL, 'I' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->user = getenv(PLUGIN_ENV_USER);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': o->url = optarg; break;
		case 'c': o->cluster = optarg; break;
		case 'U': o->user = optarg; break;
		case 't': o->ttl = optarg; break;
		case 'a': o->ca_file = optarg; break;
		case 'k': o->kubeconfig = optarg; break;
		case 'I': o->insecure_allow_http = true; break;
		case 'P': o->password_stdin = true; break;
		case 'h': plugin_usage(stdout); exit(0);
		case 'V': printf(PLUGIN " %s\n", PACKAGE_VERSION); exit(0);
		default: return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, PLUGIN ": give one command: setup, get-token or "
		    "logout (try --help)\n");
		return -1;
	}
	o->command = argv[optind];
	if (o->user != NULL && o->user[0] == '\0')
		o->user = NULL;
	return 0;
}

/* The calls to the service at URL (borrowed), with O's TLS settings. */
static void
plugin_http_opts(const struct plugin_opts *o, const char *url,
    struct plugin_api *api)
{
	memset(api, 0, sizeof(*api));
	api->url = url;
	api->http.ca_file = o->ca_file;
	api->http.allow_http = o->insecure_allow_http;
	api->http.user_agent = PLUGIN "/" PACKAGE_VERSION;
	api->http.max_answer = PLUGIN_ANSWER_MAX;
}

/* The service's URL without trailing slashes, and the TLS settings. */
static int
plugin_api_init(const struct plugin_opts *o, struct plugin_api *api,
    char **url)
{
	size_t len;

	memset(api, 0, sizeof(*api));
	*url = NULL;
	if (o->url == NULL || o->cluster == NULL || o->cluster[0] == '\0') {
		fprintf(stderr, PLUGIN " %s: --url and --cluster are needed\n",
		    o->command);
		return -1;
	}
	if (strncmp(o->url, "https://", 8) != 0 && !(o->insecure_allow_http &&
	    strncmp(o->url, "http://", 7) == 0)) {
		fprintf(stderr, PLUGIN ": --url must be https:// (a password is "
		    "never sent in the clear)\n");
		return -1;
	}
	len = strlen(o->url);
	while (len > 0 && o->url[len - 1] == '/')
		len--;
	if ((*url = strndup(o->url, len)) == NULL)
		return -1;
	plugin_http_opts(o, *url, api);
	return 0;
}

/* --- the cache slot ------------------------------------------------------- */

static void
plugin_say_waiting(void)
{
	fprintf(stderr, PLUGIN ": waiting for another " PLUGIN " (a password "
	    "prompt?)\n");
}

/* Lock the entry (URL, CLUSTER, USER). Returns 0 or -1 (said). */
static int
plugin_slot_open(const char *url, const char *cluster, const char *user,
    struct plugin_slot *s)
{
	char err[512];

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	if (plugin_cache_dir(&s->dir, err, sizeof(err)) < 0)
		goto fail;
	s->path = plugin_cache_path(s->dir, url, cluster, user, ".json");
	s->lock_path = plugin_cache_path(s->dir, url, cluster, user, ".lock");
	if (s->path == NULL || s->lock_path == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (plugin_cache_lock(s->lock_path, PLUGIN_LOCK_WAIT_S,
	    plugin_say_waiting, &s->lock_fd, err, sizeof(err)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, PLUGIN ": token cache: %s\n", err);
	return -1;
}

static void
plugin_slot_close(struct plugin_slot *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s->path);
	free(s->lock_path);
	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
}

/* The cached token of slot S, when the service still takes it: *found.
 * Returns 0, or -1 (said) when the service cannot tell. */
static int
plugin_slot_cached(const struct plugin_api *api, const struct plugin_slot *s,
    const char *cluster, const char *user, struct plugin_cache_entry *e,
    bool *found)
{
	char err[512] = "";
	bool valid;

	if (plugin_cache_read(s->path, api->url, cluster, user, e, found, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": token cache: %s\n", err);
		return -1;
	}
	if (!*found)
		return 0;
	*found = false;
	if (e->expiry_us - PLUGIN_EXPIRY_MARGIN_US > ktime_now_us()) {
		if (plugin_api_check(api, e->token, &valid, err, sizeof(err)) < 0) {
			fprintf(stderr, PLUGIN ": %s\n", err);
			return -1;
		}
		*found = valid;
	}
	if (!*found) {
		if (err[0] != '\0')
			fprintf(stderr, PLUGIN ": the cached token is refused (%s): "
			    "log in again\n", err);
		else
			fprintf(stderr, PLUGIN ": the cached token is expired or "
			    "revoked: log in again\n");
		plugin_cache_entry_cleanup(e);
	}
	return 0;
}

/* --- logging in ----------------------------------------------------------- */

/* The user name and password to log in with: --user (or the environment),
 * else asked; the password from --password-stdin, the environment, or the
 * terminal (never stdin otherwise: kubectl may own it). */
static int
plugin_credentials(const struct plugin_opts *o, const char *url, char *user,
    size_t user_size, char *password, size_t password_size)
{
	const char *env = getenv(PLUGIN_ENV_PASSWORD);
	char prompt[600], err[256];

	if (o->user != NULL) {
		snprintf(user, user_size, "%s", o->user);
	} else {
		snprintf(prompt, sizeof(prompt), "User name for %s: ", url);
		if (plugin_tty_ask(prompt, false, user, user_size, err,
		    sizeof(err)) < 0)
			goto fail;
	}
	if (o->password_stdin) {
		if (plugin_tty_read_line(STDIN_FILENO, password, password_size,
		    err, sizeof(err)) < 0)
			goto fail;
	} else if (env != NULL && env[0] != '\0') {
		snprintf(password, password_size, "%s", env);
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s at %s: ", user,
		    url);
		if (plugin_tty_ask(prompt, true, password, password_size, err,
		    sizeof(err)) < 0)
			goto fail;
	}
	if (user[0] == '\0' || password[0] == '\0') {
		snprintf(err, sizeof(err), "an empty user name or password");
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, PLUGIN ": cannot get the %s: %s (for scripts: $"
	    PLUGIN_ENV_PASSWORD " or --password-stdin)\n",
	    user[0] == '\0' ? "user name" : "password", err);
	return -1;
}

/* Log in and fill *E (key fields from O and USER_KEY). Returns 0 or -1. */
static int
plugin_login(const struct plugin_opts *o, const struct plugin_api *api,
    const char *user_key, struct plugin_cache_entry *e)
{
	char user[256] = "", password[PLUGIN_PASSWORD_MAX], host[256] = "?";
	char description[300], err[512];
	struct plugin_api_token t;
	long retry_after;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (plugin_credentials(o, api->url, user, sizeof(user), password,
	    sizeof(password)) < 0)
		goto done;
	gethostname(host, sizeof(host) - 1);
	snprintf(description, sizeof(description), PLUGIN " on %s", host);
	if (plugin_api_login(api, user, password, o->cluster, o->ttl,
	    description, &t, &retry_after, err, sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": %s\n", err);
		goto done;
	}
	e->url = strdup(api->url);
	e->cluster = strdup(o->cluster);
	e->user = strdup(user_key);
	e->id = t.id;
	e->token = t.token;
	e->expiry_us = t.expiry_us;
	rc = e->url != NULL && e->cluster != NULL && e->user != NULL ? 0 : -1;
done:
	explicit_bzero(password, sizeof(password));
	return rc;
}

/* A token for slot S: the cached one when still good, else a login whose
 * token is cached. Returns 0 with *E, or -1 (said). */
static int
plugin_token(const struct plugin_opts *o, const struct plugin_api *api,
    const struct plugin_slot *s, struct plugin_cache_entry *e)
{
	const char *user_key = o->user != NULL ? o->user : "";
	char err[512];
	bool found;

	if (plugin_slot_cached(api, s, o->cluster, user_key, e, &found) < 0)
		return -1;
	if (found)
		return 0;
	if (plugin_login(o, api, user_key, e) < 0)
		return -1;
	if (plugin_cache_write(s->path, e, err, sizeof(err)) < 0)
		fprintf(stderr, PLUGIN ": token cache: %s (the token is used, "
		    "not kept)\n", err);
	return 0;
}

/* --- commands ------------------------------------------------------------- */

static int
plugin_get_token(const struct plugin_opts *o)
{
	struct plugin_cache_entry e = { .url = NULL };
	struct plugin_slot s = { .lock_fd = -1 };
	struct plugin_api api;
	const char *api_version;
	char *url = NULL, *cred = NULL, err[256];
	int status = 1;

	if (plugin_cred_exec_info(getenv("KUBERNETES_EXEC_INFO"), &api_version,
	    err, sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": %s\n", err);
		return 1;
	}
	if (plugin_api_init(o, &api, &url) < 0)
		return 2;
	if (plugin_slot_open(api.url, o->cluster, o->user != NULL ? o->user :
	    "", &s) < 0 || plugin_token(o, &api, &s, &e) < 0)
		goto done;
	if ((cred = plugin_cred_json(api_version, e.token, e.expiry_us)) == NULL)
		goto done;
	if (fputs(cred, stdout) != EOF && fflush(stdout) == 0)
		status = 0;
	explicit_bzero(cred, strlen(cred));
	free(cred);
done:
	plugin_cache_entry_cleanup(&e);
	plugin_slot_close(&s);
	free(url);
	return status;
}

/* The options setup was given that get-token needs too: they go after the
 * service's exec args in the kubeconfig. *N strings; the path is made
 * absolute (kubectl runs the plugin from anywhere). */
static int
plugin_setup_extra(const struct plugin_opts *o, const char *extra[4],
    size_t *n, char **ca_path)
{
	*n = 0;
	*ca_path = NULL;
	if (o->ca_file != NULL) {
		if ((*ca_path = realpath(o->ca_file, NULL)) == NULL) {
			fprintf(stderr, PLUGIN ": --certificate-authority %s: %s\n",
			    o->ca_file, strerror(errno));
			return -1;
		}
		extra[(*n)++] = "--certificate-authority";
		extra[(*n)++] = *ca_path;
	}
	if (o->insecure_allow_http)
		extra[(*n)++] = "--insecure-allow-http";
	return 0;
}

static int
plugin_setup(const struct plugin_opts *o)
{
	struct plugin_cache_entry e = { .url = NULL };
	struct plugin_slot s = { .lock_fd = -1 }, mine = { .lock_fd = -1 };
	struct plugin_api_kubeconfig kc = { .cluster = NULL };
	struct plugin_api api;
	const char *extra[4];
	char *url = NULL, *ca_path = NULL, *kubeconfig = NULL, err[768];
	size_t nextra;
	int status = 1;

	if (plugin_api_init(o, &api, &url) < 0 ||
	    plugin_setup_extra(o, extra, &nextra, &ca_path) < 0) {
		status = 2;
		goto done;
	}
	if ((kubeconfig = plugin_kubeconfig_path(o->kubeconfig)) == NULL) {
		fprintf(stderr, PLUGIN ": no kubeconfig to write: give "
		    "--kubeconfig\n");
		goto done;
	}
	if (plugin_slot_open(api.url, o->cluster, o->user != NULL ? o->user :
	    "", &s) < 0 || plugin_token(o, &api, &s, &e) < 0)
		goto done;
	if (plugin_api_kubeconfig(&api, e.token, o->cluster, &kc, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": %s\n", err);
		goto done;
	}
	/* get-token will look the token up under the kubeconfig's --user:
	 * move it there, so that the first kubectl asks for nothing. */
	if (kc.user != NULL && strcmp(kc.user, e.user) != 0) {
		free(e.user);
		if ((e.user = strdup(kc.user)) == NULL ||
		    plugin_slot_open(api.url, o->cluster, kc.user, &mine) < 0 ||
		    plugin_cache_write(mine.path, &e, err, sizeof(err)) < 0 ||
		    plugin_cache_remove(s.path, err, sizeof(err)) < 0)
			fprintf(stderr, PLUGIN ": token cache: not kept for %s\n",
			    kc.user);
	}
	if (plugin_kubeconfig_merge(kubeconfig, &kc, extra, nextra, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": %s\n", err);
		goto done;
	}
	fprintf(stderr, "%s: cluster %s, user %s and context %s written; the "
	    "current context is %s\n", kubeconfig, kc.cluster, kc.user_entry,
	    kc.context, kc.context);
	status = 0;
done:
	plugin_api_kubeconfig_cleanup(&kc);
	plugin_cache_entry_cleanup(&e);
	plugin_slot_close(&mine);
	plugin_slot_close(&s);
	free(kubeconfig);
	free(ca_path);
	free(url);
	return status;
}

/* Revoke and forget the entry in slot S (key URL, CLUSTER, USER). */
static int
plugin_logout_one(const struct plugin_opts *o, const char *url,
    const char *cluster, const char *user, const struct plugin_slot *s)
{
	struct plugin_cache_entry e;
	struct plugin_api api;
	char err[512];
	bool found;
	int rc = -1;

	plugin_http_opts(o, url, &api);
	if (plugin_cache_read(s->path, url, cluster, user, &e, &found, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": token cache: %s\n", err);
		return -1;
	}
	if (!found) {
		fprintf(stderr, PLUGIN ": no token kept for %s, cluster %s\n",
		    url, cluster);
		return 0;
	}
	if (plugin_api_revoke(&api, e.token, e.id, err, sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": %s: the token is kept, try again\n", err);
		goto done;
	}
	if (plugin_cache_remove(s->path, err, sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": token cache: %s\n", err);
		goto done;
	}
	fprintf(stderr, PLUGIN ": logged out of %s, cluster %s (token %s "
	    "revoked)\n", url, cluster, e.id);
	rc = 0;
done:
	plugin_cache_entry_cleanup(&e);
	return rc;
}

/* Every entry of the cache directory, each under its own lock. */
static int
plugin_logout_all(const struct plugin_opts *o)
{
	struct plugin_slot s = { .lock_fd = -1 };
	char *dir = NULL, **names = NULL, err[512];
	int i, n, status = 0;

	if (plugin_cache_dir(&dir, err, sizeof(err)) < 0) {
		fprintf(stderr, PLUGIN ": token cache: %s\n", err);
		return 1;
	}
	if ((n = plugin_cache_list(dir, &names)) < 0) {
		fprintf(stderr, PLUGIN ": token cache: cannot list %s\n", dir);
		free(dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct plugin_cache_entry key;
		bool found;

		/* The key is in the file: read it, then lock and read again. */
		if (plugin_cache_peek(names[i], &key) < 0)
			continue;
		found = plugin_slot_open(key.url, key.cluster, key.user, &s) == 0;
		if (!found || plugin_logout_one(o, key.url, key.cluster, key.user,
		    &s) < 0)
			status = 1;
		plugin_slot_close(&s);
		plugin_cache_entry_cleanup(&key);
	}
	if (n == 0)
		fprintf(stderr, PLUGIN ": no token kept: nothing to log out of\n");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return status;
}

static int
plugin_logout(const struct plugin_opts *o)
{
	struct plugin_slot s = { .lock_fd = -1 };
	struct plugin_api api;
	char *url = NULL;
	int status = 1;

	if (o->url == NULL && o->cluster == NULL)
		return plugin_logout_all(o);
	if (plugin_api_init(o, &api, &url) < 0)
		return 2;
	if (plugin_slot_open(api.url, o->cluster, o->user != NULL ? o->user :
	    "", &s) == 0 && plugin_logout_one(o, api.url, o->cluster,
	    o->user != NULL ? o->user : "", &s) == 0)
		status = 0;
	plugin_slot_close(&s);
	free(url);
	return status;
}

int
main(int argc, char **argv)
{
	struct plugin_opts o;

	if (plugin_parse(argc, argv, &o) < 0)
		return 2;
	if (http_init() < 0) {
		fprintf(stderr, PLUGIN ": libcurl's set-up failed\n");
		return 1;
	}
	if (strcmp(o.command, "get-token") == 0)
		return plugin_get_token(&o);
	if (strcmp(o.command, "setup") == 0)
		return plugin_setup(&o);
	if (strcmp(o.command, "logout") == 0)
		return plugin_logout(&o);
	if (strcmp(o.command, "help") == 0) {
		plugin_usage(stdout);
		return 0;
	}
	fprintf(stderr, PLUGIN ": unknown command \"%s\" (try --help)\n",
	    o.command);
	return 2;
}
