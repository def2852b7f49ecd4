/* xennotes.c — the meaning of Xen ELF notes, the legacy __xen_guest string and FEATURES. */
#include "pvboot/pvboot.h"
#include "pvboot/xennotes.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/elfnote.h>
#include <xen/features.h>

#define PV_NR_FEATURE_BITS (XENFEAT_NR_SUBMAPS * 32)

/*
 * Feature names are the XENFEAT_* macro names without the prefix
 * (xen/elfnote.h, XEN_ELFNOTE_FEATURES), generated from the macros so a
 * name can only exist if the header defines the bit. Xen's libelf knows a
 * subset; knowing all of them only changes which unknown required
 * features are refused here instead of by pv_kernel_check_features().
 */
#define PV_FEATURE(n) [XENFEAT_##n] = #n
static const char *const pv_feature_names[PV_NR_FEATURE_BITS] = {
	PV_FEATURE(writable_page_tables),
	PV_FEATURE(writable_descriptor_tables),
	PV_FEATURE(auto_translated_physmap),
	PV_FEATURE(supervisor_mode_kernel),
	PV_FEATURE(pae_pgdir_above_4gb),
	PV_FEATURE(mmu_pt_update_preserve_ad),
	PV_FEATURE(highmem_assist),
	PV_FEATURE(gnttab_map_avail_bits),
	PV_FEATURE(hvm_callback_vector),
	PV_FEATURE(hvm_safe_pvclock),
	PV_FEATURE(hvm_pirqs),
	PV_FEATURE(dom0),
#ifdef XENFEAT_grant_map_identity
	PV_FEATURE(grant_map_identity),
#endif
#ifdef XENFEAT_memory_op_vnode_supported
	PV_FEATURE(memory_op_vnode_supported),
#endif
#ifdef XENFEAT_ARM_SMCCC_supported
	PV_FEATURE(ARM_SMCCC_supported),
#endif
#ifdef XENFEAT_linux_rsdp_unrestricted
	PV_FEATURE(linux_rsdp_unrestricted),
#endif
#ifdef XENFEAT_not_direct_mapped
	PV_FEATURE(not_direct_mapped),
#endif
#ifdef XENFEAT_direct_mapped
	PV_FEATURE(direct_mapped),
#endif
};
#undef PV_FEATURE

int pv_elf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *pv_feature_name(unsigned bit)
{
	if (bit >= PV_NR_FEATURE_BITS)
		return NULL;
	return pv_feature_names[bit];
}

static int pv_feature_lookup(const char *name, size_t len)
{
	for (unsigned bit = 0; bit < PV_NR_FEATURE_BITS; bit++) {
		const char *n = pv_feature_names[bit];
		if (n && strlen(n) == len && !memcmp(n, name, len))
			return (int)bit;
	}
	return -1;
}

static void pv_feature_set(uint32_t *map, unsigned bit)
{
	map[bit / 32] |= 1u << (bit % 32);
}

static bool pv_feature_test(const uint32_t *map, unsigned bit)
{
	return map[bit / 32] & (1u << (bit % 32));
}

/* Length of the string at s, stopping at a NUL or after max bytes. */
static size_t pv_strnlen(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);
	return nul ? (size_t)(nul - s) : max;
}

/* Copy len bytes (stopping at a NUL) into a PV_NOTE_STR_MAX field, truncating. */
static void pv_copy_str(char dst[PV_NOTE_STR_MAX], const char *src, size_t len)
{
	len = pv_strnlen(src, len);
	if (len > PV_NOTE_STR_MAX - 1)
		len = PV_NOTE_STR_MAX - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool pv_str_is(const char *s, size_t len, const char *lit)
{
	return len == strlen(lit) && !memcmp(s, lit, len);
}

static bool pv_str_has_prefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len >= n && !memcmp(s, lit, n);
}

static bool pv_str_contains(const char *s, size_t len, const char *lit)
{
	return memmem(s, len, lit, strlen(lit)) != NULL;
}

int pv_xen_features_parse(const char *s, size_t len, uint32_t *supported,
			  uint32_t *required, char *err, size_t errlen)
{
	size_t pos = 0;

	len = pv_strnlen(s, len);
	while (pos < len) {
		const char *tok = s + pos;
		const char *bar = memchr(tok, '|', len - pos);
		size_t toklen = bar ? (size_t)(bar - tok) : len - pos;
		bool must = toklen && tok[0] == '!';
		int bit;

		pos += toklen + 1;
		if (must) {
			tok++;
			toklen--;
		}
		if (!toklen)
			continue;
		bit = pv_feature_lookup(tok, toklen);
		if (bit < 0) {
			/* Xen ignores unknown optional features, refuses unknown required ones. */
			if (must)
				return pv_elf_errf(err, errlen,
						   "kernel requires unknown Xen feature \"%.*s\"",
						   (int)(toklen > 64 ? 64 : toklen), tok);
			continue;
		}
		pv_feature_set(supported, (unsigned)bit);
		if (must)
			pv_feature_set(required, (unsigned)bit);
	}
	return 0;
}

