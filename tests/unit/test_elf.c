/* test_elf.c — pv_kernel_parse(): Xen PV kernel images, good and hostile. */
#define CHECK_SUITE "elf"
#include "pvboot/pvboot.h"
#include <stdlib.h>
#include "check.h"
#include "elfbuild.h"

#define FEAT(n) (1u << XENFEAT_##n)

static uint8_t test_img[1 << 16];
static char test_err[256];

/* Parse a copy of buf in a heap block of exactly len bytes, so ASan sees any overread. */
static int test_parse(const uint8_t *buf, size_t len, struct pv_kernel *k)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	memset(test_err, 'x', sizeof(test_err));
	rc = pv_kernel_parse(copy, len, k, test_err, sizeof(test_err));
	free(copy);
	return rc;
}

/* Build spec into test_img and parse it. */
static int test_build_parse(const struct eb_spec *s, struct pv_kernel *k, struct eb_layout *lay)
{
	struct eb_layout l;
	size_t n = eb_build(s, test_img, sizeof(test_img), &l);

	if (lay)
		*lay = l;
	if (!n) {
		snprintf(test_err, sizeof(test_err), "(test image does not fit)");
		return -2;
	}
	return test_parse(test_img, n, k);
}

/* Patch program header i of the image in test_img (either class). */
static void test_patch_phdr(bool is_64bit, const struct eb_layout *lay, unsigned i,
			    uint64_t offset, uint64_t filesz)
{
	uint8_t *p = test_img + lay->phoff + i * lay->phentsize;

	if (is_64bit) {
		Elf64_Phdr ph;
		memcpy(&ph, p, sizeof(ph));
		ph.p_offset = offset;
		ph.p_filesz = filesz;
		memcpy(p, &ph, sizeof(ph));
	} else {
		Elf32_Phdr ph;
		memcpy(&ph, p, sizeof(ph));
		ph.p_offset = (uint32_t)offset;
		ph.p_filesz = (uint32_t)filesz;
		memcpy(p, &ph, sizeof(ph));
	}
}

/* ------------------------------------------------------------ good kernels */

TEST(parses_linux64_notes_kernel)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;

	eb_linux64(&s);
	CHECK_EQ(test_build_parse(&s, &k, &lay), 0);
	CHECK(k.is_64bit);
	CHECK_EQ(k.pae, PV_PAE_EXTENDED_CR3);
	CHECK_EQ(k.virt_base, 0xffffffff80000000ull);
	CHECK_EQ(k.paddr_offset, 0);
	CHECK_EQ(k.entry, 0xffffffff81000100ull);
	CHECK_EQ(k.hypercall_page, 0xffffffff81001000ull);
	CHECK_EQ(k.hv_start_low, 0xffff800000000000ull);
	CHECK_EQ(k.init_p2m, 0x8000000000ull);
	CHECK_EQ(k.virt_kstart, 0xffffffff81000000ull);
	CHECK_EQ(k.virt_kend, 0xffffffff81005000ull);
	CHECK_EQ(k.features_supported[0],
		 FEAT(writable_page_tables) | FEAT(pae_pgdir_above_4gb) | FEAT(hvm_callback_vector));
	CHECK_EQ(k.features_required[0], FEAT(writable_page_tables));
	CHECK(k.suspend_cancel);
	CHECK(k.mod_start_pfn);
	CHECK(!k.legacy_guest_section);
	CHECK_STR(k.guest_os, "linux");
	CHECK_STR(k.guest_version, "2.6");
	CHECK_STR(k.xen_version, "xen-3.0");
	CHECK_STR(k.loader, "generic");
	CHECK_EQ(k.nr_segments, 2);
	CHECK_EQ(k.seg[0].vaddr, 0xffffffff81000000ull);
	CHECK_EQ(k.seg[0].offset, lay.seg_off[0]);
	CHECK_EQ(k.seg[0].filesz, 0x2000);
	CHECK_EQ(k.seg[0].memsz, 0x2000);
	CHECK_EQ(k.seg[1].vaddr, 0xffffffff81002000ull);
	CHECK_EQ(k.seg[1].offset, lay.seg_off[1]);
	CHECK_EQ(k.seg[1].filesz, 0x100);
	CHECK_EQ(k.seg[1].memsz, 0x3000);
}

