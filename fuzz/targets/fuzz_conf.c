/*
 * fuzz_conf — the YAML configuration file (conf_load()).
 *
 * conf_load() reads a path, so each input is written to a memfd and
 * loaded through /proc/self/fd/N; conf.c is fuzzed as it stands.
 *
 * Properties: a loaded configuration keeps the promises of conf.h and
 * conf.c's table: at least one LDAP URL, a user_filter with %s, a base DN,
 * workers and logging.level in range, tokens.ttl <= tokens.max_ttl,
 * login.ttl <= tokens.max_ttl, no negative duration, at least one
 * database host, each with a name and a port and listed once. Everything loaded is
 * freed by conf_free() (LeakSanitizer checks), refused or not.
 */
#include "fuzz.h"

#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

static int memfd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	memfd = memfd_create("fuzz-conf", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *conf = NULL;

	if (ftruncate(memfd, 0) < 0 ||
	    (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	if (conf_load(path, &conf) < 0) {
		FUZZ_ASSERT(conf == NULL);
		return 0;
	}
	FUZZ_ASSERT(conf != NULL);
	FUZZ_ASSERT(conf->ldap.urls.n >= 1);
	for (size_t i = 0; i < conf->ldap.urls.n; i++)
		FUZZ_ASSERT(conf->ldap.urls.v[i] != NULL);
	FUZZ_ASSERT(strstr(conf->ldap.user_filter, "%s") != NULL);
	FUZZ_ASSERT(conf->ldap.base_dn[0] != '\0');
	FUZZ_ASSERT(conf->workers >= 1 && conf->workers <= 1024);
	FUZZ_ASSERT(conf->logging.level >= 1 && conf->logging.level <= 9);
	FUZZ_ASSERT(conf->tokens.ttl_ms > 0);
	FUZZ_ASSERT(conf->tokens.max_ttl_ms >= conf->tokens.ttl_ms);
	FUZZ_ASSERT(conf->login.ttl_ms <= conf->tokens.max_ttl_ms);
	FUZZ_ASSERT(conf->request_timeout_ms >= 0 && conf->shutdown_timeout_ms >= 0);
	FUZZ_ASSERT(conf->ldap.timeout_ms >= 0 && conf->ldap.cache_ttl_ms >= 0);
	FUZZ_ASSERT(conf->ldap.cache_max >= 1 && conf->ldap.cache_max <= 1000000);
	FUZZ_ASSERT(conf->database.hosts.n >= 1);
	for (size_t i = 0; i < conf->database.hosts.n; i++) {
		const struct conf_db_host *h = &conf->database.hosts.v[i];
		FUZZ_ASSERT(h->host != NULL && h->host[0] != '\0');
		FUZZ_ASSERT(h->port >= 1 && h->port <= 65535);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(h->port != conf->database.hosts.v[j].port ||
			    strcasecmp(h->host, conf->database.hosts.v[j].host) != 0);
	}
	FUZZ_ASSERT(conf->database.failback_ms >= 1000);
	conf_free(conf);
	return 0;
}
