/* path.h - how the node reaches one peer (DESIGN.md §3: "a peer's endpoint
 * is a path: a direct address, or through relay R").
 *
 * A path holds the peer's direct remote address, the local address its
 * direct traffic arrives on, and the relay it can be reached through. The
 * chooser (path_choose) owns the choice; today it is trivial: the direct
 * address when one is known, else the relay, else none. Measured choice
 * (same LAN > direct > relay by RTT, DESIGN.md §6) replaces it later
 * without changing what feeds it.
 *
 * Where a direct address comes from, weakest first (enum path_src):
 *   HINT    gossip told us: the address learned with the member's record,
 *           or another member's view of it
 *   PROVEN  the member showed it is there: its sealed gossip from that
 *           address with a token we sent there echoed (swim's "direct"),
 *           or authenticated WireGuard traffic that arrived from there
 *           directly (WireGuard's roaming); or it said so itself, in its
 *           signed address announcement, naming where it was as the
 *           address we held (swim's "announced", gossip/swim_ann.c)
 * A new address replaces the current one when it is at least as strong,
 * or when the current one was last confirmed PATH_STALE_NS ago or more (a
 * member that moved and sends nothing is still found through gossip).
 * A packet that arrived through a relay never moves the direct address
 * (DESIGN.md §3): only the relay's last use is noted.
 *
 * Pure: no allocation, no I/O; time is passed in. */
#ifndef NODE_PATH_H
#define NODE_PATH_H

#include <stdbool.h>

#include "mn_addr.h"
#include "mn_time.h"

/* A proven direct address that nothing confirmed for this long yields to
 * a hint: WireGuard's REJECT_AFTER_TIME, by which a working session has
 * re-keyed over its path (so has been confirmed) at least once. */
#define PATH_STALE_NS (180 * MN_NS_PER_SEC)

enum path_src {
	PATH_SRC_NONE = 0,
	PATH_SRC_HINT,
	PATH_SRC_PROVEN,
};

enum path_kind {
	PATH_NONE = 0,  /* no way to reach it known */
	PATH_DIRECT,    /* dst is the peer's own address */
	PATH_RELAY,     /* dst is the relay's address (the seam: no relays yet) */
};

struct path {
	struct mn_addr remote;   /* direct address; AF_UNSPEC: none */
	enum path_src src;       /* how remote was learned */
	mn_ns confirmed;         /* when remote was last offered or confirmed */
	struct mn_addr local;    /* where its last direct packet arrived; AF_UNSPEC: unknown */
	struct mn_addr relay;    /* a relay it is reached through; AF_UNSPEC: none */
	mn_ns relay_rx;          /* last packet through a relay (0: none) */
};

/* What the node knows of an authenticated packet from the peer. */
struct path_rx {
	const struct mn_addr *from;  /* its source: the peer, or the relay */
	const struct mn_addr *local; /* where it arrived; NULL: unknown */
	const struct mn_addr *relay; /* NULL: it came directly; else the relay it came through */
};

struct path_choice {
	enum path_kind kind;
	struct mn_addr dst;      /* where to send: the peer (DIRECT) or the relay (RELAY) */
};

void path_init(struct path *p);

/* An address gossip gives for the peer, with its strength. true when the
 * choice changed (path_choose gives another answer). */
bool path_offer(struct path *p, const struct mn_addr *addr, enum path_src src, mn_ns now);

/* An authenticated packet from the peer. Direct: its source becomes (or
 * confirms) the direct address, PROVEN, and its local address is kept.
 * Through a relay: the direct address stays. true when the choice changed. */
bool path_on_rx(struct path *p, const struct path_rx *rx, mn_ns now);

/* The relay the peer is reached through, from its announcement (NULL:
 * none). true when the choice changed. */
bool path_set_relay(struct path *p, const struct mn_addr *relay);

/* The chooser: the direct address when known, else the relay, else none. */
void path_choose(const struct path *p, struct path_choice *out);

#endif
