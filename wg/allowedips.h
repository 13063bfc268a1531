/* allowedips.h - cryptokey routing table: IP prefix -> peer.
 *
 * A path-compressed binary trie per address family, longest-prefix match
 * in O(prefix length). Each prefix belongs to an owner (struct
 * allowedips_owner, embedded in the WireGuard peer) and a lookup returns
 * the owner's value, an opaque pointer (the peer). Inserting a prefix that
 * exists re-points it to the new owner (AllowedIPs move between peers, as
 * in WireGuard). An owner lists its own prefixes, so removing or listing
 * them costs O(its prefixes), whatever the size of the table. Checked in
 * tests against a trivially correct reference (a linear list).
 *
 * Ownership: the table owns its nodes; owners and values are borrowed, and
 * an owner must have no prefixes left (allowedips_remove_owner) before it
 * goes away.
 */
#ifndef ALLOWEDIPS_H
#define ALLOWEDIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"

struct allowedips_node;

/* One owner of prefixes (a peer): its value and its list of prefixes. */
struct allowedips_owner {
	void *value; /* what lookups return; non-NULL */
	struct allowedips_node *first, *last; /* in insertion order */
};

struct allowedips {
	struct allowedips_node *root4;
	struct allowedips_node *root6;
	size_t count; /* number of prefixes stored */
};

void allowedips_init(struct allowedips *t);
/* Free every node; owners are left with no prefixes. */
void allowedips_free(struct allowedips *t);
/* An owner with no prefixes whose lookups return value. */
void allowedips_owner_init(struct allowedips_owner *o, void *value);

/* Insert or re-point prefix p (host bits ignored) to owner; either way it
 * goes to the end of the owner's list. MN_ENOMEM, MN_EINVAL (bad
 * family/bits, NULL owner or an owner whose value is NULL). */
int allowedips_insert(struct allowedips *t, const struct mn_prefix *p,
		      struct allowedips_owner *owner);
/* Remove p if it belongs to owner. MN_ENOENT otherwise. */
int allowedips_remove(struct allowedips *t, const struct mn_prefix *p,
		      struct allowedips_owner *owner);
/* Remove every prefix of owner: O(its prefixes x address length). */
void allowedips_remove_owner(struct allowedips *t, struct allowedips_owner *owner);
/* Longest-prefix match of a 4- or 16-byte address: the owner's value, NULL
 * when none. */
void *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr);
/* The value of the shortest prefix that equals or contains p and whose
 * value passes match, NULL when none: O(p's length). (For a policy on
 * prefixes, as "a locked peer's prefixes are not taken", not for routing.) */
void *allowedips_covering(const struct allowedips *t, const struct mn_prefix *p,
			  bool (*match)(const void *value));
/* Each prefix of owner in the order of its list (insertion, as `wg` shows
 * them from the kernel and wireguard-go); stop when fn returns false. */
void allowedips_foreach(const struct allowedips_owner *owner,
			bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx);

#endif