/* A numeric note: 1, 2, 4 or 8 bytes little endian; other sizes read as 0 (as libelf). */
static uint64_t pv_note_numeric(const uint8_t *desc, size_t descsz)
{
	uint64_t v = 0;

	if (descsz != 1 && descsz != 2 && descsz != 4 && descsz != 8)
		return 0;
	for (size_t i = 0; i < descsz; i++)
		v |= (uint64_t)desc[i] << (8 * i);
	return v;
}

/*
 * PAE_MODE note. Per xen/elfnote.h a notes-era kernel that says "yes"
 * supports extended CR3, so "yes" and "yes[extended-cr3]" are the same;
 * "bimodal" may appear as "yes,bimodal". Anything else is no PAE.
 */
static enum pv_pae_mode pv_pae_from_note(const char *s, size_t len)
{
	if (pv_str_contains(s, len, "bimodal"))
		return PV_PAE_BIMODAL;
	if (pv_str_is(s, len, "yes") || pv_str_is(s, len, "yes[extended-cr3]"))
		return PV_PAE_EXTENDED_CR3;
	return PV_PAE_NONE;
}

/* Legacy PAE= value, as libelf reads it: "yes[extended-cr3]", else "yes*", else none. */
static enum pv_pae_mode pv_pae_from_legacy(const char *s, size_t len)
{
	if (pv_str_is(s, len, "yes[extended-cr3]"))
		return PV_PAE_EXTENDED_CR3;
	if (pv_str_has_prefix(s, len, "yes"))
		return PV_PAE_YES;
	return PV_PAE_NONE;
}

static void pv_supported_bitmap(struct pv_kernel *k, const uint8_t *desc, size_t descsz)
{
	if (descsz % 4)
		return;
	for (size_t i = 0; i < XENFEAT_NR_SUBMAPS && i < descsz / 4; i++)
		k->features_supported[i] |= (uint32_t)pv_note_numeric(desc + 4 * i, 4);
}

int pv_xen_note_apply(struct pv_xen_parms *p, struct pv_kernel *k, uint32_t type,
		      const uint8_t *desc, size_t descsz, char *err, size_t errlen)
{
	const char *str = (const char *)desc;
	size_t slen = pv_strnlen(str, descsz);
	uint64_t num = pv_note_numeric(desc, descsz);

	switch (type) {
	case XEN_ELFNOTE_ENTRY:          p->entry = num; break;
	case XEN_ELFNOTE_HYPERCALL_PAGE: p->hypercall_page = num; break;
	case XEN_ELFNOTE_VIRT_BASE:      p->virt_base = num; break;
	case XEN_ELFNOTE_PADDR_OFFSET:   p->paddr_offset = num; break;
	case XEN_ELFNOTE_HV_START_LOW:   p->hv_start_low = num; break;
	case XEN_ELFNOTE_INIT_P2M:       p->init_p2m = num; break;
	case XEN_ELFNOTE_XEN_VERSION:    pv_copy_str(k->xen_version, str, slen); break;
	case XEN_ELFNOTE_GUEST_OS:       pv_copy_str(k->guest_os, str, slen); break;
	case XEN_ELFNOTE_GUEST_VERSION:  pv_copy_str(k->guest_version, str, slen); break;
	case XEN_ELFNOTE_LOADER:         pv_copy_str(k->loader, str, slen); break;
	case XEN_ELFNOTE_PAE_MODE:       k->pae = pv_pae_from_note(str, slen); break;
	case XEN_ELFNOTE_SUSPEND_CANCEL: k->suspend_cancel = num != 0; break;
	case XEN_ELFNOTE_MOD_START_PFN:  k->mod_start_pfn = num != 0; break;
	case XEN_ELFNOTE_SUPPORTED_FEATURES:
		pv_supported_bitmap(k, desc, descsz);
		break;
	case XEN_ELFNOTE_FEATURES:
		if (pv_xen_features_parse(str, slen, k->features_supported,
					  k->features_required, err, errlen))
			return -1;
		break;
	default:
		/* L1_MFN_VALID, BSD_SYMTAB, PHYS32_ENTRY (PVH only), INFO, unknown: ignored. */
		return 0;
	}
	p->present |= 1u << type;
	return 0;
}

