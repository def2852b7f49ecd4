/* grant.c — grant_table_op (v1): the shared frames, setup_table, query_size, versions. */
#include "hypercall.h"
#include "guestcheck.h"
#include "grant.h"
#include "mmu.h"
#include <xen/grant_table.h>

/*
 * Xen keeps continuation state in the bits of cmd above 12 (an internal
 * constant that is "effectively part of the ABI", grant_table.c); only
 * GNTTABOP_cache_flush may carry any.
 */
#define GNTTABOP_CONTINUATION_ARG_SHIFT 12
#define GNTTABOP_CMD_MASK ((1u << GNTTABOP_CONTINUATION_ARG_SHIFT) - 1)

_Static_assert(GNTTAB_MAX_FRAMES == HOST_GNTTAB_MAX_FRAMES, "hostabi.h");
#define GNT_PER_FRAME_V1 (PAGE_SIZE / sizeof(grant_entry_v1_t))

struct gnttab gnttab = { .version = 1, .max_frames = GNTTAB_MAX_FRAMES };
static volatile int gnttab_lock_word;

static void gnttab_lock(void)
{
	spin_lock(&gnttab_lock_word);
}

static void gnttab_unlock(void)
{
	spin_unlock(&gnttab_lock_word);
}

enum domain_ref domain_lookup(uint16_t domid)
{
	if (domid == DOMID_SELF || domid == dom.bi.domid)
		return DOMAIN_SELF;
	return domid == 0 ? DOMAIN_OTHER : DOMAIN_NONE;
}

/* The status of an op on domid's table: Xen's lookup, then its XSM_TARGET check. */
static int16_t gnttab_domain_status(uint16_t domid)
{
	switch (domain_lookup(domid)) {
	case DOMAIN_SELF:
		return GNTST_okay;
	case DOMAIN_OTHER:
		return GNTST_permission_denied;
	default:
		return GNTST_bad_domain;
	}
}

/*
 * What Xen's toolstack writes when it builds the domain
 * (xc_dom_gnttab_seed): the reserved entries for the console and xenstore
 * pages, granted to dom0. The stub takes their frames from start_info; if
 * the guest no longer has it mapped, the entries stay empty.
 */
static void gnttab_seed(grant_entry_v1_t *e)
{
	start_info_t si;
	if (copy_from_guest(&si, (ulong)dom.bi.start_info, sizeof(si)) ||
	    memcmp(si.magic, "xen-3.0-", 8))
		return;
	const uint64_t mfn[2] = { si.console.domU.mfn, si.store_mfn };
	const unsigned ref[2] = { GNTTAB_RESERVED_CONSOLE, GNTTAB_RESERVED_XENSTORE };
	for (unsigned i = 0; i < 2; i++) {
		if (!mfn_is_guest_ram(mfn[i]) || mfn[i] != (uint32_t)mfn[i])
			continue;
		e[ref[i]].domid = 0;
		e[ref[i]].frame = (uint32_t)mfn[i];
		__atomic_store_n(&e[ref[i]].flags, GTF_permit_access, __ATOMIC_RELEASE);
	}
}

/*
 * Grow the table to nr frames (gnttab_grow_table): zeroed stub heap
 * pages, shared with the guest. Xen allocates the first frame when the
 * domain is created; here it comes with the first grant_table_op, which is
 * the first moment anyone can tell. Caller holds the lock.
 */
static void gnttab_grow(uint32_t nr)
{
	if (nr < GNTTAB_INITIAL_FRAMES)
		nr = GNTTAB_INITIAL_FRAMES;
	for (uint32_t i = gnttab.nr_frames; i < nr; i++) {
		void *p = heap_alloc_pages(1, PAGE_SIZE);
		gnttab.frame[i] = p;
		gnttab.mfn[i] = stub_virt_to_mfn(p);
		mm_share_frame_with_guest(gnttab.mfn[i]);
		if (i == 0)
			gnttab_seed(p);
		dom.host->gnttab_mfn[i] = gnttab.mfn[i];
	}
	if (nr > gnttab.nr_frames) {
		trace(TRACE_HYPERCALLS, "grant table: %u frames (max %u)", nr, gnttab.max_frames);
		gnttab.nr_frames = nr;
		/* The host's backends may read these frames' entries from now on. */
		__atomic_store_n(&dom.host->gnttab_nr_frames, nr, __ATOMIC_RELEASE);
	}
}

