/* netif_pkt.h — netif packets taken off the TX ring and checked; checksum offsets; pure logic. */
#ifndef BACKENDS_NETIF_PKT_H
#define BACKENDS_NETIF_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/netif.h>

/* Data slots one packet may use (Linux netback's max_skb_slots, XEN_NETIF_NR_SLOTS_MIN). */
#define NET_MAX_DATA_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* Extra-info slots one packet may carry (one of each type at most). */
#define NET_MAX_EXTRA_SLOTS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
#define NET_MAX_SLOTS (NET_MAX_DATA_SLOTS + NET_MAX_EXTRA_SLOTS)
#define NET_ETH_HLEN 14

/* One TX request slot as the frontend wrote it (a private copy). */
union net_tx_slot {
	struct netif_tx_request req;
	struct netif_extra_info extra;
};

struct net_tx_pkt {
	unsigned nr_slots;              /* slots the packet takes on the ring (data and extra) */
	unsigned nr_data;               /* data slots */
	unsigned data[NET_MAX_DATA_SLOTS];      /* indices of the data slots among the slots */
	bool extra[NET_MAX_SLOTS];      /* slot i is an extra-info slot */
	uint32_t len;                   /* the packet's bytes: the first slot's size */
	uint16_t flags;                 /* the first slot's NETTXF_* */
	uint8_t gso_type;               /* XEN_NETIF_GSO_TYPE_*, NONE without a GSO extra */
	uint16_t gso_size;
};

/* What net_tx_gather found. */
enum net_tx_verdict {
	NET_TX_OK,                      /* a well-formed packet of pkt->nr_slots slots */
	NET_TX_INCOMPLETE,              /* its last slot is not on the ring yet */
	NET_TX_BAD,                     /* malformed: answer its pkt->nr_slots slots with an error */
};

/*
 * Look at the packet that starts at slots[0] (n slots available, copied off
 * the ring): its extra-info slots, its fragments, and Linux netback's
 * checks (sizes, slot counts, offsets inside the page, the fragments'
 * sizes adding up to no more than the first slot's, known extra types, a
 * GSO type and size). For NET_TX_BAD, pkt->nr_slots is how many slots to
 * consume (the frontend's packet as far as it can be told apart).
 */
enum net_tx_verdict net_tx_gather(const union net_tx_slot *slots, unsigned n, struct net_tx_pkt *pkt);

/*
 * Where the TCP or UDP checksum of an Ethernet frame lives (IPv4 or IPv6,
 * one VLAN tag at most, no IPv6 extension headers): *start is the L4
 * header's offset, *off the checksum field's offset within it. -1 if the
 * frame is not TCP or UDP over IP or is too short.
 */
int net_csum_offsets(const uint8_t *frame, size_t len, uint16_t *start, uint16_t *off);
/* The offset of the end of the TCP header (for a GSO hdr_len), or 0. */
uint16_t net_tcp_hdr_end(const uint8_t *frame, size_t len);
/* Compute and store the Internet checksum of frame[start..len) at start + off, with the pseudo-header. */
int net_csum_fill(uint8_t *frame, size_t len);

#endif
