/* elfbuild.h — assemble small ELF32/ELF64 Xen PV kernel images in memory (tests only). */
#ifndef TESTS_UNIT_ELFBUILD_H
#define TESTS_UNIT_ELFBUILD_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xen/elfnote.h>
#include <xen/features.h>

/*
 * Usage: eb_linux64(&spec) (or eb_linux32_pae / eb_legacy32), adjust the
 * spec (segments, notes, header fields), then eb_build() into a buffer.
 * The images are what the parser needs and no more: an ELF header,
 * program headers (PT_LOAD, PT_NOTE), the note bytes, each segment's file
 * bytes, an optional __xen_guest string and a section table naming them.
 */

#define EB_MAX_SEGS  8
#define EB_MAX_NOTES 32
#define EB_DESC_MAX  256

enum eb_notes_where {
	EB_NOTES_SEGMENT,   /* PT_NOTE segment and a .note.Xen section (like vmlinux) */
	EB_NOTES_SECTION,   /* only a SHT_NOTE section */
	EB_NOTES_NOWHERE,   /* notes dropped */
};

struct eb_seg {
	uint32_t type, flags;
	uint64_t paddr, vaddr, filesz, memsz;
};

struct eb_note {
	char name[8];
	uint32_t type;
	uint32_t descsz;
	uint8_t desc[EB_DESC_MAX];
};

struct eb_spec {
	bool is_64bit;
	uint16_t machine;               /* e_machine */
	uint16_t type;                  /* e_type */
	uint64_t entry;                 /* e_entry */
	uint64_t vbias;                 /* p_vaddr = p_paddr + vbias (the parser must not care) */
	unsigned nr_segs;
	struct eb_seg seg[EB_MAX_SEGS];
	unsigned nr_notes;
	struct eb_note note[EB_MAX_NOTES];
	enum eb_notes_where notes_where;
	const char *xen_guest;          /* __xen_guest contents; NULL = no such section */
};

/* Where eb_build() put things, for tests that corrupt them. */
struct eb_layout {
	size_t size;
	size_t phoff, phentsize, phnum;
	size_t notes_off, notes_size;
	size_t seg_off[EB_MAX_SEGS];
	size_t xen_guest_off;
	size_t shoff;
};

static inline void eb_add_seg(struct eb_spec *s, uint64_t paddr, uint64_t filesz,
			      uint64_t memsz, uint32_t flags)
{
	s->seg[s->nr_segs++] = (struct eb_seg){
		.type = PT_LOAD, .flags = flags, .paddr = paddr, .vaddr = paddr + s->vbias,
		.filesz = filesz, .memsz = memsz,
	};
}

static inline struct eb_note *eb_note_raw(struct eb_spec *s, const char *name, uint32_t type,
					  const void *desc, uint32_t descsz)
{
	struct eb_note *n = &s->note[s->nr_notes++];

	memset(n, 0, sizeof(*n));
	strncpy(n->name, name, sizeof(n->name) - 1);
	n->type = type;
	n->descsz = descsz;
	memcpy(n->desc, desc, descsz);
	return n;
}

static inline void eb_note_str(struct eb_spec *s, uint32_t type, const char *str)
{
	eb_note_raw(s, "Xen", type, str, (uint32_t)strlen(str) + 1);
}

/* A numeric note of `size` bytes (little endian). */
static inline void eb_note_num(struct eb_spec *s, uint32_t type, uint64_t v, unsigned size)
{
	uint8_t b[8];

	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	eb_note_raw(s, "Xen", type, b, size);
}

/* A numeric note the size of the kernel's unsigned long, as Linux writes them. */
static inline void eb_note_ulong(struct eb_spec *s, uint32_t type, uint64_t v)
{
	eb_note_num(s, type, v, s->is_64bit ? 8 : 4);
}

static inline struct eb_note *eb_find_note(struct eb_spec *s, uint32_t type)
{
	for (unsigned i = 0; i < s->nr_notes; i++)
		if (s->note[i].type == type && !strcmp(s->note[i].name, "Xen"))
			return &s->note[i];
	return NULL;
}

static inline void eb_del_note(struct eb_spec *s, uint32_t type)
{
	struct eb_note *n = eb_find_note(s, type);

	if (!n)
		return;
	memmove(n, n + 1, (size_t)(&s->note[s->nr_notes] - (n + 1)) * sizeof(*n));
	s->nr_notes--;
}

