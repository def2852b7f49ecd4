/* fuzz — a hostile guest: every hypercall number with seeded random arguments, for a bounded time. */
#include "guest.h"
#include "traps.h"
#include "mmu.h"
#include "events.h"
#include "hypercall_cpu.h"
#include <xen/callback.h>
#include <xen/memory.h>
#include <xen/physdev.h>

const char guest_name[] = "fuzz";

/*
 * The command line picks the run: fuzz.seed=N (default 1), fuzz.seconds=S
 * (default 5) or fuzz.calls=N (an exact count, to replay a run). The same
 * seed and count make the same calls in the same order; fuzz.verbose=1
 * prints each call and its result (fuzz.from=N: from call N on);
 * fuzz.paranoid=1 checks the guest's code after every call.
 *
 * Arguments come from a pool of values that reach the interesting paths:
 * small numbers (commands, counts, ports), random words, pointers into a
 * scratch area refilled with pool values before every call (so structures
 * and nested guest handles are hostile too), unmapped, non-canonical and
 * hypervisor addresses, the guest's own spare frames, random frame numbers.
 *
 * The guest is not trying to kill itself, only the stub: what would make
 * it legitimately destroy its own code or stop its only vCPU is tamed
 * (listed in tame() below); everything else is called as drawn. Whatever
 * happens, xenner must stay alive and its --check-integrity at exit must
 * pass; the guest also checks its own code and its playground mappings.
 */

#define PAGE GUEST_PAGE_SIZE
#define SCRATCH_PAGES 4
/*
 * After the scratch pages, room for what a call writes past a pointer near
 * their end (a 1 KiB string, a list of thousands of frame numbers): the
 * guest's own variables must not be where hostile output lands.
 */
#define GUARD_PAGES 128
#define PLAY_PAGES 16           /* the last pages of the boot region: remapped at will, never touched */
#define MAX_NR 128             /* every slot of the hypercall page */

static struct boot_region R;
static uint8_t scratch[(SCRATCH_PAGES + GUARD_PAGES) * PAGE] __attribute__((aligned(PAGE)));
#define SCRATCH_BYTES (SCRATCH_PAGES * PAGE)
static uint64_t rng;
static unsigned long first_free_pfn, play_l1_mfn, play_first_idx, root_mfn, max_mfn;
static unsigned long img_lo, img_hi;    /* the region: code, data, tables, stack */

static uint64_t next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static unsigned long below(unsigned long n)
{
	return n ? (unsigned long)next() % n : 0;
}

static unsigned long play_va(unsigned i)
{
	return R.virt_end - (unsigned long)(PLAY_PAGES - i) * PAGE;
}

/* A frame of ours outside the boot region (nobody maps it), or the playground's. */
static unsigned long spare_mfn(void)
{
	unsigned long n = start_info->nr_pages - first_free_pfn;
	if (n && below(4))
		return p2m()[first_free_pfn + below(n)];
	return p2m()[virt_to_pfn((void *)play_va((unsigned)below(PLAY_PAGES)))];
}

/* The guest's own region, but for the scratch area and the playground. */
static bool in_image(unsigned long v)
{
	return v >= img_lo && v < img_hi && !(v >= play_va(0) && v < R.virt_end) &&
	       !(v >= (unsigned long)scratch && v < (unsigned long)scratch + sizeof(scratch));
}

/*
 * Time from a private copy of vCPU 0's time info taken before the calls:
 * they may remap or scribble over shared_info, and the loop must still end.
 */
static struct vcpu_time_info clock;

static uint64_t now(void)
{
	return system_time_from(&clock);
}

static unsigned long pool(void)
{
	unsigned long v;
	switch (below(14)) {
	case 0: case 1: case 2: v = below(16); break;
	case 3: v = (unsigned long)next(); break;
	case 4: v = (uint32_t)next(); break;
	case 5: case 6: v = (unsigned long)scratch + below(SCRATCH_BYTES); break;
	case 7: v = (unsigned long)scratch + below(SCRATCH_PAGES) * PAGE; break;
	case 8: v = spare_mfn(); break;
	case 9: v = below(max_mfn + 4096); break;
	case 10: v = ~0ul - below(4); break;
#ifdef __x86_64__
	case 11: v = 0xffff800000000000ul + below(1ul << 40); break;   /* Xen's slots: M2P, stub */
	case 12: v = 0x0000800000000000ul + below(1ul << 30); break;   /* non-canonical */
#else
	case 11: v = 0xF5800000ul + below(0x0A800000ul); break;        /* the hole: M2P, stub */
	case 12: v = 0x00400000ul + below(1ul << 20); break;           /* unmapped */
#endif
	default: v = play_va((unsigned)below(PLAY_PAGES)) + below(PAGE); break;
	}
	return v;
}

