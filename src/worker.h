/*
 * worker.h — a pre-forked worker: its backends and its accept loop.
 */
#ifndef KA_WORKER_H
#define KA_WORKER_H

struct conf;
struct secrets;
struct scoreboard_slot;

/* What a request handler may use: the worker's own connections. */
struct worker {
	const struct conf *conf;
	const struct secrets *secrets;
	struct db *db;
	struct directory *dir;
	int slot;
	struct scoreboard_slot *board;  /* this worker's scoreboard slot */
	unsigned long served;
};

/* Run a worker in a freshly forked child: open its own MariaDB and LDAP
 * connections, serve requests on LISTEN_FD until told to stop or recycled,
 * then _exit(). Never returns. */
void worker_main(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, int slot, struct scoreboard_slot *board)
    __attribute__((noreturn));

#endif
