/*
 * secret.c — read secret files, check their modes, wipe copies.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"

#define SECRET_MAX (64 * 1024)

int
secret_read_file(const char *path, const char *what, char **secretp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	*secretp = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_warn("%s: cannot open %s", what, path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("%s: cannot stat %s", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: %s is not a regular file", what, path);
		goto fail;
	}
	if (st.st_size > SECRET_MAX) {
		log_warnx("%s: %s is larger than %d bytes", what, path, SECRET_MAX);
		goto fail;
	}
	if (st.st_mode & S_IROTH)
		log_warnx("%s: %s is readable by every user: chmod o-r it",
		    what, path);

	buf = malloc(st.st_size + 1);
	if (buf == NULL) {
		log_warn("%s: malloc", what);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s: cannot read %s", what, path);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		log_warnx("%s: %s is empty", what, path);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		log_warnx("%s: %s contains a NUL byte", what, path);
		goto fail;
	}
	close(fd);
	*secretp = buf;
	return 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	close(fd);
	return -1;
}

void
secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}
