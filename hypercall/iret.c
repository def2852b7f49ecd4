/* iret.c — HYPERVISOR_iret: return from an exception or event to kernel or user context. */
#include "hypercall.h"
#include "guestcheck.h"

#if STUB_BITS == 64
/*
 * The hypercall page's iret entry pushed rax, r11, rcx on top of the
 * guest's iret frame (flags, rip, cs, rflags, rsp, ss): struct iret_context
 * at the guest's rsp.
 */
long do_iret(HC_ARGS)
{
	struct vcpu *v = current();
	struct iret_context ic;

	if (copy_from_guest(&ic, r->sp, sizeof(ic)))
		domain_crash(r, "iret: cannot read the iret context at %lx", (ulong)r->sp);
	if ((ic.cs & 3) == 3 && v->kernel_mode) {
		if (!v->user_pt_mfn)
			domain_crash(r, "iret to guest user mode with no user page tables "
				     "(MMUEXT_NEW_USER_BASEPTR)");
		arch_toggle_guest_mode(v);
	}

	r->ip = ic.rip;
	r->cs = ic.cs | 3;
	r->flags = (ic.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
	r->sp = ic.rsp;
	r->ss = ic.ss | 3;
	if (!(ic.flags & VGCF_in_syscall)) {
		r->r11 = ic.r11;
		r->rcx = ic.rcx;
	} else {
		/* Xen returns by sysret (restore_all_guest): rcx = rip, r11 = rflags. */
		r->rcx = r->ip;
		r->r11 = r->flags;
	}
	v->vcpu_info->evtchn_upcall_mask = !(ic.rflags & X86_EFLAGS_IF);
	r->rax = ic.rax;
	trace(TRACE_TRAPS, "iret to %lx", (ulong)r->ip);
	/*
	 * Where the FPU raises no #NM, a lazy-FPU kernel (2.6.18) returning to
	 * a process with TS set gets the #NM now, at the process's first
	 * instruction, so that it loads that process's FPU state before any
	 * FPU instruction can run on another's.
	 */
	if (dom.no_native_nm && v->cb.fpu_ts && !v->kernel_mode && v->traps[X86_NM].address) {
		fpu_nm_fault(v, r);
		deliver_trap(v, r, X86_NM, false, 0);
	}
	return HYPERCALL_REGS_SET;
}
#else
/*
 * 32-bit: the iret entry pushed eax on top of eip, cs, eflags and, when
 * returning to ring 3, esp and ss.
 */
long do_iret(HC_ARGS)
{
	struct vcpu *v = current();
	uint32_t f[6];

	if (copy_from_guest(f, r->sp, 4 * sizeof(uint32_t)))
		domain_crash(r, "iret: cannot read the iret frame at %x", r->sp);
	uint32_t eax = f[0], eip = f[1], cs = f[2], eflags = f[3];
	switch (cs & 3) {
	case 0:
		domain_crash(r, "iret to ring 0 (cs %x)", cs);
	case 1:
		r->sp += 16;
		break;
	default:
		if (copy_from_guest(f + 4, r->sp + 16, 2 * sizeof(uint32_t)))
			domain_crash(r, "iret: cannot read the iret frame at %x", r->sp);
		r->sp = f[4];
		r->ss = f[5];
		break;
	}
	r->ip = eip;
	r->cs = cs;
	r->flags = (eflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
	v->vcpu_info->evtchn_upcall_mask = !(eflags & X86_EFLAGS_IF);
	r->eax = eax;
	trace(TRACE_TRAPS, "iret to %x", r->ip);
	return HYPERCALL_REGS_SET;
}

/*
 * The guest's own iret (not the hypercall) where it raised #GP(0): in
 * long mode on kvm_pvm, whose emulator cannot run iret outside 64-bit
 * mode. Done as the CPU: pop eip, cs, eflags and, to an outer ring, esp
 * and ss; a ring above IOPL keeps IF and IOPL; the final iret (the
 * stub's) checks the selectors and clears data segments the new ring may
 * not hold. A real #GP(0) there (NT set, a frame beyond the segment)
 * stays the guest's.
 */
bool emulate_guest_iret(struct regs *r)
{
	uint8_t op;
	uint32_t f[5];
	if (!pv32_long_mode || (r->flags & X86_EFLAGS_NT) || copy_from_guest(&op, r->ip, 1) ||
	    op != 0xcf || copy_from_guest(f, r->sp, 3 * sizeof(f[0])))
		return false;
	unsigned words = gc_iret32_words(r->cs & 3, f[1]);
	if (!words || (words == 5 && copy_from_guest(f + 3, r->sp + 12, 2 * sizeof(f[0]))))
		return false;
	if (words == 5) {
		r->sp = f[3];
		r->ss = f[4] & 0xffff;
	} else {
		r->sp += 12;
	}
	r->ip = f[0];
	r->cs = f[1] & 0xffff;
	r->flags = (uint32_t)gc_ring3_rflags(f[2]);
	trace(TRACE_TRAPS, "the guest's iret, emulated, to %x:%x", r->cs, r->ip);
	return true;
}
#endif
