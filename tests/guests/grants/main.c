/* grants — grant_table_op v1: setup_table, query_size, versions, errors; the frames are mappable. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "mmu.h"
#include "events.h"

const char guest_name[] = "grants";

#define MAX_FRAMES 64           /* Xen's default max_grant_frames */
#define NO_SUCH_DOMAIN 42

static xen_pfn_t frames[MAX_FRAMES + 1];

static long setup(domid_t dom, uint32_t nr, xen_pfn_t *list, int16_t *status)
{
	struct gnttab_setup_table op = { .dom = dom, .nr_frames = nr, .status = 99 };
	set_xen_guest_handle(op.frame_list, list);
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1);
	*status = op.status;
	return rc;
}

static long query(domid_t dom, struct gnttab_query_size *q)
{
	*q = (struct gnttab_query_size){ .dom = dom, .status = 99 };
	return HYPERVISOR_grant_table_op(GNTTABOP_query_size, q, 1);
}

static void sizes_and_versions(void)
{
	struct gnttab_query_size q;
	printf("query_size and versions\n");
	check_rc("query_size(DOMID_SELF)", query(DOMID_SELF, &q), 0);
	check_eq("  status", (uint16_t)q.status, GNTST_okay);
	check_eq("  nr_frames (one from the start)", q.nr_frames, 1);
	check_eq("  max_nr_frames", q.max_nr_frames, MAX_FRAMES);
	check_rc("query_size(dom0)", query(0, &q), 0);
	check_eq("  status", (uint16_t)q.status, (uint16_t)GNTST_permission_denied);
	check_rc("query_size(no such domain)", query(NO_SUCH_DOMAIN, &q), 0);
	check_eq("  status", (uint16_t)q.status, (uint16_t)GNTST_bad_domain);
	check_rc("query_size, count 2", HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 2),
		 -XEN_EINVAL);

	struct gnttab_get_version gv = { .dom = DOMID_SELF, .version = 99 };
	check_rc("get_version(DOMID_SELF)", HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1),
		 0);
	check_eq("  version", gv.version, 1);
	gv.dom = 0;
	check_rc("get_version(dom0)", HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1),
		 -XEN_EPERM);
	gv.dom = NO_SUCH_DOMAIN;
	check_rc("get_version(no such domain)",
		 HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1), -XEN_ESRCH);

	struct gnttab_set_version sv = { .version = 1 };
	check_rc("set_version(1)", HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), 0);
	check_eq("  version", sv.version, 1);
	sv.version = 2;
	check_rc("set_version(2): v2 is disabled",
		 HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), -XEN_ENOSYS);
	check_eq("  the current version written back", sv.version, 1);
	sv.version = 3;
	check_rc("set_version(3)", HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1),
		 -XEN_EINVAL);
	check_eq("  the current version written back", sv.version, 1);

	struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF, .status = 99 };
	static uint64_t sf[1];
	set_xen_guest_handle(gs.frame_list, sf);
	check_rc("get_status_frames(1)",
		 HYPERVISOR_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), 0);
	check_eq("  status (v1 has none)", (uint16_t)gs.status, (uint16_t)GNTST_general_error);
}

