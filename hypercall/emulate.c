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

#include "pv_cpuid.h"

/* Xen's PV policy: only features Xen offers every guest ('A'); OSXSAVE follows CR4. */
static void apply_pv_policy(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	for (unsigned i = 0; i < ARRAY_SIZE(pv_cpuid_masks); i++) {
		const struct pv_cpuid_mask *m = &pv_cpuid_masks[i];
		if (m->leaf == leaf && (m->subleaf == 0xffffffffu || m->subleaf == subleaf))
			out[m->reg] &= m->mask;
	}
	if (leaf == 1) {
		const struct vcpu *v = current();
		out[2] &= ~(1u << 27);                  /* OSXSAVE */
		if (v && (v->guest_cr4 & 0x40000ul))
			out[2] |= 1u << 27;
		out[2] |= 1u << 31;                     /* hypervisor present */
		out[1] &= 0x00ffffffu;                  /* initial APIC ID: 0 for PV, as Xen */
	}
#if STUB_BITS == 32
	/*
	 * A 32-bit PV guest sees no long mode, and none of the fast system
	 * calls the stub does not deliver: SYSCALL (Xen hides it from 32-bit
	 * PV guests on Intel, where legacy mode has none) and SYSENTER (Xen
	 * clears it on AMD and Hygon, whose CPUs have no SYSENTER outside
	 * legacy mode, so 32-bit PV guests already live without it). A guest that
	 * believed them (2.6.18-xen registers a sysenter callback and gives
	 * its vDSO sysenter when SEP is set) would see #GP on every system
	 * call; without them it uses int $0x80.
	 */
	if (leaf == 1)
		out[3] &= ~(1u << 11);                  /* SEP */
	if (leaf == 0x80000001u)
		out[3] &= ~(1u << 11 | 1u << 29);       /* SYSCALL, LM */
#endif
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
	apply_pv_policy(leaf, subleaf, out);
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

/*
 * fnclex (DB E2) or fclex (9B DB E2) that faulted #UD: kvm_pvm runs
 * 32-bit code in KVM's emulator, which lacks it (xenner turns that into
 * #UD), and Linux i386 saves a task's FPU state with fxsave; fnclex. Done
 * through fxsave and fxrstor, which it has: clear the exception flags,
 * the stack fault and busy bits of the x87 status word. With the guest's
 * CR0.TS set, the guest gets the #NM an x87 instruction raises. No CPU
 * raises #UD for these otherwise, so this is safe on every host.
 */
#define FXSAVE_FSW 2
#define FSW_CLEARED 0x80ffu     /* B, ES, SF, PE UE OE ZE DE IE */

bool emulate_fnclex(struct vcpu *v, struct regs *r)
{
	uint8_t insn[4];
	unsigned len = 0;
	if (copy_from_guest(insn, r->ip, 3) != 0)
		return false;
	if (insn[0] == 0xdb && insn[1] == 0xe2)
		len = 2;
	else if (insn[0] == 0x9b && insn[1] == 0xdb && insn[2] == 0xe2)
		len = 3;
	if (!len)
		return false;
	if (v->cb.fpu_ts) {
		fpu_nm_fault(v, r);
		deliver_trap(v, r, X86_NM, false, 0);
		return true;
	}
	uint8_t area[512 + 16];
	uint8_t *fx = (uint8_t *)(((ulong)area + 15) & ~15ul);
	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t (*)[512])fx));
	uint16_t fsw;
	memcpy(&fsw, fx + FXSAVE_FSW, sizeof(fsw));
	fsw &= (uint16_t)~FSW_CLEARED;
	memcpy(fx + FXSAVE_FSW, &fsw, sizeof(fsw));
	__asm__ volatile("fxrstor %0" : : "m"(*(const uint8_t (*)[512])fx));
	r->ip += len;
	return true;
}

/*
 * Privileged instructions a PV kernel executes and Xen emulates from #GP
 * (Xen's emul-priv-op.c): rdmsr/wrmsr of the segment-base MSRs and a few
 * harmless ones, mov to/from control registers, clts, wbinvd/invd, and
 * port I/O or cli/sti when the guest's virtual IOPL allows them. A domU
 * owns no I/O ports: reads see all ones, writes vanish. Anything else is
 * the guest's #GP, as on Xen.
 */
