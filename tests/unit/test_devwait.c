/* init/devwait.c against the real kernel: libudev reads sysfs and the
 * kernel's uevent netlink socket; a uevent is triggered by writing to a
 * device's sysfs uevent file (root only; skipped where refused). */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/devwait.h"
#include "lib/util.h"

static void test_devname (void **state)
{
	assert_string_equal (devwait_devname ("/dev/vdb"), "vdb");
	assert_string_equal (devwait_devname ("/dev/mapper/root"), "mapper/root");
	assert_string_equal (devwait_devname ("vdb"), "vdb");
	assert_null (devwait_devname ("/etc/passwd"));
	assert_null (devwait_devname ("/dev/"));
	assert_null (devwait_devname ("/dev/../etc/shadow"));
	assert_null (devwait_devname (NULL));
}

#ifdef CONFIG_UDEV
static void test_present (void **state)
{
	struct keel_error *err = NULL;
	struct devwait *w = NULL;
	bool present = false;

	if (devwait_open (&w, &err) < 0) {
		keel_error_release (&err);
		skip ();
	}
	assert_int_equal (devwait_present (w, "/dev/null", &present, &err), 0);
	assert_true (present);
	assert_int_equal (devwait_present (w, "/dev/keel-no-such-device", &present, &err), 0);
	assert_false (present);
	assert_true (devwait_present (w, "/etc/passwd", &present, &err) < 0);
	assert_string_equal (err->msg, "device `/etc/passwd`: not a path under /dev");
	keel_error_release (&err);
	assert_true (devwait_present (w, "/dev/shm", &present, &err) < 0);
	assert_string_equal (err->msg, "device `/dev/shm`: not a device node");
	keel_error_release (&err);
	devwait_free (w);
}

struct seen {
	char action[32];
	char node[64];
	int n;
};

static void on_event (void *ctx, const char *action, const char *devnode)
{
	struct seen *s = ctx;

	if (strcmp (devnode, "/dev/null") != 0)
		return;
	snprintf (s->action, sizeof s->action, "%s", action);
	snprintf (s->node, sizeof s->node, "%s", devnode);
	s->n++;
}

static void test_uevent (void **state)
{
	struct keel_error *err = NULL;
	struct devwait *w = NULL;
	struct seen seen = { .n = 0 };
	struct pollfd p;

	if (getuid () != 0)
		skip ();
	if (devwait_open (&w, &err) < 0) {
		keel_error_release (&err);
		skip ();
	}
	/* A synthetic "change" uevent for /dev/null, as `udevadm trigger`
	 * would send; the kernel broadcasts it to the monitor. */
	if (write_file ("/sys/class/mem/null/uevent", "change", 6, &err) < 0) {
		keel_error_release (&err);
		devwait_free (w);
		skip ();
	}
	p.fd = devwait_fd (w);
	p.events = POLLIN;
	/* Other devices may send events too; wait until ours arrives. */
	for (int i = 0; i < 50 && seen.n == 0; i++) {
		int r = poll (&p, 1, 5000);
		assert_true (r > 0);
		assert_int_equal (devwait_dispatch (w, on_event, &seen, &err), 0);
	}
	assert_int_equal (seen.n, 1);
	assert_string_equal (seen.action, "change");
	assert_string_equal (seen.node, "/dev/null");
	devwait_free (w);
}
#else
static void test_without_udev (void **state)
{
	struct keel_error *err = NULL;
	struct devwait *w = NULL;

	assert_true (devwait_open (&w, &err) < 0);
	assert_string_equal (err->msg,
			     "waiting for devices needs libudev: keel was built without CONFIG_UDEV");
	keel_error_release (&err);
}
#endif

int main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_devname),
#ifdef CONFIG_UDEV
		cmocka_unit_test (test_present),
		cmocka_unit_test (test_uevent),
#else
		cmocka_unit_test (test_without_udev),
#endif
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
