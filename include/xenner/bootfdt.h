/* bootfdt.h — the boot description xenner hands to the stub (a flattened device tree). */
#ifndef XENNER_BOOTFDT_H
#define XENNER_BOOTFDT_H

#include <stddef.h>
#include <stdint.h>
#include <xenner/memplan.h>

struct boot_params {
	const struct mem_plan *plan;
	unsigned domid, nr_vcpus, tsc_khz, trace;
	const char *host_kind;          /* "vmx", "svm", "pvm" */
	uint32_t host_flags;            /* HOST_F_* */
	const char *xen_extraversion;
	const char *xen_cmdline;
	uint64_t time_origin_tsc, time_origin_realtime_ns;     /* BOOT_PROP_TIME_ORIGIN */
	/* guest start-of-day */
	uint64_t entry, start_info, stack, pt_root_mfn, pt_first_pfn, pt_count;
	uint64_t hypercall_page;
};

/* Write the FDT into buf. 0, or -1 with a reason. Property names: hostabi.h. */
int boot_fdt_write(void *buf, size_t size, const struct boot_params *bp,
		   char *err, size_t errlen);

#endif
