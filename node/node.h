/* node.h - one mesh node: the gossip core (swim) and the WireGuard core
 * (wg_dev) on one UDP port, joined. A sans-I/O core: the daemon and the
 * simulator drive the same code (DESIGN.md §1; doc/mesh-design.md).
 *
 * What it does:
 *   - membership -> data plane: a member that appears (SWIM_EV_RECORD,
 *     first) becomes a WireGuard peer: its key is the member's Ed25519 node
 *     key converted to X25519 (doc/membership.md), its AllowedIPs its
 *     overlay IPv4 /32 (from its admission), its IPv6 /128 (derived) and
 *     the routes its record advertises. A newer record changes only the
 *     prefixes that changed; a removed or revoked member is torn down.
 *     Every prefix added or removed is also a route action for the driver,
 *     one per change (no rebuild).
 *   - paths (path.h): per peer, the direct address (from gossip, or from
 *     authenticated WireGuard traffic that arrived directly), the local
 *     address it arrives on, a relay (a seam: none yet). The chooser sets
 *     the WireGuard endpoint; WireGuard's own roaming is off (the node owns
 *     endpoints), so a relayed packet never moves a direct endpoint.
 *   - liveness: authenticated WireGuard traffic from a member is evidence
 *     that it lives (swim_heard_from, at most once per
 *     NODE_EVIDENCE_INTERVAL_NS per peer).
 *   - one port: each datagram is classified by demux_classify (demux.h)
 *     and dispatched: WireGuard to the WireGuard core, control to the
 *     unsealed hook (join) then swim (gossip, and through swim's open
 *     channel the node's own sealed types), STUN and anything else counted
 *     and dropped. In a batch, urgent kinds (everything but WireGuard data)
 *     are handled first.
 *   - one transmit batch (struct node_txb) filled by unsealed replies
 *     (node_send_unsealed), gossip and WireGuard alike, and by node_tun_in
 *     in place.
 *
 * The driver:
 *   datagrams      node_recv_batch (or node_recv): IP packets to write to
 *                  the TUN come back in place
 *   TUN packets    node_tun_in, into the next slot of a transmit batch
 *   after either, and after node_on_timer: node_poll_tx until it adds
 *                  nothing, then send the batch
 *   timers         node_next_deadline; node_on_timer when it passed
 *   actions        cfg.action, called synchronously: routes and overlay
 *                  addresses to install, our own revocation (node/README.md)
 *   swim's events  cfg.swim.event still gets every one (persist them)
 *
 * Ownership: the node owns its swim instance and its WireGuard device
 * (created in node_new, freed in node_del); node_swim / node_wg lend them
 * for queries and for the driver's other inputs (swim_learn, swim_revoke,
 * swim_publish, the UAPI). Everything cfg points to that swim borrows must
 * outlive the node, as for swim_new. Not thread-safe; callbacks run inside
 * the calls above and must not call back into the node.
 *
 * Errors: MN_EINVAL bad arguments; MN_ENOMEM; MN_ECRYPTO our identity key
 * does not convert to X25519; what swim_new returns; and per datagram the
 * reason it was dropped (also counted, enum node_stat). */
#ifndef NODE_NODE_H
#define NODE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "demux.h"
#include "mn_addr.h"
#include "mn_time.h"
#include "path.h"
#include "swim.h"
#include "wg.h"

enum node_limits {
	NODE_TX_BATCH = 64,             /* datagrams per transmit batch (one sendmmsg) */
	NODE_MTU_DEFAULT = 1380,        /* doc/mesh-design.md "MTU: 1380 by default" */
	NODE_MTU_MIN = 1280,            /* IPv6 inside the tunnel needs it */
	NODE_MTU_MAX = 1420,            /* 1420 + 80 = 1500 over IPv6, unrelayed */
	/* Room in front of every datagram of a transmit batch for a relay
	 * header, prepended in place when a peer's path goes through a relay
	 * (doc/mesh-design.md "MTU: 1380 by default": 16 bytes) */
	NODE_RELAY_HEADROOM = 16,
	NODE_SLOT_CAP = WG_HEADROOM + NODE_MTU_MAX + WG_TAILROOM, /* 1468: a slot's usable bytes */
	NODE_TX_SLOT = NODE_RELAY_HEADROOM + NODE_SLOT_CAP,       /* 1484: its storage */
	NODE_PREFIXES_MAX = 2 + REC_MAX_ROUTES, /* a peer's /32, /128 and routes */
	NODE_UNSEALED_QUEUE = 16,       /* unsealed replies waiting to be sent */
	NODE_UNSEALED_MAX = REC_DGRAM_MAX, /* 1200: an unsealed datagram at most */
	NODE_STASH = 8,                 /* initiations from unknown keys kept (node_internal.h) */
};
_Static_assert((int)NODE_SLOT_CAP >= (int)SWIM_MTU, "a gossip datagram fits a slot");

