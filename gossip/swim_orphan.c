/* swim_orphan.c - orphans: member-admitted records that arrive before their
 * admitter, kept until it is a member (doc/gossip.md "Orphans").
 *
 * A member-admitted record holds only while its admitter is a member
 * (doc/membership.md). Refused outright, a record that came before its
 * admitter came back only with the next push-pull round: a newcomer learned
 * an admission chain one link per round, and a store restored in key order
 * lost every record whose admitter sorted later. So a verified record
 * refused for that reason alone is kept here, with its store reference, the
 * address it came with and whether it was learned or restored, and adopted
 * (member_adopt) when a member whose key is its admitter is added.
 *
 * Bounds: SWIM_ORPHANS_MAX slots, the oldest evicted when full; one slot
 * per node key (a newer version takes the slot of the one kept, the same
 * bytes again change nothing). A lookup by id (pp_want, per datagram) is
 * one probe of a hash index; a scan of the pool happens when a member is
 * added while orphans are held, and when a key is removed.
 *
 * Timer (no deadline of its own: checked in swim_on_timer, which the probe
 * timer calls at least once a probe interval):
 *   expiry   an orphan kept ORPHAN_TTL_MULT x max(suspicion timeout,
 *            push-pull interval) ago is dropped: its admitter should have
 *            come by push-pull by then. If it comes later, push-pull
 *            offers the orphan again.
 */
#include "swim_internal.h"

#define ORPHAN_TTL_MULT 3
#define ORPHAN_INDEX_SLOTS (2 * SWIM_ORPHANS_MAX) /* the index stays half full */

_Static_assert((ORPHAN_INDEX_SLOTS & (ORPHAN_INDEX_SLOTS - 1)) == 0, "a power of two");

/* ---- the pool: slots, their list and index ---- */

static uint64_t slot_id(const void *ctx, uint32_t k)
{
	const struct swim *s = ctx;

	return seal_key_id(s->orphans.o[k].rec->pk);
}

static int pool_init(struct orphans *p)
{
	p->o = calloc(SWIM_ORPHANS_MAX, sizeof(*p->o));
	if (!p->o || oatab_init(&p->by_id, ORPHAN_INDEX_SLOTS) != MN_OK) {
		free(p->o);
		p->o = NULL;
		return MN_ENOMEM;
	}
	for (uint16_t k = 0; k < SWIM_ORPHANS_MAX; k++)
		p->o[k].next = k + 1 < SWIM_ORPHANS_MAX ? (uint16_t)(k + 1) : ORPHAN_NIL;
	p->free = 0;
	p->head = p->tail = ORPHAN_NIL;
	p->n = 0;
	return MN_OK;
}

static void pool_release(struct orphans *p)
{
	free(p->o);
	p->o = NULL;
	oatab_free(&p->by_id);
	p->n = 0;
}

/* The slot of pk's orphan, or ORPHAN_NIL. */
static uint16_t find_pk(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	const struct orphans *p = &s->orphans;

	if (!p->n)
		return ORPHAN_NIL;
	for (uint32_t pos = oatab_home(&p->by_id, seal_key_id(pk));
	     p->by_id.slot[pos] != OATAB_EMPTY; pos = oatab_next(&p->by_id, pos))
		if (memcmp(p->o[p->by_id.slot[pos]].rec->pk, pk, REC_PK_LEN) == 0)
			return (uint16_t)p->by_id.slot[pos];
	return ORPHAN_NIL;
}

/* Keep r (its reference) at the list's tail. A free slot must exist. */
static void append(struct swim *s, const struct swim_rec *r, const struct waddr *addr,
		   bool announce)
{
	struct orphans *p = &s->orphans;
	uint16_t k = p->free;
	struct orphan *o = &p->o[k];

	p->free = o->next;
	o->rec = r;
	o->at = s->now;
	memset(&o->addr, 0, sizeof(o->addr));
	if (addr)
		o->addr = *addr;
	o->ann = NULL;
	o->announce = announce;
	o->prev = p->tail;
	o->next = ORPHAN_NIL;
	if (p->tail != ORPHAN_NIL)
		p->o[p->tail].next = k;
	else
		p->head = k;
	p->tail = k;
	oatab_put(&p->by_id, seal_key_id(r->pk), k);
	p->n++;
}

