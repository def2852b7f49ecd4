/* layout.c — the start-of-day region of a Xen PV domain: compute it, then write it into guest memory. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pvboot/pagetables.h"   /* first: pvboot.h picks the Xen interface version */
#include "xenner/hostabi.h"

#include <xen/foreign/x86_32.h>
#include <xen/foreign/x86_64.h>

/*
 * The rules are those of "Start-of-day memory layout" in xen/xen.h, with
 * the choices Xen's domain builder makes where that comment is silent
 * (tools/libs/guest/xg_dom_core.c xc_dom_build_image, xg_dom_x86.c):
 *
 *   virt_base ... kernel ... ramdisk, p2m list, start_info, xenstore page,
 *   console page, page tables (root first), stack page, >= 512 KiB pad
 *
 * every element page aligned and packed, pfn = (va - virt_base) >> 12.
 */

#if !defined(__x86_64__)
#error "pvboot writes guest structures through the x86_64 and x86_32 foreign layouts on an x86_64 host"
#endif

#define MIB             (1ull << 20)
#define REGION_ALIGN    (4 * MIB)               /* xen.h: ends on an aligned 4MB boundary */
#define REGION_PAD      (512ull << 10)          /* xen.h: at least 512kB after the last element */
#define PAGES(bytes)    ((bytes) >> PV_PAGE_SHIFT)

/* HYPERVISOR_VIRT_START_PAE, pinned to xen-x86_32.h by the 32-bit stub (hostabi.h). */
#define HV_START_PAE    ((uint64_t)XEN32_HYPERVISOR_VIRT_START)
_Static_assert(((HV_START_PAE >> 21) & 511) == STUB32_L2_FIRST && (HV_START_PAE >> 30) == 3,
	       "32-bit hypervisor hole");

/* start_info.magic: "xen-<version>-<platform>", as Xen's builder names the guest types. */
#define MAGIC_64        "xen-3.0-x86_64"
#define MAGIC_32PAE     "xen-3.0-x86_32p"

/* Largest machine frame a 32-bit PAE guest's p2m entry (unsigned long) can hold. */
#define MAX_MFN_32      0xffffffffull

/* Boot elements cannot need more than this many rounds of page-table sizing. */
#define PT_FIXPOINT_ROUNDS 64

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint64_t pages_for(uint64_t bytes)
{
	return PAGES(bytes) + ((bytes & (PV_PAGE_SIZE - 1)) != 0);
}

/* ------------------------------------------------------------------ */
/* pv_layout_compute                                                   */
/* ------------------------------------------------------------------ */

/* Where the region may go: [virt_base, top), and what top is, for messages. */
struct space {
	uint64_t top;           /* exclusive bound for virt_end */
	uint64_t room;          /* pages between virt_base and top */
	const char *top_what;
};

/*
 * The part of the address space a region starting at virt_base may
 * occupy. x86_64: the lower canonical half, or the upper half above
 * Xen's hole (L4 slots 256-271), ending one 4 MiB block short of 2^64 so
 * virt_end stays representable. PAE: below HYPERVISOR_VIRT_START_PAE, and
 * below the kernel's HV_START_LOW if it names a lower hole.
 */
static int region_space(const struct pv_kernel *k, struct space *sp, char *err, size_t errlen)
{
	uint64_t base = k->virt_base;

	if (k->is_64bit) {
		if (base < (1ull << 47)) {
			sp->top = 1ull << 47;
			sp->top_what = "the end of the lower canonical half at";
		} else if (base < HYPERVISOR_VIRT_START) {
			return fail(err, errlen, "virt_base 0x%" PRIx64 " is not a canonical address", base);
		} else if (base < HYPERVISOR_VIRT_END) {
			return fail(err, errlen,
				    "virt_base 0x%" PRIx64 " is inside the hypervisor hole 0x%" PRIx64 "-0x%" PRIx64,
				    base, (uint64_t)HYPERVISOR_VIRT_START, (uint64_t)HYPERVISOR_VIRT_END);
		} else {
			sp->top = 0 - REGION_ALIGN;
			sp->top_what = "the top of the address space at";
		}
	} else {
		if (k->pae == PV_PAE_NONE)
			return fail(err, errlen, "32-bit kernel without PAE support (only PAE 32-bit guests are supported)");
		if (k->hv_start_low > HV_START_PAE)
			return fail(err, errlen,
				    "kernel expects the hypervisor hole at 0x%" PRIx64 ", above its start 0x%" PRIx64,
				    k->hv_start_low, HV_START_PAE);
		sp->top = k->hv_start_low ? k->hv_start_low : HV_START_PAE;
		sp->top_what = "the hypervisor hole at";
	}
	if (base >= sp->top)
		return fail(err, errlen, "virt_base 0x%" PRIx64 " is at or above %s 0x%" PRIx64,
			    base, sp->top_what, sp->top);
	sp->room = PAGES(sp->top - base);
	return 0;
}

