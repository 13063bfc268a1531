/* swim_core.c - gossip/swim.c driven by the simulator; see swim_core.h.
 *
 * Timers: none of its own. Every call maps to one swim call:
 *   recv -> swim_recv, poll_tx -> swim_poll_tx, next_deadline ->
 *   swim_next_deadline, on_timer -> swim_on_timer, view_digest ->
 *   swim_view_digest, crash/destroy -> swim_del,
 *   inject -> swim_publish of the node's next record version,
 *   revoke -> swim_revoke of a tombstone signed here (sign_tomb),
 *   has_member -> swim_member, addr_changed -> swim_publish as well (see
 *   below).
 *
 * Events: SWIM_EV_SUSPECT/DEAD/ALIVE -> sim_env_observe(subject id);
 * SWIM_EV_RECORD -> the held version moves up, each newly held version is
 * reported with sim_env_learned, and the record is persisted;
 * SWIM_EV_SELF_INC -> persisted incarnation; SWIM_EV_BOOT -> persisted boot
 * number; SWIM_EV_REMOVED -> the record is deleted from the store;
 * SWIM_EV_REVOKED -> the revocation is reported held with sim_env_learned
 * and the tombstone stored (STORE_REVOKED; store memory: swc_persist).
 *
 * Persistence (core_param store, see swim_core.h): with `store lmdb` each
 * node has its own LMDB environment (store/store.h) in a directory of the
 * run's temporary directory, and the adapter is the driver store.h
 * describes: the writes swim's events ask for during one call of the
 * engine (create, recv, on_timer, inject, revoke, addr_changed, a preload
 * inside one of them) go into one store_txn, begun at the first write and
 * committed when the call returns, so SWIM_EV_BOOT is committed before the
 * first datagram leaves. A crash aborts what is open (nothing, between
 * calls) and closes the environment; a restart opens it again and the node
 * is rebuilt from it alone: identity, incarnation and boot number from
 * STORE_META, every tombstone from STORE_REVOKED through
 * swim_restore_revoke, then every record from STORE_MEMBERS through
 * swim_restore. With `store memory` struct swc_persist is the stand-in
 * (key, incarnation, boot, held[] naming the records, the tombstones),
 * for runs too large for an environment per node (DESIGN.md §8). Both
 * rebuild the same node, in the same order, so a run's trace does not
 * depend on the backend.
 *
 * Memory per node, beside swim's own ~100 bytes per member: this struct,
 * and in the persisted slot the key and one uint16_t per node id (the
 * version held), so 10,000 x 10,000 stays within a few hundred MB here.
 * With LMDB, per node: 3 file descriptors and two mappings while it runs,
 * and 1-2 KB of file (page cache, mapped) per record it holds.
 *
 * Determinism: keys and contacts come from the node's env->rng, the network
 * from the core's seed; tables here are indexed by node id or by the first
 * bytes of a hash, and nothing is iterated in pointer order.
 */
#include "swim_core.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "mn_bits.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "rtab.h"
#include "scn.h"
#include "sim.h"
#include "store.h"

#define NONE UINT32_MAX
#define MEMO_SLOTS (1u << 16)       /* Ed25519 memo: a few per record chain */
#define XMEMO_MIN (1u << 12)
#define XMEMO_MAX (1u << 26)
#define XMEMO_PER_NODE 1024u        /* pairs a node keys in ~15 min (probes) */
#define XMEMO_DEFAULT_MAX (1u << 25) /* 2 GB: 10,000 nodes x 10 min keys ~8.4 M pairs */
#define XMEMO_WAYS 8                /* slots probed from a key's home */
#define INVITE_TTL_MS (UINT64_C(365) * 24 * 3600 * 1000) /* past any run */
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
#define TOMB_ID_LEN 32              /* STORE_REVOKED key: BLAKE2b-256 of the tombstone */

/* STORE_META keys (values: the identity key's 32-byte Ed25519 seed; 32-bit
 * big-endian numbers). */
static const char meta_identity[] = "identity";
static const char meta_inc[] = "incarnation";
static const char meta_boot[] = "boot";

/* ---- counters ---- */

enum swc_counter {
	C_PINGS, C_ACKS, C_PING_REQS, C_INDIRECT_ACKS, C_NACKS, C_PROBES_FAILED,
	C_SUSPICIONS, C_DEATHS, C_LAST_CALLS, C_REFUTES, C_GOSSIPS, C_PUSHPULLS, C_DEAD_PROBES,
	C_WANTS, C_HELLOS, C_RECORDS_LEARNED, C_CAPPED, C_DROPS,
	/* the adapter's own */
	C_ED25519, C_X25519, C_X25519_HITS, C_INC_MAX, C_STORE_COMMITS, C_STORE_WRITES,
	C__COUNT
};

static const char *const counter_names[C__COUNT] = {
	"pings", "acks", "ping_reqs", "indirect_acks", "nacks", "probes_failed",
	"suspicions", "deaths", "last_calls", "refutes", "gossips", "pushpulls", "dead_probes",
	"wants", "hellos", "records_learned", "capped_replies", "rx_dropped",
	"ed25519_verified", "x25519_computed", "x25519_memo_hits", "incarnation_max",
	"store_commits", "store_writes",
};
_Static_assert((int)C__COUNT <= (int)SIM_MAX_CORE_COUNTERS, "counters fit the engine");

/* swim stats reported one to one, in enum swc_counter order up to C_DROPS */
static const enum swim_stat stat_map[C_DROPS] = {
	SWIM_STAT_PINGS, SWIM_STAT_ACKS, SWIM_STAT_PING_REQS, SWIM_STAT_INDIRECT_ACKS,
	SWIM_STAT_NACKS, SWIM_STAT_PROBES_FAILED, SWIM_STAT_SUSPICIONS, SWIM_STAT_DEATHS,
	SWIM_STAT_LAST_CALLS, SWIM_STAT_REFUTES, SWIM_STAT_GOSSIPS, SWIM_STAT_PUSHPULLS, SWIM_STAT_DEAD_PROBES,
	SWIM_STAT_WANTS, SWIM_STAT_HELLOS, SWIM_STAT_RECORDS_LEARNED, SWIM_STAT_CAPPED_REPLY,
};

static const enum swim_stat drop_stats[] = {
	SWIM_STAT_DROP_NOT_SEALED, SWIM_STAT_DROP_NOT_FOR_US, SWIM_STAT_DROP_NON_MEMBER,
	SWIM_STAT_DROP_REPLAY, SWIM_STAT_DROP_AUTH, SWIM_STAT_DROP_MALFORMED,
	SWIM_STAT_DROP_TX_FULL, SWIM_STAT_DROP_RELAY_FULL, SWIM_STAT_DROP_INC_JUMP,
	SWIM_STAT_DROP_HELLO,
};

/* ---- shared state ---- */

/* The versions one node signed, oldest first: v[k - 1] is sequence k. */
struct hist {
	const struct swim_rec **v;
	uint32_t n, cap;
};

struct xmemo_ent {
	uint8_t key[SEAL_MEMO_KEY_LEN];
	uint8_t val[SEAL_KEY_LEN]; /* secret (a process-internal memo) */
};