/* Take slot k out of the list and the index, to the free list. Its record
 * reference becomes the caller's, and its announcement's with ann (else
 * given back). */
static const struct swim_rec *take(struct swim *s, uint16_t k, const struct annblob **ann)
{
	struct orphans *p = &s->orphans;
	struct orphan *o = &p->o[k];
	const struct swim_rec *r = o->rec;

	if (ann)
		*ann = o->ann;
	else
		annpool_put(s->annpool, o->ann);
	o->ann = NULL;

	for (uint32_t pos = oatab_home(&p->by_id, seal_key_id(r->pk));
	     p->by_id.slot[pos] != OATAB_EMPTY; pos = oatab_next(&p->by_id, pos)) {
		if (p->by_id.slot[pos] == k) {
			oatab_del_at(&p->by_id, pos, slot_id, s);
			break;
		}
	}
	if (o->prev != ORPHAN_NIL)
		p->o[o->prev].next = o->next;
	else
		p->head = o->next;
	if (o->next != ORPHAN_NIL)
		p->o[o->next].prev = o->prev;
	else
		p->tail = o->prev;
	o->rec = NULL;
	o->next = p->free;
	p->free = k;
	p->n--;
	return r;
}

static void drop(struct swim *s, uint16_t k, enum swim_stat why)
{
	member_release(s, take(s, k, NULL));
	bump(s, why, 1);
}

/* ---- keeping, adopting, dropping ---- */

/* r (a reference, now the pool's) waits for its admitter, with addr (NULL:
 * none). Duplicates take no slot: the same key again keeps the newer
 * record, at the address that came last. */
void orphan_keep(struct swim *s, const struct swim_rec *r, const struct waddr *addr,
		 bool announce)
{
	struct orphans *p = &s->orphans;
	struct waddr w = { .family = 0 };
	uint16_t k;

	if (!p->o && pool_init(p) != MN_OK) {
		member_release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return;
	}
	if (addr)
		w = *addr;
	k = find_pk(s, r->pk);
	if (k != ORPHAN_NIL) {
		struct orphan *o = &p->o[k];
		if (w.family == 0)
			w = o->addr;
		if (o->rec == r || !member_rec_newer(r, o->rec)) {
			o->addr = w;
			member_release(s, r);
			p->kept = o->rec;
			return;
		}
		member_release(s, take(s, k, NULL)); /* the newer version takes its place */
	}
	if (p->n == SWIM_ORPHANS_MAX)
		drop(s, p->head, SWIM_STAT_ORPHANS_EVICTED);
	append(s, r, w.family ? &w : NULL, announce);
	p->kept = r;
	bump(s, SWIM_STAT_ORPHANS_KEPT, 1);
}

/* The announcement p[len] that came with the orphan kept last
 * (orphans.kept): verified against its key and kept with it, the newer of
 * two. */
void orphan_keep_ann(struct swim *s, const uint8_t *p, size_t len, uint32_t from)
{
	struct orphans *o = &s->orphans;
	const struct annblob *b;
	uint16_t k;

	if (!o->kept || (k = find_pk(s, o->kept->pk)) == ORPHAN_NIL)
		return;
	if (!ann_wellformed(p, len, o->kept->pk)) {
		bump(s, SWIM_STAT_DROP_ADDR, 1);
		return;
	}
	if (o->o[k].ann && ann_seq(o->o[k].ann->b) >= ann_seq(p))
		return;
	if (!(b = ann_verified(s, o->kept->pk, p, len, from)))
		return;
	annpool_put(s->annpool, o->o[k].ann);
	o->o[k].ann = b;
}

bool orphan_held(const struct swim *s, uint64_t id)
{
	const struct orphans *p = &s->orphans;

	if (!p->n)
		return false;
	for (uint32_t pos = oatab_home(&p->by_id, id); p->by_id.slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(&p->by_id, pos))
		if (slot_id(s, p->by_id.slot[pos]) == id)
			return true;
	return false;
}

