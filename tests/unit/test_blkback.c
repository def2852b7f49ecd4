/* test_blkback.c — blkback against a simulated frontend: handshake, I/O, hostile requests, teardown. */
#define CHECK_SUITE "blkback"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/blkback.h"
#include "backends/blkif_req.h"
#include "backends/xenstore.h"
#include "fake_guest.h"
#include <xen/io/xenbus.h>

/*
 * The guest here is this test: guest RAM is an array, its grant table a
 * page of "stub" memory, its xenstore writes go through a domid-1
 * connection (so the permissions libxl gives the frontend directory are
 * exercised too), and its event channel is a counter. blkback runs for real:
 * its I/O thread serves the ring while the test waits for responses.
 */
#define RING_MFN 1

static struct blk_disk *disk;
static char image[64];
static const struct blkif_layout *L;
static RING_IDX req_prod;
static unsigned setup_vcpus = 1;

static int guest_write(const char *path, const char *value)
{
	return xs_write(guest, 0, path, value, strlen(value));
}

static char *be_read(const char *key)
{
	char path[160];
	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u/51712/%s", DOMID, key);
	return xenbus_read(host.xb, path);
}

static long be_state(void)
{
	char *v = be_read("state");
	long s = v ? strtol(v, NULL, 10) : -1;
	free(v);
	return s;
}

static void fe_state(int state)
{
	char v[8];
	snprintf(v, sizeof(v), "%d", state);
	guest_write("/local/domain/1/device/vbd/51712/state", v);
	xenbus_dispatch(host.xb);
}

/* A fresh machine and a disk of 1 MiB (sectors numbered into their bytes). */
static int setup(bool readonly, const char *protocol)
{
	if (disk) {
		blkback_destroy(disk);
		disk = NULL;
	}
	if (fake_guest_reset(setup_vcpus))
		return -1;
	req_prod = 0;

	snprintf(image, sizeof(image), "/tmp/test_blkback.XXXXXX");
	int fd = mkstemp(image);
	if (fd < 0)
		return -1;
	static uint8_t data[1 << 20];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i / 512 + i);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		return -1;
	close(fd);
	struct blk_disk_config cfg = { .target = image, .vdev = "xvda", .devid = 51712, .readonly = readonly };
	char err[256];
	disk = blkback_create(&host, &cfg, err, sizeof(err));
	unlink(image);
	if (!disk)
		return -1;
	L = protocol && !strcmp(protocol, "x86_32-abi") ? &blkif_layout_x86_32 : &blkif_layout_x86_64;
	return 0;
}

/* The frontend's side of the handshake: ring in RAM_MFN (ref 1), port 5. */
static void connect_frontend(const char *protocol, bool persistent)
{
	grant(1, RING_MFN, false);
	struct blkif_sring *s = (struct blkif_sring *)(void *)ram[RING_MFN];
	s->req_event = s->rsp_event = 1;
	guest_write("/local/domain/1/device/vbd/51712/ring-ref", "1");
	guest_write("/local/domain/1/device/vbd/51712/event-channel", "5");
	if (protocol)
		guest_write("/local/domain/1/device/vbd/51712/protocol", protocol);
	if (persistent)
		guest_write("/local/domain/1/device/vbd/51712/feature-persistent", "1");
	fe_state(XenbusStateInitialised);
}

/* Put one request (raw entry bytes) on the ring, kick, wait for its response; the status. */
static int16_t submit(const void *entry, uint64_t *id_out, uint8_t *op_out)
{
	uint8_t *ring = ram[RING_MFN];
	struct blkif_sring *s = (struct blkif_sring *)(void *)ring;
	memcpy(ring + L->ring_offset + (req_prod % L->nr_entries) * L->entry_size, entry, L->entry_size);
	req_prod++;
	__atomic_store_n(&s->req_prod, req_prod, __ATOMIC_RELEASE);
	if (kick_fn)
		kick_fn(kick_arg);
	for (int i = 0; i < 5000 && __atomic_load_n(&s->rsp_prod, __ATOMIC_ACQUIRE) != req_prod; i++)
		usleep(1000);
	if (__atomic_load_n(&s->rsp_prod, __ATOMIC_ACQUIRE) != req_prod)
		return 99;
	const uint8_t *r = ring + L->ring_offset + ((req_prod - 1) % L->nr_entries) * L->entry_size;
	int16_t st;
	memcpy(&st, r + L->rsp_status, 2);
	if (id_out)
		memcpy(id_out, r + L->rsp_id, 8);
	if (op_out)
		*op_out = r[L->rsp_operation];
	return st;
}

