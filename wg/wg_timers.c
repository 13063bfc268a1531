/* wg_timers.c - the paper's timers (§6), named after the kernel's timers.c.
 *
 * Timers, each an absolute monotonic deadline per peer (MN_NEVER = idle),
 * folded into wg_dev_next_deadline():
 *   retransmit       REKEY_TIMEOUT + jitter(0..333 ms) after an initiation is
 *                    sent; resend until REKEY_ATTEMPT_TIME (18 tries), then give
 *                    up, drop staged packets and schedule zeroing the keys.
 *   send_keepalive   KEEPALIVE_TIMEOUT after data is received when we have sent
 *                    nothing since: send an empty (keepalive) packet.
 *   new_handshake    KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after data is sent
 *                    and nothing authenticated has come back: initiate again.
 *   zero_keys        3 * REJECT_AFTER_TIME after a session is derived: erase all
 *                    keypairs and handshake state.
 *   persistent       the peer's persistent-keepalive interval after any
 *                    authenticated packet in either direction: send a keepalive.
 * Rekey on send: the initiator of the current session starts a new handshake
 * after REKEY_AFTER_TIME or REKEY_AFTER_MESSAGES; on receive, once the
 * session is older than REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT.
 * Sessions are refused after REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES.
 *
 * Every change to a peer's timers ends in wg_timers_rearm(), which keys the
 * peer in the device's deadline heap (wg_timerq.h) by the earliest of them:
 * the device's next deadline is the heap's top, and a wake visits only the
 * peers that are due.
 */
#include "wg_timers.h"

#include "wg_peer.h"
#include "wg_send.h"

#define MAX_TIMER_HANDSHAKES (WG_REKEY_ATTEMPT_TIME / WG_REKEY_TIMEOUT)
#define REKEY_JITTER_MAX (MN_NS_PER_SEC / 3)

/* Backpressure: a peer's due timers run only while the control queue has
 * room for what they may emit; the rest stay due, so next_deadline() is
 * already past and the driver comes back once it has drained the queue. */
#define TX_ROOM_PER_PEER 4

mn_ns wg_timers_peer_deadline(const struct wg_peer *p)
{
	mn_ns d = p->t_retransmit;
	d = mn_min_deadline(d, p->t_send_keepalive);
	d = mn_min_deadline(d, p->t_new_handshake);
	d = mn_min_deadline(d, p->t_zero_keys);
	return mn_min_deadline(d, p->t_persistent_keepalive);
}

void wg_timers_rearm(struct wg_peer *peer)
{
	wg_timerq_set(&peer->dev->timerq, peer, wg_timers_peer_deadline(peer));
}

static mn_ns jitter(struct wg_dev *dev)
{
	return mn_rng_uniform(&dev->rng, (uint32_t)REKEY_JITTER_MAX);
}

void wg_timers_data_sent(struct wg_peer *peer, mn_ns now)
{
	if (peer->t_new_handshake == MN_NEVER)
		peer->t_new_handshake =
			now + WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT + jitter(peer->dev);
	wg_timers_rearm(peer);
}

void wg_timers_data_received(struct wg_peer *peer, mn_ns now)
{
	if (peer->t_send_keepalive == MN_NEVER)
		peer->t_send_keepalive = now + WG_KEEPALIVE_TIMEOUT;
	else
		peer->need_another_keepalive = true;
	wg_timers_rearm(peer);
}

void wg_timers_any_authenticated_sent(struct wg_peer *peer)
{
	peer->t_send_keepalive = MN_NEVER;
	wg_timers_rearm(peer);
}

void wg_timers_any_authenticated_received(struct wg_peer *peer)
{
	peer->t_new_handshake = MN_NEVER;
	wg_timers_rearm(peer);
}

void wg_timers_traversal(struct wg_peer *peer, mn_ns now)
{
	if (peer->keepalive_secs)
		peer->t_persistent_keepalive = now + peer->keepalive_secs * MN_NS_PER_SEC;
	wg_timers_rearm(peer);
}

void wg_timers_handshake_initiated(struct wg_peer *peer, mn_ns now)
{
	peer->t_retransmit = now + WG_REKEY_TIMEOUT + jitter(peer->dev);
	wg_timers_rearm(peer);
}

void wg_timers_handshake_complete(struct wg_peer *peer, struct mn_time now)
{
	peer->t_retransmit = MN_NEVER;
	peer->handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	peer->last_handshake_wall = now.wall;
	wg_timers_rearm(peer);
}

void wg_timers_session_derived(struct wg_peer *peer, mn_ns now)
{
	peer->t_zero_keys = now + 3 * WG_REJECT_AFTER_TIME;
	wg_timers_rearm(peer);
}

mn_ns wg_dev_next_deadline(const struct wg_dev *dev)
{
	const struct wg_peer *p = wg_timerq_first(&dev->timerq);
	return p ? p->deadline : MN_NEVER;
}

static bool due(mn_ns deadline, mn_ns now)
{
	return deadline != MN_NEVER && mn_time_after_eq(now, deadline);
}

static void peer_on_timer(struct wg_peer *peer, struct mn_time now)
{
	if (due(peer->t_retransmit, now.mono)) {
		peer->t_retransmit = MN_NEVER;
		if (peer->handshake_attempts > MAX_TIMER_HANDSHAKES) {
			/* Give up: REKEY_ATTEMPT_TIME has passed. */
			peer->t_send_keepalive = MN_NEVER;
			wg_send_staged_purge(peer);
			if (peer->t_zero_keys == MN_NEVER)
				peer->t_zero_keys = now.mono + 3 * WG_REJECT_AFTER_TIME;
		} else {
			peer->handshake_attempts++;
			wg_send_initiation(peer, now, true);
		}
	}
	if (due(peer->t_send_keepalive, now.mono)) {
		peer->t_send_keepalive = MN_NEVER;
		wg_send_keepalive(peer, now);
		if (peer->need_another_keepalive) {
			peer->need_another_keepalive = false;
			peer->t_send_keepalive = now.mono + WG_KEEPALIVE_TIMEOUT;
		}
	}
	if (due(peer->t_new_handshake, now.mono)) {
		peer->t_new_handshake = MN_NEVER;
		wg_send_initiation(peer, now, false);
	}
	if (due(peer->t_zero_keys, now.mono)) {
		peer->t_zero_keys = MN_NEVER;
		wg_peer_clear_sessions(peer);
	}
	if (due(peer->t_persistent_keepalive, now.mono)) {
		peer->t_persistent_keepalive = MN_NEVER;
		if (peer->keepalive_secs)
			wg_send_keepalive(peer, now);
	}
}

/* Due peers in deadline order. A peer's turn fires each of its due timers
 * and re-arms them later than now, so it leaves the due part of the heap;
 * the budget (one turn per peer armed at entry) only guards that rule. */
void wg_dev_on_timer(struct wg_dev *dev, struct mn_time now)
{
	struct wg_peer *p;
	size_t budget = dev->timerq.n;

	while (budget-- && (p = wg_timerq_first(&dev->timerq)) && due(p->deadline, now.mono)) {
		if (dev->tx_count + TX_ROOM_PER_PEER > WG_MAX_TX_QUEUE)
			break;
		peer_on_timer(p, now);
		wg_timers_rearm(p);
	}
}