/* Never an address in our own region (but scratch and playground): pv32's random words reach it. */
static unsigned long hostile(unsigned long v)
{
	return in_image(v) ? (unsigned long)scratch : v;
}

/* Fresh hostile words: the first 512 bytes (where most structures start) and 64 anywhere. */
static void fill_scratch(void)
{
	unsigned long *w = (unsigned long *)scratch;
	size_t n = SCRATCH_BYTES / sizeof(*w);
	for (size_t i = 0; i < 512 / sizeof(*w); i++)
		w[i] = hostile(below(3) ? pool() : (unsigned long)next());
	for (unsigned i = 0; i < 64; i++)
		w[below(n)] = hostile(below(3) ? pool() : (unsigned long)next());
}

/* The pfn of one of our frames, or ~0: Xen's read-only M2P first, the p2m to confirm it. */
static unsigned long mfn_to_pfn(unsigned long mfn)
{
	const unsigned long *m2p = m2p_table();
	if (mfn > max_mfn)
		return ~0ul;
	unsigned long pfn = m2p[mfn];
	if (pfn < start_info->nr_pages && p2m()[pfn] == mfn)
		return pfn;
	return p2m_find_pfn(mfn);       /* the guest may have changed its M2P entry */
}

/* A frame the guest must not let a hypercall write: its region, but not the playground. */
static bool protected_mfn(unsigned long mfn)
{
	unsigned long pfn = mfn_to_pfn(mfn);
	if (pfn == ~0ul || pfn >= R.nr_pages)
		return false;
	unsigned long va = (unsigned long)pfn_to_virt(pfn);
	return !(va >= play_va(0) && va < R.virt_end);
}

/* A machine address inside a frame the guest may let be written; the playground's L1 slots for tables. */
static uint64_t safe_maddr(uint64_t ma, bool pte)
{
	unsigned long mfn = (unsigned long)(ma >> 12);
	if (mfn == play_l1_mfn)
		return (uint64_t)mfn << 12 | ((play_first_idx + below(PLAY_PAGES)) * 8) | (ma & 7);
	if (!protected_mfn(mfn))
		return ma;
	if (pte && below(2))
		return (uint64_t)play_l1_mfn << 12 | ((play_first_idx + below(PLAY_PAGES)) * 8) | (ma & 3);
	return (uint64_t)spare_mfn() << 12 | (ma & 0xfff);
}

/* A PTE for the playground: our own region's frames only read-only (hypercalls write through it). */
static uint64_t play_pte(uint64_t val)
{
	if ((val & PTE_P) && (val & PTE_RW) && protected_mfn((unsigned long)((val & 0x000ffffffffff000ull) >> 12)))
		val &= ~(uint64_t)PTE_RW;
	return val;
}

static void tame_mmu_update(mmu_update_t *u, unsigned long n)
{
	for (unsigned long i = 0; i < n && i < SCRATCH_BYTES / sizeof(*u); i++) {
		if (below(3) == 0)
			u[i].ptr = (uint64_t)play_l1_mfn << 12 | ((play_first_idx + below(PLAY_PAGES)) * 8);
		if (below(2) == 0)
			u[i].val = (uint64_t)spare_mfn() << 12 | (next() & 0x67);
		u[i].ptr = safe_maddr(u[i].ptr, true);
		if ((u[i].ptr & 3) != MMU_MACHPHYS_UPDATE && (unsigned long)(u[i].ptr >> 12) == play_l1_mfn)
			u[i].val = play_pte(u[i].val);
	}
}