TEST(parses_32bit_pae_kernel)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK(!k.is_64bit);
	CHECK_EQ(k.pae, PV_PAE_EXTENDED_CR3);   /* a notes kernel's "yes" means extended-cr3 */
	CHECK_EQ(k.virt_base, 0xC0000000u);
	CHECK_EQ(k.paddr_offset, 0);
	CHECK_EQ(k.entry, 0xC0100000u);
	CHECK_EQ(k.hypercall_page, 0xC0101000u);
	CHECK_EQ(k.hv_start_low, 0xF5800000u);
	CHECK_EQ(k.init_p2m, 0);
	CHECK_EQ(k.virt_kstart, 0xC0100000u);
	CHECK_EQ(k.virt_kend, 0xC0105000u);
	CHECK_EQ(k.features_supported[0],
		 FEAT(writable_page_tables) | FEAT(writable_descriptor_tables) |
		 FEAT(auto_translated_physmap) | FEAT(pae_pgdir_above_4gb) |
		 FEAT(supervisor_mode_kernel));
	CHECK_EQ(k.features_required[0], 0);
	CHECK(k.suspend_cancel);
	CHECK(!k.mod_start_pfn);
	CHECK_EQ(k.nr_segments, 2);
	CHECK_EQ(k.seg[1].vaddr, 0xC0102000u);
}

TEST(pae_mode_note_values)
{
	static const struct { const char *s; enum pv_pae_mode mode; } cases[] = {
		{ "yes", PV_PAE_EXTENDED_CR3 },
		{ "yes[extended-cr3]", PV_PAE_EXTENDED_CR3 },
		{ "bimodal", PV_PAE_BIMODAL },
		{ "yes,bimodal", PV_PAE_BIMODAL },
		{ "no", PV_PAE_NONE },
		{ "", PV_PAE_NONE },
	};
	struct eb_spec s;
	struct pv_kernel k;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eb_linux32_pae(&s);
		eb_set_str(&s, XEN_ELFNOTE_PAE_MODE, cases[i].s);
		CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
		CHECK_EQ(k.pae, cases[i].mode);
	}
}

TEST(parses_32bit_non_pae_kernel_as_pae_none)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	eb_del_note(&s, XEN_ELFNOTE_PAE_MODE);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.pae, PV_PAE_NONE);
	eb_note_str(&s, XEN_ELFNOTE_PAE_MODE, "no");
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.pae, PV_PAE_NONE);
}

TEST(parses_legacy_xen_guest_section)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_legacy32(&s);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK(k.legacy_guest_section);
	CHECK(!k.is_64bit);
	CHECK_EQ(k.pae, PV_PAE_EXTENDED_CR3);
	CHECK_EQ(k.virt_base, 0xC0000000u);
	CHECK_EQ(k.paddr_offset, 0xC0000000u);
	CHECK_EQ(k.hypercall_page, 0xC0102000u);     /* page 0x102 above VIRT_BASE */
	CHECK_EQ(k.entry, 0xC0100000u);              /* no VIRT_ENTRY: e_entry */
	CHECK_EQ(k.virt_kstart, 0xC0100000u);
	CHECK_EQ(k.virt_kend, 0xC0105000u);
	CHECK_EQ(k.seg[0].vaddr, 0xC0100000u);
	CHECK_STR(k.guest_os, "linux");
	CHECK_STR(k.guest_version, "2.6");
	CHECK_STR(k.xen_version, "xen-3.0");
	CHECK_STR(k.loader, "generic");
	CHECK_EQ(k.features_supported[0],
		 FEAT(writable_page_tables) | FEAT(writable_descriptor_tables) |
		 FEAT(auto_translated_physmap) | FEAT(pae_pgdir_above_4gb) |
		 FEAT(supervisor_mode_kernel));
	CHECK_EQ(k.features_required[0], 0);
}