/* Authenticated WireGuard traffic from a peer is told to swim at most this
 * often: well under a probe timeout (500 ms LAN), so a probe running
 * while traffic flows is acked, at one hash lookup per peer per interval
 * rather than per packet. */
#define NODE_EVIDENCE_INTERVAL_NS (100 * MN_NS_PER_MS)

/* ---- the transmit batch ---- */

struct node_tx {
	struct mn_addr dst;
	uint8_t *buf;               /* a slot of the batch (NODE_RELAY_HEADROOM bytes free
				     * in front) */
	size_t len;
};

/* Caller-owned (about 96 KiB: allocate it, don't put it on a small stack).
 * tx[0 .. n) are ready to send; send them, then node_txb_reset. */
struct node_txb {
	uint32_t n;
	struct node_tx tx[NODE_TX_BATCH];
	uint8_t slot[NODE_TX_BATCH][NODE_TX_SLOT];
};

void node_txb_reset(struct node_txb *b);
/* The next free slot (NODE_SLOT_CAP bytes, with NODE_RELAY_HEADROOM more in
 * front of it that a relayed send may use), NULL when the batch is full. A
 * TUN packet for node_tun_in is read to slot + WG_HEADROOM. */
uint8_t *node_txb_slot(struct node_txb *b);

/* ---- actions for the driver ---- */

enum node_action_kind {
	NODE_ACT_ADDR,      /* put our own overlay address on the TUN device (prefix:
			     * the /32 or /128; at node_new) */
	NODE_ACT_ROUTE_ADD, /* route prefix into the TUN device (a member's address or route) */
	NODE_ACT_ROUTE_DEL, /* remove that route */
	NODE_ACT_REVOKED,   /* our own key was revoked: every member drops us; stop */
};

struct node_action {
	enum node_action_kind kind;
	struct mn_prefix prefix;    /* ADDR, ROUTE_* */
	const uint8_t *member;      /* ROUTE_*: the member's node key (during the call) */
};

/* ---- counters ---- */

#define NODE_STAT_MAP(X)                                              \
	X(RX_WG, "WireGuard datagrams received")                      \
	X(RX_CONTROL, "control datagrams received")                   \
	X(RX_STUN, "STUN datagrams received (dropped: no STUN yet)")   \
	X(RX_OTHER, "datagrams of no kind (dropped)")                 \
	X(RX_WG_DROPPED, "WireGuard datagrams the core dropped")       \
	X(RX_CONTROL_DROPPED, "control datagrams dropped")            \
	X(RX_CONTROL_UNHANDLED, "sealed messages of a type nobody handles") \
	X(TUN_OUT, "IP packets for the TUN device")                   \
	X(TUN_IN_DROPPED, "TUN packets dropped")                      \
	X(TX_WG, "WireGuard datagrams queued for sending")             \
	X(TX_CONTROL, "control datagrams queued for sending")         \
	X(TX_UNSEALED, "unsealed datagrams queued (join replies)")    \
	X(TX_UNSEALED_DROPPED, "unsealed datagrams dropped: queue full or too long") \
	X(PEERS_ADDED, "members made WireGuard peers")                \
	X(PEERS_REMOVED, "peers torn down")                           \
	X(PEER_NO_KEY, "members whose key does not convert to X25519") \
	X(PEER_FAILED, "members not made peers: table full or no memory") \
	X(PREFIX_CONFLICT, "prefixes not installed: held by another member") \
	X(PREFIX_FAILED, "prefixes not installed: no memory")         \
	X(PATH_CHANGES, "WireGuard endpoints moved by the path chooser") \
	X(EVIDENCE, "authenticated WireGuard traffic told to swim")  \
	X(STASHED, "initiations from no peer kept for its record")    \
	X(REPLAYED, "kept initiations accepted once the record came") \
	X(LOCAL_MOVES, "our own addresses changed (node_local_addrs_changed)") \
	X(MOVE_KEEPALIVES, "keepalives sent because our address changed") \
	X(INTRODUCED, "HELLOs to a member our traffic waits on (peer_on_staged)")

