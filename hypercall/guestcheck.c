/* guestcheck.c — pure checks of guest-supplied values, as Xen makes them (see guestcheck.h). */
#include "guestcheck.h"
#include <xen/xen.h>
#include <xen/errno.h>
#include <xenner/hostabi.h>

/* The hypervisor holes: 64-bit L4 slots 256-271, 32-bit PAE from 0xF5800000. */
#define HOLE64_END   0xffff880000000000ull
#define HOLE32_START ((uint64_t)XEN32_HYPERVISOR_VIRT_START)
#if defined(__x86_64__)
_Static_assert(HOLE64_END == HYPERVISOR_VIRT_END, "xen-x86_64.h");
#else
_Static_assert(HOLE32_START == HYPERVISOR_VIRT_START_PAE, "xen-x86_32.h");
#endif

/* Debug register bits (architectural; Xen's x86-defns.h names). */
#define DR6_BP_MASK   0x0000000fu       /* B0-B3 */
#define DR6_BLD       (1u << 11)        /* inverted polarity */
#define DR6_BD        (1u << 13)
#define DR6_BS        (1u << 14)
#define DR6_BT        (1u << 15)
#define DR6_RTM       (1u << 16)        /* inverted polarity */
#define DR6_ZEROS     0x00001000u
#define DR6_KNOWN     (DR6_BP_MASK | DR6_BLD | DR6_BD | DR6_BS | DR6_BT | DR6_RTM)
#define DR7_RTM       (1u << 11)
#define DR7_GD        (1u << 13)
#define DR7_ZEROS     0x0000d000u
#define DR7_ACTIVE    0xffu             /* L0-L3, G0-G3 */
#define DR7_RW_SHIFT  16
#define DR7_RW_IO     2u
#define DR7_RW_EXEC   0u

bool gc_canonical(uint64_t va)
{
	return ((int64_t)va >> 47) == ((int64_t)va >> 63);
}

bool gc_guest_array_ok(uint64_t va, uint64_t count, uint64_t size, unsigned bits)
{
	if (bits == 64)
		return count < UINT64_MAX / size && (va < (1ull << 47) || va >= HOLE64_END);
	if (count >= UINT32_MAX / size)
		return false;
	uint64_t bytes = count * size;
	return va + (bytes ? bytes - 1 : 0) < HOLE32_START;
}

/*
 * Breakpoint addresses: 64-bit as Xen (lower half, or above the hole);
 * 32-bit below the hole, as the 32-bit hypervisor had it: the stub lives
 * there, and an instruction breakpoint in the stub would fault forever.
 */
static bool breakpoint_addr_ok(uint64_t va, unsigned bits)
{
	if (bits == 64)
		return va < (1ull << 47) || va >= HOLE64_END;
	return va < HOLE32_START;
}

static uint32_t dr6_adjust(uint32_t dr6, const struct gc_dr_policy *p)
{
	uint32_t ones = GC_DR6_DEFAULT;
	if (p->rtm)
		ones &= ~DR6_RTM;
	if (p->bld)
		ones &= ~DR6_BLD;
	return (dr6 | ones) & ~DR6_ZEROS;
}

static uint32_t dr7_adjust(uint32_t dr7, const struct gc_dr_policy *p)
{
	uint32_t zeros = DR7_ZEROS | (p->rtm ? 0 : DR7_RTM);
	return (dr7 & ~zeros) | GC_DR7_DEFAULT;
}

int gc_check_debugreg(unsigned reg, uint64_t value, bool cr4_de,
		      const struct gc_dr_policy *p, unsigned bits,
		      unsigned *slot, uint64_t *out)
{
	switch (reg) {
	case 0: case 1: case 2: case 3:
		if (!breakpoint_addr_ok(value, bits))
			return -XEN_EPERM;
		*slot = reg;
		*out = value;
		return 0;
	case 4:
	case 6:
		if (reg == 4 && cr4_de)
			return -XEN_ENODEV;
		if (value >> 32)
			return -XEN_EINVAL;
		*slot = 6;
		*out = dr6_adjust((uint32_t)value, p);
		return 0;
	case 5:
	case 7: {
		if (reg == 5 && cr4_de)
			return -XEN_ENODEV;
		if (value >> 32)
			return -XEN_EINVAL;
		uint32_t v = dr7_adjust((uint32_t)value, p);
		if (v & DR7_GD)
			return -XEN_EPERM;
		/* I/O breakpoints need CR4.DE; Xen looks at all four RW fields once any is enabled. */
		if ((v & DR7_ACTIVE) && !cr4_de)
			for (unsigned i = DR7_RW_SHIFT; i < 32; i += 4)
				if (((v >> i) & 3) == DR7_RW_IO)
					return -XEN_EPERM;
		*slot = 7;
		*out = v;
		return 0;
	}
	default:
		return -XEN_ENODEV;
	}
}

int gc_debugreg_slot(unsigned reg, bool cr4_de)
{
	switch (reg) {
	case 0: case 1: case 2: case 3: case 6: case 7:
		return (int)reg;
	case 4:
	case 5:
		return cr4_de ? -1 : (int)reg + 2;
	default:
		return -1;
	}
}

uint32_t gc_dr6_merge(uint32_t dr6, uint32_t hw_dr6, const struct gc_dr_policy *p)
{
	uint32_t hit = (hw_dr6 ^ GC_DR6_DEFAULT) & DR6_KNOWN;  /* positive polarity */
	dr6 ^= GC_DR6_DEFAULT;
	dr6 = (dr6 & ~DR6_BP_MASK) | hit;
	dr6 ^= GC_DR6_DEFAULT;
	return dr6_adjust(dr6, p);
}

int gc_dr_insn_breakpoint_hit(uint32_t dr7, uint32_t hw_dr6)
{
	for (unsigned bp = 0; bp < 4; bp++)
		if ((hw_dr6 & (1u << bp)) && (dr7 & (3u << (bp * 2))) &&
		    ((dr7 >> (DR7_RW_SHIFT + bp * 4)) & 3) == DR7_RW_EXEC)
			return (int)bp;
	return -1;
}

#define RFLAGS_RING3 (0x1ull | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4000 | \
		      0x40000 | 0x200000)       /* CF PF AF ZF SF TF DF OF NT AC ID */

uint64_t gc_ring3_rflags(uint64_t r11)
{
	return (r11 & RFLAGS_RING3) | 0x200 /* IF */ | 0x2;
}

unsigned gc_iret32_words(unsigned cpl, uint32_t cs)
{
	unsigned rpl = cs & 3;
	if ((cs & 0xfffc) == 0 || rpl < cpl)
		return 0;
	return rpl == cpl ? 3 : 5;
}

enum gc_mc_next gc_multicall_next(unsigned long op, bool frame_rewritten, bool kernel_mode)
{
	if (op == __HYPERVISOR_iret || frame_rewritten)
		return GC_MC_EXIT;
	return kernel_mode ? GC_MC_CONTINUE : GC_MC_PREEMPT;
}
