/*
 * ldap-ceiling.c — the directory's ceiling for bench/run.sh.
 *
 * What an authentication asks LDAP, and nothing else: PROCS processes (the
 * service's worker count), each with its own directory handle made from the
 * same config file, call dirsearch_lookup() with groups — the service bind
 * and the searches authn.c makes — over the names in NAMES-FILE (one a
 * line, each process starting elsewhere) for SECONDS. No HTTP, no FastCGI,
 * no MySQL. Linked against the service's own libka.a, so a change to
 * the directory code (src/dir*.c) moves both this ceiling and the service.
 *
 * usage: ldap-ceiling CONFIG NAMES-FILE PROCS SECONDS
 * prints: BENCH requests=N seconds=S rps=R p50=US p99=US p999=US errors=E
 * (latencies in microseconds, over all processes)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "directory.h"
#include "dirsearch.h"
#include "log.h"
#include "secret.h"
#include "secrets.h"

struct result {
	uint64_t n, errors;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static char **
read_names(const char *path, size_t *np)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t n = 0, cap = 0, size = 0;
	ssize_t len;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while ((len = getline(&line, &size, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (n == cap && (v = reallocarray(v, cap = cap ? 2 * cap : 1024,
		    sizeof(*v))) == NULL)
			exit(1);
		if ((v[n++] = strdup(line)) == NULL)
			exit(1);
	}
	free(line);
	fclose(f);
	*np = n;
	return v;
}

/* One process: lookups until the deadline; latencies to FD. */
static void
run(const struct conf *conf, const char *password, char **names, size_t nnames,
    size_t start, int64_t seconds, int fd)
{
	struct directory *dir;
	struct dirsearch_user *u;
	struct result res = { 0 };
	uint32_t *lat = NULL;
	size_t cap = 0, i = start, nentries;
	int64_t t0, t1, deadline;

	if (directory_new(conf, password, &dir) < 0)
		_exit(1);
	/* Connect and warm up outside the measurement, like a worker that
	 * has served before. */
	if (dirsearch_lookup(dir, names[i % nnames], strlen(names[i % nnames]),
	    true, &u, &nentries) == 0)
		dirsearch_user_free(u);
	deadline = now_us() + seconds * 1000000;
	for (t0 = now_us(); t0 < deadline; t0 = t1) {
		const char *name = names[i++ % nnames];

		u = NULL;
		if (dirsearch_lookup(dir, name, strlen(name), true, &u,
		    &nentries) < 0 || nentries != 1)
			res.errors++;
		dirsearch_user_free(u);
		t1 = now_us();
		if (res.n == cap && (lat = reallocarray(lat, cap = cap ? 2 * cap :
		    65536, sizeof(*lat))) == NULL)
			_exit(1);
		lat[res.n++] = (uint32_t)(t1 - t0);
	}
	directory_free(dir);
	if (write(fd, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	for (i = 0; i < res.n; ) {
		ssize_t w = write(fd, (char *)lat + i * sizeof(*lat),
		    (res.n - i) * sizeof(*lat));
		if (w <= 0)
			_exit(1);
		i += (size_t)w / sizeof(*lat);  /* pipe writes of 4-byte multiples */
	}
	_exit(0);
}

static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf *conf;
	char *password = NULL, **names;
	size_t nnames, total = 0, cap = 0;
	uint32_t *lat = NULL;
	uint64_t errors = 0;
	int procs, seconds, i, (*fds)[2];
	double elapsed;

	if (argc != 5 || (procs = atoi(argv[3])) < 1 || (seconds = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: ldap-ceiling CONFIG NAMES-FILE PROCS SECONDS\n");
		return 2;
	}
	log_init("ldap-ceiling", 3, false);
	if (conf_load(argv[1], &conf) < 0)
		return 1;
	if (conf->ldap.bind_password_file[0] != '\0' &&
	    secret_read_file(conf->ldap.bind_password_file,
	    "ldap.bind_password_file", &password) < 0)
		return 1;
	names = read_names(argv[2], &nnames);
	if (nnames == 0) {
		fprintf(stderr, "%s: no names\n", argv[2]);
		return 1;
	}
	if ((fds = calloc((size_t)procs, sizeof(*fds))) == NULL)
		return 1;
	for (i = 0; i < procs; i++) {
		if (pipe(fds[i]) < 0)
			return 1;
		if (fork() == 0) {
			close(fds[i][0]);
			run(conf, password, names, nnames,
			    nnames / (size_t)procs * (size_t)i, seconds, fds[i][1]);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < procs; i++) {
		struct result res;

		if (read_all(fds[i][0], &res, sizeof(res)) < 0) {
			fprintf(stderr, "ldap-ceiling: process %d failed\n", i);
			return 1;
		}
		if (total + res.n > cap && (lat = reallocarray(lat,
		    cap = total + res.n, sizeof(*lat))) == NULL)
			return 1;
		if (read_all(fds[i][0], lat + total, res.n * sizeof(*lat)) < 0)
			return 1;
		total += res.n;
		errors += res.errors;
		close(fds[i][0]);
	}
	while (wait(NULL) > 0)
		;
	/* The processes' own warm-up is inside this, their measured loops
	 * are SECONDS each: rate over SECONDS. */
	elapsed = (double)seconds;
	if (total == 0) {
		fprintf(stderr, "ldap-ceiling: no lookups\n");
		return 1;
	}
	qsort(lat, total, sizeof(*lat), cmp_u32);
	printf("BENCH requests=%zu seconds=%.2f rps=%.1f p50=%u p99=%u p999=%u "
	    "errors=%llu\n", total, elapsed, (double)total / elapsed,
	    lat[total / 2], lat[(size_t)((double)total * 0.99)],
	    lat[(size_t)((double)total * 0.999)], (unsigned long long)errors);
	secret_free(password);
	conf_free(conf);
	return errors > 0;
}
