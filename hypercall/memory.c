/* memory.c — memory_op: reservations (ballooning), the machine-to-phys table, the memory map. */
#include "hypercall.h"
#include "mmu.h"
#include <xen/memory.h>

/*
 * Xen keeps a continuation's start extent in cmd bits 6 and up (not in the
 * public headers); a guest may pass it too, so decode it the same way.
 */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1u << MEMOP_EXTENT_SHIFT) - 1)

/* Pages the guest holds now and may hold at most (xl's memory and maxmem). */
static uint64_t tot_pages, max_pages;

static uint64_t guest_tot_pages(void)
{
	if (!max_pages)
		tot_pages = max_pages = dom.bi.guest_nr_pages;
	return tot_pages;
}

/*
 * Xen's steal_page() for GNTTABOP_transfer: the frame leaves the guest if it
 * is the guest's own, unreferenced and untyped. memory_frame_return() gives
 * it back (a transfer to ourselves); otherwise it stays freed, as on Xen.
 */
int memory_frame_steal(uint64_t mfn)
{
	guest_tot_pages();
	mmu_lock();
	int rc = mmu_frame_release(mfn);
	if (!rc)
		tot_pages--;
	mmu_unlock();
	return rc;
}

int memory_frame_return(uint64_t mfn)
{
	mmu_lock();
	int rc = tot_pages >= max_pages ? -XEN_ENOMEM : mmu_frame_adopt(mfn);
	if (!rc)
		tot_pages++;
	mmu_unlock();
	return rc;
}

static bool domid_is_self(domid_t id)
{
	return id == DOMID_SELF || id == dom.bi.domid;
}

/*
 * increase_reservation, decrease_reservation and populate_physmap share one
 * loop: each extent is one frame (order 0; larger orders need contiguous
 * machine memory, which xenner does not promise). Returns the number of
 * extents done, as Xen does, starting at start_extent.
 */
static long reservation(unsigned op, ulong arg, ulong start)
{
	struct xen_memory_reservation res;
	if (copy_from_guest(&res, arg, sizeof(res)))
		return -XEN_EFAULT;
	if (!domid_is_self(res.domid))
		return -XEN_EPERM;
	if (res.extent_order != 0)
		return 0;
	guest_tot_pages();
	ulong done;
	for (done = start; done < res.nr_extents; done++) {
		ulong slot = (ulong)res.extent_start.p + done * sizeof(xen_pfn_t);
		xen_pfn_t v = 0;
		if (op != XENMEM_increase_reservation && copy_from_guest(&v, slot, sizeof(v)))
			return done ? (long)done : -XEN_EFAULT;
		mmu_lock();
		int rc;
		uint64_t mfn = 0;
		if (op == XENMEM_decrease_reservation) {
			rc = mmu_frame_release(v);
			if (!rc)
				tot_pages--;
		} else if (tot_pages >= max_pages) {
			rc = -XEN_ENOMEM;
		} else {
			rc = mmu_frame_claim(&mfn);
			if (!rc)
				tot_pages++;
		}
		mmu_unlock();
		if (rc)
			break;
		if (op == XENMEM_decrease_reservation)
			continue;
		if (op == XENMEM_populate_physmap) {
			uint8_t *m2p = stub_ptr(dom.bi.m2p_off);
#if STUB_BITS == 64
			((uint64_t *)m2p)[mfn] = v;
#else
			((uint32_t *)m2p)[mfn] = (uint32_t)v;
#endif
		}
		xen_pfn_t out = (xen_pfn_t)mfn;
		if (copy_to_guest(slot, &out, sizeof(out)))
			return (long)done;
	}
	return (long)done;
}

static long machphys_mapping(ulong arg)
{
	struct xen_machphys_mapping m = {
		.v_start = dom.bi.m2p_virt,
		.v_end = dom.bi.m2p_virt + dom.bi.m2p_size,
		.max_mfn = dom.bi.max_mfn - 1,
	};
	return copy_to_guest(arg, &m, sizeof(m));
}

/* The M2P's machine frames, one per 2 MiB extent (what Linux maps for dom0 tools). */
static long machphys_mfn_list(ulong arg)
{
	struct xen_machphys_mfn_list l;
	if (copy_from_guest(&l, arg, sizeof(l)))
		return -XEN_EFAULT;
	uint64_t first = (dom.bi.stub_maddr + dom.bi.m2p_off) >> PAGE_SHIFT;
	unsigned n = (unsigned)(dom.bi.m2p_size >> 21);
	unsigned i;
	for (i = 0; i < n && i < l.max_extents; i++) {
		xen_pfn_t mfn = (xen_pfn_t)(first + ((uint64_t)i << 9));
		if (copy_to_guest((ulong)l.extent_start.p + i * sizeof(mfn), &mfn, sizeof(mfn)))
			return -XEN_EFAULT;
	}
	l.nr_extents = i;
	return copy_to_guest(arg, &l, sizeof(l));
}

/* A PV domU's pseudo-physical map: all of its RAM, from pfn 0. */
static long memory_map(ulong arg)
{
	struct xen_memory_map m;
	if (copy_from_guest(&m, arg, sizeof(m)))
		return -XEN_EFAULT;
	if (m.nr_entries < 1)
		return -XEN_EINVAL;
	struct {
		uint64_t addr, size;
		uint32_t type;
	} __attribute__((packed)) e820 = { 0, guest_tot_pages() << PAGE_SHIFT, 1 /* RAM */ };
	if (copy_to_guest((ulong)m.buffer.p, &e820, sizeof(e820)))
		return -XEN_EFAULT;
	m.nr_entries = 1;
	return copy_to_guest(arg, &m, sizeof(m));
}

long do_memory_op(HC_ARGS)
{
	unsigned op = (unsigned)(a1 & MEMOP_CMD_MASK);
	ulong start = a1 >> MEMOP_EXTENT_SHIFT, arg = a2;
	domid_t id;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation(op, arg, start);
	case XENMEM_maximum_ram_page:
		return (long)dom.bi.max_mfn;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		if (copy_from_guest(&id, arg, sizeof(id)))
			return -XEN_EFAULT;
		if (!domid_is_self(id))
			return -XEN_EPERM;
		guest_tot_pages();
		return (long)(op == XENMEM_current_reservation ? tot_pages : max_pages);
	case XENMEM_maximum_gpfn:
		return (long)dom.bi.guest_nr_pages - 1;
	case XENMEM_machphys_mapping:
		return machphys_mapping(arg);
	case XENMEM_machphys_mfn_list:
		return machphys_mfn_list(arg);
	case XENMEM_memory_map:
		return memory_map(arg);
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}
