/* traps.c — exceptions: from the stub (fixups, panics) and from the guest (bounced to its handlers). */
#include "stub.h"

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static const char *vector_name(unsigned v)
{
	return v < 32 && vector_names[v] ? vector_names[v] : "interrupt";
}

static bool vector_has_error_code(unsigned v)
{
	return v == X86_DF || v == X86_TS || v == X86_NP || v == X86_SS || v == X86_GP ||
	       v == X86_PF || v == X86_AC || v == 21 || v == 29 || v == 30;
}

extern char copy_user_insn[], copy_user_fixup[], stub_iret_insn[];

/*
 * A fault in the stub itself. Guest-memory copies have a fixup; a fault on
 * the final iret means the guest handed us state the CPU refuses (a bad
 * selector, a non-canonical rip): Xen crashes such a guest (it has no
 * failsafe callback registered yet).
 */
bool fixup_exception(struct regs *r)
{
	if (r->ip == (ulong)copy_user_insn) {
		r->ip = (ulong)copy_user_fixup;
		return true;
	}
	if (r->ip == (ulong)stub_iret_insn)
		domain_crash(r, "guest state rejected on return to the guest (%s, error code %lx)",
			     vector_name((unsigned)r->vector), (ulong)r->error_code);
	return false;
}

#if STUB_BITS == 64
#define FRAME_WORDS_MAX 8
typedef uint64_t frame_word;
#else
#define FRAME_WORDS_MAX 6
typedef uint32_t frame_word;
#endif

/*
 * Bounce an exception to the guest's registered handler, building the Xen
 * exception frame on the guest kernel stack exactly where Xen would:
 *
 *  64-bit (kernel in ring 3), low to high:
 *     rcx, r11, [error code], rip, cs | saved_upcall_mask << 32, rflags, rsp, ss
 *     at the current stack (kernel mode) or kernel_sp (user mode), aligned
 *     down to 16 bytes. The cs the kernel sees has RPL 0 for guest-kernel
 *     context, 3 for user context (do_iret puts the 3 back).
 *  32-bit PAE (kernel in ring 1), low to high:
 *     [error code], eip, cs | saved_upcall_mask << 16, eflags, [esp, ss]
 *     esp/ss only when leaving ring 3 for kernel_ss:kernel_sp.
 *
 * The frame's IF reflects the virtual event mask; the handler runs with
 * events masked if its trap_info asked for it (TI_GET_IF).
 */
int deliver_trap(struct vcpu *v, struct regs *r, unsigned vector, bool has_error_code,
		 uint32_t error_code)
{
	const struct trap_slot *t = &v->traps[vector];
	if (!t->address)
		domain_crash(r, "unhandled %s (vector %u, error code %x) at %lx: no handler "
			     "registered with set_trap_table", vector_name(vector), vector,
			     error_code, (ulong)r->ip);

	struct vcpu_info *vi = v->vcpu_info;
	uint8_t saved_mask = vi->evtchn_upcall_mask;
	ulong flags = (r->flags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
		      (saved_mask ? 0 : X86_EFLAGS_IF);
	frame_word f[FRAME_WORDS_MAX];
	unsigned n = 0;
	ulong sp;
#if STUB_BITS == 64
	bool from_user = !v->kernel_mode;
	if (from_user)
		domain_crash(r, "exception from guest user mode: not supported yet");
	sp = r->sp & ~0xful;
	f[n++] = r->rcx;
	f[n++] = r->r11;
	if (has_error_code)
		f[n++] = error_code;
	f[n++] = r->ip;
	f[n++] = (r->cs & ~3ull) | (uint64_t)saved_mask << 32;
	f[n++] = flags;
	f[n++] = r->sp;
	f[n++] = r->ss;
#else
	bool from_user = (r->cs & 3) == 3;
	ulong ss = from_user ? v->kernel_ss : r->ss;
	sp = from_user ? v->kernel_sp : r->sp;
	if (has_error_code)
		f[n++] = error_code;
	f[n++] = r->ip;
	f[n++] = r->cs | (uint32_t)saved_mask << 16;
	f[n++] = (uint32_t)flags;
	if (from_user) {
		f[n++] = r->sp;
		f[n++] = r->ss;
	}
#endif
	sp -= n * sizeof(frame_word);
	if (copy_to_guest(sp, f, n * sizeof(frame_word)))
		domain_crash(r, "cannot write the %s exception frame at %lx (guest stack "
			     "not mapped writable)", vector_name(vector), sp);
	if (t->flags & 4)               /* TI_GET_IF: handler starts with events masked */
		vi->evtchn_upcall_mask = 1;

	trace(TRACE_TRAPS, "trap %s vec %u ec %x at %lx -> %lx", vector_name(vector), vector,
	      error_code, (ulong)r->ip, t->address);
	r->sp = sp;
	r->ip = t->address;
	r->flags &= ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM);
#if STUB_BITS == 64
	r->cs = FLAT_KERNEL_CS64;
	r->ss = FLAT_KERNEL_SS64;
#else
	r->cs = t->cs;
	r->ss = ss;
#endif
	return 0;
}

