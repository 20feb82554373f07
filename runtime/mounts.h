/* config.json mounts[], masked and readonly paths.
 *
 * Every destination is resolved inside the rootfs with openat2
 * (RESOLVE_IN_ROOT), creating missing directories (or an empty file when a
 * bind source is not a directory) there, and the mount goes onto that fd:
 * a symlink in the image cannot redirect a mount to the host.  Bind mounts
 * use the new mount API (open_tree, mount_setattr, move_mount) so their
 * flags are applied to the new mount before it becomes visible. */
#ifndef KEEL_MOUNTS_H
#define KEEL_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

struct mount_ctx {
	int rootfd;              /* O_PATH of the rootfs */
	const char *rootfs;      /* its path, for messages and devices */
	const char *bundle;      /* relative bind sources are resolved here */
	const char *cgroup_path; /* the container's cgroup, for the cgroup fallback */
	/* Its directories in the v1 hierarchies (hybrid and legacy hosts), for
	 * a "cgroup" mount; NULL or empty on a pure v2 host. */
	const struct spec_strv *cgroup_v1;
	bool in_userns;
	/* The mount namespace is one this create made (not the runtime's,
	 * not one joined by path): no other process sees its mounts yet. */
	bool fresh_mountns;
	/* What the parent prepared, one fd per entry of mounts[] (-1 for none):
	 * for an idmapped mount its detached, idmapped tree
	 * (mounts_idmaps_open); for another bind mount an O_PATH fd of its
	 * source (mounts_sources_open). */
	const int *mount_fds;
	/* Per linux.devices entry, a node the parent made (-1 or NULL: none),
	 * see devices_prepare_userns. */
	const int *device_trees;
	/* O_PATH of the process's working directory, which a mount on a
	 * directory fd changes into and back out of (mount_in); -1: mount
	 * through /proc/self/fd instead. */
	int cwd;
};

/* The working directory as an O_PATH fd for mount_ctx.cwd, or -1 where
 * there is none or it could not be changed back into. */
int mounts_cwd (void);

/* Parent, before clone: the idmapped entries of s->mounts as detached
 * mount trees, idmapped through a user namespace with their own
 * uid/gidMappings, else the container's (mount_setattr needs privilege
 * over the filesystem, which the container's user namespace lacks).
 * *fds gets a malloc'd array of s->n_mounts fds or -1; NULL when none. */
int mounts_idmaps_open (const struct spec *s, int **fds, struct keel_error **err);
void mounts_idmaps_close (int *fds, size_t n);

/* Parent, after clone, for a container with a new user namespace: an
 * O_PATH fd of every bind source (except idmapped ones), opened by a
 * helper process that enters the container's new mount namespace (so the
 * mount can be cloned there) with the runtime's own credentials (so
 * directories the container's root may not search do not matter, as with
 * runc's mount source fds).  *fds gets a malloc'd array of s->n_mounts fds
 * or -1 (close it with mounts_idmaps_close); NULL when there is none. */
int mounts_sources_open (const struct spec *s, const char *bundle, pid_t pid, int **fds,
                         struct keel_error **err);

/* Mount m (before pivot_root); fd is what the parent prepared for it (see
 * mount_ctx.mount_fds) or -1. */
int mounts_mount (const struct mount_ctx *c, const struct spec_mount *m, int fd,
                  struct keel_error **err);

/* Resolve dest inside the rootfs, creating it (a directory, or a file when
 * !dir); *fd gets an O_PATH fd of it. */
int mounts_ensure_path (int rootfd, const char *dest, bool dir, int *fd, struct keel_error **err);

/* Create process.cwd inside the rootfs when it is missing (a directory of
 * mode 0755 owned by the container's root, as runc and crun), after the
 * mounts so it can be inside one, before the root is made read-only. */
int mounts_ensure_cwd (int rootfd, const char *cwd, struct keel_error **err);

/* After pivot_root: linux.maskedPaths (/dev/null over files, an empty
 * read-only tmpfs over directories) and linux.readonlyPaths (read-only
 * bind onto itself).  Paths that do not exist are skipped, as runc does.
 * /dev/null is opened once and must be the null device (1:3): a missing
 * or swapped one fails, since /dev may be shared with a racing process. */
int mounts_mask_paths (const struct spec_strv *paths, struct keel_error **err);
int mounts_readonly_paths (const struct spec_strv *paths, struct keel_error **err);

/* Remount path read-only keeping its other per-mount flags (which, in a
 * user namespace, the kernel insists on). */
int mounts_remount_ro (const char *path, bool recursive, struct keel_error **err);

#endif