static void tame_mmuext(struct mmuext_op *op, unsigned long n)
{
	for (unsigned long i = 0; i < n && i < SCRATCH_BYTES / sizeof(*op); i++) {
		op[i].cmd %= 24;
		if (below(2))
			op[i].arg1.mfn = spare_mfn();
		switch (op[i].cmd) {
		case MMUEXT_NEW_BASEPTR:
			op[i].arg1.mfn = root_mfn;      /* another root would drop our own mappings */
			break;
		case MMUEXT_CLEAR_PAGE:
		case MMUEXT_COPY_PAGE:
			if (protected_mfn(op[i].arg1.mfn))
				op[i].arg1.mfn = spare_mfn();
			break;
		}
	}
}

/*
 * What would make the guest kill itself rather than test the stub:
 * shutting down or blocking forever, stopping its vCPU, an iret to a
 * random frame, writes into its own code or live tables, a new root, a
 * breakpoint on its own code, handlers and callbacks left at random
 * addresses (restored after the call), megabytes of console output, batch
 * counts that write results past the scratch area.
 */
static bool tame(unsigned nr, unsigned long a[5])
{
	switch (nr) {
	case __HYPERVISOR_sched_op_compat:
	case __HYPERVISOR_sched_op:
		/* shutdown_code too: Xen then reports our final poweroff with that code. */
		if (a[0] == SCHEDOP_shutdown || a[0] == SCHEDOP_block || a[0] == SCHEDOP_remote_shutdown ||
		    a[0] == SCHEDOP_watchdog || a[0] == SCHEDOP_shutdown_code)
			a[0] = SCHEDOP_yield;
		if (nr == __HYPERVISOR_sched_op && a[0] == SCHEDOP_poll) {
			/*
			 * Its own copy (random ports and count, a deadline 100 us
			 * ahead): in scratch, a later entry of the same multicall
			 * could overwrite the deadline and the poll never return.
			 */
			static struct sched_poll polls[16];
			static unsigned next_poll;
			struct sched_poll *p = &polls[next_poll++ % 16];
			memcpy(p, scratch, sizeof(*p));
			p->timeout = now() + 100000;
			a[1] = (unsigned long)p;
		}
		return true;
	case __HYPERVISOR_iret:
		return false;
	case __HYPERVISOR_vcpu_op:
		if (a[0] == VCPUOP_down && a[1] == 0)
			a[1] = 1;
		if (a[0] == VCPUOP_register_vcpu_info)
			a[1] = 1 + below(3);                    /* the delivery of our own events stays */
		return true;
	case __HYPERVISOR_console_io:
		if (a[0] == CONSOLEIO_write)
			a[1] %= 64;
		return true;
	case __HYPERVISOR_set_debugreg:
		if (a[0] == 7)
			a[1] &= ~0xfful;                        /* no enabled breakpoints */
		return true;
	case __HYPERVISOR_update_va_mapping:
		/* Not our region (scratch included: it is written), mostly the playground. */
		if (below(5) || (a[0] >= img_lo && a[0] < img_hi))
			a[0] = play_va((unsigned)below(PLAY_PAGES));
#ifdef __x86_64__
		a[1] = (unsigned long)play_pte(a[1]);
#else
		{
			uint64_t v = play_pte((uint64_t)a[2] << 32 | a[1]);
			a[1] = (uint32_t)v;
			a[2] = (uint32_t)(v >> 32);
		}
#endif
		return true;
	case __HYPERVISOR_mmu_update:
		a[0] = (unsigned long)scratch;
		a[1] %= 8;
		tame_mmu_update((mmu_update_t *)scratch, a[1]);
		return true;
	case __HYPERVISOR_mmuext_op:
		a[0] = (unsigned long)scratch;
		a[1] %= 8;
		tame_mmuext((struct mmuext_op *)scratch, a[1]);
		return true;
	case __HYPERVISOR_update_descriptor:
#ifdef __x86_64__
		a[0] = (unsigned long)safe_maddr(a[0], false);
#else
		{
			uint64_t ma = safe_maddr((uint64_t)a[1] << 32 | a[0], false);
			a[0] = (uint32_t)ma;
			a[1] = (uint32_t)(ma >> 32);
		}
#endif
		return true;
	case __HYPERVISOR_multicall:
		return false;   /* built by multicall() from tamed entries */
	case __HYPERVISOR_grant_table_op:
		/* Each op's status is written back: a count beyond the scratch area and its guard writes over us. */
		a[2] %= 64;
		return true;
	}
	return true;
}

