/* boot.c — start of day: read the boot description, set up vCPU 0, enter the guest. */
#include "stub.h"
#include <libfdt.h>
#include "mmu.h"

struct domain dom;
bool pv32_long_mode;

static const void *fdt_prop(const void *fdt, const char *node, const char *name, int *len)
{
	int off = fdt_path_offset(fdt, node);
	if (off < 0)
		panic("boot description: node %s missing", node);
	const void *p = fdt_getprop(fdt, off, name, len);
	if (!p)
		panic("boot description: %s/%s missing", node, name);
	return p;
}

static uint64_t be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint64_t fdt_u64(const void *fdt, const char *node, const char *name, unsigned idx)
{
	int len;
	const uint8_t *p = fdt_prop(fdt, node, name, &len);
	if ((unsigned)len < (idx + 1) * 8)
		panic("boot description: %s/%s too short", node, name);
	return be64(p + idx * 8);
}

static uint32_t fdt_u32(const void *fdt, const char *node, const char *name)
{
	int len;
	const uint8_t *p = fdt_prop(fdt, node, name, &len);
	if (len != 4)
		panic("boot description: %s/%s not a u32", node, name);
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void fdt_str(const void *fdt, const char *node, const char *name, char *dst, size_t size)
{
	int len;
	const char *p = fdt_prop(fdt, node, name, &len);
	size_t n = strnlen(p, (size_t)len);
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Copy the host's boot description into dom.bi; libfdt is not used afterwards. */
static void parse_boot_description(const void *fdt)
{
	struct boot_info *bi = &dom.bi;
	if (fdt_check_header(fdt) != 0)
		panic("boot description: bad FDT header");
	if (fdt_node_check_compatible(fdt, 0, BOOT_FDT_COMPATIBLE) != 0)
		panic("boot description: not %s", BOOT_FDT_COMPATIBLE);

	bi->guest_bits = fdt_u32(fdt, "/xenner", BOOT_PROP_GUEST_BITS);
	bi->domid = fdt_u32(fdt, "/xenner", BOOT_PROP_DOMID);
	bi->nr_vcpus = fdt_u32(fdt, "/xenner", BOOT_PROP_NR_VCPUS);
	bi->tsc_khz = fdt_u32(fdt, "/xenner", BOOT_PROP_TSC_KHZ);
	bi->trace = fdt_u32(fdt, "/xenner", BOOT_PROP_TRACE);
	fdt_str(fdt, "/xenner", BOOT_PROP_HOST_KIND, bi->host_kind, sizeof(bi->host_kind));
	bi->host_flags = fdt_u32(fdt, "/xenner", BOOT_PROP_HOST_FLAGS);
	dom.no_native_nm = bi->host_flags & HOST_F_NO_NATIVE_NM;
	pv32_long_mode = STUB_BITS == 32 && (bi->host_flags & HOST_F_PV32_LONG_MODE);
	fdt_str(fdt, "/xenner", BOOT_PROP_XEN_EXTRA, bi->xen_extra, sizeof(bi->xen_extra));
	fdt_str(fdt, "/xenner", BOOT_PROP_XEN_CMDLINE, bi->xen_cmdline, sizeof(bi->xen_cmdline));

	bi->guest_nr_pages = fdt_u64(fdt, "/memory", BOOT_PROP_GUEST_NR_PAGES, 0);
	bi->max_mfn = fdt_u64(fdt, "/memory", BOOT_PROP_MAX_MFN, 0);
	bi->stub_maddr = fdt_u64(fdt, "/memory", BOOT_PROP_STUB_MADDR, 0);
	bi->stub_size = fdt_u64(fdt, "/memory", BOOT_PROP_STUB_SIZE, 0);
	bi->heap_off = fdt_u64(fdt, "/memory", BOOT_PROP_HEAP, 0);
	bi->heap_size = fdt_u64(fdt, "/memory", BOOT_PROP_HEAP, 1);
	bi->m2p_off = fdt_u64(fdt, "/memory", BOOT_PROP_M2P, 0);
	bi->m2p_size = fdt_u64(fdt, "/memory", BOOT_PROP_M2P, 1);
	bi->m2p_virt = fdt_u64(fdt, "/memory", BOOT_PROP_M2P, 2);
	bi->shared_info_off = fdt_u64(fdt, "/memory", BOOT_PROP_SHARED_INFO, 0);
	bi->frame_info_off = fdt_u64(fdt, "/memory", BOOT_PROP_FRAME_INFO, 0);
	bi->stats_off = fdt_u64(fdt, "/memory", BOOT_PROP_STATS, 0);
	bi->frame_info_size = fdt_u64(fdt, "/memory", BOOT_PROP_FRAME_INFO, 1);
	int len;
	fdt_prop(fdt, "/memory", BOOT_PROP_RAM_RANGES, &len);
	bi->nr_ram_ranges = (unsigned)len / 16;
	if (bi->nr_ram_ranges == 0 || bi->nr_ram_ranges > ARRAY_SIZE(bi->ram) || len % 16)
		panic("boot description: bad ram-ranges");
	for (unsigned i = 0; i < bi->nr_ram_ranges; i++) {
		bi->ram[i].mfn = fdt_u64(fdt, "/memory", BOOT_PROP_RAM_RANGES, 2 * i);
		bi->ram[i].count = fdt_u64(fdt, "/memory", BOOT_PROP_RAM_RANGES, 2 * i + 1);
	}

	bi->entry = fdt_u64(fdt, "/guest", BOOT_PROP_ENTRY, 0);
	bi->start_info = fdt_u64(fdt, "/guest", BOOT_PROP_START_INFO, 0);
	bi->stack = fdt_u64(fdt, "/guest", BOOT_PROP_STACK, 0);
	bi->pt_root_mfn = fdt_u64(fdt, "/guest", BOOT_PROP_PT_ROOT_MFN, 0);
	bi->pt_first_pfn = fdt_u64(fdt, "/guest", BOOT_PROP_PT_RANGE, 0);
	bi->pt_count = fdt_u64(fdt, "/guest", BOOT_PROP_PT_RANGE, 1);
	bi->hypercall_page = fdt_u64(fdt, "/guest", BOOT_PROP_HYPERCALL_PAGE, 0);
	time_set_origin(fdt_u64(fdt, "/xenner", BOOT_PROP_TIME_ORIGIN, 0),
			fdt_u64(fdt, "/xenner", BOOT_PROP_TIME_ORIGIN, 1));
	const uint8_t *pp = fdt_prop(fdt, "/guest", BOOT_PROP_DOM0_PORTS, &len);
	uint32_t dom0_ports[EVTCHN_DOM0_BOOT_MAX];
	unsigned nr_dom0 = (unsigned)len / 4;
	if (len % 4 || nr_dom0 > ARRAY_SIZE(dom0_ports))
		panic("boot description: bad %s", BOOT_PROP_DOM0_PORTS);
	for (unsigned i = 0; i < nr_dom0; i++)
		dom0_ports[i] = (uint32_t)pp[4 * i] << 24 | pp[4 * i + 1] << 16 |
				pp[4 * i + 2] << 8 | pp[4 * i + 3];
	uint64_t host_off = fdt_u64(fdt, "/memory", BOOT_PROP_EVENTS, 0);
	if (host_off % PAGE_SIZE || host_off + PAGE_SIZE > bi->stub_size)
		panic("boot description: bad %s", BOOT_PROP_EVENTS);
	dom.host = stub_ptr(host_off);
	mmu_use_host_lock(&dom.host->mmu_lock);
	evtchn_set_host(dom0_ports, nr_dom0);

	if (bi->guest_bits != STUB_BITS)
		panic("boot description is for a %u-bit guest, this is the %u-bit stub",
		      bi->guest_bits, STUB_BITS);
	if (bi->nr_vcpus == 0 || bi->nr_vcpus > MAX_VCPUS)
		panic("boot description: %u vCPUs", bi->nr_vcpus);
}

struct vcpu *vcpu_create(unsigned id)
{
	struct vcpu *v = heap_alloc_pages(ALIGN_UP(sizeof(struct vcpu), PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	uint8_t *stack = heap_alloc_pages(STACK_SIZE / PAGE_SIZE, STACK_SIZE);
	v->self = v;
	v->id = id;
	v->stack_top = (ulong)(stack + STACK_SIZE - 16);
	/* current() finds the vCPU through the word at the top of its stack. */
	*(struct vcpu **)(stack + STACK_SIZE - sizeof(void *)) = v;
	v->hostcall = heap_alloc_pages(ALIGN_UP(sizeof(struct hostcall), PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	v->gdt = heap_alloc_pages(16, PAGE_SIZE);
	v->tss = heap_alloc_pages(1, PAGE_SIZE);
	if (pv32_long_mode)
		v->pv32_l4 = heap_alloc_pages(1, PAGE_SIZE);
	v->vcpu_info = &dom.shared_info->vcpu_info[id];
	v->stats = (struct stub_stats *)stub_ptr(dom.bi.stats_off) + id;
	v->kernel_mode = true;
	dom.vcpus[id] = v;
	return v;
}

/*
 * A secondary vCPU's first instructions in the stub (entry*.S _start_ap),
 * on its own stack, after VCPUOP_initialise and VCPUOP_up.
 */
void stub_start_ap(struct vcpu *v) __attribute__((noreturn));
void stub_start_ap(struct vcpu *v)
{
	arch_cpu_init(v);
	time_init_vcpu(v);
	v->online = true;
	struct regs r;
	vcpu_context_regs(v, &r);
	trace(TRACE_HYPERCALLS, "vcpu%u: up at %lx", v->id, (ulong)r.ip);
	arch_enter_guest(v, &r);
}

/* Called by the entry code of vCPU 0 on the boot stack. */
void stub_start(const void *fdt) __attribute__((noreturn));
void stub_start(const void *fdt)
{
	parse_boot_description(fdt);
	dom.shared_info = stub_ptr(dom.bi.shared_info_off);
	for (unsigned i = 0; i < MAX_VCPUS; i++)
		dom.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;

	struct vcpu *v = vcpu_create(0);
	for (unsigned i = 1; i < dom.bi.nr_vcpus; i++)
		vcpu_create(i);
	arch_cpu_init(v);
	v->online = true;
	v->up = true;
	trace(TRACE_HYPERCALLS | TRACE_TRAPS, "stub: %u-bit guest, %llu pages, entry %llx, host KVM %s, "
	      "M2P at %llx%s", STUB_BITS, (unsigned long long)dom.bi.guest_nr_pages,
	      (unsigned long long)dom.bi.entry, dom.bi.host_kind, (unsigned long long)dom.bi.m2p_virt,
	      pv32_long_mode ? ", in long mode's compatibility mode" : "");

	mmu_init();
	mm_share_frame_with_guest((dom.bi.stub_maddr + dom.bi.shared_info_off) >> PAGE_SHIFT);
	if (mmu_take_over_boot_tables(dom.bi.pt_root_mfn))
		panic("the bootstrap page tables at %llx do not validate (see --trace mmu)",
		      (unsigned long long)dom.bi.pt_root_mfn);

	if (dom.bi.hypercall_page) {
		static uint8_t page[PAGE_SIZE];
		arch_fill_hypercall_page(page);
		if (copy_to_guest((ulong)dom.bi.hypercall_page, page, PAGE_SIZE))
			panic("cannot write the hypercall page at %llx",
			      (unsigned long long)dom.bi.hypercall_page);
	}

	evtchn_init();
	time_init();
	time_init_vcpu(v);

	struct regs r;
	memset(&r, 0, sizeof(r));
	arch_guest_start_regs(&r, (ulong)dom.bi.entry, (ulong)dom.bi.stack,
			      (ulong)dom.bi.start_info);
	arch_enter_guest(v, &r);
}
