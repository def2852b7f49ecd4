/* test_evtchn.c — event-channel ports (hypercall/evtchn_table.c): Xen 4.17's states, errors and 2-level bits. */
#define CHECK_SUITE "evtchn"
#include "check.h"
#include <stdlib.h>
#include "../../hypercall/evtchn_table.c"

#define DOMID 7
#define BITS (8 * sizeof(xen_ulong_t))

static struct evtchn_table *table(unsigned nr_vcpus)
{
	static struct evtchn_table t;
	evtchn_table_init(&t, DOMID, nr_vcpus, EVTCHN_MAX_PORTS - 1);
	return &t;
}

static struct evtchn_status status(struct evtchn_table *t, uint32_t port, int *rc)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
	*rc = evtchn_status(t, &st);
	return st;
}

TEST(port_0_is_reserved_and_reads_closed)
{
	struct evtchn_table *t = table(1);
	int rc;
	struct evtchn_status st = status(t, 0, &rc);
	CHECK_EQ(rc, 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	struct evtchn old;
	CHECK_EQ(evtchn_close(t, 0, &old), -XEN_EINVAL);
	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, 0, &to), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 1);        /* the first port handed out */
}

/* Ports exist in buckets of 64: status of a never-used port says closed inside, -EINVAL outside. */
TEST(ports_exist_by_bucket)
{
	struct evtchn_table *t = table(1);
	int rc;
	status(t, 63, &rc);
	CHECK_EQ(rc, 0);
	status(t, 64, &rc);
	CHECK_EQ(rc, -XEN_EINVAL);
	for (int i = 1; i < 64; i++)
		CHECK_EQ(evtchn_bind_ipi(t, 0), i);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 64);
	struct evtchn_status st = status(t, 127, &rc);
	CHECK_EQ(rc, 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	status(t, 128, &rc);
	CHECK_EQ(rc, -XEN_EINVAL);
	status(t, 0xffffffffu, &rc);
	CHECK_EQ(rc, -XEN_EINVAL);
}

TEST(free_ports_are_reused_lowest_first_until_the_limit)
{
	struct evtchn_table *t = table(1);
	for (unsigned i = 1; i < EVTCHN_MAX_PORTS; i++)
		CHECK_EQ(evtchn_bind_ipi(t, 0), i);
	CHECK_EQ(evtchn_bind_ipi(t, 0), -XEN_ENOSPC);
	CHECK_EQ(evtchn_alloc_unbound(t, DOMID_SELF, 0), -XEN_ENOSPC);
	struct evtchn old;
	CHECK_EQ(evtchn_close(t, 77, &old), 0);
	CHECK_EQ(old.state, ECS_IPI);
	CHECK_EQ(evtchn_close(t, 5, &old), 0);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 5);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 77);
}

TEST(max_port_limits_allocation)
{
	static struct evtchn_table t;
	evtchn_table_init(&t, DOMID, 1, 1023);          /* xl's default max_event_channels */
	for (unsigned i = 1; i <= 1023; i++)
		CHECK_EQ(evtchn_bind_ipi(&t, 0), i);
	CHECK_EQ(evtchn_bind_ipi(&t, 0), -XEN_ENOSPC);
}

TEST(alloc_unbound_resolves_domid_self)
{
	struct evtchn_table *t = table(1);
	int p = evtchn_alloc_unbound(t, DOMID_SELF, DOMID_SELF);
	CHECK(p > 0);
	int rc;
	struct evtchn_status st = status(t, (uint32_t)p, &rc);
	CHECK_EQ(rc, 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, DOMID);
	CHECK_EQ(st.vcpu, 0);
	p = evtchn_alloc_unbound(t, DOMID, 0);
	st = status(t, (uint32_t)p, &rc);
	CHECK_EQ(st.u.unbound.dom, 0);
	/* Any remote id is accepted; acting for another domain is not. */
	CHECK(evtchn_alloc_unbound(t, DOMID_SELF, 0x1234) > 0);
	CHECK_EQ(evtchn_alloc_unbound(t, 0, DOMID_SELF), -XEN_EPERM);
	CHECK_EQ(evtchn_alloc_unbound(t, 0x1234, DOMID_SELF), -XEN_ESRCH);
	struct evtchn_status other = { .dom = 0x1234, .port = 1 };
	CHECK_EQ(evtchn_status(t, &other), -XEN_ESRCH);
	other.dom = 0;
	CHECK_EQ(evtchn_status(t, &other), -XEN_EPERM);
}

