/*
 * fuzz_duration — Go durations (conf_parse_duration()): the config's
 * timeouts and TTLs, and "ttl" in POST /tokens.
 *
 * Properties: a result is never negative; "<result>ms" parses to the same
 * result; for inputs without fractions, the result agrees with an exact
 * reference computed in 128 bits (accepted exactly when the total is below
 * 2^63 ns, as Go's time.ParseDuration).
 */
#include "fuzz.h"

#include <inttypes.h>

#include "conf.h"

/* 1 and *ms when TEXT is a sequence of <digits><unit> with a total below
 * 2^63 ns; 0 when it is such a sequence but too large; -1 when it is not
 * such a sequence (fractions included: not judged here). */
static int
reference(const char *text, int64_t *ms)
{
	static const struct { const char *unit; unsigned __int128 ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 }, { "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	const unsigned __int128 limit = (unsigned __int128)1 << 63;
	unsigned __int128 total = 0;
	bool big = false;
	const char *s = text;

	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 1;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		unsigned __int128 whole = 0, unit = 0;
		size_t ulen = 0;

		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			whole = whole * 10 + (unsigned)(*s - '0');
			if (whole >= limit)
				big = true, whole = limit;
		}
		while (s[ulen] != '\0' && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
			ulen++;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].unit) == ulen && memcmp(units[i].unit, s, ulen) == 0)
				unit = units[i].ns;
		if (unit == 0 || s[ulen] == '.')
			return -1;
		s += ulen;
		total += whole * unit;
		if (total >= limit)
			big = true, total = limit;
	}
	if (big)
		return 0;
	*ms = (int64_t)(total / 1000000);
	return 1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), again[32];
	int64_t ms = -1, ms2 = -1, want = -1;
	int rc = conf_parse_duration(text, &ms), ref;

	if (rc == 0) {
		FUZZ_ASSERT(ms >= 0);
		snprintf(again, sizeof(again), "%" PRId64 "ms", ms);
		FUZZ_ASSERT(conf_parse_duration(again, &ms2) == 0 && ms2 == ms);
	}
	/* A NUL ends the text for both. */
	ref = reference(text, &want);
	if (ref == 1)
		FUZZ_ASSERT(rc == 0 && ms == want);
	else if (ref == 0)
		FUZZ_ASSERT(rc < 0);
	free(text);
	return 0;
}
