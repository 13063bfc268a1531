/* wg_internal.h - structures shared by the WireGuard device's modules
 * (wg.c: device, peers, timers, data path; wg_noise.c: handshake;
 * wg_cookie.c: MAC1/MAC2 and cookie replies). Not for use outside node/wg*. */
#ifndef WG_INTERNAL_H
#define WG_INTERNAL_H

#include "allowedips.h"
#include "wg.h"
#include "wg_crypto.h"
#include "wg_replay.h"

/* An entry of the device's receiver-index table: our 32-bit index for a
 * handshake in progress or a keypair, chained in a hash bucket. */
struct wg_index {
	uint32_t id;
	bool linked;
	struct wg_peer *peer;
	struct wg_keypair *kp; /* NULL: the peer's handshake */
	struct wg_index *next;
};

struct wg_keypair {
	struct wg_index entry; /* our (receiver) index */
	uint32_t remote_index;
	uint8_t send_key[32];
	uint8_t recv_key[32];
	uint64_t send_counter;
	struct wg_replay replay;
	mn_ns created;
	bool initiator;
};

enum wg_hs_state {
	WG_HS_ZEROED,
	WG_HS_CREATED_INITIATION,
	WG_HS_CONSUMED_INITIATION,
	WG_HS_CREATED_RESPONSE,
	WG_HS_CONSUMED_RESPONSE,
};

struct wg_handshake {
	enum wg_hs_state state;
	struct wg_index entry;
	uint32_t remote_index;
	uint8_t e_priv[32];
	uint8_t remote_e[32];
	uint8_t chain[32]; /* C */
	uint8_t hash[32];  /* H */
	uint8_t latest_timestamp[WG_TAI64N_LEN];
	mn_ns last_initiation_consumption;
	bool have_consumed; /* last_initiation_consumption is meaningful */
};

struct wg_staged {
	uint8_t *buf; /* packet at buf + WG_HEADROOM, capacity len + head + tail */
	size_t len;
};

struct wg_peer {
	struct wg_dev *dev;
	struct wg_peer *list_prev, *list_next; /* insertion order */
	struct wg_peer *hash_next;             /* by public key */

	uint8_t public_key[32];
	uint8_t psk[32];
	uint8_t ss[32]; /* precomputed DH(S_priv, S_pub peer) */
	bool ss_valid;
	uint8_t mac1_key[32];   /* HASH(LABEL_MAC1 ‖ peer public) */
	uint8_t cookie_key[32]; /* HASH(LABEL_COOKIE ‖ peer public) */

	struct mn_addr endpoint;
	struct wg_handshake hs;
	struct wg_keypair *cur, *prev, *next;

	/* cookie maker (the initiator's side of §5.4.7) */
	uint8_t last_mac1[WG_MAC_LEN];
	bool have_last_mac1;
	uint8_t cookie[WG_MAC_LEN];
	mn_ns cookie_birth;
	bool cookie_valid;

	/* timers: absolute monotonic deadlines, MN_NEVER when not armed */
	mn_ns t_retransmit;
	mn_ns t_send_keepalive;
	mn_ns t_new_handshake;
	mn_ns t_zero_keys;
	mn_ns t_persistent_keepalive;
	unsigned handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	bool sent_any_handshake;
	mn_ns last_sent_handshake;

	mn_ns last_handshake_wall;
	uint16_t keepalive_secs;
	uint64_t rx_bytes, tx_bytes;
	size_t n_allowed;

	struct wg_staged staged[WG_MAX_STAGED_PER_PEER];
	unsigned staged_head, staged_count;
};

struct wg_tx {
	uint8_t *buf;
	size_t len;
	struct mn_addr dst;
};

/* Per-source token buckets for handshakes under load (the kernel's
 * ratelimiter): WG_RATELIMIT_PER_SEC per IPv4 /32 or IPv6 /64, bursts of
 * WG_RATELIMIT_BURST, in a fixed table indexed by a keyed hash (sources
 * that collide share a bucket; the key is secret, so nobody aims at one). */
#define WG_RATELIMIT_SLOTS (1u << 12)
#define WG_RATELIMIT_PER_SEC 20
#define WG_RATELIMIT_BURST 5
struct wg_bucket {
	mn_ns last;
	mn_ns tokens; /* in ns of allowance; one packet costs 1 s / PER_SEC */
};

#define WG_INDEX_BUCKETS (1u << 14)
#define WG_PEER_BUCKETS (1u << 12)

