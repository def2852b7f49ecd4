/* profile.c — where the vCPUs spend their time in the stub: a sampling profile (XENNER_PROFILE=FILE). */
#include "vm.h"
#include <xenner/util.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * Every PROFILE_PERIOD_US a thread kicks each running vCPU out of KVM_RUN
 * (SIGUSR1, as the state dump does); the vCPU thread samples its rip before
 * it goes back in. Samples in the stub image are counted per byte offset,
 * the rest as "guest". Where the stub's own code is emulated (kvm_pvm) this
 * is where its entries spend their time; bench/profile-stub.sh names the
 * functions. A developer's tool: the kicks themselves cost exits.
 */
#define PROFILE_PERIOD_US 500

static struct {
	const char *path;
	uint64_t base, size;    /* the stub image, stub virtual */
	uint32_t *hits;         /* per byte offset */
	uint64_t guest, stub;
	pthread_mutex_t lock;
	pthread_t thread;
	volatile bool stop;
} prof = { .lock = PTHREAD_MUTEX_INITIALIZER };

void profile_sample(struct vcpu *v)
{
	struct kvm_regs r;
	if (!prof.path || ioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return;
	pthread_mutex_lock(&prof.lock);
	if (!prof.hits) {
		/* profile_finish() ran */
	} else if (r.rip >= prof.base && r.rip < prof.base + prof.size) {
		prof.hits[r.rip - prof.base]++;
		prof.stub++;
	} else {
		prof.guest++;
	}
	pthread_mutex_unlock(&prof.lock);
}

static void *kicker(void *arg)
{
	struct vm *vm = arg;
	while (!prof.stop) {
		usleep(PROFILE_PERIOD_US);
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (__atomic_load_n(&vm->vcpus[i].running, __ATOMIC_SEQ_CST))
				pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	}
	return NULL;
}

bool profile_start(struct vm *vm)
{
	const char *path = getenv("XENNER_PROFILE");
	if (!path || !*path)
		return false;
	prof.path = path;
	prof.base = vm->plan.stub_virt;
	prof.size = vm->plan.image_size;
	prof.hits = xzalloc(prof.size * sizeof(*prof.hits));
	/* Signals go to the vCPU threads only (vcpu_start blocks them elsewhere). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&prof.thread, NULL, kicker, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		die("XENNER_PROFILE: cannot start the sampling thread: %s", strerror(r));
	return true;
}

/* Write "address samples" lines, most samples first, after a summary line. */
void profile_finish(void)
{
	if (!prof.hits)
		return;
	prof.stop = true;
	pthread_join(prof.thread, NULL);
	pthread_mutex_lock(&prof.lock);
	FILE *f = fopen(prof.path, "w");
	if (!f) {
		pr_err("XENNER_PROFILE: %s: %s", prof.path, strerror(errno));
	} else {
		fprintf(f, "# samples: stub %llu guest %llu (every %u us); stub image at %#llx\n",
			(unsigned long long)prof.stub, (unsigned long long)prof.guest,
			PROFILE_PERIOD_US, (unsigned long long)prof.base);
		for (;;) {
			uint64_t best = 0, at = 0;
			for (uint64_t i = 0; i < prof.size; i++)
				if (prof.hits[i] > best)
					best = prof.hits[i], at = i;
			if (!best)
				break;
			fprintf(f, "%#llx %llu\n", (unsigned long long)(prof.base + at),
				(unsigned long long)best);
			prof.hits[at] = 0;
		}
		fclose(f);
	}
	/* vCPU threads can outlive vm_wait(): profile_sample() sees NULL. */
	free(prof.hits);
	prof.hits = NULL;
	pthread_mutex_unlock(&prof.lock);
}