#include "mmu.h"

static inline bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static ulong *reg_ptr(struct regs *r, unsigned n)
{
#if STUB_BITS == 64
	ulong *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->sp, &r->rbp, &r->rsi,
			   &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
			   &r->r14, &r->r15 };
	return map[n & 15];
#else
	ulong *map[8] = { (ulong *)&r->eax, (ulong *)&r->ecx, (ulong *)&r->edx,
			  (ulong *)&r->ebx, (ulong *)&r->sp, (ulong *)&r->ebp,
			  (ulong *)&r->esi, (ulong *)&r->edi };
	return map[n & 7];
#endif
}

static uint64_t msr_arg(struct regs *r)
{
#if STUB_BITS == 64
	return (uint64_t)(uint32_t)r->rdx << 32 | (uint32_t)r->rax;
#else
	return (uint64_t)r->edx << 32 | r->eax;
#endif
}

static void msr_result(struct regs *r, uint64_t v)
{
#if STUB_BITS == 64
	r->rax = (uint32_t)v;
	r->rdx = (uint32_t)(v >> 32);
#else
	r->eax = (uint32_t)v;
	r->edx = (uint32_t)(v >> 32);
#endif
}

/* The host CPU's vendor decides which vMCE capabilities Xen shows; asked once (CPUID exits). */
static bool cpu_is_intel(void)
{
	static int intel = -1;
	if (intel < 0) {
		uint32_t out[4];
		native_cpuid(0, 0, out);
		intel = !memcmp(&out[1], "Genu", 4) && !memcmp(&out[3], "ineI", 4) &&
			!memcmp(&out[2], "ntel", 4);
	}
	return intel;
}

/*
 * Two Intel MSRs Linux reads unguarded at boot (early_init_intel), as
 * Xen's emul-priv-op.c and msr.c give them to a PV guest; on other
 * vendors they stay #GP. Writing the value a read gives is accepted, any
 * other #GP (Xen: UCODE_REV takes only 0, MISC_ENABLE only its value).
 * - IA32_MISC_ENABLE: guest_misc_enable() of a host with fast strings on,
 *   as firmware leaves it. Without the bit Linux clears ERMS but not FSRM,
 *   and its memmove then sends short copies into its 32-byte loop, which
 *   runs until it faults: Debian's 6.1 overran printk's buffer through
 *   .bss into its page tables.
 * - IA32_UCODE_REV: Xen forwards the host's microcode revision, which the
 *   stub cannot see (KVM shows its own): revision 0 here; Linux skips its
 *   microcode checks under a hypervisor. Linux writes 0 to it first.
 */
#define MSR_IA32_UCODE_REV   0x8b
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_GUEST (1ull << 0 /* FAST_STRING */ | 1ull << 11 /* BTS_UNAVAIL */ | \
			   1ull << 12 /* PEBS_UNAVAIL */ | 1ull << 23 /* XTPR_DISABLE */)

static bool intel_msr_read(uint32_t msr, uint64_t *val)
{
	if (!cpu_is_intel())
		return false;
	switch (msr) {
	case MSR_IA32_UCODE_REV:
		*val = 0;
		return true;
	case MSR_IA32_MISC_ENABLE:
		*val = MISC_ENABLE_GUEST;
		return true;
	default:
		return false;
	}
}