/*
 * #GP with an IDT error code is an `int n` the gate DPL refused: Xen
 * delivers it if the guest's trap table allows that privilege.
 */
static bool softint_permitted(const struct vcpu *v, const struct regs *r, unsigned vector)
{
	unsigned dpl = v->traps[vector].flags & 3;
#if STUB_BITS == 64
	return dpl >= (guest_kernel_mode(v, r) ? 1u : 3u);
#else
	return dpl >= (r->cs & 3);
#endif
}

static void guest_exception(struct vcpu *v, struct regs *r)
{
	unsigned vec = (unsigned)r->vector;
	uint32_t ec = (uint32_t)r->error_code;

	switch (vec) {
	case X86_UD:
		if (emulate_forced_cpuid(r))
			return;
		break;
	case X86_GP:
		if ((ec & 3) == 2 && softint_permitted(v, r, ec >> 3)) {
			r->ip += 2;             /* the int $n instruction */
			deliver_trap(v, r, ec >> 3, false, 0);
			return;
		}
		break;
	case X86_PF: {
		ulong cr2 = arch_read_cr2();
		v->vcpu_info->arch.cr2 = cr2;
#if STUB_BITS == 64
		/* The 64-bit kernel runs in ring 3; Xen reports its faults as supervisor ones. */
		if (guest_kernel_mode(v, r))
			ec &= ~PFEC_USER;
#endif
		trace(TRACE_TRAPS, "page fault at %lx ec %x rip %lx", cr2, ec, (ulong)r->ip);
		break;
	}
	case X86_NMI:
	case X86_DF:
	case X86_MC:
		panic_regs(r, "%s while the guest was running", vector_name(vec));
	default:
		if (vec >= 32) {
			trace(TRACE_TRAPS, "spurious interrupt vector %u", vec);
			return;
		}
	}
	deliver_trap(v, r, vec, vector_has_error_code(vec), ec);
}

void stub_trap(struct regs *r)
{
	if (!(r->cs & 3)) {
		if ((r->vector == X86_PF || r->vector == X86_GP) && fixup_exception(r))
			return;
		panic_regs(r, "stub: %s (vector %u) at %lx, error code %lx",
			   vector_name((unsigned)r->vector), (unsigned)r->vector,
			   (ulong)r->ip, (ulong)r->error_code);
	}
	struct vcpu *v = current();
#if STUB_BITS == 64
	if (r->vector == VEC_SYSCALL) {
		if (v->kernel_mode) {
			hypercall_dispatch(r);
			return;
		}
		domain_crash(r, "syscall from guest user mode: not supported yet");
	}
	if (r->vector == VEC_SYSCALL + 1)
		domain_crash(r, "syscall from 32-bit compat mode: not supported yet");
#else
	if (r->vector == VEC_HYPERCALL) {
		/* The gate's DPL 1 already refused ring 3. */
		hypercall_dispatch(r);
		return;
	}
#endif
	guest_exception(v, r);
}

#include "hypercall.h"

/*
 * set_trap_table: a NULL list clears the table; otherwise entries are read
 * until one with address 0. Kernel code selectors with RPL 0 get the
 * guest kernel's ring, as Xen's fixup_guest_code_selector() does.
 */
long do_set_trap_table(HC_ARGS)
{
	struct vcpu *v = current();
	ulong list = a1;

	if (!list) {
		memset(v->traps, 0, sizeof(v->traps));
		return 0;
	}
	for (unsigned i = 0; i < 256 + 1; i++) {
		trap_info_t ti;
		if (copy_from_guest(&ti, list + i * sizeof(ti), sizeof(ti)))
			return -XEN_EFAULT;
		if (!ti.address)
			return 0;
#if STUB_BITS == 32
		if (!(ti.cs & 3))
			ti.cs |= 1;
#endif
		v->traps[ti.vector] = (struct trap_slot){ ti.address, ti.cs, ti.flags };
	}
	return 0;
}

/* stack_switch: the kernel stack used when an event arrives in user mode. */
long do_stack_switch(HC_ARGS)
{
	struct vcpu *v = current();
	ulong ss = a1, sp = a2;
#if STUB_BITS == 64
	if (!(ss & 3))
		ss |= 3;
#else
	if (!(ss & 3))
		ss |= 1;
#endif
	v->kernel_ss = ss;
	v->kernel_sp = sp;
	return 0;
}
