/* console.c — talking to the host: console output, trace lines, shutdown, panic. */
#include "stub.h"
#include <stdarg.h>
#include <xen/sched.h>

#if STUB_BITS == 64
#define STUB_VIRT_BASE STUB64_VIRT_BASE
#else
#define STUB_VIRT_BASE STUB32_VIRT_BASE
#endif

static struct hostcall early_hostcall __attribute__((aligned(64)));

static struct hostcall *hostcall_block(void)
{
	struct vcpu *v = current();
	return v && v->hostcall ? v->hostcall : &early_hostcall;
}

static void hostcall_kick(struct hostcall *hc)
{
	uint32_t off = (uint32_t)((uintptr_t)hc - (uintptr_t)STUB_VIRT_BASE);
	__asm__ volatile("outl %0, %1" : : "a"(off), "Nd"((uint16_t)HOSTCALL_PORT) : "memory");
}

void hostcall(uint32_t op, const void *data, size_t len, uint64_t arg0)
{
	struct hostcall *hc = hostcall_block();
	if (len > HOSTCALL_DATA_MAX)
		len = HOSTCALL_DATA_MAX;
	hc->op = op;
	hc->len = (uint32_t)len;
	hc->arg[0] = arg0;
	if (len)
		memcpy(hc->data, data, len);
	hostcall_kick(hc);
}

void hostcall3(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct hostcall *hc = hostcall_block();
	hc->op = op;
	hc->len = 0;
	hc->arg[0] = a0;
	hc->arg[1] = a1;
	hc->arg[2] = a2;
	hostcall_kick(hc);
}

void trace_print(unsigned flag, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	hostcall(HOSTCALL_TRACE, line, (size_t)n, current() ? current()->id : 0);
}

static void regs_for_host(struct hostcall_regs *h, const struct regs *r)
{
	memset(h, 0, sizeof(*h));
	if (!r)
		return;
#if STUB_BITS == 64
	h->rax = r->rax; h->rbx = r->rbx; h->rcx = r->rcx; h->rdx = r->rdx;
	h->rsi = r->rsi; h->rdi = r->rdi; h->rbp = r->rbp; h->rsp = r->sp;
	h->r8 = r->r8; h->r9 = r->r9; h->r10 = r->r10; h->r11 = r->r11;
	h->r12 = r->r12; h->r13 = r->r13; h->r14 = r->r14; h->r15 = r->r15;
	h->ss = r->ss;
#else
	h->rax = r->eax; h->rbx = r->ebx; h->rcx = r->ecx; h->rdx = r->edx;
	h->rsi = r->esi; h->rdi = r->edi; h->rbp = r->ebp;
	if (r->cs & 3) {
		h->rsp = r->sp;
		h->ss = r->ss;
	}
#endif
	h->rip = r->ip; h->rflags = r->flags; h->cs = r->cs;
	h->vector = r->vector; h->error_code = r->error_code;
	h->cr2 = arch_read_cr2();
}

/* A bug in the stub itself: the host prints the message and registers, exits 4. */
void panic_regs(const struct regs *r, const char *fmt, ...)
{
	struct hostcall *hc = hostcall_block();
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(hc->data, sizeof(hc->data), fmt, ap);
	va_end(ap);
	hc->op = HOSTCALL_PANIC;
	hc->len = n < (int)sizeof(hc->data) ? (uint32_t)n : sizeof(hc->data) - 1;
	regs_for_host(&hc->regs, r);
	hc->arg[0] = r ? 1 : 0;
	for (;;) {
		hostcall_kick(hc);
		arch_halt();
	}
}

/* The guest did something Xen answers with domain_crash(): exit 2, reason traced. */
void domain_crash(const struct regs *r, const char *fmt, ...)
{
	struct hostcall *hc = hostcall_block();
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(hc->data, sizeof(hc->data), fmt, ap);
	va_end(ap);
	hc->op = HOSTCALL_SHUTDOWN;
	hc->len = n < (int)sizeof(hc->data) ? (uint32_t)n : sizeof(hc->data) - 1;
	hc->arg[0] = SHUTDOWN_crash;
	hc->arg[1] = 1;         /* crashed by the hypervisor, not by the guest's request */
	regs_for_host(&hc->regs, r);
	for (;;) {
		hostcall_kick(hc);
		arch_halt();
	}
}

void domain_shutdown(unsigned reason)
{
	struct hostcall *hc = hostcall_block();
	hc->op = HOSTCALL_SHUTDOWN;
	hc->len = 0;
	hc->arg[0] = reason;
	hc->arg[1] = 0;
	for (;;) {
		hostcall_kick(hc);
		arch_halt();
	}
}

/* console_io: the emergency console. Writes go to xenner's stdout; reads get nothing. */
#include "hypercall.h"
long do_console_io(HC_ARGS)
{
	ulong cmd = a1, count = a2, buf = a3;
	char chunk[512];

	switch (cmd) {
	case CONSOLEIO_write:
		count = (unsigned int)count;
		while (count) {
			size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
			if (copy_from_guest(chunk, buf, n))
				return -XEN_EFAULT;
			hostcall(HOSTCALL_CONSOLE_WRITE, chunk, n, 0);
			buf += n;
			count -= n;
		}
		return 0;
	case CONSOLEIO_read:
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
