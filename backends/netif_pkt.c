/* netif_pkt.c — netif TX packets and checksums (see netif_pkt.h). */
#include "backends/netif_pkt.h"

#include <string.h>

enum net_tx_verdict net_tx_gather(const union net_tx_slot *slots, unsigned n, struct net_tx_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	if (n == 0)
		return NET_TX_INCOMPLETE;
	const struct netif_tx_request *first = &slots[0].req;
	bool bad = false;
	unsigned i = 1;
	pkt->len = first->size;
	pkt->flags = first->flags;
	pkt->data[pkt->nr_data++] = 0;
	if (first->size < NET_ETH_HLEN)
		bad = true;
	/* Extra-info slots follow the first slot, each saying whether another follows. */
	if (first->flags & NETTXF_extra_info) {
		for (;;) {
			if (i >= n)
				return NET_TX_INCOMPLETE;
			if (i > NET_MAX_EXTRA_SLOTS) {
				pkt->nr_slots = i;
				return NET_TX_BAD;
			}
			const struct netif_extra_info *x = &slots[i].extra;
			pkt->extra[i++] = true;
			if (x->type == XEN_NETIF_EXTRA_TYPE_GSO) {
				if ((x->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
				     x->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) || x->u.gso.size == 0)
					bad = true;
				pkt->gso_type = x->u.gso.type;
				pkt->gso_size = x->u.gso.size;
			} else if (x->type != XEN_NETIF_EXTRA_TYPE_MCAST_ADD &&
				   x->type != XEN_NETIF_EXTRA_TYPE_MCAST_DEL &&
				   x->type != XEN_NETIF_EXTRA_TYPE_HASH) {
				bad = true;
			}
			if (!(x->flags & XEN_NETIF_EXTRA_FLAG_MORE))
				break;
		}
	}
	/* Fragments: the first slot's size is the whole packet's; theirs are their own. */
	uint32_t rest = 0;
	bool more = first->flags & NETTXF_more_data;
	while (more) {
		if (i >= n)
			return NET_TX_INCOMPLETE;
		if (pkt->nr_data >= NET_MAX_DATA_SLOTS) {
			/* Too many: consume the rest of the frontend's packet as one error. */
			while (i < n && (slots[i].req.flags & NETTXF_more_data))
				i++;
			if (i >= n)
				return NET_TX_INCOMPLETE;
			pkt->nr_slots = i + 1;
			return NET_TX_BAD;
		}
		const struct netif_tx_request *f = &slots[i].req;
		if ((uint32_t)f->offset + f->size > 4096u || f->size == 0)
			bad = true;
		rest += f->size;
		pkt->data[pkt->nr_data++] = i++;
		more = f->flags & NETTXF_more_data;
	}
	pkt->nr_slots = i;
	/* The first slot carries what the fragments do not, inside its page. */
	if (rest >= first->size || (uint32_t)first->offset + (first->size - rest) > 4096u)
		bad = true;
	return bad ? NET_TX_BAD : NET_TX_OK;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The L3 offset and the ethertype, past one VLAN tag. */
static int l3_of(const uint8_t *f, size_t len, uint16_t *type)
{
	if (len < NET_ETH_HLEN)
		return -1;
	size_t off = 12;
	uint16_t t = get16(f + off);
	if (t == 0x8100 || t == 0x88a8) {
		if (len < 18)
			return -1;
		off += 4;
		t = get16(f + off);
	}
	*type = t;
	return (int)off + 2;
}

/* The L4 offset and protocol. */
static int l4_of(const uint8_t *f, size_t len, uint8_t *proto, int *l3, bool *v6)
{
	uint16_t type;
	int o = l3_of(f, len, &type);
	if (o < 0)
		return -1;
	*l3 = o;
	if (type == 0x0800) {
		if (len < (size_t)o + 20 || (f[o] >> 4) != 4)
			return -1;
		unsigned ihl = (f[o] & 15u) * 4;
		if (ihl < 20 || len < (size_t)o + ihl || (get16(f + o + 6) & 0x3fff))
			return -1;      /* too short, or a fragment */
		*proto = f[o + 9];
		*v6 = false;
		return o + (int)ihl;
	}
	if (type == 0x86dd) {
		if (len < (size_t)o + 40 || (f[o] >> 4) != 6)
			return -1;
		*proto = f[o + 6];
		*v6 = true;
		return o + 40;
	}
	return -1;
}

int net_csum_offsets(const uint8_t *frame, size_t len, uint16_t *start, uint16_t *off)
{
	uint8_t proto;
	int l3;
	bool v6;
	int o = l4_of(frame, len, &proto, &l3, &v6);
	if (o < 0)
		return -1;
	if (proto == 6 && len >= (size_t)o + 20)
		*off = 16;
	else if (proto == 17 && len >= (size_t)o + 8)
		*off = 6;
	else
		return -1;
	*start = (uint16_t)o;
	return 0;
}

uint16_t net_tcp_hdr_end(const uint8_t *frame, size_t len)
{
	uint8_t proto;
	int l3;
	bool v6;
	int o = l4_of(frame, len, &proto, &l3, &v6);
	if (o < 0 || proto != 6 || len < (size_t)o + 20)
		return 0;
	unsigned doff = (frame[o + 12] >> 4) * 4u;
	return doff < 20 || len < (size_t)o + doff ? 0 : (uint16_t)(o + doff);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

int net_csum_fill(uint8_t *frame, size_t len)
{
	uint8_t proto;
	int l3;
	bool v6;
	uint16_t start, off;
	int o = l4_of(frame, len, &proto, &l3, &v6);
	if (o < 0 || net_csum_offsets(frame, len, &start, &off))
		return -1;
	size_t l4len;
	uint32_t s = 0;
	if (v6) {
		l4len = get16(frame + l3 + 4);
		s = sum16(frame + l3 + 8, 32, s);
	} else {
		size_t tot = get16(frame + l3 + 2);
		if (tot < (size_t)(o - l3))
			return -1;
		l4len = tot - (size_t)(o - l3);
		s = sum16(frame + l3 + 12, 8, s);
	}
	if ((size_t)o + l4len > len)
		return -1;
	s += proto;
	s += (uint32_t)l4len;
	frame[o + off] = frame[o + off + 1] = 0;
	s = sum16(frame + o, l4len, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t c = (uint16_t)~s;
	if (proto == 17 && c == 0)
		c = 0xffff;
	frame[o + off] = (uint8_t)(c >> 8);
	frame[o + off + 1] = (uint8_t)c;
	return 0;
}