/* No ELF_PADDR_OFFSET: it defaults to VIRT_BASE (p_paddr are virtual); plain PAE=yes. */
TEST(legacy_paddr_offset_defaults_to_virt_base)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_legacy32(&s);
	s.nr_segs = 0;
	eb_add_seg(&s, 0xC0000000u, 0x3000, 0x3000, PF_R | PF_X);
	s.entry = 0xC0000000u;
	s.xen_guest = "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
		      "HYPERCALL_PAGE=0x2,VIRT_ENTRY=0xC0000040,LOADER=generic,PAE=yes,"
		      "FEATURES=!writable_page_tables";
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.paddr_offset, 0xC0000000u);
	CHECK_EQ(k.virt_kstart, 0xC0000000u);
	CHECK_EQ(k.hypercall_page, 0xC0002000u);
	CHECK_EQ(k.entry, 0xC0000040u);
	CHECK_EQ(k.pae, PV_PAE_YES);
	CHECK_EQ(k.features_required[0], FEAT(writable_page_tables));
}

TEST(notes_take_precedence_over_xen_guest)
{
	struct eb_spec s;
	struct pv_kernel k;

	/* Notes win: the __xen_guest string is only the fallback. */
	eb_linux64(&s);
	s.xen_guest = "GUEST_OS=bogus,XEN_VER=xen-3.0,VIRT_BASE=0x1000";
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK(!k.legacy_guest_section);
	CHECK_STR(k.guest_os, "linux");
	CHECK_EQ(k.virt_base, 0xffffffff80000000ull);
}

TEST(finds_notes_through_sections_only)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	s.notes_where = EB_NOTES_SECTION;
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK(!k.legacy_guest_section);
	CHECK_EQ(k.entry, 0xffffffff81000100ull);
	CHECK_EQ(k.hypercall_page, 0xffffffff81001000ull);
	CHECK_EQ(k.virt_kstart, 0xffffffff81000000ull);
	CHECK_STR(k.guest_os, "linux");
}

TEST(reads_numeric_notes_of_4_and_8_bytes)
{
	struct eb_spec s;
	struct pv_kernel k;

	/* A 32-bit kernel whose addresses are .quad. */
	eb_linux32_pae(&s);
	eb_del_note(&s, XEN_ELFNOTE_VIRT_BASE);
	eb_del_note(&s, XEN_ELFNOTE_ENTRY);
	eb_del_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_note_num(&s, XEN_ELFNOTE_VIRT_BASE, 0xC0000000u, 8);
	eb_note_num(&s, XEN_ELFNOTE_ENTRY, 0xC0100010u, 8);
	eb_note_num(&s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xC0102000u, 8);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.virt_base, 0xC0000000u);
	CHECK_EQ(k.entry, 0xC0100010u);
	CHECK_EQ(k.hypercall_page, 0xC0102000u);

	/* A 64-bit kernel with 4-, 2- and 1-byte numbers. */
	eb_linux64(&s);
	eb_del_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
	eb_note_num(&s, XEN_ELFNOTE_PADDR_OFFSET, 0, 4);
	eb_set_num(&s, XEN_ELFNOTE_SUSPEND_CANCEL, 0);
	eb_del_note(&s, XEN_ELFNOTE_MOD_START_PFN);
	eb_note_num(&s, XEN_ELFNOTE_MOD_START_PFN, 1, 1);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.paddr_offset, 0);
	CHECK(!k.suspend_cancel);
	CHECK(k.mod_start_pfn);
}

/* libelf reads a numeric note of another size as 0: here an entry point of 0. */
TEST(numeric_note_of_odd_size_reads_as_zero)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_del_note(&s, XEN_ELFNOTE_ENTRY);
	eb_note_raw(&s, "Xen", XEN_ELFNOTE_ENTRY, "\x00\x01\x00\x81\xff\xff", 6);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "entry point 0x0 is outside");
}

