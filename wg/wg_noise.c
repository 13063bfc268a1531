/* wg_noise.c - the Noise_IKpsk2 handshake of WireGuard (paper §5.4.2-5.4.3).
 *
 * Each step is commented with the paper's notation. Intermediate secrets
 * live on the stack and are wiped at `out:` on every path; handshake state is
 * committed only after every check passed.
 */
#include "wg_noise.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg_peer.h"

static const char CONSTRUCTION[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char IDENTIFIER[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char LABEL_MAC1[] = "mac1----";
static const char LABEL_COOKIE[] = "cookie--";

/* Initiation layout: type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16) mac1 mac2 */
enum {
	INIT_SENDER = 4,
	INIT_EPHEMERAL = 8,
	INIT_STATIC = 40,
	INIT_TIMESTAMP = 88,
	INIT_MAC1 = 116,
};
/* Response layout: type(4) sender(4) receiver(4) ephemeral(32) empty(0+16) mac1 mac2 */
enum {
	RESP_SENDER = 4,
	RESP_RECEIVER = 8,
	RESP_EPHEMERAL = 12,
	RESP_EMPTY = 44,
	RESP_MAC1 = 60,
};
_Static_assert(INIT_MAC1 + 2 * WG_MAC_LEN == WG_INITIATION_LEN, "initiation size");
_Static_assert(RESP_MAC1 + 2 * WG_MAC_LEN == WG_RESPONSE_LEN, "response size");

/* Ci = HASH(CONSTRUCTION); Hi = HASH(HASH(Ci ‖ IDENTIFIER) ‖ Sr_pub) */
static void initial_chain_hash(uint8_t c[32], uint8_t h[32], const uint8_t responder_pub[32])
{
	wg_hash(c, CONSTRUCTION, sizeof(CONSTRUCTION) - 1);
	wg_hash2(h, c, 32, IDENTIFIER, sizeof(IDENTIFIER) - 1);
	wg_hash2(h, h, 32, responder_pub, 32);
}

/* H = HASH(H ‖ data) */
static void mix_hash(uint8_t h[32], const uint8_t *data, size_t len)
{
	wg_hash2(h, h, 32, data, len);
}

void wg_noise_device_keys(struct wg_dev *dev)
{
	uint8_t c[32];
	wg_hash2(dev->mac1_key, LABEL_MAC1, sizeof(LABEL_MAC1) - 1, dev->pub, 32);
	wg_hash2(dev->cookie_key, LABEL_COOKIE, sizeof(LABEL_COOKIE) - 1, dev->pub, 32);
	initial_chain_hash(c, dev->hs_hash0, dev->pub);
}

void wg_noise_peer_keys(struct wg_peer *peer)
{
	wg_hash2(peer->mac1_key, LABEL_MAC1, sizeof(LABEL_MAC1) - 1, peer->public_key, 32);
	wg_hash2(peer->cookie_key, LABEL_COOKIE, sizeof(LABEL_COOKIE) - 1, peer->public_key, 32);
}

void wg_noise_forget_static(struct wg_peer *peer)
{
	sodium_memzero(peer->ss, sizeof(peer->ss));
	peer->ss_known = peer->ss_valid = false;
}

/* DH(S_priv, S_pub peer) for the current private key: an X25519 at the
 * first handshake with the peer, then kept (the kernel precomputes it when
 * the peer is added; with thousands of peers added at once, most of which
 * may never talk to us, that is the one cost per peer worth deferring).
 * False when we have no key or the peer's key is a low-order point. */
static bool static_static(struct wg_peer *peer)
{
	struct wg_dev *dev = peer->dev;

	if (!dev->has_key)
		return false;
	if (!peer->ss_known) {
		peer->ss_valid = wg_dh(peer->ss, dev->priv, peer->public_key) == MN_OK;
		peer->ss_known = true;
	}
	return peer->ss_valid;
}

void wg_noise_handshake_clear(struct wg_dev *dev, struct wg_handshake *hs)
{
	/* Keep what guards against replay across handshakes. */
	uint8_t ts[WG_TAI64N_LEN];
	mn_ns last = hs->last_initiation_consumption;
	bool have = hs->have_consumed;
	struct wg_peer *peer = hs->entry.peer;

	memcpy(ts, hs->latest_timestamp, sizeof(ts));
	wg_index_del(dev, &hs->entry);
	sodium_memzero(hs, sizeof(*hs));
	memcpy(hs->latest_timestamp, ts, sizeof(ts));
	hs->last_initiation_consumption = last;
	hs->have_consumed = have;
	hs->entry.peer = peer;
	hs->state = WG_HS_ZEROED;
}

/* The secrets of one handshake step: on the stack, wiped at `out:` on every path. */
struct secrets {
	uint8_t c[32];      /* chaining key C */
	uint8_t h[32];      /* hash H */
	uint8_t k[32];      /* AEAD key κ */
	uint8_t tau[32];    /* τ, from the preshared key */
	uint8_t e_priv[32]; /* our ephemeral private key */
	uint8_t dh[32];     /* the latest DH result */
};

/* The keypair of the session a message completes, allocated once the
 * message proved itself and before it changes anything: running out of
 * memory then leaves the handshake, the replay guard and (in the caller)
 * the peer's endpoint as they were, and the same message can complete the
 * handshake later. */
static struct wg_keypair *keypair_new(void)
{
	return calloc(1, sizeof(struct wg_keypair));
}

static int new_ephemeral(struct wg_dev *dev, uint8_t priv[32], uint8_t pub[32])
{
	mn_rng_bytes(&dev->rng, priv, 32);
	wg_clamp(priv);
	return wg_pubkey(pub, priv);
}

/* Our message is complete: give the handshake a fresh receiver index (put
 * in the message's sender field) and keep what the next step needs. */
static void commit_created(struct wg_peer *peer, const uint8_t e_priv[32], const uint8_t c[32],
			   const uint8_t h[32], enum wg_hs_state state, uint8_t *sender_field)
{
	struct wg_handshake *hs = &peer->hs;

	wg_index_del(peer->dev, &hs->entry);
	hs->entry.peer = peer;
	hs->entry.kp = NULL;
	wg_index_add(peer->dev, &hs->entry);
	mn_put_le32(sender_field, hs->entry.id);
	memcpy(hs->e_priv, e_priv, 32);
	memcpy(hs->chain, c, 32);
	memcpy(hs->hash, h, 32);
	hs->state = state;
}

int wg_noise_create_initiation(struct wg_peer *peer, uint8_t msg[WG_INITIATION_LEN],
			       struct mn_time now)
{
	struct wg_dev *dev = peer->dev;
	struct wg_handshake *hs = &peer->hs;
	struct secrets s;
	uint8_t e_pub[32], ts[WG_TAI64N_LEN];
	int rc = MN_ENOKEY;

	if (!static_static(peer))
		goto out;
	memset(msg, 0, WG_INITIATION_LEN);
	msg[0] = WG_MSG_INITIATION;
	initial_chain_hash(s.c, s.h, peer->public_key);

	/* e: (Ei_priv, Ei_pub) = DH_GENERATE(); Ci = KDF1(Ci, Ei_pub); Hi = HASH(Hi ‖ Ei_pub) */
	if ((rc = new_ephemeral(dev, s.e_priv, e_pub)) < 0)
		goto out;
	memcpy(msg + INIT_EPHEMERAL, e_pub, 32);
	wg_kdf(s.c, NULL, NULL, s.c, e_pub, 32);
	mix_hash(s.h, e_pub, 32);

	/* es: (Ci, k) = KDF2(Ci, DH(Ei_priv, Sr_pub)) */
	if ((rc = wg_dh(s.dh, s.e_priv, peer->public_key)) < 0)
		goto out;
	wg_kdf(s.c, s.k, NULL, s.c, s.dh, 32);

	/* s: msg.static = AEAD(k, 0, Si_pub, Hi); Hi = HASH(Hi ‖ msg.static) */
	wg_aead_seal(msg + INIT_STATIC, dev->pub, 32, 0, s.k, s.h, 32);
	mix_hash(s.h, msg + INIT_STATIC, 32 + WG_AEAD_TAG_LEN);

	/* ss: (Ci, k) = KDF2(Ci, DH(Si_priv, Sr_pub)) */
	wg_kdf(s.c, s.k, NULL, s.c, peer->ss, 32);

	/* {t}: msg.timestamp = AEAD(k, 0, TAI64N(), Hi); Hi = HASH(Hi ‖ msg.timestamp) */
	wg_tai64n(ts, now.wall);
	wg_aead_seal(msg + INIT_TIMESTAMP, ts, WG_TAI64N_LEN, 0, s.k, s.h, 32);
	mix_hash(s.h, msg + INIT_TIMESTAMP, WG_TAI64N_LEN + WG_AEAD_TAG_LEN);

	wg_noise_handshake_clear(dev, hs);
	commit_created(peer, s.e_priv, s.c, s.h, WG_HS_CREATED_INITIATION, msg + INIT_SENDER);
	rc = MN_OK;
out:
	sodium_memzero(&s, sizeof(s));
	return rc;
}

int wg_noise_consume_initiation(struct wg_dev *dev, const uint8_t msg[WG_INITIATION_LEN],
				struct mn_time now, struct wg_peer **peer_out,
				struct wg_keypair **kp_out)
{
	struct secrets s;
	uint8_t s_pub[32], ts[WG_TAI64N_LEN];
	const uint8_t *e = msg + INIT_EPHEMERAL;
	struct wg_peer *peer;
	struct wg_handshake *hs;
	int rc = MN_ENOKEY;

	if (!dev->has_key)
		goto out;
	wg_hash(s.c, CONSTRUCTION, sizeof(CONSTRUCTION) - 1);
	memcpy(s.h, dev->hs_hash0, 32);

	/* e: Cr = KDF1(Cr, Ei_pub); Hr = HASH(Hr ‖ Ei_pub) */
	wg_kdf(s.c, NULL, NULL, s.c, e, 32);
	mix_hash(s.h, e, 32);

	/* es: (Cr, k) = KDF2(Cr, DH(Sr_priv, Ei_pub)) */
	if ((rc = wg_dh(s.dh, dev->priv, e)) < 0)
		goto out;
	wg_kdf(s.c, s.k, NULL, s.c, s.dh, 32);

	/* s: Si_pub = AEAD-open(k, 0, msg.static, Hr) */
	if ((rc = wg_aead_open(s_pub, msg + INIT_STATIC, 32 + WG_AEAD_TAG_LEN, 0, s.k, s.h, 32)) < 0)
		goto out;
	mix_hash(s.h, msg + INIT_STATIC, 32 + WG_AEAD_TAG_LEN);

	peer = wg_peer_by_key(dev, s_pub);
	rc = MN_ENOKEY;
	if (!peer || !static_static(peer))
		goto out;
	hs = &peer->hs;

	/* ss: (Cr, k) = KDF2(Cr, DH(Sr_priv, Si_pub)) */
	wg_kdf(s.c, s.k, NULL, s.c, peer->ss, 32);

	/* {t} */
	if ((rc = wg_aead_open(ts, msg + INIT_TIMESTAMP, WG_TAI64N_LEN + WG_AEAD_TAG_LEN, 0, s.k, s.h,
			       32)) < 0)
		goto out;
	mix_hash(s.h, msg + INIT_TIMESTAMP, WG_TAI64N_LEN + WG_AEAD_TAG_LEN);

	/* Replay: the timestamp must grow; flood: at most 50 initiations/s per peer. */
	rc = MN_EREPLAY;
	if (memcmp(ts, hs->latest_timestamp, WG_TAI64N_LEN) <= 0)
		goto out;
	if (hs->have_consumed &&
	    !mn_elapsed(now.mono, hs->last_initiation_consumption, MN_NS_PER_SEC / 50))
		goto out;
	rc = MN_ENOMEM;
	if (!(*kp_out = keypair_new()))
		goto out;

	memcpy(hs->latest_timestamp, ts, WG_TAI64N_LEN);
	hs->last_initiation_consumption = now.mono;
	hs->have_consumed = true;
	memcpy(hs->remote_e, e, 32);
	hs->remote_index = mn_get_le32(msg + INIT_SENDER);
	memcpy(hs->chain, s.c, 32);
	memcpy(hs->hash, s.h, 32);
	hs->state = WG_HS_CONSUMED_INITIATION;
	*peer_out = peer;
	rc = MN_OK;
out:
	sodium_memzero(&s, sizeof(s));
	return rc;
}

int wg_noise_create_response(struct wg_peer *peer, uint8_t msg[WG_RESPONSE_LEN])
{
	struct wg_dev *dev = peer->dev;
	struct wg_handshake *hs = &peer->hs;
	struct secrets s;
	uint8_t e_pub[32];
	int rc = MN_ESTATE;

	if (hs->state != WG_HS_CONSUMED_INITIATION)
		goto out;
	memcpy(s.c, hs->chain, 32);
	memcpy(s.h, hs->hash, 32);
	memset(msg, 0, WG_RESPONSE_LEN);
	msg[0] = WG_MSG_RESPONSE;
	mn_put_le32(msg + RESP_RECEIVER, hs->remote_index);

	/* e: (Er_priv, Er_pub) = DH_GENERATE(); Cr = KDF1(Cr, Er_pub); Hr = HASH(Hr ‖ Er_pub) */
	if ((rc = new_ephemeral(dev, s.e_priv, e_pub)) < 0)
		goto out;
	memcpy(msg + RESP_EPHEMERAL, e_pub, 32);
	wg_kdf(s.c, NULL, NULL, s.c, e_pub, 32);
	mix_hash(s.h, e_pub, 32);

	/* ee: Cr = KDF1(Cr, DH(Er_priv, Ei_pub)) */
	if ((rc = wg_dh(s.dh, s.e_priv, hs->remote_e)) < 0)
		goto out;
	wg_kdf(s.c, NULL, NULL, s.c, s.dh, 32);

	/* se: Cr = KDF1(Cr, DH(Er_priv, Si_pub)) */
	if ((rc = wg_dh(s.dh, s.e_priv, peer->public_key)) < 0)
		goto out;
	wg_kdf(s.c, NULL, NULL, s.c, s.dh, 32);

	/* psk: (Cr, τ, k) = KDF3(Cr, Q); Hr = HASH(Hr ‖ τ) */
	wg_kdf(s.c, s.tau, s.k, s.c, peer->psk, 32);
	mix_hash(s.h, s.tau, 32);

	/* {}: msg.empty = AEAD(k, 0, ε, Hr); Hr = HASH(Hr ‖ msg.empty) */
	wg_aead_seal(msg + RESP_EMPTY, NULL, 0, 0, s.k, s.h, 32);
	mix_hash(s.h, msg + RESP_EMPTY, WG_AEAD_TAG_LEN);

	commit_created(peer, s.e_priv, s.c, s.h, WG_HS_CREATED_RESPONSE, msg + RESP_SENDER);
	rc = MN_OK;
out:
	sodium_memzero(&s, sizeof(s));
	return rc;
}

int wg_noise_consume_response(struct wg_dev *dev, const uint8_t msg[WG_RESPONSE_LEN],
			      struct wg_peer **peer_out, struct wg_keypair **kp_out)
{
	struct secrets s;
	uint8_t empty[1];
	const uint8_t *e = msg + RESP_EPHEMERAL;
	struct wg_index *entry = wg_index_find(dev, mn_get_le32(msg + RESP_RECEIVER));
	struct wg_peer *peer;
	struct wg_handshake *hs;
	int rc = MN_ENOKEY;

	if (!dev->has_key || !entry || entry->kp)
		goto out;
	peer = entry->peer;
	hs = &peer->hs;
	rc = MN_ESTATE;
	if (hs->state != WG_HS_CREATED_INITIATION)
		goto out;
	memcpy(s.c, hs->chain, 32);
	memcpy(s.h, hs->hash, 32);

	/* e: Ci = KDF1(Ci, Er_pub); Hi = HASH(Hi ‖ Er_pub) */
	wg_kdf(s.c, NULL, NULL, s.c, e, 32);
	mix_hash(s.h, e, 32);

	/* ee: Ci = KDF1(Ci, DH(Ei_priv, Er_pub)) */
	if ((rc = wg_dh(s.dh, hs->e_priv, e)) < 0)
		goto out;
	wg_kdf(s.c, NULL, NULL, s.c, s.dh, 32);

	/* se: Ci = KDF1(Ci, DH(Si_priv, Er_pub)) */
	if ((rc = wg_dh(s.dh, dev->priv, e)) < 0)
		goto out;
	wg_kdf(s.c, NULL, NULL, s.c, s.dh, 32);

	/* psk: (Ci, τ, k) = KDF3(Ci, Q); Hi = HASH(Hi ‖ τ) */
	wg_kdf(s.c, s.tau, s.k, s.c, peer->psk, 32);
	mix_hash(s.h, s.tau, 32);

	/* {}: AEAD-open(k, 0, msg.empty, Hi) */
	if ((rc = wg_aead_open(empty, msg + RESP_EMPTY, WG_AEAD_TAG_LEN, 0, s.k, s.h, 32)) < 0)
		goto out;
	mix_hash(s.h, msg + RESP_EMPTY, WG_AEAD_TAG_LEN);
	rc = MN_ENOMEM;
	if (!(*kp_out = keypair_new()))
		goto out;

	hs->remote_index = mn_get_le32(msg + RESP_SENDER);
	memcpy(hs->chain, s.c, 32);
	memcpy(hs->hash, s.h, 32);
	hs->state = WG_HS_CONSUMED_RESPONSE;
	*peer_out = peer;
	rc = MN_OK;
out:
	sodium_memzero(&s, sizeof(s));
	return rc;
}

void wg_noise_keypair_free(struct wg_dev *dev, struct wg_keypair *kp)
{
	if (!kp)
		return;
	wg_index_del(dev, &kp->entry);
	sodium_memzero(kp, sizeof(*kp));
	free(kp);
}

int wg_noise_begin_session(struct wg_peer *peer, struct wg_keypair *kp, struct mn_time now)
{
	struct wg_dev *dev = peer->dev;
	struct wg_handshake *hs = &peer->hs;
	bool initiator;

	if (hs->state == WG_HS_CONSUMED_RESPONSE) {
		initiator = true;
	} else if (hs->state == WG_HS_CREATED_RESPONSE) {
		initiator = false;
	} else {
		wg_noise_keypair_free(dev, kp);
		return MN_ESTATE;
	}

	/* (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(C, ε) */
	if (initiator)
		wg_kdf(kp->send_key, kp->recv_key, NULL, hs->chain, NULL, 0);
	else
		wg_kdf(kp->recv_key, kp->send_key, NULL, hs->chain, NULL, 0);
	kp->remote_index = hs->remote_index;
	kp->created = now.mono;
	kp->initiator = initiator;
	wg_replay_init(&kp->replay);

	/* The handshake's index now names the keypair. */
	kp->entry.peer = peer;
	kp->entry.kp = kp;
	kp->entry.id = hs->entry.id;
	wg_index_del(dev, &hs->entry);
	wg_index_add_id(dev, &kp->entry);
	wg_noise_handshake_clear(dev, hs);

	if (initiator) {
		/* Usable at once. A pending next keypair (from a simultaneous
		 * responder handshake) becomes previous; the old current goes. */
		if (peer->next) {
			wg_noise_keypair_free(dev, peer->prev);
			peer->prev = peer->next;
			peer->next = NULL;
			wg_noise_keypair_free(dev, peer->cur);
		} else {
			wg_noise_keypair_free(dev, peer->prev);
			peer->prev = peer->cur;
		}
		peer->cur = kp;
	} else {
		/* Not usable for sending until the initiator's first data packet
		 * confirms it; previous goes, current stays for now. */
		wg_noise_keypair_free(dev, peer->next);
		peer->next = kp;
		wg_noise_keypair_free(dev, peer->prev);
		peer->prev = NULL;
	}
	return MN_OK;
}