/* Advance *cursor (pages from virt_base) by n pages, failing if the region outgrows its space. */
static int take_pages(const struct pv_kernel *k, const struct space *sp, uint64_t *cursor,
		      uint64_t n, const char *what, char *err, size_t errlen)
{
	if (n > sp->room - *cursor)
		return fail(err, errlen,
			    "boot region from 0x%" PRIx64 " does not fit below %s 0x%" PRIx64 " (at the %s)",
			    k->virt_base, sp->top_what, sp->top, what);
	*cursor += n;
	return 0;
}

static uint64_t va_of(const struct pv_kernel *k, uint64_t pfn)
{
	return k->virt_base + (pfn << PV_PAGE_SHIFT);
}

/*
 * Size the bootstrap page tables. They map the whole region, which
 * contains them, so iterate from none until the count maps exactly the
 * region it implies (counts only grow, so this reaches the least fixed
 * point). The region ends at the first 4 MiB boundary at least 512 KiB
 * past the stack page. Xen's builder rounds with (x | (4M-1)) + 1, one
 * block more when x is already aligned; the smaller region meets xen.h.
 */
static int size_pagetables(const struct pv_kernel *k, const struct space *sp,
			   uint64_t pt_pfn, struct pv_layout *l, char *err, size_t errlen)
{
	uint64_t nt = 0;

	for (unsigned round = 0; round < PT_FIXPOINT_ROUNDS; round++) {
		struct pv_pt_shape s;
		uint64_t cursor = pt_pfn, end;

		if (take_pages(k, sp, &cursor, nt, "page tables", err, errlen) ||
		    take_pages(k, sp, &cursor, 1, "stack", err, errlen) ||
		    take_pages(k, sp, &cursor, PAGES(REGION_PAD), "padding", err, errlen))
			return -1;
		end = va_of(k, cursor);
		end = (end + REGION_ALIGN - 1) & ~(REGION_ALIGN - 1);
		if (end > sp->top)
			return fail(err, errlen,
				    "boot region 0x%" PRIx64 "-0x%" PRIx64 " reaches %s 0x%" PRIx64,
				    k->virt_base, end, sp->top_what, sp->top);
		pv_pt_shape(k->is_64bit, k->virt_base, end, &s);
		if (s.total == nt) {
			l->pt_start = va_of(k, pt_pfn);
			l->pt_end = va_of(k, pt_pfn + nt);
			l->nr_pt_frames = nt;
			l->pt_root = l->pt_start;
			l->stack_start = l->pt_end;
			l->stack_end = l->stack_start + PV_PAGE_SIZE;
			l->virt_end = end;
			l->nr_mapped_pages = PAGES(end - k->virt_base);
			return 0;
		}
		nt = s.total;
	}
	return fail(err, errlen, "page-table sizing did not converge");
}

static uint64_t round_up_mib(uint64_t pages)
{
	return pages / 256 + (pages % 256 != 0);
}

