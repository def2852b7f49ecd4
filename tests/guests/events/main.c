/* events — event channels on one vCPU: IPI and interdomain loopback, masks, upcalls, status, errors. */
#include "guest.h"
#include "events.h"

const char guest_name[] = "events";

/*
 * Expected results are Xen 4.17's (xen/common/event_channel.c, event_2l.c,
 * xen/arch/x86/compat.c for event_channel_op_compat). The guest runs with
 * one vCPU; port numbers are not assumed (the toolstack may own some).
 */

#define BAD_PTR 0x12345000ul            /* never mapped */

static long evop(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

/* The new port, or the error. */
static long bind_ipi(uint32_t vcpu)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	long rc = evop(EVTCHNOP_bind_ipi, &b);
	return rc ? rc : (long)b.port;
}

static long bind_virq(uint32_t virq, uint32_t vcpu)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
	long rc = evop(EVTCHNOP_bind_virq, &b);
	return rc ? rc : (long)b.port;
}

static long alloc_unbound(domid_t dom, domid_t remote)
{
	struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
	long rc = evop(EVTCHNOP_alloc_unbound, &a);
	return rc ? rc : (long)a.port;
}

static long bind_interdomain(domid_t remote, evtchn_port_t rport)
{
	struct evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = rport };
	long rc = evop(EVTCHNOP_bind_interdomain, &b);
	return rc ? rc : (long)b.local_port;
}

static long ev_send(evtchn_port_t p)
{
	struct evtchn_send s = { .port = p };
	return evop(EVTCHNOP_send, &s);
}

static long ev_close(evtchn_port_t p)
{
	struct evtchn_close c = { .port = p };
	return evop(EVTCHNOP_close, &c);
}

static long ev_unmask(evtchn_port_t p)
{
	struct evtchn_unmask u = { .port = p };
	return evop(EVTCHNOP_unmask, &u);
}

static long bind_vcpu(evtchn_port_t p, uint32_t vcpu)
{
	struct evtchn_bind_vcpu b = { .port = p, .vcpu = vcpu };
	return evop(EVTCHNOP_bind_vcpu, &b);
}

static long ev_status(domid_t dom, evtchn_port_t p, struct evtchn_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	st->dom = dom;
	st->port = p;
	return evop(EVTCHNOP_status, st);
}

static bool check_status(const char *what, evtchn_port_t p, uint32_t want, uint32_t vcpu)
{
	struct evtchn_status st;
	long rc = ev_status(DOMID_SELF, p, &st);
	if (rc)
		return check_rc(what, rc, 0);
	return check(st.status == want && st.vcpu == vcpu,
		     "%s: port %u status %u vcpu %u (want %u, %u)", what, p, st.status, st.vcpu,
		     want, vcpu);
}

static bool new_port(const char *what, long p)
{
	return check(p > 0 && p < (long)EV_MAX_PORTS, "%s -> port %ld", what, p);
}

static domid_t my_domid;

/* ---- IPI to ourselves ---- */

