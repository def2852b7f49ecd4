/* test_guestcheck.c — the stub's pure checks: debug registers, canonical bases, guest arrays, multicall stop rule. */
#define CHECK_SUITE "guestcheck"
#include "check.h"
#include "hypercall/guestcheck.c"

static const struct gc_dr_policy no_features, rtm_bld = { .rtm = true, .bld = true };

static int set_dr(unsigned reg, uint64_t value, unsigned bits, unsigned *slot, uint64_t *out)
{
	return gc_check_debugreg(reg, value, false, &no_features, bits, slot, out);
}

TEST(canonical_is_48_bit_sign_extension)
{
	CHECK(gc_canonical(0));
	CHECK(gc_canonical(0x00007fffffffffffull));
	CHECK(!gc_canonical(0x0000800000000000ull));
	CHECK(!gc_canonical(0xffff7fffffffffffull));
	CHECK(gc_canonical(0xffff800000000000ull));
	CHECK(gc_canonical(~0ull));
}

TEST(guest_array_64_checks_overflow_and_start_only)
{
	CHECK(gc_guest_array_ok(0x1000, 0, 64, 64));
	CHECK(gc_guest_array_ok(0x1000, 1000, 64, 64));
	/* Like Xen: only the start is checked; accesses past the lower half fault. */
	CHECK(gc_guest_array_ok(0x00007ffffffff000ull, 1000, 64, 64));
	CHECK(!gc_guest_array_ok(0xffff800000000000ull, 1, 64, 64));     /* in the hole */
	CHECK(!gc_guest_array_ok(0xffff87ffffffffffull, 1, 8, 64));
	CHECK(gc_guest_array_ok(0xffff880000000000ull, 1, 8, 64));       /* above the hole */
	/* Xen's bound: count < ~0UL / size. */
	CHECK(!gc_guest_array_ok(0x1000, (1ull << 58) - 1, 64, 64));
	CHECK(gc_guest_array_ok(0x1000, (1ull << 58) - 2, 64, 64));
}

TEST(guest_array_32_must_end_below_the_hole)
{
	CHECK(gc_guest_array_ok(0xF57FFFC0u, 2, 32, 32));               /* ends at 0xF57FFFFF */
	CHECK(!gc_guest_array_ok(0xF57FFFC0u, 3, 32, 32));
	CHECK(!gc_guest_array_ok(0xF5800000u, 0, 32, 32));              /* an empty one at the hole */
	CHECK(gc_guest_array_ok(0, 0, 32, 32));
	CHECK(!gc_guest_array_ok(0, 0x08000000u, 32, 32));              /* count >= ~0U / size */
	CHECK(!gc_guest_array_ok(0xC0000000u, 0x07fffffeu, 32, 32));     /* ends far beyond 4 GiB */
}

TEST(breakpoint_addresses_stay_out_of_the_hole)
{
	unsigned slot;
	uint64_t out;
	CHECK_EQ(set_dr(0, 0x00007ffffffffff8ull, 64, &slot, &out), 0);
	CHECK_EQ(slot, 0);
	CHECK_EQ(out, 0x00007ffffffffff8ull);
	CHECK_EQ(set_dr(3, 0xffffffff80001000ull, 64, &slot, &out), 0);
	CHECK_EQ(slot, 3);
	CHECK_EQ(set_dr(1, 0xffff830000000000ull, 64, &slot, &out), -XEN_EPERM);  /* the stub */
	CHECK_EQ(set_dr(2, 0x0000800000000000ull, 64, &slot, &out), -XEN_EPERM);  /* non-canonical */
	CHECK_EQ(set_dr(0, 0xC0001000u, 32, &slot, &out), 0);
	CHECK_EQ(set_dr(0, 0xF5800000u, 32, &slot, &out), -XEN_EPERM);
	CHECK_EQ(set_dr(0, 0xF6800000u, 32, &slot, &out), -XEN_EPERM);
}

