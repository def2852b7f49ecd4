/* callback.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_set_callbacks(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_callback_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_fpu_taskswitch(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_set_debugreg(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_get_debugreg(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_set_segment_base(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