struct swc_shared {
	struct swim_params p;
	uint32_t nodes;
	uint32_t booted;               /* ids below: nodes booted at the start */
	uint32_t bootstrap;
	bool preload;
	struct rec_network net;
	struct rec_key root;           /* secret: signs the grant; revokes with `revoker root` */
	struct rec_key admin, invkey;  /* secret: the admitter, the invite's key */
	bool revoke_by_root;           /* core_param revoker: who signs tombstones */
	struct rec_invite inv;
	struct rtab *rt;
	struct swim_store rt_store;    /* the rtab's own store */
	struct swim_store store;       /* what nodes get: rt_store behind find_hint */
	const struct swim_rec *hint;   /* the interned record being handed to swim */
	struct rec_memo memo;
	uint8_t (*memo_slots)[REC_MEMO_KEY_LEN];
	uint64_t memo_reported;        /* memo.verified already counted */
	struct xmemo_ent *xm;          /* XMEMO_WAYS slots from the key's first bytes */
	uint32_t xm_mask;
	struct hist *hist;             /* per node id */
	/* per node id, flat so that a preload of N members walks two small
	 * arrays: the newest record (NULL before the first boot) and the
	 * address the node had when the run started (what bootstrap_addr
	 * answers; family AF_UNSPEC until the node booted) */
	const struct swim_rec **cur;
	struct mn_addr *boot_addr;
	uint8_t *up;                   /* per node id: a core is running */
	uint32_t *idmap;               /* key id -> node id + 1, open addressing */
	uint32_t idmap_mask;
	uint32_t inc_max;              /* highest incarnation any node reached */
	/* store lmdb: the run's directory (mkdtemp), one subdirectory per
	 * node id, removed with everything in it by shared_del; NULL with
	 * store memory */
	char *dir;
	size_t map_bytes;              /* LMDB map size of each node */
};

/* A tombstone as kept (STORE_REVOKED, or store memory's stand-in): its
 * canonical bytes under their BLAKE2b-256, a stable name for exactly this
 * tombstone (a root's and an admin's against one key are two entries, as
 * swim keeps both). */
struct swc_tomb {
	uint8_t id[TOMB_ID_LEN];
	uint16_t len;
	uint8_t bytes[REC_REVOKE_MAX];
};

/* What survives a crash. store memory: the node's store (key, inc, boot,
 * held[], tombs[]). store lmdb: only held[], for the statistics (which
 * versions a node reported with sim_env_learned); the node itself is
 * rebuilt from its LMDB environment, whose directory the node id names. */
struct swc_persist {
	struct rec_key key;   /* identity (secret); store memory only */
	uint32_t inc;         /* last SWIM_EV_SELF_INC; store memory only */
	uint32_t boot;        /* last SWIM_EV_BOOT (seal counters' high bits); memory only */
	uint16_t *held;       /* per node id: sequence of the record held, 0 none */
	/* every tombstone swim kept, by ascending id (LMDB's key order, so
	 * both backends restore them in one order); store memory only */
	struct swc_tomb *tombs;
	uint32_t ntombs, tomb_cap;
};

struct swc {
	const struct sim_env *env;
	struct swc_shared *sh;
	struct swc_persist *ps;
	struct swim *s;
	struct rec_key key;            /* identity (secret), for this boot */
	struct store *st;              /* store lmdb: this boot's environment */
	struct store_txn *txn;         /* the current call's writes, NULL before the first */
	bool restoring;                /* records come from the store: no writing back */
	int store_err;                 /* the store failed: the run is stopping */
	struct seal_memo xmemo;        /* ctx = this node, to count hits */
	bool preload_due;              /* preload at the first call (see preload()) */
	uint64_t reported[C_DROPS + 1];
};

/* ---- parameters ---- */

enum pkind { P_DUR, P_U32 };

static const struct {
	const char *key;
	enum pkind kind;
	size_t off;
} pfields[] = {
	{ "probe_interval", P_DUR, offsetof(struct swim_params, probe_interval_ns) },
	{ "probe_timeout", P_DUR, offsetof(struct swim_params, probe_timeout_ns) },
	{ "indirect_checks", P_U32, offsetof(struct swim_params, indirect_checks) },
	{ "retransmit_mult", P_U32, offsetof(struct swim_params, retransmit_mult) },
	{ "suspicion_mult", P_U32, offsetof(struct swim_params, suspicion_mult) },
	{ "suspicion_max_mult", P_U32, offsetof(struct swim_params, suspicion_max_mult) },
	{ "suspicion_floor", P_DUR, offsetof(struct swim_params, suspicion_floor_ns) },
	{ "awareness_max", P_U32, offsetof(struct swim_params, awareness_max) },
	{ "gossip_interval", P_DUR, offsetof(struct swim_params, gossip_interval_ns) },
	{ "gossip_nodes", P_U32, offsetof(struct swim_params, gossip_nodes) },
	{ "gossip_to_dead", P_DUR, offsetof(struct swim_params, gossip_to_dead_ns) },
	{ "pushpull_interval", P_DUR, offsetof(struct swim_params, pushpull_interval_ns) },
	{ "pushpull_dead_one_in", P_U32, offsetof(struct swim_params, pushpull_dead_one_in) },
	{ "dead_probe_interval", P_DUR, offsetof(struct swim_params, dead_probe_interval_ns) },
	{ "inc_jump_max", P_U32, offsetof(struct swim_params, inc_jump_max) },
};

int swim_core_params(const struct sim_param *params, uint32_t nparams, const char *profile,
		     struct swim_params *out, char *err, size_t errlen)
{
	const char *prof = profile ? profile : "lan";

	for (uint32_t i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "profile") != 0)
			continue;
		if (strcmp(params[i].value, "lan") != 0 && strcmp(params[i].value, "wan") != 0)
			return simcore_param_err(err, errlen, &params[i], "want lan or wan");
		prof = params[i].value;
	}
	if (strcmp(prof, "wan") == 0)
		swim_params_wan(out);
	else
		swim_params_lan(out);
	for (uint32_t i = 0; i < nparams; i++) {
		const struct sim_param *p = &params[i];
		size_t k, nf = sizeof(pfields) / sizeof(pfields[0]);
		if (strcmp(p->key, "profile") == 0 || strcmp(p->key, "bootstrap") == 0 ||
		    strcmp(p->key, "x25519_memo") == 0 || strcmp(p->key, "preload") == 0 ||
		    strcmp(p->key, "store") == 0 || strcmp(p->key, "revoker") == 0)
			continue;
		for (k = 0; k < nf && strcmp(pfields[k].key, p->key) != 0; k++)
			;
		if (k == nf)
			return simcore_param_err(err, errlen, p, "unknown key (see sim/swim_core.h)");
		uint8_t *f = (uint8_t *)out + pfields[k].off;
		if (pfields[k].kind == P_DUR) {
			mn_ns v;
			if (scn_parse_duration(p->value, &v))
				return simcore_param_err(err, errlen, p, "want a duration");
			memcpy(f, &v, sizeof(v));
		} else {
			uint64_t v;
			if (scn_parse_u64(p->value, &v) || v > UINT32_MAX)
				return simcore_param_err(err, errlen, p, "want a 32-bit count");
			uint32_t v32 = (uint32_t)v;
			memcpy(f, &v32, sizeof(v32));
		}
	}
	if (swim_params_check(out) != MN_OK) {
		snprintf(err, errlen, "core_param: the swim parameters are out of range "
				      "(swim_params_check)");
		return MN_EINVAL;
	}
	return MN_OK;
}

