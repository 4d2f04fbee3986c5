/*
 * master.h — the process manager: pre-fork, reap, respawn with crash
 * throttling, kill stuck workers, rolling reload, graceful stop.
 */
#ifndef KA_MASTER_H
#define KA_MASTER_H

struct conf;
struct secrets;

/* Supervise conf->workers workers serving LISTEN_FD until SIGTERM, SIGINT
 * or SIGQUIT; then stop them gracefully and remove SOCKET_PATH (NULL for
 * TCP). Takes ownership of CONF (a reload replaces it); SECRETS stays the
 * caller's, but a reload may replace the admin tokens inside it. Returns
 * the process exit status. */
int master_run(struct conf *conf, struct secrets *secrets, int listen_fd,
    const char *socket_path);

#endif
