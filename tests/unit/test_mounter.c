/* init/mounter.c against the real kernel, in a private mount namespace:
 * fstab lines mounted by real keel-mount helpers (libmount), a device that
 * never comes failing after its x-keel.wait=, a line inside another's mount
 * point waiting for it, the console messages, and the unmount at shutdown
 * (newest first, a busy one remounted read-only).  Skips when the host
 * refuses a mount namespace (not root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/console.h"
#include "init/loop.h"
#include "init/mounter.h"
#include "lib/util.h"

static char dir[] = "/tmp/kfs-mounter.XXXXXX";

static bool is_mounted (const char *target)
{
	FILE *f = fopen ("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;

	assert_non_null (f);
	while (fgets (line, sizeof line, f)) {
		char mp[4096];

		if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp (mp, target) == 0)
			found = true;
	}
	fclose (f);
	return found;
}

static char *read_fd (int fd)
{
	char *out = xmalloc0 (1), buf[4096];
	size_t len = 0;
	ssize_t n;

	while ((n = read (fd, buf, sizeof buf)) > 0) {
		out = xrealloc (out, len + (size_t)n + 1);
		memcpy (out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	return out;
}

static bool settled (const struct mounter *m)
{
	size_t k;

	for (k = 0; k < m->tab.n; k++)
		if (m->slot[k].state == MS_WAIT || m->slot[k].state == MS_RUNNING)
			return false;
	return true;
}

static void test_mount_wait_fail_unmount (void **state)
{
	cleanup_free char *fstab = NULL, *text = NULL, *a = NULL, *inner = NULL, *never = NULL,
	                  *busy = NULL, *out = NULL;
	const char *files[] = {NULL, NULL};
	struct keel_error *err = NULL;
	struct console con;
	struct mounter m;
	struct loop loop;
	char path[64];
	int p[2], fd, rounds;
	FILE *f;
	(void)state;

	if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		skip ();
	assert_non_null (mkdtemp (dir));
	fstab = xasprintf ("%s/fstab", dir);
	a = xasprintf ("%s/a", dir);
	inner = xasprintf ("%s/a/inner", dir);
	never = xasprintf ("%s/never", dir);
	busy = xasprintf ("%s/busy", dir);
	/* the inner line comes first: it must still wait for its parent */
	text = xasprintf ("tmpfs %s tmpfs size=1m\n"
	                  "tmpfs %s tmpfs size=1m,mode=0700\n"
	                  "/dev/kfs-never-there %s ext4 nofail,x-keel.wait=300ms\n"
	                  "tmpfs %s tmpfs size=1m\n"
	                  "bad line\n",
	                  inner, a, never, busy);
	f = fopen (fstab, "w");
	assert_non_null (f);
	fputs (text, f);
	fclose (f);
	files[0] = fstab;

	assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
	snprintf (path, sizeof path, "/proc/self/fd/%d", p[1]);
	assert_int_equal (console_open (&con, path, &err), 0);
	close (p[1]);
	assert_int_equal (fcntl (p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal (loop_init (&loop, &err), 0);

	mounter_open (&m, files, &loop, NULL, &con);
	assert_int_equal (m.tab.n, 4);
	/* PID 1 goes on at once: the helpers run on their own */
	for (rounds = 0; rounds < 100 && !settled (&m); rounds++) {
		assert_true (loop_once (&loop, 100, &err) >= 0);
		while (waitpid (-1, NULL, WNOHANG) > 0)
			;
	}
	assert_true (settled (&m));
	assert_int_equal (m.slot[0].state, MS_MOUNTED);
	assert_int_equal (m.slot[1].state, MS_MOUNTED);
	assert_int_equal (m.slot[2].state, MS_FAILED);
	assert_int_equal (m.slot[3].state, MS_MOUNTED);
	assert_true (m.slot[1].order < m.slot[0].order); /* the parent first */
	assert_true (is_mounted (a));
	assert_true (is_mounted (inner));
	assert_false (is_mounted (never));
	assert_string_equal (m.slot[2].error,
	                     "/dev/kfs-never-there did not appear within 300 ms (x-keel.wait=)");

	/* a file held open keeps busy busy: read-only instead (held for
	 * reading: one open for writing would refuse the remount too, but
	 * at shutdown every process but PID 1 is gone by then) */
	cleanup_free char *held = xasprintf ("%s/held", busy);
	fd = open (held, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true (fd >= 0);
	close (fd);
	fd = open (held, O_RDONLY | O_CLOEXEC);
	assert_true (fd >= 0);
	assert_int_equal (mounter_unmount (&m), 1);
	assert_false (is_mounted (a));
	assert_false (is_mounted (inner));
	assert_true (is_mounted (busy));
	close (fd);
	fd = open (held, O_WRONLY | O_CLOEXEC);
	assert_int_equal (fd, -1);
	assert_int_equal (errno, EROFS);
	mounter_close (&m);

	console_drain (&con);
	out = read_fd (p[0]);
	assert_non_null (strstr (out, ":5: expected at least 3 fields (device, mount point, type), "
	                              "got 2 (line ignored)"));
	assert_non_null (strstr (out, "Not mounted (nofail):"));
	assert_non_null (strstr (out, "Unmounted "));
	assert_non_null (strstr (out, "is busy: remounted read-only"));
	{
		cleanup_free char *u_inner = xasprintf ("Unmounted %s", inner);
		cleanup_free char *u_a = xasprintf ("Unmounted %s\n", a);
		char *x = strstr (out, u_inner), *y = strstr (out, u_a);
		assert_non_null (x);
		assert_non_null (y);
		assert_true (x < y);
	}
	console_close (&con);
	close (p[0]);
	loop_close (&loop);
	umount2 (busy, MNT_DETACH);
	rmdir (busy);
	rmdir (inner);
	rmdir (a);
	rmdir (never);
	unlink (fstab);
	rmdir (dir);
}

/* LABEL= through the per-device libblkid probers: an ext4 image with a
 * label of its own on a loop device; a UUID no device has fails after its
 * wait.  Skips without loop devices, losetup or mkfs.ext4. */
static void test_label (void **state)
{
	char ldir[] = "/tmp/kfs-mounter-label.XXXXXX";
	cleanup_free char *img = NULL, *fstab = NULL, *cmd = NULL, *target = NULL, *target2 = NULL,
	                  *label = NULL, *want = NULL;
	const char *files[] = {NULL, NULL};
	struct keel_error *err = NULL;
	char loopdev[64] = "";
	struct console con;
	struct mounter m;
	struct loop loop;
	FILE *f;
	int rounds;
	(void)state;

	if (access ("/dev/loop-control", W_OK) < 0 ||
	    system ("command -v losetup >/dev/null") != 0 ||
	    system ("command -v mkfs.ext4 >/dev/null") != 0)
		skip ();
	if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		skip ();
	assert_non_null (mkdtemp (ldir));
	img = xasprintf ("%s/disk.img", ldir);
	label = xasprintf ("kfs%d", (int)getpid ());
	cmd = xasprintf ("truncate -s 8M %s && mkfs.ext4 -q -F -L %s %s >/dev/null 2>&1", img,
	                 label, img);
	assert_int_equal (system (cmd), 0);
	free (cmd);
	cmd = xasprintf ("losetup -f --show %s", img);
	f = popen (cmd, "r");
	assert_non_null (f);
	if (fgets (loopdev, sizeof loopdev, f) == NULL)
		loopdev[0] = '\0';
	pclose (f);
	loopdev[strcspn (loopdev, "\n")] = '\0';
	if (strncmp (loopdev, "/dev/loop", 9) != 0) {
		unlink (img);
		rmdir (ldir);
		skip (); /* no free loop device here */
	}

	fstab = xasprintf ("%s/fstab", ldir);
	target = xasprintf ("%s/l", ldir);
	target2 = xasprintf ("%s/u", ldir);
	f = fopen (fstab, "w");
	assert_non_null (f);
	fprintf (f, "LABEL=%s %s auto rw\n", label, target);
	fprintf (f, "UUID=00000000-0000-4000-8000-00000000kfs0 %s ext4 nofail,x-keel.wait=1s\n",
	         target2);
	fclose (f);
	files[0] = fstab;
	assert_int_equal (console_open (&con, "/dev/null", &err), 0);
	assert_int_equal (loop_init (&loop, &err), 0);
	mounter_open (&m, files, &loop, NULL, &con);
	for (rounds = 0; rounds < 200 && !settled (&m); rounds++) {
		assert_true (loop_once (&loop, 100, &err) >= 0);
		while (waitpid (-1, NULL, WNOHANG) > 0)
			;
	}
	assert_int_equal (m.slot[0].state, MS_MOUNTED);
	assert_string_equal (m.slot[0].device, loopdev);
	assert_true (is_mounted (target));
	assert_int_equal (m.slot[1].state, MS_FAILED);
	assert_false (is_mounted (target2));
	assert_int_equal (mounter_unmount (&m), 0);
	assert_false (is_mounted (target));
	mounter_close (&m);
	console_close (&con);
	loop_close (&loop);

	free (cmd);
	cmd = xasprintf ("losetup -d %s", loopdev);
	assert_int_equal (system (cmd), 0);
	unlink (img);
	unlink (fstab);
	rmdir (target);
	rmdir (target2);
	rmdir (ldir);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_mount_wait_fail_unmount),
	        cmocka_unit_test (test_label),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
