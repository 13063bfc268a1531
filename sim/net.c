/* net.c - hosts, addresses, latency, loss, partitions, middlebox seam. */
#include "net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "simcore.h"

static const char *const drop_names[NET_DROP__COUNT] = {
	"loss", "partition", "no_host", "no_port", "bad_addr",
	"filtered", "oversize", "queue", "down", "rcvbuf",
};

const char *net_drop_name(enum net_drop d)
{
	return (unsigned)d < NET_DROP__COUNT ? drop_names[d] : "unknown";
}

struct profile {
	const char *name;
	struct net_params p;
};

/* lan: one switched segment, ~0.1-0.2 ms one way. wan: four regions,
 * 10-80 ms apart, hosts 1-10 ms from their region's core. */
static const struct profile profiles[] = {
	{ "lan", { .access_min_ns = 50 * MN_NS_PER_US, .access_max_ns = 100 * MN_NS_PER_US,
		   .core_intra_ns = 0, .core_min_ns = 0, .core_max_ns = 0,
		   .jitter_ns = 50 * MN_NS_PER_US, .regions = 1 } },
	{ "wan", { .access_min_ns = 1 * MN_NS_PER_MS, .access_max_ns = 10 * MN_NS_PER_MS,
		   .core_intra_ns = 2 * MN_NS_PER_MS, .core_min_ns = 10 * MN_NS_PER_MS,
		   .core_max_ns = 80 * MN_NS_PER_MS, .jitter_ns = 2 * MN_NS_PER_MS,
		   .regions = 4 } },
};

int net_profile(const char *name, struct net_params *p)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profiles[i].name, name) == 0) {
			*p = profiles[i].p;
			return MN_OK;
		}
	}
	return MN_ENOENT;
}

int net_params_check(const struct net_params *p)
{
	if (p->access_max_ns > NET_MAX_LATENCY_NS || p->core_max_ns > NET_MAX_LATENCY_NS ||
	    p->core_intra_ns > NET_MAX_LATENCY_NS || p->jitter_ns > NET_MAX_LATENCY_NS)
		return MN_ERANGE;
	if (p->access_min_ns > p->access_max_ns || p->core_min_ns > p->core_max_ns)
		return MN_EINVAL;
	if (p->regions < 1 || p->regions > NET_MAX_REGIONS)
		return MN_ERANGE;
	if (p->loss_ppm > NET_PPM || p->dup_ppm > NET_PPM)
		return MN_ERANGE;
	return MN_OK;
}

void net_addr_v4(struct mn_addr *a, uint32_t ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->in4.sin_family = AF_INET;
	a->in4.sin_addr.s_addr = htonl(ip);
	a->in4.sin_port = htons(port);
}

bool net_addr_get_v4(const struct mn_addr *a, uint32_t *ip, uint16_t *port)
{
	if (a->sa.sa_family != AF_INET)
		return false;
	*ip = ntohl(a->in4.sin_addr.s_addr);
	*port = ntohs(a->in4.sin_port);
	return true;
}

/* Uniform in [lo, hi]; both within NET_MAX_LATENCY_NS (< 2^32). */
static mn_ns draw_range(struct net *n, mn_ns lo, mn_ns hi)
{
	if (hi <= lo)
		return lo;
	return lo + mn_rng_uniform(&n->rng, (uint32_t)(hi - lo + 1));
}

static bool draw_ppm(struct net *n, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= NET_PPM)
		return true;
	return mn_rng_uniform(&n->rng, NET_PPM) < ppm;
}

int net_new(struct net **out, const struct net_params *p, const struct mn_rng *rng,
	    uint32_t maxhosts)
{
	int err = net_params_check(p);
	if (err)
		return err;
	if (maxhosts > NET_MAX_HOSTS)
		return MN_ERANGE;
	struct net *n = calloc(1, sizeof(*n));
	if (!n)
		return MN_ENOMEM;
	n->p = *p;
	n->rng = *rng;
	n->maxhosts = maxhosts;
	n->next_addr = 1;
	n->hosts = calloc(maxhosts ? maxhosts : 1, sizeof(*n->hosts));
	n->owner = malloc(NET_PUBLIC_SLOTS * sizeof(*n->owner));
	if (!n->hosts || !n->owner) {
		net_del(n);
		return MN_ENOMEM;
	}
	for (uint32_t i = 0; i < NET_PUBLIC_SLOTS; i++)
		n->owner[i] = NET_NOBODY;
	for (uint32_t a = 0; a < p->regions; a++) {
		n->core_ns[a][a] = p->core_intra_ns;
		for (uint32_t b = a + 1; b < p->regions; b++)
			n->core_ns[a][b] = n->core_ns[b][a] =
				draw_range(n, p->core_min_ns, p->core_max_ns);
	}
	*out = n;
	return MN_OK;
}

