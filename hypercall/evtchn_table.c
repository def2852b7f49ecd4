/* evtchn_table.c — event-channel port state machine and 2-level bit operations (pure logic). */
#include "evtchn_table.h"

/*
 * Semantics follow Xen 4.17 xen/common/event_channel.c and event_2l.c;
 * see evtchn_table.h for the contract. No locking here: the stub holds
 * its event lock around every table call.
 */

void evtchn_table_init(struct evtchn_table *t, domid_t domid, unsigned nr_vcpus,
		       unsigned max_port)
{
	for (unsigned i = 0; i < EVTCHN_MAX_PORTS; i++)
		t->port[i] = (struct evtchn){ .state = ECS_FREE };
	for (unsigned v = 0; v < EVTCHN_MAX_VCPUS; v++)
		for (unsigned q = 0; q < NR_VIRQS; q++)
			t->virq_port[v][q] = 0;
	t->domid = domid;
	t->nr_vcpus = nr_vcpus < EVTCHN_MAX_VCPUS ? nr_vcpus : EVTCHN_MAX_VCPUS;
	t->max_port = max_port < EVTCHN_MAX_PORTS ? max_port : EVTCHN_MAX_PORTS - 1;
	t->valid = EVTCHN_BUCKET;
	t->port[0].state = ECS_RESERVED;
	t->nr_dom0 = 0;
}

bool evtchn_virq_is_per_vcpu(unsigned virq)
{
	/* Xen 4.17 virq_is_global(): the ARCH VIRQs are global on x86. */
	return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF ||
	       virq == VIRQ_XENPMU;
}

/* Only ourselves and dom0 exist, and we may not act on dom0's behalf. */
int evtchn_domain_check(const struct evtchn_table *t, domid_t dom)
{
	if (dom == DOMID_SELF || dom == t->domid)
		return 0;
	return dom == EVTCHN_DOM0 ? -XEN_EPERM : -XEN_ESRCH;
}

/* get_free_port(): the lowest free port, growing the valid range a bucket at a time. */
static int get_free_port(struct evtchn_table *t)
{
	for (unsigned p = 0; p <= t->max_port; p++) {
		if (p >= t->valid) {
			t->valid += EVTCHN_BUCKET;
			return (int)p;
		}
		if (t->port[p].state == ECS_FREE)
			return (int)p;
	}
	return -XEN_ENOSPC;
}

static bool vcpu_exists(const struct evtchn_table *t, uint32_t vcpu)
{
	return vcpu < t->nr_vcpus;
}

/* Xen's evtchn_allocate_port(): this very port, its bucket made to exist. */
static int allocate_port(struct evtchn_table *t, uint32_t port)
{
	if (port > t->max_port)
		return -XEN_ENOSPC;
	if (port < t->valid)
		return t->port[port].state == ECS_FREE ? 0 : -XEN_EBUSY;
	t->valid = (port / EVTCHN_BUCKET + 1) * EVTCHN_BUCKET;
	return 0;
}

int evtchn_bind_dom0_boot(struct evtchn_table *t, uint32_t port, uint32_t dom0_port)
{
	if (t->nr_dom0 >= EVTCHN_DOM0_MAX)
		return -XEN_ENOSPC;
	int rc = allocate_port(t, port);
	if (rc)
		return rc;
	t->port[port] = (struct evtchn){
		.state = ECS_INTERDOMAIN, .remote_dom = EVTCHN_DOM0, .remote_port = dom0_port,
	};
	t->dom0[t->nr_dom0].port = dom0_port;
	t->dom0[t->nr_dom0++].local = port;
	return 0;
}

uint32_t evtchn_dom0_peer(const struct evtchn_table *t, uint32_t dom0_port)
{
	for (unsigned i = 0; i < t->nr_dom0; i++)
		if (t->dom0[i].port == dom0_port)
			return t->dom0[i].local;
	return 0;
}

