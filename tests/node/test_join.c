/* Tests for the join protocol (node/join.h): a joiner and one or two
 * admitters wired in memory on a virtual clock. Success; the first member
 * down and the second answering; a busy member passed over; the cookie
 * required and rotated; no reply larger than an unproven request; a
 * replayed request answered with the same admission; expired, used-up,
 * name-taken, wrong-network, revoked and already-a-member refusals; a
 * member passed over for its own invite; garbage dropped and counted on
 * both sides; a forged ACCEPT ignored; the overall timeout and the
 * backoff. The messages and the IPv4 allocator alone: test_join_wire.c.
 * Keys come from a seeded generator (seed printed). */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "demux.h"
#include "join.h"
#include "mn_err.h"
#include "seal.h"

#define T0_MS UINT64_C(1700000000000)
#define DAY_MS UINT64_C(86400000)
#define TIMEOUT_NS (60 * MN_NS_PER_SEC)
#define MAX_ADMITTED 8
#define MAX_MEMBERS 2

/* The member table an admitter asks (join_admitter_ops). */
struct table {
	struct {
		struct rec_admission adm;
		uint8_t invite_pk[REC_PK_LEN];
		char name[REC_NAME_MAX + 1];
	} rows[MAX_ADMITTED];
	unsigned n;
	unsigned extra_uses;   /* admissions under any invite held elsewhere */
	const char *taken;     /* a name another node holds */
	bool busy;
};

static int t_find(void *ctx, const uint8_t pk[REC_PK_LEN], struct rec_admission *out)
{
	struct table *t = ctx;

	for (unsigned i = 0; i < t->n; i++)
		if (memcmp(t->rows[i].adm.node_pk, pk, REC_PK_LEN) == 0) {
			*out = t->rows[i].adm;
			return MN_OK;
		}
	return MN_ENOENT;
}

static unsigned t_uses(void *ctx, const uint8_t invite_pk[REC_PK_LEN])
{
	struct table *t = ctx;
	unsigned n = t->extra_uses;

	for (unsigned i = 0; i < t->n; i++)
		n += memcmp(t->rows[i].invite_pk, invite_pk, REC_PK_LEN) == 0;
	return n;
}

static bool t_name_taken(void *ctx, const char *name, const uint8_t pk[REC_PK_LEN])
{
	struct table *t = ctx;

	(void)pk;
	return t->taken && strcmp(t->taken, name) == 0;
}

static bool t_held(void *ctx, const uint8_t ipv4[4])
{
	struct table *t = ctx;

	for (unsigned i = 0; i < t->n; i++)
		if (memcmp(t->rows[i].adm.ipv4, ipv4, 4) == 0)
			return true;
	return false;
}

static void t_admitted(void *ctx, const struct rec_admission *adm,
		       const uint8_t invite_pk[REC_PK_LEN], const char *name)
{
	struct table *t = ctx;

	ck_assert_uint_lt(t->n, MAX_ADMITTED);
	t->rows[t->n].adm = *adm;
	memcpy(t->rows[t->n].invite_pk, invite_pk, REC_PK_LEN);
	snprintf(t->rows[t->n].name, sizeof(t->rows[t->n].name), "%s", name);
	t->n++;
}

static bool t_busy(void *ctx)
{
	return ((struct table *)ctx)->busy;
}

static const struct join_admitter_ops table_ops = {
	.find = t_find, .uses = t_uses, .name_taken = t_name_taken,
	.held = t_held, .admitted = t_admitted, .busy = t_busy,
};

struct member {
	struct rec_key key;
	uint8_t record[REC_MEMBER_MAX];
	size_t record_len;
	struct table table;
	struct join_admitter adm;
	struct mn_addr addr;
	bool up;
	struct rec_invite invite; /* the one it joined with, and its secret */
	uint8_t invite_seed[REC_SEED_LEN];
};

struct fix {
	uint64_t seed;
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, node;
	struct rec_network net;
	struct rec_revoked rv; /* every member's: revoked_pk is revoked */
	uint8_t revoked_pk[REC_PK_LEN];
	struct member m[MAX_MEMBERS];
	struct invite_link link;
	struct join j;
	mn_ns now;
	uint64_t wall0_ms;
	/* what went over the wire */
	unsigned hellos, requests, replies;
	mn_ns last_send, max_gap; /* between two datagrams the joiner sent */
	size_t biggest_unproven_ratio_fail; /* replies larger than an unproven request */
	uint8_t last_request[JOIN_DGRAM_MAX];
	size_t last_request_len;
};

