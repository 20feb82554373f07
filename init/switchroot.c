/* Leaving the initramfs.
 *
 * The initramfs is the kernel's initial "rootfs" mount, the root of the
 * mount tree: it has no parent mount, so pivot_root(2) refuses it
 * (EINVAL: the kernel's mnt_has_parent() test on the caller's root), and
 * every container's pivot_root starts from PID 1's root.  So keel gives
 * its root a parent without copying a byte: the rootfs is bound onto a
 * directory of itself, that bind is moved onto / (MS_MOVE) and PID 1
 * chroots into it.  The root mount is then the bind, its parent the
 * rootfs, and in each container's mount namespace pivot_root puts the
 * container's root where the bind was and detaches the bind.
 *
 * keel used to copy the tree into a tmpfs instead (as LinuxKit's init
 * does): 150-530 ms under TCG for a one-container image, and the xattrs
 * were lost.  It still does when the rootfs is a ramfs (a root= on the
 * kernel command line, or a kernel without tmpfs): a ramfs has no size
 * limit and counts no blocks, and containers' writable roots are on it.
 * What the bind leaves under a container's root, and who can reach it,
 * is in init/README.md ("Leaving the initramfs").  Kernels that put the
 * rootfs on an empty nullfs (Linux 7.0) give the root a parent from the
 * start, and nothing is done here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "init/boot.h"
#include "lib/mountinfo.h"
#include "lib/util.h"

#define RAMFS_MAGIC 0x858458f6

#define NEWROOT "/.keel-root"

/* Whether the mount at / (the last line for it: the one on top) is the
 * root of the mount tree: mountinfo gives such a mount itself as parent. */
static int root_orphan (const struct mountinfo *m, void *data)
{
	if (strcmp (m->mountpoint, "/") == 0)
		*(bool *)data = m->parent == m->id;
	return 0;
}

static bool root_has_no_parent (void)
{
	struct keel_error *err = NULL;
	bool orphan = false;

	if (mountinfo_foreach ("/proc/self/mountinfo", root_orphan, &orphan, &err) < 0)
		keel_error_release (&err);
	return orphan;
}

/* The ramfs case: the tree moved into a tmpfs file by file, each original
 * freed once copied (memory peaks at one extra file), hard links kept. */
static int copy_file (int sdir, int ddir, const char *name, const struct stat *st,
                      struct keel_error **err)
{
	cleanup_close int in = openat (sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	cleanup_close int out = -1;
	off_t left = st->st_size;

	if (in < 0)
		return keel_error (err, errno, "open `%s`", name);
	out = openat (ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return keel_error (err, errno, "create `%s`", name);
	while (left > 0) {
		ssize_t n = sendfile (out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return keel_error (err, n < 0 ? errno : EIO, "copy `%s`", name);
		left -= n;
	}
	return 0;
}

static void copy_attrs (int ddir, const char *name, const struct stat *st)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	fchownat (ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (!S_ISLNK (st->st_mode))
		fchmodat (ddir, name, st->st_mode & 07777, 0);
	utimensat (ddir, name, ts, AT_SYMLINK_NOFOLLOW);
}

/* Files with several names are copied once and linked again after
 * (initramfs images share one busybox among many rootfs trees). */
struct links {
	struct {
		ino_t ino;
		char *path; /* relative to the new root */
	} * v;
	size_t n, cap;
};

static const char *links_find (const struct links *l, ino_t ino)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ino == ino)
			return l->v[i].path;
	return NULL;
}

static void links_add (struct links *l, ino_t ino, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc (l->v, l->cap * sizeof (*l->v));
	}
	l->v[l->n].ino = ino;
	l->v[l->n].path = xstrdup (path);
	l->n++;
}

static void links_free (struct links *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free (l->v[i].path);
	free (l->v);
}

struct move_ctx {
	int newroot;
	dev_t rootdev;
	struct links links;
};

static int move_file (struct move_ctx *m, int sdir, int ddir, const char *n, const char *rel,
                      const struct stat *st, struct keel_error **err)
{
	const char *first = st->st_nlink > 1 ? links_find (&m->links, st->st_ino) : NULL;
	int ret;

	if (first) {
		if (linkat (m->newroot, first, ddir, n, 0) < 0)
			return keel_error (err, errno, "link `%s` to `%s`", rel, first);
	} else {
		ret = copy_file (sdir, ddir, n, st, err);
		if (ret < 0)
			return ret;
		if (st->st_nlink > 1)
			links_add (&m->links, st->st_ino, rel);
	}
	unlinkat (sdir, n, 0);
	return 0;
}

/* Move the contents of sdir into ddir; entries on other file systems
 * (mount points, our new root) stay.  prefix: ddir relative to the new
 * root. */
static int move_tree (struct move_ctx *m, int sdir, int ddir, const char *prefix,
                      struct keel_error **err)
{
	DIR *d;
	struct dirent *de;
	int ret = 0, dupfd = dup (sdir);

