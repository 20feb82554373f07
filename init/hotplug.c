/* Modules by alias: coldplug and hotplug (hotplug.h). */
#include "init/hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "init/powerbutton.h"
#include "lib/log.h"
#include "lib/util.h"

#ifdef CONFIG_UDEV
#include <libkmod.h>
#include <libudev.h>

/* Passes over sysfs at most: each can only add devices that a module of
 * the pass before created (PCI -> virtio -> ...), a short chain. */
#define COLDPLUG_MAX_PASSES 8
/* Modules whose failure was already reported (not retried, not repeated). */
#define HOTPLUG_MAX_FAILED 32
/* Aliases read in one wakeup and handed to one helper. */
#define HOTPLUG_BATCH 64

/* PID 1 has one uevent monitor for modules: the state is this module's. */
static struct {
	struct udev *udev;
	struct udev_monitor *mon;
	struct kmod_ctx *kmod;
	struct watch w;
	struct loop *loop;
	struct console *con;
	char *failed[HOTPLUG_MAX_FAILED];
	size_t n_failed;
	bool in_helper; /* this process is a loading helper, not PID 1 */
} hp = {.w = {.fd = -1}};

/* A module that failed.  PID 1 queues it on the console; a helper's copy
 * of that queue is PID 1's to flush, so a helper writes its line to the
 * console fd at once, stamped like the others, before it exits. */
static void module_failed (const char *name, const char *alias, int e)
{
	struct console *c = hp.con ? hp.con : console_get ();
	struct timespec ts;

	if (!hp.in_helper) {
		console_status (hp.con, CS_WARN, "module %s (for device %s): %s", name, alias,
		                strerror (e));
		return;
	}
	clock_gettime (CLOCK_MONOTONIC, &ts);
	if (c == NULL ||
	    dprintf (c->fd, "[%5lld.%06ld] [ WARN ] module %s (for device %s): %s\n",
	             (long long)ts.tv_sec, ts.tv_nsec / 1000, name, alias, strerror (e)) < 0)
		keel_debug ("module %s (for device %s): %s", name, alias, strerror (e));
}

/* libkmod's own messages (a missing index, a bad modules.dep line) are
 * for debugging; what matters is reported from the return values. */
static void kmod_log (void *data, int priority, const char *file, int line, const char *fn,
                      const char *fmt, va_list args)
{
	char buf[256];

	vsnprintf (buf, sizeof buf, fmt, args);
	buf[strcspn (buf, "\n")] = '\0';
	keel_debug ("libkmod: %s", buf);
}

static bool failed_before (const char *name)
{
	size_t i;

	for (i = 0; i < hp.n_failed; i++)
		if (strcmp (hp.failed[i], name) == 0)
			return true;
	return false;
}

/* Load what alias names (all of it, as modprobe does: several drivers
 * may match one device), each module after its dependencies.  Returns
 * the number of modules inserted. */
static unsigned load_alias (const char *alias)
{
	struct kmod_list *list = NULL, *it;
	unsigned n = 0;
	int r;

	r = kmod_module_new_from_lookup (hp.kmod, alias, &list);
	if (r < 0) {
		keel_debug ("modalias %s: lookup: %s", alias, strerror (-r));
		return 0;
	}
	kmod_list_foreach (it, list)
	{
		struct kmod_module *m = kmod_module_get_module (it);
		const char *name = kmod_module_get_name (m);
		int state = kmod_module_get_initstate (m);

		if (state == KMOD_MODULE_LIVE || state == KMOD_MODULE_BUILTIN ||
		    state == KMOD_MODULE_COMING || failed_before (name)) {
			kmod_module_unref (m);
			continue;
		}
		/* Blacklists (modprobe.d) apply to aliases, as for modprobe. */
		r = kmod_module_probe_insert_module (m, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, NULL,
		                                     NULL, NULL, NULL);
		if (r == 0 || r == -EEXIST) {
			keel_debug ("module %s loaded for %s", name, alias);
			n++;
		} else if (r > 0) {
			keel_debug ("module %s for %s: blacklisted", name, alias);
		} else {
			module_failed (name, alias, -r);
			if (hp.n_failed < HOTPLUG_MAX_FAILED)
				hp.failed[hp.n_failed++] = xstrdup (name);
		}
		kmod_module_unref (m);
	}
	kmod_module_unref_list (list);
	return n;
}