TEST(dr6_upper_bits_refused_reserved_bits_forced)
{
	unsigned slot;
	uint64_t out;
	CHECK_EQ(set_dr(6, 1ull << 32, 64, &slot, &out), -XEN_EINVAL);
	CHECK_EQ(set_dr(6, 0, 64, &slot, &out), 0);
	CHECK_EQ(slot, 6);
	CHECK_EQ(out, 0xffff0ff0);                      /* reserved-1 bits set */
	CHECK_EQ(set_dr(6, 0x1000 | 0x4001, 64, &slot, &out), 0);
	CHECK_EQ(out, 0xffff4ff1);                      /* bit 12 forced 0, BS and B0 kept */
	CHECK_EQ(gc_check_debugreg(6, 0, false, &rtm_bld, 64, &slot, &out), 0);
	CHECK_EQ(out, 0xfffe07f0);                      /* RTM and BLD are live bits then */
}

TEST(dr7_checks_gd_io_and_reserved_bits)
{
	unsigned slot;
	uint64_t out;
	CHECK_EQ(set_dr(7, 0, 64, &slot, &out), 0);
	CHECK_EQ(slot, 7);
	CHECK_EQ(out, 0x400);
	CHECK_EQ(set_dr(7, 1ull << 32, 64, &slot, &out), -XEN_EINVAL);
	CHECK_EQ(set_dr(7, 0x2000, 64, &slot, &out), -XEN_EPERM);      /* GD */
	CHECK_EQ(set_dr(7, 0xd800 | 0x1, 64, &slot, &out), 0);
	CHECK_EQ(out, 0x401);                           /* 12, 14, 15 and (no RTM) 11 cleared */
	CHECK_EQ(set_dr(7, 0x000d0001, 64, &slot, &out), 0);             /* L0, RW0 = write, LEN0 = 4 */
	CHECK_EQ(out, 0x000d0401);
	CHECK_EQ(set_dr(7, 0x00020001, 64, &slot, &out), -XEN_EPERM);    /* RW0 = I/O */
	CHECK_EQ(set_dr(7, 0x20000002, 64, &slot, &out), -XEN_EPERM);    /* RW3 = I/O, G0 */
	CHECK_EQ(set_dr(7, 0x00020000, 64, &slot, &out), 0);             /* I/O but nothing enabled */
	CHECK_EQ(gc_check_debugreg(7, 0x00020001, true, &no_features, 64, &slot, &out), 0);
}

TEST(dr4_dr5_alias_dr6_dr7_unless_cr4_de)
{
	unsigned slot;
	uint64_t out;
	CHECK_EQ(set_dr(4, 0, 32, &slot, &out), 0);
	CHECK_EQ(slot, 6);
	CHECK_EQ(set_dr(5, 1, 32, &slot, &out), 0);
	CHECK_EQ(slot, 7);
	CHECK_EQ(gc_check_debugreg(4, 0, true, &no_features, 64, &slot, &out), -XEN_ENODEV);
	CHECK_EQ(set_dr(8, 0, 64, &slot, &out), -XEN_ENODEV);
	CHECK_EQ(set_dr(~0u, 0, 64, &slot, &out), -XEN_ENODEV);
	CHECK_EQ(gc_debugreg_slot(4, false), 6);
	CHECK_EQ(gc_debugreg_slot(5, false), 7);
	CHECK_EQ(gc_debugreg_slot(5, true), -1);
	CHECK_EQ(gc_debugreg_slot(3, false), 3);
	CHECK_EQ(gc_debugreg_slot(8, false), -1);
}

TEST(dr6_merge_replaces_breakpoints_and_accumulates_the_rest)
{
	/* A single step: BS set on top of the default. */
	uint32_t dr6 = gc_dr6_merge(0xffff0ff0, 0xffff4ff0, &no_features);
	CHECK_EQ(dr6, 0xffff4ff0);
	/* Then a breakpoint 1 hit: B1 set, BS stays (the guest did not clear it). */
	dr6 = gc_dr6_merge(dr6, 0xffff0ff2, &no_features);
	CHECK_EQ(dr6, 0xffff4ff2);
	/* Breakpoint 0 next: B1 is replaced. */
	dr6 = gc_dr6_merge(dr6, 0xffff0ff1, &no_features);
	CHECK_EQ(dr6, 0xffff4ff1);
}

