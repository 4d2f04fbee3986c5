/*
 * sig.c — self-pipe signals for the master, stop flags for workers.
 */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int sig_pipe[2] = { -1, -1 };
static const int sig_master_signals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1,
};
#define SIG_NMASTER (sizeof(sig_master_signals) / sizeof(sig_master_signals[0]))

static volatile sig_atomic_t sig_stopping;

static void
sig_master_handler(int signo)
{
	int saved = errno;
	unsigned char byte = (unsigned char)signo;
	/* A full pipe already holds a wake-up: losing this byte is fine
	 * for SIGCHLD (the loop reaps everything) and the pipe is large. */
	if (write(sig_pipe[1], &byte, 1) < 0) {
		/* nothing to do in a handler */
	}
	errno = saved;
}

static int
sig_set(int signo, void (*handler)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigfillset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) < 0) {
		log_warn("sigaction(%d)", signo);
		return -1;
	}
	return 0;
}

int
sig_init_master(void)
{
	size_t i;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_warn("pipe2");
		return -1;
	}
	for (i = 0; i < SIG_NMASTER; i++)
		if (sig_set(sig_master_signals[i], sig_master_handler,
		    SA_RESTART | (sig_master_signals[i] == SIGCHLD ? SA_NOCLDSTOP : 0)) < 0)
			return -1;
	if (sig_set(SIGPIPE, SIG_IGN, 0) < 0)
		return -1;
	return sig_pipe[0];
}

int
sig_next(void)
{
	unsigned char byte;
	ssize_t n;

	do
		n = read(sig_pipe[0], &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? byte : 0;
}

void
sig_block(sigset_t *saved)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < SIG_NMASTER; i++)
		sigaddset(&set, sig_master_signals[i]);
	sigprocmask(SIG_BLOCK, &set, saved);
}

void
sig_restore(const sigset_t *saved)
{
	sigprocmask(SIG_SETMASK, saved, NULL);
}

static void
sig_worker_stop_handler(int signo)
{
	sig_stopping = 1;
}

void
sig_init_worker(const sigset_t *saved)
{
	sigset_t mask;
	size_t i;

	if (sig_pipe[0] >= 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	for (i = 0; i < SIG_NMASTER; i++)
		sig_set(sig_master_signals[i], SIG_DFL, 0);
	sig_set(SIGTERM, sig_worker_stop_handler, 0);
	sig_set(SIGINT, sig_worker_stop_handler, 0);
	sig_set(SIGQUIT, sig_worker_stop_handler, 0);
	/* The master reloads and reopens logs; workers just go on. */
	sig_set(SIGHUP, SIG_IGN, 0);
	sig_set(SIGUSR1, SIG_IGN, 0);
	sig_set(SIGPIPE, SIG_IGN, 0);

	/* The mask from before fork(), except that the stop signals stay
	 * blocked outside sig_worker_wait(): delivered anywhere else they
	 * would cut a blocking LDAP, MariaDB or FastCGI call short. */
	mask = *saved;
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

int
sig_worker_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	sigset_t open;
	int n;

	/* ppoll() unblocks the stop signals atomically with the wait: a
	 * signal that arrived earlier is delivered right here, so none is
	 * lost between looking at the flag and sleeping. */
	sigprocmask(SIG_SETMASK, NULL, &open);
	sigdelset(&open, SIGTERM);
	sigdelset(&open, SIGINT);
	sigdelset(&open, SIGQUIT);
	if (sig_stopping)
		return -1;
	n = ppoll(&pfd, 1, NULL, &open);
	if (sig_stopping)
		return -1;
	if (n < 0 && errno != EINTR) {
		log_warn("ppoll");
		return -1;
	}
	return 0;
}

bool
sig_worker_stopping(void)
{
	return sig_stopping != 0;
}
