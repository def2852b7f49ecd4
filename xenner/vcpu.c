/* vcpu.c — vCPU threads: run KVM, serve the stub's hostcalls, report how the guest ended. */
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xen/sched.h>
#include <xen/xen.h>
#include <xenner/hostabi.h>
#include <xenner/util.h>

void vm_finish(struct vm *vm, int status)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->done) {
		vm->done = true;
		vm->exit_status = status;
		pthread_cond_broadcast(&vm->done_cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

/* SIGUSR1 only interrupts a vCPU's KVM_RUN (no SA_RESTART); the thread then looks at dump_request. */
static void kick_handler(int sig)
{
	(void)sig;
}

/* Ask every running vCPU for its state and give them a second to print it. */
static void dump_vcpus(struct vm *vm)
{
	vm->dump_request = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (__atomic_load_n(&vm->vcpus[i].running, __ATOMIC_SEQ_CST))
			pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	for (int waited = 0; waited < 100; waited++) {
		bool all = true;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (__atomic_load_n(&vm->vcpus[i].running, __ATOMIC_SEQ_CST) &&
			    !vm->vcpus[i].dumped)
				all = false;
		if (all)
			break;
		usleep(10000);
	}
}

int vm_wait(struct vm *vm)
{
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	for (;;) {
		pthread_mutex_lock(&vm->lock);
		bool done = vm->done;
		int status = vm->exit_status;
		pthread_mutex_unlock(&vm->lock);
		if (done) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return status;
		}
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		int sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig > 0) {
			pr_err("%s: stopping the guest; where its vCPUs were:", strsignal(sig));
			dump_vcpus(vm);
			vm_finish(vm, 128 + sig);
		}
	}
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void print_hostcall_regs(const struct hostcall_regs *r)
{
	fprintf(stderr,
		"  rip %016llx cs %04llx rflags %08llx rsp %016llx ss %04llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx cr2 %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  vector %llu error code %llx\n",
		(unsigned long long)r->rip, (unsigned long long)r->cs,
		(unsigned long long)r->rflags, (unsigned long long)r->rsp,
		(unsigned long long)r->ss, (unsigned long long)r->rax,
		(unsigned long long)r->rbx, (unsigned long long)r->rcx,
		(unsigned long long)r->rdx, (unsigned long long)r->rsi,
		(unsigned long long)r->rdi, (unsigned long long)r->rbp,
		(unsigned long long)r->cr2, (unsigned long long)r->r8,
		(unsigned long long)r->r9, (unsigned long long)r->r10,
		(unsigned long long)r->r11, (unsigned long long)r->r12,
		(unsigned long long)r->r13, (unsigned long long)r->r14,
		(unsigned long long)r->r15, (unsigned long long)r->vector,
		(unsigned long long)r->error_code);
}

/* What a SHUTDOWN_* reason means for xenner's exit status. */
static int shutdown_status(struct vcpu *v, const struct hostcall *hc)
{
	unsigned reason = (unsigned)hc->arg[0];
	switch (reason) {
	case SHUTDOWN_poweroff:
		return EXIT_POWEROFF;
	case SHUTDOWN_reboot:
		pr_err("guest asked to reboot (on_reboot is not supported yet; exiting 3)");
		return EXIT_REBOOT;
	case SHUTDOWN_crash:
		if (hc->arg[1]) {
			pr_err("guest crashed: %.*s", (int)hc->len, hc->data);
			print_hostcall_regs(&hc->regs);
		} else {
			pr_err("guest crashed (SHUTDOWN_crash)");
		}
		return EXIT_CRASH;
	case SHUTDOWN_watchdog:
		pr_err("guest watchdog fired (SHUTDOWN_watchdog)");
		return EXIT_CRASH;
	case SHUTDOWN_suspend:
		pr_err("guest asked to suspend: save/restore is not supported yet");
		return EXIT_DIED;
	default:
		pr_err("guest shut down with unknown reason %u", reason);
		return EXIT_DIED;
	}
}

/* One hostcall from the stub. Returns true if the vCPU should keep running. */
static bool handle_hostcall(struct vcpu *v, uint32_t off)
{
	struct vm *vm = v->vm;
	if ((uint64_t)off + sizeof(struct hostcall) > vm->plan.stub_size) {
		pr_err("vCPU %u: hostcall block at offset %#x outside the stub region", v->id, off);
		kvm_print_vcpu_state(v);
		vm_finish(vm, EXIT_DIED);
		return false;
	}
	/* The block lives in stub memory; copy it so the checks hold. */
	struct hostcall hc;
	memcpy(&hc, vm->stub + off, sizeof(hc));
	v->hostcalls++;
	if (hc.len > HOSTCALL_DATA_MAX)
		hc.len = HOSTCALL_DATA_MAX;

	switch (hc.op) {
	case HOSTCALL_CONSOLE_WRITE:
		write_all(STDOUT_FILENO, hc.data, hc.len);
		return true;
	case HOSTCALL_TRACE:
		fprintf(stderr, "xenner: trace: vcpu%llu: %.*s\n", (unsigned long long)hc.arg[0],
			(int)hc.len, hc.data);
		return true;
	case HOSTCALL_SHUTDOWN:
		vm_finish(vm, shutdown_status(v, &hc));
		return false;
	case HOSTCALL_VCPU_UP: {
		uint64_t id = hc.arg[0];
		if (id == 0 || id >= vm->nr_vcpus) {
			pr_err("vCPU %u: stub asked to start vCPU %llu of %u", v->id,
			       (unsigned long long)id, vm->nr_vcpus);
			vm_finish(vm, EXIT_DIED);
			return false;
		}
		struct vcpu *ap = &vm->vcpus[id];
		pthread_mutex_lock(&vm->lock);
		if (!ap->start) {
			ap->start = true;
			ap->start_rip = vm->ap_entry;
			ap->start_rdi = hc.arg[1];
			ap->start_rsp = hc.arg[2];
			pthread_cond_broadcast(&vm->start_cond);
		}
		pthread_mutex_unlock(&vm->lock);
		return true;
	}
	case HOSTCALL_PANIC:
		pr_err("stub panic on vCPU %u: %.*s", v->id, (int)hc.len, hc.data);
		if (hc.arg[0])
			print_hostcall_regs(&hc.regs);
		kvm_print_vcpu_state(v);
		vm_finish(vm, EXIT_DIED);
		return false;
	default:
		pr_err("vCPU %u: unknown hostcall %u", v->id, hc.op);
		vm_finish(vm, EXIT_DIED);
		return false;
	}
}

static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == HOSTCALL_PORT &&
		    run->io.size == 4 && run->io.count == 1) {
			uint32_t off;
			memcpy(&off, (uint8_t *)run + run->io.data_offset, 4);
			return handle_hostcall(v, off);
		}
		pr_err("vCPU %u: unexpected I/O to port %#x", v->id, run->io.port);
		break;
	case KVM_EXIT_SHUTDOWN:
		pr_err("vCPU %u: triple fault (the guest or the stub hit a fault it could not handle)",
		       v->id);
		break;
	case KVM_EXIT_MMIO:
		pr_err("vCPU %u: access to unbacked guest-physical address %#llx", v->id,
		       (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("vCPU %u: KVM entry failed (hardware reason %#llx)", v->id,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    host_kind_emulator_incomplete(vm->host_kind) && kvm_emulation_failure_to_ud(v))
			return true;
		pr_err("vCPU %u: KVM internal error (suberror %u)", v->id, run->internal.suberror);
		break;
	case KVM_EXIT_HLT:
		pr_err("vCPU %u: halted with interrupts off", v->id);
		break;
	default:
		pr_err("vCPU %u: unexpected KVM exit %u", v->id, run->exit_reason);
		break;
	}
	kvm_print_vcpu_state(v);
	vm_finish(vm, EXIT_DIED);
	return false;
}

