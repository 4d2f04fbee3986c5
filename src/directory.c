/*
 * directory.c — the worker's LDAP connection: failover, TLS, timeouts,
 * the service bind, and RFC 4515 / RFC 4514 escaping.
 */
#include "directory.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <openssl/crypto.h>

#include "conf.h"
#include "dirdn.h"
#include "direscape.h"
#include "counters.h"
#include "json.h"
#include "ktime.h"
#include "log.h"

struct directory {
	const struct conf *conf;        /* borrowed */
	char *bind_password;            /* owned, wiped on free; "" = none */
	size_t bind_password_len;
	LDAP *ld;                       /* NULL = not connected */
	const char *url;                /* the URL ld talks to (in conf) */
	struct ldap_conncb conncb;      /* libldap keeps a pointer to it */
	bool io_timed_out;              /* set by the I/O layer below TLS */
	struct directory_stats stats;   /* of the last directory_lookup() */
	/* ldap.cache_ttl: entries indexed by name (tsearch), and in a list
	 * from the most to the least recently used, which makes room. */
	void *cache_index;
	struct directory_cache_entry *newest, *oldest;
	size_t ncache;
	struct directory_user *last;    /* the last answer not in the cache */
};

struct directory_cache_entry {
	char *name;                     /* the lookup key */
	size_t name_len;
	int64_t expires_ms;             /* monotonic */
	struct directory_user *user;
	struct directory_cache_entry *newer, *older;
};

static int directory_conn_added(LDAP *, Sockbuf *, LDAPURLDesc *,
    struct sockaddr *, struct ldap_conncb *);
static void directory_conn_deleted(LDAP *, Sockbuf *, struct ldap_conncb *);

int
directory_new(const struct conf *conf, const char *bind_password,
    struct directory **dirp)
{
	struct directory *dir;

	*dirp = NULL;
	if ((dir = calloc(1, sizeof(*dir))) == NULL) {
		log_warn("directory_new");
		return -1;
	}
	dir->conf = conf;
	dir->conncb.lc_add = directory_conn_added;
	dir->conncb.lc_del = directory_conn_deleted;
	dir->conncb.lc_arg = dir;
	dir->bind_password = strdup(bind_password != NULL ? bind_password : "");
	if (dir->bind_password == NULL) {
		log_warn("directory_new");
		free(dir);
		return -1;
	}
	dir->bind_password_len = strlen(dir->bind_password);
	*dirp = dir;
	return 0;
}

static void directory_cache_clear(struct directory *dir);

void
directory_free(struct directory *dir)
{
	if (dir == NULL)
		return;
	directory_disconnect(dir);
	directory_cache_clear(dir);
	OPENSSL_cleanse(dir->bind_password, dir->bind_password_len);
	free(dir->bind_password);
	free(dir);
}

void
directory_disconnect(struct directory *dir)
{
	if (dir->ld == NULL)
		return;
	/* An unbind on a dead socket fails; nothing is left to do then. */
	ldap_unbind_ext_s(dir->ld, NULL, NULL);
	dir->ld = NULL;
	dir->url = NULL;
}

/* The result codes that mean "the connection is gone or never came up", as
 * opposed to an answer from a live server: only these justify another
 * server or a fresh connection. A failed TLS handshake is SERVER_DOWN over
 * ldaps:// and CONNECT_ERROR after StartTLS. */
static bool
directory_is_dead(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE;
}

/* One line per failure: the URL, what was attempted, libldap's message and
 * the server's (or GnuTLS's) diagnostic when there is one. HANDSHAKE says
 * the operation carried the TLS handshake, so a diagnostic on a dead
 * connection is GnuTLS's. A certificate that does not verify (untrusted,
 * or not naming the host) reaches us only as "(unknown error code)" from
 * libldap's GnuTLS glue; the line then says what to check instead. */
static void
directory_log_failure(struct directory *dir, LDAP *ld, const char *url,
    const char *what, int rc, bool handshake)
{
	char *diag = NULL;

	counters_backend_error(COUNTERS_LDAP);
	if (ld != NULL &&
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) !=
	    LDAP_OPT_SUCCESS)
		diag = NULL;
	if (dir->io_timed_out)
		log_warnx("ldap %s: %s: %s (no answer within the network "
		    "timeout, %lld ms)", url, what, ldap_err2string(rc),
		    (long long)dir->conf->ldap.network_timeout_ms);
	else if (diag != NULL && handshake && directory_is_dead(rc) &&
	    strcmp(diag, "(unknown error code)") == 0)
		log_warnx("ldap %s: %s: %s (TLS: the server certificate does "
		    "not verify: not signed by ldap.ca_file, or not naming the "
		    "host in the URL)", url, what, ldap_err2string(rc));
	else if (diag != NULL && *diag != '\0' && handshake &&
	    directory_is_dead(rc))
		log_warnx("ldap %s: %s: %s (TLS: %s)", url, what,
		    ldap_err2string(rc), diag);
	else if (diag != NULL && *diag != '\0')
		log_warnx("ldap %s: %s: %s (%s)", url, what,
		    ldap_err2string(rc), diag);
	else
		log_warnx("ldap %s: %s: %s", url, what, ldap_err2string(rc));
	ldap_memfree(diag);
	dir->io_timed_out = false;
}

