/* swim_persist.c - a swim node's durable state in its LMDB environment; see
 * swim_persist.h. */
#include "swim_persist.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "store.h"

/* STORE_META keys */
static const char meta_identity[] = "identity";
static const char meta_inc[] = "incarnation";
static const char meta_boot[] = "boot";

struct swim_persist {
	struct store *st;
	struct store_txn *txn;   /* the current call's writes, NULL before the first */
	struct swim_persist_hooks hooks;
	bool restoring;          /* what swim reports comes from the store */
	int err;                 /* the first failure */
};

/* ---- tombstone sets ---- */

void swim_persist_tomb_id(const uint8_t *tomb, size_t len, uint8_t id[SWIM_PERSIST_TOMB_ID_LEN])
{
	crypto_generichash(id, SWIM_PERSIST_TOMB_ID_LEN, tomb, len, NULL, 0);
}

/* Room for one more tombstone. */
static int tombs_room(struct swim_persist_tombs *t)
{
	struct swim_persist_tomb *v;
	uint32_t cap;

	if (t->n < t->cap)
		return MN_OK;
	cap = t->cap ? 2 * t->cap : 4;
	v = realloc(t->v, cap * sizeof(*v));
	if (!v)
		return MN_ENOMEM;
	t->v = v;
	t->cap = cap;
	return MN_OK;
}

int swim_persist_tombs_put(struct swim_persist_tombs *t, const uint8_t id[SWIM_PERSIST_TOMB_ID_LEN],
			   const uint8_t *tomb, size_t len)
{
	uint32_t pos = 0;
	int cmp = 1;

	while (pos < t->n && (cmp = memcmp(t->v[pos].id, id, SWIM_PERSIST_TOMB_ID_LEN)) < 0)
		pos++;
	if (pos < t->n && cmp == 0)
		return MN_OK;
	if (len > REC_REVOKE_MAX)
		return MN_EMSGSIZE; /* swim keeps no such tombstone */
	if (t->n == SWIM_MAX_TOMBS)
		return MN_EFULL; /* nor more than that */
	if (tombs_room(t))
		return MN_ENOMEM;
	memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof(*t->v));
	memcpy(t->v[pos].id, id, SWIM_PERSIST_TOMB_ID_LEN);
	t->v[pos].len = (uint16_t)len;
	memcpy(t->v[pos].bytes, tomb, len);
	t->n++;
	return MN_OK;
}

