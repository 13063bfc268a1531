/* Tests for the invite link codec (node/invite_link.h): round trips with
 * root and admin invites and every member/endpoint count, the shell- and
 * QR-safe alphabet, case-insensitivity, every one-character change, every
 * truncation, garbage and empty input refused with nothing left behind, a
 * seed that does not match its invite, and the network the link names
 * verifying its invite. Keys come from a seeded generator (seed printed). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "invite_link.h"
#include "mn_err.h"

#define T0_MS UINT64_C(1700000000000)

struct lfix {
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, admin;
	struct rec_network net;
	struct invite_link link;
};

static void ep(struct mn_addr *a, const char *text)
{
	ck_assert_int_eq(mn_addr_parse(a, text), MN_OK);
}

/* A link for network "home-lab" with an invite signed by the root, or by an
 * admin (with a grant) when by_admin; nmembers members, the first with an
 * IPv4 and an IPv6 endpoint, the others with one each. */
static void lfix_init(struct lfix *f, uint64_t seed, bool by_admin, uint8_t nmembers)
{
	struct rec_key invkey;

	memset(f, 0, sizeof(*f));
	mn_seeded_rng_init(&f->srng, seed);
	f->rng = mn_seeded_rng_iface(&f->srng);
	rec_key_generate(&f->root, &f->rng);
	rec_key_generate(&f->admin, &f->rng);
	ck_assert_int_eq(rec_network_init(&f->net, f->root.pk, NULL), MN_OK);

	strcpy(f->link.network, "home-lab");
	memcpy(f->link.root_pk, f->root.pk, REC_PK_LEN);
	f->link.v4 = f->net.v4;
	mn_rng_bytes(&f->rng, f->link.seed, REC_SEED_LEN);
	rec_key_from_seed(&invkey, f->link.seed);
	memcpy(f->link.invite.invite_pk, invkey.pk, REC_PK_LEN);
	rec_key_wipe(&invkey);
	f->link.invite.expires_ms = T0_MS + 86400000;
	f->link.invite.max_uses = 1;
	if (by_admin) {
		f->link.invite.signer = REC_BY_ADMIN;
		f->link.invite.grant.rights = REC_RIGHTS_ALL;
		memcpy(f->link.invite.grant.admin_pk, f->admin.pk, REC_PK_LEN);
		f->link.invite.grant.not_after_ms = UINT64_MAX;
		ck_assert_int_eq(rec_grant_sign(&f->net, &f->root, &f->link.invite.grant), MN_OK);
		ck_assert_int_eq(rec_invite_sign(&f->net, &f->admin, &f->link.invite), MN_OK);
	} else {
		f->link.invite.signer = REC_BY_ROOT;
		ck_assert_int_eq(rec_invite_sign(&f->net, &f->root, &f->link.invite), MN_OK);
	}
	f->link.nmembers = nmembers;
	for (uint8_t m = 0; m < nmembers; m++) {
		char text[64];

		snprintf(text, sizeof(text), "198.18.0.%u:%u", 10 + m, 51820 + m);
		ep(&f->link.members[m].endpoints[0], text);
		f->link.members[m].nendpoints = 1;
		if (m == 0) {
			ep(&f->link.members[m].endpoints[1], "[2001:2::a]:51820");
			f->link.members[m].nendpoints = 2;
		}
	}
}

static void lfix_free(struct lfix *f)
{
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->admin);
	invite_link_wipe(&f->link);
}

