/* netback.c — the netif backend: xenstore handshake, one thread per queue, a TAP with IFF_VNET_HDR. */
#include "backends/netback.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include "backends/netif_pkt.h"
#include "backends/xenstore.h"

/*
 * Semantics follow Linux's xen-netback (drivers/net/xen-netback) and
 * xen/io/netif.h: rx-copy only (the frontend must request it), the same
 * feature keys, the same checks on TX requests. A queue's thread moves
 * packets both ways: TX requests are gathered into one buffer and written
 * to the TAP with a virtio_net_hdr (checksum offload, TSO); packets read
 * from the TAP (with the header the kernel fills in, TUNSETOFFLOAD set to
 * what the frontend accepts) are copied into the pages the frontend posted
 * on its RX ring.
 */

#define NET_MAX_QUEUES 4
/* A GSO packet is at most 64 KiB of IP plus its link header; room to spare to tell truncation. */
#define NET_PKT_MAX (65536 + 512)
#define NET_RX_BATCH 64

extern char **environ;

struct net_queue {
	struct net_vif *v;
	unsigned idx;
	grant_ref_t tx_ref, rx_ref;
	struct netif_tx_sring *tx;
	struct netif_rx_sring *rx;
	struct be_queue ev;             /* its event channel and thread */
	int tap_fd;
	RING_IDX tx_cons, tx_rsp, rx_cons, rx_rsp;
	bool broken;
	bool notify;
	/* A packet read from the TAP that waits for RX slots. */
	struct virtio_net_hdr rx_hdr;
	size_t rx_len;
	bool rx_pending;
	uint8_t rx_buf[NET_PKT_MAX];
	uint8_t tx_buf[NET_PKT_MAX];
	union net_tx_slot slots[NET_MAX_SLOTS + 1];
};

struct net_vif {
	struct xb_device x;             /* first: connect/disconnect get it; x.h is the host */
	unsigned devid;
	uint8_t mac[6];
	char ifname[IFNAMSIZ], bridge[IFNAMSIZ], script[4096], ip[256];
	unsigned mtu;
	int tap_fd;                     /* queue 0's, open for the vif's life (keeps the TAP) */
	bool tap_multi_queue;
	bool connected;
	unsigned nr_queues;
	bool fe_sg, fe_gso4, fe_gso6, fe_csum, fe_ipv6_csum;
	struct net_queue *q[NET_MAX_QUEUES];
	struct net_stats st;
};

#define RING_TX_SIZE __CONST_RING_SIZE(netif_tx, 4096)
#define RING_RX_SIZE __CONST_RING_SIZE(netif_rx, 4096)

