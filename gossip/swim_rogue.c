/* swim_rogue.c - what a hostile member sends (swim_rogue.h): for the
 * simulator's `rogue` action only, built into libmnsim.a and never into
 * the daemon. */
#include "swim_internal.h"

#include "swim_rogue.h"

void swim_rogue_put_accusation(uint8_t *p, uint8_t kind, uint64_t id, uint32_t inc,
			       uint64_t accuser)
{
	p[UPD_KIND] = kind;
	mn_put_be64(p + UPD_ID, id);
	mn_put_be32(p + UPD_INC, inc);
	mn_put_be64(p + UPD_ACCUSER, accuser);
}

size_t swim_rogue_put_ann(uint8_t *p, size_t cap, const struct rec_network *net,
			  const struct rec_key *signer, uint64_t id, uint64_t seq,
			  const struct mn_addr *at, const struct mn_addr *was)
{
	size_t len = SWIM_ITEM_ADDR_HDR + 2 * SWIM_ADDR_LEN + REC_SIG_LEN;
	struct waddr a, w;

	wire_addr_from(&a, at);
	wire_addr_from(&w, was);
	if (cap < len || a.family == 0 || w.family == 0)
		return 0;
	memset(p, 0, len);
	p[0] = SWIM_I_ADDR;
	mn_put_be64(p + ANN_ID, id);
	mn_put_be64(p + ANN_SEQ, seq);
	p[ANN_N] = 1;
	p[ANN_W] = 1;
	wire_addr_put(p + ANN_ADDRS, &a);
	wire_addr_put(p + ANN_ADDRS + SWIM_ADDR_LEN, &w);
	if (rec_addr_sign(net, signer, p + ANN_ID, len - ANN_ID - REC_SIG_LEN,
			  p + len - REC_SIG_LEN) != MN_OK)
		return 0;
	return len;
}

size_t swim_rogue_put_record(uint8_t *p, size_t cap, uint32_t inc, enum swim_state state,
			     const uint8_t *rec, size_t rec_len, const uint8_t *ann, size_t ann_len)
{
	size_t len = RE_RECORD + rec_len + ann_len;

	if (cap < len || rec_len > UINT16_MAX || ann_len > UINT8_MAX)
		return 0;
	mn_put_be32(p + RE_INC, inc);
	p[RE_STATE] = (uint8_t)state;
	p[RE_ANN_LEN] = (uint8_t)ann_len;
	mn_put_be16(p + RE_LEN, (uint16_t)rec_len);
	memcpy(p + RE_RECORD, rec, rec_len);
	if (ann_len)
		memcpy(p + RE_RECORD + rec_len, ann, ann_len);
	return len;
}

int swim_rogue_send(struct swim *s, const uint8_t pk[REC_PK_LEN], uint8_t type,
		    const uint8_t *msg, size_t len, struct mn_time now)
{
	uint32_t i = member_find_pk(s, pk), before = s->tx_n;
	struct out o;
	uint8_t *p;

	if (type < SWIM_T__FIRST || type > SWIM_T__LAST)
		return MN_EINVAL;
	if (i == NONE || i == 0 || !present(&s->m[i]))
		return MN_ENOENT;
	s->now = now.mono;
	wire_out_begin(s, &o, i, type, SWIM_MTU, NULL);
	if (!(p = wire_out_put(&o, len)))
		return MN_EMSGSIZE;
	memcpy(p, msg, len);
	wire_out_send(s, &o);
	return s->tx_n > before ? MN_OK : MN_EFULL;
}
