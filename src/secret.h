/*
 * secret.h — secrets from files: read once as root, wiped when freed.
 */
#ifndef KA_SECRET_H
#define KA_SECRET_H

/* Read the secret in PATH (WHAT names it in messages, e.g.
 * "database.password_file"): the content with trailing newlines removed.
 * Warns when the file is readable by others; refuses an empty one.
 * Returns 0 and *secretp (free with secret_free) or -1, logged. */
int secret_read_file(const char *path, const char *what, char **secretp);

/* Wipe and free a secret; NULL is fine. */
void secret_free(char *secret);

#endif