static uint64_t wall_ms(const struct fix *f)
{
	return f->wall0_ms + f->now / MN_NS_PER_MS;
}

/* A root-signed invite with a fresh key (its seed in seed). */
static void make_invite(struct fix *f, const struct rec_key *root, const struct rec_network *net,
			uint64_t expires_ms, uint16_t max_uses, struct rec_invite *inv,
			uint8_t seed[REC_SEED_LEN])
{
	struct rec_key k;

	memset(inv, 0, sizeof(*inv));
	mn_rng_bytes(&f->rng, seed, REC_SEED_LEN);
	rec_key_from_seed(&k, seed);
	memcpy(inv->invite_pk, k.pk, REC_PK_LEN);
	rec_key_wipe(&k);
	inv->signer = REC_BY_ROOT;
	inv->expires_ms = expires_ms;
	inv->max_uses = max_uses;
	ck_assert_int_eq(rec_invite_sign(net, root, inv), MN_OK);
}

/* Member i: a node admitted by the root with an invite of its own, its
 * record, and an admitter answering at 198.18.0.(10+i):51820. */
static void member_init(struct fix *f, unsigned i)
{
	struct member *m = &f->m[i];
	struct rec_member rec;
	struct rec_key ik;
	uint8_t proof[REC_SIG_LEN], ipv4[4] = { 100, 64, 0, (uint8_t)(1 + i) };
	char text[64];

	memset(m, 0, sizeof(*m));
	memset(&rec, 0, sizeof(rec));
	rec_key_generate(&m->key, &f->rng);
	make_invite(f, &f->root, &f->net, T0_MS + DAY_MS, 1, &rec.invite, m->invite_seed);
	m->invite = rec.invite;
	rec_key_from_seed(&ik, m->invite_seed);
	rec_join_proof(&f->net, &ik, m->key.pk, proof);
	rec_key_wipe(&ik);
	ck_assert_int_eq(rec_admit(&f->net, &rec.invite, &f->root, REC_BY_ROOT, m->key.pk, proof,
				   ipv4, T0_MS, NULL, NULL, &rec.adm), MN_OK);
	rec.version = 1;
	snprintf(rec.name, sizeof(rec.name), "member%u", i);
	rec.name_len = (uint8_t)strlen(rec.name);
	ck_assert_int_eq(rec_member_sign(&f->net, &m->key, &rec), MN_OK);
	ck_assert_int_eq(rec_member_encode(&rec, m->record, sizeof(m->record), &m->record_len),
			 MN_OK);
	/* the members hold each other's addresses */
	m->table.n = 0;
	snprintf(text, sizeof(text), "198.18.0.%u:51820", 10 + i);
	ck_assert_int_eq(mn_addr_parse(&m->addr, text), MN_OK);
	m->up = true;
	ck_assert_int_eq(join_admitter_init(&m->adm, &(struct join_admitter_cfg){
			.net = &f->net, .key = &m->key, .kind = REC_BY_MEMBER,
			.record = m->record, .record_len = m->record_len,
			.ops = &table_ops, .ctx = &m->table, .rv = &f->rv,
			.rng = &f->rng }), MN_OK);
}

/* A link for the network of root (another network's when root is not
 * f->root), listing nmembers of f's members. */
static void link_init(struct fix *f, const struct rec_key *root, uint64_t expires_ms,
		      uint16_t max_uses, unsigned nmembers)
{
	struct rec_network net;

	invite_link_wipe(&f->link);
	ck_assert_int_eq(rec_network_init(&net, root->pk, NULL), MN_OK);
	strcpy(f->link.network, "home-lab");
	memcpy(f->link.root_pk, root->pk, REC_PK_LEN);
	f->link.v4 = net.v4;
	make_invite(f, root, &net, expires_ms, max_uses, &f->link.invite, f->link.seed);
	f->link.nmembers = (uint8_t)nmembers;
	for (unsigned i = 0; i < nmembers; i++) {
		f->link.members[i].nendpoints = 1;
		f->link.members[i].endpoints[0] = f->m[i].addr;
	}
}

static bool is_revoked(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	return memcmp(((struct fix *)ctx)->revoked_pk, pk, REC_PK_LEN) == 0;
}

