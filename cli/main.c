/* main.c - the `meshnode` command line.
 *
 *   meshnode genkey                      private key, base64 (like `wg genkey`)
 *   meshnode pubkey                      base64 private key on stdin -> public key
 *   meshnode wg IFACE --config FILE      a WireGuard interface, in the foreground
 *   meshnode version | help
 *
 * Exit status: 0 success, 1 failure (a message on stderr), 2 usage error.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "driver.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "os_rng.h"
#include "tun.h"
#include "uapi_server.h"
#include "wg.h"
#include "wg_crypto.h"
#include "wgconf.h"
#include "wgkey.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROG "meshnode"

enum main_limits {
	MAIN_KEY_INPUT_MAX = 1024,   /* bytes `pubkey` reads from stdin */
	MAIN_ERR_MAX = 512,          /* config error message */
	MAIN_HOST_MAX = 256,         /* endpoint host name */
	MAIN_RESOLVE_TRIES = 5,      /* getaddrinfo attempts on a temporary failure */
	MAIN_RESOLVE_WAIT_S = 1
};

enum { EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  genkey                    print a new private key (base64)\n"
		"  pubkey                    read a base64 private key on stdin, print its public key\n"
		"  wg IFACE --config FILE    run a WireGuard interface in the foreground until\n"
		"                            SIGINT or SIGTERM; FILE is a wg-quick style config\n"
		"                            (scripts and DNS are ignored); `wg show IFACE` and\n"
		"                            `wg set IFACE ...` work on it; SIGUSR1 prints the\n"
		"                            packet and drop counters\n"
		"  version                   print the version\n"
		"  help                      this text\n");
}

/* ---- keys ---- */

