/* See procfs.h. */
#include "runtime/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc >= 2.36 declares the new mount API in <sys/mount.h>; musl does not,
 * and <linux/mount.h> clashes with glibc's header, so take it only then. */
#ifndef MOUNT_ATTR_SIZE_VER0
#include <linux/mount.h>
#endif

#include "lib/util.h"

/* The root directory of every procfs (fs/proc/root.c). */
#define PROC_ROOT_INO 1

static bool on_procfs (int fd)
{
	struct statfs sfs;

	return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* fd is the root of a procfs (not /proc/sys or a file bound there). */
static bool is_procfs_root (int fd)
{
	struct stat st;

	return on_procfs (fd) && fstat (fd, &st) == 0 && S_ISDIR (st.st_mode) &&
	       st.st_ino == PROC_ROOT_INO;
}

/* A procfs nobody else can have mounted anything in.  A fresh one
 * (fsopen) is refused in a user namespace whose mount namespace holds no
 * fully visible procfs, and before Linux 5.2; a non-recursive clone of
 * /proc leaves behind whatever is mounted inside it; /proc itself, the
 * last resort, is then only trusted as far as the checks of the walk
 * (no mount crossing) go. */
static int procfs_root (struct keel_error **err)
{
	cleanup_close int fs = -1;
	int fd;

	fs = (int)syscall (SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs >= 0 && syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0) {
		fd = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC,
		                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		if (fd >= 0 && is_procfs_root (fd))
			return fd;
		if (fd >= 0)
			close (fd);
	}
	fd = (int)syscall (SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd >= 0 && is_procfs_root (fd))
		return fd;
	if (fd >= 0)
		close (fd);
	fd = open ("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "procfs: open `/proc`");
	if (!is_procfs_root (fd)) {
		close (fd);
		return keel_error (err, 0, "procfs: `/proc` is not the root of a procfs");
	}
	return fd;
}

/* Without openat2 (before Linux 5.6, valgrind): one component at a time,
 * never following a symlink, and every step on the root's own procfs
 * (st_dev changes at a mount point). */
static int walk (int root, const char *path, int flags)
{
	cleanup_free char *p = xstrdup (path);
	cleanup_close int cur = -1;
	struct stat rst, st;
	char *save = NULL, *comp, *next;

	if (fstat (root, &rst) < 0)
		return -1;
	cur = fcntl (root, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -1;
	for (comp = strtok_r (p, "/", &save); comp; comp = next) {
		int fd;

		next = strtok_r (NULL, "/", &save);
		if (strcmp (comp, ".") == 0 || strcmp (comp, "..") == 0) {
			errno = EXDEV;
			return -1;
		}
		fd = openat (cur, comp,
		             (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (fstat (fd, &st) < 0) {
			int e = errno;
			close (fd);
			errno = e;
			return -1;
		}
		if (st.st_dev != rst.st_dev) {
			close (fd);
			errno = EXDEV;
			return -1;
		}
		close (cur);
		cur = fd;
	}
	return steal_fd (&cur);
}

int procfs_open (const char *path, int flags, struct keel_error **err)
{
	struct open_how how = {
	        .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
	                   RESOLVE_NO_XDEV,
	};
	cleanup_close int root = -1;
	cleanup_free char *rel = NULL;
	int fd;

	root = procfs_root (err);
	if (root < 0)
		return root;
	/* "self" is a symlink, which the walk refuses: its target (our pid
	 * as this procfs's pid namespace numbers it) is read here instead. */
	if (strncmp (path, "self/", 5) == 0) {
		char pid[32];
		ssize_t n = readlinkat (root, "self", pid, sizeof pid - 1);

		if (n < 0)
			return keel_error (err, errno, "procfs: readlink `self`");
		pid[n] = '\0';
		rel = xasprintf ("%s/%s", pid, path + 5);
	} else {
		rel = xstrdup (path);
	}
	do
		fd = (int)syscall (SYS_openat2, root, rel, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ENOSYS)
		fd = walk (root, rel, flags);
	if (fd < 0)
		return keel_error (err, errno, "open `/proc/%s` (no symlink, no mount crossed)",
		                   path);
	if (!on_procfs (fd)) {
		close (fd);
		return keel_error (err, 0, "`/proc/%s` is not a procfs file", path);
	}
	return fd;
}

int procfs_write (const char *path, const char *buf, size_t len, struct keel_error **err)
{
	cleanup_close int fd = -1;
	int ret;

	fd = procfs_open (path, O_WRONLY, err);
	if (fd < 0)
		return fd;
	ret = write_all (fd, buf, len, err);
	if (ret < 0)
		return keel_error_wrap (err, "`/proc/%s`", path);
	if (close (steal_fd (&fd)) < 0)
		return keel_error (err, errno, "close `/proc/%s`", path);
	return 0;
}
