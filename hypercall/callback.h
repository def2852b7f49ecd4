/* callback.h — per-vCPU guest callbacks and CPU state the guest sets through hypercalls. */
#ifndef STUB_CALLBACK_H
#define STUB_CALLBACK_H
#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct regs;

struct vcpu_cb {
	/*
	 * callback_op / set_callbacks (CALLBACKTYPE_*); address 0 = not
	 * registered. The NMI callback is traps[X86_NMI] (as on Xen);
	 * nmi_address mirrors it.
	 */
	unsigned long event_address, failsafe_address, syscall_address;
	unsigned long syscall32_address, nmi_address;
	uint16_t event_cs, failsafe_cs, syscall32_cs;                 /* 32-bit guests */
	/*
	 * CALLBACKF_mask_events per type, bit = type: failsafe, syscall,
	 * syscall32, sysenter. Event upcalls always mask events (Xen ignores
	 * the flag for them).
	 */
	uint16_t flags;
	/* set_segment_base (64-bit) */
	uint64_t fs_base, gs_base_kernel, gs_base_user;
	/* set_debugreg / get_debugreg: DR0-3, DR6, DR7 (4/5 unused); valid once dr_init */
	unsigned long debugreg[8];
	bool dr_init;
	/* fpu_taskswitch: CR0.TS as the guest sees it (the real CR0.TS follows it) */
	bool fpu_ts;
	/* set_iopl (physdev_op): virtual IOPL 0-3 */
	unsigned iopl;
	/* set_iobitmap (physdev_op): guest address of the I/O bitmap (0 = none), ports covered */
	unsigned long iobmp;
	unsigned iobmp_nr;
	/* multicall.c: a multicall is running (no nesting) */
	bool in_multicall;
};

/* Hooks for traps.c (implemented in callback.c). */

/* #NM from the guest: Xen clears the virtual CR0.TS, then the #NM is delivered. */
void fpu_nm_fault(struct vcpu *v, const struct regs *r);
/* #DB from the guest: merge the hardware DR6 into the virtual DR6 (then deliver). */
void debug_fault_from_guest(struct vcpu *v);
/* #DB in the stub (a guest data breakpoint on memory the stub touched): noted, ignored. */
void debug_fault_in_stub(struct regs *r);
/*
 * A fault in the stub on one of its own fixable instructions: loading a
 * guest %gs selector, or returning to the guest (segment reloads, iret),
 * which goes to the guest's failsafe callback or crashes the domain.
 * False if r->ip is none of them.
 */
bool callback_fixup_exception(struct regs *r);

#endif
