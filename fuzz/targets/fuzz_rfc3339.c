/*
 * fuzz_rfc3339 — RFC 3339 times (ktime_parse()): "expiry" in POST
 * /tokens, and the times `import` reads from the original service.
 *
 * Properties: an accepted time written back by ktime_format() (UTC, the
 * fraction's trailing zeros cut) parses to the same microsecond, whenever
 * the year stays 4 digits long; its text is 20 to 27 bytes; and the same
 * instant written with an explicit "+00:00" offset reads the same.
 */
#include "fuzz.h"

#include "db.h"
#include "ktime.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), out[32], offset[40];
	int64_t us, again;

	if (ktime_parse(text, &us) == 0) {
		ktime_format(us, out);
		if (strlen(out) >= 20 && out[4] == '-') {
			size_t n = strlen(out);
			FUZZ_ASSERT(n <= 27 && out[n - 1] == 'Z');
			FUZZ_ASSERT(ktime_parse(out, &again) == 0 && again == us);
			snprintf(offset, sizeof(offset), "%.*s+00:00", (int)(n - 1), out);
			FUZZ_ASSERT(ktime_parse(offset, &again) == 0 && again == us);
		}
	}
	free(text);
	return 0;
}