static void setup_table(void)
{
	int16_t st;
	printf("setup_table\n");
	memset(frames, 0, sizeof(frames));
	check_rc("setup_table(DOMID_SELF, 4)", setup(DOMID_SELF, 4, frames, &st), 0);
	check_eq("  status", (uint16_t)st, GNTST_okay);
	bool distinct = true, foreign = true;
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < i; j++)
			distinct &= frames[i] != frames[j];
		foreign &= frames[i] != 0 && p2m_find_pfn(frames[i]) == ~0ul;
	}
	check(distinct, "  4 distinct frames (0x%lx 0x%lx 0x%lx 0x%lx)", (unsigned long)frames[0],
	      (unsigned long)frames[1], (unsigned long)frames[2], (unsigned long)frames[3]);
	check(foreign, "  none of them is the guest's own RAM");
	struct gnttab_query_size q;
	check_rc("query_size", query(DOMID_SELF, &q), 0);
	check_eq("  nr_frames", q.nr_frames, 4);

	xen_pfn_t again[2] = { 0, 0 };
	check_rc("setup_table(DOMID_SELF, 2)", setup(DOMID_SELF, 2, again, &st), 0);
	check(st == GNTST_okay && again[0] == frames[0] && again[1] == frames[1],
	      "  status %d, the same first two frames", st);
	check_rc("query_size", query(DOMID_SELF, &q), 0);
	check_eq("  nr_frames (never shrinks)", q.nr_frames, 4);

	check_rc("setup_table(65 frames)", setup(DOMID_SELF, MAX_FRAMES + 1, frames, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_general_error);
	check_rc("setup_table(64 frames)", setup(DOMID_SELF, MAX_FRAMES, frames, &st), 0);
	check_eq("  status", (uint16_t)st, GNTST_okay);
	check_eq("  frame 0 unchanged", frames[0], again[0]);
	check_rc("query_size", query(DOMID_SELF, &q), 0);
	check_eq("  nr_frames", q.nr_frames, MAX_FRAMES);

	check_rc("setup_table(dom0)", setup(0, 1, frames, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_permission_denied);
	check_rc("setup_table(no such domain)", setup(NO_SUCH_DOMAIN, 1, frames, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_domain);
	check_rc("setup_table(frame list in the hole)",
		 setup(DOMID_SELF, 1, (xen_pfn_t *)HOLE_ADDR, &st), -XEN_EFAULT);
	check_rc("setup_table(frame list unmapped)",
		 setup(DOMID_SELF, 1, (xen_pfn_t *)0x12345000ul, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_virt_addr);

	struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
	set_xen_guest_handle(op.frame_list, frames);
	check_rc("setup_table, count 2", HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 2),
		 -XEN_EINVAL);
#ifdef __x86_64__
	check_rc("setup_table, count 0", HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 0),
		 -XEN_EINVAL);
#else
	/* Xen's compat translation loops count times: nothing to do. */
	check_rc("setup_table, count 0 (compat: no-op)",
		 HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 0), 0);
#endif
	check_rc("setup_table from the hole",
		 HYPERVISOR_grant_table_op(GNTTABOP_setup_table, (void *)HOLE_ADDR, 1), -XEN_EFAULT);
}

static void bad_ops(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	printf("bad commands\n");
	check_rc("count -1", HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, -1), -XEN_EINVAL);
	check_rc("continuation bits in cmd",
		 HYPERVISOR_grant_table_op(GNTTABOP_query_size | (1u << 12), &q, 1), -XEN_EINVAL);
	check_rc("dump_table", HYPERVISOR_grant_table_op(GNTTABOP_dump_table, &q, 1), -XEN_ENOSYS);
	check_rc("cmd 99", HYPERVISOR_grant_table_op(99, &q, 1), -XEN_ENOSYS);
}

/* A grant frame is the guest's to map writable, like shared_info. */
static uint8_t window[2][GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));

