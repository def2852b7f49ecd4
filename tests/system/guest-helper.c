/*
 * guest-helper.c — the system tests' in-guest workloads (busybox has none of them).
 *
 * Built on the host with `gcc -static -O2` by tests/system/mkinitramfs.sh and
 * installed as /bin/xt in the test initramfs, where tests/system/init.sh runs it.
 * Each subcommand checks one thing, prints one line saying what it saw, and
 * exits 0 (good) or 1 (bad); 2 means it was used wrongly. Every subcommand
 * arms alarm() first, so a hang ends as a failure (SIGALRM) even when the
 * caller's own timeout does not fire.
 *
 *   xt echo ARGS...        print ARGS (the exec target of the fork/exec loop)
 *   xt clocks              print "REALTIME_MS MONOTONIC_MS"
 *   xt mem MIB             allocate MIB MiB, write a pattern, verify it; fork:
 *                          the child verifies it, overwrites it (copy on write)
 *                          and verifies its own; the parent's copy must be intact
 *   xt pingpong N          N round trips of a counter between two processes
 *                          over a pair of pipes
 *   xt cpus N              one process pinned to each CPU 0..N-1; all must be
 *                          running user code at the same time (a spin barrier)
 *                          and getcpu (system call and vDSO) must report the
 *                          pinned CPU
 *   xt disk DEV MIB        write MIB MiB of a pattern to block device DEV,
 *                          flush it and drop the cached copy, read it back
 *   xt tcp-send IP PORT MIB SEED
 *                          connect to IP:PORT (retrying for up to 30 s) and
 *                          send MIB MiB of the pattern of SEED; print MB/s
 *   xt tcp-recv PORT MIB SEED
 *                          accept one connection on PORT, read until the peer
 *                          closes, check it is exactly MIB MiB of the pattern
 *                          of SEED; print MB/s
 *   xt dio DEV MODE KIB SECONDS
 *                          O_DIRECT I/O on block device DEV for SECONDS: MODE
 *                          seq-read, seq-write, rand-read or rand-write in
 *                          blocks of KIB KiB, one at a time; print MB/s and
 *                          IOPS (bench/, not a check)
 * The tcp commands also run on the test's host side (the same static binary).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S 120 /* generous: guest code may run ~10x slower than native */
#define MAX_CPUS 64

static const char *sub = "xt";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	printf("%s: ", sub);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* A decimal number in [min, max], or die: arguments come from the kernel
 * command line through the shell, so they are checked again here. */
static long number(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		printf("%s: bad %s '%s' (want %ld..%ld)\n", sub, what, s, min, max);
		exit(2);
	}
	return v;
}

static int64_t ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		die("clock_gettime(%d): %s", (int)id, strerror(errno));
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t pattern(uint64_t i, uint64_t seed)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;

	x ^= x >> 31;
	return x * 0xBF58476D1CE4E5B9ull;
}

static void fill(uint64_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(i, seed);
}

/* Index of the first wrong word, or n. */
static size_t check(const uint64_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(i, seed))
			return i;
	return n;
}

/* Wait for child pid; 0 if it exited with status 0, else describe it. */
static int reap(pid_t pid, char *why, size_t len)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		snprintf(why, len, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, len, "child exited with status %d", WEXITSTATUS(st));
	else
		snprintf(why, len, "child killed by signal %d%s", WTERMSIG(st),
			 WTERMSIG(st) == SIGALRM ? " (its deadline passed)" : "");
	return -1;
}

