/* rtab.h - a table of verified member records, shared by any number of
 * swim instances of one network (a struct swim_store).
 *
 * Each distinct record (by exact bytes) is stored once; every swim instance
 * that holds it points at the same struct swim_rec. That is how the
 * simulator keeps 10,000 nodes x 10,000 members in memory (DESIGN.md §8),
 * and how a record verified by one node's real rec_member_verify() is not
 * verified again by the next: find() answers only for bytes that were
 * verified when added.
 *
 * Lifetimes: a record interned with rtab_add_verified() is pinned: it lives
 * until rtab_del(), and find/add/release do not count references to it (a
 * caller may hand it to swim without one, as the simulator's shortcut
 * does). A record that only swim added (a version learned from the network)
 * is counted: find and add take a reference, release gives it back, and the
 * last release frees it and its place under max_records. So superseded
 * versions and removed members' records do not fill the table.
 *
 * One table per network: swim adds a record only after verifying it against
 * its own rec_network, and find() trusts that. Revocation is not cached:
 * swim re-checks the chain's keys against its own tombstones on every use.
 * Not thread-safe. Lookups hash the bytes with SipHash-2-4 under a fixed
 * key and compare them in full.
 */
#ifndef GOSSIP_RTAB_H
#define GOSSIP_RTAB_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "swim.h"

struct rtab;

/* max_records: at most this many distinct records held at once (1 .. 2^24);
 * add fails (swim: MN_ENOMEM) while the table is full. */
int rtab_new(struct rtab **out, uint32_t max_records);
void rtab_del(struct rtab *t);

/* The store interface over t (t must outlive every swim using it). */
void rtab_store(struct rtab *t, struct swim_store *out);

/* Decode, verify (rv, memo may be NULL) and intern a record, pinned (see
 * above), setting its user value (the simulator: the node id) when it is
 * new or still 0. *out (may be NULL) gets the interned record, valid until
 * rtab_del. MN_EFULL past max_records, or the decode/verify error. */
int rtab_add_verified(struct rtab *t, const struct rec_network *net, const uint8_t *bytes,
		      size_t len, uint64_t user, const struct rec_revoked *rv,
		      struct rec_memo *memo, const struct swim_rec **out);

/* Records held now (pinned or referenced). */
uint32_t rtab_count(const struct rtab *t);
/* Total record bytes held (for the simulator's memory report). */
uint64_t rtab_bytes(const struct rtab *t);

#endif
