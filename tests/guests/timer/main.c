/* timer — Xen time and timers: vcpu_time_info, wallclock, VIRQ_TIMER, block, poll, runstate. */
#include "guest.h"
#include "events.h"

const char guest_name[] = "timer";

/*
 * Expected results are Xen 4.17's: xen/arch/x86/time.c (vcpu_time_info),
 * xen/common/time.c (wallclock), xen/common/sched/core.c (set_timer_op,
 * SCHEDOP_block/poll, periodic timer), xen/common/domain.c (VCPUOP_*),
 * xen/arch/x86/pv/domain.c (the 10 ms default periodic timer).
 *
 * A timer must never fire before its deadline. How late it fires depends
 * on the host: the test VM runs under QEMU's TCG on a small, shared
 * machine, where a vCPU can lose its CPU for milliseconds. So the 1 ms
 * bound (LATE_MAX) is checked on the median of many singleshot timers,
 * counted from when the running guest could see the deadline pass,
 * single waits only get HOST_SLACK, and periodic ticks are checked for
 * extra ticks by their count and spacing (a late tick can arrive much
 * closer to the next one than the period, but not at the same time).
 */
#define LATE_MAX   (1 * MS)
#define HOST_SLACK (100 * MS)
#define WAIT_SLACK (150 * MS)   /* how long to wait for an event that is due */

static evtchn_port_t tport;     /* VIRQ_TIMER on vCPU 0 */

static long vcpu_op(int cmd, void *arg)
{
	return HYPERVISOR_vcpu_op(cmd, 0, arg);
}

static long singleshot(uint64_t deadline, uint32_t flags)
{
	struct vcpu_set_singleshot_timer s = { .timeout_abs_ns = deadline, .flags = flags };
	return vcpu_op(VCPUOP_set_singleshot_timer, &s);
}

static long periodic(uint64_t period)
{
	struct vcpu_set_periodic_timer p = { .period_ns = period };
	return vcpu_op(VCPUOP_set_periodic_timer, &p);
}

/* System time of each timer event (event_hook), for the periodic checks. */
#define MAX_TICKS 64
static volatile uint64_t tick_time[MAX_TICKS];
static volatile unsigned nr_ticks;

static void record_tick(evtchn_port_t p)
{
	if (p == tport && nr_ticks < MAX_TICKS)
		tick_time[nr_ticks++] = seen.last_time;
}

/* The closest two recorded ticks came together (UINT64_MAX with fewer than two). */
static uint64_t min_tick_gap(void)
{
	uint64_t gap = UINT64_MAX;
	for (unsigned i = 1; i < nr_ticks; i++)
		if (tick_time[i] - tick_time[i - 1] < gap)
			gap = tick_time[i] - tick_time[i - 1];
	return gap;
}

static void ticks_reset(void)
{
	events_reset_counts();
	nr_ticks = 0;
}

static bool timer_fired(void)
{
	return port_count[tport] != 0;
}

/* Spin with events enabled for ns; returns the timer events seen. */
static unsigned spin_for(uint64_t ns)
{
	uint64_t end = system_time() + ns;
	while (system_time() < end)
		;
	return port_count[tport];
}

static uint64_t tsc_hz(const volatile struct vcpu_time_info *t)
{
	/* vcpu_time_info: CPU Hz = ((10^9 << 32) / mul) >> shift. */
	uint64_t hz = div_u64(1000000000ull << 32, t->tsc_to_system_mul);
	return t->tsc_shift < 0 ? hz << -t->tsc_shift : hz >> t->tsc_shift;
}

