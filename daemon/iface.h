/* iface.h - one WireGuard interface run by the daemon (what `meshnode wg`
 * does once its config is loaded). Messages go to stderr. */
#ifndef IFACE_H
#define IFACE_H

#include <stdbool.h>

#include "mn_addr.h"
#include "wg.h"
#include "wgconf.h"

/* Apply conf to dev: private key, peers with their preshared keys,
 * endpoints (endpoints[i], already resolved, AF_UNSPEC for none), allowed
 * IPs and persistent keepalives. A peer listed twice is merged with a
 * warning. On error a message naming path is printed and the MN_ code
 * returned; dev may then hold part of the config. */
int iface_apply_config(struct wg_dev *dev, const struct wgconf *conf,
		       const struct mn_addr *endpoints, const char *path);

/* How iface_run behaves; all zero = `meshnode wg`'s defaults. */
struct iface_opts {
	bool no_routes; /* install no routes for AllowedIPs (wg-quick does) */
	bool quiet;     /* print errors only, not what was set up (LOG_LEVEL=error) */
	/* Called once the interface exists and the UAPI socket listens, before
	 * the loop runs (meshnode-wg goes to the background then). May be NULL. */
	void (*on_ready)(void *ctx);
	void *ctx;
};

/* Claim the UAPI socket name, create the interface ifname with conf's MTU,
 * listen port, fwmark and addresses, serve the UAPI, and run the loop until
 * SIGINT or SIGTERM (SIGUSR1 prints the counters) or the interface is
 * deleted or its TUN fails. dev stays the caller's; opts may be NULL.
 * Returns the process exit status: 0 after a signal or the interface's
 * deletion (`ip link del`), 1 on a failure (message printed). */
int iface_run(const char *ifname, const struct wgconf *conf, struct wg_dev *dev,
	      const struct iface_opts *opts);

#endif
