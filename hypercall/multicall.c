/* multicall.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_multicall(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

