/* console.c — printf over console_io(CONSOLEIO_write); no libc. */
#include "guest.h"
#include <xen/io/console.h>

/*
 * Real Xen refuses console_io to an unprivileged domU (-EPERM unless it is
 * built with CONFIG_VERBOSE_DEBUG). Only then do we fall back to the PV
 * console ring, so the same guests also run on Xen for comparison; xenner
 * accepts console_io and never takes this path.
 */
static volatile struct xencons_interface *cons_ring;

static bool cons_ring_init(void)
{
	const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;

	for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++) {
		if (p2m[pfn] == start_info->console.domU.mfn) {
			cons_ring = (volatile struct xencons_interface *)
				((unsigned long)GUEST_VIRT_BASE + pfn * GUEST_PAGE_SIZE);
			return true;
		}
	}
	return false;
}

static void cons_ring_write(const char *s, size_t len)
{
	struct evtchn_send send = { .port = start_info->console.domU.evtchn };

	while (len) {
		XENCONS_RING_IDX cons = cons_ring->out_cons, prod = cons_ring->out_prod;

		asm volatile("" ::: "memory");
		if (prod - cons >= sizeof(cons_ring->out)) {	/* full: let the backend drain */
			HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		for (; len && prod - cons < sizeof(cons_ring->out); len--)
			cons_ring->out[MASK_XENCONS_IDX(prod++, cons_ring->out)] = *s++;
		asm volatile("" ::: "memory");	/* x86: stores stay in order */
		cons_ring->out_prod = prod;
	}
	HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

void console_write(const char *s, size_t len)
{
	static bool use_ring;

	if (!use_ring) {
		long rc = HYPERVISOR_console_io(CONSOLEIO_write, (int)len, s);

		if (rc != -XEN_EPERM || !cons_ring_init())
			return;
		use_ring = true;
		static const char note[] =
			"(console_io refused with -EPERM: writing to the PV console ring)\n";
		cons_ring_write(note, sizeof(note) - 1);
	}
	cons_ring_write(s, len);
}

/* u / 10 without libgcc (pv32 has no 64-bit divide instruction). */
static unsigned long long div10(unsigned long long u, unsigned int *rem)
{
	unsigned long long q = (u >> 1) + (u >> 2);

	q += q >> 4;
	q += q >> 8;
	q += q >> 16;
	q += q >> 32;
	q >>= 3;
	unsigned long long r = u - q * 10;
	if (r > 9) {
		q++;
		r -= 10;
	}
	*rem = (unsigned int)r;
	return q;
}

struct sink {
	char *buf;
	size_t size, len;	/* len counts every byte produced */
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_num(struct sink *s, unsigned long long u, unsigned int base,
		    bool neg, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned int digit;

		if (base == 16) {
			digit = u & 15;
			u >>= 4;
		} else {
			u = div10(u, &digit);
		}
		tmp[n++] = "0123456789abcdef"[digit];
	} while (u);
	if (neg && pad == '0')
		put(s, '-');
	for (int w = n + neg; w < width; w++)
		put(s, pad);
	if (neg && pad != '0')
		put(s, '-');
	while (n)
		put(s, tmp[--n]);
}

/* Supports %[0][width][l|ll|z](d|i|u|x|p), %[-][width][.prec|.*]s, %c and %%. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		int width = 0, prec = -1;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0;		/* 'z' is 'l': size_t is unsigned long here */
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}

		unsigned long long u;
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long)
				    : lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(&s, v < 0 ? -(unsigned long long)v : (unsigned long long)v,
				10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
			u = lng >= 2 ? va_arg(ap, unsigned long long)
			  : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_num(&s, u, *fmt == 'x' ? 16 : 10, false, width, pad);
			break;
		case 'p':
			put(&s, '0');
			put(&s, 'x');
			put_num(&s, (unsigned long)va_arg(ap, void *), 16, false, width, pad);
			break;
		case 'c':
			put(&s, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			size_t n = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			if (!left)
				for (size_t w = n; w < (size_t)width; w++)
					put(&s, ' ');
			for (size_t i = 0; i < n; i++)
				put(&s, str[i]);
			if (left)
				for (size_t w = n; w < (size_t)width; w++)
					put(&s, ' ');
			break;
		}
		case '%':
			put(&s, '%');
			break;
		default:	/* unknown conversion: show it */
			put(&s, '%');
			if (!*fmt)
				goto out;
			put(&s, *fmt);
			break;
		}
	}
out:
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, strlen(buf));
	return n;
}
