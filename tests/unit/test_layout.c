/* test_layout.c — the start-of-day region and pv_build(), checked entry by entry against xen.h's rules. */
#define CHECK_SUITE "layout"
#include "check.h"

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>

#include "pvboot/pvboot.h"
#include <xen/foreign/x86_32.h>
#include <xen/foreign/x86_64.h>

/*
 * The test restates the rules instead of reusing pvboot's constants:
 * x86 entry bits, page and region sizes, the Xen holes.
 */
#define PG        4096ull
#define MIB       (1ull << 20)
#define F_P       0x001ull
#define F_RW      0x002ull
#define F_U       0x004ull
#define F_PWT     0x008ull
#define F_PCD     0x010ull
#define F_A       0x020ull
#define F_D       0x040ull
#define F_PS      0x080ull
#define F_NX      (1ull << 63)
#define ADDR_MASK 0x000ffffffffff000ull
#define HOLE32    0xF5800000ull             /* HYPERVISOR_VIRT_START_PAE */
#define BASE64    0xffffffff80000000ull     /* Linux x86_64 virt_base */
#define BASE32    0xC0000000ull             /* Linux i386 PAE virt_base */
#define SPARE     16                        /* frames no pfn owns: must stay untouched */
#define GARBAGE   0xA5                      /* what guest memory holds before pv_build */
#define IMAGE_SIZE 0x6000

#define CALL(x) do { x; if (check_case_failed) return; } while (0)

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

/* ------------------------------------------------------------------ */
/* Fake guest memory: shuffled frames, some spare                      */
/* ------------------------------------------------------------------ */

struct fake {
	uint64_t nr_pages, nr_frames, mfn_base;
	uint8_t *frames;
	uint64_t *p2m;
	uint64_t *m2p;          /* frame index -> pfn, UINT64_MAX for spare frames */
	struct pv_guest_mem mem;
};