static void test_ipi(void)
{
	printf("\n== bind_ipi on vCPU 0, events masked then unmasked\n");
	long p = bind_ipi(0);
	if (!new_port("EVTCHNOP_bind_ipi(vcpu 0)", p))
		return;
	check_status("status of the IPI port", (evtchn_port_t)p, EVTCHNSTAT_ipi, 0);

	events_reset_counts();
	vcpu0->evtchn_pending_sel = 0;
	check_eq("evtchn_upcall_mask at start of day", vcpu0->evtchn_upcall_mask, 1);
	check_rc("send with events masked", ev_send((evtchn_port_t)p), 0);
	check(port_pending((evtchn_port_t)p), "port pending after send");
	check_eq("evtchn_upcall_pending", vcpu0->evtchn_upcall_pending, 1);
	check_eq("evtchn_pending_sel", vcpu0->evtchn_pending_sel,
		 (xen_ulong_t)1 << (p / (8 * sizeof(xen_ulong_t))));
	check_eq("no upcall while masked", seen.upcalls, 0);

	events_unmask();        /* a hypercall: the upcall comes on its way back */
	check_eq("upcalls after unmasking", seen.upcalls, 1);
	check_eq("IPI port delivered once", port_count[p], 1);
	check_eq("delivered port", seen.last_port, (unsigned long)p);
	check_eq("evtchn_upcall_mask inside the callback", seen.mask_in_handler, 1);
	check_eq("evtchn_upcall_mask after HYPERVISOR_iret", vcpu0->evtchn_upcall_mask, 0);
	unsigned long xv = (unsigned long)hypercall_page + __HYPERVISOR_xen_version * 32;
	check(seen.rip > xv && seen.rip < xv + 32,
	      "upcall frame rip 0x%lx: right after the hypercall in the xen_version entry",
	      seen.rip);
#ifdef __x86_64__
	check_eq("upcall frame cs (kernel context, saved mask 0)", seen.cs_word & 0xffffffffffull,
		 FLAT_KERNEL_CS64 & ~3);
#else
	check_eq("upcall frame cs (saved mask 0)", seen.cs_word & 0xffffff, FLAT_KERNEL_CS);
#endif
	check(seen.rflags & 0x200, "upcall frame rflags 0x%lx has IF (events were enabled)",
	      seen.rflags);

	check_rc("send with events unmasked", ev_send((evtchn_port_t)p), 0);
	check_eq("delivered before the send returned", port_count[p], 2);
	check(!port_pending((evtchn_port_t)p), "pending bit consumed");

	/* A masked port stays pending; EVTCHNOP_unmask delivers it. */
	port_mask((evtchn_port_t)p);
	check_rc("send to a masked port", ev_send((evtchn_port_t)p), 0);
	check_eq("masked port: no upcall", port_count[p], 2);
	check(port_pending((evtchn_port_t)p), "masked port: pending");
	check_eq("masked port: evtchn_upcall_pending stays 0", vcpu0->evtchn_upcall_pending, 0);
	check_rc("EVTCHNOP_unmask", ev_unmask((evtchn_port_t)p), 0);
	check_eq("unmask delivers it", port_count[p], 3);

	/* Cleared locally, the mask is gone but nothing tells Xen: EVTCHNOP_unmask finds it clear. */
	port_mask((evtchn_port_t)p);
	ev_send((evtchn_port_t)p);
	port_unmask_local((evtchn_port_t)p);
	check_rc("EVTCHNOP_unmask of an already unmasked port", ev_unmask((evtchn_port_t)p), 0);
	check_eq("... delivers nothing (Xen's test_and_clear of the mask)", port_count[p], 3);
	check(port_pending((evtchn_port_t)p), "... the port is still pending");
	check_rc("send again (already pending)", ev_send((evtchn_port_t)p), 0);
	check_eq("... still nothing: the pending bit was set", port_count[p], 3);
	port_clear((evtchn_port_t)p);

	/* Events masked again: the upcall waits for the unmask. */
	events_mask();
	ev_send((evtchn_port_t)p);
	ev_send((evtchn_port_t)p);
	check_eq("masked vCPU: no upcall", port_count[p], 3);
	events_unmask();
	check_eq("two sends while pending are one event", port_count[p], 4);

	check_rc("EVTCHNOP_close", ev_close((evtchn_port_t)p), 0);
	check_status("closed port", (evtchn_port_t)p, EVTCHNSTAT_closed, 0);
	check_rc("close again", ev_close((evtchn_port_t)p), -XEN_EINVAL);
	check_rc("send on a closed port", ev_send((evtchn_port_t)p), -XEN_EINVAL);
	check_eq("upcalls: one per delivery, no stray ones", seen.upcalls, 4);
}

/* ---- many ports ---- */

#define NR_MANY 256
#define WORD_BITS (8 * sizeof(xen_ulong_t))

static evtchn_port_t many[NR_MANY];

/*
 * NR_MANY IPI ports over several selector words: sent with events masked,
 * each is pending once (event_2l.c sets its bit, its word's
 * evtchn_pending_sel bit and evtchn_upcall_pending); unmasking delivers
 * each exactly once, by port number. Unmasked, each send is delivered
 * before it returns.
 */
