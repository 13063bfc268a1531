/* fuzz_uapi - the UAPI text protocol (what `wg` sends on the socket).
 *
 * Per input: a fresh device from a seeded generator, given a private key and
 * one peer by a fixed set request (so remove, update_only and friends meet an
 * existing peer), then the input as one request, then a get. Every reply must
 * end in "errno=N\n\n"; the get after must succeed whatever the input did.
 *
 * That device (with its generator and the host's port and mark) is built
 * once in a fuzz_snap.h window and restored byte for byte before each
 * input: the same state a new device and the fixed request would give.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_snap.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "uapi.h"
#include "wg.h"

struct host_state {
	uint16_t port;
	uint32_t mark;
};

static uint16_t get_port(void *ctx)
{
	return ((struct host_state *)ctx)->port;
}

static int set_port(void *ctx, uint16_t port)
{
	/* a port the fuzzer can pick to see the "in use" path */
	if (port == 1)
		return MN_EBUSY;
	((struct host_state *)ctx)->port = port;
	return MN_OK;
}

static uint32_t get_mark(void *ctx)
{
	return ((struct host_state *)ctx)->mark;
}

static int set_mark(void *ctx, uint32_t mark)
{
	((struct host_state *)ctx)->mark = mark;
	return MN_OK;
}

static void peers_changed(void *ctx)
{
	(void)ctx;
}

static const char base_set[] =
	"set=1\n"
	"private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a\n"
	"listen_port=51820\n"
	"public_key=de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f\n"
	"endpoint=198.18.0.2:51820\n"
	"allowed_ip=100.64.0.2/32\n"
	"\n";

static void run(struct wg_dev *dev, const struct uapi_host *host, const char *req, size_t len,
		struct mn_time now, bool must_succeed)
{
	char *resp;
	size_t n;

	if (uapi_handle(dev, host, req, len, now, &resp, &n) != MN_OK)
		abort(); /* no allocation fails here */
	if (n < 9 || memcmp(resp + n - 2, "\n\n", 2) != 0)
		abort();
	if (must_succeed && (n < 9 || memcmp(resp + n - 9, "errno=0\n\n", 9) != 0))
		abort();
	sodium_memzero(resp, n);
	free(resp);
}

/* Everything an input may change, in the snapshot arena. */
struct world {
	struct mn_seeded_rng seeded;
	struct mn_rng rng;
	struct host_state hs;
	struct uapi_host host;
	struct wg_dev *dev;
};

static struct world *w;
static struct snap start;
static const struct mn_time NOW = { 1000 * MN_NS_PER_SEC, UINT64_C(1700000000) * MN_NS_PER_SEC };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		return -1;
	snap_record(true);
	if (!(w = calloc(1, sizeof(*w))))
		abort();
	mn_seeded_rng_init(&w->seeded, 1);
	w->rng = mn_seeded_rng_iface(&w->seeded);
	w->host = (struct uapi_host){ &w->hs, get_port, set_port, get_mark, set_mark,
				      peers_changed };
	if (wg_dev_new(&w->dev, &w->rng) != MN_OK)
		abort();
	run(w->dev, &w->host, base_set, sizeof(base_set) - 1, NOW, true);
	snap_take(&start);
	snap_record(false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	snap_restore(&start);
	run(w->dev, &w->host, (const char *)data, size, NOW, false);
	run(w->dev, &w->host, "get=1\n\n", 7, NOW, true);
	wg_dev_del(w->dev); /* the arena's blocks come back at the next restore */
	return 0;
}