TEST(interdomain_loopback_and_close)
{
	struct evtchn_table *t = table(2);
	int a = evtchn_alloc_unbound(t, DOMID_SELF, DOMID_SELF);
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)a, 1), 0);
	int b = evtchn_bind_interdomain(t, DOMID_SELF, (uint32_t)a);
	CHECK(b > 0 && b != a);
	int rc;
	struct evtchn_status st = status(t, (uint32_t)a, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
	CHECK_EQ(st.u.interdomain.dom, DOMID);
	CHECK_EQ(st.u.interdomain.port, b);
	CHECK_EQ(st.vcpu, 1);
	st = status(t, (uint32_t)b, &rc);
	CHECK_EQ(st.u.interdomain.port, a);
	CHECK_EQ(st.vcpu, 0);

	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, (uint32_t)a, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_LOCAL);
	CHECK_EQ(to.port, b);
	CHECK_EQ(to.vcpu, 0);
	CHECK_EQ(evtchn_send_target(t, (uint32_t)b, &to), 0);
	CHECK_EQ(to.port, a);
	CHECK_EQ(to.vcpu, 1);

	/* Closing one end leaves the other unbound, waiting for us again. */
	struct evtchn old;
	CHECK_EQ(evtchn_close(t, (uint32_t)b, &old), 0);
	CHECK_EQ(old.state, ECS_INTERDOMAIN);
	st = status(t, (uint32_t)a, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, DOMID);
	CHECK_EQ(st.vcpu, 1);
	CHECK_EQ(evtchn_send_target(t, (uint32_t)a, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_DROP);
	/* ... and can be bound again (getting the lowest free port). */
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID, (uint32_t)a), b);
	CHECK_EQ(evtchn_close(t, (uint32_t)b, &old), 0);
	CHECK_EQ(evtchn_close(t, (uint32_t)b, &old), -XEN_EINVAL);
}

TEST(bind_interdomain_errors)
{
	struct evtchn_table *t = table(1);
	int ipi = evtchn_bind_ipi(t, 0);
	int other = evtchn_alloc_unbound(t, DOMID_SELF, 0);     /* offered to dom0, not us */
	CHECK_EQ(evtchn_bind_interdomain(t, 0x1234, 1), -XEN_ESRCH);
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID_SELF, (uint32_t)ipi), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID_SELF, (uint32_t)other), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID_SELF, 0), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID_SELF, 5000), -XEN_EINVAL);
	/* The port it would have taken stays free (the lowest free port is reused). */
	CHECK_EQ(evtchn_bind_interdomain(t, DOMID_SELF, 3), -XEN_EINVAL);
	/* dom0 offers nothing yet. */
	CHECK_EQ(evtchn_bind_interdomain(t, 0, 1), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 3);
}

