/* The static (musl) build's open(2) and fcntl(F_DUPFD_CLOEXEC) without
 * musl's extra F_SETFD.  musl follows every open() with O_CLOEXEC, and
 * every fcntl(F_DUPFD_CLOEXEC), with fcntl(fd, F_SETFD, FD_CLOEXEC), for
 * kernels before 2.6.23/2.6.24 that ignored the flag; keel needs Linux 5.x
 * system calls anyway (openat2, clone3), on which the kernel sets
 * close-on-exec itself, atomically.  A `run` made about 25 of these extra
 * system calls (docs/performance.md, "The fifth pass").  The Makefile
 * routes keel's own calls here with the linker's --wrap=open,--wrap=fcntl
 * (musl's internal opens are not affected); the glibc builds never
 * define KEEL_SYSCALL_WRAP and keep libc's. */
#ifdef KEEL_SYSCALL_WRAP
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

int __real_fcntl (int fd, int cmd, ...);
int __wrap_open (const char *path, int flags, ...);
int __wrap_fcntl (int fd, int cmd, ...);

int __wrap_open (const char *path, int flags, ...)
{
	mode_t mode = 0;

	/* as musl: a mode only when the call can create a file */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;

		va_start (ap, flags);
		mode = va_arg (ap, mode_t);
		va_end (ap);
	}
	return (int)syscall (SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int __wrap_fcntl (int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start (ap, cmd);
	arg = va_arg (ap, unsigned long);
	va_end (ap);
	if (cmd == F_DUPFD_CLOEXEC)
		return (int)syscall (SYS_fcntl, fd, cmd, arg);
	return __real_fcntl (fd, cmd, arg);
}
#endif
