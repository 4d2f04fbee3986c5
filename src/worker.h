/*
 * worker.h — a pre-forked worker: its backends and its accept loop.
 */
#ifndef KA_WORKER_H
#define KA_WORKER_H

struct conf;
struct scoreboard_slot;
struct secrets;

/* Run a worker in a freshly forked child: open its own MariaDB and LDAP
 * connections, serve requests on LISTEN_FD until told to stop or recycled,
 * then _exit(). Never returns. */
void worker_main(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, int slot, struct scoreboard_slot *board)
    __attribute__((noreturn));

#endif
