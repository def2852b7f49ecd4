/* fake_guest.h — a simulated domU for the backend tests: its RAM, grant table, xenstore and event channels. */
#ifndef TESTS_UNIT_FAKE_GUEST_H
#define TESTS_UNIT_FAKE_GUEST_H

/*
 * Included once by a test (everything here is static). Guest RAM is an
 * array of RAM_FRAMES frames, the grant table one page of "stub" memory
 * after it, the guest's xenstore writes go through a domid-1 connection
 * (so the permissions libxl gives a frontend directory are exercised), and
 * its event channels are counters: ports GUEST_PORT and GUEST_PORT + 1 can
 * be bound, the last registered kick is kept in kick_fn/kick_arg.
 */
#include <stdlib.h>
#include "backends/backend.h"
#include "backends/xenstore.h"

#define DOMID 1
#define RAM_FRAMES 64
#define STUB_FIRST RAM_FRAMES
#define MAX_MFN (RAM_FRAMES + 1)
#define GUEST_PORT 5

static uint8_t ram[RAM_FRAMES][4096] __attribute__((aligned(4096)));
static uint8_t stub[4096] __attribute__((aligned(4096)));
static grant_entry_v1_t *table = (grant_entry_v1_t *)(void *)stub;
static struct host_page hp;
static struct frame_info frames[MAX_MFN];
static struct gnt_host g;
static struct xs_store *store;
static struct xs_conn *guest;
static struct backend_host host;
static int notified, bound, unbound;
static void (*kick_fn)(void *);
static void *kick_arg;

static void *ram_ptr(void *opaque, uint64_t mfn)
{
	return mfn < RAM_FRAMES ? ram[mfn] : NULL;
}

static int fake_bind(void *h, unsigned guest_port, unsigned *dom0_port)
{
	if (guest_port != GUEST_PORT && guest_port != GUEST_PORT + 1)
		return -22;
	bound++;
	*dom0_port = 100 + guest_port;
	return 0;
}

static void fake_unbind(void *h, unsigned dom0_port)
{
	unbound++;
}

static void fake_on_port(void *h, unsigned dom0_port, void (*fn)(void *), void *arg)
{
	kick_fn = fn;
	kick_arg = arg;
}

static void fake_notify(void *h, unsigned dom0_port)
{
	__atomic_add_fetch(&notified, 1, __ATOMIC_SEQ_CST);
}

static void grant(grant_ref_t ref, uint32_t frame, bool readonly)
{
	table[ref].domid = 0;
	table[ref].frame = frame;
	table[ref].flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
}

/* Free what fake_guest_reset made (the caller destroys its backend first). */
static void fake_guest_free(void)
{
	if (host.xb)
		xenbus_free(host.xb);
	if (guest)
		xs_conn_free(guest);
	if (store)
		xs_store_free(store);
	host.xb = NULL;
	guest = NULL;
	store = NULL;
	gnt_host_destroy(&g);
}

/* A fresh guest with nr_vcpus vCPUs: zeroed RAM, every frame its own, one grant frame. */
static int fake_guest_reset(unsigned nr_vcpus)
{
	fake_guest_free();
	memset(&hp, 0, sizeof(hp));
	memset(stub, 0, sizeof(stub));
	memset(ram, 0, sizeof(ram));
	for (unsigned i = 0; i < MAX_MFN; i++)
		frames[i] = (struct frame_info){ i < RAM_FRAMES ? FRAME_GUEST : 0, 0 };
	g = (struct gnt_host){
		.hp = &hp, .frames = frames, .max_mfn = MAX_MFN, .mfn_to_host = ram_ptr,
		.stub = stub, .stub_mfn = STUB_FIRST, .stub_frames = 1,
	};
	if (gnt_host_init(&g))
		return -1;
	hp.gnttab_mfn[0] = STUB_FIRST;
	hp.gnttab_nr_frames = 1;
	store = xs_store_new();
	guest = xs_conn_new(store, DOMID, NULL, NULL);
	host = (struct backend_host){
		.xb = xenbus_new(store), .gnt = &g, .domid = DOMID, .guest_bits = 64, .nr_vcpus = nr_vcpus,
		.bind = fake_bind, .unbind = fake_unbind, .on_port = fake_on_port, .notify = fake_notify,
	};
	notified = bound = unbound = 0;
	kick_fn = NULL;
	kick_arg = NULL;
	return store && guest && host.xb ? 0 : -1;
}

#endif