static bool emulate_wrmsr(struct vcpu *v, struct regs *r)
{
	uint32_t msr = (uint32_t)*reg_ptr(r, 1);
	uint64_t val = msr_arg(r);
	switch (msr) {
#if STUB_BITS == 64
	case MSR_FS_BASE:
		if (!canonical(val))
			return false;
		wrmsr64(MSR_FS_BASE, val);
		v->cb.fs_base = val;
		return true;
	case MSR_GS_BASE:               /* the current mode's GS base */
		if (!canonical(val))
			return false;
		wrmsr64(MSR_GS_BASE, val);
		if (v->kernel_mode)
			v->cb.gs_base_kernel = val;
		else
			v->cb.gs_base_user = val;
		return true;
	case MSR_KERNEL_GS_BASE:        /* the other mode's (what swapgs would bring) */
		if (!canonical(val))
			return false;
		if (v->kernel_mode)
			v->cb.gs_base_user = val;
		else
			v->cb.gs_base_kernel = val;
		return true;
#endif
	default: {
		uint64_t cur;
		if (intel_msr_read(msr, &cur) && val == cur)
			return true;
		int mce = vmce_wrmsr(&v->vmce, cpu_is_intel(), msr, val);
		if (mce)
			return mce > 0;
		trace(TRACE_TRAPS, "wrmsr %x = %llx refused (#GP)", msr, (unsigned long long)val);
		return false;
	}
	}
}

static bool emulate_rdmsr(struct vcpu *v, struct regs *r)
{
	uint32_t msr = (uint32_t)*reg_ptr(r, 1);
	switch (msr) {
#if STUB_BITS == 64
	case MSR_FS_BASE:
		msr_result(r, rdmsr64(MSR_FS_BASE));
		return true;
	case MSR_GS_BASE:
		msr_result(r, rdmsr64(MSR_GS_BASE));
		return true;
	case MSR_KERNEL_GS_BASE:
		msr_result(r, v->kernel_mode ? v->cb.gs_base_user : v->cb.gs_base_kernel);
		return true;
#endif
	case MSR_EFER:
		msr_result(r, rdmsr64(MSR_EFER));
		return true;
	default: {
		uint64_t val;
		if (intel_msr_read(msr, &val)) {
			msr_result(r, val);
			return true;
		}
		int mce = vmce_rdmsr(&v->vmce, cpu_is_intel(), msr, &val);
		if (mce > 0)
			msr_result(r, val);
		if (mce)
			return mce > 0;
		trace(TRACE_TRAPS, "rdmsr %x refused (#GP)", msr);
		return false;
	}
	}
}

/* Virtual IOPL: port I/O and cli/sti are allowed at the guest kernel's ring or above. */
static bool iopl_ok(const struct vcpu *v, const struct regs *r)
{
#if STUB_BITS == 64
	unsigned cpl = v->kernel_mode ? 1 : 3;
#else
	unsigned cpl = r->cs & 3;
#endif
	return v->cb.iopl >= cpl;
}

static bool emulate_io(struct vcpu *v, struct regs *r, uint8_t op, unsigned size)
{
	if (!iopl_ok(v, r))
		return false;
	if (op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed) {
		ulong *ax = reg_ptr(r, 0);
		ulong mask = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
		*ax = (*ax & ~mask) | mask;     /* no device: all ones */
		if (size == 4)
			*ax &= 0xffffffffu;
	}
	return true;
}

/*
 * CR4 as a PV guest sees it (Xen's pv_fixup_guest_cr4): the host's
 * paging/FPU bits are visible, and only TSD, DE, FSGSBASE and OSXSAVE are
 * the guest's to change; other writes are dropped, as on Xen.
 */
#define CR4_TSD        0x4ul
#define CR4_DE         0x8ul
#define CR4_PAE        0x20ul
#define CR4_MCE        0x40ul
#define CR4_OSFXSR     0x200ul
#define CR4_OSXMMEXCPT 0x400ul
#define CR4_FSGSBASE   0x10000ul
#define CR4_OSXSAVE    0x40000ul
#define CR4_GUEST_MASK (CR4_TSD | CR4_DE | CR4_FSGSBASE | CR4_OSXSAVE)
#define CR4_VISIBLE    (CR4_PAE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

static ulong read_cr4(void)
{
	ulong cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4;
}

static ulong guest_cr4_view(const struct vcpu *v)
{
	return (read_cr4() & CR4_VISIBLE) | (v->guest_cr4 & CR4_GUEST_MASK);
}

