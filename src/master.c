/*
 * master.c — the worker table and its state machine.
 *
 * Modelled on php-fpm's process manager: signals arrive through a self-pipe
 * (sig.c), the loop reaps with waitpid(WNOHANG), and every timed action
 * (crash backoff, stuck requests, stop escalation, reload steps) is checked
 * on each tick against the shared-memory scoreboard.
 *
 * Rolling reload: workers belong to a generation. After SIGHUP the target is
 * conf->workers workers of the new generation; one new worker is started
 * beside the old ones (so capacity never drops), and once it has reached
 * accept() one old worker is asked to finish its request and leave; repeat.
 * A new configuration whose workers cannot start leaves the old ones serving.
 */
#include "master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admintoken.h"
#include "conf.h"
#include "counters.h"
#include "ktime.h"
#include "log.h"
#include "policy_file.h"
#include "routes.h"
#include "scoreboard.h"
#include "secrets.h"
#include "sig.h"
#include "worker.h"

#define MASTER_MAX_WORKERS      1024    /* conf.c's upper bound */
#define MASTER_TICK_MS          100
#define MASTER_BACKOFF_MIN_MS   100
#define MASTER_BACKOFF_MAX_MS   30000
#define MASTER_KILL_RETRY_MS    1000

struct master_worker {
	pid_t pid;                      /* 0 = free entry */
	unsigned generation;
	long long started_ms;
	bool retiring;                  /* asked to stop (reload, recycling) */
	bool killed;                    /* SIGKILLed as stuck */
};

struct master {
	struct conf *conf;
	struct secrets *secrets;
	int listen_fd;
	struct scoreboard *sb;
	struct master_worker *workers;  /* one per scoreboard slot */
	unsigned generation;
	long long reload_started_ms;    /* 0 = no reload in progress */
	bool stopping;
	long long kill_at_ms;
	long long next_spawn_ms;        /* crash throttling */
	long long backoff_ms;
	int status;
};

static void
master_spawn(struct master *m)
{
	struct master_worker *w = NULL;
	sigset_t saved;
	pid_t pid;
	int i;

	for (i = 0; i < m->sb->nslots; i++)
		if (m->workers[i].pid == 0) {
			w = &m->workers[i];
			break;
		}
	if (w == NULL)
		return;

	struct scoreboard_slot *slot = &m->sb->slots[i];
	atomic_store(&slot->accepted, false);
	atomic_store(&slot->requests, 0);
	atomic_store(&slot->state, SCOREBOARD_STARTING);

	/* Blocked across fork(): the child must not run the master's
	 * handlers before it has installed its own. */
	sig_block(&saved);
	pid = fork();
	if (pid == 0) {
		sig_init_worker(&saved);
		atomic_store(&slot->pid, getpid());
		worker_main(m->conf, m->secrets, m->listen_fd, i, slot);
	}
	sig_restore(&saved);
	if (pid < 0) {
		log_warn("fork");
		atomic_store(&slot->state, SCOREBOARD_EMPTY);
		m->next_spawn_ms = ktime_mono_us() / 1000 + MASTER_BACKOFF_MAX_MS / 30;
		return;
	}
	atomic_store(&slot->pid, pid);
	counters_worker_started();
	*w = (struct master_worker){ .pid = pid, .generation = m->generation,
	    .started_ms = ktime_mono_us() / 1000 };
	log_debug("worker %d: started, pid %ld, generation %u", i, (long)pid,
	    m->generation);
}

static void
master_log_exit(int i, pid_t pid, int status, long long uptime_ms,
    unsigned long requests)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("worker %d (pid %ld) exited after %lld ms and %lu requests",
		    i, (long)pid, uptime_ms, requests);
	else if (WIFEXITED(status))
		log_warnx("worker %d (pid %ld) exited with status %d after %lld ms "
		    "and %lu requests", i, (long)pid, WEXITSTATUS(status),
		    uptime_ms, requests);
	else if (WIFSIGNALED(status))
		log_warnx("worker %d (pid %ld) killed by signal %d (%s) after %lld ms "
		    "and %lu requests", i, (long)pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)), uptime_ms, requests);
}

