/* Leaving the initramfs.
 *
 * The initramfs is the kernel's initial "rootfs" mount, which cannot be
 * pivoted away (pivot_root(2) fails with EINVAL there), yet every
 * container's pivot_root needs a real mount as the root it pivots from.
 * So, as LinuxKit's init and toybox's switch_root do, keel moves the tree
 * into a fresh tmpfs, file by file (each file is freed from the rootfs as
 * soon as it is copied, so memory peaks at one extra file), then moves
 * that tmpfs onto / and chroots into it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init/boot.h"
#include "lib/mountinfo.h"
#include "lib/util.h"

#define NEWROOT "/.keel-root"

/* The root mount's type from mountinfo: "rootfs" for the initramfs. */
static int root_type (const struct mountinfo *m, void *data)
{
	if (strcmp (m->mountpoint, "/") != 0)
		return 0;
	*(bool *)data = strcmp (m->fstype, "rootfs") == 0;
	return 1;
}

static bool root_is_rootfs (void)
{
	struct keel_error *err = NULL;
	bool rootfs = false;

	if (mountinfo_foreach ("/proc/self/mountinfo", root_type, &rootfs, &err) < 0)
		keel_error_release (&err);
	return rootfs;
}

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

int switchroot_if_initramfs (const char **how, struct keel_error **err)
{
	cleanup_close int oldroot = -1, newroot = -1;
	struct stat st;
	bool proc_mounted = false, rootfs;
	int ret;

	*how = NULL;
	if (mkdir ("/proc", 0555) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir /proc");
	if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		proc_mounted = true;
	rootfs = root_is_rootfs ();
	if (proc_mounted && umount ("/proc") < 0)
		return keel_error (err, errno, "unmount /proc");
	if (!rootfs)
		return 0;
	*how = "copy into a tmpfs";

	if (stat ("/", &st) < 0)
		return keel_error (err, errno, "stat /");
	if (mkdir (NEWROOT, 0755) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir %s", NEWROOT);
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
	if (chdir (NEWROOT) < 0)
		return keel_error (err, errno, "chdir %s", NEWROOT);
	if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
		return keel_error (err, errno, "move %s onto /", NEWROOT);
	if (chroot (".") < 0)
		return keel_error (err, errno, "chroot");
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir /");
	return 0;
}
