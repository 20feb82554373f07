/* See mounts.h. */
#include "runtime/mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cgroup.h"
#include "runtime/namespaces.h"
#include "runtime/resolve.h"
#include "runtime/sync.h"

/* glibc >= 2.36 declares the new mount API in <sys/mount.h>; musl does not,
 * and <linux/mount.h> clashes with glibc's header, so take it only then. */
#ifndef MOUNT_ATTR_SIZE_VER0
#include <linux/mount.h>
#endif

static int sys_open_tree (int dirfd, const char *path, unsigned flags)
{
	return (int)syscall (SYS_open_tree, dirfd, path, flags);
}

static int sys_move_mount (int from, const char *from_path, int to, const char *to_path,
                           unsigned flags)
{
	return (int)syscall (SYS_move_mount, from, from_path, to, to_path, flags);
}

static int sys_mount_setattr (int dirfd, const char *path, unsigned flags, struct mount_attr *a)
{
	return (int)syscall (SYS_mount_setattr, dirfd, path, flags, a, sizeof *a);
}

/* Dangling symlinks followed while creating a path, at most (as the
 * kernel's own limit). */
#define MAX_DANGLING_LINKS 40

/* comp (in dir, at p[start..]) is a symlink to nothing yet: the path to
 * create instead, its target spliced in front of what follows (rest).
 * Resolved again from the root, so ".." and absolute targets stay in it. */
static char *splice_link (int dir, const char *comp, const char *p, size_t start, const char *rest)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat (dir, comp, target, sizeof target - 1);

	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		return xasprintf ("%s/%s", target, rest);
	return xasprintf ("%.*s/%s/%s", (int)start, p, target, rest);
}

/* The usual miss: dest's parent exists and only its last component is
 * missing.  Made in the parent (resolved in the root) and reopened from
 * the root as the slow path does, in 3 system calls where the walk
 * takes 7; 1 when this is not that case (the parent is missing too, or
 * the name exists now: a dangling symlink, which the walk follows, or a
 * racer), and the walk decides. */
static int make_last (int rootfd, const char *dest, bool dir, int last_flags, int *fd,
                      struct keel_error **err)
{
	cleanup_free char *parent = xstrdup (dest);
	cleanup_close int pfd = -1;
	char *slash, *base;
	size_t len = strlen (parent);

	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = '\0';
	slash = strrchr (parent, '/');
	base = slash ? slash + 1 : parent;
	if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
		return 1;
	if (slash)
		*slash = '\0';
	pfd = open_in_root (rootfd, slash && *parent ? parent : "/", O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return errno == ENOENT || errno == ENOTDIR
		               ? 1
		               : keel_error (err, errno, "resolve `%s` in the rootfs", dest);
	if (dir) {
		if (mkdirat (pfd, base, 0755) < 0)
			return errno == EEXIST
			               ? 1
			               : keel_error (err, errno, "mkdir `%s` in the rootfs", dest);
	} else {
		int f = openat (pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
		                0644);
		if (f < 0)
			return errno == EEXIST
			               ? 1
			               : keel_error (err, errno, "create `%s` in the rootfs", dest);
		close (f);
	}
	*fd = open_in_root (rootfd, dest, O_PATH | last_flags);
	if (*fd < 0)
		return keel_error (err, errno, "resolve `%s` in the rootfs", dest);
	return 0;
}

/* mounts_ensure_path with last_flags added to the open of the last
 * component (O_NOFOLLOW | O_DIRECTORY: it must be a directory, not a
 * symlink to one). */
static int ensure_path (int rootfd, const char *dest, bool dir, int last_flags, int *fd,
                        struct keel_error **err)
{
	cleanup_free char *p = xstrdup (dest);
	cleanup_close int cur = -1;
	size_t i = 0;
	int links = 0, ret;

