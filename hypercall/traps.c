/* traps.c — exceptions: from the stub (fixups, panics) and from the guest (bounced to its handlers). */
#include "stub.h"
#include "guestcheck.h"

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

extern char copy_user_start[], copy_user_end[], copy_user_fixup[];
bool emulate_ptwr(struct regs *r, ulong cr2);      /* ptwr.c */
bool emulate_privileged(struct regs *r);           /* emulate.c */
bool emulate_fnclex(struct vcpu *v, struct regs *r); /* emulate.c */
#if STUB_BITS == 32
bool emulate_guest_iret(struct regs *r);           /* iret.c */
#endif

/*
 * A fault in the stub itself. Guest-memory copies have a fixup; a fault on
 * the way back to the guest (a segment reload, the final iret) means the
 * guest handed us state the CPU refuses: callback.c bounces it to the
 * guest's failsafe callback, or crashes the domain without one.
 */
bool fixup_exception(struct regs *r)
{
	if (r->ip >= (ulong)copy_user_start && r->ip < (ulong)copy_user_end) {
		r->ip = (ulong)copy_user_fixup;
		return true;
	}
	return callback_fixup_exception(r);    /* %gs loads; the exit path: failsafe callback */
}

#if STUB_BITS == 64
#define FRAME_WORDS_MAX 8
typedef uint64_t frame_word;
#else
#define FRAME_WORDS_MAX 6
typedef uint32_t frame_word;
#endif

/*
 * Build the Xen bounce frame on the guest kernel stack and point the
 * register frame at a guest handler (exception, event or failsafe
 * callback), exactly where Xen would put it:
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
 * The frame's IF reflects the virtual event mask; with mask_events the
 * handler starts with events masked. Crashes the domain if the frame
 * cannot be written (as Xen does).
 */
void create_bounce_frame(struct vcpu *v, struct regs *r, ulong handler, uint16_t cs,
			 bool mask_events, bool has_error_code, uint32_t error_code)
{
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
		arch_toggle_guest_mode(v);      /* to kernel mode: kernel page tables, GS base */
	sp = (from_user ? v->kernel_sp : r->sp) & ~0xful;
	f[n++] = r->rcx;
	f[n++] = r->r11;
	if (has_error_code)
		f[n++] = error_code;
	f[n++] = r->ip;
	f[n++] = (from_user ? r->cs : r->cs & ~3ull) | (uint64_t)saved_mask << 32;
	f[n++] = flags;
	f[n++] = r->sp;
	f[n++] = r->ss;
	(void)cs;
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
		domain_crash(r, "cannot write an exception frame at %lx for handler %lx "
			     "(guest kernel stack not mapped writable)", sp, handler);
	if (mask_events)
		vi->evtchn_upcall_mask = 1;

	r->sp = sp;
	r->ip = handler;
	r->flags &= ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM);
#if STUB_BITS == 64
	r->flags &= ~X86_EFLAGS_AC;             /* Xen clears AC too for 64-bit guests */
	r->cs = FLAT_KERNEL_CS64;
	r->ss = FLAT_KERNEL_SS64;
#else
	r->cs = cs;
	r->ss = ss;
#endif
}

