/* wg.h - the WireGuard device: a sans-I/O core.
 *
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s exactly as the WireGuard paper and
 * wireguard-go speak it: handshake initiation/response, cookie replies under
 * load, transport data with a replay window, the paper's timers, roaming,
 * preshared keys and cryptokey routing.
 *
 * The device never does I/O and never reads a clock or an RNG of its own.
 * The driver feeds it events and sends what it returns:
 *
 *   tun packet   -> wg_dev_tun_in()  -> a datagram to send (in place), or staged
 *   datagram     -> wg_dev_udp_in()  -> an IP packet for the TUN (in place), or nothing
 *   after either, and after wg_dev_on_timer():
 *                   wg_dev_poll_tx() until it returns 0 (handshakes, cookie
 *                   replies, keepalives, packets released by a handshake)
 *   deadline     -> wg_dev_next_deadline(); call wg_dev_on_timer() when it passes
 *
 * Ownership: the device owns its peers; a struct wg_peer pointer stays valid
 * until wg_dev_peer_remove() or wg_dev_del(). Buffers passed in stay the
 * caller's; the device writes into them only where documented.
 */
#ifndef WG_H
#define WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"

#define WG_KEY_LEN 32

/* Message types and sizes (WireGuard paper §5.4). */
enum {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
};
#define WG_INITIATION_LEN 148
#define WG_RESPONSE_LEN 92
#define WG_COOKIE_LEN 64
#define WG_DATA_HEADER_LEN 16 /* type(4) receiver(4) counter(8) */
#define WG_DATA_MIN_LEN 32    /* header + poly1305 tag, keepalive */

/* The in-place data path: an IP packet handed to wg_dev_tun_in() sits at
 * buf + WG_HEADROOM and the buffer must have room for the transport header
 * in front and padding plus tag behind: cap >= WG_HEADROOM + len + WG_TAILROOM. */
#define WG_HEADROOM WG_DATA_HEADER_LEN
#define WG_TAILROOM (16 + 16) /* pad to 16, poly1305 tag */
/* Largest datagram the device emits: MTU ceiling 65535 is not supported;
 * inner packets are at most WG_MAX_PACKET bytes. */
#define WG_MAX_PACKET (65535 - WG_HEADROOM - WG_TAILROOM)
#define WG_MAX_CONTROL 148   /* largest non-data message */

/* The paper's constants (§6.1), in nanoseconds or counts. */
#define WG_REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (UINT64_C(1) << 13))
#define WG_REKEY_AFTER_TIME (120 * MN_NS_PER_SEC)
#define WG_REJECT_AFTER_TIME (180 * MN_NS_PER_SEC)
#define WG_REKEY_ATTEMPT_TIME (90 * MN_NS_PER_SEC)
#define WG_REKEY_TIMEOUT (5 * MN_NS_PER_SEC)
#define WG_KEEPALIVE_TIMEOUT (10 * MN_NS_PER_SEC)
#define WG_COOKIE_SECRET_MAX_AGE (120 * MN_NS_PER_SEC)

/* Limits: everything bounded (STYLE.md). */
enum wg_limits {
	WG_MAX_PEERS = 1 << 16,
	WG_MAX_STAGED_PER_PEER = 128, /* packets held while a handshake runs */
	/* Bytes held in all peers' staged queues together (buffers with their
	 * head- and tailroom), so thousands of peers waiting for handshakes
	 * cannot hold thousands of queues: past it a packet to stage is
	 * dropped (STAGED_DEVICE_FULL) while its handshake still starts. Two
	 * peers' worth of full 64 KiB (offloaded) queues, ~11,000 packets of
	 * 1,420 bytes. Empty keepalives, one per peer at most, are not held
	 * to it. */
	WG_MAX_STAGED_BYTES = 16 << 20,
	/* Datagrams awaiting poll: control messages (each in one of as many
	 * preallocated WG_MAX_CONTROL-byte buffers) and released staged packets. */
	WG_MAX_TX_QUEUE = 1024,
	/* Above this rate of handshake messages the device is "under load" and
	 * answers with cookies: ~10% of a core of X25519, and well above what
	 * 65k peers rekeying every 120 s need (~550/s). */
	WG_MAX_HANDSHAKES_PER_SEC = 1024
};