static void fix_init(struct fix *f, uint64_t seed, unsigned nmembers)
{
	memset(f, 0, sizeof(*f));
	f->seed = seed;
	printf("test_join: seed=%llu\n", (unsigned long long)seed);
	mn_seeded_rng_init(&f->srng, seed);
	f->rng = mn_seeded_rng_iface(&f->srng);
	rec_key_generate(&f->root, &f->rng);
	rec_key_generate(&f->node, &f->rng);
	ck_assert_int_eq(rec_network_init(&f->net, f->root.pk, NULL), MN_OK);
	f->rv = (struct rec_revoked){ is_revoked, f };
	for (unsigned i = 0; i < nmembers; i++)
		member_init(f, i);
	f->wall0_ms = T0_MS;
	f->now = 1000 * MN_NS_PER_SEC;
	link_init(f, &f->root, T0_MS + DAY_MS, 1, nmembers);
}

static void fix_free(struct fix *f)
{
	for (unsigned i = 0; i < MAX_MEMBERS; i++) {
		join_admitter_wipe(&f->m[i].adm);
		rec_key_wipe(&f->m[i].key);
	}
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->node);
	invite_link_wipe(&f->link);
}

static struct member *member_at(struct fix *f, const struct mn_addr *a)
{
	for (unsigned i = 0; i < MAX_MEMBERS; i++)
		if (mn_addr_is_set(&f->m[i].addr) && mn_addr_eq(&f->m[i].addr, a))
			return &f->m[i];
	return NULL;
}

/* Deliver what the joiner sends, answer, until nothing is queued. */
static void pump(struct fix *f)
{
	struct mn_addr to, joiner_addr;
	uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	size_t len, outlen;

	ck_assert_int_eq(mn_addr_parse(&joiner_addr, "203.0.113.7:40000"), MN_OK);
	while (join_poll_tx(&f->j, &to, buf, sizeof(buf), &len)) {
		struct member *m = member_at(f, &to);
		enum join_type type;

		ck_assert(m != NULL);
		ck_assert_int_eq(demux_classify(buf, len), DEMUX_CONTROL);
		if (f->last_send && f->now - f->last_send > f->max_gap)
			f->max_gap = f->now - f->last_send;
		f->last_send = f->now;
		ck_assert_int_eq(join_peek_type(buf, len, &type), MN_OK);
		if (type == JOIN_T_HELLO)
			f->hellos++;
		else {
			f->requests++;
			memcpy(f->last_request, buf, len);
			f->last_request_len = len;
		}
		if (!m->up)
			continue;
		ck_assert_int_eq(join_admitter_recv(&m->adm, &joiner_addr, buf, len, f->now,
						    wall_ms(f), out, sizeof(out), &outlen), MN_OK);
		ck_assert_uint_gt(outlen, 0);
		if (type == JOIN_T_HELLO && outlen > len)
			f->biggest_unproven_ratio_fail++;
		f->replies++;
		join_recv(&f->j, &m->addr, out, outlen, f->now);
	}
}

/* Run the joiner to its end on the virtual clock. */
static void run(struct fix *f)
{
	for (unsigned steps = 0; steps < 10000; steps++) {
		mn_ns d;

		pump(f);
		d = join_next_deadline(&f->j);
		if (d == MN_NEVER)
			return;
		ck_assert(mn_time_after_eq(d, f->now));
		f->now = d;
		join_on_timer(&f->j, f->now);
	}
	ck_abort_msg("the joiner never finished");
}

static void start(struct fix *f)
{
	ck_assert_int_eq(join_start(&f->j, &f->link, f->node.pk, "laptop", f->now, TIMEOUT_NS,
				    &f->rng), MN_OK);
}

/* Run a join that must end admitted. */
static void expect_admitted(struct fix *f)
{
	start(f);
	run(f);
	ck_assert_int_eq(f->j.state, JOIN_DONE);
}

