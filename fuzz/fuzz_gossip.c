/* fuzz_gossip - the gossip receive path (gossip/swim.c, gossip/seal.c) on
 * arbitrary bytes.
 *
 * A fixed network (keys from fixed seeds): "self" runs swim; members B and C
 * are known to it; D is a member it does not know yet (for HELLO). Each
 * input gets a fresh instance. The first input byte's low 7 bits, modulo 3,
 * pick the mode:
 *
 *   0  the rest is one raw datagram from B's address (seal, HELLO, garbage);
 *   1  rest = type, body: the harness seals the body as B (a genuine
 *      member), so the fuzzer reaches every body parser;
 *   2  rest = a sequence of (who, type, len[2], body) messages, each sealed
 *      as B or C, with a timer step between them (stateful paths:
 *      probes, ping-req relays, push-pull descent, record fetches).
 *
 * With the first byte's top bit set, four timer steps 20 to 80 s apart
 * follow the input: probes, suspicions, push-pull, whatever it set in
 * motion. They cost three times the rest of an input and run the same code
 * for every input that changed nothing, so they are the fuzzer's choice,
 * one bit flip away from any input (fuzz/README.md has the numbers).
 *
 * The shared state (the record table every instance interns into, the
 * verification memo) is built once in a fuzz_snap.h window and restored
 * before each input, so no input sees what an earlier one interned or
 * memoized; the instance itself is new for each input (its random stream,
 * and so its address-token key, depends on the input: see new_self).
 *
 * Sealed messages arrive from an address the instance never sent a token
 * to, so the contract checked on every output is DESIGN.md §2's: no
 * datagram to that address is larger than the request that caused it, and
 * none exceeds SWIM_MTU. Plus the sanitizers' "no crash, no leak, no UB".
 *
 * MN_FUZZ_GOSSIP_CORPUS=DIR writes seed inputs there (a real exchange
 * between two instances, in modes 0 and 1, and a HELLO), plus genuine root
 * tombstones (against member C and against D) in a GOSSIP and in push-pull
 * items (TRANGE, TLIST, REVOKE), so the fuzzer starts past their
 * signature checks; then exits.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_snap.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "record.h"
#include "rtab.h"
#include "seal.h"
#include "swim.h"

#define T0_MS UINT64_C(1700000000000)
#define WALL0 (T0_MS * MN_NS_PER_MS)
#define MONO0 (UINT64_C(5000) * MN_NS_PER_SEC)
#define MEMO_SLOTS 64

enum { SELF, B, C, D, NKEYS };

static struct rec_network net;
static struct rec_key keys[NKEYS];
static uint8_t recs[NKEYS][REC_MEMBER_MAX];
static size_t rec_lens[NKEYS];
static struct mn_addr addrs[NKEYS], spoof;
static struct swim_store store;
/* What instances change outside themselves: in the snapshot arena. */
struct shared {
	struct rtab *rt;
	uint8_t memo_slots[MEMO_SLOTS][REC_MEMO_KEY_LEN];
	struct rec_memo memo;
};
static struct shared *sh;
static struct snap start;
static struct seal_self peer_self[NKEYS];
static struct seal_keys peer_keys[NKEYS]; /* B's and C's keys towards self */
static uint8_t tombs[2][REC_REVOKE_MAX];  /* root tombstones against C and D */
static size_t tomb_lens[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void write_corpus(const char *dir);

static void seed_key(struct rec_key *k, const char *label)
{
	uint8_t seed[REC_SEED_LEN] = { 0 };

	memcpy(seed, label, strlen(label) < sizeof(seed) ? strlen(label) : sizeof(seed));
	rec_key_from_seed(k, seed);
}

static void make_addr(struct mn_addr *a, uint32_t host)
{
	memset(a, 0, sizeof(*a));
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons(51820);
	a->in4.sin_addr.s_addr = htonl(0xC6120000u | host); /* 198.18.0.x */
}

static void build_network(void)
{
	struct rec_key root, invkey;
	struct rec_invite inv;

	seed_key(&root, "fuzz_gossip root");
	seed_key(&invkey, "fuzz_gossip invite");
	if (rec_network_init(&net, root.pk, NULL) != MN_OK)
		abort();
	memset(&inv, 0, sizeof(inv));
	inv.signer = REC_BY_ROOT;
	memcpy(inv.invite_pk, invkey.pk, REC_PK_LEN);
	inv.expires_ms = T0_MS + 86400000;
	inv.max_uses = 100;
	if (rec_invite_sign(&net, &root, &inv) != MN_OK)
		abort();
	for (int i = 0; i < NKEYS; i++) {
		char label[32];
		struct rec_member m;
		uint8_t proof[REC_SIG_LEN];
		uint8_t ip[4] = { 100, 64, 0, (uint8_t)(i + 1) };

		snprintf(label, sizeof(label), "fuzz_gossip node %d", i);
		seed_key(&keys[i], label);
		memset(&m, 0, sizeof(m));
		m.invite = inv;
		rec_join_proof(&net, &invkey, keys[i].pk, proof);
		if (rec_admit(&net, &inv, &root, REC_BY_ROOT, keys[i].pk, proof, ip, T0_MS + 1,
			      NULL, NULL, &m.adm) != MN_OK)
			abort();
		m.version = T0_MS + 10;
		snprintf(m.name, sizeof(m.name), "node%d", i);
		m.name_len = (uint8_t)strlen(m.name);
		if (rec_member_sign(&net, &keys[i], &m) != MN_OK ||
		    rec_member_encode(&m, recs[i], sizeof(recs[i]), &rec_lens[i]) != MN_OK)
			abort();
		make_addr(&addrs[i], (uint32_t)i + 1);
	}
	make_addr(&spoof, 200);
	for (int j = 0; j < 2; j++) {
		struct rec_revoke t;
		memset(&t, 0, sizeof(t));
		t.signer = REC_BY_ROOT;
		memcpy(t.target_pk, keys[C + j].pk, REC_PK_LEN);
		t.revoked_ms = T0_MS + 20;
		if (rec_revoke_sign(&net, &root, &t) != MN_OK ||
		    rec_revoke_encode(&t, tombs[j], sizeof(tombs[j]), &tomb_lens[j]) != MN_OK)
			abort();
	}
	rec_key_wipe(&root);
	rec_key_wipe(&invkey);
}

/* A fixed stream per instance, so every input replays exactly. */
struct fixed_rng {
	struct mn_seeded_rng s;
};

/* salt varies the instance's stream: LLVMFuzzerTestOneInput passes a hash
 * of the input, so the address-token key changes with every input and the
 * fuzzer cannot learn a token by comparison tracing (a proven address may
 * legitimately get larger replies, which the checks below would flag). */
static struct swim *new_self(struct fixed_rng *r, int who, struct mn_time now, uint64_t salt,
			     unsigned knows)
{
	struct swim_config c;
	struct swim *s;

	memset(&c, 0, sizeof(c));
	swim_params_lan(&c.params);
	c.net = &net;
	c.key = &keys[who];
	c.record = recs[who];
	c.record_len = rec_lens[who];
	mn_seeded_rng_init(&r->s, 0xF0221 + (uint64_t)who + salt);
	c.rng = mn_seeded_rng_iface(&r->s);
	c.store = &store;
	c.memo = &sh->memo;
	if (swim_new(&s, &c, now) != MN_OK)
		abort();
	for (int i = SELF; i < NKEYS; i++)
		if (i != who && (knows & (1u << i)) &&
		    swim_learn(s, recs[i], rec_lens[i], &addrs[i], now) != MN_OK)
			abort();
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	build_network();
	snap_record(true);
	sh = calloc(1, sizeof(*sh));
	if (!sh || rtab_new(&sh->rt, 64) != MN_OK ||
	    rec_memo_init(&sh->memo, sh->memo_slots, MEMO_SLOTS) != MN_OK)
		abort();
	rtab_store(sh->rt, &store);
	for (int i = 0; i < NKEYS; i++)
		if (rtab_add_verified(sh->rt, &net, recs[i], rec_lens[i], (uint64_t)i + 1, NULL,
				      &sh->memo, NULL) != MN_OK)
			abort();
	snap_take(&start);
	snap_record(false);
	for (int i = B; i <= C; i++) {
		if (seal_self_init(&peer_self[i], &keys[i], 1000) != MN_OK ||
		    seal_keys_derive(&peer_keys[i], &peer_self[i], keys[SELF].pk, NULL) != MN_OK)
			abort();
	}
	if (getenv("MN_FUZZ_GOSSIP_CORPUS")) {
		write_corpus(getenv("MN_FUZZ_GOSSIP_CORPUS"));
		exit(0);
	}
	return 0;
}

/* Drain the instance; every datagram within the MTU, and none to the
 * (unproven) source larger than the request that caused it. */
static void drain(struct swim *s, size_t req_len)
{
	uint8_t out[SWIM_MTU];
	struct mn_addr dst;
	size_t len;
	int r;

	while ((r = swim_poll_tx(s, out, sizeof(out), &len, &dst)) == 1) {
		if (len > SWIM_MTU)
			abort();
		if (req_len && mn_addr_eq(&dst, &spoof) && len > req_len)
			abort();
	}
	if (r != 0)
		abort();
}

static struct mn_time at(mn_ns d)
{
	struct mn_time t = { MONO0 + d, WALL0 + d };
	return t;
}

static size_t seal_as(int who, struct seal_pair *pair, uint8_t type, const uint8_t *body,
		      size_t blen, uint8_t *out)
{
	struct mn_seeded_rng r;
	struct mn_rng rng;
	size_t len = 0;

	mn_seeded_rng_init(&r, pair->tx_ctr);
	rng = mn_seeded_rng_iface(&r);
	if (seal_seal(&peer_self[who], &peer_keys[who], pair, seal_key_id(keys[SELF].pk), type,
		      body, blen, &rng, out, SWIM_MTU, &len) != MN_OK)
		return 0;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixed_rng r;
	struct swim *s;
	struct seal_pair pairs[NKEYS];
	uint8_t dg[SWIM_MTU];
	size_t len;
	mn_ns t = 0;

	if (size < 1)
		return 0;
	uint8_t h[crypto_shorthash_BYTES];
	static const uint8_t hk[crypto_shorthash_KEYBYTES] = "fuzz_gossip";
	crypto_shorthash(h, data, size, hk);
	snap_restore(&start);
	memset(pairs, 0, sizeof(pairs));
	s = new_self(&r, SELF, at(0), mn_get_le64(h), 1u << B | 1u << C);
	drain(s, 0);
	switch ((data[0] & 0x7f) % 3) {
	case 0:
		if (size - 1 <= SWIM_MTU) {
			swim_recv(s, &addrs[B], data + 1, size - 1, at(t));
			drain(s, 0);
		}
		break;
	case 1:
		if (size >= 2 && size - 2 <= SWIM_PT_MAX) {
			len = seal_as(B, &pairs[B], data[1], data + 2, size - 2, dg);
			swim_recv(s, &spoof, dg, len, at(t));
			drain(s, len);
		}
		break;
	default:
		for (size_t off = 1; off + 4 <= size;) {
			int who = data[off] & 1 ? C : B;
			uint8_t type = data[off + 1];
			size_t blen = mn_get_be16(data + off + 2);
			off += 4;
			if (blen > size - off)
				blen = size - off;
			if (blen > SWIM_PT_MAX)
				blen = SWIM_PT_MAX;
			len = seal_as(who, &pairs[who], type, data + off, blen, dg);
			off += blen;
			swim_recv(s, &spoof, dg, len, at(t));
			drain(s, len);
			t += 300 * MN_NS_PER_MS;
			swim_on_timer(s, at(t));
			drain(s, 0);
		}
		break;
	}
	/* on request, timers after it, far enough for probes, suspicions and
	 * push-pull */
	for (int k = 0; k < 4 && (data[0] & 0x80); k++) {
		t += (mn_ns)(k + 1) * 20 * MN_NS_PER_SEC;
		mn_ns d = swim_next_deadline(s);
		if (d != MN_NEVER && d < MONO0 + t)
			swim_on_timer(s, at(t));
		drain(s, 0);
	}
	swim_del(s);
	return 0;
}

/* ---- seed corpus ---- */

static void put_file(const char *dir, const char *name, int n, const uint8_t *a, size_t alen,
		     const uint8_t *b, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%02d", dir, name, n);
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen))
		abort();
	fclose(f);
}

