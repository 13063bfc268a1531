/* swim_node.c - what swim offers the node core (node/), which runs it beside
 * the WireGuard core on one UDP port: address changes told as they happen,
 * the open control channel (sealed messages of types swim does not own, in
 * and out), output that names the member a datagram is for, and what the
 * data plane reads of a record. None of it changes what swim itself sends.
 */
#include "swim_internal.h"

static void addr_put(struct swim *s, uint32_t i, const struct waddr *w, bool direct,
		     bool announced)
{
	struct member *m = &s->m[i];
	bool news = direct && !(m->flags & M_ADDR_DIRECT);
	struct swim_addr_change c;

	if (direct)
		m->flags |= M_ADDR_DIRECT;
	if (memcmp(&m->addr, w, sizeof(*w)) == 0 && !news)
		return;
	m->addr = *w;
	if (!s->addr_changed || w->family == 0)
		return;
	memset(&c, 0, sizeof(c));
	c.rec = m->rec;
	wire_addr_to(w, &c.addr);
	c.direct = (m->flags & M_ADDR_DIRECT) != 0;
	c.announced = announced;
	c.at = s->now;
	s->addr_changed(s->hook_ctx, &c);
}

void hook_addr_put(struct swim *s, uint32_t i, const struct waddr *w, bool direct)
{
	addr_put(s, i, w, direct, false);
}

/* A member's signed announcement moved it (swim_ann.c): not proven by us,
 * but its own word, so the data plane follows at once. */
void hook_addr_announced(struct swim *s, uint32_t i, const struct waddr *w)
{
	s->m[i].flags &= (uint8_t)~M_ADDR_DIRECT;
	addr_put(s, i, w, false, true);
}

int hook_control_in(struct swim *s, uint32_t i, const struct mn_addr *from, uint8_t type,
		    const uint8_t *pt, size_t ptlen, struct mn_time now)
{
	struct swim_control msg;

	/* authenticated traffic from the probed member, as in swim_recv */
	if (s->probe.member == i)
		probe_finish(s, true);
	memset(&msg, 0, sizeof(msg));
	msg.from = s->m[i].rec;
	msg.src = *from;
	msg.type = type;
	msg.pt = pt;
	msg.len = ptlen;
	bump(s, SWIM_STAT_CONTROL_IN, 1);
	return s->control(s->hook_ctx, &msg, now);
}

int swim_poll_tx_to(struct swim *s, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst,
		    const struct swim_rec **to)
{
	struct tx_dgram *t;

	if (to)
		*to = NULL;
	if (s->tx_n == 0)
		return 0;
	t = &s->tx[s->tx_head];
	s->tx_head = (s->tx_head + 1) % s->tx_cap;
	s->tx_n--;
	if (cap < t->len)
		return MN_EMSGSIZE;
	memcpy(buf, t->buf, t->len);
	*len = t->len;
	*dst = t->dst;
	/* one sealed for a member removed since names nobody (slot_forget):
	 * its slot may hold another member by now */
	if (to && t->to != NONE && t->to < s->n && present(&s->m[t->to]))
		*to = s->m[t->to].rec;
	return 1;
}

int swim_send_control(struct swim *s, const uint8_t pk[REC_PK_LEN], uint8_t type,
		      const uint8_t *pt, size_t len, const struct mn_addr *dst)
{
	const struct seal_keys *k;
	struct tx_dgram *t;
	struct waddr w;
	size_t out;
	uint32_t i;
	int err;

	if (swim_type_own(type) || (!pt && len))
		return MN_EINVAL;
	if (len > SWIM_PT_MAX)
		return MN_EMSGSIZE;
	i = member_find_pk(s, pk);
	if (i == NONE || i == 0 || !present(&s->m[i]))
		return MN_ENOENT;
	if (dst)
		wire_addr_from(&w, dst);
	else
		w = s->m[i].addr;
	if (w.family == 0)
		return MN_ENOROUTE;
	k = wire_keys(s, i);
	if (!k)
		return MN_ECRYPTO;
	t = wire_tx_slot(s);
	if (!t) {
		bump(s, SWIM_STAT_DROP_TX_FULL, 1);
		return MN_EFULL;
	}
	err = seal_seal(&s->self, k, &s->m[i].pair, member_id(s, i), type, pt, len, &s->rng,
			t->buf, sizeof(t->buf), &out);
	if (err) {
		s->tx_n--;
		return err;
	}
	t->len = (uint16_t)out;
	t->to = i;
	wire_addr_to(&w, &t->dst);
	bump(s, SWIM_STAT_TX_DGRAMS, 1);
	bump(s, SWIM_STAT_TX_BYTES, out);
	bump(s, SWIM_STAT_CONTROL_OUT, 1);
	return MN_OK;
}

int swim_rec_info(const struct rec_network *net, const struct swim_rec *r,
		  struct swim_rec_info *out)
{
	struct rec_member m;
	int err;

	memset(out, 0, sizeof(*out));
	err = rec_member_decode(&m, r->bytes, r->len);
	if (err)
		return err;
	memcpy(out->ipv4, m.adm.ipv4, sizeof(out->ipv4));
	rec_ipv6(net, r->pk, out->ipv6);
	out->flags = m.flags;
	out->nroutes = m.nroutes;
	memcpy(out->routes, m.routes, m.nroutes * sizeof(m.routes[0]));
	memcpy(out->name, m.name, sizeof(out->name));
	return MN_OK;
}