START_TEST(success)
{
	struct fix f;
	char text[MN_PREFIX_STRLEN];
	struct mn_prefix p = { .family = AF_INET, .bits = 32 };

	fix_init(&f, 1, 1);
	expect_admitted(&f);
	ck_assert_mem_eq(f.j.adm.node_pk, f.node.pk, REC_PK_LEN);
	ck_assert_mem_eq(f.j.adm.admitter_pk, f.m[0].key.pk, REC_PK_LEN);
	ck_assert_int_eq(f.j.adm.admitter, REC_BY_MEMBER);
	ck_assert_mem_eq(f.j.admitter.adm.node_pk, f.m[0].key.pk, REC_PK_LEN);
	ck_assert(mn_addr_eq(&f.j.admitted_by, &f.m[0].addr));
	ck_assert_int_eq(rec_admission_verify(&f.net, &f.link.invite, &f.j.adm, NULL, NULL),
			 MN_OK);
	memcpy(p.addr, f.j.adm.ipv4, 4);
	printf("test_join: admitted at %s\n", mn_prefix_format(&p, text, sizeof(text)));
	ck_assert_int_eq(f.j.adm.ipv4[0], 100);
	ck_assert_int_eq(f.j.adm.ipv4[1] & 0xC0, 64);
	ck_assert_uint_eq(f.m[0].table.n, 1);
	ck_assert_str_eq(f.m[0].table.rows[0].name, "laptop");
	ck_assert_uint_eq(f.m[0].adm.count[JOIN_C_ACCEPTED], 1);
	ck_assert_uint_eq(f.hellos, 1);
	ck_assert_uint_eq(f.requests, 1);
	ck_assert_uint_eq(f.biggest_unproven_ratio_fail, 0);
	ck_assert_uint_eq(join_next_deadline(&f.j), MN_NEVER);
	fix_free(&f);
}
END_TEST

START_TEST(first_down_second_answers)
{
	struct fix f;
	mn_ns t0;

	fix_init(&f, 2, 2);
	f.m[0].up = false;
	t0 = f.now;
	expect_admitted(&f);
	ck_assert(mn_addr_eq(&f.j.admitted_by, &f.m[1].addr));
	ck_assert_uint_eq(f.m[1].table.n, 1);
	ck_assert_uint_eq(f.m[0].table.n, 0);
	/* JOIN_TRIES HELLOs to the first, then one to the second */
	ck_assert_uint_eq(f.hellos, JOIN_TRIES + 1);
	ck_assert_uint_eq(f.now - t0, JOIN_RTO_NS * 7); /* 0.5 + 1 + 2 s of waiting */
	fix_free(&f);
}
END_TEST

START_TEST(busy_member_passed_over)
{
	struct fix f;

	fix_init(&f, 3, 2);
	f.m[0].table.busy = true;
	expect_admitted(&f);
	ck_assert(mn_addr_eq(&f.j.admitted_by, &f.m[1].addr));
	ck_assert_uint_eq(f.m[0].adm.count[JOIN_C_REFUSED], 1);
	ck_assert_uint_eq(f.m[0].table.n, 0);
	fix_free(&f);
}
END_TEST

/* The only member listed answers BUSY to every request: the joiner must not
 * ask again at the speed of the network (each round waits its backoff),
 * and it ends at its timeout. */
START_TEST(busy_alone_backs_off)
{
	struct fix f;

	fix_init(&f, 31, 1);
	f.m[0].table.busy = true;
	start(&f);
	run(&f);
	ck_assert_int_eq(f.j.state, JOIN_TIMEOUT);
	ck_assert_int_eq(f.j.reason, JOIN_R_BUSY);
	printf("busy_alone_backs_off: %u HELLOs, %u requests in %llu s\n", f.hellos, f.requests,
	       (unsigned long long)(TIMEOUT_NS / MN_NS_PER_SEC));
	/* rounds wait 0.5, 1, 2, 4, 4, ... s: about 17 rounds in 60 s */
	ck_assert_uint_le(f.hellos, TIMEOUT_NS / JOIN_RTO_NS);
	ck_assert_uint_ge(f.hellos, 5);
	fix_free(&f);
}
END_TEST

/* A REQUEST as the joiner would send it, with the given cookie. */
static size_t request_with(struct fix *f, const uint8_t cookie[JOIN_COOKIE_LEN],
			   const uint8_t nonce[JOIN_NONCE_LEN], uint8_t *buf)
{
	struct join_request r;
	size_t len;

	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, nonce, JOIN_NONCE_LEN);
	memcpy(r.cookie, cookie, JOIN_COOKIE_LEN);
	memcpy(r.nethint, f->net.id, JOIN_NETHINT_LEN);
	memcpy(r.node_pk, f->node.pk, REC_PK_LEN);
	{
		struct rec_key ik;

		rec_key_from_seed(&ik, f->link.seed);
		rec_join_proof(&f->net, &ik, f->node.pk, r.proof);
		rec_key_wipe(&ik);
	}
	strcpy(r.name, "laptop");
	r.invite = f->link.invite;
	ck_assert_int_eq(join_request_encode(&r, buf, JOIN_DGRAM_MAX, &len), MN_OK);
	return len;
}

