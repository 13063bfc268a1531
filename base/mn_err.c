#include "mn_err.h"

const char *mn_strerror(int err)
{
	switch (err) {
	case MN_OK:
		return "success";
#define MN_ERR_STR(name, val, msg) \
	case MN_##name:                \
		return msg;
		MN_ERRNO_MAP(MN_ERR_STR)
#undef MN_ERR_STR
	}
	return "unknown error";
}