/*
 * GNTTABOP_setup_table: grow to nr_frames and list the frames' MFNs.
 * Errors about the call are -errno; errors about the request go in status
 * (the call then returns 0). 64-bit writes back only status; 32-bit
 * (Xen's compat translation) the whole struct, refuses count > 1 after
 * checking the array, treats count 0 as a no-op, and cannot list an MFN
 * above 32 bits.
 */
static long gnttab_setup_table(ulong uop, unsigned count)
{
	struct gnttab_setup_table op;
#if STUB_BITS == 64
	if (count != 1)
		return -XEN_EINVAL;
#else
	if (!gc_guest_array_ok(uop, count, sizeof(op), 32))
		return -XEN_EFAULT;
	if (count > 1)
		return -XEN_EINVAL;
	if (count == 0)
		return 0;
#endif
	if (copy_from_guest(&op, uop, sizeof(op)))
		return -XEN_EFAULT;
	ulong list = (ulong)op.frame_list.p;
	if (!gc_guest_array_ok(list, op.nr_frames, sizeof(xen_pfn_t), STUB_BITS))
		return -XEN_EFAULT;

	op.status = gnttab_domain_status(op.dom);
	if (op.status == GNTST_okay) {
		gnttab_lock();
		gnttab_grow(0);
		if (op.nr_frames > gnttab.max_frames)
			op.status = GNTST_general_error;
		else
			gnttab_grow(op.nr_frames);
		gnttab_unlock();
	}
	for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
		xen_pfn_t mfn = (xen_pfn_t)gnttab.mfn[i];
		if (mfn != gnttab.mfn[i])
			op.status = GNTST_address_too_big;
		else if (copy_to_guest(list + i * sizeof(mfn), &mfn, sizeof(mfn)))
			op.status = GNTST_bad_virt_addr;
	}
#if STUB_BITS == 64
	if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status,
			  sizeof(op.status)))
		return -XEN_EFAULT;
#else
	if (copy_to_guest(uop, &op, sizeof(op)))
		return -XEN_EFAULT;
#endif
	return 0;
}