START_TEST(cookie_required)
{
	struct fix f;
	struct mn_addr a, b;
	uint8_t nonce[JOIN_NONCE_LEN] = { 7 }, cookie[JOIN_COOKIE_LEN] = { 0 };
	uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	size_t len, outlen;
	struct join_admitter *adm;

	fix_init(&f, 4, 1);
	adm = &f.m[0].adm;
	ck_assert_int_eq(mn_addr_parse(&a, "203.0.113.7:40000"), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&b, "203.0.113.7:40001"), MN_OK);
	/* no cookie at all */
	len = request_with(&f, cookie, nonce, buf);
	ck_assert_int_eq(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_EAUTH);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_COOKIE], 1);
	/* a cookie made for another port */
	join_admitter_cookie(adm, &b, nonce, f.now, cookie);
	len = request_with(&f, cookie, nonce, buf);
	ck_assert_int_eq(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_EAUTH);
	ck_assert_uint_eq(outlen, 0);
	/* a cookie for another nonce */
	join_admitter_cookie(adm, &a, nonce, f.now, cookie);
	nonce[0] ^= 1;
	len = request_with(&f, cookie, nonce, buf);
	ck_assert_int_eq(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_EAUTH);
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_COOKIE], 3);
	ck_assert_uint_eq(f.m[0].table.n, 0);
	/* the right one, one rotation later, is still good */
	nonce[0] ^= 1;
	len = request_with(&f, cookie, nonce, buf);
	ck_assert_int_eq(join_admitter_recv(adm, &a, buf, len, f.now + JOIN_SECRET_ROTATE_NS,
					    wall_ms(&f), out, sizeof(out), &outlen), MN_OK);
	ck_assert_uint_gt(outlen, len); /* the ACCEPT: the address is proved */
	ck_assert_uint_eq(f.m[0].table.n, 1);
	/* two rotations later it is not */
	ck_assert_int_eq(join_admitter_recv(adm, &a, buf, len, f.now + 2 * JOIN_SECRET_ROTATE_NS,
					    wall_ms(&f), out, sizeof(out), &outlen), MN_EAUTH);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_COOKIE], 4);
	fix_free(&f);
}
END_TEST

START_TEST(no_amplification)
{
	struct fix f;
	struct mn_addr a;
	uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	size_t len, outlen;
	struct mn_rng *rng;

	fix_init(&f, 5, 1);
	rng = &f.rng;
	ck_assert_int_eq(mn_addr_parse(&a, "[2001:db8::9]:1234"), MN_OK);
	/* every datagram an unproven address can send: random bytes behind
	 * the join header, of every type and length */
	for (unsigned i = 0; i < 3000; i++) {
		len = 4 + mn_rng_uniform(rng, i & 1 ? 64 : JOIN_DGRAM_MAX - 4);
		mn_rng_bytes(rng, buf, len);
		buf[0] = SEAL_MAGIC0;
		buf[1] = SEAL_MAGIC1;
		buf[2] = JOIN_FORMAT;
		buf[3] = (uint8_t)(1 + i / 2 % 6);
		if (i % 12 == 0) { /* a well-formed HELLO */
			len = JOIN_HELLO_LEN;
			memset(buf + JOIN_HELLO_PAD, 0, JOIN_HELLO_LEN - JOIN_HELLO_PAD);
		}
		join_admitter_recv(&f.m[0].adm, &a, buf, len, f.now, wall_ms(&f), out,
				   sizeof(out), &outlen);
		ck_assert_msg(outlen <= len, "reply %zu to %zu bytes (type %u)", outlen, len,
			      buf[3]);
	}
	ck_assert_uint_gt(f.m[0].adm.count[JOIN_C_COOKIES], 0);
	ck_assert_uint_eq(f.m[0].table.n, 0);
	/* and in a real exchange */
	expect_admitted(&f);
	ck_assert_uint_eq(f.biggest_unproven_ratio_fail, 0);
	fix_free(&f);
}
END_TEST

