/* physdev — physdev_op and physdev_op_compat as Xen answers an unprivileged domU. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "traps.h"
#include "events.h"

const char guest_name[] = "physdev";

#define NR_PIRQS 56     /* Xen: nr_irqs_gsi (24 here) + extra_domU_irqs (32) */

/* inb $0x80: all ones when the virtual IOPL allows it, #GP otherwise. */
unsigned long io_probe(void);
extern const char io_probe_insn[], io_probe_resume[];
#ifdef __x86_64__
asm(".text\n.globl io_probe, io_probe_insn, io_probe_resume\n"
    "io_probe:\n"
    "	xor %eax, %eax\n"
    "io_probe_insn:\n"
    "	inb $0x80, %al\n"
    "io_probe_resume:\n"
    "	ret\n");
#else
asm(".text\n.globl io_probe, io_probe_insn, io_probe_resume\n"
    "io_probe:\n"
    "	xor %eax, %eax\n"
    "io_probe_insn:\n"
    "	inb $0x80, %al\n"
    "io_probe_resume:\n"
    "	ret\n");
#endif

/* outb $0x80, dx=0x80 outb, cli, sti: one instruction each, then resume. */
void out_probe(void), out_dx_probe(void), cli_probe(void), sti_probe(void);
extern const char out_probe_insn[], out_dx_probe_insn[], cli_probe_insn[], sti_probe_insn[];
extern const char out_probe_resume[], out_dx_probe_resume[], cli_probe_resume[],
	sti_probe_resume[];
asm(".text\n"
    "out_probe:\n"
    "	mov $0x5a, %al\n"
    "out_probe_insn:\n"
    "	outb %al, $0x80\n"
    "out_probe_resume:\n"
    "	ret\n"
    "out_dx_probe:\n"
    "	mov $0x5a, %al\n"
    "	mov $0x80, %dx\n"
    "out_dx_probe_insn:\n"
    "	outb %al, %dx\n"
    "out_dx_probe_resume:\n"
    "	ret\n"
    "cli_probe:\n"
    "cli_probe_insn:\n"
    "	cli\n"
    "cli_probe_resume:\n"
    "	ret\n"
    "sti_probe:\n"
    "sti_probe_insn:\n"
    "	sti\n"
    "sti_probe_resume:\n"
    "	ret\n");

static unsigned gp_count;
static unsigned long gp_err;

static void on_gp(struct trap_ctx *t)
{
	static const struct {
		const char *insn, *resume;
	} sites[] = {
		{ io_probe_insn, io_probe_resume },
		{ out_probe_insn, out_probe_resume },
		{ out_dx_probe_insn, out_dx_probe_resume },
		{ cli_probe_insn, cli_probe_resume },
		{ sti_probe_insn, sti_probe_resume },
	};

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		if (t->rip != (unsigned long)sites[i].insn)
			continue;
		gp_count++;
		gp_err = t->err;
		*t->rip_slot = (unsigned long)sites[i].resume;
		return;
	}
	fail_now("#GP at 0x%lx", t->rip);
}

static long iopl(uint32_t level)
{
	struct physdev_set_iopl op = { .iopl = level };
	return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &op);
}

