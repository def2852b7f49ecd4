/* sched.c — sched_op and sched_op_compat: yield and shutdown. */
#include "hypercall.h"
#include <xen/sched.h>

static long shutdown(unsigned reason)
{
	trace(TRACE_HYPERCALLS, "guest requests shutdown, reason %u", reason);
	domain_shutdown(reason);
}

long do_sched_op(HC_ARGS)
{
	ulong cmd = a1, arg = a2;
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;
		if (copy_from_guest(&s, arg, sizeof(s)))
			return -XEN_EFAULT;
		return shutdown((uint8_t)s.reason);     /* Xen truncates it to 8 bits */
	}
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}

long do_sched_op_compat(HC_ARGS)
{
	ulong cmd = a1, arg = a2;
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_shutdown:
		return shutdown((uint8_t)arg);
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}
