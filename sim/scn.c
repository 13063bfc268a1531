/* scn.c - the scenario parser. */
#include "scn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

static const char *const op_names[SCN_OP__COUNT] = {
	"partition", "heal", "crash", "restart", "pause", "move",
	"inject", "join", "loss", "dup", "jitter", "revoke", "sleep", "rogue",
};

const char *scn_op_name(enum scn_op op)
{
	return (unsigned)op < SCN_OP__COUNT ? op_names[op] : "?";
}

static const char *const cmp_names[] = { "<=", "<", ">=", ">", "==", "!=" };

const char *scn_cmp_name(enum scn_cmp c)
{
	return (unsigned)c < sizeof(cmp_names) / sizeof(cmp_names[0]) ? cmp_names[c] : "?";
}

void scn_init(struct scn *s, const char *source)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->source, sizeof(s->source), "%s", source ? source : "scenario");
	snprintf(s->core, sizeof(s->core), "demo");
	snprintf(s->profile, sizeof(s->profile), "lan");
	s->nodes = 10;
	s->seed = 1;
	s->duration_ns = 60 * MN_NS_PER_SEC;
	s->check_interval_ns = 100 * MN_NS_PER_MS;
	s->calm_ns = MN_NEVER;
}

/* ---- values ---- */

/* A number as written: "123.45rest" is ip 123, frac 45 of fdig 2 digits,
 * rest "rest". */
struct num {
	uint64_t ip, frac;
	unsigned fdig;   /* fraction digits, at most 9 */
	const char *rest; /* the suffix */
};

static int parse_num(const char *w, struct num *n)
{
	const char *p = w;
	uint64_t v = 0;
	if (*p < '0' || *p > '9')
		return MN_ESYNTAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return MN_ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	n->ip = v;
	n->frac = 0;
	n->fdig = 0;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return MN_ESYNTAX;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n->fdig == 9)
				return MN_ERANGE;
			n->frac = n->frac * 10 + (uint64_t)(*p - '0');
			n->fdig++;
		}
	}
	n->rest = p;
	return MN_OK;
}

/* n * unit, exactly (fraction truncated below one unit of the result). */
static int scale(const struct num *n, uint64_t unit, uint64_t *out)
{
	unsigned __int128 pow10 = 1;
	for (unsigned i = 0; i < n->fdig; i++)
		pow10 *= 10;
	unsigned __int128 v =
		(unsigned __int128)n->ip * unit + (unsigned __int128)n->frac * unit / pow10;
	if (v > UINT64_MAX)
		return MN_ERANGE;
	*out = (uint64_t)v;
	return MN_OK;
}

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", MN_NS_PER_US },
	{ "ms", MN_NS_PER_MS },
	{ "s", MN_NS_PER_SEC },
	{ "m", 60 * MN_NS_PER_SEC },
	{ "h", 3600 * MN_NS_PER_SEC },
};

int scn_parse_duration(const char *w, mn_ns *out)
{
	struct num n;
	int err = parse_num(w, &n);
	if (err)
		return err;
	if (*n.rest == '\0') {
		if (n.ip != 0 || n.frac != 0)
			return MN_ESYNTAX; /* a bare number needs a unit, except 0 */
		*out = 0;
		return MN_OK;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(n.rest, units[i].suffix) == 0)
			return scale(&n, units[i].ns, out);
	}
	return MN_ESYNTAX;
}

int scn_parse_ppm(const char *w, uint32_t *out)
{
	struct num n;
	uint64_t v;
	int err = parse_num(w, &n);
	if (err)
		return err;
	if (strcmp(n.rest, "%") != 0)
		return MN_ESYNTAX;
	err = scale(&n, NET_PPM / 100, &v);
	if (err || v > NET_PPM)
		return MN_ERANGE;
	*out = (uint32_t)v;
	return MN_OK;
}

int scn_parse_u64(const char *w, uint64_t *out)
{
	struct num n;
	int err = parse_num(w, &n);
	if (err)
		return err;
	if (n.fdig || *n.rest)
		return MN_ESYNTAX;
	*out = n.ip;
	return MN_OK;
}

