/* fuzz_xenstore.c — libFuzzer target: xenstore wire messages from a guest and dom0, and a hostile ring page. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/xs_wire.h>
#include "backends/xenstore.h"
#include "backends/xs_ring.h"

#define GUEST 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t replies;

static void out(void *opaque, const struct xsd_sockmsg *hdr, const void *payload)
{
	(void)opaque;
	(void)payload;
	if (hdr->len > XENSTORE_PAYLOAD_MAX)
		abort();        /* a reply no client could read */
	replies++;
}

/* The store a guest meets at boot: dom0's and the domain's nodes. */
static struct xs_store *store(void)
{
	struct xs_store *s = xs_store_new();
	struct xs_domain_info d = {
		.domid = GUEST, .name = "fuzz", .max_memkb = 524288, .target_memkb = 524288,
		.max_vcpus = 2, .online_vcpus = 1, .store_mfn = 100, .store_port = 1,
		.console_mfn = 101, .console_port = 2,
	};
	if (!s || xs_populate_dom0(s) || xs_domain_introduce(s, GUEST) || xs_populate_domain(s, &d))
		abort();
	const char *kv[] = { "state", "1", NULL };
	if (xs_populate_device(s, GUEST, "vbd", 51712, kv, kv))
		abort();
	return s;
}

static void check(struct xs_store *s)
{
	int rc = xs_store_check(s);
	if (rc && rc != -ENOMEM)
		abort();        /* the tree, the counts or a transaction became inconsistent */
}

/*
 * Messages: [who][type][tx][len lo][len hi] payload. who picks the guest's
 * or dom0's connection; tx small so that real transaction ids come up.
 */
static void messages(const uint8_t *p, size_t n)
{
	struct xs_store *s = store();
	struct xs_conn *c[2] = { xs_conn_new(s, GUEST, out, NULL), xs_conn_new(s, 0, out, NULL) };
	if (!c[0] || !c[1])
		abort();
	while (n >= 5) {
		struct xsd_sockmsg h = {
			.type = p[1] % (XS_TYPE_COUNT + 2), .req_id = 7, .tx_id = p[2] % 8,
			.len = (uint32_t)(p[3] | p[4] << 8) % (XENSTORE_PAYLOAD_MAX + 16),
		};
		struct xs_conn *who = c[p[0] & 1];
		p += 5;
		n -= 5;
		size_t have = h.len < n ? h.len : n;
		uint8_t *payload = malloc(h.len ? h.len : 1);     /* exact size: no reads past len */
		if (!payload)
			abort();
		memcpy(payload, p, have);
		memset(payload + have, 0, h.len - have);
		int rc = xs_handle_message(s, who, &h, payload);
		if (rc != 0 && !(rc == -EPROTO && h.len > XENSTORE_PAYLOAD_MAX))
			abort();
		free(payload);
		p += have;
		n -= have;
		check(s);
	}
	xs_conn_free(c[0]);
	xs_conn_free(c[1]);
	check(s);
	xs_store_free(s);
}

static unsigned kicks;

static void kick(void *opaque)
{
	(void)opaque;
	kicks++;
}

/* The guest's ring page with whatever indices and bytes it likes, processed a few times. */
static void ring(const uint8_t *p, size_t n)
{
	struct xs_store *s = store();
	struct xenstore_domain_interface *page = calloc(1, sizeof(*page));
	struct xs_ring *r = calloc(1, sizeof(*r));
	if (!page || !r || xs_ring_init(r, s, GUEST, page, kick, NULL))
		abort();
	for (unsigned round = 0; round < 4 && n; round++) {
		size_t take = n < sizeof(*page) ? n : sizeof(*page);
		/* The request ring and the indices from the input; the rest as the server left it. */
		memcpy(page->req, p, take < sizeof(page->req) ? take : sizeof(page->req));
		if (take >= sizeof(page->req) + 16) {
			memcpy(&page->req_cons, p + sizeof(page->req), 4);
			memcpy(&page->req_prod, p + sizeof(page->req) + 4, 4);
			memcpy(&page->rsp_cons, p + sizeof(page->req) + 8, 4);
			memcpy(&page->connection, p + sizeof(page->req) + 12, 4);
		} else if (take >= 4) {
			/* A short input: a well-formed request count so messages get read. */
			page->req_prod = page->req_cons + (uint32_t)take;
			page->rsp_cons = page->rsp_prod;
		}
		xs_ring_process(r);
		p += take;
		n -= take;
		check(s);
	}
	xs_ring_destroy(r);
	check(s);
	xs_store_free(s);
	free(r);
	free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		ring(data + 1, size - 1);
	else
		messages(data + 1, size - 1);
	return 0;
}
