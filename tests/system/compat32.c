/*
 * compat32.c — a 32-bit program for the 64-bit guest (built gcc -m32 -static
 * into the initramfs as /bin/xt32): its system calls go through the
 * kernel's 32-bit entry (int $0x80, or the vDSO's syscall or sysenter,
 * whichever the kernel chose from what the hypervisor offers).
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct utsname u;
	struct timeval tv;
	if (uname(&u) || gettimeofday(&tv, NULL)) {
		perror("compat32");
		return 1;
	}
	/* Many round trips, so a broken path cannot pass by luck. */
	for (int i = 0; i < 1000; i++)
		if (getppid() < 0)
			return 1;
	printf("compat32 ok: %zu-bit process, pid %d, kernel %s %s, %s\n", sizeof(void *) * 8, (int)getpid(),
	       u.sysname, u.release, argc > 1 ? argv[1] : "");
	return 0;
}
