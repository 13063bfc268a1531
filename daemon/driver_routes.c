/* driver_routes.c - the routes the driver installs for a wg_dev's
 * AllowedIPs (meshnode wg) or one at a time for the node core (the mesh
 * daemon), and the UAPI host callbacks that keep them in step with `wg set`.
 * See driver.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "mn_err.h"

/* ---- routes ---- */

static int prefix_cmp(const void *pa, const void *pb)
{
	const struct mn_prefix *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->bits != b->bits)
		return a->bits < b->bits ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

struct route_collect {
	struct driver *drv;
	struct mn_prefix *v;
	size_t n, cap;
	int err;
};

static bool collect_prefix(void *ctx, const struct mn_prefix *p)
{
	struct route_collect *c = ctx;
	struct mn_prefix q = *p;

	if (q.family != AF_INET && q.family != AF_INET6)
		return true;
	if (q.bits == 0) {
		bool *warned = &c->drv->warned_default[q.family == AF_INET6];
		if (!*warned) {
			driver__log(c->drv, "AllowedIPs %s: default routes are not installed by "
				"`meshnode wg`; route it yourself (and keep the endpoints "
				"reachable outside the tunnel)",
				q.family == AF_INET ? "0.0.0.0/0" : "::/0");
			*warned = true;
		}
		return true;
	}
	mn_prefix_normalize(&q);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct mn_prefix *v;

		if (c->cap >= DRIVER_MAX_ROUTES) {
			c->err = MN_EFULL;
			return false;
		}
		if (cap > DRIVER_MAX_ROUTES)
			cap = DRIVER_MAX_ROUTES;
		v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->err = MN_ENOMEM;
			return false;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = q;
	return true;
}

int driver_sync_routes(struct driver *drv)
{
	struct route_collect c = { .drv = drv };
	struct wg_peer *peer = NULL;
	size_t i = 0, j = 0, kept = 0, n;
	char pbuf[MN_PREFIX_STRLEN];
	int first_err = MN_OK;

	if (drv->opts.no_routes)
		return MN_OK;
	while ((peer = wg_dev_peer_next(drv->dev, peer)) && !c.err)
		wg_peer_allowedips_foreach(peer, collect_prefix, &c);
	if (c.err) {
		driver__log(drv, "routes not synced: %s (limit %d routes)", mn_strerror(c.err),
			DRIVER_MAX_ROUTES);
		free(c.v);
		return c.err;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), prefix_cmp);
	/* Dedupe in place: two peers may list the same prefix (the device
	 * keeps one owner; a route is a route). */
	for (n = 0, i = 0; i < c.n; i++)
		if (n == 0 || prefix_cmp(&c.v[n - 1], &c.v[i]) != 0)
			c.v[n++] = c.v[i];

	/* Merge the wanted list against what is installed; compact the
	 * wanted list in place into the new installed list. */
	i = 0;
	while (i < n || j < drv->n_routes) {
		int cmp = i == n ? 1 : j == drv->n_routes ? -1 : prefix_cmp(&c.v[i], &drv->routes[j]);

		if (cmp == 0) {
			c.v[kept++] = c.v[i++];
			j++;
		} else if (cmp < 0) {
			int rc = netlink_route_add(&drv->nl, drv->ifindex, &c.v[i]);
			if (rc == MN_OK || rc == MN_EEXIST) {
				c.v[kept++] = c.v[i];
			} else {
				driver__log(drv, "cannot add route %s: %s",
					mn_prefix_format(&c.v[i], pbuf, sizeof(pbuf)),
					strerror(errno));
				if (first_err == MN_OK)
					first_err = rc;
			}
			i++;
		} else {
			int rc = netlink_route_del(&drv->nl, drv->ifindex, &drv->routes[j]);
			if (rc < 0 && rc != MN_ENOENT)
				driver__log(drv, "cannot remove route %s: %s",
					mn_prefix_format(&drv->routes[j], pbuf, sizeof(pbuf)),
					strerror(errno));
			j++;
		}
	}
	free(drv->routes);
	drv->routes = c.v;
	drv->n_routes = kept;
	return first_err;
}

int driver_route(struct driver *drv, bool add, const struct mn_prefix *dst)
{
	struct mn_prefix q = *dst;

	mn_prefix_normalize(&q);
	return add ? netlink_route_add(&drv->nl, drv->ifindex, &q)
		   : netlink_route_del(&drv->nl, drv->ifindex, &q);
}

/* ---- UAPI host callbacks ---- */

static uint16_t host_get_port(void *ctx)
{
	return driver_listen_port(ctx);
}

static int host_set_port(void *ctx, uint16_t port)
{
	return driver_set_listen_port(ctx, port);
}

static uint32_t host_get_fwmark(void *ctx)
{
	return driver_fwmark(ctx);
}

static int host_set_fwmark(void *ctx, uint32_t mark)
{
	return driver_set_fwmark(ctx, mark);
}

static void host_peers_changed(void *ctx)
{
	(void)driver_sync_routes(ctx); /* failures are logged; the device keeps its peers */
}

void driver_uapi_host(struct driver *drv, struct uapi_host *host)
{
	memset(host, 0, sizeof(*host));
	host->ctx = drv;
	host->get_listen_port = host_get_port;
	host->set_listen_port = host_set_port;
	host->get_fwmark = host_get_fwmark;
	host->set_fwmark = host_set_fwmark;
	host->peers_changed = host_peers_changed;
}