static bool zeroed(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void assert_same(const struct invite_link *a, const struct invite_link *b)
{
	ck_assert_str_eq(a->network, b->network);
	ck_assert_mem_eq(a->root_pk, b->root_pk, REC_PK_LEN);
	ck_assert_int_eq(a->v4.family, b->v4.family);
	ck_assert_int_eq(a->v4.bits, b->v4.bits);
	ck_assert_mem_eq(a->v4.addr, b->v4.addr, 4);
	ck_assert_mem_eq(a->seed, b->seed, REC_SEED_LEN);
	ck_assert_mem_eq(a->invite.invite_pk, b->invite.invite_pk, REC_PK_LEN);
	ck_assert_mem_eq(a->invite.sig, b->invite.sig, REC_SIG_LEN);
	ck_assert_int_eq(a->nmembers, b->nmembers);
	for (uint8_t m = 0; m < a->nmembers; m++) {
		ck_assert_int_eq(a->members[m].nendpoints, b->members[m].nendpoints);
		for (uint8_t e = 0; e < a->members[m].nendpoints; e++)
			ck_assert(mn_addr_eq(&a->members[m].endpoints[e],
					     &b->members[m].endpoints[e]));
	}
}

START_TEST(round_trip)
{
	for (int by_admin = 0; by_admin <= 1; by_admin++) {
		for (uint8_t n = 0; n <= INVITE_LINK_MEMBERS; n++) {
			struct lfix f;
			struct invite_link back;
			struct rec_network net;
			char text[INVITE_LINK_TEXT_MAX];
			size_t len;

			lfix_init(&f, 100 + (uint64_t)n, by_admin, n);
			ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len),
					 MN_OK);
			ck_assert_uint_eq(len, strlen(text));
			ck_assert(strncmp(text, "mn1.home-lab.", 13) == 0);
			for (size_t i = 0; i < len; i++) /* shell-safe alphabet */
				ck_assert_msg(islower((unsigned char)text[i]) ||
						      isdigit((unsigned char)text[i]) ||
						      text[i] == '.' || text[i] == '-',
					      "char %zu '%c'", i, text[i]);
			ck_assert_int_eq(invite_link_decode(&back, text), MN_OK);
			assert_same(&f.link, &back);
			/* the network it names verifies its invite */
			ck_assert_int_eq(invite_link_network(&back, &net), MN_OK);
			ck_assert_mem_eq(net.id, f.net.id, REC_NETID_LEN);
			ck_assert_int_eq(rec_invite_verify(&net, &back.invite, NULL, NULL), MN_OK);
			if (by_admin && n == INVITE_LINK_MEMBERS)
				printf("largest link: %zu characters\n", len);
			if (!by_admin && n == 1)
				printf("typical link: %zu characters: %s\n", len, text);
			invite_link_wipe(&back);
			lfix_free(&f);
		}
	}
}
END_TEST

START_TEST(case_and_whitespace)
{
	struct lfix f;
	struct invite_link back;
	char text[INVITE_LINK_TEXT_MAX], padded[INVITE_LINK_TEXT_MAX + 8];
	size_t len;

	lfix_init(&f, 7, false, 2);
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_OK);
	/* upper case: QR alphanumeric mode ([0-9A-Z.-] are all in its set) */
	for (size_t i = 0; i < len; i++)
		text[i] = (char)toupper((unsigned char)text[i]);
	ck_assert_int_eq(invite_link_decode(&back, text), MN_OK);
	assert_same(&f.link, &back);
	snprintf(padded, sizeof(padded), "  %s\n", text);
	ck_assert_int_eq(invite_link_decode(&back, padded), MN_OK);
	lfix_free(&f);
}
END_TEST

/* Every character changed to every other character of the alphabet (and a
 * few outside it) is refused, and nothing is left in the output. */
START_TEST(every_character_changed)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567.-018/+=_ ";
	struct lfix f;
	struct invite_link back;
	char text[INVITE_LINK_TEXT_MAX], bad[INVITE_LINK_TEXT_MAX];
	size_t len, tried = 0;

	lfix_init(&f, 8, false, 1);
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_OK);
	for (size_t i = 0; i < len; i++) {
		for (const char *c = alphabet; *c; c++) {
			if (*c == text[i] || (*c == ' ' && (i == 0 || i == len - 1)))
				continue;
			memcpy(bad, text, len + 1);
			bad[i] = *c;
			memset(&back, 0xa5, sizeof(back));
			ck_assert_msg(invite_link_decode(&back, bad) < 0, "pos %zu '%c' accepted",
				      i, *c);
			ck_assert(zeroed(&back, sizeof(back)));
			tried++;
		}
	}
	printf("every_character_changed: %zu variants refused\n", tried);
	lfix_free(&f);
}
END_TEST