TEST(entry_defaults_to_e_entry)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_del_note(&s, XEN_ELFNOTE_ENTRY);
	s.entry = 0xffffffff81000200ull;
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.entry, 0xffffffff81000200ull);
}

TEST(virt_base_defaults_to_zero)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_del_note(&s, XEN_ELFNOTE_VIRT_BASE);
	eb_del_note(&s, XEN_ELFNOTE_PADDR_OFFSET);
	eb_del_note(&s, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_set_num(&s, XEN_ELFNOTE_ENTRY, 0x1000000);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.virt_base, 0);
	CHECK_EQ(k.paddr_offset, 0);
	CHECK_EQ(k.virt_kstart, 0x1000000);
	CHECK_EQ(k.hypercall_page, 0);
}

TEST(ignores_load_segments_without_permissions)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_add_seg(&s, 0x1000000, 0x10, 0x10, 0);     /* overlaps, but Xen would not load it */
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.nr_segments, 2);
}

TEST(truncates_long_strings)
{
	char longver[200];
	struct eb_spec s;
	struct pv_kernel k;

	memset(longver, 'v', sizeof(longver) - 1);
	longver[sizeof(longver) - 1] = '\0';
	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_GUEST_VERSION, longver);
	eb_del_note(&s, XEN_ELFNOTE_GUEST_OS);
	eb_note_raw(&s, "Xen", XEN_ELFNOTE_GUEST_OS, "linux", 5);  /* no NUL */
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(strlen(k.guest_version), PV_NOTE_STR_MAX - 1);
	CHECK_STR(k.guest_os, "linux");
}

TEST(accepts_generic_loader_guests_other_than_linux)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_GUEST_OS, "Mini-OS");
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_STR(k.guest_os, "Mini-OS");
}


/* A note region may end inside the last note's padding (size not a multiple of 4). */
TEST(accepts_note_region_ending_inside_padding)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_GUEST_VERSION, "2.6.1");     /* now last, descsz 6 */
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	test_patch_phdr(true, &lay, 2, lay.notes_off, lay.notes_size - 2);
	CHECK_EQ(test_parse(test_img, lay.size, &k), 0);
	CHECK_STR(k.guest_version, "2.6.1");
}

/* ------------------------------------------------------------ features */

TEST(required_features_offered_pass)
{
	struct eb_spec s;
	struct pv_kernel k;
	uint32_t offered[XENFEAT_NR_SUBMAPS] = { FEAT(writable_page_tables) };

	eb_linux64(&s);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(pv_kernel_check_features(&k, offered, test_err, sizeof(test_err)), 0);
}

TEST(required_feature_not_offered_fails)
{
	struct eb_spec s;
	struct pv_kernel k;
	uint32_t offered[XENFEAT_NR_SUBMAPS] = { FEAT(pae_pgdir_above_4gb) };

	eb_linux64(&s);
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(pv_kernel_check_features(&k, offered, test_err, sizeof(test_err)), -1);
	CHECK_CONTAINS(test_err, "kernel requires feature writable_page_tables which xenner "
		       "does not offer");

	eb_set_str(&s, XEN_ELFNOTE_FEATURES, "writable_page_tables|!dom0");
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	offered[0] = FEAT(writable_page_tables);
	CHECK_EQ(pv_kernel_check_features(&k, offered, test_err, sizeof(test_err)), -1);
	CHECK_CONTAINS(test_err, "requires feature dom0");
}

TEST(unknown_required_feature_is_rejected)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_FEATURES, "!writable_page_tables|!frobnicate_tables");
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "unknown Xen feature \"frobnicate_tables\"");

	eb_legacy32(&s);
	s.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,FEATURES=!bogus";
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "unknown Xen feature \"bogus\"");
}

