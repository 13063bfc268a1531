/* fuzz_invite_link - the invite link decoder on arbitrary input.
 *
 * Random text almost never passes the checksum, so the first byte picks the
 * layer: odd, the rest is link text (prefix, name, base32, checksum); even,
 * the rest is a payload handed to the decoder past the checksum, where the
 * invite, the seed check and the endpoint lists are parsed. Besides "no
 * crash, no leak, no undefined behaviour", a payload that decodes must
 * encode back to a link that decodes to the same fields (canonical form),
 * and a failure must leave the struct zeroed (no secret behind).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "invite_link.h"
#include "mn_err.h"

static void assert_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct invite_link l, back;
	static char text[INVITE_LINK_TEXT_MAX + 1];
	size_t len;
	int err;

	if (size < 1)
		return 0;
	if (sodium_init() < 0)
		abort();
	if (data[0] & 1) {
		len = size - 1 < INVITE_LINK_TEXT_MAX ? size - 1 : INVITE_LINK_TEXT_MAX;
		memcpy(text, data + 1, len);
		text[len] = '\0';
		err = invite_link_decode(&l, text);
	} else {
		err = invite_link_decode_payload(&l, data + 1, size - 1);
		if (err == MN_OK)
			strcpy(l.network, "fuzz");
	}
	if (err) {
		assert_zero(&l, sizeof(l));
		return 0;
	}
	if (invite_link_encode(&l, text, sizeof(text), &len) != MN_OK)
		abort();
	if (invite_link_decode(&back, text) != MN_OK)
		abort();
	if (memcmp(back.seed, l.seed, sizeof(l.seed)) != 0 ||
	    memcmp(back.root_pk, l.root_pk, sizeof(l.root_pk)) != 0 ||
	    back.nmembers != l.nmembers || strcmp(back.network, l.network) != 0)
		abort();
	invite_link_wipe(&l);
	invite_link_wipe(&back);
	return 0;
}
