/* allowedips.c - cryptokey routing table as a path-compressed binary trie.
 *
 * Every node carries a whole prefix (key, bits), not one bit of it, so a
 * chain of single-child nodes never forms: a child's prefix extends its
 * parent's, and it hangs off child[b] where b is the child's first bit past
 * the parent's length. Nodes either hold a value, or are glue with exactly
 * two children marking where two stored prefixes diverge. Removal restores
 * that shape, so the trie holds at most 2n - 1 nodes for n prefixes and a
 * lookup visits at most one node per prefix length.
 *
 * Keys are kept as two host-order 64-bit words, bit 0 being the top bit of
 * word 0; an IPv4 address sits in the top half of word 0. One prefix test
 * is then two XORs and two masks, the same code for both families.
 */
#include "allowedips.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

struct allowedips_node {
	struct allowedips_node *child[2];
	struct allowedips_node *parent; /* NULL at a root */
	void *value;                    /* NULL: glue node */
	uint64_t key[2];                /* bits past `bits` are zero */
	uint8_t bits;
};

static unsigned family_bits(int family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

static void load_key(uint64_t key[2], int family, const uint8_t *addr)
{
	if (family == AF_INET) {
		key[0] = (uint64_t)mn_get_be32(addr) << 32;
		key[1] = 0;
	} else {
		key[0] = mn_get_be64(addr);
		key[1] = mn_get_be64(addr + 8);
	}
}

/* Mask of the first n bits of a 64-bit word, n in [0, 64]; shifting a
 * uint64_t by 64 is undefined, hence the special cases. */
static uint64_t word_mask(unsigned n)
{
	if (n == 0)
		return 0;
	if (n >= 64)
		return ~(uint64_t)0;
	return ~(uint64_t)0 << (64 - n);
}

static void mask_key(uint64_t key[2], unsigned bits)
{
	key[0] &= word_mask(bits);
	key[1] &= word_mask(bits > 64 ? bits - 64 : 0);
}

/* Does key lie inside node's prefix? */
static bool node_covers(const struct allowedips_node *n, const uint64_t key[2])
{
	return ((key[0] ^ n->key[0]) & word_mask(n->bits)) == 0 &&
	       ((key[1] ^ n->key[1]) & word_mask(n->bits > 64 ? n->bits - 64 : 0)) == 0;
}

/* Bit i of key, i < 128. */
static unsigned key_bit(const uint64_t key[2], unsigned i)
{
	return (unsigned)(key[i / 64] >> (63 - i % 64)) & 1;
}

/* Number of leading bits a and b share, capped at limit. */
static unsigned common_bits(const uint64_t a[2], const uint64_t b[2], unsigned limit)
{
	unsigned n;
	uint64_t x = a[0] ^ b[0];

	if (x)
		n = (unsigned)__builtin_clzll(x);
	else if ((x = a[1] ^ b[1]))
		n = 64 + (unsigned)__builtin_clzll(x);
	else
		n = 128;
	return n < limit ? n : limit;
}

static struct allowedips_node **root_of(struct allowedips *t, int family)
{
	return family == AF_INET ? &t->root4 : &t->root6;
}

/* The pointer that holds n: its parent's child slot, or the root. */
static struct allowedips_node **link_of(struct allowedips_node **root,
					struct allowedips_node *n)
{
	if (!n->parent)
		return root;
	return &n->parent->child[n->parent->child[1] == n];
}

static struct allowedips_node *node_new(const uint64_t key[2], unsigned bits,
					void *value, struct allowedips_node *parent)
{
	struct allowedips_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key[0] = key[0];
	n->key[1] = key[1];
	mask_key(n->key, bits);
	n->bits = (uint8_t)bits;
	n->value = value;
	n->parent = parent;
	return n;
}

static void attach(struct allowedips_node *parent, struct allowedips_node *n)
{
	parent->child[key_bit(n->key, parent->bits)] = n;
	n->parent = parent;
}

/* Recursion depth is bounded by the address length: every step down adds
 * at least one bit of prefix. */
static void free_subtree(struct allowedips_node *n)
{
	if (!n)
		return;
	free_subtree(n->child[0]);
	free_subtree(n->child[1]);
	free(n);
}

void allowedips_init(struct allowedips *t)
{
	t->root4 = NULL;
	t->root6 = NULL;
	t->count = 0;
}

void allowedips_free(struct allowedips *t)
{
	free_subtree(t->root4);
	free_subtree(t->root6);
	allowedips_init(t);
}

static bool prefix_valid(const struct mn_prefix *p)
{
	unsigned max = p ? family_bits(p->family) : 0;
	return max != 0 && p->bits <= max;
}

int allowedips_insert(struct allowedips *t, const struct mn_prefix *p, void *value)
{
	struct allowedips_node **root, **link, *parent = NULL, *n, *fresh, *glue;
	uint64_t key[2];
	unsigned bits, shared;

	if (!prefix_valid(p) || !value)
		return MN_EINVAL;
	bits = p->bits;
	load_key(key, p->family, p->addr);
	mask_key(key, bits);
	root = root_of(t, p->family);

	for (link = root; (n = *link); link = &n->child[key_bit(key, n->bits)]) {
		shared = common_bits(n->key, key, n->bits < bits ? n->bits : bits);
		if (shared < n->bits)
			break; /* p is not inside n: split above n */
		if (n->bits == bits) {
			if (!n->value)
				t->count++; /* a glue node becomes a prefix */
			n->value = value;
			return MN_OK;
		}
		parent = n;
	}

	fresh = node_new(key, bits, value, parent);
	if (!fresh)
		return MN_ENOMEM;
	if (!n) {
		*link = fresh;
	} else if (shared == bits) {
		/* p contains n: fresh takes n's place, n hangs below it. */
		attach(fresh, n);
		*link = fresh;
	} else {
		/* p and n diverge at bit `shared`: both hang off a glue node. */
		glue = node_new(key, shared, NULL, parent);
		if (!glue) {
			free(fresh);
			return MN_ENOMEM;
		}
		attach(glue, n);
		attach(glue, fresh);
		*link = glue;
	}
	t->count++;
	return MN_OK;
}

/* Drop node n, whose value was just cleared, if it no longer earns its
 * place: a valueless node must have two children. Removing a leaf can leave
 * its parent a glue node with one child, so that one goes too. */
static void collapse(struct allowedips_node **root, struct allowedips_node *n)
{
	struct allowedips_node *parent, *only;

	if (n->value || (n->child[0] && n->child[1]))
		return;
	only = n->child[0] ? n->child[0] : n->child[1];
	parent = n->parent;
	*link_of(root, n) = only;
	if (only)
		only->parent = parent;
	free(n);
	if (!only && parent)
		collapse(root, parent);
}

int allowedips_remove(struct allowedips *t, const struct mn_prefix *p, void *value)
{
	struct allowedips_node **root, *n;
	uint64_t key[2];

	if (!prefix_valid(p))
		return MN_EINVAL;
	load_key(key, p->family, p->addr);
	mask_key(key, p->bits);
	root = root_of(t, p->family);

	for (n = *root; n && n->bits < p->bits; n = n->child[key_bit(key, n->bits)])
		if (!node_covers(n, key))
			return MN_ENOENT;
	if (!n || n->bits != p->bits || !node_covers(n, key) || !n->value ||
	    n->value != value)
		return MN_ENOENT;
	n->value = NULL;
	t->count--;
	collapse(root, n);
	return MN_OK;
}

/* Clear value everywhere below n and return what should stand in n's place.
 * Children are settled first, so one post-order pass both clears and
 * restores the no-useless-glue shape. Depth is bounded as in free_subtree. */
static struct allowedips_node *prune_value(struct allowedips *t,
					   struct allowedips_node *n, void *value)
{
	struct allowedips_node *only;

	if (!n)
		return NULL;
	for (int i = 0; i < 2; i++) {
		n->child[i] = prune_value(t, n->child[i], value);
		if (n->child[i])
			n->child[i]->parent = n;
	}
	if (n->value == value) {
		n->value = NULL;
		t->count--;
	}
	if (n->value || (n->child[0] && n->child[1]))
		return n;
	only = n->child[0] ? n->child[0] : n->child[1];
	free(n);
	return only;
}

void allowedips_remove_value(struct allowedips *t, void *value)
{
	/* Glue nodes hold NULL; clearing "NULL" would count them as prefixes. */
	if (!value)
		return;
	t->root4 = prune_value(t, t->root4, value);
	if (t->root4)
		t->root4->parent = NULL;
	t->root6 = prune_value(t, t->root6, value);
	if (t->root6)
		t->root6->parent = NULL;
}

void *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr)
{
	const struct allowedips_node *n;
	unsigned max = family_bits(family);
	uint64_t key[2];
	void *best = NULL;

	if (!max)
		return NULL;
	load_key(key, family, addr);
	n = family == AF_INET ? t->root4 : t->root6;
	while (n && node_covers(n, key)) {
		if (n->value)
			best = n->value;
		if (n->bits == max)
			break; /* a full-length node has no children */
		n = n->child[key_bit(key, n->bits)];
	}
	return best;
}

/* Pre-order, child 0 before child 1: a prefix comes before the longer ones
 * it contains, and siblings in address order. Returns false to stop. */
static bool walk_value(const struct allowedips_node *n, int family, void *value,
		       bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx)
{
	struct mn_prefix p;

	if (!n)
		return true;
	if (n->value == value) {
		memset(&p, 0, sizeof(p));
		p.family = (uint8_t)family;
		p.bits = n->bits;
		if (family == AF_INET) {
			mn_put_be32(p.addr, (uint32_t)(n->key[0] >> 32));
		} else {
			mn_put_be64(p.addr, n->key[0]);
			mn_put_be64(p.addr + 8, n->key[1]);
		}
		if (!fn(ctx, &p))
			return false;
	}
	return walk_value(n->child[0], family, value, fn, ctx) &&
	       walk_value(n->child[1], family, value, fn, ctx);
}

void allowedips_foreach_value(const struct allowedips *t, void *value,
			      bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx)
{
	if (!value)
		return;
	if (walk_value(t->root4, AF_INET, value, fn, ctx))
		walk_value(t->root6, AF_INET6, value, fn, ctx);
}