static void mapping(void)
{
	printf("mapping grant frames\n");
	unsigned long va0 = (unsigned long)window[0], va1 = (unsigned long)window[1];
	unsigned long own0 = virt_to_mfn(window[0]), own1 = virt_to_mfn(window[1]);
	const uint64_t rw = PTE_P | PTE_RW | PTE_A | PTE_D;
	if (!check_rc("map grant frame 0 at window 0",
		      HYPERVISOR_update_va_mapping(va0, make_pte(frames[0], rw), UVMF_INVLPG), 0))
		return;
	volatile grant_entry_v1_t *e = (volatile grant_entry_v1_t *)window[0];
	/*
	 * The toolstack's entries: the console and xenstore pages, granted to
	 * dom0 (on Xen, whose backends map them, GTF_reading/GTF_writing too).
	 */
	check((e[GNTTAB_RESERVED_CONSOLE].flags & GTF_type_mask) == GTF_permit_access &&
	      e[GNTTAB_RESERVED_CONSOLE].domid == 0 &&
	      e[GNTTAB_RESERVED_CONSOLE].frame == start_info->console.domU.mfn,
	      "  entry 0: the console page (flags 0x%x domid %u frame 0x%x)",
	      e[0].flags, e[0].domid, e[0].frame);
	check((e[GNTTAB_RESERVED_XENSTORE].flags & GTF_type_mask) == GTF_permit_access &&
	      e[GNTTAB_RESERVED_XENSTORE].domid == 0 &&
	      e[GNTTAB_RESERVED_XENSTORE].frame == start_info->store_mfn,
	      "  entry 1: the xenstore page (flags 0x%x domid %u frame 0x%x)",
	      e[1].flags, e[1].domid, e[1].frame);
	bool zero = true;
	for (int i = 2; i < 512; i++)
		zero &= e[i].flags == 0 && e[i].domid == 0 && e[i].frame == 0;
	check(zero, "  the other entries start zeroed");
	e[8].domid = 0;
	e[8].frame = (uint32_t)own1;
	e[8].flags = GTF_permit_access | GTF_readonly;
	check_rc("map grant frame 0 at window 1 too",
		 HYPERVISOR_update_va_mapping(va1, make_pte(frames[0], rw), UVMF_INVLPG), 0);
	volatile grant_entry_v1_t *e1 = (volatile grant_entry_v1_t *)window[1];
	check(e1[8].flags == (GTF_permit_access | GTF_readonly) && e1[8].frame == (uint32_t)own1,
	      "  entry 8 seen through both mappings");
	check_rc("unmap window 1", HYPERVISOR_update_va_mapping(va1, make_pte(own1, rw), UVMF_INVLPG),
		 0);
	check_rc("map grant frame 63 at window 1",
		 HYPERVISOR_update_va_mapping(va1, make_pte(frames[MAX_FRAMES - 1], rw), UVMF_INVLPG),
		 0);
	e1[511].flags = GTF_permit_access;
	check_eq("  written", e1[511].flags, GTF_permit_access);
	check_rc("restore window 0", HYPERVISOR_update_va_mapping(va0, make_pte(own0, rw), UVMF_INVLPG),
		 0);
	check_rc("restore window 1", HYPERVISOR_update_va_mapping(va1, make_pte(own1, rw), UVMF_INVLPG),
		 0);
}

/* ---- GNTTABOP_transfer ---- */

static long transfer1(unsigned long mfn, domid_t dom, grant_ref_t ref, int16_t *status)
{
	struct gnttab_transfer op = { .mfn = mfn, .domid = dom, .ref = ref, .status = 99 };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_transfer, &op, 1);
	*status = op.status;
	return rc;
}

/* Our domain id, as a guest learns it: the remote end Xen records for an unbound port to DOMID_SELF. */
static domid_t own_domid(evtchn_port_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	if (!check_rc("alloc_unbound(remote DOMID_SELF)", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0))
		return DOMID_SELF;
	struct evtchn_status st = { .dom = DOMID_SELF, .port = a.port };
	check_rc("  its status", HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0);
	check_eq("  unbound", st.status, EVTCHNSTAT_unbound);
	*port = a.port;
	return st.u.unbound.dom;
}

/*
 * Xen's gnttab_transfer for a PV guest, to itself: the receiving entry
 * accepts a transfer from us (GTF_accept_transfer, our domid), the frame
 * must be ours, unreferenced and untyped; it comes back with its contents,
 * its number in the entry and GTF_transfer_committed|completed set. The
 * receiver is told through a loopback interdomain event channel, as a
 * page-flipping netback would tell a netfront. A frame that is not ours to
 * give is GNTST_bad_page and stays ours; a transfer that fails later
 * (no such domain, an entry that does not accept) loses the frame, as on
 * Xen.
 */
