/* elf.c — read an untrusted ELF32/ELF64 PV kernel: headers, loadable segments, Xen note regions. */
#include "pvboot/pvboot.h"
#include "pvboot/xennotes.h"
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ELF readers below copy little-endian fields as they are"
#endif

#define PV_ELF_PAGE_SIZE 4096u
#define PV_MAX_NOTES 65536u        /* over all note segments/sections, as libelf */

/* The image and its validated ELF header, the same for both classes. */
struct pv_elf {
	const uint8_t *image;
	size_t size;
	bool is_64bit;
	uint64_t entry;
	uint64_t phoff, shoff;
	unsigned phnum, shnum, shstrndx;
};

struct pv_phdr {
	uint32_t type, flags;
	uint64_t offset, paddr, filesz, memsz;
};

struct pv_shdr {
	uint32_t name, type;
	uint64_t offset, size;
};

/* State carried across all the note regions of one kernel. */
struct pv_note_walk {
	struct pv_xen_parms *parms;
	struct pv_kernel *k;
	unsigned total;             /* notes of any name seen so far */
};

/* [off, off + len) lies within `size` bytes (overflow-safe). */
static bool pv_in_bounds(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* Checks that do not depend on the class; the class-specific header is already read. */
static int pv_elf_check_header(const struct pv_elf *e, unsigned type, unsigned machine,
			       unsigned phentsize, unsigned shentsize, char *err, size_t errlen)
{
	unsigned want_machine = e->is_64bit ? EM_X86_64 : EM_386;
	size_t want_phentsize = e->is_64bit ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t want_shentsize = e->is_64bit ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	if (machine != want_machine)
		return pv_elf_errf(err, errlen, "unsupported ELF machine %u for a %s ELF file "
				   "(expected %u)", machine, e->is_64bit ? "64-bit" : "32-bit",
				   want_machine);
	if (type != ET_EXEC)
		return pv_elf_errf(err, errlen, "unsupported ELF type %u (not an executable)", type);
	if (e->phnum == 0)
		return pv_elf_errf(err, errlen, "no program headers");
	if (phentsize != want_phentsize)
		return pv_elf_errf(err, errlen, "bad program header size %u (expected %zu)",
				   phentsize, want_phentsize);
	if (!pv_in_bounds(e->size, e->phoff, (uint64_t)e->phnum * phentsize))
		return pv_elf_errf(err, errlen, "truncated program headers (%u at offset 0x%" PRIx64
				   ", file is 0x%zx bytes)", e->phnum, e->phoff, e->size);
	if (e->shnum == 0)
		return 0;
	if (shentsize != want_shentsize)
		return pv_elf_errf(err, errlen, "bad section header size %u (expected %zu)",
				   shentsize, want_shentsize);
	if (!pv_in_bounds(e->size, e->shoff, (uint64_t)e->shnum * shentsize))
		return pv_elf_errf(err, errlen, "truncated section headers (%u at offset 0x%" PRIx64
				   ", file is 0x%zx bytes)", e->shnum, e->shoff, e->size);
	return 0;
}

static int pv_elf_read_header(struct pv_elf *e, const uint8_t *image, size_t size,
			      char *err, size_t errlen)
{
	Elf32_Ehdr h32;
	Elf64_Ehdr h64;

	memset(e, 0, sizeof(*e));
	e->image = image;
	e->size = size;
	if (!image || size < SELFMAG || memcmp(image, ELFMAG, SELFMAG))
		return pv_elf_errf(err, errlen, "not an ELF file");
	if (size < EI_NIDENT)
		return pv_elf_errf(err, errlen, "truncated ELF header (%zu bytes)", size);
	if (image[EI_CLASS] != ELFCLASS32 && image[EI_CLASS] != ELFCLASS64)
		return pv_elf_errf(err, errlen, "unsupported ELF class %u", image[EI_CLASS]);
	if (image[EI_DATA] != ELFDATA2LSB)
		return pv_elf_errf(err, errlen, "unsupported ELF data encoding %u (not little endian)",
				   image[EI_DATA]);

	e->is_64bit = image[EI_CLASS] == ELFCLASS64;
	if (size < (e->is_64bit ? sizeof(h64) : sizeof(h32)))
		return pv_elf_errf(err, errlen, "truncated ELF header (%zu bytes)", size);
	if (e->is_64bit) {
		memcpy(&h64, image, sizeof(h64));
		e->entry = h64.e_entry;
		e->phoff = h64.e_phoff;
		e->shoff = h64.e_shoff;
		e->phnum = h64.e_phnum;
		e->shnum = h64.e_shnum;
		e->shstrndx = h64.e_shstrndx;
		return pv_elf_check_header(e, h64.e_type, h64.e_machine, h64.e_phentsize,
					   h64.e_shentsize, err, errlen);
	}
	memcpy(&h32, image, sizeof(h32));
	e->entry = h32.e_entry;
	e->phoff = h32.e_phoff;
	e->shoff = h32.e_shoff;
	e->phnum = h32.e_phnum;
	e->shnum = h32.e_shnum;
	e->shstrndx = h32.e_shstrndx;
	return pv_elf_check_header(e, h32.e_type, h32.e_machine, h32.e_phentsize,
				   h32.e_shentsize, err, errlen);
}

/* Program header i (< phnum; the table was bounds-checked with the header). */
static struct pv_phdr pv_elf_phdr(const struct pv_elf *e, unsigned i)
{
	struct pv_phdr ph;
	Elf32_Phdr p32;
	Elf64_Phdr p64;

	if (e->is_64bit) {
		memcpy(&p64, e->image + e->phoff + (uint64_t)i * sizeof(p64), sizeof(p64));
		ph = (struct pv_phdr){ p64.p_type, p64.p_flags, p64.p_offset, p64.p_paddr,
				       p64.p_filesz, p64.p_memsz };
	} else {
		memcpy(&p32, e->image + e->phoff + (uint64_t)i * sizeof(p32), sizeof(p32));
		ph = (struct pv_phdr){ p32.p_type, p32.p_flags, p32.p_offset, p32.p_paddr,
				       p32.p_filesz, p32.p_memsz };
	}
	return ph;
}

/* Section header i (< shnum). */
static struct pv_shdr pv_elf_shdr(const struct pv_elf *e, unsigned i)
{
	struct pv_shdr sh;
	Elf32_Shdr s32;
	Elf64_Shdr s64;

	if (e->is_64bit) {
		memcpy(&s64, e->image + e->shoff + (uint64_t)i * sizeof(s64), sizeof(s64));
		sh = (struct pv_shdr){ s64.sh_name, s64.sh_type, s64.sh_offset, s64.sh_size };
	} else {
		memcpy(&s32, e->image + e->shoff + (uint64_t)i * sizeof(s32), sizeof(s32));
		sh = (struct pv_shdr){ s32.sh_name, s32.sh_type, s32.sh_offset, s32.sh_size };
	}
	return sh;
}

/* Xen loads PT_LOAD segments with at least one of R/W/X (libelf elf_phdr_is_loadable). */
static bool pv_phdr_is_loadable(const struct pv_phdr *ph)
{
	return ph->type == PT_LOAD && (ph->flags & (PF_R | PF_W | PF_X));
}

/*
 * Record the loadable segments in k->seg with seg.vaddr = p_paddr for now
 * (pv_kernel_place() relocates it). Segments with no memory are skipped.
 */
static int pv_elf_collect_segments(const struct pv_elf *e, struct pv_kernel *k,
				   char *err, size_t errlen)
{
	for (unsigned i = 0; i < e->phnum; i++) {
		struct pv_phdr ph = pv_elf_phdr(e, i);

		if (!pv_phdr_is_loadable(&ph))
			continue;
		if (ph.filesz > ph.memsz)
			return pv_elf_errf(err, errlen, "segment %u: file size 0x%" PRIx64
					   " is larger than its memory size 0x%" PRIx64,
					   i, ph.filesz, ph.memsz);
		if (!pv_in_bounds(e->size, ph.offset, ph.filesz))
			return pv_elf_errf(err, errlen, "segment %u (file offset 0x%" PRIx64
					   ", size 0x%" PRIx64 ") extends beyond the end of the file "
					   "(0x%zx bytes)", i, ph.offset, ph.filesz, e->size);
		if (ph.memsz == 0)
			continue;
		if (k->nr_segments == PV_MAX_SEGMENTS)
			return pv_elf_errf(err, errlen, "too many loadable segments (more than %d)",
					   PV_MAX_SEGMENTS);
		k->seg[k->nr_segments++] = (struct pv_segment){
			.vaddr = ph.paddr, .offset = ph.offset,
			.filesz = ph.filesz, .memsz = ph.memsz,
		};
	}
	if (k->nr_segments == 0)
		return pv_elf_errf(err, errlen, "no loadable segments");
	return 0;
}

/* A note name is "Xen" (NUL-terminated within namesz, or exactly 3 bytes). */
static bool pv_note_is_xen(const uint8_t *name, uint32_t namesz)
{
	return namesz >= 3 && !memcmp(name, "Xen", 3) && (namesz == 3 || name[3] == '\0');
}

/*
 * Walk the notes in file bytes [off, off + len) (already bounds-checked),
 * applying those named "Xen". `what` names the region for errors. Returns
 * the number of Xen notes, or -1. Fewer than a note header's bytes left at
 * the end are padding.
 */
static int pv_elf_walk_notes(const struct pv_elf *e, uint64_t off, uint64_t len,
			     const char *what, unsigned idx, struct pv_note_walk *w,
			     char *err, size_t errlen)
{
	uint64_t pos = off, end = off + len;
	int xen_notes = 0;

	while (end - pos >= sizeof(Elf32_Nhdr)) {   /* Elf64_Nhdr has the same layout */
		Elf32_Nhdr nh;
		uint64_t avail = end - pos - sizeof(nh);
		uint64_t namepad, descpad, step;

		memcpy(&nh, e->image + pos, sizeof(nh));
		namepad = ((uint64_t)nh.n_namesz + 3) & ~(uint64_t)3;
		descpad = ((uint64_t)nh.n_descsz + 3) & ~(uint64_t)3;
		if (nh.n_namesz > avail ||
		    (nh.n_descsz && (namepad > avail || nh.n_descsz > avail - namepad)))
			return pv_elf_errf(err, errlen, "ELF note at file offset 0x%" PRIx64
					   " overflows its %s %u (namesz 0x%x, descsz 0x%x, "
					   "0x%" PRIx64 " bytes left)", pos, what, idx,
					   nh.n_namesz, nh.n_descsz, avail);
		if (++w->total > PV_MAX_NOTES)
			return pv_elf_errf(err, errlen, "too many ELF notes (more than %u)",
					   PV_MAX_NOTES);
		if (pv_note_is_xen(e->image + pos + sizeof(nh), nh.n_namesz)) {
			/* An empty descriptor may sit past the end: point it at the note instead. */
			const uint8_t *desc = nh.n_descsz ? e->image + pos + sizeof(nh) + namepad
							  : e->image + pos;
			if (pv_xen_note_apply(w->parms, w->k, nh.n_type, desc, nh.n_descsz,
					      err, errlen))
				return -1;
			xen_notes++;
		}
		step = sizeof(nh) + namepad + descpad;
		if (step > end - pos)
			break;
		pos += step;
	}
	return xen_notes;
}

/* Xen notes from PT_NOTE segments. Returns how many, or -1. */
static int pv_elf_notes_from_segments(const struct pv_elf *e, struct pv_note_walk *w,
				      char *err, size_t errlen)
{
	int found = 0;

	for (unsigned i = 0; i < e->phnum; i++) {
		struct pv_phdr ph = pv_elf_phdr(e, i);
		int n;

		/* libelf skips p_offset 0: some binutils leave it unset on note segments. */
		if (ph.type != PT_NOTE || ph.offset == 0)
			continue;
		if (!pv_in_bounds(e->size, ph.offset, ph.filesz))
			return pv_elf_errf(err, errlen, "note segment %u (file offset 0x%" PRIx64
					   ", size 0x%" PRIx64 ") extends beyond the end of the file "
					   "(0x%zx bytes)", i, ph.offset, ph.filesz, e->size);
		n = pv_elf_walk_notes(e, ph.offset, ph.filesz, "segment", i, w, err, errlen);
		if (n < 0)
			return -1;
		found += n;
	}
	return found;
}

/* Xen notes from SHT_NOTE sections (the fallback when segments have none). */
static int pv_elf_notes_from_sections(const struct pv_elf *e, struct pv_note_walk *w,
				      char *err, size_t errlen)
{
	int found = 0;

	for (unsigned i = 1; i < e->shnum; i++) {
		struct pv_shdr sh = pv_elf_shdr(e, i);
		int n;

		if (sh.type != SHT_NOTE)
			continue;
		if (!pv_in_bounds(e->size, sh.offset, sh.size))
			return pv_elf_errf(err, errlen, "note section %u (file offset 0x%" PRIx64
					   ", size 0x%" PRIx64 ") extends beyond the end of the file "
					   "(0x%zx bytes)", i, sh.offset, sh.size, e->size);
		n = pv_elf_walk_notes(e, sh.offset, sh.size, "section", i, w, err, errlen);
		if (n < 0)
			return -1;
		found += n;
	}
	return found;
}

/* Is section sh called `name`? False when the section names cannot be read. */
static bool pv_elf_section_is(const struct pv_elf *e, const struct pv_shdr *sh,
			      const char *name)
{
	struct pv_shdr strtab;
	size_t want = strlen(name) + 1;

	if (e->shstrndx == SHN_UNDEF || e->shstrndx >= e->shnum)
		return false;
	strtab = pv_elf_shdr(e, e->shstrndx);
	if (!pv_in_bounds(e->size, strtab.offset, strtab.size) ||
	    !pv_in_bounds(strtab.size, sh->name, want))
		return false;
	return !memcmp(e->image + strtab.offset + sh->name, name, want);
}

/*
 * The legacy __xen_guest section, if there is one. Returns 1 when found
 * and applied, 0 when absent, -1 on error.
 */
static int pv_elf_legacy_guest_section(const struct pv_elf *e, struct pv_note_walk *w,
				       char *err, size_t errlen)
{
	for (unsigned i = 1; i < e->shnum; i++) {
		struct pv_shdr sh = pv_elf_shdr(e, i);

		if (!pv_elf_section_is(e, &sh, "__xen_guest"))
			continue;
		if (sh.type == SHT_NOBITS)
			sh.size = 0;
		if (!pv_in_bounds(e->size, sh.offset, sh.size))
			return pv_elf_errf(err, errlen, "__xen_guest section (file offset 0x%" PRIx64
					   ", size 0x%" PRIx64 ") extends beyond the end of the file "
					   "(0x%zx bytes)", sh.offset, sh.size, e->size);
		if (pv_xen_guest_apply(w->parms, w->k, (const char *)e->image + sh.offset,
				       sh.size, err, errlen))
			return -1;
		return 1;
	}
	return 0;
}

/* Find the Xen parameters: PT_NOTE segments, else SHT_NOTE sections, else __xen_guest. */
static int pv_elf_find_xen_parms(const struct pv_elf *e, struct pv_xen_parms *p,
				 struct pv_kernel *k, char *err, size_t errlen)
{
	struct pv_note_walk w = { .parms = p, .k = k };
	int n;

	n = pv_elf_notes_from_segments(e, &w, err, errlen);
	if (n == 0)
		n = pv_elf_notes_from_sections(e, &w, err, errlen);
	if (n < 0)
		return -1;
	if (n > 0)
		return 0;
	n = pv_elf_legacy_guest_section(e, &w, err, errlen);
	if (n < 0)
		return -1;
	if (n == 0)
		return pv_elf_errf(err, errlen, "no Xen notes (not a Xen PV kernel?)");
	k->legacy_guest_section = true;
	return 0;
}

/* Do two segments' virtual ranges overlap? (No range wraps; checked before.) */
static int pv_kernel_check_overlaps(const struct pv_kernel *k, char *err, size_t errlen)
{
	for (unsigned i = 0; i < k->nr_segments; i++) {
		for (unsigned j = i + 1; j < k->nr_segments; j++) {
			const struct pv_segment *a = &k->seg[i], *b = &k->seg[j];

			if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
				return pv_elf_errf(err, errlen, "loadable segments overlap: "
						   "0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64
						   "-0x%" PRIx64, a->vaddr, a->vaddr + a->memsz,
						   b->vaddr, b->vaddr + b->memsz);
		}
	}
	return 0;
}

/*
 * Xen's address rules (libelf elf_xen_addr_calc_check): VIRT_BASE defaults
 * to 0; PADDR_OFFSET defaults to 0 with notes and to VIRT_BASE with
 * __xen_guest (old kernels put virtual addresses in p_paddr). A segment
 * lives at p_paddr + VIRT_BASE - PADDR_OFFSET; ENTRY defaults to e_entry.
 */
static int pv_kernel_place(const struct pv_elf *e, const struct pv_xen_parms *p,
			   struct pv_kernel *k, char *err, size_t errlen)
{
	uint64_t limit = e->is_64bit ? UINT64_MAX : (uint64_t)1 << 32;
	uint64_t virt_offset;

	if (pv_xen_has(p, XEN_ELFNOTE_PADDR_OFFSET) && !pv_xen_has(p, XEN_ELFNOTE_VIRT_BASE))
		return pv_elf_errf(err, errlen, "PADDR_OFFSET 0x%" PRIx64 " is given but VIRT_BASE "
				   "is not", p->paddr_offset);
	k->virt_base = pv_xen_has(p, XEN_ELFNOTE_VIRT_BASE) ? p->virt_base : 0;
	if (pv_xen_has(p, XEN_ELFNOTE_PADDR_OFFSET))
		k->paddr_offset = p->paddr_offset;
	else
		k->paddr_offset = k->legacy_guest_section ? k->virt_base : 0;
	if (k->virt_base & (PV_ELF_PAGE_SIZE - 1))
		return pv_elf_errf(err, errlen, "VIRT_BASE 0x%" PRIx64 " is not page aligned",
				   k->virt_base);

	virt_offset = k->virt_base - k->paddr_offset;
	k->virt_kstart = UINT64_MAX;
	k->virt_kend = 0;
	for (unsigned i = 0; i < k->nr_segments; i++) {
		struct pv_segment *s = &k->seg[i];
		uint64_t paddr = s->vaddr;

		s->vaddr = paddr + virt_offset;
		if (s->memsz > limit || s->vaddr > limit - s->memsz)
			return pv_elf_errf(err, errlen, "segment at physical 0x%" PRIx64 " (size 0x%"
					   PRIx64 ") would be at virtual 0x%" PRIx64 ", beyond the "
					   "end of the %s address space", paddr, s->memsz, s->vaddr,
					   e->is_64bit ? "64-bit" : "32-bit");
		if (s->vaddr < k->virt_kstart)
			k->virt_kstart = s->vaddr;
		if (s->vaddr + s->memsz > k->virt_kend)
			k->virt_kend = s->vaddr + s->memsz;
	}
	if (pv_kernel_check_overlaps(k, err, errlen))
		return -1;
	if (k->virt_base > k->virt_kstart)
		return pv_elf_errf(err, errlen, "VIRT_BASE 0x%" PRIx64 " is above the start of the "
				   "kernel image 0x%" PRIx64, k->virt_base, k->virt_kstart);

	k->entry = pv_xen_has(p, XEN_ELFNOTE_ENTRY) ? p->entry : e->entry;
	if (k->entry < k->virt_kstart || k->entry >= k->virt_kend)
		return pv_elf_errf(err, errlen, "entry point 0x%" PRIx64 " is outside the kernel "
				   "image 0x%" PRIx64 "-0x%" PRIx64, k->entry, k->virt_kstart,
				   k->virt_kend);

	if (pv_xen_has(p, XEN_ELFNOTE_HYPERCALL_PAGE)) {
		uint64_t hp = p->hypercall_page;

		if (hp & (PV_ELF_PAGE_SIZE - 1))
			return pv_elf_errf(err, errlen, "hypercall page 0x%" PRIx64 " is not page "
					   "aligned", hp);
		if (hp < k->virt_kstart || hp >= k->virt_kend || k->virt_kend - hp < PV_ELF_PAGE_SIZE)
			return pv_elf_errf(err, errlen, "hypercall page 0x%" PRIx64 " is outside the "
					   "kernel image 0x%" PRIx64 "-0x%" PRIx64, hp,
					   k->virt_kstart, k->virt_kend);
		k->hypercall_page = hp;
	}

	if (pv_xen_has(p, XEN_ELFNOTE_INIT_P2M)) {
		if (p->init_p2m >= k->virt_kstart && p->init_p2m < k->virt_kend)
			return pv_elf_errf(err, errlen, "INIT_P2M 0x%" PRIx64 " lies inside the kernel "
					   "image 0x%" PRIx64 "-0x%" PRIx64, p->init_p2m,
					   k->virt_kstart, k->virt_kend);
		k->init_p2m = p->init_p2m;
	}

	if (pv_xen_has(p, XEN_ELFNOTE_HV_START_LOW)) {
		if (!e->is_64bit && k->virt_kend > p->hv_start_low)
			return pv_elf_errf(err, errlen, "kernel image 0x%" PRIx64 "-0x%" PRIx64
					   " reaches into the hypervisor hole at HV_START_LOW 0x%"
					   PRIx64, k->virt_kstart, k->virt_kend, p->hv_start_low);
		k->hv_start_low = p->hv_start_low;
	}
	return 0;
}

int pv_kernel_parse(const uint8_t *image, size_t size, struct pv_kernel *k,
		    char *err, size_t errlen)
{
	struct pv_xen_parms parms = { 0 };
	struct pv_elf e;

	memset(k, 0, sizeof(*k));
	if (err && errlen)
		err[0] = '\0';
	if (pv_elf_read_header(&e, image, size, err, errlen))
		return -1;
	k->is_64bit = e.is_64bit;
	if (pv_elf_collect_segments(&e, k, err, errlen))
		return -1;
	if (pv_elf_find_xen_parms(&e, &parms, k, err, errlen))
		return -1;
	if (pv_xen_check_guest_strings(k, err, errlen))
		return -1;
	return pv_kernel_place(&e, &parms, k, err, errlen);
}
