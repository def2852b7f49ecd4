/* devices.c — the dom0 side a domU expects at boot: its console and its xenstore. */
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "backends/blkback.h"
#include "backends/console.h"
#include "backends/netback.h"
#include "backends/xs_ring.h"
#include "backends/xs_socket.h"
#include <xenner/hostabi.h>
#include <xenner/util.h>

static struct console_backend console;
static struct xs_store *store;
static struct xs_ring store_ring;
static struct xenbus *xenbus;
static struct xs_server *xs_server;
static struct gnt_host gnt;
static struct backend_host backend_host;
static struct blk_disk *disks[CONFIG_MAX_DISKS];
static unsigned nr_disks;
static struct net_vif *vifs[CONFIG_MAX_NICS];
static unsigned nr_vifs;
static struct termios saved_termios;
static bool termios_saved;

static void console_event(void *vm)
{
	if (console_process(&console))
		events_notify_guest(vm, HOST_CONSOLE_PORT);
}

static void console_input_ready(struct vm *vm)
{
	ssize_t n = console_read_input(&console, vm->input_fd);
	if (n == 0 && console_input_room(&console))
		vm->input_fd = -1;              /* end of input */
	console_event(vm);
}

static void store_event(void *vm)
{
	if (xs_ring_process(&store_ring))
		events_notify_guest(vm, HOST_STORE_PORT);
}

static void store_kick(void *opaque)
{
	events_notify_guest(opaque, HOST_STORE_PORT);
}

/*
 * After every round of the event thread (doorbells, fds): output that
 * could not be written yet, and the backends' watch events that the
 * round's xenstore traffic (the guest's ring, socket clients) fired.
 */
static void devices_poll(struct vm *vm)
{
	if (console.out_blocked)
		console_event(vm);
	if (xs_server)
		xs_server_flush(xs_server);
	xenbus_dispatch(xenbus);
}

/* ------------------------------------------------- fds the xenstore socket watches */

static int loop_watch(void *loop, int fd, void (*fn)(void *), void *arg)
{
	return events_watch_fd(fd, fn, arg);
}

static void loop_unwatch(void *loop, int fd)
{
	events_unwatch_fd(fd);
}

/* ------------------------------------------------- what backends use of us */

static int host_bind(void *host, unsigned guest_port, unsigned *dom0_port)
{
	return events_bind_guest_port(host, guest_port, dom0_port);
}

static void host_unbind(void *host, unsigned dom0_port)
{
	events_unbind(host, dom0_port);
}

static void host_on_port(void *host, unsigned dom0_port, void (*fn)(void *), void *arg)
{
	if (dom0_port >= HOST_EVTCHN_PORTS)
		return;
	events_register(dom0_port, fn, arg);
}

static void host_notify(void *host, unsigned dom0_port)
{
	events_notify_guest(host, dom0_port);
}

static void backends_setup(struct vm *vm, const struct devices_info *d)
{
	const struct xenner_config *cfg = vm->cfg;
	gnt = (struct gnt_host){
		.hp = (struct host_page *)(vm->stub + vm->plan.events_off),
		.frames = (struct frame_info *)(vm->stub + vm->plan.frame_info_off),
		.max_mfn = vm->plan.max_mfn,
		.mfn_to_host = vm_mfn_to_host, .opaque = vm,
		.stub = vm->stub, .stub_mfn = vm->plan.stub_gpa >> PAGE_SHIFT,
		.stub_frames = vm->plan.stub_size >> PAGE_SHIFT,
		.backend_domid = 0,
	};
	if (gnt_host_init(&gnt))
		die("out of memory");
	backend_host = (struct backend_host){
		.xb = xenbus, .gnt = &gnt, .domid = d->domid, .guest_bits = d->guest_bits,
		.nr_vcpus = d->vcpus, .trace = (cfg->trace & TRACE_EVENTS) != 0,
		.bind = host_bind, .unbind = host_unbind, .on_port = host_on_port,
		.notify = host_notify, .host = vm,
	};
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_spec *s = &cfg->disks[i];
		struct blk_disk_config c = {
			.target = s->target, .vdev = s->vdev, .devid = s->devid,
			.readonly = s->readonly, .cdrom = s->cdrom,
		};
		char err[512];
		disks[i] = blkback_create(&backend_host, &c, err, sizeof(err));
		if (!disks[i])
			die("disk %s: %s", s->vdev, err);
		nr_disks++;
	}
	for (unsigned i = 0; i < cfg->nr_nics; i++) {
		const struct nic_spec *s = &cfg->nics[i];
		struct net_vif_config c = {
			.devid = i, .ifname = s->ifname, .bridge = s->bridge,
			.script = s->script[0] ? s->script : NULL, .ip = s->ip, .mtu = s->mtu,
		};
		if (s->mac_given)
			memcpy(c.mac, s->mac, 6);
		else
			nic_default_mac(cfg->kernel, i, c.mac);
		char err[512];
		vifs[i] = netback_create(&backend_host, &c, err, sizeof(err));
		if (!vifs[i])
			die("nic %u: %s", i, err);
		nr_vifs++;
	}
}

