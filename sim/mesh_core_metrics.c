/* mesh_core_metrics.c - what the mesh core measures: the join-to-full-view
 * time of each joiner, the views and peers at the end, IPv4 addresses held
 * twice, and pings between pairs of members; see mesh_core.h.
 *
 * Full view: every MSC_CHECK_NS of run time (at the first core call past
 * it), each joiner not yet there is checked against every running member:
 * it holds each of them and each of them holds it. The time is taken at
 * that call, so it is late by up to one check period. */
#include <stdlib.h>
#include <string.h>

#include "mesh_core_node.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "sim.h"

const char *const msc_metric_names[MM__COUNT] = {
	"joins", "joins_incomplete", "full_view_p50_ms", "full_view_p99_ms", "full_view_max_ms",
	"view_missing", "peers_missing", "ipv4_dup", "pings", "pings_delivered", "pings_lost",
	"ping_ms_max",
};

const char *const msc_metric_helps[MM__COUNT] = {
	"joiners admitted",
	"joiners that never reached the full view",
	"join start to full view, median over joiners",
	"join start to full view, 99th percentile",
	"join start to full view, slowest joiner",
	"(running member, running member) pairs at the end where one does not hold the other",
	"the same pairs without a WireGuard peer",
	"IPv4 addresses held by two node keys across the running members' views",
	"pings planned (core_param pings)",
	"pings delivered decrypted to the destination's TUN side",
	"pings never delivered",
	"slowest ping from TUN in to TUN out, handshake included",
};

/* The ping packet: an IPv4 header, then the payload below. */
enum {
	PING_IP_LEN = 20,
	PING_OFF_TOTLEN = 2,
	PING_OFF_TTL = 8,
	PING_OFF_PROTO = 9,
	PING_OFF_CSUM = 10,
	PING_OFF_SRC = 12,
	PING_OFF_DST = 16,
	PING_OFF_MAGIC = PING_IP_LEN,
	PING_MAGIC_LEN = 8,
	PING_OFF_INDEX = PING_OFF_MAGIC + PING_MAGIC_LEN,
	PING_PROTO = 253, /* RFC 3692 experimentation */
	PING_TTL = 64,
};
_Static_assert(PING_OFF_INDEX + 4 <= MSC_PING_LEN, "a ping fits");
static const uint8_t ping_magic[PING_MAGIC_LEN] = { 'M', 'N', 'S', 'I', 'M', 'P', 'N', 'G' };

static bool running(const struct msc_shared *sh, uint32_t id)
{
	return sh->cores[id] && sh->cores[id]->n;
}

static bool held(const struct msc_shared *sh, uint32_t by, uint32_t id)
{
	return sh->cores[by]->ps->held[id] != 0;
}

/* ---- full view ---- */

static bool full_view(const struct msc_shared *sh, uint32_t j)
{
	for (uint32_t i = 0; i < sh->nodes; i++) {
		if (i == j || !running(sh, i))
			continue;
		if (!held(sh, i, j) || !held(sh, j, i))
			return false;
	}
	return true;
}

void msc_check(struct msc_shared *sh, struct mn_time now)
{
	mn_ns t = msc_run_time(now);

	if (t < sh->next_check)
		return;
	sh->next_check = t - t % MSC_CHECK_NS + MSC_CHECK_NS;
	for (uint32_t j = 0; j < sh->nodes; j++) {
		if (sh->join_start[j] != MN_NEVER && sh->full_at[j] == MN_NEVER && running(sh, j) &&
		    full_view(sh, j))
			sh->full_at[j] = t;
	}
}

/* ---- pings ---- */

mn_ns msc_ping_deadline(const struct msc *c)
{
	const struct msc_shared *sh = c->sh;

	if (!sh->npings || c->ping_done || !c->n)
		return MN_NEVER;
	return (mn_ns)(SIM_WALL_EPOCH_NS + sh->ping_at) - c->wall_off;
}

/* The first node past ping_at draws the random pairs among the running
 * members (after the chosen ones). */
