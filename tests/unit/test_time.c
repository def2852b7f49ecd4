/* test_time.c — TSC <-> Xen system time scaling (hypercall/time_scale.c), as vcpu_time_info defines it. */
#define CHECK_SUITE "time"
#include "check.h"
#include "../../hypercall/time_scale.c"

static const uint64_t rates[] = {
	1000000, 100000000, 999999999, 1000000000, 1000000001, 1999999999, 2000000000,
	2000000001, 2400000000ull, 2500000000ull, 2893202000ull, 3000000000ull,
	3999999999ull, 4000000000ull, 5200000000ull, 10000000000ull,
};

/* The guest's formula, with 128-bit arithmetic (host only). */
static uint64_t ref_delta(uint64_t ticks, struct time_scale s)
{
	ticks = s.shift < 0 ? ticks >> -s.shift : ticks << s.shift;
	return (uint64_t)(((unsigned __int128)ticks * s.mul) >> 32);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values Xen's set_time_scale() gives, worked out by hand. */
TEST(scale_matches_xen_set_time_scale)
{
	struct time_scale s = time_scale_for_hz(2000000000);
	CHECK_EQ(s.mul, 0x80000000u);
	CHECK_EQ(s.shift, 0);
	s = time_scale_for_hz(1000000000);             /* exactly 1e9: shifted up once */
	CHECK_EQ(s.mul, 0x80000000u);
	CHECK_EQ(s.shift, 1);
	s = time_scale_for_hz(3000000000ull);
	CHECK_EQ(s.mul, 0xaaaaaaaau);
	CHECK_EQ(s.shift, -1);
	s = time_scale_for_hz(2500000000ull);
	CHECK_EQ(s.mul, 0xccccccccu);
	CHECK_EQ(s.shift, -1);
	s = time_scale_for_hz(2400000000ull);
	CHECK_EQ(s.mul, 3579139413u);
	CHECK_EQ(s.shift, -1);
	s = time_scale_for_hz(100000000);
	CHECK_EQ(s.mul, 2684354560u);
	CHECK_EQ(s.shift, 4);
}

/* The vcpu_time_info comment: CPU Hz = ((10^9 << 32) / mul) >> shift, to within a few ppb. */
TEST(scale_encodes_the_frequency)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct time_scale s = time_scale_for_hz(rates[i]);
		CHECK(s.mul >= 0x80000000u);            /* normalised: 1e9/tps in [0.5, 1) */
		/* One second of ticks reads as one second, within 2 ns + the shift's rounding. */
		uint64_t ns = time_scale_delta(rates[i], s);
		uint64_t slack = 2 + (s.shift < 0 ? (1000000000ull << -s.shift) / rates[i] : 0);
		CHECK(ns <= 1000000000ull && 1000000000ull - ns <= slack);
	}
}

TEST(delta_is_the_guest_formula)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct time_scale s = time_scale_for_hz(rates[i]);
		for (int n = 0; n < 20000; n++) {
			uint64_t t = rng() >> (rng() % 40 + (s.shift > 0 ? s.shift : 0));
			CHECK_EQ(time_scale_delta(t, s), ref_delta(t, s));
		}
		CHECK_EQ(time_scale_delta(0, s), 0);
	}
}

/* ticks_for_ns is the least tick count whose time reaches ns: timers never fire early. */
TEST(ticks_for_ns_is_the_exact_inverse)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct time_scale s = time_scale_for_hz(rates[i]);
		for (int n = 0; n < 20000; n++) {
			uint64_t ns = rng() >> (rng() % 30 + 8);
			uint64_t t = time_scale_ticks_for_ns(ns, s);
			CHECK(time_scale_delta(t, s) >= ns);
			CHECK(t == 0 || time_scale_delta(t - 1, s) < ns);
		}
		CHECK_EQ(time_scale_ticks_for_ns(0, s), 0);
	}
}

TEST(ticks_for_ns_saturates)
{
	struct time_scale s = time_scale_for_hz(10000000000ull);
	CHECK_EQ(time_scale_ticks_for_ns(UINT64_MAX, s), UINT64_MAX);
	CHECK_EQ(time_scale_ticks_for_ns(UINT64_MAX / 4, s), UINT64_MAX);
	s = time_scale_for_hz(1000000);                 /* 1 MHz: ns / 1000 ticks fit */
	CHECK_EQ(time_scale_ticks_for_ns(UINT64_MAX / 2, s), UINT64_MAX / 2 / 1000 + 1);
}

int main(void)
{
	RUN(scale_matches_xen_set_time_scale);
	RUN(scale_encodes_the_frequency);
	RUN(delta_is_the_guest_formula);
	RUN(ticks_for_ns_is_the_exact_inverse);
	RUN(ticks_for_ns_saturates);
	return check_done();
}
