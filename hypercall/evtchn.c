/* evtchn.c — placeholder: these hypercalls are not implemented yet. */
#include "hypercall.h"

long do_event_channel_op(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

long do_event_channel_op_compat(HC_ARGS)
{
	return HYPERCALL_UNSUPPORTED;
}

void evtchn_check_upcall(struct vcpu *v, struct regs *r)
{
}

void evtchn_send_virq(struct vcpu *v, unsigned virq)
{
}

void evtchn_interrupt(struct vcpu *v, struct regs *r, unsigned vector)
{
}