TEST(unknown_optional_feature_is_ignored)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_FEATURES, "frobnicate||writable_page_tables|!");
	CHECK_EQ(test_build_parse(&s, &k, NULL), 0);
	CHECK_EQ(k.features_supported[0], FEAT(writable_page_tables) | FEAT(hvm_callback_vector));
	CHECK_EQ(k.features_required[0], 0);
}

TEST(names_feature_bits)
{
	CHECK_STR(pv_feature_name(XENFEAT_writable_page_tables), "writable_page_tables");
	CHECK_STR(pv_feature_name(XENFEAT_pae_pgdir_above_4gb), "pae_pgdir_above_4gb");
	CHECK_STR(pv_feature_name(XENFEAT_dom0), "dom0");
	CHECK(pv_feature_name(XENFEAT_NR_SUBMAPS * 32) == NULL);
	CHECK(pv_feature_name(~0u) == NULL);
}

/* ------------------------------------------------------------ malformed images */

TEST(rejects_non_elf)
{
	static const uint8_t text[] = "#!/bin/sh\necho this is not a kernel\n";
	struct pv_kernel k;

	CHECK_EQ(test_parse(text, sizeof(text), &k), -1);
	CHECK_CONTAINS(test_err, "not an ELF file");
	CHECK_EQ(test_parse(text, 0, &k), -1);
	CHECK_CONTAINS(test_err, "not an ELF file");
}

TEST(rejects_truncated_header)
{
	struct eb_spec s;
	struct pv_kernel k;
	size_t n;

	eb_linux64(&s);
	n = eb_build(&s, test_img, sizeof(test_img), NULL);
	CHECK(n > 0);
	CHECK_EQ(test_parse(test_img, 40, &k), -1);
	CHECK_CONTAINS(test_err, "truncated ELF header");
	CHECK_EQ(test_parse(test_img, 8, &k), -1);
	CHECK_CONTAINS(test_err, "truncated ELF header");
}

TEST(rejects_truncated_program_headers)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;
	Elf64_Ehdr h;

	eb_linux64(&s);
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	CHECK_EQ(test_parse(test_img, lay.phoff + lay.phentsize + 3, &k), -1);
	CHECK_CONTAINS(test_err, "truncated program headers");

	memcpy(&h, test_img, sizeof(h));
	h.e_phoff = ~0ull - 8;          /* offset + size wraps */
	memcpy(test_img, &h, sizeof(h));
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "truncated program headers");
}

TEST(rejects_note_overflowing_its_segment)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;
	uint32_t descsz = 0x1000;

	eb_linux64(&s);
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	memcpy(test_img + lay.notes_off + 4, &descsz, 4);   /* first note's n_descsz */
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "overflows its segment");

	descsz = 0xfffffffd;
	memcpy(test_img + lay.notes_off + 4, &descsz, 4);
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "overflows its segment");
}

TEST(rejects_note_overflowing_its_section)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;
	uint32_t namesz = 0x7fffffff;

	eb_linux32_pae(&s);
	s.notes_where = EB_NOTES_SECTION;
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	memcpy(test_img + lay.notes_off, &namesz, 4);       /* first note's n_namesz */
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "overflows its section");
}

TEST(rejects_segment_beyond_file_end)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;

	eb_linux64(&s);
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	test_patch_phdr(true, &lay, 1, lay.size - 0x10, 0x100);
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "segment 1 (file offset");
	CHECK_CONTAINS(test_err, "extends beyond the end of the file");

	test_patch_phdr(true, &lay, 1, ~0ull - 0x10, 0x100);    /* offset + size wraps */
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "extends beyond the end of the file");
}

TEST(rejects_note_segment_beyond_file_end)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	test_patch_phdr(false, &lay, 2, lay.notes_off, 0xffffff00u);
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "note segment 2");
	CHECK_CONTAINS(test_err, "extends beyond the end of the file");
}