/* --trace exits: one line per KVM exit (hostcalls say which). */
static void trace_exit(const struct vcpu *v)
{
	const struct kvm_run *run = v->run;
	if (run->exit_reason == KVM_EXIT_IO && run->io.port == HOSTCALL_PORT)
		fprintf(stderr, "xenner: trace: vcpu%u: exit: hostcall\n", v->id);
	else if (run->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, "xenner: trace: vcpu%u: exit: I/O port %#x\n", v->id, run->io.port);
	else if (run->exit_reason == KVM_EXIT_INTR)
		fprintf(stderr, "xenner: trace: vcpu%u: exit: signal\n", v->id);
	else
		fprintf(stderr, "xenner: trace: vcpu%u: exit: KVM exit reason %u\n", v->id,
			run->exit_reason);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	if (v->id != 0) {
		struct vm *vm = v->vm;
		pthread_mutex_lock(&vm->lock);
		while (!v->start && !vm->done)
			pthread_cond_wait(&vm->start_cond, &vm->lock);
		bool go = v->start && !vm->done;
		pthread_mutex_unlock(&vm->lock);
		if (!go)
			return NULL;
		kvm_setup_ap_cpu(vm, v, v->start_rip, v->start_rdi, v->start_rsp);
	}
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	__atomic_store_n(&v->running, true, __ATOMIC_SEQ_CST);
	for (;;) {
		if (__atomic_load_n(&v->vm->stop_request, __ATOMIC_SEQ_CST))
			break;
		if (v->vm->dump_request && !v->dumped) {
			kvm_print_vcpu_state(v);
			const struct shared_info *si =
				(const void *)(v->vm->stub + v->vm->plan.shared_info_off);
			const struct vcpu_info *vi = &si->vcpu_info[v->id];
			fprintf(stderr, "  shared_info vcpu_info[%u]: evtchn_upcall_pending %u "
				"mask %u pending_sel %#llx\n", v->id, vi->evtchn_upcall_pending,
				vi->evtchn_upcall_mask, (unsigned long long)vi->evtchn_pending_sel);
			const struct stub_stats *st = (const struct stub_stats *)
				(v->vm->stub + v->vm->plan.stats_off) + v->id;
			static const char *const kinds[] = { "running (or in the stub)",
				"SCHEDOP_block", "SCHEDOP_poll", "VCPUOP_down" };
			uint64_t kind = st->wait_kind;
			fprintf(stderr, "  stub: %s", kind < 4 ? kinds[kind] : "?");
			if (kind == STATS_WAIT_POLL && st->wait_port != ~0ull)
				fprintf(stderr, " on port %llu", (unsigned long long)st->wait_port);
			if (kind != STATS_WAIT_NONE) {
				fprintf(stderr, " since system time %llu ns, next timer ",
					(unsigned long long)st->wait_since_ns);
				if (st->wait_timer_ns == ~0ull)
					fprintf(stderr, "none");
				else
					fprintf(stderr, "%llu ns", (unsigned long long)st->wait_timer_ns);
			}
			fprintf(stderr, "\n");
			if (kind != STATS_WAIT_NONE)
				fprintf(stderr, "  stub believes its LAPIC armed for TSC %#llx\n",
					(unsigned long long)st->wait_armed_tsc);
			kvm_print_lapic_timer(v);
			v->dumped = true;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				profile_sample(v);
				continue;
			}
			pr_err("vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
			vm_finish(v->vm, EXIT_DIED);
			break;
		}
		v->exits++;
		if (v->vm->cfg->trace & TRACE_EXITS)
			trace_exit(v);
		if (!handle_exit(v))
			break;
	}
	__atomic_store_n(&v->running, false, __ATOMIC_SEQ_CST);
	return NULL;
}

bool vm_stop_vcpus(struct vm *vm)
{
	__atomic_store_n(&vm->stop_request, true, __ATOMIC_SEQ_CST);
	for (int waited = 0; waited < 200; waited++) {
		bool all = true;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (__atomic_load_n(&vm->vcpus[i].running, __ATOMIC_SEQ_CST)) {
				all = false;
				pthread_kill(vm->vcpus[i].thread, SIGUSR1);
			}
		if (all)
			return true;
		usleep(10000);
	}
	return false;
}

void vcpu_start(struct vcpu *v)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Other threads must not take the process-directed signals. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		die("cannot start the vCPU %u thread: %s", v->id, strerror(r));
}
