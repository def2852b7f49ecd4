/* test_memplan.c — guest-physical layout, the stub's own page tables and the M2P. */
#define CHECK_SUITE "memplan"
#include "check.h"
#include <stdlib.h>
#include <xen/xen.h>
#include <xenner/hostabi.h>
#include <xenner/memplan.h>

#define MB (1024ull * 1024)

static struct mem_plan plan(unsigned bits, uint64_t mib, unsigned vcpus)
{
	struct mem_plan p;
	char err[256];
	if (mem_plan_compute(&p, bits, mib * 256, vcpus, 200 * 1024, err, sizeof(err)))
		memset(&p, 0, sizeof(p));
	return p;
}

/* Walk the stub's tables (held in the stub buffer) like the MMU would. */
static uint64_t walk(const struct mem_plan *p, const uint8_t *stub, uint64_t va, uint64_t *flags)
{
	uint64_t t = p->stub_cr3;
	int levels = p->guest_bits == 64 ? 4 : 3;
	uint64_t all = 0x7;
	for (int l = levels; l >= 1; l--) {
		if (t < p->stub_gpa || t >= p->stub_gpa + p->stub_size)
			return ~0ull;
		const uint64_t *tab = (const uint64_t *)(stub + (t - p->stub_gpa));
		unsigned shift = 12 + 9 * (l - 1);
		unsigned idx = (p->guest_bits == 32 && l == 3) ? (va >> 30) & 3 : (va >> shift) & 511;
		uint64_t e = tab[idx];
		if (!(e & 1))
			return ~0ull;
		if (!(p->guest_bits == 32 && l == 3))
			all &= e | ~0x6ull;
		if (l == 2 && (e & 0x80)) {
			*flags = all;
			return (e & 0x000fffffffe00000ull) + (va & 0x1fffff);
		}
		t = e & 0x000ffffffffff000ull;
	}
	*flags = all;
	return t + (va & 0xfff);
}

TEST(small_guest_layout)
{
	struct mem_plan p = plan(64, 128, 1);
	CHECK_EQ(p.nr_pages, 128 * 256);
	CHECK_EQ(p.low_ram_pages, 128 * 256);
	CHECK_EQ(p.high_ram_pages, 0);
	CHECK_EQ(p.stub_gpa, 128 * MB);
	CHECK_EQ(p.stub_gpa % (2 * MB), 0);
	CHECK_EQ(p.stub_size % (2 * MB), 0);
	CHECK_EQ(p.max_mfn, (p.stub_gpa + p.stub_size) >> 12);
	CHECK(p.m2p_size >= p.max_mfn * 8);
	CHECK_EQ(p.m2p_off % (2 * MB), 0);
	CHECK(p.fdt_off >= p.image_size);
	CHECK(p.pt_off >= p.fdt_off + MEMPLAN_FDT_SIZE);
	CHECK(p.shared_info_off >= p.pt_off + p.pt_pages * 4096);
	CHECK(p.heap_off > p.shared_info_off);
	CHECK(p.m2p_off >= p.heap_off + p.heap_size);
	CHECK(p.m2p_off + p.m2p_size <= p.stub_size);
}

TEST(large_guest_splits_around_the_pci_hole)
{
	struct mem_plan p = plan(64, 6144, 4);
	CHECK_EQ(p.low_ram_pages, MEMPLAN_LOW_RAM_LIMIT >> 12);
	CHECK_EQ(p.high_ram_pages, 6144 * 256 - (MEMPLAN_LOW_RAM_LIMIT >> 12));
	CHECK(p.stub_gpa + p.stub_size <= MEMPLAN_STUB_LIMIT);
	CHECK_EQ(p.max_mfn, (MEMPLAN_HIGH_RAM_BASE >> 12) + p.high_ram_pages);
	CHECK_EQ(mem_plan_ram_mfn(&p, 0), 0);
	CHECK_EQ(mem_plan_ram_mfn(&p, p.low_ram_pages), MEMPLAN_HIGH_RAM_BASE >> 12);
}

