/* swim_trust.c - trust at join, the member table's part (doc/membership.md
 * "Trust at join"): a member may not admit under its own invite, a held
 * overlay IPv4 is never taken, and an invite's use limit holds across the
 * network, races settled by the lower rec_race_hash. Applied to the record
 * of a node key the table does not hold yet, after verification,
 * revocation and the admitter-is-a-member rule (swim_member.c). Before
 * those, one key, one role (doc/membership.md "One key, one role"): no key
 * is a node key in one chain and an invite or admin key in another, nor an
 * invite key under two signers; and no admin tombstone reaches an admin
 * key.
 */
#include "swim_internal.h"

#define IP_MIX UINT64_C(0x9e3779b97f4a7c15) /* spreads sequential addresses */
#define KEYS_INIT 8                         /* key entries allocated first */

/* ---- a record's fields, read from its canonical bytes ---- */

static const uint8_t *rec_adm(const struct swim_rec *r)
{
	return r->bytes + CHAIN_OFF + r->chain_len - REC_ADMISSION_LEN;
}

static uint32_t rec_ip(const struct swim_rec *r)
{
	return mn_get_be32(rec_adm(r) + REC_ADM_IPV4_OFF);
}

static uint16_t rec_max_uses(const struct swim_rec *r)
{
	return mn_get_be16(r->bytes + CHAIN_OFF + REC_INVITE_USES_OFF);
}

static void rec_race(const struct swim_rec *r, uint8_t h[REC_RACE_LEN])
{
	rec_race_hash(rec_adm(r) + REC_ADM_SIG_OFF, h);
}

/* a wins the race against b: the lower hash. */
static bool race_wins(const struct swim_rec *a, const struct swim_rec *b)
{
	uint8_t ha[REC_RACE_LEN], hb[REC_RACE_LEN];

	rec_race(a, ha);
	rec_race(b, hb);
	return memcmp(ha, hb, REC_RACE_LEN) < 0;
}

/* Counted here: present, and not out of the race (M_LOST). */
static bool counted(const struct member *m)
{
	return present(m) && !(m->flags & M_LOST);
}

/* ---- members by overlay IPv4 ---- */

static uint64_t ip_key(uint32_t ip)
{
	return ((uint64_t)ip * IP_MIX) >> 32;
}

static uint64_t ip_key_of(const void *ctx, uint32_t i)
{
	const struct swim *s = ctx;

	return ip_key(rec_ip(s->m[i].rec));
}

static uint32_t ip_find(const struct swim *s, uint32_t ip)
{
	const struct oatab *t = &s->trust.by_ip;

	for (uint32_t pos = oatab_home(t, ip_key(ip)); t->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(t, pos))
		if (rec_ip(s->m[t->slot[pos]].rec) == ip)
			return t->slot[pos];
	return NONE;
}

/* Room for one more member in by_ip (kept at most half full). */
static int ip_reserve(struct swim *s)
{
	struct trust *tr = &s->trust;
	struct oatab t;

	if ((tr->nip + 1) * 2 <= oatab_slots(&tr->by_ip))
		return MN_OK;
	if (oatab_init(&t, oatab_slots(&tr->by_ip) * 2) != MN_OK)
		return MN_ENOMEM;
	for (uint32_t i = 0; i < s->n; i++)
		if (counted(&s->m[i]))
			oatab_put(&t, ip_key(rec_ip(s->m[i].rec)), i);
	oatab_free(&tr->by_ip);
	tr->by_ip = t;
	return MN_OK;
}

/* ---- keys chains name: invite keys (their admissions) and admin keys ---- */

static struct key_use *key_find(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	const struct trust *tr = &s->trust;
	const struct oatab *t = &tr->key_index;

	for (uint32_t pos = oatab_home(t, seal_key_id(pk)); t->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(t, pos))
		if (memcmp(tr->keys[t->slot[pos]].pk, pk, REC_PK_LEN) == 0)
			return &tr->keys[t->slot[pos]];
	return NULL;
}

