/*
 * plugin_file.c — a file written whole, then renamed into place.
 */
#include "plugin_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
plugin_file_temp(const char *dir, const char *text, size_t len, mode_t mode,
    char **path, char *err, size_t errlen)
{
	size_t off = 0;
	int fd;

	if (asprintf(path, "%s/.kubernetes-auth.XXXXXX", dir) < 0) {
		*path = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* mkostemp makes it 0600; fchmod gives MODE whatever the umask. */
	if ((fd = mkostemp(*path, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", *path, strerror(errno));
		free(*path);
		*path = NULL;
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", *path, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", *path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(*path);
	free(*path);
	*path = NULL;
	return -1;
}

int
plugin_file_replace(const char *path, const char *text, size_t len,
    mode_t mode, char *err, size_t errlen)
{
	char *copy = strdup(path), *tmp = NULL;
	int rc = -1;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (plugin_file_temp(dirname(copy), text, len, mode, &tmp, err,
	    errlen) < 0)
		goto done;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename to %s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	free(tmp);
	free(copy);
	return rc;
}
