/*
 * directory.c — the directory handle and its connection: URL failover,
 * TLS, timeouts and the I/O layer that enforces them, the service bind,
 * the password check.
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
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <openssl/crypto.h>

#include "conf.h"
#include "counters.h"
#include "directory_internal.h"
#include "ktime.h"
#include "log.h"

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

void
directory_free(struct directory *dir)
{
	if (dir == NULL)
		return;
	if (dir->cache != NULL)
		dir->cache_free(dir->cache);
	directory_disconnect(dir);
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
bool
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
void
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

struct timeval
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

void
directory_get_stats(const struct directory *dir, struct directory_stats *stats)
{
	*stats = dir->stats;
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
	/* Not a copy: liblber's way to put const bytes in a berval. */
	ber_mem2bv(password, len, 0, &cred);
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