enum node_stat {
#define NODE_STAT_ENUM(n, s) NODE_STAT_##n,
	NODE_STAT_MAP(NODE_STAT_ENUM)
#undef NODE_STAT_ENUM
	NODE_STAT__COUNT
};

const char *node_stat_name(enum node_stat st);

/* ---- the node ---- */

struct node;

struct node_config {
	/* swim's configuration (key, record, store, memo, rng, ...). Its event
	 * callback still gets every event, after the node handled it; the
	 * node sets addr_changed and control (and their context) itself. */
	struct swim_config swim;
	uint32_t mtu;                /* tunnel MTU; 0: NODE_MTU_DEFAULT; else NODE_MTU_MIN ..
				      * NODE_MTU_MAX */
	void (*action)(void *ctx, const struct node_action *a); /* may be NULL */
	void *action_ctx;
	/* A control datagram that is not swim's: tried before swim with the
	 * raw datagram (the join protocol's unsealed messages). Returns
	 * MN_ENOENT when it is not one of its own (then swim gets it), else
	 * its result. May be NULL. */
	int (*unsealed)(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
			struct mn_time now);
	/* A sealed message of a type swim does not own, from a member (the
	 * open channel: NAT discovery and relay control come here). May be
	 * NULL: such messages are counted (RX_CONTROL_UNHANDLED) and dropped. */
	int (*control)(void *ctx, const struct swim_control *msg, struct mn_time now);
	void *hook_ctx;              /* for unsealed and control */
};

/* Creates the swim instance (SWIM_EV_BOOT reaches cfg->swim.event inside)
 * and the WireGuard device keyed with our identity key converted to
 * X25519, then emits NODE_ACT_ADDR for our overlay /32 and /128. */
int node_new(struct node **out, const struct node_config *cfg, struct mn_time now);
/* Frees everything and wipes secrets. NULL is fine. */
void node_del(struct node *n);

struct swim *node_swim(const struct node *n);
struct wg_dev *node_wg(const struct node *n);

/* ---- events from the driver ---- */

/* One received datagram (node_recv_batch's unit). */
struct node_rx {
	/* in */
	struct mn_addr from;
	struct mn_addr local;       /* where it arrived; AF_UNSPEC: unknown */
	uint8_t *buf;               /* may be modified in place */
	size_t len;
	/* out */
	enum demux_kind kind;
	int rc;                     /* 1: an IP packet for the TUN at buf[pkt_off ..
				     * pkt_off + pkt_len); 0: consumed; < 0: dropped */
	size_t pkt_off, pkt_len;
};

/* Handle rx[0 .. n): control, handshakes (everything demux_is_urgent)
 * first, in order, then WireGuard data, in order. Returns how many carry
 * an IP packet for the TUN (rc == 1). */
uint32_t node_recv_batch(struct node *n, struct node_rx *rx, uint32_t count, struct mn_time now);

/* One datagram from `from`, as node_recv_batch; returns its rc. */
int node_recv(struct node *n, const struct mn_addr *from, uint8_t *buf, size_t len,
	      struct mn_time now, size_t *pkt_off, size_t *pkt_len);

/* A WireGuard datagram that arrived through relay `relay` (the relay
 * client unwrapped it): authenticated like any other, it never moves the
 * peer's direct path. The seam the relays will use. */
int node_recv_relayed(struct node *n, const struct mn_addr *relay, uint8_t *buf, size_t len,
		      struct mn_time now, size_t *pkt_off, size_t *pkt_len);

