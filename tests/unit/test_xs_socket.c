/* test_xs_socket.c — xenstored's unix socket: requests, watches, hostile and stuck clients. */
#define CHECK_SUITE "xs_socket"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends/xs_socket.h"

/* A tiny event loop: the server's fds and their callbacks. */
static struct { int fd; void (*fn)(void *); void *arg; } fds[64];
static unsigned nfds;
static char path[64];

static int loop_watch(void *loop, int fd, void (*fn)(void *), void *arg)
{
	if (nfds == 64)
		return -EMFILE;
	fds[nfds].fd = fd;
	fds[nfds].fn = fn;
	fds[nfds++].arg = arg;
	return 0;
}

static void loop_unwatch(void *loop, int fd)
{
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i].fd == fd) {
			fds[i] = fds[--nfds];
			return;
		}
}

static const struct xs_server_loop loop = { loop_watch, loop_unwatch, NULL };

/* Run callbacks until nothing is readable for 5 ms. */
static void pump(void)
{
	for (int rounds = 0; rounds < 1000; rounds++) {
		struct pollfd p[64];
		for (unsigned i = 0; i < nfds; i++)
			p[i] = (struct pollfd){ .fd = fds[i].fd, .events = POLLIN };
		if (poll(p, nfds, 5) <= 0)
			return;
		for (unsigned i = 0; i < nfds; i++)
			if (p[i].revents) {
				fds[i].fn(fds[i].arg);
				break;          /* the table may have changed */
			}
	}
}

static int client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	pump();
	return fd;
}

static void send_msg(int fd, uint32_t type, uint32_t req, const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req, .tx_id = 0, .len = len };
	if (write(fd, &h, sizeof(h)) != sizeof(h) || (len && write(fd, payload, len) != (ssize_t)len))
		abort();
	pump();
}

/* One message off fd (non-blocking): 0, or -1 if none. */
static int recv_msg(int fd, struct xsd_sockmsg *h, char *payload)
{
	if (recv(fd, h, sizeof(*h), MSG_DONTWAIT) != sizeof(*h))
		return -1;
	if (h->len > 4096 || (h->len && recv(fd, payload, h->len, MSG_WAITALL) != (ssize_t)h->len))
		return -1;
	payload[h->len] = '\0';
	return 0;
}

static struct xs_store *store;
static struct xs_server *srv;

static void setup(void)
{
	xs_server_free(srv);
	xs_store_free(store);
	nfds = 0;
	store = xs_store_new();
	xs_populate_dom0(store);
	char err[200];
	srv = xs_server_new(store, path, &loop, err, sizeof(err));
	if (!srv)
		printf("xs_server_new: %s\n", err);
}

TEST(read_write_and_errors_by_name)
{
	setup();
	CHECK(srv != NULL);
	int fd = client();
	CHECK(fd >= 0);
	CHECK_EQ(xs_server_nr_clients(srv), 1);
	struct xsd_sockmsg h;
	char p[4097];
	send_msg(fd, XS_READ, 7, "/local/domain/0/name", 21);
	CHECK_EQ(recv_msg(fd, &h, p), 0);
	CHECK_EQ(h.type, XS_READ);
	CHECK_EQ(h.req_id, 7);
	CHECK_STR(p, "Domain-0");
	send_msg(fd, XS_WRITE, 8, "/a/b\0value", 10);
	CHECK_EQ(recv_msg(fd, &h, p), 0);
	CHECK_EQ(h.type, XS_WRITE);
	send_msg(fd, XS_READ, 9, "/nope", 6);
	CHECK_EQ(recv_msg(fd, &h, p), 0);
	CHECK_EQ(h.type, XS_ERROR);
	CHECK_STR(p, "ENOENT");
	close(fd);
	pump();
	CHECK_EQ(xs_server_nr_clients(srv), 0);
}

TEST(watches_fire_into_the_socket)
{
	setup();
	int w = client(), c = client();
	struct xsd_sockmsg h;
	char p[4097];
	send_msg(w, XS_WATCH, 1, "/data\0tok", 10);
	CHECK_EQ(recv_msg(w, &h, p), 0);
	CHECK_EQ(h.type, XS_WATCH);
	CHECK_EQ(recv_msg(w, &h, p), 0);        /* the initial event */
	CHECK_EQ(h.type, XS_WATCH_EVENT);
	CHECK_STR(p, "/data");
	CHECK_STR(p + 6, "tok");
	send_msg(c, XS_WRITE, 2, "/data/x\0" "1", 9);
	CHECK_EQ(recv_msg(c, &h, p), 0);
	CHECK_EQ(recv_msg(w, &h, p), 0);
	CHECK_EQ(h.type, XS_WATCH_EVENT);
	CHECK_STR(p, "/data/x");
	CHECK_EQ(recv_msg(w, &h, p), -1);       /* exactly one */
	close(w);
	close(c);
	pump();
}

TEST(an_oversized_message_drops_the_client)
{
	setup();
	int fd = client();
	struct xsd_sockmsg h = { .type = XS_WRITE, .len = 4097 };
	CHECK_EQ(write(fd, &h, sizeof(h)), sizeof(h));
	pump();
	CHECK_EQ(xs_server_nr_clients(srv), 0);
	char c;
	CHECK_EQ(read(fd, &c, 1), 0);           /* closed on us */
	close(fd);
}

TEST(a_client_that_never_reads_is_dropped_not_buffered)
{
	setup();
	int w = client(), c = client();
	int small = 4096;
	setsockopt(w, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct xsd_sockmsg h;
	char p[4097];
	send_msg(w, XS_WATCH, 1, "/flood\0t", 9);
	/* Events carry the path: long paths fill the watcher's queue fast. */
	char msg[2700];
	size_t n = 0;
	n += (size_t)sprintf(msg, "/flood");
	for (int k = 0; k < 8; k++) {	/* under XENSTORE_REL_PATH_MAX */
		msg[n++] = '/';
		memset(msg + n, 'a' + k, 250);
		n += 250;
	}
	msg[n++] = '\0';
	for (int i = 0; i < 3000 && xs_server_nr_clients(srv) == 2; i++) {
		send_msg(c, XS_WRITE, (uint32_t)i, msg, (uint32_t)n);
		while (recv_msg(c, &h, p) == 0)
			;
		xs_server_flush(srv);
	}
	xs_server_flush(srv);
	CHECK_EQ(xs_server_nr_clients(srv), 1);  /* the writer stays */
	close(w);
	close(c);
	pump();
}

TEST(socket_path_rules)
{
	setup();
	int fd = client();
	CHECK(fd >= 0);
	close(fd);
	pump();
	/* A second server on the same path replaces the stale socket. */
	xs_server_free(srv);
	struct stat st;
	CHECK(stat(path, &st) != 0);            /* removed on free */
	char err[512];
	int f = open(path, O_CREAT | O_WRONLY, 0600);
	close(f);
	srv = xs_server_new(store, path, &loop, err, sizeof(err));
	CHECK(srv == NULL);
	CHECK_CONTAINS(err, "not a socket");
	unlink(path);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(xs_server_new(store, longpath, &loop, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "too long");
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/test_xs_socket.%d", (int)getpid());
	RUN(read_write_and_errors_by_name);
	RUN(watches_fire_into_the_socket);
	RUN(an_oversized_message_drops_the_client);
	RUN(a_client_that_never_reads_is_dropped_not_buffered);
	RUN(socket_path_rules);
	xs_server_free(srv);
	xs_store_free(store);
	unlink(path);
	return check_done();
}
