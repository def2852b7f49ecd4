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

#endif
