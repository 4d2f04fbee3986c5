/*
 * plugin_cache.h — the credential plugin's token cache: one file per
 * (service URL, cluster, user) under $XDG_CACHE_HOME/kubernetes-auth/
 * (default ~/.cache/kubernetes-auth/).
 *
 * The directory is 0700, each file 0600, whatever the umask. A file is
 * written whole to a temporary file in the same directory and renamed
 * over the old one, so a reader sees the old token or the new, never half
 * of one. Every use of an entry happens under an exclusive flock() of its
 * own lock file (a renamed-over file cannot be locked), so that two
 * kubectl processes starting at once make one login, not two. A file that
 * does not parse, or names another (URL, cluster, user), counts as none.
 */
#ifndef KA_PLUGIN_CACHE_H
#define KA_PLUGIN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN_CACHE_TOKEN_MAX 4096

/* What is kept of one login. */
struct plugin_cache_entry {
	char *url, *cluster, *user;     /* the key; user "" = not given */
	char *id;                       /* the token's id (for logout) */
	char *token;                    /* the secret */
	int64_t expiry_us;
};
/* Wipe the token and free every string of E. */
void plugin_cache_entry_cleanup(struct plugin_cache_entry *e);

/* The cache directory: $XDG_CACHE_HOME (an absolute path) or $HOME/.cache,
 * then /kubernetes-auth; created 0700 when missing, made 0700 when it is
 * ours and looser, refused when someone else owns it or it is no
 * directory. *DIR is malloc'd. Returns 0, or -1 with ERR. */
int plugin_cache_dir(char **dir, char *err, size_t errlen);

/* The path of the entry for (URL, CLUSTER, USER) in DIR, with SUFFIX
 * (".json", ".lock"): the key's 64-bit FNV-1a hash in hex. Malloc'd. */
char *plugin_cache_path(const char *dir, const char *url, const char *cluster,
    const char *user, const char *suffix);

/* Take the entry's lock (LOCK_PATH), waiting at most WAIT_S seconds for
 * another process; ON_WAIT (may be NULL) is called once before waiting.
 * Returns 0 with *fd (close it to unlock), or -1 with ERR. */
int plugin_cache_lock(const char *lock_path, unsigned wait_s,
    void (*on_wait)(void), int *fd, char *err, size_t errlen);

/* Read the entry at PATH into *E when it is there, parses and has the key
 * (URL, CLUSTER, USER): *found. Returns 0, or -1 with ERR when the file
 * exists but cannot be read. */
int plugin_cache_read(const char *path, const char *url, const char *cluster,
    const char *user, struct plugin_cache_entry *e, bool *found, char *err,
    size_t errlen);

/* Read the entry at PATH whatever its key (logout of every entry).
 * Returns 0 with *E, or -1 when it is missing or no entry. */
int plugin_cache_peek(const char *path, struct plugin_cache_entry *e);

/* The entry files of DIR (token-*.json) as malloc'd paths in *PATHS (a
 * malloc'd array). Returns how many, or -1. */
int plugin_cache_list(const char *dir, char ***paths);

/* Parse LEN bytes of a cache file into *E (free with
 * plugin_cache_entry_cleanup, also after a failure). Returns 0, or -1 when
 * it is no entry. Pure. */
int plugin_cache_parse(const char *text, size_t len,
    struct plugin_cache_entry *e);

/* Write E to PATH atomically (a 0600 temporary file in the same
 * directory, fsync'd, renamed over PATH). Returns 0, or -1 with ERR (no
 * temporary file left behind). */
int plugin_cache_write(const char *path, const struct plugin_cache_entry *e,
    char *err, size_t errlen);

/* Remove the entry at PATH; a missing file is no error. Its lock file
 * stays: another process may be waiting on it, and one that made a new
 * lock file would not exclude that one. Returns 0, or -1 with ERR. */
int plugin_cache_remove(const char *path, char *err, size_t errlen);

#endif
