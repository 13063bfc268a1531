#include "simtest.h"

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mn_err.h"
#include "mn_wire.h"

static void log_add(struct tcore *c, char what, mn_ns mono, uint32_t from, uint32_t seq)
{
	if (c->nlog < TCORE_LOG)
		c->log[c->nlog++] = (struct tcore_entry){ what, mono, from, seq };
}

void tcore_send(struct tcore *c, uint32_t to)
{
	ck_assert_uint_lt(c->ntx, TCORE_TXQ);
	c->txq[c->ntx].to = to;
	c->txq[c->ntx].seq = ++c->seq;
	c->ntx++;
}

static int t_create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct tcore *c = calloc(1, sizeof(*c));
	if (!c)
		return MN_ENOMEM;
	c->env = env;
	c->deadline = MN_NEVER;
	if (*env->persist == NULL)
		*env->persist = calloc(1, sizeof(struct tcore_persist));
	if (*env->persist == NULL) {
		free(c);
		return MN_ENOMEM;
	}
	((struct tcore_persist *)*env->persist)->boots++;
	*out = c;
	return MN_OK;
}

static void t_destroy(void *core)
{
	free(core);
}

static void t_crash(void *core)
{
	struct tcore *c = core;
	((struct tcore_persist *)*c->env->persist)->crashes++;
	free(core);
}

static void t_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		   struct mn_time now)
{
	struct tcore *c = core;
	ck_assert_uint_eq(len, TCORE_MSG_LEN);
	c->rx++;
	c->last_from = *from;
	log_add(c, 'r', now.mono, mn_get_le32(buf), mn_get_le32(buf + 4));
}

static int t_poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct tcore *c = core;
	if (c->ntx == 0)
		return 0;
	uint32_t to = c->txq[0].to, seq = c->txq[0].seq;
	memmove(c->txq, c->txq + 1, (c->ntx - 1) * sizeof(c->txq[0]));
	c->ntx--;
	memset(buf, 0, TCORE_MSG_LEN);
	mn_put_le32(buf, c->env->node_id);
	mn_put_le32(buf + 4, seq);
	*len = TCORE_MSG_LEN;
	ck_assert(c->env->bootstrap_addr(c->env->ctx, to, dst));
	return 1;
}

static mn_ns t_next_deadline(const void *core)
{
	const struct tcore *c = core;
	return c->deadline;
}

static void t_on_timer(void *core, struct mn_time now)
{
	struct tcore *c = core;
	ck_assert(!mn_time_before(now.mono, c->deadline));
	c->fired++;
	log_add(c, 't', now.mono, 0, c->fired);
	if (c->broadcast) {
		for (uint32_t i = 0; i < c->env->nodes; i++) {
			if (i != c->env->node_id)
				tcore_send(c, i);
		}
	}
	if (c->never_advance)
		return;
	c->deadline = c->period ? c->deadline + c->period : MN_NEVER;
}

static void t_addr_changed(void *core, const struct mn_addr *addr, struct mn_time now,
			   uint64_t *key)
{
	struct tcore *c = core;
	(void)key;
	c->addr_changes++;
}

static uint64_t t_digest(const void *core)
{
	const struct tcore *c = core;
	return c->digest;
}

static void t_persist_free(void *p)
{
	free(p);
}

const struct sim_core_ops tcore_ops = {
	.name = "tcore",
	.create = t_create,
	.destroy = t_destroy,
	.crash = t_crash,
	.persist_free = t_persist_free,
	.recv = t_recv,
	.poll_tx = t_poll_tx,
	.next_deadline = t_next_deadline,
	.on_timer = t_on_timer,
	.addr_changed = t_addr_changed,
	.view_digest = t_digest,
};

void simtest_scn(struct scn *s, const char *text)
{
	char err[SCN_ERR_LEN];
	scn_init(s, "test.scn");
	int rc = scn_feed(s, text, NULL, 1, err, sizeof(err));
	ck_assert_msg(rc == 0, "scenario: %s", err);
	rc = scn_finish(s, err, sizeof(err));
	ck_assert_msg(rc == 0, "scenario: %s", err);
}