/* Slot k's admitter is a member: adopt it as swim_learn or swim_restore
 * would have taken it then. */
static bool adopt_one(struct swim *s, uint16_t k)
{
	struct orphan o = s->orphans.o[k];
	const struct annblob *ann;
	uint32_t i;
	int err;

	take(s, k, &ann);
	err = member_adopt(s, o.rec, &o.addr, o.announce, &i);
	if (err == MN_OK)
		bump(s, SWIM_STAT_ORPHANS_ADOPTED, 1);
	member_took(s, err, i, o.addr.family ? &o.addr : NULL, o.announce);
	if (ann && i != NONE && i != 0 && present(&s->m[i]) && ann_seq(ann->b) > ann_held_seq(s, i))
		ann_follow(s, i, ann);
	else
		annpool_put(s->annpool, ann);
	return err == MN_OK;
}

/* Adopt every orphan whose admitter is a member, and so on down the chains
 * (an adopted one may be another's admitter). Iterative: member_adopt,
 * which calls this for each member it adds, adopts nothing while this
 * runs; each pass goes newest first, so a chain that arrived leaf first
 * (each admitter after what it admitted) is adopted in one pass. */
void orphan_adopt(struct swim *s)
{
	struct orphans *p = &s->orphans;
	bool again = true;

	if (p->adopting || !p->n)
		return;
	p->adopting = true;
	while (again && p->n) {
		again = false;
		for (uint16_t k = p->tail; k != ORPHAN_NIL;) {
			uint16_t prev = p->o[k].prev;
			if (member_find_pk(s, p->o[k].rec->admitter_pk) == NONE) {
				k = prev;
				continue;
			}
			again |= adopt_one(s, k);
			/* an adoption can drop others (a tombstone it settled):
			 * start over from the newest if prev went */
			k = prev != ORPHAN_NIL && p->o[prev].rec ? prev : p->tail;
		}
	}
	p->adopting = false;
}

/* A key was removed (swim_remove: revoked, or a lost use race): drop the
 * orphans whose chain holds it in any role, and, transitively, those that
 * one of them admitted (nobody can adopt them now). */
void orphan_drop_key(struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	struct orphans *p = &s->orphans;
	uint16_t q[SWIM_ORPHANS_MAX];
	bool gone[SWIM_ORPHANS_MAX];
	uint32_t nq = 0;

	if (!p->n)
		return;
	memset(gone, 0, sizeof(gone));
	for (uint16_t k = p->head; k != ORPHAN_NIL; k = p->o[k].next)
		if (member_rec_names(p->o[k].rec, pk)) {
			gone[k] = true;
			q[nq++] = k;
		}
	for (uint32_t j = 0; j < nq; j++)
		for (uint16_t k = p->head; k != ORPHAN_NIL; k = p->o[k].next)
			if (!gone[k] && memcmp(p->o[k].rec->admitter_pk, p->o[q[j]].rec->pk,
					       REC_PK_LEN) == 0) {
				gone[k] = true;
				q[nq++] = k;
			}
	for (uint32_t j = 0; j < nq; j++)
		drop(s, q[j], SWIM_STAT_ORPHANS_REVOKED);
}

static mn_ns ttl(const struct swim *s)
{
	uint32_t n = scale_n(s);
	mn_ns susp = scale_timeout(&s->p, n, 0);
	mn_ns pp = s->p.pushpull_interval_ns ? scale_pushpull(&s->p, n) : 0;

	return ORPHAN_TTL_MULT * (susp > pp ? susp : pp);
}

void orphan_expire(struct swim *s)
{
	struct orphans *p = &s->orphans;

	if (!p->o || p->adopting)
		return;
	if (p->n) {
		mn_ns t = ttl(s);
		while (p->n && s->now - p->o[p->head].at >= t)
			drop(s, p->head, SWIM_STAT_ORPHANS_EXPIRED);
	}
	if (!p->n)
		pool_release(p);
}

void orphan_free(struct swim *s)
{
	struct orphans *p = &s->orphans;

	if (!p->o)
		return;
	while (p->n)
		member_release(s, take(s, p->head, NULL));
	pool_release(p);
}