static struct timeval
directory_timeval(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/*
 * An I/O layer of our own, between libldap's TCP layer and TLS, for what
 * libldap leaves unbounded or fatal:
 *
 * - The ldaps:// handshake has no time limit. libldap makes the socket
 *   non-blocking for it, and gnutls_handshake() then retries a read that
 *   would block, in a loop, without waiting: against a peer that accepts
 *   and never speaks, a busy loop that never ends (seen with libldap
 *   2.5.13 and GnuTLS 3.7.9). Here "would block" becomes a wait of at most
 *   the network timeout, then a hard ETIMEDOUT, which fails the handshake.
 * - LDAP_OPT_TIMEOUT bounds the wait for the first byte of an answer, not
 *   the rest: a server that stalls in the middle of a message leaves a
 *   blocking read() waiting forever. SO_RCVTIMEO / SO_SNDTIMEO bound each
 *   blocking read and write by the network timeout; when one expires the
 *   layer turns its EAGAIN into ETIMEDOUT.
 * - A write to a connection the server has closed raises SIGPIPE, which
 *   kills the process unless somebody ignores it (GnuTLS's close_notify on
 *   unbind does exactly that after a server restart). send() with
 *   MSG_NOSIGNAL turns it into EPIPE, which libldap reports as
 *   "Can't contact LDAP server", and the caller reconnects.
 */

/* Wait until the layer's socket is ready for EVENTS, at most the network
 * timeout. Returns 0 when ready, or -1 with errno set (ETIMEDOUT). */
static int
directory_sbio_wait(Sockbuf_IO_Desc *sbiod, short events)
{
	struct directory *dir = sbiod->sbiod_pvt;
	int64_t deadline, left;
	struct pollfd pfd;
	ber_socket_t fd;
	int flags, n;

	if (ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd) != 1 ||
	    fd < 0 || (flags = fcntl(fd, F_GETFL)) == -1) {
		errno = EBADF;
		return -1;
	}
	/* On a blocking socket EAGAIN means SO_RCVTIMEO or SO_SNDTIMEO ran
	 * out: the wait already happened. */
	if (!(flags & O_NONBLOCK)) {
		dir->io_timed_out = true;
		errno = ETIMEDOUT;
		return -1;
	}
	pfd.fd = fd;
	pfd.events = events;
	if (dir->conf->ldap.network_timeout_ms <= 0) {
		/* No limit configured: wait as a blocking socket would. */
		while ((n = poll(&pfd, 1, -1)) == -1 && errno == EINTR)
			;
		return n == -1 ? -1 : 0;
	}
	deadline = ktime_mono_us() / 1000 + dir->conf->ldap.network_timeout_ms;
	for (;;) {
		left = deadline - ktime_mono_us() / 1000;
		if (left <= 0) {
			/* GnuTLS reports any read error as "Error in the pull
			 * function": the flag lets the log say what it was. */
			dir->io_timed_out = true;
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
directory_sbio_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	sbiod->sbiod_pvt = arg;
	return 0;
}

static int
directory_sbio_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static ber_slen_t
directory_sbio_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	ber_slen_t n;

	for (;;) {
		n = LBER_SBIOD_READ_NEXT(sbiod, buf, len);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		if (directory_sbio_wait(sbiod, POLLIN) == -1)
			return -1;
	}
}

static ber_slen_t
directory_sbio_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	ber_socket_t fd;
	ber_slen_t n;

	if (ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd) != 1 ||
	    fd < 0)
		return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
	for (;;) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK)
			return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		if (directory_sbio_wait(sbiod, POLLOUT) == -1)
			return -1;
	}
}

static Sockbuf_IO directory_sbio = {
	directory_sbio_setup,
	NULL,
	directory_sbio_ctrl,
	directory_sbio_read,
	directory_sbio_write,
	NULL,
};

/* Called by libldap once the TCP connection is up, before any TLS: the
 * TLS layer, pushed later at the same level, sits on top of ours. */
static int
directory_conn_added(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv,
    struct sockaddr *addr, struct ldap_conncb *ctx)
{
	struct directory *dir = ctx->lc_arg;
	struct timeval tv;
	ber_socket_t fd;

	if (dir->conf->ldap.network_timeout_ms > 0 &&
	    ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1 && fd >= 0) {
		tv = directory_timeval(dir->conf->ldap.network_timeout_ms);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) == -1)
			log_warn("ldap: setsockopt SO_RCVTIMEO/SO_SNDTIMEO");
	}
	if (ber_sockbuf_add_io(sb, &directory_sbio, LBER_SBIOD_LEVEL_TRANSPORT,
	    dir) != 0) {
		log_warnx("ldap: cannot add the timeout layer");
		return -1;
	}
	/* liblber's read-ahead buffer above it: without one, each message
	 * took a read() for its tag, one for its length and one for the rest
	 * (16 reads per authentication). libldap asks the layer whether it
	 * holds data before it polls the socket. */
	if (ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead,
	    LBER_SBIOD_LEVEL_TRANSPORT, NULL) != 0) {
		log_warnx("ldap: cannot add the read-ahead layer");
		return -1;
	}
	return 0;
}

static void
directory_conn_deleted(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
}

/* ldap_set_option() answers only LDAP_OPT_SUCCESS or LDAP_OPT_ERROR, which
 * ldap_err2string() would render as "Can't contact LDAP server": the log
 * line names the option instead. */
