/* runtime/procfs.c: the runtime's procfs opens reach procfs and only the
 * file named, whatever is mounted or linked in the way (CVE-2025-52881). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "runtime/procfs.h"
#include "tests/unit/linux-helpers.h"

static void test_reads_own_status (void **state)
{
	struct keel_error *err = NULL;
	char buf[64] = {0};
	char want[64];
	int fd;

	(void)state;
	fd = procfs_open ("self/status", O_RDONLY, &err);
	if (fd < 0 && under_valgrind ())
		skip_because ("procfs under valgrind: %s", err->msg);
	assert_true (fd >= 0);
	assert_true (read (fd, buf, sizeof buf - 1) > 0);
	close (fd);
	assert_int_equal (strncmp (buf, "Name:", 5), 0);
	/* "self" is the caller, not whoever the procfs's first task is. */
	fd = procfs_open ("self/stat", O_RDONLY, &err);
	assert_true (fd >= 0);
	memset (buf, 0, sizeof buf);
	assert_true (read (fd, buf, sizeof buf - 1) > 0);
	close (fd);
	snprintf (want, sizeof want, "%d ", (int)getpid ());
	assert_int_equal (strncmp (buf, want, strlen (want)), 0);
}

/* A symlink (/proc/mounts -> self/mounts) and a magic link (cwd) are not
 * followed: a path that goes through one fails, naming the path. */
static void test_refuses_links (void **state)
{
	struct keel_error *err = NULL;
	int fd;

	(void)state;
	if (under_valgrind ())
		skip_because ("procfs under valgrind");
	fd = procfs_open ("mounts", O_RDONLY, &err);
	assert_true (fd < 0);
	assert_non_null (strstr (err->msg, "/proc/mounts"));
	keel_error_release (&err);
	fd = procfs_open ("self/cwd/.", O_RDONLY, &err);
	assert_true (fd < 0);
	keel_error_release (&err);
	fd = procfs_open ("self/root/etc/passwd", O_RDONLY, &err);
	assert_true (fd < 0);
	keel_error_release (&err);
}

/* In a mount and UTS namespace of its own: a file bound over
 * /proc/sys/kernel/hostname, as a raced mount would be.  The write goes
 * to the kernel (the namespace's hostname), never into the file. */
static int bound_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	char path[] = "/tmp/keel-test-procfs.XXXXXX";
	char host[65] = {0}, got[32] = {0};
	int fd;

	(void)arg;
	if (unshare (CLONE_NEWNS | CLONE_NEWUTS) < 0 ||
	    mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		report (out, "skip: %s\n", strerror (errno));
		return 0;
	}
	fd = mkstemp (path);
	if (fd < 0)
		return 2;
	close (fd);
	if (mount (path, "/proc/sys/kernel/hostname", NULL, MS_BIND, NULL) < 0) {
		report (out, "skip: bind over /proc/sys/kernel/hostname: %s\n", strerror (errno));
		unlink (path);
		return 0;
	}
	if (procfs_write ("sys/kernel/hostname", "keel-procfs", 11, &err) < 0) {
		report_error (out, &err);
		unlink (path);
		return 1;
	}
	fd = open (path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read (fd, got, sizeof got - 1) < 0)
		return 3;
	close (fd);
	unlink (path);
	if (gethostname (host, sizeof host - 1) < 0)
		return 4;
	report (out, "file=[%s]\nhostname=%s\n", got, host);
	return 0;
}

static void test_write_skips_mount (void **state)
{
	struct child_report r;

	(void)state;
	need_root ();
	if (under_valgrind ())
		skip_because ("procfs under valgrind");
	run_child (bound_child, NULL, &r);
	if (report_value (&r, "skip"))
		skip_because ("%s", report_value (&r, "skip"));
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "file"), "[]");
	assert_string_equal (report_value (&r, "hostname"), "keel-procfs");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_reads_own_status),
	        cmocka_unit_test (test_refuses_links),
	        cmocka_unit_test (test_write_skips_mount),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
