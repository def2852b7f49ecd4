/* test_integrity.c — integrity_check(): a well-formed domain passes, each kind of escape is named. */
#define CHECK_SUITE "integrity"
#include "xenner/integrity.h"
#include <stdlib.h>
#include <xenner/hostabi.h>
#include "check.h"

/*
 * A synthetic domain as the stub would leave it: a memory plan, the stub
 * region with its image and page tables, guest RAM with one validated
 * chain of tables (root -> ... -> L1) mapping a writable data frame and a
 * read-only page-table frame, and a descriptor frame.
 */
#define PG_P  1ull
#define PG_RW 2ull
#define PG_US 4ull
#define PG_A  0x20ull

enum { F_ROOT = 10, F_L3 = 11, F_L2 = 12, F_L1 = 13, F_DATA = 14, F_DESC = 15 };

static struct mem_plan p;
static uint8_t *stub, *ram, image[4096];
static struct frame_info *fi;
static char err[512];
static struct integrity_report rep;

static void *to_host(void *opaque, uint64_t mfn)
{
	(void)opaque;
	return mfn < p.low_ram_pages ? ram + mfn * 4096 : NULL;
}

static uint64_t *frame(uint64_t mfn)
{
	return (uint64_t *)(void *)(ram + mfn * 4096);
}

static void set_type(uint64_t mfn, unsigned type, unsigned refs)
{
	fi[mfn].type = (uint32_t)type << FRAME_TYPE_SHIFT | FRAME_TYPE_VALIDATED | refs;
}

static int check(void)
{
	struct integrity_in in = {
		.plan = &p, .stub = stub, .image = image, .ro_size = sizeof(image),
		.mfn_to_host = to_host, .opaque = NULL, .nr_vcpus = 1,
	};
	err[0] = 0;
	return integrity_check(&in, &rep, err, sizeof(err));
}

static void domain(unsigned bits)
{
	char e[200];
	free(stub);
	free(ram);
	if (mem_plan_compute(&p, bits, 1024, 1, 64 * 1024, e, sizeof(e)))
		abort();
	stub = calloc(1, p.stub_size);
	ram = calloc(p.low_ram_pages, 4096);
	for (unsigned i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 13);
	memcpy(stub, image, sizeof(image));
	mem_plan_build_stub_tables(&p, stub);
	uint64_t *p2m = calloc(p.nr_pages, 8);
	for (uint64_t i = 0; i < p.nr_pages; i++)
		p2m[i] = mem_plan_ram_mfn(&p, i);
	mem_plan_fill_m2p(&p, stub, p2m);
	free(p2m);
	fi = (struct frame_info *)(void *)(stub + p.frame_info_off);
	for (uint64_t m = 0; m < p.low_ram_pages; m++)
		fi[m].count = FRAME_GUEST | 1;
	const uint64_t *own = (const uint64_t *)(void *)(stub + p.pt_off + (bits == 64 ? 0 : 4096));
	if (bits == 64) {
		frame(F_ROOT)[0] = F_L3 << 12 | PG_P | PG_RW | PG_US;
		for (unsigned i = STUB64_L4_FIRST; i <= STUB64_L4_LAST; i++)
			frame(F_ROOT)[i] = own[i];
		set_type(F_ROOT, 4, 2);
		frame(F_L3)[0] = F_L2 << 12 | PG_P | PG_RW | PG_US;
		set_type(F_L3, 3, 1);
	} else {
		/* PAE: the L3 (F_L3) has the L2 with the hole in slot 3 (F_ROOT plays that L2). */
		frame(F_L3)[0] = F_L2 << 12 | PG_P;
		frame(F_L3)[3] = F_ROOT << 12 | PG_P;
		set_type(F_L3, 3, 2);
		for (unsigned i = STUB32_L2_FIRST; i < 512; i++)
			frame(F_ROOT)[i] = own[i];
		set_type(F_ROOT, 2, 1);
		fi[F_ROOT].type |= FRAME_TYPE_PAE_XEN_L2;
	}
	frame(F_L2)[0] = F_L1 << 12 | PG_P | PG_RW | PG_US;
	set_type(F_L2, 2, 1);
	frame(F_L1)[0] = F_DATA << 12 | PG_P | PG_RW | PG_US;
	frame(F_L1)[1] = F_L2 << 12 | PG_P | PG_US;     /* a page table, read-only: allowed */
	frame(F_L1)[2] = F_DESC << 12 | PG_P | PG_US;
	set_type(F_L1, 1, 1);
	set_type(F_DATA, FRAME_TYPE_WRITABLE, 1);
	/* A flat DPL-3 data segment (pv32: limit clamped below the M2P's end). */
	frame(F_DESC)[0] = bits == 64 ? 0x00cff3000000ffffull : 0x00c6f3000000ffffull;
	set_type(F_DESC, 5, 1);
}

