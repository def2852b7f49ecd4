/* stats.c — --stats: how often the guest entered the stub, by cause, and exits to the host. */
#include "vm.h"

#include <stdio.h>
#include <xenner/hcnames.h>
#include <xenner/hostabi.h>

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", NULL, "#TS", "#NP",
	"#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM",
};

/*
 * Sum the per-vCPU counters the stub keeps in its region and print them,
 * one cause a line, busiest first within each group. Every entry costs a
 * ring transition (~0.4 us in the faithful test VM, 30-50 us on kvm_pvm),
 * so these counts are the stub's figure of merit.
 */
void stats_print(struct vm *vm, FILE *out)
{
	struct stub_stats sum = { 0 };
	const struct stub_stats *s =
		(const struct stub_stats *)(vm->stub + vm->plan.stats_off);
	for (unsigned c = 0; c < vm->nr_vcpus; c++) {
		for (unsigned i = 0; i < STATS_HYPERCALLS; i++)
			sum.hypercall[i] += s[c].hypercall[i];
		for (unsigned i = 0; i < 256; i++)
			sum.vector[i] += s[c].vector[i];
		sum.user_syscall += s[c].user_syscall;
		sum.upcall += s[c].upcall;
		sum.tlb_ipi += s[c].tlb_ipi;
		sum.timer_rescue += s[c].timer_rescue;
	}
	uint64_t total = sum.user_syscall, exits = 0, hostcalls = 0;
	for (unsigned i = 0; i < STATS_HYPERCALLS; i++)
		total += sum.hypercall[i];
	for (unsigned i = 0; i < 256; i++)
		total += sum.vector[i];
	for (unsigned c = 0; c < vm->nr_vcpus; c++) {
		exits += vm->vcpus[c].exits;
		hostcalls += vm->vcpus[c].hostcalls;
	}

	fprintf(out, "xenner: stats: %llu stub entries, %llu exits to the host (%llu hostcalls)\n",
		(unsigned long long)total, (unsigned long long)exits,
		(unsigned long long)hostcalls);
	for (unsigned i = 0; i < STATS_HYPERCALLS; i++) {
		if (!sum.hypercall[i])
			continue;
		const char *name = i == STATS_HYPERCALLS - 1 ? "other" :
			i < sizeof(hypercall_names) / sizeof(hypercall_names[0]) ?
			hypercall_names[i] : "unknown";
		fprintf(out, "xenner: stats:   hypercall %-24s %12llu\n", name,
			(unsigned long long)sum.hypercall[i]);
	}
	if (sum.user_syscall)
		fprintf(out, "xenner: stats:   %-34s %12llu\n", "user syscall (bounced)",
			(unsigned long long)sum.user_syscall);
	for (unsigned i = 0; i < 256; i++) {
		if (!sum.vector[i])
			continue;
		char name[32];
		if (i < 32 && vector_names[i])
			snprintf(name, sizeof(name), "exception %s", vector_names[i]);
		else
			snprintf(name, sizeof(name), "%s %u", i < 32 ? "exception" : "interrupt", i);
		fprintf(out, "xenner: stats:   %-34s %12llu\n", name,
			(unsigned long long)sum.vector[i]);
	}
	if (sum.upcall)
		fprintf(out, "xenner: stats:   %-34s %12llu\n", "event upcalls delivered",
			(unsigned long long)sum.upcall);
	if (sum.tlb_ipi)
		fprintf(out, "xenner: stats:   %-34s %12llu\n", "TLB flushes asked of other vCPUs",
			(unsigned long long)sum.tlb_ipi);
	if (sum.timer_rescue)
		fprintf(out, "xenner: stats:   %-34s %12llu\n", "timers run late (watchdog kick)",
			(unsigned long long)sum.timer_rescue);
}
