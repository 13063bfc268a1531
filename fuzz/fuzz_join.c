/* fuzz_join - the join messages (node/join_wire.h) and both sides of the
 * join protocol (node/join.h) on arbitrary input.
 *
 * The first byte picks the layer, the rest is a datagram:
 *   0  every parser; one that accepts must give back the same bytes when
 *      encoded again (canonical form)
 *   1  the admitter, from a fixed address; a REQUEST gets the right cookie
 *      written in, so the fuzzer reaches past the cookie check. Besides no
 *      crash: no reply is larger than a datagram that did not prove its
 *      address (anything but a REQUEST with a valid cookie)
 *   2  the joiner, moved to REQUEST_SENT first; the datagram gets the
 *      current nonce written in, so ACCEPT and REFUSE are parsed and an
 *      ACCEPT is verified. An ACCEPT that admits must name our key.
 * The network, the admitter's record and the link are made once from
 * fixed seeds, in a fuzz_snap.h window, and restored before each input:
 * the admitter's secret, its counters and the generator the joiner draws
 * its nonce from start the same for every input (they used to carry on
 * from the inputs before, so a crash could depend on what ran earlier). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_snap.h"
#include "join.h"
#include "mn_err.h"

#define T0_MS UINT64_C(1700000000000)

struct world {
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, member, node;
	struct rec_network net;
	uint8_t record[REC_MEMBER_MAX];
	size_t record_len;
	struct invite_link link;
	struct join_admitter adm;
	struct mn_addr from, member_addr;
};

static int w_find(void *ctx, const uint8_t pk[REC_PK_LEN], struct rec_admission *out)
{
	(void)ctx, (void)pk, (void)out;
	return MN_ENOENT;
}

static unsigned w_uses(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	(void)ctx, (void)pk;
	return 0;
}

static bool w_name_taken(void *ctx, const char *name, const uint8_t pk[REC_PK_LEN])
{
	(void)ctx, (void)pk;
	return strcmp(name, "taken") == 0;
}

static bool w_held(void *ctx, const uint8_t ipv4[4])
{
	(void)ctx;
	return ipv4[3] & 1;
}

static void w_admitted(void *ctx, const struct rec_admission *a, const uint8_t pk[REC_PK_LEN],
		       const char *name)
{
	(void)ctx, (void)a, (void)pk, (void)name;
}

static const struct join_admitter_ops w_ops = {
	.find = w_find, .uses = w_uses, .name_taken = w_name_taken,
	.held = w_held, .admitted = w_admitted,
};

/* A root invite with a key from a fresh seed. */
static void make_invite(struct world *w, struct rec_invite *inv, uint8_t seed[REC_SEED_LEN])
{
	struct rec_key k;

	memset(inv, 0, sizeof(*inv));
	mn_rng_bytes(&w->rng, seed, REC_SEED_LEN);
	rec_key_from_seed(&k, seed);
	memcpy(inv->invite_pk, k.pk, REC_PK_LEN);
	rec_key_wipe(&k);
	inv->signer = REC_BY_ROOT;
	inv->expires_ms = T0_MS + 86400000;
	inv->max_uses = 2;
	if (rec_invite_sign(&w->net, &w->root, inv) != MN_OK)
		abort();
}

static void world_init(struct world *w)
{
	struct rec_member rec;
	struct rec_key ik;
	uint8_t seed[REC_SEED_LEN], proof[REC_SIG_LEN], ip[4] = { 100, 64, 0, 1 };

	if (sodium_init() < 0)
		abort();
	memset(w, 0, sizeof(*w));
	mn_seeded_rng_init(&w->srng, 1);
	w->rng = mn_seeded_rng_iface(&w->srng);
	rec_key_generate(&w->root, &w->rng);
	rec_key_generate(&w->member, &w->rng);
	rec_key_generate(&w->node, &w->rng);
	if (rec_network_init(&w->net, w->root.pk, NULL) != MN_OK)
		abort();
	memset(&rec, 0, sizeof(rec));
	make_invite(w, &rec.invite, seed);
	rec_key_from_seed(&ik, seed);
	rec_join_proof(&w->net, &ik, w->member.pk, proof);
	rec_key_wipe(&ik);
	if (rec_admit(&w->net, &rec.invite, &w->root, REC_BY_ROOT, w->member.pk, proof, ip, T0_MS,
		      NULL, NULL, &rec.adm) != MN_OK)
		abort();
	rec.version = 1;
	strcpy(rec.name, "member");
	rec.name_len = 6;
	if (rec_member_sign(&w->net, &w->member, &rec) != MN_OK ||
	    rec_member_encode(&rec, w->record, sizeof(w->record), &w->record_len) != MN_OK)
		abort();
	if (mn_addr_parse(&w->from, "203.0.113.7:40000") != MN_OK ||
	    mn_addr_parse(&w->member_addr, "198.18.0.10:51820") != MN_OK)
		abort();
	strcpy(w->link.network, "fuzz");
	memcpy(w->link.root_pk, w->root.pk, REC_PK_LEN);
	w->link.v4 = w->net.v4;
	make_invite(w, &w->link.invite, w->link.seed);
	w->link.nmembers = 1;
	w->link.members[0].nendpoints = 1;
	w->link.members[0].endpoints[0] = w->member_addr;
	if (join_admitter_init(&w->adm, &(struct join_admitter_cfg){
			.net = &w->net, .key = &w->member, .kind = REC_BY_MEMBER,
			.record = w->record, .record_len = w->record_len, .ops = &w_ops,
			.rng = &w->rng }) != MN_OK)
		abort();
}

