/* The container's root filesystem, in its mount namespace:
 *   rootfs_prepare   propagation of "/", the rootfs bound onto itself
 *   rootfs_mount_all mounts[], a default /dev when none is configured,
 *                    the device nodes
 *   rootfs_pivot     pivot_root, or MS_MOVE + chroot where the root cannot
 *                    be pivoted (the initramfs: pivot_root gives EINVAL)
 *                    or with --no-pivot
 *   rootfs_finish    masked and readonly paths, root.readonly
 *
 * Without a mount namespace of its own (linux.namespaces has no "mount"),
 * the container's mounts are made in the runtime's namespace, as runc and
 * crun do: rootfs_bind_shared and rootfs_chroot replace rootfs_prepare and
 * rootfs_pivot, which would change the propagation of, or move, the
 * caller's own root.
 */
#ifndef KEEL_ROOTFS_H
#define KEEL_ROOTFS_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/mounts.h"
#include "runtime/spec.h"

int rootfs_prepare (const struct spec *s, const char *rootfs, struct keel_error **err);
int rootfs_mount_all (const struct spec *s, const struct spec_mount *extra, size_t n_extra,
                      const struct mount_ctx *c, struct keel_error **err);
int rootfs_pivot (const char *rootfs, bool no_pivot, struct keel_error **err);
int rootfs_bind_shared (const char *rootfs, struct keel_error **err);
int rootfs_chroot (const char *rootfs, struct keel_error **err);
/* After the pivot: rootfsPropagation, masked/readonly paths, root.readonly. */
int rootfs_finish (const struct spec *s, struct keel_error **err);

#endif