/* Replace (or add) a numeric note, keeping its size unless it is new. */
static inline void eb_set_num(struct eb_spec *s, uint32_t type, uint64_t v)
{
	struct eb_note *n = eb_find_note(s, type);
	unsigned size = n ? n->descsz : (s->is_64bit ? 8 : 4);

	eb_del_note(s, type);
	eb_note_num(s, type, v, size);
}

static inline void eb_set_str(struct eb_spec *s, uint32_t type, const char *str)
{
	eb_del_note(s, type);
	eb_note_str(s, type, str);
}

/*
 * A modern x86_64 Linux-like kernel: two segments at physical 16 MiB,
 * VIRT_BASE 0xffffffff80000000, PADDR_OFFSET 0, so the image is
 * 0xffffffff81000000-0xffffffff81005000 (text 8 KiB, data 256 bytes + bss).
 */
static inline void eb_linux64(struct eb_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->is_64bit = true;
	s->machine = EM_X86_64;
	s->type = ET_EXEC;
	s->entry = 0x1000000;
	s->vbias = 0xffffffff80000000ull;
	eb_add_seg(s, 0x1000000, 0x2000, 0x2000, PF_R | PF_X);
	eb_add_seg(s, 0x1002000, 0x100, 0x3000, PF_R | PF_W);
	eb_note_str(s, XEN_ELFNOTE_GUEST_OS, "linux");
	eb_note_str(s, XEN_ELFNOTE_GUEST_VERSION, "2.6");
	eb_note_str(s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	eb_note_ulong(s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000000ull);
	eb_note_ulong(s, XEN_ELFNOTE_PADDR_OFFSET, 0);
	eb_note_ulong(s, XEN_ELFNOTE_ENTRY, 0xffffffff81000100ull);
	eb_note_ulong(s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81001000ull);
	eb_note_ulong(s, XEN_ELFNOTE_INIT_P2M, 0x8000000000ull);
	eb_note_str(s, XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
	eb_note_num(s, XEN_ELFNOTE_SUPPORTED_FEATURES, 1u << XENFEAT_hvm_callback_vector, 4);
	eb_note_str(s, XEN_ELFNOTE_PAE_MODE, "yes");
	eb_note_str(s, XEN_ELFNOTE_LOADER, "generic");
	eb_note_num(s, XEN_ELFNOTE_L1_MFN_VALID, 1, 8);
	eb_note_num(s, XEN_ELFNOTE_SUSPEND_CANCEL, 1, 4);
	eb_note_ulong(s, XEN_ELFNOTE_HV_START_LOW, 0xffff800000000000ull);
	eb_note_num(s, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
	eb_note_raw(s, "GNU", 3, "\x01\x02\x03\x04", 4);        /* a build-id look-alike */
}

/*
 * A 32-bit PAE Linux-like kernel: VIRT_BASE 0xC0000000, PADDR_OFFSET 0,
 * image 0xC0100000-0xC0105000, HV_START_LOW 0xF5800000.
 */
static inline void eb_linux32_pae(struct eb_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->is_64bit = false;
	s->machine = EM_386;
	s->type = ET_EXEC;
	s->entry = 0x100000;
	s->vbias = 0xC0000000u;
	eb_add_seg(s, 0x100000, 0x2000, 0x2000, PF_R | PF_X);
	eb_add_seg(s, 0x102000, 0x100, 0x3000, PF_R | PF_W);
	eb_note_str(s, XEN_ELFNOTE_GUEST_OS, "linux");
	eb_note_str(s, XEN_ELFNOTE_GUEST_VERSION, "2.6");
	eb_note_str(s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	eb_note_ulong(s, XEN_ELFNOTE_VIRT_BASE, 0xC0000000u);
	eb_note_ulong(s, XEN_ELFNOTE_PADDR_OFFSET, 0);
	eb_note_ulong(s, XEN_ELFNOTE_ENTRY, 0xC0100000u);
	eb_note_ulong(s, XEN_ELFNOTE_HYPERCALL_PAGE, 0xC0101000u);
	eb_note_ulong(s, XEN_ELFNOTE_HV_START_LOW, 0xF5800000u);
	eb_note_str(s, XEN_ELFNOTE_FEATURES, "writable_page_tables|writable_descriptor_tables|"
		    "auto_translated_physmap|pae_pgdir_above_4gb|supervisor_mode_kernel");
	eb_note_str(s, XEN_ELFNOTE_PAE_MODE, "yes");
	eb_note_str(s, XEN_ELFNOTE_LOADER, "generic");
	eb_note_num(s, XEN_ELFNOTE_SUSPEND_CANCEL, 1, 4);
}

/*
 * A RHEL5-era 32-bit kernel described only by __xen_guest: p_paddr holds
 * virtual addresses (0xC0100000...), ELF_PADDR_OFFSET = VIRT_BASE, and
 * HYPERCALL_PAGE is page 0x102 counted from VIRT_BASE.
 */
static inline void eb_legacy32(struct eb_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->is_64bit = false;
	s->machine = EM_386;
	s->type = ET_EXEC;
	s->entry = 0xC0100000u;
	eb_add_seg(s, 0xC0100000u, 0x3000, 0x3000, PF_R | PF_X);
	eb_add_seg(s, 0xC0103000u, 0x100, 0x2000, PF_R | PF_W);
	s->notes_where = EB_NOTES_NOWHERE;
	s->xen_guest = "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
		       "ELF_PADDR_OFFSET=0xC0000000,HYPERCALL_PAGE=0x102,LOADER=generic,"
		       "PAE=yes[extended-cr3],FEATURES=writable_page_tables|"
		       "writable_descriptor_tables|auto_translated_physmap|"
		       "pae_pgdir_above_4gb|supervisor_mode_kernel";
}

static inline size_t eb_align(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline void eb_put(uint8_t *buf, size_t cap, size_t off, const void *src, size_t len)
{
	if (off <= cap && len <= cap - off)
		memcpy(buf + off, src, len);
}

/* Serialise the notes; returns their size. buf may be NULL to measure. */
static inline size_t eb_put_notes(const struct eb_spec *s, uint8_t *buf, size_t cap, size_t off)
{
	size_t pos = off;

	for (unsigned i = 0; i < s->nr_notes; i++) {
		const struct eb_note *n = &s->note[i];
		Elf32_Nhdr nh = {
			.n_namesz = (uint32_t)strlen(n->name) + 1,
			.n_descsz = n->descsz, .n_type = n->type,
		};
		if (buf) {
			eb_put(buf, cap, pos, &nh, sizeof(nh));
			eb_put(buf, cap, pos + sizeof(nh), n->name, nh.n_namesz);
		}
		pos += sizeof(nh) + eb_align(nh.n_namesz, 4);
		if (buf)
			eb_put(buf, cap, pos, n->desc, n->descsz);
		pos += eb_align(n->descsz, 4);
	}
	return pos - off;
}

static inline void eb_put_phdr(const struct eb_spec *s, uint8_t *buf, size_t cap, size_t off,
			       uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
			       uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	if (s->is_64bit) {
		Elf64_Phdr p = { .p_type = type, .p_flags = flags, .p_offset = offset,
				 .p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = filesz,
				 .p_memsz = memsz, .p_align = 4 };
		eb_put(buf, cap, off, &p, sizeof(p));
	} else {
		Elf32_Phdr p = { .p_type = type, .p_flags = flags, .p_offset = (uint32_t)offset,
				 .p_vaddr = (uint32_t)vaddr, .p_paddr = (uint32_t)paddr,
				 .p_filesz = (uint32_t)filesz, .p_memsz = (uint32_t)memsz,
				 .p_align = 4 };
		eb_put(buf, cap, off, &p, sizeof(p));
	}
}

static inline void eb_put_shdr(const struct eb_spec *s, uint8_t *buf, size_t cap, size_t off,
			       uint32_t name, uint32_t type, uint64_t offset, uint64_t size)
{
	if (s->is_64bit) {
		Elf64_Shdr h = { .sh_name = name, .sh_type = type, .sh_offset = offset,
				 .sh_size = size, .sh_addralign = 1 };
		eb_put(buf, cap, off, &h, sizeof(h));
	} else {
		Elf32_Shdr h = { .sh_name = name, .sh_type = type, .sh_offset = (uint32_t)offset,
				 .sh_size = (uint32_t)size, .sh_addralign = 1 };
		eb_put(buf, cap, off, &h, sizeof(h));
	}
}

/*
 * Build the image into buf (cap bytes, zeroed first). Returns the image
 * size, or 0 if it does not fit. Segment bytes are 0xf4 (hlt).
 */
static inline size_t eb_build(const struct eb_spec *s, uint8_t *buf, size_t cap,
			      struct eb_layout *lay_out)
{
	static const char shstrtab[] = "\0.note.Xen\0__xen_guest\0.shstrtab";
	enum { NAME_NOTE = 1, NAME_GUEST = 11, NAME_SHSTRTAB = 23 };
	size_t ehsize = s->is_64bit ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phent = s->is_64bit ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t shent = s->is_64bit ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	bool notes = s->nr_notes && s->notes_where != EB_NOTES_NOWHERE;
	bool pt_note = notes && s->notes_where == EB_NOTES_SEGMENT;
	struct eb_layout lay = { 0 };
	size_t pos, shnum = 2 + notes + (s->xen_guest != NULL), sh = 0, strtab_off;
	uint8_t fill[4096];

	memset(buf, 0, cap);
	memset(fill, 0xf4, sizeof(fill));
	lay.phoff = ehsize;
	lay.phentsize = phent;
	lay.phnum = s->nr_segs + pt_note;
	pos = eb_align(lay.phoff + lay.phnum * phent, 8);
	lay.notes_off = pos;
	lay.notes_size = notes ? eb_put_notes(s, NULL, 0, 0) : 0;
	if (notes)
		eb_put_notes(s, buf, cap, pos);
	pos = eb_align(pos + lay.notes_size, 16);
	for (unsigned i = 0; i < s->nr_segs; i++) {
		lay.seg_off[i] = pos;
		for (uint64_t done = 0; done < s->seg[i].filesz; done += sizeof(fill)) {
			uint64_t n = s->seg[i].filesz - done;
			eb_put(buf, cap, pos + done, fill, n < sizeof(fill) ? n : sizeof(fill));
		}
		pos = eb_align(pos + s->seg[i].filesz, 16);
	}
	if (s->xen_guest) {
		lay.xen_guest_off = pos;
		eb_put(buf, cap, pos, s->xen_guest, strlen(s->xen_guest) + 1);
		pos = eb_align(pos + strlen(s->xen_guest) + 1, 4);
	}
	strtab_off = pos;
	eb_put(buf, cap, pos, shstrtab, sizeof(shstrtab));
	pos = eb_align(pos + sizeof(shstrtab), 8);
	lay.shoff = pos;
	lay.size = pos + shnum * shent;
	if (lay.size > cap)
		return 0;

	for (unsigned i = 0; i < s->nr_segs; i++) {
		const struct eb_seg *g = &s->seg[i];
		eb_put_phdr(s, buf, cap, lay.phoff + i * phent, g->type, g->flags, lay.seg_off[i],
			    g->vaddr, g->paddr, g->filesz, g->memsz);
	}
	if (pt_note)
		eb_put_phdr(s, buf, cap, lay.phoff + s->nr_segs * phent, PT_NOTE, PF_R,
			    lay.notes_off, 0, 0, lay.notes_size, lay.notes_size);

	eb_put_shdr(s, buf, cap, lay.shoff + shent * sh++, 0, SHT_NULL, 0, 0);
	if (notes)
		eb_put_shdr(s, buf, cap, lay.shoff + shent * sh++, NAME_NOTE, SHT_NOTE,
			    lay.notes_off, lay.notes_size);
	if (s->xen_guest)
		eb_put_shdr(s, buf, cap, lay.shoff + shent * sh++, NAME_GUEST, SHT_PROGBITS,
			    lay.xen_guest_off, strlen(s->xen_guest) + 1);
	eb_put_shdr(s, buf, cap, lay.shoff + shent * sh, NAME_SHSTRTAB, SHT_STRTAB,
		    strtab_off, sizeof(shstrtab));

	if (s->is_64bit) {
		Elf64_Ehdr h = {
			.e_type = s->type, .e_machine = s->machine, .e_version = EV_CURRENT,
			.e_entry = s->entry, .e_phoff = lay.phoff, .e_shoff = lay.shoff,
			.e_ehsize = sizeof(h), .e_phentsize = phent, .e_phnum = lay.phnum,
			.e_shentsize = shent, .e_shnum = shnum, .e_shstrndx = sh,
		};
		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS64;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		eb_put(buf, cap, 0, &h, sizeof(h));
	} else {
		Elf32_Ehdr h = {
			.e_type = s->type, .e_machine = s->machine, .e_version = EV_CURRENT,
			.e_entry = (uint32_t)s->entry, .e_phoff = (uint32_t)lay.phoff,
			.e_shoff = (uint32_t)lay.shoff, .e_ehsize = sizeof(h),
			.e_phentsize = phent, .e_phnum = lay.phnum, .e_shentsize = shent,
			.e_shnum = shnum, .e_shstrndx = sh,
		};
		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS32;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		eb_put(buf, cap, 0, &h, sizeof(h));
	}
	if (lay_out)
		*lay_out = lay;
	return lay.size;
}

#endif
