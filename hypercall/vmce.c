/* vmce.c — Xen's virtual machine-check MSRs for PV guests (see vmce.h). */
#include "vmce.h"

enum {
	MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MCG_CTL = 0x17b,
	MSR_MC0_CTL2 = 0x280, MSR_MC31_CTL2 = 0x29f,
	MSR_MC0_CTL = 0x400, MSR_MC31_MISC = 0x47f,
	MSR_MCG_EXT_CTL = 0x4d0,
	MSR_F10_MC4_MISC1 = 0xc0000408, MSR_F10_MC4_MISC3 = 0xc000040a,
};

/* MCG_CAP bits Xen offers: software error recovery, threshold status, CMCI (Intel only). */
#define MCG_CMCI_P (1ull << 10)
#define MCG_TES_P  (1ull << 11)
#define MCG_SER_P  (1ull << 24)

static uint64_t mcg_cap(bool intel)
{
	return intel ? (MCG_SER_P | MCG_TES_P | MCG_CMCI_P | VMCE_BANKS) : VMCE_BANKS;
}

static bool in(uint32_t msr, uint32_t lo, uint32_t hi)
{
	return msr >= lo && msr <= hi;
}

int vmce_rdmsr(const struct vmce *s, bool intel, uint32_t msr, uint64_t *val)
{
	*val = 0;
	switch (msr) {
	case MSR_MCG_CAP:
		*val = mcg_cap(intel);
		return 1;
	case MSR_MCG_STATUS:
		*val = s->mcg_status;
		return 1;
	case MSR_MCG_CTL:               /* no MCG_CTL_P: reads as 0 */
		return 1;
	case MSR_MCG_EXT_CTL:           /* no local MCE offered */
		return -1;
	}
	if (in(msr, MSR_MC0_CTL, MSR_MC31_MISC)) {
		unsigned bank = (msr - MSR_MC0_CTL) / 4;
		if (bank < VMCE_BANKS && (msr & 3) == 0)
			*val = ~0ull;           /* MCi_CTL sticks at all ones */
		return 1;
	}
	if (in(msr, MSR_MC0_CTL2, MSR_MC31_CTL2)) {
		unsigned bank = msr - MSR_MC0_CTL2;
		if (intel && bank < VMCE_BANKS)
			*val = s->mci_ctl2[bank];
		return 1;
	}
	if (in(msr, MSR_F10_MC4_MISC1, MSR_F10_MC4_MISC3))
		return 1;
	return 0;
}

int vmce_wrmsr(struct vmce *s, bool intel, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_MCG_CAP:               /* read-only: the write changes nothing */
	case MSR_MCG_CTL:
		return 1;
	case MSR_MCG_STATUS:
		s->mcg_status = val;
		return 1;
	case MSR_MCG_EXT_CTL:
		return -1;
	}
	if (in(msr, MSR_MC0_CTL, MSR_MC31_MISC)) {
		unsigned bank = (msr - MSR_MC0_CTL) / 4;
		if (bank >= VMCE_BANKS || (msr & 3) == 0)
			return 1;       /* MCi_CTL: ignored; banks past the count: ignored */
		return val ? -1 : 1;    /* status, addr, misc: only 0 may be written */
	}
	if (in(msr, MSR_MC0_CTL2, MSR_MC31_CTL2)) {
		unsigned bank = msr - MSR_MC0_CTL2;
		if (intel && bank < VMCE_BANKS)
			s->mci_ctl2[bank] = val;
		return 1;
	}
	if (in(msr, MSR_F10_MC4_MISC1, MSR_F10_MC4_MISC3))
		return val ? -1 : 1;
	return 0;
}
