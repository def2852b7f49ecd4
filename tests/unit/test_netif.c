/* test_netif.c — netif TX packets (Linux netback's checks) and TCP/UDP checksums. */
#define CHECK_SUITE "netif"
#include "check.h"

#include "backends/netif_pkt.h"

static union net_tx_slot s[32];

static void req(unsigned i, grant_ref_t gref, uint16_t off, uint16_t flags, uint16_t id, uint16_t size)
{
	memset(&s[i], 0, sizeof(s[i]));
	s[i].req = (struct netif_tx_request){ .gref = gref, .offset = off, .flags = flags, .id = id, .size = size };
}

TEST(single_slot_packet)
{
	req(0, 5, 100, NETTXF_csum_blank, 7, 60);
	struct net_tx_pkt p;
	CHECK_EQ(net_tx_gather(s, 1, &p), NET_TX_OK);
	CHECK_EQ(p.nr_slots, 1);
	CHECK_EQ(p.nr_data, 1);
	CHECK_EQ(p.len, 60);
	CHECK_EQ(p.flags, NETTXF_csum_blank);
	CHECK_EQ(p.gso_type, XEN_NETIF_GSO_TYPE_NONE);
}

TEST(fragments_and_a_gso_extra)
{
	req(0, 1, 0, NETTXF_more_data | NETTXF_extra_info, 1, 9000);
	memset(&s[1], 0, sizeof(s[1]));
	s[1].extra.type = XEN_NETIF_EXTRA_TYPE_GSO;
	s[1].extra.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	s[1].extra.u.gso.size = 1448;
	req(2, 2, 0, NETTXF_more_data, 2, 4096);
	req(3, 3, 0, 0, 3, 904);
	struct net_tx_pkt p;
	CHECK_EQ(net_tx_gather(s, 3, &p), NET_TX_INCOMPLETE);      /* the last fragment is not there yet */
	CHECK_EQ(net_tx_gather(s, 4, &p), NET_TX_OK);
	CHECK_EQ(p.nr_slots, 4);
	CHECK_EQ(p.nr_data, 3);
	CHECK_EQ(p.data[1], 2);
	CHECK(p.extra[1] && !p.extra[2]);
	CHECK_EQ(p.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK_EQ(p.gso_size, 1448);
	/* 9000 - 4096 - 904 = 4000 bytes in the first slot: inside its page. */
	req(0, 1, 200, NETTXF_more_data | NETTXF_extra_info, 1, 9000);
	CHECK_EQ(net_tx_gather(s, 4, &p), NET_TX_BAD);             /* 200 + 4000 > 4096 */
	CHECK_EQ(p.nr_slots, 4);
}

TEST(malformed_packets_are_bad_with_their_slot_count)
{
	struct net_tx_pkt p;
	req(0, 1, 0, 0, 1, 10);                                   /* shorter than an Ethernet header */
	CHECK_EQ(net_tx_gather(s, 1, &p), NET_TX_BAD);
	CHECK_EQ(p.nr_slots, 1);
	req(0, 1, 4000, 0, 1, 200);                               /* crosses the page */
	CHECK_EQ(net_tx_gather(s, 1, &p), NET_TX_BAD);
	req(0, 1, 0, NETTXF_more_data, 1, 100);
	req(1, 2, 0, 0, 2, 200);                                  /* fragments bigger than the packet */
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	CHECK_EQ(p.nr_slots, 2);
	req(1, 2, 0, 0, 2, 0);                                    /* an empty fragment */
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	req(1, 2, 4095, 0, 2, 2);                                 /* a fragment crossing its page */
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	/* An unknown extra type, a GSO extra without a size or with a bad type. */
	req(0, 1, 0, NETTXF_extra_info, 1, 100);
	memset(&s[1], 0, sizeof(s[1]));
	s[1].extra.type = 9;
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	CHECK_EQ(p.nr_slots, 2);
	s[1].extra.type = XEN_NETIF_EXTRA_TYPE_GSO;
	s[1].extra.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
	s[1].extra.u.gso.size = 0;
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	s[1].extra.u.gso.size = 1000;
	s[1].extra.u.gso.type = 7;
	CHECK_EQ(net_tx_gather(s, 2, &p), NET_TX_BAD);
	/* Extra slots that never end. */
	for (unsigned i = 1; i < 10; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].extra.type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
		s[i].extra.flags = XEN_NETIF_EXTRA_FLAG_MORE;
	}
	CHECK_EQ(net_tx_gather(s, 10, &p), NET_TX_BAD);
	CHECK(p.nr_slots <= 10);
}

