/* See rootfs.h. */
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/mountinfo.h"
#include "lib/util.h"
#include "runtime/devices.h"

#define PROPAGATION_MASK (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

int rootfs_prepare (const struct spec *s, const char *rootfs, struct keel_error **err)
{
	unsigned long prop = s->linux_.rootfs_propagation & PROPAGATION_MASK;

	/* Nothing we mount may leak to the host: make every mount a slave
	 * (runc's default) or private if asked.  A shared rootfsPropagation is
	 * applied to the container's own tree after the pivot, since
	 * pivot_root refuses a shared parent. */
	if (prop != MS_PRIVATE)
		prop = MS_SLAVE;
	if (mount (NULL, "/", NULL, MS_REC | prop, NULL) < 0)
		return keel_error (err, errno, "make `/` %s",
		                   prop == MS_SLAVE ? "rslave" : "rprivate");
	/* pivot_root needs the new root to be a mount point. */
	if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return keel_error (err, errno, "bind rootfs `%s` onto itself", rootfs);
	return 0;
}

int rootfs_bind_shared (const char *rootfs, struct keel_error **err)
{
	/* Our own mount at the rootfs: root.readonly then remounts it, not
	 * the caller's filesystem under it, and delete can detach it with
	 * everything mounted in it. */
	if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return keel_error (err, errno, "bind rootfs `%s` onto itself", rootfs);
	return 0;
}

static bool is_dev (const char *dest)
{
	while (dest[0] == '/' && dest[1] == '/')
		dest++;
	return strcmp (dest, "/dev") == 0 || strcmp (dest, "/dev/") == 0;
}

static bool is_bind (const struct spec_mount *m)
{
	return m->bind || m->type == NULL || strcmp (m->type, "bind") == 0;
}