void net_del(struct net *n)
{
	if (!n)
		return;
	free(n->hosts);
	free(n->owner);
	free(n);
}

int net_set_params(struct net *n, const struct net_params *p)
{
	int err = net_params_check(p);
	if (err)
		return err;
	n->p.jitter_ns = p->jitter_ns;
	n->p.loss_ppm = p->loss_ppm;
	n->p.dup_ppm = p->dup_ppm;
	return MN_OK;
}

/* Next free offset in the public /16, skipping .0.0 and .255.255; the
 * cursor walks forward so a released address is reused last. */
static int alloc_addr(struct net *n, uint32_t host, uint32_t *ip)
{
	for (uint32_t tries = 0; tries < NET_PUBLIC_SLOTS; tries++) {
		uint32_t off = n->next_addr;
		n->next_addr = (n->next_addr + 1) % NET_PUBLIC_SLOTS;
		if (off == 0 || off == NET_PUBLIC_SLOTS - 1 || n->owner[off] != NET_NOBODY)
			continue;
		n->owner[off] = host;
		*ip = NET_PUBLIC_V4 + off;
		return MN_OK;
	}
	return MN_EFULL;
}

int net_host_add(struct net *n, uint32_t *id)
{
	if (n->nhosts == n->maxhosts)
		return MN_EFULL;
	uint32_t h = n->nhosts;
	struct net_host *host = &n->hosts[h];
	int err = alloc_addr(n, h, &host->ip);
	if (err)
		return err;
	host->port = NET_DEFAULT_PORT;
	host->region = (uint8_t)(h % n->p.regions);
	host->group = 0;
	host->access_ns = draw_range(n, n->p.access_min_ns, n->p.access_max_ns);
	host->upstream = NET_NOBODY;
	n->nhosts++;
	*id = h;
	return MN_OK;
}

static bool public_offset(uint32_t ip, uint32_t *off)
{
	if ((ip & 0xffff0000u) != NET_PUBLIC_V4)
		return false;
	*off = ip & 0xffffu;
	return true;
}

int net_host_move(struct net *n, uint32_t id)
{
	struct net_host *h = &n->hosts[id];
	uint32_t ip, off;
	int err = alloc_addr(n, id, &ip);
	if (err)
		return err;
	if (public_offset(h->ip, &off) && n->owner[off] == id)
		n->owner[off] = NET_NOBODY;
	h->ip = ip;
	return MN_OK;
}

void net_host_addr(const struct net *n, uint32_t id, struct mn_addr *out)
{
	net_addr_v4(out, n->hosts[id].ip, n->hosts[id].port);
}

uint32_t net_lookup(const struct net *n, const struct mn_addr *a)
{
	uint32_t ip, off;
	uint16_t port;
	if (!net_addr_get_v4(a, &ip, &port) || !public_offset(ip, &off))
		return NET_NOBODY;
	return n->owner[off];
}

void net_host_set_mbox(struct net *n, uint32_t box, const struct net_mbox_ops *ops, void *ctx)
{
	n->hosts[box].mbox = ops;
	n->hosts[box].mbox_ctx = ctx;
}

void net_host_set_upstream(struct net *n, uint32_t inside, uint32_t box)
{
	n->hosts[inside].upstream = box;
}

void net_set_group(struct net *n, uint32_t host, uint32_t group)
{
	n->hosts[host].group = (uint8_t)(group % NET_MAX_GROUPS);
}

void net_block(struct net *n, uint32_t from_group, uint32_t to_group)
{
	n->blocked[from_group % NET_MAX_GROUPS] |= UINT32_C(1) << (to_group % NET_MAX_GROUPS);
}

