/* iface.h - one WireGuard interface run by the daemon (what `meshnode wg`
 * does once its config is loaded). Messages go to stderr. */
#ifndef IFACE_H
#define IFACE_H

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

/* Claim the UAPI socket name, create the interface ifname with conf's MTU,
 * listen port, fwmark and addresses, serve the UAPI, and run the loop until
 * SIGINT or SIGTERM (SIGUSR1 prints the counters) or the TUN goes away.
 * dev stays the caller's. Returns the process exit status: 0 after a
 * signal, 1 on a failure (message printed). */
int iface_run(const char *ifname, const struct wgconf *conf, struct wg_dev *dev);

#endif
