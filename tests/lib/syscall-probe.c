/* syscall-probe NR...: make each raw syscall NR (all arguments 0) and print
 * "NR ERRNO" (0 on success), one line each.  "i386:NR" makes it through the
 * 32-bit entry (int $0x80) of an x86_64 kernel, which seccomp sees as
 * another architecture.  The seccomp tests copy it, statically linked, into
 * the container to see what a filter answers for syscalls busybox has no
 * applet for (numbers no kernel has, new ones). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long i386_syscall (long nr)
{
#ifdef __x86_64__
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(0), "c"(0), "d"(0) : "memory");
	return r < 0 && r > -4096 ? -r : 0;
#else
	(void)nr;
	return ENOSYS;
#endif
}

int main (int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long nr, r;

		if (strncmp (a, "i386:", 5) == 0) {
			nr = strtol (a + 5, NULL, 0);
			printf ("%s %ld\n", a, i386_syscall (nr));
			continue;
		}
		nr = strtol (a, NULL, 0);
		errno = 0;
		r = syscall (nr, 0, 0, 0, 0, 0, 0);
		printf ("%ld %d\n", nr, r < 0 ? errno : 0);
	}
	return 0;
}