/* Whether alias names a module that is neither loaded nor known to fail:
 * the index lookup is a read of mmap'd memory and initstate one small
 * sysfs file, so PID 1 asks before forking a helper, and the many "add"
 * events whose driver is already there (input devices, ttys, a device
 * whose module the helper just loaded) cost no fork. */
static bool alias_needs_load (const char *alias)
{
	struct kmod_list *list = NULL, *it;
	bool need = false;

	if (kmod_module_new_from_lookup (hp.kmod, alias, &list) < 0)
		return false;
	kmod_list_foreach (it, list)
	{
		struct kmod_module *m = kmod_module_get_module (it);
		int state = kmod_module_get_initstate (m);

		if (state != KMOD_MODULE_LIVE && state != KMOD_MODULE_BUILTIN &&
		    state != KMOD_MODULE_COMING && !failed_before (kmod_module_get_name (m)))
			need = true;
		kmod_module_unref (m);
	}
	kmod_module_unref_list (list);
	return need;
}

/* The devices of one sysfs directory of device links (/sys/bus/pci/devices,
 * /sys/class/input): each without a driver bound that has a modalias gets
 * its modules.  A bound device already has its driver; skipping it makes
 * a pass a few syscalls per device, and the pass after a load cheap.
 * (libudev's enumeration builds a full device object for each of the
 * hundreds of devices in sysfs, ttys and memory blocks included: about 4 s
 * per pass in a TCG guest, this walk is what udev's coldplug reads.) */
static unsigned coldplug_dir (const char *path)
{
	DIR *d = opendir (path);
	struct dirent *de;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *alias = NULL;
		struct keel_error *err = NULL;
		size_t len = 0;
		int dev;

		if (de->d_name[0] == '.')
			continue;
		dev = openat (dirfd (d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dev < 0)
			continue; /* gone, or not a device directory */
		if (faccessat (dev, "driver", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
		    read_file_at (dev, "modalias", 4096, &alias, &len, &err) < 0) {
			keel_error_release (&err);
			close (dev);
			continue;
		}
		close (dev);
		alias[strcspn (alias, "\n")] = '\0';
		if (*alias)
			n += load_alias (alias);
	}
	closedir (d);
	return n;
}

/* One walk over the devices of every bus, and the input devices (a class,
 * which evdev's alias matches); the modules it loaded. */
static unsigned coldplug_pass (void)
{
	DIR *d = opendir ("/sys/bus");
	struct dirent *de;
	unsigned n = 0;

	if (d == NULL) {
		console_status (hp.con, CS_WARN, "coldplug: /sys/bus: %s", strerror (errno));
		return 0;
	}
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *path = NULL;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf ("/sys/bus/%s/devices", de->d_name);
		n += coldplug_dir (path);
	}
	closedir (d);
	return n + coldplug_dir ("/sys/class/input");
}

static void coldplug (void)
{
	unsigned total = 0, n, pass;

	for (pass = 0; pass < COLDPLUG_MAX_PASSES; pass++) {
		n = coldplug_pass ();
		total += n;
		if (n == 0)
			break;
	}
	if (total > 0 || hp.n_failed > 0)
		console_status (hp.con, hp.n_failed ? CS_WARN : CS_OK,
		                "Loaded %u kernel modules for the devices found%s", total,
		                hp.n_failed ? " (some failed, see above)" : "");
}

