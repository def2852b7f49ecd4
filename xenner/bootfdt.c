/* bootfdt.c — write the stub's boot description with libfdt. */
#include <xenner/bootfdt.h>

#include <libfdt.h>
#include <stdio.h>
#include <xenner/hostabi.h>

static int prop_u64s(void *fdt, const char *name, const uint64_t *v, unsigned n)
{
	fdt64_t be[8];
	if (n > 8)
		return -FDT_ERR_BADVALUE;
	for (unsigned i = 0; i < n; i++)
		be[i] = cpu_to_fdt64(v[i]);
	return fdt_property(fdt, name, be, (int)(n * sizeof(be[0])));
}

static int prop_u64(void *fdt, const char *name, uint64_t v)
{
	return prop_u64s(fdt, name, &v, 1);
}

int boot_fdt_write(void *buf, size_t size, const struct boot_params *bp,
		   char *err, size_t errlen)
{
	const struct mem_plan *p = bp->plan;
	int r = 0;
#define TRY(call) do { if (!r) r = (call); } while (0)
	TRY(fdt_create(buf, (int)size));
	TRY(fdt_finish_reservemap(buf));
	TRY(fdt_begin_node(buf, ""));
	TRY(fdt_property_string(buf, "compatible", BOOT_FDT_COMPATIBLE));

	TRY(fdt_begin_node(buf, "xenner"));
	TRY(fdt_property_u32(buf, BOOT_PROP_GUEST_BITS, p->guest_bits));
	TRY(fdt_property_u32(buf, BOOT_PROP_DOMID, bp->domid));
	TRY(fdt_property_u32(buf, BOOT_PROP_NR_VCPUS, bp->nr_vcpus));
	TRY(fdt_property_u32(buf, BOOT_PROP_TSC_KHZ, bp->tsc_khz));
	TRY(fdt_property_u32(buf, BOOT_PROP_TRACE, bp->trace));
	TRY(fdt_property_string(buf, BOOT_PROP_HOST_KIND, bp->host_kind));
	TRY(fdt_property_u32(buf, BOOT_PROP_HOST_FLAGS, bp->host_flags));
	TRY(fdt_property_string(buf, BOOT_PROP_XEN_EXTRA, bp->xen_extraversion));
	TRY(fdt_property_string(buf, BOOT_PROP_XEN_CMDLINE, bp->xen_cmdline));
	TRY(prop_u64s(buf, BOOT_PROP_TIME_ORIGIN,
		      (uint64_t[]){ bp->time_origin_tsc, bp->time_origin_realtime_ns }, 2));
	TRY(fdt_end_node(buf));

	TRY(fdt_begin_node(buf, "memory"));
	TRY(prop_u64(buf, BOOT_PROP_GUEST_NR_PAGES, p->nr_pages));
	TRY(prop_u64(buf, BOOT_PROP_MAX_MFN, p->max_mfn));
	TRY(prop_u64(buf, BOOT_PROP_STUB_MADDR, p->stub_gpa));
	TRY(prop_u64(buf, BOOT_PROP_STUB_SIZE, p->stub_size));
	TRY(prop_u64s(buf, BOOT_PROP_HEAP, (uint64_t[]){ p->heap_off, p->heap_size }, 2));
	TRY(prop_u64(buf, BOOT_PROP_STATS, p->stats_off));
	TRY(prop_u64(buf, BOOT_PROP_EVENTS, p->events_off));
	TRY(prop_u64s(buf, BOOT_PROP_FRAME_INFO,
		      (uint64_t[]){ p->frame_info_off, p->frame_info_size }, 2));
	TRY(prop_u64s(buf, BOOT_PROP_M2P, (uint64_t[]){ p->m2p_off, p->m2p_size, p->m2p_virt }, 3));
	TRY(prop_u64(buf, BOOT_PROP_SHARED_INFO, p->shared_info_off));
	uint64_t ranges[4] = { 0, p->low_ram_pages, MEMPLAN_HIGH_RAM_BASE >> 12, p->high_ram_pages };
	TRY(prop_u64s(buf, BOOT_PROP_RAM_RANGES, ranges, p->high_ram_pages ? 4 : 2));
	TRY(fdt_end_node(buf));

	TRY(fdt_begin_node(buf, "guest"));
	TRY(prop_u64(buf, BOOT_PROP_ENTRY, bp->entry));
	TRY(prop_u64(buf, BOOT_PROP_START_INFO, bp->start_info));
	TRY(prop_u64(buf, BOOT_PROP_STACK, bp->stack));
	TRY(prop_u64(buf, BOOT_PROP_PT_ROOT_MFN, bp->pt_root_mfn));
	TRY(prop_u64s(buf, BOOT_PROP_PT_RANGE, (uint64_t[]){ bp->pt_first_pfn, bp->pt_count }, 2));
	TRY(prop_u64(buf, BOOT_PROP_HYPERCALL_PAGE, bp->hypercall_page));
	fdt32_t ports[2] = { cpu_to_fdt32(HOST_STORE_PORT), cpu_to_fdt32(HOST_CONSOLE_PORT) };
	TRY(fdt_property(buf, BOOT_PROP_DOM0_PORTS, ports, sizeof(ports)));
	TRY(fdt_end_node(buf));

	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
#undef TRY
	if (r) {
		snprintf(err, errlen, "boot description: %s", fdt_strerror(r));
		return -1;
	}
	return 0;
}