/* A read/write/flush request entry in layout L. */
static void *rw(uint8_t op, uint64_t id, uint64_t sector, unsigned n, const grant_ref_t *refs,
		uint8_t first, uint8_t last)
{
	static uint8_t e[128];
	memset(e, 0, sizeof(e));
	e[0] = op;
	e[1] = (uint8_t)n;
	memcpy(e + L->id, &id, 8);
	memcpy(e + L->sector_number, &sector, 8);
	for (unsigned i = 0; i < n && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		uint8_t *sg = e + L->seg + 8 * i;
		memcpy(sg, &refs[i], 4);
		sg[4] = first;
		sg[5] = last;
	}
	return e;
}

/* What setup() wrote at byte offset off of the image. */
static uint8_t initial_byte(uint64_t off)
{
	return (uint8_t)(off / 512 + off);
}

static struct blk_stats stats(void)
{
	struct blk_stats st;
	blkback_stats(disk, &st);
	return st;
}

TEST(backend_waits_with_its_features_as_linux_blkback)
{
	CHECK_EQ(setup(false, NULL), 0);
	CHECK_EQ(be_state(), XenbusStateInitWait);
	char *v;
	CHECK_STR(v = be_read("feature-flush-cache"), "1");
	free(v);
	CHECK_STR(v = be_read("feature-max-indirect-segments"), "256");
	free(v);
	CHECK_STR(v = be_read("feature-persistent"), "1");
	free(v);
	CHECK_STR(v = be_read("mode"), "w");
	free(v);
	CHECK_STR(v = be_read("frontend"), "/local/domain/1/device/vbd/51712");
	free(v);
	/* The guest may read the backend but not write it. */
	CHECK_EQ(xs_write(guest, 0, "/local/domain/0/backend/vbd/1/51712/sectors", "1", 1), -EACCES);
	fe_state(XenbusStateInitialising);
	CHECK_EQ(be_state(), XenbusStateInitWait);
}

TEST(connect_write_read_flush_in_the_native_abi)
{
	CHECK_EQ(setup(false, NULL), 0);
	connect_frontend(NULL, false);
	CHECK_EQ(be_state(), XenbusStateConnected);
	CHECK_EQ(bound, 1);
	char *v;
	CHECK_STR(v = be_read("sectors"), "2048");
	free(v);
	CHECK_STR(v = be_read("info"), "0");
	free(v);
	CHECK_STR(v = be_read("sector-size"), "512");
	free(v);
	/* Write 3 sectors from frame 10 (sectors 1-3 of it) at disk sector 100. */
	memset(ram[10], 0xab, 4096);
	grant(10, 10, true);
	grant_ref_t r10 = 10;
	uint64_t id;
	uint8_t op;
	CHECK_EQ(submit(rw(BLKIF_OP_WRITE, 0x77, 100, 1, &r10, 1, 3), &id, &op), BLKIF_RSP_OKAY);
	CHECK_EQ(id, 0x77);
	CHECK_EQ(op, BLKIF_OP_WRITE);
	CHECK_EQ(table[10].flags, GTF_permit_access | GTF_readonly);   /* unmapped again */
	CHECK(notified > 0);
	/* Read disk sectors 99-104 into frame 11. */
	grant(11, 11, false);
	grant_ref_t r11 = 11;
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 0x78, 99, 1, &r11, 0, 5), NULL, NULL), BLKIF_RSP_OKAY);
	for (unsigned i = 0; i < 6 * 512; i++) {
		uint64_t off = 99 * 512 + i;
		uint8_t want = off >= 100 * 512 && off < 103 * 512 ? 0xab : initial_byte(off);
		if (ram[11][i] != want)
			CHECK_EQ(ram[11][i], want);
	}
	CHECK_EQ(submit(rw(BLKIF_OP_FLUSH_DISKCACHE, 0x79, 0, 0, NULL, 0, 0), NULL, NULL), BLKIF_RSP_OKAY);
	struct blk_stats st = stats();
	CHECK_EQ(st.sectors_written, 3);
	CHECK_EQ(st.sectors_read, 6);
	CHECK_EQ(st.flushes, 1);
	CHECK_EQ(st.errors, 0);
}