static void
master_reap(struct master *m)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		long long now = ktime_mono_us() / 1000;
		for (i = 0; i < m->sb->nslots; i++)
			if (m->workers[i].pid == pid)
				break;
		if (i == m->sb->nslots)
			continue;
		struct master_worker *w = &m->workers[i];
		struct scoreboard_slot *slot = &m->sb->slots[i];
		bool accepted = atomic_load(&slot->accepted);

		master_log_exit(i, pid, status, now - w->started_ms,
		    atomic_load(&slot->requests));
		counters_worker_died(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
		/* Crash throttling only for workers that never reached accept
		 * (a broken config or backend at start): one killed mid-life
		 * is replaced at once. */
		if (!accepted && !w->retiring && !m->stopping) {
			m->backoff_ms = m->backoff_ms == 0 ? MASTER_BACKOFF_MIN_MS :
			    m->backoff_ms * 2;
			if (m->backoff_ms > MASTER_BACKOFF_MAX_MS)
				m->backoff_ms = MASTER_BACKOFF_MAX_MS;
			m->next_spawn_ms = now + m->backoff_ms;
			log_warnx("worker %d died before serving: next start in %lld ms",
			    i, m->backoff_ms);
		}
		atomic_store(&slot->state, SCOREBOARD_EMPTY);
		atomic_store(&slot->pid, 0);
		*w = (struct master_worker){ 0 };
	}
	if (pid < 0 && errno != ECHILD)
		log_warn("waitpid");
}

static int
master_count(const struct master *m, bool current, bool old)
{
	int i, n = 0;
	for (i = 0; i < m->sb->nslots; i++) {
		const struct master_worker *w = &m->workers[i];
		if (w->pid == 0)
			continue;
		bool is_current = w->generation == m->generation;
		n += (is_current && current) || (!is_current && old);
	}
	return n;
}

static void
master_signal_all(struct master *m, int signo)
{
	int i;
	for (i = 0; i < m->sb->nslots; i++)
		if (m->workers[i].pid != 0)
			kill(m->workers[i].pid, signo);
}

/* A worker inside one request for longer than request_timeout is killed:
 * nginx then answers its caller with a JSON 503. */
static void
master_kill_stuck(struct master *m, long long now)
{
	int i;

	for (i = 0; i < m->sb->nslots; i++) {
		struct master_worker *w = &m->workers[i];
		struct scoreboard_slot *slot = &m->sb->slots[i];
		if (w->pid == 0 || w->killed ||
		    atomic_load(&slot->state) != SCOREBOARD_BUSY)
			continue;
		long long busy = now - atomic_load(&slot->busy_since_ms);
		if (busy <= m->conf->request_timeout_ms)
			continue;
		log_warnx("worker %d (pid %ld) stuck in one request for %lld ms "
		    "(request_timeout %lld ms): killing it", i, (long)w->pid, busy,
		    (long long)m->conf->request_timeout_ms);
		kill(w->pid, SIGKILL);
		w->killed = true;
	}
}

/* Keep conf->workers current workers; during a reload, retire the old
 * generation one worker at a time behind a ready replacement. */