/* The entry of pk, made (no role, count 0, no limit yet) when absent;
 * NULL: no memory. */
static struct key_use *key_get(struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	struct trust *tr = &s->trust;
	struct key_use *e = key_find(s, pk);

	if (!e) {
		if (tr->nkeys == tr->keys_cap) {
			uint32_t cap = tr->keys_cap * 2;
			struct key_use *nk = realloc(tr->keys, cap * sizeof(*nk));
			if (!nk)
				return NULL;
			tr->keys = nk;
			tr->keys_cap = cap;
		}
		if ((tr->nkeys + 1) * 2 > oatab_slots(&tr->key_index)) {
			struct oatab t;
			if (oatab_init(&t, oatab_slots(&tr->key_index) * 2) != MN_OK)
				return NULL;
			for (uint32_t k = 0; k < tr->nkeys; k++)
				oatab_put(&t, seal_key_id(tr->keys[k].pk), k);
			oatab_free(&tr->key_index);
			tr->key_index = t;
		}
		e = &tr->keys[tr->nkeys];
		memset(e, 0, sizeof(*e));
		memcpy(e->pk, pk, REC_PK_LEN);
		e->max = UINT16_MAX;
		oatab_put(&tr->key_index, seal_key_id(e->pk), tr->nkeys++);
	}
	return e;
}

/* pk's entry when it holds one of roles, else NULL. */
static const struct key_use *key_in(const struct swim *s, const uint8_t pk[REC_PK_LEN],
				    uint8_t roles)
{
	const struct key_use *e = key_find(s, pk);

	return e && (e->roles & roles) ? e : NULL;
}

/* pk is the node key of a member held here (ourselves included). */
static bool node_held(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	return s->n && member_find_pk(s, pk) != NONE;
}

/* r's admin key, or NULL (a root invite). */
static const uint8_t *rec_admin(const struct swim_rec *r)
{
	static const uint8_t zero[REC_PK_LEN];

	return memcmp(r->admin_pk, zero, REC_PK_LEN) != 0 ? r->admin_pk : NULL;
}

/* A verified grant names pk: an admin key from now on (only the root signs
 * grants, so this holds whatever else a chain claims). Admin tombstones
 * waiting for a record that names pk never take effect: only the root
 * revokes an admin. */
static int admin_seen(struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	struct key_use *e = key_get(s, pk);

	if (!e)
		return MN_ENOMEM;
	if (!(e->roles & KEY_ADMIN)) {
		e->roles |= KEY_ADMIN;
		tomb_admin_known(s, pk);
	}
	return MN_OK;
}

/* ---- one key, one role ---- */

/* Would a chain with these keys (admin NULL: a root invite) give a key a
 * second role here (doc/membership.md "One key, one role")? A node key
 * that is an invite or admin key; an invite key that is a held member's
 * node key, an admin key, or an invite key under another signer; an admin
 * key that is a held member's node key or an invite key. Within one chain
 * rec_member_verify refuses it already. Lookups only: no scan. */
bool trust_roles_clash(const struct swim *s, const uint8_t node[REC_PK_LEN],
		       const uint8_t invite[REC_PK_LEN], const uint8_t *admin)
{
	static const uint8_t root_issuer[REC_PK_LEN];
	const uint8_t *issuer = admin ? admin : root_issuer;
	const struct key_use *e;

	if (key_in(s, node, KEY_INVITE | KEY_ADMIN))
		return true;
	if (node_held(s, invite) || key_in(s, invite, KEY_ADMIN))
		return true;
	if ((e = key_in(s, invite, KEY_INVITE)) && memcmp(e->issuer, issuer, REC_PK_LEN) != 0)
		return true;
	return admin && (node_held(s, admin) || key_in(s, admin, KEY_INVITE));
}

static int refuse(struct swim *s, enum swim_stat st, int err)
{
	bump(s, st, 1);
	bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
	return err;
}

