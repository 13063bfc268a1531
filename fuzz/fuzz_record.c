/* fuzz_record - gossip/record decoders and chain verification on arbitrary
 * bytes.
 *
 * Every decoder is tried on the whole input. Besides "no crash, no leak, no
 * undefined behaviour", checks the contract: a decode failure is ETRUNC or
 * EPROTO; a decoded object re-encodes to exactly the input (the encoding is
 * canonical); verification answers only OK / EAUTH / EPROTO / ERANGE / EEXPIRED (an
 * admission dated past its invite's expiry + skew), and
 * the same with and without a memo, twice in a row.
 *
 * The network root comes from a fixed seed, the same one the test suite uses
 * to write fuzz/corpus/record/ (MN_RECORD_CORPUS=dir tests/test_gossip), so
 * the seeds reach every signature check.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "record.h"

static const uint8_t root_seed[REC_SEED_LEN] = "meshnode fuzz_record root seed!";
static struct rec_network net;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rec_key root;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	rec_key_from_seed(&root, root_seed);
	if (rec_network_init(&net, root.pk, NULL) != MN_OK)
		abort();
	rec_key_wipe(&root);
	return 0;
}

static void check_decode_err(int err)
{
	if (err != MN_ETRUNC && err != MN_EPROTO)
		abort();
}

static void check_same(const uint8_t *data, size_t size, const uint8_t *re, size_t relen,
		       int err)
{
	if (err != MN_OK || relen != size || memcmp(re, data, size) != 0)
		abort();
}

/* Run verify without a memo, then twice through one: same answer each time. */
#define CHECK_VERIFY(call_with_memo)                                          \
	do {                                                                  \
		uint8_t slots_[4][REC_MEMO_KEY_LEN];                          \
		struct rec_memo memo_, *memo = NULL;                          \
		int e0_, e1_, e2_;                                            \
		if (rec_memo_init(&memo_, slots_, 4) != MN_OK)                \
			abort();                                              \
		e0_ = (call_with_memo);                                       \
		memo = &memo_;                                                \
		e1_ = (call_with_memo);                                       \
		e2_ = (call_with_memo);                                       \
		if (e0_ != e1_ || e1_ != e2_)                                 \
			abort();                                              \
		if (e0_ != MN_OK && e0_ != MN_EAUTH && e0_ != MN_EPROTO &&    \
		    e0_ != MN_ERANGE && e0_ != MN_EEXPIRED)                   \
			abort();                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec_member m, m2; /* large; one input at a time */
	struct rec_grant g;
	struct rec_invite inv;
	struct rec_admission a;
	struct rec_revoke t;
	uint8_t re[REC_DGRAM_MAX];
	size_t relen;
	int err;

	if ((err = rec_grant_decode(&g, data, size)) == MN_OK) {
		err = rec_grant_encode(&g, re, sizeof(re), &relen);
		check_same(data, size, re, relen, err);
		CHECK_VERIFY(rec_grant_verify(&net, &g, NULL, memo));
	} else {
		check_decode_err(err);
	}

	if ((err = rec_invite_decode(&inv, data, size)) == MN_OK) {
		err = rec_invite_encode(&inv, re, sizeof(re), &relen);
		check_same(data, size, re, relen, err);
		CHECK_VERIFY(rec_invite_verify(&net, &inv, NULL, memo));
	} else {
		check_decode_err(err);
	}

	if ((err = rec_admission_decode(&a, data, size)) == MN_OK) {
		err = rec_admission_encode(&a, re, sizeof(re), &relen);
		check_same(data, size, re, relen, err);
	} else {
		check_decode_err(err);
	}

	if ((err = rec_member_decode(&m, data, size)) == MN_OK) {
		if (size > REC_MEMBER_MAX)
			abort();
		err = rec_member_encode(&m, re, sizeof(re), &relen);
		check_same(data, size, re, relen, err);
		CHECK_VERIFY(rec_member_verify(&net, &m, NULL, memo));
		CHECK_VERIFY(rec_admission_verify(&net, &m.invite, &m.adm, NULL, memo));
		m2 = m;
		if (rec_member_cmp(&m, &m2) != 0)
			abort();
	} else {
		check_decode_err(err);
	}

	if ((err = rec_revoke_decode(&t, data, size)) == MN_OK) {
		err = rec_revoke_encode(&t, re, sizeof(re), &relen);
		check_same(data, size, re, relen, err);
		CHECK_VERIFY(rec_revoke_verify(&net, &t, NULL, memo));
	} else {
		check_decode_err(err);
	}
	return 0;
}
