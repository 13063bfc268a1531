/* cmd_wg.c - `meshnode wg IFACE [--config FILE]`: load and check a wg-quick
 * style config (or start empty), resolve the endpoints, then run the
 * interface (daemon/iface.c) in the foreground. cmd_wg_run is shared with
 * meshnode-wg (cmd_wg_userspace.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "driver.h"
#include "iface.h"
#include "mn_err.h"
#include "os_rng.h"
#include "resolve.h"
#include "tun.h"
#include "wg.h"
#include "wgconf.h"

#define ERR_MAX 512 /* config error message */

static const char wg_usage[] =
	"usage: " PROG " wg IFACE [--config FILE]\n"
	"\n"
	"Run the WireGuard interface IFACE in the foreground until SIGINT or SIGTERM\n"
	"or until the interface is deleted (`ip link del IFACE`).\n"
	"\n"
	"  -c, --config FILE  a wg-quick style config: keys, peers, ListenPort, FwMark,\n"
	"                     Address, MTU (DNS, Table and scripts are ignored); routes\n"
	"                     follow the peers' AllowedIPs (default routes excepted)\n"
	"                     without it the interface starts with no key, no peers\n"
	"                     and no address: configure it with `wg set` / `wg setconf`\n"
	"  -h, --help         this text\n"
	"\n"
	"`wg show IFACE` and `wg set IFACE ...` work on it; SIGUSR1 prints the packet\n"
	"and drop counters. For wg-quick, use meshnode-wg (wireguard-go's arguments).\n";

static void config_warn(void *ctx, unsigned line, const char *msg)
{
	fprintf(stderr, "%s:%u: warning: %s\n", (const char *)ctx, line, msg);
}

bool cmd_wg_name_ok(const char *prog, const char *ifname)
{
	if (tun_name_ok(ifname))
		return true;
	fprintf(stderr, "%s: bad interface name \"%s\" (1-%d characters of A-Z a-z 0-9 _ - . = +)\n",
		prog, ifname, TUN_NAME_MAX);
	return false;
}

int cmd_wg_run(const char *ifname, const char *path, const struct iface_opts *opts)
{
	struct wgconf conf;
	struct mn_addr *endpoints = NULL;
	struct wg_dev *dev = NULL;
	struct mn_rng rng = os_rng();
	char err[ERR_MAX];
	int rc, code = 1;

	memset(&conf, 0, sizeof(conf));
	if (path && (rc = wgconf_load(&conf, path, err, sizeof(err), config_warn, (void *)path)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (conf.mtu && (conf.mtu < DRIVER_MTU_MIN || conf.mtu > DRIVER_MTU_MAX)) {
		fprintf(stderr, "%s: MTU %u is outside %d..%d\n", path, conf.mtu, DRIVER_MTU_MIN,
			DRIVER_MTU_MAX);
		goto out;
	}
	if (conf.n_addresses > DRIVER_MAX_ADDRESSES) {
		fprintf(stderr, "%s: more than %d addresses\n", path, DRIVER_MAX_ADDRESSES);
		goto out;
	}
	endpoints = calloc(conf.n_peers ? conf.n_peers : 1, sizeof(*endpoints));
	if (!endpoints) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < conf.n_peers; i++) {
		if (!conf.peers[i].endpoint)
			continue;
		if (resolve_endpoint(conf.peers[i].endpoint, &endpoints[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: peer %zu: %s\n", path, i + 1, err);
			goto out;
		}
	}
	if ((rc = wg_dev_new(&dev, &rng)) < 0) {
		fprintf(stderr, PROG ": cannot create the WireGuard device: %s\n", mn_strerror(rc));
		goto out;
	}
	if (iface_apply_config(dev, &conf, endpoints, path) < 0)
		goto out;
	code = iface_run(ifname, &conf, dev, opts);
out:
	if (dev)
		wg_dev_del(dev);
	free(endpoints);
	wgconf_free(&conf);
	return code;
}

int cmd_wg(int argc, char **argv)
{
	const char *ifname = NULL, *path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(wg_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
			if (++i == argc) {
				fprintf(stderr, PROG " wg: %s needs a file name\n", argv[i - 1]);
				return CMD_EXIT_USAGE;
			}
			path = argv[i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			path = argv[i] + 9;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, PROG " wg: unknown option %s\n", argv[i]);
			return CMD_EXIT_USAGE;
		} else if (!ifname) {
			ifname = argv[i];
		} else {
			fprintf(stderr, PROG " wg: unexpected argument %s\n", argv[i]);
			return CMD_EXIT_USAGE;
		}
	}
	if (!ifname) {
		fputs(wg_usage, stderr);
		return CMD_EXIT_USAGE;
	}
	if (!cmd_wg_name_ok(PROG " wg", ifname))
		return CMD_EXIT_USAGE;
	return cmd_wg_run(ifname, path, NULL);
}