static int
directory_set_option(LDAP *ld, const char *url, int option, const void *value,
    const char *name)
{
	if (ldap_set_option(ld, option, value) == LDAP_OPT_SUCCESS)
		return 0;
	log_warnx("ldap %s: cannot set %s", url, name);
	return -1;
}

/* Every option goes on the handle before the first operation, because that
 * operation is what connects. Returns 0 or -1 (logged). */
static int
directory_set_options(struct directory *dir, LDAP *ld, const char *url,
    bool tls)
{
	const struct conf *conf = dir->conf;
	const int version = LDAP_VERSION3;
	const int demand = LDAP_OPT_X_TLS_DEMAND;
	const int client_ctx = 0;
	struct timeval network_tv, op_tv;
	int seconds;

	if (directory_set_option(ld, url, LDAP_OPT_PROTOCOL_VERSION, &version,
	    "the protocol version") == -1 ||
	    directory_set_option(ld, url, LDAP_OPT_CONNECT_CB, &dir->conncb,
	    "the connection callback") == -1)
		return -1;
	/* A referral would send the service credentials to a server nobody
	 * configured. */
	if (directory_set_option(ld, url, LDAP_OPT_REFERRALS, LDAP_OPT_OFF,
	    "referrals off") == -1)
		return -1;
	/* NETWORK_TIMEOUT bounds connect(); TIMEOUT bounds the wait for each
	 * answer of a synchronous call (a peer that accepts and never speaks);
	 * TIMELIMIT asks the server to give up on its side too. A value of 0
	 * would mean "poll", not "no limit", so it leaves libldap's default. */
	if (conf->ldap.network_timeout_ms > 0) {
		network_tv = directory_timeval(conf->ldap.network_timeout_ms);
		if (directory_set_option(ld, url, LDAP_OPT_NETWORK_TIMEOUT,
		    &network_tv, "the network timeout") == -1)
			return -1;
	}
	if (conf->ldap.timeout_ms > 0) {
		op_tv = directory_timeval(conf->ldap.timeout_ms);
		seconds = conf->ldap.timeout_ms / 1000 +
		    (conf->ldap.timeout_ms % 1000 != 0);
		if (directory_set_option(ld, url, LDAP_OPT_TIMEOUT, &op_tv,
		    "the operation timeout") == -1 ||
		    directory_set_option(ld, url, LDAP_OPT_TIMELIMIT, &seconds,
		    "the time limit") == -1)
			return -1;
	}
	if (!tls)
		return 0;
	if (directory_set_option(ld, url, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand,
	    "TLS certificate checks") == -1)
		return -1;
	if (conf->ldap.ca_file != NULL && conf->ldap.ca_file[0] != '\0' &&
	    directory_set_option(ld, url, LDAP_OPT_X_TLS_CACERTFILE,
	    conf->ldap.ca_file, "the TLS CA file") == -1)
		return -1;
	/* With GnuTLS the handle keeps using the library-wide TLS context (the
	 * one ldap.conf built) until it is given its own: without this, the
	 * two options above are silently ignored. This is also where the CA
	 * file is read, so an unreadable one fails here. */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &client_ctx) !=
	    LDAP_OPT_SUCCESS) {
		log_warnx("ldap %s: cannot set up TLS with ldap.ca_file \"%s\" "
		    "(missing, unreadable or not PEM?)", url,
		    conf->ldap.ca_file != NULL ? conf->ldap.ca_file : "");
		return -1;
	}
	return 0;
}

/* Bind LD with the service credentials. Returns an LDAP result code; the
 * caller logs, since only it knows whether this bind also connected. */
static int
directory_bind(struct directory *dir, LDAP *ld)
{
	const char *dn = dir->conf->ldap.bind_dn;
	struct berval cred = { 0, NULL };

	/* An empty DN with a password is an "unauthenticated" bind that
	 * servers refuse: an anonymous bind sends neither. */
	if (dn == NULL)
		dn = "";
	if (dn[0] != '\0') {
		cred.bv_val = dir->bind_password;
		cred.bv_len = dir->bind_password_len;
	}
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
}

static const char *
directory_bind_dn(const struct directory *dir)
{
	return dir->conf->ldap.bind_dn != NULL ? dir->conf->ldap.bind_dn : "";
}

/* A handle for URL with every option set and, with start_tls, TLS up: the
 * transport is ready for a bind. Returns 0 and sets *ldp (caller unbinds),
 * or -1 (logged). */
static int
directory_open(struct directory *dir, const char *url, LDAP **ldp)
{
	const struct conf *conf = dir->conf;
	bool ldaps = ldap_is_ldaps_url(url) != 0;
	LDAP *ld = NULL;
	int rc;

	*ldp = NULL;
	dir->io_timed_out = false;
	if ((rc = ldap_initialize(&ld, url)) != LDAP_SUCCESS) {
		directory_log_failure(dir, NULL, url, "bad URL", rc, false);
		return -1;
	}
	if (directory_set_options(dir, ld, url, ldaps || conf->ldap.start_tls)
	    == -1)
		goto fail;
	if (conf->ldap.start_tls && !ldaps &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		directory_log_failure(dir, ld, url, "connect and StartTLS", rc,
		    true);
		goto fail;
	}
	*ldp = ld;
	return 0;

fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return -1;
}

/* Walk the URL list in order. A server that cannot be reached, or talked
 * to over TLS, hands over to the next; a server that answers the bind with
 * a refusal ends the walk, since its peers hold the same credentials and
 * asking each of them would only multiply the wait. */