void write_corpus(const char *dir)
{
	struct fixed_rng ra, rb;
	struct swim *self, *peer;
	struct seal_self me;
	struct seal_keys k;
	struct seal_pair pair;
	uint8_t buf[SWIM_MTU], pt[SWIM_MTU], hdr[2];
	size_t len, ptlen;
	struct mn_addr dst;
	int seen[256] = { 0 }, files = 0;

	/* self and B talk for a while; keep the first of each type B sends */
	/* they know different members, so records get asked for and sent */
	self = new_self(&ra, SELF, at(0), 0, 1u << B | 1u << D);
	peer = new_self(&rb, B, at(0), 0, 1u << SELF | 1u << C);
	seal_self_init(&me, &keys[SELF], 1000);
	seal_keys_derive(&k, &me, keys[B].pk, NULL);
	memset(&pair, 0, sizeof(pair));
	for (mn_ns t = 0; t < 90 * MN_NS_PER_SEC; t += 10 * MN_NS_PER_MS) {
		swim_on_timer(self, at(t));
		swim_on_timer(peer, at(t));
		while (swim_poll_tx(self, buf, sizeof(buf), &len, &dst) == 1)
			if (mn_addr_eq(&dst, &addrs[B]))
				swim_recv(peer, &addrs[SELF], buf, len, at(t));
		while (swim_poll_tx(peer, buf, sizeof(buf), &len, &dst) == 1) {
			struct seal_hdr h;
			if (!mn_addr_eq(&dst, &addrs[SELF]))
				continue;
			if (seen[buf[SEAL_O_TYPE]]++ < 1) {
				hdr[0] = 0;
				put_file(dir, "raw", files++, hdr, 1, buf, len);
				if (seal_parse(&h, buf, len) == MN_OK &&
				    seal_open(&k, &pair, &h, buf, len, pt, sizeof(pt), &ptlen) ==
					    MN_OK) {
					hdr[0] = 1;
					hdr[1] = h.type;
					put_file(dir, "sealed", files++, hdr, 2, pt, ptlen);
				}
			}
			swim_recv(self, &addrs[B], buf, len, at(t));
		}
	}
	/* a HELLO from D, whom self does not know */
	buf[0] = 0;
	buf[1] = SEAL_MAGIC0;
	buf[2] = SEAL_MAGIC1;
	buf[3] = SEAL_VERSION;
	buf[4] = SWIM_T_HELLO;
	mn_put_be64(buf + 5, seal_key_id(keys[D].pk));
	mn_put_be64(buf + 13, seal_key_id(keys[SELF].pk));
	buf[1 + SWIM_HELLO_ANN_LEN] = 0; /* no announcement */
	memcpy(buf + 1 + SWIM_HELLO_ANN, recs[D], rec_lens[D]);
	put_file(dir, "hello", 0, buf, 1 + SWIM_HELLO_ANN + rec_lens[D], NULL, 0);
	/* a stateful sequence: B pings, C asks a ping-req of B, B pushes a range */
	{
		uint8_t seq[256];
		size_t n = 0;
		seq[n++] = 2;
		seq[n++] = 0; seq[n++] = SWIM_T_PING; seq[n++] = 0; seq[n++] = 21;
		memset(seq + n, 0, 21); seq[n + 19] = 7; n += 21;
		seq[n++] = 1; seq[n++] = SWIM_T_PING_REQ; seq[n++] = 0; seq[n++] = 28;
		memset(seq + n, 0, 28); seq[n + 19] = 9;
		memcpy(seq + n + 20, keys[B].pk, 8); n += 28;
		seq[n++] = 0; seq[n++] = SWIM_T_PP; seq[n++] = 0; seq[n++] = 37;
		memset(seq + n, 0, 37); seq[n + 16] = 1; seq[n + 17] = SWIM_I_RANGE; n += 37;
		put_file(dir, "sequence", 0, seq, n, NULL, 0);
	}
	/* tombstones: a GOSSIP carrying both, sealed as B; a push-pull reply
	 * with a TRANGE, a TLIST wanting a reply and a REVOKE item; and a
	 * sequence: B's opening (TRANGE of one), then the GOSSIP */
	{
		uint8_t body[SWIM_PT_MAX], seq[4 + SWIM_PT_MAX + 4 + 64];
		size_t n = 0, q = 0;
		body[n++] = 1;
		body[n++] = SWIM_T_GOSSIP;
		memset(body + n, 0, SWIM_BODY_HDR);
		n += SWIM_BODY_HDR;
		for (int j = 0; j < 2; j++) {
			body[n] = SWIM_I_REVOKE;
			mn_put_be16(body + n + 1, (uint16_t)tomb_lens[j]);
			memcpy(body + n + SWIM_ITEM_REVOKE_HDR, tombs[j], tomb_lens[j]);
			n += SWIM_ITEM_REVOKE_HDR + tomb_lens[j];
		}
		put_file(dir, "tomb", 0, body, n, NULL, 0);
		seq[q++] = 2;
		seq[q++] = 0;
		seq[q++] = SWIM_T_PP;
		mn_put_be16(seq + q, SWIM_BODY_HDR + 1 + SWIM_ITEM_RANGE_LEN);
		q += 2;
		memset(seq + q, 0, SWIM_BODY_HDR + 1 + SWIM_ITEM_RANGE_LEN);
		seq[q + SWIM_BODY_HDR] = 1;
		seq[q + SWIM_BODY_HDR + 1] = SWIM_I_TRANGE;
		mn_put_be16(seq + q + SWIM_BODY_HDR + 1 + 10, 1);
		mn_put_be64(seq + q + SWIM_BODY_HDR + 1 + 12, UINT64_C(0x5eed));
		q += SWIM_BODY_HDR + 1 + SWIM_ITEM_RANGE_LEN;
		seq[q++] = 0;
		seq[q++] = SWIM_T_GOSSIP;
		mn_put_be16(seq + q, (uint16_t)(n - 2));
		q += 2;
		memcpy(seq + q, body + 2, n - 2);
		q += n - 2;
		put_file(dir, "tomb", 1, seq, q, NULL, 0);
		n = 0;
		body[n++] = 1;
		body[n++] = SWIM_T_PP;
		memset(body + n, 0, SWIM_BODY_HDR + 1);
		n += SWIM_BODY_HDR + 1;
		body[n] = SWIM_I_TRANGE; /* bits 0, prefix 0, count 40, hash 1 */
		memset(body + n + 1, 0, SWIM_ITEM_RANGE_LEN - 1);
		mn_put_be16(body + n + 10, 40);
		body[n + 19] = 1;
		n += SWIM_ITEM_RANGE_LEN;
		body[n] = SWIM_I_TLIST; /* bits 0, prefix 0, reply wanted, one id */
		memset(body + n + 1, 0, SWIM_ITEM_TLIST_HDR - 1);
		body[n + 10] = 1;
		body[n + 11] = 1;
		mn_put_be64(body + n + SWIM_ITEM_TLIST_HDR, UINT64_C(0x0123456789abcdef));
		n += SWIM_ITEM_TLIST_HDR + 8;
		body[n] = SWIM_I_REVOKE;
		mn_put_be16(body + n + 1, (uint16_t)tomb_lens[1]);
		memcpy(body + n + SWIM_ITEM_REVOKE_HDR, tombs[1], tomb_lens[1]);
		n += SWIM_ITEM_REVOKE_HDR + tomb_lens[1];
		put_file(dir, "tomb", 2, body, n, NULL, 0);
	}
	fprintf(stderr, "wrote %d seeds to %s\n", files + 5, dir);
	seal_self_wipe(&me);
	seal_keys_wipe(&k);
	swim_del(self);
	swim_del(peer);
}
