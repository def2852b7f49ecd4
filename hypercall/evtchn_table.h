/* evtchn_table.h — event-channel port state and 2-level pending bits: pure logic, no stub. */
#ifndef STUB_EVTCHN_TABLE_H
#define STUB_EVTCHN_TABLE_H

/*
 * Compiled into the stub and, by #include of evtchn_table.c, into the host
 * unit tests (tests/unit/test_evtchn.c): only freestanding headers and the
 * Xen public headers, no stub state. Results are 0/port or -XEN_E* exactly
 * as Xen 4.17's xen/common/event_channel.c returns them; the caller (the
 * stub's evtchn.c) copies to and from the guest and delivers the events.
 */
#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/event_channel.h>

/* Port states (Xen's ECS_*); only FREE and RESERVED are not "usable". */
enum {
	ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
};

#define EVTCHN_MAX_VCPUS 32             /* XEN_LEGACY_MAX_VCPUS */
#define EVTCHN_MAX_PORTS EVTCHN_2L_NR_CHANNELS  /* 4096 for 64-bit guests, 1024 for 32-bit */
/*
 * Xen allocates port structures in buckets of 64 (a page of 64-byte
 * struct evtchn): ports of a bucket that was ever touched exist (status
 * says "closed"), ports beyond are invalid (-EINVAL).
 */
#define EVTCHN_BUCKET 64
/* The only other domain xenner has: the host's backends play dom0. */
#define EVTCHN_DOM0 0
#define EVTCHN_DOM0_MAX 256             /* dom0 ports that serve us (xenstore, console, devices) */
#define EVTCHN_DOM0_BOOT_MAX 16         /* of which bound at boot */

struct evtchn {
	uint8_t state;                  /* ECS_* */
	uint8_t virq;                   /* ECS_VIRQ */
	uint16_t notify_vcpu;           /* vCPU whose vcpu_info gets the upcall */
	domid_t remote_dom;             /* UNBOUND: who may bind; INTERDOMAIN: the peer */
	uint32_t remote_port;           /* INTERDOMAIN: the peer's port */
};

struct evtchn_table {
	domid_t domid;                  /* ours (DOMID_SELF resolves to it) */
	unsigned nr_vcpus;
	unsigned max_port;              /* highest port the domain may allocate */
	unsigned valid;                 /* ports below this exist (Xen's valid_evtchns) */
	struct evtchn port[EVTCHN_MAX_PORTS];
	uint16_t virq_port[EVTCHN_MAX_VCPUS][NR_VIRQS];        /* 0 = not bound */
	/*
	 * dom0's side, as far as we know it: its ports bound to ours at boot.
	 * local 0: our end was closed, and dom0's port waits (unbound) for us
	 * to bind it again, as on Xen.
	 */
	unsigned nr_dom0;
	struct { uint32_t port, local; } dom0[EVTCHN_DOM0_MAX];
};

/*
 * max_port: the highest port number (EVTCHN_MAX_PORTS - 1 is the 2-level
 * limit; xl's "max_event_channels" default would be 1023). Port 0 is
 * reserved, as on Xen.
 */
void evtchn_table_init(struct evtchn_table *t, domid_t domid, unsigned nr_vcpus,
		       unsigned max_port);

/* Does the port exist (below Xen's valid_evtchns)? */
static inline bool evtchn_port_valid(const struct evtchn_table *t, uint32_t port)
{
	return port < t->valid;
}

/* Xen's evtchn_usable(): bound to something (not free, not the reserved port 0). */
static inline bool evtchn_usable(const struct evtchn *c)
{
	return c->state > ECS_RESERVED;
}

/* Xen's VIRQ_VCPU kind: bound per vCPU, delivered on that vCPU. */
bool evtchn_virq_is_per_vcpu(unsigned virq);

/*
 * Xen's domain lookup (DOMID_SELF or a real id) plus its default XSM
 * policy for an unprivileged domain: 0 for ourselves, -XEN_EPERM for dom0,
 * -XEN_ESRCH for any other id.
 */
int evtchn_domain_check(const struct evtchn_table *t, domid_t dom);