int rootfs_mount_all (const struct spec *s, const struct spec_mount *extra, size_t n_extra,
                      const struct mount_ctx *c, struct keel_error **err)
{
	const struct spec_mount *dev = NULL;
	int ret;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (is_dev (s->mounts[i].destination))
			dev = &s->mounts[i];
	if (dev == NULL) {
		/* No /dev configured: a fresh tmpfs, as runc's default spec has. */
		static char *no_opts[] = {NULL};
		struct spec_mount d = {
		        .destination = (char *)"/dev",
		        .type = (char *)"tmpfs",
		        .source = (char *)"tmpfs",
		        .options = {.v = no_opts},
		        .flags = MS_NOSUID | MS_STRICTATIME,
		        .data = (char *)"mode=755,size=65536k",
		};
		ret = mounts_mount (c, &d, -1, err);
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct spec_mount m = s->mounts[i];
		/* A read-only /dev is filled first and made read-only after. */
		if (&s->mounts[i] == dev)
			m.flags &= ~(unsigned long)MS_RDONLY;
		ret = mounts_mount (c, &m, c->mount_fds ? c->mount_fds[i] : -1, err);
		if (ret < 0)
			return keel_error_wrap (err, "mounts[%zu]", i);
	}
	for (size_t i = 0; i < n_extra; i++) {
		ret = mounts_mount (c, &extra[i], -1, err);
		if (ret < 0)
			return ret;
	}
	ret = mounts_ensure_cwd (c->rootfd, s->process.cwd, err);
	if (ret < 0)
		return ret;
	/* A /dev bound from the host already has its nodes. */
	if (dev == NULL || !is_bind (dev)) {
		/* its messages start with "devices:" already */
		ret = devices_create_at (s, c->rootfd, c->in_userns, c->device_trees, err);
		if (ret < 0)
			return ret;
	}
	if (dev && (dev->flags & MS_RDONLY) && !is_bind (dev)) {
		cleanup_free char *p = xasprintf ("%s/dev", c->rootfs);
		ret = mounts_remount_ro (p, false, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Full procfs and sysfs mounts of the host, outside the rootfs. */
struct host_pseudo {
	const char *rootfs;
	size_t rootfs_len;
	char **paths;
	size_t n;
};

static int collect_pseudo (const struct mountinfo *m, void *data)
{
	struct host_pseudo *h = data;
	const char *mp = m->mountpoint;

	if (strcmp (m->root, "/") != 0 ||
	    (strcmp (m->fstype, "proc") != 0 && strcmp (m->fstype, "sysfs") != 0))
		return 0;
	if (strncmp (mp, h->rootfs, h->rootfs_len) == 0 &&
	    (mp[h->rootfs_len] == '/' || mp[h->rootfs_len] == '\0'))
		return 0;
	char **v = realloc (h->paths, (h->n + 1) * sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	h->paths = v;
	h->paths[h->n++] = xstrdup (mp);
	return 0;
}

/* Without pivot_root the host's mounts stay in our mount namespace, only
 * out of sight of the chroot.  The kernel lets a user namespace mount a
 * new procfs or sysfs when the mount namespace holds a full, unmasked one,
 * and the host's would qualify: a nested `unshare -mrpf` could then mount
 * a bare /proc.  Detach every full host procfs and sysfs first, or cover
 * it with a tmpfs where we may not unmount it (as runc's --no-pivot). */
static int hide_host_pseudo (const char *rootfs, struct keel_error **err)
{
	/* Compared with mountinfo, which names resolved paths. */
	cleanup_free char *real = realpath (rootfs, NULL);
	struct host_pseudo h = {.rootfs = real};
	int ret;

	if (real == NULL)
		return keel_error (err, errno, "realpath `%s`", rootfs);
	h.rootfs_len = strlen (real);
	ret = mountinfo_foreach ("/proc/self/mountinfo", collect_pseudo, &h, err);
	if (ret < 0)
		keel_error_wrap (err, "--no-pivot: list the host's procfs and sysfs");
	/* Children first: a parent detached first takes them out of reach. */
	for (size_t i = h.n; ret == 0 && i-- > 0;) {
		const char *p = h.paths[i];
		if (mount (NULL, p, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			ret = keel_error (err, errno, "--no-pivot: make `%s` rslave", p);
		} else if (umount2 (p, MNT_DETACH) < 0) {
			if ((errno != EINVAL && errno != EPERM) ||
			    mount ("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			           "size=4k") < 0)
				ret = keel_error (err, errno, "--no-pivot: hide the host's `%s`",
				                  p);
		}
	}
	for (size_t i = 0; i < h.n; i++)
		free (h.paths[i]);
	free (h.paths);
	return ret;
}

static int move_root (const char *rootfs, struct keel_error **err)
{
	int ret = hide_host_pseudo (rootfs, err);

	if (ret < 0)
		return ret;
	if (chdir (rootfs) < 0)
		return keel_error (err, errno, "chdir `%s`", rootfs);
	if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return keel_error (err, errno, "move rootfs `%s` to `/`", rootfs);
	if (chroot (".") < 0)
		return keel_error (err, errno, "chroot `%s`", rootfs);
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir `/`");
	return 0;
}

int rootfs_pivot (const char *rootfs, bool no_pivot, struct keel_error **err)
{
	cleanup_close int oldroot = -1;

	if (no_pivot)
		return move_root (rootfs, err);
	oldroot = open ("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (oldroot < 0)
		return keel_error (err, errno, "open `/`");
	/* The rootfs by its path, as an open of it would (no fd of it is
	 * needed after: "/" is the new root once pivoted). */
	if (chdir (rootfs) < 0)
		return keel_error (err, errno, "chdir `%s`", rootfs);
	/* pivot_root(".", "."): the old root ends up stacked under the new one
	 * at "/", from where it is detached without needing a directory. */
	if (syscall (SYS_pivot_root, ".", ".") < 0) {
		/* The initramfs rootfs cannot be pivoted away from. */
		if (errno == EINVAL)
			return move_root (rootfs, err);
		return keel_error (err, errno, "pivot_root `%s`", rootfs);
	}
	if (fchdir (oldroot) < 0)
		return keel_error (err, errno, "chdir to the old root");
	if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return keel_error (err, errno, "make the old root rslave");
	if (umount2 (".", MNT_DETACH) < 0)
		return keel_error (err, errno, "detach the old root");
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir `/`");
	return 0;
}

int rootfs_chroot (const char *rootfs, struct keel_error **err)
{
	if (chdir (rootfs) < 0)
		return keel_error (err, errno, "chdir `%s`", rootfs);
	if (chroot (".") < 0)
		return keel_error (err, errno, "chroot `%s`", rootfs);
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir `/`");
	return 0;
}

int rootfs_finish (const struct spec *s, struct keel_error **err)
{
	unsigned long prop = s->linux_.rootfs_propagation & PROPAGATION_MASK;
	int ret;

	if (prop == MS_SHARED || prop == MS_UNBINDABLE) {
		if (mount (NULL, "/", NULL, MS_REC | prop, NULL) < 0)
			return keel_error (err, errno, "linux.rootfsPropagation");
	}
	ret = mounts_mask_paths (&s->linux_.masked_paths, err);
	if (ret < 0)
		return ret;
	ret = mounts_readonly_paths (&s->linux_.readonly_paths, err);
	if (ret < 0)
		return ret;
	if (s->root.readonly) {
		ret = mounts_remount_ro ("/", false, err);
		if (ret < 0)
			return keel_error_wrap (err, "root.readonly");
	}
	return 0;
}
