/* physdev.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_physdev_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_physdev_op_compat(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