TEST(rejects_kernel_without_xen_notes)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	s.notes_where = EB_NOTES_NOWHERE;
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "no Xen notes (not a Xen PV kernel?)");

	eb_linux64(&s);
	s.nr_notes = 0;
	eb_note_raw(&s, "GNU", 3, "\x01\x02\x03\x04", 4);        /* notes, none of them Xen's */
	eb_note_raw(&s, "Xenx", XEN_ELFNOTE_ENTRY, "\0\0\0\0", 4);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "no Xen notes");
}

TEST(rejects_entry_outside_image)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_num(&s, XEN_ELFNOTE_ENTRY, 0xffffffff81005000ull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "entry point 0xffffffff81005000 is outside the kernel image "
		       "0xffffffff81000000-0xffffffff81005000");
	eb_set_num(&s, XEN_ELFNOTE_ENTRY, 0xffffffff80ffffffull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "entry point 0xffffffff80ffffff is outside");
}

TEST(rejects_unaligned_virt_base)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_num(&s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000800ull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "VIRT_BASE 0xffffffff80000800 is not page aligned");
}

TEST(rejects_virt_base_above_image)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_num(&s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff82000000ull);
	eb_set_num(&s, XEN_ELFNOTE_PADDR_OFFSET, 0x2000000);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "VIRT_BASE 0xffffffff82000000 is above the start of the kernel "
		       "image 0xffffffff81000000");
}

TEST(rejects_paddr_offset_without_virt_base)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_del_note(&s, XEN_ELFNOTE_VIRT_BASE);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "PADDR_OFFSET 0x0 is given but VIRT_BASE is not");
}

TEST(rejects_overlapping_segments)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	s.seg[1].paddr = 0x1001000;
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "loadable segments overlap: 0xffffffff81000000-0xffffffff81002000"
		       " and 0xffffffff81001000-0xffffffff81004000");
}

TEST(rejects_filesz_above_memsz)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	s.seg[1].filesz = 0x4000;
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "segment 1: file size 0x4000 is larger than its memory size 0x3000");
}

TEST(rejects_wrong_machine)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	s.machine = EM_ARM;
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "unsupported ELF machine 40");

	eb_linux64(&s);
	s.machine = EM_386;                 /* ELF64 must be x86_64 */
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "unsupported ELF machine 3");
}

TEST(rejects_other_classes_encodings_and_types)
{
	struct eb_spec s;
	struct eb_layout lay;
	struct pv_kernel k;

	eb_linux64(&s);
	s.type = ET_DYN;
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "unsupported ELF type 3");

	eb_linux64(&s);
	CHECK(eb_build(&s, test_img, sizeof(test_img), &lay) > 0);
	test_img[EI_DATA] = ELFDATA2MSB;
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "unsupported ELF data encoding 2");
	test_img[EI_DATA] = ELFDATA2LSB;
	test_img[EI_CLASS] = 7;
	CHECK_EQ(test_parse(test_img, lay.size, &k), -1);
	CHECK_CONTAINS(test_err, "unsupported ELF class 7");
}

TEST(rejects_hypercall_page_outside_image_or_unaligned)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_num(&s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81005000ull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "hypercall page 0xffffffff81005000 is outside the kernel image");
	eb_set_num(&s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81001800ull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "hypercall page 0xffffffff81001800 is not page aligned");

	eb_legacy32(&s);                    /* page 0x200 above VIRT_BASE: past the image */
	s.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x200";
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "hypercall page 0xc0200000 is outside");
}

TEST(rejects_init_p2m_inside_image)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_num(&s, XEN_ELFNOTE_INIT_P2M, 0xffffffff81002000ull);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "INIT_P2M 0xffffffff81002000 lies inside the kernel image");
}

TEST(rejects_32bit_image_in_hypervisor_hole)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	eb_set_num(&s, XEN_ELFNOTE_HV_START_LOW, 0xC0104000u);
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "reaches into the hypervisor hole at HV_START_LOW 0xc0104000");
}

TEST(rejects_segment_beyond_32bit_address_space)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux32_pae(&s);
	s.seg[1].paddr = 0x3ffff000u;       /* + VIRT_BASE 0xC0000000: ends past 4 GiB */
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "beyond the end of the 32-bit address space");
}

