/* The container's /dev; see devices.h. */
#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* glibc >= 2.36 declares the new mount API in <sys/mount.h>; musl does not,
 * and <linux/mount.h> clashes with glibc's header, so take it only then. */
#ifndef MOUNT_ATTR_SIZE_VER0
#include <linux/mount.h>
#endif

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/resolve.h"

struct dev_node {
	const char *path; /* "/dev/null" */
	mode_t type;      /* S_IFCHR, S_IFBLK, S_IFIFO */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The devices runtime-spec config-linux.md "Default Devices" requires. */
static const struct dev_node default_nodes[] = {
        {"/dev/null", S_IFCHR, 1, 3, 0666, 0, 0},    {"/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0},
        {"/dev/full", S_IFCHR, 1, 7, 0666, 0, 0},    {"/dev/random", S_IFCHR, 1, 8, 0666, 0, 0},
        {"/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0}, {"/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0},
};

static const struct {
	const char *target, *path;
} default_links[] = {
        {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
        {"/proc/kcore", "/dev/core"},       {"pts/ptmx", "/dev/ptmx"},
};

/* Open (creating as needed, mode 0755) the directory that will hold path's
 * last component, inside rootfd; *base points into path at that
 * component.  Each level is re-resolved from the root, so a symlink in the
 * image still resolves inside it. */
static int open_parent (int rootfd, const char *path, const char **base, struct keel_error **err)
{
	cleanup_free char *dir = xstrdup (path);
	cleanup_free char *prefix = xstrdup ("");
	cleanup_close int cur = -1;
	char *slash, *comp, *save = NULL;

	slash = strrchr (dir, '/');
	*base = path + (slash ? (size_t)(slash - dir) + 1 : 0);
	if (**base == '\0' || strcmp (*base, ".") == 0 || strcmp (*base, "..") == 0)
		return keel_error (err, 0, "devices: invalid path `%s`", path);
	if (slash == NULL)
		dir[0] = '\0';
	else
		*slash = '\0';

	/* cur, the level above comp, is opened only when comp is missing
	 * and must be made: every node of the default /dev has an existing
	 * parent, and opening each level twice was two system calls per
	 * node.  Each level is still resolved from the root by itself. */
	for (comp = strtok_r (dir, "/", &save); comp; comp = strtok_r (NULL, "/", &save)) {
		char *np = xasprintf ("%s/%s", prefix, comp);
		int next, e;

		next = open_in_root (rootfd, np, O_PATH | O_DIRECTORY);
		e = next < 0 ? errno : 0;
		if (e == ENOENT && cur < 0) {
			cur = open_in_root (rootfd, *prefix ? prefix : "/", O_PATH | O_DIRECTORY);
			if (cur < 0) {
				e = errno;
				free (np);
				if (*prefix == '\0')
					return keel_error (err, e, "devices: open the rootfs");
				return keel_error (err, e, "devices: open `%s` in the rootfs",
				                   prefix);
			}
		}
		free (prefix);
		prefix = np;
		errno = e;
		if (e == ENOENT) {
			if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
				return keel_error (err, errno, "devices: mkdir `%s`", prefix);
			next = open_in_root (rootfd, prefix, O_PATH | O_DIRECTORY);
		}
		if (next < 0)
			return keel_error (err, errno, "devices: open `%s` in the rootfs", prefix);
		if (cur >= 0)
			close (cur);
		cur = next;
	}
	if (cur < 0) {
		cur = open_in_root (rootfd, "/", O_PATH | O_DIRECTORY);
		if (cur < 0)
			return keel_error (err, errno, "devices: open the rootfs");
	}
	return steal_fd (&cur);
}

/* Bind-mount src onto the (new, empty) file base in dirfd.  The target is
 * named through an O_PATH fd so the mount lands exactly there. */
static int bind_onto (const char *src, int dirfd, const char *base, const char *what,
                      struct keel_error **err)
{
	cleanup_close int fd = -1;
	char target[64];

	fd = openat (dirfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = openat (dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "devices: create mount point `%s`", what);
	snprintf (target, sizeof target, "/proc/self/fd/%d", fd);
	if (mount (src, target, "none", MS_BIND, NULL) < 0)
		return keel_error (err, errno, "devices: bind `%s` on `%s`", src, what);
	return 0;
}

/* Attach tree (a detached mount of one node, see devices_prepare_userns)
 * on the (new, empty) file base in dirfd. */
static int attach_node (int tree, int dirfd, const char *base, const char *what,
                        struct keel_error **err)
{
	cleanup_close int fd = -1;

	fd = openat (dirfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = openat (dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "devices: create mount point `%s`", what);
	if (syscall (SYS_move_mount, tree, "", fd, "",
	             MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return keel_error (err, errno, "devices: attach the node made for `%s`", what);
	return 0;
}

/* What make_defaults learnt from its first node: whether mknodat alone
 * gave it exactly its mode and owner (see there). */
struct exact_state {
	const struct dev_node *ref; /* the node checked, NULL before */
	bool exact;
};

/* n in dirfd, the directory that holds it (base: its last component).
 * ex: NULL, or make_defaults's state, to skip the chmod and chown that
 * the kernel's own result shows are not needed. */
static int make_node_at (int dirfd, const char *base, const struct dev_node *n, bool in_userns,
                         int tree, struct exact_state *ex, struct keel_error **err)
{
	dev_t dev = makedev (n->major, n->minor);

	if (tree >= 0)
		return attach_node (tree, dirfd, base, n->path, err);
	/* A user namespace may not mknod: use the host's node instead, as
	 * runc does (its owner and mode are the host's). */
	if (in_userns && n->type != S_IFIFO)
		return bind_onto (n->path, dirfd, base, n->path, err);
	if (mknodat (dirfd, base, n->type | (n->mode & 07777), dev) < 0) {
		if (errno != EEXIST)
			return keel_error (err, errno, "devices: mknod `%s`", n->path);
		/* A linux.devices entry replaces what is there. */
		if (unlinkat (dirfd, base, 0) < 0)
			return keel_error (err, errno, "devices: replace `%s`", n->path);
		if (mknodat (dirfd, base, n->type | (n->mode & 07777), dev) < 0)
			return keel_error (err, errno, "devices: mknod `%s`", n->path);
	}
	if (ex && ex->ref == NULL) {
		struct stat st;

		ex->ref = n;
		ex->exact = fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		            (st.st_mode & 07777) == (n->mode & 07777) && st.st_uid == n->uid &&
		            st.st_gid == n->gid;
	}
	if (ex && ex->exact && ex->ref->mode == n->mode && ex->ref->uid == n->uid &&
	    ex->ref->gid == n->gid)
		return 0;
	/* mknod applies the umask; the config's mode is exact. */
	if (fchmodat (dirfd, base, n->mode & 07777, 0) < 0)
		return keel_error (err, errno, "devices: chmod `%s`", n->path);
	if (fchownat (dirfd, base, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "devices: chown `%s` to %u:%u", n->path,
		                   (unsigned)n->uid, (unsigned)n->gid);
	return 0;
}

static int make_node (int rootfd, const struct dev_node *n, bool in_userns, int tree,
                      struct keel_error **err)
{
	cleanup_close int dirfd = -1;
	const char *base;

	dirfd = open_parent (rootfd, n->path, &base, err);
	if (dirfd < 0)
		return dirfd;
	return make_node_at (dirfd, base, n, in_userns, tree, NULL, err);
}

/* The empty file the pty slave is later bound on: made now, while /dev is
 * still writable, since a read-only /dev is remounted before the terminal
 * exists (runc also creates it before that remount). */
static int make_console_point (int rootfd, struct keel_error **err)
{
	cleanup_close int dirfd = -1, fd = -1;
	const char *base;

	dirfd = open_parent (rootfd, "/dev/console", &base, err);
	if (dirfd < 0)
		return dirfd;
	fd = openat (dirfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return keel_error (err, errno, "devices: create mount point `/dev/console`");
	return 0;
}

static int make_link_at (int dirfd, const char *target, const char *path, struct keel_error **err)
{
	if (symlinkat (target, dirfd, strrchr (path, '/') + 1) < 0 && errno != EEXIST)
		return keel_error (err, errno, "devices: symlink `%s` -> `%s`", path, target);
	return 0;
}

static int spec_node (const struct spec_device *d, struct dev_node *n, struct keel_error **err)
{
	memset (n, 0, sizeof *n);
	n->path = d->path;
	switch (d->type) {
	case 'c':
	case 'u':
		n->type = S_IFCHR;
		break;
	case 'b':
		n->type = S_IFBLK;
		break;
	case 'p':
		n->type = S_IFIFO;
		break;
	default:
		return keel_error (err, 0, "devices: `%s`: unknown type '%c'", d->path, d->type);
	}
	/* Anywhere in the rootfs (runc and crun allow /foo/null too): the path
	 * is resolved inside it, so it needs no prefix to be confined. */
	if (d->path == NULL || d->path[0] != '/' || strstr (d->path, "/../"))
		return keel_error (err, 0, "devices: `%s` is not an absolute path without `..`",
		                   d->path ? d->path : "");
	n->major = (unsigned)d->major;
	n->minor = (unsigned)d->minor;
	n->mode = d->has_file_mode ? d->file_mode : 0666;
	n->uid = d->has_uid ? d->uid : 0;
	n->gid = d->has_gid ? d->gid : 0;
	return 0;
}

static bool overridden (const struct spec *s, const char *path)
{
	for (size_t i = 0; s && i < s->linux_.n_devices; i++)
		if (s->linux_.devices[i].path && strcmp (s->linux_.devices[i].path, path) == 0)
			return true;
	return false;
}

/* The default nodes and links, all directly in /dev: /dev is resolved
 * (and made) once, and every one of them is made through that fd, rather
 * than resolving /dev from the root again for each (two system calls
 * apiece, and the directory cannot change under us between them). */
/* The nodes are made with the umask at 0, and the first one is looked
 * at: when mknodat alone gave it its mode and owner (no default ACL of
 * /dev in the way, no setgid /dev, made as uid and gid 0), it gives every
 * other node with the same mode and owner the same, in the same
 * directory from the same process, and their chmod and chown are left
 * out (3 system calls for the six nodes, not 12).  Otherwise each is
 * chmodded and chowned as before.  The umask goes back at once: the
 * container's process gets the one it had (or process.user.umask). */
static int make_default_nodes (int dev, const struct spec *s, bool in_userns,
                               struct keel_error **err)
{
	struct exact_state ex = {NULL, false};
	mode_t old = in_userns ? 0 : umask (0);
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < ARRAY_SIZE (default_nodes); i++) {
		if (overridden (s, default_nodes[i].path))
			continue;
		ret = make_node_at (dev, strrchr (default_nodes[i].path, '/') + 1,
		                    &default_nodes[i], in_userns, -1, in_userns ? NULL : &ex, err);
	}
	if (!in_userns)
		umask (old);
	return ret;
}

static int make_defaults (int rootfd, const struct spec *s, bool in_userns, struct keel_error **err)
{
	cleanup_close int dev = -1;
	const char *base;
	int ret;

	dev = open_parent (rootfd, default_nodes[0].path, &base, err);
	if (dev < 0)
		return dev;
	ret = make_default_nodes (dev, s, in_userns, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE (default_links); i++) {
		ret = make_link_at (dev, default_links[i].target, default_links[i].path, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int devices_create (const struct spec *s, const char *rootfs, bool in_userns,
                    struct keel_error **err)
{
	return devices_create_with (s, rootfs, in_userns, NULL, err);
}

int devices_create_with (const struct spec *s, const char *rootfs, bool in_userns, const int *trees,
                         struct keel_error **err)
{
	cleanup_close int rootfd = -1;

	rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return keel_error (err, errno, "devices: open rootfs `%s`", rootfs);
	return devices_create_at (s, rootfd, in_userns, trees, err);
}

int devices_create_at (const struct spec *s, int rootfd, bool in_userns, const int *trees,
                       struct keel_error **err)
{
	int ret;

	ret = make_defaults (rootfd, s, in_userns, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; s && i < s->linux_.n_devices; i++) {
		struct dev_node n;

		ret = spec_node (&s->linux_.devices[i], &n, err);
		if (ret == 0)
			ret = make_node (rootfd, &n, in_userns, trees ? trees[i] : -1, err);
		if (ret < 0)
			return keel_error_wrap (err, "linux.devices[%zu]", i);
	}
	if (s && s->has_process && s->process.terminal)
		return make_console_point (rootfd, err);
	return 0;
}

int devices_bind_console (const char *rootfs, int slave, struct keel_error **err)
{
	cleanup_close int rootfd = -1;
	cleanup_close int dirfd = -1;
	cleanup_close int tree = -1;
	const char *base;

	rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return keel_error (err, errno, "devices: open rootfs `%s`", rootfs);
	dirfd = open_parent (rootfd, "/dev/console", &base, err);
	if (dirfd < 0)
		return dirfd;
	/* The pty we hold, cloned from its fd: binding "/dev/pts/N" by name
	 * would follow whatever /dev/pts is by then, and a process sharing
	 * /dev can have swapped it for a symlink to a directory of its own
	 * or to /proc/self/fd (runc's CVE-2025-52565). */
	tree = (int)syscall (SYS_open_tree, slave, "",
	                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return keel_error (err, errno, "devices: clone the pty for `/dev/console`");
	return attach_node (tree, dirfd, base, "/dev/console", err);
}

/* The host id container id maps to, or -1. */
static long long host_id (const struct spec_idmapping *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return (long long)m[i].host_id + (id - m[i].container_id);
	return -1;
}

/* One linux.devices entry made in tmpfs (mounted at mnt) and cloned out as
 * a detached mount of just that node. */
static int prepare_node (int mnt, const struct spec *s, size_t i, int *tree,
                         struct keel_error **err)
{
	const struct spec_linux *l = &s->linux_;
	struct dev_node n;
	char name[32];
	long long uid, gid;
	int ret;

	ret = spec_node (&l->devices[i], &n, err);
	if (ret < 0)
		return ret;
	uid = host_id (l->uid_mappings, l->n_uid_mappings, n.uid);
	gid = host_id (l->gid_mappings, l->n_gid_mappings, n.gid);
	if (uid < 0 || gid < 0)
		return keel_error (err, EINVAL,
		                   "devices: `%s`: owner %u:%u is not mapped in "
		                   "the user namespace",
		                   n.path, (unsigned)n.uid, (unsigned)n.gid);
	snprintf (name, sizeof name, "%zu", i);
	if (mknodat (mnt, name, n.type | (n.mode & 07777), makedev (n.major, n.minor)) < 0 ||
	    fchmodat (mnt, name, n.mode & 07777, 0) < 0 ||
	    fchownat (mnt, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "devices: make `%s`", n.path);
	*tree = (int)syscall (SYS_open_tree, mnt, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (*tree < 0 && errno == EINVAL) {
		/* Linux before 6.15 clones only mounts of our own namespace, not
		 * of a detached tree: bind the host's node instead (runc's way,
		 * and keel's before), with the host's owner and mode. */
		keel_log (KEEL_LOG_WARNING,
		          "linux.devices[%zu]: `%s`: this kernel cannot clone a detached "
		          "mount; binding the host's node (its owner and mode stay the host's)",
		          i, n.path);
		return 0;
	}
	if (*tree < 0)
		return keel_error (err, errno, "devices: clone the node made for `%s`", n.path);
	return 0;
}

int devices_prepare_userns (const struct spec *s, int **trees, struct keel_error **err)
{
	const struct spec_linux *l = &s->linux_;
	cleanup_close int fs = -1, mnt = -1;
	int *v;

	*trees = NULL;
	if (l->n_devices == 0)
		return 0;
	/* A tmpfs of the initial user namespace, never attached anywhere:
	 * its nodes are usable (no SB_I_NODEV) and nobody else sees it. */
	fs = (int)syscall (SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return keel_error (err, errno, "devices: fsopen tmpfs");
	if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return keel_error (err, errno, "devices: configure tmpfs");
	mnt = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC,
	                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return keel_error (err, errno, "devices: fsmount tmpfs");
	v = xmalloc0 (l->n_devices * sizeof (int));
	for (size_t i = 0; i < l->n_devices; i++)
		v[i] = -1;
	for (size_t i = 0; i < l->n_devices; i++) {
		int ret = prepare_node (mnt, s, i, &v[i], err);
		if (ret < 0) {
			devices_trees_close (v, l->n_devices);
			return keel_error_wrap (err, "linux.devices[%zu]", i);
		}
	}
	*trees = v;
	return 0;
}

void devices_trees_close (int *trees, size_t n)
{
	for (size_t i = 0; trees && i < n; i++)
		if (trees[i] >= 0)
			close (trees[i]);
	free (trees);
}