TEST(a_well_formed_domain_passes_64)
{
	domain(64);
	CHECK_EQ(check(), 0);
	CHECK_EQ(rep.ro_bytes, sizeof(image));
	CHECK_EQ(rep.tables[1], 1);
	CHECK_EQ(rep.tables[2], 1);
	CHECK_EQ(rep.tables[3], 1);
	CHECK_EQ(rep.tables[4], 1);
	CHECK_EQ(rep.desc_pages, 1);
	CHECK_EQ(rep.entries, 6);       /* root 1, L3 1, L2 1, L1 3 */
	CHECK(rep.pt_bytes >= 4 * 4096);
	CHECK(rep.m2p_entries > 0);
}

TEST(a_well_formed_domain_passes_pae)
{
	domain(32);
	CHECK_EQ(check(), 0);
	CHECK_EQ(rep.tables[3], 1);
	CHECK_EQ(rep.tables[2], 2);
	CHECK_EQ(rep.tables[1], 1);
	CHECK_EQ(rep.desc_pages, 1);
}

TEST(accessed_and_dirty_bits_the_cpu_sets_are_not_changes)
{
	domain(32);
	((uint64_t *)(void *)(stub + p.pt_off))[3] |= PG_A;     /* a PDPTE the CPU marked */
	frame(F_ROOT)[STUB32_L2_FIRST] |= 0x60;
	CHECK_EQ(check(), 0);
}

TEST(changed_stub_code_is_found)
{
	domain(64);
	stub[100] ^= 1;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "code or read-only data changed at offset 0x64");
}

TEST(a_changed_stub_page_table_is_found)
{
	domain(64);
	((uint64_t *)(void *)(stub + p.pt_off + 4096))[5] ^= PG_US;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "the stub's page table 1 entry 5 changed");
}

TEST(the_map_cache_may_change_on_pae)
{
	domain(32);
	((uint64_t *)(void *)(stub + p.pt_off + 2 * 4096))[7] = 0x1234063;
	CHECK_EQ(check(), 0);
}

TEST(an_m2p_entry_for_a_stub_frame_is_found)
{
	domain(64);
	((uint64_t *)(void *)(stub + p.m2p_off))[p.stub_gpa >> 12] = 5;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "which is not guest RAM, is 0x5");
}

TEST(an_l1_mapping_a_stub_frame_is_found)
{
	domain(64);
	frame(F_L1)[9] = (p.stub_gpa >> 12) << 12 | PG_P | PG_US;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "L1 table 0xd entry 9 maps frame");
	CHECK_CONTAINS(err, "which is not the guest's");
}

TEST(a_shared_stub_frame_may_be_mapped)
{
	domain(64);
	uint64_t si = (p.stub_gpa + p.shared_info_off) >> 12;
	fi[si].count = FRAME_GUEST | FRAME_XEN_SHARED | 1;
	fi[si].type = FRAME_TYPE_WRITABLE << FRAME_TYPE_SHIFT | FRAME_TYPE_VALIDATED | 1;
	frame(F_L1)[9] = si << 12 | PG_P | PG_RW | PG_US;
	CHECK_EQ(check(), 0);
}

TEST(a_page_table_mapped_writable_is_found)
{
	domain(64);
	frame(F_L1)[1] |= PG_RW;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "maps frame 0xc writable, but that frame is typed 2");
}

TEST(a_descriptor_frame_mapped_writable_is_found_pae)
{
	domain(32);
	frame(F_L1)[2] |= PG_RW;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "is typed 5");
}

TEST(a_ballooned_out_frame_mapped_is_found)
{
	domain(64);
	fi[20].count = FRAME_FREE;
	frame(F_L1)[4] = 20ull << 12 | PG_P;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "maps frame 0x14, which is not the guest's");
}

TEST(an_l2_pointing_at_a_data_frame_is_found)
{
	domain(64);
	frame(F_L2)[1] = F_DATA << 12 | PG_P | PG_RW;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "L2 table 0xc entry 1 points at frame 0xe, which is not a validated L1 table");
}

TEST(a_linear_mapping_is_found)
{
	/* The stub accepts no linear page tables at all, so the check does not either. */
	domain(64);
	frame(F_ROOT)[1] = F_ROOT << 12 | PG_P;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "L4 table 0xa entry 1 points at frame 0xa");
}

TEST(a_changed_hypervisor_slot_is_found)
{
	domain(64);
	frame(F_ROOT)[STUB64_L4_FIRST + 1] = F_L3 << 12 | PG_P | PG_RW;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "hypervisor slot 257");
}

TEST(a_changed_hypervisor_slot_is_found_pae)
{
	domain(32);
	frame(F_ROOT)[511] = F_DATA << 12 | PG_P | PG_RW;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "hypervisor slot 511");
}

TEST(forbidden_flags_are_found)
{
	domain(64);
	frame(F_L1)[0] |= 1ull << 4;           /* PCD */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "has flags a domU may not set");
	domain(64);
	frame(F_L2)[0] |= 1ull << 7;           /* a superpage */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "L2 table 0xc entry 0");
	domain(32);
	frame(F_L1)[0] |= 1ull << 55;          /* reserved in PAE */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "has flags a domU may not set");
}

