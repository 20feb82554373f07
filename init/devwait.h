/* Waiting for devices with libudev (CONFIG_UDEV).
 *
 * A container whose policy lists `devices` (for example a disk it mounts)
 * is started only once the kernel has announced each of them.  PID 1 has
 * no udevd: it listens to the kernel's own uevents (the "kernel" netlink
 * group) through libudev's monitor, whose fd sits in the supervisor's
 * epoll set, and checks what already exists by enumerating sysfs.  The
 * device nodes themselves come from devtmpfs.
 *
 * Without CONFIG_UDEV every function reports that the build lacks it, and
 * a policy that lists devices is refused at validation time.
 */
#ifndef KEEL_INIT_DEVWAIT_H
#define KEEL_INIT_DEVWAIT_H

#include <stdbool.h>

#include "lib/error.h"

struct devwait;

/* Start listening for kernel uevents; returns the monitor in *out. */
int devwait_open (struct devwait **out, struct keel_error **err);
void devwait_free (struct devwait *w);

/* The fd to watch for readability (EPOLLIN). */
int devwait_fd (const struct devwait *w);

/* Is the device with this node ("/dev/vdb" or "vdb") known to the kernel?
 * Reads sysfs through libudev: true once the kernel has registered it,
 * whether or not a uevent was seen. */
int devwait_present (struct devwait *w, const char *devnode, bool *present,
		     struct keel_error **err);

/* Drain the pending uevents, calling cb for each with the action ("add",
 * "remove", ...) and the device node ("/dev/vdb"; events without a node are
 * skipped).  Never blocks. */
typedef void (*devwait_cb) (void *ctx, const char *action, const char *devnode);
int devwait_dispatch (struct devwait *w, devwait_cb cb, void *ctx, struct keel_error **err);

/* "/dev/vdb" -> "vdb", the DEVNAME of the kernel; NULL if path is not
 * under /dev or is empty. */
const char *devwait_devname (const char *devnode);

#endif
