/* Tests for gossip/seal: per-pair sealing, direction keys, the replay
 * window, reflection, tampering, restarts, the X25519 memo hook, and the
 * one-port demultiplexing byte. Keys from a printed seed (MN_TEST_SEED). */
#include <sodium.h>
#include <string.h>

#include "check_main.h"
#include "gossip_fixture.h"
#include "mn_wire.h"
#include "seal.h"

#define BOOT 7 /* the boot number of every pair's ends */

struct pair_fx {
	struct gfix f;
	struct rec_key a, b, c;
	struct seal_self sa, sb, sc;
	struct seal_keys ab, ba, cb; /* ab: A's keys for B, etc. */
	struct seal_pair pa, pb;     /* A's state for B, B's state for A */
};

static void pfx_init(struct pair_fx *x, const char *name)
{
	memset(x, 0, sizeof(*x));
	gfix_init(&x->f, gfix_seed(name, UINT64_C(0x5ea1)));
	rec_key_generate(&x->a, &x->f.rng);
	rec_key_generate(&x->b, &x->f.rng);
	rec_key_generate(&x->c, &x->f.rng);
	ck_assert_int_eq(seal_self_init(&x->sa, &x->a, BOOT), MN_OK);
	ck_assert_int_eq(seal_self_init(&x->sb, &x->b, BOOT), MN_OK);
	ck_assert_int_eq(seal_self_init(&x->sc, &x->c, BOOT), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&x->ab, &x->sa, x->b.pk, NULL), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&x->ba, &x->sb, x->a.pk, NULL), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&x->cb, &x->sc, x->b.pk, NULL), MN_OK);
}

static void pfx_free(struct pair_fx *x)
{
	seal_self_wipe(&x->sa);
	seal_self_wipe(&x->sb);
	seal_self_wipe(&x->sc);
	seal_keys_wipe(&x->ab);
	seal_keys_wipe(&x->ba);
	seal_keys_wipe(&x->cb);
	rec_key_wipe(&x->a);
	rec_key_wipe(&x->b);
	rec_key_wipe(&x->c);
	gfix_free(&x->f);
}

/* B opens what A sealed: header parsed, addressed to B, from A. */
static int b_open(struct pair_fx *x, const uint8_t *buf, size_t len, uint8_t *pt, size_t *ptlen)
{
	struct seal_hdr h;
	int err = seal_parse(&h, buf, len);

	if (err)
		return err;
	if (h.to != x->sb.id || h.from != x->sa.id)
		return MN_EAUTH;
	return seal_open(&x->ba, &x->pb, &h, buf, len, pt, 1200, ptlen);
}

static size_t a_seal(struct pair_fx *x, uint8_t type, const char *msg, uint8_t *out)
{
	size_t len = 0;

	ck_assert_int_eq(seal_seal(&x->sa, &x->ab, &x->pa, x->sb.id, type,
				   (const uint8_t *)msg, strlen(msg), &x->f.rng, out, 1200, &len),
			 MN_OK);
	ck_assert_uint_eq(len, strlen(msg) + SEAL_OVERHEAD);
	return len;
}

