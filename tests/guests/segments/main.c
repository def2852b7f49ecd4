/* segments — set_segment_base: FS/GS bases read back through %fs:/%gs:, selectors, errors. */
#include "guest.h"
#include "hypercall_cpu.h"

const char guest_name[] = "segments";

#ifdef __x86_64__
#define NONCANONICAL 0x0000800000000000ul

static const unsigned long fs_area[2] = { 0x1111111111111111ul, 0x2222222222222222ul };
static const unsigned long gs_area[2] = { 0x3333333333333333ul, 0x4444444444444444ul };

static unsigned long fs_read(unsigned long off)
{
	unsigned long v;
	asm volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static unsigned long gs_read(unsigned long off)
{
	unsigned long v;
	asm volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static unsigned long gs_selector(void)
{
	unsigned long v = 0;
	asm volatile("mov %%gs, %k0" : "=r"(v));
	return v & 0xffff;
}

static void user_gs_selector(unsigned long sel, unsigned long want)
{
	check_rc("set_segment_base(SEGBASE_GS_USER_SEL)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, sel), 0);
	check_eq("  %gs selector", gs_selector(), want);
	check_eq("  kernel GS base untouched: %gs:0", gs_read(0), gs_area[0]);
}

void guest_main(void)
{
	printf("segments test (" GUEST_MODE ")\n");

	check_rc("set_segment_base(SEGBASE_FS, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, (unsigned long)fs_area), 0);
	check_eq("%fs:0", fs_read(0), fs_area[0]);
	check_eq("%fs:8", fs_read(8), fs_area[1]);

	check_rc("set_segment_base(SEGBASE_GS_KERNEL, gs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)gs_area), 0);
	check_eq("%gs:0", gs_read(0), gs_area[0]);
	check_eq("%gs:8", gs_read(8), gs_area[1]);

	/* The user base is the inactive one in kernel mode. */
	check_rc("set_segment_base(SEGBASE_GS_USER, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, (unsigned long)fs_area), 0);
	check_eq("  kernel GS base untouched: %gs:0", gs_read(0), gs_area[0]);

	check_rc("SEGBASE_FS non-canonical", HYPERVISOR_set_segment_base(SEGBASE_FS, NONCANONICAL),
		 -XEN_EINVAL);
	check_eq("  %fs:0 unchanged", fs_read(0), fs_area[0]);
	check_rc("SEGBASE_GS_USER non-canonical",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, NONCANONICAL), -XEN_EINVAL);
	check_rc("SEGBASE_GS_KERNEL non-canonical",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0xffff7fffffffffff), -XEN_EINVAL);
	check_eq("  %gs:0 unchanged", gs_read(0), gs_area[0]);
	check_rc("set_segment_base(4, 0)", HYPERVISOR_set_segment_base(4, 0), -XEN_EINVAL);

	/* Upper kernel-half bases are canonical: allowed. */
	check_rc("SEGBASE_FS in the kernel half",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, 0xffff900000000000ul), 0);
	check_rc("set_segment_base(SEGBASE_FS, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, (unsigned long)fs_area), 0);
	check_eq("%fs:8", fs_read(8), fs_area[1]);

	printf("user %%gs selectors\n");
	user_gs_selector(FLAT_USER_DS32, FLAT_USER_DS32);
	user_gs_selector(FLAT_USER_DS32 & ~3, FLAT_USER_DS32);  /* RPL raised to 3 */
	user_gs_selector(0, 0);
	user_gs_selector(0x43, 0);              /* empty GDT slot: NUL loaded, still 0 */
	user_gs_selector(0x10000 | FLAT_USER_DS32, FLAT_USER_DS32);   /* bits 16+ ignored */
	user_gs_selector(0, 0);
}
#else
void guest_main(void)
{
	printf("segments test (" GUEST_MODE ")\n");
	/* x86-64 only: Xen answers a 32-bit guest -ENOSYS. */
	check_rc("set_segment_base(SEGBASE_FS, 0)", HYPERVISOR_set_segment_base(0, 0), -XEN_ENOSYS);
	check_rc("set_segment_base(SEGBASE_GS_USER_SEL, 0)", HYPERVISOR_set_segment_base(3, 0),
		 -XEN_ENOSYS);
}
#endif