static void test_time_info(void)
{
	printf("\n== vcpu_time_info and system time\n");
	volatile struct vcpu_time_info *t = &vcpu0->time;
	check(t->version && !(t->version & 1), "version %u: non-zero and even", t->version);
	uint64_t hz = tsc_hz(t);
	check(hz >= 100000000ull && hz <= 10000000000ull,
	      "TSC frequency from mul 0x%x shift %d: %llu Hz", t->tsc_to_system_mul,
	      t->tsc_shift, (unsigned long long)hz);
	check(t->tsc_to_system_mul >= 0x80000000u, "mul normalised as Xen's set_time_scale");
	/* Xen sets TSC_STABLE with clocksource=tsc (xenner's case); never GUEST_STOPPED here. */
	check(!(t->flags & ~XEN_PVCLOCK_TSC_STABLE_BIT), "flags 0x%x: at most XEN_PVCLOCK_TSC_STABLE_BIT",
	      t->flags);
	uint64_t now = system_time();
	check(now > 0 && now < 60000000000ull, "system time %llu ns: since the domain started",
	      (unsigned long long)now);

	uint64_t prev = system_time(), backwards = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t s = system_time();
		if (s < prev)
			backwards++;
		prev = s;
	}
	check_eq("20000 readings never go backwards", backwards, 0);

	/* 10 ms of TSC ticks is 10 ms of system time, to 0.1 %. */
	uint64_t c0, c1, s0 = system_time_tsc(t, &c0);
	while (rdtsc() - c0 < div_u64(hz, 100))
		;
	uint64_t s1 = system_time_tsc(t, &c1);
	uint64_t want = div_u64((c1 - c0) * 1000000ull, (uint32_t)div_u64(hz, 1000));
	uint64_t got = s1 - s0, tol = div_u64(want, 100000) + 2;     /* 10 ppm: kHz rounding */
	check(got + tol >= want && got <= want + tol,
	      "system time advances with the TSC: %llu ns for %llu ns of ticks at that rate",
	      (unsigned long long)got, (unsigned long long)want);

	printf("\n== wallclock\n");
	check(!(shared->wc_version & 1) && shared->wc_version, "wc_version %u: even, non-zero",
	      shared->wc_version);
	check(shared->wc_sec > 1577836800u && shared->wc_sec < 4102444800u,
	      "wc_sec %u: between 2020 and 2100", shared->wc_sec);
	check(shared->wc_nsec < 1000000000u, "wc_nsec %u < 10^9", shared->wc_nsec);
#ifdef __x86_64__
	check_eq("wc_sec_hi", shared->wc_sec_hi, 0);
#else
	check_eq("arch.wc_sec_hi", shared->arch.wc_sec_hi, 0);
#endif
	uint64_t wall = shared->wc_sec + div_u64(shared->wc_nsec + system_time(), 1000000000u);
	printf("wall clock now: %llu s since 1970\n", (unsigned long long)wall);

	printf("\n== VCPUOP_register_vcpu_time_memory_area\n");
	static struct vcpu_time_info copy;
	struct vcpu_register_time_memory_area area = { .addr.v = &copy };
	check_rc("register a copy", vcpu_op(VCPUOP_register_vcpu_time_memory_area, &area), 0);
	check(copy.version && !(copy.version & 1), "copy version %u: non-zero and even",
	      copy.version);
	check(copy.tsc_to_system_mul == t->tsc_to_system_mul && copy.tsc_shift == t->tsc_shift &&
	      copy.tsc_timestamp == t->tsc_timestamp && copy.system_time == t->system_time,
	      "the copy is vcpu_info's tuple");
	uint64_t a = system_time(), b = system_time_from(&copy), c = system_time();
	check(a <= b && b <= c, "the copy tells the same time");
	area.addr.v = (void *)0x12345000ul;     /* unmapped: accepted, copy fails quietly */
	check_rc("register an unmapped address", vcpu_op(VCPUOP_register_vcpu_time_memory_area,
							 &area), 0);
	check_rc("register from an unmapped argument",
		 vcpu_op(VCPUOP_register_vcpu_time_memory_area, (void *)0x12345000ul), -XEN_EFAULT);
}

static void test_default_periodic(void)
{
	printf("\n== the 10 ms periodic timer every PV vCPU starts with\n");
	/* Ticks came while events were masked: forget them. */
	port_clear(tport);
	vcpu0->evtchn_upcall_pending = 0;
	vcpu0->evtchn_pending_sel = 0;
	ticks_reset();
	events_unmask();        /* may deliver one that became pending meanwhile */
	uint64_t t0 = system_time();
	spin_for(45 * MS);
	unsigned n = 0;
	for (unsigned i = 0; i < nr_ticks; i++)
		n += tick_time[i] >= t0;
	check(n >= 1 && n <= 5, "VIRQ_TIMER events in 45 ms: %u (want 1-5)", n);
	check(min_tick_gap() >= 1 * MS, "no doubled ticks (closest two: %lld us apart)",
	      ns_to_us((int64_t)min_tick_gap()));
	check_rc("VCPUOP_stop_periodic_timer", vcpu_op(VCPUOP_stop_periodic_timer, NULL), 0);
	events_reset_counts();
	n = spin_for(25 * MS);
	check_eq("events in 25 ms after stopping it", n, 0);
}

