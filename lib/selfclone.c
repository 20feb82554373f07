/* Re-exec from a protected copy of the binary; see selfclone.h for why.
 *
 * Two ways, both decided on the file we run from, never on the
 * environment, so there is no exec loop and nothing a caller could set to
 * skip the protection but to run from one:
 *   - a memfd copy carrying all four seals (a plain or tmpfs file, which
 *     reports F_SEAL_SEAL alone, does not pass);
 *   - the binary opened through a private overlayfs that has no upper
 *     layer, mounted with fsmount() and never attached anywhere (runc
 *     1.2's way).  Not a copy: its pages are the binary's own page cache,
 *     so the exec's page faults find them.  A passing file is on an
 *     overlayfs, read-only, and on a mount that is not in our mount
 *     namespace (statmount() cannot find it); the maker checks its fd with
 *     the same test before it execs, so a kernel that cannot tell (before
 *     Linux 6.8) takes the memfd instead of execing twice. */
#include "lib/selfclone.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mount.h>
#include <linux/stat.h>

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
#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define STATMOUNT_MNT_BASIC   0x00000002U

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

/* On a read-only overlayfs whose mount is not in our mount namespace.
 * The overlay made below has no upper layer, so its superblock is
 * read-only for good (overlayfs refuses a remount rw without one), and
 * nothing in any namespace names its mount: no remount, mount_setattr or
 * bind of it can be asked for by path. */
static bool fd_on_private_overlay (int fd)
{
	struct {
		uint32_t size, spare;
		uint64_t mnt_id, param;
	} req = {24, 0, 0, STATMOUNT_MNT_BASIC};
	uint64_t reply[64];
	struct statfs sfs;
	struct statx sx;

	if (fstatfs (fd, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC ||
	    !(sfs.f_flags & ST_RDONLY))
		return false;
	/* The unique mount id (Linux 6.8) is what statmount() takes. */
	if (syscall (SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID_UNIQUE))
		return false;
	req.mnt_id = sx.stx_mnt_id;
	/* ENOSYS (before 6.8) or success (an attached mount) fail the test. */
	return syscall (SYS_statmount, &req, reply, sizeof reply, 0) < 0 && errno == ENOENT;
}

static bool fd_is_protected (int fd)
{
	return fd_is_sealed (fd) || fd_on_private_overlay (fd);
}

int selfclone_is_protected (struct keel_error **err)
{
	bool mounted;
	cleanup_close int fd = open_self (false, &mounted, err);

	if (fd < 0)
		return fd;
	return fd_is_protected (fd);
}

/* DIR for an overlayfs lowerdir list: ':' separates layers, '\' escapes. */
static bool escape_layer (char *out, size_t size, const char *dir, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (o + 3 > size)
			return false;
		if (dir[i] == ':' || dir[i] == '\\')
			out[o++] = '\\';
		out[o++] = dir[i];
	}
	out[o] = '\0';
	return true;
}

/* The running binary as an O_PATH fd through a private read-only
 * overlayfs over its directory, or -1 (then the caller copies; the
 * reason is not worth a message: no privilege, no overlayfs, an old
 * kernel, a binary replaced since it started).
 *
 * Without an upper layer overlayfs wants two lower ones; the second is
 * /dev, a directory every host has that cannot overlap the binary's
 * (overlayfs refuses a layer inside another).  The top layer wins, so
 * nothing in /dev can stand in for the binary; the mount is nodev and
 * its root is never reachable: the only fd we keep is the binary's. */
static int open_overlay (int self)
{
	char path[PATH_MAX], lower[2 * PATH_MAX + 8];
	cleanup_close int fs = -1, mnt = -1, exe = -1;
	struct stat a, b;
	const char *name;
	ssize_t n;

	n = readlink ("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0 || path[0] != '/')
		return -1;
	path[n] = '\0';
	name = strrchr (path, '/');
	if (name == path || strncmp (path, "/dev/", 5) == 0 ||
	    !escape_layer (lower, sizeof lower - 5, path, (size_t)(name - path)))
		return -1;
	strcat (lower, ":/dev");

	fs = (int)syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		return -1;
	/* xino would only add inode-number mapping (and a kernel log line
	 * when the layers are on different file systems); not needed. */
	(void)!syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "xino", "off", 0);
	if (syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	mnt = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC,
	                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		return -1;
	exe = openat (mnt, name + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (exe < 0)
		return -1;
	/* The path may name another file by now (an upgrade replaced the
	 * binary): only the file we run from is good.  overlayfs reports a
	 * lower file's own inode number, size and times. */
	if (fstat (self, &a) < 0 || fstat (exe, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a.st_mtim.tv_nsec != b.st_mtim.tv_nsec || !S_ISREG (b.st_mode))
		return -1;
	/* The exec'd binary will ask this of itself; if this kernel cannot
	 * answer, copy now rather than exec twice. */
	if (!fd_on_private_overlay (exe))
		return -1;
	return steal_fd (&exe);
}

int selfclone_sealed_copy (int in, struct keel_error **err)
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

int selfclone_exec (char **argv, unsigned flags, struct keel_error **err)
{
	cleanup_close int self = -1, copy = -1;
	bool mounted;
	int ret = 0;

	self = open_self (flags & SELFCLONE_MOUNT_PROC, &mounted, err);
	if (self < 0)
		return self;
	if (!fd_is_protected (self)) {
		if ((flags & SELFCLONE_OVERLAY) && !mounted) {
			cleanup_close int exe = open_overlay (self);
			/* The fd is close-on-exec: nothing after the exec
			 * holds the overlay but the exec'd image itself. */
			if (exe >= 0)
				syscall (SYS_execveat, exe, "", argv, environ, AT_EMPTY_PATH);
		}
		ret = copy = selfclone_sealed_copy (self, err);
	}
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