/* Legacy numbers are C literals read with strtoull(.., 0); garbage reads as 0, as libelf. */
static uint64_t pv_legacy_number(const char *s, size_t len)
{
	char buf[128];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return strtoull(buf, NULL, 0);
}

/* One KEY=VALUE item of the __xen_guest string. */
static int pv_xen_guest_item(struct pv_xen_parms *p, struct pv_kernel *k,
			     const char *key, size_t klen, const char *val, size_t vlen,
			     char *err, size_t errlen)
{
	if (pv_str_is(key, klen, "LOADER"))
		pv_copy_str(k->loader, val, vlen);
	else if (pv_str_is(key, klen, "GUEST_OS"))
		pv_copy_str(k->guest_os, val, vlen);
	else if (pv_str_is(key, klen, "GUEST_VER"))
		pv_copy_str(k->guest_version, val, vlen);
	else if (pv_str_is(key, klen, "XEN_VER"))
		pv_copy_str(k->xen_version, val, vlen);
	else if (pv_str_is(key, klen, "PAE"))
		k->pae = pv_pae_from_legacy(val, vlen);
	else if (pv_str_is(key, klen, "VIRT_BASE")) {
		p->virt_base = pv_legacy_number(val, vlen);
		p->present |= 1u << XEN_ELFNOTE_VIRT_BASE;
	} else if (pv_str_is(key, klen, "VIRT_ENTRY")) {
		p->entry = pv_legacy_number(val, vlen);
		p->present |= 1u << XEN_ELFNOTE_ENTRY;
	} else if (pv_str_is(key, klen, "ELF_PADDR_OFFSET")) {
		p->paddr_offset = pv_legacy_number(val, vlen);
		p->present |= 1u << XEN_ELFNOTE_PADDR_OFFSET;
	} else if (pv_str_is(key, klen, "HYPERCALL_PAGE")) {
		/* A page number; made virtual once VIRT_BASE is known. */
		p->hypercall_page = pv_legacy_number(val, vlen) << 12;
		p->present |= 1u << XEN_ELFNOTE_HYPERCALL_PAGE;
	} else if (pv_str_is(key, klen, "FEATURES"))
		return pv_xen_features_parse(val, vlen, k->features_supported,
					     k->features_required, err, errlen);
	/* BSD_SYMTAB and unknown keys: ignored. */
	return 0;
}

int pv_xen_guest_apply(struct pv_xen_parms *p, struct pv_kernel *k,
		       const char *s, size_t len, char *err, size_t errlen)
{
	size_t pos = 0;

	len = pv_strnlen(s, len);
	while (pos < len) {
		const char *item = s + pos;
		const char *comma = memchr(item, ',', len - pos);
		size_t ilen = comma ? (size_t)(comma - item) : len - pos;
		const char *eq = memchr(item, '=', ilen);
		size_t klen = eq ? (size_t)(eq - item) : ilen;
		const char *val = eq ? eq + 1 : item + ilen;
		size_t vlen = eq ? ilen - klen - 1 : 0;

		pos += ilen + 1;
		if (pv_xen_guest_item(p, k, item, klen, val, vlen, err, errlen))
			return -1;
	}
	/* libelf: the legacy hypercall page number counts from VIRT_BASE. */
	if (pv_xen_has(p, XEN_ELFNOTE_HYPERCALL_PAGE) && pv_xen_has(p, XEN_ELFNOTE_VIRT_BASE))
		p->hypercall_page += p->virt_base;
	return 0;
}

int pv_xen_check_guest_strings(const struct pv_kernel *k, char *err, size_t errlen)
{
	if (strncmp(k->loader, "generic", 7) && strncmp(k->guest_os, "linux", 5))
		return pv_elf_errf(err, errlen,
				   "kernel is built neither for the generic loader nor as Linux "
				   "(LOADER \"%s\", GUEST_OS \"%s\")", k->loader, k->guest_os);
	if (strncmp(k->xen_version, "xen-3.0", 7))
		return pv_elf_errf(err, errlen,
				   "kernel is built for Xen interface \"%s\", not \"xen-3.0\"",
				   k->xen_version);
	return 0;
}

int pv_kernel_check_features(const struct pv_kernel *k, const uint32_t *offered,
			     char *err, size_t errlen)
{
	for (unsigned bit = 0; bit < PV_NR_FEATURE_BITS; bit++) {
		if (!pv_feature_test(k->features_required, bit) || pv_feature_test(offered, bit))
			continue;
		if (pv_feature_name(bit))
			return pv_elf_errf(err, errlen,
					   "kernel requires feature %s which xenner does not offer",
					   pv_feature_name(bit));
		return pv_elf_errf(err, errlen,
				   "kernel requires feature #%u which xenner does not offer", bit);
	}
	return 0;
}