void devices_shutdown(struct vm *vm)
{
	/* What the guest wrote just before it stopped (a panic message, say). */
	console_process(&console);
	backend_host.guest_gone = true;
	xs_server_free(xs_server);
	xs_server = NULL;
	for (unsigned i = 0; i < nr_disks; i++) {
		struct blk_stats st;
		blkback_stats(disks[i], &st);
		if (vm->cfg->stats)
			fprintf(stderr, "disk %s: %" PRIu64 " requests (%" PRIu64 " refused, %" PRIu64
				" not supported), %" PRIu64 " sectors read, %" PRIu64 " written, %" PRIu64
				" flushes, %" PRIu64 " discards, %" PRIu64 " queue(s)\n", vm->cfg->disks[i].vdev,
				st.requests, st.errors, st.unsupported, st.sectors_read, st.sectors_written,
				st.flushes, st.discards, st.queues);
		blkback_destroy(disks[i]);
		disks[i] = NULL;
	}
	nr_disks = 0;
	for (unsigned i = 0; i < nr_vifs; i++) {
		struct net_stats st;
		netback_stats(vifs[i], &st);
		if (vm->cfg->stats)
			fprintf(stderr, "nic %u (%s): guest sent %" PRIu64 " packets (%" PRIu64 " bytes, %" PRIu64
				" refused, %" PRIu64 " dropped), received %" PRIu64 " (%" PRIu64 " bytes, %" PRIu64
				" failed, %" PRIu64 " dropped), %" PRIu64 " queue(s)\n", i, netback_ifname(vifs[i]),
				st.tx_packets, st.tx_bytes, st.tx_errors, st.tx_dropped, st.rx_packets,
				st.rx_bytes, st.rx_errors, st.rx_dropped, st.queues);
		netback_destroy(vifs[i]);
		vifs[i] = NULL;
	}
	nr_vifs = 0;
}

static void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

/*
 * An interactive console: keystrokes go to the guest as typed (its line
 * discipline echoes them); ^C still reaches xenner, as with `xl console`'s
 * escape being the way out.
 */
static void console_terminal_input(struct vm *vm)
{
	if (!isatty(STDIN_FILENO)) {
		vm->input_fd = -1;
		return;
	}
	if (tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		struct termios t = saved_termios;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_iflag &= ~(tcflag_t)ICRNL;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		termios_saved = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		atexit(restore_terminal);
	}
	vm->input_fd = STDIN_FILENO;
	vm->input_fn = console_input_ready;
}

void devices_setup(struct vm *vm, const struct devices_info *d)
{
	console_init(&console, d->console_page, STDOUT_FILENO);
	events_register(HOST_CONSOLE_PORT, console_event, vm);
	console_terminal_input(vm);

	store = xs_store_new();
	if (!store || xs_populate_dom0(store))
		die("xenstore: out of memory");
	struct xs_domain_info info = {
		.domid = d->domid, .name = d->name,
		.max_memkb = d->memory_kib, .target_memkb = d->memory_kib,
		.max_vcpus = d->vcpus, .online_vcpus = d->vcpus,
		.store_mfn = d->store_mfn, .store_port = HOST_STORE_PORT,
		.console_mfn = d->console_mfn, .console_port = HOST_CONSOLE_PORT,
		.kernel = d->kernel, .ramdisk = d->ramdisk, .cmdline = d->cmdline,
		.start_time_sec = (uint64_t)time(NULL),
	};
	memcpy(info.uuid, d->uuid, sizeof(info.uuid));
	int rc = xs_populate_domain(store, &info);
	if (rc)
		die("xenstore: cannot write the domain's nodes: %s", strerror(-rc));
	if (xs_ring_init(&store_ring, store, d->domid, d->store_page, store_kick, vm))
		die("xenstore: out of memory");
	events_register(HOST_STORE_PORT, store_event, vm);
	xenbus = xenbus_new(store);
	if (!xenbus)
		die("xenstore: out of memory");
	backends_setup(vm, d);
	if (vm->cfg->xenstore_socket) {
		struct xs_server_loop loop = { loop_watch, loop_unwatch, vm };
		char err[512];
		xs_server = xs_server_new(store, vm->cfg->xenstore_socket, &loop, err, sizeof(err));
		if (!xs_server)
			die("--xenstore-socket: %s", err);
	}
	vm->poll_fn = devices_poll;
}