static void test_singleshot(void)
{
	printf("\n== VCPUOP_set_singleshot_timer\n");
	/*
	 * The delay is counted from when the guest, spinning, first sees its
	 * clock pass the deadline: a vCPU that had no CPU at the deadline
	 * takes the interrupt as soon as it runs again, which counts as 0.
	 * Up to three batches; a batch is judged by its median, the best counts.
	 */
	enum { N = 21, BATCHES = 3 };
	uint64_t best_median = UINT64_MAX;
	unsigned lost = 0;
	bool early = false;
	for (int b = 0; b < BATCHES && best_median > LATE_MAX; b++) {
		uint64_t late[N], raw_worst = 0;
		unsigned fired = 0;
		for (int i = 0; i < N; i++) {
			events_reset_counts();
			uint64_t deadline = system_time() + 2 * MS + (uint64_t)i * 100000, seen_past = 0;
			if (singleshot(deadline, 0)) {
				lost++;
				continue;
			}
			for (uint64_t grace_end = 0;;) {
				uint64_t now = system_time();
				if (timer_fired())
					break;
				if (now >= deadline && !seen_past)
					seen_past = now;
				if (now >= deadline + WAIT_SLACK && !grace_end)
					grace_end = now + 5 * MS;       /* as wait_until() */
				if (grace_end && now >= grace_end)
					break;
			}
			if (!timer_fired()) {
				lost++;
				continue;
			}
			uint64_t at = seen.last_time;
			if (at < deadline)
				early = true;
			if (at - deadline > raw_worst)
				raw_worst = at - deadline;
			late[fired++] = seen_past && at > seen_past ? at - seen_past : 0;
		}
		if (fired < N)
			break;
		/* Sort the delays (insertion sort, N is small). */
		for (unsigned i = 1; i < fired; i++)
			for (unsigned j = i; j > 0 && late[j] < late[j - 1]; j--) {
				uint64_t t = late[j];
				late[j] = late[j - 1];
				late[j - 1] = t;
			}
		printf("batch %d: delivery after the deadline was seen: median %lld us, 90th "
		       "percentile %lld us, worst %lld us; worst after the deadline itself %lld us\n",
		       b, ns_to_us((int64_t)late[N / 2]), ns_to_us((int64_t)late[N * 9 / 10]),
		       ns_to_us((int64_t)late[N - 1]), ns_to_us((int64_t)raw_worst));
		if (late[N / 2] < best_median)
			best_median = late[N / 2];
	}
	check_eq("singleshot timers that did not fire", lost, 0);
	check(!early, "none fired before its deadline");
	check(best_median <= LATE_MAX, "median delivery %lld us after the deadline (limit %lld us)",
	      ns_to_us((int64_t)best_median), ns_to_us((int64_t)LATE_MAX));

	/*
	 * Xen since 4.17.3 / 4.18 ignores VCPU_SSHOTTMR_future (xen/vcpu: ignore
	 * VCPU_SSHOTTMR_future): Linux before 4.7 loops on -ETIME. A past
	 * deadline fires at once, flag or not.
	 */
	events_reset_counts();
	check_rc("a past deadline", singleshot(system_time() - MS, 0), 0);
	check_eq("... fires before the hypercall returns", port_count[tport], 1);
	check_rc("a past deadline with VCPU_SSHOTTMR_future (ignored)",
		 singleshot(system_time() - MS, VCPU_SSHOTTMR_future), 0);
	check_eq("... fires before the hypercall returns", port_count[tport], 2);
	check_rc("deadline 0 (long past)", singleshot(0, 0), 0);
	check_eq("... fires at once", port_count[tport], 3);

	events_reset_counts();
	check_rc("set one 3 ms ahead", singleshot(system_time() + 3 * MS, 0), 0);
	check_rc("VCPUOP_stop_singleshot_timer", vcpu_op(VCPUOP_stop_singleshot_timer, NULL), 0);
	check_eq("stopped: nothing in 6 ms", spin_for(6 * MS), 0);
	uint64_t d1 = system_time() + 2 * MS;
	check_rc("set one 2 ms ahead", singleshot(d1, 0), 0);
	uint64_t d2 = system_time() + 4 * MS;
	check_rc("then another 4 ms ahead", singleshot(d2, 0), 0);
	if (system_time() >= d1 || timer_fired()) {
		printf("(the vCPU lost its CPU past the first deadline: replacement not judged)\n");
		/* The second may still be armed: it must not fire into the next test. */
		check_rc("VCPUOP_stop_singleshot_timer", vcpu_op(VCPUOP_stop_singleshot_timer, NULL), 0);
	} else {
		wait_until(timer_fired, d2 + WAIT_SLACK);
		check(seen.last_time >= d2 && port_count[tport] == 1,
		      "only the second one counts: fired %lld us after its deadline",
		      ns_to_us((int64_t)(seen.last_time - d2)));
	}
	check_rc("singleshot on vCPU 100", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 100, NULL),
		 -XEN_ENOENT);
	check_rc("singleshot from an unmapped argument",
		 vcpu_op(VCPUOP_set_singleshot_timer, (void *)0x12345000ul), -XEN_EFAULT);
}

