/* wgkey.c - WireGuard key text forms.
 *
 * Keys are secrets: every codec here is libsodium's constant-time one, so
 * the time taken depends on the length of the text only, never on the key.
 * The text is strict: exactly 44 base64 characters ending in one '=' (with
 * the unused low bits of the last symbol zero, as any encoder emits them),
 * or exactly 64 hex digits; nothing may precede or follow.
 */
#include "wgkey.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"

#define B64_CHARS (WGKEY_B64_LEN - 1)
#define HEX_CHARS (WGKEY_HEX_LEN - 1)

_Static_assert(WGKEY_B64_LEN == sodium_base64_ENCODED_LEN(WG_KEY_LEN,
							   sodium_base64_VARIANT_ORIGINAL),
	       "base64 key length");
_Static_assert(WGKEY_HEX_LEN == WG_KEY_LEN * 2 + 1, "hex key length");

int wgkey_from_base64(uint8_t key[WG_KEY_LEN], const char *s)
{
	size_t bin_len = 0;
	const char *end = NULL;

	/* The length is public; only the characters are secret. */
	if (strnlen(s, B64_CHARS + 1) != B64_CHARS)
		goto bad;
	if (sodium_base642bin(key, WG_KEY_LEN, s, B64_CHARS, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		goto bad;
	if (bin_len != WG_KEY_LEN || end != s + B64_CHARS)
		goto bad;
	return MN_OK;
bad:
	sodium_memzero(key, WG_KEY_LEN);
	return MN_ESYNTAX;
}

int wgkey_from_hex(uint8_t key[WG_KEY_LEN], const char *s)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strnlen(s, HEX_CHARS + 1) != HEX_CHARS)
		goto bad;
	if (sodium_hex2bin(key, WG_KEY_LEN, s, HEX_CHARS, NULL, &bin_len, &end) != 0)
		goto bad;
	if (bin_len != WG_KEY_LEN || end != s + HEX_CHARS)
		goto bad;
	return MN_OK;
bad:
	sodium_memzero(key, WG_KEY_LEN);
	return MN_ESYNTAX;
}

void wgkey_to_base64(char out[WGKEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(out, WGKEY_B64_LEN, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

void wgkey_to_hex(char out[WGKEY_HEX_LEN], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2hex(out, WGKEY_HEX_LEN, key, WG_KEY_LEN);
}
