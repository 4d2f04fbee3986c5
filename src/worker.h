/*
 * worker.h — a pre-forked worker: its backends and its accept loop.
 */
#ifndef KA_WORKER_H
#define KA_WORKER_H

struct conf;
struct scoreboard_slot;
struct secrets;

#include <stddef.h>
#include <sys/types.h>

/* The uids of listen_peer_users (default www-data), the users whose
 * processes may connect to the unix socket (root always may): *UIDS
 * (caller frees) and *N. Returns 0, or -1 (logged) when a name is no
 * user. The master checks it before forking; each worker resolves again. */
int worker_peers_resolve(const struct conf *conf, uid_t **uids, size_t *n);

/* Run a worker in a freshly forked child: open its own MariaDB and LDAP
 * connections, serve requests on LISTEN_FD until told to stop or recycled,
 * then _exit(). Never returns. */
void worker_main(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, int slot, struct scoreboard_slot *board)
    __attribute__((noreturn));

#endif