static void test_set_timer_op(void)
{
	printf("\n== set_timer_op\n");
	events_reset_counts();
	uint64_t deadline = system_time() + 2 * MS;
	check_rc("set_timer_op(now + 2 ms)", HYPERVISOR_set_timer_op(deadline), 0);
	bool fired = wait_until(timer_fired, deadline + WAIT_SLACK);
	check(fired && seen.last_time >= deadline &&
	      seen.last_time - deadline <= HOST_SLACK,
	      "fired %lld us after its deadline", ns_to_us((int64_t)(seen.last_time - deadline)));
	events_reset_counts();
	check_rc("set_timer_op(now + 3 ms)", HYPERVISOR_set_timer_op(system_time() + 3 * MS), 0);
	check_rc("set_timer_op(0)", HYPERVISOR_set_timer_op(0), 0);
	check_eq("cancelled: nothing in 6 ms", spin_for(6 * MS), 0);

	/* Xen's Linux workaround: a deadline 2^50 ns or more ahead fires in 100 ms. */
	uint64_t start = system_time();
	check_rc("set_timer_op(now + 2^51 ns)", HYPERVISOR_set_timer_op(start + (1ull << 51)), 0);
	wait_until(timer_fired, start + 400 * MS);
	uint64_t after = seen.last_time - start;
	check(timer_fired() && after >= 100 * MS && after <= 100 * MS + 150 * MS,
	      "... fired after %lld ms (Xen: 100 ms)", (long long)div_u64(after, MS));
}

static void test_periodic(void)
{
	printf("\n== VCPUOP_set_periodic_timer\n");
	check_rc("period 999999 ns (below 1 ms)", periodic(999999), -XEN_EINVAL);
	check_rc("period 2^62 ns (above STIME_DELTA_MAX)", periodic(1ull << 62), -XEN_EINVAL);
	check_rc("from an unmapped argument",
		 vcpu_op(VCPUOP_set_periodic_timer, (void *)0x12345000ul), -XEN_EFAULT);
	ticks_reset();
	check_rc("period 2 ms", periodic(2 * MS), 0);
	unsigned n = spin_for(41 * MS);
	check(n >= 5 && n <= 21, "events in 41 ms: %u (want 5-21; 20 on an idle host)", n);
	check(min_tick_gap() >= MS / 5, "no doubled ticks (closest two: %lld us apart)",
	      ns_to_us((int64_t)min_tick_gap()));
	check_rc("stop", vcpu_op(VCPUOP_stop_periodic_timer, NULL), 0);
	events_reset_counts();
	check_eq("stopped: nothing in 5 ms", spin_for(5 * MS), 0);
}

static void test_block(void)
{
	printf("\n== SCHEDOP_block\n");
	events_mask();
	events_reset_counts();
	uint64_t deadline = system_time() + 3 * MS;
	singleshot(deadline, 0);
	check_rc("SCHEDOP_block with events masked", HYPERVISOR_sched_op(SCHEDOP_block, NULL), 0);
	uint64_t woke = system_time();
	check(woke >= deadline && woke - deadline <= HOST_SLACK,
	      "woke %lld us after the timer's deadline", ns_to_us((int64_t)(woke - deadline)));
	check_eq("block enabled events: the timer's upcall came on the way out", port_count[tport],
		 1);
	check_eq("evtchn_upcall_mask after block", vcpu0->evtchn_upcall_mask, 0);

	events_mask();
	events_reset_counts();
	singleshot(system_time() + 2 * MS, 0);
	check_rc("sched_op_compat(SCHEDOP_block)", HYPERVISOR_sched_op_compat(SCHEDOP_block, 0), 0);
	check_eq("... woken by the timer", port_count[tport], 1);

	/* An event already pending: block returns at once. */
	events_mask();
	events_reset_counts();
	singleshot(0, 0);
	check_eq("pending upcall, masked", vcpu0->evtchn_upcall_pending, 1);
	uint64_t t0 = system_time();
	check_rc("SCHEDOP_block with an event pending", HYPERVISOR_sched_op(SCHEDOP_block, NULL), 0);
	uint64_t took = system_time() - t0;
	check(took < 100 * MS && port_count[tport] == 1,
	      "returned at once (%lld us), delivered (%u)", ns_to_us((int64_t)took), port_count[tport]);
}

