/* events.c — shared_info mapping, the event upcall handler and Xen system time for the test guests. */
#include "events.h"

shared_info_t *shared;
volatile struct vcpu_info *vcpu0;
volatile struct upcall_seen seen;
volatile unsigned int port_count[EV_MAX_PORTS];
void (*volatile event_hook)(evtchn_port_t port);

void events_upcall(unsigned long *frame);
extern char upcall_entry[];             /* upcall{64,32}.S */

#define WORD_BITS (8 * sizeof(xen_ulong_t))

/* shared_info lands here: the page's own frame is simply unmapped. */
static uint8_t shared_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));

bool events_init(void)
{
	uint64_t pte = (uint64_t)start_info->shared_info | 0x063;      /* P RW A D */
	long rc;
#ifdef __x86_64__
	rc = hypercall3(__HYPERVISOR_update_va_mapping, shared_page, pte, UVMF_INVLPG);
#else
	rc = hypercall5(__HYPERVISOR_update_va_mapping, shared_page, (uint32_t)pte,
			(uint32_t)(pte >> 32), UVMF_INVLPG, 0);
#endif
	if (!check_rc("update_va_mapping: map shared_info", rc, 0))
		return false;
	shared = (shared_info_t *)shared_page;
	vcpu0 = &shared->vcpu_info[0];
	/*
	 * The toolstack's ports (console, xenstore) bring events on real Xen:
	 * mask them so only the tests' own ports wake or upcall us.
	 */
	if (start_info->console.domU.evtchn)
		port_mask(start_info->console.domU.evtchn);
	if (start_info->store_evtchn)
		port_mask(start_info->store_evtchn);

	return check_rc("callback_op: register the event callback", events_register_callback(), 0);
}

long events_register_callback(void)
{
	struct callback_register cb = { .type = CALLBACKTYPE_event };
#ifdef __x86_64__
	cb.address = (unsigned long)upcall_entry;
#else
	cb.address.cs = FLAT_KERNEL_CS;
	cb.address.eip = (unsigned long)upcall_entry;
#endif
	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

void events_reset_counts(void)
{
	memset((void *)&seen, 0, sizeof(seen));
	memset((void *)port_count, 0, sizeof(port_count));
}

void events_mask(void)
{
	vcpu0->evtchn_upcall_mask = 1;
	asm volatile("" ::: "memory");
}

void events_unmask(void)
{
	asm volatile("" ::: "memory");
	vcpu0->evtchn_upcall_mask = 0;
	asm volatile("" ::: "memory");
	/* Like Linux's xen_force_evtchn_callback: any hypercall delivers what is pending. */
	if (vcpu0->evtchn_upcall_pending)
		HYPERVISOR_xen_version(0, NULL);
}

void port_mask(evtchn_port_t p)
{
	__atomic_fetch_or(&shared->evtchn_mask[p / WORD_BITS], (xen_ulong_t)1 << (p % WORD_BITS),
			  __ATOMIC_SEQ_CST);
}

void port_unmask_local(evtchn_port_t p)
{
	__atomic_fetch_and(&shared->evtchn_mask[p / WORD_BITS],
			   ~((xen_ulong_t)1 << (p % WORD_BITS)), __ATOMIC_SEQ_CST);
}

bool port_pending(evtchn_port_t p)
{
	return (__atomic_load_n(&shared->evtchn_pending[p / WORD_BITS], __ATOMIC_SEQ_CST) >>
		(p % WORD_BITS)) & 1;
}

void port_clear(evtchn_port_t p)
{
	__atomic_fetch_and(&shared->evtchn_pending[p / WORD_BITS],
			   ~((xen_ulong_t)1 << (p % WORD_BITS)), __ATOMIC_SEQ_CST);
}

/* The frame: pv64 rcx, r11, rip, cs, rflags, rsp, ss; pv32 eip, cs, eflags. */
void events_upcall(unsigned long *frame)
{
	if (seen.upcalls++ == 0) {
#ifdef __x86_64__
		seen.rip = frame[2];
		seen.cs_word = frame[3];
		seen.rflags = frame[4];
#else
		seen.rip = frame[0];
		seen.cs_word = frame[1];
		seen.rflags = frame[2];
#endif
		seen.mask_in_handler = vcpu0->evtchn_upcall_mask;
	}
	do {
		vcpu0->evtchn_upcall_pending = 0;
		xen_ulong_t sel = __atomic_exchange_n(&vcpu0->evtchn_pending_sel, 0,
						      __ATOMIC_SEQ_CST);
		while (sel) {
			unsigned int w = (unsigned int)__builtin_ctzl(sel);
			sel &= sel - 1;
			xen_ulong_t bits = shared->evtchn_pending[w] & ~shared->evtchn_mask[w];
			while (bits) {
				evtchn_port_t p = w * WORD_BITS + (unsigned int)__builtin_ctzl(bits);
				bits &= bits - 1;
				port_clear(p);
				seen.events++;
				seen.last_port = p;
				seen.last_time = system_time();
				port_count[p]++;
				if (event_hook)
					event_hook(p);
			}
		}
	} while (vcpu0->evtchn_upcall_pending);
}

uint64_t div_u64(uint64_t n, uint32_t d)
{
#ifdef __x86_64__
	return n / d;
#else
	/* Two divl steps: the remainder of the high half is below d, so none overflows. */
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi = hi / d, r = hi % d, qlo;
	asm("divl %4" : "=a"(qlo), "=d"(r) : "0"(lo), "1"(r), "rm"(d));
	return (uint64_t)qhi << 32 | qlo;
#endif
}

uint64_t system_time_tsc(const volatile struct vcpu_time_info *t, uint64_t *tsc_out)
{
	uint32_t version;
	uint64_t ns, tsc;
	do {
		version = t->version;
		asm volatile("" ::: "memory");
		tsc = rdtsc();
		uint64_t delta = tsc - t->tsc_timestamp;
		int shift = t->tsc_shift;
		delta = shift < 0 ? delta >> -shift : delta << shift;
		/* (delta * mul) >> 32 without 128-bit arithmetic. */
		uint64_t lo = (uint64_t)(uint32_t)delta * t->tsc_to_system_mul;
		uint64_t hi = (delta >> 32) * t->tsc_to_system_mul;
		ns = t->system_time + hi + (lo >> 32);
		asm volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);
	if (tsc_out)
		*tsc_out = tsc;
	return ns;
}

uint64_t system_time_from(const volatile struct vcpu_time_info *t)
{
	return system_time_tsc(t, NULL);
}

uint64_t system_time(void)
{
	return system_time_from(&vcpu0->time);
}

bool wait_until(bool (*cond)(void), uint64_t deadline)
{
	/*
	 * A vCPU that was off its CPU past the deadline gets 5 ms of its own
	 * running time more: pending interrupts may reach it only then.
	 */
	uint64_t grace_end = 0;
	while (!cond()) {
		uint64_t now = system_time();
		if (now < deadline)
			continue;
		if (!grace_end)
			grace_end = now + 5 * MS;
		else if (now >= grace_end)
			return cond();
	}
	return true;
}