/* The EVTCHNOP_* state changes. Return the new port or -XEN_E*. */
int evtchn_alloc_unbound(struct evtchn_table *t, domid_t dom, domid_t remote_dom);
/*
 * Loopback (remote_dom DOMID_SELF or our own id), or one of dom0's boot
 * ports whose end on our side was closed. The host cannot offer other
 * unbound ports yet. The caller sets the new local port pending, as Xen does.
 */
int evtchn_bind_interdomain(struct evtchn_table *t, domid_t remote_dom, uint32_t remote_port);
int evtchn_bind_virq(struct evtchn_table *t, uint32_t virq, uint32_t vcpu);
/*
 * Boot: our port `port` is bound to dom0's `dom0_port` (the toolstack's
 * xenstore and console channels). 0, -XEN_EBUSY, -XEN_ENOSPC.
 */
int evtchn_bind_dom0_boot(struct evtchn_table *t, uint32_t port, uint32_t dom0_port);
/*
 * dom0 (the host's backends) binds its port dom0_port to our port, which
 * must wait unbound for dom0 (a frontend's EVTCHNOP_alloc_unbound): Xen's
 * bind_interdomain done from dom0's side. -XEN_EINVAL if port is not such
 * a port, -XEN_EBUSY if dom0_port is bound already, -XEN_ENOSPC if dom0
 * has too many ports.
 */
int evtchn_dom0_bind(struct evtchn_table *t, uint32_t port, uint32_t dom0_port);
/*
 * dom0 closes dom0_port: our port bound to it goes back to waiting
 * unbound for dom0, as Xen's evtchn_close does to the remote end.
 * -XEN_EINVAL if dom0 has no such port.
 */
int evtchn_dom0_unbind(struct evtchn_table *t, uint32_t dom0_port);
/* Our port bound to dom0's port, or 0. */
uint32_t evtchn_dom0_peer(const struct evtchn_table *t, uint32_t dom0_port);
int evtchn_bind_ipi(struct evtchn_table *t, uint32_t vcpu);
int evtchn_bind_vcpu(struct evtchn_table *t, uint32_t port, uint32_t vcpu);
/*
 * Free the port (and unbind its peer, VIRQ). *old receives the port's
 * state before the close, for the caller's clean-up (timers, dom0).
 * The caller must clear the port's pending bit (evtchn_2l_clear_pending).
 */
int evtchn_close(struct evtchn_table *t, uint32_t port, struct evtchn *old);
int evtchn_status(const struct evtchn_table *t, struct evtchn_status *st);

/* Where an EVTCHNOP_send on a port goes. */
enum evtchn_send_kind { EVTCHN_SEND_DROP, EVTCHN_SEND_LOCAL, EVTCHN_SEND_DOM0 };
struct evtchn_send_target {
	enum evtchn_send_kind kind;
	uint32_t port;                  /* LOCAL: our port to set pending; DOM0: dom0's port */
	unsigned vcpu;                  /* LOCAL: its notify vCPU */
};
int evtchn_send_target(const struct evtchn_table *t, uint32_t port,
		       struct evtchn_send_target *to);

/*
 * The port a VIRQ raised on vcpu is bound to (0: none) and the vCPU to
 * notify (per-vCPU VIRQs: vcpu itself; global ones: the port's vCPU).
 */
uint32_t evtchn_virq_port(const struct evtchn_table *t, unsigned vcpu, unsigned virq,
			  unsigned *notify_vcpu);

/*
 * The 2-level ABI on the guest's shared_info and vcpu_info, with Xen's
 * atomic bit operations in Xen's order: the guest changes these bits
 * concurrently from its vCPUs. set_pending and unmask return true when
 * the vCPU's evtchn_upcall_pending went from 0 to 1 (Xen's
 * vcpu_mark_events_pending): the caller must then kick that vCPU.
 */
bool evtchn_2l_set_pending(shared_info_t *s, struct vcpu_info *vi, uint32_t port);
void evtchn_2l_clear_pending(shared_info_t *s, uint32_t port);
bool evtchn_2l_unmask(shared_info_t *s, struct vcpu_info *vi, uint32_t port);
bool evtchn_2l_is_pending(const shared_info_t *s, uint32_t port);
bool evtchn_2l_is_masked(const shared_info_t *s, uint32_t port);

#endif
