/* console.h — the PV console backend: the guest's xencons_interface page to a host fd and back. */
#ifndef BACKENDS_CONSOLE_H
#define BACKENDS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xen/xen.h>
#include <xen/io/console.h>

/* Host input (stdin) waiting for room in the guest's 1 KiB input ring. */
#define CONSOLE_IN_BUF 4096

/*
 * Output goes straight from the ring to out_fd and is consumed only once
 * written, so nothing is lost and nothing is buffered on the host: when
 * out_fd would block, the rest stays in the ring and a guest that keeps
 * writing blocks in its console driver, as under xenconsoled with a stuck
 * pty. A non-blocking out_fd is best (poll it for POLLOUT while
 * out_blocked); a blocking one makes console_process() wait for it.
 */
struct console_backend {
	struct xencons_interface *intf;         /* guest memory: indices are hostile */
	int out_fd;
	XENCONS_RING_IDX out_cons, in_prod;     /* ours; the page's copies are only written */
	char in_buf[CONSOLE_IN_BUF];
	size_t in_len;
	bool out_blocked;       /* out_fd said EAGAIN: call console_process() when it is writable */
	int out_error;          /* errno of a failed write; output is discarded from then on */
	unsigned long corrupt;  /* times the guest's indices were inconsistent (the ring is left alone) */
};

/* Serve the console page at intf, output to out_fd. */
void console_init(struct console_backend *c, struct xencons_interface *intf, int out_fd);

/*
 * Call when the guest signals the console event channel, when out_fd
 * becomes writable, and after queueing input: writes guest output to
 * out_fd and moves queued input into the ring. Returns whether to notify
 * the guest's console event channel.
 */
bool console_process(struct console_backend *c);

/* Queue host input for the guest; returns how many bytes fit (then call console_process). */
size_t console_input(struct console_backend *c, const void *data, size_t len);
/* Room for console_input(): when 0, stop polling the input fd until console_process() frees some. */
size_t console_input_room(const struct console_backend *c);
/* read(2) from fd into the input queue, at most its room: bytes read, 0 at end of file or no room, -errno. */
ssize_t console_read_input(struct console_backend *c, int fd);

#endif
