/*
 * worker.c — after-fork setup, the FCGX_Accept_r loop, graceful exit.
 */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "conf.h"
#include "db.h"
#include "directory.h"
#include "log.h"
#include "req.h"
#include "router.h"
#include "secret.h"
#include "sig.h"

#ifdef KA_SANITIZERS
#include <sanitizer/lsan_interface.h>
#endif

static void
worker_handle(struct worker *w, FCGX_Request *fcgx)
{
	struct req r;

	req_init(&r, fcgx, w);
	if (r.error == NULL && req_read_body(&r, w->conf->max_body) == 0)
		router_dispatch(&r);
	req_finish(&r);
	req_cleanup(&r);
}

void
worker_main(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, int slot)
{
	struct worker w = { .conf = conf, .secrets = secrets, .slot = slot };
	FCGX_Request fcgx;
	int status = 0;

	sig_init_worker();
	/* No core dump of a worker: its memory holds secrets. */
	prctl(PR_SET_DUMPABLE, 0);

	if (db_new(conf, secrets->db_password, &w.db) < 0 ||
	    directory_new(conf, secrets->ldap_bind_password, &w.dir) < 0)
		_exit(1);
	/* Connect now so the first requests do not pay for it; a backend
	 * that is down is not fatal: requests answer 503 and retry. */
	(void)db_check(w.db);
	(void)directory_service_bind(w.dir);

	if (FCGX_Init() != 0) {
		log_warnx("worker %d: FCGX_Init failed", slot);
		_exit(1);
	}
	if (FCGX_InitRequest(&fcgx, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warnx("worker %d: FCGX_InitRequest failed", slot);
		_exit(1);
	}
	log_debug("worker %d: ready", slot);

	while (!sig_worker_stopping()) {
		int rc = FCGX_Accept_r(&fcgx);
		if (rc < 0) {
			if (sig_worker_stopping())
				break;
			if (rc == -EINTR || errno == EINTR)
				continue;
			log_warnx("worker %d: FCGX_Accept_r: %s", slot,
			    rc < 0 && -rc < 4096 ? strerror(-rc) : "failed");
			status = 1;
			break;
		}
		sig_worker_busy(true);
		worker_handle(&w, &fcgx);
		FCGX_Finish_r(&fcgx);
		sig_worker_busy(false);
		w.served++;
		if (conf->max_requests > 0 && w.served >= (unsigned long)conf->max_requests) {
			log_debug("worker %d: recycling after %lu requests", slot, w.served);
			break;
		}
	}

	FCGX_Free(&fcgx, 0);
	db_free(w.db);
	directory_free(w.dir);
	log_debug("worker %d: exiting after %lu requests", slot, w.served);
#ifdef KA_SANITIZERS
	/* _exit() skips LeakSanitizer's atexit check: run it here. */
	__lsan_do_leak_check();
#endif
	_exit(status);
}