struct wg_dev {
	struct mn_rng rng;
	bool has_key;
	uint8_t priv[32];
	uint8_t pub[32];
	uint8_t mac1_key[32];   /* HASH(LABEL_MAC1 ‖ our public) */
	uint8_t cookie_key[32]; /* HASH(LABEL_COOKIE ‖ our public) */
	uint8_t hs_hash0[32];   /* HASH(HASH(CONSTRUCTION) ‖ IDENTIFIER) ‖ our public, responder's H0 */
	uint32_t mtu;

	/* cookie checker: secret rotated every WG_COOKIE_SECRET_MAX_AGE */
	uint8_t cookie_secret[32];
	mn_ns cookie_secret_birth;
	bool cookie_secret_valid;
	/* load estimate: handshakes seen in the current one-second window */
	mn_ns load_window_start;
	unsigned load_window_count;
	mn_ns under_load_until;
	bool force_under_load;

	struct wg_peer *peers_first, *peers_last;
	size_t n_peers;
	struct wg_peer *peer_buckets[WG_PEER_BUCKETS];
	uint8_t peer_hash_key[16];
	struct wg_index *index_buckets[WG_INDEX_BUCKETS];
	struct allowedips table;

	struct wg_tx txq[WG_MAX_TX_QUEUE];
	unsigned tx_head, tx_count;

	struct wg_bucket ratelimit[WG_RATELIMIT_SLOTS];
	uint8_t ratelimit_key[16];

	uint64_t drops[WG_DROP__COUNT];
};

/* wg.c internals used by the other modules */
/* Link e under a fresh random id, unique in the table. */
void wg_index_add(struct wg_dev *dev, struct wg_index *e);
void wg_index_del(struct wg_dev *dev, struct wg_index *e);
/* Link e under its preset id (moving an index from a handshake to a keypair). */
void wg_index_add_id(struct wg_dev *dev, struct wg_index *e);
struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id);
struct wg_peer *wg_peer_by_key(const struct wg_dev *dev, const uint8_t pk[32]);
void wg_drop(struct wg_dev *dev, enum wg_drop reason);

/* wg_noise.c: the handshake (paper §5.4.2-5.4.3). Functions return MN_OK
 * or an error; on error no state changes. */
void wg_noise_precompute(struct wg_peer *peer); /* ss, mac1/cookie keys */
void wg_noise_device_keys(struct wg_dev *dev);  /* device mac1/cookie keys, H0 */
void wg_handshake_clear(struct wg_dev *dev, struct wg_handshake *hs);
int wg_noise_create_initiation(struct wg_peer *peer, uint8_t msg[WG_INITIATION_LEN],
			       struct mn_time now);
/* On success *peer_out is the sender; its handshake is CONSUMED_INITIATION. */
int wg_noise_consume_initiation(struct wg_dev *dev, const uint8_t msg[WG_INITIATION_LEN],
				struct mn_time now, struct wg_peer **peer_out);
int wg_noise_create_response(struct wg_peer *peer, uint8_t msg[WG_RESPONSE_LEN]);
int wg_noise_consume_response(struct wg_dev *dev, const uint8_t msg[WG_RESPONSE_LEN],
			      struct wg_peer **peer_out);
/* Turn a finished handshake into a keypair and install it (initiator: as
 * current; responder: as next, confirmed by the first data packet). */
int wg_noise_begin_session(struct wg_peer *peer, struct mn_time now);
void wg_keypair_free(struct wg_dev *dev, struct wg_keypair *kp);

/* wg_cookie.c: MAC1/MAC2 and cookie replies (paper §5.4.4, §5.4.7). */
/* Write mac1 and mac2 of an outgoing handshake message of len bytes. */
void wg_cookie_add_macs(struct wg_peer *peer, uint8_t *msg, size_t len, mn_ns now);
bool wg_cookie_check_mac1(const struct wg_dev *dev, const uint8_t *msg, size_t len);
/* mac2 valid for a cookie bound to src. */
bool wg_cookie_check_mac2(struct wg_dev *dev, const uint8_t *msg, size_t len,
			  const struct mn_addr *src, mn_ns now);
/* Build a cookie reply to msg (whose sender index is at offset 4). */
void wg_cookie_create_reply(struct wg_dev *dev, uint8_t out[WG_COOKIE_LEN], const uint8_t *msg,
			    size_t len, const struct mn_addr *src, mn_ns now);
int wg_cookie_consume_reply(struct wg_dev *dev, const uint8_t msg[WG_COOKIE_LEN], mn_ns now);

#endif