int evtchn_dom0_bind(struct evtchn_table *t, uint32_t port, uint32_t dom0_port)
{
	if (!evtchn_port_valid(t, port) || t->port[port].state != ECS_UNBOUND ||
	    t->port[port].remote_dom != EVTCHN_DOM0)
		return -XEN_EINVAL;
	for (unsigned i = 0; i < t->nr_dom0; i++)
		if (t->dom0[i].port == dom0_port)
			return -XEN_EBUSY;
	if (t->nr_dom0 >= EVTCHN_DOM0_MAX)
		return -XEN_ENOSPC;
	t->port[port].state = ECS_INTERDOMAIN;
	t->port[port].remote_port = dom0_port;
	t->dom0[t->nr_dom0].port = dom0_port;
	t->dom0[t->nr_dom0++].local = port;
	return 0;
}

int evtchn_dom0_unbind(struct evtchn_table *t, uint32_t dom0_port)
{
	for (unsigned i = 0; i < t->nr_dom0; i++) {
		if (t->dom0[i].port != dom0_port)
			continue;
		uint32_t local = t->dom0[i].local;
		if (local) {
			struct evtchn *c = &t->port[local];
			c->state = ECS_UNBOUND;
			c->remote_dom = EVTCHN_DOM0;
			c->remote_port = 0;
		}
		t->dom0[i] = t->dom0[--t->nr_dom0];
		return 0;
	}
	return -XEN_EINVAL;
}

/* The index of dom0's port in t->dom0, or -1. */
static int dom0_index(const struct evtchn_table *t, uint32_t dom0_port)
{
	for (unsigned i = 0; i < t->nr_dom0; i++)
		if (t->dom0[i].port == dom0_port)
			return (int)i;
	return -1;
}

int evtchn_alloc_unbound(struct evtchn_table *t, domid_t dom, domid_t remote_dom)
{
	int rc = evtchn_domain_check(t, dom);
	if (rc)
		return rc;
	int port = get_free_port(t);
	if (port < 0)
		return port;
	t->port[port] = (struct evtchn){
		.state = ECS_UNBOUND,
		.remote_dom = remote_dom == DOMID_SELF ? t->domid : remote_dom,
	};
	return port;
}

int evtchn_bind_interdomain(struct evtchn_table *t, domid_t remote_dom, uint32_t remote_port)
{
	if (remote_dom != DOMID_SELF && remote_dom != t->domid && remote_dom != EVTCHN_DOM0)
		return -XEN_ESRCH;
	int lport = get_free_port(t);
	if (lport < 0)
		return lport;
	if (remote_dom == EVTCHN_DOM0) {
		/* Only a boot port of dom0's whose end on our side was closed waits for us. */
		int i = dom0_index(t, remote_port);
		if (i < 0 || t->dom0[i].local)
			return -XEN_EINVAL;
		t->dom0[i].local = (uint32_t)lport;
		t->port[lport] = (struct evtchn){
			.state = ECS_INTERDOMAIN, .remote_dom = EVTCHN_DOM0,
			.remote_port = remote_port,
		};
		return lport;
	}
	if (!evtchn_port_valid(t, remote_port))
		return -XEN_EINVAL;
	struct evtchn *r = &t->port[remote_port];
	if (r->state != ECS_UNBOUND || r->remote_dom != t->domid)
		return -XEN_EINVAL;     /* also catches remote_port == lport (still free) */
	t->port[lport] = (struct evtchn){
		.state = ECS_INTERDOMAIN, .remote_dom = t->domid, .remote_port = remote_port,
	};
	r->state = ECS_INTERDOMAIN;
	r->remote_dom = t->domid;
	r->remote_port = (uint32_t)lport;
	return lport;
}

int evtchn_bind_virq(struct evtchn_table *t, uint32_t virq, uint32_t vcpu)
{
	if (virq >= NR_VIRQS)
		return -XEN_EINVAL;
	if (!evtchn_virq_is_per_vcpu(virq) && vcpu != 0)
		return -XEN_EINVAL;
	if (!vcpu_exists(t, vcpu))
		return -XEN_ENOENT;
	if (t->virq_port[vcpu][virq])
		return -XEN_EEXIST;
	int port = get_free_port(t);
	if (port < 0)
		return port;
	t->port[port] = (struct evtchn){
		.state = ECS_VIRQ, .virq = (uint8_t)virq, .notify_vcpu = (uint16_t)vcpu,
	};
	t->virq_port[vcpu][virq] = (uint16_t)port;
	return port;
}

