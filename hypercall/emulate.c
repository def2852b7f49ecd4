/* emulate.c — instructions the stub emulates for the guest: the forced-emulation cpuid. */
#include "stub.h"
#include <xenner/features.h>

#define XEN_CPUID_FIRST_LEAF 0x40000000u

static void native_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
}

/* CPUID as a Xen PV guest sees it: Xen's leaves at 0x40000000, the rest from KVM. */
void cpuid_for_guest(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	if ((leaf & 0xffff0000u) == XEN_CPUID_FIRST_LEAF) {
		memset(out, 0, 4 * sizeof(uint32_t));
		switch (leaf - XEN_CPUID_FIRST_LEAF) {
		case 0:
			out[0] = XEN_CPUID_FIRST_LEAF + 2;       /* last Xen leaf we answer */
			memcpy(&out[1], "XenV", 4);
			memcpy(&out[2], "MMXe", 4);
			memcpy(&out[3], "nVMM", 4);
			break;
		case 1:
			out[0] = XENNER_XEN_MAJOR << 16 | XENNER_XEN_MINOR;
			break;
		case 2:
			out[0] = 1;                     /* hypercall transfer pages */
			out[1] = 0x40000000;            /* MSR base (unused by PV guests) */
			break;
		}
		return;
	}
	native_cpuid(leaf, subleaf, out);
}

/* ud2; .ascii "xen"; cpuid — Xen's forced-emulation prefix (XEN_EMULATE_PREFIX). */
bool emulate_forced_cpuid(struct regs *r)
{
	static const uint8_t prefix[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
	uint8_t insn[sizeof(prefix)];
	if (copy_from_guest(insn, r->ip, sizeof(insn)) || memcmp(insn, prefix, sizeof(prefix)))
		return false;
	uint32_t out[4];
#if STUB_BITS == 64
	cpuid_for_guest((uint32_t)r->rax, (uint32_t)r->rcx, out);
	r->rax = out[0]; r->rbx = out[1]; r->rcx = out[2]; r->rdx = out[3];
#else
	cpuid_for_guest(r->eax, r->ecx, out);
	r->eax = out[0]; r->ebx = out[1]; r->ecx = out[2]; r->edx = out[3];
#endif
	r->ip += sizeof(prefix);
	return true;
}