struct sim *simtest_sim(const char *text, const struct sim_core_ops *ops)
{
	struct scn *s = malloc(sizeof(*s));
	ck_assert_ptr_nonnull(s);
	simtest_scn(s, text);
	char err[SCN_ERR_LEN];
	struct sim *sim = NULL;
	int rc = sim_new(&sim, s, ops, err, sizeof(err));
	ck_assert_msg(rc == 0, "sim_new: %s", err);
	free(s);
	return sim;
}

void simtest_run_hash(const char *text, char out[TRACE_HEX_LEN])
{
	struct sim *sim = simtest_sim(text, NULL);
	ck_assert_int_eq(sim_run(sim), 0);
	sim_trace_hex(sim, out);
	sim_del(sim);
}

/* The runner's own state, set once per test case before any test forks. */
static char tmpdir[64];

void simtest_tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mnsimtest-XXXXXX");
	if (!mkdtemp(tmpdir) || setenv("TMPDIR", tmpdir, 1) != 0) {
		perror("simtest: $TMPDIR");
		exit(1);
	}
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void simtest_tmpdir_teardown(void)
{
	unsetenv("TMPDIR");
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *simtest_tmpdir(void)
{
	return tmpdir;
}

int simtest_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

void simtest_node_dir(uint32_t node, char *out, size_t cap)
{
	DIR *d = opendir(simtest_tmpdir());
	struct dirent *e;
	bool found = false;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "meshsim-", 8) != 0)
			continue;
		ck_assert(!found);
		snprintf(out, cap, "%s/%s/%u", simtest_tmpdir(), e->d_name, node);
		found = true;
	}
	closedir(d);
	ck_assert(found);
}

int64_t simtest_metric(const struct sim *s, const char *name)
{
	int64_t v = -1;
	int i = sim_metric_find(name);

	if (i < 0) { /* the core's own */
		int j = sim_core_metric_find(simcore_find(sim_scn(s)->core), name);
		ck_assert_msg(j >= 0, "no metric %s", name);
		i = (int)sim_metric_count() + j;
	}
	ck_assert_msg(sim_metric(s, (uint32_t)i, &v), "metric %s has no value", name);
	return v;
}

struct sim *simtest_run_file(const char *name, const char *extra, uint64_t seed)
{
	struct scn *s = malloc(sizeof(*s));
	char path[1024], err[SCN_ERR_LEN + 64];
	struct sim *sim;

	ck_assert_ptr_nonnull(s);
	snprintf(path, sizeof(path), "%s/%s", SIM_SCENARIO_DIR, name);
	scn_init(s, NULL);
	ck_assert_msg(scn_load(s, path, err, sizeof(err)) == 0, "%s", err);
	if (extra)
		ck_assert_msg(scn_feed(s, extra, "--set", 1, err, sizeof(err)) == 0, "%s", err);
	s->seed = seed;
	ck_assert_msg(scn_finish(s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(sim_new(&sim, s, NULL, err, sizeof(err)) == 0, "%s", err);
	free(s);
	printf("scenario %s seed=%llu%s%s\n", name, (unsigned long long)seed, extra ? " + " : "",
	       extra ? extra : "");
	fflush(stdout);
	sim_run(sim);
	return sim;
}

uint64_t simtest_counter(const struct sim *s, const char *name)
{
	const struct sim_core_ops *ops = sim_ops(s);

	for (uint32_t i = 0; i < ops->ncounters; i++)
		if (strcmp(ops->counter_names[i], name) == 0)
			return sim_core_counter(s, i);
	ck_abort_msg("no counter %s", name);
	return 0;
}

void simtest_assert_passed(const struct sim *s, const char *name)
{
	const struct scn *scn = sim_scn(s);

	ck_assert_msg(!sim_error(s), "%s: engine stopped: %s", name, sim_error(s));
	for (uint32_t i = 0; i < scn->nexpects; i++) {
		int64_t v;
		bool has;
		bool ok = sim_expect_ok(s, i, &v, &has);
		ck_assert_msg(ok, "%s:%u: expect %s failed (value %s%lld.%03lld)", name,
			      scn->expects[i].line, scn->expects[i].metric, has ? "" : "none ",
			      (long long)(v / 1000), (long long)(v % 1000));
	}
	ck_assert(sim_passed(s));
}