int evtchn_bind_ipi(struct evtchn_table *t, uint32_t vcpu)
{
	if (!vcpu_exists(t, vcpu))
		return -XEN_ENOENT;
	int port = get_free_port(t);
	if (port < 0)
		return port;
	t->port[port] = (struct evtchn){ .state = ECS_IPI, .notify_vcpu = (uint16_t)vcpu };
	return port;
}

int evtchn_bind_vcpu(struct evtchn_table *t, uint32_t port, uint32_t vcpu)
{
	if (!vcpu_exists(t, vcpu))
		return -XEN_ENOENT;
	if (!evtchn_port_valid(t, port))
		return -XEN_EINVAL;
	struct evtchn *c = &t->port[port];
	switch (c->state) {
	case ECS_VIRQ:
		if (evtchn_virq_is_per_vcpu(c->virq))
			return -XEN_EINVAL;
		break;
	case ECS_UNBOUND:
	case ECS_INTERDOMAIN:
		break;
	default:
		return -XEN_EINVAL;
	}
	c->notify_vcpu = (uint16_t)vcpu;
	return 0;
}

int evtchn_close(struct evtchn_table *t, uint32_t port, struct evtchn *old)
{
	if (!evtchn_port_valid(t, port))
		return -XEN_EINVAL;
	struct evtchn *c = &t->port[port];
	*old = *c;
	switch (c->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		return -XEN_EINVAL;
	case ECS_VIRQ: {
		unsigned v = evtchn_virq_is_per_vcpu(c->virq) ? c->notify_vcpu : 0;
		t->virq_port[v][c->virq] = 0;
		break;
	}
	case ECS_INTERDOMAIN:
		if (c->remote_dom == EVTCHN_DOM0) {
			/* dom0's end now waits for us again. */
			int i = dom0_index(t, c->remote_port);
			if (i >= 0 && t->dom0[i].local == port)
				t->dom0[i].local = 0;
		} else if (c->remote_dom == t->domid && c->remote_port != port) {
			/* Loopback: the peer goes back to waiting for us. */
			struct evtchn *r = &t->port[c->remote_port];
			r->state = ECS_UNBOUND;
			r->remote_dom = t->domid;
			r->remote_port = 0;
		}
		break;
	default:
		break;
	}
	/* Xen's evtchn_free(): a freed port notifies vCPU 0 again. */
	*c = (struct evtchn){ .state = ECS_FREE };
	return 0;
}

int evtchn_status(const struct evtchn_table *t, struct evtchn_status *st)
{
	int rc = evtchn_domain_check(t, st->dom);
	if (rc)
		return rc;
	if (!evtchn_port_valid(t, st->port))
		return -XEN_EINVAL;
	const struct evtchn *c = &t->port[st->port];
	switch (c->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		st->status = EVTCHNSTAT_closed;
		break;
	case ECS_UNBOUND:
		st->status = EVTCHNSTAT_unbound;
		st->u.unbound.dom = c->remote_dom;
		break;
	case ECS_INTERDOMAIN:
		st->status = EVTCHNSTAT_interdomain;
		st->u.interdomain.dom = c->remote_dom;
		st->u.interdomain.port = c->remote_port;
		break;
	case ECS_VIRQ:
		st->status = EVTCHNSTAT_virq;
		st->u.virq = c->virq;
		break;
	case ECS_IPI:
		st->status = EVTCHNSTAT_ipi;
		break;
	default:
		st->status = EVTCHNSTAT_closed;
		break;
	}
	st->vcpu = c->notify_vcpu;
	return 0;
}

