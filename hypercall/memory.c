/* memory.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_memory_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