static void
master_maintain(struct master *m, long long now)
{
	int target = m->conf->workers, i;
	int current = master_count(m, true, false);
	int old = master_count(m, false, true);
	bool current_starting = false, old_retiring = false;

	for (i = 0; i < m->sb->nslots; i++) {
		const struct master_worker *w = &m->workers[i];
		if (w->pid == 0)
			continue;
		if (w->generation == m->generation &&
		    atomic_load(&m->sb->slots[i].state) == SCOREBOARD_STARTING)
			current_starting = true;
		if (w->generation != m->generation && w->retiring)
			old_retiring = true;
	}

	if (old == 0) {
		if (m->reload_started_ms != 0) {
			log_info("reload complete: %d workers replaced in %lld ms",
			    current, now - m->reload_started_ms);
			m->reload_started_ms = 0;
		}
		/* Normal running: refill up to the target. */
		while (current < target && now >= m->next_spawn_ms) {
			master_spawn(m);
			current++;
		}
		return;
	}

	/* Reloading: at most one worker above the target, started one at a
	 * time; an old one leaves only once its replacement is ready. */
	if (current < target && current + old < target + 1 && !current_starting &&
	    now >= m->next_spawn_ms)
		master_spawn(m);
	if (!old_retiring && !current_starting && current + old > target) {
		for (i = 0; i < m->sb->nslots; i++) {
			struct master_worker *w = &m->workers[i];
			if (w->pid != 0 && w->generation != m->generation) {
				w->retiring = true;
				kill(w->pid, SIGTERM);
				break;
			}
		}
	}
}

/* Keys that need a restart: the socket and the user are fixed once the
 * master has dropped root. Report a change and keep the running value. */
static void
master_keep_string(const char *key, char **fresh, const char *running)
{
	if (strcmp(*fresh, running) == 0)
		return;
	log_warnx("reload: %s changed from \"%s\" to \"%s\": needs a restart; "
	    "keeping \"%s\"", key, running, *fresh, running);
	char *copy = strdup(running);
	if (copy == NULL)
		fatal("strdup");
	free(*fresh);
	*fresh = copy;
}

static void
master_keep_restart_keys(struct conf *fresh, const struct conf *running)
{
	master_keep_string("listen", &fresh->listen, running->listen);
	master_keep_string("listen_group", &fresh->listen_group, running->listen_group);
	master_keep_string("user", &fresh->user, running->user);
	master_keep_string("group", &fresh->group, running->group);
	master_keep_string("database.password_file", &fresh->database.password_file,
	    running->database.password_file);
	master_keep_string("ldap.bind_password_file", &fresh->ldap.bind_password_file,
	    running->ldap.bind_password_file);
	if (fresh->listen_mode != running->listen_mode ||
	    fresh->listen_backlog != running->listen_backlog ||
	    fresh->listen_allow_remote != running->listen_allow_remote) {
		log_warnx("reload: listen_mode, listen_backlog and "
		    "listen_allow_remote need a restart; keeping the running values");
		fresh->listen_mode = running->listen_mode;
		fresh->listen_backlog = running->listen_backlog;
		fresh->listen_allow_remote = running->listen_allow_remote;
	}
}

static void
master_reload(struct master *m)
{
	struct conf *fresh;
	struct admintoken_set *tokens = NULL;

	log_info("SIGHUP: reloading %s", m->conf->path);
	if (conf_load(m->conf->path, &fresh) < 0) {
		log_warnx("reload: %s is invalid; still serving with the running "
		    "configuration", m->conf->path);
		return;
	}
	/* Admin tokens rotate on reload; the -admin-token flag (one token
	 * named "flag") cannot change without a restart. */
	bool from_flag = m->secrets->admin_tokens->n == 1 &&
	    strcmp(m->secrets->admin_tokens->v[0].name, "flag") == 0;
	if (!from_flag) {
		if (admintoken_load(NULL, fresh->admin_token_file, &tokens) < 0) {
			log_warnx("reload: cannot read the admin tokens; still "
			    "serving with the running configuration");
			conf_free(fresh);
			return;
		}
		admintoken_free(m->secrets->admin_tokens);
		m->secrets->admin_tokens = tokens;
	}
	/* policy_file (policy_file.h): the parsed rules reach the workers this
	 * reload starts through fork(). A bad file keeps the previous rules
	 * and does not hold up the rest of the reload. */
	if (policy_file_load(fresh) < 0)
		log_warnx("reload: policy_file %s is invalid; keeping the previous "
		    "rules", fresh->policy_file);
	master_keep_restart_keys(fresh, m->conf);
	log_init("kubernetes-auth", fresh->logging.level,
	    fresh->logging.target == CONF_LOG_SYSLOG);
	conf_free(m->conf);
	m->conf = fresh;
	m->generation++;
	m->backoff_ms = 0;
	m->next_spawn_ms = 0;
	if (m->reload_started_ms == 0)
		m->reload_started_ms = ktime_mono_us() / 1000;
	log_info("reload: configuration accepted; replacing workers one by one "
	    "(generation %u)", m->generation);
}