mn_ns swim_core_detect_bound(const struct swim_params *p, uint32_t n)
{
	struct swim_scaled sc;

	swim_scale(p, n, &sc);
	return 11 * p->probe_interval_ns + mn_ceil_log2(n) * p->gossip_interval_ns + sc.susp_max_ns +
	       2 * p->probe_timeout_ns; /* the last call */
}

/* ---- memos ---- */

/* The X25519 memo: the key is a BLAKE2b output, so its first bytes place
 * it; it may sit in any of XMEMO_WAYS slots from there. An all-zero key
 * marks a free slot (a hash output of zero does not happen). When all the
 * slots are taken, the one the key's next bytes name is replaced:
 * bounded, deterministic. */
static const uint8_t zero_key[SEAL_MEMO_KEY_LEN];

static bool xm_get(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], uint8_t shared[SEAL_KEY_LEN])
{
	struct swc *c = ctx;
	struct swc_shared *sh = c->sh;
	uint32_t home = mn_get_le32(key);

	for (uint32_t w = 0; w < XMEMO_WAYS; w++) {
		const struct xmemo_ent *e = &sh->xm[(home + w) & sh->xm_mask];
		if (memcmp(e->key, key, SEAL_MEMO_KEY_LEN) == 0) {
			memcpy(shared, e->val, SEAL_KEY_LEN);
			sim_env_count(c->env, C_X25519_HITS, 1);
			return true;
		}
		if (memcmp(e->key, zero_key, SEAL_MEMO_KEY_LEN) == 0)
			return false;
	}
	return false;
}

static void xm_put(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		   const uint8_t shared[SEAL_KEY_LEN])
{
	struct swc *c = ctx;
	struct swc_shared *sh = c->sh;
	uint32_t home = mn_get_le32(key);
	struct xmemo_ent *e = &sh->xm[(home + key[4] % XMEMO_WAYS) & sh->xm_mask];

	for (uint32_t w = 0; w < XMEMO_WAYS; w++) {
		struct xmemo_ent *f = &sh->xm[(home + w) & sh->xm_mask];
		if (memcmp(f->key, zero_key, SEAL_MEMO_KEY_LEN) == 0) {
			e = f;
			break;
		}
	}
	memcpy(e->key, key, SEAL_MEMO_KEY_LEN);
	memcpy(e->val, shared, SEAL_KEY_LEN);
	sim_env_count(c->env, C_X25519, 1);
}

/* ---- node ids ---- */

static uint64_t user_of(uint32_t id, uint32_t seq)
{
	return (uint64_t)seq << 32 | (id + 1);
}

static uint64_t datum_key(uint32_t id, uint32_t seq)
{
	return (uint64_t)(id + 1) << 32 | seq;
}

/* The datum of node id's revocation: the top bit sets it apart from the
 * record versions' keys (node ids stay below 2^16, so theirs below 2^48). */
static uint64_t revoke_key(uint32_t id)
{
	return UINT64_C(1) << 63 | id;
}

static void idmap_put(struct swc_shared *sh, const uint8_t pk[REC_PK_LEN], uint32_t id)
{
	uint64_t kid = seal_key_id(pk);
	uint32_t pos = (uint32_t)kid & sh->idmap_mask;

	while (sh->idmap[pos] != 0) {
		uint32_t o = sh->idmap[pos] - 1;
		if (o == id)
			return;
		pos = (pos + 1) & sh->idmap_mask;
	}
	sh->idmap[pos] = id + 1;
}

/* The node id of a key, NONE if no node of the run has it. */
static uint32_t idmap_find(const struct swc_shared *sh, const uint8_t pk[REC_PK_LEN])
{
	uint64_t kid = seal_key_id(pk);

	for (uint32_t pos = (uint32_t)kid & sh->idmap_mask;; pos = (pos + 1) & sh->idmap_mask) {
		uint32_t v = sh->idmap[pos];
		if (v == 0)
			return NONE;
		const struct hist *h = &sh->hist[v - 1];
		if (h->n && memcmp(h->v[0]->pk, pk, REC_PK_LEN) == 0)
			return v - 1;
	}
}

static uint32_t subject_of(const struct swc_shared *sh, const struct swim_rec *r)
{
	uint32_t id;

	if (!r)
		return NONE;
	id = (uint32_t)(r->user & UINT32_MAX);
	if (id != 0 && id <= sh->nodes)
		return id - 1;
	return idmap_find(sh, r->pk);
}

/* ---- the record store ---- */

/* The rtab behind a shortcut: when the adapter hands swim an interned
 * record (restore, preload), the bytes swim looks up are that record's own
 * bytes, the same memory, so no hashing of ~500 bytes is needed to find it
 * (10^8 lookups in a 10,000-node preload). Anything else goes to the rtab,
 * which hashes and compares the bytes in full. */
static const struct swim_rec *find_hint(void *ctx, const uint8_t *bytes, size_t len)
{
	struct swc_shared *sh = ctx;

	if (sh->hint && bytes == sh->hint->bytes && len == sh->hint->len)
		return sh->hint;
	return sh->rt_store.find(sh->rt_store.ctx, bytes, len);
}

static const struct swim_rec *add_through(void *ctx, const uint8_t *bytes, size_t len,
					  const struct rec_member *m)
{
	struct swc_shared *sh = ctx;

	return sh->rt_store.add(sh->rt_store.ctx, bytes, len, m);
}

/* ---- shared ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path); /* best effort: go on with the rest */
	return 0;
}

