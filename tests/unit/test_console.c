/* test_console.c — the PV console backend: guest output to an fd, host input to the guest, hostile indices. */
#define CHECK_SUITE "console"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "backends/console.h"

#define OUT_SIZE sizeof(((struct xencons_interface *)0)->out)
#define IN_SIZE  sizeof(((struct xencons_interface *)0)->in)

static struct xencons_interface page;
static struct console_backend con;
static int pipefd[2] = { -1, -1 };

/* A fresh page with the indices at start, output to a pipe (non-blocking at both ends). */
static void setup(uint32_t start)
{
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	CHECK_EQ(pipe2(pipefd, O_NONBLOCK), 0);
	memset(&page, 0, sizeof(page));
	page.out_cons = page.out_prod = page.in_cons = page.in_prod = start;
	console_init(&con, &page, pipefd[1]);
}

/* The guest writes to its console. */
static void guest_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		page.out[MASK_XENCONS_IDX(page.out_prod + i, page.out)] = s[i];
	page.out_prod += (XENCONS_RING_IDX)len;
}

/* The guest reads what it has been sent. */
static size_t guest_read(char *buf, size_t cap)
{
	size_t n = 0;

	while (page.in_cons != page.in_prod && n < cap)
		buf[n++] = page.in[MASK_XENCONS_IDX(page.in_cons++, page.in)];
	return n;
}

static size_t host_read(char *buf, size_t cap)
{
	ssize_t n = read(pipefd[0], buf, cap);

	return n > 0 ? (size_t)n : 0;
}

TEST(guest_output_reaches_the_fd)
{
	char buf[64];

	setup(0);
	guest_write("hello, world\n", 13);
	CHECK(console_process(&con));
	CHECK_EQ(page.out_cons, page.out_prod);
	CHECK_EQ(host_read(buf, sizeof(buf)), 13);
	CHECK(!memcmp(buf, "hello, world\n", 13));
	CHECK(!console_process(&con));          /* nothing new: no notification */
}

TEST(guest_output_wraps_around_the_ring_and_the_index)
{
	char msg[300], buf[300];

	setup(0xffffffffu - 100);
	for (int round = 0; round < 40; round++) {
		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (char)('a' + (round + i) % 26);
		guest_write(msg, sizeof(msg));
		CHECK(console_process(&con));
		CHECK_EQ(host_read(buf, sizeof(buf)), sizeof(msg));
		CHECK(!memcmp(buf, msg, sizeof(msg)));
	}
	CHECK(page.out_prod < 0x10000);         /* it did wrap */
	CHECK_EQ(con.corrupt, 0);
}

TEST(full_output_ring_is_drained_in_one_go)
{
	static char msg[OUT_SIZE], buf[OUT_SIZE];

	setup(1000);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)i;
	guest_write(msg, sizeof(msg));
	CHECK(console_process(&con));
	CHECK_EQ(host_read(buf, sizeof(buf)), sizeof(msg));
	CHECK(!memcmp(buf, msg, sizeof(msg)));
}

TEST(blocked_fd_leaves_output_in_the_ring_and_loses_nothing)
{
	static char msg[OUT_SIZE];
	static char got[1 << 20];
	size_t total = 0, sent = 0;
	int blocked = 0;

	setup(0);
	CHECK(fcntl(pipefd[1], F_SETPIPE_SZ, 4096) >= 4096);
	/* The guest writes much more than the pipe holds; the host reads only now and then. */
	for (int round = 0; round < 400; round++) {
		size_t room = OUT_SIZE - (page.out_prod - page.out_cons);

		for (size_t i = 0; i < room; i++)
			msg[i] = (char)('A' + (sent + i) % 53);
		guest_write(msg, room);
		sent += room;
		console_process(&con);
		blocked += con.out_blocked;
		CHECK(page.out_prod - page.out_cons <= OUT_SIZE);
		if (round % 3 == 0) {
			CHECK(con.out_blocked || page.out_cons == page.out_prod);
			total += host_read(got + total, sizeof(got) - total);
		}
	}
	CHECK(sent > 100 * OUT_SIZE);
	CHECK(blocked > 100);
	for (int i = 0; i < 100000 && total < sent; i++) {
		total += host_read(got + total, sizeof(got) - total);
		console_process(&con);
	}
	CHECK_EQ(total, sent);
	for (size_t i = 0; i < total; i++)
		CHECK_EQ(got[i], (char)('A' + i % 53));
	CHECK_EQ(con.out_error, 0);
}

TEST(broken_fd_discards_output_so_the_guest_keeps_running)
{
	setup(0);
	close(pipefd[0]);
	pipefd[0] = open("/dev/null", O_RDONLY);        /* keep setup()'s close() balanced */
	guest_write("into the void", 13);
	CHECK(console_process(&con));
	CHECK_EQ(con.out_error, EPIPE);
	CHECK_EQ(page.out_cons, page.out_prod);
	guest_write("more", 4);
	CHECK(console_process(&con));
	CHECK_EQ(page.out_cons, page.out_prod);
}

TEST(hostile_output_producer_is_ignored)
{
	char buf[16];

	setup(50);
	page.out_prod = page.out_cons + OUT_SIZE + 1;
	CHECK(!console_process(&con));
	CHECK_EQ(page.out_cons, 50);                    /* nothing consumed */
	CHECK_EQ(con.corrupt, 1);
	CHECK_EQ(host_read(buf, sizeof(buf)), 0);
	page.out_prod = page.out_cons - 1;              /* behind the consumer */
	CHECK(!console_process(&con));
	CHECK_EQ(con.corrupt, 2);
	page.out_prod = 50;                             /* sane again: back in business */
	guest_write("ok", 2);
	CHECK(console_process(&con));
	CHECK_EQ(host_read(buf, sizeof(buf)), 2);
}

