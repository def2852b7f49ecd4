/* multicall.c — multicall: a batch of hypercalls, each result stored back in its entry. */
#include "hypercall.h"
#include "guestcheck.h"

/*
 * Xen's do_multicall (common/multicall.c) with x86's stop rule
 * (pv_do_multicall_call): entries run in order through the normal
 * dispatch, in the guest's native multicall_entry_t layout, until one is
 * an iret (or rewrote the guest's frame, which only iret does): its
 * result becomes the multicall's, and the guest continues where it says.
 * A multicall inside a multicall is -EINVAL; an unreadable entry or an
 * unwritable result ends the batch with -EFAULT (the earlier entries have
 * run). nr_calls is 32 bits wide (xen.h, and Xen 4.17). Xen would also
 * stop when an entry left guest kernel mode and resume the rest later; no
 * call but iret does that here.
 */
long do_multicall(HC_ARGS)
{
	struct vcpu *v = current();
	ulong list = a1;
	uint32_t nr = (uint32_t)a2;     /* xen.h: uint32_t nr_calls */
	long rc = 0;

	if (v->cb.in_multicall)
		return -XEN_EINVAL;
	if (!gc_guest_array_ok(list, nr, sizeof(multicall_entry_t), STUB_BITS))
		return -XEN_EFAULT;
	v->cb.in_multicall = true;

	for (uint32_t i = 0; i < nr; i++) {
		multicall_entry_t e;
		ulong va = list + i * sizeof(e);
		if (copy_from_guest(&e, va, sizeof(e))) {
			rc = -XEN_EFAULT;
			break;
		}
		/* Hypercall numbers are small: anything else is an unknown call. */
		unsigned nr_op = e.op == (unsigned)e.op ? (unsigned)e.op : ~0u;
		ulong args[5] = { e.args[0], e.args[1], e.args[2], e.args[3], e.args[4] };
		long ret = hypercall_call(r, nr_op, args);
		bool rewritten = ret == HYPERCALL_REGS_SET;
		if (rewritten)
			ret = (long)REG_RET(r);         /* what the guest's rax now holds */
		e.result = (xen_ulong_t)ret;
		trace(TRACE_HYPERCALLS, "multicall[%u] %s(%lx, %lx, %lx) = %ld", i,
		      hypercall_name(nr_op), args[0], args[1], args[2], ret);

		int wr = copy_to_guest(va + offsetof(multicall_entry_t, result), &e.result,
				       sizeof(e.result));
		enum gc_mc_next next = gc_multicall_next(e.op, rewritten, guest_kernel_mode(v, r));
		if (next == GC_MC_EXIT) {
			/*
			 * The result write is best effort here, and the multicall
			 * returns the entry's result as an int, as on Xen.
			 */
			v->cb.in_multicall = false;
			if (!rewritten)
				return (int)ret;
			REG_RET(r) = (ulong)(long)(int)ret;
			return HYPERCALL_REGS_SET;
		}
		if (wr) {
			rc = -XEN_EFAULT;
			break;
		}
		if (next == GC_MC_PREEMPT)
			break;
	}
	v->cb.in_multicall = false;
	return rc;
}
