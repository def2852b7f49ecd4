/* mmu.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_mmu_update(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_update_va_mapping(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_mmuext_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