int pv_layout_compute(const struct pv_kernel *k, size_t ramdisk_len,
		      uint64_t nr_pages, struct pv_layout *l,
		      char *err, size_t errlen)
{
	uint64_t entry = k->is_64bit ? 8 : 4, p2m_bytes, cursor, kstart, need;
	struct space sp = { 0 };

	memset(l, 0, sizeof(*l));
	if (region_space(k, &sp, err, errlen))
		return -1;
	if (k->virt_base & (PV_PAGE_SIZE - 1))
		return fail(err, errlen, "virt_base 0x%" PRIx64 " is not page aligned", k->virt_base);
	if (k->virt_kstart < k->virt_base)
		return fail(err, errlen, "kernel starts at 0x%" PRIx64 ", below virt_base 0x%" PRIx64,
			    k->virt_kstart, k->virt_base);
	if (k->virt_kend < k->virt_kstart)
		return fail(err, errlen, "kernel ends at 0x%" PRIx64 ", before its start 0x%" PRIx64,
			    k->virt_kend, k->virt_kstart);
	l->is_64bit = k->is_64bit;
	l->virt_base = k->virt_base;

	/* a. the kernel, from the page holding its first byte */
	kstart = k->virt_kstart & ~(PV_PAGE_SIZE - 1);
	cursor = PAGES(kstart - k->virt_base);
	if (cursor > sp.room)
		return fail(err, errlen, "kernel start 0x%" PRIx64 " is beyond %s 0x%" PRIx64,
			    k->virt_kstart, sp.top_what, sp.top);
	if (take_pages(k, &sp, &cursor, pages_for(k->virt_kend - kstart), "kernel", err, errlen))
		return -1;
	l->kernel_start = kstart;
	l->kernel_end = va_of(k, cursor);

	/*
	 * b. the ramdisk. A kernel with XEN_ELFNOTE_MOD_START_PFN takes it
	 * unmapped, after the region (placed below, once virt_end is known),
	 * as Xen's builder does.
	 */
	l->ramdisk_len = ramdisk_len;
	l->ramdisk_unmapped = ramdisk_len && k->mod_start_pfn;
	if (ramdisk_len && !l->ramdisk_unmapped) {
		l->ramdisk_start = l->kernel_end;
		if (take_pages(k, &sp, &cursor, pages_for(ramdisk_len), "ramdisk", err, errlen))
			return -1;
	}

	/*
	 * c. the p2m list: nr_pages guest unsigned longs. XEN_ELFNOTE_INIT_P2M
	 * is ignored and the list stays here, which the note allows: it only
	 * names a "non-default" place, and Xen itself drops it when unusable.
	 */
	if (__builtin_mul_overflow(nr_pages, entry, &p2m_bytes))
		return fail(err, errlen, "p2m list for %" PRIu64 " pages does not fit any address space", nr_pages);
	l->p2m_start = va_of(k, cursor);
	if (take_pages(k, &sp, &cursor, pages_for(p2m_bytes), "p2m list", err, errlen))
		return -1;
	l->p2m_end = va_of(k, cursor);

	/* d-f. start_info, xenstore ring, console ring: one page each */
	l->start_info = va_of(k, cursor);
	l->xenstore = l->start_info + PV_PAGE_SIZE;
	l->console = l->xenstore + PV_PAGE_SIZE;
	if (take_pages(k, &sp, &cursor, 3, "start_info page", err, errlen))
		return -1;

	/* g-h, padding: page tables, stack, the 4 MiB aligned end */
	if (size_pagetables(k, &sp, cursor, l, err, errlen))
		return -1;

	need = l->nr_mapped_pages;
	if (l->ramdisk_unmapped) {
		l->ramdisk_start = l->virt_end;
		need += pages_for(ramdisk_len);     /* both < 2^53: no overflow */
	}
	if (need > nr_pages)
		return fail(err, errlen,
			    "guest memory too small: kernel and boot data need %" PRIu64 " MiB, guest has %" PRIu64 " MiB",
			    round_up_mib(need), nr_pages / 256);
	return 0;
}

/* ------------------------------------------------------------------ */
/* pv_build                                                            */
/* ------------------------------------------------------------------ */

static bool layout_equal(const struct pv_layout *a, const struct pv_layout *b)
{
	return a->is_64bit == b->is_64bit && a->virt_base == b->virt_base &&
	       a->kernel_start == b->kernel_start && a->kernel_end == b->kernel_end &&
	       a->ramdisk_start == b->ramdisk_start && a->ramdisk_len == b->ramdisk_len &&
	       a->ramdisk_unmapped == b->ramdisk_unmapped &&
	       a->p2m_start == b->p2m_start && a->p2m_end == b->p2m_end &&
	       a->start_info == b->start_info && a->xenstore == b->xenstore &&
	       a->console == b->console && a->pt_start == b->pt_start &&
	       a->pt_end == b->pt_end && a->nr_pt_frames == b->nr_pt_frames &&
	       a->pt_root == b->pt_root && a->stack_start == b->stack_start &&
	       a->stack_end == b->stack_end && a->virt_end == b->virt_end &&
	       a->nr_mapped_pages == b->nr_mapped_pages;
}

