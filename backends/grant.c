/* grant.c — dom0's side of the guest's grant table (v1): validated, reference-counted access. */
#include "backends/grant.h"

#include <errno.h>
#include <stdlib.h>

/* How often the entry may change under our compare-and-swap (Xen gives up too). */
#define GNT_CMPXCHG_TRIES 4

int gnt_host_init(struct gnt_host *g)
{
	g->active = calloc((size_t)HOST_GNTTAB_MAX_FRAMES * GNT_PER_FRAME, sizeof(*g->active));
	if (!g->active)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	return 0;
}

void gnt_host_destroy(struct gnt_host *g)
{
	free(g->active);
	g->active = NULL;
}

uint32_t gnt_nr_entries(const struct gnt_host *g)
{
	uint32_t n = __atomic_load_n(&g->hp->gnttab_nr_frames, __ATOMIC_ACQUIRE);
	return n > HOST_GNTTAB_MAX_FRAMES ? 0 : n * GNT_PER_FRAME;
}

static grant_entry_v1_t *entry(struct gnt_host *g, grant_ref_t ref)
{
	uint64_t mfn = __atomic_load_n(&g->hp->gnttab_mfn[ref / GNT_PER_FRAME], __ATOMIC_RELAXED);
	if (mfn < g->stub_mfn || mfn - g->stub_mfn >= g->stub_frames)
		return NULL;            /* the stub allocates them from its own region */
	grant_entry_v1_t *e = (grant_entry_v1_t *)(void *)(g->stub + ((mfn - g->stub_mfn) << 12));
	return e + ref % GNT_PER_FRAME;
}

