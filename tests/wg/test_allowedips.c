/* Tests for allowedips: known cases, then the trie against a linear list. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowedips.h"
#include "check_main.h"
#include "mn_addr.h"
#include "mn_err.h"
#include "mn_rng.h"

/* Stand-ins for peers: owners whose value is their own address, so a
 * lookup returns the owner that was inserted. */
typedef struct allowedips_owner owner;
static owner own_a, own_b, own_c, own_d;
#define A (&own_a)
#define B (&own_b)
#define C (&own_c)
#define D (&own_d)

static void owners_setup(void)
{
	allowedips_owner_init(A, A);
	allowedips_owner_init(B, B);
	allowedips_owner_init(C, C);
	allowedips_owner_init(D, D);
}

static struct mn_prefix pfx(const char *s)
{
	struct mn_prefix p;
	ck_assert_msg(mn_prefix_parse(&p, s) == MN_OK, "parse %s", s);
	return p;
}

static int ins(struct allowedips *t, const char *s, owner *v)
{
	struct mn_prefix p = pfx(s);
	return allowedips_insert(t, &p, v);
}

static int rem(struct allowedips *t, const char *s, owner *v)
{
	struct mn_prefix p = pfx(s);
	return allowedips_remove(t, &p, v);
}

static void *look(const struct allowedips *t, const char *s)
{
	uint8_t addr[16];
	if (inet_pton(AF_INET, s, addr) == 1)
		return allowedips_lookup(t, AF_INET, addr);
	ck_assert_msg(inet_pton(AF_INET6, s, addr) == 1, "address %s", s);
	return allowedips_lookup(t, AF_INET6, addr);
}

