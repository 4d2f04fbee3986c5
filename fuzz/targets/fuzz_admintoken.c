/*
 * fuzz_admintoken — admin_token_file ("name:token" lines, '#' comments,
 * blank lines; re-read on SIGHUP) through admintoken_load(), which reads
 * it with secret_read_file(). That refuses symbolic links, so each input
 * goes to a regular temporary file rather than a memfd.
 *
 * Properties: an accepted file gives at least one token; every line that
 * a plain reader here splits as NAME:TOKEN (a valid name, a token) is
 * recognised by admintoken_check(), under the name of the last line with
 * that token; a string that is no line's token is refused.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include "admintoken.h"

static char path[4096];
static int fd = -1;

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	fuzz_log_init();
	snprintf(path, sizeof(path), "%s/ka-fuzz-admintoken.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		abort();
	}
	atexit(remove_file);
	return 0;
}

/* The name of the last line whose token is TOKEN, by the plain reader,
 * into NAME (64 bytes); false when no line has it. */
static bool
last_name_of(const char *text, const char *token, char name[64])
{
	const char *line = text;
	bool found = false;

	while (*line != '\0') {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);
		size_t tlen;

		if (colon != NULL && line[0] != '#') {
			tlen = len - (size_t)(colon + 1 - line);
			if (tlen > 0 && colon[tlen] == '\r')
				tlen--;
			if (tlen == strlen(token) && memcmp(colon + 1, token, tlen) == 0) {
				snprintf(name, 64, "%.*s", (int)(colon - line), line);
				found = true;
			}
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return found;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admintoken_set *set = NULL;
	char *text = fuzz_strndup(data, size), name[64];
	const char *line, *got;
	size_t len;

	if (ftruncate(fd, 0) < 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (admintoken_load(NULL, path, &set) < 0) {
		FUZZ_ASSERT(set == NULL);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(set != NULL && set->n >= 1);
	/* secret_read_file() drops trailing newlines; the file has no NUL. */
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	for (line = text; *line != '\0'; ) {
		size_t llen = strcspn(line, "\n"), tlen;
		const char *colon = memchr(line, ':', llen);

		if (colon != NULL && line[0] != '#') {
			char *token;
			tlen = llen - (size_t)(colon + 1 - line);
			if (tlen > 0 && colon[tlen] == '\r')
				tlen--;
			token = fuzz_strndup((const uint8_t *)colon + 1, tlen);
			got = admintoken_check(set, token);
			FUZZ_ASSERT(got != NULL);
			FUZZ_ASSERT(last_name_of(text, token, name) && strcmp(got, name) == 0);
			free(token);
		}
		line += llen;
		if (*line == '\n')
			line++;
	}
	if (!last_name_of(text, "no such token, surely", name))
		FUZZ_ASSERT(admintoken_check(set, "no such token, surely") == NULL);
	admintoken_free(set);
	free(text);
	return 0;
}