static void *fake_host(void *opaque, uint64_t mfn)
{
	struct fake *f = opaque;

	if (mfn < f->mfn_base || mfn - f->mfn_base >= f->nr_frames)
		return NULL;
	return f->frames + (mfn - f->mfn_base) * PG;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* nr_pages guest frames, a deterministic shuffle of nr_pages + SPARE machine frames from mfn_base. */
static void fake_init(struct fake *f, uint64_t nr_pages, uint64_t mfn_base, uint64_t seed)
{
	uint64_t *perm;

	memset(f, 0, sizeof(*f));
	f->nr_pages = nr_pages;
	f->nr_frames = nr_pages + SPARE;
	f->mfn_base = mfn_base;
	f->frames = aligned_alloc(PG, f->nr_frames * PG);
	f->p2m = calloc(nr_pages, sizeof(*f->p2m));
	f->m2p = calloc(f->nr_frames, sizeof(*f->m2p));
	perm = calloc(f->nr_frames, sizeof(*perm));
	if (!f->frames || !f->p2m || !f->m2p || !perm)
		abort();
	memset(f->frames, GARBAGE, f->nr_frames * PG);
	rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
	for (uint64_t i = 0; i < f->nr_frames; i++)
		perm[i] = i;
	for (uint64_t i = f->nr_frames - 1; i > 0; i--) {
		uint64_t j = rng() % (i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint64_t i = 0; i < f->nr_frames; i++)
		f->m2p[i] = UINT64_MAX;
	for (uint64_t pfn = 0; pfn < nr_pages; pfn++) {
		f->p2m[pfn] = mfn_base + perm[pfn];
		f->m2p[perm[pfn]] = pfn;
	}
	free(perm);
	f->mem.nr_pages = nr_pages;
	f->mem.p2m = f->p2m;
	f->mem.mfn_to_host = fake_host;
	f->mem.opaque = f;
}

static void fake_free(struct fake *f)
{
	free(f->frames);
	free(f->p2m);
	free(f->m2p);
}

static uint64_t mfn_to_pfn(const struct fake *f, uint64_t mfn)
{
	if (mfn < f->mfn_base || mfn - f->mfn_base >= f->nr_frames)
		return UINT64_MAX;
	return f->m2p[mfn - f->mfn_base];
}

static bool spare_frames_untouched(const struct fake *f)
{
	for (uint64_t i = 0; i < f->nr_frames; i++) {
		if (f->m2p[i] != UINT64_MAX)
			continue;
		for (uint64_t b = 0; b < PG; b++)
			if (f->frames[i * PG + b] != GARBAGE)
				return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* A software page walker over the built tables                        */
/* ------------------------------------------------------------------ */

static uint64_t read_pte(const struct fake *f, uint64_t table_mfn, unsigned idx, bool *ok)
{
	const uint8_t *p = fake_host((void *)f, table_mfn);
	uint64_t e;

	if (!p) {
		*ok = false;
		return 0;
	}
	memcpy(&e, p + idx * 8, 8);
	return e;
}

struct walk {
	uint64_t pte[4];        /* entry used at each level, [0] = L1 */
	uint64_t table[4];      /* mfn of the table read at each level */
	uint64_t mfn;           /* final frame */
};

/* Translate va as the CPU would (4-level, or PAE 3-level); false if not mapped. */
static bool walk(const struct fake *f, bool is64, uint64_t root, uint64_t va, struct walk *w)
{
	unsigned levels = is64 ? 4 : 3;
	uint64_t table = root;

	memset(w, 0, sizeof(*w));
	for (unsigned l = levels; l-- > 0;) {
		unsigned idx = (!is64 && l == 2) ? (va >> 30) & 3 : (va >> (12 + 9 * l)) & 511;
		bool ok = true;
		uint64_t e = read_pte(f, table, idx, &ok);

		w->table[l] = table;
		w->pte[l] = e;
		if (!ok || !(e & F_P) || (l > 0 && (e & F_PS)))
			return false;
		table = (e & ADDR_MASK) >> 12;
	}
	w->mfn = table;
	return true;
}

/* Read guest virtual memory through the tables. */
static bool vread(const struct fake *f, bool is64, uint64_t root, uint64_t va, void *buf, uint64_t len)
{
	uint8_t *out = buf;

	while (len) {
		struct walk w;
		uint64_t in = va & (PG - 1), n = PG - in < len ? PG - in : len;
		const uint8_t *page;

		if (!walk(f, is64, root, va, &w) || !(page = fake_host((void *)f, w.mfn)))
			return false;
		memcpy(out, page + in, n);
		out += n;
		va += n;
		len -= n;
	}
	return true;
}

static bool vzero(const struct fake *f, bool is64, uint64_t root, uint64_t va, uint64_t len)
{
	uint8_t buf[PG];

	while (len) {
		uint64_t n = len < PG ? len : PG;

		if (!vread(f, is64, root, va, buf, n))
			return false;
		for (uint64_t i = 0; i < n; i++)
			if (buf[i])
				return false;
		va += n;
		len -= n;
	}
	return true;
}

/* Every present entry reachable from the root, counted. */
struct census {
	uint64_t leaves, leaves_outside, nonzero_absent, ps_entries;
	uint64_t tables[64];
	unsigned nr_tables;
	bool overflow;
	uint64_t lo, hi;        /* the region */
};

static void census_walk(const struct fake *f, bool is64, uint64_t mfn, unsigned l, uint64_t va_base,
			struct census *c)
{
	unsigned n = 512;

	if (c->nr_tables == 64) {
		c->overflow = true;
		return;
	}
	c->tables[c->nr_tables++] = mfn;
	for (unsigned idx = 0; idx < n; idx++) {
		bool ok = true;
		uint64_t e = read_pte(f, mfn, idx, &ok);
		uint64_t va = va_base + ((uint64_t)idx << (12 + 9 * l));

		if (!ok) {
			c->overflow = true;
			return;
		}
		if (!(e & F_P)) {
			c->nonzero_absent += e != 0;
			continue;
		}
		if (l > 0 && (e & F_PS))
			c->ps_entries++;
		if (l == 0) {
			if (is64 && (va & (1ull << 47)))
				va |= 0xffff000000000000ull;
			c->leaves++;
			c->leaves_outside += va < c->lo || va >= c->hi;
		} else {
			census_walk(f, is64, (e & ADDR_MASK) >> 12, l - 1, va, c);
		}
	}
}

/* Number of tables a region needs, counted page by page (no formula shared with pvboot). */
static uint64_t count_tables(bool is64, uint64_t base, uint64_t end)
{
	uint64_t n = 1, k1 = UINT64_MAX, k2 = UINT64_MAX, k3 = UINT64_MAX;

	for (uint64_t va = base; va != end; va += PG) {
		if (va >> 21 != k1)
			n++, k1 = va >> 21;
		if (is64 && va >> 30 != k2)
			n++, k2 = va >> 30;
		if (is64 && va >> 39 != k3)
			n++, k3 = va >> 39;
	}
	if (!is64)
		n += 4 - (base >> 30);  /* an L2 for every L3 slot from the region's up to slot 3 */
	return n;
}

/* ------------------------------------------------------------------ */
/* Hand-made kernels                                                   */
/* ------------------------------------------------------------------ */

static uint8_t image_byte(uint64_t off) { return (uint8_t)(off * 7 + (off >> 8) + 1); }

/*
 * A two-segment kernel at virt_base + koff: text+data with a small bss
 * tail, one page hole, then data with a bss. The image is a real ELF
 * header and program headers, the segment bytes a pattern.
 */
static void make_kernel(struct pv_kernel *k, uint8_t *image, bool is64, uint64_t base, uint64_t koff)
{
	uint64_t v0 = base + koff, v1 = v0 + 0x5000;

	memset(k, 0, sizeof(*k));
	k->is_64bit = is64;
	k->pae = is64 ? PV_PAE_NONE : PV_PAE_YES;
	k->virt_base = base;
	k->entry = v0;
	k->virt_kstart = v0;
	k->virt_kend = v1 + 0x2ff0;
	k->nr_segments = 2;
	k->seg[0] = (struct pv_segment){ .vaddr = v0, .offset = 0x1000, .filesz = 0x3123, .memsz = 0x4000 };
	k->seg[1] = (struct pv_segment){ .vaddr = v1, .offset = 0x5000, .filesz = 0x800, .memsz = 0x2ff0 };

	for (uint64_t i = 0; i < IMAGE_SIZE; i++)
		image[i] = image_byte(i);
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
				  .e_entry = v0, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
				  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(image, &eh, sizeof(eh));
		for (int i = 0; i < 2; i++) {
			Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
					  .p_offset = k->seg[i].offset, .p_vaddr = k->seg[i].vaddr,
					  .p_paddr = k->seg[i].vaddr - base, .p_filesz = k->seg[i].filesz,
					  .p_memsz = k->seg[i].memsz, .p_align = PG };
			memcpy(image + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		}
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
				  .e_entry = (uint32_t)v0, .e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
				  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 2 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(image, &eh, sizeof(eh));
		for (int i = 0; i < 2; i++) {
			Elf32_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
					  .p_offset = (uint32_t)k->seg[i].offset, .p_vaddr = (uint32_t)k->seg[i].vaddr,
					  .p_paddr = (uint32_t)(k->seg[i].vaddr - base), .p_filesz = (uint32_t)k->seg[i].filesz,
					  .p_memsz = (uint32_t)k->seg[i].memsz, .p_align = PG };
			memcpy(image + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		}
	}
}

/* ------------------------------------------------------------------ */
/* A whole build, and the rules it must satisfy                        */
/* ------------------------------------------------------------------ */

struct scenario {
	struct pv_kernel k;
	uint8_t image[IMAGE_SIZE];
	uint8_t *ramdisk;
	size_t rd_len;
	const char *cmdline;
	struct fake f;
	struct pv_layout l;
	struct pv_build_args a;
	uint64_t root;          /* mfn of pt_root */
	char err[256];
};

#define RD_LEN 10001

static void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	fake_free(&s->f);
	free(s->ramdisk);
	free(s);
}

/* The one live scenario: a new one (or the end of main) frees it, so a failing CHECK leaks nothing. */
static struct scenario *live;

static struct scenario *scenario_new(bool is64, uint64_t base, uint64_t koff, uint64_t nr_pages,
				     uint64_t mfn_base, size_t rd_len)
{
	struct scenario *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	scenario_free(live);
	live = s;
	make_kernel(&s->k, s->image, is64, base, koff);
	s->rd_len = rd_len;
	if (rd_len) {
		s->ramdisk = malloc(rd_len);
		if (!s->ramdisk)
			abort();
		for (size_t i = 0; i < rd_len; i++)
			s->ramdisk[i] = (uint8_t)(i * 13 + 5) | 1;
	}
	s->cmdline = "root=/dev/xvda1 console=hvc0";
	fake_init(&s->f, nr_pages, mfn_base, base ^ nr_pages ^ koff);
	s->a = (struct pv_build_args){
		.kernel = &s->k, .kernel_image = s->image, .kernel_image_size = IMAGE_SIZE,
		.ramdisk = s->ramdisk, .ramdisk_len = rd_len, .cmdline = s->cmdline,
		.shared_info_maddr = 0x7f123000, .store_evtchn = 1, .console_evtchn = 2,
		.sif_flags = 0,
	};
	return s;
}

static int scenario_compute(struct scenario *s)
{
	return pv_layout_compute(&s->k, s->rd_len, s->f.nr_pages, &s->l, s->err, sizeof(s->err));
}

/* compute + build; both must succeed */
static void scenario_build(struct scenario *s)
{
	int rc = scenario_compute(s);

	if (rc)
		printf("  layout: %s\n", s->err);
	CHECK_EQ(rc, 0);
	s->a.cmdline = s->cmdline;
	rc = pv_build(&s->a, &s->f.mem, &s->l, s->err, sizeof(s->err));
	if (rc)
		printf("  build: %s\n", s->err);
	CHECK_EQ(rc, 0);
	s->root = s->f.p2m[pv_layout_pfn(&s->l, s->l.pt_root)];
	CHECK(spare_frames_untouched(&s->f));
}

/* xen.h 3-4: element order, 4 KiB alignment, packing. */
static void check_order_and_packing(const struct pv_kernel *k, const struct pv_layout *l,
				    uint64_t rd_len, uint64_t nr_pages)
{
	uint64_t entry = k->is_64bit ? 8 : 4, next;

	CHECK_EQ(l->is_64bit, k->is_64bit);
	CHECK_EQ(l->virt_base, k->virt_base);
	CHECK_EQ(l->kernel_start, k->virt_kstart & ~(PG - 1));
	CHECK_EQ(l->kernel_end, align_up(k->virt_kend, PG));
	next = l->kernel_end;
	CHECK_EQ(l->ramdisk_len, rd_len);
	if (rd_len && !k->mod_start_pfn) {
		CHECK_EQ(l->ramdisk_start, next);
		next = align_up(l->ramdisk_start + rd_len, PG);
	}
	CHECK_EQ(l->p2m_start, next);
	CHECK_EQ(l->p2m_end, l->p2m_start + align_up(nr_pages * entry, PG));
	CHECK_EQ(l->start_info, l->p2m_end);
	CHECK_EQ(l->xenstore, l->start_info + PG);
	CHECK_EQ(l->console, l->xenstore + PG);
	CHECK_EQ(l->pt_start, l->console + PG);
	CHECK_EQ(l->pt_root, l->pt_start);
	CHECK_EQ(l->pt_end, l->pt_start + l->nr_pt_frames * PG);
	CHECK_EQ(l->stack_start, l->pt_end);
	CHECK_EQ(l->stack_end, l->stack_start + PG);
	const uint64_t a[] = { l->kernel_start, l->kernel_end, l->ramdisk_start, l->p2m_start, l->p2m_end,
			       l->start_info, l->xenstore, l->console, l->pt_start, l->pt_end,
			       l->stack_start, l->stack_end, l->virt_end };
	for (unsigned i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		CHECK_EQ(a[i] & (PG - 1), 0);
}

/* xen.h 2, 7: 4 MiB aligned end, >= 512 KiB pad, no bigger than needed; the tables map all of it. */
static void check_end_and_tables(const struct pv_layout *l)
{
	CHECK_EQ(l->virt_end % (4 * MIB), 0);
	CHECK(l->virt_end - l->stack_end >= 512 * 1024);
	CHECK(l->virt_end - 4 * MIB < l->stack_end + 512 * 1024);
	CHECK_EQ(l->nr_mapped_pages, (l->virt_end - l->virt_base) / PG);
	CHECK_EQ(l->nr_pt_frames, count_tables(l->is_64bit, l->virt_base, l->virt_end));
}

/*
 * xen.h 5-6 by walking the tables: every region page maps its pfn's mfn,
 * writable except the page tables, with the builder's flags; nothing
 * else is mapped; every table frame is one of the bootstrap frames.
 */
static void check_mappings(const struct scenario *s)
{
	const struct pv_layout *l = &s->l;
	const struct fake *f = &s->f;
	bool is64 = l->is_64bit;
	uint64_t pt_lo = pv_layout_pfn(l, l->pt_start), pt_hi = pv_layout_pfn(l, l->pt_end);
	uint64_t nonleaf = F_P | F_RW | F_A | F_D | F_U;
	uint64_t leaf = is64 ? (F_P | F_RW | F_A | F_D | F_U) : (F_P | F_RW | F_A);
	static struct census c;

	for (uint64_t pfn = 0; pfn < l->nr_mapped_pages; pfn++) {
		uint64_t va = l->virt_base + pfn * PG;
		bool pt = pfn >= pt_lo && pfn < pt_hi;
		struct walk w;

		CHECK(walk(f, is64, s->root, va, &w));
		CHECK_EQ(w.mfn, f->p2m[pfn]);
		CHECK_EQ(w.pte[0] & ~ADDR_MASK, pt ? leaf & ~F_RW : leaf);
		if (is64) {
			CHECK_EQ(w.pte[3] & ~ADDR_MASK, nonleaf);
			CHECK_EQ(w.pte[2] & ~ADDR_MASK, nonleaf);
			CHECK_EQ(w.pte[1] & ~ADDR_MASK, nonleaf);
		} else {
			CHECK_EQ(w.pte[2] & ~ADDR_MASK, F_P);   /* PDPTE: every other bit reserved */
			CHECK_EQ(w.pte[1] & ~ADDR_MASK, nonleaf);
		}
		for (unsigned lv = 1; lv < (is64 ? 4u : 3u); lv++) {
			uint64_t tpfn = mfn_to_pfn(f, w.table[lv - 1]);

			CHECK(tpfn >= pt_lo && tpfn < pt_hi);
		}
	}
	CHECK_EQ(mfn_to_pfn(f, s->root), pt_lo);

	memset(&c, 0, sizeof(c));
	c.lo = l->virt_base;
	c.hi = l->virt_end;
	if (is64) {
		census_walk(f, true, s->root, 3, 0, &c);
	} else {
		/* PAE root: four PDPTEs, the rest of the page zero */
		for (unsigned i = 0; i < 512; i++) {
			bool ok = true;
			uint64_t e = read_pte(f, s->root, i, &ok);

			CHECK(ok);
			if (i >= 4)
				CHECK_EQ(e, 0);
			else if (e & F_P)
				census_walk(f, false, (e & ADDR_MASK) >> 12, 1, (uint64_t)i << 30, &c);
			else
				CHECK_EQ(e, 0);
		}
		c.tables[c.nr_tables++] = s->root;
	}
	CHECK(!c.overflow);
	CHECK_EQ(c.leaves, l->nr_mapped_pages);
	CHECK_EQ(c.leaves_outside, 0);
	CHECK_EQ(c.nonzero_absent, 0);
	CHECK_EQ(c.ps_entries, 0);
	CHECK_EQ(c.nr_tables, l->nr_pt_frames);
	for (unsigned i = 0; i < c.nr_tables; i++) {
		uint64_t tpfn = mfn_to_pfn(f, c.tables[i]);

		CHECK(tpfn >= pt_lo && tpfn < pt_hi);
		for (unsigned j = 0; j < i; j++)
			CHECK(c.tables[j] != c.tables[i]);
	}
}

/* The mfn list at mfn_list, read through the guest's own mapping. */
static void check_p2m_list(const struct scenario *s)
{
	bool is64 = s->l.is_64bit;

	for (uint64_t pfn = 0; pfn < s->f.nr_pages; pfn++) {
		uint64_t v = 0;

		CHECK(vread(&s->f, is64, s->root, s->l.p2m_start + pfn * (is64 ? 8 : 4), &v, is64 ? 8 : 4));
		CHECK_EQ(v, s->f.p2m[pfn]);
	}
	CHECK(vzero(&s->f, is64, s->root, s->l.p2m_start + s->f.nr_pages * (is64 ? 8 : 4),
		    s->l.p2m_end - s->l.p2m_start - s->f.nr_pages * (is64 ? 8 : 4)));
}

/* Segment bytes from the image, bss and holes zero, the pad below the kernel zero. */
static void check_kernel_bytes(const struct scenario *s)
{
	const struct pv_layout *l = &s->l;
	bool is64 = l->is_64bit;
	static uint8_t buf[0x8000];
	uint64_t covered = 0;

	CHECK(vzero(&s->f, is64, s->root, l->virt_base, l->kernel_start - l->virt_base));
	for (unsigned i = 0; i < s->k.nr_segments; i++) {
		const struct pv_segment *sg = &s->k.seg[i];

		CHECK(vread(&s->f, is64, s->root, sg->vaddr, buf, sg->filesz));
		CHECK(memcmp(buf, s->image + sg->offset, sg->filesz) == 0);
		CHECK(vzero(&s->f, is64, s->root, sg->vaddr + sg->filesz, sg->memsz - sg->filesz));
		covered += sg->memsz;
	}
	/* the page between the two segments, and the tail of the last page */
	CHECK(vzero(&s->f, is64, s->root, s->k.seg[0].vaddr + s->k.seg[0].memsz,
		    s->k.seg[1].vaddr - (s->k.seg[0].vaddr + s->k.seg[0].memsz)));
	CHECK(vzero(&s->f, is64, s->root, s->k.virt_kend, l->kernel_end - s->k.virt_kend));
	CHECK(covered > 0);
}

static void check_ramdisk_bytes(const struct scenario *s)
{
	const struct pv_layout *l = &s->l;
	static uint8_t buf[RD_LEN];

	if (!s->rd_len)
		return;
	CHECK(s->rd_len <= sizeof(buf));
	CHECK(vread(&s->f, l->is_64bit, s->root, l->ramdisk_start, buf, s->rd_len));
	CHECK(memcmp(buf, s->ramdisk, s->rd_len) == 0);
	CHECK(vzero(&s->f, l->is_64bit, s->root, l->ramdisk_start + s->rd_len,
		    align_up(s->rd_len, PG) - s->rd_len));
}

/* xenstore, console, stack, the trailing pad: zero */
static void check_zero_pages(const struct scenario *s)
{
	const struct pv_layout *l = &s->l;
	bool is64 = l->is_64bit;

	CHECK(vzero(&s->f, is64, s->root, l->xenstore, PG));
	CHECK(vzero(&s->f, is64, s->root, l->console, PG));
	CHECK(vzero(&s->f, is64, s->root, l->stack_start, PG));
	CHECK(vzero(&s->f, is64, s->root, l->stack_end, l->virt_end - l->stack_end));
}

/* start_info fields common to both layouts, compared after reading the guest's copy. */
#define CHECK_START_INFO(si, s, magic_str) do {                                          \
	const struct pv_layout *l_ = &(s)->l;                                           \
	CHECK_STR((si)->magic, magic_str);                                              \
	CHECK_EQ((si)->nr_pages, (s)->f.nr_pages);                                      \
	CHECK_EQ((si)->shared_info, (s)->a.shared_info_maddr);                          \
	CHECK_EQ((si)->flags, SIF_VIRT_P2M_4TOOLS | (s)->a.sif_flags);                  \
	CHECK_EQ((si)->store_mfn, (s)->f.p2m[pv_layout_pfn(l_, l_->xenstore)]);         \
	CHECK_EQ((si)->store_evtchn, (s)->a.store_evtchn);                              \
	CHECK_EQ((si)->console.domU.mfn, (s)->f.p2m[pv_layout_pfn(l_, l_->console)]);   \
	CHECK_EQ((si)->console.domU.evtchn, (s)->a.console_evtchn);                     \
	CHECK_EQ((si)->pt_base, l_->pt_start);                                          \
	CHECK_EQ((si)->nr_pt_frames, l_->nr_pt_frames);                                 \
	CHECK_EQ((si)->mfn_list, l_->p2m_start);                                        \
	CHECK_EQ((si)->mod_start, (s)->rd_len ? l_->ramdisk_start : 0);                 \
	CHECK_EQ((si)->mod_len, (s)->rd_len);                                           \
	CHECK_STR((const char *)(si)->cmd_line, (s)->cmdline ? (s)->cmdline : "");      \
	CHECK_EQ((si)->first_p2m_pfn, 0);                                               \
	CHECK_EQ((si)->nr_p2m_frames, 0);                                               \
} while (0)

static void check_start_info(const struct scenario *s)
{
	static uint8_t page[PG];
	size_t used;

	CHECK(vread(&s->f, s->l.is_64bit, s->root, s->l.start_info, page, PG));
	if (s->l.is_64bit) {
		start_info_x86_64_t si;

		memcpy(&si, page, sizeof(si));
		CHECK_START_INFO(&si, s, "xen-3.0-x86_64");
		used = sizeof(si);
	} else {
		start_info_x86_32_t si;

		memcpy(&si, page, sizeof(si));
		CHECK_START_INFO(&si, s, "xen-3.0-x86_32p");
		used = sizeof(si);
	}
	for (size_t i = used; i < PG; i++)
		CHECK_EQ(page[i], 0);
}

static void check_everything(struct scenario *s)
{
	CALL(check_order_and_packing(&s->k, &s->l, s->rd_len, s->f.nr_pages));
	CALL(check_end_and_tables(&s->l));
	CALL(check_mappings(s));
	CALL(check_p2m_list(s));
	CALL(check_kernel_bytes(s));
	CALL(check_ramdisk_bytes(s));
	CALL(check_zero_pages(s));
	CALL(check_start_info(s));
}

/* ------------------------------------------------------------------ */
/* Whole builds                                                        */
/* ------------------------------------------------------------------ */

TEST(x86_64_linux_like_build_follows_every_rule)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 8192, 0x3000, RD_LEN);

	scenario_build(s);
	if (!check_case_failed)
		check_everything(s);
}