static void shared_del(void *p)
{
	struct swc_shared *sh = p;

	if (!sh)
		return;
	if (sh->dir) {
		/* every node's environment is closed by now (the engine destroys
		 * the cores first); depth first, symlinks not followed */
		nftw(sh->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(sh->dir);
	}
	if (sh->hist) {
		for (uint32_t i = 0; i < sh->nodes; i++)
			free(sh->hist[i].v);
	}
	rtab_del(sh->rt);
	rec_key_wipe(&sh->root);
	rec_key_wipe(&sh->admin);
	rec_key_wipe(&sh->invkey);
	/* wipe the entries in use (the values are secrets); reading the
	 * untouched rest of a memo of up to 2 GB maps no memory */
	for (size_t i = 0; sh->xm && i <= sh->xm_mask; i++)
		if (memcmp(sh->xm[i].key, zero_key, SEAL_MEMO_KEY_LEN) != 0)
			sodium_memzero(&sh->xm[i], sizeof(sh->xm[i]));
	free(sh->xm);
	free(sh->cur);
	free(sh->boot_addr);
	free(sh->memo_slots);
	free(sh->hist);
	free(sh->up);
	free(sh->idmap);
	free(sh);
}

/* The network of the run: root -> grant(admin) -> invite (signed by the
 * admin); every node is admitted by the admin. Keys come from the core's
 * seed, so the network is the same for every run of a scenario and seed.
 * The root key is kept (like the admin's) for `revoker root`. */
static int network_new(struct swc_shared *sh, uint64_t seed, char *err, size_t errlen)
{
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	int rc;

	mn_seeded_rng_init(&srng, seed);
	rng = mn_seeded_rng_iface(&srng);
	rec_key_generate(&sh->root, &rng);
	rec_key_generate(&sh->admin, &rng);
	rec_key_generate(&sh->invkey, &rng);
	rc = rec_network_init(&sh->net, sh->root.pk, NULL);
	memset(&sh->inv, 0, sizeof(sh->inv));
	sh->inv.signer = REC_BY_ADMIN;
	memcpy(sh->inv.invite_pk, sh->invkey.pk, REC_PK_LEN);
	sh->inv.expires_ms = SIM_WALL_EPOCH_NS / MN_NS_PER_MS + INVITE_TTL_MS;
	sh->inv.max_uses = UINT16_MAX;
	sh->inv.grant.rights = REC_RIGHTS_ALL;
	memcpy(sh->inv.grant.admin_pk, sh->admin.pk, REC_PK_LEN);
	sh->inv.grant.not_after_ms = UINT64_MAX;
	if (!rc)
		rc = rec_grant_sign(&sh->net, &sh->root, &sh->inv.grant);
	if (!rc)
		rc = rec_invite_sign(&sh->net, &sh->admin, &sh->inv);
	sodium_memzero(&srng, sizeof(srng));
	if (rc)
		snprintf(err, errlen, "swim: building the network: %s", mn_strerror(rc));
	return rc;
}

/* store lmdb: the run's directory, $TMPDIR/meshsim-XXXXXX (or /tmp), and
 * a check that every node's environment can be open at once. */
static int run_dir_new(struct swc_shared *sh, char *err, size_t errlen)
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

static int shared_new(void **out, const struct sim_core_args *a, char *err, size_t errlen)
{
	struct swc_shared *sh = calloc(1, sizeof(*sh));
	uint64_t xm_entries = 0;
	uint32_t nodes = a->nodes ? a->nodes : 1;
	const char *store = "auto";
	int rc;

	if (!sh)
		return MN_ENOMEM;
	sh->nodes = nodes;
	sh->booted = a->booted < nodes ? a->booted : nodes;
	sh->bootstrap = 3;
	rc = swim_core_params(a->params, a->nparams, a->profile, &sh->p, err, errlen);
	for (uint32_t i = 0; i < a->nparams && !rc; i++) {
		const struct sim_param *p = &a->params[i];
		uint64_t v;
		if (strcmp(p->key, "bootstrap") == 0) {
			if (scn_parse_u64(p->value, &v) || v < 1 || v > SWC_MAX_BOOTSTRAP)
				rc = simcore_param_err(err, errlen, p, "want 1 .. 16");
			sh->bootstrap = (uint32_t)v;
		} else if (strcmp(p->key, "preload") == 0) {
			if (scn_parse_u64(p->value, &v) || v > 1)
				rc = simcore_param_err(err, errlen, p, "want 0 or 1");
			sh->preload = v == 1;
		} else if (strcmp(p->key, "x25519_memo") == 0) {
			if (scn_parse_u64(p->value, &v) || v < XMEMO_MIN || v > XMEMO_MAX ||
			    (v & (v - 1)))
				rc = simcore_param_err(err, errlen, p, "want a power of two, 2^12 .. 2^26");
			xm_entries = v;
		} else if (strcmp(p->key, "revoker") == 0) {
			if (strcmp(p->value, "admin") != 0 && strcmp(p->value, "root") != 0)
				rc = simcore_param_err(err, errlen, p, "want admin or root");
			sh->revoke_by_root = strcmp(p->value, "root") == 0;
		} else if (strcmp(p->key, "store") == 0) {
			if (strcmp(p->value, "lmdb") != 0 && strcmp(p->value, "memory") != 0 &&
			    strcmp(p->value, "auto") != 0)
				rc = simcore_param_err(err, errlen, p, "want lmdb, memory or auto");
			store = p->value;
		}
	}
	if (rc)
		goto fail;
	if (strcmp(store, "lmdb") == 0 ||
	    (strcmp(store, "auto") == 0 && nodes <= SWC_LMDB_AUTO_MAX)) {
		if ((rc = run_dir_new(sh, err, errlen)))
			goto fail;
	}
	if (!xm_entries) {
		/* room for every pair (at most a quarter full), or for the
		 * pairs the nodes key in a long run, whichever is fewer */
		uint64_t pairs = (uint64_t)nodes * (nodes - 1) / 2;
		if (pairs > (uint64_t)nodes * XMEMO_PER_NODE)
			pairs = (uint64_t)nodes * XMEMO_PER_NODE;
		xm_entries = XMEMO_MIN;
		while (xm_entries < 4 * pairs && xm_entries < XMEMO_DEFAULT_MAX)
			xm_entries *= 2;
	}
	sh->xm_mask = (uint32_t)(xm_entries - 1);
	sh->idmap_mask = (UINT32_C(1) << mn_ceil_log2((uint64_t)nodes * 2 + 2)) - 1;
	rc = MN_ENOMEM;
	sh->xm = calloc(xm_entries, sizeof(*sh->xm));
	sh->memo_slots = calloc(MEMO_SLOTS, REC_MEMO_KEY_LEN);
	sh->hist = calloc(nodes, sizeof(*sh->hist));
	sh->up = calloc(nodes, sizeof(*sh->up));
	sh->idmap = calloc((size_t)sh->idmap_mask + 1, sizeof(*sh->idmap));
	sh->cur = calloc(nodes, sizeof(*sh->cur));
	sh->boot_addr = calloc(nodes, sizeof(*sh->boot_addr));
	if (!sh->xm || !sh->memo_slots || !sh->hist || !sh->up || !sh->idmap || !sh->cur ||
	    !sh->boot_addr)
		goto fail_nomem;
	if ((rc = rec_memo_init(&sh->memo, sh->memo_slots, MEMO_SLOTS)) ||
	    (rc = rtab_new(&sh->rt, nodes * 4 + 8 * SWC_MAX_VERSIONS)))
		goto fail_nomem;
	rtab_store(sh->rt, &sh->rt_store);
	sh->store = sh->rt_store;
	sh->store.find = find_hint;
	sh->store.ctx = sh;
	sh->store.add = add_through;
	if ((rc = network_new(sh, a->seed, err, errlen)))
		goto fail;
	*out = sh;
	return MN_OK;
fail_nomem:
	snprintf(err, errlen, "swim: %s", mn_strerror(rc));
fail:
	shared_del(sh);
	return rc;
}

/* ---- records ---- */

/* Sign node id's next record version into the run's table. The first
 * version carries a fresh admission (the join: the invite key's proof,
 * countersigned by the admin); later ones reuse it. */
static int sign_record(struct swc *c, uint64_t wall_ms, const struct swim_rec **out)
{
	struct swc_shared *sh = c->sh;
	uint32_t id = c->env->node_id;
	struct hist *h = &sh->hist[id];
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX];
	size_t len;
	int rc;

	if (h->n == SWC_MAX_VERSIONS)
		return MN_EFULL;
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 2;
		const struct swim_rec **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return MN_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	if (h->n) {
		const struct swim_rec *prev = h->v[h->n - 1];
		if ((rc = rec_member_decode(&m, prev->bytes, prev->len)))
			return rc;
		m.version = rec_next_version(prev->version, wall_ms);
	} else {
		uint8_t proof[REC_SIG_LEN];
		uint32_t ip = 0x64400000u + id + 1; /* 100.64.0.0/10, skipping .0 */
		uint8_t ip4[4];
		memset(&m, 0, sizeof(m));
		m.invite = sh->inv;
		mn_put_be32(ip4, ip);
		rec_join_proof(&sh->net, &sh->invkey, c->key.pk, proof);
		rc = rec_admit(&sh->net, &sh->inv, &sh->admin, REC_BY_ADMIN, c->key.pk, proof,
			       ip4, wall_ms, NULL, &sh->memo, &m.adm);
		if (rc)
			return rc;
		m.version = rec_next_version(0, wall_ms);
		snprintf(m.name, sizeof(m.name), "n%u", id);
		m.name_len = (uint8_t)strlen(m.name);
	}
	if ((rc = rec_member_sign(&sh->net, &c->key, &m)) ||
	    (rc = rec_member_encode(&m, buf, sizeof(buf), &len)))
		return rc;
	/* The real verification, once per distinct record in the run. */
	rc = rtab_add_verified(sh->rt, &sh->net, buf, len, user_of(id, h->n + 1), NULL, &sh->memo,
			       out);
	if (rc)
		return rc;
	h->v[h->n++] = *out;
	sh->cur[id] = *out;
	if (h->n == 1)
		idmap_put(sh, (*out)->pk, id);
	return MN_OK;
}

