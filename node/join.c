/* join.c - the joiner's side of a join (join.h): HELLO -> COOKIE ->
 * REQUEST -> ACCEPT or REFUSE, one endpoint at a time.
 *
 * Endpoints are tried in link order (each member's endpoints, then the
 * next member's), round robin until the overall deadline. A step (HELLO
 * or REQUEST) is sent up to JOIN_TRIES times to one endpoint, waiting
 * JOIN_RTO_NS << round, then twice as long each time, never longer than
 * JOIN_RTO_MAX_NS; then the next endpoint starts over with a HELLO and a
 * fresh nonce. A REFUSE that another member would not give (BUSY,
 * OWN_INVITE) moves on to the next endpoint at once, or, past the last one,
 * starts the next round after that round's wait; a final one ends the join. Replies are matched by the nonce of the
 * current attempt (16 random bytes: only a party that saw our HELLO knows
 * it). An ACCEPT is believed only once its admission and the admitter's
 * record verify against the root key of the link; one that does not is
 * ignored (counted), and the joiner keeps waiting.
 */
#include "join.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"

static bool finished(const struct join *j)
{
	return j->state == JOIN_DONE || j->state == JOIN_REFUSED || j->state == JOIN_TIMEOUT ||
	       j->state == JOIN_IDLE;
}

/* Queue the current step's datagram and arm its retry. */
static void send_step(struct join *j, mn_ns now)
{
	j->tx_pending = true;
	j->tries++;
	j->retry_at = now + j->rto;
	j->rto = j->rto * 2 < JOIN_RTO_MAX_NS ? j->rto * 2 : JOIN_RTO_MAX_NS;
}

static mn_ns round_rto(const struct join *j)
{
	mn_ns rto = j->round < JOIN_ROUNDS_TO_MAX ? JOIN_RTO_NS << j->round : JOIN_RTO_MAX_NS;

	return rto < JOIN_RTO_MAX_NS ? rto : JOIN_RTO_MAX_NS;
}

/* A step starts at JOIN_RTO_NS doubled once per completed round over the
 * endpoints, capped: a joiner left running against dead members slows down
 * to one datagram per JOIN_RTO_MAX_NS. */
static void begin_step(struct join *j, enum join_state step, mn_ns now)
{
	j->state = step;
	j->tries = 0;
	j->rto = round_rto(j);
	send_step(j, now);
}

static void begin_target(struct join *j, unsigned target, mn_ns now)
{
	if (target >= j->ntargets)
		j->round++;
	j->target = target % j->ntargets;
	mn_rng_bytes(j->rng, j->nonce, JOIN_NONCE_LEN);
	memset(j->cookie, 0, JOIN_COOKIE_LEN);
	begin_step(j, JOIN_HELLO_SENT, now);
}

/* After a refusal another member might not give: the next endpoint at
 * once, but a new round over the endpoints only after the round's wait, so
 * members that all answer BUSY at once are not asked again and again at
 * the speed of the network. */
static void next_target_after_refusal(struct join *j, mn_ns now)
{
	if (j->target + 1 < j->ntargets) {
		begin_target(j, j->target + 1, now);
		return;
	}
	j->round++;
	j->target = 0;
	mn_rng_bytes(j->rng, j->nonce, JOIN_NONCE_LEN);
	memset(j->cookie, 0, JOIN_COOKIE_LEN);
	j->state = JOIN_HELLO_SENT;
	j->tries = 0;
	j->rto = round_rto(j);
	j->tx_pending = false;
	j->retry_at = now + j->rto; /* join_on_timer sends the HELLO then */
}

int join_start(struct join *j, const struct invite_link *link,
	       const uint8_t node_pk[REC_PK_LEN], const char *name, mn_ns now,
	       mn_ns timeout, const struct mn_rng *rng)
{
	struct rec_key invite_key;
	size_t name_len = strnlen(name, REC_NAME_MAX + 1);

	memset(j, 0, sizeof(*j));
	if (!rec_name_ok(name, name_len) || invite_link_network(link, &j->net) != MN_OK ||
	    rec_invite_verify(&j->net, &link->invite, NULL, NULL) != MN_OK)
		goto bad;
	for (unsigned m = 0; m < link->nmembers && m < INVITE_LINK_MEMBERS; m++)
		for (unsigned e = 0; e < link->members[m].nendpoints &&
				     e < INVITE_LINK_ENDPOINTS; e++)
			j->targets[j->ntargets++] = link->members[m].endpoints[e];
	if (j->ntargets == 0)
		goto bad;
	memcpy(j->name, name, name_len);
	memcpy(j->node_pk, node_pk, REC_PK_LEN);
	j->invite = link->invite;
	rec_key_from_seed(&invite_key, link->seed);
	rec_join_proof(&j->net, &invite_key, node_pk, j->proof);
	rec_key_wipe(&invite_key);
	j->rng = rng;
	j->deadline = timeout == MN_NEVER ? MN_NEVER : now + timeout;
	begin_target(j, 0, now);
	return MN_OK;
bad:
	memset(j, 0, sizeof(*j));
	return MN_EINVAL;
}

