/* blkback.c — the blkif backend: xenstore handshake, one I/O thread per queue, raw images. */
#include "backends/blkback.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>
#include "backends/blkif_req.h"
#include "backends/xenstore.h"

/*
 * Semantics follow Linux's xen-blkback (drivers/block/xen-blkback) and
 * xen/io/blkif.h: the same xenstore keys, the same states, the same
 * answers to malformed requests. Each queue has its own thread that takes
 * requests off the ring in order and does the I/O synchronously with
 * preadv/pwritev (O_DIRECT when the image allows it), so a flush or
 * barrier is complete (fdatasync) before its response, and a response is
 * never sent before its data is in the image (or the page cache, until
 * the guest flushes).
 */

#define BLK_MAX_QUEUES 4
/* Linux blkback's default max_persistent_grants. */
#define BLK_MAX_PGRANTS 1056
#define BLK_PGRANT_SLOTS 2048           /* open-addressing table, power of two */

struct pgrant {
	grant_ref_t ref;
	void *page;                     /* NULL: free slot */
};

struct blk_queue {
	struct blk_disk *d;
	unsigned idx;
	grant_ref_t ring_ref;
	uint8_t *sring;                 /* the shared page */
	const struct blkif_layout *l;
	struct be_queue ev;             /* its event channel and thread */
	RING_IDX req_cons, rsp_prod_pvt;
	bool broken;                    /* the frontend put garbage indices on the ring */
	unsigned nr_pgrants;
	struct pgrant *pgrants;         /* BLK_PGRANT_SLOTS, NULL without feature-persistent */
	struct blk_seg segs[BLK_MAX_INDIRECT_SEGS];
	struct iovec iov[BLK_MAX_INDIRECT_SEGS];
	void *mapped[BLK_MAX_INDIRECT_SEGS];
	bool transient[BLK_MAX_INDIRECT_SEGS];
	uint8_t entry[128];             /* private copy of the request */
};

struct blk_disk {
	struct xb_device x;             /* first: connect/disconnect get it; x.h is the host */
	struct blk_disk_config cfg;
	char target[4096];
	char vdev[16];
	int fd, dfd;                    /* buffered; O_DIRECT or -1 */
	uint64_t sectors;               /* 512-byte sectors */
	unsigned sector_size, physical_sector_size;
	bool is_bdev, discard;
	bool connected;
	unsigned nr_queues;
	struct blk_queue q[BLK_MAX_QUEUES];
	struct blk_stats st;
};

#define say(d, ...) xb_say(&(d)->x, __VA_ARGS__)
#define trace_blk(d, ...) xb_trace(&(d)->x, __VA_ARGS__)

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ grants */

static struct pgrant *pgrant_slot(struct blk_queue *q, grant_ref_t ref)
{
	for (unsigned i = 0, h = (ref * 2654435761u) & (BLK_PGRANT_SLOTS - 1); i < BLK_PGRANT_SLOTS;
	     i++, h = (h + 1) & (BLK_PGRANT_SLOTS - 1))
		if (!q->pgrants[h].page || q->pgrants[h].ref == ref)
			return &q->pgrants[h];
	return NULL;
}

/*
 * The page behind a segment's grant: a persistent grant (mapped writable
 * once, kept until disconnect) if the frontend uses them and there is
 * room, else a mapping for this request only.
 */
static void *seg_map(struct blk_queue *q, unsigned i, grant_ref_t ref, bool write)
{
	struct gnt_host *g = q->d->x.h->gnt;
	void *page;
	q->transient[i] = false;
	if (q->pgrants) {
		struct pgrant *p = pgrant_slot(q, ref);
		if (p && p->page)
			return p->page;
		if (p && q->nr_pgrants < BLK_MAX_PGRANTS && gnt_map(g, ref, true, &page) == GNTST_okay) {
			p->ref = ref;
			p->page = page;
			q->nr_pgrants++;
			return page;
		}
	}
	if (gnt_map(g, ref, write, &page) != GNTST_okay)
		return NULL;
	q->transient[i] = true;
	return page;
}

