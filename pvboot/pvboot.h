/* pvboot.h — the domain builder: Xen PV kernel images and the start-of-day layout. */
#ifndef PVBOOT_PVBOOT_H
#define PVBOOT_PVBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/*
 * The Xen interface the stub is built against. Without it xen.h defaults
 * to version 0, which #defines console_evtchn/console_mfn to fields of
 * start_info and breaks pv_build_args below. Include this header before
 * any other Xen header.
 */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040d00
#endif
#include <xen/xen.h>
#include <xen/features.h>

/* ------------------------------------------------------------------ */
/* Kernel images (elf.c, xennotes.c, bzimage.c)                      */
/* ------------------------------------------------------------------ */

enum pv_pae_mode {
	PV_PAE_NONE = 0,    /* no PAE_MODE note / "no": 2-level 32-bit, unsupported */
	PV_PAE_YES,         /* "yes" */
	PV_PAE_EXTENDED_CR3,/* "yes[extended-cr3]" */
	PV_PAE_BIMODAL,     /* "bimodal" */
};

#define PV_MAX_SEGMENTS 16
#define PV_NOTE_STR_MAX 64

struct pv_segment {
	uint64_t vaddr;     /* guest virtual address (p_paddr/p_vaddr resolved per Xen rules) */
	uint64_t offset;    /* file offset */
	uint64_t filesz;
	uint64_t memsz;
};

/*
 * What the domain builder needs to know about a PV kernel. Produced by
 * pv_kernel_parse() from an (already decompressed) ELF image.
 */
struct pv_kernel {
	bool is_64bit;              /* ELFCLASS64 x86_64, else ELFCLASS32 i386 */
	enum pv_pae_mode pae;       /* 32-bit only */
	uint64_t virt_base;         /* XEN_ELFNOTE_VIRT_BASE (or legacy VIRT_BASE=) */
	uint64_t paddr_offset;      /* XEN_ELFNOTE_PADDR_OFFSET */
	uint64_t entry;             /* virtual entry point */
	uint64_t hypercall_page;    /* virtual address; 0 = none */
	uint64_t hv_start_low;      /* XEN_ELFNOTE_HV_START_LOW; 0 = absent */
	uint64_t init_p2m;          /* XEN_ELFNOTE_INIT_P2M; 0 = absent */
	uint64_t virt_kstart;       /* lowest virtual address of the loaded image */
	uint64_t virt_kend;         /* end (exclusive) of the loaded image, incl. bss */
	uint32_t features_supported[XENFEAT_NR_SUBMAPS * 32 / 32];
	uint32_t features_required[XENFEAT_NR_SUBMAPS * 32 / 32];
	bool suspend_cancel;
	bool mod_start_pfn;         /* XEN_ELFNOTE_MOD_START_PFN = 1 */
	bool legacy_guest_section;  /* notes came from the __xen_guest string */
	char guest_os[PV_NOTE_STR_MAX];
	char guest_version[PV_NOTE_STR_MAX];
	char xen_version[PV_NOTE_STR_MAX];
	char loader[PV_NOTE_STR_MAX];
	unsigned nr_segments;
	struct pv_segment seg[PV_MAX_SEGMENTS];
};

/*
 * Parse an ELF32/ELF64 Xen PV kernel held in memory. Every field of the
 * image is untrusted: on error returns -1 and writes one human-readable
 * reason (no file name, no newline) into err.
 */
int pv_kernel_parse(const uint8_t *image, size_t size, struct pv_kernel *k,
		    char *err, size_t errlen);

/*
 * Turn a kernel file as users bring it (bzimage.c) into the ELF that
 * pv_kernel_parse() reads: a plain ELF is returned as it is (*elf ==
 * file); a bzImage's payload (boot protocol >= 2.08) or a whole file in
 * gzip/bzip2/lzma/xz/lzo/lz4/zstd (RHEL5's gzip'd vmlinuz) is decompressed
 * into a new malloc'd buffer of at most `limit` bytes, which must hold an
 * ELF. The caller owns *elf either way: free the file first if *elf !=
 * file. The file is untrusted: -1 with one line in err (no file name).
 */
int pv_kernel_unpack(const uint8_t *file, size_t size, size_t limit, uint8_t **elf,
		     size_t *elf_size, char *err, size_t errlen);