static void
master_begin_stop(struct master *m, int signo)
{
	if (m->stopping)
		return;
	m->stopping = true;
	m->kill_at_ms = ktime_mono_us() / 1000 + m->conf->shutdown_timeout_ms;
	log_info("%s: stopping %d workers (waiting up to %lld ms)", strsignal(signo),
	    master_count(m, true, true), (long long)m->conf->shutdown_timeout_ms);
	master_signal_all(m, SIGTERM);
}

int
master_run(struct conf *conf, struct secrets *secrets, int listen_fd,
    const char *socket_path)
{
	struct master m = { .conf = conf, .secrets = secrets,
	    .listen_fd = listen_fd, .generation = 1 };
	struct pollfd pfd = { .events = POLLIN };
	/* A reload frees the conf that socket_path may point into. */
	char *socket_copy = socket_path != NULL ? strdup(socket_path) : NULL;
	const struct counters_label *labels;
	int signo, nroutes = routes_labels(&labels);

	pfd.fd = sig_init_master();
	if (pfd.fd < 0)
		goto out;
	if (counters_init_master(labels, nroutes) < 0) {
		m.status = 1;
		goto out;
	}
	m.sb = scoreboard_new(MASTER_MAX_WORKERS + 1);
	m.workers = calloc(MASTER_MAX_WORKERS + 1, sizeof(*m.workers));
	if (m.sb == NULL || m.workers == NULL) {
		log_warn("cannot allocate the worker table");
		m.status = 1;
		goto out;
	}
	master_maintain(&m, ktime_mono_us() / 1000);
	log_info("started %d workers (master pid %ld)", m.conf->workers, (long)getpid());

	for (;;) {
		if (poll(&pfd, 1, MASTER_TICK_MS) < 0 && errno != EINTR)
			log_warn("poll");
		while ((signo = sig_next()) != 0) {
			switch (signo) {
			case SIGTERM:
			case SIGINT:
			case SIGQUIT:
				master_begin_stop(&m, signo);
				break;
			case SIGHUP:
				if (!m.stopping)
					master_reload(&m);
				break;
			case SIGUSR1:
				/* Workers log through the same stderr, or
				 * through syslog(3), which reconnects. */
				log_reopen();
				break;
			default:
				break;  /* SIGCHLD: reaped below */
			}
		}
		master_reap(&m);

		long long now = ktime_mono_us() / 1000;
		master_kill_stuck(&m, now);
		if (!m.stopping) {
			master_maintain(&m, now);
			continue;
		}
		if (master_count(&m, true, true) == 0)
			break;
		if (now >= m.kill_at_ms) {
			log_warnx("%d workers still busy after shutdown_timeout: "
			    "killing them", master_count(&m, true, true));
			master_signal_all(&m, SIGKILL);
			m.kill_at_ms = now + MASTER_KILL_RETRY_MS;
			m.status = 1;
		}
	}

	if (socket_copy != NULL && unlink(socket_copy) < 0 && errno != ENOENT)
		log_warn("cannot remove %s", socket_copy);
	log_info("stopped");
out:
	free(socket_copy);
	free(m.workers);
	scoreboard_free(m.sb);
	conf_free(m.conf);
	return m.status;
}