static void plan(struct msc_shared *sh)
{
	uint32_t *ids = malloc(sh->nodes * sizeof(*ids)), n = 0;

	sh->ping_planned = true;
	if (!ids)
		return;
	for (uint32_t i = 0; i < sh->nodes; i++) {
		if (running(sh, i))
			ids[n++] = i;
	}
	for (uint32_t k = sh->npairs; k < sh->npings && n >= 2; k++) {
		uint32_t a = mn_rng_uniform(&sh->rng, n), b = mn_rng_uniform(&sh->rng, n - 1);
		sh->ping[k].src = ids[a];
		sh->ping[k].dst = ids[b >= a ? b + 1 : b];
	}
	free(ids);
}

static void ip_csum(uint8_t *h)
{
	uint32_t sum = 0;

	mn_put_be16(h + PING_OFF_CSUM, 0);
	for (int i = 0; i < PING_IP_LEN; i += 2)
		sum += mn_get_be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	mn_put_be16(h + PING_OFF_CSUM, (uint16_t)~sum);
}

static void send_ping(struct msc *c, uint32_t k, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	struct node_txb *b = sh->txb;
	uint8_t *p;
	int rc;

	if (sh->txb_owner != c) {
		node_txb_reset(b);
		sh->txb_pos = 0;
		sh->txb_owner = c;
	}
	if (!(p = node_txb_slot(b))) {
		sim_env_count(c->env, MC_TUN_DROPPED, 1);
		return;
	}
	p += WG_HEADROOM;
	memset(p, 0, MSC_PING_LEN);
	p[0] = 0x45;
	mn_put_be16(p + PING_OFF_TOTLEN, MSC_PING_LEN);
	p[PING_OFF_TTL] = PING_TTL;
	p[PING_OFF_PROTO] = PING_PROTO;
	memcpy(p + PING_OFF_SRC, sh->adm[c->id].ipv4, 4);
	memcpy(p + PING_OFF_DST, sh->adm[sh->ping[k].dst].ipv4, 4);
	ip_csum(p);
	memcpy(p + PING_OFF_MAGIC, ping_magic, PING_MAGIC_LEN);
	mn_put_be32(p + PING_OFF_INDEX, k);
	sh->ping[k].sent = msc_run_time(now);
	rc = node_tun_in(c->n, b, MSC_PING_LEN, now);
	sim_env_count(c->env, rc < 0 ? MC_TUN_DROPPED : MC_PINGS_SENT, 1);
}

void msc_ping_fire(struct msc *c, struct mn_time now)
{
	struct msc_shared *sh = c->sh;

	c->ping_done = true;
	if (!sh->ping_planned)
		plan(sh);
	for (uint32_t k = 0; k < sh->npings; k++) {
		if (sh->ping[k].src == c->id && sh->ping[k].sent == MN_NEVER &&
		    sh->ping[k].dst != c->id)
			send_ping(c, k, now);
	}
}

void msc_tun_out(struct msc *c, const uint8_t *pkt, size_t len, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	uint32_t k;

	if (len < MSC_PING_LEN || pkt[PING_OFF_PROTO] != PING_PROTO ||
	    memcmp(pkt + PING_OFF_MAGIC, ping_magic, PING_MAGIC_LEN) != 0)
		return;
	k = mn_get_be32(pkt + PING_OFF_INDEX);
	if (k >= sh->npings || sh->ping[k].dst != c->id || sh->ping[k].delivered != MN_NEVER ||
	    memcmp(pkt + PING_OFF_DST, sh->adm[c->id].ipv4, 4) != 0)
		return;
	sh->ping[k].delivered = msc_run_time(now);
	sim_env_count(c->env, MC_PINGS_DELIVERED, 1);
}

/* ---- metrics ---- */

