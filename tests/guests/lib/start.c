/* start.c — from the entry code to guest_main() and the verdict. */
#include "guest.h"

unsigned long boot_start_info, boot_sp, boot_cs, boot_ss, boot_ds, boot_flags;
start_info_t *start_info;

void guest_start(start_info_t *si);

void guest_start(start_info_t *si)
{
	start_info = si;
	guest_main();
	verdict();
}

unsigned long virt_to_pfn(const void *va)
{
	return ((unsigned long)va - (unsigned long)GUEST_VIRT_BASE) / GUEST_PAGE_SIZE;
}

unsigned long virt_to_mfn(const void *va)
{
	const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;

	return p2m[virt_to_pfn(va)];
}