int scn_parse_milli(const char *w, int64_t *out)
{
	struct num n;
	uint64_t v;
	int err = parse_num(w, &n);
	if (err)
		return err;
	if (*n.rest == '\0' || strcmp(n.rest, "%") == 0) {
		err = scale(&n, 1000, &v);
	} else {
		mn_ns ns;
		err = scn_parse_duration(w, &ns);
		v = ns / MN_NS_PER_US; /* milliseconds x1000 */
	}
	if (err)
		return err;
	if (v > INT64_MAX)
		return MN_ERANGE;
	*out = (int64_t)v;
	return MN_OK;
}

mn_ns scn_action_end(const struct scn_action *a, mn_ns t)
{
	if ((a->op == SCN_CRASH || a->op == SCN_PAUSE || a->op == SCN_SLEEP) && a->for_ns)
		return t + a->for_ns;
	return t;
}

/* ---- lines ---- */

struct line {
	struct scn *s;
	const char *source;
	uint32_t no;
	char *w[SCN_MAX_WORDS];
	int n;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct line *l, int code, const char *fmt, ...)
{
	char msg[SCN_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen && l->no)
		snprintf(l->err, l->errlen, "%s:%u: %s", l->source, l->no, msg);
	else if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s: %s", l->source, msg);
	return code;
}

static int want_words(struct line *l, int i, int n)
{
	if (l->n - i < n)
		return fail(l, MN_ESYNTAX, "'%s' needs %d more word%s", l->w[i - 1], n - (l->n - i),
			    n - (l->n - i) == 1 ? "" : "s");
	if (l->n - i > n)
		return fail(l, MN_ESYNTAX, "unexpected '%s'", l->w[i + n]);
	return MN_OK;
}

static int word_duration(struct line *l, const char *w, mn_ns *out)
{
	int err = scn_parse_duration(w, out);
	if (err == MN_ERANGE || (!err && *out > SCN_MAX_DURATION))
		return fail(l, MN_ERANGE, "duration '%s' out of range", w);
	if (err)
		return fail(l, MN_ESYNTAX, "bad duration '%s' (want e.g. 250ms, 1.5s, 10m)", w);
	return MN_OK;
}

static int word_ppm(struct line *l, const char *w, uint32_t *out)
{
	int err = scn_parse_ppm(w, out);
	if (err == MN_ERANGE)
		return fail(l, MN_ERANGE, "share '%s' out of range (0%% .. 100%%)", w);
	if (err)
		return fail(l, MN_ESYNTAX, "bad share '%s' (want e.g. 5%%, 0.5%%)", w);
	return MN_OK;
}

static int word_u32(struct line *l, const char *w, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = scn_parse_u64(w, &v);
	if (err == MN_ESYNTAX)
		return fail(l, MN_ESYNTAX, "bad number '%s'", w);
	if (err || v > max)
		return fail(l, MN_ERANGE, "'%s' out of range (max %u)", w, max);
	*out = (uint32_t)v;
	return MN_OK;
}

/* PICK: "all" | "node K" | "P%" | "N". Returns the words used, or < 0. */
static int parse_pick(struct line *l, int i, struct scn_action *a)
{
	if (i >= l->n)
		return fail(l, MN_ESYNTAX, "'%s' needs which nodes: P%%, N, all or node K",
			    l->w[i - 1]);
	const char *w = l->w[i];
	if (strcmp(w, "all") == 0) {
		a->pick = SCN_PICK_ALL;
		return 1;
	}
	if (strcmp(w, "node") == 0) {
		if (i + 1 >= l->n)
			return fail(l, MN_ESYNTAX, "'node' needs a node id");
		a->pick = SCN_PICK_NODE;
		int err = word_u32(l, l->w[i + 1], SCN_MAX_NODES - 1, &a->amount);
		return err ? err : 2;
	}
	if (strchr(w, '%')) {
		a->pick = SCN_PICK_PPM;
		int err = word_ppm(l, w, &a->amount);
		return err ? err : 1;
	}
	a->pick = SCN_PICK_COUNT;
	int err = word_u32(l, w, SCN_MAX_NODES, &a->amount);
	return err ? err : 1;
}