START_TEST(test_seal_roundtrip)
{
	struct pair_fx x;
	uint8_t buf[1200], pt[1200];
	size_t len, ptlen = 0;
	struct seal_hdr h;

	pfx_init(&x, "test_seal_roundtrip");
	/* one key per direction, agreed by both sides */
	ck_assert_mem_eq(x.ab.tx, x.ba.rx, SEAL_KEY_LEN);
	ck_assert_mem_eq(x.ab.rx, x.ba.tx, SEAL_KEY_LEN);
	ck_assert(memcmp(x.ab.tx, x.ab.rx, SEAL_KEY_LEN) != 0);
	ck_assert(memcmp(x.cb.tx, x.ab.tx, SEAL_KEY_LEN) != 0);

	len = a_seal(&x, 0x10, "hello over the mesh", buf);
	ck_assert_int_eq(seal_parse(&h, buf, len), MN_OK);
	ck_assert_uint_eq(h.type, 0x10);
	ck_assert_uint_eq(h.from, x.sa.id);
	ck_assert_uint_eq(h.to, x.sb.id);
	ck_assert_uint_eq(h.ctr, x.sa.ctr_base);
	ck_assert_uint_eq(h.from, seal_key_id(x.a.pk));
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	ck_assert_uint_eq(ptlen, strlen("hello over the mesh"));
	ck_assert_mem_eq(pt, "hello over the mesh", ptlen);
	/* an empty body works too */
	len = a_seal(&x, 0x11, "", buf);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	ck_assert_uint_eq(ptlen, 0);
	/* too small an output */
	ck_assert_int_eq(seal_seal(&x.sa, &x.ab, &x.pa, x.sb.id, 1, (const uint8_t *)"xy", 2,
				   &x.f.rng, buf, SEAL_OVERHEAD + 1, &len), MN_EMSGSIZE);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_replay_window)
{
	struct pair_fx x;
	uint8_t bufs[100][100], pt[1200];
	size_t lens[100], ptlen;

	pfx_init(&x, "test_seal_replay_window");
	for (int i = 0; i < 100; i++)
		lens[i] = a_seal(&x, 0x14, "m", bufs[i]);
	/* 50 arrives first, then a reordered 10..49 inside the window */
	ck_assert_int_eq(b_open(&x, bufs[50], lens[50], pt, &ptlen), MN_OK);
	for (int i = 49; i >= 10; i--)
		ck_assert_int_eq(b_open(&x, bufs[i], lens[i], pt, &ptlen), MN_OK);
	/* each again: replay */
	for (int i = 10; i <= 50; i++)
		ck_assert_int_eq(b_open(&x, bufs[i], lens[i], pt, &ptlen), MN_EREPLAY);
	/* 99 moves the window to 36..99: 35 is now too old, 36 was seen */
	ck_assert_int_eq(b_open(&x, bufs[99], lens[99], pt, &ptlen), MN_OK);
	ck_assert_int_eq(b_open(&x, bufs[35], lens[35], pt, &ptlen), MN_EREPLAY);
	ck_assert_int_eq(b_open(&x, bufs[0], lens[0], pt, &ptlen), MN_EREPLAY);
	ck_assert_int_eq(b_open(&x, bufs[36], lens[36], pt, &ptlen), MN_EREPLAY); /* seen */
	ck_assert_int_eq(b_open(&x, bufs[51], lens[51], pt, &ptlen), MN_OK);
	ck_assert_int_eq(b_open(&x, bufs[98], lens[98], pt, &ptlen), MN_OK);
	ck_assert_int_eq(b_open(&x, bufs[98], lens[98], pt, &ptlen), MN_EREPLAY);
	/* a forged copy with a fresh counter does not authenticate, and does not
	 * move the window */
	uint64_t top = x.pb.rx_top;
	mn_put_be64(bufs[97] + SEAL_O_NONCE, top + 1);
	ck_assert_int_eq(b_open(&x, bufs[97], lens[97], pt, &ptlen), MN_EAUTH);
	ck_assert_uint_eq(x.pb.rx_top, top);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_reflection)
{
	struct pair_fx x;
	uint8_t buf[1200], pt[1200], swapped[1200];
	size_t len, ptlen;
	struct seal_hdr h;
	struct seal_pair fresh;

	pfx_init(&x, "test_seal_reflection");
	len = a_seal(&x, 0x10, "ping", buf);
	/* Reflected to A: it is addressed to B, and even if A ignored that and
	 * opened it as B's, A's receive key for B is the other direction's. */
	ck_assert_int_eq(seal_parse(&h, buf, len), MN_OK);
	ck_assert_uint_ne(h.to, x.sa.id);
	memset(&fresh, 0, sizeof(fresh));
	ck_assert_int_eq(seal_open(&x.ab, &fresh, &h, buf, len, pt, sizeof(pt), &ptlen), MN_EAUTH);
	/* Swapping the ids in the header so it looks like B -> A: associated data
	 * and direction key both disagree. */
	memcpy(swapped, buf, len);
	memcpy(swapped + SEAL_O_FROM, buf + SEAL_O_TO, 8);
	memcpy(swapped + SEAL_O_TO, buf + SEAL_O_FROM, 8);
	ck_assert_int_eq(seal_parse(&h, swapped, len), MN_OK);
	ck_assert_uint_eq(h.to, x.sa.id);
	ck_assert_int_eq(seal_open(&x.ab, &fresh, &h, swapped, len, pt, sizeof(pt), &ptlen),
			 MN_EAUTH);
	/* C, another member, cannot open A -> B */
	ck_assert_int_eq(seal_parse(&h, buf, len), MN_OK);
	ck_assert_int_eq(seal_open(&x.cb, &fresh, &h, buf, len, pt, sizeof(pt), &ptlen), MN_EAUTH);
	ck_assert_uint_eq(fresh.rx_top, 0);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_tamper)
{
	struct pair_fx x;
	uint8_t buf[1200], bad[1200], pt[1200];
	size_t len, ptlen;

	pfx_init(&x, "test_seal_tamper");
	len = a_seal(&x, 0x15, "the body that must not change", buf);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct seal_pair saved = x.pb;
			memcpy(bad, buf, len);
			bad[i] ^= (uint8_t)(1 << bit);
			int err = b_open(&x, bad, len, pt, &ptlen);
			ck_assert_int_ne(err, MN_OK);
			ck_assert_mem_eq(&saved, &x.pb, sizeof(saved));
		}
	}
	/* every truncation */
	for (size_t l = 0; l < len; l++)
		ck_assert_int_ne(b_open(&x, buf, l, pt, &ptlen), MN_OK);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_restart)
{
	struct pair_fx x;
	uint8_t buf[1200], pt[1200];
	size_t len, ptlen;
	struct seal_self again;

	pfx_init(&x, "test_seal_restart");
	for (int i = 0; i < 10; i++) {
		len = a_seal(&x, 0x10, "before", buf);
		ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	}
	/* A restarts (its next boot number): fresh pair state, counters above the old */
	ck_assert_int_eq(seal_self_init(&again, &x.a, BOOT + 1), MN_OK);
	ck_assert_uint_gt(again.ctr_base, x.pa.tx_ctr);
	memset(&x.pa, 0, sizeof(x.pa));
	ck_assert_int_eq(seal_seal(&again, &x.ab, &x.pa, x.sb.id, 0x10, (const uint8_t *)"after",
				   5, &x.f.rng, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	/* A restart under an old boot number (one that was not persisted) is
	 * refused (liveness, not confidentiality: the nonce's random half
	 * differs); the boot number is persisted before use for this. */
	seal_self_wipe(&again);
	ck_assert_int_eq(seal_self_init(&again, &x.a, BOOT - 1), MN_OK);
	memset(&x.pa, 0, sizeof(x.pa));
	ck_assert_int_eq(seal_seal(&again, &x.ab, &x.pa, x.sb.id, 0x10, (const uint8_t *)"old",
				   3, &x.f.rng, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_EREPLAY);
	/* a counter at its end */
	x.pa.tx_ctr = UINT64_MAX;
	ck_assert_int_eq(seal_seal(&again, &x.ab, &x.pa, x.sb.id, 0x10, (const uint8_t *)"x", 1,
				   &x.f.rng, buf, sizeof(buf), &len), MN_EFULL);
	seal_self_wipe(&again);
	pfx_free(&x);
}
END_TEST

/* Counter layout (review 3): the boot number in the top 24 bits, a per-boot
 * count in the low 40; the wall clock plays no part, so a later boot is
 * heard whatever its clock says, and a boot's count never runs into the
 * next boot's range. */
START_TEST(test_seal_boot_counter)
{
	struct pair_fx x;
	uint8_t buf[1200], pt[1200];
	size_t len, ptlen;
	struct seal_self again;

	pfx_init(&x, "test_seal_boot_counter");
	ck_assert_uint_eq(x.sa.ctr_base, ((uint64_t)BOOT << SEAL_CTR_BOOT_SHIFT) | 1);
	ck_assert_int_eq(seal_self_init(&again, &x.a, SEAL_BOOT_MAX + UINT64_C(1)), MN_EINVAL);
	ck_assert_int_eq(seal_self_init(&again, &x.a, SEAL_BOOT_MAX), MN_OK);
	ck_assert_uint_gt(again.ctr_base, x.sa.ctr_base);
	seal_self_wipe(&again);
	/* a long boot: its count near the end of its range */
	x.pa.tx_ctr = x.sa.ctr_base + (UINT64_C(1) << 39);
	len = a_seal(&x, 0x10, "late", buf);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	/* the next boot is still above it */
	ck_assert_int_eq(seal_self_init(&again, &x.a, BOOT + 1), MN_OK);
	ck_assert_uint_gt(again.ctr_base, x.pa.tx_ctr);
	memset(&x.pa, 0, sizeof(x.pa));
	len = 0;
	ck_assert_int_eq(seal_seal(&again, &x.ab, &x.pa, x.sb.id, 0x10, (const uint8_t *)"next",
				   4, &x.f.rng, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(b_open(&x, buf, len, pt, &ptlen), MN_OK);
	/* a boot's count stops at its range's end */
	x.pa.tx_ctr = again.ctr_base | ((UINT64_C(1) << SEAL_CTR_BOOT_SHIFT) - 1);
	ck_assert_int_eq(seal_seal(&again, &x.ab, &x.pa, x.sb.id, 0x10, (const uint8_t *)"x", 1,
				   &x.f.rng, buf, sizeof(buf), &len), MN_EFULL);
	seal_self_wipe(&again);
	pfx_free(&x);
}
END_TEST

struct count_memo {
	uint8_t key[4][SEAL_MEMO_KEY_LEN];
	uint8_t val[4][SEAL_KEY_LEN];
	int n, gets, hits, puts;
};

static bool cm_get(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], uint8_t shared[SEAL_KEY_LEN])
{
	struct count_memo *c = ctx;

	c->gets++;
	for (int i = 0; i < c->n; i++) {
		if (memcmp(c->key[i], key, SEAL_MEMO_KEY_LEN) == 0) {
			memcpy(shared, c->val[i], SEAL_KEY_LEN);
			c->hits++;
			return true;
		}
	}
	return false;
}

static void cm_put(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		   const uint8_t shared[SEAL_KEY_LEN])
{
	struct count_memo *c = ctx;

	c->puts++;
	if (c->n < 4) {
		memcpy(c->key[c->n], key, SEAL_MEMO_KEY_LEN);
		memcpy(c->val[c->n], shared, SEAL_KEY_LEN);
		c->n++;
	}
}

START_TEST(test_seal_memo)
{
	struct pair_fx x;
	struct count_memo cm;
	struct seal_memo memo = { .get = cm_get, .put = cm_put, .ctx = &cm };
	struct seal_keys k1, k2, k3;

	pfx_init(&x, "test_seal_memo");
	memset(&cm, 0, sizeof(cm));
	ck_assert_int_eq(seal_keys_derive(&k1, &x.sa, x.b.pk, &memo), MN_OK);
	ck_assert_int_eq(cm.puts, 1);
	ck_assert_int_eq(cm.hits, 0);
	ck_assert_int_eq(seal_keys_derive(&k2, &x.sa, x.b.pk, &memo), MN_OK);
	ck_assert_int_eq(cm.hits, 1);
	ck_assert_mem_eq(&k1, &k2, sizeof(k1));
	ck_assert_mem_eq(&k1, &x.ab, sizeof(k1));
	/* the other side's inputs differ (its own secret): another entry */
	ck_assert_int_eq(seal_keys_derive(&k3, &x.sb, x.a.pk, &memo), MN_OK);
	ck_assert_int_eq(cm.hits, 1);
	ck_assert_int_eq(cm.puts, 2);
	ck_assert_mem_eq(k3.rx, k1.tx, SEAL_KEY_LEN);
	seal_keys_wipe(&k1);
	seal_keys_wipe(&k2);
	seal_keys_wipe(&k3);
	pfx_free(&x);
}
END_TEST

/* Review finding: the pair-keyed memo was keyed by the two Ed25519 public
 * keys, so a hit answered for whatever secret the caller held: a key pair
 * whose secret changed without its public half, or another identity of the
 * same process naming itself by someone else's public key, got the pair's
 * real keys from the memo. Now the memo names our side by the X25519 public
 * key of the secret in use, and seal_self_init refuses halves that differ. */
START_TEST(test_seal_memo_pair_secret)
{
	struct pair_fx x;
	struct count_memo cm;
	struct seal_memo memo = { .get = cm_get, .put = cm_put, .ctx = &cm, .pair_keyed = true };
	struct seal_keys k;
	struct seal_self mix;
	struct rec_key changed;

	pfx_init(&x, "test_seal_memo_pair_secret");
	memset(&cm, 0, sizeof(cm));
	/* A keys the pair with B; B's end is answered from the same entry */
	ck_assert_int_eq(seal_keys_derive(&k, &x.sa, x.b.pk, &memo), MN_OK);
	ck_assert_mem_eq(&k, &x.ab, sizeof(k));
	ck_assert_int_eq(seal_keys_derive(&k, &x.sb, x.a.pk, &memo), MN_OK);
	ck_assert_int_eq(cm.hits, 1);
	ck_assert_mem_eq(&k, &x.ba, sizeof(k));
	/* a key change that kept the old public half: refused outright */
	changed = x.a;
	memcpy(changed.sk, x.c.sk, REC_SK_LEN);
	ck_assert_int_eq(seal_self_init(&mix, &changed, BOOT), MN_EINVAL);
	changed = x.c;
	memcpy(changed.pk, x.a.pk, REC_PK_LEN);
	ck_assert_int_eq(seal_self_init(&mix, &changed, BOOT), MN_EINVAL);
	/* C's side naming itself by A's public key: no hit, and not A's keys */
	ck_assert_int_eq(seal_self_init(&mix, &x.c, BOOT), MN_OK);
	memcpy(mix.pk, x.a.pk, REC_PK_LEN);
	ck_assert_int_eq(seal_keys_derive(&k, &mix, x.b.pk, &memo), MN_OK);
	ck_assert_int_eq(cm.hits, 1);
	ck_assert(memcmp(k.tx, x.ab.tx, SEAL_KEY_LEN) != 0);
	ck_assert(memcmp(k.rx, x.ab.rx, SEAL_KEY_LEN) != 0);
	/* C itself: its own entry, its own keys */
	ck_assert_int_eq(seal_keys_derive(&k, &x.sc, x.b.pk, &memo), MN_OK);
	ck_assert_mem_eq(&k, &x.cb, sizeof(k));
	seal_self_wipe(&mix);
	seal_keys_wipe(&k);
	rec_key_wipe(&changed);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_bad_keys)
{
	struct pair_fx x;
	struct seal_keys k;
	uint8_t low[REC_PK_LEN];

	pfx_init(&x, "test_seal_bad_keys");
	ck_assert_int_eq(seal_keys_derive(&k, &x.sa, x.a.pk, NULL), MN_EINVAL);
	/* the identity point, a small-order key: no conversion / zero result */
	memset(low, 0, sizeof(low));
	low[0] = 1;
	ck_assert_int_eq(seal_keys_derive(&k, &x.sa, low, NULL), MN_ECRYPTO);
	/* not a point at all */
	memset(low, 0xff, sizeof(low));
	low[31] = 0x7f;
	ck_assert_int_eq(seal_keys_derive(&k, &x.sa, low, NULL), MN_ECRYPTO);
	pfx_free(&x);
}
END_TEST

START_TEST(test_seal_demux)
{
	struct pair_fx x;
	uint8_t buf[1200];
	size_t len;
	struct seal_hdr h;
	/* WireGuard initiation, STUN binding request: both must not look ours */
	uint8_t wg[148] = { 1, 0, 0, 0 };
	uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };

	pfx_init(&x, "test_seal_demux");
	ck_assert_uint_ge(SEAL_MAGIC0, 0x40);
	len = a_seal(&x, 0x10, "x", buf);
	ck_assert(seal_is_control(buf, len));
	ck_assert(!seal_is_control(wg, sizeof(wg)));
	ck_assert(!seal_is_control(stun, sizeof(stun)));
	ck_assert(!seal_is_control(buf, 1));
	ck_assert_int_eq(seal_parse(&h, wg, sizeof(wg)), MN_EPROTO);
	ck_assert_int_eq(seal_parse(&h, buf, SEAL_OVERHEAD - 1), MN_ETRUNC);
	buf[SEAL_O_VERSION] = 2;
	ck_assert_int_eq(seal_parse(&h, buf, len), MN_EPROTO);
	pfx_free(&x);
}
END_TEST

static Suite *seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");

	tcase_add_test(tc, test_seal_roundtrip);
	tcase_add_test(tc, test_seal_replay_window);
	tcase_add_test(tc, test_seal_reflection);
	tcase_add_test(tc, test_seal_tamper);
	tcase_add_test(tc, test_seal_restart);
	tcase_add_test(tc, test_seal_boot_counter);
	tcase_add_test(tc, test_seal_memo);
	tcase_add_test(tc, test_seal_memo_pair_secret);
	tcase_add_test(tc, test_seal_bad_keys);
	tcase_add_test(tc, test_seal_demux);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(seal_suite)