TEST(rejects_foreign_loader_and_xen_version)
{
	struct eb_spec s;
	struct pv_kernel k;

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_GUEST_OS, "NetBSD");
	eb_set_str(&s, XEN_ELFNOTE_LOADER, "bsd");
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "neither for the generic loader nor as Linux");

	eb_linux64(&s);
	eb_set_str(&s, XEN_ELFNOTE_XEN_VERSION, "xen-2.0");
	CHECK_EQ(test_build_parse(&s, &k, NULL), -1);
	CHECK_CONTAINS(test_err, "\"xen-2.0\", not \"xen-3.0\"");
}

TEST(error_text_fits_small_buffers)
{
	static const uint8_t junk[16] = "not an elf file";
	struct pv_kernel k;
	char small[8];

	memset(small, 'x', sizeof(small));
	CHECK_EQ(pv_kernel_parse(junk, sizeof(junk), &k, small, sizeof(small)), -1);
	CHECK_STR(small, "not an ");
	CHECK_EQ(pv_kernel_parse(junk, sizeof(junk), &k, NULL, 0), -1);
}

/* ------------------------------------------------------------ hostile input */

/* What a successful parse promises, whatever the image. */
static int test_kernel_is_sane(const struct pv_kernel *k, size_t size)
{
	if (k->nr_segments == 0 || k->nr_segments > PV_MAX_SEGMENTS)
		return 0;
	if (!(k->virt_kstart <= k->entry && k->entry < k->virt_kend))
		return 0;
	if (k->virt_base > k->virt_kstart || (k->virt_base & 0xfff))
		return 0;
	if (k->hypercall_page && (k->hypercall_page < k->virt_kstart ||
				  k->hypercall_page + 4096 > k->virt_kend))
		return 0;
	for (unsigned i = 0; i < k->nr_segments; i++) {
		const struct pv_segment *g = &k->seg[i];
		if (g->offset > size || g->filesz > size - g->offset || g->filesz > g->memsz)
			return 0;
		if (g->vaddr < k->virt_kstart || g->vaddr + g->memsz > k->virt_kend)
			return 0;
	}
	return strnlen(k->guest_os, PV_NOTE_STR_MAX) < PV_NOTE_STR_MAX &&
	       strnlen(k->guest_version, PV_NOTE_STR_MAX) < PV_NOTE_STR_MAX &&
	       strnlen(k->xen_version, PV_NOTE_STR_MAX) < PV_NOTE_STR_MAX &&
	       strnlen(k->loader, PV_NOTE_STR_MAX) < PV_NOTE_STR_MAX;
}

/* The images the hostile tests start from, with small segments to keep them quick. */
static size_t test_seed_image(unsigned which, uint8_t *buf, size_t cap)
{
	struct eb_spec s;

	switch (which) {
	case 0: eb_linux64(&s); break;
	case 1: eb_linux32_pae(&s); break;
	case 2: eb_legacy32(&s); break;
	default: eb_linux64(&s); s.notes_where = EB_NOTES_SECTION; break;
	}
	for (unsigned i = 0; i < s.nr_segs; i++)
		s.seg[i].filesz = 0x20;
	return eb_build(&s, buf, cap, NULL);
}

/* Parse one mutated image: must not crash, must explain a failure, must be sane on success. */
static int test_parse_mutant(const uint8_t *buf, size_t len)
{
	struct pv_kernel k;

	if (test_parse(buf, len, &k) == 0)
		return test_kernel_is_sane(&k, len);
	return test_err[0] != '\0' && memchr(test_err, '\0', sizeof(test_err)) != NULL;
}

TEST(survives_truncation_at_every_length)
{
	static uint8_t seed[8192];

	for (unsigned which = 0; which < 4; which++) {
		size_t n = test_seed_image(which, seed, sizeof(seed));
		struct pv_kernel k;

		CHECK(n > 0);
		CHECK_EQ(test_parse(seed, n, &k), 0);
		for (size_t len = 0; len < n; len++)
			CHECK(test_parse_mutant(seed, len));
	}
}