TEST(guest_writes_to_the_backends_index_are_ignored)
{
	char buf[16];

	setup(0);
	guest_write("abc", 3);
	page.out_cons = 0x12345678;                     /* scribbled */
	CHECK(console_process(&con));
	CHECK_EQ(host_read(buf, sizeof(buf)), 3);
	CHECK_EQ(page.out_cons, 3);                     /* put back */
}

TEST(host_input_reaches_the_guest)
{
	char buf[64];

	setup(0);
	CHECK_EQ(console_input(&con, "ls -l\r", 6), 6);
	CHECK(console_process(&con));
	CHECK_EQ(guest_read(buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "ls -l\r", 6));
	CHECK(!console_process(&con));
}

TEST(host_input_wraps_around_the_ring_and_the_index)
{
	char msg[100], buf[100];

	setup(0xffffffffu - 30);
	for (int round = 0; round < 40; round++) {
		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (char)(round + i);
		CHECK_EQ(console_input(&con, msg, sizeof(msg)), sizeof(msg));
		CHECK(console_process(&con));
		CHECK_EQ(guest_read(buf, sizeof(buf)), sizeof(msg));
		CHECK(!memcmp(buf, msg, sizeof(msg)));
	}
	CHECK(page.in_prod < 0x10000);
}

TEST(input_waits_while_the_guest_does_not_read)
{
	static char msg[CONSOLE_IN_BUF + 100], buf[CONSOLE_IN_BUF];
	size_t got = 0, accepted;

	setup(0);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)(i % 251);
	accepted = console_input(&con, msg, sizeof(msg));
	CHECK_EQ(accepted, CONSOLE_IN_BUF);              /* the queue is bounded */
	CHECK_EQ(console_input_room(&con), 0);
	CHECK(console_process(&con));
	CHECK_EQ(page.in_prod - page.in_cons, IN_SIZE); /* the ring is full, the rest waits */
	CHECK(!console_process(&con));
	while (got < accepted) {
		got += guest_read(buf + got, sizeof(buf) - got);
		console_process(&con);
	}
	CHECK(!memcmp(buf, msg, accepted));
	CHECK_EQ(console_input_room(&con), CONSOLE_IN_BUF);
}

TEST(hostile_input_consumer_is_ignored)
{
	char buf[8];

	setup(10);
	CHECK_EQ(console_input(&con, "xyz", 3), 3);
	page.in_cons = 10 + IN_SIZE + 5;                /* ahead of what we produced */
	CHECK(!console_process(&con));
	CHECK_EQ(page.in_prod, 10);
	CHECK_EQ(con.corrupt, 1);
	page.in_cons = 10;
	CHECK(console_process(&con));
	CHECK_EQ(guest_read(buf, sizeof(buf)), 3);
}

TEST(input_is_read_from_an_fd_up_to_the_room_left)
{
	int in[2];
	static char big[CONSOLE_IN_BUF * 2];
	char buf[8];

	setup(0);
	CHECK_EQ(pipe2(in, O_NONBLOCK), 0);
	CHECK_EQ(write(in[1], "hi", 2), 2);
	CHECK_EQ(console_read_input(&con, in[0]), 2);
	CHECK_EQ(console_read_input(&con, in[0]), -EAGAIN);
	CHECK(console_process(&con));
	CHECK_EQ(guest_read(buf, sizeof(buf)), 2);
	CHECK(!memcmp(buf, "hi", 2));
	memset(big, 'q', sizeof(big));
	CHECK_EQ(write(in[1], big, sizeof(big)), (ssize_t)sizeof(big));
	CHECK_EQ(console_read_input(&con, in[0]), CONSOLE_IN_BUF);
	CHECK_EQ(console_read_input(&con, in[0]), 0);   /* no room: leave it in the fd */
	close(in[1]);
	close(in[0]);
}

TEST(random_guest_indices_never_break_the_backend)
{
	uint32_t s = 0x9e3779b9;
	char buf[4096];

	setup(0);
	for (int i = 0; i < 20000; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		switch (s % 6) {
		case 0: page.out_prod = s; break;
		case 1: page.in_cons = s; break;
		case 2: page.out_prod = page.out_cons + s % (OUT_SIZE + 1); break;
		case 3: page.in_cons = page.in_prod - s % (IN_SIZE + 1); break;
		case 4: console_input(&con, buf, s % 300); break;
		default: break;
		}
		console_process(&con);
		CHECK(con.out_cons == page.out_cons && con.in_prod == page.in_prod);
		host_read(buf, sizeof(buf));
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(guest_output_reaches_the_fd);
	RUN(guest_output_wraps_around_the_ring_and_the_index);
	RUN(full_output_ring_is_drained_in_one_go);
	RUN(blocked_fd_leaves_output_in_the_ring_and_loses_nothing);
	RUN(broken_fd_discards_output_so_the_guest_keeps_running);
	RUN(hostile_output_producer_is_ignored);
	RUN(guest_writes_to_the_backends_index_are_ignored);
	RUN(host_input_reaches_the_guest);
	RUN(host_input_wraps_around_the_ring_and_the_index);
	RUN(input_waits_while_the_guest_does_not_read);
	RUN(hostile_input_consumer_is_ignored);
	RUN(input_is_read_from_an_fd_up_to_the_room_left);
	RUN(random_guest_indices_never_break_the_backend);
	return check_done();
}
