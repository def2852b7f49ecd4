/* time_scale.c — TSC <-> ns scaling with Xen's mul/shift representation (pure logic). */
#include "time_scale.h"

#define NS_PER_SEC 1000000000u

struct time_scale time_scale_for_hz(uint64_t ticks_per_sec)
{
	/* Normalise the rate into (1e9, 2e9] by powers of two, as Xen's set_time_scale(). */
	int shift = 0;
	while (ticks_per_sec > 2ull * NS_PER_SEC) {
		ticks_per_sec >>= 1;
		shift--;
	}
	uint32_t tps = (uint32_t)ticks_per_sec;
	while (tps <= NS_PER_SEC) {
		tps <<= 1;
		shift++;
	}
	/* div_frac(1e9, tps): the 32-bit fraction 1e9 / tps (< 1), rounded down. */
	return (struct time_scale){
		.mul = (uint32_t)(((uint64_t)NS_PER_SEC << 32) / tps),
		.shift = (int8_t)shift,
	};
}

uint64_t time_scale_delta(uint64_t ticks, struct time_scale s)
{
	if (s.shift < 0)
		ticks >>= -s.shift;
	else
		ticks <<= s.shift;
	/* (ticks * mul) >> 32 from two 32x32 products. */
	uint64_t lo = (uint64_t)(uint32_t)ticks * s.mul;
	uint64_t hi = (ticks >> 32) * s.mul;
	return hi + (lo >> 32);
}

/* ceil((x << sh) / d) for sh <= 32 and a 32-bit d, by long division; UINT64_MAX on overflow. */
static uint64_t shl_div_ceil(uint64_t x, unsigned sh, uint32_t d)
{
	/* The dividend as three 32-bit digits n2:n1:n0. */
	uint32_t n2, n1, n0;
	if (sh == 0) {
		n2 = 0;
		n1 = (uint32_t)(x >> 32);
		n0 = (uint32_t)x;
	} else {
		n2 = (uint32_t)(x >> (64 - sh));
		uint64_t low = x << sh;
		n1 = (uint32_t)(low >> 32);
		n0 = (uint32_t)low;
	}
	uint64_t q2 = n2 / d, r = n2 % d;
	if (q2)
		return UINT64_MAX;
	uint64_t t = r << 32 | n1;
	uint64_t q1 = t / d;
	r = t % d;
	t = r << 32 | n0;
	uint64_t q0 = t / d;
	r = t % d;
	uint64_t q = q1 << 32 | q0;
	if (r && q == UINT64_MAX)
		return UINT64_MAX;
	return q + (r != 0);
}

uint64_t time_scale_ticks_for_ns(uint64_t ns, struct time_scale s)
{
	/*
	 * delta(t) = floor(((t shifted) * mul) / 2^32) >= ns
	 *   <=> (t shifted) >= ceil(ns * 2^32 / mul).
	 * Right shift (shift < 0): t = that << -shift is the smallest such t.
	 * Left shift: t = ceil(ns * 2^(32 - shift) / mul).
	 */
	if (s.shift < 0) {
		uint64_t e = shl_div_ceil(ns, 32, s.mul);
		unsigned k = (unsigned)-s.shift;
		if (e > (UINT64_MAX >> k))
			return UINT64_MAX;
		return e << k;
	}
	return shl_div_ceil(ns, 32u - (unsigned)s.shift, s.mul);
}