TEST(x86_32_pae_linux_like_build_follows_every_rule)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 8192, 0x200, RD_LEN);

	scenario_build(s);
	if (!check_case_failed)
		check_everything(s);
}

TEST(x86_64_p2m_is_shuffled_not_identity)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 1024, 0, 0);
	uint64_t same = 0;

	for (uint64_t pfn = 0; pfn < s->f.nr_pages; pfn++)
		same += s->f.p2m[pfn] == pfn;
	CHECK(same < 16);
}

TEST(x86_64_region_across_512g_boundary_gets_two_l3s_and_l2s)
{
	/* lower half, 2 MiB below the 512 GiB line: L4 slots 0 and 1 */
	struct scenario *s = scenario_new(true, 0x0000007fffe00000ull, 0x1c0000, 8192, 0x10000, RD_LEN);

	scenario_build(s);
	if (!check_case_failed) {
		CHECK(s->l.virt_end > 0x0000008000000000ull);
		CHECK_EQ(s->l.nr_pt_frames, 1 + 2 + 2 + (s->l.virt_end - s->l.virt_base) / (2 * MIB));
		check_everything(s);
	}
}

TEST(x86_64_region_straddling_1g_needs_two_l2s)
{
	struct scenario *s = scenario_new(true, BASE64 - 2 * MIB, 0x1c0000, 8192, 0x777, RD_LEN);

	scenario_build(s);
	if (!check_case_failed) {
		CHECK_EQ(s->l.nr_pt_frames, 1 + 1 + 2 + (s->l.virt_end - s->l.virt_base) / (2 * MIB));
		check_everything(s);
	}
}

