/* store.c - the two backends of store.h: LMDB and memory. */
#include "store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

static const char *const table_names[STORE__TABLES] = {
	"meta", "members", "certs", "revoked", "invites", "paths",
};

/* In memory: one sorted array per table. */
struct mem_entry {
	uint8_t key[STORE_MAX_KEY];
	size_t klen;
	uint8_t *val;
	size_t vlen;
};

struct mem_table {
	struct mem_entry *v;
	size_t n, cap;
};

struct store {
	bool lmdb;
	MDB_env *env;
	MDB_dbi dbi[STORE__TABLES];
	struct mem_table mem[STORE__TABLES];
};

enum op_kind { OP_PUT, OP_DEL };

struct op {
	enum op_kind kind;
	enum store_table tb;
	uint8_t key[STORE_MAX_KEY];
	size_t klen;
	uint8_t *val; /* owned copy */
	size_t vlen;
};

struct store_txn {
	struct store *s;
	struct op *ops;
	size_t n, cap;
};

/* Values may be secrets (the node's identity key goes to STORE_META):
 * every copy the store frees is wiped first. */
static void wipe_free(uint8_t *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
	free(p);
}

static int lmdb_err(int rc)
{
	switch (rc) {
	case 0:
		return MN_OK;
	case MDB_NOTFOUND:
		return MN_ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return MN_EFULL;
	case ENOMEM:
		return MN_ENOMEM;
	default:
		if (rc > 0)
			errno = rc;
		return MN_EIO;
	}
}

int store_open_lmdb(struct store **out, const char *dir, size_t map_bytes)
{
	return store_open_lmdb_flags(out, dir, map_bytes, 0);
}

int store_open_lmdb_flags(struct store **out, const char *dir, size_t map_bytes,
			  unsigned flags)
{
	struct store *s;
	MDB_txn *txn = NULL;
	int rc;

	if ((flags & ~(unsigned)STORE_NOSYNC) != 0)
		return MN_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MN_ENOMEM;
	s->lmdb = true;
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_maxdbs(s->env, STORE__TABLES)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map_bytes ? map_bytes : STORE_DEFAULT_MAP_BYTES)) != 0)
		goto fail;
	/* MDB_NOTLS: read transactions are not tied to a thread (the
	 * simulator keeps many environments on one thread, and no pthread
	 * key is used per environment). MDB_NOSYNC: see STORE_NOSYNC. */
	unsigned mdb_flags = MDB_NOTLS | ((flags & STORE_NOSYNC) ? MDB_NOSYNC : 0);
	if ((rc = mdb_env_open(s->env, dir, mdb_flags, 0600)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (int i = 0; i < STORE__TABLES; i++)
		if ((rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &s->dbi[i])) != 0)
			goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	*out = s;
	return MN_OK;
fail:
	if (txn)
		mdb_txn_abort(txn);
	if (s->env)
		mdb_env_close(s->env);
	free(s);
	return lmdb_err(rc);
}

int store_open_memory(struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return MN_ENOMEM;
	*out = s;
	return MN_OK;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->lmdb) {
		mdb_env_close(s->env);
	} else {
		for (int i = 0; i < STORE__TABLES; i++) {
			for (size_t k = 0; k < s->mem[i].n; k++)
				wipe_free(s->mem[i].v[k].val, s->mem[i].v[k].vlen);
			free(s->mem[i].v);
		}
	}
	free(s);
}

/* ---- transactions ---- */

int store_txn_begin(struct store *s, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return MN_ENOMEM;
	t->s = s;
	*out = t;
	return MN_OK;
}

static int push_op(struct store_txn *t, enum op_kind kind, enum store_table tb, const void *key,
		   size_t klen, const void *val, size_t vlen)
{
	if ((unsigned)tb >= STORE__TABLES || klen == 0 || klen > STORE_MAX_KEY ||
	    vlen > STORE_MAX_VALUE)
		return MN_EINVAL;
	if (t->n == STORE_MAX_OPS)
		return MN_EFULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct op *v = realloc(t->ops, cap * sizeof(*v));
		if (!v)
			return MN_ENOMEM;
		t->ops = v;
		t->cap = cap;
	}
	struct op *o = &t->ops[t->n];
	o->val = NULL;
	if (kind == OP_PUT) {
		o->val = malloc(vlen ? vlen : 1);
		if (!o->val)
			return MN_ENOMEM;
		memcpy(o->val, val, vlen);
	}
	o->kind = kind;
	o->tb = tb;
	memcpy(o->key, key, klen);
	o->klen = klen;
	o->vlen = vlen;
	t->n++;
	return MN_OK;
}

int store_put(struct store_txn *t, enum store_table tb, const void *key, size_t klen,
	      const void *val, size_t vlen)
{
	return push_op(t, OP_PUT, tb, key, klen, val, vlen);
}

int store_del(struct store_txn *t, enum store_table tb, const void *key, size_t klen)
{
	return push_op(t, OP_DEL, tb, key, klen, NULL, 0);
}