static void seg_unmap(struct blk_queue *q, unsigned i, grant_ref_t ref, bool write)
{
	if (q->transient[i])
		gnt_unmap(q->d->x.h->gnt, ref, write);
}

static void pgrants_release(struct blk_queue *q)
{
	if (!q->pgrants)
		return;
	for (unsigned i = 0; i < BLK_PGRANT_SLOTS; i++)
		if (q->pgrants[i].page)
			gnt_unmap(q->d->x.h->gnt, q->pgrants[i].ref, true);
	free(q->pgrants);
	q->pgrants = NULL;
	q->nr_pgrants = 0;
}

/* ---------------------------------------------------------------- I/O */

/* Read or write all of iov at off: O_DIRECT first, the page cache if the kernel refuses it. */
static int do_rw(struct blk_disk *d, bool write, struct iovec *iov, unsigned n, off_t off)
{
	size_t left = 0;
	for (unsigned i = 0; i < n; i++)
		left += iov[i].iov_len;
	int fd = d->dfd >= 0 ? d->dfd : d->fd;
	while (left) {
		ssize_t r = write ? pwritev(fd, iov, (int)n, off) : preadv(fd, iov, (int)n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && fd == d->dfd) {
			fd = d->fd;
			continue;
		}
		if (r <= 0) {
			if (r == 0 && !write) {         /* past the end of a file that shrank: zeros */
				for (unsigned i = 0; i < n; i++)
					memset(iov[i].iov_base, 0, iov[i].iov_len);
				return 0;
			}
			say(d, "%s at byte %jd: %s", write ? "write" : "read", (intmax_t)off,
			    r < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		left -= (size_t)r;
		off += r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static int do_flush(struct blk_disk *d)
{
	stat_add(&d->st.flushes, 1);
	if (fdatasync(d->fd) == 0)
		return BLKIF_RSP_OKAY;
	say(d, "fdatasync: %s", strerror(errno));
	return BLKIF_RSP_ERROR;
}

/* The data segments of a request: in the request, or in its indirect pages. */
static int load_segs(struct blk_queue *q, const struct blk_req *r)
{
	if (!r->nr_indirect) {
		memcpy(q->segs, r->seg, r->nr_segs * sizeof(r->seg[0]));
		return BLKIF_RSP_OKAY;
	}
	for (unsigned p = 0; p < r->nr_indirect; p++) {
		void *page;
		if (gnt_map(q->d->x.h->gnt, r->indirect_gref[p], false, &page) != GNTST_okay)
			return BLKIF_RSP_ERROR;
		unsigned first = p * BLK_SEGS_PER_INDIRECT_PAGE;
		unsigned n = r->nr_segs - first < BLK_SEGS_PER_INDIRECT_PAGE ? r->nr_segs - first
									     : BLK_SEGS_PER_INDIRECT_PAGE;
		blk_segs_from_indirect(page, 0, n, q->segs + first);
		gnt_unmap(q->d->x.h->gnt, r->indirect_gref[p], false);
	}
	return BLKIF_RSP_OKAY;
}

static int do_data(struct blk_queue *q, const struct blk_req *r, bool write)
{
	struct blk_disk *d = q->d;
	uint64_t sectors;
	if (write && d->cfg.readonly)
		return BLKIF_RSP_ERROR;
	if (load_segs(q, r) != BLKIF_RSP_OKAY || blk_segs_check(q->segs, r->nr_segs, &sectors) ||
	    !blk_range_ok(r->sector, sectors, d->sectors))
		return BLKIF_RSP_ERROR;
	unsigned n;
	int st = BLKIF_RSP_OKAY;
	/* Reading from the disk writes into the guest's pages, and the other way round. */
	for (n = 0; n < r->nr_segs; n++) {
		uint8_t *page = seg_map(q, n, q->segs[n].gref, !write);
		if (!page) {
			st = BLKIF_RSP_ERROR;
			break;
		}
		q->mapped[n] = page;
		q->iov[n].iov_base = page + q->segs[n].first_sect * BLK_SECTOR;
		q->iov[n].iov_len = (size_t)(q->segs[n].last_sect - q->segs[n].first_sect + 1) * BLK_SECTOR;
	}
	if (st == BLKIF_RSP_OKAY) {
		if (do_rw(d, write, q->iov, n, (off_t)(r->sector * BLK_SECTOR)))
			st = BLKIF_RSP_ERROR;
		else
			stat_add(write ? &d->st.sectors_written : &d->st.sectors_read, sectors);
	}
	while (n--)
		seg_unmap(q, n, q->segs[n].gref, !write);
	return st;
}

static int do_discard(struct blk_disk *d, const struct blk_req *r)
{
	if (!d->discard)
		return BLKIF_RSP_EOPNOTSUPP;
	if (d->cfg.readonly || !blk_range_ok(r->sector, r->discard_sectors, d->sectors))
		return BLKIF_RSP_ERROR;
	stat_add(&d->st.discards, 1);
	off_t off = (off_t)(r->sector * BLK_SECTOR), len = (off_t)(r->discard_sectors * BLK_SECTOR);
	int rc;
	if (d->is_bdev) {
		uint64_t range[2] = { (uint64_t)off, (uint64_t)len };
		rc = ioctl(d->fd, BLKDISCARD, range);
	} else {
		rc = fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	}
	if (rc == 0)
		return BLKIF_RSP_OKAY;
	if (errno == EOPNOTSUPP)
		return BLKIF_RSP_EOPNOTSUPP;
	say(d, "discard: %s", strerror(errno));
	return BLKIF_RSP_ERROR;
}

static int do_request(struct blk_queue *q, struct blk_req *r)
{
	struct blk_disk *d = q->d;
	int st = blk_req_decode(q->l, q->entry, r);
	if (st != BLKIF_RSP_OKAY)
		return st;
	switch (r->op) {
	case BLKIF_OP_READ:
		return do_data(q, r, false);
	case BLKIF_OP_WRITE:
		return do_data(q, r, true);
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* Earlier writes are done (one request at a time): flush, write, flush again (FUA). */
		if (r->nr_segs && d->cfg.readonly)
			return BLKIF_RSP_ERROR;
		st = do_flush(d);
		if (st == BLKIF_RSP_OKAY && r->nr_segs) {
			st = do_data(q, r, true);
			if (st == BLKIF_RSP_OKAY)
				st = do_flush(d);
		}
		return st;
	case BLKIF_OP_DISCARD:
		return do_discard(d, r);
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

static struct blkif_sring *sring_of(struct blk_queue *q)
{
	return (struct blkif_sring *)(void *)q->sring;
}

/* Answer everything on the ring; true if the guest should be notified. */
static bool process_ring(struct blk_queue *q)
{
	struct blkif_sring *s = sring_of(q);
	const struct blkif_layout *l = q->l;
	bool notify = false;
	if (q->broken)
		return false;
	for (;;) {
		RING_IDX rp = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
		if (rp - q->req_cons > l->nr_entries) {
			say(q->d, "queue %u: the frontend's req_prod %u is %u requests ahead of us (ring of %u): "
				  "not serving this ring any more", q->idx, rp, rp - q->req_cons, l->nr_entries);
			q->broken = true;
			stat_add(&q->d->st.errors, 1);
			return notify;
		}
		while (q->req_cons != rp && !q->ev.stop) {
			memcpy(q->entry, q->sring + l->ring_offset +
					 (q->req_cons % l->nr_entries) * l->entry_size, l->entry_size);
			q->req_cons++;
			struct blk_req r;
			int st = do_request(q, &r);
			stat_add(&q->d->st.requests, 1);
			if (st == BLKIF_RSP_ERROR)
				stat_add(&q->d->st.errors, 1);
			else if (st == BLKIF_RSP_EOPNOTSUPP)
				stat_add(&q->d->st.unsupported, 1);
			if (st != BLKIF_RSP_OKAY)
				trace_blk(q->d, "request op %u (%u) id %#" PRIx64 " sector %" PRIu64 " segs %u: %s",
					  r.operation, r.op, r.id, r.sector, r.nr_segs,
					  st == BLKIF_RSP_ERROR ? "error" : "not supported");
			blk_rsp_encode(l, q->sring + l->ring_offset +
					  (q->rsp_prod_pvt % l->nr_entries) * l->entry_size,
				       r.id, r.op, (int16_t)st);
			q->rsp_prod_pvt++;
			/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY */
			RING_IDX old = s->rsp_prod;
			__atomic_store_n(&s->rsp_prod, q->rsp_prod_pvt, __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if ((RING_IDX)(q->rsp_prod_pvt - __atomic_load_n(&s->rsp_event, __ATOMIC_RELAXED)) <
			    (RING_IDX)(q->rsp_prod_pvt - old))
				notify = true;
		}
		if (q->ev.stop)
			return notify;
		/* RING_FINAL_CHECK_FOR_REQUESTS */
		__atomic_store_n(&s->req_event, q->req_cons + 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) == q->req_cons)
			return notify;
	}
}

static void *queue_thread(void *arg)
{
	struct blk_queue *q = arg;
	while (!q->ev.stop) {
		if (process_ring(q))
			q->d->x.h->notify(q->d->x.h->host, q->ev.dom0_port);
		be_queue_wait(&q->ev, -1, 1000);
	}
	return NULL;
}

/* ------------------------------------------------------- the handshake */

static void queue_disconnect(struct blk_queue *q)
{
	be_queue_stop(&q->d->x, &q->ev);
	pgrants_release(q);
	if (q->sring) {
		gnt_unmap(q->d->x.h->gnt, q->ring_ref, true);
		q->sring = NULL;
	}
}

static void disconnect(struct blk_disk *d)
{
	for (unsigned i = 0; i < BLK_MAX_QUEUES; i++)
		queue_disconnect(&d->q[i]);
	if (d->connected)
		fdatasync(d->fd);
	d->connected = false;
	d->nr_queues = 0;
}

/* A queue's ring-ref and event-channel, in dir (the frontend dir or its queue-N). */
static int queue_connect(struct blk_disk *d, struct blk_queue *q, const char *dir,
			 const struct blkif_layout *l, bool persistent)
{
	struct backend_host *h = d->x.h;
	long long ref = xb_read_uint(&d->x, dir, "ring-ref", UINT32_MAX);
	long long port = xb_read_uint(&d->x, dir, "event-channel", UINT32_MAX);
	if (ref < 0 || port < 0) {
		say(d, "%s: %s", dir, xb_read_uint(&d->x, dir, "ring-page-order", 64) > 0
			? "multi-page rings are not supported (max-ring-page-order is not offered)"
			: "ring-ref or event-channel missing or not a number");
		return -EINVAL;
	}
	memset(q, 0, offsetof(struct blk_queue, segs));
	q->d = d;
	q->idx = (unsigned)(q - d->q);
	q->l = l;
	be_queue_init(&q->ev);
	q->ring_ref = (grant_ref_t)ref;
	void *page;
	int16_t gst = gnt_map(h->gnt, q->ring_ref, true, &page);
	if (gst != GNTST_okay) {
		say(d, "queue %u: cannot map ring-ref %u (grant status %d)", q->idx, q->ring_ref, gst);
		return -EINVAL;
	}
	q->sring = page;
	struct blkif_sring *s = sring_of(q);
	q->req_cons = q->rsp_prod_pvt = __atomic_load_n(&s->rsp_prod, __ATOMIC_ACQUIRE);
	if (persistent && !(q->pgrants = calloc(BLK_PGRANT_SLOTS, sizeof(*q->pgrants))))
		return -ENOMEM;
	int rc = be_queue_start(&d->x, &q->ev, (unsigned)port, queue_thread, q);
	if (rc)
		return rc;
	trace_blk(d, "queue %u: ring-ref %u, event channel %u (dom0 port %u), %s%s", q->idx,
		  q->ring_ref, q->ev.guest_port, q->ev.dom0_port, l->protocol,
		  persistent ? ", persistent grants" : "");
	return 0;
}

static unsigned max_queues(const struct blk_disk *d)
{
	unsigned n = d->x.h->nr_vcpus;
	return n < 1 ? 1 : n > BLK_MAX_QUEUES ? BLK_MAX_QUEUES : n;
}

/* Linux blkback's connect_ring() then connect(). */
static int connect(struct blk_disk *d)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/protocol", d->x.fe);
	char *proto = xenbus_read(d->x.h->xb, path);
	const struct blkif_layout *l = d->x.h->guest_bits == 32 ? &blkif_layout_x86_32 : &blkif_layout_x86_64;
	if (proto && !(l = blkif_layout_find(proto))) {
		say(d, "the frontend speaks protocol '%.64s', which is not %s or %s", proto,
		    XEN_IO_PROTO_ABI_X86_64, XEN_IO_PROTO_ABI_X86_32);
		free(proto);
		return -EINVAL;
	}
	free(proto);
	bool persistent = xb_read_uint(&d->x, d->x.fe, "feature-persistent", 1) == 1;
	int nq = xb_frontend_queues(&d->x, max_queues(d));
	if (nq < 0)
		return nq;
	d->nr_queues = (unsigned)nq;
	for (unsigned i = 0; i < d->nr_queues; i++) {
		char dir[160];
		xb_queue_dir(&d->x, d->nr_queues, i, dir, sizeof(dir));
		int rc = queue_connect(d, &d->q[i], dir, l, persistent);
		if (rc)
			return rc;
	}
	d->connected = true;
	if (d->nr_queues > d->st.queues)
		d->st.queues = d->nr_queues;
	/* connect(): what the frontend reads once we are Connected. */
	xb_printf(&d->x, d->x.be, "sectors", "%" PRIu64, d->sectors);
	xb_printf(&d->x, d->x.be, "info", "%u", (d->cfg.readonly ? VDISK_READONLY : 0) |
						(d->cfg.cdrom ? VDISK_CDROM | VDISK_REMOVABLE : 0));
	xb_printf(&d->x, d->x.be, "sector-size", "%u", d->sector_size);
	xb_printf(&d->x, d->x.be, "physical-sector-size", "%u", d->physical_sector_size);
	return 0;
}

static int blk_connect(struct xb_device *x)
{
	return connect((struct blk_disk *)x);
}

static void blk_disconnect(struct xb_device *x)
{
	disconnect((struct blk_disk *)x);
}

/* ------------------------------------------------------------ the disk */

static int open_target(struct blk_disk *d, char *err, size_t errlen)
{
	int flags = (d->cfg.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	d->fd = open(d->target, flags);
	if (d->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", d->target, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(d->fd, &st)) {
		snprintf(err, errlen, "%s: %s", d->target, strerror(errno));
		return -1;
	}
	uint64_t bytes;
	d->sector_size = d->physical_sector_size = BLK_SECTOR;
	if (S_ISBLK(st.st_mode)) {
		d->is_bdev = true;
		int ss = 0;
		unsigned pss = 0;
		if (ioctl(d->fd, BLKGETSIZE64, &bytes)) {
			snprintf(err, errlen, "%s: BLKGETSIZE64: %s", d->target, strerror(errno));
			return -1;
		}
		if (ioctl(d->fd, BLKSSZGET, &ss) == 0 && ss > 0)
			d->sector_size = (unsigned)ss;
		if (ioctl(d->fd, BLKPBSZGET, &pss) == 0 && pss > 0)
			d->physical_sector_size = pss;
		d->discard = !d->cfg.readonly;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
		d->discard = !d->cfg.readonly;
	} else {
		snprintf(err, errlen, "%s is neither a file nor a block device", d->target);
		return -1;
	}
	if (bytes % BLK_SECTOR) {
		snprintf(err, errlen, "%s: its size (%" PRIu64 " bytes) is not a multiple of %u",
			 d->target, bytes, BLK_SECTOR);
		return -1;
	}
	d->sectors = bytes / BLK_SECTOR;
	d->dfd = open(d->target, flags | O_DIRECT);     /* tmpfs and others refuse: buffered only */
	return 0;
}

/* libxl's disk nodes (libxl_disk.c: device_disk_add), as for a "phy" backend. */
static int write_nodes(struct blk_disk *d)
{
	struct backend_host *h = d->x.h;
	char fe_id[16], devid[16];
	snprintf(fe_id, sizeof(fe_id), "%u", h->domid);
	snprintf(devid, sizeof(devid), "%u", d->cfg.devid);
	const char *type = d->cfg.cdrom ? "cdrom" : "disk";
	const char *bkv[] = {
		"frontend-id", fe_id, "online", "1", "removable", d->cfg.cdrom ? "1" : "0",
		"bootable", "1", "state", "1", "dev", d->vdev, "type", "phy", "mode",
		d->cfg.readonly ? "r" : "w", "device-type", type, "params", d->target,
		"discard-enable", d->discard ? "1" : "0", NULL,
	};
	const char *fkv[] = {
		"backend-id", "0", "state", "1", "virtual-device", devid, "device-type", type, NULL,
	};
	return xs_populate_device(xenbus_store(h->xb), h->domid, "vbd", d->cfg.devid, bkv, fkv);
}

/* Linux blkback's probe and backend_changed(): what the frontend may use, then InitWait. */
static void advertise(struct blk_disk *d)
{
#define ADV(key, ...) xb_printf(&d->x, d->x.be, key, __VA_ARGS__)
	ADV("feature-max-indirect-segments", "%u", BLK_MAX_INDIRECT_SEGS);
	ADV("multi-queue-max-queues", "%u", max_queues(d));
	ADV("feature-flush-cache", "%d", 1);
	ADV("feature-barrier", "%d", 1);
	ADV("feature-persistent", "%d", 1);
	if (d->discard) {
		ADV("feature-discard", "%d", 1);
		ADV("discard-granularity", "%u", d->is_bdev ? d->physical_sector_size : 4096u);
		ADV("discard-alignment", "%d", 0);
		ADV("discard-secure", "%d", 0);
	}
#undef ADV
	xb_set_state(&d->x, XenbusStateInitWait);
}

struct blk_disk *blkback_create(struct backend_host *h, const struct blk_disk_config *cfg,
				char *err, size_t errlen)
{
	struct blk_disk *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	snprintf(d->target, sizeof(d->target), "%s", cfg->target);
	snprintf(d->vdev, sizeof(d->vdev), "%s", cfg->vdev);
	d->cfg.target = d->target;
	d->cfg.vdev = d->vdev;
	d->fd = d->dfd = -1;
	for (unsigned i = 0; i < BLK_MAX_QUEUES; i++) {
		d->q[i].d = d;
		d->q[i].idx = i;
		be_queue_init(&d->q[i].ev);
	}
	char name[48];
	snprintf(name, sizeof(name), "blkback %s", d->vdev);
	xb_device_init(&d->x, h, "vbd", cfg->devid, name, blk_connect, blk_disconnect);
	if (open_target(d, err, errlen))
		goto fail;
	int rc = write_nodes(d);
	if (rc) {
		snprintf(err, errlen, "cannot write its xenstore nodes: %s", strerror(-rc));
		goto fail;
	}
	advertise(d);
	rc = xb_watch_frontend(&d->x);
	if (rc) {
		snprintf(err, errlen, "cannot watch %s/state: %s", d->x.fe, strerror(-rc));
		goto fail;
	}
	return d;
fail:
	if (d->fd >= 0)
		close(d->fd);
	if (d->dfd >= 0)
		close(d->dfd);
	free(d);
	return NULL;
}

void blkback_destroy(struct blk_disk *d)
{
	if (!d)
		return;
	xb_close(&d->x);
	if (!d->cfg.readonly && fdatasync(d->fd))
		say(d, "fdatasync at exit: %s", strerror(errno));
	close(d->fd);
	if (d->dfd >= 0)
		close(d->dfd);
	free(d);
}

void blkback_stats(const struct blk_disk *d, struct blk_stats *out)
{
	*out = d->st;
}