TEST(instruction_breakpoints_are_found_among_hits)
{
	CHECK_EQ(gc_dr_insn_breakpoint_hit(0x00000401, 0xffff0ff1), 0);  /* L0, RW0 = exec */
	CHECK_EQ(gc_dr_insn_breakpoint_hit(0x00010401, 0xffff0ff1), -1); /* RW0 = write */
	CHECK_EQ(gc_dr_insn_breakpoint_hit(0x00000400, 0xffff0ff1), -1); /* not enabled */
	CHECK_EQ(gc_dr_insn_breakpoint_hit(0x00000480, 0xffff0ff8), 3);  /* G3 */
}

TEST(multicall_stops_after_iret_or_a_rewritten_frame)
{
	CHECK_EQ(gc_multicall_next(__HYPERVISOR_xen_version, false, true), GC_MC_CONTINUE);
	CHECK_EQ(gc_multicall_next(__HYPERVISOR_iret, false, true), GC_MC_EXIT);
	CHECK_EQ(gc_multicall_next(__HYPERVISOR_iret, true, false), GC_MC_EXIT);
	CHECK_EQ(gc_multicall_next(__HYPERVISOR_sched_op, true, true), GC_MC_EXIT);
	CHECK_EQ(gc_multicall_next(__HYPERVISOR_xen_version, false, false), GC_MC_PREEMPT);
}

/* A forged syscall's r11 never gives IOPL, VM or a cleared IF to the iret. */
TEST(ring3_rflags_drop_privileged_bits)
{
	CHECK_EQ(gc_ring3_rflags(0x246), 0x246);
	CHECK_EQ(gc_ring3_rflags(0x3000 | 0x20000 | 0x80000 | 0x100000 | 0x10000), 0x202);
	CHECK_EQ(gc_ring3_rflags(0), 0x202);
	CHECK_EQ(gc_ring3_rflags(~0ull), 0x244fd7);
	CHECK_EQ(gc_ring3_rflags(0x40400 | 0x100), 0x40702);
}

/* A guest's own iret: same ring pops 3 words, an outer one 5, never inward or null. */
TEST(iret32_words_follow_the_rings)
{
	CHECK_EQ(gc_iret32_words(1, 0xe019), 3);        /* ring 1 to its flat code */
	CHECK_EQ(gc_iret32_words(1, 0xe02b), 5);        /* to user space: esp, ss too */
	CHECK_EQ(gc_iret32_words(1, 0x73), 5);
	CHECK_EQ(gc_iret32_words(3, 0x73), 3);
	CHECK_EQ(gc_iret32_words(1, 0xe008), 0);        /* ring 0: the CPU's #GP */
	CHECK_EQ(gc_iret32_words(3, 0xe019), 0);
	CHECK_EQ(gc_iret32_words(1, 0x1), 0);           /* null selector */
	CHECK_EQ(gc_iret32_words(1, 0x3), 0);
	CHECK_EQ(gc_iret32_words(1, 0x1e019), 3);       /* bits 16-31: Xen's saved event mask */
	CHECK_EQ(gc_iret32_words(1, 0x10000), 0);
}

int main(void)
{
	RUN(canonical_is_48_bit_sign_extension);
	RUN(ring3_rflags_drop_privileged_bits);
	RUN(iret32_words_follow_the_rings);
	RUN(guest_array_64_checks_overflow_and_start_only);
	RUN(guest_array_32_must_end_below_the_hole);
	RUN(breakpoint_addresses_stay_out_of_the_hole);
	RUN(dr6_upper_bits_refused_reserved_bits_forced);
	RUN(dr7_checks_gd_io_and_reserved_bits);
	RUN(dr4_dr5_alias_dr6_dr7_unless_cr4_de);
	RUN(dr6_merge_replaces_breakpoints_and_accumulates_the_rest);
	RUN(instruction_breakpoints_are_found_among_hits);
	RUN(multicall_stops_after_iret_or_a_rewritten_frame);
	return check_done();
}