TEST(x86_64_hypervisor_slots_256_to_271_stay_empty)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 4096, 0x5000, 0);

	scenario_build(s);
	for (unsigned slot = 256; !check_case_failed && slot < 272; slot++) {
		bool ok = true;

		CHECK_EQ(read_pte(&s->f, s->root, slot, &ok), 0);
		CHECK(ok);
	}
}

TEST(pae_l3_slot3_l2_exists_and_is_distinct)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 8192, 0x300, 0);
	bool ok = true;

	scenario_build(s);
	if (!check_case_failed) {
		uint64_t e3 = read_pte(&s->f, s->root, 3, &ok);

		CHECK(ok);
		CHECK_EQ(e3 & ~ADDR_MASK, F_P);
		CHECK(((e3 & ADDR_MASK) >> 12) != s->root);
		for (unsigned i = 0; i < 3; i++)
			CHECK_EQ(read_pte(&s->f, s->root, i, &ok), 0);
		CHECK_EQ(s->l.nr_pt_frames, 1 + 1 + (s->l.virt_end - s->l.virt_base) / (2 * MIB));
	}
}

TEST(pae_region_below_3g_still_gets_its_own_slot3_l2)
{
	/* a Mini-OS style low region in slot 0: L2s for slots 0..3, slot 3's empty */
	struct scenario *s = scenario_new(false, 0x00400000, 0x1000, 4096, 0x40, RD_LEN);
	uint64_t l2[4];
	bool ok = true;

	scenario_build(s);
	if (!check_case_failed) {
		check_everything(s);
		for (unsigned i = 0; !check_case_failed && i < 4; i++) {
			uint64_t e = read_pte(&s->f, s->root, i, &ok);

			CHECK(ok);
			CHECK_EQ(e & ~ADDR_MASK, F_P);
			l2[i] = (e & ADDR_MASK) >> 12;
			for (unsigned j = 0; j < i; j++)
				CHECK(l2[j] != l2[i]);
		}
		for (unsigned i = 0; !check_case_failed && i < 512; i++)
			CHECK_EQ(read_pte(&s->f, l2[3], i, &ok), 0);
	}
}