TEST(too_many_fragments_are_consumed_as_one_bad_packet)
{
	struct net_tx_pkt p;
	req(0, 1, 0, NETTXF_more_data, 1, 30000);
	for (unsigned i = 1; i < 25; i++)
		req(i, (grant_ref_t)i, 0, i < 24 ? NETTXF_more_data : 0, (uint16_t)i, 100);
	CHECK_EQ(net_tx_gather(s, 20, &p), NET_TX_INCOMPLETE);
	CHECK_EQ(net_tx_gather(s, 25, &p), NET_TX_BAD);
	CHECK_EQ(p.nr_slots, 25);
	/* 18 data slots is the most a packet may have (4096 bytes in the first). */
	req(0, 1, 0, NETTXF_more_data, 1, 4096 + 17 * 100);
	req(17, 17, 0, 0, 17, 100);
	CHECK_EQ(net_tx_gather(s, 25, &p), NET_TX_OK);
	CHECK_EQ(p.nr_data, 18);
	CHECK_EQ(net_tx_gather(s, 0, &p), NET_TX_INCOMPLETE);
}

/* An Ethernet + IPv4 + UDP frame with a known checksum (computed by hand below). */
static size_t udp4(uint8_t *f)
{
	static const uint8_t hdr[] = {
		0, 0x16, 0x3e, 0, 0, 1, 0, 0x16, 0x3e, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x35, 0, 12, 0xab, 0xcd,
		'x', 'e', 'n', '!',
	};
	memcpy(f, hdr, sizeof(hdr));
	return sizeof(hdr);
}

TEST(checksum_offsets_and_fill)
{
	uint8_t f[128];
	size_t n = udp4(f);
	uint16_t start, off;
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), 0);
	CHECK_EQ(start, 34);
	CHECK_EQ(off, 6);
	CHECK_EQ(net_csum_fill(f, n), 0);
	/*
	 * Pseudo-header 0a00+0001+0a00+0002+0011+000c = 1420, UDP header
	 * 3039+0035+000c = 307a, data 7865+6e21 = e686: 12b20, folded 2b21,
	 * complemented d4de.
	 */
	CHECK_EQ(f[40], 0xd4);
	CHECK_EQ(f[41], 0xde);
	f[23] = 6;                               /* now "TCP", too short for a TCP header */
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), -1);
	f[23] = 1;                               /* ICMP: nothing to offload */
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), -1);
	f[23] = 17;
	f[20] = 0x20;                            /* a fragment */
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), -1);
	f[20] = 0;
	f[14] = 0x44;                            /* IHL 4: too small */
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), -1);
	f[14] = 0x45;
	CHECK_EQ(net_csum_offsets(f, 30, &start, &off), -1);      /* truncated */
	f[17] = 200;                             /* IP total length beyond the frame */
	CHECK_EQ(net_csum_fill(f, n), -1);
	f[12] = 0x86;                            /* an IPv6 ethertype with an IPv4 header */
	f[13] = 0xdd;
	CHECK_EQ(net_csum_offsets(f, n, &start, &off), -1);
}

TEST(tcp_header_end_for_gso)
{
	uint8_t f[128] = { 0 };
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = 6;
	f[34 + 12] = 0x80;                       /* data offset 8 words: 32 bytes */
	CHECK_EQ(net_tcp_hdr_end(f, 100), 34 + 32);
	CHECK_EQ(net_tcp_hdr_end(f, 60), 0);    /* the options run past the frame */
	f[34 + 12] = 0x40;                       /* 16 bytes: less than a TCP header */
	CHECK_EQ(net_tcp_hdr_end(f, 100), 0);
	/* VLAN-tagged IPv6. */
	uint8_t g[128] = { 0 };
	g[12] = 0x81;
	g[16] = 0x86;
	g[17] = 0xdd;
	g[18] = 0x60;
	g[18 + 6] = 6;
	g[58 + 12] = 0x50;
	uint16_t start, off;
	CHECK_EQ(net_csum_offsets(g, 100, &start, &off), 0);
	CHECK_EQ(start, 58);
	CHECK_EQ(off, 16);
	CHECK_EQ(net_tcp_hdr_end(g, 100), 78);
}

int main(void)
{
	RUN(single_slot_packet);
	RUN(fragments_and_a_gso_extra);
	RUN(malformed_packets_are_bad_with_their_slot_count);
	RUN(too_many_fragments_are_consumed_as_one_bad_packet);
	RUN(checksum_offsets_and_fill);
	RUN(tcp_header_end_for_gso);
	return check_done();
}