void net_heal(struct net *n)
{
	memset(n->blocked, 0, sizeof(n->blocked));
	for (uint32_t i = 0; i < n->nhosts; i++)
		n->hosts[i].group = 0;
}

/* The host that represents h on the open network: h, or its outermost box. */
static uint32_t edge(const struct net *n, uint32_t h)
{
	for (int depth = 0; depth < NET_MAX_MBOX_DEPTH && n->hosts[h].upstream != NET_NOBODY;
	     depth++)
		h = n->hosts[h].upstream;
	return h;
}

static bool groups_blocked(const struct net *n, uint32_t a, uint32_t b)
{
	return n->blocked[n->hosts[a].group] >> n->hosts[b].group & 1;
}

bool net_blocked(const struct net *n, uint32_t from_host, uint32_t to_host)
{
	return groups_blocked(n, edge(n, from_host), edge(n, to_host));
}

void net_send(struct net *n, uint32_t src, const struct mn_addr *dst, size_t len, mn_ns now,
	      struct net_fate *f)
{
	enum net_drop r;
	n->sent++;
	f->to = NET_NOBODY;
	net_host_addr(n, src, &f->src);
	if (len > SIM_MAX_DGRAM) {
		r = NET_DROP_OVERSIZE;
		goto out_drop;
	}
	uint32_t ip, off;
	uint16_t port;
	if (!net_addr_get_v4(dst, &ip, &port) || !public_offset(ip, &off)) {
		r = NET_DROP_BAD_ADDR;
		goto out_drop;
	}

	/* out through any middleboxes, adding each hop's latency */
	mn_ns delay = n->hosts[src].access_ns;
	uint32_t h = src;
	for (int depth = 0; n->hosts[h].upstream != NET_NOBODY; depth++) {
		uint32_t box = n->hosts[h].upstream;
		if (depth == NET_MAX_MBOX_DEPTH ||
		    !n->hosts[box].mbox->egress(n->hosts[box].mbox_ctx, h, &f->src, dst, now)) {
			r = NET_DROP_FILTERED;
			goto out_drop;
		}
		delay += n->hosts[box].access_ns;
		h = box;
	}

	uint32_t to = n->owner[off];
	f->to = to;
	if (to == NET_NOBODY) {
		r = NET_DROP_NO_HOST;
		goto out_drop;
	}
	if (groups_blocked(n, h, to)) {
		r = NET_DROP_PARTITION;
		goto out_drop;
	}
	if (draw_ppm(n, n->p.loss_ppm)) {
		r = NET_DROP_LOSS;
		goto out_drop;
	}
	f->copies = draw_ppm(n, n->p.dup_ppm) ? 2 : 1;
	if (f->copies == 2)
		n->duplicated++;
	delay += n->core_ns[n->hosts[h].region][n->hosts[to].region] + n->hosts[to].access_ns;
	for (uint32_t c = 0; c < f->copies; c++)
		f->delay_ns[c] = delay + draw_range(n, 0, n->p.jitter_ns);
	return;
out_drop:
	f->copies = 0;
	f->reason = r;
	n->drops[r]++;
}

bool net_arrive(struct net *n, uint32_t src_host, const struct mn_addr *src,
		struct mn_addr *dst, mn_ns now, uint32_t *host, enum net_drop *reason)
{
	uint32_t to = net_lookup(n, dst);
	enum net_drop r;
	if (to == NET_NOBODY) {
		r = NET_DROP_NO_HOST;
		goto out_drop;
	}
	if (groups_blocked(n, edge(n, src_host), to)) {
		r = NET_DROP_PARTITION;
		goto out_drop;
	}
	for (int depth = 0; n->hosts[to].mbox; depth++) {
		struct net_host *box = &n->hosts[to];
		if (depth == NET_MAX_MBOX_DEPTH ||
		    !box->mbox->ingress(box->mbox_ctx, src, dst, &to, now) ||
		    to >= n->nhosts) {
			r = NET_DROP_FILTERED;
			goto out_drop;
		}
	}
	uint32_t ip;
	uint16_t port;
	if (!net_addr_get_v4(dst, &ip, &port) || port != n->hosts[to].port) {
		r = NET_DROP_NO_PORT;
		goto out_drop;
	}
	n->delivered++;
	*host = to;
	return true;
out_drop:
	n->drops[r]++;
	*reason = r;
	return false;
}
