/*
 * t-crypto.c — tokens, UUIDs, the key file, HKDF, HMAC and AES-GCM sealing,
 * and the time format of the store.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>
#include "../../src/crypto.h"
#include "../../src/db.h"
#include "../../src/ktime.h"
#include "../../src/log.h"
#include "tap.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static struct crypto_keyring *
ring_of(const char *text)
{
	struct crypto_keyring *ring = NULL;
	if (crypto_keyring_parse(text, "test", &ring) < 0)
		return NULL;
	return ring;
}

static int
is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
main(void)
{
	char token[CRYPTO_TOKEN_LEN + 1], token2[CRYPTO_TOKEN_LEN + 1];
	char uuid[CRYPTO_UUID_LEN + 1], opened[CRYPTO_TOKEN_LEN + 1], buf[32];
	unsigned char h1[32], h2[32], sealed[CRYPTO_SEALED_LEN], other[CRYPTO_SEALED_LEN];
	struct crypto_keyring *ring, *ring2;
	const struct crypto_key *k;
	int64_t us;

	log_init("t-crypto", 2, false);

	/* tokens */
	ok(crypto_token_new(token) == 0, "a token is made");
	is_int(strlen(token), 64, "64 characters");
	ok(is_lower_hex(token, 64), "lowercase hex");
	ok(crypto_token_wellformed(token, 64), "well-formed");
	crypto_token_new(token2);
	ok(strcmp(token, token2) != 0, "two tokens differ");
	ok(!crypto_token_wellformed("ABCDEF", 6), "short is not well-formed");
	memcpy(token2, token, sizeof(token));
	token2[10] = 'A';
	ok(!crypto_token_wellformed(token2, 64), "uppercase is not well-formed");

	/* UUIDs */
	ok(crypto_uuid_new(uuid) == 0, "a UUID is made");
	is_int(strlen(uuid), 36, "36 characters");
	ok(uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-',
	    "8-4-4-4-12 (%s)", uuid);
	ok(uuid[14] == '4', "version 4");
	ok(strchr("89ab", uuid[19]) != NULL, "RFC 4122 variant");
	ok(crypto_uuid_valid(uuid), "valid");
	ok(crypto_uuid_valid("6F9619FF-8B86-D011-B42D-00C04FC964FF"), "uppercase accepted");
	ok(!crypto_uuid_valid("6f9619ff-8b86-d011-b42d-00c04fc964f"), "short refused");
	ok(!crypto_uuid_valid("6f9619ff-8b86-d011-b42d-00c04fc964ff0"), "long refused");
	ok(!crypto_uuid_valid("6f9619ff+8b86-d011-b42d-00c04fc964ff"), "bad dash refused");
	ok(!crypto_uuid_valid("6f9619ff-8b86-d011-b42d-00c04fc964fg"), "non-hex refused");
	ok(!crypto_uuid_valid(""), "empty refused");
	ok(!crypto_uuid_valid("nope"), "word refused");

	/* the key file */
	ring = ring_of(KEY_A "\n");
	ok(ring != NULL && ring->n == 1 && ring->v[0].id == 1, "a bare key is key 1");
	crypto_keyring_free(ring);
	ring = ring_of("# keys\n\n2:" KEY_B "\n1:" KEY_A "\n");
	ok(ring != NULL && ring->n == 2, "two keys with ids and a comment");
	k = crypto_keyring_newest(ring);
	ok(k != NULL && k->id == 2, "the newest is the highest id");
	ok(crypto_keyring_find(ring, 1) != NULL, "key 1 found");
	ok(crypto_keyring_find(ring, 3) == NULL, "key 3 not there");
	ok(memcmp(ring->v[0].mac, ring->v[0].enc, 32) != 0, "mac and enc keys differ");
	ok(memcmp(ring->v[0].mac, ring->v[1].mac, 32) != 0, "keys differ by key");
	ok(ring_of("") == NULL, "an empty file is refused");
	ok(ring_of("# only a comment\n") == NULL, "a file of comments is refused");
	ok(ring_of("1:abc\n") == NULL, "a short key is refused");
	ok(ring_of("1:" KEY_A "00\n") == NULL, "a long key is refused");
	ok(ring_of("1:" "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n") == NULL,
	    "a non-hex key is refused");
	ok(ring_of("1:" KEY_A "\n1:" KEY_B "\n") == NULL, "a repeated id is refused");
	ok(ring_of("0:" KEY_A "\n") == NULL, "id 0 is refused");
	ok(ring_of("x:" KEY_A "\n") == NULL, "a non-numeric id is refused");
	ok(ring_of("-1:" KEY_A "\n") == NULL, "a negative id is refused");
	ok(ring_of("2147483648:" KEY_A "\n") == NULL, "an id over 2^31-1 is refused");
	ring2 = ring_of("  7:" KEY_A "  \r\n");
	ok(ring2 != NULL && ring2->v[0].id == 7, "spaces and CRLF around a line are fine");

	/* HKDF is deterministic: the same key gives the same derived keys */
	ok(ring2 != NULL && memcmp(ring2->v[0].mac, ring->v[0].mac, 32) == 0 &&
	    memcmp(ring2->v[0].enc, ring->v[0].enc, 32) == 0,
	    "the same key derives the same mac/enc keys whatever its id");

	/* HMAC */
	k = crypto_keyring_find(ring, 1);
	ok(crypto_token_hmac(k, token, 64, h1) == 0, "HMAC computed");
	crypto_token_hmac(k, token, 64, h2);
	ok(memcmp(h1, h2, 32) == 0, "HMAC is deterministic");
	crypto_token_hmac(crypto_keyring_find(ring, 2), token, 64, h2);
	ok(memcmp(h1, h2, 32) != 0, "another key gives another HMAC");
	{
		/* The kept context re-initialised per call must give exactly
		 * one-shot HMAC-SHA256 under the mac key, whatever came before
		 * (a shorter and a longer message in between). */
		unsigned char want[32];
		unsigned int want_len = 0;
		HMAC(EVP_sha256(), k->mac, sizeof(k->mac),
		    (const unsigned char *)token, 64, want, &want_len);
		crypto_token_hmac(k, "x", 1, h2);
		const char *longer = "a longer message than a token, by several "
		    "dozen bytes, to cross a SHA-256 block or two";
		crypto_token_hmac(k, longer, strlen(longer), h2);
		crypto_token_hmac(k, token, 64, h2);
		ok(want_len == 32 && memcmp(h2, want, 32) == 0 &&
		    memcmp(h1, want, 32) == 0,
		    "HMAC matches one-shot HMAC-SHA256 across reuses");
	}
	crypto_fingerprint(h1, buf);
	is_int(strlen(buf), 8, "fingerprint: 8 hex characters");

	/* AES-GCM */
	ok(crypto_token_seal(k, token, uuid, sealed) == 0, "sealed");
	ok(memmem(sealed, sizeof(sealed), token, 64) == NULL, "the secret is not in the sealed copy");
	ok(crypto_token_open(k, sealed, sizeof(sealed), uuid, opened) == 0 &&
	    strcmp(opened, token) == 0, "opens to the same token");
	crypto_token_seal(k, token, uuid, other);
	ok(memcmp(sealed, other, sizeof(sealed)) != 0, "a random nonce: two seals differ");
	ok(crypto_token_open(k, sealed, sizeof(sealed), "another-id", opened) != 0,
	    "another AAD (token id) does not open");
	ok(crypto_token_open(crypto_keyring_find(ring, 2), sealed, sizeof(sealed), uuid,
	    opened) != 0, "another key does not open");
	sealed[20] ^= 1;
	ok(crypto_token_open(k, sealed, sizeof(sealed), uuid, opened) != 0,
	    "a flipped bit does not open");
	sealed[20] ^= 1;
	ok(crypto_token_open(k, sealed, sizeof(sealed) - 1, uuid, opened) != 0,
	    "a short copy does not open");

	/* times */
	ktime_format(1533294591396053LL, buf);
	is_str(buf, "2018-08-03T11:09:51.396053Z", "time with microseconds");
	ktime_format(1514810096000000LL, buf);
	is_str(buf, "2018-01-01T12:34:56Z", "whole seconds: no fraction (as Go)");
	ktime_format(1514810096500000LL, buf);
	is_str(buf, "2018-01-01T12:34:56.5Z", "trailing zeros cut (as Go)");
	ok(ktime_parse("2018-08-03T11:09:51.396053Z", &us) == 0 && us == 1533294591396053LL,
	    "parse with microseconds");
	ok(ktime_parse("2018-08-03T13:09:51.396053123+02:00", &us) == 0 &&
	    us == 1533294591396053LL, "parse with nanoseconds and an offset");
	ok(ktime_parse("2018-08-03T11:09:51Z", &us) == 0, "parse without fraction");
	ok(ktime_parse("2018-08-03 11:09:51Z", &us) < 0, "a space for T refused");
	ok(ktime_parse("2018-08-03T11:09:51", &us) < 0, "no zone refused");
	ok(ktime_parse("2018-02-30T11:09:51Z", &us) < 0, "February 30 refused");
	ok(ktime_parse("2018-08-03T11:09:51.Z", &us) < 0, "empty fraction refused");
	ok(ktime_parse("2018-08-03T11:09:51.1234567890Z", &us) < 0, "10 fraction digits refused");
	ok(ktime_parse("tomorrow", &us) < 0, "a word refused");
	ok(ktime_parse("2018-08-03T11:09:51Zjunk", &us) < 0, "trailing junk refused");

	crypto_keyring_free(ring);
	crypto_keyring_free(ring2);
	return tap_done();
}