static int cmd_mem(long mib)
{
	size_t bytes = (size_t)mib << 20, n = bytes / 8, bad;
	const uint64_t seed = 0x5eed0001, child_seed = 0x5eed0002;
	char why[128];
	uint64_t *p;
	pid_t pid;

	p = malloc(bytes);
	if (!p)
		die("malloc(%ld MiB) failed", mib);
	fill(p, n, seed);
	if ((bad = check(p, n, seed)) != n)
		die("word %zu (offset %#zx) reads %#llx, wrote %#llx", bad, bad * 8,
		    (unsigned long long)p[bad], (unsigned long long)pattern(bad, seed));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if ((bad = check(p, n, seed)) != n)
			die("in the forked child, word %zu differs from the parent's", bad);
		fill(p, n, child_seed);
		if ((bad = check(p, n, child_seed)) != n)
			die("in the child after copy-on-write, word %zu reads wrong", bad);
		_exit(0);
	}
	if (reap(pid, why, sizeof why))
		die("fork test: %s", why);
	if ((bad = check(p, n, seed)) != n)
		die("the child's writes leaked into the parent (word %zu)", bad);
	printf("%ld MiB written and verified, also across fork and copy-on-write\n", mib);
	return 0;
}

static void xread(int fd, void *buf, size_t len, const char *who)
{
	ssize_t r = read(fd, buf, len);

	if (r != (ssize_t)len)
		die("%s: read returned %zd (%s)", who, r, r < 0 ? strerror(errno) : "short");
}

static void xwrite(int fd, const void *buf, size_t len, const char *who)
{
	ssize_t r = write(fd, buf, len);

	if (r != (ssize_t)len)
		die("%s: write returned %zd (%s)", who, r, r < 0 ? strerror(errno) : "short");
}

/* rounds round trips of a counter between this process and a child, over two pipes; ms taken. */
/*
 * Round trips of a 32-bit counter between this process and a child, over
 * two pipes: *rounds of them, or (msecs > 0) as many as fit in msecs,
 * counted in *rounds. Returns the milliseconds they took.
 */
#define PINGPONG_STOP 0xffffffffu

static int64_t pingpong(long *rounds, long msecs)
{
	int down[2], up[2];
	char why[128];
	uint32_t v;
	int64_t t0, t1;
	pid_t pid;
	long i;

	if (pipe(down) || pipe(up))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		for (i = 0;; i++) {
			xread(down[0], &v, sizeof v, "child");
			if (v == PINGPONG_STOP)
				_exit(0);
			if (v != (uint32_t)(2 * i))
				die("child: round %ld got %u, want %ld", i, v, 2 * i);
			v++;
			xwrite(up[1], &v, sizeof v, "child");
		}
	}
	t0 = t1 = ms(CLOCK_MONOTONIC);
	for (i = 0; msecs > 0 ? t1 - t0 < msecs : i < *rounds; i++) {
		v = (uint32_t)(2 * i);
		xwrite(down[1], &v, sizeof v, "parent");
		xread(up[0], &v, sizeof v, "parent");
		if (v != (uint32_t)(2 * i + 1))
			die("parent: round %ld got %u, want %ld", i, v, 2 * i + 1);
		if (msecs > 0 && (i & 63) == 63)
			t1 = ms(CLOCK_MONOTONIC);
	}
	t1 = ms(CLOCK_MONOTONIC);
	*rounds = i;
	v = PINGPONG_STOP;
	xwrite(down[1], &v, sizeof v, "parent");
	if (reap(pid, why, sizeof why))
		die("%s", why);
	close(down[0]);
	close(down[1]);
	close(up[0]);
	close(up[1]);
	return t1 - t0;
}

static int cmd_pingpong(long rounds)
{
	int64_t t = pingpong(&rounds, 0);
	printf("%ld round trips in %lld ms\n", rounds, (long long)t);
	return 0;
}

/*
 * Micro-benchmarks for bench/ (figures, not checks): each runs for about
 * `ms` milliseconds and prints "<name>: <rate>/s (<count> in <ms> ms)".
 */
static void micro_report(const char *name, long count, int64_t t)
{
	printf("micro %s: %.0f/s (%ld in %lld ms)\n", name, t > 0 ? (double)count * 1000.0 / (double)t : 0.0,
	       count, (long long)t);
}

static const char *const micro_figures[] = { "syscall", "fork-exec", "page-fault", "pipe-roundtrip" };