/* "for T" or "for up to T"; returns words used (0 when absent) or < 0. */
static int parse_for(struct line *l, int i, struct scn_action *a)
{
	if (i >= l->n || strcmp(l->w[i], "for") != 0)
		return 0;
	int used = 1;
	if (i + 2 < l->n && strcmp(l->w[i + 1], "up") == 0 && strcmp(l->w[i + 2], "to") == 0) {
		a->for_upto = true;
		used += 2;
	}
	if (i + used >= l->n)
		return fail(l, MN_ESYNTAX, "'for' needs a duration");
	int err = word_duration(l, l->w[i + used], &a->for_ns);
	if (err)
		return err;
	if (a->for_ns == 0)
		return fail(l, MN_ERANGE, "'for' needs a duration above 0");
	return used + 1;
}

static int parse_action(struct line *l, int i, struct scn_action *a)
{
	if (i >= l->n)
		return fail(l, MN_ESYNTAX, "missing action after the time");
	const char *op = l->w[i++];
	int k, err;
	for (k = 0; k < SCN_OP__COUNT; k++) {
		if (strcmp(op, op_names[k]) == 0)
			break;
	}
	if (k == SCN_OP__COUNT)
		return fail(l, MN_ESYNTAX, "unknown action '%s'", op);
	a->op = (enum scn_op)k;

	switch (a->op) {
	case SCN_HEAL:
		return want_words(l, i, 0);
	case SCN_LOSS:
	case SCN_DUP:
		if ((err = want_words(l, i, 1)))
			return err;
		return word_ppm(l, l->w[i], &a->ppm);
	case SCN_JITTER:
		if ((err = want_words(l, i, 1)))
			return err;
		return word_duration(l, l->w[i], &a->ns);
	case SCN_INJECT:
		a->pick = SCN_PICK_COUNT;
		a->amount = 1;
		if (i < l->n) {
			if ((err = want_words(l, i, 1)))
				return err;
			return word_u32(l, l->w[i], SCN_MAX_NODES, &a->amount);
		}
		return MN_OK;
	default:
		break;
	}

	int used = parse_pick(l, i, a);
	if (used < 0)
		return used;
	i += used;
	if (a->op == SCN_REVOKE && a->pick == SCN_PICK_ALL)
		return fail(l, MN_ESYNTAX,
			    "revoke needs a part of the nodes, not all (a running node carries the "
			    "tombstone)");
	if (a->op == SCN_ROGUE) {
		int b;
		if (a->pick == SCN_PICK_ALL)
			return fail(l, MN_ESYNTAX,
				    "rogue needs a part of the nodes, not all (the metrics judge the "
				    "honest ones)");
		if (i >= l->n)
			return fail(l, MN_ESYNTAX, "rogue needs a behaviour: suspect_flood, "
				    "accuse_others, false_addr or junk_records");
		if ((b = sim_rogue_find(l->w[i])) < 0)
			return fail(l, MN_ESYNTAX, "unknown rogue behaviour '%s'", l->w[i]);
		a->rogue = (uint8_t)b;
		i++;
	}
	if (a->op == SCN_PARTITION) {
		if (a->pick == SCN_PICK_ALL)
			return fail(l, MN_ESYNTAX, "partition needs a part of the nodes, not all");
		if (i < l->n && strcmp(l->w[i], "oneway") == 0) {
			a->oneway = true;
			i++;
		}
	}
	if (a->op == SCN_CRASH || a->op == SCN_PAUSE || a->op == SCN_SLEEP) {
		used = parse_for(l, i, a);
		if (used < 0)
			return used;
		if (used == 0 && a->op != SCN_CRASH)
			return fail(l, MN_ESYNTAX, "%s needs 'for T' or 'for up to T'",
				    scn_op_name(a->op));
		i += used;
	}
	if (a->op == SCN_SLEEP && i < l->n && strcmp(l->w[i], "moving") == 0) {
		a->moving = true;
		i++;
	}
	return want_words(l, i, 0);
}

