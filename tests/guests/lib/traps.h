/* traps.h — exception handling for the test guests: trap table, frame decoding, dispatch. */
#ifndef GUEST_TRAPS_H
#define GUEST_TRAPS_H

#include "guest.h"

#define TRAP_NR_VECTORS 20

/*
 * What trap64.S/trap32.S push below the Xen frame, lowest address first;
 * frame points at the frame exactly as Xen delivered it.
 */
struct trap_regs {
	unsigned long vector, has_err;
	unsigned long *frame;
#ifdef __x86_64__
	unsigned long r15, r14, r13, r12, r10, r9, r8, rbp, rdi, rsi, rdx, rbx, rax;
#else
	unsigned long edi, esi, ebp, esp, ebx, edx, ecx, eax;	/* pushal */
#endif
};

/*
 * One decoded exception frame.
 *   pv64: rcx, r11, [err], rip, cs, rflags, rsp, ss   (8-byte words)
 *   pv32: [err], eip, cs, eflags                       (ring 1 -> ring 1)
 * The cs word carries saved_upcall_mask above the selector (bits 32-39 on
 * pv64, 16-23 on pv32, as in struct cpu_user_regs); its other upper bits
 * are unspecified.
 */
struct trap_ctx {
	unsigned int vector;
	bool has_err;
	struct trap_regs *regs;
	unsigned long *frame;		/* the raw frame */
	unsigned long frame_top;	/* first byte above the frame */
	unsigned long err;		/* 0 when !has_err */
	unsigned long rip;
	unsigned long *rip_slot;	/* write here to resume elsewhere */
	unsigned long cs_word;		/* raw */
	uint16_t cs;			/* selector part of cs_word */
	uint8_t saved_upcall_mask;	/* mask part of cs_word */
	unsigned long rflags;
	unsigned long rcx, r11, rsp, ss;	/* pv64 only */
	bool iret_hypercall;		/* pv32: leave with HYPERVISOR_iret (default), else iret */
};

typedef void (*trap_handler_fn)(struct trap_ctx *t);

/*
 * Route vector to fn. mask_events sets the trap_info 'IF' flag (TI_SET_IF):
 * Xen then sets evtchn_upcall_mask on entry, like an interrupt gate.
 * Vectors without a handler report an unexpected trap and fail the test.
 */
void trap_set_handler(unsigned int vector, trap_handler_fn fn, bool mask_events);

/* set_trap_table with an entry for every vector 0..19; returns its result. */
long traps_install(void);

const char *trap_name(unsigned int vector);

#endif