void hotplug_boot (struct console *con)
{
	int r;

	hp.con = con;
	hp.kmod = kmod_new (NULL, NULL);
	if (hp.kmod == NULL) {
		console_status (con, CS_WARN, "modules by alias: kmod_new: out of memory");
		return;
	}
	kmod_set_log_fn (hp.kmod, kmod_log, NULL);
	/* No index in the image (built without --alias-modules): nothing to
	 * look aliases up in, and nothing to say about it. */
	r = kmod_load_resources (hp.kmod);
	if (r < 0) {
		keel_debug ("modules by alias: no module index (%s)", strerror (-r));
		hotplug_close ();
		return;
	}
	hp.udev = udev_new ();
	if (hp.udev == NULL) {
		console_status (con, CS_WARN, "modules by alias: udev_new: %s", strerror (errno));
		hotplug_close ();
		return;
	}
	/* The monitor first: a device added while coldplug walks sysfs is
	 * then either seen by the walk or queued on the socket, never lost. */
	hp.mon = udev_monitor_new_from_netlink (hp.udev, "kernel");
	if (hp.mon == NULL || udev_monitor_enable_receiving (hp.mon) < 0) {
		console_status (con, CS_WARN, "hotplug: cannot listen for kernel uevents: %s",
		                strerror (errno ? errno : EIO));
		if (hp.mon)
			udev_monitor_unref (hp.mon);
		hp.mon = NULL;
	} else if (udev_monitor_set_receive_buffer_size (hp.mon, 4 << 20) < 0) {
		/* Coldplug's modules add hundreds of events before the loop
		 * reads any; an overflow loses some (the walk has seen them). */
		keel_debug ("hotplug: receive buffer: %s", strerror (errno));
	}
	coldplug ();
}

/* A helper loads the batch: a module's init can take long (firmware,
 * a slow bus), and PID 1's loop must not wait for it.  It exits when
 * done; the reaper takes it as an orphan. */
static void load_in_helper (char **aliases, size_t n)
{
	pid_t pid;
	size_t i;

	if (n == 0)
		return;
	pid = fork ();
	if (pid < 0) {
		console_status (hp.con, CS_WARN, "hotplug: fork: %s (%zu devices without modules)",
		                strerror (errno), n);
		return;
	}
	if (pid > 0)
		return;
	hp.in_helper = true;
	for (i = 0; i < n; i++)
		load_alias (aliases[i]);
	_exit (0);
}

static void on_uevent (struct watch *w, uint32_t events)
{
	char *aliases[HOTPLUG_BATCH];
	size_t n = 0, i;
	struct udev_device *d;

	/* Non-blocking socket: NULL means drained (or a malformed message
	 * libudev already dropped). */
	while (n < HOTPLUG_BATCH && (d = udev_monitor_receive_device (hp.mon)) != NULL) {
		const char *action = udev_device_get_action (d);
		const char *alias = udev_device_get_property_value (d, "MODALIAS");
		const char *node = udev_device_get_devnode (d);
		const char *subsys = udev_device_get_subsystem (d);

		if (action && strcmp (action, "add") == 0) {
			if (alias && *alias && alias_needs_load (alias))
				aliases[n++] = xstrdup (alias);
			if (node && subsys && strcmp (subsys, "input") == 0)
				powerbutton_add (node);
		}
		udev_device_unref (d);
	}
	load_in_helper (aliases, n);
	for (i = 0; i < n; i++)
		free (aliases[i]);
}

void hotplug_watch (struct loop *l)
{
	if (hp.mon == NULL)
		return;
	if (loop_watch (l, &hp.w, udev_monitor_get_fd (hp.mon), EPOLLIN, on_uevent, NULL) < 0) {
		console_status (hp.con, CS_WARN, "hotplug: cannot watch uevents: %s",
		                strerror (errno));
		return;
	}
	hp.loop = l;
}

void hotplug_close (void)
{
	size_t i;

	if (hp.loop)
		loop_unwatch (hp.loop, &hp.w);
	hp.loop = NULL;
	if (hp.mon)
		udev_monitor_unref (hp.mon);
	if (hp.udev)
		udev_unref (hp.udev);
	if (hp.kmod)
		kmod_unref (hp.kmod);
	hp.mon = NULL;
	hp.udev = NULL;
	hp.kmod = NULL;
	for (i = 0; i < hp.n_failed; i++)
		free (hp.failed[i]);
	hp.n_failed = 0;
}

#else /* !CONFIG_UDEV */

void hotplug_boot (struct console *con)
{
}

void hotplug_watch (struct loop *l)
{
}

void hotplug_close (void)
{
}

#endif
