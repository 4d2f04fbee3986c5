/*
 * plugin_cache.c — token cache files: 0700 directory, 0600 files, atomic
 * replacement, one flock() per entry.
 */
#include "plugin_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl_gen.h>

#include "json.h"
#include "ktime.h"
#include "plugin_file.h"

#define PLUGIN_CACHE_FILE_MAX (64 * 1024)

void
plugin_cache_entry_cleanup(struct plugin_cache_entry *e)
{
	if (e->token != NULL) {
		explicit_bzero(e->token, strlen(e->token));
		free(e->token);
	}
	free(e->url);
	free(e->cluster);
	free(e->user);
	free(e->id);
	memset(e, 0, sizeof(*e));
}

/* Make PATH a directory of ours, mode 0700 (created when missing). */
static int
plugin_cache_own_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is not a directory of this user: "
		    "refusing to keep tokens there", path);
		return -1;
	}
	if ((st.st_mode & 0777) != 0700 && chmod(path, 0700) < 0) {
		snprintf(err, errlen, "cannot make %s private (chmod 0700): %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

int
plugin_cache_dir(char **dir, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base = NULL;
	struct stat st;

	*dir = NULL;
	/* The XDG specification: a relative $XDG_CACHE_HOME is ignored. */
	if (xdg != NULL && xdg[0] == '/') {
		if ((base = strdup(xdg)) == NULL)
			goto nomem;
	} else if (home != NULL && home[0] == '/') {
		if (asprintf(&base, "%s/.cache", home) < 0)
			goto nomem;
	} else {
		snprintf(err, errlen, "neither XDG_CACHE_HOME nor HOME is set: "
		    "nowhere to keep the token");
		return -1;
	}
	/* The base (~/.cache) is made when missing, but left as it is. */
	if (stat(base, &st) < 0 && (errno != ENOENT || mkdir(base, 0700) < 0)) {
		snprintf(err, errlen, "cannot create %s: %s", base, strerror(errno));
		free(base);
		return -1;
	}
	if (asprintf(dir, "%s/kubernetes-auth", base) < 0)
		goto nomem;
	free(base);
	if (plugin_cache_own_dir(*dir, err, errlen) < 0) {
		free(*dir);
		*dir = NULL;
		return -1;
	}
	return 0;
nomem:
	free(base);
	snprintf(err, errlen, "out of memory");
	return -1;
}

char *
plugin_cache_path(const char *dir, const char *url, const char *cluster,
    const char *user, const char *suffix)
{
	const char *parts[] = { url, cluster, user };
	uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a, 64 bits */
	const unsigned char *p;
	char *path;
	size_t i;

	/* Each part and its terminator: ("ab", "c") and ("a", "bc") differ. */
	for (i = 0; i < 3; i++) {
		for (p = (const unsigned char *)parts[i]; ; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
			if (*p == '\0')
				break;
		}
	}
	if (asprintf(&path, "%s/token-%016llx%s", dir, (unsigned long long)h,
	    suffix) < 0)
		return NULL;
	return path;
}

static void
plugin_cache_alarm(int sig)
{
	(void)sig;      /* only interrupts flock() */
}

int
plugin_cache_lock(const char *lock_path, unsigned wait_s,
    void (*on_wait)(void), int *fd, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = plugin_cache_alarm }, old;
	int rc;

	*fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		snprintf(err, errlen, "%s: %s", lock_path, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		snprintf(err, errlen, "flock %s: %s", lock_path, strerror(errno));
		goto fail;
	}
	if (on_wait != NULL)
		on_wait();
	/* No SA_RESTART: the alarm ends a wait that has lasted long enough. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	alarm(wait_s);
	rc = flock(*fd, LOCK_EX);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (rc == 0)
		return 0;
	if (errno == EINTR)
		snprintf(err, errlen, "another kubectl-auth_login held %s for %u "
		    "seconds: giving up", lock_path, wait_s);
	else
		snprintf(err, errlen, "flock %s: %s", lock_path, strerror(errno));
fail:
	close(*fd);
	*fd = -1;
	return -1;
}

/* A copy of string member KEY of OBJ, or NULL. */
static char *
plugin_cache_str(yajl_val obj, const char *key)
{
	const char *s = json_string(json_get(obj, key));

	return s != NULL ? strdup(s) : NULL;
}

int
plugin_cache_parse(const char *text, size_t len, struct plugin_cache_entry *e)
{
	yajl_val tree = NULL, token;
	const char *expiry;
	char why[160];
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (json_parse(text, len, &tree, why, sizeof(why)) < 0)
		return -1;
	expiry = json_string(json_get(tree, "expiry"));
	e->url = plugin_cache_str(tree, "url");
	e->cluster = plugin_cache_str(tree, "cluster");
	e->user = plugin_cache_str(tree, "user");
	e->id = plugin_cache_str(tree, "id");
	token = json_get(tree, "token");
	if (json_string(token) != NULL &&
	    strlen(json_string(token)) <= PLUGIN_CACHE_TOKEN_MAX)
		e->token = strdup(json_string(token));
	if (e->url != NULL && e->cluster != NULL && e->user != NULL &&
	    e->id != NULL && e->token != NULL && e->token[0] != '\0' &&
	    expiry != NULL && ktime_parse(expiry, &e->expiry_us) == 0)
		rc = 0;
	/* The tree held the token too. */
	if (json_string(token) != NULL)
		explicit_bzero(token->u.string, strlen(token->u.string));
	json_free(tree);
	return rc;
}

/* The entry in file PATH, whatever its key: 0 with *E and *EXISTS, 0
 * without *EXISTS when it is missing or is no entry, -1 with ERR when it
 * cannot be read. */
static int
plugin_cache_load(const char *path, struct plugin_cache_entry *e,
    bool *exists, char *err, size_t errlen)
{
	char *text = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	*exists = false;
	memset(e, 0, sizeof(*e));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(PLUGIN_CACHE_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	while (len < PLUGIN_CACHE_FILE_MAX && (n = read(fd, text + len,
	    PLUGIN_CACHE_FILE_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	text[len] = '\0';
	rc = 0;
	if (plugin_cache_parse(text, len, e) == 0)
		*exists = true;
	else
		plugin_cache_entry_cleanup(e);
done:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	close(fd);
	return rc;
}

int
plugin_cache_read(const char *path, const char *url, const char *cluster,
    const char *user, struct plugin_cache_entry *e, bool *found, char *err,
    size_t errlen)
{
	if (plugin_cache_load(path, e, found, err, errlen) < 0)
		return -1;
	if (*found && (strcmp(e->url, url) != 0 ||
	    strcmp(e->cluster, cluster) != 0 || strcmp(e->user, user) != 0)) {
		*found = false;
		plugin_cache_entry_cleanup(e);
	}
	return 0;
}

int
plugin_cache_peek(const char *path, struct plugin_cache_entry *e)
{
	char err[256];
	bool exists;

	return plugin_cache_load(path, e, &exists, err, sizeof(err)) == 0 &&
	    exists ? 0 : -1;
}

int
plugin_cache_list(const char *dir, char ***paths)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len, n = 0, cap = 0;
	char **v = NULL, **grown;

	*paths = NULL;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "token-", 6) != 0 || len < 11 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : 2 * cap;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = grown;
		}
		if (asprintf(&v[n], "%s/%s", dir, de->d_name) < 0)
			goto fail;
		n++;
	}
	closedir(d);
	*paths = v;
	return (int)n;
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(d);
	return -1;
}

/* E as the JSON text of a cache file, malloc'd (wipe and free it). */
static char *
plugin_cache_text(const struct plugin_cache_entry *e, size_t *len)
{
	char expiry[KTIME_TEXT_MAX];
	yajl_gen g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	ktime_format(e->expiry_us, expiry);
	yajl_gen_map_open(g);
	json_gen_str(g, "url", e->url);
	json_gen_str(g, "cluster", e->cluster);
	json_gen_str(g, "user", e->user);
	json_gen_str(g, "id", e->id);
	json_gen_str(g, "token", e->token);
	json_gen_str(g, "expiry", expiry);
	yajl_gen_map_close(g);
	return json_gen_take(g, len);
}

int
plugin_cache_write(const char *path, const struct plugin_cache_entry *e,
    char *err, size_t errlen)
{
	size_t len = 0;
	char *text = plugin_cache_text(e, &len);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = plugin_file_replace(path, text, len, 0600, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

int
plugin_cache_remove(const char *path, char *err, size_t errlen)
{
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
