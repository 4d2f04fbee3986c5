/*
 * master.h — the worker table: fork, reap, respawn, stop.
 */
#ifndef KA_MASTER_H
#define KA_MASTER_H

struct conf;
struct secrets;

/* Pre-fork conf->workers workers serving LISTEN_FD and supervise them until
 * SIGTERM/SIGINT/SIGQUIT; then stop them gracefully and remove SOCKET_PATH
 * (NULL for TCP). Returns the process exit status. */
int master_run(const struct conf *conf, const struct secrets *secrets,
    int listen_fd, const char *socket_path);

#endif
