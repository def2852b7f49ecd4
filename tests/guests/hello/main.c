/* hello — the smallest guest: start-of-day sanity, a greeting, PASS, poweroff. */
#include "guest.h"

const char guest_name[] = "hello";

static char bss_probe[GUEST_PAGE_SIZE];

void guest_main(void)
{
	printf("hello from " GUEST_MODE "\n");
	printf("start_info at 0x%lx, boot stack 0x%lx, cs 0x%lx ss 0x%lx ds 0x%lx flags 0x%lx\n",
	       boot_start_info, boot_sp, boot_cs, boot_ss, boot_ds, boot_flags);

#ifdef __x86_64__
	const char *magic = "xen-3.0-x86_64";
	if (!pvm64_cannot("start-of-day cs and ss", PVM_SELECTORS)) {
		check_eq("start-of-day cs", boot_cs, FLAT_KERNEL_CS64);
		check_eq("start-of-day ss", boot_ss, FLAT_KERNEL_SS64);
	}
#else
	const char *magic = "xen-3.0-x86_32p";
	check_eq("start-of-day cs", boot_cs, FLAT_KERNEL_CS);
	check_eq("start-of-day ss", boot_ss, FLAT_KERNEL_SS);
	check_eq("start-of-day ds", boot_ds, FLAT_KERNEL_DS);
#endif
	check(!strncmp(start_info->magic, magic, sizeof(start_info->magic)),
	      "start_info magic \"%.*s\" is \"%s\"",
	      (int)sizeof(start_info->magic), start_info->magic, magic);

	/* xen.h start of day: kernel, [initrd], mfn list, start_info, ..., stack. */
	unsigned long end = (unsigned long)_end;
	check(start_info->mfn_list % GUEST_PAGE_SIZE == 0 && start_info->mfn_list >= end,
	      "mfn_list 0x%lx page aligned, after the image (ends 0x%lx)",
	      start_info->mfn_list, end);
	check(boot_start_info % GUEST_PAGE_SIZE == 0 && boot_start_info > start_info->mfn_list,
	      "start_info 0x%lx page aligned, after mfn_list", boot_start_info);
	check(boot_sp % GUEST_PAGE_SIZE == 0 && boot_sp > boot_start_info,
	      "boot stack top 0x%lx page aligned, after start_info", boot_sp);
	check(start_info->nr_pages > virt_to_pfn((void *)boot_sp),
	      "nr_pages %lu covers the initial region", start_info->nr_pages);

	bool zero = true;
	for (size_t i = 0; i < sizeof(bss_probe); i++)
		zero &= bss_probe[i] == 0;
	check(zero, "bss is zeroed");
}
