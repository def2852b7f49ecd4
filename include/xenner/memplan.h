/* memplan.h — where guest RAM and the stub region live in guest-physical memory. */
#ifndef XENNER_MEMPLAN_H
#define XENNER_MEMPLAN_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Machine frames are KVM guest-physical frames. Guest RAM sits at GPA 0
 * (up to MEMPLAN_LOW_RAM_LIMIT) and continues at 4 GiB; the stub region
 * follows low RAM, 2 MiB aligned, below 3 GiB (32-bit PAE CR3s must be
 * below 4 GiB, and the LAPIC/IOAPIC live just under 4 GiB).
 *
 * Stub region, offsets from its start:
 *   [image, bss][boot FDT][stub page tables][shared_info][heap][frame info] ... [M2P]
 * Frame info is the stub's per-machine-frame type and reference count
 * (8 bytes a frame, like Xen's page_info).
 */
#define MEMPLAN_LOW_RAM_LIMIT 0xB0000000ull
#define MEMPLAN_STUB_LIMIT    0xC0000000ull
#define MEMPLAN_HIGH_RAM_BASE 0x100000000ull
#define MEMPLAN_FDT_SIZE      (64 * 1024ull)
#define MEMPLAN_FRAME_INFO_BYTES 8

struct mem_plan {
	unsigned guest_bits;            /* 64 or 32 */
	uint64_t nr_pages;              /* guest RAM frames */
	uint64_t low_ram_pages;         /* at GPA 0 */
	uint64_t high_ram_pages;        /* at MEMPLAN_HIGH_RAM_BASE */
	uint64_t stub_gpa, stub_size;
	uint64_t max_mfn;               /* frames below this may exist */
	uint64_t image_size;            /* stub image incl. bss, page aligned */
	uint64_t fdt_off;
	uint64_t pt_off, pt_pages;      /* the stub's own page tables */
	uint64_t shared_info_off;
	uint64_t heap_off, heap_size;
	uint64_t frame_info_off, frame_info_size;
	uint64_t stats_off, stats_size;         /* struct stub_stats per vCPU */
	uint64_t events_off;                    /* one page: to_host, to_guest bitmaps */
	uint64_t m2p_off, m2p_size;     /* M2P table, 2 MiB aligned */
	uint64_t m2p_virt;              /* where the guest reads it (default: Xen's) */
	bool pv32_long_mode;            /* 32-bit guest in long mode's compatibility mode (kvm_pvm) */
	uint64_t stub_cr3;              /* GPA of the stub's root table */
	uint64_t stub_virt;             /* where the stub region is mapped */
};

/* Lay out memory for a guest. -1 with a reason if it cannot fit. */
int mem_plan_compute(struct mem_plan *p, unsigned guest_bits, uint64_t nr_pages,
		     unsigned nr_vcpus, uint64_t image_mem_size, char *err, size_t errlen);
/* A 32-bit guest's stub in long mode (kvm_pvm): an L4 over its PAE tables. */
void mem_plan_set_pv32_long_mode(struct mem_plan *p);

/* MFN of guest RAM frame number i (in machine order; 0 <= i < nr_pages). */
uint64_t mem_plan_ram_mfn(const struct mem_plan *p, uint64_t i);

/*
 * Write the stub's own page tables into the stub region (host pointer to
 * its first byte): the stub image, the M2P (read-only, guest-readable)
 * and, for 64-bit, all machine memory (supervisor-only) — see hostabi.h.
 */
void mem_plan_build_stub_tables(const struct mem_plan *p, uint8_t *stub);

/* Fill the M2P in the stub region from the p2m (INVALID for non-RAM frames). */
void mem_plan_fill_m2p(const struct mem_plan *p, uint8_t *stub, const uint64_t *p2m);

/*
 * The frame info the stub starts from: every guest RAM frame FRAME_GUEST,
 * no references, no type; other frames all zero. Filled by the host, where
 * it is cheap: the stub's own code may be emulated instruction by
 * instruction (kvm_pvm), and this is a loop over every machine frame.
 */
void mem_plan_fill_frame_info(const struct mem_plan *p, uint8_t *stub);

#endif
