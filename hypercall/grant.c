/* grant.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_grant_table_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

