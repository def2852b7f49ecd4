/* vmce.h — the machine-check MSRs a PV guest sees (Xen's vMCE): two empty banks, nothing ever injected. */
#ifndef STUB_VMCE_H
#define STUB_VMCE_H

#include <stdbool.h>
#include <stdint.h>

#define VMCE_BANKS 2            /* Xen's GUEST_MC_BANK_NUM */

/* Per-vCPU state. Bank status/addr/misc only ever hold 0 (only 0 may be written). */
struct vmce {
	uint64_t mcg_status;
	uint64_t mci_ctl2[VMCE_BANKS];  /* Intel CMCI thresholds */
};

/*
 * MSRs in Xen's vMCE ranges (MCG_CAP..MCG_CTL, MCi_CTL2, MCi_CTL..MCi_MISC,
 * MCG_EXT_CTL and AMD's MC4_MISC1-3) are answered here; a guest whose CPUID
 * shows MCE/MCA reads and writes them as under Xen. Each returns 1 when
 * handled, 0 when msr is not a vMCE MSR (the caller decides), -1 for the
 * guest's #GP. Pure: unit-tested on the host (tests/unit/test_vmce.c).
 */
int vmce_rdmsr(const struct vmce *s, bool intel, uint32_t msr, uint64_t *val);
int vmce_wrmsr(struct vmce *s, bool intel, uint32_t msr, uint64_t val);

#endif