TEST(pae_region_straddling_3g_maps_both_slots)
{
	struct scenario *s = scenario_new(false, BASE32 - 2 * MIB, 0x1000, 4096, 0x80, RD_LEN);

	scenario_build(s);
	if (!check_case_failed) {
		CHECK_EQ(s->l.nr_pt_frames, 1 + 2 + (s->l.virt_end - s->l.virt_base) / (2 * MIB));
		check_everything(s);
	}
}

TEST(build_without_ramdisk_puts_p2m_after_kernel)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 2048, 0x100, 0);

	scenario_build(s);
	if (!check_case_failed) {
		CHECK_EQ(s->l.p2m_start, s->l.kernel_end);
		check_everything(s);
	}
}

TEST(mod_start_pfn_kernel_gets_unmapped_ramdisk_by_pfn)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 4096, 0x100, RD_LEN);
	static uint8_t page[PG];
	start_info_x86_64_t si;
	uint64_t pfn;

	s->k.mod_start_pfn = true;
	scenario_build(s);
	if (check_case_failed)
		return;
	CHECK(s->l.ramdisk_unmapped);
	CHECK_EQ(s->l.p2m_start, s->l.kernel_end);
	CHECK(vread(&s->f, true, s->root, s->l.start_info, page, PG));
	memcpy(&si, page, sizeof(si));
	CHECK_EQ(si.flags, SIF_VIRT_P2M_4TOOLS | SIF_MOD_START_PFN);
	pfn = si.mod_start;
	CHECK_EQ(pfn, s->l.nr_mapped_pages);        /* first pfn after the region */
	CHECK_EQ(si.mod_len, RD_LEN);
	for (uint64_t off = 0; off < align_up(RD_LEN, PG); off++) {
		uint8_t *p = fake_host(&s->f, s->f.p2m[pfn + off / PG]);

		CHECK_EQ(p[off % PG], off < RD_LEN ? s->ramdisk[off] : 0);
	}
	CHECK(!walk(&s->f, true, s->root, s->l.virt_end, &(struct walk){0}));
}