int evtchn_send_target(const struct evtchn_table *t, uint32_t port,
		       struct evtchn_send_target *to)
{
	if (!evtchn_port_valid(t, port))
		return -XEN_EINVAL;
	const struct evtchn *c = &t->port[port];
	switch (c->state) {
	case ECS_INTERDOMAIN:
		if (c->remote_dom == EVTCHN_DOM0) {
			*to = (struct evtchn_send_target){ EVTCHN_SEND_DOM0, c->remote_port, 0 };
		} else {
			const struct evtchn *r = &t->port[c->remote_port];
			*to = (struct evtchn_send_target){ EVTCHN_SEND_LOCAL, c->remote_port,
							   r->notify_vcpu };
		}
		return 0;
	case ECS_IPI:
		*to = (struct evtchn_send_target){ EVTCHN_SEND_LOCAL, port, c->notify_vcpu };
		return 0;
	case ECS_UNBOUND:
		/* Nobody listens yet: Xen drops the notification silently. */
		*to = (struct evtchn_send_target){ EVTCHN_SEND_DROP, 0, 0 };
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

uint32_t evtchn_virq_port(const struct evtchn_table *t, unsigned vcpu, unsigned virq,
			  unsigned *notify_vcpu)
{
	if (virq >= NR_VIRQS || vcpu >= EVTCHN_MAX_VCPUS)
		return 0;
	if (!evtchn_virq_is_per_vcpu(virq))
		vcpu = 0;
	uint32_t port = t->virq_port[vcpu][virq];
	*notify_vcpu = port ? t->port[port].notify_vcpu : vcpu;
	return port;
}

/* ---- 2-level ABI bits (Xen's event_2l.c) ---- */

#define EVTCHN_WORD_BITS (sizeof(xen_ulong_t) * 8)

static inline xen_ulong_t bit_mask(uint32_t bit)
{
	return (xen_ulong_t)1 << (bit % EVTCHN_WORD_BITS);
}

static inline bool test_and_set(xen_ulong_t *words, uint32_t bit)
{
	xen_ulong_t m = bit_mask(bit);
	return __atomic_fetch_or(&words[bit / EVTCHN_WORD_BITS], m, __ATOMIC_SEQ_CST) & m;
}

static inline bool test_and_clear(xen_ulong_t *words, uint32_t bit)
{
	xen_ulong_t m = bit_mask(bit);
	return __atomic_fetch_and(&words[bit / EVTCHN_WORD_BITS], ~m, __ATOMIC_SEQ_CST) & m;
}

static inline bool test(const xen_ulong_t *words, uint32_t bit)
{
	return __atomic_load_n(&words[bit / EVTCHN_WORD_BITS], __ATOMIC_SEQ_CST) & bit_mask(bit);
}

/* vcpu_mark_events_pending(): true if the upcall flag was clear (the vCPU needs a kick). */
static bool mark_events_pending(struct vcpu_info *vi)
{
	return !(__atomic_fetch_or(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) & 1);
}

bool evtchn_2l_set_pending(shared_info_t *s, struct vcpu_info *vi, uint32_t port)
{
	if (test_and_set(s->evtchn_pending, port))
		return false;
	if (!test(s->evtchn_mask, port) &&
	    !test_and_set(&vi->evtchn_pending_sel, port / EVTCHN_WORD_BITS))
		return mark_events_pending(vi);
	return false;
}

void evtchn_2l_clear_pending(shared_info_t *s, uint32_t port)
{
	test_and_clear(s->evtchn_pending, port);
}

bool evtchn_2l_unmask(shared_info_t *s, struct vcpu_info *vi, uint32_t port)
{
	if (test_and_clear(s->evtchn_mask, port) && test(s->evtchn_pending, port) &&
	    !test_and_set(&vi->evtchn_pending_sel, port / EVTCHN_WORD_BITS))
		return mark_events_pending(vi);
	return false;
}

bool evtchn_2l_is_pending(const shared_info_t *s, uint32_t port)
{
	return port < EVTCHN_MAX_PORTS && test(s->evtchn_pending, port);
}

bool evtchn_2l_is_masked(const shared_info_t *s, uint32_t port)
{
	return port >= EVTCHN_MAX_PORTS || test(s->evtchn_mask, port);
}
