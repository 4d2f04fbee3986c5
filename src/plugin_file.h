/*
 * plugin_file.h — the credential plugin's files (token cache, kubeconfig):
 * written whole to a new file in the same directory, then renamed over the
 * old one, so that a reader sees the old content or the new, never a part.
 */
#ifndef KA_PLUGIN_FILE_H
#define KA_PLUGIN_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* LEN bytes of TEXT into a new file in DIR (".NAME.XXXXXX"), mode MODE
 * whatever the umask, fsync'd. Returns 0 with its *PATH (malloc'd), or -1
 * with ERR (no file left behind). */
int plugin_file_temp(const char *dir, const char *text, size_t len,
    mode_t mode, char **path, char *err, size_t errlen);

/* PATH replaced by LEN bytes of TEXT, mode MODE, atomically. Returns 0,
 * or -1 with ERR (PATH unchanged, no file left behind). */
int plugin_file_replace(const char *path, const char *text, size_t len,
    mode_t mode, char *err, size_t errlen);

#endif