TEST(cmdline_is_truncated_and_nul_terminated)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 2048, 0x100, 0);
	static char longline[3000];
	static uint8_t page[PG];
	start_info_x86_32_t si;

	memset(longline, 'x', sizeof(longline) - 1);
	longline[0] = 'A';
	s->cmdline = longline;
	scenario_build(s);
	if (!check_case_failed) {
		CHECK(vread(&s->f, false, s->root, s->l.start_info, page, PG));
		memcpy(&si, page, sizeof(si));
		CHECK_EQ(strnlen((char *)si.cmd_line, sizeof(si.cmd_line)), MAX_GUEST_CMDLINE - 1);
		CHECK_EQ(si.cmd_line[0], 'A');
		CHECK_EQ(si.cmd_line[MAX_GUEST_CMDLINE - 1], 0);
	}
}

TEST(null_cmdline_is_empty_and_sif_flags_are_added)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 2048, 0x100, 0);
	static uint8_t page[PG];
	start_info_x86_64_t si;

	s->cmdline = NULL;
	s->a.sif_flags = SIF_PRIVILEGED;
	scenario_build(s);
	if (!check_case_failed) {
		CHECK(vread(&s->f, true, s->root, s->l.start_info, page, PG));
		memcpy(&si, page, sizeof(si));
		CHECK_EQ(si.cmd_line[0], 0);
		CHECK_EQ(si.flags, SIF_VIRT_P2M_4TOOLS | SIF_PRIVILEGED);
	}
}

TEST(pae_extended_cr3_kernel_accepts_l3_above_4g)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 2048, 0x100000, 0);

	s->k.pae = PV_PAE_EXTENDED_CR3;
	scenario_build(s);
	if (!check_case_failed) {
		CHECK(s->root >= 0x100000);
		check_everything(s);
	}
}

/* ------------------------------------------------------------------ */
/* Region size rules over many kernel sizes                            */
/* ------------------------------------------------------------------ */

/* For kernel sizes of 1..1400 pages: every rule holds, and both pad edge cases occur. */
static void sweep(bool is64, uint64_t base)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	unsigned extended = 0, exact = 0;
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, is64, base, 0x1000);
	for (uint64_t pages = 1; pages <= 1400; pages++) {
		k.virt_kend = k.virt_kstart + pages * PG - 5;
		CHECK_EQ(pv_layout_compute(&k, 3 * PG + 1, 4096, &l, err, sizeof(err)), 0);
		CALL(check_order_and_packing(&k, &l, 3 * PG + 1, 4096));
		CALL(check_end_and_tables(&l));
		extended += l.virt_end - 4 * MIB >= l.stack_end;   /* the extra 4 MiB was needed */
		exact += l.virt_end - l.stack_end == 512 * 1024;
	}
	CHECK(extended > 0);
	CHECK(exact > 0);
}

TEST(x86_64_region_end_and_table_count_hold_for_all_sizes) { sweep(true, BASE64); }
TEST(pae_region_end_and_table_count_hold_for_all_sizes) { sweep(false, BASE32); }

TEST(stack_in_last_512k_of_a_4m_block_forces_the_extra_4m)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];
	uint64_t boundary = BASE64 + 4 * MIB;
	bool found = false;

	make_kernel(&k, image, true, BASE64, 0x1000);
	for (uint64_t pages = 1; pages < 1024 && !found; pages++) {
		k.virt_kend = k.virt_kstart + pages * PG;
		CHECK_EQ(pv_layout_compute(&k, 0, 2048, &l, err, sizeof(err)), 0);
		if (l.stack_end == boundary - PG) {
			found = true;
			CHECK_EQ(l.virt_end, boundary + 4 * MIB);
			CHECK_EQ(l.nr_pt_frames, count_tables(true, l.virt_base, l.virt_end));
		} else if (l.stack_end == boundary - 512 * 1024) {
			CHECK_EQ(l.virt_end, boundary);
		}
	}
	CHECK(found);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

TEST(too_little_memory_is_reported_in_mib)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256] = "";
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, true, BASE64, 16 * MIB);   /* Linux: 16 MiB below the kernel */
	CHECK_EQ(pv_layout_compute(&k, 0, 1024, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "guest memory too small: kernel and boot data need 20 MiB, guest has 4 MiB");
	CHECK(!strchr(err, '\n'));
}