TEST(virq_binding_rules)
{
	struct evtchn_table *t = table(2);
	CHECK_EQ(evtchn_bind_virq(t, NR_VIRQS, 0), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_virq(t, VIRQ_CONSOLE, 1), -XEN_EINVAL);    /* global: vCPU 0 only */
	CHECK_EQ(evtchn_bind_virq(t, VIRQ_TIMER, 2), -XEN_ENOENT);
	int t0 = evtchn_bind_virq(t, VIRQ_TIMER, 0);
	int t1 = evtchn_bind_virq(t, VIRQ_TIMER, 1);            /* per vCPU */
	CHECK(t0 > 0 && t1 > 0 && t0 != t1);
	CHECK_EQ(evtchn_bind_virq(t, VIRQ_TIMER, 1), -XEN_EEXIST);
	int c = evtchn_bind_virq(t, VIRQ_CONSOLE, 0);
	CHECK(c > 0);

	unsigned notify;
	CHECK_EQ(evtchn_virq_port(t, 1, VIRQ_TIMER, &notify), t1);
	CHECK_EQ(notify, 1);
	CHECK_EQ(evtchn_virq_port(t, 0, VIRQ_DEBUG, &notify), 0);
	/* A global VIRQ goes wherever its port was moved. */
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)c, 1), 0);
	CHECK_EQ(evtchn_virq_port(t, 1, VIRQ_CONSOLE, &notify), c);
	CHECK_EQ(notify, 1);
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)t1, 0), -XEN_EINVAL);  /* per-vCPU VIRQ stays */

	int rc;
	struct evtchn_status st = status(t, (uint32_t)t1, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_virq);
	CHECK_EQ(st.u.virq, VIRQ_TIMER);
	CHECK_EQ(st.vcpu, 1);
	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, (uint32_t)t1, &to), -XEN_EINVAL);

	struct evtchn old;
	CHECK_EQ(evtchn_close(t, (uint32_t)t1, &old), 0);
	CHECK_EQ(evtchn_virq_port(t, 1, VIRQ_TIMER, &notify), 0);
	CHECK_EQ(evtchn_bind_virq(t, VIRQ_TIMER, 1), t1);
	CHECK_EQ(evtchn_close(t, (uint32_t)c, &old), 0);
	CHECK_EQ(evtchn_virq_port(t, 0, VIRQ_CONSOLE, &notify), 0);
}

TEST(ipi_and_bind_vcpu)
{
	struct evtchn_table *t = table(2);
	CHECK_EQ(evtchn_bind_ipi(t, 2), -XEN_ENOENT);
	int p = evtchn_bind_ipi(t, 1);
	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, (uint32_t)p, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_LOCAL);
	CHECK_EQ(to.port, p);
	CHECK_EQ(to.vcpu, 1);
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)p, 0), -XEN_EINVAL);     /* IPIs cannot move */
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)p, 5), -XEN_ENOENT);
	CHECK_EQ(evtchn_bind_vcpu(t, 9999, 0), -XEN_EINVAL);
	CHECK_EQ(evtchn_bind_vcpu(t, 40, 0), -XEN_EINVAL);              /* free */
	/* A freed port notifies vCPU 0 again. */
	struct evtchn old;
	int u = evtchn_alloc_unbound(t, DOMID_SELF, 0);
	CHECK_EQ(evtchn_bind_vcpu(t, (uint32_t)u, 1), 0);
	CHECK_EQ(evtchn_close(t, (uint32_t)u, &old), 0);
	CHECK_EQ(old.notify_vcpu, 1);
	CHECK_EQ(evtchn_alloc_unbound(t, DOMID_SELF, 0), u);
	int rc;
	CHECK_EQ(status(t, (uint32_t)u, &rc).vcpu, 0);
}

/* The toolstack's channels: our port bound to dom0's at boot; closed, dom0's end waits for us. */
TEST(dom0_boot_ports_close_and_rebind)
{
	struct evtchn_table *t = table(1);
	CHECK_EQ(evtchn_bind_dom0_boot(t, 1, 1), 0);
	CHECK_EQ(evtchn_bind_dom0_boot(t, 2, 2), 0);
	CHECK_EQ(evtchn_bind_dom0_boot(t, 2, 7), -XEN_EBUSY);
	CHECK_EQ(evtchn_bind_dom0_boot(t, 200, 9), 0);          /* its bucket comes to exist */
	int rc;
	CHECK_EQ(status(t, 255, &rc).status, EVTCHNSTAT_closed);
	CHECK_EQ(rc, 0);
	status(t, 256, &rc);
	CHECK_EQ(rc, -XEN_EINVAL);
	struct evtchn_status st = status(t, 2, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
	CHECK_EQ(st.u.interdomain.dom, 0);
	CHECK_EQ(st.u.interdomain.port, 2);
	CHECK_EQ(evtchn_bind_ipi(t, 0), 3);                      /* the next free port */
	CHECK_EQ(evtchn_dom0_peer(t, 2), 2);
	CHECK_EQ(evtchn_dom0_peer(t, 5), 0);

	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, 2, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_DOM0);
	CHECK_EQ(to.port, 2);

	/* dom0's port is not unbound for us while our end is bound. */
	CHECK_EQ(evtchn_bind_interdomain(t, 0, 2), -XEN_EINVAL);
	struct evtchn old;
	CHECK_EQ(evtchn_close(t, 2, &old), 0);
	CHECK_EQ(evtchn_dom0_peer(t, 2), 0);
	CHECK_EQ(evtchn_bind_interdomain(t, 0, 5), -XEN_EINVAL);        /* never offered */
	int p = evtchn_bind_interdomain(t, 0, 2);
	CHECK_EQ(p, 2);                                                 /* lowest free port */
	CHECK_EQ(evtchn_dom0_peer(t, 2), 2);
	CHECK_EQ(evtchn_bind_interdomain(t, 0, 2), -XEN_EINVAL);
}