START_TEST(replay_idempotent)
{
	struct fix f;
	struct mn_addr a;
	uint8_t out[JOIN_DGRAM_MAX];
	size_t outlen;
	struct join_accept acc;

	fix_init(&f, 6, 1);
	expect_admitted(&f);
	ck_assert_int_eq(mn_addr_parse(&a, "203.0.113.7:40000"), MN_OK);
	f.now += MN_NS_PER_SEC;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(join_admitter_recv(&f.m[0].adm, &a, f.last_request,
						    f.last_request_len, f.now, wall_ms(&f), out,
						    sizeof(out), &outlen), MN_OK);
		ck_assert_int_eq(join_accept_decode(&acc, out, outlen), MN_OK);
		ck_assert_mem_eq(&acc.adm, &f.j.adm, sizeof(acc.adm));
	}
	ck_assert_uint_eq(f.m[0].table.n, 1);
	ck_assert_uint_eq(f.m[0].adm.count[JOIN_C_ACCEPTED], 1);
	ck_assert_uint_eq(f.m[0].adm.count[JOIN_C_REPLAYED], 2);
	/* another node key under the same one-use invite: used up */
	{
		uint8_t buf[JOIN_DGRAM_MAX], cookie[JOIN_COOKIE_LEN], nonce[JOIN_NONCE_LEN] = { 1 };
		enum join_reason why;
		size_t len;

		rec_key_generate(&f.node, &f.rng);
		join_admitter_cookie(&f.m[0].adm, &a, nonce, f.now, cookie);
		len = request_with(&f, cookie, nonce, buf);
		ck_assert_int_eq(join_admitter_recv(&f.m[0].adm, &a, buf, len, f.now, wall_ms(&f),
						    out, sizeof(out), &outlen), MN_OK);
		ck_assert_int_eq(join_refuse_decode(nonce, &why, out, outlen), MN_OK);
		ck_assert_int_eq(why, JOIN_R_USED_UP);
	}
	fix_free(&f);
}
END_TEST

/* Run a join that must end in refusal `why`, with no admission made. */
static void expect_refusal(struct fix *f, enum join_reason why)
{
	start(f);
	run(f);
	ck_assert_int_eq(f->j.state, JOIN_REFUSED);
	ck_assert_int_eq(f->j.reason, why);
	ck_assert_uint_eq(f->m[0].table.n, 0);
	ck_assert_uint_eq(f->hellos, 1); /* final: no other member asked */
	printf("test_join: refused: %s\n", join_reason_str(f->j.reason));
}

START_TEST(expired_invite)
{
	struct fix f;

	fix_init(&f, 7, 2);
	/* expired more than the skew ago at the member's clock */
	link_init(&f, &f.root, wall_ms(&f) - REC_SKEW_MS - 1000, 1, 2);
	expect_refusal(&f, JOIN_R_EXPIRED);
	fix_free(&f);

	/* within the skew: admitted */
	fix_init(&f, 7, 1);
	link_init(&f, &f.root, wall_ms(&f) - REC_SKEW_MS + 1000, 1, 1);
	expect_admitted(&f);
	fix_free(&f);
}
END_TEST

START_TEST(used_up)
{
	struct fix f;

	fix_init(&f, 8, 2);
	link_init(&f, &f.root, T0_MS + DAY_MS, 3, 2);
	f.m[0].table.extra_uses = 3;
	expect_refusal(&f, JOIN_R_USED_UP);
	fix_free(&f);

	fix_init(&f, 8, 1);
	link_init(&f, &f.root, T0_MS + DAY_MS, 3, 1);
	f.m[0].table.extra_uses = 2; /* one use left */
	expect_admitted(&f);
	fix_free(&f);
}
END_TEST

START_TEST(name_taken)
{
	struct fix f;

	fix_init(&f, 9, 2);
	f.m[0].table.taken = "laptop";
	expect_refusal(&f, JOIN_R_NAME_TAKEN);
	fix_free(&f);
}
END_TEST

START_TEST(wrong_network)
{
	struct fix f;
	struct rec_key other;

	fix_init(&f, 10, 2);
	rec_key_generate(&other, &f.rng);
	link_init(&f, &other, T0_MS + DAY_MS, 1, 2); /* a link of another network */
	expect_refusal(&f, JOIN_R_WRONG_NETWORK);
	rec_key_wipe(&other);
	fix_free(&f);
}
END_TEST