TEST(smallest_memory_that_fits_holds_exactly_the_region)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];
	uint64_t n;

	make_kernel(&k, image, false, BASE32, 0x100000);
	for (n = 1; n < 8192; n++)
		if (pv_layout_compute(&k, RD_LEN, n, &l, err, sizeof(err)) == 0)
			break;
	CHECK(n < 8192);
	CHECK_EQ(n, l.nr_mapped_pages);
	CHECK_EQ(pv_layout_compute(&k, RD_LEN, n - 1, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "guest memory too small");
}

TEST(unmapped_ramdisk_counts_against_memory)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, true, BASE64, 0x1000);
	k.mod_start_pfn = true;
	CHECK_EQ(pv_layout_compute(&k, 0, 1024, &l, err, sizeof(err)), 0);
	CHECK_EQ(l.nr_mapped_pages, 1024);
	CHECK_EQ(pv_layout_compute(&k, 1, 1024, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "guest memory too small");
	CHECK_EQ(pv_layout_compute(&k, 1, 1025, &l, err, sizeof(err)), 0);
	CHECK_EQ(l.ramdisk_start, l.virt_end);
}

TEST(x86_64_region_in_hypervisor_hole_is_rejected)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, true, 0xffff800000000000ull, 0x1000);
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole");
	make_kernel(&k, image, true, 0xffff87ffffc00000ull, 0x1000);
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole");
	make_kernel(&k, image, true, 0xffff880000000000ull, 0x1000);   /* HYPERVISOR_VIRT_END: fine */
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), 0);
}

TEST(x86_64_non_canonical_region_is_rejected)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, true, 0x0000800000000000ull, 0x1000);
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "canonical");
	make_kernel(&k, image, true, 0x00007fffffe00000ull, 0x1000);   /* ends exactly at 2^47: fine */
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), 0);
	CHECK_EQ(l.virt_end, 0x0000800000000000ull);
	make_kernel(&k, image, true, 0x00007fffffe00000ull, 0x1f0000); /* would run past 2^47 */
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "canonical");
	make_kernel(&k, image, true, 0xfffffffffff00000ull, 0x1000);   /* would wrap past 2^64 */
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "top of the address space");
	make_kernel(&k, image, true, BASE64, 0x1000);
	k.virt_kend = 0xfffffffffffff000ull;
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "top of the address space");
}

TEST(pae_region_reaching_the_hole_is_rejected)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, false, BASE32, 0x100000);
	k.virt_kend = HOLE32 - 8 * MIB;    /* the boot data and pad cannot fit in what is left */
	CHECK_EQ(pv_layout_compute(&k, 4 * MIB, 1 << 20, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole at 0xf5800000");
	k.virt_kend = HOLE32 - 4 * MIB;    /* boot data, tables and pad fit the last 4 MiB block */
	CHECK_EQ(pv_layout_compute(&k, 0, 1 << 18, &l, err, sizeof(err)), 0);
	CHECK_EQ(l.virt_end, HOLE32);
	make_kernel(&k, image, false, HOLE32, 0x1000);
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole");
}

TEST(pae_hv_start_low_lowers_the_limit_and_may_not_exceed_the_hole)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, false, BASE32, 0x100000);
	k.virt_kend = 0xE0000000;
	CHECK_EQ(pv_layout_compute(&k, 0, 1 << 20, &l, err, sizeof(err)), 0);
	k.hv_start_low = 0xE0000000;
	CHECK_EQ(pv_layout_compute(&k, 0, 1 << 20, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole at 0xe0000000");
	k.hv_start_low = HOLE32;           /* what Linux PAE kernels declare */
	CHECK_EQ(pv_layout_compute(&k, 0, 1 << 20, &l, err, sizeof(err)), 0);
	k.hv_start_low = 0xFC000000;       /* the non-PAE hole: too high */
	CHECK_EQ(pv_layout_compute(&k, 0, 1 << 20, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "hypervisor hole");
}

TEST(non_pae_32bit_and_misplaced_kernels_are_rejected)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	make_kernel(&k, image, false, BASE32, 0x100000);
	k.pae = PV_PAE_NONE;
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "PAE");
	make_kernel(&k, image, true, BASE64, 0x100000);
	k.virt_kstart = BASE64 - PG;
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "below virt_base");
	make_kernel(&k, image, true, BASE64, 0x100000);
	k.virt_kend = k.virt_kstart - 1;
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	make_kernel(&k, image, true, BASE64 + 0x10, 0x100000);
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "page aligned");
	make_kernel(&k, image, false, 0x100000000ull, 0x1000);     /* 32-bit kernel above 4 GiB */
	CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
}

TEST(huge_sizes_fail_cleanly)
{
	struct pv_kernel k;
	struct pv_layout l;
	char err[256];
	static uint8_t image[IMAGE_SIZE];

	for (int is64 = 0; is64 < 2; is64++) {
		uint64_t base = is64 ? BASE64 : BASE32;

		make_kernel(&k, image, is64, base, 0x1000);
		k.virt_kend = UINT64_MAX;
		CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
		make_kernel(&k, image, is64, base, 0x1000);
		k.virt_kstart = k.virt_kend = UINT64_MAX;
		CHECK_EQ(pv_layout_compute(&k, 0, 8192, &l, err, sizeof(err)), -1);
		make_kernel(&k, image, is64, base, 0x1000);
		CHECK_EQ(pv_layout_compute(&k, SIZE_MAX, 8192, &l, err, sizeof(err)), -1);
		CHECK_EQ(pv_layout_compute(&k, SIZE_MAX - PG + 2, 8192, &l, err, sizeof(err)), -1);
		CHECK_EQ(pv_layout_compute(&k, 0, UINT64_MAX, &l, err, sizeof(err)), -1);
		CHECK_EQ(pv_layout_compute(&k, 0, UINT64_MAX / 4 + 1, &l, err, sizeof(err)), -1);
		CHECK_EQ(pv_layout_compute(&k, 0, 1ull << 40, &l, err, sizeof(err)), -1);
		k.mod_start_pfn = true;    /* unmapped: no address-space limit, still memory */
		CHECK_EQ(pv_layout_compute(&k, SIZE_MAX, UINT64_MAX, &l, err, sizeof(err)), -1);
		CHECK_EQ(pv_layout_compute(&k, SIZE_MAX, 8192, &l, err, sizeof(err)), -1);
		CHECK_CONTAINS(err, "guest memory too small");
	}
}