/* A backend (dom0) binds a frontend's unbound port, sends both ways, closes: the port waits again. */
TEST(dom0_binds_and_closes_frontend_ports)
{
	struct evtchn_table *t = table(1);
	CHECK_EQ(evtchn_bind_dom0_boot(t, 1, 1), 0);
	int loop = evtchn_alloc_unbound(t, DOMID_SELF, DOMID_SELF);     /* not for dom0 */
	int fe = evtchn_alloc_unbound(t, DOMID_SELF, 0);
	CHECK_EQ(fe, loop + 1);
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)loop, 8), -XEN_EINVAL);
	CHECK_EQ(evtchn_dom0_bind(t, 1, 8), -XEN_EINVAL);              /* bound already */
	CHECK_EQ(evtchn_dom0_bind(t, 0, 8), -XEN_EINVAL);              /* reserved */
	CHECK_EQ(evtchn_dom0_bind(t, 4000, 8), -XEN_EINVAL);           /* does not exist */
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)fe, 1), -XEN_EBUSY);    /* dom0's port in use */
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)fe, 8), 0);
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)fe, 9), -XEN_EINVAL);   /* no longer unbound */
	int rc;
	struct evtchn_status st = status(t, (uint32_t)fe, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
	CHECK_EQ(st.u.interdomain.dom, 0);
	CHECK_EQ(st.u.interdomain.port, 8);
	CHECK_EQ(evtchn_dom0_peer(t, 8), (uint32_t)fe);
	struct evtchn_send_target to;
	CHECK_EQ(evtchn_send_target(t, (uint32_t)fe, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_DOM0);
	CHECK_EQ(to.port, 8);

	CHECK_EQ(evtchn_dom0_unbind(t, 8), 0);
	CHECK_EQ(evtchn_dom0_unbind(t, 8), -XEN_EINVAL);
	CHECK_EQ(evtchn_dom0_peer(t, 8), 0);
	st = status(t, (uint32_t)fe, &rc);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 0);
	CHECK_EQ(evtchn_send_target(t, (uint32_t)fe, &to), 0);
	CHECK_EQ(to.kind, EVTCHN_SEND_DROP);
	CHECK_EQ(evtchn_dom0_peer(t, 1), 1);                          /* the boot port is untouched */

	/* The guest closes first: dom0's port stays until dom0 closes it. */
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)fe, 10), 0);
	struct evtchn old;
	CHECK_EQ(evtchn_close(t, (uint32_t)fe, &old), 0);
	CHECK_EQ(evtchn_dom0_peer(t, 10), 0);
	CHECK_EQ(evtchn_dom0_bind(t, (uint32_t)evtchn_alloc_unbound(t, DOMID_SELF, 0), 10), -XEN_EBUSY);
	CHECK_EQ(evtchn_dom0_unbind(t, 10), 0);
	CHECK_EQ(status(t, (uint32_t)fe, &rc).status, EVTCHNSTAT_unbound);
}

/* ---- 2-level bits ---- */

static shared_info_t *shared(void)
{
	static shared_info_t s;
	memset(&s, 0, sizeof(s));
	return &s;
}

static bool bit(const xen_ulong_t *w, unsigned b)
{
	return (w[b / BITS] >> (b % BITS)) & 1;
}