TEST(pae_machine_memory_limit)
{
	struct mem_plan p;
	char err[256];
	CHECK_EQ(mem_plan_compute(&p, 32, 13ull * 1024 * 256, 1, 4096, err, sizeof(err)), 0);
	CHECK(p.m2p_size <= 16 * MB);
	CHECK_EQ(mem_plan_compute(&p, 32, 15ull * 1024 * 256, 1, 4096, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "16 GiB");
}


TEST(stub_tables_64)
{
	struct mem_plan p = plan(64, 256, 2);
	uint8_t *stub = calloc(1, p.stub_size);
	mem_plan_build_stub_tables(&p, stub);
	uint64_t f;
	/* The stub region, supervisor-only and writable. */
	CHECK_EQ(walk(&p, stub, STUB64_VIRT_BASE + 0x1234, &f), p.stub_gpa + 0x1234);
	CHECK_EQ(f & 0x6, 0x2);
	CHECK_EQ(walk(&p, stub, STUB64_VIRT_BASE + p.stub_size - 1, &f), p.stub_gpa + p.stub_size - 1);
	CHECK_EQ(walk(&p, stub, STUB64_VIRT_BASE + p.stub_size, &f), ~0ull);
	/* The M2P: read-only, guest (user) readable. */
	CHECK_EQ(walk(&p, stub, MACH2PHYS_VIRT_START + 8, &f), p.stub_gpa + p.m2p_off + 8);
	CHECK_EQ(f & 0x6, 0x4);
	/* The physmap covers RAM and the stub region, supervisor-only. */
	CHECK_EQ(walk(&p, stub, STUB64_PHYSMAP + 0x5000, &f), 0x5000);
	CHECK_EQ(f & 0x4, 0);
	CHECK_EQ(walk(&p, stub, STUB64_PHYSMAP + p.stub_gpa + 0x3000, &f), p.stub_gpa + 0x3000);
	/* Nothing below the hole is mapped. */
	CHECK_EQ(walk(&p, stub, 0xffffffff80000000ull, &f), ~0ull);
	CHECK_EQ(walk(&p, stub, 0x400000, &f), ~0ull);
	free(stub);
}

/* On kvm_pvm the M2P moves to slot 257 and slot 256 stays empty. */
TEST(stub_tables_64_m2p_moved)
{
	struct mem_plan p = plan(64, 256, 1);
	p.m2p_virt = STUB64_M2P_ALT;
	uint8_t *stub = calloc(1, p.stub_size);
	mem_plan_build_stub_tables(&p, stub);
	uint64_t f;
	CHECK_EQ(walk(&p, stub, STUB64_M2P_ALT + 8, &f), p.stub_gpa + p.m2p_off + 8);
	CHECK_EQ(f & 0x6, 0x4);
	CHECK_EQ(walk(&p, stub, MACH2PHYS_VIRT_START + 8, &f), ~0ull);
	free(stub);
}

TEST(stub_tables_pae)
{
	struct mem_plan p = plan(32, 256, 1);
	uint8_t *stub = calloc(1, p.stub_size);
	mem_plan_build_stub_tables(&p, stub);
	const uint64_t *l3 = (const uint64_t *)(stub + p.pt_off);
	CHECK_EQ(l3[0] | l3[1] | l3[2], 0);
	CHECK_EQ(l3[3] & 0xfff, 1);     /* PDPTE: present only */
	uint64_t f;
	CHECK_EQ(walk(&p, stub, STUB32_VIRT_BASE + 0x10, &f), p.stub_gpa + 0x10);
	CHECK_EQ(f & 0x6, 0x2);
	CHECK_EQ(walk(&p, stub, XEN32_MACH2PHYS_VIRT_START + 4, &f), p.stub_gpa + p.m2p_off + 4);
	CHECK_EQ(f & 0x2, 0);
	/* The mapcache is an L1 of empty slots. */
	CHECK_EQ(walk(&p, stub, STUB32_MAPCACHE, &f), ~0ull);
	CHECK_EQ(walk(&p, stub, 0xC0000000u, &f), ~0ull);
	CHECK(STUB32_VIRT_BASE + p.stub_size <= STUB32_VIRT_END);
	free(stub);
}

/*
 * A 32-bit guest in long mode (kvm_pvm): the same L3 and hole, under an L4
 * whose slot 0 points at it; the L3 entry then carries RW/US/A, which a
 * PDPTE may not. A 64-bit plan is left alone.
 */
TEST(stub_tables_pae_long_mode)
{
	struct mem_plan p = plan(32, 256, 1), pae = p;
	mem_plan_set_pv32_long_mode(&p);
	CHECK(p.pv32_long_mode);
	CHECK_EQ(p.stub_cr3, p.stub_gpa + p.pt_off + 3 * 4096);
	CHECK(p.pt_pages >= 4);
	uint8_t *stub = calloc(1, p.stub_size), *stub_pae = calloc(1, p.stub_size);
	mem_plan_build_stub_tables(&p, stub);
	mem_plan_build_stub_tables(&pae, stub_pae);
	const uint64_t *l4 = (const uint64_t *)(stub + (p.stub_cr3 - p.stub_gpa));
	const uint64_t *l3 = (const uint64_t *)(stub + p.pt_off);
	const uint64_t *l3_pae = (const uint64_t *)(stub_pae + pae.pt_off);
	CHECK_EQ(l4[0], (p.stub_gpa + p.pt_off) | 0x27);        /* P RW US A */
	uint64_t rest = 0;
	for (unsigned i = 1; i < 512; i++)
		rest |= l4[i];
	CHECK_EQ(rest, 0);
	CHECK_EQ(l3[0] | l3[1] | l3[2], 0);
	CHECK_EQ(l3[3], (l3_pae[3] & ~0xfffull) | 0x27);
	/* Below the L3, the same tables as in PAE mode. */
	CHECK_EQ(memcmp(stub + p.pt_off + 4096, stub_pae + pae.pt_off + 4096, 2 * 4096), 0);
	free(stub);
	free(stub_pae);

	struct mem_plan p64 = plan(64, 256, 1), before = p64;
	mem_plan_set_pv32_long_mode(&p64);
	CHECK(!p64.pv32_long_mode);
	CHECK_EQ(p64.stub_cr3, before.stub_cr3);
}

/* Guest RAM frames start as FRAME_GUEST, everything else (stub, holes) zero. */
TEST(frame_info_marks_guest_ram)
{
	struct mem_plan p = plan(64, 4096, 1);          /* 4 GiB: RAM on both sides of the hole */
	uint8_t *stub = calloc(1, p.stub_size);
	memset(stub + p.frame_info_off, 0x5a, p.frame_info_size);
	mem_plan_fill_frame_info(&p, stub);
	const struct frame_info *f = (const void *)(stub + p.frame_info_off);
	uint64_t guest = 0;
	for (uint64_t m = 0; m < p.max_mfn; m++) {
		if (f[m].count == FRAME_GUEST && f[m].type == 0)
			guest++;
		else if (f[m].count || f[m].type)
			CHECK_EQ(m, ~0ull);     /* neither guest RAM nor zero */
	}
	CHECK_EQ(guest, p.nr_pages);
	CHECK_EQ(f[mem_plan_ram_mfn(&p, 0)].count, FRAME_GUEST);
	CHECK_EQ(f[mem_plan_ram_mfn(&p, p.nr_pages - 1)].count, FRAME_GUEST);
	CHECK_EQ(f[p.stub_gpa >> 12].count, 0);
	free(stub);
}

TEST(m2p_inverts_a_shuffled_p2m)
{
	struct mem_plan p = plan(64, 16, 1);
	uint8_t *stub = calloc(1, p.stub_size);
	uint64_t *p2m = calloc(p.nr_pages, 8);
	for (uint64_t i = 0; i < p.nr_pages; i++)
		p2m[i] = (i * 7919) % p.nr_pages;       /* a permutation: 7919 is prime */
	mem_plan_fill_m2p(&p, stub, p2m);
	const uint64_t *m2p = (const uint64_t *)(stub + p.m2p_off);
	for (uint64_t i = 0; i < p.nr_pages; i++)
		CHECK_EQ(m2p[p2m[i]], i);
	CHECK_EQ(m2p[p.stub_gpa >> 12], ~0ull);          /* stub frames: INVALID_M2P_ENTRY */
	free(p2m);
	free(stub);
}

int main(void)
{
	RUN(small_guest_layout);
	RUN(large_guest_splits_around_the_pci_hole);
	RUN(pae_machine_memory_limit);
	RUN(stub_tables_64);
	RUN(stub_tables_64_m2p_moved);
	RUN(stub_tables_pae);
	RUN(stub_tables_pae_long_mode);
	RUN(frame_info_marks_guest_ram);
	RUN(m2p_inverts_a_shuffled_p2m);
	return check_done();
}