static long gnttab_query_size(ulong uop, unsigned count)
{
	struct gnttab_query_size op;
	if (count != 1)
		return -XEN_EINVAL;
	if (copy_from_guest(&op, uop, sizeof(op)))
		return -XEN_EFAULT;
	op.status = gnttab_domain_status(op.dom);
	if (op.status == GNTST_okay) {
		gnttab_lock();
		gnttab_grow(0);
		gnttab_unlock();
		op.nr_frames = gnttab.nr_frames;
		op.max_nr_frames = gnttab.max_frames;
	}
	return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

/*
 * GNTTABOP_set_version: 1 is what the table is; 2 gets what Xen gives
 * when v2 is disabled (max version 1): -ENOSYS; anything else -EINVAL.
 * The current version is written back in every case.
 */
static long gnttab_set_version(ulong uop)
{
	struct gnttab_set_version op;
	long rc;
	if (copy_from_guest(&op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (op.version != 1 && op.version != 2)
		rc = -XEN_EINVAL;
	else if (op.version == 2)
		rc = -XEN_ENOSYS;
	else
		rc = 0;
	op.version = gnttab.version;
	return copy_to_guest(uop, &op, sizeof(op)) ? -XEN_EFAULT : rc;
}

static long gnttab_get_version(ulong uop)
{
	struct gnttab_get_version op;
	if (copy_from_guest(&op, uop, sizeof(op)))
		return -XEN_EFAULT;
	switch (domain_lookup(op.dom)) {
	case DOMAIN_NONE:
		return -XEN_ESRCH;
	case DOMAIN_OTHER:
		return -XEN_EPERM;
	default:
		break;
	}
	op.version = gnttab.version;
	return copy_to_guest(uop + offsetof(struct gnttab_get_version, version), &op.version,
			     sizeof(op.version)) ? -XEN_EFAULT : 0;
}

/* v1 has no status frames: asking for any is GNTST_general_error. */
static long gnttab_get_status_frames(ulong uop, unsigned count)
{
	struct gnttab_get_status_frames op;
	if (count != 1)
		return -XEN_EINVAL;
	if (copy_from_guest(&op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (!gc_guest_array_ok((ulong)op.frame_list.p, op.nr_frames, sizeof(uint64_t), STUB_BITS))
		return -XEN_EFAULT;
	op.status = gnttab_domain_status(op.dom);
	if (op.status == GNTST_okay && op.nr_frames > 0)
		op.status = GNTST_general_error;
	return copy_to_guest(uop + offsetof(struct gnttab_get_status_frames, status), &op.status,
			     sizeof(op.status)) ? -XEN_EFAULT : 0;
}

/*
 * Xen's gnttab_prepare_for_transfer (v1): the receiving entry must be
 * exactly GTF_accept_transfer for the giving domain; GTF_transfer_committed
 * is set in the same compare-and-swap of flags and domid.
 */
static bool gnttab_accept_transfer(grant_ref_t ref, domid_t from)
{
	if (ref >= gnttab.nr_frames * GNT_PER_FRAME_V1)
		return false;
	grant_entry_v1_t *e = (grant_entry_v1_t *)gnttab.frame[ref / GNT_PER_FRAME_V1] + ref % GNT_PER_FRAME_V1;
	uint32_t *combo = (uint32_t *)(void *)e;        /* flags (low 16), domid (high 16) */
	uint32_t old = __atomic_load_n(combo, __ATOMIC_ACQUIRE);
	for (unsigned tries = 0; tries < 4; tries++) {
		if ((uint16_t)old != GTF_accept_transfer || (uint16_t)(old >> 16) != from)
			return false;
		if (__atomic_compare_exchange_n(combo, &old, old | GTF_transfer_committed, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/*
 * GNTTABOP_transfer (Xen's gnttab_transfer, PV only): the frame is stolen
 * from the guest (GNTST_bad_page if it is not its own, unreferenced and
 * untyped: it then stays the guest's); the receiver must be a domain that
 * exists and has an entry accepting it, else the frame is gone (freed) and
 * the status says why. The one receiver xenner can serve is the guest
 * itself: the frame comes back with its contents, its number goes into the
 * entry and GTF_transfer_completed is set. dom0 exists but its table is the
 * host's: GNTST_general_error, as Xen gives when dom0 did not accept.
 */
static long gnttab_transfer(ulong uop, unsigned count)
{
	if (!gc_guest_array_ok(uop, count, sizeof(struct gnttab_transfer), STUB_BITS))
		return -XEN_EFAULT;
	for (unsigned i = 0; i < count; i++) {
		struct gnttab_transfer op;
		ulong at = uop + i * sizeof(op);
		if (copy_from_guest(&op, at, sizeof(op)))
			return -XEN_EFAULT;
		uint64_t mfn = op.mfn;
		if (!mfn_is_guest_ram(mfn) || memory_frame_steal(mfn)) {
			op.status = GNTST_bad_page;
		} else if (op.domid != dom.bi.domid) {
			op.status = op.domid == 0 ? GNTST_general_error : GNTST_bad_domain;
		} else {
			gnttab_lock();
			bool ok = gnttab_accept_transfer(op.ref, dom.bi.domid);
			gnttab_unlock();
			if (!ok || memory_frame_return(mfn)) {
				op.status = GNTST_general_error;
			} else {
				grant_entry_v1_t *e = (grant_entry_v1_t *)gnttab.frame[op.ref / GNT_PER_FRAME_V1] +
						      op.ref % GNT_PER_FRAME_V1;
				e->frame = (uint32_t)mfn;
				__atomic_fetch_or(&e->flags, GTF_transfer_completed, __ATOMIC_RELEASE);
				op.status = GNTST_okay;
			}
		}
		if (copy_to_guest(at + offsetof(struct gnttab_transfer, status), &op.status, sizeof(op.status)))
			return -XEN_EFAULT;
	}
	return 0;
}

long do_grant_table_op(HC_ARGS)
{
	unsigned cmd = (unsigned)a1, count = (unsigned)a3;
	ulong uop = a2;

	if ((int)count < 0)
		return -XEN_EINVAL;
	if ((cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush && (cmd & ~GNTTABOP_CMD_MASK))
		return -XEN_EINVAL;
	switch (cmd & GNTTABOP_CMD_MASK) {
	case GNTTABOP_setup_table:
		return gnttab_setup_table(uop, count);
	case GNTTABOP_query_size:
		return gnttab_query_size(uop, count);
	case GNTTABOP_set_version:
		return gnttab_set_version(uop);
	case GNTTABOP_get_version:
		return gnttab_get_version(uop);
	case GNTTABOP_get_status_frames:
		return gnttab_get_status_frames(uop, count);
	case GNTTABOP_transfer:
		return gnttab_transfer(uop, count);
	case GNTTABOP_map_grant_ref:
	case GNTTABOP_unmap_grant_ref:
	case GNTTABOP_unmap_and_replace:
	case GNTTABOP_copy:
	case GNTTABOP_swap_grant_ref:
	case GNTTABOP_cache_flush:
		return HYPERCALL_UNSUPPORTED;
	default:
		return -XEN_ENOSYS;     /* dump_table included, as on Xen */
	}
}
