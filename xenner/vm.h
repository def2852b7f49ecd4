/* vm.h — one running guest: the KVM VM, its memory and vCPUs (xenner-private). */
#ifndef XENNER_VM_H
#define XENNER_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <xenner/config.h>
#include <xenner/memplan.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	/* Secondary vCPUs wait for VCPUOP_up (a hostcall from the stub). */
	bool start;
	uint64_t start_rip, start_rdi, start_rsp;
	uint64_t exits, hostcalls;      /* --stats */
	bool running;                   /* its thread is in its KVM_RUN loop */
	volatile bool dumped;           /* it answered a state-dump request */
};

struct vm {
	const struct xenner_config *cfg;
	const char *host_kind;
	uint32_t host_flags;             /* HOST_F_*: what the stub does for this host */
	bool emulator_gap_said;          /* kvm_emulation_failure_to_ud() said it once */
	int kvm_fd, vm_fd;
	size_t run_size;
	struct mem_plan plan;
	int mem_fd;
	uint8_t *ram;           /* guest RAM, frames in machine order */
	uint8_t *stub;          /* the stub region */
	uint64_t ram_bytes;
	unsigned nr_vcpus;
	struct vcpu vcpus[CONFIG_MAX_VCPUS];
	unsigned tsc_khz;

	uint64_t ap_entry;      /* stub virtual address of the secondary-vCPU entry */

	/* events.c: event channels to and from the host backends */
	int doorbell_fd, irq_fd;
	uint64_t *to_host, *to_guest;
	int input_fd;                           /* console input, -1 = none */
	void (*input_fn)(struct vm *vm);
	void (*poll_fn)(struct vm *vm);

	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	pthread_cond_t start_cond;
	bool done;
	int exit_status;
	volatile bool dump_request;     /* a signal asked every vCPU to print its state */
	bool stop_request;              /* vm_stop_vcpus: every vCPU thread leaves its loop */
};

/* Host pointer for a machine frame, or NULL if it is not backed. */
void *vm_mfn_to_host(void *vm, uint64_t mfn);

/* kvm.c: thin wrappers around the KVM ioctls. */
void kvm_open_vm(struct vm *vm);
void kvm_add_memory(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host);
void kvm_create_vcpu(struct vm *vm, struct vcpu *v);
void kvm_setup_boot_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi);
/* A secondary vCPU: same mode as vCPU 0, at rip with rdi and rsp, made runnable. */
void kvm_setup_ap_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsp);
void kvm_print_vcpu_state(struct vcpu *v);
bool kvm_emulation_failure_to_ud(struct vcpu *v);
/* The vCPU's TSC, TSC deadline and LAPIC PPR/ISR/IRR (vectors 224-255), for state dumps. */
void kvm_print_lapic_timer(struct vcpu *v);

/* vcpu.c: the vCPU threads and what the stub asks of the host. */
void vcpu_start(struct vcpu *v);
/* Record the exit status (first caller wins) and wake the main thread. */
void vm_finish(struct vm *vm, int status);
/*
 * Wait for the guest to end and return xenner's exit status. SIGINT,
 * SIGTERM and SIGHUP end it too: each vCPU prints its state first (where a
 * hung guest was), and the status is 128 + the signal number.
 */
int vm_wait(struct vm *vm);
/* Take every vCPU out of KVM_RUN for good (after vm_wait); false if one did not stop within 2 s. */
bool vm_stop_vcpus(struct vm *vm);

/* events.c */
void events_setup(struct vm *vm);
void events_start(struct vm *vm);
/* Stop the event thread (within its 100 ms poll): the guest is gone. */
void events_stop(struct vm *vm);
/* Run fn(opaque) on the event thread when the guest signals dom0 port port (fn NULL: none). */
void events_register(unsigned port, void (*fn)(void *), void *opaque);
void events_notify_guest(struct vm *vm, unsigned port);
/* Watch fd for input on the event thread (event thread or before it starts). -EMFILE if full. */
int events_watch_fd(int fd, void (*fn)(void *), void *opaque);
void events_unwatch_fd(int fd);
/*
 * Bind a new dom0 port to the guest's port guest_port, which the guest
 * allocated unbound for dom0 (a frontend's event-channel). 0 and
 * *dom0_port, or -errno / -XEN_E* (the stub's answer), -ETIMEDOUT if the
 * stub did not answer within 2 s. Then register a handler for *dom0_port and
 * notify with events_notify_guest(vm, *dom0_port).
 */
int events_bind_guest_port(struct vm *vm, unsigned guest_port, unsigned *dom0_port);
/* Close dom0's end: the guest's port waits unbound for dom0 again. */
void events_unbind(struct vm *vm, unsigned dom0_port);

/* devices.c */
struct xencons_interface;
struct xenstore_domain_interface;
struct devices_info {
	unsigned domid, vcpus, guest_bits;
	const char *name, *kernel, *ramdisk, *cmdline;
	uint8_t uuid[16];
	uint64_t memory_kib, store_mfn, console_mfn;
	struct xencons_interface *console_page;
	struct xenstore_domain_interface *store_page;
};
void devices_setup(struct vm *vm, const struct devices_info *d);
/* The guest is gone: stop and flush the backends (disks to stable storage). */
void devices_shutdown(struct vm *vm);

/* stats.c */
#include <stdio.h>
void stats_print(struct vm *vm, FILE *out);

/* hostkind.c */
const char *host_kind_detect(void);
uint32_t host_kind_flags(const char *kind, unsigned guest_bits);
bool host_kind_emulator_incomplete(const char *kind);
bool host_kind_stub_completes(const uint8_t *insn, size_t len);
uint64_t host_kind_m2p_virt(const char *kind, unsigned guest_bits, uint64_t fallback);

/* profile.c: XENNER_PROFILE=FILE, a sampling profile of the stub. */
bool profile_start(struct vm *vm);
void profile_sample(struct vcpu *v);
void profile_finish(void);

/* domain.c */
int domain_run(const struct xenner_config *cfg);

#endif