/* Each figure for msecs, or only the one named (bench/entries-per-op.sh). */
static int cmd_micro(long msecs, const char *exe, const char *only)
{
	int64_t t0 = ms(CLOCK_MONOTONIC), t;
	long n = 0;
	char why[128];
	bool known = !only;
	for (size_t i = 0; i < sizeof(micro_figures) / sizeof(micro_figures[0]); i++)
		known |= only && !strcmp(only, micro_figures[i]);
	if (!known)
		die("no figure '%s' (syscall, fork-exec, page-fault, pipe-roundtrip)", only);
#define FIGURE(name) (!only || !strcmp(only, name))

	/* A system call that does almost nothing: getppid. */
	if (FIGURE("syscall")) {
		do {
			for (int i = 0; i < 100; i++)
				syscall(SYS_getppid);
			n += 100;
		} while ((t = ms(CLOCK_MONOTONIC) - t0) < msecs);
		micro_report("syscall", n, t);
	}

	/* fork, exec of a static program, wait. */
	n = 0;
	t0 = ms(CLOCK_MONOTONIC);
	while (FIGURE("fork-exec")) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, STDOUT_FILENO);
			execl(exe, exe, "echo", (char *)NULL);
			_exit(127);
		}
		if (reap(pid, why, sizeof why))
			die("%s", why);
		n++;
		if ((t = ms(CLOCK_MONOTONIC) - t0) >= msecs) {
			micro_report("fork-exec", n, t);
			break;
		}
	}

	/* Page faults: first touch of fresh anonymous pages, 16 MiB at a time. */
	const size_t len = 16u << 20;
	n = 0;
	t0 = ms(CLOCK_MONOTONIC);
	while (FIGURE("page-fault")) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		size_t off = 0;
		while (off < len) {
			p[off] = 1;
			off += 4096;
			/* A slow host (kvm_pvm: ~1000/s) stops within the chunk. */
			if ((off >> 12) % 256 == 0 && ms(CLOCK_MONOTONIC) - t0 >= msecs)
				break;
		}
		munmap((void *)p, len);
		n += (long)(off / 4096);
		if ((t = ms(CLOCK_MONOTONIC) - t0) >= msecs) {
			micro_report("page-fault", n, t);
			break;
		}
	}

	/* Pipe round trips between two processes. */
	n = 0;
	t0 = ms(CLOCK_MONOTONIC);
	if (FIGURE("pipe-roundtrip")) {
		t = pingpong(&n, msecs);
		micro_report("pipe-roundtrip", n, t);
	}
#undef FIGURE
	return 0;
}

#define BARRIER_S 20 /* all CPUs are up before init starts: 20 s is ample */

struct cpus_shared {
	int arrived, aborted;
	int seen_sys[MAX_CPUS], seen_vdso[MAX_CPUS];
};

static int cmd_cpus(long ncpus)
{
	struct cpus_shared *sh;
	pid_t pids[MAX_CPUS];
	char why[128];
	int failed = 0;

	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof *sh);
	for (long i = 0; i < ncpus; i++)
		sh->seen_sys[i] = sh->seen_vdso[i] = -1;
	fflush(stdout);
	for (long i = 0; i < ncpus; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			cpu_set_t set;
			unsigned cpu = ~0u;

			int64_t give_up = ms(CLOCK_MONOTONIC) + BARRIER_S * 1000;
			unsigned long spins = 0;

			CPU_ZERO(&set);
			CPU_SET(i, &set);
			if (sched_setaffinity(0, sizeof set, &set)) {
				__atomic_store_n(&sh->aborted, 1, __ATOMIC_SEQ_CST);
				die("sched_setaffinity(CPU %ld): %s", i, strerror(errno));
			}
			/* Spin (in user mode) until every child is running: with
			 * each pinned to its own CPU, this needs all CPUs at once. */
			__atomic_add_fetch(&sh->arrived, 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&sh->arrived, __ATOMIC_SEQ_CST) < ncpus) {
				if (__atomic_load_n(&sh->aborted, __ATOMIC_SEQ_CST))
					_exit(3); /* another one failed and said why */
				if (++spins % 4096 == 0 && ms(CLOCK_MONOTONIC) > give_up) {
					__atomic_store_n(&sh->aborted, 1, __ATOMIC_SEQ_CST);
					die("on CPU %ld: only %d of %ld processes started running within %d s",
					    i, __atomic_load_n(&sh->arrived, __ATOMIC_SEQ_CST), ncpus,
					    BARRIER_S);
				}
				__builtin_ia32_pause();
			}
			if (syscall(SYS_getcpu, &cpu, NULL, NULL))
				die("getcpu: %s", strerror(errno));
			sh->seen_sys[i] = (int)cpu;
			sh->seen_vdso[i] = sched_getcpu();
			_exit(0);
		}
	}
	for (long i = 0; i < ncpus; i++) {
		int st = reap(pids[i], why, sizeof why);

		if (st && strcmp(why, "child exited with status 3")) {
			printf("process pinned to CPU %ld: %s\n", i, why);
			failed = 1;
		} else if (st) {
			failed = 1;
		} else if (sh->seen_sys[i] != i || sh->seen_vdso[i] != i) {
			printf("process pinned to CPU %ld: getcpu says CPU %d, the vDSO CPU %d\n",
			       i, sh->seen_sys[i], sh->seen_vdso[i]);
			failed = 1;
		}
	}
	if (!failed)
		printf("%ld processes ran user code at the same time, one on each CPU\n", ncpus);
	return failed;
}