static int
directory_connect(struct directory *dir)
{
	const struct conf_list *urls = &dir->conf->ldap.urls;
	const char *url;
	char what[512];
	LDAP *ld;
	size_t i;
	int rc;

	if (urls->n == 0)
		log_warnx("ldap: no URL configured");
	for (i = 0; i < urls->n; i++) {
		url = urls->v[i];
		if (directory_open(dir, url, &ld) == -1)
			continue;
		if ((rc = directory_bind(dir, ld)) == LDAP_SUCCESS) {
			dir->ld = ld;
			dir->url = url;
			log_debug("ldap %s: connected, bound as \"%s\"", url,
			    directory_bind_dn(dir));
			return 0;
		}
		/* Without StartTLS the bind is what connects (and, over
		 * ldaps://, what carries the handshake). */
		snprintf(what, sizeof(what), "%sbind as \"%s\"",
		    dir->conf->ldap.start_tls ? "" : "connect and ",
		    directory_bind_dn(dir));
		directory_log_failure(dir, ld, url, what, rc,
		    !dir->conf->ldap.start_tls && ldap_is_ldaps_url(url));
		ldap_unbind_ext_s(ld, NULL, NULL);
		if (!directory_is_dead(rc))
			return -1;
	}
	return -1;
}

int
directory_service_bind(struct directory *dir)
{
	char what[512];
	int rc;

	if (dir->ld != NULL) {
		if ((rc = directory_bind(dir, dir->ld)) == LDAP_SUCCESS)
			return 0;
		snprintf(what, sizeof(what), "bind as \"%s\"%s",
		    directory_bind_dn(dir),
		    directory_is_dead(rc) ? " (connection lost, reconnecting)" :
		    "");
		directory_log_failure(dir, dir->ld, dir->url, what, rc, false);
		/* Either way the handle is no longer bound as the service:
		 * keeping it would let a caller search anonymously. */
		directory_disconnect(dir);
		if (!directory_is_dead(rc))
			return -1;
	}
	return directory_connect(dir);
}

/*
 * Lookups.
 */

#define DIRECTORY_PAGE_SIZE 200         /* entries per page of a group search */
#define DIRECTORY_NEST_CHUNK 32         /* group DNs per nested-group filter */
#define DIRECTORY_MAX_GROUPS 10000      /* more is a directory gone wrong */

void
directory_get_stats(const struct directory *dir, struct directory_stats *stats)
{
	*stats = dir->stats;
}

static char *
directory_strdup(const char *s, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		fatal("malloc");
	if (len > 0)            /* libldap gives "cn=" a NULL bv_val */
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static void *
directory_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 8 : *cap * 2;
	if ((v = reallocarray(v, *cap, size)) == NULL)
		fatal("reallocarray");
	return v;
}

/* The values of ATTR in ENTRY that are valid UTF-8, as a malloc'd array
 * of malloc'd strings (*np of them; NULL when none). */
