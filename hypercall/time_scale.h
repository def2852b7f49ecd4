/* time_scale.h — TSC <-> Xen system time (ns) scaling, as vcpu_time_info defines it: pure logic. */
#ifndef STUB_TIME_SCALE_H
#define STUB_TIME_SCALE_H

/*
 * Compiled into the stub and, by #include of time_scale.c, into the host
 * unit tests (tests/unit/test_time.c). No 128-bit arithmetic: the 32-bit
 * stub has none.
 */
#include <stdint.h>

/* ns = ((tsc_delta << shift) * mul) >> 32, with a negative shift shifting right. */
struct time_scale {
	uint32_t mul;                   /* vcpu_time_info.tsc_to_system_mul */
	int8_t shift;                   /* vcpu_time_info.tsc_shift */
};

/* Xen's set_time_scale(): the scale for a counter of ticks_per_sec (non-zero). */
struct time_scale time_scale_for_hz(uint64_t ticks_per_sec);

/* Xen's scale_delta(): ticks -> ns, exactly as guests compute it from vcpu_time_info. */
uint64_t time_scale_delta(uint64_t ticks, struct time_scale s);

/*
 * The inverse: the fewest ticks t with time_scale_delta(t, s) >= ns, so a
 * timer programmed at that tick never fires before the guest's clock reads
 * ns. Saturates at UINT64_MAX.
 */
uint64_t time_scale_ticks_for_ns(uint64_t ns, struct time_scale s);

#endif