TEST(a_stub_frame_used_as_a_page_table_is_found)
{
	domain(64);
	uint64_t s = (p.stub_gpa >> 12) + 3;
	fi[s].count = FRAME_GUEST | FRAME_XEN_SHARED | 1;
	fi[s].type = 1u << FRAME_TYPE_SHIFT | FRAME_TYPE_VALIDATED | 1;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "is an L1 table but not guest RAM the guest owns");
}

TEST(descriptors_below_the_kernel_ring_or_system_ones_are_found)
{
	domain(64);
	frame(F_DESC)[1] = 0x00cf93000000ffffull;      /* DPL 0 data */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "entry 1 (0xcf93000000ffff): a segment below the guest kernel's ring");
	domain(32);
	frame(F_DESC)[1] = 0x0000b3000000ffffull;      /* 64 KiB at 0, DPL 1: the pv32 kernel's ring */
	CHECK_EQ(check(), 0);
	frame(F_DESC)[2] = 0x00008c0000080000ull;      /* a call gate with DPL 0: no one can use it */
	CHECK_EQ(check(), 0);
	frame(F_DESC)[2] = 0x0000ec0000080000ull;      /* a call gate with DPL 3 */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "entry 2 (0xec0000080000): a call gate usable from the guest");
	frame(F_DESC)[2] = 0x0000890000000067ull;      /* a TSS */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "a system descriptor");
}

TEST(pae_segments_reaching_the_stub_are_found)
{
	/* In the guest's frame a flat 4 GiB segment is Xen's form; the live copy is what counts. */
	domain(32);
	frame(F_DESC)[1] = 0x00cff3000000ffffull;
	CHECK_EQ(check(), 0);
	frame(F_DESC)[1] = 0xf7cff3000000ffffull;      /* based above the stub's start */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "a segment reaching into the stub (it ends at");
	domain(32);
	frame(F_DESC)[1] = 0x00c0f7000000ffffull;      /* expand-down, 32-bit: covers the top */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "into the stub");
	domain(32);
	frame(F_DESC)[1] = 0x00a0fb000000ffffull;      /* 64-bit code */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "64-bit code in a 32-bit guest");
}

/* The GDT and LDT the CPU uses, where the stub's per-vCPU block says they are. */
static uint64_t *live_gdt(unsigned ents)
{
	struct stub_stats *st = (struct stub_stats *)(void *)(stub + p.stats_off);
	uint64_t off = p.heap_off + 8 * 4096;
	st->gdt_va = p.stub_virt + off;
	st->gdt_ents = ents;
	return (uint64_t *)(void *)(stub + off);
}

TEST(live_pae_descriptors_must_end_below_the_stub)
{
	domain(32);
	uint64_t *g = live_gdt(4);
	g[1] = 0x00c6f3000000ffffull;                  /* ends at 0x6fffffff */
	CHECK_EQ(check(), 0);
	CHECK_EQ(rep.live_descriptors, 4);
	g[2] = 0x00cff3000000ffffull;                  /* flat 4 GiB: the stub did not clamp it */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "live GDT of vCPU 0 entry 2 (0xcff3000000ffff): a segment reaching into the stub");
	domain(64);
	g = live_gdt(2);
	g[1] = 0x00af9b000000ffffull;                  /* 64-bit code with DPL 0 */
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "below the guest kernel's ring");
	domain(64);
	struct stub_stats *st = (struct stub_stats *)(void *)(stub + p.stats_off);
	st->ldt_va = 0x1000;                            /* not in the stub region */
	st->ldt_ents = 3;
	CHECK_EQ(check(), -1);
	CHECK_CONTAINS(err, "reports its LDT at 0x1000 (3 entries), outside its region");
}

int main(void)
{
	RUN(a_well_formed_domain_passes_64);
	RUN(a_well_formed_domain_passes_pae);
	RUN(accessed_and_dirty_bits_the_cpu_sets_are_not_changes);
	RUN(changed_stub_code_is_found);
	RUN(a_changed_stub_page_table_is_found);
	RUN(the_map_cache_may_change_on_pae);
	RUN(an_m2p_entry_for_a_stub_frame_is_found);
	RUN(an_l1_mapping_a_stub_frame_is_found);
	RUN(a_shared_stub_frame_may_be_mapped);
	RUN(a_page_table_mapped_writable_is_found);
	RUN(a_descriptor_frame_mapped_writable_is_found_pae);
	RUN(a_ballooned_out_frame_mapped_is_found);
	RUN(an_l2_pointing_at_a_data_frame_is_found);
	RUN(a_linear_mapping_is_found);
	RUN(a_changed_hypervisor_slot_is_found);
	RUN(a_changed_hypervisor_slot_is_found_pae);
	RUN(forbidden_flags_are_found);
	RUN(a_stub_frame_used_as_a_page_table_is_found);
	RUN(descriptors_below_the_kernel_ring_or_system_ones_are_found);
	RUN(pae_segments_reaching_the_stub_are_found);
	RUN(live_pae_descriptors_must_end_below_the_stub);
	free(stub);
	free(ram);
	return check_done();
}
