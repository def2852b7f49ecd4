/* test_vmce.c — the machine-check MSRs a PV guest sees, as Xen's vMCE answers them. */
#define CHECK_SUITE "vmce"
#include "check.h"
#include "hypercall/vmce.c"

/* rd(): the value read; rd_ret: what vmce_rdmsr returned for it. */
static int rd_ret;
static uint64_t rd(const struct vmce *s, bool intel, uint32_t msr)
{
	uint64_t v = 0x5a5a;
	rd_ret = vmce_rdmsr(s, intel, msr, &v);
	return v;
}
#define CHECK_RD(s, intel, msr, ret, val) do { \
	uint64_t rd_v_ = rd(s, intel, msr); \
	CHECK_EQ(rd_ret, ret); \
	CHECK_EQ(rd_v_, val); \
} while (0)

TEST(mcg_cap_two_banks_vendor_bits)
{
	struct vmce s = { 0 };
	CHECK_RD(&s, false, 0x179, 1, 2);
	CHECK_RD(&s, true, 0x179, 1, (1ull << 24) | (1ull << 11) | (1ull << 10) | 2);
	CHECK_EQ(vmce_wrmsr(&s, false, 0x179, 0x1234), 1);   /* read-only, ignored */
	CHECK_RD(&s, false, 0x179, 1, 2);
}

TEST(mcg_status_is_per_vcpu_storage)
{
	struct vmce s = { 0 };
	CHECK_RD(&s, false, 0x17a, 1, 0);
	CHECK_EQ(vmce_wrmsr(&s, false, 0x17a, 5), 1);
	CHECK_RD(&s, false, 0x17a, 1, 5);
	CHECK_RD(&s, false, 0x17b, 1, 0);                  /* no MCG_CTL_P */
}

TEST(banks_ctl_all_ones_status_zero_only)
{
	struct vmce s = { 0 };
	CHECK_RD(&s, false, 0x400, 1, ~0ull);              /* MC0_CTL */
	CHECK_RD(&s, false, 0x405, 1, 0);                  /* MC1_STATUS */
	CHECK_EQ(vmce_wrmsr(&s, false, 0x400, 0), 1);          /* CTL writes ignored */
	CHECK_RD(&s, false, 0x400, 1, ~0ull);
	CHECK_EQ(vmce_wrmsr(&s, false, 0x401, 0), 1);
	CHECK_EQ(vmce_wrmsr(&s, false, 0x401, 1), -1);         /* #GP */
	CHECK_EQ(vmce_wrmsr(&s, false, 0x406, 7), -1);         /* MC1_ADDR */
	CHECK_EQ(vmce_wrmsr(&s, false, 0x407, 7), -1);         /* MC1_MISC */
	/* Banks past MCG_CAP's count: read 0, writes vanish. */
	CHECK_RD(&s, false, 0x408, 1, 0);
	CHECK_EQ(vmce_wrmsr(&s, false, 0x409, 7), 1);
	CHECK_RD(&s, false, 0x47f, 1, 0);
}

TEST(ctl2_intel_only)
{
	struct vmce s = { 0 };
	CHECK_EQ(vmce_wrmsr(&s, true, 0x281, 0x7fff), 1);
	CHECK_RD(&s, true, 0x281, 1, 0x7fff);
	CHECK_RD(&s, false, 0x281, 1, 0);
	CHECK_EQ(vmce_wrmsr(&s, true, 0x290, 1), 1);           /* past the banks */
	CHECK_RD(&s, true, 0x290, 1, 0);
}

TEST(ext_ctl_refused_and_others_not_ours)
{
	struct vmce s = { 0 };
	CHECK_RD(&s, true, 0x4d0, -1, 0);
	CHECK_EQ(vmce_wrmsr(&s, true, 0x4d0, 0), -1);
	CHECK_RD(&s, false, 0x178, 0, 0);
	CHECK_RD(&s, false, 0x480, 0, 0);
	CHECK_RD(&s, false, 0x10, 0, 0);
	CHECK_EQ(vmce_wrmsr(&s, false, 0xc0000080, 0), 0);
}

int main(void)
{
	RUN(mcg_cap_two_banks_vendor_bits);
	RUN(mcg_status_is_per_vcpu_storage);
	RUN(banks_ctl_all_ones_status_zero_only);
	RUN(ctl2_intel_only);
	RUN(ext_ctl_refused_and_others_not_ours);
	return check_done();
}
