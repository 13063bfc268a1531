/* Tests for wgkey: base64/hex codecs, clamping, public keys (RFC 7748). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "wg_crypto.h"
#include "wgkey.h"

/* RFC 7748 §6.1: Alice's private key and the public key it gives. */
static const char rfc_priv_hex[] =
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char rfc_pub_hex[] =
	"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

START_TEST(test_rfc7748_public)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char hex[WGKEY_HEX_LEN];

	ck_assert_int_eq(wgkey_from_hex(priv, rfc_priv_hex), MN_OK);
	ck_assert_int_eq(wg_pubkey(pub, priv), MN_OK);
	wgkey_to_hex(hex, pub);
	ck_assert_str_eq(hex, rfc_pub_hex);
	/* Clamping first gives the same public key (X25519 clamps anyway). */
	wg_clamp(priv);
	ck_assert_int_eq(wg_pubkey(pub, priv), MN_OK);
	wgkey_to_hex(hex, pub);
	ck_assert_str_eq(hex, rfc_pub_hex);
}
END_TEST

START_TEST(test_known_base64)
{
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	char b64[WGKEY_B64_LEN];

	ck_assert_int_eq(wgkey_from_hex(key, rfc_priv_hex), MN_OK);
	wgkey_to_base64(b64, key);
	ck_assert_str_eq(b64, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
	ck_assert_int_eq(wgkey_from_base64(back, b64), MN_OK);
	ck_assert_mem_eq(key, back, WG_KEY_LEN);

	memset(key, 0, sizeof(key));
	wgkey_to_base64(b64, key);
	ck_assert_str_eq(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}
END_TEST

START_TEST(test_round_trips)
{
	struct mn_seeded_rng s;
	struct mn_rng r;
	uint64_t seed = 0x77656b6579;

	printf("wgkey round trips: seed=%llu\n", (unsigned long long)seed);
	mn_seeded_rng_init(&s, seed);
	r = mn_seeded_rng_iface(&s);
	for (int i = 0; i < 1000; i++) {
		uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
		char b64[WGKEY_B64_LEN], hex[WGKEY_HEX_LEN];

		mn_rng_bytes(&r, key, sizeof(key));
		wgkey_to_base64(b64, key);
		ck_assert_uint_eq(strlen(b64), 44);
		ck_assert_int_eq(b64[43], '=');
		ck_assert_int_eq(wgkey_from_base64(back, b64), MN_OK);
		ck_assert_mem_eq(key, back, WG_KEY_LEN);
		wgkey_to_hex(hex, key);
		ck_assert_uint_eq(strlen(hex), 64);
		ck_assert_int_eq(wgkey_from_hex(back, hex), MN_OK);
		ck_assert_mem_eq(key, back, WG_KEY_LEN);
		/* hex decoding takes upper case too */
		for (char *c = hex; *c; c++)
			if (*c >= 'a' && *c <= 'f')
				*c = (char)(*c - 'a' + 'A');
		ck_assert_int_eq(wgkey_from_hex(back, hex), MN_OK);
		ck_assert_mem_eq(key, back, WG_KEY_LEN);
	}
}
END_TEST

START_TEST(test_clamp)
{
	uint8_t k[WG_KEY_LEN];

	memset(k, 0xff, sizeof(k));
	wg_clamp(k);
	ck_assert_uint_eq(k[0], 0xf8);
	ck_assert_uint_eq(k[31], 0x7f);
	memset(k, 0, sizeof(k));
	wg_clamp(k);
	ck_assert_uint_eq(k[0], 0);
	ck_assert_uint_eq(k[31], 0x40);
}
END_TEST

static void assert_b64_bad(const char *s)
{
	uint8_t k[WG_KEY_LEN];
	memset(k, 0xaa, sizeof(k));
	ck_assert_msg(wgkey_from_base64(k, s) == MN_ESYNTAX, "accepted base64 '%s'", s);
	/* a failed decode leaves no partial key behind */
	ck_assert(sodium_is_zero(k, sizeof(k)));
}

static void assert_hex_bad(const char *s)
{
	uint8_t k[WG_KEY_LEN];
	memset(k, 0xaa, sizeof(k));
	ck_assert_msg(wgkey_from_hex(k, s) == MN_ESYNTAX, "accepted hex '%s'", s);
	ck_assert(sodium_is_zero(k, sizeof(k)));
}

START_TEST(test_rejects)
{
	const char *good = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
	char buf[128];

	assert_b64_bad("");
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo");     /* 43, no pad */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo==");   /* 45 */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA");    /* 44, no pad */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC==");    /* 31 bytes */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC*=");    /* bad char */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=");    /* nonzero pad bits */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L-o=");    /* url-safe alphabet */
	assert_b64_bad(" dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");   /* leading space */
	assert_b64_bad("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkq sXf7pR25LCo=");   /* inner space */
	snprintf(buf, sizeof(buf), "%s\n", good);
	assert_b64_bad(buf);
	snprintf(buf, sizeof(buf), "%sx", good);
	assert_b64_bad(buf);

	assert_hex_bad("");
	assert_hex_bad(rfc_priv_hex + 1);                                   /* 63 */
	snprintf(buf, sizeof(buf), "%s0", rfc_priv_hex);                    /* 65 */
	assert_hex_bad(buf);
	snprintf(buf, sizeof(buf), "%s", rfc_priv_hex);
	buf[10] = 'g';
	assert_hex_bad(buf);
	buf[10] = ':';
	assert_hex_bad(buf);
	snprintf(buf, sizeof(buf), "%s ", rfc_priv_hex);
	assert_hex_bad(buf);
	/* a base64 key is not a hex key and vice versa */
	assert_hex_bad(good);
	assert_b64_bad(rfc_priv_hex);
}
END_TEST

static Suite *wgkey_suite(void)
{
	Suite *s = suite_create("wgkey");
	TCase *tc = tcase_create("wgkey");
	tcase_add_test(tc, test_rfc7748_public);
	tcase_add_test(tc, test_known_base64);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_clamp);
	tcase_add_test(tc, test_rejects);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wgkey_suite)