static char **
directory_values(struct directory *dir, LDAPMessage *entry, const char *attr,
    size_t *np)
{
	struct berval **vals = ldap_get_values_len(dir->ld, entry, attr);
	char **out = NULL, shown[128];
	size_t i, n = 0;

	*np = 0;
	if (vals == NULL)
		return NULL;
	for (i = 0; vals[i] != NULL; i++)
		;
	if (i > 0 && (out = calloc(i, sizeof(*out))) == NULL)
		fatal("calloc");
	for (i = 0; vals[i] != NULL; i++) {
		if (!json_utf8_valid(vals[i]->bv_val, vals[i]->bv_len)) {
			log_sanitize(shown, sizeof(shown), attr);
			log_warnx("ldap: a value of %s is not UTF-8 text: left out",
			    shown);
			continue;
		}
		out[n++] = directory_strdup(vals[i]->bv_val, vals[i]->bv_len);
	}
	ldap_value_free_len(vals);
	*np = n;
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
directory_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The first UTF-8 value of ATTR, or NULL. */
static char *
directory_first_value(struct directory *dir, LDAPMessage *entry,
    const char *attr)
{
	size_t n;
	char **v = directory_values(dir, entry, attr, &n), *first;

	if (n == 0)
		return NULL;
	first = v[0];
	v[0] = NULL;
	directory_strv_free(v, n);
	return first;
}

void
directory_user_free(struct directory_user *user)
{
	size_t i;

	if (user == NULL)
		return;
	free(user->dn);
	free(user->id);
	free(user->username);
	free(user->uid);
	for (i = 0; i < user->nextra; i++) {
		free(user->extra[i].name);
		directory_strv_free(user->extra[i].values, user->extra[i].nvalues);
	}
	free(user->extra);
	directory_strv_free(user->groups, user->ngroups);
	free(user);
}

typedef int (*directory_entry_fn)(struct directory *dir, LDAPMessage *entry,
    void *ctx);

/* Why a search did not deliver everything. */
struct directory_outcome {
	bool dead;              /* the connection is gone: worth a reconnect */
	bool size_exceeded;     /* the server's size (or admin) limit cut it */
};

/*
 * Search BASE with FILTER for ATTRS, calling FN for each entry (search
 * references are skipped: referrals are never chased). With PAGED, ask for
 * pages of DIRECTORY_PAGE_SIZE (RFC 2696, not critical: a server without
 * the control answers in one go, up to its size limit). SIZELIMIT 0 = the
 * server's. Returns 0 when the server delivered the whole result, else -1
 * with *OUT saying why (a size limit is not logged: the caller knows what
 * it means; anything else is).
 */
static int
directory_search(struct directory *dir, const char *base, int scope,
    const char *filter, char **attrs, int sizelimit, bool paged,
    directory_entry_fn fn, void *ctx, struct directory_outcome *out)
{
	struct berval cookie = { 0, NULL };
	struct timeval tv = directory_timeval(dir->conf->ldap.timeout_ms);
	int64_t started;
	LDAPMessage *res = NULL, *e;
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	LDAPControl *pr;
	char shown[256];
	int rc, err, ret = -1;
	ber_int_t estimate;

	memset(out, 0, sizeof(*out));
	started = ktime_mono_us();
	for (;;) {
		if (paged) {
			rc = ldap_create_page_control(dir->ld, DIRECTORY_PAGE_SIZE,
			    &cookie, 0, &page);
			if (rc != LDAP_SUCCESS) {
				log_warnx("ldap %s: paged results control: %s",
				    dir->url, ldap_err2string(rc));
				goto done;
			}
			sctrls[0] = page;
		}
		dir->stats.searches++;
		rc = ldap_search_ext_s(dir->ld, base, scope, filter, attrs, 0,
		    paged ? sctrls : NULL, NULL,
		    dir->conf->ldap.timeout_ms > 0 ? &tv : NULL, sizelimit, &res);
		ldap_control_free(page);
		page = NULL;
		if (res == NULL || directory_is_dead(rc)) {
			out->dead = directory_is_dead(rc) || rc == LDAP_SUCCESS;
			directory_log_failure(dir, dir->ld, dir->url, "search",
			    rc == LDAP_SUCCESS ? LDAP_SERVER_DOWN : rc, false);
			goto done;
		}
		for (e = ldap_first_entry(dir->ld, res); e != NULL;
		    e = ldap_next_entry(dir->ld, e))
			if (fn(dir, e, ctx) < 0)
				goto done;
		rc = ldap_parse_result(dir->ld, res, &err, NULL, NULL, NULL,
		    &rctrls, 0);
		if (rc != LDAP_SUCCESS) {
			out->dead = directory_is_dead(rc);
			directory_log_failure(dir, dir->ld, dir->url,
			    "search result", rc, false);
			goto done;
		}
		if (err == LDAP_SIZELIMIT_EXCEEDED ||
		    err == LDAP_ADMINLIMIT_EXCEEDED) {
			out->size_exceeded = true;
			goto done;
		}
		if (err != LDAP_SUCCESS) {
			log_sanitize(shown, sizeof(shown), filter);
			char what[400];
			snprintf(what, sizeof(what), "search %s under \"%s\"",
			    shown, base);
			out->dead = directory_is_dead(err);
			directory_log_failure(dir, dir->ld, dir->url, what, err,
			    false);
			goto done;
		}
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (paged && rctrls != NULL &&
		    (pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls,
		    NULL)) != NULL &&
		    ldap_parse_pageresponse_control(dir->ld, pr, &estimate,
		    &cookie) != LDAP_SUCCESS) {
			log_warnx("ldap %s: malformed paged results answer",
			    dir->url);
			goto done;
		}
		ldap_controls_free(rctrls);
		rctrls = NULL;
		ldap_msgfree(res);
		res = NULL;
		if (cookie.bv_len == 0)
			break;
	}
	ret = 0;
done:
	ber_memfree(cookie.bv_val);
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	dir->stats.search_us += ktime_since_us(started);
	return ret;
}

/* --- the user entry ------------------------------------------------------- */

struct directory_user_walk {
	struct directory_user *user;    /* the first entry */
	size_t n;
	char **member_of;               /* memberOf values, when asked */
	size_t nmember_of;
};

static bool
directory_want_member_of(const struct conf *conf)
{
	return (conf->ldap.group_methods & CONF_GROUPS_MEMBER_OF) != 0;
}

static int
directory_user_entry(struct directory *dir, LDAPMessage *entry, void *ctx)
{
	struct directory_user_walk *w = ctx;
	const struct conf *conf = dir->conf;
	struct directory_user *u;
	char *dn;
	size_t i, cap = 0;

	if (w->n++ > 0)
		return 0;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("calloc");
	w->user = u;
	if ((dn = ldap_get_dn(dir->ld, entry)) == NULL)
		fatalx("ldap_get_dn: out of memory");
	u->dn = directory_strdup(dn, strlen(dn));
	ldap_memfree(dn);
	u->id = directory_first_value(dir, entry, conf->ldap.id_attribute);
	u->username = directory_first_value(dir, entry,
	    conf->ldap.username_attribute);
	u->uid = directory_first_value(dir, entry, conf->ldap.uid_attribute);
	for (i = 0; i < conf->ldap.extra_attributes.n; i++) {
		const char *name = conf->ldap.extra_attributes.v[i];
		size_t n;
		char **v = directory_values(dir, entry, name, &n);

		if (n == 0)
			continue;
		u->extra = directory_grow(u->extra, u->nextra, &cap,
		    sizeof(*u->extra));
		u->extra[u->nextra].name = directory_strdup(name, strlen(name));
		u->extra[u->nextra].values = v;
		u->extra[u->nextra].nvalues = n;
		u->nextra++;
	}
	if (directory_want_member_of(conf))
		w->member_of = directory_values(dir, entry, "memberOf",
		    &w->nmember_of);
	return 0;
}

