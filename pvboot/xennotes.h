/* xennotes.h — internal: what Xen notes and the __xen_guest string mean (elf.c <-> xennotes.c). */
#ifndef PVBOOT_XENNOTES_H
#define PVBOOT_XENNOTES_H

#include "pvboot/pvboot.h"     /* first: it sets the Xen interface version */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/elfnote.h>

/*
 * The Xen parameters of a kernel as its notes (or __xen_guest string) state
 * them, before Xen's defaults are applied. `present` has bit
 * (1u << XEN_ELFNOTE_x) set for every parameter that was given; legacy keys
 * set the bit of the note that replaced them (VIRT_ENTRY -> ENTRY, ...).
 * Strings, features and flags go straight into the struct pv_kernel.
 */
struct pv_xen_parms {
	uint32_t present;
	uint64_t virt_base;
	uint64_t paddr_offset;
	uint64_t entry;
	uint64_t hypercall_page;    /* a virtual address, also for legacy kernels */
	uint64_t hv_start_low;
	uint64_t init_p2m;
};

static inline bool pv_xen_has(const struct pv_xen_parms *p, unsigned type)
{
	return p->present & (1u << type);
}

/*
 * Apply one note named "Xen" of the given type; desc/descsz are its
 * descriptor, already range-checked. Unknown types are ignored (as Xen
 * does). -1 with a reason on a note Xen would refuse (FEATURES naming an
 * unknown required feature).
 */
int pv_xen_note_apply(struct pv_xen_parms *p, struct pv_kernel *k, uint32_t type,
		      const uint8_t *desc, size_t descsz, char *err, size_t errlen);

/*
 * Apply a legacy __xen_guest string ("KEY=VALUE,KEY=VALUE,...", len bytes,
 * need not be NUL terminated). -1 with a reason on an unknown required
 * feature.
 */
int pv_xen_guest_apply(struct pv_xen_parms *p, struct pv_kernel *k,
		       const char *s, size_t len, char *err, size_t errlen);

/*
 * Parse a FEATURES string ("a|!b|c", len bytes) into the kernel's
 * supported/required bitmaps. -1 on an unknown required ("!name") feature.
 */
int pv_xen_features_parse(const char *s, size_t len, uint32_t *supported,
			  uint32_t *required, char *err, size_t errlen);

/*
 * Xen's acceptance check on the strings: built for the "generic" loader or
 * as "linux", and for "xen-3.0". -1 with a reason otherwise.
 */
int pv_xen_check_guest_strings(const struct pv_kernel *k, char *err, size_t errlen);

/* snprintf into err (when err and errlen are usable); always returns -1. */
int pv_elf_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
