/* wg_internal.h - the structures shared by the WireGuard device's modules,
 * split as the kernel's implementation is:
 *   wg.c            the device: keys, MTU, drop counters, lifecycle
 *   wg_peer.c       peers: the public-key table, lifecycle, settings  (wg_peer.h)
 *   wg_index.c      the receiver-index table                          (wg_index.h)
 *   wg_noise.c      the handshake                                     (wg_noise.h)
 *   wg_cookie.c     MAC1/MAC2 and cookie replies                      (wg_cookie.h)
 *   wg_timers.c     the paper's timers                                (wg_timers.h)
 *   wg_timerq.c     peers ordered by their next deadline              (wg_timerq.h)
 *   wg_send.c       the TUN side: encryption, staging, the control queue (wg_send.h)
 *   wg_receive.c    the UDP side: handshakes and decryption
 *   wg_ratelimit.c  handshake admission under load                    (wg_ratelimit.h)
 * Not for use outside wg/. */
#ifndef WG_INTERNAL_H
#define WG_INTERNAL_H

#include "allowedips.h"
#include "wg.h"
#include "wg_crypto.h"
#include "wg_index.h"
#include "wg_ratelimit.h"
#include "wg_replay.h"
#include "wg_timerq.h"

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
	struct allowedips_owner allowedips; /* its prefixes in dev->table */
	uint8_t psk[32];
	/* DH(S_priv, S_pub peer), computed at the first handshake that needs
	 * it (not when the peer is added: a mesh adds thousands at once) and
	 * forgotten when our private key changes (wg_noise.c). */
	uint8_t ss[32];
	bool ss_known; /* ss_valid and ss are computed for the current key */
	bool ss_valid; /* the DH gave a usable (non-zero) result */
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

	/* timers: absolute monotonic deadlines, MN_NEVER when not armed;
	 * wg_timers.c folds them into `deadline`, the peer's key in dev->timerq */
	mn_ns t_retransmit;
	mn_ns t_send_keepalive;
	mn_ns t_new_handshake;
	mn_ns t_zero_keys;
	mn_ns t_persistent_keepalive;
	mn_ns deadline;    /* the earliest of the five */
	size_t timerq_pos; /* index in dev->timerq, WG_TIMERQ_NONE when idle */
	unsigned handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	bool sent_any_handshake;
	mn_ns last_sent_handshake;
	mn_ns handshake_rtt; /* the last handshake's round trip, 0 unknown (wg_peer_info) */

	mn_ns last_handshake_wall;
	uint16_t keepalive_secs;
	uint64_t rx_bytes, tx_bytes;

	struct wg_staged staged[WG_MAX_STAGED_PER_PEER];
	unsigned staged_head, staged_count;

	void *user; /* the device owner's (wg_peer_set_user) */
	bool locked; /* the device owner's, not the UAPI's (wg_peer_set_locked) */
};

struct wg_tx {
	uint8_t *buf; /* a released staged packet's own, or one of dev->control_bufs */
	size_t len;
	struct mn_addr dst;
	bool control; /* buf is a control buffer: back to dev->control_free once sent */
};

/* The public-key table (wg_peer.c) starts with 1 << WG_PEER_MIN_BITS
 * buckets and doubles whenever the peers outnumber them. */
#define WG_PEER_MIN_BITS 4

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
	struct wg_ratelimit ratelimit;

	struct wg_peer *peers_first, *peers_last;
	size_t n_peers;
	size_t n_locked; /* peers with the locked mark */
	struct wg_peer **peer_buckets; /* 1 << peer_bits of them */
	unsigned peer_bits;
	uint8_t peer_hash_key[16];
	struct wg_index_table index;
	struct allowedips table;
	struct wg_timerq timerq; /* peers with a timer armed, by deadline */

	struct wg_tx txq[WG_MAX_TX_QUEUE];
	unsigned tx_head, tx_count;
	/* Control messages wait in these, WG_MAX_TX_QUEUE of them allocated
	 * with the device, so queuing one never allocates (wg_send.c). */
	uint8_t (*control_bufs)[WG_MAX_CONTROL];
	uint16_t control_free[WG_MAX_TX_QUEUE]; /* indices of the free ones, a stack */
	unsigned n_control_free;
	size_t staged_bytes; /* all peers' staged buffers, <= WG_MAX_STAGED_BYTES + keepalives */

	uint64_t drops[WG_DROP__COUNT];
};

/* Count a drop by reason (wg.c). */
void wg_drop(struct wg_dev *dev, enum wg_drop reason);

#endif