static void parsers(const uint8_t *d, size_t n)
{
	static struct join_request r;
	static struct join_accept a;
	static uint8_t out[JOIN_DGRAM_MAX];
	uint8_t nonce[JOIN_NONCE_LEN], cookie[JOIN_COOKIE_LEN];
	enum join_reason why;
	size_t len;

	if (join_hello_decode(nonce, d, n) == MN_OK &&
	    (join_hello_encode(nonce, out, sizeof(out), &len) || len != n || memcmp(out, d, n)))
		abort();
	if (join_cookie_decode(nonce, cookie, d, n) == MN_OK &&
	    (join_cookie_encode(nonce, cookie, out, sizeof(out), &len) || len != n ||
	     memcmp(out, d, n)))
		abort();
	if (join_refuse_decode(nonce, &why, d, n) == MN_OK &&
	    (join_refuse_encode(nonce, why, out, sizeof(out), &len) || len != n ||
	     memcmp(out, d, n)))
		abort();
	if (join_request_decode(&r, d, n) == MN_OK &&
	    (join_request_encode(&r, out, sizeof(out), &len) || len != n || memcmp(out, d, n)))
		abort();
	if (join_accept_decode(&a, d, n) == MN_OK &&
	    (join_accept_encode(a.nonce, &a.adm, d + JOIN_ACC_O_RECORD, n - JOIN_ACC_O_RECORD,
				out, sizeof(out), &len) ||
	     len != n || memcmp(out, d, n)))
		abort();
}

static void admitter(struct world *w, uint8_t *d, size_t n)
{
	static uint8_t out[JOIN_DGRAM_MAX];
	enum join_type type;
	bool proved = false;
	size_t outlen;

	if (join_peek_type(d, n, &type) == MN_OK && type == JOIN_T_REQUEST &&
	    n >= JOIN_REQ_O_COOKIE + JOIN_COOKIE_LEN) {
		join_admitter_cookie(&w->adm, &w->from, d + JOIN_O_NONCE, 0, d + JOIN_REQ_O_COOKIE);
		proved = true;
	}
	join_admitter_recv(&w->adm, &w->from, d, n, 0, T0_MS, out, sizeof(out), &outlen);
	if (!proved && outlen > n)
		abort();
}

static void joiner(struct world *w, uint8_t *d, size_t n)
{
	static struct join j;
	static uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	struct mn_addr to;
	size_t len, outlen;

	if (join_start(&j, &w->link, w->node.pk, "laptop", 0, 60 * MN_NS_PER_SEC, &w->rng) ||
	    !join_poll_tx(&j, &to, buf, sizeof(buf), &len) ||
	    join_admitter_recv(&w->adm, &w->from, buf, len, 0, T0_MS, out, sizeof(out),
			       &outlen) != MN_OK ||
	    join_recv(&j, &to, out, outlen, 0) != MN_OK || j.state != JOIN_REQUEST_SENT)
		abort();
	if (n >= JOIN_HDR_LEN)
		memcpy(d + JOIN_O_NONCE, j.nonce, JOIN_NONCE_LEN);
	join_recv(&j, &to, d, n, 0);
	if (j.state == JOIN_DONE && memcmp(j.adm.node_pk, w->node.pk, REC_PK_LEN) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world *w;
	static struct snap start;
	static uint8_t d[JOIN_DGRAM_MAX + 64];
	size_t n;

	if (!w) {
		snap_record(true);
		if (!(w = malloc(sizeof(*w))))
			abort();
		world_init(w);
		snap_take(&start);
		snap_record(false);
	}
	if (size < 1)
		return 0;
	snap_restore(&start);
	n = size - 1 < sizeof(d) ? size - 1 : sizeof(d);
	memcpy(d, data + 1, n);
	switch (data[0] % 3) {
	case 0:
		parsers(d, n);
		break;
	case 1:
		admitter(w, d, n);
		break;
	default:
		joiner(w, d, n);
		break;
	}
	return 0;
}
