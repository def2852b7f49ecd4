/* traps.c — trap table set-up, Xen exception frame decoding and dispatch. */
#include "traps.h"

extern const unsigned long trap_entries[TRAP_NR_VECTORS];	/* trap{64,32}.S */

/* Read by trap32.S on the way out; pv64 always leaves by HYPERVISOR_iret. */
bool trap_iret_hypercall;

void trap_dispatch(struct trap_regs *r);

static trap_handler_fn handlers[TRAP_NR_VECTORS];
static bool masks_events[TRAP_NR_VECTORS];

/* Where struct cpu_user_regs keeps saved_upcall_mask relative to cs. */
#define CS_WORD_MASK_SHIFT \
	(8 * (offsetof(struct cpu_user_regs, saved_upcall_mask) - \
	      offsetof(struct cpu_user_regs, cs)))

#ifdef __x86_64__
/* trap64.S builds struct iret_context by hand: pin the order it assumes. */
_Static_assert(offsetof(struct iret_context, rax) == 0 * 8 &&
	       offsetof(struct iret_context, r11) == 1 * 8 &&
	       offsetof(struct iret_context, rcx) == 2 * 8 &&
	       offsetof(struct iret_context, flags) == 3 * 8 &&
	       offsetof(struct iret_context, rip) == 4 * 8 &&
	       offsetof(struct iret_context, ss) == 8 * 8, "iret_context layout");
_Static_assert(CS_WORD_MASK_SHIFT == 32, "saved_upcall_mask in bits 32-39");
#else
_Static_assert(CS_WORD_MASK_SHIFT == 16, "saved_upcall_mask in bits 16-23");
#endif

static const char *const names[TRAP_NR_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
};

const char *trap_name(unsigned int vector)
{
	return vector < TRAP_NR_VECTORS ? names[vector] : "?";
}

void trap_set_handler(unsigned int vector, trap_handler_fn fn, bool mask_events)
{
	handlers[vector] = fn;
	masks_events[vector] = mask_events;
}

long traps_install(void)
{
	static struct trap_info table[TRAP_NR_VECTORS + 1];	/* zero address ends it */

	for (unsigned int v = 0; v < TRAP_NR_VECTORS; v++) {
		struct trap_info *ti = &table[v];

		ti->vector = v;
		ti->flags = 0;
		TI_SET_DPL(ti, 0);
		TI_SET_IF(ti, masks_events[v]);
		ti->cs = FLAT_KERNEL_CS;
		ti->address = trap_entries[v];
	}
	return HYPERVISOR_set_trap_table(table);
}

static void decode(struct trap_regs *r, struct trap_ctx *t)
{
	unsigned long *f = r->frame;
	unsigned int i = 0;

	memset(t, 0, sizeof(*t));
	t->vector = r->vector;
	t->has_err = r->has_err;
	t->regs = r;
	t->frame = f;
#ifdef __x86_64__
	t->rcx = f[i++];
	t->r11 = f[i++];
#endif
	if (t->has_err)
		t->err = f[i++];
	t->rip_slot = &f[i];
	t->rip = f[i++];
	t->cs_word = f[i++];
	t->rflags = f[i++];
#ifdef __x86_64__
	t->rsp = f[i++];
	t->ss = f[i++];
#endif
	t->frame_top = (unsigned long)&f[i];
	t->cs = (uint16_t)t->cs_word;
	t->saved_upcall_mask = (uint8_t)(t->cs_word >> CS_WORD_MASK_SHIFT);
	t->iret_hypercall = true;
}

static __attribute__((noreturn)) void unexpected(struct trap_ctx *t)
{
	printf("unexpected trap %u (%s) err=0x%lx rip=0x%lx cs=0x%lx rflags=0x%lx\n",
	       t->vector, trap_name(t->vector), t->err, t->rip, t->cs_word, t->rflags);
#ifdef __x86_64__
	printf("  rsp=0x%lx ss=0x%lx rcx=0x%lx r11=0x%lx frame at %p\n",
	       t->rsp, t->ss, t->rcx, t->r11, (void *)t->frame);
#else
	printf("  frame at %p\n", (void *)t->frame);
#endif
	fail_now("unexpected %s at rip 0x%lx (error code 0x%lx)",
		 trap_name(t->vector), t->rip, t->err);
}

void trap_dispatch(struct trap_regs *r)
{
	struct trap_ctx t;

	decode(r, &t);
	if (t.vector >= TRAP_NR_VECTORS || !handlers[t.vector])
		unexpected(&t);
	handlers[t.vector](&t);
	trap_iret_hypercall = t.iret_hypercall;
}
