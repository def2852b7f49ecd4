/* integrity.h — after a run, from the host: is the stub intact, and does the guest map only what is its own? */
#ifndef XENNER_INTEGRITY_H
#define XENNER_INTEGRITY_H

#include <stddef.h>
#include <stdint.h>
#include <xenner/memplan.h>

/*
 * What the host knows, independently of the stub: the memory plan, the
 * stub image it loaded, and the stub region and guest RAM as they are now.
 * The check re-derives every invariant the stub's MMU promises (Xen's
 * page-table and descriptor rules) from memory alone, so a stub bug that
 * let a guest escape shows up here even if the stub believes all is well.
 */
struct integrity_in {
	const struct mem_plan *plan;
	const uint8_t *stub;                    /* the stub region now */
	const uint8_t *image;                   /* the stub image as loaded */
	size_t ro_size;                         /* its code and read-only data: [0, ro_size) */
	void *(*mfn_to_host)(void *opaque, uint64_t mfn);       /* guest RAM frames, else NULL */
	void *opaque;
	unsigned nr_vcpus;                      /* stub_stats blocks to read */
};

struct integrity_report {
	uint64_t ro_bytes;              /* stub code and read-only data compared */
	uint64_t pt_bytes;              /* stub page tables compared */
	uint64_t m2p_entries;           /* M2P entries of frames the guest does not own, checked */
	unsigned tables[5];             /* validated guest page tables by level (1-4) */
	unsigned desc_pages;            /* validated descriptor-table frames */
	uint64_t live_descriptors;      /* entries of the GDTs and LDTs the CPU uses for the guest */
	uint64_t entries;               /* present entries checked */
};

/*
 * The checks, in order; the first violation ends them:
 *  - the stub's code and read-only data equal the image;
 *  - the stub's own page tables equal what the host built (the 32-bit
 *    map-cache L1, which the stub changes at run time, excepted);
 *  - the M2P entries of every frame that is not guest RAM are still invalid;
 *  - every guest frame typed as a validated page table (with type
 *    references) is guest RAM, and each present entry: has no flags a domU
 *    may not set; at level 1 maps a frame the guest may map (its own or one
 *    the stub shares), writable only if that frame is typed writable; above
 *    level 1 points at a validated table of the next level down that the
 *    guest owns; the hypervisor's slots equal the stub's own entries;
 *  - every validated descriptor frame holds only code/data segments at the
 *    guest kernel's privilege or less and call gates no one can use (DPL
 *    0); the live GDT and LDT copies the stub reports per vCPU obey the
 *    same, and on 32-bit guests their segments end below the stub (the
 *    read-only M2P is the limit).
 * 0, or -1 with the violation in err. Frame info is read as it is: call
 * it with the guest stopped or the frame-info lock held.
 */
int integrity_check(const struct integrity_in *in, struct integrity_report *out, char *err, size_t errlen);

#endif
