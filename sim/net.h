/* net.h - the simulator's network model.
 *
 * Hosts sit on one IPv4 underlay, 198.18.0.0/15 (RFC 2544 benchmarking
 * space, the range DESIGN.md §9 reserves for tests): 198.18.0.0/16 holds the
 * addresses visible on the open network, 198.19.0.0/16 is left for the
 * inside of NAT realms (each realm may reuse it). Every host listens on one
 * UDP port.
 *
 * A datagram from host A to host B takes
 *
 *   access(A) + core(region(A), region(B)) + access(B) + jitter
 *
 * where access latencies are drawn per host, core latencies per region pair
 * (both once, when the network is built), and jitter uniformly per packet in
 * [0, jitter]; packets overtaking each other under jitter is the model's
 * reordering. Loss and duplication are independent per packet, decided in
 * parts per million with integer draws. Partitions assign hosts to groups
 * and block traffic from one group to another; blocking both directions is
 * a symmetric partition, one direction a one-way partition. A packet is
 * checked against partitions when it is sent and again when it arrives, so
 * nothing crosses a cut while the cut is up.
 *
 * Middleboxes (the seam for NAT boxes): a host may sit behind another host
 * whose `mbox` ops are set. Its outgoing datagrams pass through the box's
 * egress (which rewrites the source or drops), and a datagram arriving at a
 * box's address passes its ingress (which picks the inside host and
 * rewrites the destination, or drops). Boxes nest (carrier-grade NAT behind
 * a home router) up to NET_MAX_MBOX_DEPTH. See sim/README.md.
 *
 * All randomness comes from the rng given at net_new, drawn in a fixed
 * order per packet, so the network replays from its seed.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"

#define NET_UNDERLAY_V4 0xc6120000u     /* 198.18.0.0 */
#define NET_UNDERLAY_BITS 15
#define NET_PUBLIC_V4 0xc6120000u       /* 198.18.0.0/16: open network */
#define NET_INSIDE_V4 0xc6130000u       /* 198.19.0.0/16: NAT realms */
#define NET_DEFAULT_PORT 51820
#define NET_NOBODY UINT32_MAX
#define NET_PPM 1000000u

enum net_limits {
	NET_MAX_HOSTS = 65000,       /* fits the public /16 with room to move */
	NET_MAX_REGIONS = 16,
	NET_MAX_GROUPS = 16,
	NET_MAX_MBOX_DEPTH = 4,
	NET_PUBLIC_SLOTS = 1 << 16,  /* addresses in 198.18.0.0/16 */
};
#define NET_MAX_LATENCY_NS (4 * MN_NS_PER_SEC) /* any one latency or jitter */

/* Why the network dropped a datagram; counted per reason. */
#define NET_DROP_MAP(X)                                          \
	X(LOSS, "random loss")                                   \
	X(PARTITION, "partitioned")                              \
	X(NO_HOST, "no host at the address")                     \
	X(NO_PORT, "nothing listening on the port")              \
	X(BAD_ADDR, "not an underlay address")                   \
	X(FILTERED, "dropped by a middlebox")                    \
	X(OVERSIZE, "larger than the path MTU")                  \
	X(QUEUE, "too many datagrams in flight")                 \
	X(DOWN, "receiver is down")                              \
	X(RCVBUF, "receiver paused and its buffer is full")

enum net_drop {
#define NET_DROP_ENUM(n, s) NET_DROP_##n,
	NET_DROP_MAP(NET_DROP_ENUM)
#undef NET_DROP_ENUM
	NET_DROP__COUNT
};

const char *net_drop_name(enum net_drop d); /* "loss", "partition", ... */

struct net_params {
	mn_ns access_min_ns, access_max_ns; /* per host, one way */
	mn_ns core_intra_ns;                /* between hosts of one region */
	mn_ns core_min_ns, core_max_ns;     /* between regions, per pair */
	mn_ns jitter_ns;                    /* per packet, uniform [0, jitter] */
	uint32_t regions;                   /* 1 .. NET_MAX_REGIONS */
	uint32_t loss_ppm, dup_ppm;
};

/* Fill p from a named profile ("lan", "wan"); MN_ENOENT if unknown. */
int net_profile(const char *name, struct net_params *p);
/* MN_ERANGE when a latency exceeds NET_MAX_LATENCY_NS, a rate 100%, or
 * regions is out of range; min > max is MN_EINVAL. */
int net_params_check(const struct net_params *p);