mn_ns join_next_deadline(const struct join *j)
{
	if (finished(j))
		return MN_NEVER;
	return mn_min_deadline(j->retry_at, j->deadline);
}

void join_on_timer(struct join *j, mn_ns now)
{
	if (finished(j))
		return;
	if (j->deadline != MN_NEVER && mn_time_after_eq(now, j->deadline)) {
		j->state = JOIN_TIMEOUT;
		j->tx_pending = false;
		return;
	}
	if (!mn_time_after_eq(now, j->retry_at))
		return;
	if (j->tries < JOIN_TRIES)
		send_step(j, now);
	else
		begin_target(j, j->target + 1, now);
}

/* An ACCEPT for our attempt: believe it only if it verifies offline. */
static int take_accept(struct join *j, const struct join_accept *a)
{
	const struct rec_admission *adm = &a->adm;
	int err;

	if (memcmp(adm->node_pk, j->node_pk, REC_PK_LEN) != 0 ||
	    memcmp(adm->proof, j->proof, REC_SIG_LEN) != 0)
		return MN_EAUTH;
	if ((err = rec_admission_verify(&j->net, &j->invite, adm, NULL, NULL)))
		return err;
	if ((err = rec_member_verify(&j->net, &a->admitter, NULL, NULL)))
		return err;
	/* A member admitter must be the node whose record came with it, and
	 * may not admit under the invite it joined with. */
	if (adm->admitter == REC_BY_MEMBER &&
	    (memcmp(adm->admitter_pk, a->admitter.adm.node_pk, REC_PK_LEN) != 0 ||
	     memcmp(a->admitter.invite.invite_pk, j->invite.invite_pk, REC_PK_LEN) == 0))
		return MN_EAUTH;
	j->adm = *adm;
	j->admitter = a->admitter;
	return MN_OK;
}

static int on_reply(struct join *j, const struct mn_addr *from, const uint8_t *buf,
		    size_t len, mn_ns now)
{
	struct join_accept acc;
	uint8_t nonce[JOIN_NONCE_LEN], cookie[JOIN_COOKIE_LEN];
	enum join_reason why;
	enum join_type type;
	int err;

	if ((err = join_peek_type(buf, len, &type)))
		return err;
	switch (type) {
	case JOIN_T_COOKIE:
		if (j->state != JOIN_HELLO_SENT)
			return MN_ESTATE;
		if ((err = join_cookie_decode(nonce, cookie, buf, len)))
			return err;
		if (sodium_memcmp(nonce, j->nonce, JOIN_NONCE_LEN) != 0)
			return MN_ENOENT;
		memcpy(j->cookie, cookie, JOIN_COOKIE_LEN);
		begin_step(j, JOIN_REQUEST_SENT, now);
		return MN_OK;
	case JOIN_T_ACCEPT:
		if (j->state != JOIN_REQUEST_SENT)
			return MN_ESTATE;
		if ((err = join_accept_decode(&acc, buf, len)))
			return err;
		if (sodium_memcmp(acc.nonce, j->nonce, JOIN_NONCE_LEN) != 0)
			return MN_ENOENT;
		if ((err = take_accept(j, &acc)))
			return err;
		j->admitted_by = *from;
		j->state = JOIN_DONE;
		j->tx_pending = false;
		return MN_OK;
	case JOIN_T_REFUSE:
		if (j->state != JOIN_REQUEST_SENT)
			return MN_ESTATE;
		if ((err = join_refuse_decode(nonce, &why, buf, len)))
			return err;
		if (sodium_memcmp(nonce, j->nonce, JOIN_NONCE_LEN) != 0)
			return MN_ENOENT;
		j->reason = why;
		if (join_reason_final(why)) {
			j->state = JOIN_REFUSED;
			j->tx_pending = false;
		} else {
			next_target_after_refusal(j, now);
		}
		return MN_OK;
	default:
		return MN_EPROTO;
	}
}

int join_recv(struct join *j, const struct mn_addr *from, const uint8_t *buf, size_t len,
	      mn_ns now)
{
	int err = finished(j) ? MN_ESTATE : on_reply(j, from, buf, len, now);

	if (err)
		j->dropped++;
	return err;
}

bool join_poll_tx(struct join *j, struct mn_addr *to, uint8_t *buf, size_t cap, size_t *len)
{
	struct join_request r;
	int err;

	if (!j->tx_pending || finished(j))
		return false;
	if (j->state == JOIN_HELLO_SENT) {
		err = join_hello_encode(j->nonce, buf, cap, len);
	} else {
		memset(&r, 0, sizeof(r));
		memcpy(r.nonce, j->nonce, JOIN_NONCE_LEN);
		memcpy(r.cookie, j->cookie, JOIN_COOKIE_LEN);
		memcpy(r.nethint, j->net.id, JOIN_NETHINT_LEN);
		memcpy(r.node_pk, j->node_pk, REC_PK_LEN);
		memcpy(r.proof, j->proof, REC_SIG_LEN);
		memcpy(r.name, j->name, sizeof(r.name));
		r.invite = j->invite;
		err = join_request_encode(&r, buf, cap, len);
	}
	if (err)
		return false;
	j->tx_pending = false;
	*to = j->targets[j->target];
	return true;
}
