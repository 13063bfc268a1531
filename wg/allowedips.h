/* allowedips.h - cryptokey routing table: IP prefix -> peer.
 *
 * A path-compressed binary trie per address family, longest-prefix match
 * in O(prefix length). Values are opaque pointers (the WireGuard peer).
 * Inserting a prefix that exists re-points it to the new value (AllowedIPs
 * move between peers, as in WireGuard). Checked in tests against a
 * trivially correct reference (a linear list).
 *
 * Ownership: the table owns its nodes; values are borrowed.
 */
#ifndef ALLOWEDIPS_H
#define ALLOWEDIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"

struct allowedips_node;

struct allowedips {
	struct allowedips_node *root4;
	struct allowedips_node *root6;
	size_t count; /* number of prefixes stored */
};

void allowedips_init(struct allowedips *t);
void allowedips_free(struct allowedips *t);

/* Insert or re-point prefix p (host bits ignored) to value (non-NULL).
 * MN_ENOMEM, MN_EINVAL (bad family/bits or NULL value). */
int allowedips_insert(struct allowedips *t, const struct mn_prefix *p, void *value);
/* Remove p if it maps to value. MN_ENOENT otherwise. */
int allowedips_remove(struct allowedips *t, const struct mn_prefix *p, void *value);
/* Remove every prefix mapping to value. */
void allowedips_remove_value(struct allowedips *t, void *value);
/* Longest-prefix match of a 4- or 16-byte address; NULL when none. */
void *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr);
/* Each prefix mapping to value, in address order (IPv4 first); stop when fn returns false. */
void allowedips_foreach_value(const struct allowedips *t, void *value,
			      bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx);

#endif