struct net_mbox_ops {
	/* A datagram from inside host `host` to dst: rewrite *src to the
	 * outside address (or leave it) and return true, or false to drop. */
	bool (*egress)(void *ctx, uint32_t host, struct mn_addr *src, const struct mn_addr *dst,
		       mn_ns now);
	/* A datagram from src arrived at the box's outside address *dst: set
	 * *host to the inside host, rewrite *dst, and return true; false to
	 * drop (no mapping, or filtered). */
	bool (*ingress)(void *ctx, const struct mn_addr *src, struct mn_addr *dst, uint32_t *host,
			mn_ns now);
};

struct net_host {
	uint32_t ip;          /* host byte order; 0 = no address */
	uint16_t port;
	uint8_t region;
	uint8_t group;        /* partition group, 0 when healed */
	mn_ns access_ns;
	uint32_t upstream;    /* the middlebox in front of it, or NET_NOBODY */
	const struct net_mbox_ops *mbox; /* non-NULL: this host is a middlebox */
	void *mbox_ctx;
};

struct net {
	struct net_params p;
	struct mn_rng rng;
	struct net_host *hosts;
	uint32_t nhosts, maxhosts;
	uint32_t *owner;      /* NET_PUBLIC_SLOTS: address offset -> host */
	uint32_t next_addr;   /* allocation cursor in the public /16 */
	mn_ns core_ns[NET_MAX_REGIONS][NET_MAX_REGIONS];
	uint32_t blocked[NET_MAX_GROUPS]; /* bit g of blocked[f]: f -> g dropped */
	uint64_t drops[NET_DROP__COUNT];
	uint64_t sent, delivered, duplicated;
};

/* What happens to one datagram, decided at send time. */
struct net_fate {
	uint32_t copies;      /* 0 (dropped: see reason), 1, or 2 (duplicated) */
	enum net_drop reason;
	mn_ns delay_ns[2];
	struct mn_addr src;   /* the source after any egress middleboxes */
	uint32_t to;          /* the host that owns the destination now */
};

/* rng is copied; its ctx must outlive the network. Region latencies are
 * drawn here. */
int net_new(struct net **out, const struct net_params *p, const struct mn_rng *rng,
	    uint32_t maxhosts);
void net_del(struct net *n);
/* Change loss, dup, jitter while running (region and access latencies are
 * fixed at creation). */
int net_set_params(struct net *n, const struct net_params *p);

/* Add a host on the open network with the next free public address, a
 * region drawn round-robin, and an access latency drawn from the params.
 * MN_EFULL past maxhosts or when the /16 is exhausted. */
int net_host_add(struct net *n, uint32_t *id);
/* Give a host a new public address (its old one is released); in-flight
 * datagrams to the old address find nobody there. */
int net_host_move(struct net *n, uint32_t id);
void net_host_addr(const struct net *n, uint32_t id, struct mn_addr *out);
/* The host that owns a public address, or NET_NOBODY. */
uint32_t net_lookup(const struct net *n, const struct mn_addr *a);

/* Middlebox seam: make host `box` a middlebox, and put `inside` behind it. */
void net_host_set_mbox(struct net *n, uint32_t box, const struct net_mbox_ops *ops, void *ctx);
void net_host_set_upstream(struct net *n, uint32_t inside, uint32_t box);

/* Partitions. */
void net_set_group(struct net *n, uint32_t host, uint32_t group);
void net_block(struct net *n, uint32_t from_group, uint32_t to_group);
/* Unblock everything and put every host back in group 0. */
void net_heal(struct net *n);
bool net_blocked(const struct net *n, uint32_t from_host, uint32_t to_host);

/* Decide the fate of a datagram of len bytes from host src to dst. Counts
 * drops (except QUEUE/DOWN/RCVBUF, which the engine counts itself). */
void net_send(struct net *n, uint32_t src, const struct mn_addr *dst, size_t len, mn_ns now,
	      struct net_fate *f);
/* A datagram sent by host src_host arrives: resolve its receiver through
 * any ingress middleboxes. true with *host set (and *dst possibly rewritten),
 * or false with *reason (counted). */
bool net_arrive(struct net *n, uint32_t src_host, const struct mn_addr *src,
		struct mn_addr *dst, mn_ns now, uint32_t *host, enum net_drop *reason);

static inline void net_count_drop(struct net *n, enum net_drop r)
{
	n->drops[r]++;
}

/* IPv4 helpers, host byte order. */
void net_addr_v4(struct mn_addr *a, uint32_t ip, uint16_t port);
bool net_addr_get_v4(const struct mn_addr *a, uint32_t *ip, uint16_t *port);

#endif
