/*
 * directory_internal.h — the inside of struct directory, for the three
 * files that work on one handle and for no other: directory.c (the
 * connection), dirsearch.c (searches on it, timed into stats) and
 * dircache.c (answers kept between requests). Callers get the opaque
 * handle of directory.h.
 *
 * The three stack up: the cache calls the searches, the searches call the
 * connection. The handle is made and freed at the bottom, in directory.c,
 * so it frees the cache through the pointer the cache leaves in it rather
 * than by calling up into dircache.c.
 */
#ifndef KA_DIRECTORY_INTERNAL_H
#define KA_DIRECTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <ldap.h>

#include "directory_stats.h"

struct conf;
struct dircache;

struct directory {
	/* directory.c: the connection */
	const struct conf *conf;        /* borrowed */
	char *bind_password;            /* owned, wiped on free; "" = none */
	size_t bind_password_len;
	LDAP *ld;                       /* NULL = not connected */
	const char *url;                /* the URL ld talks to (in conf) */
	struct ldap_conncb conncb;      /* libldap keeps a pointer to it */
	bool io_timed_out;              /* set by the I/O layer below TLS */
	/* dirsearch.c and dircache.c */
	struct directory_stats stats;   /* of the last lookup */
	/* dircache.c: NULL until its first lookup, then owned by the handle:
	 * directory_free() calls cache_free(cache). */
	struct dircache *cache;
	void (*cache_free)(struct dircache *cache);
};

/* What the searches use of the connection (directory.c). */

/* Drop the connection (the next directory_service_bind() reconnects). */
void directory_disconnect(struct directory *dir);

/* Does libldap result code RC mean "the connection is gone or never came
 * up", rather than an answer from a live server? */
bool directory_is_dead(int rc);

/* Log one failure of WHAT on LD (may be NULL) talking to URL: libldap's
 * message for RC and the server's (or GnuTLS's) diagnostic; HANDSHAKE
 * says WHAT carried the TLS handshake. Counts an LDAP backend error. */
void directory_log_failure(struct directory *dir, LDAP *ld, const char *url,
    const char *what, int rc, bool handshake);

/* MS milliseconds as a struct timeval, for libldap's timeouts. */
struct timeval directory_timeval(int64_t ms);

#endif
