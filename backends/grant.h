/* grant.h — dom0's side of the guest's grant table: validated access to granted frames. */
#ifndef BACKENDS_GRANT_H
#define BACKENDS_GRANT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xenner/hostabi.h>

/*
 * The host maps all guest memory, so a "grant map" is a pointer into it —
 * but only after everything Xen's map_grant_ref checks (xen/common/
 * grant_table.c, v1): the ref is inside the table the guest set up, the
 * entry permits access to dom0 (GTF_permit_access, domid 0), a writable
 * access is not GTF_readonly, and the frame is a guest frame (not a stub
 * frame, not ballooned out). While a ref is in use the entry carries
 * GTF_reading / GTF_writing, which the guest's gnttab_end_foreign_access
 * checks before it revokes; the frame holds a general reference, and for
 * writable use a writable type reference, taken in the stub's own frame
 * info under its lock (hostabi.h): a frame a backend writes can never be a
 * page table or descriptor page at the same time.
 *
 * Thread-safe: blkback and netback queues call it from their threads.
 */
struct gnt_host {
	struct host_page *hp;                   /* the guest's table frames, the MMU lock */
	struct frame_info *frames;              /* the stub's frame info, max_mfn entries */
	uint64_t max_mfn;
	void *(*mfn_to_host)(void *opaque, uint64_t mfn);       /* guest RAM, else NULL */
	void *opaque;
	uint8_t *stub;                          /* the stub region (the table frames are there) */
	uint64_t stub_mfn, stub_frames;
	domid_t backend_domid;                  /* who the backends are: 0 */
	pthread_mutex_t lock;                   /* the active entries */
	struct gnt_active {
		uint32_t frame;                 /* the entry's frame at first use */
		uint16_t readers, writers;      /* uses in each mode */
	} *active;                              /* HOST_GNTTAB_MAX_FRAMES * GNT_PER_FRAME */
	uint64_t errors;                        /* refused uses (--stats) */
};

#define GNT_PER_FRAME ((uint32_t)(4096 / sizeof(grant_entry_v1_t)))

/* 0 or -ENOMEM. */
int gnt_host_init(struct gnt_host *g);
void gnt_host_destroy(struct gnt_host *g);

/*
 * Use grant ref for reading (write false) or reading and writing. GNTST_okay
 * and *page = the granted frame in host memory, or the GNTST_* error Xen's
 * map would give: GNTST_bad_gntref (ref beyond the table), GNTST_general_error
 * (not permitted to dom0, read-only, the entry changing under us), or
 * GNTST_bad_page (not a frame the guest may grant), or GNTST_general_error for
 * a writable use of a page table or descriptor page (Xen cannot pin it).
 * Every successful gnt_map needs one gnt_unmap with the same ref and mode.
 */
int16_t gnt_map(struct gnt_host *g, grant_ref_t ref, bool write, void **page);
void gnt_unmap(struct gnt_host *g, grant_ref_t ref, bool write);

/* Entries the guest's table has now (0 before its first grant_table_op). */
uint32_t gnt_nr_entries(const struct gnt_host *g);

#endif