static const struct swim_rec *current(const struct swc_shared *sh, uint32_t id)
{
	return sh->cur[id];
}

/* ---- counters ---- */

static void report(struct swc *c)
{
	struct swc_shared *sh = c->sh;
	uint64_t drops = 0;

	for (uint32_t j = 0; j < C_DROPS; j++) {
		uint64_t v = swim_stat(c->s, stat_map[j]);
		if (v != c->reported[j]) {
			sim_env_count(c->env, j, v - c->reported[j]);
			c->reported[j] = v;
		}
	}
	for (size_t j = 0; j < sizeof(drop_stats) / sizeof(drop_stats[0]); j++)
		drops += swim_stat(c->s, drop_stats[j]);
	if (drops != c->reported[C_DROPS]) {
		sim_env_count(c->env, C_DROPS, drops - c->reported[C_DROPS]);
		c->reported[C_DROPS] = drops;
	}
	if (sh->memo.verified != sh->memo_reported) {
		sim_env_count(c->env, C_ED25519, sh->memo.verified - sh->memo_reported);
		sh->memo_reported = sh->memo.verified;
	}
}

/* ---- the node's store (store lmdb) ---- */

/* The store failed: a real node would exit. The run stops with why. */
static void store_fail(struct swc *c, int rc, int errnum, const char *what, const char *arg)
{
	char why[SIM_ERR_LEN];

	c->store_err = rc;
	snprintf(why, sizeof(why), "swim store: %s%s%s: %s%s%s", what, arg ? " " : "",
		 arg ? arg : "", mn_strerror(rc), rc == MN_EIO && errnum ? ": " : "",
		 rc == MN_EIO && errnum ? strerror(errnum) : "");
	sim_env_halt(c->env, rc, why);
}

static void store_commit(struct swc *c)
{
	int rc;

	if (!c->txn)
		return;
	errno = 0;
	rc = store_txn_commit(c->txn);
	c->txn = NULL;
	if (rc)
		store_fail(c, rc, errno, "commit", NULL);
	else
		sim_env_count(c->env, C_STORE_COMMITS, 1);
}

/* One write (val NULL: a delete) into the current call's transaction,
 * begun at the first. A transaction full at STORE_MAX_OPS (a preload of
 * more than 4,000 nodes) is committed and another begun. */
static void store_write(struct swc *c, enum store_table tb, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	int rc = MN_OK;

	if (!c->st || c->store_err)
		return;
	for (int tries = 0; tries < 2; tries++) {
		if (!c->txn && (rc = store_txn_begin(c->st, &c->txn)) != MN_OK)
			break;
		rc = val ? store_put(c->txn, tb, key, klen, val, vlen) :
			   store_del(c->txn, tb, key, klen);
		if (rc != MN_EFULL)
			break;
		store_commit(c);
		if (c->store_err)
			return;
	}
	if (rc)
		store_fail(c, rc, 0, val ? "put" : "delete", NULL);
	else
		sim_env_count(c->env, C_STORE_WRITES, 1);
}

static void store_put_u32(struct swc *c, const char *key, uint32_t v)
{
	uint8_t b[4];

	mn_put_be32(b, v);
	store_write(c, STORE_META, key, strlen(key), b, sizeof(b));
}

/* The end of a call: commit what it wrote. */
static void call_end(struct swc *c)
{
	store_commit(c);
}

static int node_dir(const struct swc *c, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%u", c->sh->dir, c->env->node_id);

	return n < 0 || (size_t)n >= cap ? MN_EINVAL : MN_OK;
}

/* Boot (first) or restart: open the node's environment; at first boot make
 * its directory. */
static int store_open_node(struct swc *c, bool first)
{
	char dir[PATH_CAP];
	int rc;

	if ((rc = node_dir(c, dir, sizeof(dir))))
		return rc;
	if (first && mkdir(dir, 0700) != 0) {
		store_fail(c, MN_EIO, errno, "mkdir", dir);
		return MN_EIO;
	}
	errno = 0;
	rc = store_open_lmdb_flags(&c->st, dir, c->sh->map_bytes, STORE_NOSYNC);
	if (rc) {
		c->st = NULL;
		store_fail(c, rc, errno, "opening", dir);
	}
	return rc;
}

static int meta_u32(struct swc *c, const char *key, uint32_t *out)
{
	uint8_t b[4];
	size_t len;
	int rc = store_get(c->st, STORE_META, key, strlen(key), b, sizeof(b), &len);

	if (rc == MN_OK && len != sizeof(b))
		rc = MN_EPROTO;
	if (rc == MN_OK)
		*out = mn_get_be32(b);
	return rc;
}

/* Restart: identity, incarnation and boot number from STORE_META. A store
 * without its identity or boot number is a lost store: the node would be a
 * new member with a new key, which a run cannot give a node id that
 * already has one, so the run stops (store_fail says why). A missing
 * incarnation is swim's "lost incarnation" case (swim_config). */