static int cmd_disk(const char *dev, long mib)
{
	size_t bytes = (size_t)mib << 20, n = bytes / 8, bad;
	const uint64_t seed = 0xd15c0001 ^ (uint64_t)ms(CLOCK_REALTIME);
	uint64_t *p, size = 0;
	ssize_t r;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &size))
		die("%s: BLKGETSIZE64: %s (not a block device?)", dev, strerror(errno));
	if (size < bytes)
		die("%s has %llu bytes, fewer than %ld MiB", dev, (unsigned long long)size, mib);
	p = malloc(bytes);
	if (!p)
		die("malloc(%ld MiB) failed", mib);
	fill(p, n, seed);
	if ((r = pwrite(fd, p, bytes, 0)) != (ssize_t)bytes)
		die("pwrite %s returned %zd: %s", dev, r, r < 0 ? strerror(errno) : "short");
	if (fsync(fd))
		die("fsync %s: %s", dev, strerror(errno));
	/* Drop the cached copy so that the read below comes from the device. */
	if (ioctl(fd, BLKFLSBUF, 0))
		die("%s: BLKFLSBUF: %s", dev, strerror(errno));
	memset(p, 0, bytes);
	if ((r = pread(fd, p, bytes, 0)) != (ssize_t)bytes)
		die("pread %s returned %zd: %s", dev, r, r < 0 ? strerror(errno) : "short");
	if ((bad = check(p, n, seed)) != n)
		die("%s: word %zu (offset %#zx) read back wrong", dev, bad, bad * 8);
	printf("%ld MiB written to %s (%llu MiB), flushed, read back and verified\n", mib, dev,
	       (unsigned long long)(size >> 20));
	return 0;
}

#define TCP_CHUNK (1u << 16)

/* Bytes [off, off + n) of the stream of seed (n a multiple of 8, off too). */
static void stream(uint8_t *buf, uint64_t off, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = pattern((off + i) / 8, seed);
		memcpy(buf + i, &w, 8);
	}
}

static void report(const char *what, uint64_t bytes, int64_t t0)
{
	int64_t t = ms(CLOCK_MONOTONIC) - t0;
	printf("%s %llu bytes in %lld ms (%.1f MB/s), pattern verified\n", what, (unsigned long long)bytes,
	       (long long)t, t > 0 ? (double)bytes / 1000.0 / (double)t : 0.0);
}