/* at T ACTION | every T [from T] [until T] ACTION */
static int parse_timed(struct line *l)
{
	struct scn *s = l->s;
	if (s->nactions == SCN_MAX_ACTIONS)
		return fail(l, MN_EFULL, "more than %d actions", SCN_MAX_ACTIONS);
	struct scn_action a = { .line = l->no, .until_ns = MN_NEVER };
	int i = 1, err;
	if (l->n < 2)
		return fail(l, MN_ESYNTAX, "'%s' needs a time and an action", l->w[0]);
	if (strcmp(l->w[0], "at") == 0) {
		if ((err = word_duration(l, l->w[i++], &a.at_ns)))
			return err;
	} else {
		if ((err = word_duration(l, l->w[i++], &a.every_ns)))
			return err;
		if (a.every_ns == 0)
			return fail(l, MN_ERANGE, "'every' needs a period above 0");
		a.at_ns = a.every_ns;
		for (;;) {
			if (i + 1 < l->n && strcmp(l->w[i], "from") == 0) {
				if ((err = word_duration(l, l->w[i + 1], &a.at_ns)))
					return err;
				i += 2;
			} else if (i + 1 < l->n && strcmp(l->w[i], "until") == 0) {
				if ((err = word_duration(l, l->w[i + 1], &a.until_ns)))
					return err;
				i += 2;
			} else {
				break;
			}
		}
		if (a.until_ns != MN_NEVER && a.until_ns < a.at_ns)
			return fail(l, MN_ERANGE, "'until' is before the first time");
	}
	if ((err = parse_action(l, i, &a)))
		return err;
	s->actions[s->nactions++] = a;
	return MN_OK;
}

static const struct {
	const char *word;
	enum scn_cmp cmp;
} cmps[] = {
	{ "<=", SCN_LE }, { "<", SCN_LT }, { ">=", SCN_GE },
	{ ">", SCN_GT },  { "==", SCN_EQ }, { "!=", SCN_NE },
};

/* expect converge_within T | expect METRIC OP VALUE */
static int parse_expect(struct line *l)
{
	struct scn *s = l->s;
	if (s->nexpects == SCN_MAX_EXPECTS)
		return fail(l, MN_EFULL, "more than %d expectations", SCN_MAX_EXPECTS);
	struct scn_expect e = { .line = l->no };
	int err;
	if (l->n >= 2 && strcmp(l->w[1], "converge_within") == 0) {
		if ((err = want_words(l, 2, 1)))
			return err;
		mn_ns t;
		if ((err = word_duration(l, l->w[2], &t)))
			return err;
		snprintf(e.metric, sizeof(e.metric), "converge_ms");
		e.cmp = SCN_LE;
		e.milli = (int64_t)(t / MN_NS_PER_US);
	} else {
		if (l->n != 4)
			return fail(l, MN_ESYNTAX,
				    "want 'expect METRIC OP VALUE' or 'expect converge_within T'");
		if (strlen(l->w[1]) >= sizeof(e.metric))
			return fail(l, MN_ESYNTAX, "metric name too long");
		snprintf(e.metric, sizeof(e.metric), "%s", l->w[1]);
		size_t k;
		for (k = 0; k < sizeof(cmps) / sizeof(cmps[0]); k++) {
			if (strcmp(l->w[2], cmps[k].word) == 0)
				break;
		}
		if (k == sizeof(cmps) / sizeof(cmps[0]))
			return fail(l, MN_ESYNTAX, "bad comparison '%s' (<= < >= > == !=)", l->w[2]);
		e.cmp = cmps[k].cmp;
		err = scn_parse_milli(l->w[3], &e.milli);
		if (err)
			return fail(l, err, "bad value '%s'", l->w[3]);
	}
	s->expects[s->nexpects++] = e;
	return MN_OK;
}