	if (dupfd < 0)
		return keel_error (err, errno, "dup");
	d = fdopendir (dupfd);
	if (d == NULL) {
		close (dupfd);
		return keel_error (err, errno, "fdopendir");
	}
	while (ret == 0 && (de = readdir (d)) != NULL) {
		const char *n = de->d_name;
		struct stat st;

		if (strcmp (n, ".") == 0 || strcmp (n, "..") == 0)
			continue;
		if (fstatat (sdir, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = keel_error (err, errno, "stat `%s`", n);
			break;
		}
		cleanup_free char *rel = xasprintf ("%s%s%s", prefix, *prefix ? "/" : "", n);
		if (st.st_dev != m->rootdev)
			continue;
		if (S_ISDIR (st.st_mode)) {
			cleanup_close int s2 = -1, d2 = -1;
			if (mkdirat (ddir, n, 0700) < 0 && errno != EEXIST) {
				ret = keel_error (err, errno, "mkdir `%s`", n);
				break;
			}
			s2 = openat (sdir, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			d2 = openat (ddir, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (s2 < 0 || d2 < 0) {
				ret = keel_error (err, errno, "open directory `%s`", n);
				break;
			}
			ret = move_tree (m, s2, d2, rel, err);
			if (ret == 0)
				unlinkat (sdir, n,
				          AT_REMOVEDIR); /* fails harmlessly on mount points */
		} else if (S_ISREG (st.st_mode)) {
			ret = move_file (m, sdir, ddir, n, rel, &st, err);
		} else if (S_ISLNK (st.st_mode)) {
			char target[4096];
			ssize_t l = readlinkat (sdir, n, target, sizeof target - 1);
			if (l < 0) {
				ret = keel_error (err, errno, "readlink `%s`", n);
				break;
			}
			target[l] = '\0';
			if (symlinkat (target, ddir, n) < 0 && errno != EEXIST)
				ret = keel_error (err, errno, "symlink `%s`", n);
			else
				unlinkat (sdir, n, 0);
		} else {
			if (mknodat (ddir, n, st.st_mode, st.st_rdev) < 0 && errno != EEXIST)
				ret = keel_error (err, errno, "mknod `%s`", n);
			else
				unlinkat (sdir, n, 0);
		}
		if (ret == 0)
			copy_attrs (ddir, n, &st);
	}
	closedir (d);
	return ret;
}

static int copy_root (struct keel_error **err)
{
	cleanup_close int oldroot = -1, newroot = -1;
	struct stat st;
	int ret;

	if (stat ("/", &st) < 0)
		return keel_error (err, errno, "stat /");
	if (mount ("rootfs", NEWROOT, "tmpfs", 0, "mode=0755") < 0)
		return keel_error (err, errno, "mount tmpfs on %s", NEWROOT);
	oldroot = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	newroot = open (NEWROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return keel_error (err, errno, "open the roots");
	{
		struct move_ctx m = {.newroot = newroot, .rootdev = st.st_dev};
		ret = move_tree (&m, oldroot, newroot, "", err);
		links_free (&m.links);
	}
	if (ret < 0)
		return keel_error_wrap (err, "move the initramfs into a tmpfs");
	return 0;
}

int switchroot_if_initramfs (const char **how, struct keel_error **err)
{
	bool proc_mounted = false, orphan, ramfs;
	struct statfs sfs;

	*how = NULL;
	if (mkdir ("/proc", 0555) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir /proc");
	if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		proc_mounted = true;
	orphan = root_has_no_parent ();
	if (proc_mounted && umount ("/proc") < 0)
		return keel_error (err, errno, "unmount /proc");
	if (!orphan)
		return 0;

	if (statfs ("/", &sfs) < 0)
		return keel_error (err, errno, "statfs /");
	ramfs = sfs.f_type == RAMFS_MAGIC;
	if (mkdir (NEWROOT, 0700) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir %s", NEWROOT);
	if (ramfs) {
		int ret = copy_root (err);
		if (ret < 0)
			return ret;
	} else if (mount ("/", NEWROOT, NULL, MS_BIND | MS_REC, NULL) < 0) {
		/* Recursive: whatever an earlier stage mounted stays visible. */
		return keel_error (err, errno, "bind / onto %s", NEWROOT);
	}
	if (chdir (NEWROOT) < 0)
		return keel_error (err, errno, "chdir %s", NEWROOT);
	if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
		return keel_error (err, errno, "move %s onto /", NEWROOT);
	if (chroot (".") < 0)
		return keel_error (err, errno, "chroot");
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir /");
	*how = ramfs ? "copy of the ramfs into a tmpfs" : "bind of the initramfs";
	/* The directory the bind was made on is a plain one again (the
	 * same directory, seen through the bind); the copy has none. */
	if (!ramfs && rmdir (NEWROOT) < 0)
		return keel_error (err, errno, "remove %s (the root is switched)", NEWROOT);
	return 0;
}