/* The record of a node key not held yet (verified): its grant's key is an
 * admin key from now on, whatever comes of the record; then the rule. The
 * first chain to name a key holds its role: a later one naming it in
 * another is refused. */
int trust_roles(struct swim *s, const struct swim_rec *r)
{
	const uint8_t *admin = rec_admin(r);

	if (admin && admin_seen(s, admin) != MN_OK)
		return MN_ENOMEM;
	if (trust_roles_clash(s, r->pk, r->invite_pk, admin))
		return refuse(s, SWIM_STAT_REFUSED_KEY_ROLE, MN_EAUTH);
	return MN_OK;
}

/* A verified tombstone: an admin's names an admin key (its own grant's
 * from now on), so it is refused when its target is an admin key (only the
 * root revokes admins, whatever record names that key as a node or invite
 * key) or when its signer's key is a held member's node key or an invite
 * key. MN_EAUTH, counted; the caller counts it refused. */
int trust_tomb_roles(struct swim *s, const struct rec_revoke *t)
{
	const uint8_t *admin = t->grant.admin_pk;

	if (t->signer != REC_BY_ADMIN)
		return MN_OK;
	if (admin_seen(s, admin) != MN_OK)
		return MN_ENOMEM;
	if (key_in(s, t->target_pk, KEY_ADMIN) || node_held(s, admin) ||
	    key_in(s, admin, KEY_INVITE)) {
		bump(s, SWIM_STAT_REFUSED_KEY_ROLE, 1);
		return MN_EAUTH;
	}
	return MN_OK;
}

/* ---- the table's bookkeeping ---- */

int trust_init(struct swim *s)
{
	struct trust *tr = &s->trust;

	memset(tr, 0, sizeof(*tr));
	tr->keys = malloc(KEYS_INIT * sizeof(*tr->keys));
	if (!tr->keys || oatab_init(&tr->by_ip, 2 * MEMBERS_INIT) != MN_OK ||
	    oatab_init(&tr->key_index, 2 * KEYS_INIT) != MN_OK)
		return MN_ENOMEM;
	tr->keys_cap = KEYS_INIT;
	return MN_OK;
}

void trust_free(struct swim *s)
{
	free(s->trust.keys);
	oatab_free(&s->trust.by_ip);
	oatab_free(&s->trust.key_index);
}

/* Member i was added (trust_admit passed for its record). */
void trust_add(struct swim *s, uint32_t i)
{
	struct key_use *e = key_find(s, s->m[i].rec->invite_pk);

	oatab_put(&s->trust.by_ip, ip_key(rec_ip(s->m[i].rec)), i);
	s->trust.nip++;
	if (e)
		e->count++;
}

/* Member i leaves the count and the address index (removal, or a lost race). */
void trust_del(struct swim *s, uint32_t i)
{
	struct trust *tr = &s->trust;
	const struct oatab *t = &tr->by_ip;
	struct key_use *e;

	if (!counted(&s->m[i]))
		return;
	for (uint32_t pos = oatab_home(t, ip_key(rec_ip(s->m[i].rec)));
	     t->slot[pos] != OATAB_EMPTY; pos = oatab_next(t, pos)) {
		if (t->slot[pos] == i) {
			oatab_del_at(&tr->by_ip, pos, ip_key_of, s);
			tr->nip--;
			break;
		}
	}
	if ((e = key_find(s, s->m[i].rec->invite_pk)) && e->count)
		e->count--;
}

/* Member i lost a use-limit race: out of the count now, removed (with what
 * it admitted) at trust_flush. Ourselves: swim_lost tells, never removed. */
static void lose_use(struct swim *s, uint32_t i)
{
	trust_del(s, i);
	s->m[i].flags |= M_LOST;
	bump(s, SWIM_STAT_USES_LOST, 1);
	if (i == 0)
		s->trust.lost |= SWIM_LOST_USE;
	else
		s->trust.due = true;
}

/* Of the members counted under e's invite, the one with the highest race
 * hash, or NONE. A scan: only reached when an invite is at its limit. */