void swim_persist_tombs_free(struct swim_persist_tombs *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- failures and writes ---- */

static void fail_with(const struct swim_persist_hooks *h, int rc, int errnum, const char *what,
		      const char *arg)
{
	char why[SWIM_PERSIST_WHY_LEN];

	snprintf(why, sizeof(why), "swim store: %s%s%s: %s%s%s", what, arg ? " " : "",
		 arg ? arg : "", mn_strerror(rc), rc == MN_EIO && errnum ? ": " : "",
		 rc == MN_EIO && errnum ? strerror(errnum) : "");
	h->fail(h->ctx, rc, why);
}

static void fail(struct swim_persist *sp, int rc, int errnum, const char *what, const char *arg)
{
	sp->err = rc;
	fail_with(&sp->hooks, rc, errnum, what, arg);
}

static void count(struct swim_persist *sp, enum swim_persist_count what)
{
	if (sp->hooks.count)
		sp->hooks.count(sp->hooks.ctx, what);
}

struct store *swim_persist_store(struct swim_persist *sp)
{
	return sp->st;
}

void swim_persist_commit(struct swim_persist *sp)
{
	int rc;

	if (!sp || !sp->txn)
		return;
	errno = 0;
	rc = store_txn_commit(sp->txn);
	sp->txn = NULL;
	if (rc)
		fail(sp, rc, errno, "commit", NULL);
	else
		count(sp, SWIM_PERSIST_COMMITS);
}

/* One write (val NULL: a delete) into the current call's transaction. */
static void write_one(struct swim_persist *sp, enum store_table tb, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	int rc = MN_OK;

	if (sp->err)
		return;
	for (int tries = 0; tries < 2; tries++) {
		if (!sp->txn && (rc = store_txn_begin(sp->st, &sp->txn)) != MN_OK)
			break;
		rc = val ? store_put(sp->txn, tb, key, klen, val, vlen) :
			   store_del(sp->txn, tb, key, klen);
		if (rc != MN_EFULL)
			break;
		swim_persist_commit(sp);
		if (sp->err)
			return;
	}
	if (rc)
		fail(sp, rc, 0, val ? "put" : "delete", NULL);
	else
		count(sp, SWIM_PERSIST_WRITES);
}

static void put_u32(struct swim_persist *sp, const char *key, uint32_t v)
{
	uint8_t b[4];

	mn_put_be32(b, v);
	write_one(sp, STORE_META, key, strlen(key), b, sizeof(b));
}

/* ---- the environment ---- */

int swim_persist_open(struct swim_persist **out, const char *dir, size_t map_bytes,
		      unsigned flags, bool make_dir, const struct swim_persist_hooks *hooks)
{
	struct swim_persist *sp;
	int rc;

	*out = NULL;
	if (make_dir && mkdir(dir, 0700) != 0) {
		fail_with(hooks, MN_EIO, errno, "mkdir", dir);
		return MN_EIO;
	}
	if (!(sp = calloc(1, sizeof(*sp))))
		return MN_ENOMEM;
	sp->hooks = *hooks;
	errno = 0;
	rc = store_open_lmdb_flags(&sp->st, dir, map_bytes, flags);
	if (rc) {
		fail_with(hooks, rc, errno, "opening", dir);
		free(sp);
		return rc;
	}
	*out = sp;
	return MN_OK;
}

void swim_persist_close(struct swim_persist *sp)
{
	if (!sp)
		return;
	store_txn_abort(sp->txn);
	store_close(sp->st);
	free(sp);
}

int swim_persist_failed(const struct swim_persist *sp)
{
	return sp ? sp->err : MN_OK;
}

void swim_persist_restoring(struct swim_persist *sp, bool on)
{
	sp->restoring = on;
}

/* ---- swim's events ---- */

void swim_persist_event(struct swim_persist *sp, const struct swim_event *ev)
{
	uint8_t id[SWIM_PERSIST_TOMB_ID_LEN];

	switch (ev->kind) {
	case SWIM_EV_RECORD:
		if (!sp->restoring)
			write_one(sp, STORE_MEMBERS, ev->rec->pk, REC_PK_LEN, ev->rec->bytes,
				  ev->rec->len);
		break;
	case SWIM_EV_REMOVED:
		write_one(sp, STORE_MEMBERS, ev->rec->pk, REC_PK_LEN, NULL, 0);
		break;
	case SWIM_EV_SELF_INC:
		put_u32(sp, meta_inc, ev->inc);
		break;
	case SWIM_EV_BOOT:
		put_u32(sp, meta_boot, ev->boot);
		break;
	case SWIM_EV_REVOKED:
		if (sp->restoring)
			break;
		swim_persist_tomb_id(ev->tomb, ev->tomb_len, id);
		write_one(sp, STORE_REVOKED, id, sizeof(id), ev->tomb, ev->tomb_len);
		break;
	case SWIM_EV_SUSPECT:
	case SWIM_EV_DEAD:
	case SWIM_EV_ALIVE:
		break;
	}
}

/* ---- boot and restore ---- */

int swim_persist_first_boot(struct swim_persist *sp, const struct rec_key *key)
{
	uint8_t seed[REC_SEED_LEN];

	crypto_sign_ed25519_sk_to_seed(seed, key->sk);
	write_one(sp, STORE_META, meta_identity, strlen(meta_identity), seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	put_u32(sp, meta_inc, 0);
	return sp->err;
}

static int meta_u32(struct swim_persist *sp, const char *key, uint32_t *out)
{
	uint8_t b[4];
	size_t len;
	int rc = store_get(sp->st, STORE_META, key, strlen(key), b, sizeof(b), &len);

	if (rc == MN_OK && len != sizeof(b))
		rc = MN_EPROTO;
	if (rc == MN_OK)
		*out = mn_get_be32(b);
	return rc;
}

int swim_persist_has_identity(struct swim_persist *sp)
{
	uint8_t seed[REC_SEED_LEN];
	size_t len;
	int rc = store_get(sp->st, STORE_META, meta_identity, strlen(meta_identity), seed,
			   sizeof(seed), &len);

	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int swim_persist_load_meta(struct swim_persist *sp, const uint8_t *expect_pk,
			   struct rec_key *key, uint32_t *inc, bool *inc_lost, uint32_t *boot)
{
	uint8_t seed[REC_SEED_LEN];
	size_t len;
	int rc;

	rc = store_get(sp->st, STORE_META, meta_identity, strlen(meta_identity), seed,
		       sizeof(seed), &len);
	if (rc == MN_OK && len != sizeof(seed))
		rc = MN_EPROTO;
	if (rc) {
		fail(sp, rc, errno, "identity key", NULL);
		goto out;
	}
	rec_key_from_seed(key, seed);
	if (expect_pk && memcmp(key->pk, expect_pk, REC_PK_LEN) != 0) {
		rc = MN_EAUTH;
		fail(sp, rc, 0, "identity key", "of another node");
		goto out;
	}
	if ((rc = meta_u32(sp, meta_boot, boot))) {
		fail(sp, rc, errno, "boot number", NULL);
		goto out;
	}
	*inc_lost = false;
	rc = meta_u32(sp, meta_inc, inc);
	if (rc == MN_ENOENT) {
		*inc = 0;
		*inc_lost = true;
		rc = MN_OK;
	} else if (rc) {
		fail(sp, rc, errno, "incarnation", NULL);
	}
out:
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int swim_persist_load_self(struct swim_persist *sp, const uint8_t pk[REC_PK_LEN], uint8_t *buf,
			   size_t cap, size_t *len)
{
	int rc = store_get(sp->st, STORE_MEMBERS, pk, REC_PK_LEN, buf, cap, len);

	if (rc)
		fail(sp, rc, errno, "own record", NULL);
	return rc;
}

static int read_tomb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct swim_persist_tombs *t = ctx;
	struct swim_persist_tomb *e;

	if (vlen > REC_REVOKE_MAX || t->n == SWIM_MAX_TOMBS)
		return 0;
	if (tombs_room(t))
		return MN_ENOMEM;
	e = &t->v[t->n++];
	memset(e->id, 0, sizeof(e->id));
	memcpy(e->id, key, klen < SWIM_PERSIST_TOMB_ID_LEN ? klen : SWIM_PERSIST_TOMB_ID_LEN);
	e->len = (uint16_t)vlen;
	memcpy(e->bytes, val, vlen);
	return 0;
}

/* Every entry of table tb to fn; a failure (fn's included) names what. */
static int read_table(struct swim_persist *sp, enum store_table tb,
		      int (*fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
				size_t vlen),
		      void *ctx, const char *what)
{
	int rc;

	errno = 0;
	rc = store_foreach(sp->st, tb, fn, ctx);
	if (rc)
		fail(sp, rc, errno, what, NULL);
	return rc;
}

int swim_persist_read_tombs(struct swim_persist *sp, struct swim_persist_tombs *out)
{
	return read_table(sp, STORE_REVOKED, read_tomb, out, "reading the tombstones");
}

int swim_persist_foreach_record(struct swim_persist *sp,
				int (*fn)(void *ctx, const uint8_t *pk, size_t pklen,
					  const uint8_t *rec, size_t len),
				void *ctx)
{
	return read_table(sp, STORE_MEMBERS, fn, ctx, "reading the records");
}

void swim_persist_restore_tombs(struct swim *s, const struct swim_persist_tombs *t,
				struct mn_time now)
{
	for (uint32_t k = 0; k < t->n; k++)
		swim_restore_revoke(s, t->v[k].bytes, t->v[k].len, now);
}
