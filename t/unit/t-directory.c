/*
 * t-directory.c — RFC 4515 filter and RFC 4514 DN escaping, and user_filter
 * expansion. The connection code needs a server: see the t1NNN tests.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "../../src/dirdn.h"
#include "../../src/direscape.h"
#include "tap.h"

/* Value with explicit length, so NULs inside can be tested. */
#define V(s) (s), (sizeof(s) - 1)

static void
check_filter(const char *value, size_t len, const char *want, const char *what)
{
	char *got = direscape_filter(value, len);

	is_str(got, want, "filter: %s", what);
	free(got);
}

static void
check_dn(const char *value, size_t len, const char *want, const char *what)
{
	char *got = direscape_dn(value, len);

	is_str(got, want, "dn: %s", what);
	free(got);
}

static void
check_expand(const char *tmpl, const char *value, size_t len, const char *want,
    const char *what)
{
	char *got = direscape_expand_filter(tmpl, value, len);

	is_str(got, want, "expand: %s", what);
	free(got);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* An RFC 4515 value decoder written apart from the encoder: "\XX" is a
 * byte, a backslash followed by anything else, or an unescaped '*', '(',
 * ')' or NUL, makes the value invalid. Returns the decoded length or -1. */
static long
decode_filter_value(const char *s, char *out)
{
	long n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '*' || *s == '(' || *s == ')')
			return -1;
		if (*s == '\\') {
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
				return -1;
			out[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else
			out[n++] = *s;
	}
	return n;
}

/* An RFC 4514 attribute value decoder: "\XX" is a byte, "\c" is c for a
 * special character; an unescaped special, an unescaped leading '#' or
 * space, or an unescaped trailing space makes the value invalid. */
static long
decode_dn_value(const char *s, char *out)
{
	const char *start = s;
	bool last_escaped = false;
	long n = 0;

	for (; *s != '\0'; s++) {
		last_escaped = false;
		if (strchr(",+\"<>;=", *s) != NULL)
			return -1;
		if (s == start && (*s == '#' || *s == ' '))
			return -1;
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		if (hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			out[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else if (s[1] != '\0' &&
		    strchr(" \"#+,;<=>\\", s[1]) != NULL) {
			out[n++] = s[1];
			s++;
		} else
			return -1;
		last_escaped = true;
	}
	if (n > 0 && out[n - 1] == ' ' && !last_escaped)
		return -1;
	return n;
}

/* Balanced parentheses with exactly one item: the value cannot close the
 * assertion or open another one. */
static bool
single_assertion(const char *filter)
{
	size_t len = strlen(filter), i;

	if (len < 2 || filter[0] != '(' || filter[len - 1] != ')')
		return false;
	for (i = 1; i < len - 1; i++)
		if (filter[i] == '(' || filter[i] == ')')
			return false;
	return true;
}

struct sample {
	const char *value;
	size_t len;
};

/* The second opinion is libldap's own DN parser: the escaped value, placed
 * as the first RDN, must come back as one AVA with the original bytes and
 * leave the rest of the DN alone. */
static bool
libldap_reads_rdn_value(const char *escaped, const struct sample *sm)
{
	char dnstr[512];
	LDAPDN dn = NULL;
	bool same;

	snprintf(dnstr, sizeof(dnstr), "cn=%s,dc=example,dc=org", escaped);
	if (ldap_str2dn(dnstr, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	same = dn != NULL && dn[0] != NULL && dn[1] != NULL &&
	    dn[2] != NULL && dn[3] == NULL &&
	    dn[0][0] != NULL && dn[0][1] == NULL &&
	    dn[0][0]->la_value.bv_len == sm->len &&
	    (sm->len == 0 ||
	    memcmp(dn[0][0]->la_value.bv_val, sm->value, sm->len) == 0);
	ldap_dnfree(dn);
	return same;
}

#define S(s) { (s), sizeof(s) - 1 }

static const struct sample samples[] = {
	S(""), S("alice"), S("*"), S("("), S(")"), S("\\"), S("\0"),
	S("*)(uid=*"), S("alic*"), S("admin)(|(uid=*"), S("*)(|(objectClass=*"),
	S("a\0b"), S("\0\0\0"), S("\\2a"), S("\\5c\\"), S("\\\\"),
	S("#admin"), S(" alice"), S("alice "), S(" "), S("  "), S("# "),
	S("cn=admin,dc=example,dc=org"), S("a+b"), S("\"quoted\""),
	S("<tag>;x"), S("zo\xc3\xab"), S("\xe6\x97\xa5\xe6\x9c\xac"),
	S("\xff\xfe"), S("\x01\x1f\x7f"), S("%s%%"), S("x\\"),
	S("))))(((("), S("\\\0*"),
};

/* Does escaping SM survive the decoder, and stay inside (uid=...)? */
static bool
filter_sample_ok(const struct sample *sm, size_t i)
{
	char *esc, *filter, decoded[256];
	bool round_trip, one_assertion;
	long n;

	esc = direscape_filter(sm->value, sm->len);
	filter = direscape_expand_filter("(uid=%s)", sm->value, sm->len);
	if (esc == NULL || filter == NULL) {
		free(esc);
		free(filter);
		return false;
	}
	n = decode_filter_value(esc, decoded);
	round_trip = n == (long)sm->len &&
	    memcmp(decoded, sm->value, sm->len) == 0;
	one_assertion = single_assertion(filter) &&
	    strncmp(filter + 5, esc, strlen(esc)) == 0;
	if (!round_trip || !one_assertion)
		printf("# sample %zu: filter '%s'\n", i, filter);
	free(esc);
	free(filter);
	return round_trip && one_assertion;
}

/* Does DN escaping of SM survive our decoder and libldap's DN parser? */
static bool
dn_sample_ok(const struct sample *sm, size_t i, bool *libldap_ok)
{
	char *esc, decoded[256];
	bool round_trip;
	long n;

	*libldap_ok = false;
	if ((esc = direscape_dn(sm->value, sm->len)) == NULL)
		return false;
	n = decode_dn_value(esc, decoded);
	round_trip = n == (long)sm->len &&
	    memcmp(decoded, sm->value, sm->len) == 0;
	*libldap_ok = libldap_reads_rdn_value(esc, sm);
	if (!round_trip || !*libldap_ok)
		printf("# sample %zu: dn value '%s'\n", i, esc);
	free(esc);
	return round_trip;
}

static void
property_checks(void)
{
	size_t i, nsamples = sizeof(samples) / sizeof(samples[0]);
	size_t filter_ok = 0, dn_ok = 0, str2dn_ok = 0;
	bool libldap_ok;

	for (i = 0; i < nsamples; i++) {
		filter_ok += filter_sample_ok(&samples[i], i);
		dn_ok += dn_sample_ok(&samples[i], i, &libldap_ok);
		str2dn_ok += libldap_ok;
	}
	is_int(filter_ok, nsamples,
	    "filter escaping round-trips, inside one (uid=...), for all %zu "
	    "samples", nsamples);
	is_int(dn_ok, nsamples, "dn escaping round-trips for all %zu samples",
	    nsamples);
	is_int(str2dn_ok, nsamples,
	    "libldap parses cn=<escaped>,dc=example,dc=org back for all %zu "
	    "samples", nsamples);
}

/* Client certificate subjects as nginx writes them ($ssl_client_s_dn,
 * RFC 2253), and the first RDN of group DNs. */
static void
dn_checks(void)
{
	char *v;

	ok(dirdn_single_cn("CN=apiserver-a,O=x", "apiserver-a"),
	    "client CN: CN first, then O");
	ok(dirdn_single_cn("O=x,CN=apiserver-a", "apiserver-a"),
	    "client CN: CN last");
	ok(dirdn_single_cn("cn=apiserver-a", "apiserver-a"),
	    "client CN: type case does not matter");
	ok(dirdn_single_cn("2.5.4.3=apiserver-a", "apiserver-a"),
	    "client CN: by OID");
	ok(!dirdn_single_cn("CN=apiserver-a", "Apiserver-a"),
	    "client CN: the value compares byte for byte");
	ok(!dirdn_single_cn("CN=other,CN=apiserver-a", "apiserver-a"),
	    "client CN: two CNs never match");
	ok(!dirdn_single_cn("CN=apiserver-a+CN=b", "apiserver-a"),
	    "client CN: two CNs in one RDN never match");
	ok(!dirdn_single_cn("CN=evil,O=CN\\=apiserver-a", "apiserver-a"),
	    "client CN: CN=... inside another value is no CN");
	ok(dirdn_single_cn("CN=api\\,server,O=x", "api,server"),
	    "client CN: escaped comma in the CN");
	ok(!dirdn_single_cn("CN=apiserver-a2", "apiserver-a"),
	    "client CN: a longer value does not match");
	ok(!dirdn_single_cn("CN=#0c0b6170697365727665722d61", "apiserver-a"),
	    "client CN: a hex (#...) value does not match");
	ok(!dirdn_single_cn("not a dn", "apiserver-a"),
	    "client CN: garbage does not match");
	ok(!dirdn_single_cn("", "apiserver-a") &&
	    !dirdn_single_cn(NULL, "apiserver-a") &&
	    !dirdn_single_cn("CN=", ""),
	    "client CN: empty or missing does not match");
	ok(!dirdn_single_cn("O=x", "apiserver-a"),
	    "client CN: no CN does not match");

	v = dirdn_rdn_value("cn=system:masters,ou=groups,dc=example,dc=org");
	is_str(v, "system:masters", "rdn value: cn");
	free(v);
	v = dirdn_rdn_value("ou=a\\,b,dc=example");
	is_str(v, "a,b", "rdn value: any type, unescaped");
	free(v);
	v = dirdn_rdn_value("cn=a+ou=b,dc=example");
	ok(v == NULL, "rdn value: multi-valued RDN: none");
	free(v);
}

int
main(void)
{
	/* RFC 4515 */
	check_filter(V("alice"), "alice", "plain value unchanged");
	check_filter(V("Alice.Smith-01_x@example.org"),
	    "Alice.Smith-01_x@example.org", "dots, dashes, @ unchanged");
	check_filter(V("*"), "\\2a", "asterisk");
	check_filter(V("("), "\\28", "left parenthesis");
	check_filter(V(")"), "\\29", "right parenthesis");
	check_filter(V("\\"), "\\5c", "backslash");
	check_filter(V("a\0b"), "a\\00b", "NUL inside the value");
	check_filter(V("\0"), "\\00", "NUL alone");
	check_filter(V("zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac"),
	    "zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac", "UTF-8 kept as is");
	check_filter(V("\xff"), "\xff", "a byte >= 0x80 kept as is");
	check_filter(V(""), "", "empty value");
	check_filter(NULL, 0, "", "NULL with length 0");
	check_filter(V("*)(uid=*"), "\\2a\\29\\28uid=\\2a",
	    "injection *)(uid=*");
	check_filter(V("alic*"), "alic\\2a", "wildcard injection alic*");
	check_filter(V("admin)(|(uid=*"), "admin\\29\\28|\\28uid=\\2a",
	    "injection admin)(|(uid=*");
	check_filter(V("\\2a"), "\\5c2a", "an escape in the input is escaped");
	check_filter("alice*", 5, "alice", "only len bytes are read");
	check_filter(V("=<>~&|!:"), "=<>~&|!:",
	    "other filter syntax unchanged");

	/* RFC 4514 */
	/* Found by fuzzing: libldap strips tabs and newlines like spaces at
	 * the ends of a value, so control characters are written in hex. */
	check_dn("alice\n", 6, "alice\\0a", "a trailing newline is escaped");
	check_dn("\talice", 6, "\\09alice", "a leading tab is escaped");
	check_dn("a\rb", 3, "a\\0db", "a carriage return is escaped");
	check_dn(V("alice"), "alice", "plain value unchanged");
	check_dn(V(","), "\\,", "comma");
	check_dn(V("+"), "\\+", "plus");
	check_dn(V("\""), "\\\"", "double quote");
	check_dn(V("\\"), "\\\\", "backslash");
	check_dn(V("<"), "\\<", "less than");
	check_dn(V(">"), "\\>", "greater than");
	check_dn(V(";"), "\\;", "semicolon");
	check_dn(V("="), "\\=", "equals");
	check_dn(V("a\0b"), "a\\00b", "NUL inside the value");
	check_dn(V("#admin"), "\\#admin", "leading #");
	check_dn(V("a#b#"), "a#b#", "# elsewhere unchanged");
	check_dn(V(" alice"), "\\ alice", "leading space");
	check_dn(V("alice "), "alice\\ ", "trailing space");
	check_dn(V("Alice Smith"), "Alice Smith", "inner space unchanged");
	check_dn(V(" "), "\\ ", "a single space escaped once");
	check_dn(V("  "), "\\ \\ ", "two spaces: leading and trailing");
	check_dn(V("   "), "\\  \\ ", "three spaces: the middle one kept");
	check_dn(V("# x "), "\\# x\\ ", "leading # and trailing space");
	check_dn(V("*()"), "*()", "filter specials unchanged");
	check_dn(V("zo\xc3\xab"), "zo\xc3\xab", "UTF-8 kept as is");
	check_dn(V(""), "", "empty value");
	check_dn(V("cn=admin,dc=example,dc=org"),
	    "cn\\=admin\\,dc\\=example\\,dc\\=org", "a DN as a value");
	check_dn(V("x,ou=admins"), "x\\,ou\\=admins", "RDN injection");

	/* user_filter templates */
	check_expand("(uid=%s)", V("alice"), "(uid=alice)", "one %s");
	check_expand("(|(uid=%s)(mail=%s))", V("a*"),
	    "(|(uid=a\\2a)(mail=a\\2a))", "two %s, each escaped");
	check_expand("(&(uid=%s)(cn=%s)(sn=%s))", V("x"),
	    "(&(uid=x)(cn=x)(sn=x))", "three %s");
	check_expand("(uid=%s)(note=100%%)", V("bob"),
	    "(uid=bob)(note=100%)", "%% becomes %");
	check_expand("(x=%%s)", V("bob"), "(x=%s)", "%%s is a literal %s");
	check_expand("(x=%%%s)", V("bob"), "(x=%bob)",
	    "%%%s is % then the value");
	check_expand("(x=%d%)", V("bob"), "(x=%d%)",
	    "other % sequences and a trailing % kept");
	check_expand("(objectClass=person)", V("bob"), "(objectClass=person)",
	    "no %s: copied");
	check_expand("(uid=%s)", V("a\0b"), "(uid=a\\00b)", "NUL in the value");
	check_expand("(uid=%s)", V(""), "(uid=)", "empty value");
	check_expand("(uid=%s)", V("%s"), "(uid=%s)",
	    "a %s in the value is not expanded again");
	check_expand("(&(uid=%s)(!(pwdAccountLockedTime=*)))",
	    V("admin)(|(uid=*"),
	    "(&(uid=admin\\29\\28|\\28uid=\\2a)(!(pwdAccountLockedTime=*)))",
	    "injection stays inside the assertion");
	check_expand("", V("x"), "", "empty template");

	/* The decoders above are the oracle: they must reject bad input. */
	{
		char buf[64];

		ok(decode_filter_value("a*", buf) == -1 &&
		    decode_filter_value("a)", buf) == -1 &&
		    decode_filter_value("a\\2", buf) == -1 &&
		    decode_filter_value("a\\zz", buf) == -1,
		    "oracle: filter decoder rejects specials, bad escapes");
		ok(decode_dn_value("#a", buf) == -1 &&
		    decode_dn_value(" a", buf) == -1 &&
		    decode_dn_value("a ", buf) == -1 &&
		    decode_dn_value("a,b", buf) == -1 &&
		    decode_dn_value("a\\", buf) == -1,
		    "oracle: dn decoder rejects raw specials and bad ends");
	}
	property_checks();
	dn_checks();
	return tap_done();
}