static int store_load_meta(struct swc *c, uint32_t *inc, bool *inc_lost, uint32_t *boot)
{
	uint8_t seed[REC_SEED_LEN];
	size_t len;
	int rc;

	rc = store_get(c->st, STORE_META, meta_identity, strlen(meta_identity), seed, sizeof(seed),
		       &len);
	if (rc == MN_OK && len != sizeof(seed))
		rc = MN_EPROTO;
	if (rc) {
		store_fail(c, rc, errno, "identity key", NULL);
		goto out;
	}
	rec_key_from_seed(&c->key, seed);
	/* the store of this node id, not another one's */
	if (memcmp(c->key.pk, c->sh->hist[c->env->node_id].v[0]->pk, REC_PK_LEN) != 0) {
		rc = MN_EAUTH;
		store_fail(c, rc, 0, "identity key", "of another node");
		goto out;
	}
	if ((rc = meta_u32(c, meta_boot, boot))) {
		store_fail(c, rc, errno, "boot number", NULL);
		goto out;
	}
	*inc_lost = false;
	rc = meta_u32(c, meta_inc, inc);
	if (rc == MN_ENOENT) {
		*inc = 0;
		*inc_lost = true;
		rc = MN_OK;
	} else if (rc) {
		store_fail(c, rc, errno, "incarnation", NULL);
	}
out:
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/* Restart: our own record from STORE_MEMBERS (exact bytes into buf). The
 * interned record when the bytes are one of the run's (*r; the usual
 * case), else NULL and swim_new verifies buf as it would any record. */
static int store_load_self(struct swc *c, uint8_t *buf, size_t cap, size_t *len,
			   const struct swim_rec **r)
{
	struct swc_shared *sh = c->sh;
	int rc = store_get(c->st, STORE_MEMBERS, c->key.pk, REC_PK_LEN, buf, cap, len);

	if (rc) {
		store_fail(c, rc, errno, "own record", NULL);
		return rc;
	}
	*r = sh->rt_store.find(sh->rt_store.ctx, buf, *len);
	return MN_OK;
}

/* ---- events ---- */

static void held_up(struct swc *c, uint32_t subj, uint32_t seq)
{
	uint16_t *held = &c->ps->held[subj];
	uint32_t from = (uint32_t)*held + 1;

	if (seq <= *held)
		return;
	if (seq - from >= SWC_LEARN_STEP)
		from = seq - SWC_LEARN_STEP + 1;
	*held = (uint16_t)seq;
	for (uint32_t k = from; k <= seq; k++)
		sim_env_learned(c->env, datum_key(subj, k));
}

/* Room for one more tombstone in a growing array of n (capacity *cap). */
static int tombs_room(struct swc_tomb **v, uint32_t n, uint32_t *cap)
{
	struct swc_tomb *t;
	uint32_t c;

	if (n < *cap)
		return MN_OK;
	c = *cap ? 2 * *cap : 4;
	t = realloc(*v, c * sizeof(*t));
	if (!t)
		return MN_ENOMEM;
	*v = t;
	*cap = c;
	return MN_OK;
}

/* store memory: keep a tombstone in id order; one held already is left
 * (putting it again is harmless, as with STORE_REVOKED). */
static int ps_tomb_put(struct swc_persist *ps, const uint8_t id[TOMB_ID_LEN], const uint8_t *b,
		       size_t len)
{
	uint32_t pos = 0;
	int cmp = 1;

	while (pos < ps->ntombs && (cmp = memcmp(ps->tombs[pos].id, id, TOMB_ID_LEN)) < 0)
		pos++;
	if (pos < ps->ntombs && cmp == 0)
		return MN_OK;
	if (len > REC_REVOKE_MAX)
		return MN_EMSGSIZE; /* swim keeps no such tombstone */
	if (ps->ntombs == SWIM_MAX_TOMBS)
		return MN_EFULL; /* nor more than that */
	if (tombs_room(&ps->tombs, ps->ntombs, &ps->tomb_cap))
		return MN_ENOMEM;
	memmove(&ps->tombs[pos + 1], &ps->tombs[pos], (ps->ntombs - pos) * sizeof(*ps->tombs));
	memcpy(ps->tombs[pos].id, id, TOMB_ID_LEN);
	ps->tombs[pos].len = (uint16_t)len;
	memcpy(ps->tombs[pos].bytes, b, len);
	ps->ntombs++;
	return MN_OK;
}

/* SWIM_EV_REVOKED: swim added a tombstone to its table. The node now holds
 * the revocation of its target (the datum the engine times), and keeps it
 * forever, so that after a restart it refuses the key before it hears
 * anything (DESIGN.md §4: kept forever). Tombstones being restored are
 * stored already. */
static void on_revoked(struct swc *c, const struct swim_event *ev)
{
	struct rec_revoke t;
	uint8_t id[TOMB_ID_LEN];
	uint32_t target;
	int rc;

	if (rec_revoke_decode(&t, ev->tomb, ev->tomb_len) == MN_OK &&
	    (target = idmap_find(c->sh, t.target_pk)) != NONE)
		sim_env_learned(c->env, revoke_key(target));
	if (c->restoring)
		return;
	crypto_generichash(id, sizeof(id), ev->tomb, ev->tomb_len, NULL, 0);
	if (c->st) {
		store_write(c, STORE_REVOKED, id, sizeof(id), ev->tomb, ev->tomb_len);
	} else if (!c->sh->dir && (rc = ps_tomb_put(c->ps, id, ev->tomb, ev->tomb_len))) {
		store_fail(c, rc, 0, "keeping a tombstone", NULL);
	}
}

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct swc *c = ctx;
	struct swc_shared *sh = c->sh;
	uint32_t subj = subject_of(sh, ev->rec);

	switch (ev->kind) {
	case SWIM_EV_SUSPECT:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_SUSPECT, subj);
		break;
	case SWIM_EV_DEAD:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_DEAD, subj);
		break;
	case SWIM_EV_ALIVE:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_ALIVE, subj);
		break;
	case SWIM_EV_RECORD:
		/* persist: the store now holds this version (memory: held[]) */
		if (subj != NONE && (ev->rec->user >> 32) != 0)
			held_up(c, subj, (uint32_t)(ev->rec->user >> 32));
		if (!c->restoring)
			store_write(c, STORE_MEMBERS, ev->rec->pk, REC_PK_LEN, ev->rec->bytes,
				    ev->rec->len);
		break;
	case SWIM_EV_SELF_INC:
		if (c->st)
			store_put_u32(c, meta_inc, ev->inc);
		else
			c->ps->inc = ev->inc;
		if (ev->inc > sh->inc_max) {
			sim_env_count(c->env, C_INC_MAX, ev->inc - sh->inc_max);
			sh->inc_max = ev->inc;
		}
		break;
	case SWIM_EV_REMOVED:
		if (subj != NONE)
			c->ps->held[subj] = 0;
		store_write(c, STORE_MEMBERS, ev->rec->pk, REC_PK_LEN, NULL, 0);
		break;
	case SWIM_EV_BOOT:
		if (c->st)
			store_put_u32(c, meta_boot, ev->boot);
		else
			c->ps->boot = ev->boot;
		break;
	case SWIM_EV_REVOKED:
		on_revoked(c, ev);
		break;
	}
}

/* ---- lifecycle ---- */

static bool contact_ok(const struct swc *c, uint32_t id, const uint32_t *got, uint32_t n)
{
	if (id == c->env->node_id || !c->sh->up[id] || !c->sh->cur[id])
		return false;
	for (uint32_t j = 0; j < n; j++)
		if (got[j] == id)
			return false;
	return true;
}

/* Learn node id's record r at the address id had when the run started
 * (what an invite lists, or the store's last-known address). announce:
 * swim_learn (news), else swim_restore (from our own store). */
static void learn_one(struct swc *c, uint32_t id, const struct swim_rec *r, struct mn_time now,
		      bool announce)
{
	const struct mn_addr *addr = &c->sh->boot_addr[id];

	if (addr->sa.sa_family == AF_UNSPEC)
		return;
	c->sh->hint = r;
	if (announce)
		swim_learn(c->s, r->bytes, r->len, addr, now);
	else
		swim_restore(c->s, r->bytes, r->len, addr, now);
	c->sh->hint = NULL;
}

/* First boot: a few random running nodes, as an invite's seed list would
 * name them, with the address each had when the run started. */
static void bootstrap(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;
	uint32_t got[SWC_MAX_BOOTSTRAP], n = 0, nodes = sh->nodes;

	for (uint32_t t = 0; t < 32 * sh->bootstrap && n < sh->bootstrap; t++) {
		uint32_t id = mn_rng_uniform(&c->env->rng, nodes);
		if (contact_ok(c, id, got, n))
			got[n++] = id;
	}
	if (n < sh->bootstrap) {
		/* few nodes run yet: take them in order from a random start */
		uint32_t start = mn_rng_uniform(&c->env->rng, nodes);
		for (uint32_t k = 0; k < nodes && n < sh->bootstrap; k++) {
			uint32_t id = (start + k) % nodes;
			if (contact_ok(c, id, got, n))
				got[n++] = id;
		}
	}
	for (uint32_t j = 0; j < n; j++)
		learn_one(c, got[j], current(sh, got[j]), now, true);
}

