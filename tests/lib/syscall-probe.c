/* syscall-probe NR...: make each raw syscall NR (all arguments 0) and print
 * "NR ERRNO" (0 on success), one line each.  The seccomp tests copy it,
 * statically linked, into the container to see what a filter answers for
 * syscalls busybox has no applet for (numbers no kernel has, new ones). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main (int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long nr = strtol (argv[i], NULL, 0);
		long r;

		errno = 0;
		r = syscall (nr, 0, 0, 0, 0, 0, 0);
		printf ("%ld %d\n", nr, r < 0 ? errno : 0);
	}
	return 0;
}
