/* wgkey.h - WireGuard key text forms: base64 (config files, wg genkey) and
 * hex (the UAPI). Decoding and encoding are constant-time (libsodium). */
#ifndef WGKEY_H
#define WGKEY_H

#include <stddef.h>
#include <stdint.h>

#include "wg.h"

#define WGKEY_B64_LEN 45 /* 44 chars + NUL */
#define WGKEY_HEX_LEN 65 /* 64 chars + NUL */

/* MN_ESYNTAX unless s is exactly one base64 (44 chars, '=' padded) or hex (64 chars) key. */
int wgkey_from_base64(uint8_t key[WG_KEY_LEN], const char *s);
int wgkey_from_hex(uint8_t key[WG_KEY_LEN], const char *s);
void wgkey_to_base64(char out[WGKEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);
void wgkey_to_hex(char out[WGKEY_HEX_LEN], const uint8_t key[WG_KEY_LEN]);
/* Clamping (wg genkey) and public key derivation (wg pubkey) are the X25519
 * primitives wg_clamp() and wg_pubkey() of wg_crypto.h. */

#endif
