/* time.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_set_timer_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

void time_init_vcpu(struct vcpu *v)
{
}

uint64_t time_now_ns(void)
{
	return 0;
}