TEST(i386_frontend_with_persistent_grants_and_indirect_segments)
{
	CHECK_EQ(setup(false, "x86_32-abi"), 0);
	connect_frontend("x86_32-abi", true);
	CHECK_EQ(be_state(), XenbusStateConnected);
	/* 16 segments of one sector each, listed in an indirect page (frame 20, ref 20). */
	struct blkif_request_segment *ind = (void *)ram[20];
	grant(20, 20, true);
	for (unsigned i = 0; i < 16; i++) {
		grant(30 + i, 30 + i, false);
		memset(ram[30 + i], 0x40 + i, 4096);
		ind[i] = (struct blkif_request_segment){ .gref = 30 + i, .first_sect = 7, .last_sect = 7 };
	}
	uint8_t e[128] = { BLKIF_OP_INDIRECT, BLKIF_OP_WRITE };
	uint16_t n = 16;
	uint64_t id = 0x5151, sector = 1000;
	grant_ref_t ref = 20;
	memcpy(e + 2, &n, 2);
	memcpy(e + L->ind_id, &id, 8);
	memcpy(e + L->ind_sector_number, &sector, 8);
	memcpy(e + L->ind_grefs, &ref, 4);
	uint64_t rid;
	uint8_t op;
	CHECK_EQ(submit(e, &rid, &op), BLKIF_RSP_OKAY);
	CHECK_EQ(rid, 0x5151);
	CHECK_EQ(op, BLKIF_OP_WRITE);           /* the indirect op, as Linux blkfront checks */
	/* Persistent: the data pages stay mapped (writable), the indirect page does not. */
	CHECK_EQ(table[30].flags, GTF_permit_access | GTF_reading | GTF_writing);
	CHECK_EQ(table[20].flags, GTF_permit_access | GTF_readonly);
	/* Read it back through one ordinary request of 2 segments (8 sectors each). */
	grant(50, 50, false);
	grant(51, 51, false);
	grant_ref_t refs[2] = { 50, 51 };
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 1, 1000, 2, refs, 0, 7), NULL, NULL), BLKIF_RSP_OKAY);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(ram[50 + i / 8][(i % 8) * 512 + 100], 0x40 + i);
	/* Closing: every grant is given back, the port unbound. */
	fe_state(XenbusStateClosing);
	CHECK_EQ(be_state(), XenbusStateClosing);
	CHECK_EQ(unbound, 1);
	CHECK_EQ(table[30].flags, GTF_permit_access);
	CHECK_EQ(table[1].flags, GTF_permit_access);
	for (unsigned i = 0; i < RAM_FRAMES; i++)
		if (frames[i].count != FRAME_GUEST || frames[i].type)
			CHECK_EQ(frames[i].count | (uint64_t)frames[i].type << 32, FRAME_GUEST);
	fe_state(XenbusStateClosed);
	CHECK_EQ(be_state(), XenbusStateClosed);
	/* And it can connect again (a new blkfront, kexec). */
	fe_state(XenbusStateInitialising);
	CHECK_EQ(be_state(), XenbusStateInitWait);
	memset(ram[RING_MFN], 0, 4096);
	req_prod = 0;
	connect_frontend("x86_32-abi", false);
	CHECK_EQ(be_state(), XenbusStateConnected);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 2, 1000, 2, refs, 0, 7), NULL, NULL), BLKIF_RSP_OKAY);
}

TEST(malformed_requests_get_errors_and_the_ring_keeps_working)
{
	CHECK_EQ(setup(false, NULL), 0);
	connect_frontend(NULL, false);
	grant(10, 10, false);
	grant(11, 11, true);                    /* read-only: the backend may not write into it */
	grant_ref_t ok = 10, ro = 11, bad = 4000, none = 12;
	uint64_t id;
	uint8_t op;
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 1, 0, 1, &bad, 0, 7), &id, &op), BLKIF_RSP_ERROR);
	CHECK_EQ(id, 1);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 2, 0, 1, &ro, 0, 7), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(table[11].flags, GTF_permit_access | GTF_readonly);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 3, 0, 1, &none, 0, 7), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 4, 2047, 1, &ok, 0, 1), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 5, UINT64_MAX, 1, &ok, 0, 0), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 6, 0, 1, &ok, 5, 2), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_WRITE, 7, 0, 0, &ok, 0, 0), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_RESERVED_1, 8, 0, 1, &ok, 0, 0), &id, &op), BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(id, 8);
	CHECK_EQ(op, BLKIF_OP_RESERVED_1);
	/* One good segment among bad ones: nothing of it is left mapped. */
	grant_ref_t mixed[3] = { 10, 10, 4001 };
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 9, 0, 3, mixed, 0, 7), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(table[10].flags, GTF_permit_access);
	CHECK_EQ(frames[10].count, FRAME_GUEST);
	/* The ring still serves well-formed requests. */
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 10, 2047, 1, &ok, 7, 7), NULL, NULL), BLKIF_RSP_OKAY);
	CHECK_EQ(ram[10][7 * 512], initial_byte(2047 * 512));
	struct blk_stats st = stats();
	CHECK_EQ(st.errors, 8);
	CHECK_EQ(st.unsupported, 1);
	/* Discard punches a hole: zeros after it. */
	uint8_t e[128] = { BLKIF_OP_DISCARD };
	uint64_t did = 11, sector = 8, count = 8;
	memcpy(e + L->discard_id, &did, 8);
	memcpy(e + L->discard_sector_number, &sector, 8);
	memcpy(e + L->discard_nr_sectors, &count, 8);
	int16_t dst = submit(e, NULL, NULL);
	CHECK(dst == BLKIF_RSP_OKAY || dst == BLKIF_RSP_EOPNOTSUPP);   /* the file system may not punch */
	if (dst == BLKIF_RSP_OKAY) {
		CHECK_EQ(submit(rw(BLKIF_OP_READ, 12, 8, 1, &ok, 0, 7), NULL, NULL), BLKIF_RSP_OKAY);
		CHECK_EQ(ram[10][100], 0);
		CHECK_EQ(ram[10][4095], 0);
	}
	count = 2048;
	memcpy(e + L->discard_nr_sectors, &count, 8);
	CHECK_EQ(submit(e, NULL, NULL), dst == BLKIF_RSP_OKAY ? BLKIF_RSP_ERROR : BLKIF_RSP_EOPNOTSUPP);
}

