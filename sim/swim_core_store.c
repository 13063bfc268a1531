/* swim_core_store.c - where a swim node keeps its state in a run, and the
 * restart that rebuilds the node from it alone (see swim_core.h):
 *
 *   store lmdb    an LMDB environment per node, driven through
 *                 store/swim_persist.h as the daemon drives it: the run's
 *                 directory, the node's environment, one transaction per
 *                 engine call (swc_call_end), a failure stops the run
 *   store memory  struct swc_persist in env->persist is the stand-in
 *
 * Both rebuild the same node in the same order (tombstones by ascending
 * id, then records by node id), so a run's trace does not depend on the
 * backend.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "mn_err.h"
#include "sim.h"
#include "store.h"
#include "swim_core_node.h"

/* LMDB map per node slot: a record is at most REC_MEMBER_MAX (852) bytes,
 * about four to a 4 KiB page, and a transaction rewriting them all keeps
 * the old pages until the next one: a page per record covers both copies
 * with room to spare (1,000 records of 700-852 bytes rewritten whole 20
 * times use 2.7 MB; 1 KiB a slot runs out). The map is address space; the
 * file grows only with what is written. */
#define LMDB_MAP_PER_NODE (UINT64_C(4) << 10)
#define LMDB_MAP_BASE (UINT64_C(1) << 20)
#define LMDB_FDS_PER_NODE 3         /* data file, lock file, the data file again for meta writes */
#define LMDB_FDS_SPARE 64           /* the rest of the process */
#define PATH_CAP 4096

/* ---- the run's directory ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path); /* best effort: go on with the rest */
	return 0;
}

