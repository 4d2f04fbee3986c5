/*
 * worker.c — after-fork setup, the FCGX_Accept_r loop, graceful exit.
 */
#include "worker.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "authz.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "directory.h"
#include "health.h"
#include "ktime.h"
#include "log.h"
#include "counters.h"
#include "req.h"
#include "routes.h"
#include "scoreboard.h"
#include "secrets.h"
#include "sig.h"

#ifdef KA_SANITIZERS
#include <sanitizer/lsan_interface.h>
#endif

/* A worker: the context its handlers see, and its place in the pool. */
struct worker {
	struct ctx ctx;
	int slot;
	struct scoreboard_slot *board;  /* this worker's scoreboard slot */
	unsigned long served;
	uid_t *peers;                   /* listen_peer_users, resolved */
	size_t npeers;
	bool check_peers;               /* listening on a unix socket */
};

/* Who may connect when listen_peer_users is not set: Debian's nginx. */
static const char *const worker_default_peers[] = { "www-data" };

int
worker_peers_resolve(const struct conf *conf, uid_t **uids, size_t *n)
{
	const char *const *names = worker_default_peers;
	size_t i, count = 1;
	struct passwd *pw;

	if (conf->listen_peer_users.n > 0) {
		names = (const char *const *)conf->listen_peer_users.v;
		count = conf->listen_peer_users.n;
	}
	*n = 0;
	if ((*uids = calloc(count, sizeof(**uids))) == NULL)
		fatal("calloc");
	for (i = 0; i < count; i++) {
		errno = 0;
		if ((pw = getpwnam(names[i])) == NULL) {
			log_warnx("listen_peer_users: no user %s%s", names[i],
			    conf->listen_peer_users.n == 0 ? " (the default: set "
			    "listen_peer_users to the user nginx's workers run as)" :
			    "");
			free(*uids);
			*uids = NULL;
			return -1;
		}
		(*uids)[(*n)++] = pw->pw_uid;
	}
	return 0;
}

/* May the process at the other end of FD speak FastCGI to us? The
 * socket's group lets every member in (on Debian www-data, which other
 * sites' FastCGI pools share), and whoever connects can send any
 * parameter -- SSL_CLIENT_VERIFY=SUCCESS and a subject included -- so
 * only the configured users (and root) are served. */
static bool
worker_peer_allowed(const struct worker *w, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;

	if (!w->check_peers)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("worker %d: SO_PEERCRED", w->slot);
		return false;
	}
	if (cred.uid == 0)
		return true;
	for (i = 0; i < w->npeers; i++)
		if (w->peers[i] == cred.uid)
			return true;
	log_warnx("worker %d: refused a FastCGI connection from uid %ld (pid "
	    "%ld): not in listen_peer_users", w->slot, (long)cred.uid,
	    (long)cred.pid);
	return false;
}

/* The next connection, or -1 when the worker must stop. The listening
 * socket is non-blocking and shared by every worker: a wake-up may find the
 * connection already taken by another one.
 *
 * Accepting is ours, not libfcgi's: its OS_Accept() spins on a closed
 * descriptor once FCGX_ShutdownPending() is set at the wrong moment, and
 * drops a fresh connection when a signal interrupts its readability check. */
static int
worker_accept(int listen_fd, int slot)
{
	for (;;) {
		if (sig_worker_wait(listen_fd) < 0)
			return -1;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		switch (errno) {
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
		case EINTR:
		case ECONNABORTED:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* Give the system a moment rather than spin. */
			log_warn("worker %d: accept", slot);
			usleep(100000);
			continue;
		default:
			log_warn("worker %d: accept", slot);
			return -1;
		}
	}
}

static void
worker_handle(struct worker *w, FCGX_Request *fcgx)
{
	struct req r;

	req_init(&r, fcgx, &w->ctx);
	/* A SubjectAccessReview is a few KB even for a user in hundreds of
	 * groups, and one of 61 KB costs a worker 8 ms: webhook bodies
	 * have a bound of their own. */
	if (r.error == NULL && req_read_body(&r, req_is_webhook(&r) ?
	    w->ctx.conf->webhook_max_body : w->ctx.conf->max_body) == 0)
		routes_dispatch(&r);
	req_finish(&r);
	counters_request(r.route_index, r.status, ktime_since_us(r.started_us));
	req_cleanup(&r);
}

void
worker_main(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, int slot, struct scoreboard_slot *board)
{
	struct worker w = { .ctx = { .conf = conf, .secrets = secrets },
	    .slot = slot, .board = board };
	pid_t master = getppid();
	FCGX_Request fcgx;
	int status = 0;

	/* No core dump of a worker: its memory holds secrets. */
	prctl(PR_SET_DUMPABLE, 0);
	/* A master killed with SIGKILL must not leave workers serving. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);

	w.check_peers = conf->listen[0] == '/';
	if ((w.check_peers &&
	    worker_peers_resolve(conf, &w.peers, &w.npeers) < 0) ||
	    db_new(conf, secrets->db_password, &w.ctx.db) < 0 ||
	    directory_new(conf, secrets->ldap_bind_password, &w.ctx.dir) < 0)
		_exit(1);
	/* Backends are connected on first use, not here: a worker is ready
	 * as soon as it can accept, so a directory that is down delays
	 * neither start-up nor a rolling reload (requests answer 503). */

	if (FCGX_Init() != 0) {
		log_warnx("worker %d: FCGX_Init failed", slot);
		_exit(1);
	}
	if (FCGX_InitRequest(&fcgx, listen_fd, 0) != 0) {
		log_warnx("worker %d: FCGX_InitRequest failed", slot);
		_exit(1);
	}
	log_debug("worker %d: ready", slot);

	for (;;) {
		scoreboard_set_state(board, SCOREBOARD_IDLE);
		int fd = worker_accept(listen_fd, slot);
		if (fd < 0) {
			status = sig_worker_stopping() ? 0 : 1;
			break;
		}
		if (!worker_peer_allowed(&w, fd)) {
			close(fd);
			continue;
		}
		scoreboard_set_state(board, SCOREBOARD_BUSY);
		/* Hand the connection to libfcgi: with an open ipcFd (kept
		 * across FCGX_Accept_r's opening Finish by keepConnection) it
		 * reads the request from it instead of accepting. */
		fcgx.ipcFd = fd;
		fcgx.keepConnection = 1;
		if (FCGX_Accept_r(&fcgx) < 0) {
			/* Not a FastCGI request (or the peer went away):
			 * libfcgi closed it and found no other to accept. */
			log_debug("worker %d: unreadable FastCGI request", slot);
			continue;
		}
		worker_handle(&w, &fcgx);
		FCGX_Finish_r(&fcgx);
		w.served++;
		atomic_fetch_add(&board->requests, 1);
		if (conf->max_requests > 0 && w.served >= (unsigned long)conf->max_requests) {
			log_debug("worker %d: recycling after %lu requests", slot, w.served);
			break;
		}
	}

	FCGX_Free(&fcgx, 0);
	authz_cache_free(w.ctx.authz);
	health_cache_free(w.ctx.health);
	free(w.peers);
	db_free(w.ctx.db);
	directory_free(w.ctx.dir);
	log_debug("worker %d: exiting after %lu requests", slot, w.served);
#ifdef KA_SANITIZERS
	/* _exit() skips LeakSanitizer's atexit check: run it here. */
	__lsan_do_leak_check();
#endif
	_exit(status);
}