static int cmd_genkey(void)
{
	uint8_t key[WG_KEY_LEN];
	char b64[WGKEY_B64_LEN];
	struct mn_rng rng = os_rng();
	struct stat st;

	/* As `wg genkey`: a private key written to a file others can read is
	 * worth a warning. */
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fprintf(stderr, PROG ": warning: writing to a world-accessible file; "
			"consider `umask 077` first\n");
	mn_rng_bytes(&rng, key, sizeof(key));
	wg_clamp(key);
	wgkey_to_base64(b64, key);
	printf("%s\n", b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return fflush(stdout) == 0 ? 0 : 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int cmd_pubkey(void)
{
	char in[MAIN_KEY_INPUT_MAX + 1];
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char b64[WGKEY_B64_LEN];
	size_t n = fread(in, 1, sizeof(in), stdin);
	char *s = in;
	int rc = 1;

	if (n > MAIN_KEY_INPUT_MAX) {
		fprintf(stderr, PROG " pubkey: input too long: expected one base64 private key\n");
		goto out;
	}
	while (n > 0 && is_space(in[n - 1]))
		n--;
	in[n] = '\0';
	while (is_space(*s))
		s++;
	if (wgkey_from_base64(priv, s) < 0) {
		fprintf(stderr, PROG " pubkey: stdin is not a base64 private key "
			"(44 characters, as `" PROG " genkey` prints)\n");
		goto out;
	}
	if (wg_pubkey(pub, priv) < 0) {
		fprintf(stderr, PROG " pubkey: cannot derive a public key from this private key\n");
		goto out;
	}
	wgkey_to_base64(b64, pub);
	printf("%s\n", b64);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	sodium_memzero(in, sizeof(in));
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

/* ---- wg: configuration ---- */

static void config_warn(void *ctx, unsigned line, const char *msg)
{
	fprintf(stderr, "%s:%u: warning: %s\n", (const char *)ctx, line, msg);
}

/* Resolve "host:port" or "[v6]:port". A numeric address keeps its family;
 * a name takes the resolver's first IPv4 or IPv6 answer (AI_ADDRCONFIG:
 * only families this host has addresses for). */
static int resolve_endpoint(const char *text, struct mn_addr *out, char *err, size_t errlen)
{
	char host[MAIN_HOST_MAX];
	const char *port, *end;
	struct addrinfo hints, *res = NULL, *ai;
	int rc = EAI_NONAME;

	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':') {
			snprintf(err, errlen, "endpoint \"%s\": expected [IPv6]:port", text);
			return MN_ESYNTAX;
		}
		text++;
		port = end + 2;
	} else {
		end = strrchr(text, ':');
		if (!end || memchr(text, ':', (size_t)(end - text))) {
			snprintf(err, errlen, "endpoint \"%s\": expected host:port "
				 "(IPv6 addresses in brackets)", text);
			return MN_ESYNTAX;
		}
		port = end + 1;
	}
	if (end == text || (size_t)(end - text) >= sizeof(host) || !*port) {
		snprintf(err, errlen, "endpoint \"%s\": bad host or port", text);
		return MN_ESYNTAX;
	}
	memcpy(host, text, (size_t)(end - text));
	host[end - text] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		for (int tries = 0; tries < MAIN_RESOLVE_TRIES; tries++) {
			rc = getaddrinfo(host, port, &hints, &res);
			if (rc != EAI_AGAIN)
				break;
			sleep(MAIN_RESOLVE_WAIT_S);
		}
	}
	if (rc != 0) {
		snprintf(err, errlen, "endpoint \"%s\": %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return MN_ENOENT;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*out))
			break;
	if (!ai) {
		freeaddrinfo(res);
		snprintf(err, errlen, "endpoint \"%s\": no IPv4 or IPv6 address", host);
		return MN_ENOENT;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	mn_addr_unmap(out);
	return MN_OK;
}

static int apply_config(struct wg_dev *dev, const struct wgconf *conf,
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

/* ---- wg: running ---- */

struct wg_run {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm, sigusr1;
	const char *ifname;
	struct wg_dev *dev;
	struct driver *drv;
	struct uapi_server *uapi;
	int exit_code;
	bool stopping;
};

static void run_stop(struct wg_run *r, int code)
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
static void print_counters(const struct wg_run *r)
{
	struct driver_stats st;

	if (!r->drv)
		return;
	driver_get_stats(r->drv, &st);
	fprintf(stderr,
		PROG ": %s: udp rx %llu tx %llu (tx dropped %llu, truncated %llu); "
		     "tun rx %llu tx %llu (tx dropped %llu, unreadable %llu); core dropped %llu\n",
		r->ifname, (unsigned long long)st.udp_rx, (unsigned long long)st.udp_tx,
		(unsigned long long)st.udp_tx_drop, (unsigned long long)st.udp_rx_trunc,
		(unsigned long long)st.tun_rx, (unsigned long long)st.tun_tx,
		(unsigned long long)st.tun_tx_drop, (unsigned long long)st.tun_rx_bad,
		(unsigned long long)st.core_drop);
	for (int d = 0; d < WG_DROP__COUNT; d++) {
		uint64_t n = wg_dev_drops(r->dev, (enum wg_drop)d);
		if (n)
			fprintf(stderr, PROG ": %s:   dropped %llu: %s\n", r->ifname,
				(unsigned long long)n, wg_drop_name((enum wg_drop)d));
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct wg_run *r = h->data;

	if (signum == SIGUSR1) {
		print_counters(r);
		return;
	}
	fprintf(stderr, PROG ": %s: %s, shutting down\n", r->ifname,
		signum == SIGINT ? "SIGINT" : "SIGTERM");
	print_counters(r);
	run_stop(r, 0);
}

static void on_tun_dead(void *ctx, const char *why)
{
	run_stop(ctx, 1);
}

static void on_uapi_request(void *ctx)
{
	struct wg_run *r = ctx;

	if (r->drv)
		driver_kick(r->drv);
}

static int run_wg(const char *ifname, const struct wgconf *conf, struct wg_dev *dev)
{
	struct wg_run r;
	struct driver_opts opts;
	struct uapi_host host;
	char sock_path[UAPI_SERVER_PATH_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	r.ifname = ifname;
	r.dev = dev;
	r.exit_code = 1;

	/* Fail on a live owner of the UAPI name before creating anything. */
	if ((rc = uapi_server_path(sock_path, sizeof(sock_path), ifname)) < 0 ||
	    (rc = uapi_server_claim(sock_path)) < 0) {
		if (rc == MN_EBUSY)
			fprintf(stderr, PROG ": %s: %s is served by another live process "
				"(another meshnode or wireguard-go with this interface name, "
				"maybe in another network namespace)\n", ifname, sock_path);
		else if (rc == MN_EEXIST)
			fprintf(stderr, PROG ": %s: %s exists and is not a socket\n", ifname,
				sock_path);
		else
			fprintf(stderr, PROG ": %s: %s: %s\n", ifname, sock_path, strerror(errno));
		return 1;
	}

	if ((rc = uv_loop_init(&r.loop)) < 0) {
		fprintf(stderr, PROG ": uv_loop_init: %s\n", uv_strerror(rc));
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.ifname = ifname;
	opts.mtu = conf->mtu;
	opts.listen_port = conf->has_listen_port ? conf->listen_port : 0;
	opts.fwmark = conf->fwmark;
	opts.addresses = conf->addresses;
	opts.n_addresses = conf->n_addresses;
	opts.on_dead = on_tun_dead;
	opts.ctx = &r;
	if ((rc = driver_new(&r.drv, &r.loop, dev, &opts)) < 0) {
		if (rc == MN_EINVAL)
			fprintf(stderr, PROG ": %s: invalid settings (MTU %u: allowed %d..%d)\n",
				ifname, conf->mtu, DRIVER_MTU_MIN, DRIVER_MTU_MAX);
		goto out;
	}
	driver_uapi_host(r.drv, &host);
	if ((rc = uapi_server_new(&r.uapi, &r.loop, ifname, dev, &host, on_uapi_request, &r)) < 0) {
		fprintf(stderr, PROG ": %s: cannot serve %s: %s\n", ifname, sock_path,
			rc == MN_EBUSY ? "another process took it" : strerror(errno));
		goto out;
	}
	fprintf(stderr, PROG ": %s: UAPI socket %s\n", ifname, uapi_server_sock_path(r.uapi));

	uv_signal_init(&r.loop, &r.sigint);
	uv_signal_init(&r.loop, &r.sigterm);
	uv_signal_init(&r.loop, &r.sigusr1);
	r.sigint.data = r.sigterm.data = r.sigusr1.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	uv_signal_start(&r.sigusr1, on_signal, SIGUSR1);
	r.exit_code = 0;
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
		fprintf(stderr, PROG ": warning: event loop closed with open handles\n");
	return r.exit_code;
}

static int cmd_wg(int argc, char **argv)
{
	const char *ifname = NULL, *path = NULL;
	struct wgconf conf;
	struct mn_addr *endpoints = NULL;
	struct wg_dev *dev = NULL;
	struct mn_rng rng = os_rng();
	char err[MAIN_ERR_MAX];
	int rc, code = 1;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
			if (++i == argc) {
				fprintf(stderr, PROG " wg: %s needs a file name\n", argv[i - 1]);
				return EXIT_USAGE;
			}
			path = argv[i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			path = argv[i] + 9;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, PROG " wg: unknown option %s\n", argv[i]);
			return EXIT_USAGE;
		} else if (!ifname) {
			ifname = argv[i];
		} else {
			fprintf(stderr, PROG " wg: unexpected argument %s\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!ifname || !path) {
		fprintf(stderr, "usage: " PROG " wg IFACE --config FILE\n");
		return EXIT_USAGE;
	}
	if (!tun_name_ok(ifname)) {
		fprintf(stderr, PROG " wg: bad interface name \"%s\" "
			"(1-%d characters of A-Z a-z 0-9 _ - . = +)\n", ifname, TUN_NAME_MAX);
		return EXIT_USAGE;
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
	if (apply_config(dev, &conf, endpoints, path) < 0)
		goto out;
	code = run_wg(ifname, &conf, dev);
out:
	if (dev)
		wg_dev_del(dev);
	free(endpoints);
	wgconf_free(&conf);
	return code;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct sigaction sa;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf(PROG " %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, PROG ": libsodium failed to initialise\n");
		return 1;
	}
	/* A UAPI client that hangs up mid-reply must not kill us: take EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (!strcmp(cmd, "genkey") && argc == 2)
		return cmd_genkey();
	if (!strcmp(cmd, "pubkey") && argc == 2)
		return cmd_pubkey();
	if (!strcmp(cmd, "wg"))
		return cmd_wg(argc - 2, argv + 2);
	fprintf(stderr, PROG ": unknown command or arguments: %s\n\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