static int parse_line(struct line *l)
{
	struct scn *s = l->s;
	const char *d = l->w[0];
	int err;
	if (strcmp(d, "at") == 0 || strcmp(d, "every") == 0)
		return parse_timed(l);
	if (strcmp(d, "expect") == 0)
		return parse_expect(l);
	if (strcmp(d, "core") == 0) {
		if ((err = want_words(l, 1, 1)))
			return err;
		if (!simcore_find(l->w[1]))
			return fail(l, MN_ESYNTAX, "unknown core '%s'", l->w[1]);
		snprintf(s->core, sizeof(s->core), "%s", l->w[1]);
		return MN_OK;
	}
	if (strcmp(d, "core_param") == 0) {
		if ((err = want_words(l, 1, 2)))
			return err;
		if (s->nparams == SIM_MAX_CORE_PARAMS)
			return fail(l, MN_EFULL, "more than %d core_param lines", SIM_MAX_CORE_PARAMS);
		if (strlen(l->w[1]) >= SIM_PARAM_LEN || strlen(l->w[2]) >= SIM_PARAM_LEN)
			return fail(l, MN_ESYNTAX, "core_param too long");
		struct sim_param *p = &s->params[s->nparams++];
		snprintf(p->key, sizeof(p->key), "%s", l->w[1]);
		snprintf(p->value, sizeof(p->value), "%s", l->w[2]);
		p->line = l->no;
		return MN_OK;
	}
	if (strcmp(d, "nodes") == 0 || strcmp(d, "standby") == 0) {
		if ((err = want_words(l, 1, 1)))
			return err;
		return word_u32(l, l->w[1], SCN_MAX_NODES, d[0] == 'n' ? &s->nodes : &s->standby);
	}
	if (strcmp(d, "seed") == 0) {
		if ((err = want_words(l, 1, 1)))
			return err;
		if (scn_parse_u64(l->w[1], &s->seed))
			return fail(l, MN_ESYNTAX, "bad seed '%s'", l->w[1]);
		return MN_OK;
	}
	if (strcmp(d, "profile") == 0) {
		struct net_params p;
		if ((err = want_words(l, 1, 1)))
			return err;
		if (net_profile(l->w[1], &p))
			return fail(l, MN_ESYNTAX, "unknown profile '%s' (lan, wan)", l->w[1]);
		snprintf(s->profile, sizeof(s->profile), "%s", l->w[1]);
		return MN_OK;
	}
	struct {
		const char *word;
		mn_ns *ns;
		bool *flag;
	} durations[] = {
		{ "duration", &s->duration_ns, NULL },
		{ "latency", &s->latency_ns, &s->has_latency },
		{ "jitter", &s->jitter_ns, &s->has_jitter },
		{ "calm", &s->calm_ns, &s->calm_set },
		{ "check_interval", &s->check_interval_ns, NULL },
		{ "steady", &s->steady_ns, &s->steady_set },
		{ "boot_spread", &s->boot_spread_ns, NULL },
		{ "clock_skew", &s->clock_skew_ns, NULL },
	};
	for (size_t k = 0; k < sizeof(durations) / sizeof(durations[0]); k++) {
		if (strcmp(d, durations[k].word) != 0)
			continue;
		if ((err = want_words(l, 1, 1)) || (err = word_duration(l, l->w[1], durations[k].ns)))
			return err;
		if (durations[k].flag)
			*durations[k].flag = true;
		return MN_OK;
	}
	if (strcmp(d, "loss") == 0 || strcmp(d, "dup") == 0) {
		bool loss = d[0] == 'l';
		if ((err = want_words(l, 1, 1)) ||
		    (err = word_ppm(l, l->w[1], loss ? &s->loss_ppm : &s->dup_ppm)))
			return err;
		*(loss ? &s->has_loss : &s->has_dup) = true;
		return MN_OK;
	}
	return fail(l, MN_ESYNTAX, "unknown directive '%s'", d);
}

int scn_feed(struct scn *s, const char *text, const char *source, uint32_t first_line,
	     char *err, size_t errlen)
{
	struct line l = { .s = s, .source = source ? source : s->source, .err = err,
			  .errlen = errlen };
	char buf[SCN_LINE_MAX];
	const char *p = text;
	uint32_t no = first_line;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		l.no = no;
		if (len >= sizeof(buf))
			return fail(&l, MN_ESYNTAX, "line longer than %d bytes", SCN_LINE_MAX - 1);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (eol ? 1 : 0);
		no++;

		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		l.n = 0;
		for (char *save = NULL, *w = strtok_r(buf, " \t\r", &save); w;
		     w = strtok_r(NULL, " \t\r", &save)) {
			if (l.n == SCN_MAX_WORDS)
				return fail(&l, MN_ESYNTAX, "more than %d words", SCN_MAX_WORDS);
			l.w[l.n++] = w;
		}
		if (l.n == 0)
			continue;
		int rc = parse_line(&l);
		if (rc)
			return rc;
	}
	return MN_OK;
}