static void transfer(void)
{
	printf("transfer\n");
	if (!events_init())
		return;
	evtchn_port_t unbound = 0;
	domid_t me = own_domid(&unbound);
	struct evtchn_bind_interdomain bi = { .remote_dom = me, .remote_port = unbound };
	check_rc("bind_interdomain to our own unbound port (loopback)",
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi), 0);
	port_mask(unbound);
	port_mask(bi.local_port);

	unsigned long va0 = (unsigned long)window[0], va1 = (unsigned long)window[1];
	unsigned long own0 = virt_to_mfn(window[0]), own1 = virt_to_mfn(window[1]);
	const uint64_t rw = PTE_P | PTE_RW | PTE_A | PTE_D;
	unsigned long spare_pfn = start_info->nr_pages - 1, spare = p2m()[spare_pfn];
	/* Fill the spare frame through window 1, then drop the mapping: no references left. */
	if (!check_rc("map the spare frame", HYPERVISOR_update_va_mapping(va1, make_pte(spare, rw), UVMF_INVLPG), 0))
		return;
	for (unsigned i = 0; i < GUEST_PAGE_SIZE; i++)
		window[1][i] = (uint8_t)(i * 7 + 3);
	check_rc("unmap it", HYPERVISOR_update_va_mapping(va1, make_pte(own1, rw), UVMF_INVLPG), 0);
	/* The receiving entry, through a mapping of grant frame 0. */
	check_rc("map grant frame 0", HYPERVISOR_update_va_mapping(va0, make_pte(frames[0], rw), UVMF_INVLPG), 0);
	volatile grant_entry_v1_t *e = (volatile grant_entry_v1_t *)window[0];
	e[20].frame = 0;
	e[20].domid = me;
	e[20].flags = GTF_accept_transfer;
	int16_t st;
	check_rc("transfer the spare frame to ourselves (entry 20)", transfer1(spare, me, 20, &st), 0);
	check_eq("  status", (uint16_t)st, GNTST_okay);
	check_eq("  entry flags: accept, committed, completed", e[20].flags,
		 GTF_accept_transfer | GTF_transfer_committed | GTF_transfer_completed);
	check_eq("  entry frame: the frame", e[20].frame, (uint32_t)spare);
	struct evtchn_send send = { .port = bi.local_port };
	check_rc("  notify over the loopback channel", HYPERVISOR_event_channel_op(EVTCHNOP_send, &send), 0);
	check(port_pending(unbound), "  the other end is pending");
	check_rc("  the frame is ours again: map it", HYPERVISOR_update_va_mapping(va1, make_pte(spare, rw), UVMF_INVLPG), 0);
	bool same = true;
	for (unsigned i = 0; i < GUEST_PAGE_SIZE; i++)
		same &= window[1][i] == (uint8_t)(i * 7 + 3);
	check(same, "  with its contents");

	/* Mapped (window 1 holds it): not ours to give, and it stays ours. */
	e[21].domid = me;
	e[21].flags = GTF_accept_transfer;
	check_rc("transfer a mapped frame", transfer1(spare, me, 21, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_page);
	check_eq("  the entry untouched", e[21].flags, GTF_accept_transfer);
	check_rc("transfer a frame of the stub", transfer1(frames[0], me, 21, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_page);
	check_rc("transfer a frame beyond memory", transfer1(p2m_max_mfn() + 100000, me, 21, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_page);
	check_rc("unmap the frame", HYPERVISOR_update_va_mapping(va1, make_pte(own1, rw), UVMF_INVLPG), 0);

	/* Failures after the frame was taken: it is gone (a mapping of it is refused). */
	e[22].domid = me;
	e[22].flags = GTF_permit_access;
	check_rc("transfer to an entry that does not accept", transfer1(spare, me, 22, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_general_error);
	check_eq("  the entry untouched", e[22].flags, GTF_permit_access);
	check_rc("  the frame is gone: mapping it", HYPERVISOR_update_va_mapping(va1, make_pte(spare, rw), UVMF_INVLPG),
		 -XEN_EBUSY);
	unsigned long other = p2m()[spare_pfn - 1];
	check_rc("transfer to DOMID_SELF (not a domain id)", transfer1(other, DOMID_SELF, 21, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_bad_domain);
	unsigned long third = p2m()[spare_pfn - 2];
	check_rc("transfer to dom0, which did not accept", transfer1(third, 0, 21, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_general_error);
	unsigned long fourth = p2m()[spare_pfn - 3];
	check_rc("transfer to an entry beyond the table", transfer1(fourth, me, 64 * 512, &st), 0);
	check_eq("  status", (uint16_t)st, (uint16_t)GNTST_general_error);
	check_rc("transfer, ops in the hole", HYPERVISOR_grant_table_op(GNTTABOP_transfer, (void *)HOLE_ADDR, 1),
		 -XEN_EFAULT);
	check_rc("restore window 0", HYPERVISOR_update_va_mapping(va0, make_pte(own0, rw), UVMF_INVLPG), 0);
}

void guest_main(void)
{
	printf("grants test (" GUEST_MODE ")\n");
	sizes_and_versions();
	setup_table();
	bad_ops();
	mapping();
	transfer();
}