/* pv_build on a fresh scenario that must be refused; nothing may be written outside the guest. */
static void expect_build_error(struct scenario *s, const char *needle)
{
	int rc = pv_build(&s->a, &s->f.mem, &s->l, s->err, sizeof(s->err));

	CHECK_EQ(rc, -1);
	CHECK_CONTAINS(s->err, needle);
	CHECK(spare_frames_untouched(&s->f));
}

TEST(build_rejects_segments_outside_image_or_kernel)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 2048, 0x100, 0);

	CHECK_EQ(scenario_compute(s), 0);
	s->k.seg[1].offset = IMAGE_SIZE - 0x7ff;
	CALL(expect_build_error(s, "outside the image"));
	s->k.seg[1].offset = UINT64_MAX - 0x100;
	CALL(expect_build_error(s, "outside the image"));
	s->k.seg[1].offset = 0x5000;
	s->a.kernel_image_size = 0x5000;
	CALL(expect_build_error(s, "outside the image"));
	s->a.kernel_image_size = IMAGE_SIZE;
	s->k.seg[1].filesz = s->k.seg[1].memsz + 1;
	CALL(expect_build_error(s, "exceeds memory size"));
	s->k.seg[1].filesz = 0x800;
	s->k.seg[1].memsz = UINT64_MAX;
	CALL(expect_build_error(s, "outside the kernel"));
	s->k.seg[1].memsz = 0x3000;         /* exactly up to kernel_end: allowed */
	CHECK_EQ(pv_build(&s->a, &s->f.mem, &s->l, s->err, sizeof(s->err)), 0);
	s->k.seg[1].memsz = 0x3001;
	CALL(expect_build_error(s, "outside the kernel"));
	s->k.seg[1].memsz = 0x2ff0;
	s->k.seg[0].vaddr = s->k.virt_kstart - PG;
	CALL(expect_build_error(s, "outside the kernel"));
}

TEST(build_rejects_a_layout_for_another_kernel_or_memory)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 2048, 0x100, RD_LEN);

	CHECK_EQ(scenario_compute(s), 0);
	s->l.pt_end += PG;
	CALL(expect_build_error(s, "layout does not belong"));
	CHECK_EQ(scenario_compute(s), 0);
	s->a.ramdisk_len = RD_LEN - 1;
	CALL(expect_build_error(s, "layout does not belong"));
	s->a.ramdisk_len = RD_LEN;
	s->a.ramdisk = NULL;
	CALL(expect_build_error(s, "no data"));
}

TEST(build_stops_at_a_frame_without_host_memory)
{
	struct scenario *s = scenario_new(true, BASE64, 0x200000, 2048, 0x100, 0);

	CHECK_EQ(scenario_compute(s), 0);
	s->f.p2m[pv_layout_pfn(&s->l, s->l.pt_start) + 1] = 0x100 + s->f.nr_frames + 5;
	CALL(expect_build_error(s, "has no host memory"));
}

TEST(pae_yes_kernel_needs_l3_below_4g)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 2048, 0x100000, 0);

	CHECK_EQ(scenario_compute(s), 0);
	CALL(expect_build_error(s, "above 4 GiB"));
}

TEST(pae_guest_refuses_machine_addresses_over_32_bits)
{
	struct scenario *s = scenario_new(false, BASE32, 0x100000, 2048, 0x100, 0);

	CHECK_EQ(scenario_compute(s), 0);
	s->a.shared_info_maddr = 0x100000000ull;
	CALL(expect_build_error(s, "shared_info"));
	s->a.shared_info_maddr = 0x1000;
	s->f.p2m[7] = 0x100000000ull;
	CALL(expect_build_error(s, "too large for a 32-bit guest"));
}

int main(void)
{
	RUN(x86_64_linux_like_build_follows_every_rule);
	RUN(x86_32_pae_linux_like_build_follows_every_rule);
	RUN(x86_64_p2m_is_shuffled_not_identity);
	RUN(x86_64_region_across_512g_boundary_gets_two_l3s_and_l2s);
	RUN(x86_64_region_straddling_1g_needs_two_l2s);
	RUN(x86_64_hypervisor_slots_256_to_271_stay_empty);
	RUN(pae_l3_slot3_l2_exists_and_is_distinct);
	RUN(pae_region_below_3g_still_gets_its_own_slot3_l2);
	RUN(pae_region_straddling_3g_maps_both_slots);
	RUN(build_without_ramdisk_puts_p2m_after_kernel);
	RUN(mod_start_pfn_kernel_gets_unmapped_ramdisk_by_pfn);
	RUN(cmdline_is_truncated_and_nul_terminated);
	RUN(null_cmdline_is_empty_and_sif_flags_are_added);
	RUN(pae_extended_cr3_kernel_accepts_l3_above_4g);
	RUN(x86_64_region_end_and_table_count_hold_for_all_sizes);
	RUN(pae_region_end_and_table_count_hold_for_all_sizes);
	RUN(stack_in_last_512k_of_a_4m_block_forces_the_extra_4m);
	RUN(too_little_memory_is_reported_in_mib);
	RUN(smallest_memory_that_fits_holds_exactly_the_region);
	RUN(unmapped_ramdisk_counts_against_memory);
	RUN(x86_64_region_in_hypervisor_hole_is_rejected);
	RUN(x86_64_non_canonical_region_is_rejected);
	RUN(pae_region_reaching_the_hole_is_rejected);
	RUN(pae_hv_start_low_lowers_the_limit_and_may_not_exceed_the_hole);
	RUN(non_pae_32bit_and_misplaced_kernels_are_rejected);
	RUN(huge_sizes_fail_cleanly);
	RUN(build_rejects_segments_outside_image_or_kernel);
	RUN(build_rejects_a_layout_for_another_kernel_or_memory);
	RUN(build_stops_at_a_frame_without_host_memory);
	RUN(pae_yes_kernel_needs_l3_below_4g);
	RUN(pae_guest_refuses_machine_addresses_over_32_bits);
	scenario_free(live);
	return check_done();
}
