/* mesh_fill.c - a synthetic network for bench/mesh-idle.sh: N members,
 * of which the first K get a state directory that `meshnode up --state DIR`
 * runs, each holding every member's record as if it had been a member for
 * a while.
 *
 *   mesh_fill [-s SEED] OUTDIR N NETWORK IFACE@ADDR:PORT...
 *
 * Every key comes from SEED (default 1): a run replays. It prints how many
 * members' keys sort before node-0001's, the admitter of all the others: a
 * restart restores its store in key order, so those come before their
 * admitter (doc/gossip.md "Orphans").
 * One root key; node-0001 admitted by the root (as `meshnode init` does),
 * every other member admitted by node-0001 with one of the root's invites
 * (FILL_INVITE_USES members each), at overlay IPv4 prefix + index
 * (100.64.0.0/10; the IPv6 follows from the key). Each IFACE@ADDR:PORT
 * names one running member, in order from node-0001: its interface, and
 * the underlay address the others have for it. The absent members' last
 * known addresses are 198.19.0.0 + index, port 51820: the script routes
 * them to a switch that drops them, as the internet drops datagrams to a
 * host that is gone. OUTDIR/node-000I is member I's state directory. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mesh_state.h"
#include "mn_err.h"

enum fill_limits {
	FILL_MEMBERS_MAX = 65000,     /* within 100.64.0.0/10 and the tool's patience */
	FILL_INVITE_USES = 100,       /* members admitted with one invite */
	FILL_INVITE_TTL_MS = 3600000, /* an invite outlives the run */
	FILL_ABSENT_PORT = 51820,
};

struct fill_member {
	struct rec_key key;
	uint8_t rec[REC_MEMBER_MAX];
	size_t rec_len;
	struct mn_addr at;
	const char *iface; /* a running member's; NULL: absent */
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int invite(const struct rec_network *net, const struct rec_key *root,
		  const struct mn_rng *rng, uint16_t uses, uint64_t now_ms, struct rec_invite *inv,
		  struct rec_key *inv_key)
{
	memset(inv, 0, sizeof(*inv));
	rec_key_generate(inv_key, rng);
	inv->signer = REC_BY_ROOT;
	memcpy(inv->invite_pk, inv_key->pk, REC_PK_LEN);
	inv->expires_ms = now_ms + FILL_INVITE_TTL_MS;
	inv->max_uses = uses;
	return rec_invite_sign(net, root, inv);
}

/* Member i (0-based) admitted by admitter (kind) with inv, its record
 * signed and encoded. */
static int admit(const struct rec_network *net, const struct rec_invite *inv,
		 const struct rec_key *inv_key, const struct rec_key *admitter,
		 enum rec_signer kind, uint32_t i, uint64_t now_ms, struct fill_member *f)
{
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN], ip[4];
	uint32_t host;
	int rc;

	memcpy(&host, net->v4.addr, 4);
	host = ntohl(host) + i + 1;
	memset(&m, 0, sizeof(m));
	m.invite = *inv;
	rec_join_proof(net, inv_key, f->key.pk, proof);
	host = htonl(host);
	memcpy(ip, &host, 4);
	if ((rc = rec_admit(net, inv, admitter, kind, f->key.pk, proof, ip, now_ms, NULL, NULL,
			    &m.adm)) < 0)
		return rc;
	m.version = rec_next_version(0, now_ms);
	snprintf(m.name, sizeof(m.name), "node-%04u", (unsigned)i + 1);
	m.name_len = (uint8_t)strlen(m.name);
	if ((rc = rec_member_sign(net, &f->key, &m)) < 0)
		return rc;
	return rec_member_encode(&m, f->rec, sizeof(f->rec), &f->rec_len);
}

/* Every member's key and record: node-0001 by the root, the rest by
 * node-0001, a new invite every FILL_INVITE_USES of them. */
static int make_members(const struct rec_network *net, const struct rec_key *root,
			const struct mn_rng *rng, struct fill_member *f, uint32_t n)
{
	struct rec_invite inv;
	struct rec_key inv_key;
	uint64_t now_ms = wall_ms();
	int rc = MN_OK;

	for (uint32_t i = 0; i < n; i++)
		rec_key_generate(&f[i].key, rng);
	if ((rc = invite(net, root, rng, 1, now_ms, &inv, &inv_key)) == MN_OK)
		rc = admit(net, &inv, &inv_key, root, REC_BY_ROOT, 0, now_ms, &f[0]);
	for (uint32_t i = 1; i < n && rc == MN_OK; i++) {
		if ((i - 1) % FILL_INVITE_USES == 0) {
			rec_key_wipe(&inv_key);
			if ((rc = invite(net, root, rng, FILL_INVITE_USES, now_ms, &inv,
					 &inv_key)) < 0)
				break;
		}
		rc = admit(net, &inv, &inv_key, &f[0].key, REC_BY_MEMBER, i, now_ms, &f[i]);
	}
	rec_key_wipe(&inv_key);
	return rc;
}

