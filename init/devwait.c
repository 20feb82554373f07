/* See devwait.h. */
#include "init/devwait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"

const char *devwait_devname (const char *devnode)
{
	const char *name = devnode;

	if (devnode == NULL)
		return NULL;
	if (strncmp (devnode, "/dev/", 5) == 0)
		name = devnode + 5;
	else if (devnode[0] == '/')
		return NULL;
	if (*name == '\0' || strstr (name, "..") != NULL)
		return NULL;
	return name;
}

#ifdef CONFIG_UDEV
#include <libudev.h>

struct devwait {
	struct udev *udev;
	struct udev_monitor *mon;
};

int devwait_open (struct devwait **out, struct keel_error **err)
{
	struct devwait *w = xmalloc0 (sizeof *w);
	int ret;

	w->udev = udev_new ();
	if (w->udev == NULL) {
		free (w);
		return keel_error (err, errno ? errno : ENOMEM, "udev_new");
	}
	/* "kernel", not "udev": there is no udevd to re-broadcast events. */
	w->mon = udev_monitor_new_from_netlink (w->udev, "kernel");
	if (w->mon == NULL) {
		ret = keel_error (err, errno ? errno : EIO, "udev monitor on kernel uevents");
		devwait_free (w);
		return ret;
	}
	if (udev_monitor_enable_receiving (w->mon) < 0) {
		ret = keel_error (err, errno ? errno : EIO, "udev monitor: enable receiving");
		devwait_free (w);
		return ret;
	}
	*out = w;
	return 0;
}

void devwait_free (struct devwait *w)
{
	if (w == NULL)
		return;
	if (w->mon)
		udev_monitor_unref (w->mon);
	if (w->udev)
		udev_unref (w->udev);
	free (w);
}

int devwait_fd (const struct devwait *w)
{
	return udev_monitor_get_fd (w->mon);
}

int devwait_present (struct devwait *w, const char *devnode, bool *present,
		     struct keel_error **err)
{
	const char *name = devwait_devname (devnode);
	cleanup_free char *path = NULL;
	struct udev_device *d;
	struct stat st;

	if (name == NULL)
		return keel_error (err, EINVAL, "device `%s`: not a path under /dev", devnode);
	/* devtmpfs creates the node before the kernel sends the uevent, so
	 * a missing node means the device is not there yet. */
	path = xasprintf ("/dev/%s", name);
	*present = false;
	if (stat (path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return keel_error (err, errno, "device `%s`: stat", path);
	}
	if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
		return keel_error (err, 0, "device `%s`: not a device node", path);
	/* The node alone could be a leftover: the device counts only when
	 * the kernel lists it in sysfs (/sys/dev/{char,block}/MAJ:MIN). */
	d = udev_device_new_from_devnum (w->udev, S_ISBLK (st.st_mode) ? 'b' : 'c', st.st_rdev);
	if (d != NULL) {
		*present = true;
		udev_device_unref (d);
	}
	return 0;
}

int devwait_dispatch (struct devwait *w, devwait_cb cb, void *ctx, struct keel_error **err)
{
	struct udev_device *d;

	/* The monitor socket is non-blocking: NULL means drained (or a
	 * malformed message, which libudev has already dropped). */
	while ((d = udev_monitor_receive_device (w->mon)) != NULL) {
		const char *node = udev_device_get_devnode (d);
		const char *action = udev_device_get_action (d);

		if (node != NULL)
			cb (ctx, action ? action : "change", node);
		udev_device_unref (d);
	}
	return 0;
}

#else /* !CONFIG_UDEV */

struct devwait {
	int unused;
};

static int no_udev (struct keel_error **err)
{
	return keel_error (err, 0, "waiting for devices needs libudev: keel was built without CONFIG_UDEV");
}

int devwait_open (struct devwait **out, struct keel_error **err)
{
	*out = NULL;
	return no_udev (err);
}

void devwait_free (struct devwait *w)
{
	free (w);
}

int devwait_fd (const struct devwait *w)
{
	return -1;
}

int devwait_present (struct devwait *w, const char *devnode, bool *present,
		     struct keel_error **err)
{
	*present = false;
	return no_udev (err);
}

int devwait_dispatch (struct devwait *w, devwait_cb cb, void *ctx, struct keel_error **err)
{
	return no_udev (err);
}

#endif