	/* Fast path: it usually exists. */
	cur = open_in_root (rootfd, dest, O_PATH | last_flags);
	if (cur >= 0) {
		*fd = steal_fd (&cur);
		return 0;
	}
	if (errno != ENOENT)
		return keel_error (err, errno, "resolve `%s` in the rootfs", dest);
	ret = make_last (rootfd, dest, dir, last_flags, fd, err);
	if (ret <= 0)
		return ret;
	cur = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return keel_error (err, errno, "dup");
	for (;;) {
		size_t start;
		const char *comp;
		char save;
		bool last;
		int next;

		while (p[i] == '/')
			i++;
		if (p[i] == '\0')
			break;
		start = i;
		while (p[i] != '\0' && p[i] != '/')
			i++;
		/* p[0..i) is the prefix up to and including this component. */
		save = p[i];
		p[i] = '\0';
		comp = p + start;
		last = save == '\0' || p[i + 1 + strspn (p + i + 1, "/")] == '\0';
		/* Resolve the prefix from the root so ".." and symlinks stay inside. */
		next = open_in_root (rootfd, p, O_PATH | (last ? last_flags : 0));
		if (next < 0 && errno == ENOENT) {
			struct stat st;

			/* A symlink to what the image lacks (runc creates its
			 * target): go on with the target in its place. */
			if (fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK (st.st_mode)) {
				char *np;

				if (++links > MAX_DANGLING_LINKS)
					return keel_error (err, ELOOP, "resolve `%s` in the rootfs",
					                   dest);
				np = splice_link (cur, comp, p, start, save ? p + i + 1 : "");
				if (np == NULL)
					return keel_error (err, errno,
					                   "readlink `%s` in the rootfs", p);
				free (p);
				p = np;
				i = 0;
				close (cur);
				cur = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
				if (cur < 0)
					return keel_error (err, errno, "dup");
				continue;
			}
			if (!last || dir) {
				if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
					return keel_error (err, errno, "mkdir `%s` in the rootfs",
					                   p);
			} else {
				int f = openat (cur, comp,
				                O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (f < 0 && errno != EEXIST)
					return keel_error (err, errno, "create `%s` in the rootfs",
					                   p);
				if (f >= 0)
					close (f);
			}
			next = open_in_root (rootfd, p, O_PATH | (last ? last_flags : 0));
		}
		if (next < 0)
			return keel_error (err, errno, "resolve `%s` in the rootfs", p);
		close (cur);
		cur = next;
		p[i] = save;
	}
	*fd = steal_fd (&cur);
	return 0;
}

int mounts_ensure_path (int rootfd, const char *dest, bool dir, int *fd, struct keel_error **err)
{
	return ensure_path (rootfd, dest, dir, 0, fd, err);
}

int mounts_ensure_cwd (int rootfd, const char *cwd, struct keel_error **err)
{
	cleanup_close int fd = -1;
	int ret;

	/* "/" (runc's default) is the root itself, which exists. */
	if (cwd == NULL || cwd[strspn (cwd, "/")] == '\0')
		return 0;
	/* Only a missing one is made: any other failure (a directory only
	 * the process's user may enter) is for the chdir to judge. */
	fd = open_in_root (rootfd, cwd, O_PATH | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return 0;
	ret = mounts_ensure_path (rootfd, cwd, true, &fd, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.cwd");
	return 0;
}

/* MS_* per-mount flags to mount_setattr attributes. */
static void ms_to_attr (unsigned long set, unsigned long clr, struct mount_attr *a)
{
	static const struct {
		unsigned long ms;
		unsigned long long attr;
	} map[] = {
	        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
	        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
	        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
	};

	memset (a, 0, sizeof *a);
	for (size_t i = 0; i < ARRAY_SIZE (map); i++) {
		if (set & map[i].ms)
			a->attr_set |= map[i].attr;
		else if (clr & map[i].ms)
			a->attr_clr |= map[i].attr;
	}
	/* Access time is one three-valued field: clearing it is how it is set. */
	if (set & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
		a->attr_clr |= MOUNT_ATTR__ATIME;
		if (set & MS_NOATIME)
			a->attr_set |= MOUNT_ATTR_NOATIME;
		else if (set & MS_STRICTATIME)
			a->attr_set |= MOUNT_ATTR_STRICTATIME;
		else
			a->attr_set |= MOUNT_ATTR_RELATIME;
	}
}

static const char *describe (const struct spec_mount *m)
{
	return m->type ? m->type : (m->source ? m->source : "bind");
}

/* The mount(2)/open_tree(2) call itself failed: the message is then just
 * "mount `TYPE` on `DEST`: strerror", without a repeated verb. */
#define MOUNT_ITSELF "mount"

static int mount_error (const struct spec_mount *m, struct keel_error **err)
{
	if (strcmp ((*err)->msg, MOUNT_ITSELF) == 0)
		return keel_error (err, (*err)->status, "mount `%s` on `%s`", describe (m),
		                   m->destination);
	return keel_error_wrap (err, "mount `%s` on `%s`", describe (m), m->destination);
}

/* Propagation and "rro" on the mount at fd (the new mount's root). */
static int finish_mount (int fd, const struct spec_mount *m, struct keel_error **err)
{
	struct mount_attr a;

	if (m->propagation & ~(unsigned long)MS_REC) {
		memset (&a, 0, sizeof a);
		a.propagation = m->propagation & ~(unsigned long)MS_REC;
		if (sys_mount_setattr (
		            fd, "", AT_EMPTY_PATH | ((m->propagation & MS_REC) ? AT_RECURSIVE : 0),
		            &a) < 0)
			return keel_error (err, errno, "set propagation of `%s`", m->destination);
	}
	/* "rro", "rnosuid", ...: the whole tree, submounts included. */
	if (m->rec_attr_set || m->rec_attr_clr || m->rro) {
		memset (&a, 0, sizeof a);
		a.attr_set = m->rec_attr_set | (m->rro ? MOUNT_ATTR_RDONLY : 0);
		a.attr_clr = m->rec_attr_clr;
		if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
			return keel_error (err, errno, "set recursive attributes of `%s`",
			                   m->destination);
	}
	return 0;
}

/* A detached clone of src with the mount's flags applied and, when
 * idmap_fd >= 0, idmapped through that user namespace. */
static int bind_tree (int srcdir, const char *src, const struct spec_mount *m, bool recursive,
                      int idmap_fd, int *out, struct keel_error **err)
{
	cleanup_close int tree = -1;
	struct mount_attr a;
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);

	if (*src == '\0')
		flags |= AT_EMPTY_PATH;
	tree = sys_open_tree (srcdir, src, flags);
	if (tree < 0)
		return keel_error (err, errno, MOUNT_ITSELF);
	ms_to_attr (m->flags, m->clear_flags, &a);
	if ((a.attr_set || a.attr_clr) && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &a) < 0)
		return keel_error (err, errno, "set flags of bind mount `%s`",
		                   *src ? src : m->source);
	if (idmap_fd >= 0) {
		struct mount_attr ia = {.attr_set = MOUNT_ATTR_IDMAP,
		                        .userns_fd = (uint64_t)idmap_fd};
		if (sys_mount_setattr (tree, "",
		                       AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
		                       &ia) < 0)
			return keel_error (err, errno, "idmap bind mount `%s`", src);
	}
	*out = steal_fd (&tree);
	return 0;
}

/* Attach a tree from bind_tree onto target_fd. */
static int attach_tree (int tree, const char *src, int target_fd, const struct spec_mount *m,
                        struct keel_error **err)
{
	if (sys_move_mount (tree, "", target_fd, "",
	                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return keel_error (err, errno, "attach bind mount `%s`", src);
	return finish_mount (tree, m, err);
}

/* Bind src (a host path, or an fd-relative "" with AT_EMPTY_PATH) onto
 * target_fd with the mount's flags applied while it is still detached. */
static int bind_onto (int srcdir, const char *src, int target_fd, const struct spec_mount *m,
                      bool recursive, struct keel_error **err)
{
	cleanup_close int tree = -1;
	int ret;

	ret = bind_tree (srcdir, src, m, recursive, -1, &tree, err);
	if (ret < 0)
		return ret;
	return attach_tree (tree, src, target_fd, m, err);
}

static char *bind_source (const char *bundle, const struct spec_mount *m)
{
	return m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
}

/* A destination whose path is not under /proc but that resolved into a
 * procfs: a symlink in the image, or one a sibling container raced into a
 * shared volume, pointed it there.  A mount on a procfs file or
 * directory hides it or, when its source is another procfs file, takes
 * the writes meant for it (runc's CVE-2025-52881); runc refuses mounts
 * into /proc by their resolved path as well.  Checked on the fd the mount
 * then goes on, so a later swap of the symlink changes nothing. */
static int refuse_procfs_target (int target, const char *dest, struct keel_error **err)
{
	const char *d = dest + strspn (dest, "/");
	struct statfs sfs;

	if (strncmp (d, "proc", 4) == 0 && (d[4] == '/' || d[4] == '\0'))
		return 0;
	if (fstatfs (target, &sfs) < 0)
		return keel_error (err, errno, "statfs `%s` in the rootfs", dest);
	if (sfs.f_type == PROC_SUPER_MAGIC)
		return keel_error (err, 0,
		                   "`%s` resolves into the container's procfs (a symlink in the "
		                   "rootfs or a volume points there): refused",
		                   dest);
	return 0;
}

static int mount_bind (const struct mount_ctx *c, const struct spec_mount *m, int fd,
                       struct keel_error **err)
{
	cleanup_free char *src = NULL;
	cleanup_close int target = -1;
	struct stat st;
	int ret;

	if (m->source == NULL)
		return keel_error (err, EINVAL, "bind mount without a source");
	src = bind_source (c->bundle, m);
	if ((fd >= 0 ? fstat (fd, &st) : stat (src, &st)) < 0)
		return keel_error (err, errno, "bind source `%s`", src);
	ret = mounts_ensure_path (c->rootfd, m->destination, S_ISDIR (st.st_mode), &target, err);
	if (ret == 0)
		ret = refuse_procfs_target (target, m->destination, err);
	if (ret < 0)
		return ret;
	/* An idmapped mount comes ready from the parent: the kernel idmaps a
	 * mount only for who is privileged over its filesystem. */
	if (fd >= 0 && m->idmap)
		return attach_tree (fd, src, target, m, err);
	/* A source the parent opened: cloned from that fd, its path is not
	 * looked up again with the container's credentials. */
	if (fd >= 0)
		return bind_onto (fd, "", target, m, m->recursive, err);
	return bind_onto (AT_FDCWD, src, target, m, m->recursive, err);
}

/* crun's "tmpcopyup": what the image has under a tmpfs mount point is
 * copied into the new tmpfs (mode, owner, files, directories, symlinks). */
static int copy_tree (int src, int dst, const char *where, struct keel_error **err)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	d = fdopendir (src);
	if (d == NULL) {
		close (src);
		return keel_error (err, errno, "tmpcopyup: read `%s`", where);
	}
	while (ret == 0 && (de = readdir (d)) != NULL) {
		const char *n = de->d_name;
		struct stat st;

		if (strcmp (n, ".") == 0 || strcmp (n, "..") == 0)
			continue;
		if (fstatat (dirfd (d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = keel_error (err, errno, "tmpcopyup: stat `%s/%s`", where, n);
			break;
		}
		if (S_ISDIR (st.st_mode)) {
			int s2, d2;
			if (mkdirat (dst, n, st.st_mode & 07777) < 0 && errno != EEXIST) {
				ret = keel_error (err, errno, "tmpcopyup: mkdir `%s/%s`", where, n);
				break;
			}
			s2 = openat (dirfd (d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d2 = openat (dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0) {
				ret = keel_error (err, errno, "tmpcopyup: open `%s/%s`", where, n);
				if (s2 >= 0)
					close (s2);
				if (d2 >= 0)
					close (d2);
				break;
			}
			ret = copy_tree (s2, d2, where, err);
			close (d2);
		} else if (S_ISLNK (st.st_mode)) {
			char target[4096];
			ssize_t len = readlinkat (dirfd (d), n, target, sizeof target - 1);
			if (len < 0 || (target[len] = '\0', symlinkat (target, dst, n) < 0))
				ret = keel_error (err, errno, "tmpcopyup: symlink `%s/%s`", where,
				                  n);
		} else if (S_ISREG (st.st_mode)) {
			cleanup_close int in =
			        openat (dirfd (d), n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			cleanup_close int out =
			        openat (dst, n, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			                st.st_mode & 07777);
			off_t left = st.st_size;
			while (in >= 0 && out >= 0 && left > 0) {
				ssize_t c = sendfile (out, in, NULL, (size_t)left);
				if (c <= 0)
					break;
				left -= c;
			}
			if (in < 0 || out < 0 || left > 0)
				ret = keel_error (err, errno ? errno : EIO,
				                  "tmpcopyup: copy `%s/%s`", where, n);
		} else {
			continue; /* device nodes, fifos and sockets stay behind */
		}
		if (ret == 0 && fchownat (dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			ret = keel_error (err, errno, "tmpcopyup: chown `%s/%s`", where, n);
	}
	closedir (d);
	return ret;
}

static int tmpcopyup (int lower, int upper, const char *where, struct keel_error **err)
{
	struct stat st;

	if (fstat (lower, &st) < 0)
		return keel_error (err, errno, "tmpcopyup: stat `%s`", where);
	if (fchmod (upper, st.st_mode & 07777) < 0 || fchown (upper, st.st_uid, st.st_gid) < 0)
		return keel_error (err, errno, "tmpcopyup: `%s`", where);
	return copy_tree (fcntl (lower, F_DUPFD_CLOEXEC, 3), upper, where, err);
}

/* A filesystem the kernel refuses to mount here (sysfs without a network
 * namespace of our user namespace, mqueue, cgroup2 without a cgroup
 * namespace) is bound from the host instead, as runc and crun do. */
static const char *fallback_source (const struct mount_ctx *c, const char *type)
{
	if (strcmp (type, "sysfs") == 0)
		return "/sys";
	if (strcmp (type, "mqueue") == 0)
		return "/dev/mqueue";
	if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
		return c->cgroup_path ? c->cgroup_path : cgroup_unified_root ();
	return NULL;
}

/* procfs and sysfs go on a plain directory of the rootfs, never where a
 * symlink of the image points (a /proc -> /some/dir would give the
 * container a procfs where its masks and read-only paths do not apply;
 * CVE-2019-16884, CVE-2019-19921).  runc refuses the same.  Checked on
 * the fd the mount then goes on: its last component is opened with
 * O_NOFOLLOW | O_DIRECTORY, which a symlink (dangling or not) fails with
 * ENOTDIR, so a symlink raced in after a check by path (a sibling
 * container sharing the rootfs) is refused as well, not followed.
 * Trailing slashes and a last "." or ".." would make the kernel follow
 * the name before them: dropped, and "." and ".." refused. */
static int open_plain_dir (int rootfd, const char *dest, const char *type, int *fd,
                           struct keel_error **err)
{
	cleanup_free char *d = xstrdup (dest);
	cleanup_close int l = -1;
	size_t len = strlen (d);
	const char *last;
	struct stat st;
	int ret;

	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	last = strrchr (d, '/');
	last = last ? last + 1 : d;
	if (*last == '\0' || strcmp (last, ".") == 0 || strcmp (last, "..") == 0)
		return keel_error (err, 0, "%s must be mounted on an ordinary directory, not `%s`",
		                   type, dest);
	ret = ensure_path (rootfd, d, true, O_NOFOLLOW | O_DIRECTORY, fd, err);
	if (ret == 0 || (*err)->status != ENOTDIR)
		return ret;
	/* Only to name the cause: the refusal stands either way. */
	l = open_in_root (rootfd, d, O_PATH | O_NOFOLLOW);
	if (l >= 0 && fstat (l, &st) == 0 && S_ISLNK (st.st_mode))
		return keel_error (err, 0,
		                   "`%s` is a symlink in the rootfs: %s must be mounted on an "
		                   "ordinary directory",
		                   dest, type);
	return ret;
}

/* A file system that takes no device: its source is a name, never a
 * path the kernel looks up (relative to the working directory). */
static bool nodev_type (const char *type)
{
	static const char *const names[] = {"proc",   "sysfs",   "tmpfs", "devpts",
	                                    "mqueue", "cgroup2", "cgroup"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp (type, names[i]) == 0)
			return true;
	return false;
}

/* mount(2) onto the directory fd names, or onto NAME in it, from inside
 * it (fchdir, then "." or NAME) rather than by /proc/self/fd/N: each walk
 * through procfs makes a dentry and inode for the fd, and the first one
 * the process's own /proc directory (docs/performance.md, ninth pass).
 * "." is the fd's path exactly, as the magic link is: neither follows a
 * mount stacked there.  The working directory goes back to cwd at
 * once, since bind sources and the rootfs may be relative to it.  Without
 * cwd (-1, see mounts_cwd), or where fchdir into fd is refused (a
 * directory the container's root may not search: an owner outside its
 * user namespace), the magic link. */
static int mount_in (int cwd, int fd, const char *name, const char *src, const char *type,
                     unsigned long flags, const void *data)
{
	char path[PATH_MAX];
	int ret, e;

	if (cwd < 0 || fchdir (fd) < 0) {
		snprintf (path, sizeof path, "/proc/self/fd/%d%s%s", fd, name ? "/" : "",
		          name ? name : "");
		return mount (src, path, type, flags, data);
	}
	ret = mount (src, name ? name : ".", type, flags, data);
	e = errno;
	/* The caller's fchdir into cwd worked (mounts_cwd): this fails only
	 * if its permissions changed since, and then the create must too. */
	if (fchdir (cwd) < 0)
		return -1;
	errno = e;
	return ret;
}

int mounts_cwd (void)
{
	int fd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* Not one we can change back into (a directory that our user
	 * namespace's root may not search): no mount_in from here. */
	if (fd >= 0 && fchdir (fd) < 0) {
		close (fd);
		fd = -1;
	}
	return fd;
}

/* Bind dir (a host cgroup directory) at NAME under the tmpfs top.  In a
 * mount namespace this create made (c->fresh_mountns), the tmpfs was
 * mounted a moment ago by this process, slave (nothing of ours
 * propagates out), before any process of the container exists: no other
 * process can reach it to swap NAME for a symlink, so the bind goes on
 * by name, as a plain mount(2) and its flags with mount_setattr(2) on the
 * attached bind (3 system calls; a detached clone moved onto an O_PATH fd
 * of NAME took 7).  Nothing is in the container's reach before the flags
 * are set: its process is made after.  A mount namespace joined by path
 * (another container's processes see the tmpfs and could put a symlink
 * at NAME, which mount(2) would follow, and see the bind writable for a
 * moment) or the runtime's own, and recursive attributes ("rro"), take
 * the detached way: flags set before it is attached, onto an O_PATH fd
 * opened without following links. */
static int bind_hierarchy (const struct mount_ctx *c, int top, const char *name, const char *dir,
                           const struct spec_mount *m, struct keel_error **err)
{
	cleanup_close int at = -1;
	struct mount_attr a;

	if (mkdirat (top, name, 0755) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s/%s`", m->destination, name);
	if (c->fresh_mountns && m->propagation == 0 && !m->rro && !m->rec_attr_set &&
	    !m->rec_attr_clr) {
		if (mount_in (c->cwd, top, name, dir, NULL, MS_BIND, NULL) < 0)
			return keel_error (err, errno, "bind `%s` on `%s/%s`", dir, m->destination,
			                   name);
		ms_to_attr (m->flags, m->clear_flags, &a);
		if ((a.attr_set || a.attr_clr) &&
		    sys_mount_setattr (top, name, AT_SYMLINK_NOFOLLOW, &a) < 0)
			return keel_error (err, errno, "set flags of `%s/%s`", m->destination,
			                   name);
		return 0;
	}
	at = openat (top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (at < 0)
		return keel_error (err, errno, "open `%s/%s`", m->destination, name);
	return bind_onto (AT_FDCWD, dir, at, m, false, err);
}

/* "cgroup" on a host whose controllers are on v1 (hybrid or legacy): what
 * runc gives, a tmpfs with each hierarchy the host mounts as a directory
 * (named as on the host, "cpu,cpuacct" with its "cpu" and "cpuacct"
 * links), each a bind of the container's own cgroup there, and on a
 * hybrid host "unified" for the v2 one.  A fresh cgroup2 there instead
 * would show the host's whole unified tree and none of the container's
 * limits (podman reads them from /sys/fs/cgroup/memory/...). */
static int mount_cgroup_v1 (const struct mount_ctx *c, const struct spec_mount *m, int target,
                            struct keel_error **err)
{
	struct spec_mount b = *m;
	const char *mnt;
	cleanup_close int top = -1;
	int ret;

	if (mount_in (c->cwd, target, NULL, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	              "mode=755") < 0)
		return keel_error (err, errno, "mount a tmpfs on `%s`", m->destination);
	top = open_in_root (c->rootfd, m->destination, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return keel_error (err, errno, "reopen `%s`", m->destination);
	/* The hierarchies the parent found before clone (the container's
	 * paths were made from the same list): no second read of mountinfo. */
	ret = 0;
	b.propagation = 0;
	for (size_t i = 0; ret >= 0 && (mnt = cgroup_v1_mountpoint (i)) != NULL; i++) {
		size_t len = strlen (mnt);
		const char *name = strrchr (mnt, '/');

		name = name ? name + 1 : mnt;
		for (size_t k = 0; k < c->cgroup_v1->n; k++) {
			const char *dir = c->cgroup_v1->v[k];
			if (strncmp (dir, mnt, len) != 0 || (dir[len] != '/' && dir[len]))
				continue;
			ret = bind_hierarchy (c, top, name, dir, &b, err);
			/* "cpu,cpuacct" is also "cpu" and "cpuacct", as on the host. */
			for (const char *p = name; ret == 0 && strchr (name, ',') && *p;) {
				size_t n = strcspn (p, ",");
				cleanup_free char *link = xasprintf ("%.*s", (int)n, p);
				if (strncmp (link, "name=", 5) != 0 &&
				    symlinkat (name, top, link) < 0 && errno != EEXIST)
					ret = keel_error (err, errno, "symlink `%s/%s`",
					                  m->destination, link);
				p += n + (p[n] == ',');
			}
			break;
		}
	}
	if (ret == 0 && c->cgroup_path && cgroup_mode () == CGROUP_MODE_HYBRID)
		ret = bind_hierarchy (c, top, "unified", c->cgroup_path, &b, err);
	/* On top, reopened after the mount: the tmpfs's root, which a
	 * remount wants (target is the directory the tmpfs covers). */
	if (ret == 0 && (m->flags & MS_RDONLY) &&
	    mount_in (c->cwd, top, NULL, NULL, NULL,
	              MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		ret = keel_error (err, errno, "make the tmpfs on `%s` read-only", m->destination);
	return ret < 0 ? ret : 0;
}

static int mount_fs (const struct mount_ctx *c, const struct spec_mount *m, struct keel_error **err)
{
	cleanup_close int target = -1, top = -1, lower = -1;
	const char *type = m->type, *fb;
	char path[64];
	unsigned long flags = m->flags & ~(unsigned long)(MS_SHARED | MS_SLAVE | MS_PRIVATE |
	                                                  MS_UNBINDABLE | MS_REC);
	const char *data = m->data;
	int ret;

	/* "cgroup" in a config means the hierarchy the host has; keel drives
	 * only cgroup v2. */
	if (strcmp (type, "cgroup") == 0) {
		type = "cgroup2";
		data = NULL;
	}
	if (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0)
		ret = open_plain_dir (c->rootfd, m->destination, type, &target, err);
	else
		ret = mounts_ensure_path (c->rootfd, m->destination, true, &target, err);
	if (ret == 0)
		ret = refuse_procfs_target (target, m->destination, err);
	if (ret < 0)
		return ret;
	if (strcmp (m->type, "cgroup") == 0 && c->cgroup_v1 && c->cgroup_v1->n > 0)
		return mount_cgroup_v1 (c, m, target, err);
	/* The directory about to be covered, for tmpcopyup. */
	if (m->tmpcopyup && strcmp (type, "tmpfs") == 0) {
		snprintf (path, sizeof path, "/proc/self/fd/%d", target);
		lower = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lower < 0)
			return keel_error (err, errno, "open `%s`", m->destination);
	}
	if (mount_in (nodev_type (type) ? c->cwd : -1, target, NULL, m->source ? m->source : type,
	              type, flags, data) < 0) {
		int e = errno;
		fb = fallback_source (c, m->type);
		if ((e == EPERM || e == EBUSY || e == EINVAL) && fb) {
			struct spec_mount b = *m;
			b.flags = m->flags | MS_NOSUID | MS_NOEXEC | MS_NODEV;
			b.propagation = 0;
			ret = bind_onto (AT_FDCWD, fb, target, &b, true, err);
			if (ret < 0)
				return ret;
		} else {
			return keel_error (err, e, MOUNT_ITSELF);
		}
	}
	if (m->propagation == 0 && !m->rro && !m->rec_attr_set && !m->rec_attr_clr && lower < 0)
		return 0;
	/* The new mount's root: reopen, the old fd is the covered directory. */
	top = open_in_root (c->rootfd, m->destination,
	                    (lower >= 0 ? O_RDONLY | O_DIRECTORY : O_PATH) | O_CLOEXEC);
	if (top < 0)
		return keel_error (err, errno, "reopen `%s`", m->destination);
	if (lower >= 0 && (ret = tmpcopyup (lower, top, m->destination, err)) < 0)
		return ret;
	return finish_mount (top, m, err);
}

/* No type and no bind: change what is mounted there already (a remount
 * or a propagation type, e.g. {"destination": "/", "options": ["rshared"]}). */
static int mount_modify (const struct mount_ctx *c, const struct spec_mount *m,
                         struct keel_error **err)
{
	cleanup_close int fd = -1;
	char path[64];

	fd = open_in_root (c->rootfd, m->destination, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "resolve `%s` in the rootfs", m->destination);
	snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
	if ((m->flags & MS_REMOUNT) && mount (NULL, path, NULL, m->flags, m->data) < 0)
		return keel_error (err, errno, "remount");
	return finish_mount (fd, m, err);
}

int mounts_mount (const struct mount_ctx *c, const struct spec_mount *m, int fd,
                  struct keel_error **err)
{
	bool bind = m->bind || (m->type && strcmp (m->type, "bind") == 0);
	int ret;

	if (m->idmap && (!bind || fd < 0))
		ret = keel_error (err, ENOTSUP,
		                  "idmapped mounts are supported for bind mounts only");
	else if (!m->bind && m->type == NULL)
		ret = mount_modify (c, m, err);
	else if (bind)
		ret = mount_bind (c, m, fd, err);
	else
		ret = mount_fs (c, m, err);
	if (ret < 0)
		return mount_error (m, err);
	return 0;
}

static unsigned long current_flags (const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs (path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int mounts_remount_ro (const char *path, bool recursive, struct keel_error **err)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

	/* Read-only and nothing else changed, in one call; a remount needs
	 * the flags it keeps from statvfs first (kernels before 5.12). */
	if (sys_mount_setattr (AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a) == 0)
		return 0;
	if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | current_flags (path),
	           NULL) < 0)
		return keel_error (err, errno, "remount `%s` read-only", path);
	return 0;
}

/* The container's /dev/null, checked to be the null device (1:3) once,
 * then bound from this fd: a process sharing /dev (a sibling container
 * with the same volume) may swap it for a symlink to a procfs file or
 * delete it, and a bind by name would then give a masked path that file,
 * writable, or leave it unmasked (runc's CVE-2025-31133).  O_NOFOLLOW: a
 * symlink is refused, not followed. */
static int open_dev_null (int *out, struct keel_error **err)
{
	cleanup_close int fd = -1;
	struct stat st;

	fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "linux.maskedPaths: open the container's /dev/null");
	if (fstat (fd, &st) < 0)
		return keel_error (err, errno,
		                   "linux.maskedPaths: fstat the container's /dev/null");
	if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
		return keel_error (err, 0,
		                   "linux.maskedPaths: the container's /dev/null is not the null "
		                   "device (1:3); nothing is bound from it");
	*out = steal_fd (&fd);
	return 0;
}

int mounts_mask_paths (const struct spec_strv *paths, struct keel_error **err)
{
	cleanup_close int null_fd = -1, cwd = -1;
	bool cwd_asked = false;

	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		cleanup_close int target = -1, tree = -1;
		struct stat st;
		int ret;

		/* The path itself is the config's, resolved in the container
		 * as runc does; the mount goes on this fd, not on the name. */
		target = open (p, O_PATH | O_CLOEXEC);
		if (target < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return keel_error (err, errno, "linux.maskedPaths: `%s`", p);
		}
		if (fstat (target, &st) < 0)
			return keel_error (err, errno, "linux.maskedPaths: fstat `%s`", p);
		if (S_ISDIR (st.st_mode)) {
			if (!cwd_asked) {
				cwd = mounts_cwd ();
				cwd_asked = true;
			}
			if (mount_in (cwd, target, NULL, "tmpfs", "tmpfs",
			              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			              "size=0,mode=0555") < 0)
				return keel_error (err, errno, "linux.maskedPaths: mask `%s`", p);
			continue;
		}
		if (null_fd < 0 && (ret = open_dev_null (&null_fd, err)) < 0)
			return ret;
		/* A detached clone of exactly the node checked above. */
		tree = sys_open_tree (null_fd, "",
		                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (tree < 0)
			return keel_error (err, errno,
			                   "linux.maskedPaths: clone /dev/null for `%s`", p);
		if (sys_move_mount (tree, "", target, "",
		                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return keel_error (err, errno, "linux.maskedPaths: mask `%s`", p);
	}
	return 0;
}

int mounts_readonly_paths (const struct spec_strv *paths, struct keel_error **err)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		int ret;

		if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return keel_error (err, errno, "linux.readonlyPaths: bind `%s`", p);
		}
		ret = mounts_remount_ro (p, true, err);
		if (ret < 0)
			return keel_error_wrap (err, "linux.readonlyPaths");
	}
	return 0;
}

void mounts_idmaps_close (int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close (fds[i]);
	free (fds);
}

/* The detached, idmapped clone of bind mount m's source, made here in the
 * runtime's own user namespace. */
static int idmapped_tree (const struct spec *s, const struct spec_mount *m, int userns, int *out,
                          struct keel_error **err)
{
	cleanup_free char *src = NULL;

	if (m->source == NULL)
		return keel_error (err, EINVAL, "bind mount without a source");
	src = bind_source (s->bundle, m);
	return bind_tree (AT_FDCWD, src, m, m->recursive, userns, out, err);
}

int mounts_idmaps_open (const struct spec *s, int **fds, struct keel_error **err)
{
	int *v = NULL;

	*fds = NULL;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		bool own = m->n_uid_mappings > 0;
		cleanup_close int userns = -1;
		int ret;

		if (!m->idmap)
			continue;
		if (v == NULL) {
			v = xmalloc0 (s->n_mounts * sizeof (int));
			for (size_t j = 0; j < s->n_mounts; j++)
				v[j] = -1;
		}
		if (!own && s->linux_.n_uid_mappings == 0) {
			mounts_idmaps_close (v, s->n_mounts);
			return keel_error (err, 0,
			                   "mounts[%zu]: idmap without uidMappings needs a user "
			                   "namespace with linux.uidMappings",
			                   i);
		}
		ret = ns_new_userns (own ? m->uid_mappings : s->linux_.uid_mappings,
		                     own ? m->n_uid_mappings : s->linux_.n_uid_mappings,
		                     own ? m->gid_mappings : s->linux_.gid_mappings,
		                     own ? m->n_gid_mappings : s->linux_.n_gid_mappings, &userns,
		                     err);
		if (ret == 0)
			ret = idmapped_tree (s, m, userns, &v[i], err);
		if (ret < 0) {
			mounts_idmaps_close (v, s->n_mounts);
			return keel_error_wrap (err, "mounts[%zu]: idmap", i);
		}
	}
	*fds = v;
	return 0;
}

static bool is_bind (const struct spec_mount *m)
{
	return m->bind || (m->type && strcmp (m->type, "bind") == 0);
}

/* The helper of mounts_sources_open, in its own process: setns into pid's
 * mount namespace (it changes root and cwd, hence not in the runtime
 * itself, which may be PID 1), then one message per source on sock. */
static int send_sources (const struct spec *s, const char *bundle, pid_t pid, int sock,
                         struct keel_error **err)
{
	cleanup_close int ns = -1;
	char path[64];

	snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
	ns = open (path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return keel_error (err, errno, "open `%s`", path);
	if (setns (ns, CLONE_NEWNS) < 0)
		return keel_error (err, errno, "enter the container's mount namespace");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		cleanup_free char *src = NULL;
		cleanup_close int fd = -1;
		int ret;

		if (!is_bind (m) || m->idmap || m->source == NULL)
			continue;
		src = bind_source (bundle, m);
		fd = open (src, O_PATH | O_CLOEXEC);
		/* Worded as when the child looks the source up itself. */
		if (fd < 0)
			return keel_error (err, errno,
			                   "mounts[%zu]: mount `%s` on `%s`: bind source `%s`", i,
			                   describe (m), m->destination, src);
		ret = sync_send (sock, SYNC_MOUNT_SOURCE, (int)i, fd, NULL, err);
		if (ret < 0)
			return ret;
	}
	return sync_send (sock, SYNC_MOUNT_SOURCE, -1, -1, NULL, err);
}

int mounts_sources_open (const struct spec *s, const char *bundle, pid_t pid, int **fds,
                         struct keel_error **err)
{
	cleanup_close int ours = -1, theirs = -1;
	int sv[2], *v, ret, status;
	struct sync_msg msg;
	size_t n = 0;
	pid_t helper;

	*fds = NULL;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (is_bind (&s->mounts[i]) && !s->mounts[i].idmap && s->mounts[i].source)
			n++;
	if (n == 0)
		return 0;
	ret = sync_pair (sv, err);
	if (ret < 0)
		return ret;
	ours = sv[0];
	theirs = sv[1];
	helper = fork ();
	if (helper < 0)
		return keel_error (err, errno, "fork to open the bind sources");
	if (helper == 0) {
		struct keel_error *e = NULL;
		if (send_sources (s, bundle, pid, theirs, &e) < 0) {
			sync_send_error (theirs, e);
			_exit (1);
		}
		_exit (0);
	}
	/* Ours alone: a helper that dies without a word ends the loop below. */
	close (steal_fd (&theirs));
	v = xmalloc0 (s->n_mounts * sizeof (int));
	for (size_t i = 0; i < s->n_mounts; i++)
		v[i] = -1;
	for (;;) {
		ret = sync_expect (ours, SYNC_MOUNT_SOURCE, &msg, err);
		if (ret < 0 || msg.status < 0)
			break;
		if ((size_t)msg.status >= s->n_mounts || v[msg.status] >= 0) {
			if (msg.fd >= 0)
				close (msg.fd);
			ret = keel_error (err, EPROTO, "bind sources: unexpected mounts[%d]",
			                  msg.status);
			break;
		}
		v[msg.status] = msg.fd;
	}
	while (waitpid (helper, &status, 0) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		mounts_idmaps_close (v, s->n_mounts);
		return ret;
	}
	*fds = v;
	return 0;
}