/* The attributes the user search asks for: nothing else. */
static char **
directory_user_attrs(const struct conf *conf)
{
	size_t n = 0, i, max = 5 + conf->ldap.extra_attributes.n;
	char **attrs = calloc(max, sizeof(*attrs));

	if (attrs == NULL)
		fatal("calloc");
	attrs[n++] = conf->ldap.id_attribute;
	attrs[n++] = conf->ldap.username_attribute;
	attrs[n++] = conf->ldap.uid_attribute;
	for (i = 0; i < conf->ldap.extra_attributes.n; i++)
		attrs[n++] = conf->ldap.extra_attributes.v[i];
	if (directory_want_member_of(conf))
		attrs[n++] = "memberOf";
	attrs[n] = NULL;
	return attrs;
}

/* --- groups --------------------------------------------------------------- */

struct directory_group {
	char *key;                      /* normalised DN, lowercase: identity */
	char *dn;                       /* as the server wrote it */
	char *name;                     /* the name answered (cn or dn) */
};

struct directory_groups {
	struct directory_group *v;
	size_t n, cap;
	size_t level_start;             /* first group of the current level */
	bool too_many;
};

static void
directory_groups_cleanup(struct directory_groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].key);
		free(g->v[i].dn);
		free(g->v[i].name);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static bool
directory_groups_have(const struct directory_groups *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->v[i].key, key) == 0)
			return true;
	return false;
}

/* Add the group DN (named NAME when group_name is cn; NULL = find one).
 * A group seen before is skipped: the cycle guard of nesting. */
static void
directory_groups_add(struct directory *dir, struct directory_groups *g,
    const char *dn, char *cn)
{
	struct directory_group *grp;
	char *key = dirdn_key(dn);

	if (directory_groups_have(g, key)) {
		free(key);
		free(cn);
		return;
	}
	if (g->n == DIRECTORY_MAX_GROUPS) {
		g->too_many = true;
		free(key);
		free(cn);
		return;
	}
	g->v = directory_grow(g->v, g->n, &g->cap, sizeof(*g->v));
	grp = &g->v[g->n++];
	grp->key = key;
	grp->dn = directory_strdup(dn, strlen(dn));
	if (dir->conf->ldap.group_name == CONF_GROUP_NAME_DN) {
		free(cn);
		grp->name = directory_strdup(dn, strlen(dn));
	} else {
		grp->name = cn != NULL ? cn : dirdn_rdn_cn(dn);
	}
}

static int
directory_group_entry(struct directory *dir, LDAPMessage *entry, void *ctx)
{
	struct directory_groups *g = ctx;
	char *dn = ldap_get_dn(dir->ld, entry), *cn = NULL, *rdn_cn;
	size_t n, i;
	char **cns;

	if (dn == NULL)
		fatalx("ldap_get_dn: out of memory");
	if (dir->conf->ldap.group_name == CONF_GROUP_NAME_CN) {
		/* Several cn values: the one naming the entry, else the
		 * first. */
		cns = directory_values(dir, entry, "cn", &n);
		rdn_cn = dirdn_rdn_cn(dn);
		for (i = 0; i < n && cn == NULL; i++)
			if (rdn_cn != NULL && strcmp(cns[i], rdn_cn) == 0)
				cn = cns[i], cns[i] = NULL;
		if (cn == NULL && n > 0)
			cn = cns[0], cns[0] = NULL;
		free(rdn_cn);
		directory_strv_free(cns, n);
	}
	directory_groups_add(dir, g, dn, cn);
	ldap_memfree(dn);
	return 0;
}

static const char *
directory_group_base(const struct conf *conf)
{
	return conf->ldap.group_base_dn[0] != '\0' ? conf->ldap.group_base_dn :
	    conf->ldap.base_dn;
}

/* A search for groups; a cut-short result is logged here, where the filter
 * is known. */
static int
directory_group_search(struct directory *dir, const char *filter,
    struct directory_groups *g, struct directory_outcome *out)
{
	static char *cn_attrs[] = { "cn", NULL };
	static char *no_attrs[] = { LDAP_NO_ATTRS, NULL };
	char shown[256];

	if (directory_search(dir, directory_group_base(dir->conf),
	    LDAP_SCOPE_SUBTREE, filter,
	    dir->conf->ldap.group_name == CONF_GROUP_NAME_CN ? cn_attrs : no_attrs,
	    0, true, directory_group_entry, g, out) == 0 && !g->too_many)
		return 0;
	log_sanitize(shown, sizeof(shown), filter);
	if (out->size_exceeded)
		log_warnx("ldap %s: group search %s under \"%s\" hit the "
		    "server's size limit even with paged results: answering "
		    "503 rather than a shorter group list (raise the limit for "
		    "the service account, e.g. slapd's size.prtotal)",
		    dir->url, shown, directory_group_base(dir->conf));
	else if (g->too_many)
		log_warnx("ldap %s: more than %d groups for one user: giving up",
		    dir->url, DIRECTORY_MAX_GROUPS);
	return -1;
}

