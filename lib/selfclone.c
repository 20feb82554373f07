/* Re-exec from a sealed memfd copy of the binary; see selfclone.h for why.
 *
 * The "already cloned" test looks at the file we run from, never only at
 * the environment: /proc/self/exe is opened and must be a memfd carrying
 * all four seals.  A plain file (or a tmpfs file, which reports F_SEAL_SEAL
 * alone) gets copied; the copy passes the test, so there is no exec loop
 * and nothing a caller could set to skip the copy but a sealed memfd. */
#include "lib/selfclone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC       0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS   1033
#define F_GET_SEALS   1034
#define F_SEAL_SEAL   0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW   0x0004
#define F_SEAL_WRITE  0x0008
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* Open the running binary; with mount_proc, mount /proc first when it is
 * not there (*mounted then says to unmount it). */
static int open_self (bool mount_proc, bool *mounted, struct keel_error **err)
{
	int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	*mounted = false;
	if (fd >= 0 || errno != ENOENT || !mount_proc)
		return fd >= 0 ? fd : keel_error (err, errno, "open /proc/self/exe");
	if (mkdir ("/proc", 0555) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir /proc");
	if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return keel_error (err, errno, "mount /proc to find our binary");
	*mounted = true;
	fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open /proc/self/exe");
	return fd;
}

static bool fd_is_sealed (int fd)
{
	int seals = fcntl (fd, F_GET_SEALS);

	/* EINVAL: not a file that can carry seals, i.e. not a memfd. */
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int selfclone_is_sealed (struct keel_error **err)
{
	bool mounted;
	cleanup_close int fd = open_self (false, &mounted, err);

	if (fd < 0)
		return fd;
	return fd_is_sealed (fd);
}

static int copy_sealed (int in, struct keel_error **err)
{
	cleanup_close int out =
	        (int)syscall (SYS_memfd_create, "keel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ssize_t n;

	if (out < 0)
		return keel_error (err, errno, "memfd_create");
	/* sendfile rather than copy_file_range: the latter gives EXDEV
	 * between file systems before Linux 5.3. */
	do {
		n = sendfile (out, in, NULL, 1 << 30);
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		return keel_error (err, errno, "copy our binary into a memfd");
	/* F_SEAL_SEAL last in the same call: no later F_ADD_SEALS can undo
	 * anything, and F_SEAL_WRITE also refuses new writable mappings. */
	if (fcntl (out, F_ADD_SEALS, SEALS) < 0)
		return keel_error (err, errno, "seal the memfd copy of our binary");
	return steal_fd (&out);
}

int selfclone_exec (char **argv, bool mount_proc, struct keel_error **err)
{
	cleanup_close int self = -1, copy = -1;
	bool mounted;
	int ret = 0;

	self = open_self (mount_proc, &mounted, err);
	if (self < 0)
		return self;
	if (!fd_is_sealed (self))
		ret = copy = copy_sealed (self, err);
	if (mounted && umount2 ("/proc", MNT_DETACH) < 0 && ret >= 0)
		ret = keel_error (err, errno, "unmount /proc");
	if (ret < 0 || copy < 0)
		return ret < 0 ? ret : 0;
	/* The memfd is close-on-exec: an ELF binary needs no path to itself
	 * once mapped, and the container must not inherit the fd. */
	syscall (SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
	/* execveat is missing before Linux 3.19 and valgrind does not
	 * follow AT_EMPTY_PATH; the fd's /proc path names the same file. */
	if (!mounted) {
		char path[64];
		snprintf (path, sizeof path, "/proc/self/fd/%d", copy);
		execve (path, argv, environ);
	}
	return keel_error (err, errno, "exec the sealed copy of our binary");
}
