/* fuzz_wgconf - the wg-quick configuration parser on arbitrary bytes.
 *
 * Besides "no crash, no leak, no undefined behaviour", checks the contract:
 * a failure is ESYNTAX/ERANGE with a message naming its line (ENOMEM cannot
 * happen here), a success gives normalized AllowedIPs, bounded lists and
 * endpoint text without NUL or whitespace.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "wgconf.h"

static void ignore_warning(void *ctx, unsigned line, const char *msg)
{
	(void)ctx;
	if (line == 0 || !msg[0])
		abort();
}

static void check_result(const struct wgconf *c)
{
	if (c->n_addresses > WGCONF_MAX_ADDRESSES || c->n_peers > WG_MAX_PEERS)
		abort();
	if (c->mtu != 0 && (c->mtu < 68 || c->mtu > 65535))
		abort();
	for (size_t i = 0; i < c->n_addresses; i++)
		if (c->addresses[i].bits > (c->addresses[i].family == AF_INET ? 32 : 128))
			abort();
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct wgconf_peer *p = &c->peers[i];
		if (p->n_allowed_ips > WGCONF_MAX_ALLOWED_IPS)
			abort();
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			struct mn_prefix n = p->allowed_ips[j];
			mn_prefix_normalize(&n);
			if (memcmp(&n, &p->allowed_ips[j], sizeof(n)) != 0)
				abort();
		}
		if (p->endpoint && (strlen(p->endpoint) > WGCONF_MAX_LINE ||
				    strpbrk(p->endpoint, " \t\r\n#=,")))
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgconf c;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = wgconf_parse(&c, (const char *)data, size, err, sizeof(err), ignore_warning, NULL);
	if (rc == MN_OK) {
		check_result(&c);
		wgconf_free(&c);
		return 0;
	}
	if ((rc != MN_ESYNTAX && rc != MN_ERANGE) || !memchr(err, 0, sizeof(err)) ||
	    strncmp(err, "line ", 5) != 0 || c.peers || c.addresses)
		abort();
	return 0;
}
