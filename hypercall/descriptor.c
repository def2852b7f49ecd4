/* descriptor.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_set_gdt(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_update_descriptor(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