static long poll(evtchn_port_t *ports, unsigned n, uint64_t timeout)
{
	struct sched_poll p = { .nr_ports = n, .timeout = timeout };
	set_xen_guest_handle(p.ports, ports);
	return HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

static void test_poll(void)
{
	printf("\n== SCHEDOP_poll\n");
	events_mask();
	events_reset_counts();
	evtchn_port_t ports[129] = { tport };

	uint64_t t0 = system_time(), timeout = t0 + 3 * MS;
	check_rc("poll the timer port, 3 ms timeout, no timer set", poll(ports, 1, timeout), 0);
	uint64_t t1 = system_time();
	check(t1 >= timeout && t1 - timeout <= HOST_SLACK,
	      "returned %lld us after the timeout", ns_to_us((int64_t)(t1 - timeout)));

	uint64_t deadline = system_time() + 2 * MS;
	singleshot(deadline, 0);
	check_rc("poll it with a timer 2 ms ahead and a 1 s timeout",
		 poll(ports, 1, system_time() + 1000 * MS), 0);
	t1 = system_time();
	check(t1 >= deadline && t1 - deadline <= HOST_SLACK,
	      "woken by the port %lld us after the timer's deadline",
	      ns_to_us((int64_t)(t1 - deadline)));
	check(port_pending(tport), "the port is pending (events masked: no upcall)");
	t0 = system_time();
	check_rc("poll a port already pending", poll(ports, 1, system_time() + 1000 * MS), 0);
	uint64_t took = system_time() - t0;
	check(took < 100 * MS, "... returns at once (%lld us; the timeout is 1 s)",
	      ns_to_us((int64_t)took));
	port_clear(tport);
	vcpu0->evtchn_upcall_pending = 0;
	vcpu0->evtchn_pending_sel = 0;

	check_rc("129 ports", poll(ports, 129, 0), -XEN_EINVAL);
	check_rc("ports at an unmapped address",
		 poll((evtchn_port_t *)0x12345000ul, 1, 0), -XEN_EFAULT);
	ports[1] = 100000;
	check_rc("a port beyond the table", poll(ports, 2, 0), -XEN_EINVAL);
	ports[1] = 63;
	check_rc("a free port", poll(ports, 2, 0), -XEN_EINVAL);
	check_rc("from an unmapped argument",
		 HYPERVISOR_sched_op(SCHEDOP_poll, (void *)0x12345000ul), -XEN_EFAULT);

	/* Events enabled and one pending: poll returns at once, the upcall follows. */
	events_reset_counts();
	check_rc("singleshot(0) with events masked", singleshot(0, 0), 0);
	check(vcpu0->evtchn_upcall_pending && port_pending(tport) && !port_count[tport],
	      "... upcall pending %u, port pending %d, delivered %u", vcpu0->evtchn_upcall_pending,
	      port_pending(tport), port_count[tport]);
	/*
	 * Any interrupt of the hypervisor's between the unmask and the poll
	 * delivers the upcall first (then poll sleeps to its timeout): real Xen
	 * under TCG does that; such a run is not judged.
	 */
	uint64_t timeout2 = system_time() + 1000 * MS;
	t0 = system_time();
	vcpu0->evtchn_upcall_mask = 0;
	unsigned before = port_count[tport];
	long rc = poll(ports, 1, timeout2);
	took = system_time() - t0;
	if (before) {
		printf("(the upcall came before the poll: not judged)\n");
	} else {
		check_rc("poll with an upcall pending and events enabled", rc, 0);
		check(took < 100 * MS && port_count[tport] == 1,
		      "... returns at once (%lld us; the timeout is 1 s), delivered (%u)",
		      ns_to_us((int64_t)took), port_count[tport]);
	}
	events_mask();
}

static void test_runstate(void)
{
	printf("\n== runstate\n");
	static struct vcpu_runstate_info rs;
	struct vcpu_register_runstate_memory_area area = { .addr.v = &rs };
	check_rc("VCPUOP_register_runstate_memory_area", vcpu_op(VCPUOP_register_runstate_memory_area,
								 &area), 0);
	check_eq("state", rs.state, RUNSTATE_running);
	uint64_t now = system_time();
	check(rs.state_entry_time <= now && rs.time[RUNSTATE_running] <= now,
	      "entry time and running time are in the past");
	check_rc("VMASST_TYPE_runstate_update_flag",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag), 0);

	uint64_t blocked_before = rs.time[RUNSTATE_blocked];
	events_mask();
	events_reset_counts();
	/*
	 * On kvm_pvm a stub entry costs 0.1 ms (a 32-bit guest's, all of it
	 * emulated, more): wait long enough that entries stay a small part.
	 */
	uint64_t wait = host_is_pvm() ? 30 * MS : 3 * MS;
	uint64_t deadline = system_time() + wait;
	singleshot(deadline, 0);
	/*
	 * An event left pending from earlier wakes the first block at once:
	 * block again. The time spent inside SCHEDOP_block bounds the blocked
	 * time from above; most of it is blocked (the rest is stub entry and
	 * exit, which a loaded test VM can stretch, so half is the floor).
	 */
	uint64_t in_block = 0;
	do {
		uint64_t t = system_time();
		HYPERVISOR_sched_op(SCHEDOP_block, NULL);
		in_block += system_time() - t;
	} while (system_time() < deadline);
	check_eq("the area after a block: running again", rs.state, RUNSTATE_running);
	check(!(rs.state_entry_time & XEN_RUNSTATE_UPDATE), "XEN_RUNSTATE_UPDATE is clear again");
	uint64_t blocked = rs.time[RUNSTATE_blocked] - blocked_before;
	check(blocked >= in_block / 2 && blocked <= in_block && in_block >= wait * 2 / 3,
	      "blocked time grew by %lld us of the %lld us spent in SCHEDOP_block (a %lld ms wait)",
	      ns_to_us((int64_t)blocked), ns_to_us((int64_t)in_block), (long long)(wait / MS));

	struct vcpu_runstate_info info;
	check_rc("VCPUOP_get_runstate_info", vcpu_op(VCPUOP_get_runstate_info, &info), 0);
	now = system_time();
	uint64_t sum = info.time[0] + info.time[1] + info.time[2] + info.time[3];
	check(info.state == RUNSTATE_running && info.time[RUNSTATE_blocked] >= blocked &&
	      sum <= now && now - sum < 60000000000ull,
	      "state %d, times add up to the vCPU's lifetime", info.state);
	check_rc("get_runstate_info to an unmapped address",
		 vcpu_op(VCPUOP_get_runstate_info, (void *)0x12345000ul), -XEN_EFAULT);
	area.addr.v = NULL;
	check_rc("unregister (NULL)", vcpu_op(VCPUOP_register_runstate_memory_area, &area), 0);
}