static long hypercall_any(unsigned nr, const unsigned long a[5])
{
	unsigned long target = (unsigned long)hypercall_page + nr * 32;
	long res;
#ifdef __x86_64__
	register unsigned long a1 asm("rdi") = a[0];
	register unsigned long a2 asm("rsi") = a[1];
	register unsigned long a3 asm("rdx") = a[2];
	register unsigned long a4 asm("r10") = a[3];
	register unsigned long a5 asm("r8") = a[4];
	asm volatile("call *%%rax"
		     : "=a"(res), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
		     : "0"(target)
		     : "rcx", "r11", "r9", "memory");
#else
	unsigned long a1 = a[0], a2 = a[1], a3 = a[2], a4 = a[3], a5 = a[4];
	asm volatile("call *%%eax"
		     : "=a"(res), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
		     : "0"(target)
		     : "memory");
#endif
	return res;
}

static void draw(unsigned *nr, unsigned long a[5])
{
	do {
		/* Mostly the numbers Xen defines (0-41); now and then the rest of the page. */
		*nr = (unsigned)(below(10) ? below(42) : below(MAX_NR));
		a[0] = below(3) ? below(24) : hostile(pool());  /* mostly a command */
		for (unsigned i = 1; i < 5; i++)
			a[i] = hostile(pool());
	} while (!tame(*nr, a));
}

/* The handlers and callbacks a call may have replaced. */
static void restore(void)
{
	traps_install();
	events_register_callback();
	hypercall2(__HYPERVISOR_set_debugreg, 7, 0);
	hypercall2(__HYPERVISOR_fpu_taskswitch, 0, 0);
}

/* A multicall of tamed random entries (Xen runs them as if called one by one). */
static multicall_entry_t mc[10];

static long multicall(void)
{
	unsigned n = (unsigned)below(9);
	for (unsigned i = 0; i < n; i++) {
		unsigned nr;
		unsigned long a[5];
		draw(&nr, a);
		mc[i].op = nr;
		for (unsigned k = 0; k < 5; k++)
			mc[i].args[k] = a[k];
	}
	/* Sometimes a count past this call's entries: the stub reads older, also tamed, ones. */
	return HYPERVISOR_multicall(mc, below(4) ? n : n + below(3));
}

