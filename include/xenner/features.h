/* features.h — what xenner offers a PV guest: one definition for the host and the stub. */
#ifndef XENNER_FEATURES_H
#define XENNER_FEATURES_H

#include <xen/features.h>

/* The Xen version xenner reports (XENVER_version, CPUID 0x40000001). */
#define XENNER_XEN_MAJOR 4
#define XENNER_XEN_MINOR 17
#define XENNER_XEN_EXTRAVERSION ".0-xenner"

/*
 * XENVER_get_features submap 0. Only features that work today: bits are
 * added as the subsystems behind them land (writable page tables with the
 * PV MMU, and so on), never before.
 */
#define XENNER_FEATURES_SUBMAP0 0u

/*
 * Features a kernel may *require* ("!feature" in its FEATURES note). Xen's
 * toolstack never refuses a PV kernel for these: writable_page_tables is
 * honoured through VMASST_TYPE_writable_pagetables (Linux requires it) and
 * is not reported in XENVER_get_features, exactly as Xen does for PV.
 */
#define XENNER_FEATURES_REQUIRABLE0 (XENNER_FEATURES_SUBMAP0 | (1u << XENFEAT_writable_page_tables))

#endif