static void test_sched_errors(void)
{
	printf("\n== other sched_op commands\n");
	struct sched_remote_shutdown rs = { .domain_id = 0x1234, .reason = SHUTDOWN_poweroff };
	check_rc("SCHEDOP_remote_shutdown of domain 0x1234",
		 HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_ESRCH);
	rs.domain_id = 0;
	check_rc("SCHEDOP_remote_shutdown of dom0", HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs),
		 -XEN_EPERM);
	struct sched_pin_override po = { .pcpu = 0 };
	check_rc("SCHEDOP_pin_override (hardware domain only)",
		 HYPERVISOR_sched_op(SCHEDOP_pin_override, &po), -XEN_EPERM);
	check_rc("sched_op 99", HYPERVISOR_sched_op(99, NULL), -XEN_ENOSYS);
	check_rc("sched_op_compat 99", HYPERVISOR_sched_op_compat(99, 0), -XEN_ENOSYS);
	check_rc("SCHEDOP_poll from an unmapped argument",
		 HYPERVISOR_sched_op(SCHEDOP_poll, (void *)0x12345000ul), -XEN_EFAULT);
}

void guest_main(void)
{
	printf("timer test (" GUEST_MODE ")\n");
	if (!events_init())
		fail_now("no shared_info or event callback");
	struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };
	if (!check_rc("bind VIRQ_TIMER", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b), 0))
		fail_now("no timer port");
	tport = b.port;
	event_hook = record_tick;
	test_time_info();
	test_default_periodic();
	test_singleshot();
	test_set_timer_op();
	test_periodic();
	test_block();
	test_poll();
	test_runstate();
	test_sched_errors();
}