int scn_load(struct scn *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MN_EIO;
	}
	char *text = malloc(SCN_MAX_FILE + 1);
	if (!text) {
		fclose(f);
		return MN_ENOMEM;
	}
	size_t len = fread(text, 1, SCN_MAX_FILE + 1, f);
	int rc = MN_OK;
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = MN_EIO;
	} else if (len > SCN_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, SCN_MAX_FILE);
		rc = MN_EMSGSIZE;
	} else {
		text[len] = '\0';
		if (memchr(text, '\0', len)) {
			snprintf(err, errlen, "%s: not a text file", path);
			rc = MN_ESYNTAX;
		} else {
			const char *base = strrchr(path, '/');
			snprintf(s->source, sizeof(s->source), "%s", base ? base + 1 : path);
			rc = scn_feed(s, text, NULL, 1, err, errlen);
		}
	}
	free(text);
	fclose(f);
	return rc;
}

/* Last instant an action has an effect within the run, or MN_NEVER when it
 * repeats to the end. */
static mn_ns action_last(const struct scn_action *a, mn_ns duration)
{
	if (a->every_ns == 0)
		return scn_action_end(a, a->at_ns);
	if (a->until_ns == MN_NEVER)
		return MN_NEVER;
	mn_ns stop = a->until_ns < duration ? a->until_ns : duration;
	if (stop < a->at_ns)
		return scn_action_end(a, a->at_ns);
	return scn_action_end(a, a->at_ns + (stop - a->at_ns) / a->every_ns * a->every_ns);
}

int scn_finish(struct scn *s, char *err, size_t errlen)
{
	struct line l = { .s = s, .source = s->source, .err = err, .errlen = errlen };
	if (s->nodes == 0)
		return fail(&l, MN_ERANGE, "a run needs at least one node");
	if (s->nodes + s->standby > SCN_MAX_NODES)
		return fail(&l, MN_ERANGE, "nodes + standby above %d", SCN_MAX_NODES);
	if (s->duration_ns == 0 || s->duration_ns > SCN_MAX_DURATION)
		return fail(&l, MN_ERANGE, "duration must be above 0 and at most 30 days");
	if (s->check_interval_ns == 0)
		return fail(&l, MN_ERANGE, "check_interval must be above 0");

	net_profile(s->profile, &s->net);
	if (s->has_latency) {
		/* one flat latency between any two hosts */
		s->net.regions = 1;
		s->net.core_intra_ns = s->net.core_min_ns = s->net.core_max_ns = 0;
		s->net.access_min_ns = s->net.access_max_ns = s->latency_ns / 2;
	}
	if (s->has_jitter)
		s->net.jitter_ns = s->jitter_ns;
	if (s->has_loss)
		s->net.loss_ppm = s->loss_ppm;
	if (s->has_dup)
		s->net.dup_ppm = s->dup_ppm;
	if (net_params_check(&s->net))
		return fail(&l, MN_ERANGE, "latency or jitter above %llu ms",
			    (unsigned long long)(NET_MAX_LATENCY_NS / MN_NS_PER_MS));

	mn_ns last_fault = 0;
	for (uint32_t i = 0; i < s->nactions; i++) {
		const struct scn_action *a = &s->actions[i];
		l.no = a->line;
		if (a->pick == SCN_PICK_NODE && a->amount >= s->nodes + s->standby)
			return fail(&l, MN_ERANGE, "node %u does not exist (nodes 0..%u)", a->amount,
				    s->nodes + s->standby - 1);
		if (a->op == SCN_JITTER && a->ns > NET_MAX_LATENCY_NS)
			return fail(&l, MN_ERANGE, "jitter above %llu ms",
				    (unsigned long long)(NET_MAX_LATENCY_NS / MN_NS_PER_MS));
		if (a->op == SCN_INJECT || a->op == SCN_JOIN)
			continue;
		mn_ns last = action_last(a, s->duration_ns);
		if (s->calm_set && (last == MN_NEVER || last > s->calm_ns))
			return fail(&l, MN_ERANGE, "this %s lasts past 'calm'", op_names[a->op]);
		if (last > last_fault)
			last_fault = last;
	}
	if (!s->calm_set)
		s->calm_ns = last_fault;
	return MN_OK;
}