START_TEST(test_longest_match)
{
	struct allowedips t;
	allowedips_init(&t);
	ck_assert_ptr_null(look(&t, "100.64.1.2"));
	ck_assert_int_eq(ins(&t, "100.64.0.0/10", A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.1.0/24", C), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.0.0/16", B), MN_OK);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_eq(look(&t, "100.64.1.2"), C);
	ck_assert_ptr_eq(look(&t, "100.64.2.2"), B);
	ck_assert_ptr_eq(look(&t, "100.65.1.2"), A);
	ck_assert_ptr_eq(look(&t, "100.127.255.255"), A);
	ck_assert_ptr_null(look(&t, "100.128.0.0"));
	ck_assert_ptr_null(look(&t, "100.63.255.255"));
	/* Families are separate tables. */
	ck_assert_ptr_null(look(&t, "::6440:102"));
	ck_assert_int_eq(ins(&t, "fd00::/8", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00:1::/32", B), MN_OK);
	ck_assert_ptr_eq(look(&t, "fd00:1::1"), B);
	ck_assert_ptr_eq(look(&t, "fd00:2::1"), A);
	ck_assert_ptr_null(look(&t, "fe00::1"));
	ck_assert_ptr_eq(look(&t, "100.64.1.2"), C);
	allowedips_free(&t);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(look(&t, "100.64.1.2"));
}
END_TEST

START_TEST(test_default_and_host_routes)
{
	struct allowedips t;
	allowedips_init(&t);
	ck_assert_int_eq(ins(&t, "0.0.0.0/0", A), MN_OK);
	ck_assert_int_eq(ins(&t, "198.18.0.1/32", B), MN_OK);
	ck_assert_int_eq(ins(&t, "198.18.0.0/32", C), MN_OK);
	ck_assert_int_eq(ins(&t, "::/0", C), MN_OK);
	ck_assert_int_eq(ins(&t, "2001:2::1/128", D), MN_OK);
	ck_assert_int_eq(ins(&t, "2001:2::/128", B), MN_OK);
	ck_assert_ptr_eq(look(&t, "0.0.0.0"), A);
	ck_assert_ptr_eq(look(&t, "255.255.255.255"), A);
	ck_assert_ptr_eq(look(&t, "198.18.0.1"), B);
	ck_assert_ptr_eq(look(&t, "198.18.0.0"), C);
	ck_assert_ptr_eq(look(&t, "198.18.0.2"), A);
	ck_assert_ptr_eq(look(&t, "2001:2::1"), D);
	ck_assert_ptr_eq(look(&t, "2001:2::"), B);
	ck_assert_ptr_eq(look(&t, "2001:2::2"), C);
	ck_assert_ptr_eq(look(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), C);
	/* The last bit of a /128 decides. */
	ck_assert_int_eq(ins(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128", A), MN_OK);
	ck_assert_ptr_eq(look(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), C);
	ck_assert_ptr_eq(look(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), A);
	/* Removing the defaults leaves only the host routes. */
	ck_assert_int_eq(rem(&t, "0.0.0.0/0", A), MN_OK);
	ck_assert_int_eq(rem(&t, "::/0", C), MN_OK);
	ck_assert_ptr_null(look(&t, "198.18.0.2"));
	ck_assert_ptr_null(look(&t, "2001:2::2"));
	ck_assert_ptr_eq(look(&t, "198.18.0.1"), B);
	ck_assert_ptr_eq(look(&t, "2001:2::1"), D);
	ck_assert_uint_eq(t.count, 5);
	allowedips_free(&t);
}
END_TEST

START_TEST(test_repoint_and_host_bits)
{
	struct allowedips t;
	allowedips_init(&t);
	/* Host bits are ignored: both name 100.64.0.0/10. */
	ck_assert_int_eq(ins(&t, "100.64.0.0/10", A), MN_OK);
	struct mn_prefix p = pfx("100.64.0.0/10");
	p.addr[3] = 77;
	ck_assert_int_eq(allowedips_insert(&t, &p, B), MN_OK);
	ck_assert_uint_eq(t.count, 1);
	ck_assert_ptr_eq(look(&t, "100.64.0.1"), B);
	/* The prefix moved to B: A no longer owns it. */
	ck_assert_int_eq(rem(&t, "100.64.0.0/10", A), MN_ENOENT);
	ck_assert_int_eq(allowedips_remove(&t, &p, B), MN_OK);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root4);
	/* Back and forth between peers. */
	ck_assert_int_eq(ins(&t, "fd00::1/128", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::/64", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::1/128", B), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::1/128", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::1/128", C), MN_OK);
	ck_assert_uint_eq(t.count, 2);
	ck_assert_ptr_eq(look(&t, "fd00::1"), C);
	allowedips_remove_owner(&t, A);
	ck_assert_ptr_eq(look(&t, "fd00::1"), C);
	ck_assert_ptr_null(look(&t, "fd00::2"));
	ck_assert_uint_eq(t.count, 1);
	allowedips_free(&t);
}
END_TEST

START_TEST(test_invalid)
{
	struct allowedips t;
	struct mn_prefix p = pfx("100.64.0.0/10");
	uint8_t addr[16] = { 0 };
	allowedips_init(&t);
	ck_assert_int_eq(allowedips_insert(&t, &p, NULL), MN_EINVAL);
	p.bits = 33;
	ck_assert_int_eq(allowedips_insert(&t, &p, A), MN_EINVAL);
	p = pfx("fd00::/8");
	p.bits = 129;
	ck_assert_int_eq(allowedips_insert(&t, &p, A), MN_EINVAL);
	p.family = AF_UNSPEC;
	p.bits = 0;
	ck_assert_int_eq(allowedips_insert(&t, &p, A), MN_EINVAL);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(allowedips_lookup(&t, AF_UNSPEC, addr));
	ck_assert_int_eq(rem(&t, "100.64.0.0/10", A), MN_ENOENT);
	ck_assert_int_eq(ins(&t, "100.64.0.0/24", A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.1.0/24", A), MN_OK);
	/* The glue node at /23 is not a stored prefix. */
	ck_assert_int_eq(rem(&t, "100.64.0.0/23", A), MN_ENOENT);
	ck_assert_int_eq(rem(&t, "100.64.0.0/23", NULL), MN_ENOENT);
	ck_assert_int_eq(rem(&t, "100.64.0.0/25", A), MN_ENOENT);
	ck_assert_int_eq(rem(&t, "100.64.2.0/24", A), MN_ENOENT);
	ck_assert_int_eq(rem(&t, "100.64.0.0/22", A), MN_ENOENT);
	ck_assert_int_eq(rem(&t, "100.64.0.0/24", B), MN_ENOENT);
	ck_assert_uint_eq(t.count, 2);
	/* An owner must have a value: NULL is what "no match" looks like. */
	owner nobody;
	allowedips_owner_init(&nobody, NULL);
	ck_assert_int_eq(ins(&t, "100.64.2.0/24", &nobody), MN_EINVAL);
	ck_assert_uint_eq(t.count, 2);
	ck_assert_ptr_eq(look(&t, "100.64.1.9"), A);
	allowedips_free(&t);
}
END_TEST

START_TEST(test_glue_and_collapse)
{
	struct allowedips t;
	allowedips_init(&t);
	/* Two siblings meet under a valueless /23. */
	ck_assert_int_eq(ins(&t, "100.64.0.0/24", A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.1.0/24", B), MN_OK);
	ck_assert_ptr_null(look(&t, "100.64.2.1"));
	ck_assert_ptr_eq(look(&t, "100.64.0.1"), A);
	ck_assert_ptr_eq(look(&t, "100.64.1.1"), B);
	/* Giving the glue node a value makes it a prefix. */
	ck_assert_int_eq(ins(&t, "100.64.0.0/23", C), MN_OK);
	ck_assert_uint_eq(t.count, 3);
	ck_assert_ptr_eq(look(&t, "100.64.1.1"), B);
	ck_assert_int_eq(rem(&t, "100.64.1.0/24", B), MN_OK);
	ck_assert_ptr_eq(look(&t, "100.64.1.1"), C);
	ck_assert_int_eq(rem(&t, "100.64.0.0/23", C), MN_OK);
	ck_assert_ptr_null(look(&t, "100.64.1.1"));
	ck_assert_ptr_eq(look(&t, "100.64.0.1"), A);
	/* A middle node removed: its parent and child join up. */
	ck_assert_int_eq(ins(&t, "100.64.0.0/10", B), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.0.0/16", C), MN_OK);
	ck_assert_int_eq(rem(&t, "100.64.0.0/16", C), MN_OK);
	ck_assert_ptr_eq(look(&t, "100.64.0.1"), A);
	ck_assert_ptr_eq(look(&t, "100.64.7.1"), B);
	ck_assert_int_eq(rem(&t, "100.64.0.0/10", B), MN_OK);
	ck_assert_int_eq(rem(&t, "100.64.0.0/24", A), MN_OK);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root4);

	/* A fan of /128s removed in a different order than inserted. */
	static const char *const six[] = {
		"fd00::1", "fd00::2", "fd00::3", "fd00::8", "fd00::1:0",
		"fd00:8000::", "fd00::", "fc00::", "fd00::/16", "::/1",
	};
	for (size_t i = 0; i < sizeof(six) / sizeof(six[0]); i++)
		ck_assert_int_eq(ins(&t, six[i], D), MN_OK);
	ck_assert_uint_eq(t.count, 10);
	ck_assert_ptr_eq(look(&t, "fd00::4"), D);
	ck_assert_ptr_null(look(&t, "fe00::"));
	for (size_t i = 0; i < sizeof(six) / sizeof(six[0]); i++) {
		size_t j = (i * 7 + 3) % 10;
		ck_assert_int_eq(rem(&t, six[j], D), MN_OK);
		ck_assert_int_eq(rem(&t, six[j], D), MN_ENOENT);
	}
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root6);
	allowedips_free(&t);
}
END_TEST

START_TEST(test_remove_owner)
{
	struct allowedips t;
	allowedips_init(&t);
	ck_assert_int_eq(ins(&t, "100.64.0.0/10", A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.0.0/24", B), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.0.1/32", A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.1.0/24", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::/8", A), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::1/128", B), MN_OK);
	allowedips_remove_owner(&t, C);
	ck_assert_uint_eq(t.count, 6);
	allowedips_remove_owner(&t, A);
	ck_assert_ptr_null(A->first);
	ck_assert_uint_eq(t.count, 2);
	ck_assert_ptr_eq(look(&t, "100.64.0.1"), B);
	ck_assert_ptr_eq(look(&t, "100.64.0.2"), B);
	ck_assert_ptr_null(look(&t, "100.64.1.1"));
	ck_assert_ptr_null(look(&t, "100.65.0.1"));
	ck_assert_ptr_eq(look(&t, "fd00::1"), B);
	ck_assert_ptr_null(look(&t, "fd00::2"));
	allowedips_remove_owner(&t, B);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root4);
	ck_assert_ptr_null(t.root6);
	allowedips_free(&t);
}
END_TEST

struct collect {
	char seen[16][MN_PREFIX_STRLEN];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static bool collect_fn(void *ctx, const struct mn_prefix *p)
{
	struct collect *c = ctx;
	ck_assert_uint_lt(c->n, 16);
	mn_prefix_format(p, c->seen[c->n], MN_PREFIX_STRLEN);
	c->n++;
	return c->stop_after == 0 || c->n < c->stop_after;
}

START_TEST(test_foreach_order)
{
	static const char *const want[] = {
		"0.0.0.0/0",       "100.64.0.0/10",  "100.64.0.0/24", "100.64.0.1/32",
		"100.64.1.0/24",   "198.18.0.0/15",  "::/0",          "fd00::/8",
		"fd00::/64",       "fd00::1/128",    "fd00:1::/32",
	};
	static const size_t order[] = { 5, 9, 2, 10, 0, 7, 3, 8, 1, 6, 4 };
	struct allowedips t;
	struct collect c;
	size_t n = sizeof(want) / sizeof(want[0]);

	allowedips_init(&t);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ins(&t, want[order[i]], A), MN_OK);
	ck_assert_int_eq(ins(&t, "100.64.0.2/32", B), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::2/128", B), MN_OK);

	/* The order they were added in, both families mixed. */
	memset(&c, 0, sizeof(c));
	allowedips_foreach(A, collect_fn, &c);
	ck_assert_uint_eq(c.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(c.seen[i], want[order[i]]);

	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	allowedips_foreach(A, collect_fn, &c);
	ck_assert_uint_eq(c.n, 3);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	allowedips_foreach(B, collect_fn, &c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.seen[0], "100.64.0.2/32");

	/* A prefix inserted again, for the same owner or another, moves to
	 * the end of its (new) owner's list. */
	ck_assert_int_eq(ins(&t, want[order[0]], A), MN_OK);
	ck_assert_int_eq(ins(&t, want[order[1]], B), MN_OK);
	memset(&c, 0, sizeof(c));
	allowedips_foreach(A, collect_fn, &c);
	ck_assert_uint_eq(c.n, n - 1);
	ck_assert_str_eq(c.seen[0], want[order[2]]);
	ck_assert_str_eq(c.seen[n - 2], want[order[0]]);
	memset(&c, 0, sizeof(c));
	allowedips_foreach(B, collect_fn, &c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.seen[2], want[order[1]]);

	memset(&c, 0, sizeof(c));
	allowedips_foreach(C, collect_fn, &c);
	ck_assert_uint_eq(c.n, 0);
	/* Freeing the table leaves the owners empty. */
	allowedips_free(&t);
	ck_assert_ptr_null(A->first);
	ck_assert_ptr_null(B->last);
}
END_TEST

/* allowedips_covering's predicate: only the owner in match_only, or any
 * owner when it is NULL. */
static const void *match_only;

static bool match_fn(const void *value)
{
	return !match_only || value == match_only;
}

static void *covering(const struct allowedips *t, const char *s, const void *only)
{
	struct mn_prefix p = pfx(s);
	match_only = only;
	return allowedips_covering(t, &p, match_fn);
}

START_TEST(test_covering)
{
	struct allowedips t;

	allowedips_init(&t);
	ck_assert_int_eq(ins(&t, "10.0.0.0/8", A), MN_OK);
	ck_assert_int_eq(ins(&t, "10.1.0.0/16", B), MN_OK);
	ck_assert_int_eq(ins(&t, "10.1.2.3/32", C), MN_OK);
	ck_assert_int_eq(ins(&t, "fd00::1/128", D), MN_OK);
	/* equal, inside, the shortest that matches */
	ck_assert_ptr_eq(covering(&t, "10.1.2.3/32", C), C);
	ck_assert_ptr_eq(covering(&t, "10.1.2.3/32", NULL), A);
	ck_assert_ptr_eq(covering(&t, "10.1.2.3/32", B), B);
	ck_assert_ptr_eq(covering(&t, "10.1.9.0/24", B), B);
	ck_assert_ptr_eq(covering(&t, "10.1.0.0/16", B), B);
	ck_assert_ptr_eq(covering(&t, "fd00::1/128", D), D);
	/* wider than the prefix, or beside it: not covered */
	ck_assert_ptr_null(covering(&t, "10.1.0.0/15", B));
	ck_assert_ptr_null(covering(&t, "10.1.2.0/24", C));
	ck_assert_ptr_null(covering(&t, "0.0.0.0/0", NULL));
	ck_assert_ptr_null(covering(&t, "11.0.0.0/8", NULL));
	ck_assert_ptr_null(covering(&t, "10.2.0.0/16", B));
	ck_assert_ptr_null(covering(&t, "fd00::/64", D));
	ck_assert_ptr_null(covering(&t, "fd00::2/128", D));
	ck_assert_ptr_null(covering(&t, "10.1.2.3/32", D));
	allowedips_free(&t);
}
END_TEST

/* The reference: a flat list, longest match by scanning all of it. */
#define RANDOM_SEED UINT64_C(0x6d6e616970730001)
#define MAX_REF 8192
#define NVALUES 8

struct ref_entry {
	struct mn_prefix p;
	owner *value;
	uint64_t seq; /* when it was last inserted: the owner's list order */
};

struct ref {
	struct ref_entry e[MAX_REF];
	size_t n;
	uint64_t inserts;
};

static bool ref_same(const struct mn_prefix *a, const struct mn_prefix *b)
{
	return a->family == b->family && a->bits == b->bits &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static void ref_insert(struct ref *r, const struct mn_prefix *raw, owner *value)
{
	struct mn_prefix p = *raw;
	mn_prefix_normalize(&p);
	for (size_t i = 0; i < r->n; i++) {
		if (ref_same(&r->e[i].p, &p)) {
			r->e[i].value = value;
			r->e[i].seq = ++r->inserts;
			return;
		}
	}
	ck_assert_uint_lt(r->n, MAX_REF);
	r->e[r->n].p = p;
	r->e[r->n].value = value;
	r->e[r->n].seq = ++r->inserts;
	r->n++;
}

static int ref_remove(struct ref *r, const struct mn_prefix *raw, owner *value)
{
	struct mn_prefix p = *raw;
	mn_prefix_normalize(&p);
	for (size_t i = 0; i < r->n; i++) {
		if (ref_same(&r->e[i].p, &p) && r->e[i].value == value) {
			r->e[i] = r->e[--r->n];
			return MN_OK;
		}
	}
	return MN_ENOENT;
}

static void ref_remove_owner(struct ref *r, owner *value)
{
	for (size_t i = 0; i < r->n;) {
		if (r->e[i].value == value)
			r->e[i] = r->e[--r->n];
		else
			i++;
	}
}

static bool ref_covers(const struct mn_prefix *p, const uint8_t *addr)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return ((p->addr[full] ^ addr[full]) & mask) == 0;
}

static void *ref_lookup(const struct ref *r, int family, const uint8_t *addr)
{
	const struct ref_entry *best = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct ref_entry *e = &r->e[i];
		if (e->p.family == family && ref_covers(&e->p, addr) &&
		    (!best || e->p.bits > best->p.bits))
			best = e;
	}
	return best ? best->value : NULL;
}

/* The shortest entry equal to or containing p whose value matches. */
static void *ref_covering(const struct ref *r, const struct mn_prefix *p)
{
	const struct ref_entry *best = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct ref_entry *e = &r->e[i];
		if (e->p.family == p->family && e->p.bits <= p->bits &&
		    ref_covers(&e->p, p->addr) && match_fn(e->value) &&
		    (!best || e->p.bits < best->p.bits))
			best = e;
	}
	return best ? best->value : NULL;
}

/* foreach order is the order of the last insertion of each prefix. */
static int ref_cmp(const void *x, const void *y)
{
	const struct ref_entry *a = x, *b = y;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct walk_check {
	struct ref_entry *want;
	size_t n, at;
};

static bool walk_check_fn(void *ctx, const struct mn_prefix *p)
{
	struct walk_check *w = ctx;
	ck_assert_uint_lt(w->at, w->n);
	ck_assert_msg(ref_same(p, &w->want[w->at].p), "foreach entry %zu differs", w->at);
	w->at++;
	return true;
}

static void check_foreach(const struct ref *r, owner *value, struct ref_entry *scratch)
{
	struct walk_check w = { .want = scratch };
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].value == value)
			scratch[w.n++] = r->e[i];
	qsort(scratch, w.n, sizeof(*scratch), ref_cmp);
	allowedips_foreach(value, walk_check_fn, &w);
	ck_assert_uint_eq(w.at, w.n);
}

/* Addresses cluster around a few bases so prefixes nest, share paths and
 * split each other; pure random ones would rarely meet. */
static void random_addr(const struct mn_rng *rng, int family, uint8_t addr[16])
{
	static const uint8_t bases[4][16] = {
		{ 100, 64, 0, 0 },
		{ 198, 18, 0, 0 },
		{ 0xfd, 0, 0x12, 0x34 },
		{ 0 },
	};
	unsigned len = family == AF_INET ? 4 : 16;
	unsigned keep = mn_rng_uniform(rng, len * 8 + 1);

	memset(addr, 0, 16);
	mn_rng_bytes(rng, addr, len);
	if (mn_rng_uniform(rng, 4) != 0) {
		/* Take the first `keep` bits from a base. */
		const uint8_t *b = bases[mn_rng_uniform(rng, 4)];
		for (unsigned i = 0; i < keep; i++) {
			uint8_t m = (uint8_t)(0x80 >> (i % 8));
			addr[i / 8] = (uint8_t)((addr[i / 8] & ~m) | (b[i / 8] & m));
		}
	}
}

START_TEST(test_random_vs_reference)
{
	struct mn_seeded_rng seeded;
	struct mn_rng rng;
	struct allowedips t;
	struct ref *r = calloc(1, sizeof(*r));
	struct ref_entry *scratch = calloc(MAX_REF, sizeof(*scratch));
	static owner peers[NVALUES];
	size_t inserts = 0, removes = 0, lookups = 0, hits = 0, peak = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(scratch);
	printf("allowedips random: seed=0x%016" PRIx64 "\n", RANDOM_SEED);
	fflush(stdout);
	mn_seeded_rng_init(&seeded, RANDOM_SEED);
	rng = mn_seeded_rng_iface(&seeded);
	allowedips_init(&t);
	for (int v = 0; v < NVALUES; v++)
		allowedips_owner_init(&peers[v], &peers[v]);

	for (int step = 0; step < 40000; step++) {
		int family = mn_rng_uniform(&rng, 2) ? AF_INET6 : AF_INET;
		unsigned max = family == AF_INET ? 32 : 128;
		owner *value = &peers[mn_rng_uniform(&rng, NVALUES)];
		unsigned op = mn_rng_uniform(&rng, 1000);
		struct mn_prefix p;
		uint8_t addr[16];

		if (op < 350) {
			/* Short prefixes are rare in practice; weight lengths up. */
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)family;
			p.bits = (uint8_t)(mn_rng_uniform(&rng, 16) == 0 ?
						   mn_rng_uniform(&rng, max + 1) :
						   max - mn_rng_uniform(&rng, max / 4 + 1));
			random_addr(&rng, family, p.addr); /* host bits left set */
			ck_assert_int_eq(allowedips_insert(&t, &p, value), MN_OK);
			ref_insert(r, &p, value);
			inserts++;
		} else if (op < 500 && r->n > 0) {
			/* Remove a stored prefix, sometimes naming the wrong owner. */
			const struct ref_entry *e = &r->e[mn_rng_uniform(&rng, (uint32_t)r->n)];
			p = e->p;
			owner *o = mn_rng_uniform(&rng, 4) ? e->value : value;
			int want = ref_remove(r, &p, o);
			ck_assert_int_eq(allowedips_remove(&t, &p, o), want);
			removes += want == MN_OK;
		} else if (op < 550) {
			/* Remove something most likely absent. */
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)family;
			p.bits = (uint8_t)mn_rng_uniform(&rng, max + 1);
			random_addr(&rng, family, p.addr);
			ck_assert_int_eq(allowedips_remove(&t, &p, value),
					 ref_remove(r, &p, value));
		} else if (op < 551) {
			allowedips_remove_owner(&t, value);
			ref_remove_owner(r, value);
		} else if (op < 553) {
			check_foreach(r, value, scratch);
		} else {
			if (r->n > 0 && mn_rng_uniform(&rng, 2)) {
				/* Near a stored prefix: same network, random host. */
				const struct ref_entry *e =
					&r->e[mn_rng_uniform(&rng, (uint32_t)r->n)];
				family = e->p.family;
				random_addr(&rng, family, addr);
				for (unsigned i = 0; i < e->p.bits; i++) {
					uint8_t m = (uint8_t)(0x80 >> (i % 8));
					addr[i / 8] = (uint8_t)((addr[i / 8] & ~m) |
								(e->p.addr[i / 8] & m));
				}
			} else {
				random_addr(&rng, family, addr);
			}
			void *want = ref_lookup(r, family, addr);
			ck_assert_msg(allowedips_lookup(&t, family, addr) == want,
				      "lookup mismatch at step %d", step);
			lookups++;
			hits += want != NULL;
			/* A prefix ending anywhere on that address's path, owned
			 * by anyone or by one owner. */
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)family;
			p.bits = (uint8_t)mn_rng_uniform(&rng, (family == AF_INET ? 32 : 128) + 1);
			memcpy(p.addr, addr, 16);
			match_only = mn_rng_uniform(&rng, 2) ? value : NULL;
			ck_assert_msg(allowedips_covering(&t, &p, match_fn) == ref_covering(r, &p),
				      "covering mismatch at step %d", step);
		}
		ck_assert_uint_eq(t.count, r->n);
		if (r->n > peak)
			peak = r->n;
	}
	for (int v = 0; v < NVALUES; v++)
		check_foreach(r, &peers[v], scratch);
	printf("allowedips random: %zu inserts, %zu removes, %zu lookups (%zu hits), "
	       "peak %zu prefixes\n",
	       inserts, removes, lookups, hits, peak);
	for (int v = 0; v < NVALUES; v++)
		allowedips_remove_owner(&t, &peers[v]);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.root4);
	ck_assert_ptr_null(t.root6);
	allowedips_free(&t);
	free(scratch);
	free(r);
}
END_TEST

static Suite *allowedips_suite(void)
{
	Suite *s = suite_create("allowedips");
	TCase *tc = tcase_create("known");
	tcase_add_checked_fixture(tc, owners_setup, NULL);
	tcase_add_test(tc, test_longest_match);
	tcase_add_test(tc, test_covering);
	tcase_add_test(tc, test_default_and_host_routes);
	tcase_add_test(tc, test_repoint_and_host_bits);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_glue_and_collapse);
	tcase_add_test(tc, test_remove_owner);
	tcase_add_test(tc, test_foreach_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	/* A bound on a wait for slow sanitizer runs on shared cores, not a target. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_vs_reference);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(allowedips_suite)
