/* The container's /dev: default devices and linux.devices.
 *
 * Called after the core mounted a tmpfs on ROOTFS/dev (unless the config
 * mounts its own /dev), in the container's mount namespace, before
 * pivot_root.  Every path is resolved inside rootfs (openat2 with
 * RESOLVE_IN_ROOT), so a symlink in the image cannot make keel create a
 * node outside it.
 */
#ifndef KEEL_DEVICES_H
#define KEEL_DEVICES_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Create null, zero, full, random, urandom, tty (mknod, or a bind mount of
 * the host's node when in_userns, where mknod is not permitted), the
 * symlinks ptmx -> pts/ptmx, fd -> /proc/self/fd, stdin/stdout/stderr ->
 * /proc/self/fd/0..2, core -> /proc/kcore, then every linux.devices entry
 * with its mode, uid and gid (overriding a default device of the same
 * path). */
int devices_create (const struct spec *s, const char *rootfs, bool in_userns,
                    struct keel_error **err);

/* devices_create with, per linux.devices entry, a node made by the parent
 * (trees from devices_prepare_userns; NULL or -1 entries: made here). */
int devices_create_with (const struct spec *s, const char *rootfs, bool in_userns, const int *trees,
                         struct keel_error **err);

/* devices_create_with in the rootfs open at rootfd (the mounts' own fd
 * of it: not opened by its path again). */
int devices_create_at (const struct spec *s, int rootfd, bool in_userns, const int *trees,
                       struct keel_error **err);

/* Parent, before clone, for a new user namespace (where the container may
 * not mknod, and chowning a bind mount of the host's node would chown the
 * host's): every linux.devices node made in a private tmpfs with its
 * mode and its uid/gid mapped through linux.uid/gidMappings, each as a
 * detached mount the container attaches at its path.  *trees gets a
 * malloc'd array of n_devices fds; NULL when there are no devices. */
int devices_prepare_userns (const struct spec *s, int **trees, struct keel_error **err);
void devices_trees_close (int *trees, size_t n);

/* Bind-mount the pty slave open at fd slave (cloned from the fd, never
 * looked up by name) on ROOTFS/dev/console, creating the mount point. */
int devices_bind_console (const char *rootfs, int slave, struct keel_error **err);

#endif