START_TEST(other_refusals)
{
	struct fix f;

	/* the invite revoked, then the node key */
	fix_init(&f, 16, 2);
	memcpy(f.revoked_pk, f.link.invite.invite_pk, REC_PK_LEN);
	expect_refusal(&f, JOIN_R_REVOKED);
	fix_free(&f);
	fix_init(&f, 16, 2);
	memcpy(f.revoked_pk, f.node.pk, REC_PK_LEN);
	expect_refusal(&f, JOIN_R_REVOKED);
	fix_free(&f);

	/* the node key holds another admission (another proof) */
	fix_init(&f, 17, 2);
	memcpy(f.m[0].table.rows[0].adm.node_pk, f.node.pk, REC_PK_LEN);
	f.m[0].table.n = 1;
	start(&f);
	run(&f);
	ck_assert_int_eq(f.j.state, JOIN_REFUSED);
	ck_assert_int_eq(f.j.reason, JOIN_R_MEMBER);
	ck_assert_uint_eq(f.m[0].table.n, 1);
	fix_free(&f);

	/* a link carrying the invite member 0 joined with: member 0 may not
	 * admit with it, member 1 does */
	fix_init(&f, 18, 2);
	f.link.invite = f.m[0].invite;
	memcpy(f.link.seed, f.m[0].invite_seed, REC_SEED_LEN);
	expect_admitted(&f);
	ck_assert(mn_addr_eq(&f.j.admitted_by, &f.m[1].addr));
	ck_assert_int_eq(f.j.reason, JOIN_R_OWN_INVITE);
	ck_assert_uint_eq(f.m[0].adm.count[JOIN_C_REFUSED], 1);
	fix_free(&f);
}
END_TEST