void store_txn_abort(struct store_txn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		wipe_free(t->ops[i].val, t->ops[i].vlen);
	free(t->ops);
	free(t);
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of key in table m, or where it would go (*found false). */
static size_t mem_find(const struct mem_table *m, const uint8_t *key, size_t klen, bool *found)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(m->v[mid].key, m->v[mid].klen, key, klen);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int commit_memory(struct store_txn *t)
{
	struct store *s = t->s;

	/* Reserve first, so applying cannot fail half-way. */
	size_t puts[STORE__TABLES] = { 0 };
	for (size_t i = 0; i < t->n; i++)
		if (t->ops[i].kind == OP_PUT)
			puts[t->ops[i].tb]++;
	for (int tb = 0; tb < STORE__TABLES; tb++) {
		struct mem_table *m = &s->mem[tb];
		if (m->n + puts[tb] <= m->cap)
			continue;
		size_t cap = m->cap ? m->cap : 16;
		while (cap < m->n + puts[tb])
			cap *= 2;
		struct mem_entry *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return MN_ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct op *o = &t->ops[i];
		struct mem_table *m = &s->mem[o->tb];
		bool found;
		size_t at = mem_find(m, o->key, o->klen, &found);
		if (o->kind == OP_DEL) {
			if (!found)
				continue;
			wipe_free(m->v[at].val, m->v[at].vlen);
			memmove(&m->v[at], &m->v[at + 1], (m->n - at - 1) * sizeof(*m->v));
			m->n--;
			continue;
		}
		if (found) {
			wipe_free(m->v[at].val, m->v[at].vlen);
		} else {
			memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(*m->v));
			m->n++;
			memcpy(m->v[at].key, o->key, o->klen);
			m->v[at].klen = o->klen;
		}
		m->v[at].val = o->val; /* ownership moves to the table */
		m->v[at].vlen = o->vlen;
		o->val = NULL;
	}
	return MN_OK;
}

static int commit_lmdb(struct store_txn *t)
{
	struct store *s = t->s;
	MDB_txn *txn;
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);

	if (rc)
		return lmdb_err(rc);
	for (size_t i = 0; i < t->n; i++) {
		struct op *o = &t->ops[i];
		MDB_val k = { o->klen, o->key }, v = { o->vlen, o->val };
		rc = o->kind == OP_PUT ? mdb_put(txn, s->dbi[o->tb], &k, &v, 0) :
					 mdb_del(txn, s->dbi[o->tb], &k, NULL);
		if (rc == MDB_NOTFOUND && o->kind == OP_DEL)
			rc = 0;
		if (rc) {
			mdb_txn_abort(txn);
			return lmdb_err(rc);
		}
	}
	return lmdb_err(mdb_txn_commit(txn));
}

int store_txn_commit(struct store_txn *t)
{
	int rc = t->s->lmdb ? commit_lmdb(t) : commit_memory(t);
	store_txn_abort(t);
	return rc;
}

/* ---- reads ---- */

int store_get(struct store *s, enum store_table tb, const void *key, size_t klen, void *buf,
	      size_t cap, size_t *vlen)
{
	if ((unsigned)tb >= STORE__TABLES || klen == 0 || klen > STORE_MAX_KEY)
		return MN_EINVAL;
	if (!s->lmdb) {
		bool found;
		size_t at = mem_find(&s->mem[tb], key, klen, &found);
		if (!found)
			return MN_ENOENT;
		const struct mem_entry *e = &s->mem[tb].v[at];
		*vlen = e->vlen;
		if (e->vlen > cap)
			return MN_EMSGSIZE;
		memcpy(buf, e->val, e->vlen);
		return MN_OK;
	}
	MDB_txn *txn;
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return lmdb_err(rc);
	rc = mdb_get(txn, s->dbi[tb], &k, &v);
	if (rc == 0) {
		*vlen = v.mv_size;
		if (v.mv_size > cap)
			rc = MN_EMSGSIZE;
		else
			memcpy(buf, v.mv_data, v.mv_size);
	} else {
		rc = lmdb_err(rc);
	}
	mdb_txn_abort(txn);
	return rc;
}

int store_foreach(struct store *s, enum store_table tb,
		  int (*fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
			    size_t vlen),
		  void *ctx)
{
	if ((unsigned)tb >= STORE__TABLES)
		return MN_EINVAL;
	if (!s->lmdb) {
		for (size_t i = 0; i < s->mem[tb].n; i++) {
			const struct mem_entry *e = &s->mem[tb].v[i];
			int r = fn(ctx, e->key, e->klen, e->val, e->vlen);
			if (r)
				return r;
		}
		return MN_OK;
	}
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), r = 0;
	if (rc)
		return lmdb_err(rc);
	if ((rc = mdb_cursor_open(txn, s->dbi[tb], &cur)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		r = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (r)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (r)
		return r;
	return rc == MDB_NOTFOUND ? MN_OK : lmdb_err(rc);
}
