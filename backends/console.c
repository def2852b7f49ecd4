/* console.c — the PV console backend: drain the guest's out ring to a host fd, feed its in ring. */
#include "backends/console.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * io/console.h: the guest produces into out (out_prod) and consumes from in
 * (in_cons); we own out_cons and in_prod, keep them here and only write
 * them to the page. prod - cons larger than the ring means the guest
 * corrupted its indices: like xenconsoled (buffer_append, ring_free_bytes)
 * we then leave the ring alone until they make sense again.
 */

#define OUT_SIZE ((XENCONS_RING_IDX)sizeof(((struct xencons_interface *)0)->out))
#define IN_SIZE  ((XENCONS_RING_IDX)sizeof(((struct xencons_interface *)0)->in))

static XENCONS_RING_IDX load_acquire(const XENCONS_RING_IDX *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(XENCONS_RING_IDX *p, XENCONS_RING_IDX v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

void console_init(struct console_backend *c, struct xencons_interface *intf, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->intf = intf;
	c->out_fd = out_fd;
	c->out_cons = __atomic_load_n(&intf->out_cons, __ATOMIC_ACQUIRE);
	c->in_prod = __atomic_load_n(&intf->in_prod, __ATOMIC_ACQUIRE);
}

/* Write guest output to out_fd; true if any was consumed. */
static bool drain_output(struct console_backend *c)
{
	struct xencons_interface *intf = c->intf;
	bool consumed = false;

	for (;;) {
		XENCONS_RING_IDX avail = load_acquire(&intf->out_prod) - c->out_cons;
		XENCONS_RING_IDX off, first;
		struct iovec iov[2];
		ssize_t n;

		if (avail > OUT_SIZE) {
			c->corrupt++;
			break;
		}
		if (!avail)
			break;
		off = MASK_XENCONS_IDX(c->out_cons, intf->out);
		first = avail < OUT_SIZE - off ? avail : OUT_SIZE - off;
		iov[0] = (struct iovec){ intf->out + off, first };
		iov[1] = (struct iovec){ intf->out, avail - first };
		if (c->out_error) {
			n = avail;
		} else {
			n = writev(c->out_fd, iov, avail > first ? 2 : 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				c->out_blocked = true;
				break;
			}
			if (n < 0) {
				c->out_error = errno;   /* e.g. EPIPE: keep the guest running, lose its output */
				n = avail;
			}
		}
		c->out_blocked = false;
		c->out_cons += (XENCONS_RING_IDX)n;
		store_release(&intf->out_cons, c->out_cons);
		consumed = true;
	}
	return consumed;
}

/* Move queued input into the guest's in ring; true if any moved. */
static bool fill_input(struct console_backend *c)
{
	struct xencons_interface *intf = c->intf;
	XENCONS_RING_IDX used = c->in_prod - load_acquire(&intf->in_cons);
	XENCONS_RING_IDX n, off, first;

	if (used > IN_SIZE) {
		c->corrupt++;
		return false;
	}
	n = IN_SIZE - used;
	if (n > c->in_len)
		n = (XENCONS_RING_IDX)c->in_len;
	if (!n)
		return false;
	off = MASK_XENCONS_IDX(c->in_prod, intf->in);
	first = n < IN_SIZE - off ? n : IN_SIZE - off;
	memcpy(intf->in + off, c->in_buf, first);
	memcpy(intf->in, c->in_buf + first, n - first);
	c->in_prod += n;
	store_release(&intf->in_prod, c->in_prod);
	memmove(c->in_buf, c->in_buf + n, c->in_len - n);
	c->in_len -= n;
	return true;
}

bool console_process(struct console_backend *c)
{
	bool out = drain_output(c);
	bool in = fill_input(c);

	return out || in;
}

size_t console_input_room(const struct console_backend *c)
{
	return sizeof(c->in_buf) - c->in_len;
}

size_t console_input(struct console_backend *c, const void *data, size_t len)
{
	size_t room = console_input_room(c);

	if (len > room)
		len = room;
	if (len)
		memcpy(c->in_buf + c->in_len, data, len);
	c->in_len += len;
	return len;
}

ssize_t console_read_input(struct console_backend *c, int fd)
{
	size_t room = console_input_room(c);
	ssize_t n;

	if (!room)
		return 0;
	do
		n = read(fd, c->in_buf + c->in_len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->in_len += (size_t)n;
	return n;
}