static void test_many_ports(void)
{
	printf("\n== %u IPI ports\n", NR_MANY);
	unsigned n = 0;
	for (; n < NR_MANY; n++) {
		long p = bind_ipi(0);
		if (p <= 0 || p >= (long)EV_MAX_PORTS)
			break;
		many[n] = (evtchn_port_t)p;
	}
	if (!check_eq("EVTCHNOP_bind_ipi: ports bound", n, NR_MANY))
		goto out;
	xen_ulong_t words = 0;
	for (unsigned i = 0; i < n; i++)
		words |= (xen_ulong_t)1 << (many[i] / WORD_BITS);
	unsigned nr_words = 0;
	for (xen_ulong_t w = words; w; w &= w - 1)
		nr_words++;
	check(nr_words >= 4, "the ports span %u selector words (0x%lx)", nr_words,
	      (unsigned long)words);

	events_mask();
	events_reset_counts();
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;
	unsigned bad = 0, not_pending = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ev_send(many[i]))
			bad++;
		if (!port_pending(many[i]))
			not_pending++;
	}
	check_eq("sends that failed (events masked)", bad, 0);
	check_eq("ports not pending after their send", not_pending, 0);
	check_eq("evtchn_pending_sel: one bit per word", vcpu0->evtchn_pending_sel, words);
	check_eq("evtchn_upcall_pending", vcpu0->evtchn_upcall_pending, 1);
	check_eq("no upcall while masked", seen.upcalls, 0);

	events_unmask();
	unsigned wrong = 0, pending = 0;
	for (unsigned i = 0; i < n; i++) {
		if (port_count[many[i]] != 1)
			wrong++;
		if (port_pending(many[i]))
			pending++;
	}
	check_eq("ports not delivered exactly once after unmasking", wrong, 0);
	check_eq("events delivered in all", seen.events, n);
	check_eq("ports still pending", pending, 0);

	events_reset_counts();
	wrong = 0;
	for (unsigned i = 0; i < n; i++) {
		ev_send(many[i]);
		if (port_count[many[i]] != 1 || seen.last_port != many[i])
			wrong++;
	}
	check_eq("unmasked sends not delivered at once as their port", wrong, 0);
	check_eq("events delivered in all", seen.events, n);

	/*
	 * SCHEDOP_poll on every one of them: with its event pending (masked,
	 * so no upcall takes it) the poll returns at once and the port stays
	 * pending (Xen's do_poll only looks); with nothing pending and a
	 * deadline already past, it returns at once too.
	 */
	events_mask();
	unsigned not_at_once = 0, cleared = 0, failed = 0;
	for (unsigned i = 0; i < n; i++) {
		port_clear(many[i]);
		port_mask(many[i]);
		ev_send(many[i]);
		uint64_t t0 = system_time();
		struct sched_poll sp = { .nr_ports = 1, .timeout = t0 + 2000 * MS };
		set_xen_guest_handle(sp.ports, &many[i]);
		if (HYPERVISOR_sched_op(SCHEDOP_poll, &sp))
			failed++;
		if (system_time() - t0 > 500 * MS)
			not_at_once++;
		if (!port_pending(many[i]))
			cleared++;
		port_clear(many[i]);
		sp.timeout = 1;                 /* long past */
		if (HYPERVISOR_sched_op(SCHEDOP_poll, &sp))
			failed++;
		port_unmask_local(many[i]);
	}
	check_eq("SCHEDOP_poll on each port: calls that failed", failed, 0);
	check_eq("SCHEDOP_poll on each pending port: did not return at once", not_at_once, 0);
	check_eq("SCHEDOP_poll on each pending port: the port was cleared", cleared, 0);
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;
	events_unmask();
out:
	bad = 0;
	for (unsigned i = 0; i < n; i++)
		if (ev_close(many[i]))
			bad++;
	check_eq("EVTCHNOP_close of the ports: failures", bad, 0);
}

/* ---- SCHEDOP_poll on several ports ---- */