/* The MMU lock the stub takes (hypercall/smp.c spin_lock). */
static void mmu_lock(struct gnt_host *g)
{
	while (__atomic_exchange_n(&g->hp->mmu_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&g->hp->mmu_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void mmu_unlock(struct gnt_host *g)
{
	__atomic_store_n(&g->hp->mmu_lock, 0, __ATOMIC_RELEASE);
}

static unsigned type_of(uint32_t type)
{
	return type >> FRAME_TYPE_SHIFT;
}

/* A general reference, and a writable type reference if write (Xen's get_page_and_type). */
static int16_t get_frame(struct gnt_host *g, uint64_t mfn, bool general, bool write)
{
	if (mfn >= g->max_mfn || !g->mfn_to_host(g->opaque, mfn))
		return GNTST_bad_page;
	int16_t st = GNTST_okay;
	mmu_lock(g);
	struct frame_info *f = &g->frames[mfn];
	uint32_t tcount = f->type & FRAME_TYPE_COUNT_MASK;
	if (!(f->count & FRAME_GUEST) || (f->count & (FRAME_XEN_SHARED | FRAME_FREE)) ||
	    (general && (f->count & FRAME_COUNT_MASK) == FRAME_COUNT_MASK))
		st = GNTST_bad_page;
	else if (write && tcount && (type_of(f->type) != FRAME_TYPE_WRITABLE ||
				     tcount == FRAME_TYPE_COUNT_MASK))
		st = GNTST_general_error;       /* a page table, a descriptor page: Xen's could_not_pin */
	else {
		if (general)
			f->count++;
		if (write)
			f->type = tcount ? f->type + 1
					 : (uint32_t)FRAME_TYPE_WRITABLE << FRAME_TYPE_SHIFT |
					   FRAME_TYPE_VALIDATED | 1;
	}
	mmu_unlock(g);
	return st;
}

static void put_frame(struct gnt_host *g, uint64_t mfn, bool general, bool write)
{
	mmu_lock(g);
	struct frame_info *f = &g->frames[mfn];
	if (write && (f->type & FRAME_TYPE_COUNT_MASK)) {
		if ((f->type & FRAME_TYPE_COUNT_MASK) == 1) {
			f->type = 0;
			/* A vCPU may still cache a guest mapping dropped before ours. */
			__atomic_add_fetch(&g->hp->tlb_stale_gen, 1, __ATOMIC_SEQ_CST);
		} else {
			f->type--;
		}
	}
	if (general && (f->count & FRAME_COUNT_MASK))
		f->count--;
	mmu_unlock(g);
}

/*
 * Xen's _set_status_v1: the entry must permit access to us (and writing,
 * if we write); set GTF_reading/GTF_writing in one compare-and-swap of the
 * flags and domid, which the guest may be changing at the same moment.
 */
static int16_t set_status(grant_entry_v1_t *e, domid_t us, bool write)
{
	uint32_t *combo = (uint32_t *)(void *)e;        /* flags (low 16), domid (high 16) */
	_Static_assert(__builtin_offsetof(grant_entry_v1_t, flags) == 0 &&
		       __builtin_offsetof(grant_entry_v1_t, domid) == 2, "grant_entry_v1 layout");
	uint32_t old = __atomic_load_n(combo, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < GNT_CMPXCHG_TRIES; i++) {
		uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);
		if ((flags & GTF_type_mask) != GTF_permit_access || (flags & GTF_sub_page) ||
		    domid != us || (write && (flags & GTF_readonly)))
			return GNTST_general_error;
		uint32_t want = old | GTF_reading | (write ? GTF_writing : 0);
		if (want == old ||
		    __atomic_compare_exchange_n(combo, &old, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return GNTST_okay;
	}
	return GNTST_general_error;
}

static void clear_flags(grant_entry_v1_t *e, uint16_t bits)
{
	__atomic_fetch_and(&e->flags, (uint16_t)~bits, __ATOMIC_RELEASE);
}

int16_t gnt_map(struct gnt_host *g, grant_ref_t ref, bool write, void **page)
{
	if (ref >= gnt_nr_entries(g)) {
		__atomic_add_fetch(&g->errors, 1, __ATOMIC_RELAXED);
		return GNTST_bad_gntref;
	}
	grant_entry_v1_t *e = entry(g, ref);
	if (!e)
		return GNTST_general_error;
	pthread_mutex_lock(&g->lock);
	struct gnt_active *a = &g->active[ref];
	int16_t st = GNTST_general_error;
	if ((write ? a->writers : a->readers) == UINT16_MAX)
		goto out;
	/* Checked every time: the guest may have revoked access since. */
	st = set_status(e, g->backend_domid, write);
	if (st != GNTST_okay)
		goto out;
	bool first = !a->readers && !a->writers;
	if (first)
		a->frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
	st = first || (write && !a->writers) ? get_frame(g, a->frame, first, write && !a->writers)
					     : GNTST_okay;
	if (st != GNTST_okay) {
		if (first)
			clear_flags(e, GTF_reading | GTF_writing);
		else if (write && !a->writers)
			clear_flags(e, GTF_writing);
		goto out;
	}
	if (write)
		a->writers++;
	else
		a->readers++;
	*page = g->mfn_to_host(g->opaque, a->frame);
out:
	pthread_mutex_unlock(&g->lock);
	if (st != GNTST_okay)
		__atomic_add_fetch(&g->errors, 1, __ATOMIC_RELAXED);
	return st;
}

void gnt_unmap(struct gnt_host *g, grant_ref_t ref, bool write)
{
	if (ref >= (uint32_t)HOST_GNTTAB_MAX_FRAMES * GNT_PER_FRAME)
		return;
	pthread_mutex_lock(&g->lock);
	struct gnt_active *a = &g->active[ref];
	uint16_t *n = write ? &a->writers : &a->readers;
	if (*n) {
		(*n)--;
		bool last_writer = write && !a->writers, last = !a->readers && !a->writers;
		grant_entry_v1_t *e = entry(g, ref);
		if (last_writer && e)
			clear_flags(e, GTF_writing);
		if (last && e)
			clear_flags(e, GTF_reading);
		if (last_writer || last)
			put_frame(g, a->frame, last, last_writer);
	}
	pthread_mutex_unlock(&g->lock);
}