/* Why an incoming datagram or TUN packet was dropped; counted per reason. */
#define WG_DROP_MAP(X)             \
	X(BAD_SIZE, "bad size")        \
	X(BAD_TYPE, "bad type")        \
	X(BAD_MAC1, "bad mac1")        \
	X(NEED_COOKIE, "under load, cookie required") \
	X(RATELIMITED, "under load, source over its rate") \
	X(BAD_HANDSHAKE, "handshake failed") \
	X(REPLAY_TIMESTAMP, "handshake timestamp replayed") \
	X(UNKNOWN_PEER, "unknown peer")  \
	X(UNKNOWN_INDEX, "unknown receiver index") \
	X(BAD_AUTH, "decryption failed") \
	X(REPLAY, "replayed counter")  \
	X(EXPIRED_KEY, "key expired") \
	X(NOT_ALLOWED, "source not in peer's allowed ips") \
	X(BAD_PACKET, "not an ip packet") \
	X(NO_ROUTE, "no peer for destination") \
	X(NO_ENDPOINT, "peer has no endpoint") \
	X(STAGED_FULL, "staged queue full") \
	X(STAGED_DEVICE_FULL, "device's staged bytes at their cap") \
	X(TX_FULL, "tx queue full") \
	X(NO_KEY, "device has no private key") \
	X(NO_MEMORY, "out of memory")

enum wg_drop {
#define WG_DROP_ENUM(n, s) WG_DROP_##n,
	WG_DROP_MAP(WG_DROP_ENUM)
#undef WG_DROP_ENUM
	WG_DROP__COUNT
};

const char *wg_drop_name(enum wg_drop d);

struct wg_dev;
struct wg_peer;

/* ---- device ---- */

/* rng is copied; its ctx must outlive the device. */
int wg_dev_new(struct wg_dev **out, const struct mn_rng *rng);
void wg_dev_del(struct wg_dev *dev);

/* Set (or with sk == NULL clear) the static private key. Changing it drops
 * every session and removes a peer whose public key equals the new one
 * (as wireguard-go does). The key is clamped. */
int wg_dev_set_private_key(struct wg_dev *dev, const uint8_t sk[WG_KEY_LEN]);
/* Copies the private/public key out; false when none is set. */
bool wg_dev_private_key(const struct wg_dev *dev, uint8_t sk[WG_KEY_LEN]);
bool wg_dev_public_key(const struct wg_dev *dev, uint8_t pk[WG_KEY_LEN]);

/* Tunnel MTU: padding never takes a packet past it (default 1420). */
void wg_dev_set_mtu(struct wg_dev *dev, uint32_t mtu);

/* Force "under load" (cookie replies instead of handshakes) regardless of rate. */
void wg_dev_force_under_load(struct wg_dev *dev, bool on);

/* Counter of drops by reason. */
uint64_t wg_dev_drops(const struct wg_dev *dev, enum wg_drop reason);

/* ---- peers ---- */

struct wg_peer *wg_dev_peer_find(const struct wg_dev *dev, const uint8_t pk[WG_KEY_LEN]);
/* Add a peer. MN_EEXIST (with *out set to it) when present, MN_EFULL past
 * WG_MAX_PEERS, MN_EINVAL for our own public key. */
int wg_dev_peer_add(struct wg_dev *dev, const uint8_t pk[WG_KEY_LEN], struct wg_peer **out);
void wg_dev_peer_remove(struct wg_dev *dev, struct wg_peer *peer);
void wg_dev_peer_remove_all(struct wg_dev *dev);
/* Iterate in insertion order: first with prev == NULL; NULL at the end. */
struct wg_peer *wg_dev_peer_next(const struct wg_dev *dev, const struct wg_peer *prev);

/* psk == NULL clears it (all zero is "none" too). */
void wg_peer_set_psk(struct wg_peer *peer, const uint8_t psk[WG_KEY_LEN]);
void wg_peer_set_endpoint(struct wg_peer *peer, const struct mn_addr *ep);
/* 0 disables. Setting a nonzero interval sends a keepalive at once when a
 * session exists (wireguard-go does the same). */
void wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t secs, mn_ns now);
/* A keepalive now if a session can send (no handshake is started for it):
 * after our own address changed, the peer roams to where it came from.
 * true if one was queued (poll_tx). */
bool wg_peer_keepalive_now(struct wg_peer *peer, struct mn_time now);
int wg_peer_allowedip_add(struct wg_peer *peer, const struct mn_prefix *p);
/* Remove one prefix if the peer owns it: O(its length). MN_ENOENT if not. */
int wg_peer_allowedip_remove(struct wg_peer *peer, const struct mn_prefix *p);
void wg_peer_allowedips_clear(struct wg_peer *peer);
/* The peer whose allowed IPs hold the address (family AF_INET with 4 bytes,
 * AF_INET6 with 16) by longest prefix, as cryptokey routing picks it; NULL
 * when none. */
struct wg_peer *wg_dev_allowedips_lookup(const struct wg_dev *dev, int family,
					 const uint8_t *addr);
/* The peer an IP packet (pkt, len bytes) is for, as wg_dev_tun_in routes
 * it; NULL when none or not an IP packet. */