/* "(|(member=V)(uniqueMember=V)...)" for the DNs V of G->v[from..to). */
static char *
directory_member_filter(char **dns, size_t n)
{
	size_t i, size = 4;
	char **esc = calloc(n, sizeof(*esc)), *filter, *p;

	if (esc == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		if ((esc[i] = direscape_filter(dns[i], strlen(dns[i]))) ==
		    NULL)
			fatal("direscape_filter");
		size += 2 * strlen(esc[i]) + 32;
	}
	if ((filter = malloc(size)) == NULL)
		fatal("malloc");
	p = filter;
	p += sprintf(p, "(|");
	for (i = 0; i < n; i++) {
		p += sprintf(p, "(member=%s)(uniqueMember=%s)", esc[i], esc[i]);
		free(esc[i]);
	}
	sprintf(p, ")");
	free(esc);
	return filter;
}

/* The user's groups by each configured method, then nested ones. */
static int
directory_user_groups(struct directory *dir, struct directory_user *u,
    char **member_of, size_t nmember_of, struct directory_outcome *out)
{
	const struct conf *conf = dir->conf;
	struct directory_groups g = { 0 };
	char *filter, *esc, *dns[DIRECTORY_NEST_CHUNK];
	size_t i, from, to, k, level_end;
	int depth, rc = -1;

	if (conf->ldap.group_methods & CONF_GROUPS_MEMBER) {
		char *dn[1] = { u->dn };
		filter = directory_member_filter(dn, 1);
		rc = directory_group_search(dir, filter, &g, out);
		free(filter);
		if (rc < 0)
			goto done;
	}
	if ((conf->ldap.group_methods & CONF_GROUPS_MEMBER_UID) && u->id != NULL) {
		if ((esc = direscape_filter(u->id, strlen(u->id))) == NULL)
			fatal("direscape_filter");
		if (asprintf(&filter, "(memberUid=%s)", esc) < 0)
			fatal("asprintf");
		free(esc);
		rc = directory_group_search(dir, filter, &g, out);
		free(filter);
		if (rc < 0)
			goto done;
	}
	for (i = 0; i < nmember_of; i++)
		directory_groups_add(dir, &g, member_of[i], NULL);

	/* Nesting: the groups whose member (or uniqueMember) is a group of
	 * the previous level, breadth first; a group already found is not
	 * followed again, which ends cycles. */
	from = 0;
	for (depth = 0; depth < conf->ldap.nested_depth; depth++) {
		level_end = g.n;
		if (from == level_end)
			break;
		for (i = from; i < level_end; i += DIRECTORY_NEST_CHUNK) {
			to = i + DIRECTORY_NEST_CHUNK < level_end ?
			    i + DIRECTORY_NEST_CHUNK : level_end;
			for (k = i; k < to; k++)
				dns[k - i] = g.v[k].dn;
			filter = directory_member_filter(dns, to - i);
			rc = directory_group_search(dir, filter, &g, out);
			free(filter);
			if (rc < 0)
				goto done;
		}
		from = level_end;
	}

	/* Names: distinct, in the order found. A group named by something
	 * else than cn (group_name: cn) is answered by its DN. */
	size_t cap = 0;
	for (i = 0; i < g.n; i++) {
		const char *name = g.v[i].name != NULL ? g.v[i].name : g.v[i].dn;
		for (k = 0; k < u->ngroups; k++)
			if (strcmp(u->groups[k], name) == 0)
				break;
		if (k < u->ngroups)
			continue;
		if (!json_utf8_valid(name, strlen(name)))
			continue;
		u->groups = directory_grow(u->groups, u->ngroups, &cap,
		    sizeof(*u->groups));
		u->groups[u->ngroups++] = directory_strdup(name, strlen(name));
	}
	rc = 0;
done:
	directory_groups_cleanup(&g);
	return rc;
}

/* One attempt: service bind, user search, groups. */
static int
directory_lookup_once(struct directory *dir, const char *filter,
    bool with_groups, struct directory_user **userp, size_t *nentries,
    struct directory_outcome *out)
{
	struct directory_user_walk w = { 0 };
	int64_t started;
	char **attrs, shown[256];
	int rc;

	memset(out, 0, sizeof(*out));
	started = ktime_mono_us();
	rc = directory_service_bind(dir);
	dir->stats.bind_us += ktime_since_us(started);
	if (rc < 0)
		return -1;
	attrs = directory_user_attrs(dir->conf);
	/* A size limit of 2 is enough to tell one entry from several. */
	rc = directory_search(dir, dir->conf->ldap.base_dn, LDAP_SCOPE_SUBTREE,
	    filter, attrs, 2, false, directory_user_entry, &w, out);
	free(attrs);
	if (rc < 0 && out->size_exceeded && w.n > 1)
		rc = 0;
	if (rc < 0) {
		if (out->size_exceeded) {
			log_sanitize(shown, sizeof(shown), filter);
			log_warnx("ldap %s: user search %s: size limit exceeded "
			    "with %zu entries", dir->url, shown, w.n);
		}
		goto fail;
	}
	*nentries = w.n > 1 ? 2 : w.n;
	if (w.n == 1 && with_groups &&
	    directory_user_groups(dir, w.user, w.member_of, w.nmember_of,
	    out) < 0)
		goto fail;
	if (w.n == 1) {
		*userp = w.user;
		w.user = NULL;
	}
	directory_user_free(w.user);
	directory_strv_free(w.member_of, w.nmember_of);
	return 0;
fail:
	directory_user_free(w.user);
	directory_strv_free(w.member_of, w.nmember_of);
	return -1;
}

