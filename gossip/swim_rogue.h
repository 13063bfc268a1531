/* swim_rogue.h - what a hostile member sends, for the simulator only.
 *
 * The simulator's `rogue` action (sim/README.md, "Rogue members"; issue
 * 11) makes a member misbehave with its real key while its swim instance
 * goes on as any member's. These helpers build the messages it crafts
 * (accusations, forged announcements, RECORD entries) and seal one to a
 * member with the instance's own keys and pair counters, so that it opens
 * at the receiver like the instance's other traffic and its counters stay
 * in order with them.
 *
 * Not part of the protocol: gossip/swim_rogue.c is built into libmnsim.a
 * only (sim/local.mk), never into the library the daemon links, and
 * nothing under node/ or daemon/ includes this header.
 */
#ifndef GOSSIP_SWIM_ROGUE_H
#define GOSSIP_SWIM_ROGUE_H

#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_time.h"
#include "record.h"
#include "swim.h"

/* An update item (SWIM_ITEM_SUSPECT_LEN bytes at p): kind SWIM_I_SUSPECT
 * or SWIM_I_DEAD about the member of key id `id` at incarnation inc,
 * naming the member of key id `accuser` as its accuser. */
void swim_rogue_put_accusation(uint8_t *p, uint8_t kind, uint64_t id, uint32_t inc,
			       uint64_t accuser);

/* An address announcement item (SWIM_I_ADDR) saying the member of key id
 * `id` is at `at` and was at `was`, with sequence seq, signed by `signer`
 * under net (a forgery when signer is not id's key). Its length, at most
 * SWIM_ITEM_ADDR_MAX; 0 when cap is too small or an address is not IPv4
 * or IPv6. */
size_t swim_rogue_put_ann(uint8_t *p, size_t cap, const struct rec_network *net,
			  const struct rec_key *signer, uint64_t id, uint64_t seq,
			  const struct mn_addr *at, const struct mn_addr *was);

/* A RECORD entry (swim_pp.c: incarnation, state, record, announcement)
 * at p. Its length, 0 when cap is too small. ann may be NULL (ann_len 0). */
size_t swim_rogue_put_record(uint8_t *p, size_t cap, uint32_t inc, enum swim_state state,
			     const uint8_t *rec, size_t rec_len, const uint8_t *ann, size_t ann_len);

/* Seal msg (a message of swim type `type`, SWIM_T_PING .. SWIM_T_RECORD,
 * without the body header, which is added as every message's) to the
 * member of key pk and queue it on s's transmit ring (swim_poll_tx).
 * MN_ENOENT: pk is no member of s (or is s itself); MN_EINVAL: not a
 * swim type; MN_EMSGSIZE: msg does not fit a datagram; MN_EFULL: the
 * transmit ring is full. */
int swim_rogue_send(struct swim *s, const uint8_t pk[REC_PK_LEN], uint8_t type,
		    const uint8_t *msg, size_t len, struct mn_time now);

#endif