/*
 * Check the kernel's required features ("!feature" in FEATURES) against
 * the feature bitmap we offer. -1 with the first missing feature's name.
 */
int pv_kernel_check_features(const struct pv_kernel *k,
			     const uint32_t *offered /* XENFEAT_NR_SUBMAPS*32 bits */,
			     char *err, size_t errlen);

/* Name of a XENFEAT_* bit ("writable_page_tables", ...), or NULL. */
const char *pv_feature_name(unsigned bit);

/* ------------------------------------------------------------------ */
/* Guest pseudo-physical memory as the builder sees it                 */
/* ------------------------------------------------------------------ */

/*
 * The builder works in pfn space; p2m[pfn] gives the machine frame. The
 * host pointer for a frame comes from mfn_to_host(). MFN != PFN in general.
 */
struct pv_guest_mem {
	uint64_t nr_pages;                  /* guest RAM frames (pfns 0..nr_pages-1) */
	const uint64_t *p2m;                /* [nr_pages] pfn -> mfn */
	void *(*mfn_to_host)(void *opaque, uint64_t mfn); /* 4 KiB, or NULL */
	void *opaque;
};

/* ------------------------------------------------------------------ */
/* Start-of-day layout (layout.c, pagetables.c)                         */
/* ------------------------------------------------------------------ */

/* Every address below is a guest virtual address unless named *_pfn or *_mfn. */
struct pv_layout {
	bool is_64bit;
	uint64_t virt_base;
	uint64_t kernel_start, kernel_end;      /* page aligned */
	uint64_t ramdisk_start, ramdisk_len;    /* start page aligned; len 0 = none */
	bool ramdisk_unmapped;                  /* MOD_START_PFN kernel: the ramdisk lies after
						   virt_end, unmapped, and start_info gets its pfn */
	uint64_t p2m_start, p2m_end;            /* mfn list, unsigned long entries */
	uint64_t start_info;                    /* one page */
	uint64_t xenstore;                      /* one page */
	uint64_t console;                       /* one page */
	uint64_t pt_start, pt_end;              /* bootstrap page tables */
	uint64_t nr_pt_frames;
	uint64_t pt_root;                       /* == pt_start: L4 (64) or L3 (PAE) */
	uint64_t stack_start, stack_end;        /* one page; initial rsp = stack_end */
	uint64_t virt_end;                      /* 4 MiB aligned, >= 512 KiB after stack */
	uint64_t nr_mapped_pages;               /* (virt_end - virt_base) / 4096 */
};

/* pfn of a virtual address inside the initial region. */
static inline uint64_t pv_layout_pfn(const struct pv_layout *l, uint64_t va)
{
	return (va - l->virt_base) >> 12;
}

struct pv_build_args {
	const struct pv_kernel *kernel;
	const uint8_t *kernel_image;    /* the ELF the kernel was parsed from */
	size_t kernel_image_size;       /* its size: segments are checked against it */
	const uint8_t *ramdisk;         /* NULL = none */
	size_t ramdisk_len;
	const char *cmdline;            /* NULL = empty; truncated to MAX_GUEST_CMDLINE-1 */
	uint64_t shared_info_maddr;     /* machine address of shared_info (stub frame) */
	uint32_t store_evtchn, console_evtchn;
	uint32_t sif_flags;             /* extra SIF_* bits */
};

/*
 * Compute the start-of-day layout for a kernel (pure, no memory touched).
 * -1 with a reason if the guest does not fit in nr_pages or the region
 * would reach the hypervisor hole.
 */
int pv_layout_compute(const struct pv_kernel *k, size_t ramdisk_len,
		      uint64_t nr_pages, struct pv_layout *l,
		      char *err, size_t errlen);

/*
 * Build the domain in guest memory: load the kernel segments (zeroing
 * bss), copy the ramdisk, write the p2m list, start_info, zeroed xenstore
 * and console pages, bootstrap page tables (MFNs through mem->p2m; the
 * page-table frames mapped read-only), zeroed stack page.
 * Returns -1 with a reason on failure.
 */
int pv_build(const struct pv_build_args *a, const struct pv_guest_mem *mem,
	     const struct pv_layout *l, char *err, size_t errlen);

#endif