static long poll_ports(evtchn_port_t *ports, unsigned nr, uint64_t timeout)
{
	struct sched_poll p = { .nr_ports = nr, .timeout = timeout };
	set_xen_guest_handle(p.ports, ports);
	return HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

/*
 * Xen's do_poll() (sched/core.c) returns at once when any port of the set
 * is pending (masked or not), and otherwise blocks until an event wakes
 * it (a multi-port poll wakes on any event of the domain; the guest
 * rechecks) or the timeout passes. Events stay masked around it.
 */
static void test_poll_set(void)
{
	printf("\n== SCHEDOP_poll on a set of ports\n");
	evtchn_port_t set[3];
	for (unsigned i = 0; i < 2; i++) {
		long p = bind_ipi(0);
		if (!new_port("EVTCHNOP_bind_ipi(vcpu 0)", p))
			return;
		set[i] = (evtchn_port_t)p;
	}
	long t = bind_virq(VIRQ_TIMER, 0);
	if (!new_port("EVTCHNOP_bind_virq(VIRQ_TIMER)", t))
		return;
	set[2] = (evtchn_port_t)t;
	events_mask();

	/* The last port of the set already pending, then a masked one. */
	port_clear(set[2]);
	port_mask(set[2]);
	check_rc("send on port 1 of the set", ev_send(set[1]), 0);
	uint64_t t0 = system_time();
	check_rc("SCHEDOP_poll(3 ports, 2 s), the second pending",
		 poll_ports(set, 3, t0 + 2000 * MS), 0);
	uint64_t took = system_time() - t0;
	check(took < 500 * MS, "  returned at once (%lld us)", ns_to_us((int64_t)took));
	port_clear(set[1]);
	port_mask(set[0]);
	check_rc("send on port 0 of the set (masked)", ev_send(set[0]), 0);
	t0 = system_time();
	check_rc("SCHEDOP_poll(3 ports, 2 s), the first pending but masked",
		 poll_ports(set, 3, t0 + 2000 * MS), 0);
	took = system_time() - t0;
	check(took < 500 * MS, "  returned at once (%lld us)", ns_to_us((int64_t)took));
	port_clear(set[0]);
	port_unmask_local(set[0]);

	/* Nothing pending: VIRQ_TIMER (third in the set) wakes it. */
	port_clear(set[2]);
	port_unmask_local(set[2]);
	check_rc("set_timer_op(now + 20 ms)", HYPERVISOR_set_timer_op(system_time() + 20 * MS), 0);
	t0 = system_time();
	long rc = 0;
	uint64_t end = t0 + 2000 * MS;
	/* Woken by some other event, poll again (as Linux does). */
	while (!rc && !port_pending(set[2]) && system_time() < end)
		rc = poll_ports(set, 3, end);
	took = system_time() - t0;
	check_rc("SCHEDOP_poll(3 ports, 2 s), none pending", rc, 0);
	check(port_pending(set[2]) && took < 1000 * MS,
	      "  VIRQ_TIMER, the third port, woke it (pending %d, after %lld us)",
	      port_pending(set[2]), ns_to_us((int64_t)took));
	check(!port_pending(set[0]) && !port_pending(set[1]), "  the other two are not pending");

	HYPERVISOR_set_timer_op(0);
	for (unsigned i = 0; i < 3; i++) {
		port_clear(set[i]);
		ev_close(set[i]);
	}
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;
	events_unmask();
}

/* ---- alloc_unbound + bind_interdomain to ourselves ---- */

static void test_interdomain_loopback(void)
{
	printf("\n== alloc_unbound and bind_interdomain, both ends ours\n");
	struct evtchn_status st;
	long a = alloc_unbound(DOMID_SELF, DOMID_SELF);
	if (!new_port("EVTCHNOP_alloc_unbound(DOMID_SELF, remote DOMID_SELF)", a))
		return;
	check_rc("status of the unbound port", ev_status(DOMID_SELF, (evtchn_port_t)a, &st), 0);
	check_eq("... EVTCHNSTAT_unbound", st.status, EVTCHNSTAT_unbound);
	my_domid = st.u.unbound.dom;
	check(my_domid != DOMID_SELF && my_domid != 0 && my_domid < DOMID_FIRST_RESERVED,
	      "... remote is our own domain id (%u), not DOMID_SELF", my_domid);
	check_rc("status by our numeric domain id",
		 ev_status(my_domid, (evtchn_port_t)a, &st), 0);

	events_mask();
	events_reset_counts();
	long b = bind_interdomain(DOMID_SELF, (evtchn_port_t)a);
	if (!new_port("EVTCHNOP_bind_interdomain(DOMID_SELF, that port)", b))
		return;
	check(port_pending((evtchn_port_t)b), "the new local port is pending (Xen marks it at bind)");
	check_rc("status of the first end", ev_status(DOMID_SELF, (evtchn_port_t)a, &st), 0);
	check(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == my_domid &&
	      st.u.interdomain.port == (evtchn_port_t)b,
	      "... interdomain to (dom %u, port %u)", st.u.interdomain.dom, st.u.interdomain.port);
	check_rc("status of the second end", ev_status(DOMID_SELF, (evtchn_port_t)b, &st), 0);
	check(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == my_domid &&
	      st.u.interdomain.port == (evtchn_port_t)a,
	      "... interdomain to (dom %u, port %u)", st.u.interdomain.dom, st.u.interdomain.port);
	events_unmask();
	check_eq("the bind's event arrives on the local port", port_count[b], 1);

	check_rc("send on the first end", ev_send((evtchn_port_t)a), 0);
	check_eq("... arrives on the second", port_count[b], 2);
	check_rc("send on the second end", ev_send((evtchn_port_t)b), 0);
	check_eq("... arrives on the first", port_count[a], 1);
	check_rc("bind_vcpu(interdomain port, 0)", bind_vcpu((evtchn_port_t)a, 0), 0);

	check_rc("close the second end", ev_close((evtchn_port_t)b), 0);
	check_status("the first end is unbound again", (evtchn_port_t)a, EVTCHNSTAT_unbound, 0);
	check_rc("send on an unbound port (dropped)", ev_send((evtchn_port_t)a), 0);
	check_eq("... nothing arrives", seen.events, 3);
	long c = bind_interdomain(my_domid, (evtchn_port_t)a);
	new_port("bind_interdomain again, by numeric domain id", c);
	check_eq("... its bind event", port_count[c], c == b ? 3 : 1);
	check_rc("close", ev_close((evtchn_port_t)c), 0);
	check_rc("close the first end (unbound)", ev_close((evtchn_port_t)a), 0);
}

/* ---- errors ---- */

static void test_errors(void)
{
	printf("\n== errors\n");
	struct evtchn_status st;
	long ipi = bind_ipi(0);
	long unb = alloc_unbound(DOMID_SELF, 0);       /* offered to dom0 */
	new_port("an IPI port", ipi);
	new_port("a port offered to dom0", unb);
	check_status("offered to dom0: unbound", (evtchn_port_t)unb, EVTCHNSTAT_unbound, 0);

	check_rc("close(0) (reserved)", ev_close(0), -XEN_EINVAL);
	check_rc("send(0)", ev_send(0), -XEN_EINVAL);
	check_status("status(0): closed", 0, EVTCHNSTAT_closed, 0);
	check_status("status(63), never used: closed (its bucket exists)", 63,
		     EVTCHNSTAT_closed, 0);
	check_rc("status(64), beyond the allocated bucket", ev_status(DOMID_SELF, 64, &st),
		 -XEN_EINVAL);
	check_rc("close(63) (free)", ev_close(63), -XEN_EINVAL);
	check_rc("close(EVTCHN_2L_NR_CHANNELS)", ev_close(EV_MAX_PORTS), -XEN_EINVAL);
	check_rc("send(100000)", ev_send(100000), -XEN_EINVAL);
	check_rc("unmask(100000)", ev_unmask(100000), -XEN_EINVAL);
	check_rc("unmask(63) (free: nothing to do)", ev_unmask(63), 0);
	check_rc("status of domain 0x1234", ev_status(0x1234, 1, &st), -XEN_ESRCH);
	check_rc("status of a dom0 port", ev_status(0, 1, &st), -XEN_EPERM);

	check_rc("alloc_unbound for domain 0x1234", alloc_unbound(0x1234, DOMID_SELF),
		 -XEN_ESRCH);
	check_rc("alloc_unbound for dom0", alloc_unbound(0, DOMID_SELF), -XEN_EPERM);
	check_rc("bind_interdomain to domain 0x1234", bind_interdomain(0x1234, 1), -XEN_ESRCH);
	check_rc("bind_interdomain to our IPI port", bind_interdomain(DOMID_SELF, (evtchn_port_t)ipi),
		 -XEN_EINVAL);
	check_rc("bind_interdomain to a port offered to dom0",
		 bind_interdomain(DOMID_SELF, (evtchn_port_t)unb), -XEN_EINVAL);
	check_rc("bind_interdomain to port 100000", bind_interdomain(DOMID_SELF, 100000),
		 -XEN_EINVAL);

	check_rc("bind_virq(NR_VIRQS)", bind_virq(NR_VIRQS, 0), -XEN_EINVAL);
	check_rc("bind_virq(VIRQ_CON_RING, vcpu 1): global VIRQs are vCPU 0's",
		 bind_virq(VIRQ_CON_RING, 1), -XEN_EINVAL);
	check_rc("bind_virq(VIRQ_TIMER, vcpu 100)", bind_virq(VIRQ_TIMER, 100), -XEN_ENOENT);
	long t = bind_virq(VIRQ_TIMER, 0);
	new_port("bind_virq(VIRQ_TIMER, 0)", t);
	check_rc("bind it again", bind_virq(VIRQ_TIMER, 0), -XEN_EEXIST);
	check_rc("status of the VIRQ port", ev_status(DOMID_SELF, (evtchn_port_t)t, &st), 0);
	check(st.status == EVTCHNSTAT_virq && st.u.virq == VIRQ_TIMER && st.vcpu == 0,
	      "... virq %u on vcpu %u", st.u.virq, st.vcpu);
	check_rc("send on a VIRQ port", ev_send((evtchn_port_t)t), -XEN_EINVAL);
	check_rc("bind_vcpu of a per-vCPU VIRQ", bind_vcpu((evtchn_port_t)t, 0), -XEN_EINVAL);
	long g = bind_virq(VIRQ_CON_RING, 0);
	new_port("bind_virq(VIRQ_CON_RING, 0) (global)", g);
	check_rc("bind_vcpu of a global VIRQ", bind_vcpu((evtchn_port_t)g, 0), 0);
	check_rc("close the VIRQ ports", ev_close((evtchn_port_t)t) | ev_close((evtchn_port_t)g), 0);

	check_rc("bind_ipi(vcpu 100)", bind_ipi(100), -XEN_ENOENT);
	check_rc("bind_vcpu of an IPI port", bind_vcpu((evtchn_port_t)ipi, 0), -XEN_EINVAL);
	check_rc("bind_vcpu to vcpu 100", bind_vcpu((evtchn_port_t)unb, 100), -XEN_ENOENT);
	check_rc("bind_vcpu of a free port", bind_vcpu(63, 0), -XEN_EINVAL);
	struct evtchn_bind_pirq bp = { .pirq = 1 };
	check_rc("bind_pirq (no physical IRQs for a domU)", evop(EVTCHNOP_bind_pirq, &bp),
		 -XEN_EPERM);
	struct evtchn_set_priority pr = { .port = (evtchn_port_t)ipi, .priority = 1 };
	check_rc("set_priority of a 2-level port", evop(EVTCHNOP_set_priority, &pr), -XEN_ENOSYS);
	pr.port = 100000;
	check_rc("set_priority of port 100000", evop(EVTCHNOP_set_priority, &pr), -XEN_EINVAL);
	check_rc("unknown command 99", evop(99, &pr), -XEN_ENOSYS);
	check_rc("send with an unmapped argument", evop(EVTCHNOP_send, (void *)BAD_PTR),
		 -XEN_EFAULT);
	check_rc("bind_ipi with an unmapped argument", evop(EVTCHNOP_bind_ipi, (void *)BAD_PTR),
		 -XEN_EFAULT);
	check_rc("close the IPI port", ev_close((evtchn_port_t)ipi), 0);
	check_rc("close the unbound port", ev_close((evtchn_port_t)unb), 0);
}

/* ---- the pre-3.0.2 interface ---- */

static void test_compat(void)
{
	printf("\n== event_channel_op_compat (struct evtchn_op)\n");
	struct evtchn_op op = { .cmd = EVTCHNOP_bind_ipi, .u.bind_ipi.vcpu = 0 };
	if (!check_rc("compat bind_ipi", HYPERVISOR_event_channel_op_compat(&op), 0))
		return;
	evtchn_port_t p = op.u.bind_ipi.port;
	new_port("... port", p);
	events_reset_counts();
	op = (struct evtchn_op){ .cmd = EVTCHNOP_send, .u.send.port = p };
	check_rc("compat send", HYPERVISOR_event_channel_op_compat(&op), 0);
	check_eq("... delivered", port_count[p], 1);
	op = (struct evtchn_op){ .cmd = EVTCHNOP_status, .u.status = { .dom = DOMID_SELF, .port = p } };
	check_rc("compat status", HYPERVISOR_event_channel_op_compat(&op), 0);
	check_eq("... EVTCHNSTAT_ipi", op.u.status.status, EVTCHNSTAT_ipi);
	op = (struct evtchn_op){ .cmd = EVTCHNOP_reset, .u.close.port = DOMID_SELF };
	check_rc("compat reset (not in the old interface)",
		 HYPERVISOR_event_channel_op_compat(&op), -XEN_ENOSYS);
	op = (struct evtchn_op){ .cmd = EVTCHNOP_close, .u.close.port = p };
	check_rc("compat close", HYPERVISOR_event_channel_op_compat(&op), 0);
	check_rc("compat with an unmapped argument",
		 HYPERVISOR_event_channel_op_compat((struct evtchn_op *)BAD_PTR), -XEN_EFAULT);
}

/* ---- the 2-level limit and EVTCHNOP_reset ---- */

static void test_limit_and_reset(void)
{
	printf("\n== port limit (EVTCHN_2L_NR_CHANNELS = %u) and EVTCHNOP_reset\n",
	       (unsigned)EV_MAX_PORTS);
	long last = 0, p;
	unsigned n = 0;
	while ((p = bind_ipi(0)) > 0) {
		last = p;
		if (++n > EV_MAX_PORTS)
			break;
	}
	check_rc("bind_ipi when every port is taken", p, -XEN_ENOSPC);
	/* xenner: the 2-level limit; Xen under xl: max_event_channels, 1023 by default. */
	check(last == (long)EV_MAX_PORTS - 1 || last == 1023,
	      "the last port handed out: %ld (EVTCHN_2L_NR_CHANNELS - 1 or xl's 1023)", last);
	check_status("the highest port", (evtchn_port_t)last, EVTCHNSTAT_ipi, 0);
	check_rc("bind_virq with no port left", bind_virq(VIRQ_TIMER, 0), -XEN_ENOSPC);

	struct evtchn_reset r = { .dom = 0x1234 };
	check_rc("reset domain 0x1234", evop(EVTCHNOP_reset, &r), -XEN_ESRCH);
	r.dom = 0;
	check_rc("reset dom0", evop(EVTCHNOP_reset, &r), -XEN_EPERM);
	/*
	 * Reset closes the console's port too. On real Xen the guests print
	 * through the console ring: its dom0 end is then unbound, waiting for
	 * us, and we bind it again (xenner's console is console_io).
	 */
	evtchn_port_t cons = start_info->console.domU.evtchn;
	struct evtchn_status cst;
	bool ring = cons && !ev_status(DOMID_SELF, cons, &cst) &&
		    cst.status == EVTCHNSTAT_interdomain && cst.u.interdomain.dom == 0;
	r.dom = DOMID_SELF;
	check_rc("reset ourselves", evop(EVTCHNOP_reset, &r), 0);
	if (ring) {
		long c = bind_interdomain(0, cst.u.interdomain.port);
		if (c > 0)
			start_info->console.domU.evtchn = (evtchn_port_t)c;
		new_port("bind_interdomain to dom0's console port again", c);
	}
	check_status("after reset: the highest port is closed", (evtchn_port_t)last,
		     EVTCHNSTAT_closed, 0);
	long t = bind_virq(VIRQ_TIMER, 0);
	new_port("after reset: bind_virq(VIRQ_TIMER) again", t);
	check_rc("close it", ev_close((evtchn_port_t)t), 0);
}

void guest_main(void)
{
	printf("events test (" GUEST_MODE ")\n");
	if (!events_init())
		fail_now("no shared_info or event callback");
	test_ipi();
	test_interdomain_loopback();
	test_errors();
	test_compat();
	/* After test_errors(): these ports allocate buckets beyond the first. */
	test_many_ports();
	test_poll_set();
	test_limit_and_reset();
}