TEST(a_ring_with_garbage_indices_is_abandoned)
{
	CHECK_EQ(setup(false, NULL), 0);
	connect_frontend(NULL, false);
	struct blkif_sring *s = (struct blkif_sring *)(void *)ram[RING_MFN];
	__atomic_store_n(&s->req_prod, 1000, __ATOMIC_RELEASE);
	kick_fn(kick_arg);
	usleep(100000);
	CHECK_EQ(s->rsp_prod, 0);               /* nothing answered out of garbage */
	CHECK(stats().errors >= 1);
	CHECK_EQ(stats().requests, 0);
	/* Closing still tears it down cleanly. */
	fe_state(XenbusStateClosing);
	CHECK_EQ(be_state(), XenbusStateClosing);
	CHECK_EQ(frames[RING_MFN].count, FRAME_GUEST);
}

TEST(read_only_disk_refuses_writes)
{
	CHECK_EQ(setup(true, NULL), 0);
	char *v;
	CHECK_STR(v = be_read("mode"), "r");
	free(v);
	connect_frontend(NULL, false);
	CHECK_STR(v = be_read("info"), "4");    /* VDISK_READONLY */
	free(v);
	grant(10, 10, false);
	grant_ref_t r = 10;
	CHECK_EQ(submit(rw(BLKIF_OP_WRITE, 1, 0, 1, &r, 0, 7), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_FLUSH_DISKCACHE, 2, 0, 1, &r, 0, 7), NULL, NULL), BLKIF_RSP_ERROR);
	CHECK_EQ(submit(rw(BLKIF_OP_READ, 3, 0, 1, &r, 0, 7), NULL, NULL), BLKIF_RSP_OKAY);
	CHECK_EQ(ram[10][513], initial_byte(513));
}

TEST(bad_frontend_nodes_close_the_backend)
{
	CHECK_EQ(setup(false, NULL), 0);
	grant(1, RING_MFN, false);
	guest_write("/local/domain/1/device/vbd/51712/ring-ref", "1");
	guest_write("/local/domain/1/device/vbd/51712/event-channel", "5");
	guest_write("/local/domain/1/device/vbd/51712/protocol", "arm-abi");
	fe_state(XenbusStateInitialised);
	CHECK_EQ(be_state(), XenbusStateClosing);
	guest_write("/local/domain/1/device/vbd/51712/protocol", "x86_64-abi");
	guest_write("/local/domain/1/device/vbd/51712/ring-ref", "12abc");
	fe_state(XenbusStateConnected);
	CHECK_EQ(be_state(), XenbusStateClosing);
	guest_write("/local/domain/1/device/vbd/51712/ring-ref", "4000");   /* not granted */
	fe_state(XenbusStateInitialised);
	CHECK_EQ(be_state(), XenbusStateClosing);
	guest_write("/local/domain/1/device/vbd/51712/ring-ref", "1");
	guest_write("/local/domain/1/device/vbd/51712/multi-queue-num-queues", "9");
	fe_state(XenbusStateConnected);
	CHECK_EQ(be_state(), XenbusStateClosing);
	guest_write("/local/domain/1/device/vbd/51712/multi-queue-num-queues", "1");
	guest_write("/local/domain/1/device/vbd/51712/event-channel", "7");          /* cannot bind */
	fe_state(XenbusStateInitialised);
	CHECK_EQ(be_state(), XenbusStateClosing);
	CHECK_EQ(frames[RING_MFN].count, FRAME_GUEST);
	/* One queue: the flat keys count, as Linux blkback reads them, not queue-0/. */
	guest_write("/local/domain/1/device/vbd/51712/queue-0/ring-ref", "4000");
	guest_write("/local/domain/1/device/vbd/51712/event-channel", "5");
	fe_state(XenbusStateConnected);
	CHECK_EQ(be_state(), XenbusStateConnected);
	/* The frontend's state node vanishing (the guest unplugged it): closed. */
	CHECK_EQ(xs_rm(guest, 0, "/local/domain/1/device/vbd/51712/state"), 0);
	xenbus_dispatch(host.xb);
	CHECK_EQ(be_state(), XenbusStateClosed);
}

