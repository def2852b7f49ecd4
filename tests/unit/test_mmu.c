/* test_mmu.c — the stub's page types and reference counts (hypercall/mmu.c) on the host, 64-bit. */
#define CHECK_SUITE "mmu"
#include "check.h"
#include <stdarg.h>
#include <stdlib.h>
#define STUB_BITS 64
#include "hypercall/stub.h"
#include "hypercall/mmu.h"

/*
 * Machine frames 0..GUEST_FRAMES-1 are the guest's RAM, the rest up to
 * NR_FRAMES are "stub" frames. Everything mmu.c needs from the rest of the
 * stub is a small shim here; TLB calls are counted.
 */
#define NR_FRAMES 64
#define GUEST_FRAMES 48
static uint8_t machine[NR_FRAMES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t stub_area[NR_FRAMES * 16];
static unsigned tlb_type_change_calls, tlb_writable_drops;
static struct vcpu vcpu0;

struct domain dom;
struct vcpu *current(void) { return &vcpu0; }
void *stub_ptr(uint64_t off) { return stub_area + off; }
void *map_mfn(uint64_t mfn) { return machine[mfn]; }
void unmap_mfn(void *p) { (void)p; }
bool mfn_is_guest_ram(uint64_t mfn) { return mfn < GUEST_FRAMES; }
bool arch_guest_va_ok(ulong va, size_t len) { (void)va; (void)len; return true; }
void arch_write_cr3(struct vcpu *v, uint64_t maddr) { (void)v; (void)maddr; }
int copy_from_guest(void *dst, ulong gva, size_t len) { memcpy(dst, (void *)gva, len); return 0; }
int copy_to_guest(ulong gva, const void *src, size_t len) { memcpy((void *)gva, src, len); return 0; }
void spin_lock(volatile int *l) { (void)l; }
void spin_unlock(volatile int *l) { (void)l; }
void tlb_before_type_change(void) { tlb_type_change_calls++; }
void tlb_writable_dropped(void) { tlb_writable_drops++; }
void tlb_flush(uint64_t mask, unsigned long va) { (void)mask; (void)va; }
void tlb_flush_local_full(void) { }
int validate_seg_desc_page(uint64_t mfn) { (void)mfn; return 0; }
int vcpu_set_ldt(struct vcpu *v, ulong base, unsigned ents) { (void)v; (void)base; (void)ents; return 0; }
void trace_print(unsigned flag, const char *fmt, ...) { (void)flag; (void)fmt; }
void panic_regs(const struct regs *r, const char *fmt, ...)
{
	(void)r;
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: mmu: stub panic: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

#include "hypercall/mmu.c"

#define PTE(mfn, flags) ((uint64_t)(mfn) << PAGE_SHIFT | (flags))
#define P _PAGE_PRESENT
#define RW _PAGE_RW

static void reset(void)
{
	memset(machine, 0, sizeof(machine));
	memset(&dom, 0, sizeof(dom));
	dom.bi.max_mfn = NR_FRAMES;
	dom.bi.frame_info_off = 0;
	dom.bi.frame_info_size = sizeof(stub_area);
	dom.bi.nr_ram_ranges = 1;
	dom.bi.ram[0].mfn = 0;
	dom.bi.ram[0].count = GUEST_FRAMES;
	dom.bi.stub_maddr = (uint64_t)GUEST_FRAMES << PAGE_SHIFT;
	dom.bi.stub_size = (uint64_t)(NR_FRAMES - GUEST_FRAMES) << PAGE_SHIFT;
	mmu_init();
	/* What the host's mem_plan_fill_frame_info() does: guest RAM frames PGC_GUEST. */
	memset(frames, 0, NR_FRAMES * sizeof(*frames));
	for (uint64_t m = 0; m < GUEST_FRAMES; m++)
		frames[m].count = PGC_GUEST;
	tlb_type_change_calls = tlb_writable_drops = 0;
}

static uint64_t *table(uint64_t mfn) { return (uint64_t *)machine[mfn]; }

static unsigned type_count(uint64_t mfn)
{
	unsigned n;
	frame_current_type(mfn, &n);
	return n;
}

TEST(writable_mapping_and_page_table_exclude_each_other)
{
	reset();
	/* L1 at frame 1 maps frame 2 writable. */
	table(1)[0] = PTE(2, P | RW);
	CHECK_EQ(pin_table(1, PGT_l1), 0);
	CHECK_EQ(frame_current_type(2, &(unsigned){0}), PGT_writable);
	/* Frame 2 cannot become a page table while mapped writable. */
	CHECK_EQ(pin_table(2, PGT_l1), -XEN_EINVAL);
	/* An entry mapping the L1 itself writable is refused (-EBUSY), read-only is fine. */
	CHECK_EQ(mod_entry(1, 1, PTE(1, P | RW), false), -XEN_EBUSY);
	CHECK_EQ(mod_entry(1, 1, PTE(1, P), false), 0);
	/* Unmapping frame 2 drops its writable type; then it may become a table. */
	CHECK_EQ(mod_entry(1, 0, 0, false), 0);
	CHECK_EQ(type_count(2), 0);
	CHECK_EQ(tlb_writable_drops, 1);
	CHECK_EQ(pin_table(2, PGT_l1), 0);
	CHECK(tlb_type_change_calls >= 1);
}

TEST(frames_not_owned_are_refused)
{
	reset();
	table(1)[0] = PTE(GUEST_FRAMES + 1, P);       /* a stub frame */
	CHECK_EQ(pin_table(1, PGT_l1), -XEN_EBUSY);
	CHECK_EQ(type_count(1), 0);                   /* a failed pin leaves no type */
	table(1)[0] = PTE(NR_FRAMES + 5, P);          /* beyond machine memory */
	CHECK_EQ(pin_table(1, PGT_l1), -XEN_EPERM);
	CHECK_EQ(get_page(GUEST_FRAMES + 1), -XEN_EINVAL);
}

TEST(l2_validation_takes_and_releases_l1_references)
{
	reset();
	table(3)[5] = PTE(4, P | RW);                 /* L2 -> L1 */
	table(4)[0] = PTE(6, P | RW);                 /* L1 -> data, writable */
	CHECK_EQ(pin_table(3, PGT_l2), 0);
	CHECK_EQ(frame_current_type(4, &(unsigned){0}), PGT_l1);
	CHECK_EQ(type_count(4), 1);
	CHECK_EQ(type_count(6), 1);
	/* The L1 is in use as a table: it cannot be mapped writable anywhere. */
	table(7)[0] = PTE(4, P | RW);
	CHECK_EQ(pin_table(7, PGT_l1), -XEN_EBUSY);
	/* Unpinning the L2 releases everything below it. */
	CHECK_EQ(unpin_table(3), 0);
	CHECK_EQ(type_count(3), 0);
	CHECK_EQ(type_count(4), 0);
	CHECK_EQ(type_count(6), 0);
	CHECK_EQ(unpin_table(3), -XEN_EINVAL);         /* not pinned any more */
}

TEST(pin_twice_and_type_mismatch)
{
	reset();
	CHECK_EQ(pin_table(8, PGT_l1), 0);
	CHECK_EQ(pin_table(8, PGT_l1), -XEN_EINVAL);   /* already pinned */
	CHECK_EQ(type_count(8), 1);                   /* and the failed pin left no reference */
	CHECK_EQ(pin_table(8, PGT_l2), -XEN_EINVAL);   /* in use as another type */
	CHECK_EQ(unpin_table(8), 0);
	CHECK_EQ(pin_table(8, PGT_l2), 0);
}

TEST(global_bit_is_dropped_and_user_added)
{
	reset();
	table(9)[0] = PTE(10, P | _PAGE_GLOBAL);
	CHECK_EQ(pin_table(9, PGT_l1), 0);
	CHECK_EQ(table(9)[0] & _PAGE_GLOBAL, 0);
	CHECK(table(9)[0] & _PAGE_USER);
	CHECK_EQ(mod_entry(9, 1, PTE(11, P | RW | _PAGE_GLOBAL), false), 0);
	CHECK_EQ(table(9)[1] & _PAGE_GLOBAL, 0);
}

TEST(ballooned_frame_needs_no_references)
{
	reset();
	table(12)[0] = PTE(13, P);
	CHECK_EQ(pin_table(12, PGT_l1), 0);
	CHECK_EQ(mmu_frame_release(13), -XEN_EINVAL);  /* still mapped */
	CHECK_EQ(mod_entry(12, 0, 0, false), 0);
	CHECK_EQ(mmu_frame_release(13), 0);
	CHECK(!mfn_owned_by_guest(13));
	table(12)[1] = 0;
	CHECK_EQ(mod_entry(12, 1, PTE(13, P), false), -XEN_EBUSY);   /* gone from the guest */
	uint64_t back;
	CHECK_EQ(mmu_frame_claim(&back), 0);
	CHECK_EQ(back, 13);
	CHECK(mfn_owned_by_guest(13));
}

int main(void)
{
	RUN(writable_mapping_and_page_table_exclude_each_other);
	RUN(frames_not_owned_are_refused);
	RUN(l2_validation_takes_and_releases_l1_references);
	RUN(pin_twice_and_type_mismatch);
	RUN(global_bit_is_dropped_and_user_added);
	RUN(ballooned_frame_needs_no_references);
	return check_done();
}
