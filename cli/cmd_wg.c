/* cmd_wg.c - `meshnode wg IFACE --config FILE`: load and check a wg-quick
 * style config, resolve the endpoints, then run the interface
 * (daemon/iface.c) in the foreground. */
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

static void config_warn(void *ctx, unsigned line, const char *msg)
{
	fprintf(stderr, "%s:%u: warning: %s\n", (const char *)ctx, line, msg);
}

int cmd_wg(int argc, char **argv)
{
	const char *ifname = NULL, *path = NULL;
	struct wgconf conf;
	struct mn_addr *endpoints = NULL;
	struct wg_dev *dev = NULL;
	struct mn_rng rng = os_rng();
	char err[ERR_MAX];
	int rc, code = 1;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
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
	if (!ifname || !path) {
		fprintf(stderr, "usage: " PROG " wg IFACE --config FILE\n");
		return CMD_EXIT_USAGE;
	}
	if (!tun_name_ok(ifname)) {
		fprintf(stderr, PROG " wg: bad interface name \"%s\" "
			"(1-%d characters of A-Z a-z 0-9 _ - . = +)\n", ifname, TUN_NAME_MAX);
		return CMD_EXIT_USAGE;
	}

	if ((rc = wgconf_load(&conf, path, err, sizeof(err), config_warn, (void *)path)) < 0) {
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
	code = iface_run(ifname, &conf, dev);
out:
	if (dev)
		wg_dev_del(dev);
	free(endpoints);
	wgconf_free(&conf);
	return code;
}
