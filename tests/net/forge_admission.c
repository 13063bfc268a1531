/* forge_admission.c - a rogue member's forgery, for tests/net/t_mesh_forge.sh
 * (doc/membership.md "Trust at join", threat model: "a member (insider)").
 *
 * A member R that joined with a link still holds that link, and its node
 * key can sign admissions as a member admitter. This tool does what such an
 * R can do with the product's own functions: a fresh node key K, K's join
 * proof signed with the link's secret, K's admission at any IPv4 signed by
 * R's node key (REC_BY_MEMBER), K's own record; then K's state directory,
 * as `meshnode join` writes one (mesh_state_join): K's identity, the
 * network's metadata, R's record as the admitter's (at --via), and every
 * other record R holds with its last known good address. `meshnode up` on
 * that directory runs K, which introduces itself to the members as any
 * newcomer does. Every honest member must refuse it: rule 1 when the link
 * is R's own, rule 2 when the address is held.
 *
 * R's state directory is only read (its daemon may be running: LMDB
 * readers and the daemon share it safely).
 *
 * usage: forge_admission --from RDIR --link LINK --ipv4 A.B.C.D
 *        --via HOST:PORT --state KDIR --name NAME --iface IFACE --port N
 * Prints "NAME IPV4" on success. Exit 3 when R's store holds no address
 * yet for a member (its daemon stores one once it is proven: try again),
 * 1 with a reason otherwise. Nothing is written unless it succeeds.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "invite_link.h"
#include "mesh_state.h"
#include "mn_err.h"
#include "os_rng.h"
#include "swim_persist.h"

#define KNOWN_MAX 256 /* records taken from R's store */
#define GRIND_MAX 128 /* admissions signed at most: each loses with p = 1/2 */

struct held {
	uint8_t pk[REC_PK_LEN];
	uint8_t rec[REC_MEMBER_MAX];
	size_t len;
	struct mn_addr at;
	bool has_at;
};

struct rogue {
	struct swim_persist *sp;  /* R's store, read only */
	struct mesh_meta meta;    /* R's metadata */
	struct rec_network net;
	struct rec_key key;       /* R's node key */
	struct held self;         /* R's record */
	struct rec_member self_dec; /* decoded */
	struct held *known;       /* the others R holds */
	size_t n_known;
};

static void on_fail(void *ctx, int err, const char *why)
{
	(void)ctx;
	fprintf(stderr, "forge_admission: %s (%s)\n", why, mn_strerror(err));
}

static int take_record(void *ctx, const uint8_t *pk, size_t pklen, const uint8_t *rec,
		       size_t len)
{
	struct rogue *r = ctx;
	struct held *h;

	if (pklen != REC_PK_LEN || len > REC_MEMBER_MAX)
		return MN_EPROTO;
	if (!memcmp(pk, r->meta.node_pk, REC_PK_LEN))
		return 0;
	if (r->n_known == KNOWN_MAX)
		return MN_EFULL;
	h = &r->known[r->n_known++];
	memcpy(h->pk, pk, REC_PK_LEN);
	memcpy(h->rec, rec, len);
	h->len = len;
	h->has_at = mesh_path_get(swim_persist_store(r->sp), pk, &h->at) == MN_OK;
	return 0;
}

/* R's metadata, key, record and the records it holds. */
static int read_rogue(struct rogue *r, const char *dir)
{
	struct swim_persist_hooks hooks = { .fail = on_fail };
	uint32_t inc, boot;
	bool inc_lost;
	int rc;

	if ((rc = swim_persist_open(&r->sp, dir, 0, 0, false, &hooks)) < 0)
		return rc;
	if ((rc = mesh_meta_get(swim_persist_store(r->sp), &r->meta)) < 0 ||
	    (rc = rec_network_init(&r->net, r->meta.root_pk, &r->meta.v4)) < 0 ||
	    (rc = swim_persist_load_meta(r->sp, r->meta.node_pk, &r->key, &inc, &inc_lost,
					 &boot)) < 0 ||
	    (rc = swim_persist_load_self(r->sp, r->meta.node_pk, r->self.rec,
					 sizeof(r->self.rec), &r->self.len)) < 0)
		return rc;
	memcpy(r->self.pk, r->meta.node_pk, REC_PK_LEN);
	if ((rc = rec_member_decode(&r->self_dec, r->self.rec, r->self.len)) < 0)
		return rc;
	if (!(r->known = calloc(KNOWN_MAX, sizeof(*r->known))))
		return MN_ENOMEM;
	return swim_persist_foreach_record(r->sp, take_record, r);
}

/* a's admission wins the race rule against b's: the lower hash. */
static bool race_wins(const struct rec_admission *a, const struct rec_admission *b)
{
	uint8_t ha[REC_RACE_LEN], hb[REC_RACE_LEN];

	rec_race_hash(a->sig, ha);
	rec_race_hash(b->sig, hb);
	return memcmp(ha, hb, REC_RACE_LEN) < 0;
}

/* K's record: the link's invite, an admission of K at ip signed by R as a
 * member admitter over K's join proof (the link's secret), K's name.
 *
 * With R's own link, K and R share an invite of one use: K's own daemon
 * (the stock one) would hold only the winner of the use race (rule 3), and
 * refuse its admitter R half of the time. The admission is ground, as the
 * threat model allows an insider (admitted_ms dated back 1 ms a try), until
 * R wins, so K holds R and introduces itself to it. */
