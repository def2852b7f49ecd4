/* grant.h — the guest's grant table (v1) and the domain ids the stub knows. */
#ifndef STUB_GRANT_H
#define STUB_GRANT_H
#include <stdint.h>

/* Xen's defaults: max_grant_frames 64 (opt_max_grant_frames, xl), INITIAL_NR_GRANT_FRAMES 1. */
#define GNTTAB_MAX_FRAMES     64
#define GNTTAB_INITIAL_FRAMES 1

/*
 * The shared grant-table frames, in one place: stub heap pages the guest
 * may map (mm_share_frame_with_guest). The host's backends will read the
 * grant entries from these machine frames (a hostcall will hand this
 * over); the frames only ever grow, up to max_frames, and never move.
 */
struct gnttab {
	uint32_t version;               /* 1: v2 is not offered */
	uint32_t nr_frames;             /* allocated so far (>= 1 once used) */
	uint32_t max_frames;
	uint64_t mfn[GNTTAB_MAX_FRAMES];
	void *frame[GNTTAB_MAX_FRAMES]; /* stub-virtual */
};
extern struct gnttab gnttab;

/*
 * Xen's rcu_lock_domain_by_any_id() in xenner's world: this domain
 * (DOMID_SELF or its own id), dom0 (where the backends live: it exists,
 * but this domain has no rights over it), or nothing.
 */
enum domain_ref { DOMAIN_SELF, DOMAIN_OTHER, DOMAIN_NONE };
enum domain_ref domain_lookup(uint16_t domid);

#endif
