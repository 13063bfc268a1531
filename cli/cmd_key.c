/* cmd_key.c - `meshnode genkey` and `meshnode pubkey`, as `wg genkey` and
 * `wg pubkey`. */
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "os_rng.h"
#include "wg_crypto.h"
#include "wgkey.h"

#define KEY_INPUT_MAX 1024 /* bytes `pubkey` reads from stdin */

int cmd_genkey(void)
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

int cmd_pubkey(void)
{
	char in[KEY_INPUT_MAX + 1];
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char b64[WGKEY_B64_LEN];
	size_t n = fread(in, 1, sizeof(in), stdin);
	char *s = in;
	int rc = 1;

	if (n > KEY_INPUT_MAX) {
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