static int cmd_tcp_send(const char *ip, long port, long mib, long seed)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		die("bad IPv4 address '%s'", ip);
	int fd = -1;
	for (int tries = 0; fd < 0; tries++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		if (tries >= 300)
			die("connect %s:%ld: %s", ip, port, strerror(errno));
		close(fd);
		fd = -1;
		usleep(100000);
	}
	static uint8_t buf[TCP_CHUNK];
	uint64_t total = (uint64_t)mib << 20;
	int64_t t0 = ms(CLOCK_MONOTONIC);
	for (uint64_t off = 0; off < total; off += TCP_CHUNK) {
		stream(buf, off, TCP_CHUNK, (uint64_t)seed);
		for (size_t done = 0; done < TCP_CHUNK;) {
			ssize_t n = write(fd, buf + done, TCP_CHUNK - done);
			if (n <= 0)
				die("write after %llu bytes: %s", (unsigned long long)(off + done),
				    n < 0 ? strerror(errno) : "nothing written");
			done += (size_t)n;
		}
	}
	if (shutdown(fd, SHUT_WR))
		die("shutdown: %s", strerror(errno));
	/* Wait for the receiver to close: everything arrived. */
	char c;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	report("sent", total, t0);
	return 0;
}

static int cmd_tcp_recv(long port, long mib, long seed)
{
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1))
		die("listen on port %ld: %s", port, strerror(errno));
	printf("listening on port %ld\n", port);
	int fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	static uint8_t buf[TCP_CHUNK], want[TCP_CHUNK];
	uint64_t total = (uint64_t)mib << 20, got = 0;
	int64_t t0 = ms(CLOCK_MONOTONIC);
	for (;;) {
		ssize_t n = read(fd, buf, TCP_CHUNK - got % TCP_CHUNK);
		if (n < 0)
			die("read after %llu bytes: %s", (unsigned long long)got, strerror(errno));
		if (n == 0)
			break;
		if (got + (uint64_t)n > total)
			die("more than %ld MiB arrived", mib);
		uint64_t base = got - got % TCP_CHUNK;
		stream(want, base, TCP_CHUNK, (uint64_t)seed);
		if (memcmp(buf, want + got % TCP_CHUNK, (size_t)n)) {
			size_t at = 0;
			while (buf[at] == want[got % TCP_CHUNK + at])
				at++;
			/* Where in the stream the bytes that came belong, if anywhere near. */
			long long from = -1;
			uint64_t w;
			size_t a8 = (at + 7) & ~(size_t)7;
			if (a8 + 8 <= (size_t)n) {
				memcpy(&w, buf + a8, 8);
				uint64_t pos = got + a8;
				for (uint64_t i = 0; i < (total >> 3) && from < 0; i++)
					if (pattern(i, (uint64_t)seed) == w)
						from = (long long)(i * 8) - (long long)pos;
			}
			die("the data differ at stream byte %llu (of a read of %zd at %llu): got %02x%02x%02x%02x, "
			    "want %02x%02x%02x%02x; the bytes there belong %s%lld bytes away in the stream",
			    (unsigned long long)(got + at), n, (unsigned long long)got, buf[at], buf[at + 1],
			    buf[at + 2], buf[at + 3], want[got % TCP_CHUNK + at], want[got % TCP_CHUNK + at + 1],
			    want[got % TCP_CHUNK + at + 2], want[got % TCP_CHUNK + at + 3],
			    from < 0 ? "(nowhere: not the pattern) " : "", from);
		}
		got += (uint64_t)n;
	}
	close(fd);
	close(ls);
	if (got != total)
		die("%llu bytes arrived, want %llu", (unsigned long long)got, (unsigned long long)total);
	report("received", got, t0);
	return 0;
}

