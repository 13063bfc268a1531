/* swim_fixture.h - the network a swim run is built on: keys, a grant, an
 * invite and every record the run's nodes sign, made for the run alone.
 *
 * From the core's seed: the root key, an admin granted every right by it,
 * and one admin-issued invite that admits every node (the invite's key
 * proves each join, the admin countersigns it). Per node id: each record
 * version the node signed (its history; version k is sequence k, 1 = the
 * record of its first boot), interned once in the run's rtab where every
 * swim instance of the run finds it, and a key -> node id map.
 *
 * A record signed here carries its node id and sequence in swim_rec.user:
 * seq << 32 | (id + 1). Tombstones are signed by the admin (its grant
 * carries REVOKE) or by the root.
 *
 * Ed25519: each record is verified once, by the real code, when it is
 * interned (rtab_add_verified through memo, which swim instances share).
 */
#ifndef SWIM_FIXTURE_H
#define SWIM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "annpool.h"
#include "rtab.h"
#include "swim.h"

#define SWIM_FIXTURE_NONE UINT32_MAX /* no node of the run */

enum swim_fixture_limits {
	SWIM_FIXTURE_MAX_VERSIONS = 4096, /* record versions one node may sign in a run */
	SWIM_FIXTURE_MEMO_SLOTS = 1 << 16, /* Ed25519 memo: a few per record chain */
};

/* The versions one node signed, oldest first: v[k - 1] is sequence k. */
struct swim_fixture_hist {
	const struct swim_rec **v;
	uint32_t n, cap;
};

struct swim_fixture {
	uint32_t nodes;
	struct rec_network net;
	struct rec_key root;           /* secret: signs the grant, and root tombstones */
	struct rec_key admin, invkey;  /* secret: the admitter, the invite's key */
	struct rec_invite inv;
	struct rtab *rt;               /* every record of the run, interned */
	struct annpool *anns;          /* every address announcement held, interned */
	struct rec_memo memo;          /* Ed25519 checks, shared by the run's swims */
	uint8_t (*memo_slots)[REC_MEMO_KEY_LEN];
	struct swim_fixture_hist *hist; /* per node id */
	/* per node id: the newest record (NULL before the first boot), flat so
	 * that a preload of N members walks a small array */
	const struct swim_rec **cur;
	uint32_t *idmap;               /* key id -> node id + 1, open addressing */
	uint32_t idmap_mask;
};

/* The network of a run of nodes node ids, from seed (the same for every
 * run of a scenario and seed). On failure a message in err; the fixture
 * is to be freed either way. */
int swim_fixture_init(struct swim_fixture *f, uint32_t nodes, uint64_t seed, char *err,
		      size_t errlen);
void swim_fixture_free(struct swim_fixture *f);

/* Sign node id's next record version with key (its identity) and intern
 * it. The first version carries a fresh admission (the join: the invite
 * key's proof, countersigned by the admin); later ones reuse it. MN_EFULL
 * past SWIM_FIXTURE_MAX_VERSIONS. */
int swim_fixture_sign_record(struct swim_fixture *f, uint32_t id, const struct rec_key *key,
			     uint64_t wall_ms, const struct swim_rec **out);
/* A tombstone against node target's key (target signed a record), by the
 * admin that admitted every node (the tombstone carries its grant) or, by_root,
 * by the root; encoded into buf. */
int swim_fixture_sign_tomb(const struct swim_fixture *f, uint32_t target, bool by_root,
			   uint64_t wall_ms, uint8_t *buf, size_t cap, size_t *len);

/* The node id of a key, SWIM_FIXTURE_NONE if no node of the run has it. */
uint32_t swim_fixture_id_of(const struct swim_fixture *f, const uint8_t pk[REC_PK_LEN]);
/* The node id a record names (r NULL: SWIM_FIXTURE_NONE). */
uint32_t swim_fixture_subject(const struct swim_fixture *f, const struct swim_rec *r);
/* The sequence of a record signed here (0: not one of the run's). */
static inline uint32_t swim_fixture_seq(const struct swim_rec *r)
{
	return (uint32_t)(r->user >> 32);
}
/* Node id's public key: its first record's (id signed one). */
static inline const uint8_t *swim_fixture_pk(const struct swim_fixture *f, uint32_t id)
{
	return f->hist[id].v[0]->pk;
}

#endif