TEST(two_queues_each_with_its_ring_and_thread)
{
	setup_vcpus = 2;
	int rc = setup(false, NULL);
	setup_vcpus = 1;
	CHECK_EQ(rc, 0);
	char *v;
	CHECK_STR(v = be_read("multi-queue-max-queues"), "2");
	free(v);
	grant(1, RING_MFN, false);
	grant(2, RING_MFN + 1, false);
	guest_write("/local/domain/1/device/vbd/51712/multi-queue-num-queues", "2");
	guest_write("/local/domain/1/device/vbd/51712/queue-0/ring-ref", "1");
	guest_write("/local/domain/1/device/vbd/51712/queue-0/event-channel", "5");
	guest_write("/local/domain/1/device/vbd/51712/queue-1/ring-ref", "2");
	guest_write("/local/domain/1/device/vbd/51712/queue-1/event-channel", "6");
	fe_state(XenbusStateInitialised);
	CHECK_EQ(be_state(), XenbusStateConnected);
	CHECK_EQ(bound, 2);
	CHECK_EQ(frames[RING_MFN].count & FRAME_COUNT_MASK, 1);
	CHECK_EQ(frames[RING_MFN + 1].count & FRAME_COUNT_MASK, 1);
	/* kick_fn is queue 1's (registered last): its ring serves a read. */
	L = &blkif_layout_x86_64;
	grant(10, 10, false);
	grant_ref_t r = 10;
	uint8_t *ring = ram[RING_MFN + 1];
	struct blkif_sring *s = (struct blkif_sring *)(void *)ring;
	memcpy(ring + L->ring_offset, rw(BLKIF_OP_READ, 7, 1, 1, &r, 0, 0), L->entry_size);
	__atomic_store_n(&s->req_prod, 1, __ATOMIC_RELEASE);
	kick_fn(kick_arg);
	for (int i = 0; i < 5000 && __atomic_load_n(&s->rsp_prod, __ATOMIC_ACQUIRE) != 1; i++)
		usleep(1000);
	CHECK_EQ(s->rsp_prod, 1);
	CHECK_EQ(ram[10][0], initial_byte(512));
	fe_state(XenbusStateClosing);
	CHECK_EQ(unbound, 2);
	CHECK_EQ(frames[RING_MFN].count, FRAME_GUEST);
	CHECK_EQ(frames[RING_MFN + 1].count, FRAME_GUEST);
}

TEST(targets_that_are_not_disks_are_refused)
{
	CHECK_EQ(setup(false, NULL), 0);
	struct blk_disk_config cfg = { .target = "/dev/null", .vdev = "xvdb", .devid = 51728 };
	char err[256];
	CHECK(blkback_create(&host, &cfg, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "neither a file nor a block device");
	cfg.target = "/nonexistent/image";
	CHECK(blkback_create(&host, &cfg, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "cannot open /nonexistent/image");
}

int main(void)
{
	RUN(backend_waits_with_its_features_as_linux_blkback);
	RUN(connect_write_read_flush_in_the_native_abi);
	RUN(i386_frontend_with_persistent_grants_and_indirect_segments);
	RUN(malformed_requests_get_errors_and_the_ring_keeps_working);
	RUN(a_ring_with_garbage_indices_is_abandoned);
	RUN(read_only_disk_refuses_writes);
	RUN(bad_frontend_nodes_close_the_backend);
	RUN(two_queues_each_with_its_ring_and_thread);
	RUN(targets_that_are_not_disks_are_refused);
	if (disk)
		blkback_destroy(disk);
	fake_guest_free();
	return check_done();
}