/*
 * Copy len bytes from src (NULL: zeros) to byte offset off of guest
 * pseudo-physical memory, page by page through the p2m.
 */
static int guest_write(const struct pv_guest_mem *mem, uint64_t off, const uint8_t *src,
		       uint64_t len, char *err, size_t errlen)
{
	while (len) {
		uint64_t in = off & (PV_PAGE_SIZE - 1);
		uint64_t n = PV_PAGE_SIZE - in < len ? PV_PAGE_SIZE - in : len;
		uint8_t *page = pv_guest_page(mem, PAGES(off), err, errlen);

		if (!page)
			return -1;
		if (src) {
			memcpy(page + in, src, n);
			src += n;
		} else {
			memset(page + in, 0, n);
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int zero_pages(const struct pv_guest_mem *mem, uint64_t pfn, uint64_t count,
		      char *err, size_t errlen)
{
	return guest_write(mem, pfn << PV_PAGE_SHIFT, NULL, count << PV_PAGE_SHIFT, err, errlen);
}

/*
 * Everything the guest can see at start of day is either written below or
 * zero: clear the region except a mapped ramdisk's pages (written whole).
 */
static int zero_region(const struct pv_layout *l, const struct pv_guest_mem *mem,
		       char *err, size_t errlen)
{
	uint64_t rd_first, rd_end;

	if (!l->ramdisk_len || l->ramdisk_unmapped)
		return zero_pages(mem, 0, l->nr_mapped_pages, err, errlen);
	rd_first = pv_layout_pfn(l, l->ramdisk_start);
	rd_end = rd_first + pages_for(l->ramdisk_len);
	if (zero_pages(mem, 0, rd_first, err, errlen) ||
	    zero_pages(mem, rd_end, l->nr_mapped_pages - rd_end, err, errlen))
		return -1;
	return 0;
}

/* Load each segment's file bytes at its address and zero the rest of memsz (bss). */
static int load_kernel(const struct pv_build_args *a, const struct pv_layout *l,
		       const struct pv_guest_mem *mem, char *err, size_t errlen)
{
	const struct pv_kernel *k = a->kernel;

	if (k->nr_segments > PV_MAX_SEGMENTS)
		return fail(err, errlen, "kernel has %u segments, at most %d are supported",
			    k->nr_segments, PV_MAX_SEGMENTS);
	for (unsigned i = 0; i < k->nr_segments; i++) {
		const struct pv_segment *s = &k->seg[i];
		uint64_t off;

		if (s->filesz > s->memsz)
			return fail(err, errlen, "kernel segment %u: file size 0x%" PRIx64 " exceeds memory size 0x%" PRIx64,
				    i, s->filesz, s->memsz);
		if (s->filesz && (!a->kernel_image || s->filesz > a->kernel_image_size ||
				  s->offset > a->kernel_image_size - s->filesz))
			return fail(err, errlen, "kernel segment %u: bytes 0x%" PRIx64 "+0x%" PRIx64 " lie outside the image",
				    i, s->offset, s->filesz);
		if (s->vaddr < l->kernel_start || s->vaddr > l->kernel_end ||
		    s->memsz > l->kernel_end - s->vaddr)
			return fail(err, errlen, "kernel segment %u: 0x%" PRIx64 "+0x%" PRIx64 " lies outside the kernel 0x%" PRIx64 "-0x%" PRIx64,
				    i, s->vaddr, s->memsz, l->kernel_start, l->kernel_end);
		off = s->vaddr - l->virt_base;
		if (guest_write(mem, off, a->kernel_image + s->offset, s->filesz, err, errlen) ||
		    guest_write(mem, off + s->filesz, NULL, s->memsz - s->filesz, err, errlen))
			return -1;
	}
	return 0;
}

/* The ramdisk bytes, and zeros to the end of its last page. */
static int load_ramdisk(const struct pv_build_args *a, const struct pv_layout *l,
			const struct pv_guest_mem *mem, char *err, size_t errlen)
{
	uint64_t off = pv_layout_pfn(l, l->ramdisk_start) << PV_PAGE_SHIFT;
	uint64_t len = l->ramdisk_len;

	if (!len)
		return 0;
	if (guest_write(mem, off, a->ramdisk, len, err, errlen) ||
	    guest_write(mem, off + len, NULL, (pages_for(len) << PV_PAGE_SHIFT) - len, err, errlen))
		return -1;
	return 0;
}

/* Every mfn must fit the guest's p2m entry and a page-table entry. */
static int check_p2m(const struct pv_layout *l, const struct pv_guest_mem *mem,
		     char *err, size_t errlen)
{
	uint64_t max = l->is_64bit ? PV_MAX_MFN : MAX_MFN_32;

	for (uint64_t pfn = 0; pfn < mem->nr_pages; pfn++)
		if (mem->p2m[pfn] > max)
			return fail(err, errlen, "mfn 0x%" PRIx64 " of pfn 0x%" PRIx64 " is too large for a %s guest",
				    mem->p2m[pfn], pfn, l->is_64bit ? "64-bit" : "32-bit");
	return 0;
}

/* The mfn list at p2m_start: p2m[pfn] for every guest page, in the guest's unsigned long. */
static int write_p2m(const struct pv_layout *l, const struct pv_guest_mem *mem,
		     char *err, size_t errlen)
{
	unsigned entry = l->is_64bit ? 8 : 4, per_page = PV_PAGE_SIZE / entry;
	uint64_t first = pv_layout_pfn(l, l->p2m_start);
	uint64_t pages = PAGES(l->p2m_end - l->p2m_start);

	for (uint64_t p = 0; p < pages; p++) {
		uint8_t *page = pv_guest_page(mem, first + p, err, errlen);

		if (!page)
			return -1;
		memset(page, 0, PV_PAGE_SIZE);
		for (unsigned i = 0; i < per_page; i++) {
			uint64_t pfn = p * per_page + i;
			uint64_t mfn64;
			uint32_t mfn32;

			if (pfn >= mem->nr_pages)
				break;
			mfn64 = mem->p2m[pfn];
			mfn32 = (uint32_t)mfn64;        /* check_p2m() made this exact */
			if (entry == 8)
				memcpy(page + i * 8, &mfn64, 8);
			else
				memcpy(page + i * 4, &mfn32, 4);
		}
	}
	return 0;
}

/*
 * One start_info filler for both layouts: the foreign structures share
 * field names. Xen's builder leaves first_p2m_pfn/nr_p2m_frames zero
 * unless the p2m was moved by INIT_P2M; ours never is.
 */
#define FILL_START_INFO(SI, A, L, MEM, MAGIC, FLAGS, CMDLINE) do {                      \
	strncpy((SI)->magic, (MAGIC), sizeof((SI)->magic) - 1);                         \
	(SI)->nr_pages = (MEM)->nr_pages;                                               \
	(SI)->shared_info = (A)->shared_info_maddr;                                     \
	(SI)->flags = (FLAGS);                                                          \
	(SI)->store_mfn = (MEM)->p2m[pv_layout_pfn((L), (L)->xenstore)];                \
	(SI)->store_evtchn = (A)->store_evtchn;                                         \
	(SI)->console.domU.mfn = (MEM)->p2m[pv_layout_pfn((L), (L)->console)];          \
	(SI)->console.domU.evtchn = (A)->console_evtchn;                                \
	(SI)->pt_base = (L)->pt_start;                                                  \
	(SI)->nr_pt_frames = (L)->nr_pt_frames;                                         \
	(SI)->mfn_list = (L)->p2m_start;                                                \
	if ((L)->ramdisk_len) {                                                         \
		(SI)->mod_start = (L)->ramdisk_unmapped ?                               \
			pv_layout_pfn((L), (L)->ramdisk_start) : (L)->ramdisk_start;    \
		(SI)->mod_len = (L)->ramdisk_len;                                       \
	}                                                                               \
	memcpy((SI)->cmd_line, (CMDLINE), strlen(CMDLINE));                             \
} while (0)

_Static_assert(sizeof(start_info_x86_64_t) <= PV_PAGE_SIZE && sizeof(start_info_x86_32_t) <= PV_PAGE_SIZE,
	       "start_info fits its page");
_Static_assert(MAX_GUEST_CMDLINE_X86_64 == MAX_GUEST_CMDLINE && MAX_GUEST_CMDLINE_X86_32 == MAX_GUEST_CMDLINE,
	       "command line size");

/*
 * start_info for the guest's ABI. flags: SIF_VIRT_P2M_4TOOLS, which
 * Xen's toolstack always sets (xc_dom_allocate), the caller's extra bits,
 * and SIF_MOD_START_PFN when mod_start is a pfn. mod_len is the exact
 * ramdisk size (Xen's builder passes it rounded up to pages).
 */
static int write_start_info(const struct pv_build_args *a, const struct pv_layout *l,
			    const struct pv_guest_mem *mem, char *err, size_t errlen)
{
	uint32_t flags = SIF_VIRT_P2M_4TOOLS | a->sif_flags |
			 (l->ramdisk_unmapped ? SIF_MOD_START_PFN : 0);
	char cmdline[MAX_GUEST_CMDLINE] = "";
	uint64_t off = pv_layout_pfn(l, l->start_info) << PV_PAGE_SHIFT;

	if (a->cmdline)
		memcpy(cmdline, a->cmdline, strnlen(a->cmdline, sizeof(cmdline) - 1));
	if (l->is_64bit) {
		start_info_x86_64_t si;

		memset(&si, 0, sizeof(si));
		FILL_START_INFO(&si, a, l, mem, MAGIC_64, flags, cmdline);
		return guest_write(mem, off, (const uint8_t *)&si, sizeof(si), err, errlen);
	} else {
		start_info_x86_32_t si;

		memset(&si, 0, sizeof(si));
		FILL_START_INFO(&si, a, l, mem, MAGIC_32PAE, flags, cmdline);
		return guest_write(mem, off, (const uint8_t *)&si, sizeof(si), err, errlen);
	}
}

/*
 * Machine-address limits of a 32-bit guest: its start_info holds 32-bit
 * fields, and a "yes" PAE kernel (no extended-cr3) keeps CR3 as a 32-bit
 * physical address, so its L3 must lie below 4 GiB. Xen's builder moves
 * that L3 (move_l3_below_4G) and fails if it cannot; our p2m is given, so
 * we only check. bimodal kernels, like extended-cr3 ones, are exempt.
 */
static int check_machine_limits(const struct pv_build_args *a, const struct pv_layout *l,
				const struct pv_guest_mem *mem, char *err, size_t errlen)
{
	uint64_t l3mfn;

	if (l->is_64bit)
		return 0;
	if (a->shared_info_maddr > UINT32_MAX)
		return fail(err, errlen, "shared_info at machine address 0x%" PRIx64 " is above 4 GiB for a 32-bit guest",
			    a->shared_info_maddr);
	l3mfn = mem->p2m[pv_layout_pfn(l, l->pt_root)];
	if (a->kernel->pae == PV_PAE_YES && l3mfn >= (1ull << (32 - PV_PAGE_SHIFT)))
		return fail(err, errlen,
			    "PAE L3 page table at mfn 0x%" PRIx64 " is above 4 GiB and the kernel lacks extended-cr3",
			    l3mfn);
	return 0;
}

int pv_build(const struct pv_build_args *a, const struct pv_guest_mem *mem,
	     const struct pv_layout *l, char *err, size_t errlen)
{
	struct pv_layout want;

	if (!a || !a->kernel || !mem || !mem->p2m || !mem->mfn_to_host || !l)
		return fail(err, errlen, "pv_build: missing argument");
	if (a->ramdisk_len && !a->ramdisk)
		return fail(err, errlen, "ramdisk of %zu bytes has no data", a->ramdisk_len);
	/* Trust nothing in l that this kernel and memory size do not imply. */
	if (pv_layout_compute(a->kernel, a->ramdisk_len, mem->nr_pages, &want, err, errlen))
		return -1;
	if (!layout_equal(&want, l))
		return fail(err, errlen, "layout does not belong to this kernel, ramdisk and memory size");
	if (check_p2m(&want, mem, err, errlen) ||
	    check_machine_limits(a, &want, mem, err, errlen) ||
	    zero_region(&want, mem, err, errlen) ||
	    load_kernel(a, &want, mem, err, errlen) ||
	    load_ramdisk(a, &want, mem, err, errlen) ||
	    write_p2m(&want, mem, err, errlen) ||
	    write_start_info(a, &want, mem, err, errlen) ||
	    pv_pt_write(&want, mem, err, errlen))
		return -1;
	return 0;
}
