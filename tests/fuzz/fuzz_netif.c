/* fuzz_netif.c — libFuzzer target: netif TX slots and Ethernet frames as a hostile frontend sends them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "backends/netif_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The slots netback copied off the ring; what each verdict promises about them. */
static void slots(const uint8_t *data, size_t size)
{
	union net_tx_slot s[NET_MAX_SLOTS + 1];
	unsigned n = (unsigned)(size / sizeof(s[0]));
	if (n > NET_MAX_SLOTS + 1)
		n = NET_MAX_SLOTS + 1;
	if (n == 0)
		return;
	memcpy(s, data, n * sizeof(s[0]));
	struct net_tx_pkt pkt;
	enum net_tx_verdict v = net_tx_gather(s, n, &pkt);
	if (v == NET_TX_INCOMPLETE)
		return;
	if (v != NET_TX_OK && v != NET_TX_BAD)
		abort();
	if (pkt.nr_slots < 1 || pkt.nr_slots > n)
		abort();        /* would consume slots that are not there */
	if (v == NET_TX_BAD)
		return;
	if (pkt.nr_data < 1 || pkt.nr_data > NET_MAX_DATA_SLOTS)
		abort();
	uint32_t rest = 0;
	for (unsigned i = 0; i < pkt.nr_data; i++) {
		unsigned d = pkt.data[i];
		if (d >= pkt.nr_slots || pkt.extra[d])
			abort();
		const struct netif_tx_request *r = &s[d].req;
		if (i == 0)
			continue;
		rest += r->size;
		if ((uint32_t)r->offset + r->size > 4096)
			abort();        /* a fragment outside its page */
	}
	if (rest > pkt.len)
		abort();        /* netback copies len - rest from the first slot */
	uint32_t first = pkt.len - rest;
	const struct netif_tx_request *r0 = &s[pkt.data[0]].req;
	if ((uint32_t)r0->offset + first > 4096)
		abort();
}

static void frame(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1);
	if (!f)
		abort();
	memcpy(f, data, size);
	uint16_t start, off;
	if (net_csum_offsets(f, size, &start, &off) == 0 && ((size_t)start + off + 2 > size))
		abort();        /* the checksum field is outside the frame */
	uint16_t end = net_tcp_hdr_end(f, size);
	if (end > size)
		abort();
	net_csum_fill(f, size);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		slots(data + 1, size - 1);
	else
		frame(data + 1, size - 1);
	return 0;
}
