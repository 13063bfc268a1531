/* node_internal.h - what the node core's files share:
 *   node.c       lifecycle, the one-port dispatcher, the transmit batch, timers
 *   node_peer.c  members -> WireGuard peers: prefixes, routes, paths, evidence
 * Not an API: everything outside node/node*.c uses node.h. */
#ifndef NODE_INTERNAL_H
#define NODE_INTERNAL_H

#include "node.h"

/* A member that is a WireGuard peer. Allocated when the member appears,
 * freed when it is torn down; the wg_peer's user pointer leads here. */
struct node_peer {
	uint8_t pk[REC_PK_LEN];      /* its node key (Ed25519) */
	uint8_t wg_pk[WG_KEY_LEN];   /* converted (X25519): the WireGuard peer's key */
	struct wg_peer *wp;
	struct path path;
	mn_ns evidence_at;           /* last swim_heard_from for it */
	bool evidence_told;          /* evidence_at is meaningful */
	bool introduced;             /* peer_on_staged asked swim to introduce us */
	uint32_t nprefixes;          /* installed in wp, in order */
	struct mn_prefix prefixes[NODE_PREFIXES_MAX];
};

struct node {
	struct swim *swim;
	struct wg_dev *wg;
	const struct rec_network *net;
	uint8_t self_pk[REC_PK_LEN];
	uint32_t mtu;
	uint32_t npeers;

	/* the driver's callbacks */
	void (*event)(void *ctx, const struct swim_event *ev);
	void *event_ctx;
	void (*action)(void *ctx, const struct node_action *a);
	void *action_ctx;
	int (*unsealed)(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
			struct mn_time now);
	int (*control)(void *ctx, const struct swim_control *msg, struct mn_time now);
	void *hook_ctx;

	/* node_send_unsealed's ring */
	struct node_unsealed {
		struct mn_addr dst;
		uint16_t len;
		uint8_t buf[NODE_UNSEALED_MAX];
	} *unsealed_q;
	uint32_t unsealed_head, unsealed_n;

	/* WireGuard initiations from keys that are no peer yet, kept a
	 * moment: a newcomer's first handshake often reaches a member just
	 * before its record does; when the record comes, the initiation is
	 * replayed instead of waiting out the initiator's 5 s retry */
	struct node_stashed {
		struct mn_addr from, local;
		mn_ns at;
		uint8_t buf[WG_INITIATION_LEN];
	} stash[NODE_STASH];
	uint32_t stash_next;
	struct mn_time now;          /* of the call into the node that runs */

	uint64_t stats[NODE_STAT__COUNT];
};

static inline void node_bump(struct node *n, enum node_stat st)
{
	n->stats[st]++;
}

/* Replay the stashed initiations younger than WG_REKEY_TIMEOUT (a peer
 * was just added: one of them may be its). node.c. */
void node_replay_stash(struct node *n);

/* ---- node_peer.c ---- */

/* swim's hooks, pointed at the node. */
void peer_on_event(void *ctx, const struct swim_event *ev);
void peer_on_addr(void *ctx, const struct swim_addr_change *c);
/* A TUN packet (pkt, len) staged for a handshake: its peer. */
void peer_on_staged(struct node *n, const uint8_t *pkt, size_t len, struct mn_time now);
/* An authenticated WireGuard datagram from wp (its source from, where it
 * arrived local, through relay or directly when relay is NULL). */
void peer_on_auth(struct node *n, struct wg_peer *wp, const struct mn_addr *from,
		  const struct mn_addr *local, const struct mn_addr *relay, struct mn_time now);
/* Free every peer's state (node_del; the device goes with it). */
void peer_free_all(struct node *n);
/* The peer of member pk, NULL when none. */
struct node_peer *peer_find(const struct node *n, const uint8_t pk[REC_PK_LEN]);

#endif
