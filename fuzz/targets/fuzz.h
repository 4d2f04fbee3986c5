/*
 * fuzz.h — what the libFuzzer targets share.
 *
 * Each target is one file, fuzz_<name>.c, defining LLVMFuzzerTestOneInput
 * (and LLVMFuzzerInitialize when it needs set-up). A target must free
 * everything it allocates for one input: LeakSanitizer runs after each.
 * A broken property calls FUZZ_ASSERT, which reports through the
 * sanitizer's channel (stderr may be closed by -close_fd_mask=2) and
 * aborts, so that libFuzzer saves the input as a crash.
 */
#ifndef KA_FUZZ_H
#define KA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "json.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond) do {                                          \
	if (!(cond))                                                    \
		fuzz_fail(__FILE__, __LINE__, #cond);                   \
} while (0)

static inline void __attribute__((noreturn))
fuzz_fail(const char *file, int line, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "property broken at %s:%d: %s", file, line, what);
	__sanitizer_report_error_summary(msg);
	abort();
}

/* The input as a NUL-terminated string (it may hold NULs of its own).
 * Caller frees. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Does object BODY have member KEY, with a value other than null? (What
 * the token bodies count as given.) */
static inline bool
fuzz_present(yajl_val body, const char *key)
{
	yajl_val v = json_get(body, key);

	return v != NULL && !YAJL_IS_NULL(v);
}

/* Is the input empty or only spaces, tabs and line ends? (What the token
 * bodies take as no body; a NUL is no blank.) */
static inline bool
fuzz_blank(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '\0' || strchr(" \t\r\n", data[i]) == NULL)
			return false;
	return true;
}

/* Log everything: the messages built from hostile input are part of what
 * is fuzzed (run.sh discards stderr, the sanitizers still report). */
static inline void
fuzz_log_init(void)
{
	log_init("fuzz", LOG_LVL_DEBUG, false);
}

#endif
