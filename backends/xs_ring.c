/* xs_ring.c — the guest side of xenstore: requests off the shared ring page, replies and watch events back. */
#include "backends/xs_ring.h"

#include <errno.h>
#include <string.h>

/*
 * The page is docs/misc/xenstore-ring.txt: two byte streams with
 * free-running 32-bit indices. The guest owns req_prod and rsp_cons; we own
 * req_cons and rsp_prod, keep them here and only ever write them to the
 * page, so a guest scribbling on them cannot make us read or write outside
 * the ring. Every guest index is read once per step and checked:
 * prod - cons > XENSTORE_RING_SIZE kills the ring (XENSTORE_ERROR_RINGIDX),
 * a header with len > XENSTORE_PAYLOAD_MAX too (XENSTORE_ERROR_PROTO), as
 * xenstored's readchn()/handle_input() do.
 *
 * Ordering (xenstored uses full barriers; acquire/release is what each
 * step needs): load-acquire of req_prod before reading request bytes,
 * store-release of req_cons after them; load-acquire of rsp_cons before
 * overwriting reply slots, store-release of rsp_prod after filling them.
 */

#define HDR_LEN ((uint32_t)sizeof(struct xsd_sockmsg))

static XENSTORE_RING_IDX load_acquire(const XENSTORE_RING_IDX *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(XENSTORE_RING_IDX *p, XENSTORE_RING_IDX v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Stop serving the ring: tell the guest why, drop what is buffered. */
static void ring_fail(struct xs_ring *r, uint32_t err)
{
	r->error = err;
	__atomic_store_n(&r->intf->error, err, __ATOMIC_RELEASE);
	r->in_used = 0;
	r->out_head = r->out_len = 0;
	r->reset_pending = true;        /* may be inside an engine call: reset the connection later */
	r->notify = true;
}

/* Move queued output into the response ring as far as it has room. */
static void flush_output(struct xs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	XENSTORE_RING_IDX cons, used;
	uint32_t n, off, first;

	if (r->error || !r->out_len)
		return;
	cons = load_acquire(&intf->rsp_cons);
	used = r->rsp_prod - cons;
	if (used > XENSTORE_RING_SIZE) {
		ring_fail(r, XENSTORE_ERROR_RINGIDX);
		return;
	}
	n = XENSTORE_RING_SIZE - used;
	if (n > r->out_len)
		n = r->out_len;
	if (!n)
		return;
	off = MASK_XENSTORE_IDX(r->rsp_prod);
	first = n < XENSTORE_RING_SIZE - off ? n : XENSTORE_RING_SIZE - off;
	memcpy(intf->rsp + off, r->out + r->out_head, first);
	memcpy(intf->rsp, r->out + r->out_head + first, n - first);
	r->rsp_prod += n;
	store_release(&intf->rsp_prod, r->rsp_prod);
	r->out_head += n;
	r->out_len -= n;
	if (!r->out_len)
		r->out_head = 0;
	r->notify = true;
}

/* The engine's output function for this connection: queue, push what fits. */
static void ring_output(void *opaque, const struct xsd_sockmsg *hdr, const void *payload)
{
	struct xs_ring *r = opaque;
	uint32_t n = HDR_LEN + hdr->len;
	uint32_t limit = hdr->type == XS_WATCH_EVENT ? XS_RING_OUT_MAX : sizeof(r->out);

	if (r->error)
		return;
	if (hdr->len > XENSTORE_PAYLOAD_MAX || r->out_len + n > limit) {
		r->dropped_events++;
		return;
	}
	if (r->out_head + r->out_len + n > sizeof(r->out)) {
		memmove(r->out, r->out + r->out_head, r->out_len);
		r->out_head = 0;
	}
	memcpy(r->out + r->out_head + r->out_len, hdr, HDR_LEN);
	if (hdr->len)
		memcpy(r->out + r->out_head + r->out_len + HDR_LEN, payload, hdr->len);
	r->out_len += n;
	flush_output(r);
	if (!r->in_process && r->notify && r->kick) {
		r->notify = false;
		r->kick(r->kick_opaque);
	}
}

/* Copy up to want request bytes to dst. Returns how many, or -1 if the ring is dead. */
static int read_bytes(struct xs_ring *r, void *dst, uint32_t want)
{
	struct xenstore_domain_interface *intf = r->intf;
	XENSTORE_RING_IDX prod = load_acquire(&intf->req_prod);
	XENSTORE_RING_IDX avail = prod - r->req_cons;
	uint32_t n, off, first;

	if (avail > XENSTORE_RING_SIZE) {
		ring_fail(r, XENSTORE_ERROR_RINGIDX);
		return -1;
	}
	n = avail < want ? avail : want;
	if (!n)
		return 0;
	off = MASK_XENSTORE_IDX(r->req_cons);
	first = n < XENSTORE_RING_SIZE - off ? n : XENSTORE_RING_SIZE - off;
	memcpy(dst, intf->req + off, first);
	memcpy((char *)dst + first, intf->req, n - first);
	r->req_cons += n;
	store_release(&intf->req_cons, r->req_cons);
	r->notify = true;               /* the guest may be waiting for room */
	return (int)n;
}

/* Read on until one whole request is in; run it. False when the ring has no more for now. */
static bool read_request(struct xs_ring *r)
{
	for (;;) {
		uint32_t want;
		void *dst;
		int n;

		if (r->in_used >= HDR_LEN && r->in_used == HDR_LEN + r->hdr.len) {
			r->in_used = 0;
			if (xs_handle_message(r->store, r->conn, &r->hdr, r->in) < 0)
				ring_fail(r, XENSTORE_ERROR_PROTO);
			return !r->error;
		}
		if (r->in_used < HDR_LEN) {
			want = HDR_LEN - r->in_used;
			dst = (char *)&r->hdr + r->in_used;
		} else {
			want = HDR_LEN + r->hdr.len - r->in_used;
			dst = r->in + (r->in_used - HDR_LEN);
		}
		n = read_bytes(r, dst, want);
		if (n <= 0)
			return false;
		r->in_used += (uint32_t)n;
		if (r->in_used == HDR_LEN && r->hdr.len > XENSTORE_PAYLOAD_MAX) {
			ring_fail(r, XENSTORE_ERROR_PROTO);
			return false;
		}
	}
}

/* The guest asked for a fresh ring (xenstore-ring.txt, "The ring reconnection feature"). */
static void reconnect(struct xs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;

	xs_conn_reset(r->conn);
	r->reset_pending = false;
	r->in_used = 0;
	r->out_head = r->out_len = 0;
	r->req_cons = r->rsp_prod = 0;
	intf->req_cons = intf->req_prod = 0;
	intf->rsp_cons = intf->rsp_prod = 0;
	r->error = 0;
	intf->error = XENSTORE_ERROR_NONE;
	__atomic_store_n(&intf->connection, XENSTORE_CONNECTED, __ATOMIC_RELEASE);
	r->notify = true;
}

bool xs_ring_process(struct xs_ring *r)
{
	bool notify;

	r->in_process = true;
	if (__atomic_load_n(&r->intf->connection, __ATOMIC_ACQUIRE) == XENSTORE_RECONNECT)
		reconnect(r);
	flush_output(r);
	while (!r->error && r->out_len < XS_RING_OUT_SOFT && read_request(r))
		flush_output(r);
	flush_output(r);
	if (r->reset_pending) {
		xs_conn_reset(r->conn);
		r->reset_pending = false;
	}
	r->in_process = false;
	notify = r->notify;
	r->notify = false;
	return notify;
}

int xs_ring_init(struct xs_ring *r, struct xs_store *store, unsigned int domid,
		 struct xenstore_domain_interface *intf, void (*kick)(void *opaque), void *kick_opaque)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->store = store;
	r->intf = intf;
	r->kick = kick;
	r->kick_opaque = kick_opaque;
	/* The guest may have left data behind (kexec): start where the page says. */
	r->req_cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
	r->rsp_prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
	r->conn = xs_conn_new(store, domid, ring_output, r);
	if (!r->conn)
		return -ENOMEM;
	__atomic_or_fetch(&intf->server_features,
			  XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR,
			  __ATOMIC_RELEASE);
	ret = xs_domain_introduce(store, domid);
	if (ret) {
		xs_conn_free(r->conn);
		r->conn = NULL;
	}
	return ret;
}

void xs_ring_destroy(struct xs_ring *r)
{
	xs_conn_free(r->conn);
	r->conn = NULL;
}
