/* iface.c - one WireGuard interface on a libuv loop: a parsed config
 * applied to the device, then the driver (TUN, UDP, routes), the UAPI
 * socket and the signals, run until SIGINT or SIGTERM or the interface's
 * deletion. */
#include "iface.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "driver.h"
#include "mn_err.h"
#include "uapi_server.h"
#include "wgkey.h"

int iface_apply_config(struct wg_dev *dev, const struct wgconf *conf,
		       const struct mn_addr *endpoints, const char *path)
{
	struct mn_time now = driver_now();
	char b64[WGKEY_B64_LEN], pbuf[MN_PREFIX_STRLEN];
	int rc;

	if (conf->has_private_key && (rc = wg_dev_set_private_key(dev, conf->private_key)) < 0) {
		fprintf(stderr, "%s: private key: %s\n", path, mn_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct wgconf_peer *cp = &conf->peers[i];
		struct wg_peer *peer;

		wgkey_to_base64(b64, cp->public_key);
		rc = wg_dev_peer_add(dev, cp->public_key, &peer);
		if (rc == MN_EEXIST) {
			fprintf(stderr, "%s: warning: peer %s listed twice; merging\n", path, b64);
		} else if (rc < 0) {
			fprintf(stderr, "%s: peer %s: %s%s\n", path, b64, mn_strerror(rc),
				rc == MN_EINVAL ? " (it is this interface's own public key)" : "");
			return rc;
		}
		if (cp->has_psk)
			wg_peer_set_psk(peer, cp->psk);
		if (mn_addr_is_set(&endpoints[i]))
			wg_peer_set_endpoint(peer, &endpoints[i]);
		for (size_t j = 0; j < cp->n_allowed_ips; j++) {
			if ((rc = wg_peer_allowedip_add(peer, &cp->allowed_ips[j])) < 0) {
				fprintf(stderr, "%s: peer %s: allowed IP %s: %s\n", path, b64,
					mn_prefix_format(&cp->allowed_ips[j], pbuf, sizeof(pbuf)),
					mn_strerror(rc));
				return rc;
			}
		}
		if (cp->persistent_keepalive)
			wg_peer_set_persistent_keepalive(peer, cp->persistent_keepalive, now.mono);
	}
	return MN_OK;
}

struct iface {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm, sigusr1;
	const char *ifname;
	struct wg_dev *dev;
	struct driver *drv;
	struct uapi_server *uapi;
	struct iface_opts opts;
	int exit_code;
	bool stopping;
};

static void run_stop(struct iface *r, int code)
{
	if (r->stopping)
		return;
	r->stopping = true;
	r->exit_code = code;
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_close((uv_handle_t *)&r->sigusr1, NULL);
	if (r->uapi)
		uapi_server_close(r->uapi);
	if (r->drv)
		driver_close(r->drv, NULL, NULL);
	r->uapi = NULL;
	r->drv = NULL;
}

/* The counters behind "dropped and counted": driver totals and every
 * nonzero per-reason drop of the core, one line each. */
static void print_counters(const struct iface *r)
{
	struct driver_stats st;

	if (!r->drv)
		return;
	driver_get_stats(r->drv, &st);
	fprintf(stderr,
		"meshnode: %s: udp rx %llu tx %llu (tx dropped %llu, truncated %llu); "
		     "tun rx %llu tx %llu (tx dropped %llu, unreadable %llu); core dropped %llu\n",
		r->ifname, (unsigned long long)st.udp_rx, (unsigned long long)st.udp_tx,
		(unsigned long long)st.udp_tx_drop, (unsigned long long)st.udp_rx_trunc,
		(unsigned long long)st.tun_rx, (unsigned long long)st.tun_tx,
		(unsigned long long)st.tun_tx_drop, (unsigned long long)st.tun_rx_bad,
		(unsigned long long)st.core_drop);
	for (int d = 0; d < WG_DROP__COUNT; d++) {
		uint64_t n = wg_dev_drops(r->dev, (enum wg_drop)d);
		if (n)
			fprintf(stderr, "meshnode: %s:   dropped %llu: %s\n", r->ifname,
				(unsigned long long)n, wg_drop_name((enum wg_drop)d));
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct iface *r = h->data;

	if (signum == SIGUSR1) {
		print_counters(r);
		return;
	}
	if (!r->opts.quiet) {
		fprintf(stderr, "meshnode: %s: %s, shutting down\n", r->ifname,
			signum == SIGINT ? "SIGINT" : "SIGTERM");
		print_counters(r);
	}
	run_stop(r, 0);
}

/* Deleting the interface is how `wg-quick down` stops a userspace
 * implementation: a normal end. A TUN that fails otherwise is not. */
static void on_tun_dead(void *ctx, bool deleted, const char *why)
{
	struct iface *r = ctx;

	(void)why;
	if (deleted && !r->opts.quiet) {
		fprintf(stderr, "meshnode: %s: interface deleted, shutting down\n", r->ifname);
		print_counters(r);
	}
	run_stop(r, deleted ? 0 : 1);
}

static void on_uapi_request(void *ctx)
{
	struct iface *r = ctx;

	if (r->drv)
		driver_kick(r->drv);
}

int iface_run(const char *ifname, const struct wgconf *conf, struct wg_dev *dev,
	      const struct iface_opts *iopts)
{
	struct iface r;
	struct driver_opts opts;
	struct uapi_host host;
	char sock_path[UAPI_SERVER_PATH_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	r.ifname = ifname;
	r.dev = dev;
	r.exit_code = 1;
	if (iopts)
		r.opts = *iopts;

	/* Fail on a live owner of the UAPI name before creating anything. */
	if ((rc = uapi_server_path(sock_path, sizeof(sock_path), ifname)) < 0 ||
	    (rc = uapi_server_claim(sock_path)) < 0) {
		if (rc == MN_EBUSY)
			fprintf(stderr, "meshnode: %s: %s is served by another live process "
				"(another meshnode or wireguard-go with this interface name, "
				"maybe in another network namespace)\n", ifname, sock_path);
		else if (rc == MN_EEXIST)
			fprintf(stderr, "meshnode: %s: %s exists and is not a socket\n", ifname,
				sock_path);
		else
			fprintf(stderr, "meshnode: %s: %s: %s\n", ifname, sock_path, strerror(errno));
		return 1;
	}

	if ((rc = uv_loop_init(&r.loop)) < 0) {
		fprintf(stderr, "meshnode: uv_loop_init: %s\n", uv_strerror(rc));
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.ifname = ifname;
	opts.mtu = conf->mtu;
	opts.listen_port = conf->has_listen_port ? conf->listen_port : 0;
	opts.fwmark = conf->fwmark;
	opts.addresses = conf->addresses;
	opts.n_addresses = conf->n_addresses;
	opts.no_routes = r.opts.no_routes;
	opts.quiet = r.opts.quiet;
	opts.on_dead = on_tun_dead;
	opts.ctx = &r;
	if ((rc = driver_new(&r.drv, &r.loop, dev, &opts)) < 0) {
		if (rc == MN_EINVAL)
			fprintf(stderr, "meshnode: %s: invalid settings (MTU %u: allowed %d..%d)\n",
				ifname, conf->mtu, DRIVER_MTU_MIN, DRIVER_MTU_MAX);
		goto out;
	}
	driver_uapi_host(r.drv, &host);
	if ((rc = uapi_server_new(&r.uapi, &r.loop, ifname, dev, &host, on_uapi_request, &r)) < 0) {
		fprintf(stderr, "meshnode: %s: cannot serve %s: %s\n", ifname, sock_path,
			rc == MN_EBUSY ? "another process took it" : strerror(errno));
		goto out;
	}
	if (!r.opts.quiet)
		fprintf(stderr, "meshnode: %s: UAPI socket %s\n", ifname,
			uapi_server_sock_path(r.uapi));

	uv_signal_init(&r.loop, &r.sigint);
	uv_signal_init(&r.loop, &r.sigterm);
	uv_signal_init(&r.loop, &r.sigusr1);
	r.sigint.data = r.sigterm.data = r.sigusr1.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	uv_signal_start(&r.sigusr1, on_signal, SIGUSR1);
	r.exit_code = 0;
	if (r.opts.on_ready)
		r.opts.on_ready(r.opts.ctx);
	uv_run(&r.loop, UV_RUN_DEFAULT);
out:
	if (!r.stopping) {
		/* Start-up failed: nothing listens for signals yet. */
		r.stopping = true;
		if (r.uapi)
			uapi_server_close(r.uapi);
		if (r.drv)
			driver_close(r.drv, NULL, NULL);
		r.exit_code = 1;
	}
	uv_run(&r.loop, UV_RUN_DEFAULT); /* let closing handles finish */
	if (uv_loop_close(&r.loop) < 0)
		fprintf(stderr, "meshnode: warning: event loop closed with open handles\n");
	return r.exit_code;
}