TEST(survives_byte_flips_and_field_smashing)
{
	static const uint8_t flips[] = { 0x01, 0x10, 0x80, 0xff };
	static const uint32_t smash[] = { 0, 0x7fffffff, 0x80000000u, 0xfffffff0u, 0xffffffffu };
	static uint8_t seed[8192], mut[8192];
	unsigned ok = 0, failed = 0;

	for (unsigned which = 0; which < 4; which++) {
		size_t n = test_seed_image(which, seed, sizeof(seed));

		CHECK(n > 0);
		for (size_t off = 0; off < n; off++) {
			for (size_t f = 0; f < sizeof(flips); f++) {
				memcpy(mut, seed, n);
				mut[off] ^= flips[f];
				CHECK(test_parse_mutant(mut, n));
			}
		}
		for (size_t off = 0; off + 4 <= n; off += 2) {
			for (size_t f = 0; f < sizeof(smash) / sizeof(smash[0]); f++) {
				struct pv_kernel k;
				memcpy(mut, seed, n);
				memcpy(mut + off, &smash[f], 4);
				CHECK(test_parse_mutant(mut, n));
				if (test_parse(mut, n, &k) == 0)
					ok++;
				else
					failed++;
			}
		}
	}
	CHECK(ok > 0 && failed > 0);        /* the mutations reached both outcomes */
}

int main(void)
{
	RUN(parses_linux64_notes_kernel);
	RUN(parses_32bit_pae_kernel);
	RUN(pae_mode_note_values);
	RUN(parses_32bit_non_pae_kernel_as_pae_none);
	RUN(parses_legacy_xen_guest_section);
	RUN(legacy_paddr_offset_defaults_to_virt_base);
	RUN(notes_take_precedence_over_xen_guest);
	RUN(finds_notes_through_sections_only);
	RUN(reads_numeric_notes_of_4_and_8_bytes);
	RUN(numeric_note_of_odd_size_reads_as_zero);
	RUN(entry_defaults_to_e_entry);
	RUN(virt_base_defaults_to_zero);
	RUN(ignores_load_segments_without_permissions);
	RUN(truncates_long_strings);
	RUN(accepts_generic_loader_guests_other_than_linux);
	RUN(accepts_note_region_ending_inside_padding);
	RUN(required_features_offered_pass);
	RUN(required_feature_not_offered_fails);
	RUN(unknown_required_feature_is_rejected);
	RUN(unknown_optional_feature_is_ignored);
	RUN(names_feature_bits);
	RUN(rejects_non_elf);
	RUN(rejects_truncated_header);
	RUN(rejects_truncated_program_headers);
	RUN(rejects_note_overflowing_its_segment);
	RUN(rejects_note_overflowing_its_section);
	RUN(rejects_segment_beyond_file_end);
	RUN(rejects_note_segment_beyond_file_end);
	RUN(rejects_kernel_without_xen_notes);
	RUN(rejects_entry_outside_image);
	RUN(rejects_unaligned_virt_base);
	RUN(rejects_virt_base_above_image);
	RUN(rejects_paddr_offset_without_virt_base);
	RUN(rejects_overlapping_segments);
	RUN(rejects_filesz_above_memsz);
	RUN(rejects_wrong_machine);
	RUN(rejects_other_classes_encodings_and_types);
	RUN(rejects_hypercall_page_outside_image_or_unaligned);
	RUN(rejects_init_p2m_inside_image);
	RUN(rejects_32bit_image_in_hypervisor_hole);
	RUN(rejects_segment_beyond_32bit_address_space);
	RUN(rejects_foreign_loader_and_xen_version);
	RUN(error_text_fits_small_buffers);
	RUN(survives_truncation_at_every_length);
	RUN(survives_byte_flips_and_field_smashing);
	return check_done();
}