/* $TMPDIR/meshsim-XXXXXX (or /tmp) */
int swc_run_dir_new(struct swc_shared *sh, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	uint64_t need = (uint64_t)sh->nodes * LMDB_FDS_PER_NODE + LMDB_FDS_SPARE;
	struct rlimit rl;
	size_t cap;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < need) {
		snprintf(err, errlen,
			 "swim: store lmdb: %u nodes need about %llu file descriptors, the limit is "
			 "%llu (ulimit -n; or core_param store memory)",
			 sh->nodes, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
		return MN_EINVAL;
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	cap = strlen(tmp) + sizeof("/meshsim-XXXXXX");
	if (cap + 12 > PATH_CAP) {
		snprintf(err, errlen, "swim: store lmdb: TMPDIR is too long");
		return MN_EINVAL;
	}
	if (!(sh->dir = malloc(cap))) {
		snprintf(err, errlen, "swim: %s", mn_strerror(MN_ENOMEM));
		return MN_ENOMEM;
	}
	snprintf(sh->dir, cap, "%s/meshsim-XXXXXX", tmp);
	if (!mkdtemp(sh->dir)) {
		snprintf(err, errlen, "swim: store lmdb: mkdtemp %s: %s", sh->dir, strerror(errno));
		free(sh->dir);
		sh->dir = NULL;
		return MN_EIO;
	}
	sh->map_bytes = (size_t)(sh->nodes * LMDB_MAP_PER_NODE + LMDB_MAP_BASE);
	return MN_OK;
}

void swc_run_dir_del(struct swc_shared *sh)
{
	/* every node's environment is closed by now (the engine destroys the
	 * cores first); depth first, symlinks not followed */
	nftw(sh->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(sh->dir);
	sh->dir = NULL;
}

/* ---- the node's store ---- */

/* The store failed: a real node would exit. The run stops with why. */
static void store_failed(void *ctx, int rc, const char *why)
{
	struct swc *c = ctx;

	c->store_err = rc;
	sim_env_halt(c->env, rc, why);
}

static void store_counted(void *ctx, enum swim_persist_count what)
{
	struct swc *c = ctx;

	sim_env_count(c->env, what == SWIM_PERSIST_COMMITS ? C_STORE_COMMITS : C_STORE_WRITES, 1);
}

void swc_call_end(struct swc *c)
{
	swim_persist_commit(c->sp);
}

void swc_set_restoring(struct swc *c, bool on)
{
	c->restoring = on;
	if (c->sp)
		swim_persist_restoring(c->sp, on);
}

/* Boot (first) or restart with store lmdb: open the node's environment; at
 * first boot make its directory. */
static int store_open_node(struct swc *c, bool first)
{
	const struct swim_persist_hooks hooks = {
		.ctx = c, .fail = store_failed, .count = store_counted,
	};
	char dir[PATH_CAP];
	int n = snprintf(dir, sizeof(dir), "%s/%u", c->sh->dir, c->env->node_id);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return MN_EINVAL;
	return swim_persist_open(&c->sp, dir, c->sh->map_bytes, STORE_NOSYNC, first, &hooks);
}

int swc_store_first_boot(struct swc *c)
{
	int rc = store_open_node(c, true);

	if (rc)
		return rc;
	rec_key_generate(&c->key, &c->env->rng);
	return swim_persist_first_boot(c->sp, &c->key);
}

int swc_store_restart(struct swc *c, uint32_t *inc, bool *inc_lost, uint32_t *boot)
{
	int rc = store_open_node(c, false);

	if (rc)
		return rc;
	/* the store of this node id, not another one's: its key must be the
	 * one the node signed its first record with */
	return swim_persist_load_meta(c->sp, swim_fixture_pk(&c->sh->fx, c->env->node_id),
				      &c->key, inc, inc_lost, boot);
}

/* ---- store memory ---- */

/* SWIM_EV_REVOKED: the node keeps the tombstone forever, so that after a
 * restart it refuses the key before it hears anything (DESIGN.md §4).
 * Tombstones being restored are kept already. */
void swc_keep_tomb(struct swc *c, const struct swim_event *ev)
{
	uint8_t id[SWIM_PERSIST_TOMB_ID_LEN];
	char why[SIM_ERR_LEN];
	int rc;

	if (c->sp || c->restoring || c->sh->dir)
		return; /* store lmdb: on_event writes it; being restored: kept already */
	swim_persist_tomb_id(ev->tomb, ev->tomb_len, id);
	if ((rc = swim_persist_tombs_put(&c->ps->tombs, id, ev->tomb, ev->tomb_len))) {
		snprintf(why, sizeof(why), "swim store: keeping a tombstone: %s", mn_strerror(rc));
		store_failed(c, rc, why);
	}
}

void swc_persist_free(void *p)
{
	struct swc_persist *ps = p;

	if (!ps)
		return;
	rec_key_wipe(&ps->key);
	free(ps->held);
	swim_persist_tombs_free(&ps->tombs);
	free(ps);
}

/* ---- restart ---- */

/* Restart: the tombstones kept, before any record, so that a revoked
 * member's record (a store that still holds it) is refused as it comes
 * back instead of adopted and then dropped. An admin's tombstone whose
 * target no record names stays pending in swim until one does (swim.h).
 * Not written back: the store already holds them. */
static void restore_tombs(struct swc *c, const struct swim_persist_tombs *t, struct mn_time now)
{
	swc_set_restoring(c, true);
	swim_persist_restore_tombs(c->s, t, now);
	swc_set_restoring(c, false);
}

/* Restart with store memory: the tombstones, then every record held[]
 * names, in node-id order. */
static void restore_memory(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;

	restore_tombs(c, &c->ps->tombs, now);
	for (uint32_t id = 0; id < sh->nodes; id++) {
		uint16_t seq = c->ps->held[id];
		if (seq == 0 || id == c->env->node_id || seq > sh->fx.hist[id].n)
			continue;
		c->ps->held[id] = 0; /* held again once swim adopts it */
		swc_learn_one(c, id, sh->fx.hist[id].v[seq - 1], now, false);
	}
}

struct stored_rec {
	const struct swim_rec *r; /* the interned record with these bytes */
	uint8_t *copy;            /* else the bytes as read */
	size_t len;
};

struct collect_ctx {
	struct swc *c;
	struct stored_rec *v;     /* per node id */
};

static int collect_member(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
			  size_t vlen)
{
	struct collect_ctx *x = ctx;
	struct swc_shared *sh = x->c->sh;
	struct stored_rec *e;
	uint32_t id;

	if (klen != REC_PK_LEN || (id = swim_fixture_id_of(&sh->fx, key)) == NONE ||
	    id == x->c->env->node_id)
		return 0;
	e = &x->v[id];
	e->r = sh->rt_store.find(sh->rt_store.ctx, val, vlen);
	if (!e->r) {
		if (!(e->copy = malloc(vlen ? vlen : 1)))
			return MN_ENOMEM;
		memcpy(e->copy, val, vlen);
		e->len = vlen;
	}
	return 0;
}

/* Restart with store lmdb: every tombstone in STORE_REVOKED, in key order
 * (restore_tombs), then every record in STORE_MEMBERS, read back as
 * stored, handed to swim_restore in node-id order as restore_memory does (so
 * the run is the one store memory gives). Bytes equal to a record of the
 * run go in as that interned record (the rtab finds it by hashing and
 * comparing the bytes, which is how stats map it to a node id); any other
 * bytes go in as read, and swim verifies them as it does any record it
 * has not seen (rec_member_verify), refusing what fails. A key that is no
 * node of the run is skipped: there is no address to give it (the store's
 * STORE_PATHS is not written yet; every record comes back with the address
 * its node had when the run started, as with store memory). Not written
 * back: the store already holds them. */
static int restore_lmdb(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;
	struct collect_ctx x = { .c = c, .v = calloc(sh->nodes, sizeof(*x.v)) };
	struct swim_persist_tombs tombs = { 0 };
	int rc;

	if (!x.v)
		return MN_ENOMEM;
	if ((rc = swim_persist_read_tombs(c->sp, &tombs)) ||
	    (rc = swim_persist_foreach_record(c->sp, collect_member, &x)))
		goto out;
	restore_tombs(c, &tombs, now);
	swc_set_restoring(c, true);
	for (uint32_t id = 0; id < sh->nodes; id++) {
		const struct mn_addr *addr = &sh->boot_addr[id];
		if (x.v[id].r)
			swc_learn_one(c, id, x.v[id].r, now, false);
		else if (x.v[id].copy && addr->sa.sa_family != AF_UNSPEC)
			swim_restore(c->s, x.v[id].copy, x.v[id].len, addr, now);
	}
	swc_set_restoring(c, false);
out:
	for (uint32_t id = 0; id < sh->nodes; id++)
		free(x.v[id].copy);
	free(x.v);
	swim_persist_tombs_free(&tombs);
	return rc;
}

int swc_restore(struct swc *c, struct mn_time now)
{
	if (c->sh->dir)
		return restore_lmdb(c, now);
	restore_memory(c, now);
	return MN_OK;
}
