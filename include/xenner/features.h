/* features.h — what xenner offers a PV guest: one definition for the host and the stub. */
#ifndef XENNER_FEATURES_H
#define XENNER_FEATURES_H

#include <xen/features.h>

/* The Xen version xenner reports (XENVER_version, CPUID 0x40000001). */
#define XENNER_XEN_MAJOR 4
#define XENNER_XEN_MINOR 17
#define XENNER_XEN_EXTRAVERSION ".0-xenner"

/*
 * XENVER_get_features submap 0, as Xen 4.17 reports it to a PV domU
 * (0x220e0), each backed by what the stub implements:
 *  - mmu_pt_update_preserve_ad: MMU_PT_UPDATE_PRESERVE_AD (mmu.c);
 *  - highmem_assist: MMUEXT_CLEAR_PAGE and MMUEXT_COPY_PAGE (mmu.c);
 *  - gnttab_map_avail_bits: a promise about GNTTABOP_map_grant_ref, which a
 *    domU never needs; Linux refuses to boot as a PV guest without it;
 *  - direct_mapped: a PV guest sees machine frame numbers.
 * Add a bit only when what it stands for works.
 */
#define XENNER_FEATURES_SUBMAP0 ((1u << XENFEAT_mmu_pt_update_preserve_ad) | \
				 (1u << XENFEAT_highmem_assist) |                \
				 (1u << XENFEAT_gnttab_map_avail_bits) |         \
				 (1u << XENFEAT_direct_mapped))

/*
 * Features a kernel may *require* ("!feature" in its FEATURES note). Xen's
 * toolstack never refuses a PV kernel for these: writable_page_tables is
 * honoured through VMASST_TYPE_writable_pagetables (Linux requires it) and
 * is not reported in XENVER_get_features, exactly as Xen does for PV.
 */
#define XENNER_FEATURES_REQUIRABLE0 (XENNER_FEATURES_SUBMAP0 | (1u << XENFEAT_writable_page_tables))

#endif
