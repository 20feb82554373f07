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
 * were lost.  What the bind leaves under a container's root, and who can
 * reach it, is in init/README.md ("Leaving the initramfs").  Kernels that
 * put the rootfs on an empty nullfs (Linux 7.0) give the root a parent
 * from the start, and nothing is done here. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/boot.h"
#include "lib/mountinfo.h"

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

int switchroot_if_initramfs (const char **how, struct keel_error **err)
{
	bool proc_mounted = false, orphan;

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

	if (mkdir (NEWROOT, 0700) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir %s", NEWROOT);
	/* Recursive: whatever an earlier stage mounted stays visible. */
	if (mount ("/", NEWROOT, NULL, MS_BIND | MS_REC, NULL) < 0)
		return keel_error (err, errno, "bind / onto %s", NEWROOT);
	if (chdir (NEWROOT) < 0)
		return keel_error (err, errno, "chdir %s", NEWROOT);
	if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
		return keel_error (err, errno, "move the bind of / onto /");
	if (chroot (".") < 0)
		return keel_error (err, errno, "chroot");
	if (chdir ("/") < 0)
		return keel_error (err, errno, "chdir /");
	*how = "bind of the initramfs";
	/* The directory the bind was made on is a plain one again (the
	 * same directory, seen through the bind). */
	if (rmdir (NEWROOT) < 0)
		return keel_error (err, errno, "remove %s (the root is switched)", NEWROOT);
	return 0;
}