/* Restart: the tombstones kept, before any record, so that a revoked
 * member's record (a store that still holds it) is refused as it comes
 * back instead of adopted and then dropped. An admin's tombstone whose
 * target no record names stays pending in swim until one does (swim.h).
 * Not written back: the store already holds them. */
static void restore_tombs(struct swc *c, const struct swc_tomb *t, uint32_t n,
			  struct mn_time now)
{
	c->restoring = true;
	for (uint32_t k = 0; k < n; k++)
		swim_restore_revoke(c->s, t[k].bytes, t[k].len, now); /* refusals counted by swim */
	c->restoring = false;
}

/* Restart with store memory: the tombstones, then every record held[]
 * names, in node-id order. */
static void restore(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;

	restore_tombs(c, c->ps->tombs, c->ps->ntombs, now);
	for (uint32_t id = 0; id < sh->nodes; id++) {
		uint16_t seq = c->ps->held[id];
		if (seq == 0 || id == c->env->node_id || seq > sh->hist[id].n)
			continue;
		c->ps->held[id] = 0; /* held again once swim adopts it */
		learn_one(c, id, sh->hist[id].v[seq - 1], now, false);
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
	struct swc_tomb *t;       /* STORE_REVOKED, in key order */
	uint32_t nt, tcap;
};

/* A value that cannot be a tombstone (longer than any) is skipped, as are
 * those past what swim can hold. */
static int collect_tomb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
			size_t vlen)
{
	struct collect_ctx *x = ctx;
	struct swc_tomb *e;

	if (vlen > REC_REVOKE_MAX || x->nt == SWIM_MAX_TOMBS)
		return 0;
	if (tombs_room(&x->t, x->nt, &x->tcap))
		return MN_ENOMEM;
	e = &x->t[x->nt++];
	memset(e->id, 0, sizeof(e->id));
	memcpy(e->id, key, klen < TOMB_ID_LEN ? klen : TOMB_ID_LEN);
	e->len = (uint16_t)vlen;
	memcpy(e->bytes, val, vlen);
	return 0;
}

static int collect_member(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
			  size_t vlen)
{
	struct collect_ctx *x = ctx;
	struct swc_shared *sh = x->c->sh;
	struct stored_rec *e;
	uint32_t id;

	if (klen != REC_PK_LEN || (id = idmap_find(sh, key)) == NONE || id == x->c->env->node_id)
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
 * stored, handed to swim_restore in node-id order as restore() does (so
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
	int rc;

	if (!x.v)
		return MN_ENOMEM;
	errno = 0;
	rc = store_foreach(c->st, STORE_REVOKED, collect_tomb, &x);
	if (rc) {
		store_fail(c, rc, errno, "reading the tombstones", NULL);
		goto out;
	}
	errno = 0;
	rc = store_foreach(c->st, STORE_MEMBERS, collect_member, &x);
	if (rc) {
		store_fail(c, rc, errno, "reading the records", NULL);
		goto out;
	}
	restore_tombs(c, x.t, x.nt, now);
	c->restoring = true;
	for (uint32_t id = 0; id < sh->nodes; id++) {
		const struct mn_addr *addr = &sh->boot_addr[id];
		if (x.v[id].r)
			learn_one(c, id, x.v[id].r, now, false);
		else if (x.v[id].copy && addr->sa.sa_family != AF_UNSPEC)
			swim_restore(c->s, x.v[id].copy, x.v[id].len, addr, now);
	}
	c->restoring = false;
out:
	for (uint32_t id = 0; id < sh->nodes; id++)
		free(x.v[id].copy);
	free(x.v);
	free(x.t);
	return rc;
}

/* `preload 1`: a node of the initial set starts with every initial node's
 * record in its store, as after an earlier run of the network, so a
 * measurement starts from an established membership instead of thousands
 * of simultaneous cold joins (doc/gossip.md §13: the join protocol that
 * would hand a newcomer the member list is still to do). Done at the
 * node's first call rather than in create, so that with every initial node
 * booting at time 0 (boot_spread 0) all their records exist by then. */
static void preload(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;

	c->preload_due = false;
	for (uint32_t id = 0; id < sh->booted; id++) {
		if (id != c->env->node_id && sh->cur[id])
			learn_one(c, id, sh->cur[id], now, false);
	}
}

static void persist_free(void *p)
{
	struct swc_persist *ps = p;

	if (!ps)
		return;
	rec_key_wipe(&ps->key);
	free(ps->held);
	free(ps->tombs);
	free(ps);
}

/* The end of a boot (crash, destroy, a failed create): whatever no call
 * committed is lost (nothing, between calls) and the environment closes. */
static void node_free(struct swc *c)
{
	swim_del(c->s);
	store_txn_abort(c->txn);
	store_close(c->st);
	rec_key_wipe(&c->key);
	c->sh->up[c->env->node_id] = 0;
	free(c);
}

/* First boot with store lmdb: the node's directory and environment, and
 * its new identity in STORE_META (committed with SWIM_EV_BOOT and our own
 * record at the end of create). */
static int store_first_boot(struct swc *c)
{
	uint8_t seed[REC_SEED_LEN];
	int rc = store_open_node(c, true);

	if (rc)
		return rc;
	rec_key_generate(&c->key, &c->env->rng);
	crypto_sign_ed25519_sk_to_seed(seed, c->key.sk);
	store_write(c, STORE_META, meta_identity, strlen(meta_identity), seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	store_put_u32(c, meta_inc, 0);
	return c->store_err;
}

static int create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct swc_shared *sh = env->shared;
	struct swc *c = calloc(1, sizeof(*c));
	struct swim_config cfg;
	const struct swim_rec *me;
	uint8_t me_buf[REC_MEMBER_MAX];
	const uint8_t *me_bytes;
	size_t me_len;
	uint32_t inc = 0, boot = 0;
	bool inc_lost = false, first = false;
	int rc = MN_OK;

	if (!c)
		return MN_ENOMEM;
	c->env = env;
	c->sh = sh;
	if (sh->boot_addr[env->node_id].sa.sa_family == AF_UNSPEC &&
	    !env->bootstrap_addr(env->ctx, env->node_id, &sh->boot_addr[env->node_id])) {
		free(c);
		return MN_EINVAL;
	}
	if (!*env->persist) {
		struct swc_persist *ps = calloc(1, sizeof(*ps));
		if (!ps || !(ps->held = calloc(sh->nodes, sizeof(*ps->held)))) {
			free(ps);
			free(c);
			return MN_ENOMEM;
		}
		if (!sh->dir)
			rec_key_generate(&ps->key, &env->rng);
		*env->persist = ps;
		first = true;
	}
	c->ps = *env->persist;
	/* identity, incarnation, boot number */
	if (!sh->dir) {
		c->key = c->ps->key;
		inc = c->ps->inc;
		boot = c->ps->boot;
	} else if (first) {
		rc = store_first_boot(c);
	} else if (!(rc = store_open_node(c, false))) {
		rc = store_load_meta(c, &inc, &inc_lost, &boot);
	}
	if (sh->dir && rc)
		goto fail;
	if (!sh->hist[env->node_id].n &&
	    (rc = sign_record(c, now.wall / MN_NS_PER_MS, &me)) != MN_OK)
		goto fail;
	/* our own record: the newest we signed, or on a restart with store
	 * lmdb the one the store holds */
	me = current(sh, env->node_id);
	me_bytes = me->bytes;
	me_len = me->len;
	if (sh->dir && !first) {
		if ((rc = store_load_self(c, me_buf, sizeof(me_buf), &me_len, &me)))
			goto fail;
		me_bytes = me ? me->bytes : me_buf;
	}
	/* what the node held is reported again as swim adopts it (the engine
	 * forgot it at the crash) */
	if (sh->dir)
		memset(c->ps->held, 0, sh->nodes * sizeof(*c->ps->held));
	c->ps->held[env->node_id] = 0;
	c->xmemo.get = xm_get;
	c->xmemo.put = xm_put;
	c->xmemo.ctx = c;
	/* no conversion hooks: swim converts each key once, when its record
	 * is interned (swim_rec.xpk) */
	c->xmemo.pair_keyed = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = sh->p;
	cfg.net = &sh->net;
	cfg.key = &c->key;
	cfg.record = me_bytes;
	cfg.record_len = me_len;
	cfg.incarnation = inc;
	cfg.incarnation_lost = inc_lost;
	cfg.boot = boot;
	cfg.rng = env->rng;
	cfg.store = &sh->store;
	cfg.memo = &sh->memo;
	cfg.seal_memo = &c->xmemo;
	cfg.event = on_event;
	cfg.event_ctx = c;
	sh->hint = me;
	c->restoring = !first; /* our own record, from the store */
	rc = swim_new(&c->s, &cfg, now);
	c->restoring = false;
	sh->hint = NULL;
	if (rc)
		goto fail;
	sh->up[env->node_id] = 1;
	if (first && sh->preload && env->node_id < sh->booted)
		c->preload_due = true;
	else if (first)
		bootstrap(c, now);
	else if (sh->dir)
		rc = restore_lmdb(c, now);
	else
		restore(c, now);
	if (!rc) {
		call_end(c); /* SWIM_EV_BOOT is durable before anything is sent */
		rc = c->store_err;
	}
	if (rc)
		goto fail;
	*out = c;
	return MN_OK;
fail:
	node_free(c);
	return rc;
}

static void destroy(void *core)
{
	node_free(core);
}

static void crash(void *core)
{
	struct swc *c = core;

	report(c);
	node_free(c);
}

static void on_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		    struct mn_time now)
{
	struct swc *c = core;

	if (c->preload_due)
		preload(c, now);
	swim_recv(c->s, from, buf, len, now); /* drops are counted by swim */
	call_end(c);
}