static int cmd_dio(const char *dev, const char *mode, long kib, long seconds)
{
	bool write_ = !strcmp(mode, "seq-write") || !strcmp(mode, "rand-write");
	bool rnd = !strncmp(mode, "rand-", 5);
	if (!write_ && strcmp(mode, "seq-read") && strcmp(mode, "rand-read"))
		die("mode '%s' is not seq-read, seq-write, rand-read or rand-write", mode);
	int fd = open(dev, (write_ ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die("open %s with O_DIRECT: %s", dev, strerror(errno));
	uint64_t size = 0;
	if (ioctl(fd, BLKGETSIZE64, &size))
		die("%s: BLKGETSIZE64: %s", dev, strerror(errno));
	size_t bs = (size_t)kib << 10;
	uint64_t blocks = size / bs;
	if (blocks == 0)
		die("%s is smaller than one block", dev);
	void *buf;
	if (posix_memalign(&buf, 4096, bs))
		die("posix_memalign failed");
	memset(buf, 0x5a, bs);
	uint64_t x = 0x9E3779B97F4A7C15ull, ops = 0, b = 0;
	int64_t t0 = ms(CLOCK_MONOTONIC), end = t0 + seconds * 1000;
	while (ms(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < 16; i++) {
			if (rnd) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				b = x % blocks;
			} else {
				b = (b + 1) % blocks;
			}
			ssize_t r = write_ ? pwrite(fd, buf, bs, (off_t)(b * bs)) : pread(fd, buf, bs, (off_t)(b * bs));
			if (r != (ssize_t)bs)
				die("%s at block %llu: %s", write_ ? "pwrite" : "pread", (unsigned long long)b,
				    r < 0 ? strerror(errno) : "short");
			ops++;
		}
	}
	if (write_ && fsync(fd))
		die("fsync: %s", strerror(errno));
	int64_t t = ms(CLOCK_MONOTONIC) - t0;
	printf("%s %ld KiB O_DIRECT: %.1f MB/s, %.0f IOPS (%llu ops in %lld ms)\n", mode, kib,
	       (double)ops * (double)bs / 1000.0 / (double)t, (double)ops * 1000.0 / (double)t,
	       (unsigned long long)ops, (long long)t);
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xt echo ARGS... | clocks | mem MIB | pingpong N | cpus N | disk DEV MIB |\n"
			"       tcp-send IP PORT MIB SEED | tcp-recv PORT MIB SEED | dio DEV MODE KIB SECONDS |\n"
			"       micro MS [syscall|fork-exec|page-fault|pipe-roundtrip]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	sub = argv[1];
	alarm(DEADLINE_S);
	if (!strcmp(sub, "echo")) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", argv[i], i + 1 < argc ? " " : "");
		printf("\n");
		return 0;
	}
	if (!strcmp(sub, "clocks") && argc == 2) {
		int64_t real = ms(CLOCK_REALTIME), mono = ms(CLOCK_MONOTONIC);

		printf("%lld %lld\n", (long long)real, (long long)mono);
		return 0;
	}
	if (!strcmp(sub, "mem") && argc == 3)
		return cmd_mem(number(argv[2], 1, 4096, "size in MiB"));
	if (!strcmp(sub, "pingpong") && argc == 3)
		return cmd_pingpong(number(argv[2], 1, 10000000, "round-trip count"));
	if (!strcmp(sub, "cpus") && argc == 3)
		return cmd_cpus(number(argv[2], 1, MAX_CPUS, "CPU count"));
	if (!strcmp(sub, "disk") && argc == 4)
		return cmd_disk(argv[2], number(argv[3], 1, 1024, "size in MiB"));
	if (!strcmp(sub, "micro") && (argc == 3 || argc == 4))
		return cmd_micro(number(argv[2], 1, 60000, "milliseconds per figure"), "/proc/self/exe",
				 argc == 4 ? argv[3] : NULL);
	if (!strcmp(sub, "dio") && argc == 6)
		return cmd_dio(argv[2], argv[3], number(argv[4], 1, 16384, "block size in KiB"),
			       number(argv[5], 1, 100, "seconds"));
	if (!strcmp(sub, "tcp-send") && argc == 6)
		return cmd_tcp_send(argv[2], number(argv[3], 1, 65535, "port"),
				    number(argv[4], 1, 4096, "size in MiB"), number(argv[5], 0, 1L << 30, "seed"));
	if (!strcmp(sub, "tcp-recv") && argc == 5)
		return cmd_tcp_recv(number(argv[2], 1, 65535, "port"), number(argv[3], 1, 4096, "size in MiB"),
				    number(argv[4], 0, 1L << 30, "seed"));
	usage();
}