/* Bounce an exception to the handler the guest registered with set_trap_table. */
int deliver_trap(struct vcpu *v, struct regs *r, unsigned vector, bool has_error_code,
		 uint32_t error_code)
{
	const struct trap_slot *t = &v->traps[vector];
	if (!t->address) {
		uint8_t b[8];
		char hex[3 * sizeof(b) + 1] = "?";
		if (!copy_from_guest(b, r->ip, sizeof(b)))
			for (unsigned i = 0; i < sizeof(b); i++)
				snprintf(hex + 3 * i, 4, "%02x ", b[i]);
		ulong stk[4] = { 0 };
		copy_from_guest(stk, r->sp, sizeof(stk));
		domain_crash(r, "unhandled %s (vector %u, error code %x) at %lx (code %s, stack "
			     "%lx %lx %lx %lx): no handler registered with set_trap_table",
			     vector_name(vector), vector, error_code, (ulong)r->ip, hex, stk[0],
			     stk[1], stk[2], stk[3]);
	}
	trace(TRACE_TRAPS, "trap %s vec %u ec %x at %lx -> %lx", vector_name(vector), vector,
	      error_code, (ulong)r->ip, t->address);
	create_bounce_frame(v, r, t->address, t->cs, t->flags & 4 /* TI_GET_IF */,
			    has_error_code, error_code);
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

/* n if the guest's rip holds `int $n` (CD ib), else -1. */
static int int_n_at_ip(const struct regs *r)
{
	uint8_t insn[2];
	if (copy_from_guest(insn, r->ip, sizeof(insn)) || insn[0] != 0xcd)
		return -1;
	return insn[1];
}

/*
 * The one-byte software interrupt at the guest's rip, 0 if none: int3
 * (CC), and on 32-bit into (CE; invalid in 64-bit mode). No CPU faults
 * on them with #UD.
 */
static uint8_t int3_into_at_ip(const struct regs *r)
{
	uint8_t op;
	if (copy_from_guest(&op, r->ip, 1))
		return 0;
	return op == 0xcc || (STUB_BITS == 32 && op == 0xce) ? op : 0;
}

/*
 * The vector of an `int $n` that its gate refused: Xen takes the error
 * code's index as a uint8_t (do_general_protection). QEMU's TCG reports
 * (n << 4) | 2 in long mode (16-byte gates) where hardware gives
 * (n << 3) | 2, so read n from the instruction when it is there.
 */
static unsigned softint_vector(const struct regs *r, uint32_t ec)
{
	int n = int_n_at_ip(r);
	return n >= 0 ? (unsigned)n : (uint8_t)(ec >> 3);
}

/*
 * `int $n` the IDT did not let through: delivered if the guest's trap
 * table allows the caller's privilege (the frame after the instruction),
 * else #GP((n << 3) | 2) at it, as Xen's do_general_protection.
 */
static void software_interrupt(struct vcpu *v, struct regs *r, unsigned n)
{
	/* #BP and #OF: their gates have DPL 3 (the #UD path gets them). */
	if (n == X86_BP || n == X86_OF || softint_permitted(v, r, n)) {
		r->ip += 2;
		deliver_trap(v, r, n, false, 0);
	} else {
		deliver_trap(v, r, X86_GP, true, n << 3 | 2);
	}
}

#if STUB_BITS == 64
/*
 * Where the M2P is not at Xen's address (kvm_pvm: slot 257), a guest that
 * reads it there without asking XENMEM_machphys_mapping faults: say why,
 * once (always, as for unsupported hypercalls), then under --trace traps.
 * kvm_pvm reports its refused slot 256 as present with a reserved bit
 * set; nothing is mapped there, so the guest gets the not-present fault
 * x86 would give (Linux takes a reserved-bit fault for a corrupt table).
 */
static void m2p_moved_fault(ulong cr2, struct regs *r, uint32_t *ec)
{
	static bool said;
	if (dom.bi.m2p_virt == MACH2PHYS_VIRT_START || cr2 < MACH2PHYS_VIRT_START ||
	    cr2 >= MACH2PHYS_VIRT_END)
		return;
	*ec &= ~(PFEC_PRESENT | PFEC_RSVD);
	trace(said ? TRACE_TRAPS : TRACE_UNKNOWN, "page fault at %lx (rip %lx): the guest reads the "
	      "M2P at Xen's fixed address %lx, but on this host it is at %lx; a guest must ask "
	      "XENMEM_machphys_mapping (Linux does), this one hard-codes MACH2PHYS_VIRT_START",
	      cr2, (ulong)r->ip, (ulong)MACH2PHYS_VIRT_START, (ulong)dom.bi.m2p_virt);
	said = true;
}
#endif

static void guest_exception(struct vcpu *v, struct regs *r)
{
	unsigned vec = (unsigned)r->vector;
	uint32_t ec = (uint32_t)r->error_code;

	switch (vec) {
	case X86_UD: {
		if (emulate_forced_cpuid(r))
			return;
		/*
		 * kvm_pvm: `int $n` from 64-bit ring 3 arrives as #UD at the
		 * instruction, and xenner turns its emulator's failures on
		 * `int $n`, int3, into and fnclex elsewhere into #UD
		 * (kvm_emulation_failure_to_ud, xenner/kvm.c).
		 */
		int n = int_n_at_ip(r);
		if (n >= 0) {
			software_interrupt(v, r, (unsigned)n);
			return;
		}
		uint8_t op = int3_into_at_ip(r);
		if (op) {
			r->ip += 1;
			if (op == 0xce && !(r->flags & X86_EFLAGS_OF))
				return;                 /* into without OF: nothing */
			vec = op == 0xcc ? X86_BP : X86_OF;
		} else if (emulate_fnclex(v, r)) {
			return;
		}
		break;
	}
	case X86_GP:
		if ((ec & 3) == 2) {
			software_interrupt(v, r, softint_vector(r, ec));
			return;
		}
		if (ec == 0 && guest_kernel_mode(v, r) && emulate_privileged(r))
			return;
#if STUB_BITS == 32
		if (ec == 0 && emulate_guest_iret(r))
			return;
#endif
		break;
	case X86_PF: {
		ulong cr2 = arch_read_cr2();
		/* A kernel write to one of its own read-only L1s: writable page tables. */
		if ((ec & 3) == 3 && guest_kernel_mode(v, r) && emulate_ptwr(r, cr2))
			return;
		v->vcpu_info->arch.cr2 = cr2;
#if STUB_BITS == 64
		/* The 64-bit kernel runs in ring 3; Xen reports its faults as supervisor ones. */
		if (guest_kernel_mode(v, r))
			ec &= ~PFEC_USER;
#endif
		trace(TRACE_TRAPS, "page fault at %lx ec %x rip %lx", cr2, ec, (ulong)r->ip);
#if STUB_BITS == 64
		m2p_moved_fault(cr2, r, &ec);
#endif
		break;
	}
	case X86_NM:
		fpu_nm_fault(v, r);
		break;
	case X86_DB:
		debug_fault_from_guest(v);
		break;
	case X86_NMI:
	case X86_DF:
	case X86_MC:
		panic_regs(r, "%s while the guest was running", vector_name(vec));
	default:
		break;
	}
	deliver_trap(v, r, vec, vector_has_error_code(vec), ec);
}

#include <xen/callback.h>

/*
 * 64-bit: syscall from guest user space goes to the kernel's syscall
 * callback in kernel mode, with rcx/r11 (return rip, rflags) on the
 * frame as Linux's xen_syscall_target expects, and DF clear. Without a
 * callback the guest gets #UD at the syscall, as on Xen.
 */
void guest_user_syscall(struct vcpu *v, struct regs *r)
{
	if (!v->cb.syscall_address) {
		r->ip -= 2;                     /* Xen: "#UD" at the syscall itself */
		deliver_trap(v, r, X86_UD, false, 0);
		return;
	}
	create_bounce_frame(v, r, v->cb.syscall_address, 0,
			    v->cb.flags & (1u << CALLBACKTYPE_syscall), false, 0);
	r->flags &= ~X86_EFLAGS_DF;             /* switch_to_kernel, x86_64/entry.S */
}

/*
 * 64-bit guests' 32-bit (compat) user code: syscall arrives through CSTAR.
 * Xen's switch_to_kernel: the syscall32 callback, or the 64-bit one when
 * none is registered, with the same frame, event masking and DF rule;
 * without either, #UD at the syscall.
 */
void guest_user_syscall32(struct vcpu *v, struct regs *r)
{
	ulong cb = v->cb.syscall32_address ? v->cb.syscall32_address : v->cb.syscall_address;
	if (!cb) {
		r->ip -= 2;
		deliver_trap(v, r, X86_UD, false, 0);
		return;
	}
	create_bounce_frame(v, r, cb, 0, v->cb.flags & (1u << CALLBACKTYPE_syscall), false, 0);
	r->flags &= ~X86_EFLAGS_DF;
}

static bool is_hypercall_vector(unsigned vec)
{
#if STUB_BITS == 32
	return vec == VEC_HYPERCALL;
#else
	(void)vec;
	return false;
#endif
}

/* Count one stub entry by its cause (--stats). */
static void count_entry(const struct regs *r)
{
	struct vcpu *v = current();
	if (!v)
		return;
	unsigned vec = (unsigned)r->vector;
#if STUB_BITS == 64
	if (vec == VEC_SYSCALL + 1) {   /* from a 32-bit process: never a hypercall */
		v->stats->user_syscall++;
		return;
	}
	if (vec == VEC_SYSCALL) {
		if (!v->kernel_mode)
			v->stats->user_syscall++;
		else
			v->stats->hypercall[r->rax < STATS_HYPERCALLS - 1 ? r->rax : STATS_HYPERCALLS - 1]++;
		return;
	}
#else
	if (vec == VEC_HYPERCALL) {
		v->stats->hypercall[r->eax < STATS_HYPERCALLS - 1 ? r->eax : STATS_HYPERCALLS - 1]++;
		return;
	}
#endif
	if (vec < 256)
		v->stats->vector[vec]++;
}

#if STUB_BITS == 64
extern char syscall_entry[], syscall_entry_compat[];

/*
 * kvm_pvm: `syscall` from ring 3 loads rcx/r11 and jumps to LSTAR (CSTAR)
 * but stays in ring 3, so the fetch faults on the supervisor-only stub
 * page. Guest code never runs at those addresses otherwise: turn the
 * fault back into the syscall entry the hardware would have made.
 */
static void pvm_syscall_fixup(struct regs *r)
{
	if (r->ip == (ulong)syscall_entry) {
		r->vector = VEC_SYSCALL;
		r->cs = FLAT_KERNEL_CS64;
	} else if (r->ip == (ulong)syscall_entry_compat) {
		r->vector = VEC_SYSCALL + 1;
		r->cs = FLAT_USER_CS32;
	} else {
		return;
	}
	r->error_code = 0;
	r->ip = r->rcx;
	r->flags = gc_ring3_rflags(r->r11);     /* a jump here brings any r11 */
	r->ss = FLAT_KERNEL_SS64;
}
#endif

#if STUB_BITS == 32
/*
 * kvm_pvm: `int $0x82` from ring 1 arrives as #UD at the instruction
 * (kvm_emulation_failure_to_ud, xenner/kvm.c): make it the hypercall
 * entry its gate (DPL 1) gives.
 */
static void pvm_hypercall_fixup(struct regs *r)
{
	if ((r->cs & 3) != 1 || int_n_at_ip(r) != VEC_HYPERCALL)
		return;
	r->ip += 2;
	r->vector = VEC_HYPERCALL;
	r->error_code = 0;
}
#endif

void stub_trap(struct regs *r)
{
#if STUB_BITS == 64
	if (r->vector == X86_PF && (r->cs & 3))
		pvm_syscall_fixup(r);
#else
	if (r->vector == X86_UD && (r->cs & 3))
		pvm_hypercall_fixup(r);
#endif
	if (r->cs & 3)
		count_entry(r);
	if (r->vector >= 32 && r->vector < 256 && !is_hypercall_vector((unsigned)r->vector)) {
		/* An interrupt (timer, IPI, backend doorbell), in guest or stub context. */
		evtchn_interrupt(current(), r, (unsigned)r->vector);
		if (r->cs & 3)
			evtchn_check_upcall(current(), r);
		return;
	}
	if (!(r->cs & 3)) {
		if ((r->vector == X86_PF || r->vector == X86_GP || r->vector == X86_NP ||
		     r->vector == X86_SS) && fixup_exception(r))
			return;
		if (r->vector == X86_DB) {
			debug_fault_in_stub(r);
			return;
		}
		panic_regs(r, "stub: %s (vector %u) at %lx, error code %lx",
			   vector_name((unsigned)r->vector), (unsigned)r->vector,
			   (ulong)r->ip, (ulong)r->error_code);
	}
	struct vcpu *v = current();
#if STUB_BITS == 64
	if (r->vector == VEC_SYSCALL) {
		if (v->kernel_mode)
			hypercall_dispatch(r);
		else
			guest_user_syscall(v, r);
		evtchn_check_upcall(v, r);
		return;
	}
	if (r->vector == VEC_SYSCALL + 1) {
		guest_user_syscall32(v, r);
		evtchn_check_upcall(v, r);
		return;
	}
#else
	if (r->vector == VEC_HYPERCALL) {
		/* The gate's DPL 1 already refused ring 3. */
		hypercall_dispatch(r);
		evtchn_check_upcall(v, r);
		return;
	}
#endif
	guest_exception(v, r);
	evtchn_check_upcall(v, r);
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