struct wg_peer *wg_dev_route(const struct wg_dev *dev, const uint8_t *pkt, size_t len);
/* A pointer the device's owner keeps with the peer (NULL until set). */
void wg_peer_set_user(struct wg_peer *peer, void *user);
void *wg_peer_user(const struct wg_peer *peer);
/* The locked mark: the peer belongs to the device's owner (the mesh node
 * core marks its members' peers), and the UAPI may list it but not remove
 * it, change its settings or allowed IPs, nor give another peer a prefix
 * equal to or inside one of its own (uapi.c "Locked peers"). The device
 * itself treats a locked peer like any other; the owner still sets and
 * removes it with the calls above. A new peer is unlocked. A mark of its
 * own, not "has a user pointer": the pointer is the owner's bookkeeping,
 * the mark is a rule the UAPI enforces. */
void wg_peer_set_locked(struct wg_peer *peer, bool locked);
bool wg_peer_locked(const struct wg_peer *peer);
/* Whether any peer is locked: O(1). */
bool wg_dev_has_locked(const struct wg_dev *dev);
/* A locked peer holding p or a prefix containing it (the shortest such
 * prefix), NULL when none: O(p's length). A longer prefix of a locked peer
 * inside p does not count (cryptokey routing still picks it, as the
 * longest match). */
struct wg_peer *wg_dev_locked_covering(const struct wg_dev *dev, const struct mn_prefix *p);
/* Calls fn for each allowed prefix of the peer, in the order they were added
 * (as the kernel and wireguard-go list them); stops early when fn returns
 * false. Adding, clearing and listing cost O(the peer's prefixes). */
void wg_peer_allowedips_foreach(const struct wg_peer *peer,
				bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx);

struct wg_peer_info {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN]; /* all zero when none */
	struct mn_addr endpoint;            /* AF_UNSPEC when unknown */
	mn_ns last_handshake_wall;          /* 0 when never */
	uint64_t rx_bytes, tx_bytes;        /* whole datagrams, as wireguard-go counts */
	uint16_t persistent_keepalive_secs;
	/* The last completed handshake's round trip, 0 when none yet: on the
	 * initiator from its initiation to the response, on the responder from
	 * its response to the initiator's first message under the new session
	 * (data or the confirming keepalive, sent at once). Both include the
	 * other side's handshake work (one DH-heavy step, well under 1 ms). */
	mn_ns handshake_rtt;
};
void wg_peer_info(const struct wg_peer *peer, struct wg_peer_info *out);

/* ---- events ---- */

/* An IP packet read from the TUN device at buf + WG_HEADROOM, len bytes, in a
 * buffer of cap bytes (cap >= WG_HEADROOM + len + WG_TAILROOM).
 * Returns
 *   1  buf[0 .. *out_len) is a datagram to send to *dst (encrypted in place);
 *   0  the packet was copied to the peer's staged queue (a handshake is
 *      under way; poll_tx will emit it later) or otherwise consumed;
 *   <0 dropped and counted (MN_ENOROUTE: no peer for the destination,
 *      MN_EFULL: the device holds WG_MAX_STAGED_BYTES staged already, ...).
 * Any call may also queue handshake messages: poll_tx afterwards. */
int wg_dev_tun_in(struct wg_dev *dev, uint8_t *buf, size_t cap, size_t len,
		  struct mn_time now, struct mn_addr *dst, size_t *out_len);

/* A datagram of len bytes received from src. Returns
 *   1  buf[*pkt_off .. *pkt_off + *pkt_len) is an IP packet to write to the
 *      TUN device (decrypted in place);
 *   0  consumed (handshake, cookie reply, keepalive);
 *   <0 dropped and counted.
 * The datagram may be modified in place either way. */
int wg_dev_udp_in(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		  struct mn_time now, size_t *pkt_off, size_t *pkt_len);

/* For a caller that owns its peers' paths (the mesh node core: relays,
 * path choice): what it tells wg_dev_udp_in_ex about a datagram and what
 * it learns back. */
struct wg_rx_meta {
	bool no_roam;          /* in: keep the peer's endpoint (WireGuard's roaming
				* moves it to every authenticated source; the
				* caller sets endpoints itself) */
	struct wg_peer *peer;  /* out: the peer the datagram authenticated as (a
				* handshake message or a data packet, keepalive or
				* not, whatever the return value); NULL when none */
};
/* wg_dev_udp_in, with meta (which may be NULL). */
int wg_dev_udp_in_ex(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		     struct mn_time now, size_t *pkt_off, size_t *pkt_len,
		     struct wg_rx_meta *meta);

/* Take one queued outgoing datagram. Returns 1 and fills buf/len/dst, or 0
 * when the queue is empty. cap must be at least the largest queued datagram:
 * WG_HEADROOM + MTU + WG_TAILROOM; MN_EMSGSIZE if not (datagram dropped). */
int wg_dev_poll_tx(struct wg_dev *dev, uint8_t *buf, size_t cap, size_t *len,
		   struct mn_addr *dst);

/* Earliest time wg_dev_on_timer() has work; MN_NEVER when none. */
mn_ns wg_dev_next_deadline(const struct wg_dev *dev);
void wg_dev_on_timer(struct wg_dev *dev, struct mn_time now);

#endif
