/* frontends — a hostile blkfront and netfront: malformed requests get errors, good ones still work. */
#include "guest.h"
#include "mmu.h"
#include "events.h"
#include <xen/grant_table.h>
#include <xen/event_channel.h>
#include <xen/io/xs_wire.h>
/* What xen/io/ring.h expects the includer to provide. */
#define xen_mb()  __sync_synchronize()
#define xen_rmb() __sync_synchronize()
#define xen_wmb() __sync_synchronize()
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

const char guest_name[] = "frontends";

/*
 * Run with --disk IMAGE,xvda,w (at least 1 MiB) and --nic vifname=...: the
 * guest is its own frontend, written the way a buggy or malicious kernel
 * could write one. It talks to xenstore over the ring in start_info, grants
 * its pages in its grant table, binds the backends' event channels, then
 * puts malformed requests on the blkif and netif rings. Each must come back
 * with the error Linux's backends give (BLKIF_RSP_ERROR / EOPNOTSUPP,
 * NETIF_RSP_ERROR) and the right id, well-formed requests around them must
 * still work, and the backends must give every grant back.
 */

#define TIMEOUT_NS (20ull * 1000 * 1000 * 1000)
#define BLK_FE "device/vbd/51712"
#define NET_FE "device/vif/0"

static uint8_t gnt_window[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint8_t blk_ring[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint8_t data[4][GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint8_t tx_ring[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint8_t rx_ring[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static grant_entry_v1_t *gt = (grant_entry_v1_t *)gnt_window;
static struct xenstore_domain_interface *xs;

static long evop(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

static void notify(evtchn_port_t p)
{
	struct evtchn_send s = { .port = p };
	evop(EVTCHNOP_send, &s);
}

static void yield(void)
{
	HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/* ---- xenstore over the ring ---- */

static bool xs_io(const void *src, void *dst, size_t len, bool out)
{
	uint64_t end = system_time() + TIMEOUT_NS;
	size_t done = 0;
	while (done < len) {
		if (system_time() > end)
			return false;
		if (out) {
			XENSTORE_RING_IDX prod = xs->req_prod, cons = xs->req_cons;
			__sync_synchronize();
			if (prod - cons >= XENSTORE_RING_SIZE) {
				notify(start_info->store_evtchn);
				yield();
				continue;
			}
			xs->req[MASK_XENSTORE_IDX(prod)] = ((const char *)src)[done++];
			__sync_synchronize();
			xs->req_prod = prod + 1;
		} else {
			XENSTORE_RING_IDX prod = xs->rsp_prod, cons = xs->rsp_cons;
			__sync_synchronize();
			if (prod == cons) {
				notify(start_info->store_evtchn);
				yield();
				continue;
			}
			((char *)dst)[done++] = xs->rsp[MASK_XENSTORE_IDX(cons)];
			__sync_synchronize();
			xs->rsp_cons = cons + 1;
		}
	}
	if (out)
		notify(start_info->store_evtchn);
	return true;
}

/* One request; the reply payload (NUL-terminated) in reply, its type returned (0: no reply). */
static uint32_t xs_call(uint32_t type, const char *a, const char *b, char *reply, size_t cap)
{
	static uint32_t req_id;
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
	struct xsd_sockmsg h = { .type = type, .req_id = ++req_id, .len = (uint32_t)(la + lb) };
	if (!xs_io(&h, NULL, sizeof(h), true) || !xs_io(a, NULL, la, true) || (lb && !xs_io(b, NULL, lb, true)))
		return 0;
	struct xsd_sockmsg r;
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	if (!xs_io(NULL, &r, sizeof(r), false) || r.len > XENSTORE_PAYLOAD_MAX ||
	    !xs_io(NULL, buf, r.len, false))
		return 0;
	buf[r.len] = '\0';
	if (reply) {
		size_t n = r.len < cap - 1 ? r.len : cap - 1;
		memcpy(reply, buf, n);
		reply[n] = '\0';
	}
	return r.type;
}

static bool xs_write(const char *path, const char *val)
{
	return xs_call(XS_WRITE, path, val, NULL, 0) == XS_WRITE;
}

static bool xs_read(const char *path, char *buf, size_t cap)
{
	return xs_call(XS_READ, path, NULL, buf, cap) == XS_READ;
}

static bool xs_printf(const char *dir, const char *key, unsigned long v)
{
	char path[128], val[32];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	snprintf(val, sizeof(val), "%lu", v);
	return xs_write(path, val);
}

static unsigned long to_ul(const char *s)
{
	unsigned long v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	return v;
}

/* Wait for the backend's state; true if it got there. */
static bool wait_backend(const char *be, int state)
{
	char path[128], v[16];
	snprintf(path, sizeof(path), "%s/state", be);
	uint64_t end = system_time() + TIMEOUT_NS;
	while (system_time() < end) {
		if (xs_read(path, v, sizeof(v)) && to_ul(v) == (unsigned long)state)
			return true;
		yield();
	}
	return false;
}

static void set_state(const char *fe, int state)
{
	xs_printf(fe, "state", (unsigned long)state);
}

/* ---- grants and event channels ---- */

static void grant(grant_ref_t ref, const void *page, domid_t dom, bool readonly)
{
	gt[ref].frame = (uint32_t)virt_to_mfn(page);
	gt[ref].domid = dom;
	__sync_synchronize();
	gt[ref].flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
}

static long alloc_unbound_for_dom0(void)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = 0 };
	long rc = evop(EVTCHNOP_alloc_unbound, &a);
	return rc ? rc : (long)a.port;
}

static bool setup_grant_table(void)
{
	xen_pfn_t frame;
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	set_xen_guest_handle(st.frame_list, &frame);
	if (!check_rc("grant_table_op(setup_table)", HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), 0) ||
	    !check_eq("  status", (uint16_t)st.status, GNTST_okay))
		return false;
	return check_rc("map grant frame 0",
			HYPERVISOR_update_va_mapping((unsigned long)gnt_window,
						     make_pte(frame, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D),
						     UVMF_INVLPG), 0);
}

/* ---- blkif ---- */

static blkif_front_ring_t blk;
static evtchn_port_t blk_port;

/* Put one request, wait for its response; the status (99: none came). */
static int16_t blk_submit(const blkif_request_t *r, uint64_t *id, uint8_t *op)
{
	*RING_GET_REQUEST(&blk, blk.req_prod_pvt) = *r;
	blk.req_prod_pvt++;
	RING_PUSH_REQUESTS(&blk);
	notify(blk_port);
	uint64_t end = system_time() + TIMEOUT_NS;
	while (blk.sring->rsp_prod == blk.rsp_cons) {
		if (system_time() > end)
			return 99;
		yield();
	}
	__sync_synchronize();
	blkif_response_t rsp = *RING_GET_RESPONSE(&blk, blk.rsp_cons);
	blk.rsp_cons++;
	if (id)
		*id = rsp.id;
	if (op)
		*op = rsp.operation;
	return rsp.status;
}

static blkif_request_t rw(uint8_t op, uint64_t id, uint64_t sector, grant_ref_t ref, uint8_t first, uint8_t last)
{
	blkif_request_t r = { .operation = op, .nr_segments = 1, .handle = 51712, .id = id,
			      .sector_number = sector };
	r.seg[0] = (struct blkif_request_segment){ .gref = ref, .first_sect = first, .last_sect = last };
	return r;
}

static void blk_test(void)
{
	char be[128], v[64];
	printf("blkif\n");
	if (!check(xs_read(BLK_FE "/backend", be, sizeof(be)), "read " BLK_FE "/backend") ||
	    !check(wait_backend(be, XenbusStateInitWait), "blkback waits (InitWait)"))
		return;
	grant(8, blk_ring, 0, false);
	SHARED_RING_INIT((blkif_sring_t *)blk_ring);
	FRONT_RING_INIT(&blk, (blkif_sring_t *)blk_ring, GUEST_PAGE_SIZE);
	long port = alloc_unbound_for_dom0();
	if (!check(port > 0, "alloc_unbound for dom0: %ld", port))
		return;
	blk_port = (evtchn_port_t)port;
	xs_printf(BLK_FE, "ring-ref", 8);
	xs_printf(BLK_FE, "event-channel", blk_port);
	xs_write(BLK_FE "/protocol", XEN_IO_PROTO_ABI_NATIVE);
	set_state(BLK_FE, XenbusStateInitialised);
	if (!check(wait_backend(be, XenbusStateConnected), "blkback connects"))
		return;
	char path[160];
	snprintf(path, sizeof(path), "%s/sectors", be);
	unsigned long sectors = xs_read(path, v, sizeof(v)) ? to_ul(v) : 0;
	check(sectors >= 2048, "the disk has %lu sectors", sectors);

	grant(9, data[0], 0, false);
	grant(10, data[1], 0, false);
	grant(11, data[2], 0, true);            /* read-only: the backend may not write into it */
	grant(12, data[3], 5, false);           /* granted to another domain */
	uint64_t id;
	uint8_t op;
	blkif_request_t r;
	r = rw(BLKIF_OP_READ, 101, 0, 4000, 0, 7);
	check_eq("read into an unknown grant ref: error", (uint16_t)blk_submit(&r, &id, &op), (uint16_t)BLKIF_RSP_ERROR);
	check_eq("  the response has its id", id, 101);
	check_eq("  and its operation", op, BLKIF_OP_READ);
	r = rw(BLKIF_OP_READ, 102, 0, 11, 0, 7);
	check_eq("read into a read-only grant: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 103, 0, 12, 0, 7);
	check_eq("read into a grant for domain 5: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 104, sectors, 9, 0, 0);
	check_eq("read past the end of the disk: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 105, ~0ull, 9, 0, 7);
	check_eq("read at sector 2^64-1: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 106, 0, 9, 6, 2);
	check_eq("segment with first_sect > last_sect: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 107, 0, 9, 0, 8);
	check_eq("segment ending at sector 8 of a page: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 108, 0, 9, 0, 7);
	r.nr_segments = 12;
	check_eq("12 segments: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_RESERVED_1, 109, 0, 9, 0, 7);
	check_eq("operation 4: not supported", (uint16_t)blk_submit(&r, &id, &op), (uint16_t)BLKIF_RSP_EOPNOTSUPP);
	check_eq("  the response has its id", id, 109);
	r = rw(200, 110, 0, 9, 0, 7);
	check_eq("operation 200: not supported", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_EOPNOTSUPP);
	blkif_request_indirect_t ind = { .operation = BLKIF_OP_INDIRECT, .indirect_op = BLKIF_OP_READ,
					 .nr_segments = 4, .id = 111, .sector_number = 0, .handle = 51712,
					 .indirect_grefs = { 4001 } };
	memcpy(&r, &ind, sizeof(ind));
	check_eq("indirect request with an unknown page: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);
	ind.indirect_op = BLKIF_OP_DISCARD;
	ind.indirect_grefs[0] = 9;
	memcpy(&r, &ind, sizeof(ind));
	check_eq("indirect discard: error", (uint16_t)blk_submit(&r, NULL, NULL), (uint16_t)BLKIF_RSP_ERROR);

	/* Well-formed requests still work, and read back what was written. */
	for (unsigned i = 0; i < GUEST_PAGE_SIZE; i++)
		data[0][i] = (uint8_t)(i * 7 + 3);
	memset(data[1], 0, GUEST_PAGE_SIZE);
	r = rw(BLKIF_OP_WRITE, 120, 64, 9, 0, 7);
	check_eq("write 8 sectors at sector 64", (uint16_t)blk_submit(&r, NULL, NULL), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 121, 0, 0, 0, 0);
	r.nr_segments = 0;
	check_eq("flush", (uint16_t)blk_submit(&r, NULL, NULL), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_READ, 122, 64, 10, 0, 7);
	check_eq("read them back", (uint16_t)blk_submit(&r, NULL, NULL), BLKIF_RSP_OKAY);
	check(!memcmp(data[0], data[1], GUEST_PAGE_SIZE), "  the data read back is the data written");
	for (grant_ref_t g = 9; g <= 12; g++)
		check_eq("  grant given back (no GTF_reading/GTF_writing)", gt[g].flags & (GTF_reading | GTF_writing), 0);

	set_state(BLK_FE, XenbusStateClosing);
	check(wait_backend(be, XenbusStateClosing), "blkback closes");
	set_state(BLK_FE, XenbusStateClosed);
	check(wait_backend(be, XenbusStateClosed), "blkback closed");
	check_eq("  the ring's grant given back", gt[8].flags & (GTF_reading | GTF_writing), 0);
}

/* ---- netif ---- */

static netif_tx_front_ring_t tx;
static evtchn_port_t net_port;

/* Put slots on the TX ring, wait for as many responses; their statuses in st[]. */
static bool tx_submit(const netif_tx_request_t *slots, unsigned n, int16_t *st, uint16_t *ids)
{
	for (unsigned i = 0; i < n; i++)
		*RING_GET_REQUEST(&tx, tx.req_prod_pvt++) = slots[i];
	RING_PUSH_REQUESTS(&tx);
	notify(net_port);
	uint64_t end = system_time() + TIMEOUT_NS;
	while ((RING_IDX)(tx.sring->rsp_prod - tx.rsp_cons) < n) {
		if (system_time() > end)
			return false;
		yield();
	}
	__sync_synchronize();
	for (unsigned i = 0; i < n; i++) {
		netif_tx_response_t *r = RING_GET_RESPONSE(&tx, tx.rsp_cons++);
		st[i] = r->status;
		ids[i] = r->id;
	}
	return true;
}

static void net_test(void)
{
	char be[128];
	printf("netif\n");
	if (!check(xs_read(NET_FE "/backend", be, sizeof(be)), "read " NET_FE "/backend") ||
	    !check(wait_backend(be, XenbusStateInitWait), "netback waits (InitWait)"))
		return;
	grant(20, tx_ring, 0, false);
	grant(21, rx_ring, 0, false);
	SHARED_RING_INIT((netif_tx_sring_t *)tx_ring);
	SHARED_RING_INIT((netif_rx_sring_t *)rx_ring);
	FRONT_RING_INIT(&tx, (netif_tx_sring_t *)tx_ring, GUEST_PAGE_SIZE);
	long port = alloc_unbound_for_dom0();
	if (!check(port > 0, "alloc_unbound for dom0: %ld", port))
		return;
	net_port = (evtchn_port_t)port;
	xs_printf(NET_FE, "tx-ring-ref", 20);
	xs_printf(NET_FE, "rx-ring-ref", 21);
	xs_printf(NET_FE, "event-channel", net_port);
	xs_write(NET_FE "/request-rx-copy", "1");
	xs_write(NET_FE "/feature-rx-notify", "1");
	xs_write(NET_FE "/feature-sg", "1");
	set_state(NET_FE, XenbusStateConnected);
	if (!check(wait_backend(be, XenbusStateConnected), "netback connects"))
		return;

	/* A broadcast frame in data[0] (granted read-only this time). */
	memset(data[0], 0xff, 6);
	memset(data[0] + 6, 0x02, 6);
	data[0][12] = 0x88;
	data[0][13] = 0xb5;                     /* local experimental ethertype */
	grant(30, data[0], 0, true);
	int16_t st[4];
	uint16_t ids[4];
	netif_tx_request_t s[2] = { { .gref = 30, .offset = 0, .flags = 0, .id = 1, .size = 10 } };
	check(tx_submit(s, 1, st, ids), "TX answered");
	check_eq("10-byte frame (shorter than Ethernet's header): error", (uint16_t)st[0], (uint16_t)NETIF_RSP_ERROR);
	check_eq("  with its id", ids[0], 1);
	s[0] = (netif_tx_request_t){ .gref = 4000, .offset = 0, .flags = 0, .id = 2, .size = 60 };
	check(tx_submit(s, 1, st, ids), "TX answered");
	check_eq("frame in an unknown grant: error", (uint16_t)st[0], (uint16_t)NETIF_RSP_ERROR);
	s[0] = (netif_tx_request_t){ .gref = 30, .offset = 4000, .flags = 0, .id = 3, .size = 200 };
	check(tx_submit(s, 1, st, ids), "TX answered");
	check_eq("frame crossing its page: error", (uint16_t)st[0], (uint16_t)NETIF_RSP_ERROR);
	s[0] = (netif_tx_request_t){ .gref = 30, .offset = 0, .flags = NETTXF_more_data, .id = 4, .size = 100 };
	s[1] = (netif_tx_request_t){ .gref = 30, .offset = 0, .flags = 0, .id = 5, .size = 300 };
	check(tx_submit(s, 2, st, ids), "TX answered");
	check_eq("fragment bigger than its packet: error", (uint16_t)st[0], (uint16_t)NETIF_RSP_ERROR);
	check_eq("  on both slots", (uint16_t)st[1], (uint16_t)NETIF_RSP_ERROR);
	check_eq("  with their ids", ids[1], 5);
	s[0] = (netif_tx_request_t){ .gref = 30, .offset = 0, .flags = NETTXF_csum_blank, .id = 6, .size = 60 };
	check(tx_submit(s, 1, st, ids), "TX answered");
	check_eq("checksum offload asked for a frame that is not TCP/UDP: error", (uint16_t)st[0],
		 (uint16_t)NETIF_RSP_ERROR);
	s[0] = (netif_tx_request_t){ .gref = 30, .offset = 0, .flags = 0, .id = 7, .size = 60 };
	check(tx_submit(s, 1, st, ids), "TX answered");
	check_eq("a well-formed 60-byte frame: sent", (uint16_t)st[0], NETIF_RSP_OKAY);
	check_eq("  with its id", ids[0], 7);
	check_eq("  grant given back", gt[30].flags & (GTF_reading | GTF_writing), 0);

	set_state(NET_FE, XenbusStateClosing);
	check(wait_backend(be, XenbusStateClosing), "netback closes");
	set_state(NET_FE, XenbusStateClosed);
	check(wait_backend(be, XenbusStateClosed), "netback closed");
	check_eq("  the rings' grants given back", (gt[20].flags | gt[21].flags) & (GTF_reading | GTF_writing), 0);
}

void guest_main(void)
{
	struct boot_region region;
	if (!check(events_init(), "events_init") || !check(boot_region_init(&region), "boot region"))
		return;
	xs = boot_mfn_to_virt(&region, start_info->store_mfn);
	if (!check(xs != NULL, "the xenstore page is in the boot region") || !setup_grant_table())
		return;
	blk_test();
	net_test();
}