static int cmp_ns(const void *a, const void *b)
{
	mn_ns x = *(const mn_ns *)a, y = *(const mn_ns *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct % of them at or below. */
static bool full_view_pct(const struct msc_shared *sh, uint32_t pct, int64_t *out)
{
	mn_ns *v = malloc(sh->nodes * sizeof(*v));
	uint32_t n = 0;

	if (!v)
		return false;
	for (uint32_t j = 0; j < sh->nodes; j++) {
		if (sh->join_start[j] != MN_NEVER && sh->full_at[j] != MN_NEVER)
			v[n++] = sh->full_at[j] - sh->join_start[j];
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_ns);
	if (n)
		*out = (int64_t)(v[((uint64_t)n * pct + 99) / 100 - 1] / MN_NS_PER_US);
	free(v);
	return n > 0;
}

static int64_t pairs_missing(const struct msc_shared *sh, bool peers)
{
	struct node_peer_info info;
	int64_t n = 0;

	for (uint32_t i = 0; i < sh->nodes; i++) {
		for (uint32_t j = 0; running(sh, i) && j < sh->nodes; j++) {
			if (i == j || !running(sh, j))
				continue;
			n += peers ? node_peer(sh->cores[i]->n, sh->pk[j], &info) != MN_OK :
				     !held(sh, i, j);
		}
	}
	return n;
}

/* IPv4 addresses of distinct node keys that collide, over every id some
 * running member holds (or is). Each key has one admission in a run. */
static bool ipv4_dup(const struct msc_shared *sh, int64_t *out)
{
	uint32_t *v = malloc(sh->nodes * sizeof(*v)), n = 0;
	int64_t dup = 0;

	if (!v)
		return false;
	for (uint32_t id = 0; id < sh->nodes; id++) {
		bool any = running(sh, id) && sh->rec[id];
		for (uint32_t i = 0; !any && i < sh->nodes; i++)
			any = running(sh, i) && held(sh, i, id) && sh->rec[id];
		if (any)
			v[n++] = mn_get_be32(sh->adm[id].ipv4);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (uint32_t k = 1; k < n; k++)
		dup += v[k] == v[k - 1];
	free(v);
	*out = dup;
	return true;
}

bool msc_metric(const void *shared, uint32_t idx, int64_t *milli)
{
	const struct msc_shared *sh = shared;
	int64_t v = 0;
	bool any = false;

	switch ((enum msc_metric)idx) {
	case MM_JOINS:
	case MM_JOINS_INCOMPLETE:
		for (uint32_t j = 0; j < sh->nodes; j++) {
			if (sh->join_start[j] == MN_NEVER)
				continue;
			v += idx == MM_JOINS ? sh->rec[j] != NULL : sh->full_at[j] == MN_NEVER;
		}
		break;
	case MM_FULL_VIEW_P50: return full_view_pct(sh, 50, milli);
	case MM_FULL_VIEW_P99: return full_view_pct(sh, 99, milli);
	case MM_FULL_VIEW_MAX: return full_view_pct(sh, 100, milli);
	case MM_VIEW_MISSING: v = pairs_missing(sh, false); break;
	case MM_PEERS_MISSING: v = pairs_missing(sh, true); break;
	case MM_IPV4_DUP:
		if (!ipv4_dup(sh, &v))
			return false;
		break;
	case MM_PINGS: v = sh->npings; break;
	case MM_PINGS_DELIVERED:
	case MM_PINGS_LOST:
		for (uint32_t k = 0; k < sh->npings; k++)
			v += sh->ping[k].delivered != MN_NEVER;
		if (idx == MM_PINGS_LOST)
			v = sh->npings - v;
		break;
	case MM_PING_MS_MAX:
		for (uint32_t k = 0; k < sh->npings; k++) {
			const struct msc_ping *p = &sh->ping[k];
			if (p->delivered != MN_NEVER && (int64_t)(p->delivered - p->sent) >= v) {
				v = (int64_t)(p->delivered - p->sent);
				any = true;
			}
		}
		if (!any)
			return false;
		*milli = v / MN_NS_PER_US;
		return true;
	default:
		return false;
	}
	*milli = v * 1000;
	return true;
}