static int poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct swc *c = core;

	return swim_poll_tx(c->s, buf, cap, len, dst);
}

static mn_ns next_deadline(const void *core)
{
	const struct swc *c = core;

	return swim_next_deadline(c->s);
}

static void on_timer(void *core, struct mn_time now)
{
	struct swc *c = core;

	if (c->preload_due)
		preload(c, now);
	swim_on_timer(c->s, now);
	report(c);
	call_end(c);
}

/* The node's next record version, published. */
static int publish(struct swc *c, struct mn_time now, uint32_t *seq)
{
	const struct swim_rec *r;
	int rc;

	if (c->preload_due)
		preload(c, now);
	rc = sign_record(c, now.wall / MN_NS_PER_MS, &r);
	if (rc)
		return rc;
	*seq = c->sh->hist[c->env->node_id].n;
	c->sh->hint = r;
	rc = swim_publish(c->s, r->bytes, r->len, now);
	c->sh->hint = NULL;
	return rc;
}

static int inject(void *core, uint32_t datum, struct mn_time now, uint64_t *key)
{
	struct swc *c = core;
	uint32_t seq;
	int rc = publish(c, now, &seq);

	(void)datum;
	call_end(c);
	if (rc)
		return rc;
	*key = datum_key(c->env->node_id, seq);
	return MN_OK;
}

/* The host moved. Peers learn a member's address from its own
 * authenticated traffic (roaming), so the node announces itself: a new
 * record version raises its incarnation and is gossiped from the new
 * address. (swim_set_addr is for what a node learns about others, e.g. from
 * a signed endpoint announcement, which doc/gossip.md §13 leaves to do.) */
static void addr_changed(void *core, const struct mn_addr *addr, struct mn_time now)
{
	struct swc *c = core;
	uint32_t seq;

	(void)addr;
	publish(c, now, &seq);
	call_end(c);
}

/* A tombstone against node target's key, signed by the admin that
 * admitted every node of the run (its grant carries REVOKE; the tombstone
 * carries the grant), or with `revoker root` by the root. */
static int sign_tomb(const struct swc_shared *sh, uint32_t target, uint64_t wall_ms, uint8_t *buf,
		     size_t cap, size_t *len)
{
	struct rec_revoke t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.signer = sh->revoke_by_root ? REC_BY_ROOT : REC_BY_ADMIN;
	memcpy(t.target_pk, sh->hist[target].v[0]->pk, REC_PK_LEN);
	t.revoked_ms = wall_ms;
	if (!sh->revoke_by_root)
		t.grant = sh->inv.grant;
	rc = rec_revoke_sign(&sh->net, sh->revoke_by_root ? &sh->root : &sh->admin, &t);
	if (!rc)
		rc = rec_revoke_encode(&t, buf, cap, len);
	return rc;
}

/* This node is the admin's node of a `meshnode kick`: swim_revoke keeps,
 * applies and spreads the tombstone (SWIM_EV_REVOKED stores it here as on
 * every node that hears of it). */
static int revoke(void *core, uint32_t target, struct mn_time now, uint64_t *key)
{
	struct swc *c = core;
	uint8_t buf[REC_REVOKE_MAX];
	size_t len;
	int rc;

	if (target >= c->sh->nodes || !c->sh->hist[target].n)
		return MN_EINVAL; /* never booted: no key to revoke */
	if (c->preload_due)
		preload(c, now);
	rc = sign_tomb(c->sh, target, now.wall / MN_NS_PER_MS, buf, sizeof(buf), &len);
	if (!rc)
		rc = swim_revoke(c->s, buf, len, now);
	call_end(c);
	if (rc)
		return rc;
	*key = revoke_key(target);
	return MN_OK;
}

static bool has_member(const void *core, uint32_t subject)
{
	const struct swc *c = core;
	struct swim_member_info mi;

	if (subject >= c->sh->nodes || !c->sh->hist[subject].n)
		return false;
	return swim_member(c->s, c->sh->hist[subject].v[0]->pk, &mi) == MN_OK;
}

static uint64_t view_digest(const void *core)
{
	const struct swc *c = core;

	return swim_view_digest(c->s);
}

const struct swim *swim_core_swim(const void *core)
{
	const struct swc *c = core;

	return c->s;
}

const uint8_t *swim_core_pk(const void *core)
{
	const struct swc *c = core;

	return c->key.pk;
}

const struct sim_core_ops swim_core_ops = {
	.name = "swim",
	.counter_names = counter_names,
	.ncounters = C__COUNT,
	.shared_new = shared_new,
	.shared_del = shared_del,
	.create = create,
	.destroy = destroy,
	.crash = crash,
	.persist_free = persist_free,
	.recv = on_recv,
	.poll_tx = poll_tx,
	.next_deadline = next_deadline,
	.on_timer = on_timer,
	.inject = inject,
	.revoke = revoke,
	.has_member = has_member,
	.addr_changed = addr_changed,
	.view_digest = view_digest,
};