static unsigned long arg(const char *key, unsigned long dflt)
{
	const char *p = strstr((const char *)start_info->cmd_line, key);
	if (!p)
		return dflt;
	unsigned long v = 0;
	for (p += strlen(key); *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return v;
}

static uint32_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static unsigned long calls_by_nr[MAX_NR], ok_by_nr[MAX_NR];

void guest_main(void)
{
	extern char _etext[];
	mmu_probes_init();
	check_rc("traps_install", traps_install(), 0);
	if (!check(boot_region_init(&R), "the boot region") || !events_init())
		return;
	events_mask();
	root_mfn = R.root_mfn;
	max_mfn = p2m_max_mfn();
	img_lo = R.virt_base;
	img_hi = R.virt_end;
	first_free_pfn = R.nr_pages;
	/* The playground's L1: from the L2 above it (read through the region's mapping). */
	const uint64_t *l2 = boot_mfn_to_virt(&R, R.table_mfn[2]);
	unsigned long pva = play_va(0);
	play_l1_mfn = (unsigned long)((l2[pt_index(pva, 2)] & 0x000ffffffffff000ull) >> 12);
	play_first_idx = pt_index(pva, 1);
	check(play_first_idx + PLAY_PAGES <= 512 && boot_mfn_to_virt(&R, play_l1_mfn),
	      "the playground (%d pages at 0x%lx) lies in one L1 of the region", PLAY_PAGES, pva);

	unsigned long seed = arg("fuzz.seed=", 1), seconds = arg("fuzz.seconds=", 5);
	unsigned long max_calls = arg("fuzz.calls=", 0), verbose = arg("fuzz.verbose=", 0);
	unsigned long from = arg("fuzz.from=", 0), paranoid = arg("fuzz.paranoid=", 0);
	rng = seed * 0x9E3779B97F4A7C15ull + 0x1234567;
	uint32_t text_sum = sum(_start, (size_t)(_etext - _start));
	printf("fuzz: seed %lu, %s %lu\n", seed, max_calls ? "calls" : "seconds", max_calls ? max_calls : seconds);

	uint32_t ver;
	do {
		ver = vcpu0->time.version;
		memcpy(&clock, (const void *)&vcpu0->time, sizeof(clock));
	} while ((ver & 1) || ver != vcpu0->time.version);
	uint64_t deadline = now() + (uint64_t)seconds * 1000000000ull;
	unsigned long n = 0;
	for (; max_calls ? n < max_calls : (n % 256 || now() < deadline); n++) {
		unsigned nr;
		unsigned long a[5];
		fill_scratch();
		draw(&nr, a);
		bool multi = !below(16);
		if (verbose && n >= from)
			printf("fuzz: call %lu: %s%u(%lx, %lx, %lx, %lx, %lx)\n", n, multi ? "multicall, first " : "",
			       nr, a[0], a[1], a[2], a[3], a[4]);
		long rc = multi ? (nr = __HYPERVISOR_multicall, multicall()) : hypercall_any(nr, a);
		if (verbose && n >= from)
			printf("fuzz: call %lu: %ld\n", n, rc);
		if (paranoid && sum(_start, (size_t)(_etext - _start)) != text_sum) {
			for (unsigned i = 0; multi && i < 10; i++)
				printf("fuzz: multicall entry %u: %lu(%lx, %lx, %lx, %lx, %lx) -> %ld\n", i,
				       (unsigned long)mc[i].op, (unsigned long)mc[i].args[0], (unsigned long)mc[i].args[1],
				       (unsigned long)mc[i].args[2], (unsigned long)mc[i].args[3],
				       (unsigned long)mc[i].args[4], (long)mc[i].result);
			fail_now("call %lu (%s%u(%lx, %lx, %lx, %lx, %lx) -> %ld) changed the guest's code", n,
				 multi ? "multicall, first " : "", nr, a[0], a[1], a[2], a[3], a[4], rc);
		}
		calls_by_nr[nr]++;
		ok_by_nr[nr] += rc >= 0;
		if (nr == __HYPERVISOR_set_trap_table || nr == __HYPERVISOR_set_callbacks ||
		    nr == __HYPERVISOR_callback_op || nr == __HYPERVISOR_multicall ||
		    nr == __HYPERVISOR_set_debugreg || nr == __HYPERVISOR_fpu_taskswitch)
			restore();
	}
	printf("fuzz: %lu calls (replay: fuzz.seed=%lu fuzz.calls=%lu); by number, calls/succeeded:\n", n, seed, n);
	for (unsigned i = 0; i < MAX_NR; i++)
		if (calls_by_nr[i])
			printf("  %2u: %lu/%lu\n", i, calls_by_nr[i], ok_by_nr[i]);
	check(n > 0, "%lu hypercalls made", n);
	check(sum(_start, (size_t)(_etext - _start)) == text_sum, "the guest's code is unchanged");
	/*
	 * Whatever the playground's entries became, each maps one of our
	 * frames or one Xen shares with us: shared_info, the grant table.
	 */
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	static xen_pfn_t gframes[64];
	struct gnttab_setup_table st = { .dom = DOMID_SELF };
	if (HYPERVISOR_grant_table_op(GNTTABOP_query_size, &qs, 1) == 0 && qs.status == GNTST_okay) {
		st.nr_frames = qs.nr_frames < 64 ? qs.nr_frames : 64;
		set_xen_guest_handle(st.frame_list, gframes);
		if (HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1) || st.status != GNTST_okay)
			st.nr_frames = 0;
	}
	const uint64_t *l1 = boot_mfn_to_virt(&R, play_l1_mfn);
	unsigned foreign = 0, present = 0;
	for (unsigned i = 0; i < PLAY_PAGES; i++) {
		uint64_t e = l1[play_first_idx + i];
		if (!(e & PTE_P))
			continue;
		present++;
		unsigned long mfn = (unsigned long)((e & 0x000ffffffffff000ull) >> 12);
		bool shared = mfn == (unsigned long)(start_info->shared_info >> 12);
		for (unsigned g = 0; g < st.nr_frames; g++)
			shared |= mfn == gframes[g];
		if (mfn_to_pfn(mfn) == ~0ul && !shared)
			foreign++;
	}
	check(foreign == 0, "the playground's %u mappings are all of our own frames (%u are not)", present, foreign);
}
