/* allowedips.c - cryptokey routing table as a path-compressed binary trie.
 *
 * Every node carries a whole prefix (key, bits), not one bit of it, so a
 * chain of single-child nodes never forms: a child's prefix extends its
 * parent's, and it hangs off child[b] where b is the child's first bit past
 * the parent's length. Nodes either hold a prefix (have an owner), or are
 * glue with exactly two children marking where two stored prefixes
 * diverge. Removal restores that shape, so the trie holds at most 2n - 1
 * nodes for n prefixes and a lookup visits at most one node per prefix
 * length.
 *
 * Keys are kept as two host-order 64-bit words, bit 0 being the top bit of
 * word 0; an IPv4 address sits in the top half of word 0. One prefix test
 * is then two XORs and two masks, the same code for both families.
 *
 * Every node holding a prefix is also on its owner's list (the kernel's
 * peer->allowedips_list), so removing or listing one owner's prefixes
 * touches only those nodes and their ancestors, never the rest of the trie.
 */
#include "allowedips.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

struct allowedips_node {
	struct allowedips_node *child[2];
	struct allowedips_node *parent;  /* NULL at a root */
	struct allowedips_owner *owner;  /* NULL: glue node */
	struct allowedips_node *owner_prev, *owner_next; /* on owner's list */
	uint64_t key[2];                 /* bits past `bits` are zero */
	uint8_t bits;
	uint8_t family;
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

static struct allowedips_node *node_new(int family, const uint64_t key[2], unsigned bits,
					struct allowedips_node *parent)
{
	struct allowedips_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key[0] = key[0];
	n->key[1] = key[1];
	mask_key(n->key, bits);
	n->bits = (uint8_t)bits;
	n->family = (uint8_t)family;
	n->parent = parent;
	return n;
}

/* Give n to owner, at the end of its list (a re-pointed prefix moves to
 * the end, as in the kernel and wireguard-go). */
static void owner_link(struct allowedips_node *n, struct allowedips_owner *o)
{
	n->owner = o;
	n->owner_next = NULL;
	n->owner_prev = o->last;
	if (o->last)
		o->last->owner_next = n;
	else
		o->first = n;
	o->last = n;
}

static void owner_unlink(struct allowedips_node *n)
{
	struct allowedips_owner *o = n->owner;

	if (n->owner_prev)
		n->owner_prev->owner_next = n->owner_next;
	else
		o->first = n->owner_next;
	if (n->owner_next)
		n->owner_next->owner_prev = n->owner_prev;
	else
		o->last = n->owner_prev;
	n->owner = NULL;
	n->owner_prev = n->owner_next = NULL;
}

void allowedips_owner_init(struct allowedips_owner *o, void *value)
{
	o->value = value;
	o->first = o->last = NULL;
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
	if (n->owner)
		owner_unlink(n);
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

int allowedips_insert(struct allowedips *t, const struct mn_prefix *p,
		      struct allowedips_owner *owner)
{
	struct allowedips_node **root, **link, *parent = NULL, *n, *fresh, *glue;
	uint64_t key[2];
	unsigned bits, shared;

	if (!prefix_valid(p) || !owner || !owner->value)
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
			if (n->owner)
				owner_unlink(n);
			else
				t->count++; /* a glue node becomes a prefix */
			owner_link(n, owner);
			return MN_OK;
		}
		parent = n;
	}

	fresh = node_new(p->family, key, bits, parent);
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
		glue = node_new(p->family, key, shared, parent);
		if (!glue) {
			free(fresh);
			return MN_ENOMEM;
		}
		attach(glue, n);
		attach(glue, fresh);
		*link = glue;
	}
	owner_link(fresh, owner);
	t->count++;
	return MN_OK;
}

/* Drop node n, whose owner was just cleared, if it no longer earns its
 * place: an ownerless node must have two children. Removing a leaf can leave
 * its parent a glue node with one child, so that one goes too. */
static void collapse(struct allowedips_node **root, struct allowedips_node *n)
{
	struct allowedips_node *parent, *only;

	if (n->owner || (n->child[0] && n->child[1]))
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

int allowedips_remove(struct allowedips *t, const struct mn_prefix *p,
		      struct allowedips_owner *owner)
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
	if (!n || n->bits != p->bits || !node_covers(n, key) || !n->owner || n->owner != owner)
		return MN_ENOENT;
	owner_unlink(n);
	t->count--;
	collapse(root, n);
	return MN_OK;
}

void allowedips_remove_owner(struct allowedips *t, struct allowedips_owner *owner)
{
	struct allowedips_node *n;

	/* collapse() frees n and glue above it: never a node of any list. */
	while ((n = owner->first)) {
		owner_unlink(n);
		t->count--;
		collapse(root_of(t, n->family), n);
	}
}

void *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr)
{
	const struct allowedips_node *n;
	const struct allowedips_owner *best = NULL;
	unsigned max = family_bits(family);
	uint64_t key[2];

	if (!max)
		return NULL;
	load_key(key, family, addr);
	n = family == AF_INET ? t->root4 : t->root6;
	while (n && node_covers(n, key)) {
		if (n->owner)
			best = n->owner;
		if (n->bits == max)
			break; /* a full-length node has no children */
		n = n->child[key_bit(key, n->bits)];
	}
	return best ? best->value : NULL;
}

void *allowedips_covering(const struct allowedips *t, const struct mn_prefix *p,
			  bool (*match)(const void *value))
{
	const struct allowedips_node *n;
	uint64_t key[2];

	if (!prefix_valid(p))
		return NULL;
	load_key(key, p->family, p->addr);
	mask_key(key, p->bits);
	n = p->family == AF_INET ? t->root4 : t->root6;
	/* Every node on the path that covers key is a prefix containing p as
	 * long as it is no longer than p. */
	while (n && n->bits <= p->bits && node_covers(n, key)) {
		if (n->owner && match(n->owner->value))
			return n->owner->value;
		if (n->bits == p->bits)
			break;
		n = n->child[key_bit(key, n->bits)];
	}
	return NULL;
}

void allowedips_foreach(const struct allowedips_owner *owner,
			bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx)
{
	struct mn_prefix p;

	for (const struct allowedips_node *n = owner->first; n; n = n->owner_next) {
		memset(&p, 0, sizeof(p));
		p.family = n->family;
		p.bits = n->bits;
		if (n->family == AF_INET) {
			mn_put_be32(p.addr, (uint32_t)(n->key[0] >> 32));
		} else {
			mn_put_be64(p.addr, n->key[0]);
			mn_put_be64(p.addr + 8, n->key[1]);
		}
		if (!fn(ctx, &p))
			return;
	}
}