static int forge(const struct rogue *r, const struct invite_link *l, const struct rec_key *k,
		 const uint8_t ip[4], const char *name, uint8_t *buf, size_t *len)
{
	uint64_t now_ms = (uint64_t)(driver_now().wall / MN_NS_PER_MS);
	bool own = !memcmp(l->invite.invite_pk, r->self_dec.invite.invite_pk, REC_PK_LEN);
	struct rec_key inv_key;
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN];
	int rc, tries = 0;

	memset(&m, 0, sizeof(m));
	rec_key_from_seed(&inv_key, l->seed);
	rec_join_proof(&r->net, &inv_key, k->pk, proof);
	m.invite = l->invite;
	do {
		if ((rc = rec_admit(&r->net, &l->invite, &r->key, REC_BY_MEMBER, k->pk, proof, ip,
				    now_ms - (uint64_t)tries, NULL, NULL, &m.adm)) < 0) {
			fprintf(stderr, "forge_admission: rec_admit: %s\n", mn_strerror(rc));
			goto out;
		}
	} while (own && race_wins(&m.adm, &r->self_dec.adm) && ++tries < GRIND_MAX);
	if (tries == GRIND_MAX) {
		rc = MN_EBUSY;
		fprintf(stderr, "forge_admission: no admission losing the race in %d tries\n", tries);
		goto out;
	}
	m.version = rec_next_version(0, now_ms);
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.name_len = (uint8_t)strlen(m.name);
	if ((rc = rec_member_sign(&r->net, k, &m)) == MN_OK)
		rc = rec_member_encode(&m, buf, REC_MEMBER_MAX, len);
	if (rc < 0)
		fprintf(stderr, "forge_admission: K's record: %s\n", mn_strerror(rc));
out:
	rec_key_wipe(&inv_key);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: forge_admission --from RDIR --link LINK --ipv4 A.B.C.D "
		"--via HOST:PORT --state KDIR --name NAME --iface IFACE --port N\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "link", required_argument, NULL, 'l' },
		{ "ipv4", required_argument, NULL, '4' }, { "via", required_argument, NULL, 'v' },
		{ "state", required_argument, NULL, 's' }, { "name", required_argument, NULL, 'n' },
		{ "iface", required_argument, NULL, 'i' }, { "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *from = NULL, *link = NULL, *ipv4 = NULL, *via = NULL, *dir = NULL,
		   *name = NULL, *iface = NULL, *port = NULL;
	struct rogue r = { 0 };
	struct invite_link l;
	struct mn_rng rng;
	struct rec_key k;
	struct mn_addr via_at;
	uint8_t ip[4], rec[REC_MEMBER_MAX];
	size_t rec_len;
	char why[MESH_WHY_MAX];
	struct mesh_state_known known[KNOWN_MAX];
	size_t missing = 0;
	int c, rc = MN_EINVAL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 'l': link = optarg; break;
		case '4': ipv4 = optarg; break;
		case 'v': via = optarg; break;
		case 's': dir = optarg; break;
		case 'n': name = optarg; break;
		case 'i': iface = optarg; break;
		case 'p': port = optarg; break;
		default: return usage();
		}
	}
	if (!from || !link || !ipv4 || !via || !dir || !name || !iface || !port || optind != argc ||
	    inet_pton(AF_INET, ipv4, ip) != 1 || mn_addr_parse(&via_at, via) < 0 ||
	    !rec_name_ok(name, strlen(name)) || atoi(port) <= 0 || atoi(port) > 65535)
		return usage();
	if (sodium_init() < 0 || invite_link_decode(&l, link) < 0) {
		fprintf(stderr, "forge_admission: not a valid invite link\n");
		return 1;
	}
	rng = os_rng();
	rec_key_generate(&k, &rng);
	if ((rc = read_rogue(&r, from)) < 0) {
		fprintf(stderr, "forge_admission: %s: %s\n", from, mn_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < r.n_known; i++)
		missing += !r.known[i].has_at;
	if (missing) {
		/* K could not reach them: R's daemon stores a path once proven */
		fprintf(stderr, "forge_admission: %s holds no address yet for %zu of its %zu "
			"members\n", from, missing, r.n_known);
		rc = MN_EBUSY;
		goto out;
	}
	if ((rc = forge(&r, &l, &k, ip, name, rec, &rec_len)) < 0)
		goto out;
	for (size_t i = 0; i < r.n_known; i++)
		known[i] = (struct mesh_state_known){ .rec = r.known[i].rec,
						      .rec_len = r.known[i].len,
						      .pk = r.known[i].pk,
						      .at = r.known[i].has_at ? &r.known[i].at : NULL };
	rc = mesh_state_join(&(struct mesh_init){ .dir = dir, .network = r.meta.network,
						 .iface = iface, .port = (uint16_t)atoi(port),
						 .v4 = r.meta.v4 },
			     &(struct mesh_state_joined){
				     .net = &r.net, .node = &k, .rec = rec, .rec_len = rec_len,
				     .admitter = r.self.rec, .admitter_len = r.self.len,
				     .admitter_pk = r.self.pk, .admitter_at = &via_at,
				     .known = known, .n_known = r.n_known },
			     why);
	if (rc < 0)
		fprintf(stderr, "forge_admission: %s: %s\n", dir, why);
	else
		printf("%s %s\n", name, ipv4);
out:
	swim_persist_close(r.sp);
	free(r.known);
	rec_key_wipe(&r.key);
	rec_key_wipe(&k);
	invite_link_wipe(&l);
	return rc == MN_EBUSY ? 3 : rc < 0 ? 1 : 0;
}
