/*
 * sig.h — signals for the master (self-pipe) and for workers (flags).
 *
 * The master's handlers only write the signal number to a pipe; its loop
 * reads them with sig_next(). Workers stop between requests: SIGTERM sets a
 * flag, and is let in only while the worker waits for a connection.
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

/* In a freshly forked worker, with the master's signals still blocked:
 * drop the master's handlers and pipe, install the worker's, and set the
 * mask to SAVED (the one from before fork) plus the stop signals (they are let in only while the
 * worker waits for a connection). Call before FCGX_Init: libfcgi installs
 * its own SIGUSR1/SIGPIPE handlers only where the disposition is default. */
void sig_init_worker(const sigset_t *saved);

/* Wait until FD is readable or a stop signal arrives. Returns 0 when FD may
 * be readable (or on a spurious wake-up), -1 when the worker must stop. */
int sig_worker_wait(int fd);

/* Has the worker been asked to stop? */
bool sig_worker_stopping(void);

#endif