static uint32_t highest_under(const struct swim *s, const struct key_use *e)
{
	uint8_t best[REC_RACE_LEN], h[REC_RACE_LEN];
	uint32_t w = NONE;

	for (uint32_t i = 0; i < s->n; i++) {
		if (!counted(&s->m[i]) || memcmp(s->m[i].rec->invite_pk, e->pk, REC_PK_LEN) != 0)
			continue;
		rec_race(s->m[i].rec, h);
		if (w == NONE || memcmp(h, best, REC_RACE_LEN) > 0) {
			memcpy(best, h, REC_RACE_LEN);
			w = i;
		}
	}
	return w;
}

/* The rules, in order, for r, the record of a node key not held yet
 * (trust_roles passed). MN_OK: add it (trust_add); members it beat in a
 * use race are out. */
int trust_admit(struct swim *s, const struct swim_rec *r)
{
	struct key_use *e;
	uint32_t j;

	if (ip_reserve(s) != MN_OK || !(e = key_get(s, r->invite_pk)))
		return MN_ENOMEM;
	if (!(e->roles & KEY_INVITE)) {
		e->roles |= KEY_INVITE;
		memcpy(e->issuer, r->admin_pk, REC_PK_LEN); /* zero: the root */
	}
	/* 1. A member admitter may not admit under the invite it was itself
	 *    admitted with: its link's secret would mint members past the
	 *    limit, admitted by itself. */
	if (r->admitter_kind == REC_BY_MEMBER &&
	    (j = member_find_pk(s, r->admitter_pk)) != NONE &&
	    memcmp(s->m[j].rec->invite_pk, r->invite_pk, REC_PK_LEN) == 0)
		return refuse(s, SWIM_STAT_REFUSED_OWN_INVITE, MN_EAUTH);
	/* 2. A held IPv4 is never taken by a later admission. When it is ours
	 *    and the newcomer wins the race rule, we lost it (swim_lost): the
	 *    node core asks for a re-admission. */
	if ((j = ip_find(s, rec_ip(r))) != NONE) {
		if (j == 0 && !(s->trust.lost & SWIM_LOST_ADDR) && race_wins(r, s->m[0].rec)) {
			s->trust.lost |= SWIM_LOST_ADDR;
			bump(s, SWIM_STAT_ADDR_LOST, 1);
		}
		return refuse(s, SWIM_STAT_REFUSED_ADDR_HELD, MN_ERANGE);
	}
	/* 3. The use limit: at most e->max admissions under one invite; past
	 *    it, the lowest race hashes stand, the same set at every member
	 *    whatever the order the records came in. */
	if (rec_max_uses(r) < e->max)
		e->max = rec_max_uses(r); /* one key signed with two limits: the lower */
	while (e->count + 1 > e->max) {
		j = highest_under(s, e);
		if (j == NONE)
			break;
		if (race_wins(r, s->m[j].rec)) {
			lose_use(s, j);
			continue;
		}
		/* r loses; a limit just lowered by r still holds */
		while (e->count > e->max && (j = highest_under(s, e)) != NONE)
			lose_use(s, j);
		return refuse(s, SWIM_STAT_REFUSED_USED_UP, MN_EFULL);
	}
	return MN_OK;
}

/* Remove the members that lost a use race (and, transitively, what they
 * admitted). Inside swim_recv this waits until the datagram is done, so no
 * handler loses the member it is answering. */
void trust_flush(struct swim *s)
{
	struct mn_time now = { s->now, 0 };

	if (!s->trust.due || s->in_rx)
		return;
	s->trust.due = false;
	for (uint32_t i = 1; i < s->n; i++) {
		if (present(&s->m[i]) && (s->m[i].flags & M_LOST)) {
			uint8_t pk[REC_PK_LEN];
			memcpy(pk, s->m[i].rec->pk, REC_PK_LEN);
			swim_remove(s, pk, now);
		}
	}
}

uint32_t swim_lost(const struct swim *s)
{
	return s->trust.lost;
}