#define say(v, ...) xb_say(&(v)->x, __VA_ARGS__)
#define trace_net(v, ...) xb_trace(&(v)->x, __VA_ARGS__)

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY on a shared ring header. */
static bool push(RING_IDX *rsp_prod, const RING_IDX *rsp_event, RING_IDX pvt)
{
	RING_IDX old = *rsp_prod;
	__atomic_store_n(rsp_prod, pvt, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (RING_IDX)(pvt - __atomic_load_n(rsp_event, __ATOMIC_RELAXED)) < (RING_IDX)(pvt - old);
}

/* ----------------------------------------------------------------- TX */

static void tx_respond(struct net_queue *q, const struct net_tx_pkt *pkt, int16_t status)
{
	for (unsigned i = 0; i < pkt->nr_slots; i++) {
		struct netif_tx_response *r = &q->tx->ring[q->tx_rsp % RING_TX_SIZE].rsp;
		r->id = q->slots[i].req.id;
		r->status = pkt->extra[i] ? NETIF_RSP_NULL : status;
		q->tx_rsp++;
	}
	q->notify |= push(&q->tx->rsp_prod, &q->tx->rsp_event, q->tx_rsp);
}

/* Gather the packet's data out of the granted pages; its length, or -1. */
static long tx_copy(struct net_queue *q, const struct net_tx_pkt *pkt)
{
	struct gnt_host *g = q->v->x.h->gnt;
	uint32_t rest = 0;
	for (unsigned i = 1; i < pkt->nr_data; i++)
		rest += q->slots[pkt->data[i]].req.size;
	size_t at = 0;
	for (unsigned i = 0; i < pkt->nr_data; i++) {
		const struct netif_tx_request *r = &q->slots[pkt->data[i]].req;
		uint32_t n = i == 0 ? pkt->len - rest : r->size;
		void *page;
		if (at + n > sizeof(q->tx_buf) || gnt_map(g, r->gref, false, &page) != GNTST_okay)
			return -1;
		memcpy(q->tx_buf + at, (uint8_t *)page + r->offset, n);
		gnt_unmap(g, r->gref, false);
		at += n;
	}
	return (long)at;
}

/* To the TAP, with the offloads the frontend asked for in the header. */
static int tx_send(struct net_queue *q, const struct net_tx_pkt *pkt, size_t len)
{
	struct virtio_net_hdr h = { 0 };
	if (pkt->flags & NETTXF_csum_blank) {
		uint16_t start, off;
		if (net_csum_offsets(q->tx_buf, len, &start, &off))
			return -1;      /* no TCP/UDP checksum to fill in: as netback's checksum_setup */
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = start;
		h.csum_offset = off;
	} else if (pkt->flags & NETTXF_data_validated) {
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	if (pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
		uint16_t hl = net_tcp_hdr_end(q->tx_buf, len);
		if (!hl || !(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return -1;
		h.gso_type = pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4
								       : VIRTIO_NET_HDR_GSO_TCPV6;
		h.gso_size = pkt->gso_size;
		h.hdr_len = hl;
	}
	struct iovec iov[2] = { { &h, sizeof(h) }, { q->tx_buf, len } };
	ssize_t n = writev(q->tap_fd, iov, 2);
	if (n < 0) {
		/* The TAP is down or its queue full: dropped, as a full NIC would. */
		stat_add(&q->v->st.tx_dropped, 1);
		return 0;
	}
	stat_add(&q->v->st.tx_packets, 1);
	stat_add(&q->v->st.tx_bytes, len);
	return 0;
}

/* Every complete packet on the TX ring; true if something was done. */
static bool do_tx(struct net_queue *q)
{
	bool did = false;
	for (;;) {
		RING_IDX rp = __atomic_load_n(&q->tx->req_prod, __ATOMIC_ACQUIRE);
		RING_IDX avail = rp - q->tx_cons;
		if (avail > RING_TX_SIZE) {
			say(q->v, "queue %u: TX req_prod %u is %u ahead (ring of %u): not serving it any more",
			    q->idx, rp, avail, (unsigned)RING_TX_SIZE);
			q->broken = true;
			stat_add(&q->v->st.tx_errors, 1);
			return did;
		}
		if (avail == 0) {
			q->tx->req_event = q->tx_cons + 1;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&q->tx->req_prod, __ATOMIC_ACQUIRE) == q->tx_cons)
				return did;
			continue;
		}
		unsigned n = avail < NET_MAX_SLOTS + 1 ? avail : NET_MAX_SLOTS + 1;
		for (unsigned i = 0; i < n; i++)
			memcpy(&q->slots[i], &q->tx->ring[(q->tx_cons + i) % RING_TX_SIZE].req,
			       sizeof(q->slots[i]));
		struct net_tx_pkt pkt;
		enum net_tx_verdict vd = net_tx_gather(q->slots, n, &pkt);
		if (vd == NET_TX_INCOMPLETE) {
			if (avail < RING_TX_SIZE && n < NET_MAX_SLOTS + 1)
				return did;     /* the rest of the packet is still coming */
			pkt.nr_slots = n;       /* can never complete */
			vd = NET_TX_BAD;
		}
		int16_t st = NETIF_RSP_OKAY;
		if (vd == NET_TX_BAD) {
			st = NETIF_RSP_ERROR;
		} else {
			long len = tx_copy(q, &pkt);
			if (len < 0 || tx_send(q, &pkt, (size_t)len))
				st = NETIF_RSP_ERROR;
		}
		if (st != NETIF_RSP_OKAY) {
			stat_add(&q->v->st.tx_errors, 1);
			trace_net(q->v, "queue %u: TX packet of %u slots refused", q->idx, pkt.nr_slots);
		}
		q->tx_cons += pkt.nr_slots;
		tx_respond(q, &pkt, st);
		did = true;
	}
}

/* ----------------------------------------------------------------- RX */

/* Copy the pending packet into the frontend's RX buffers; false if there are not enough yet. */
static bool rx_deliver(struct net_queue *q)
{
	struct net_vif *v = q->v;
	bool gso = q->rx_hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	unsigned data_slots = (unsigned)((q->rx_len + 4095) / 4096);
	unsigned need = data_slots + (gso ? 1 : 0);
	if (data_slots > 1 && !v->fe_sg) {
		stat_add(&v->st.rx_dropped, 1);         /* cannot happen with the TAP's MTU and offloads */
		return true;
	}
	RING_IDX rp = __atomic_load_n(&q->rx->req_prod, __ATOMIC_ACQUIRE);
	if ((RING_IDX)(rp - q->rx_cons) > RING_RX_SIZE) {
		say(v, "queue %u: RX req_prod %u is far ahead of us: not serving it any more", q->idx, rp);
		q->broken = true;
		stat_add(&v->st.rx_errors, 1);
		return false;
	}
	if ((RING_IDX)(rp - q->rx_cons) < need) {
		/* Tell us when enough buffers are there (feature-rx-notify). */
		q->rx->req_event = q->rx_cons + need;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rp = __atomic_load_n(&q->rx->req_prod, __ATOMIC_ACQUIRE);
		if ((RING_IDX)(rp - q->rx_cons) < need)
			return false;
	}
	uint16_t csum = q->rx_hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ? NETRXF_csum_blank | NETRXF_data_validated
		      : q->rx_hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID ? NETRXF_data_validated : 0;
	size_t at = 0;
	bool failed = false;
	for (unsigned s = 0; s < need; s++) {
		struct netif_rx_request req;
		memcpy(&req, &q->rx->ring[q->rx_cons % RING_RX_SIZE].req, sizeof(req));
		q->rx_cons++;
		if (gso && s == 1) {
			struct netif_extra_info *x = (void *)&q->rx->ring[q->rx_rsp % RING_RX_SIZE].rsp;
			memset(x, 0, sizeof(*x));
			x->type = XEN_NETIF_EXTRA_TYPE_GSO;
			x->u.gso.size = q->rx_hdr.gso_size;
			x->u.gso.type = (q->rx_hdr.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6
					? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4;
			q->rx_rsp++;
			continue;
		}
		size_t n = q->rx_len - at < 4096 ? q->rx_len - at : 4096;
		struct netif_rx_response *r = &q->rx->ring[q->rx_rsp % RING_RX_SIZE].rsp;
		void *page;
		int16_t status;
		if (failed || gnt_map(v->x.h->gnt, req.gref, true, &page) != GNTST_okay) {
			failed = true;
			status = NETIF_RSP_ERROR;
		} else {
			memcpy(page, q->rx_buf + at, n);
			gnt_unmap(v->x.h->gnt, req.gref, true);
			status = (int16_t)n;
		}
		at += n;
		uint16_t flags = 0;
		if (s == 0)
			flags |= csum | (gso ? NETRXF_extra_info : 0);
		if (at < q->rx_len)
			flags |= NETRXF_more_data;
		r->id = req.id;
		r->offset = 0;
		r->flags = flags;
		r->status = status;
		q->rx_rsp++;
	}
	q->notify |= push(&q->rx->rsp_prod, &q->rx->rsp_event, q->rx_rsp);
	if (failed) {
		stat_add(&v->st.rx_errors, 1);
	} else {
		stat_add(&v->st.rx_packets, 1);
		stat_add(&v->st.rx_bytes, q->rx_len);
	}
	return true;
}

/* Packets from the TAP into the guest; true if something was done. */
static bool do_rx(struct net_queue *q)
{
	bool did = false;
	for (unsigned i = 0; i < NET_RX_BATCH && !q->broken; i++) {
		if (!q->rx_pending) {
			struct iovec iov[2] = { { &q->rx_hdr, sizeof(q->rx_hdr) }, { q->rx_buf, sizeof(q->rx_buf) } };
			ssize_t n = readv(q->tap_fd, iov, 2);
			if (n < (ssize_t)sizeof(q->rx_hdr))
				return did;     /* nothing (EAGAIN), or the TAP is gone */
			q->rx_len = (size_t)n - sizeof(q->rx_hdr);
			if (q->rx_len >= sizeof(q->rx_buf) || q->rx_len < NET_ETH_HLEN) {
				stat_add(&q->v->st.rx_dropped, 1);      /* truncated or runt: never to the guest */
				did = true;
				continue;
			}
			q->rx_pending = true;
		}
		if (!rx_deliver(q))
			return did;
		q->rx_pending = false;
		did = true;
	}
	return did;
}

static void *queue_thread(void *arg)
{
	struct net_queue *q = arg;
	while (!q->ev.stop) {
		bool did = false;
		if (!q->broken) {
			did |= do_tx(q);
			did |= do_rx(q);
		}
		if (q->notify) {
			q->notify = false;
			q->v->x.h->notify(q->v->x.h->host, q->ev.dom0_port);
		}
		if (!did)
			be_queue_wait(&q->ev, q->rx_pending ? -1 : q->tap_fd, 1000);
	}
	return NULL;
}

/* ---------------------------------------------------------------- TAP */

/* Open the TAP (a new queue of it if it exists and is multi-queue). */
static int tap_open(struct net_vif *v, bool multi_queue, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	struct ifreq ifr = { 0 };
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", v->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUNSETIFF %s: %s", v->ifname, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(v->ifname, sizeof(v->ifname), "%s", ifr.ifr_name);
	return fd;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	int rc = ioctl(s, req, ifr);
	int e = errno;
	close(s);
	errno = e;
	return rc;
}

static int tap_configure(struct net_vif *v, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", v->ifname);
	if (v->mtu) {
		ifr.ifr_mtu = (int)v->mtu;
		if (ifreq_ioctl(SIOCSIFMTU, &ifr)) {
			snprintf(err, errlen, "%s: setting MTU %u: %s", v->ifname, v->mtu, strerror(errno));
			return -1;
		}
	}
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ifreq_ioctl(SIOCSIFFLAGS, &ifr)) {
			snprintf(err, errlen, "%s: bringing it up: %s", v->ifname, strerror(errno));
			return -1;
		}
	}
	if (v->bridge[0]) {
		struct ifreq br = { 0 }, idx = { 0 };
		snprintf(idx.ifr_name, sizeof(idx.ifr_name), "%s", v->ifname);
		snprintf(br.ifr_name, sizeof(br.ifr_name), "%s", v->bridge);
		if (ifreq_ioctl(SIOCGIFINDEX, &idx) == 0)
			br.ifr_ifindex = idx.ifr_ifindex;
		if (!br.ifr_ifindex || ifreq_ioctl(SIOCBRADDIF, &br)) {
			snprintf(err, errlen, "adding %s to bridge %s: %s", v->ifname, v->bridge, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Xen's hotplug convention: "script online|offline" with vif, XENBUS_PATH, ... in the environment. */
static int run_script(struct net_vif *v, const char *action, char *err, size_t errlen)
{
	if (!v->script[0])
		return 0;
	char mac[18], e_vif[64], e_path[192], e_bridge[64], e_mac[40], e_ip[300];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2],
		 v->mac[3], v->mac[4], v->mac[5]);
	snprintf(e_vif, sizeof(e_vif), "vif=%s", v->ifname);
	snprintf(e_path, sizeof(e_path), "XENBUS_PATH=%s", v->x.be);
	snprintf(e_bridge, sizeof(e_bridge), "bridge=%s", v->bridge);
	snprintf(e_mac, sizeof(e_mac), "mac=%s", mac);
	snprintf(e_ip, sizeof(e_ip), "ip=%s", v->ip);
	char *envp[64];
	unsigned n = 0;
	for (char **e = environ; *e && n < 56; e++)
		envp[n++] = *e;
	envp[n++] = e_vif;
	envp[n++] = e_path;
	envp[n++] = e_bridge;
	envp[n++] = e_mac;
	envp[n++] = e_ip;
	envp[n++] = (char *)"script=xenner";
	envp[n] = NULL;
	char *argv[] = { v->script, (char *)action, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, v->script, NULL, NULL, argv, envp);
	if (rc) {
		snprintf(err, errlen, "script %s: %s", v->script, strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, errlen, "script %s %s failed (%s %d)", v->script, action,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- the handshake */

static void queue_disconnect(struct net_vif *v, struct net_queue *q)
{
	struct backend_host *h = v->x.h;
	be_queue_stop(&v->x, &q->ev);
	if (q->tx) {
		gnt_unmap(h->gnt, q->tx_ref, true);
		q->tx = NULL;
	}
	if (q->rx) {
		gnt_unmap(h->gnt, q->rx_ref, true);
		q->rx = NULL;
	}
	if (q->tap_fd >= 0 && q->tap_fd != v->tap_fd)
		close(q->tap_fd);
	q->tap_fd = -1;
}

static void disconnect(struct net_vif *v)
{
	for (unsigned i = 0; i < NET_MAX_QUEUES; i++)
		if (v->q[i])
			queue_disconnect(v, v->q[i]);
	v->connected = false;
	v->nr_queues = 0;
}

static int queue_connect(struct net_vif *v, struct net_queue *q, const char *dir)
{
	struct backend_host *h = v->x.h;
	long long tx = xb_read_uint(&v->x, dir, "tx-ring-ref", UINT32_MAX);
	long long rx = xb_read_uint(&v->x, dir, "rx-ring-ref", UINT32_MAX);
	long long port = xb_read_uint(&v->x, dir, "event-channel", UINT32_MAX);
	if (tx < 0 || rx < 0 || port < 0) {
		say(v, "%s: %s", dir, xb_read_uint(&v->x, dir, "event-channel-tx", UINT32_MAX) >= 0
			? "split event channels are not offered (feature-split-event-channels)"
			: "tx-ring-ref, rx-ring-ref or event-channel missing or not a number");
		return -EINVAL;
	}
	unsigned idx = q->idx;
	memset(q, 0, offsetof(struct net_queue, rx_buf));
	q->v = v;
	q->idx = idx;
	be_queue_init(&q->ev);
	q->tap_fd = -1;
	q->tx_ref = (grant_ref_t)tx;
	q->rx_ref = (grant_ref_t)rx;
	void *page;
	if (gnt_map(h->gnt, q->tx_ref, true, &page) != GNTST_okay) {
		say(v, "queue %u: cannot map tx-ring-ref %u", idx, q->tx_ref);
		return -EINVAL;
	}
	q->tx = page;
	if (gnt_map(h->gnt, q->rx_ref, true, &page) != GNTST_okay) {
		say(v, "queue %u: cannot map rx-ring-ref %u", idx, q->rx_ref);
		return -EINVAL;
	}
	q->rx = page;
	q->tx_cons = q->tx_rsp = __atomic_load_n(&q->tx->rsp_prod, __ATOMIC_ACQUIRE);
	q->rx_cons = q->rx_rsp = __atomic_load_n(&q->rx->rsp_prod, __ATOMIC_ACQUIRE);
	if (idx == 0) {
		q->tap_fd = v->tap_fd;
	} else {
		char err[200];
		q->tap_fd = tap_open(v, true, err, sizeof(err));
		if (q->tap_fd < 0) {
			say(v, "queue %u: %s", idx, err);
			return -EINVAL;
		}
	}
	int rc = be_queue_start(&v->x, &q->ev, (unsigned)port, queue_thread, q);
	if (rc)
		return rc;
	trace_net(v, "queue %u: tx-ring-ref %u, rx-ring-ref %u, event channel %u (dom0 port %u)", idx,
		  q->tx_ref, q->rx_ref, q->ev.guest_port, q->ev.dom0_port);
	return 0;
}

static unsigned max_queues(const struct net_vif *v)
{
	unsigned n = v->x.h->nr_vcpus;
	if (!v->tap_multi_queue)
		return 1;
	return n < 1 ? 1 : n > NET_MAX_QUEUES ? NET_MAX_QUEUES : n;
}

static bool fe_flag(struct net_vif *v, const char *key, bool dflt)
{
	long long n = xb_read_uint(&v->x, v->x.fe, key, 1);
	return n < 0 ? dflt : n == 1;
}

/* Linux netback's connect_data_rings() and read_xenbus_vif_flags(). */
static int vif_connect(struct net_vif *v)
{
	if (!fe_flag(v, "request-rx-copy", false)) {
		say(v, "the frontend does not request rx-copy; page flipping is not supported");
		return -EINVAL;
	}
	if (!fe_flag(v, "feature-rx-notify", false)) {
		say(v, "the frontend lacks feature-rx-notify, which netback requires");
		return -EINVAL;
	}
	v->fe_sg = fe_flag(v, "feature-sg", false);
	v->fe_gso4 = fe_flag(v, "feature-gso-tcpv4", false);
	v->fe_gso6 = fe_flag(v, "feature-gso-tcpv6", false);
	v->fe_csum = !fe_flag(v, "feature-no-csum-offload", false);
	v->fe_ipv6_csum = fe_flag(v, "feature-ipv6-csum-offload", false);
	int nq = xb_frontend_queues(&v->x, max_queues(v));
	if (nq < 0)
		return nq;
	/* What the TAP may hand us: only what the frontend can take. */
	unsigned off = 0;
	if (v->fe_csum && v->fe_ipv6_csum) {
		off = TUN_F_CSUM;
		if (v->fe_sg && v->fe_gso4)
			off |= TUN_F_TSO4;
		if (v->fe_sg && v->fe_gso6)
			off |= TUN_F_TSO6;
	}
	if (ioctl(v->tap_fd, TUNSETOFFLOAD, off) < 0)
		say(v, "TUNSETOFFLOAD %#x: %s", off, strerror(errno));
	v->nr_queues = (unsigned)nq;
	for (unsigned i = 0; i < v->nr_queues; i++) {
		char dir[160];
		xb_queue_dir(&v->x, v->nr_queues, i, dir, sizeof(dir));
		int rc = queue_connect(v, v->q[i], dir);
		if (rc)
			return rc;
	}
	v->connected = true;
	if (v->nr_queues > v->st.queues)
		v->st.queues = v->nr_queues;
	trace_net(v, "connected: %u queue(s), sg %d, gso %d/%d, csum %d, offloads %#x", v->nr_queues,
		  v->fe_sg, v->fe_gso4, v->fe_gso6, v->fe_csum, off);
	return 0;
}

static int net_connect(struct xb_device *x)
{
	return vif_connect((struct net_vif *)x);
}

static void net_disconnect(struct xb_device *x)
{
	disconnect((struct net_vif *)x);
}

/* libxl's vif nodes (libxl_nic.c), then Linux netback's probe: features, InitWait. */
static int write_nodes(struct net_vif *v)
{
	struct backend_host *h = v->x.h;
	char fe_id[16], handle[16], mac[18];
	snprintf(fe_id, sizeof(fe_id), "%u", h->domid);
	snprintf(handle, sizeof(handle), "%u", v->devid);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2],
		 v->mac[3], v->mac[4], v->mac[5]);
	const char *bkv[24] = {
		"frontend-id", fe_id, "online", "1", "state", "1", "mac", mac, "handle", handle,
		"type", "vif", "vifname", v->ifname,
	};
	unsigned n = 14;
	if (v->bridge[0]) {
		bkv[n++] = "bridge";
		bkv[n++] = v->bridge;
	}
	if (v->script[0]) {
		bkv[n++] = "script";
		bkv[n++] = v->script;
	}
	if (v->ip[0]) {
		bkv[n++] = "ip";
		bkv[n++] = v->ip;
	}
	bkv[n] = NULL;
	const char *fkv[] = { "backend-id", "0", "state", "1", "handle", handle, "mac", mac, NULL };
	return xs_populate_device(xenbus_store(h->xb), h->domid, "vif", v->devid, bkv, fkv);
}

static void advertise(struct net_vif *v)
{
#define ADV(key, ...) xb_printf(&v->x, v->x.be, key, __VA_ARGS__)
	ADV("feature-sg", "%d", 1);
	ADV("feature-gso-tcpv4", "%d", 1);
	ADV("feature-gso-tcpv6", "%d", 1);
	ADV("feature-ipv6-csum-offload", "%d", 1);
	ADV("feature-rx-copy", "%d", 1);
	ADV("feature-rx-flip", "%d", 0);
	ADV("multi-queue-max-queues", "%u", max_queues(v));
	ADV("mtu", "%u", v->mtu ? v->mtu : 1500);
	ADV("hotplug-status", "%s", "connected");
#undef ADV
	xb_set_state(&v->x, XenbusStateInitWait);
}

struct net_vif *netback_create(struct backend_host *h, const struct net_vif_config *cfg,
			       char *err, size_t errlen)
{
	struct net_vif *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->devid = cfg->devid;
	memcpy(v->mac, cfg->mac, 6);
	v->mtu = cfg->mtu;
	v->tap_fd = -1;
	if (cfg->ifname && cfg->ifname[0])
		snprintf(v->ifname, sizeof(v->ifname), "%s", cfg->ifname);
	else
		snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", h->domid, cfg->devid);
	snprintf(v->bridge, sizeof(v->bridge), "%s", cfg->bridge ? cfg->bridge : "");
	snprintf(v->script, sizeof(v->script), "%s", cfg->script ? cfg->script : "");
	snprintf(v->ip, sizeof(v->ip), "%s", cfg->ip ? cfg->ip : "");
	char name[48];
	snprintf(name, sizeof(name), "netback %s", v->ifname);
	xb_device_init(&v->x, h, "vif", cfg->devid, name, net_connect, net_disconnect);
	for (unsigned i = 0; i < NET_MAX_QUEUES; i++) {
		v->q[i] = malloc(sizeof(*v->q[i]));
		if (!v->q[i]) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		memset(v->q[i], 0, offsetof(struct net_queue, rx_buf));
		v->q[i]->v = v;
		v->q[i]->idx = i;
		be_queue_init(&v->q[i]->ev);
		v->q[i]->tap_fd = -1;
	}
	/* A multi-queue TAP if we may; an existing single-queue one as it is. */
	char why[256];
	v->tap_fd = tap_open(v, true, why, sizeof(why));
	v->tap_multi_queue = v->tap_fd >= 0;
	if (v->tap_fd < 0)
		v->tap_fd = tap_open(v, false, err, errlen);
	if (v->tap_fd < 0)
		goto fail;
	snprintf(v->x.name, sizeof(v->x.name), "netback %s", v->ifname);   /* as the kernel named it */
	if (tap_configure(v, err, errlen))
		goto fail;
	int rc = write_nodes(v);
	if (rc) {
		snprintf(err, errlen, "cannot write its xenstore nodes: %s", strerror(-rc));
		goto fail;
	}
	if (run_script(v, "online", err, errlen))
		goto fail;
	advertise(v);
	rc = xb_watch_frontend(&v->x);
	if (rc) {
		snprintf(err, errlen, "cannot watch %s/state: %s", v->x.fe, strerror(-rc));
		goto fail;
	}
	return v;
fail:
	if (v->tap_fd >= 0)
		close(v->tap_fd);
	for (unsigned i = 0; i < NET_MAX_QUEUES; i++)
		free(v->q[i]);
	free(v);
	return NULL;
}

void netback_destroy(struct net_vif *v)
{
	if (!v)
		return;
	xb_close(&v->x);
	char err[256];
	if (run_script(v, "offline", err, sizeof(err)))
		say(v, "%s", err);
	close(v->tap_fd);
	for (unsigned i = 0; i < NET_MAX_QUEUES; i++)
		free(v->q[i]);
	free(v);
}

void netback_stats(const struct net_vif *v, struct net_stats *out)
{
	*out = v->st;
}

const char *netback_ifname(const struct net_vif *v)
{
	return v->ifname;
}
