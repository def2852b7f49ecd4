/* callback.c — guest callbacks (set_callbacks, callback_op, failsafe), fpu_taskswitch, debug registers, segment bases. */
#include "hypercall.h"
#include "guestcheck.h"
#include <xen/callback.h>

#define X86_CR0_TS 0x8ul

/* ---------------------------------------------------------------- callbacks */

static void set_mask_flag(struct vcpu *v, unsigned type, unsigned flags)
{
	if (flags & CALLBACKF_mask_events)
		v->cb.flags |= (uint16_t)(1u << type);
	else
		v->cb.flags &= (uint16_t)~(1u << type);
}

/* The NMI callback is the trap-table entry for vector 2, entered with events masked. */
static void set_nmi_callback(struct vcpu *v, ulong address)
{
	v->traps[X86_NMI] = (struct trap_slot){ address, FLAT_KERNEL_CS, 4 /* TI_SET_IF */ };
	v->cb.nmi_address = address;
}

/*
 * CALLBACKOP_register, as Xen's register_guest_callback (64-bit) and
 * compat_register_guest_callback (32-bit: cs:eip pairs, RPL 0 raised to
 * 1, no syscall type). Unknown types: -ENOSYS.
 */
static long register_callback(struct vcpu *v, unsigned type, unsigned flags, ulong address,
			      uint16_t cs)
{
#if STUB_BITS == 64
	(void)cs;
	if (!gc_canonical(address))
		return -XEN_EINVAL;
#else
	if ((cs & 3) == 0)
		cs |= 1;
#endif
	switch (type) {
	case CALLBACKTYPE_event:
		v->cb.event_address = address;
		v->cb.event_cs = cs;
		return 0;
	case CALLBACKTYPE_failsafe:
		v->cb.failsafe_address = address;
		v->cb.failsafe_cs = cs;
		set_mask_flag(v, type, flags);
		return 0;
#if STUB_BITS == 64
	case CALLBACKTYPE_syscall:
		v->cb.syscall_address = address;
		set_mask_flag(v, type, flags);
		return 0;
#endif
	case CALLBACKTYPE_syscall32:
		v->cb.syscall32_address = address;
		v->cb.syscall32_cs = cs;
		set_mask_flag(v, type, flags);
		return 0;
	case CALLBACKTYPE_sysenter:
		/*
		 * The stub does not deliver SYSENTER (its MSRs stay 0: the
		 * instruction gives #GP), so the callback is refused rather
		 * than accepted and never called: Linux then clears its
		 * SYSENTER feature and uses syscall or int $0x80 (2.6.18-xen's
		 * enable_sep_cpu and ia32 setup, upstream xen_enable_sysenter).
		 */
		trace(TRACE_HYPERCALLS, "callback_op: the sysenter callback is not supported (refused)");
		return -XEN_ENOSYS;
	case CALLBACKTYPE_nmi:
		set_nmi_callback(v, address);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

/* CALLBACKOP_unregister: only the NMI callback can go; the others are -EINVAL. */
static long unregister_callback(struct vcpu *v, unsigned type)
{
	switch (type) {
	case CALLBACKTYPE_event:
	case CALLBACKTYPE_failsafe:
#if STUB_BITS == 64
	case CALLBACKTYPE_syscall:
#endif
	case CALLBACKTYPE_syscall32:
	case CALLBACKTYPE_sysenter:
		return -XEN_EINVAL;
	case CALLBACKTYPE_nmi:
		memset(&v->traps[X86_NMI], 0, sizeof(v->traps[X86_NMI]));
		v->cb.nmi_address = 0;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

long do_callback_op(HC_ARGS)
{
	struct vcpu *v = current();
	int cmd = (int)a1;

	switch (cmd) {
	case CALLBACKOP_register: {
		struct callback_register reg;
		if (copy_from_guest(&reg, a2, sizeof(reg)))
			return -XEN_EFAULT;
#if STUB_BITS == 64
		return register_callback(v, reg.type, reg.flags, reg.address, 0);
#else
		return register_callback(v, reg.type, reg.flags, reg.address.eip,
					 (uint16_t)reg.address.cs);
#endif
	}
	case CALLBACKOP_unregister: {
		struct callback_unregister unreg;
		if (copy_from_guest(&unreg, a2, sizeof(unreg)))
			return -XEN_EFAULT;
		return unregister_callback(v, unreg.type);
	}
	default:
		return STUB_BITS == 64 ? -XEN_ENOSYS : -XEN_EINVAL;  /* compat_callback_op differs */
	}
}

/*
 * The legacy call: 64-bit (event, failsafe, syscall) addresses, 32-bit
 * (event cs, eip, failsafe cs, eip). Each is registered with flags 0;
 * errors are ignored and the result is always 0, as on Xen.
 */
long do_set_callbacks(HC_ARGS)
{
	struct vcpu *v = current();
#if STUB_BITS == 64
	register_callback(v, CALLBACKTYPE_event, 0, a1, 0);
	register_callback(v, CALLBACKTYPE_failsafe, 0, a2, 0);
	register_callback(v, CALLBACKTYPE_syscall, 0, a3, 0);
#else
	register_callback(v, CALLBACKTYPE_event, 0, a2, (uint16_t)a1);
	register_callback(v, CALLBACKTYPE_failsafe, 0, a4, (uint16_t)a3);
#endif
	return 0;
}

/* ---------------------------------------------------------------- FPU: virtual CR0.TS */

static inline ulong read_cr0(void)
{
	ulong v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/*
 * fpu_taskswitch(set): the guest's CR0.TS. The stub never uses the FPU,
 * so the real CR0.TS simply follows the virtual one: the next FPU
 * instruction raises #NM, which fpu_nm_fault() turns into Xen's behaviour.
 */
long do_fpu_taskswitch(HC_ARGS)
{
	struct vcpu *v = current();
	if ((int)a1) {
		v->cb.fpu_ts = true;
		__asm__ volatile("mov %0, %%cr0" : : "r"(read_cr0() | X86_CR0_TS));
	} else {
		v->cb.fpu_ts = false;
		__asm__ volatile("clts");
	}
	return 0;
}

/* Xen's do_device_not_available: TS is always cleared when the #NM is delivered. */
void fpu_nm_fault(struct vcpu *v, const struct regs *r)
{
	if (!v->cb.fpu_ts)
		domain_crash(r, "#NM but the virtual CR0.TS is clear");
	__asm__ volatile("clts");
	v->cb.fpu_ts = false;
}

/* ---------------------------------------------------------------- debug registers */

static const struct gc_dr_policy *dr_policy(void)
{
	static struct gc_dr_policy p;
	static bool known;
	if (!known) {
		uint32_t o[4];
		cpuid_for_guest(0, 0, o);
		if (o[0] >= 7) {
			cpuid_for_guest(7, 0, o);
			p.rtm = (o[1] >> 11) & 1;
			p.bld = (o[2] >> 24) & 1;
		}
		known = true;
	}
	return &p;
}

static void dr_init(struct vcpu *v)
{
	if (v->cb.dr_init)
		return;
	v->cb.debugreg[6] = GC_DR6_DEFAULT;
	v->cb.debugreg[7] = GC_DR7_DEFAULT;
	v->cb.dr_init = true;
}

static void write_dr(unsigned i, ulong val)
{
	switch (i) {
	case 0: __asm__ volatile("mov %0, %%db0" : : "r"(val)); break;
	case 1: __asm__ volatile("mov %0, %%db1" : : "r"(val)); break;
	case 2: __asm__ volatile("mov %0, %%db2" : : "r"(val)); break;
	case 3: __asm__ volatile("mov %0, %%db3" : : "r"(val)); break;
	case 6: __asm__ volatile("mov %0, %%db6" : : "r"(val)); break;
	case 7: __asm__ volatile("mov %0, %%db7" : : "r"(val)); break;
	}
}

static ulong read_dr(unsigned i)
{
	ulong val = 0;
	if (i == 6)
		__asm__ volatile("mov %%db6, %0" : "=r"(val));
	else if (i == 7)
		__asm__ volatile("mov %%db7, %0" : "=r"(val));
	return val;
}

/*
 * The guest's debug registers are the real ones (the stub is the only
 * other user of this vCPU): breakpoints stay armed in the stub too, which
 * debug_fault_in_stub() copes with, as Xen does.
 */
long do_set_debugreg(HC_ARGS)
{
	struct vcpu *v = current();
	unsigned slot;
	uint64_t val;
	int rc = gc_check_debugreg((unsigned)(int)a1, a2, false, dr_policy(), STUB_BITS, &slot,
				   &val);
	if (rc)
		return rc;
	dr_init(v);
	v->cb.debugreg[slot] = (ulong)val;
	write_dr(slot, (ulong)val);
	return 0;
}

long do_get_debugreg(HC_ARGS)
{
	struct vcpu *v = current();
	int slot = gc_debugreg_slot((unsigned)(int)a1, false);
	if (slot < 0)
		return -XEN_ENODEV;
	dr_init(v);
	return (long)v->cb.debugreg[slot];
}

void debug_fault_from_guest(struct vcpu *v)
{
	ulong hw = read_dr(6);
	write_dr(6, GC_DR6_DEFAULT);
	dr_init(v);
	v->cb.debugreg[6] = gc_dr6_merge((uint32_t)v->cb.debugreg[6], (uint32_t)hw, dr_policy());
}

/*
 * Xen's handle_DB in hypervisor context: data breakpoints are traps, so
 * carry on; an instruction breakpoint would fault forever, so disarm
 * everything (the guest may not point one at the stub, see gc_check_debugreg).
 */
void debug_fault_in_stub(struct regs *r)
{
	ulong hw = read_dr(6);
	write_dr(6, GC_DR6_DEFAULT);
	r->flags &= ~X86_EFLAGS_TF;
	if (gc_dr_insn_breakpoint_hit((uint32_t)read_dr(7), (uint32_t)hw) >= 0)
		write_dr(7, 0);
	trace(TRACE_TRAPS, "#DB in the stub at %lx (dr6 %lx): ignored, as Xen does",
	      (ulong)r->ip, hw);
}

/* ---------------------------------------------------------------- segment bases (64-bit) */

#if STUB_BITS == 64
/*
 * Load %gs with a guest selector. One the CPU refuses (fixup in
 * callback_fixup_exception) loads NUL instead, through a flat selector
 * first so that AMD clears the base too, as Xen's fixup does.
 */
bool stub_load_gs(unsigned sel);
extern char stub_load_gs_insn[], stub_load_gs_fixup[];
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".pushsection .text\n"
	".globl stub_load_gs, stub_load_gs_insn, stub_load_gs_fixup\n"
	"stub_load_gs:\n"
	"	movl $1, %eax\n"
	"stub_load_gs_insn:\n"
	"	movl %edi, %gs\n"
	"	ret\n"
	"stub_load_gs_fixup:\n"
	"	movl $" STR(FLAT_USER_DS32) ", %ecx\n"
	"	movl %ecx, %gs\n"
	"	xorl %eax, %eax\n"
	"	movl %eax, %gs\n"
	"	ret\n"
	".popsection");

/*
 * SEGBASE_GS_USER_SEL: the user %gs selector (kernel and user share the
 * selector register; the bases are what differ). The load rewrites
 * GS_BASE, which in kernel mode is the kernel's: read the new user base
 * from it and put the kernel's back. NUL selectors go through a flat one
 * so the base ends up 0 on AMD too. Errors load NUL and still return 0
 * (Linux BUG()s otherwise, says Xen).
 */
static void load_user_gs_selector(struct vcpu *v, unsigned sel)
{
	uint64_t kernel_base = rdmsr64(MSR_GS_BASE);
	if (sel > 3)
		sel |= 3;
	else
		stub_load_gs(FLAT_USER_DS32);
	if (!stub_load_gs(sel))
		trace(TRACE_HYPERCALLS, "set_segment_base: user %%gs %x refused, NUL loaded", sel);
	v->cb.gs_base_user = rdmsr64(MSR_GS_BASE);
	wrmsr64(MSR_GS_BASE, kernel_base);
}
#endif

/*
 * 64-bit only (32-bit guests get -ENOSYS). Hypercalls come from guest
 * kernel mode, where GS_BASE holds the kernel's base and the user's waits
 * in v->cb.gs_base_user (arch_toggle_guest_mode swaps them).
 */
long do_set_segment_base(HC_ARGS)
{
#if STUB_BITS == 64
	struct vcpu *v = current();
	unsigned which = (unsigned)a1;
	ulong base = a2;

	switch (which) {
	case SEGBASE_FS:
	case SEGBASE_GS_USER:
	case SEGBASE_GS_KERNEL:
		if (!gc_canonical(base))
			return -XEN_EINVAL;
		if (which == SEGBASE_FS) {
			wrmsr64(MSR_FS_BASE, base);
			v->cb.fs_base = base;
		} else if (which == SEGBASE_GS_USER) {
			v->cb.gs_base_user = base;
		} else {
			wrmsr64(MSR_GS_BASE, base);
			v->cb.gs_base_kernel = base;
		}
		return 0;
	case SEGBASE_GS_USER_SEL:
		load_user_gs_selector(v, (uint16_t)base);
		return 0;
	default:
		return -XEN_EINVAL;
	}
#else
	return -XEN_ENOSYS;
#endif
}

/* ---------------------------------------------------------------- the failsafe callback */

/*
 * The instructions of the exit path that can fault on guest state: the
 * 32-bit segment reloads (pop %ds..%gs, entry32.S) and the final iret
 * (in long mode, the 32-bit stub's is an iretq 40 bytes below its frame).
 * Index k: 0-3 = ds, es, fs, gs; 4 = iret.
 */
extern char stub_iret_insn[];
#if STUB_BITS == 32
extern char stub_exit_pop_ds[], stub_exit_pop_es[], stub_exit_pop_fs[], stub_exit_pop_gs[];
extern char stub_iretq_insn[];
#define IRETQ_FRAME_BYTES 40
#endif

static int exit_insn_index(ulong ip)
{
#if STUB_BITS == 32
	const char *pops[4] = { stub_exit_pop_ds, stub_exit_pop_es, stub_exit_pop_fs,
				stub_exit_pop_gs };
	for (int k = 0; k < 4; k++)
		if (ip == (ulong)pops[k])
			return k;
	if (ip == (ulong)stub_iretq_insn)
		return 4;
#endif
	return ip == (ulong)stub_iret_insn ? 4 : -1;
}

static const char *const exit_insn_names[5] = {
	"reloading %ds", "reloading %es", "reloading %fs", "reloading %gs", "the iret",
};

/*
 * Returning to the guest faulted (n: the stub's frame for that fault).
 * Rebuild the guest state being returned to: the general registers were
 * already popped (they are in n), the segment selectors were popped up to
 * the faulting one, the rest is still in the exit frame at the top of the
 * stack. Then do what Xen 4.17 does:
 *  - the iret itself: the fault is the guest's, at the iret's target (Xen
 *    since 4.7; before, it went to the failsafe callback): delivered
 *    through the trap table, which crashes a domain without a handler;
 *  - a segment reload (32-bit only: the 64-bit stub never touches the
 *    guest's data segments), as Xen's load_segments(): the refused
 *    selector loads NUL, the others as they are, and the failsafe callback
 *    gets the selectors that were meant, on its frame
 *      ds, es, fs, gs, eip, cs, eflags[, esp, ss]
 *    (Linux's xen_failsafe_callback reloads them; one it cannot load was
 *    the bad one). Without a failsafe callback the domain crashes.
 */
static __attribute__((noreturn)) void exit_fault(struct regs *n, unsigned k)
{
	struct vcpu *v = current();
	struct regs *f = (struct regs *)(v->stack_top - sizeof(*f));
	struct regs g = *n;
#if STUB_BITS == 32
	/* A ring-0 fault pushes no esp: the frame ends at the esp of the fault. */
	ulong want = k < 4 ? (ulong)(&f->ds + k) : (ulong)&f->ip;
	if (n->ip == (ulong)stub_iretq_insn)
		want -= IRETQ_FRAME_BYTES;
	if ((ulong)&n->sp != want)
		panic_regs(n, "fault %s outside the guest exit frame", exit_insn_names[k]);
	uint32_t *segs = &g.ds;
	for (unsigned i = k; i < 4; i++)
		segs[i] = (&f->ds)[i];          /* not reloaded yet */
#else
	if (n->sp != (ulong)&f->ip)
		panic_regs(n, "fault %s outside the guest exit frame", exit_insn_names[k]);
#endif
	g.ip = f->ip;
	g.cs = f->cs;
	g.flags = f->flags;
	g.sp = f->sp;
	g.ss = f->ss;
	g.vector = g.error_code = 0;
	trace(TRACE_TRAPS, "%s faulted (vector %lu, error code %lx) returning to %lx:%lx",
	      exit_insn_names[k], (ulong)n->vector, (ulong)n->error_code, (ulong)g.cs, (ulong)g.ip);

	if (k == 4) {
		deliver_trap(v, &g, (unsigned)n->vector, true, (uint32_t)n->error_code);
	} else {
#if STUB_BITS == 32
		if (!v->cb.failsafe_address)
			domain_crash(n, "%s with selector %x on return to the guest faulted (vector "
				     "%lu, error code %lx) and no failsafe callback",
				     exit_insn_names[k], segs[k], (ulong)n->vector,
				     (ulong)n->error_code);
		/* Another refused selector on the way into the failsafe callback: no new frame. */
		if (g.ip != v->cb.failsafe_address || g.cs != v->cb.failsafe_cs) {
			uint32_t meant[4] = { segs[0], segs[1], segs[2], segs[3] };
			create_bounce_frame(v, &g, v->cb.failsafe_address, v->cb.failsafe_cs,
					    v->cb.flags & (1u << CALLBACKTYPE_failsafe), false, 0);
			g.sp -= sizeof(meant);
			if (copy_to_guest(g.sp, meant, sizeof(meant)))
				domain_crash(n, "cannot write the failsafe frame at %lx", (ulong)g.sp);
		}
		segs[k] = 0;
#endif
	}
	evtchn_check_upcall(v, &g);
	arch_enter_guest(v, &g);
}

bool callback_fixup_exception(struct regs *r)
{
#if STUB_BITS == 64
	if (r->ip == (ulong)stub_load_gs_insn) {
		r->ip = (ulong)stub_load_gs_fixup;
		return true;
	}
#endif
	int k = exit_insn_index(r->ip);
	if (k < 0)
		return false;
	exit_fault(r, (unsigned)k);
}
