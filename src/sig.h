/*
 * sig.h — signals for the master (self-pipe) and for workers (flags).
 *
 * The master's handlers only write the signal number to a pipe; its loop
 * reads them with sig_next(). Workers stop between requests: SIGTERM sets a
 * flag and, only while the worker waits in accept, interrupts it.
 */
#ifndef KA_SIG_H
#define KA_SIG_H

#include <signal.h>
#include <stdbool.h>

/* Install the master's handlers (TERM, INT, QUIT, HUP, CHLD, USR1) and
 * ignore SIGPIPE. Returns the pipe's read end (non-blocking), or -1. */
int sig_init_master(void);

/* The next signal written by a handler, or 0 when none is pending. */
int sig_next(void);

/* Block every signal the master handles (around fork) / restore. */
void sig_block(sigset_t *saved);
void sig_restore(const sigset_t *saved);

/* In a freshly forked worker, before FCGX_Init (libfcgi installs its own
 * SIGUSR1 and SIGPIPE handlers only where the disposition is the default):
 * drop the master's handlers and pipe, install the worker's. */
void sig_init_worker(void);

/* Tell the handlers whether the worker is inside a request. */
void sig_worker_busy(bool busy);

/* Has the worker been asked to stop? */
bool sig_worker_stopping(void);

#endif