/* An IP packet read from the TUN to node_txb_slot(b) + WG_HEADROOM, len
 * bytes (len <= the MTU). 1: encrypted in place and added to the batch;
 * 0: held (a handshake runs; node_poll_tx releases it later); < 0:
 * dropped (MN_ENOROUTE no member has the destination; MN_EFULL the batch
 * is full; MN_EMSGSIZE over the MTU; ...). */
int node_tun_in(struct node *n, struct node_txb *b, size_t len, struct mn_time now);

/* Move queued datagrams (gossip first, then WireGuard) into free slots of
 * b. Returns how many were added: call again after sending a full batch. */
uint32_t node_poll_tx(struct node *n, struct node_txb *b);

/* Earliest mono time node_on_timer has work; MN_NEVER for none. */
mn_ns node_next_deadline(const struct node *n);
void node_on_timer(struct node *n, struct mn_time now);
/* The host's addresses changed (the daemon watches them; a laptop moved, a
 * DHCP renewal): a WireGuard keepalive to every member with a session, so
 * it roams to where the keepalive came from at once; our signed address
 * announcement of addrs (naddrs endpoints where members should send to us,
 * the preferred first; none: no announcement), gossip passes it on
 * (swim_set_local_addrs); and swim_local_addr_changed (which re-proves our
 * address to every member, those without a session too). Poll both cores'
 * output after. */
void node_local_addrs_changed(struct node *n, const struct mn_addr *addrs, uint32_t naddrs,
			      struct mn_time now);

/* ---- the node's own sealed messages ---- */

/* Their types (swim owns SWIM_T_OWN_FIRST .. SWIM_T_OWN_LAST; NAT discovery
 * and relay control take the next numbers). */
enum node_msg_type {
	NODE_T_READMIT = 0x20, /* an admission countersigned by the root for the
				* receiver's own join (doc/membership.md "Kick") */
	NODE_T_REVOKED = 0x21, /* a tombstone against the receiver, from the node
				* that signed it */
	NODE_T_LEFT = 0x22,    /* the sender's last record: it left (REC_MEM_LEFT) */
	NODE_T_ADMIN = 0x23,   /* from the root: a grant and its admin key's seed */
	NODE_T_ADMIN_ACK = 0x24, /* the grant was kept: the admin key */
};
_Static_assert((int)NODE_T_READMIT > (int)SWIM_T_OWN_LAST, "not a type swim owns");

/* Send a sealed message of a type swim does not own to member pk, over
 * the pair's gossip channel (swim_send_control; its errors). It leaves
 * with the next node_poll_tx. */
int node_send_control(struct node *n, const uint8_t pk[REC_PK_LEN], uint8_t type,
		      const uint8_t *pt, size_t len);

/* ---- unsealed datagrams ---- */

/* Queue an unsealed datagram (a join reply: doc/join.md) for dst: copied
 * into a ring of NODE_UNSEALED_QUEUE datagrams of at most
 * NODE_UNSEALED_MAX bytes, sent first by the next node_poll_tx. MN_EFULL
 * when the ring is full, MN_EMSGSIZE when buf is too long (both counted:
 * TX_UNSEALED_DROPPED). The one call that may be made from inside a
 * callback (the unsealed hook answers through it). */
int node_send_unsealed(struct node *n, const struct mn_addr *dst, const uint8_t *buf,
		       size_t len);

/* ---- queries ---- */

struct node_peer_info {
	uint8_t wg_pk[WG_KEY_LEN];   /* its X25519 key */
	struct path path;            /* a copy */
	struct path_choice choice;   /* what the chooser says */
	uint32_t nprefixes;
	struct mn_prefix prefixes[NODE_PREFIXES_MAX]; /* installed, in order */
};
/* MN_ENOENT when pk is not a peer (not a member, or not installable). */
int node_peer(const struct node *n, const uint8_t pk[REC_PK_LEN], struct node_peer_info *out);
uint32_t node_peer_count(const struct node *n);
uint64_t node_stat(const struct node *n, enum node_stat st);
uint32_t node_mtu(const struct node *n);

#endif