/* "IFACE@ADDR:PORT" into f's iface and address; the port into *port. */
static int parse_running(char *arg, struct fill_member *f, uint16_t *port)
{
	char *at = strchr(arg, '@');

	if (!at || at == arg || at - arg > MESH_META_IFACE_MAX)
		return MN_EINVAL;
	*at = 0;
	f->iface = arg;
	if (mn_addr_parse(&f->at, at + 1) < 0 || f->at.sa.sa_family != AF_INET ||
	    !f->at.in4.sin_port)
		return MN_EINVAL;
	*port = ntohs(f->at.in4.sin_port);
	return MN_OK;
}

static int make_dir(const char *out, const char *network, const struct rec_network *net,
		    struct fill_member *f, uint32_t n, uint32_t self, uint16_t port,
		    struct mesh_state_known *known)
{
	char dir[MESH_PATH_MAX], why[MESH_WHY_MAX];
	struct mesh_init in = { .dir = dir, .network = network, .iface = f[self].iface,
				.port = port, .v4 = net->v4 };
	uint32_t k = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/node-%04u", out, (unsigned)self + 1);
	for (uint32_t i = 0; i < n; i++)
		if (i != self)
			known[k++] = (struct mesh_state_known){ .rec = f[i].rec,
								.rec_len = f[i].rec_len,
								.pk = f[i].key.pk, .at = &f[i].at };
	rc = mesh_state_make(&in, &(struct mesh_state_member){ .net = net, .node = &f[self].key,
							       .rec = f[self].rec,
							       .rec_len = f[self].rec_len },
			     known, k, why);
	if (rc < 0)
		fprintf(stderr, "mesh_fill: %s: %s\n", dir, why);
	return rc;
}

static uint32_t sorting_before(const struct fill_member *f, uint32_t n, uint32_t self)
{
	uint32_t before = 0;

	for (uint32_t i = 0; i < n; i++)
		before += memcmp(f[i].key.pk, f[self].key.pk, REC_PK_LEN) < 0;
	return before;
}

int main(int argc, char **argv)
{
	struct mn_seeded_rng seeded;
	struct mn_rng rng;
	uint64_t seed = 1;
	struct mesh_state_known *known = NULL;
	struct fill_member *f = NULL;
	struct rec_network net;
	struct rec_key root;
	uint16_t port[64];
	uint32_t n, k;
	int rc = MN_EINVAL;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		seed = strtoull(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	mn_seeded_rng_init(&seeded, seed);
	rng = mn_seeded_rng_iface(&seeded);
	if (argc < 5 || (n = (uint32_t)strtoul(argv[2], NULL, 10)) < 1 || n > FILL_MEMBERS_MAX ||
	    (k = (uint32_t)argc - 4) > n || k > sizeof(port) / sizeof(port[0]) ||
	    !rec_name_ok(argv[3], strlen(argv[3]))) {
		fprintf(stderr, "usage: mesh_fill [-s SEED] OUTDIR N NETWORK IFACE@ADDR:PORT... "
			"(1 to 64 running members, N <= %d)\n", FILL_MEMBERS_MAX);
		return 2;
	}
	if (!(f = calloc(n, sizeof(*f))) || !(known = calloc(n, sizeof(*known)))) {
		fprintf(stderr, "mesh_fill: out of memory\n");
		goto out;
	}
	for (uint32_t i = 0; i < k; i++)
		if (parse_running(argv[4 + i], &f[i], &port[i]) < 0) {
			fprintf(stderr, "mesh_fill: not IFACE@IPV4:PORT: %s\n", argv[4 + i]);
			goto out;
		}
	for (uint32_t i = k; i < n; i++) {
		f[i].at.in4.sin_family = AF_INET;
		f[i].at.in4.sin_port = htons(FILL_ABSENT_PORT);
		f[i].at.in4.sin_addr.s_addr = htonl((198u << 24 | 19u << 16) + i + 1);
	}
	rec_key_generate(&root, &rng);
	if ((rc = rec_network_init(&net, root.pk, NULL)) < 0 ||
	    (rc = make_members(&net, &root, &rng, f, n)) < 0)
		fprintf(stderr, "mesh_fill: cannot sign the members: %s\n", mn_strerror(rc));
	rec_key_wipe(&root);
	if (rc == MN_OK)
		printf("mesh_fill: %u members (seed %llu), %u of them sort before node-0001\n",
		       (unsigned)n, (unsigned long long)seed, (unsigned)sorting_before(f, n, 0));
	if (rc == MN_OK && mkdir(argv[1], 0700) != 0 && errno != EEXIST) {
		perror(argv[1]);
		rc = MN_EIO;
	}
	for (uint32_t i = 0; i < k && rc == MN_OK; i++)
		rc = make_dir(argv[1], argv[3], &net, f, n, i, port[i], known);
out:
	if (f)
		for (uint32_t i = 0; i < n; i++)
			rec_key_wipe(&f[i].key);
	free(f);
	free(known);
	return rc == MN_OK ? 0 : 1;
}