static void guest_cr4_write(struct vcpu *v, ulong val)
{
	v->guest_cr4 = val & CR4_GUEST_MASK;
	ulong cr4 = (read_cr4() & ~CR4_GUEST_MASK) | v->guest_cr4;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
}

bool emulate_privileged(struct regs *r);
bool emulate_privileged(struct regs *r)
{
	struct vcpu *v = current();
	uint8_t b[16];
	size_t got = sizeof(b);
	while (got && copy_from_guest(b, r->ip, got))
		got--;
	size_t i = 0;
	unsigned rex = 0;
	bool op16 = false;
	while (i < got && (b[i] == 0x66 || b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x26 ||
			   b[i] == 0x36 || b[i] == 0x64 || b[i] == 0x65)) {
		op16 |= b[i] == 0x66;
		i++;
	}
#if STUB_BITS == 64
	if (i < got && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
#endif
	if (i >= got)
		return false;
	uint8_t op = b[i++];
	unsigned io_size = (op & 1) ? (op16 ? 2 : 4) : 1;
	bool ok = false;
	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:     /* in/out imm8 */
		if (i >= got)
			return false;
		i++;
		ok = emulate_io(v, r, op, io_size);
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:     /* in/out dx */
		ok = emulate_io(v, r, op, io_size);
		break;
	case 0xfa:                                      /* cli */
	case 0xfb:                                      /* sti */
		/*
		 * Allowed under IOPL but a no-op, as on Xen: masking events here
		 * could never be undone by a popf the stub does not see.
		 */
		ok = iopl_ok(v, r);
		break;
	case 0x0f:
		if (i >= got)
			return false;
		op = b[i++];
		switch (op) {
		case 0x30:
			ok = emulate_wrmsr(v, r);
			break;
		case 0x32:
			ok = emulate_rdmsr(v, r);
			break;
		case 0x06:                              /* clts */
			v->cb.fpu_ts = false;
			__asm__ volatile("clts");
			ok = true;
			break;
		case 0x08:                              /* invd */
		case 0x09:                              /* wbinvd */
			ok = true;
			break;
		case 0x20: {                            /* mov %crN, reg */
			if (i >= got)
				return false;
			uint8_t modrm = b[i++];
			unsigned cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
			ulong *dst = reg_ptr(r, (modrm & 7) | ((rex & 1) ? 8 : 0));
			ok = true;
			if (cr == 0) {
				ulong cr0;
				__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
				*dst = (cr0 & ~8ul) | (v->cb.fpu_ts ? 8ul : 0);
			} else if (cr == 2) {
				*dst = v->vcpu_info->arch.cr2;
			} else if (cr == 3) {
				*dst = (ulong)xen_pfn_to_cr3(v->kernel_mode ? v->kernel_pt_mfn
									: v->user_pt_mfn);
			} else if (cr == 4) {
				*dst = guest_cr4_view(v);
			} else {
				ok = false;
			}
			break;
		}
		case 0x22: {                            /* mov reg, %crN */
			if (i >= got)
				return false;
			uint8_t modrm = b[i++];
			unsigned cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
			ulong val = *reg_ptr(r, (modrm & 7) | ((rex & 1) ? 8 : 0));
			if (cr == 0 && !((val ^ 0x80050033ul) & ~8ul)) {
				v->cb.fpu_ts = val & 8;
				if (val & 8) {
					ulong cr0;
					__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
					__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 8ul));
				} else
					__asm__ volatile("clts");
				ok = true;
			} else if (cr == 4) {
				guest_cr4_write(v, val);
				ok = true;
			} else if (cr == 3) {
				struct mmuext_op m = { .cmd = MMUEXT_NEW_BASEPTR };
				m.arg1.mfn = xen_cr3_to_pfn(val);
				ok = mmu_new_baseptr_from_cr3(v, m.arg1.mfn) == 0;
			}
			break;
		}
		default:
			return false;
		}
		break;
	default:
		return false;
	}
	if (ok) {
		trace(TRACE_TRAPS, "emulated privileged instruction %02x %02x at %lx", b[0],
		      got > 1 ? b[1] : 0, (ulong)r->ip);
		r->ip += i;
	}
	return ok;
}