TEST(set_pending_marks_port_selector_and_upcall_once)
{
	shared_info_t *s = shared();
	struct vcpu_info *vi = &s->vcpu_info[0];
	CHECK(evtchn_2l_set_pending(s, vi, 70));
	CHECK(bit(s->evtchn_pending, 70));
	CHECK_EQ(vi->evtchn_pending_sel, (xen_ulong_t)1 << (70 / BITS));
	CHECK_EQ(vi->evtchn_upcall_pending, 1);
	/* Already pending: nothing changes, no second kick. */
	CHECK(!evtchn_2l_set_pending(s, vi, 70));
	/* Another port while the upcall is still pending: no kick either. */
	CHECK(!evtchn_2l_set_pending(s, vi, 3));
	CHECK_EQ(vi->evtchn_pending_sel, ((xen_ulong_t)1 << (70 / BITS)) | 1);
	/* The guest consumed everything: a new event kicks again. */
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_pending_sel = 0;
	s->evtchn_pending[0] = s->evtchn_pending[1] = 0;
	CHECK(evtchn_2l_set_pending(s, vi, 3));
}

TEST(masked_port_stays_pending_without_upcall_until_unmasked)
{
	shared_info_t *s = shared();
	struct vcpu_info *vi = &s->vcpu_info[1];
	s->evtchn_mask[0] |= 1ul << 9;
	CHECK(!evtchn_2l_set_pending(s, vi, 9));
	CHECK(bit(s->evtchn_pending, 9));
	CHECK(evtchn_2l_is_pending(s, 9));
	CHECK(evtchn_2l_is_masked(s, 9));
	CHECK_EQ(vi->evtchn_pending_sel, 0);
	CHECK_EQ(vi->evtchn_upcall_pending, 0);
	/* EVTCHNOP_unmask: clears the mask and delivers what is pending. */
	CHECK(evtchn_2l_unmask(s, vi, 9));
	CHECK(!bit(s->evtchn_mask, 9));
	CHECK_EQ(vi->evtchn_pending_sel, 1);
	CHECK_EQ(vi->evtchn_upcall_pending, 1);
	/* Unmasking an unmasked or not-pending port does nothing. */
	CHECK(!evtchn_2l_unmask(s, vi, 9));
	s->evtchn_mask[0] |= 1ul << 10;
	vi->evtchn_upcall_pending = 0;
	CHECK(!evtchn_2l_unmask(s, vi, 10));
	CHECK_EQ(vi->evtchn_upcall_pending, 0);
	evtchn_2l_clear_pending(s, 9);
	CHECK(!evtchn_2l_is_pending(s, 9));
	CHECK(evtchn_2l_is_masked(s, EVTCHN_MAX_PORTS));
	CHECK(!evtchn_2l_is_pending(s, EVTCHN_MAX_PORTS));
}

/* The upcall flag is bit 0 of its byte: Xen only tests that bit. */
TEST(upcall_flag_is_bit_0)
{
	shared_info_t *s = shared();
	struct vcpu_info *vi = &s->vcpu_info[0];
	vi->evtchn_upcall_pending = 2;
	CHECK(evtchn_2l_set_pending(s, vi, 1));
	CHECK_EQ(vi->evtchn_upcall_pending, 3);
}

int main(void)
{
	RUN(port_0_is_reserved_and_reads_closed);
	RUN(ports_exist_by_bucket);
	RUN(free_ports_are_reused_lowest_first_until_the_limit);
	RUN(max_port_limits_allocation);
	RUN(alloc_unbound_resolves_domid_self);
	RUN(interdomain_loopback_and_close);
	RUN(bind_interdomain_errors);
	RUN(virq_binding_rules);
	RUN(ipi_and_bind_vcpu);
	RUN(dom0_boot_ports_close_and_rebind);
	RUN(dom0_binds_and_closes_frontend_ports);
	RUN(set_pending_marks_port_selector_and_upcall_once);
	RUN(masked_port_stays_pending_without_upcall_until_unmasked);
	RUN(upcall_flag_is_bit_0);
	return check_done();
}
