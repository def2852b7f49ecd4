/* test_netback.c — netback on a real TAP (in a private network namespace) against a simulated netfront. */
#define CHECK_SUITE "netback"
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/netback.h"
#include "backends/xenstore.h"
#define xen_mb()  __sync_synchronize()
#define xen_rmb() __sync_synchronize()
#define xen_wmb() __sync_synchronize()
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include "fake_guest.h"

/*
 * The frontend is this test (guest RAM an array, its grant table a page,
 * its xenstore writes through a domid-1 connection); netback runs for real
 * on a TAP it creates in a network namespace of this process alone. What
 * netback writes to the TAP is read with a packet socket on the TAP, and
 * what the test sends on that socket is what netback reads and copies into
 * the frontend's RX buffers. Needs root and /dev/net/tun; without them the
 * cases are skipped, saying why.
 */
#define TX_MFN 1
#define RX_MFN 2
#define IFNAME "tnb0"

static struct net_vif *vif;
static int pkt = -1;                    /* packet socket on the TAP */
static netif_tx_front_ring_t tx;
static netif_rx_front_ring_t rx;
static const uint8_t MAC[6] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };

static void fe_write(const char *key, const char *value)
{
	char path[128];
	snprintf(path, sizeof(path), "/local/domain/1/device/vif/0/%s", key);
	xs_write(guest, 0, path, value, strlen(value));
}

static long be_state(void)
{
	char *v = xenbus_read(host.xb, "/local/domain/0/backend/vif/1/0/state");
	long s = v ? strtol(v, NULL, 10) : -1;
	free(v);
	return s;
}

static int setup(unsigned mtu)
{
	if (vif)
		netback_destroy(vif);
	vif = NULL;
	if (pkt >= 0)
		close(pkt);
	pkt = -1;
	if (fake_guest_reset(1))
		return -1;
	struct net_vif_config cfg = { .devid = 0, .ifname = IFNAME, .mtu = mtu };
	memcpy(cfg.mac, MAC, 6);
	char err[256];
	vif = netback_create(&host, &cfg, err, sizeof(err));
	if (!vif) {
		printf("netback_create: %s\n", err);
		return -1;
	}
	/* The packet socket on the TAP: what netback writes, and what it is to read. */
	pkt = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)if_nametoindex(IFNAME) };
	if (pkt < 0 || bind(pkt, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	/* The frontend: rings in frames 1 and 2, port 5, rx-copy. */
	grant(1, TX_MFN, false);
	grant(2, RX_MFN, false);
	SHARED_RING_INIT((netif_tx_sring_t *)(void *)ram[TX_MFN]);
	SHARED_RING_INIT((netif_rx_sring_t *)(void *)ram[RX_MFN]);
	FRONT_RING_INIT(&tx, (netif_tx_sring_t *)(void *)ram[TX_MFN], 4096);
	FRONT_RING_INIT(&rx, (netif_rx_sring_t *)(void *)ram[RX_MFN], 4096);
	fe_write("tx-ring-ref", "1");
	fe_write("rx-ring-ref", "2");
	fe_write("event-channel", "5");
	fe_write("request-rx-copy", "1");
	fe_write("feature-rx-notify", "1");
	fe_write("feature-sg", "1");
	fe_write("state", "4");
	xenbus_dispatch(host.xb);
	return be_state() == XenbusStateConnected ? 0 : -1;
}

/* A frame: broadcast, from MAC, a local ethertype, then bytes i*7+seed. */
static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, MAC, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
}

/* Wait until the ring's rsp_prod reaches want; false after 5 s. */
static bool wait_rsp(volatile RING_IDX *rsp_prod, RING_IDX want)
{
	for (int i = 0; i < 5000; i++) {
		if ((RING_IDX)(__atomic_load_n(rsp_prod, __ATOMIC_ACQUIRE) - want) < 0x80000000u)
			return true;
		usleep(1000);
	}
	return false;
}

/* A frame from the TAP with our ethertype, or -1 after 5 s. */
static ssize_t recv_frame(uint8_t *buf, size_t cap)
{
	struct timeval tv = { 5, 0 };
	setsockopt(pkt, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(pkt, buf, cap, 0);
		if (n < 0)
			return -1;
		if (n >= 14 && buf[12] == 0x88 && buf[13] == 0xb5)
			return n;
	}
}

static bool skip_all;