START_TEST(truncated_garbage_empty)
{
	struct lfix f;
	struct invite_link back;
	char text[INVITE_LINK_TEXT_MAX], cut[INVITE_LINK_TEXT_MAX];
	size_t len;

	lfix_init(&f, 9, true, 3);
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_OK);
	for (size_t n = 0; n < len; n++) {
		memcpy(cut, text, n);
		cut[n] = '\0';
		memset(&back, 0xa5, sizeof(back));
		ck_assert_msg(invite_link_decode(&back, cut) < 0, "prefix of %zu accepted", n);
		ck_assert(zeroed(&back, sizeof(back)));
	}
	/* a character appended */
	memcpy(cut, text, len + 1);
	strcat(cut, "a");
	ck_assert_int_lt(invite_link_decode(&back, cut), 0);
	ck_assert_int_eq(invite_link_decode(&back, ""), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "   "), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "hello world"), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "mn1."), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "mn1.home-lab."), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "mn2.home-lab.aaaa"), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "mn1.-bad.aaaa"), MN_ESYNTAX);
	ck_assert_int_eq(invite_link_decode(&back, "mn1.home_lab.aaaa"), MN_ESYNTAX);
	ck_assert_int_lt(invite_link_decode(&back, "mn1.home-lab.aaaaaaaaaaaaaaaa"), 0);
	ck_assert_int_eq(invite_link_decode(&back, "https://example.invalid/x"), MN_ESYNTAX);
	lfix_free(&f);
}
END_TEST

/* A link whose payload is well formed and checksummed but whose seed is not
 * the invite's key, or whose prefix or endpoints are bad, is refused: the
 * encoder refuses what it can see, and a hand-made payload (re-encoded with
 * a valid checksum through the public encoder after the fact is impossible,
 * so the invariant is checked on the encoder's side). */
START_TEST(bad_fields)
{
	struct lfix f;
	char text[INVITE_LINK_TEXT_MAX];
	struct invite_link back;
	size_t len;

	lfix_init(&f, 10, false, 1);
	/* another seed: encodes (the encoder trusts its caller), never decodes */
	f.link.seed[0] ^= 1;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_OK);
	ck_assert_int_eq(invite_link_decode(&back, text), MN_EPROTO);
	f.link.seed[0] ^= 1;
	/* prefix with host bits, or too long */
	f.link.v4.addr[3] = 1;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	f.link.v4.addr[3] = 0;
	f.link.v4.bits = 31;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	f.link.v4.bits = 10;
	/* port 0, too many endpoints or members, bad name */
	f.link.members[0].endpoints[0].in4.sin_port = 0;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	f.link.members[0].endpoints[0].in4.sin_port = htons(1);
	f.link.members[0].nendpoints = INVITE_LINK_ENDPOINTS + 1;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	f.link.members[0].nendpoints = 1;
	f.link.nmembers = INVITE_LINK_MEMBERS + 1;
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	f.link.nmembers = 1;
	strcpy(f.link.network, "Home");
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_EINVAL);
	strcpy(f.link.network, "home");
	/* too small a buffer */
	ck_assert_int_eq(invite_link_encode(&f.link, text, 40, &len), MN_EMSGSIZE);
	ck_assert_int_eq(invite_link_encode(&f.link, text, sizeof(text), &len), MN_OK);
	ck_assert_int_eq(invite_link_decode(&back, text), MN_OK);
	/* a link of another network: its invite does not verify there */
	{
		struct rec_network other;
		struct rec_key k;

		rec_key_generate(&k, &f.rng);
		ck_assert_int_eq(rec_network_init(&other, k.pk, NULL), MN_OK);
		ck_assert_int_eq(rec_invite_verify(&other, &back.invite, NULL, NULL), MN_EAUTH);
		rec_key_wipe(&k);
	}
	lfix_free(&f);
}
END_TEST

static Suite *invite_link_suite(void)
{
	Suite *s = suite_create("invite_link");
	TCase *tc = tcase_create("invite_link");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, case_and_whitespace);
	tcase_add_test(tc, every_character_changed);
	tcase_add_test(tc, truncated_garbage_empty);
	tcase_add_test(tc, bad_fields);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(invite_link_suite)