int
directory_lookup(struct directory *dir, const char *name, size_t len,
    bool with_groups, struct directory_user **userp, size_t *nentries)
{
	struct directory_outcome out;
	char *filter;
	int attempt, rc = -1;

	*userp = NULL;
	*nentries = 0;
	memset(&dir->stats, 0, sizeof(dir->stats));
	filter = direscape_expand_filter(dir->conf->ldap.user_filter, name, len);
	if (filter == NULL)
		fatal("direscape_expand_filter");
	/* A connection that dies between the bind and the searches (a
	 * server restart) is re-opened once; directory_service_bind()
	 * already does the same for one found dead by the bind. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = directory_lookup_once(dir, filter, with_groups, userp,
		    nentries, &out)) == 0 || !out.dead)
			break;
		directory_disconnect(dir);
	}
	if (rc < 0 && out.dead)
		directory_disconnect(dir);
	free(filter);
	return rc;
}

/* --- the cache (ldap.cache_ttl) ------------------------------------------ */

static int
directory_cache_cmp(const void *a, const void *b)
{
	const struct directory_cache_entry *x = a, *y = b;

	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return memcmp(x->name, y->name, x->name_len);
}

static void
directory_cache_unlink(struct directory *dir, struct directory_cache_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		dir->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		dir->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
directory_cache_link_newest(struct directory *dir,
    struct directory_cache_entry *e)
{
	e->older = dir->newest;
	e->newer = NULL;
	if (dir->newest != NULL)
		dir->newest->newer = e;
	dir->newest = e;
	if (dir->oldest == NULL)
		dir->oldest = e;
}

static void
directory_cache_drop(struct directory *dir, struct directory_cache_entry *e)
{
	tdelete(e, &dir->cache_index, directory_cache_cmp);
	directory_cache_unlink(dir, e);
	dir->ncache--;
	free(e->name);
	directory_user_free(e->user);
	free(e);
}

static void
directory_cache_clear(struct directory *dir)
{
	while (dir->oldest != NULL)
		directory_cache_drop(dir, dir->oldest);
	directory_user_free(dir->last);
	dir->last = NULL;
}

int
directory_lookup_cached(struct directory *dir, const char *name, size_t len,
    const struct directory_user **userp, size_t *nentries)
{
	int64_t ttl = dir->conf->ldap.cache_ttl_ms, now;
	struct directory_cache_entry key = { .name = (char *)name,
	    .name_len = len }, *e = NULL;
	struct directory_user *user = NULL;
	void *node;
	int rc;

	*userp = NULL;
	directory_user_free(dir->last);
	dir->last = NULL;
	now = ttl > 0 ? ktime_mono_us() / 1000 : 0;
	if (ttl > 0 && (node = tfind(&key, &dir->cache_index,
	    directory_cache_cmp)) != NULL) {
		e = *(struct directory_cache_entry **)node;
		if (e->expires_ms > now) {
			memset(&dir->stats, 0, sizeof(dir->stats));
			dir->stats.cached = true;
			directory_cache_unlink(dir, e);
			directory_cache_link_newest(dir, e);
			*userp = e->user;
			*nentries = 1;
			return 0;
		}
		directory_cache_drop(dir, e);
	}
	rc = directory_lookup(dir, name, len, true, &user, nentries);
	/* Only "exactly one entry" is kept: a user added to, or fixed in,
	 * the directory is seen at once. */
	if (ttl <= 0 || rc < 0 || *nentries != 1) {
		dir->last = user;
		*userp = user;
		return rc;
	}
	if (dir->ncache >= (size_t)dir->conf->ldap.cache_max)
		directory_cache_drop(dir, dir->oldest);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	e->name = directory_strdup(name, len);
	e->name_len = len;
	e->expires_ms = now + ttl;
	e->user = user;
	if (tsearch(e, &dir->cache_index, directory_cache_cmp) == NULL)
		fatal("tsearch");
	directory_cache_link_newest(dir, e);
	dir->ncache++;
	*userp = user;
	return 0;
}

int
directory_check_password(struct directory *dir, const char *dn,
    const char *password, size_t len, bool *valid)
{
	const struct conf_list *urls = &dir->conf->ldap.urls;
	struct berval cred;
	LDAP *ld;
	size_t i;
	int rc;

	*valid = false;
	if (len == 0 || dn == NULL || dn[0] == '\0')
		return 0;
	cred.bv_val = (char *)password;
	cred.bv_len = len;
	for (i = 0; i < urls->n; i++) {
		if (directory_open(dir, urls->v[i], &ld) == -1)
			continue;
		rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
		    NULL);
		if (rc == LDAP_SUCCESS) {
			*valid = true;
		} else if (directory_is_dead(rc)) {
			directory_log_failure(dir, ld, urls->v[i],
			    "connect and bind as the user", rc,
			    !dir->conf->ldap.start_tls &&
			    ldap_is_ldaps_url(urls->v[i]));
			ldap_unbind_ext_s(ld, NULL, NULL);
			continue;
		} else if (rc != LDAP_INVALID_CREDENTIALS) {
			/* Locked, expired, unwilling: a refusal all the same,
			 * worth a line for the operator. */
			char shown[256];
			log_sanitize(shown, sizeof(shown), dn);
			log_info("ldap %s: bind as \"%s\" refused: %s", urls->v[i],
			    shown, ldap_err2string(rc));
		}
		ldap_unbind_ext_s(ld, NULL, NULL);
		return 0;
	}
	return -1;
}
