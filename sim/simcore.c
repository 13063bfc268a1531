/* simcore.c - the cores built into meshsim. */
#include "simcore.h"

#include <string.h>

#include "demo_core.h"
#include "swim_core.h"

static const struct sim_core_ops *const cores[] = {
	&demo_core_ops,
	&swim_core_ops,
};

static const char *const names[] = {
	"demo",
	"swim",
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

const char *const *simcore_names(void)
{
	return names;
}
