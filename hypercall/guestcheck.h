/* guestcheck.h — pure checks of guest-supplied values (debug registers, segment bases, guest arrays, multicall). */
#ifndef STUB_GUESTCHECK_H
#define STUB_GUESTCHECK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Everything here is a function of its arguments only (no stub state), so
 * it is shared by both stub images and unit-tested on the host
 * (tests/unit/test_guestcheck.c). `bits` is the guest's width, 64 or 32.
 */

/* Xen's is_canonical_address(): 48-bit canonical. */
bool gc_canonical(uint64_t va);

/*
 * Xen's guest_handle_okay(): may a guest array of count elements of size
 * bytes start at va? 64-bit: count * size must not overflow and the start
 * must be in the lower half or above the hypervisor hole (the accesses
 * themselves fault past that). 32-bit (compat): the whole array must end
 * below the hole.
 */
bool gc_guest_array_ok(uint64_t va, uint64_t count, uint64_t size, unsigned bits);

/* CPUID features that change which debug-register bits are reserved. */
struct gc_dr_policy {
	bool rtm;               /* CPUID.7.0:EBX[11] */
	bool bld;               /* CPUID.7.0:ECX[24], bus-lock detect */
};

#define GC_DR6_DEFAULT 0xffff0ff0u
#define GC_DR7_DEFAULT 0x00000400u

/*
 * set_debugreg(reg, value) as Xen's set_debugreg() judges it: 0 with the
 * register to store (*slot: 0-3, 6 or 7; DR4/DR5 alias DR6/DR7 while
 * CR4.DE is clear) and its value (reserved bits adjusted), or -XEN_EPERM
 * (breakpoint address in the hypervisor hole, DR7.GD, I/O breakpoints
 * without CR4.DE), -XEN_EINVAL (upper 32 bits of DR6/DR7 set), -XEN_ENODEV
 * (no such register, or DR4/DR5 with CR4.DE).
 */
int gc_check_debugreg(unsigned reg, uint64_t value, bool cr4_de,
		      const struct gc_dr_policy *p, unsigned bits,
		      unsigned *slot, uint64_t *out);

/* get_debugreg(reg): the slot to read (as above), or -1 (Xen: -ENODEV). */
int gc_debugreg_slot(unsigned reg, bool cr4_de);

/*
 * A #DB the hardware reported with hw_dr6: the guest's new virtual DR6
 * (Xen's x86_merge_dr6: the breakpoint bits are replaced, others accumulate).
 */
uint32_t gc_dr6_merge(uint32_t dr6, uint32_t hw_dr6, const struct gc_dr_policy *p);

/* The index of a DR7-enabled instruction breakpoint among the DR6 hits, or -1. */
int gc_dr_insn_breakpoint_hit(uint32_t dr7, uint32_t hw_dr6);

/*
 * Multicall: after an entry ran, continue with the next one, stop and
 * return (after an iret, or any call that rewrote the guest's frame), or
 * stop because the vCPU left guest kernel mode (Xen then preempts).
 */
enum gc_mc_next { GC_MC_CONTINUE, GC_MC_EXIT, GC_MC_PREEMPT };
enum gc_mc_next gc_multicall_next(unsigned long op, bool frame_rewritten, bool kernel_mode);

/*
 * The rflags of a ring-3 `syscall` whose saved r11 the stub cannot trust
 * (kvm_pvm's syscall arrives as a #PF at LSTAR's target, and a guest can
 * jump there with any r11): only what ring-3 code can hold, the arithmetic
 * flags, TF, DF, NT, AC and ID, with IF and bit 1 set, as the CPU would
 * have saved them. Never IOPL or VM: the stub irets with these.
 */
uint64_t gc_ring3_rflags(uint64_t r11);

/*
 * A 32-bit guest's own iret at privilege cpl (1 or 3) to code selector cs:
 * the doublewords it pops (3 to the same ring; 5, with esp and ss, to an
 * outer one), or 0 where the CPU refuses cs before reading more (a null
 * selector, an inner ring). The doubleword's upper half is not the
 * selector's (Xen keeps the saved event mask there in bounce frames).
 */
unsigned gc_iret32_words(unsigned cpl, uint32_t cs);

#endif
