/* simcore.c - the cores built into meshsim. */
#include "simcore.h"

#include <stdio.h>
#include <string.h>

#include "mn_err.h"

#include "demo_core.h"
#include "mesh_core.h"
#include "swim_core.h"

static const struct sim_core_ops *const cores[] = {
	&demo_core_ops,
	&swim_core_ops,
	&mesh_core_ops,
};

static const char *const names[] = {
	"demo",
	"swim",
	"mesh",
	NULL,
};

const struct sim_core_ops *simcore_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
		if (strcmp(cores[i]->name, name) == 0)
			return cores[i];
	}
	return NULL;
}

int simcore_param_err(char *err, size_t errlen, const struct sim_param *p, const char *why)
{
	snprintf(err, errlen, "core_param:%u: %s %s: %s", p->line, p->key, p->value, why);
	return MN_EINVAL;
}

const char *const *simcore_names(void)
{
	return names;
}

static const char *const rogue_names[SIM_ROGUE__COUNT] = {
	"suspect_flood",
	"accuse_others",
	"false_addr",
	"junk_records",
};

const char *sim_rogue_name(enum sim_rogue b)
{
	return (unsigned)b < SIM_ROGUE__COUNT ? rogue_names[b] : "?";
}

int sim_rogue_find(const char *name)
{
	for (int i = 0; i < SIM_ROGUE__COUNT; i++) {
		if (strcmp(rogue_names[i], name) == 0)
			return i;
	}
	return -1;
}
