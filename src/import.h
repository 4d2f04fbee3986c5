/*
 * import.h — `kubernetes-auth import --from URL --admin-token T [--cacert
 * FILE]`: copy users, clusters and tokens from a running original service
 * through its documented API (GET /users, /clusters, /tokens with x-auth-token),
 * keeping ids, usernames, secrets and expiries. Idempotent: what is
 * already here under the same id is left alone, so a second run changes
 * nothing.
 */
#ifndef KA_IMPORT_H
#define KA_IMPORT_H

struct conf;
struct secrets;

/* FROM is an http:// or https:// URL (a path prefix is kept); https is
 * verified, with the host name, against CACERT (a PEM file; NULL: the file
 * $SSL_CERT_FILE names, else the system's CAs). Returns the exit status:
 * 0 when everything was copied or already there, 1 when something could
 * not be (each logged), 2 for a usage error. */
int import_run(const struct conf *conf, const struct secrets *secrets,
    const char *from, const char *admin_token, const char *cacert);

#endif