static void io_privilege(void)
{
	printf("set_iopl\n");
	check_rc("set_iopl(4)", iopl(4), -XEN_EINVAL);
	check_rc("set_iopl(1)", iopl(1), 0);
	gp_count = 0;
	unsigned long al = io_probe();
	check_eq("inb with virtual IOPL 1: no #GP", gp_count, 0);
	check_eq("  reads all ones (no device)", al & 0xff, 0xff);
	unsigned long flags;
	asm volatile("pushf; pop %0" : "=r"(flags));
	check_eq("  the real IOPL stays 0", flags & 0x3000, 0);
	check_rc("set_iopl(0)", iopl(0), 0);
	io_probe();
	check_eq("inb with virtual IOPL 0: #GP", gp_count, 1);
	check_rc("set_iopl from an unmapped address",
		 HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (void *)0x12345000ul), -XEN_EFAULT);

	static uint8_t bitmap[8192];
	struct physdev_set_iobitmap bm = { .nr_ports = 65536 };
	set_xen_guest_handle(bm.bitmap, bitmap);
	check_rc("set_iobitmap(bitmap, 65536 ports)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm), 0);
	bm.nr_ports = 65537;
	check_rc("set_iobitmap(65537 ports)", HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm),
		 -XEN_EINVAL);
	bm.nr_ports = 0;
	set_xen_guest_handle(bm.bitmap, (uint8_t *)HOLE_ADDR);
	check_rc("set_iobitmap(bitmap in the hole)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm), -XEN_EINVAL);
	set_xen_guest_handle(bm.bitmap, NULL);
	check_rc("set_iobitmap(NULL, 0): none", HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm),
		 0);
}

/* Run probe; the number of #GPs it took (0 or 1). */
static unsigned gps(void (*probe)(void))
{
	gp_count = 0;
	gp_err = ~0ul;
	probe();
	return gp_count;
}

/*
 * Xen's pv/emul-priv-op.c: the guest kernel passes iopl_ok() when its
 * virtual IOPL is at least 1 (without VMASST_TYPE_architectural_iopl). Then
 * out is emulated (guest_io_okay(); a domU's write to a port it has no
 * access to is dropped), and cli/sti are emulated as no-ops
 * (X86EMUL_DONE: evtchn_upcall_mask stays as it is). Otherwise all three
 * are #GP(0).
 */
static void cli_sti(const char *level, bool allowed)
{
	char what[96];
	unsigned want = allowed ? 0 : 1;

	snprintf(what, sizeof(what), "outb $0x80 with virtual IOPL %s: %s", level,
		 allowed ? "no #GP" : "#GP");
	check_eq(what, gps(out_probe), want);
	snprintf(what, sizeof(what), "outb %%dx=0x80 with virtual IOPL %s: %s", level,
		 allowed ? "no #GP" : "#GP");
	check_eq(what, gps(out_dx_probe), want);
	if (!allowed)
		check_eq("  error code", gp_err, 0);

	vcpu0->evtchn_upcall_mask = 0;
	snprintf(what, sizeof(what), "cli with virtual IOPL %s: %s", level,
		 allowed ? "no #GP" : "#GP");
	check_eq(what, gps(cli_probe), want);
	check_eq("  evtchn_upcall_mask left alone (0)", vcpu0->evtchn_upcall_mask, 0);
	vcpu0->evtchn_upcall_mask = 1;
	snprintf(what, sizeof(what), "sti with virtual IOPL %s: %s", level,
		 allowed ? "no #GP" : "#GP");
	check_eq(what, gps(sti_probe), want);
	check_eq("  evtchn_upcall_mask left alone (1)", vcpu0->evtchn_upcall_mask, 1);
	if (!allowed)
		check_eq("  error code", gp_err, 0);
	unsigned long flags;
	asm volatile("pushf; pop %0" : "=r"(flags));
	check_eq("  the real IOPL stays 0", flags & 0x3000, 0);
}

static void emulated_io(void)
{
	printf("out, cli and sti under set_iopl\n");
	if (!events_init())
		return;
	check_rc("set_iopl(1)", iopl(1), 0);
	cli_sti("1", true);
	check_rc("set_iopl(3)", iopl(3), 0);
	cli_sti("3", true);
	check_rc("set_iopl(0)", iopl(0), 0);
	cli_sti("0", false);
}

