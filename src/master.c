/*
 * master.c — the worker table: fork, reap with waitpid(WNOHANG), respawn
 * with crash throttling, graceful stop with timed escalation to SIGKILL.
 */
#include "master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "secret.h"
#include "sig.h"
#include "worker.h"

/* A worker that dies sooner than this after its start is "crashing": its
 * replacement waits, twice as long each time, up to the maximum. */
#define MASTER_QUICK_DEATH_MS   1000
#define MASTER_BACKOFF_MIN_MS   100
#define MASTER_BACKOFF_MAX_MS   30000

struct master_slot {
	pid_t pid;                      /* 0 = empty */
	long long started_ms;
	long long respawn_at_ms;        /* earliest time to refill the slot */
	long long backoff_ms;
};

struct master {
	const struct conf *conf;
	const struct secrets *secrets;
	int listen_fd;
	struct master_slot *slots;
	int nslots;
	bool stopping;
	long long kill_at_ms;           /* SIGKILL stragglers after this */
};

static long long
master_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
master_spawn(struct master *m, int i)
{
	struct master_slot *s = &m->slots[i];
	sigset_t saved;
	pid_t pid;

	/* Blocked across fork(): the child must not run the master's
	 * handlers before it installed its own. */
	sig_block(&saved);
	pid = fork();
	if (pid == 0) {
		sig_init_worker();
		sig_restore(&saved);
		worker_main(m->conf, m->secrets, m->listen_fd, i);
	}
	sig_restore(&saved);
	if (pid < 0) {
		log_warn("fork");
		s->respawn_at_ms = master_now_ms() + MASTER_BACKOFF_MAX_MS / 30;
		return;
	}
	s->pid = pid;
	s->started_ms = master_now_ms();
	log_debug("worker %d: started, pid %ld", i, (long)pid);
}

static void
master_log_exit(int slot, pid_t pid, int status, long long uptime_ms)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("worker %d (pid %ld) exited after %lld ms", slot,
		    (long)pid, uptime_ms);
	else if (WIFEXITED(status))
		log_warnx("worker %d (pid %ld) exited with status %d after %lld ms",
		    slot, (long)pid, WEXITSTATUS(status), uptime_ms);
	else if (WIFSIGNALED(status))
		log_warnx("worker %d (pid %ld) killed by signal %d (%s) after %lld ms",
		    slot, (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    uptime_ms);
}

static void
master_reap(struct master *m)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		long long now = master_now_ms();
		for (i = 0; i < m->nslots; i++) {
			struct master_slot *s = &m->slots[i];
			if (s->pid != pid)
				continue;
			long long uptime = now - s->started_ms;
			master_log_exit(i, pid, status, uptime);
			s->pid = 0;
			if (uptime < MASTER_QUICK_DEATH_MS) {
				s->backoff_ms = s->backoff_ms == 0 ? MASTER_BACKOFF_MIN_MS :
				    s->backoff_ms * 2;
				if (s->backoff_ms > MASTER_BACKOFF_MAX_MS)
					s->backoff_ms = MASTER_BACKOFF_MAX_MS;
				if (!m->stopping)
					log_warnx("worker %d died %lld ms after its start: "
					    "next start in %lld ms", i, uptime, s->backoff_ms);
			} else {
				s->backoff_ms = 0;
			}
			s->respawn_at_ms = now + s->backoff_ms;
			break;
		}
	}
	if (pid < 0 && errno != ECHILD)
		log_warn("waitpid");
}

static int
master_alive(const struct master *m)
{
	int i, n = 0;
	for (i = 0; i < m->nslots; i++)
		n += m->slots[i].pid != 0;
	return n;
}

static void
master_signal_all(struct master *m, int signo)
{
	int i;
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].pid != 0)
			kill(m->slots[i].pid, signo);
}

static void
master_begin_stop(struct master *m, int signo)
{
	if (m->stopping)
		return;
	m->stopping = true;
	m->kill_at_ms = master_now_ms() + m->conf->shutdown_timeout_ms;
	log_info("%s: stopping %d workers (waiting up to %lld ms)",
	    strsignal(signo), master_alive(m), (long long)m->conf->shutdown_timeout_ms);
	master_signal_all(m, SIGTERM);
}

int
master_run(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, const char *socket_path)
{
	struct master m = {
		.conf = conf, .secrets = secrets, .listen_fd = listen_fd,
		.nslots = conf->workers,
	};
	struct pollfd pfd;
	int i, signo, status = 0;

	pfd.fd = sig_init_master();
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return 1;
	m.slots = calloc(m.nslots, sizeof(*m.slots));
	if (m.slots == NULL) {
		log_warn("calloc");
		return 1;
	}
	for (i = 0; i < m.nslots; i++)
		master_spawn(&m, i);
	log_info("started %d workers (pid %ld)", m.nslots, (long)getpid());

	for (;;) {
		if (poll(&pfd, 1, m.stopping ? 100 : 1000) < 0 && errno != EINTR)
			log_warn("poll");
		while ((signo = sig_next()) != 0) {
			switch (signo) {
			case SIGTERM:
			case SIGINT:
			case SIGQUIT:
				master_begin_stop(&m, signo);
				break;
			case SIGUSR1:
				log_reopen();
				break;
			case SIGHUP:
				log_warnx("SIGHUP: reload is not supported yet; ignored");
				break;
			default:
				break;  /* SIGCHLD: reaped below */
			}
		}
		master_reap(&m);

		long long now = master_now_ms();
		if (m.stopping) {
			if (master_alive(&m) == 0)
				break;
			if (now >= m.kill_at_ms) {
				log_warnx("%d workers still busy after shutdown_timeout: "
				    "killing them", master_alive(&m));
				master_signal_all(&m, SIGKILL);
				m.kill_at_ms = now + 1000;
				status = 1;
			}
			continue;
		}
		for (i = 0; i < m.nslots; i++)
			if (m.slots[i].pid == 0 && now >= m.slots[i].respawn_at_ms)
				master_spawn(&m, i);
	}

	if (socket_path != NULL && unlink(socket_path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s", socket_path);
	free(m.slots);
	log_info("stopped");
	return status;
}