TEST(tx_fragments_reach_the_tap_and_bad_packets_are_refused)
{
	if (skip_all)
		return;
	CHECK_EQ(setup(0), 0);
	uint8_t f[1000];
	make_frame(f, sizeof(f), 1);
	memcpy(ram[10] + 100, f, 600);
	memcpy(ram[11], f + 600, 400);
	grant(10, 10, true);
	grant(11, 11, true);
	*RING_GET_REQUEST(&tx, tx.req_prod_pvt++) =
		(netif_tx_request_t){ .gref = 10, .offset = 100, .flags = NETTXF_more_data, .id = 1, .size = 1000 };
	*RING_GET_REQUEST(&tx, tx.req_prod_pvt++) =
		(netif_tx_request_t){ .gref = 11, .offset = 0, .flags = 0, .id = 2, .size = 400 };
	*RING_GET_REQUEST(&tx, tx.req_prod_pvt++) =
		(netif_tx_request_t){ .gref = 10, .offset = 0, .flags = 0, .id = 3, .size = 10 };
	RING_PUSH_REQUESTS(&tx);
	kick_fn(kick_arg);
	CHECK(wait_rsp(&tx.sring->rsp_prod, 3));
	CHECK_EQ(RING_GET_RESPONSE(&tx, 0)->id, 1);
	CHECK_EQ(RING_GET_RESPONSE(&tx, 0)->status, NETIF_RSP_OKAY);
	CHECK_EQ(RING_GET_RESPONSE(&tx, 1)->id, 2);
	CHECK_EQ(RING_GET_RESPONSE(&tx, 1)->status, NETIF_RSP_OKAY);
	CHECK_EQ(RING_GET_RESPONSE(&tx, 2)->id, 3);
	CHECK_EQ((uint16_t)RING_GET_RESPONSE(&tx, 2)->status, (uint16_t)NETIF_RSP_ERROR);
	uint8_t got[2048];
	CHECK_EQ(recv_frame(got, sizeof(got)), 1000);
	CHECK(!memcmp(got, f, 1000));
	CHECK_EQ(table[10].flags, GTF_permit_access | GTF_readonly);    /* given back */
	struct net_stats st;
	netback_stats(vif, &st);
	CHECK_EQ(st.tx_packets, 1);
	CHECK_EQ(st.tx_errors, 1);
}

/* Post n RX buffers (frames and refs 30.., ids from the ring index). */
static void post_rx(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		RING_IDX idx = rx.req_prod_pvt++;
		grant_ref_t ref = 30 + (idx % 20);
		grant(ref, ref, false);
		*RING_GET_REQUEST(&rx, idx) = (netif_rx_request_t){ .id = (uint16_t)(idx % 256), .gref = ref };
	}
	RING_PUSH_REQUESTS(&rx);
	kick_fn(kick_arg);
}

TEST(rx_frames_land_in_the_posted_buffers_across_slots)
{
	if (skip_all)
		return;
	CHECK_EQ(setup(9000), 0);
	post_rx(1);
	uint8_t f[9000];
	make_frame(f, sizeof(f), 5);
	CHECK_EQ(send(pkt, f, 300, 0), 300);
	CHECK(wait_rsp(&rx.sring->rsp_prod, 1));
	netif_rx_response_t *r = RING_GET_RESPONSE(&rx, 0);
	CHECK_EQ(r->status, 300);
	CHECK_EQ(r->offset, 0);
	CHECK_EQ(r->flags & NETRXF_more_data, 0);
	CHECK(!memcmp(ram[30], f, 300));
	CHECK_EQ(table[30].flags, GTF_permit_access);                  /* given back */
	/* 9000 bytes need 3 buffers; with one posted, netback waits for the rest. */
	post_rx(1);
	CHECK_EQ(send(pkt, f, sizeof(f), 0), (ssize_t)sizeof(f));
	usleep(100000);
	CHECK_EQ(rx.sring->rsp_prod, 1);
	post_rx(2);
	CHECK(wait_rsp(&rx.sring->rsp_prod, 4));
	size_t at = 0;
	for (RING_IDX i = 1; i < 4; i++) {
		r = RING_GET_RESPONSE(&rx, i);
		CHECK_EQ(r->id, i);
		CHECK(r->status > 0);
		CHECK_EQ(!!(r->flags & NETRXF_more_data), i < 3);
		CHECK(!memcmp(ram[30 + i], f + at, (size_t)r->status));
		at += (size_t)r->status;
	}
	CHECK_EQ(at, sizeof(f));
	struct net_stats st;
	netback_stats(vif, &st);
	CHECK_EQ(st.rx_packets, 2);
	CHECK_EQ(st.rx_errors, 0);
}

TEST(closing_gives_every_grant_back)
{
	if (skip_all)
		return;
	CHECK_EQ(setup(0), 0);
	fe_write("state", "5");
	xenbus_dispatch(host.xb);
	CHECK_EQ(be_state(), XenbusStateClosing);
	for (unsigned i = 0; i < RAM_FRAMES; i++)
		if (frames[i].count != FRAME_GUEST || frames[i].type)
			CHECK_EQ(frames[i].count | (uint64_t)frames[i].type << 32, FRAME_GUEST);
	netback_destroy(vif);
	vif = NULL;
	CHECK_EQ(if_nametoindex(IFNAME), 0);    /* the TAP netback made is gone */
}

int main(void)
{
	if (access("/dev/net/tun", R_OK | W_OK) || unshare(CLONE_NEWNET)) {
		printf("SKIP: netback/all: needs root and /dev/net/tun for a TAP in a private network namespace (%s)\n",
		       strerror(errno));
		skip_all = true;
		return 0;
	}
	/* No IPv6 chatter (router and multicast solicitations) on the TAP: only the test's frames. */
	FILE *f = fopen("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	RUN(tx_fragments_reach_the_tap_and_bad_packets_are_refused);
	RUN(rx_frames_land_in_the_posted_buffers_across_slots);
	RUN(closing_gives_every_grant_back);
	if (vif)
		netback_destroy(vif);
	if (pkt >= 0)
		close(pkt);
	fake_guest_free();
	return check_done();
}
