/* devices.c — the dom0 side a domU expects at boot: its console and its xenstore. */
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "backends/console.h"
#include "backends/xs_ring.h"
#include <xenner/hostabi.h>
#include <xenner/util.h>

static struct console_backend console;
static struct xs_store *store;
static struct xs_ring store_ring;
static struct termios saved_termios;
static bool termios_saved;

static void console_event(struct vm *vm, void *opaque)
{
	if (console_process(&console))
		events_notify_guest(vm, HOST_CONSOLE_PORT);
}

static void console_input_ready(struct vm *vm)
{
	ssize_t n = console_read_input(&console, vm->input_fd);
	if (n == 0 && console_input_room(&console))
		vm->input_fd = -1;              /* end of input */
	console_event(vm, NULL);
}

static void store_event(struct vm *vm, void *opaque)
{
	if (xs_ring_process(&store_ring))
		events_notify_guest(vm, HOST_STORE_PORT);
}

static void store_kick(void *opaque)
{
	events_notify_guest(opaque, HOST_STORE_PORT);
}

/* Output that could not be written yet, or watch events from elsewhere. */
static void devices_poll(struct vm *vm)
{
	if (console.out_blocked)
		console_event(vm, NULL);
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
	events_register(HOST_CONSOLE_PORT, console_event, NULL);
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
	events_register(HOST_STORE_PORT, store_event, NULL);
	vm->poll_fn = devices_poll;
}
