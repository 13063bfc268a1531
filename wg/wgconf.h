/* wgconf.h - wg-quick style configuration files.
 *
 * [Interface] PrivateKey, ListenPort, Address (repeatable, comma lists), MTU,
 * FwMark; [Peer] PublicKey, PresharedKey, AllowedIPs, Endpoint,
 * PersistentKeepalive. wg-quick's DNS, Table, PreUp, PostUp, PreDown,
 * PostDown and SaveConfig are accepted and ignored (reported through
 * `warn`); scripts are never run. Anything else is an error naming the line.
 *
 * Pure parsing: no name resolution (Endpoint stays text), no I/O except
 * wgconf_load() reading the file.
 */
#ifndef WGCONF_H
#define WGCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "wg.h"

/* Limits (STYLE.md: bounded everything); exceeding one is an error naming
 * the line. Peers are capped at WG_MAX_PEERS. */
enum wgconf_limits {
	WGCONF_MAX_BYTES = 16 << 20,         /* whole input */
	WGCONF_MAX_LINE = 4096,              /* one line, without its line ending */
	WGCONF_MAX_ADDRESSES = 256,          /* Address entries */
	WGCONF_MAX_ALLOWED_IPS = 1 << 16,    /* AllowedIPs entries of one peer */
};

struct wgconf_peer {
	uint8_t public_key[WG_KEY_LEN];
	bool has_psk;
	uint8_t psk[WG_KEY_LEN];
	struct mn_prefix *allowed_ips; /* normalized prefixes */
	size_t n_allowed_ips;
	char *endpoint;                /* "host:port" / "[v6]:port" text, NULL if none */
	uint16_t persistent_keepalive; /* seconds, 0 = off */
};

struct wgconf {
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];
	bool has_listen_port;
	uint16_t listen_port;
	struct mn_prefix *addresses; /* interface addresses: host bits KEPT (100.64.0.1/24) */
	size_t n_addresses;
	uint32_t mtu;    /* 0 = not given */
	uint32_t fwmark; /* 0 = off */
	struct wgconf_peer *peers;
	size_t n_peers;
};

/* Parse text. On error returns MN_ESYNTAX/MN_ERANGE/MN_ENOMEM and writes
 * "line N: what is wrong" into err (always NUL-terminated). `warn`, if not
 * NULL, is called for each ignored wg-quick key. out is freed by the caller
 * with wgconf_free() on success; on error it is already freed. */
int wgconf_parse(struct wgconf *out, const char *text, size_t len, char *err, size_t errlen,
		 void (*warn)(void *ctx, unsigned line, const char *msg), void *warn_ctx);
/* Read and parse a file; errors read "PATH:LINE: what is wrong" (or
 * "PATH: strerror" with MN_EIO when it cannot be read). */
int wgconf_load(struct wgconf *out, const char *path, char *err, size_t errlen,
		void (*warn)(void *ctx, unsigned line, const char *msg), void *warn_ctx);
/* Frees and wipes keys. */
void wgconf_free(struct wgconf *c);

#endif
