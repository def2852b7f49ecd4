/* hostkind.c — which kind of KVM this host has: VMX, SVM or kvm_pvm. */
#include "vm.h"

#include <xenner/hostabi.h>
#include <xen/xen.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * kvm_pvm (pagetable-based KVM, no hardware virtualization) runs only
 * 64-bit ring-3 code natively and is not faithful x86 (docs/hosts.md). The
 * loaded module tells the kinds apart; XENNER_HOST_KIND overrides (tests).
 */
const char *host_kind_detect(void)
{
	const char *env = getenv("XENNER_HOST_KIND");
	if (env && *env)
		return env;
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "pvm";
	if (access("/sys/module/kvm_intel", F_OK) == 0)
		return "vmx";
	if (access("/sys/module/kvm_amd", F_OK) == 0)
		return "svm";
	return "unknown";
}

/*
 * Where the M2P is mapped for a 64-bit guest: Xen's address (L4 slot 256)
 * where the host can map it, the next slot on kvm_pvm, which refuses slot
 * 256. Guests find it through XENMEM_machphys_mapping, as Linux does.
 */
uint64_t host_kind_m2p_virt(const char *kind, unsigned guest_bits, uint64_t fallback)
{
	if (guest_bits == 64 && !strcmp(kind, "pvm"))
		return STUB64_M2P_ALT;
	return fallback;
}

/*
 * What the stub must do differently on this host, decided here once:
 *  - kvm_pvm raises no #NM from CR0.TS in native 64-bit code, so
 *    HYPERVISOR_iret delivers it (its emulator, which runs 32-bit code,
 *    raises it);
 *  - 32-bit guests: the stub runs them in PAE protected mode, as a 32-bit
 *    Xen would, where the host can; kvm_pvm keeps no paging outside long
 *    mode, so there the stub runs in long mode's compatibility mode, as
 *    64-bit Xen runs 32-bit guests (docs/architecture.md, "kvm_pvm hosts").
 */
uint32_t host_kind_flags(const char *kind, unsigned guest_bits)
{
	if (strcmp(kind, "pvm"))
		return 0;
	return guest_bits == 64 ? HOST_F_NO_NATIVE_NM : HOST_F_PV32_LONG_MODE;
}

/*
 * kvm_pvm runs all but 64-bit ring-3 code in KVM's instruction emulator,
 * which stops the VM at instructions it lacks: outside 64-bit mode that
 * includes `int $n`, int3 and iret. Guest code (ring 1 or 3) gets a #UD
 * there instead, which the stub decodes (kvm_emulation_failure_to_ud).
 */
bool host_kind_emulator_incomplete(const char *kind)
{
	return !strcmp(kind, "pvm");
}

/*
 * The instructions (the bytes KVM reports) that KVM's emulator stops at
 * and the stub completes from the #UD it gets instead: int $n, int3,
 * into, iret (traps.c, iret.c) and fnclex (emulate.c). Any other is the
 * guest's #UD, which xenner says on stderr.
 */
bool host_kind_stub_completes(const uint8_t *insn, size_t len)
{
	if (len >= 2 && insn[0] == 0xcd)
		return true;
	if (len >= 1 && (insn[0] == 0xcc || insn[0] == 0xce || insn[0] == 0xcf))
		return true;
	if (len >= 2 && insn[0] == 0xdb && insn[1] == 0xe2)
		return true;
	return len >= 3 && insn[0] == 0x9b && insn[1] == 0xdb && insn[2] == 0xe2;
}