static void irqs(void)
{
	printf("irqs\n");
	struct physdev_irq_status_query q = { .irq = 0, .flags = 0xff };
	check_rc("irq_status_query(0)", HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, &q), 0);
	check_eq("  flags: needs_eoi", q.flags, XENIRQSTAT_needs_eoi);
	q.irq = NR_PIRQS - 1;
	check_rc("irq_status_query(last pirq)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, &q), 0);
	q.irq = NR_PIRQS;
	check_rc("irq_status_query(nr_pirqs)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, &q), -XEN_EINVAL);
	check_rc("irq_status_query(hole address)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, (void *)HOLE_ADDR), -XEN_EFAULT);

	struct physdev_eoi eoi = { .irq = 16 };
	check_rc("eoi(16), not allocated", HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi), -XEN_EINVAL);
	check_rc("IRQ_UNMASK_NOTIFY", HYPERVISOR_physdev_op(PHYSDEVOP_IRQ_UNMASK_NOTIFY, NULL), 0);

	struct physdev_get_free_pirq fp = { .type = MAP_PIRQ_TYPE_GSI };
	check_rc("get_free_pirq(GSI)", HYPERVISOR_physdev_op(PHYSDEVOP_get_free_pirq, &fp), 0);
	check_eq("  pirq (GSIs from 16)", fp.pirq, 16);
	check_rc("get_free_pirq(GSI)", HYPERVISOR_physdev_op(PHYSDEVOP_get_free_pirq, &fp), 0);
	check_eq("  pirq", fp.pirq, 17);
	fp.type = MAP_PIRQ_TYPE_MSI;
	check_rc("get_free_pirq(MSI)", HYPERVISOR_physdev_op(PHYSDEVOP_get_free_pirq, &fp), 0);
	check_eq("  pirq (others from the top)", fp.pirq, NR_PIRQS - 1);
	check_rc("eoi(16), allocated", HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi), 0);

	static uint8_t eoi_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
	struct physdev_pirq_eoi_gmfn g = { .gmfn = virt_to_mfn(eoi_page) };
	check_rc("pirq_eoi_gmfn_v2(a page of ours)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v2, &g), 0);
	check_rc("pirq_eoi_gmfn_v2 again", HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v2, &g),
		 -XEN_EBUSY);
	g.gmfn = virt_to_mfn((void *)start_info->pt_base);
	check_rc("pirq_eoi_gmfn_v1(a page table)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v1, &g), -XEN_EINVAL);
	g.gmfn = 0xfffffff;
	check_rc("pirq_eoi_gmfn_v1(not our frame)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v1, &g), -XEN_EINVAL);
}

static void privileged(void)
{
	printf("privileged sub-ops\n");
	struct physdev_map_pirq map = { .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = 5 };
	check_rc("map_pirq(DOMID_SELF)", HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &map), -XEN_EPERM);
	map.domid = 0;
	check_rc("map_pirq(dom0)", HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &map), -XEN_EPERM);
	map.domid = 42;
	check_rc("map_pirq(no such domain)", HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &map),
		 -XEN_ESRCH);
	map.domid = DOMID_SELF;
	map.type = MAP_PIRQ_TYPE_MULTI_MSI;
	map.table_base = 0x1000;
	check_rc("map_pirq(multi-MSI with a table base)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &map), -XEN_EINVAL);
	map.type = MAP_PIRQ_TYPE_MSI_SEG;
	map.table_base = 0;
	check_rc("map_pirq(MSI_SEG)", HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &map), -XEN_EPERM);
	check_eq("  type rewritten to MSI and copied back", map.type, MAP_PIRQ_TYPE_MSI);

	struct physdev_unmap_pirq unmap = { .domid = DOMID_SELF, .pirq = 16 };
	check_rc("unmap_pirq(DOMID_SELF)", HYPERVISOR_physdev_op(PHYSDEVOP_unmap_pirq, &unmap),
		 -XEN_EPERM);
	struct physdev_apic apic = { 0 };
	check_rc("apic_read", HYPERVISOR_physdev_op(PHYSDEVOP_apic_read, &apic), -XEN_EPERM);
	check_rc("apic_write", HYPERVISOR_physdev_op(PHYSDEVOP_apic_write, &apic), -XEN_EPERM);
	struct physdev_irq irq = { .irq = 5 };
	check_rc("alloc_irq_vector", HYPERVISOR_physdev_op(PHYSDEVOP_alloc_irq_vector, &irq),
		 -XEN_EPERM);
	check_rc("free_irq_vector (not in Xen any more)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_free_irq_vector, &irq), -XEN_ENOSYS);
	struct physdev_manage_pci pci = { 0 };
	check_rc("manage_pci_add", HYPERVISOR_physdev_op(PHYSDEVOP_manage_pci_add, &pci), -XEN_EPERM);
	check_rc("manage_pci_remove", HYPERVISOR_physdev_op(PHYSDEVOP_manage_pci_remove, &pci),
		 -XEN_EPERM);
	struct physdev_manage_pci_ext ext = { .is_extfn = 2 };
	check_rc("manage_pci_add_ext(is_extfn 2)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_manage_pci_add_ext, &ext), -XEN_EINVAL);
	ext.is_extfn = 1;
	check_rc("manage_pci_add_ext", HYPERVISOR_physdev_op(PHYSDEVOP_manage_pci_add_ext, &ext),
		 -XEN_EPERM);
	struct physdev_restore_msi rmsi = { .bus = 0xff, .devfn = 0xff };
	check_rc("restore_msi (no such device)", HYPERVISOR_physdev_op(PHYSDEVOP_restore_msi, &rmsi),
		 -XEN_ENODEV);
	struct physdev_setup_gsi gsi = { .gsi = 30 };
	check_rc("setup_gsi(30)", HYPERVISOR_physdev_op(PHYSDEVOP_setup_gsi, &gsi), -XEN_EINVAL);
	gsi.gsi = 5;
	check_rc("setup_gsi(5)", HYPERVISOR_physdev_op(PHYSDEVOP_setup_gsi, &gsi), -XEN_EPERM);
	check_rc("pci_mmcfg_reserved (refused before reading)",
		 HYPERVISOR_physdev_op(PHYSDEVOP_pci_mmcfg_reserved, (void *)HOLE_ADDR), -XEN_EPERM);
	check_rc("dbgp_op", HYPERVISOR_physdev_op(PHYSDEVOP_dbgp_op, NULL), -XEN_EPERM);
	struct physdev_pci_device_add add = { 0 };
	check_rc("pci_device_add", HYPERVISOR_physdev_op(PHYSDEVOP_pci_device_add, &add), -XEN_EPERM);
	check_rc("sub-op 99", HYPERVISOR_physdev_op(99, NULL), -XEN_ENOSYS);
}

static void compat(void)
{
	printf("physdev_op_compat\n");
	struct physdev_op op = { .cmd = PHYSDEVOP_irq_status_query };
	op.u.irq_status_query.irq = 3;
	check_rc("compat irq_status_query(3)", HYPERVISOR_physdev_op_compat(&op), 0);
	check_eq("  flags written in the union", op.u.irq_status_query.flags, XENIRQSTAT_needs_eoi);
	op.cmd = PHYSDEVOP_set_iopl;
	op.u.set_iopl.iopl = 5;
	check_rc("compat set_iopl(5)", HYPERVISOR_physdev_op_compat(&op), -XEN_EINVAL);
	op.cmd = 99;
	check_rc("compat sub-op 99", HYPERVISOR_physdev_op_compat(&op), -XEN_ENOSYS);
	check_rc("compat from an unmapped address",
		 HYPERVISOR_physdev_op_compat((void *)0x12345000ul), -XEN_EFAULT);
}

void guest_main(void)
{
	printf("physdev test (" GUEST_MODE ")\n");
	trap_set_handler(13, on_gp, false);
	check_rc("set_trap_table", traps_install(), 0);
	io_privilege();
	emulated_io();
	irqs();
	privileged();
	compat();
}