START_TEST(garbage_dropped)
{
	struct fix f;
	struct mn_addr a;
	uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	uint8_t nonce[JOIN_NONCE_LEN] = { 9 }, cookie[JOIN_COOKIE_LEN] = { 9 };
	size_t outlen, len;
	struct join_admitter *adm;
	uint64_t dropped = 0;

	fix_init(&f, 11, 1);
	adm = &f.m[0].adm;
	ck_assert_int_eq(mn_addr_parse(&a, "203.0.113.7:40000"), MN_OK);
	for (unsigned i = 0; i < 500; i++) {
		len = mn_rng_uniform(&f.rng, 64);
		mn_rng_bytes(&f.rng, buf, len);
		ck_assert_int_ne(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
						    sizeof(out), &outlen), MN_OK);
		ck_assert_uint_eq(outlen, 0);
	}
	for (unsigned i = 0; i < JOIN_COUNTERS; i++)
		dropped += adm->count[i];
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_MALFORMED], 500);
	ck_assert_uint_eq(dropped, 500);
	/* a HELLO one byte short, one with padding set, a COOKIE to a member */
	ck_assert_int_eq(join_hello_encode(nonce, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_ne(join_admitter_recv(adm, &a, buf, len - 1, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_OK);
	buf[len - 1] = 1;
	ck_assert_int_ne(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_OK);
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_MALFORMED], 502);
	ck_assert_int_eq(join_cookie_encode(nonce, cookie, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_ne(join_admitter_recv(adm, &a, buf, len, f.now, wall_ms(&f), out,
					    sizeof(out), &outlen), MN_OK);
	ck_assert_uint_eq(adm->count[JOIN_C_DROP_TYPE], 1);
	ck_assert_uint_eq(outlen, 0);

	/* the joiner drops garbage and replies to someone else's nonce */
	start(&f);
	for (unsigned i = 0; i < 200; i++) {
		len = mn_rng_uniform(&f.rng, sizeof(buf));
		mn_rng_bytes(&f.rng, buf, len);
		if (i & 1 && len > 4) {
			buf[0] = SEAL_MAGIC0;
			buf[1] = SEAL_MAGIC1;
			buf[2] = JOIN_FORMAT;
			buf[3] = (uint8_t)(i % 6);
		}
		ck_assert_int_ne(join_recv(&f.j, &f.m[0].addr, buf, len, f.now), MN_OK);
	}
	ck_assert_int_eq(join_cookie_encode(nonce, cookie, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(join_recv(&f.j, &f.m[0].addr, buf, len, f.now), MN_ENOENT);
	ck_assert_uint_eq(f.j.dropped, 201);
	ck_assert_int_eq(f.j.state, JOIN_HELLO_SENT);
	run(&f);
	ck_assert_int_eq(f.j.state, JOIN_DONE);
	fix_free(&f);
}
END_TEST

START_TEST(forged_accept_ignored)
{
	struct fix f;
	struct mn_addr to, a;
	uint8_t buf[JOIN_DGRAM_MAX], out[JOIN_DGRAM_MAX];
	size_t len, outlen;

	fix_init(&f, 12, 1);
	ck_assert_int_eq(mn_addr_parse(&a, "203.0.113.7:40000"), MN_OK);
	start(&f);
	for (int step = 0; step < 2; step++) {
		ck_assert(join_poll_tx(&f.j, &to, buf, sizeof(buf), &len));
		ck_assert_int_eq(join_admitter_recv(&f.m[0].adm, &a, buf, len, f.now, wall_ms(&f),
						    out, sizeof(out), &outlen), MN_OK);
		if (step == 0) {
			ck_assert_int_eq(join_recv(&f.j, &to, out, outlen, f.now), MN_OK);
			continue;
		}
		/* every byte of the admission and of the record matters */
		for (size_t i = JOIN_ACC_O_ADM; i < outlen; i += 7) {
			out[i] ^= 0x20;
			ck_assert_int_ne(join_recv(&f.j, &to, out, outlen, f.now), MN_OK);
			out[i] ^= 0x20;
		}
		ck_assert_int_eq(f.j.state, JOIN_REQUEST_SENT);
		ck_assert_int_eq(join_recv(&f.j, &to, out, outlen, f.now), MN_OK);
		ck_assert_int_eq(f.j.state, JOIN_DONE);
	}
	fix_free(&f);
}
END_TEST

START_TEST(overall_timeout)
{
	struct fix f;
	mn_ns t0;

	fix_init(&f, 13, 2);
	f.m[0].up = f.m[1].up = false;
	t0 = f.now;
	start(&f);
	run(&f);
	ck_assert_int_eq(f.j.state, JOIN_TIMEOUT);
	ck_assert_uint_eq(f.now - t0, TIMEOUT_NS);
	ck_assert_uint_eq(f.requests, 0);
	/* round robin, JOIN_TRIES each per round, waits doubling per try and
	 * per round up to the cap: 0.5 1 2 | 1 2 4 | 2 4 4 | 4 4 4 s per
	 * endpoint, two endpoints, 60 s: 23 HELLOs */
	ck_assert_uint_eq(f.max_gap, JOIN_RTO_MAX_NS);
	ck_assert_uint_eq(f.hellos, 23);
	ck_assert_uint_eq(join_next_deadline(&f.j), MN_NEVER);

	/* no timeout: still trying a day later, once every 4 s */
	ck_assert_int_eq(join_start(&f.j, &f.link, f.node.pk, "laptop", f.now, MN_NEVER,
				    &f.rng), MN_OK);
	for (unsigned i = 0; i < 86400 / 4; i++) {
		pump(&f);
		f.now = join_next_deadline(&f.j);
		ck_assert_uint_ne(f.now, MN_NEVER);
		join_on_timer(&f.j, f.now);
	}
	ck_assert_int_eq(f.j.state, JOIN_HELLO_SENT);
	ck_assert_uint_eq(f.max_gap, JOIN_RTO_MAX_NS);
	fix_free(&f);
}
END_TEST

static Suite *join_suite(void)
{
	Suite *s = suite_create("join");
	TCase *tc = tcase_create("join");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, success);
	tcase_add_test(tc, first_down_second_answers);
	tcase_add_test(tc, busy_member_passed_over);
	tcase_add_test(tc, busy_alone_backs_off);
	tcase_add_test(tc, cookie_required);
	tcase_add_test(tc, no_amplification);
	tcase_add_test(tc, replay_idempotent);
	tcase_add_test(tc, expired_invite);
	tcase_add_test(tc, used_up);
	tcase_add_test(tc, name_taken);
	tcase_add_test(tc, wrong_network);
	tcase_add_test(tc, other_refusals);
	tcase_add_test(tc, garbage_dropped);
	tcase_add_test(tc, forged_accept_ignored);
	tcase_add_test(tc, overall_timeout);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(join_suite)
