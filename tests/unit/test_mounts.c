/* Mount destinations are resolved inside the rootfs: a symlink in the
 * image (absolute, or climbing with "..") cannot make keel create a mount
 * point, or mount, outside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/mounts.h"

static char top[64], rootfs[128];

static int setup (void **state)
{
	char p[256];

	snprintf (top, sizeof top, "/tmp/keel-unit-mounts-%d", (int)getpid ());
	snprintf (rootfs, sizeof rootfs, "%s/rootfs", top);
	if (mkdir (top, 0755) < 0 || mkdir (rootfs, 0755) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/etc", rootfs);
	if (mkdir (p, 0755) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/abs", rootfs);
	if (symlink ("/etc", p) < 0) /* absolute: would be the host's /etc */
		return -1;
	snprintf (p, sizeof p, "%s/dangling", rootfs);
	if (symlink (top, p) < 0) /* to a path the rootfs does not have */
		return -1;
	snprintf (p, sizeof p, "%s/up", rootfs);
	if (symlink ("../../..", p) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/chain", rootfs);
	if (symlink ("etc/../../../next", p) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/next", rootfs);
	if (symlink ("/made/file", p) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/loop", rootfs);
	if (symlink ("loop", p) < 0)
		return -1;
	snprintf (p, sizeof p, "%s/file", rootfs);
	return write_file_at (AT_FDCWD, p, O_CREAT, 0644, "x", 1, NULL);
}

static int teardown (void **state)
{
	char cmd[128];
	snprintf (cmd, sizeof cmd, "rm -rf %s", top);
	return system (cmd) == 0 ? 0 : -1;
}

/* The path fd refers to, relative to the rootfs. */
static void assert_inside (int fd, const char *want)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink (link, target, sizeof target - 1);
	assert_true (n > 0);
	target[n] = '\0';
	assert_int_equal (strncmp (target, rootfs, strlen (rootfs)), 0);
	assert_string_equal (target + strlen (rootfs), want);
}

static void test_create_nested (void **state)
{
	struct keel_error *err = NULL;
	int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;

	assert_int_equal (mounts_ensure_path (rootfd, "/a/b//c/", true, &fd, &err), 0);
	assert_inside (fd, "/a/b/c");
	close (fd);
	/* A file mount point for a file bind source. */
	assert_int_equal (mounts_ensure_path (rootfd, "/d/e", false, &fd, &err), 0);
	assert_inside (fd, "/d/e");
	{
		struct stat st;
		assert_int_equal (fstat (fd, &st), 0);
		assert_true (S_ISREG (st.st_mode));
	}
	close (fd);
	close (rootfd);
}

static void test_symlinks_stay_inside (void **state)
{
	struct keel_error *err = NULL;
	int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;
	char host[256];

	/* "/abs" -> /etc: the rootfs's /etc, never the host's. */
	snprintf (host, sizeof host, "keel-unit-%d", (int)getpid ());
	{
		char dest[512], p[512];
		snprintf (dest, sizeof dest, "/abs/%s", host);
		assert_int_equal (mounts_ensure_path (rootfd, dest, true, &fd, &err), 0);
		snprintf (p, sizeof p, "/etc/%s", host);
		assert_inside (fd, p);
		close (fd);
		assert_int_equal (access (p, F_OK), -1);
	}
	/* A symlink to something the rootfs lacks is followed inside it (its
	 * target is created there, as runc does), and nothing is created
	 * where it points on the host. */
	assert_int_equal (mounts_ensure_path (rootfd, "/dangling/x", true, &fd, &err), 0);
	snprintf (host, sizeof host, "%s/x", top);
	assert_inside (fd, host);
	close (fd);
	assert_int_equal (access (host, F_OK), -1);
	/* A link to a link, relative, climbing past the top. */
	assert_int_equal (mounts_ensure_path (rootfd, "/chain", false, &fd, &err), 0);
	assert_inside (fd, "/made/file");
	close (fd);
	/* A loop is ELOOP, not a hang. */
	assert_true (mounts_ensure_path (rootfd, "/loop/x", true, &fd, &err) < 0);
	assert_int_equal (err->status, ELOOP);
	keel_error_release (&err);
	/* "/up" -> ../../.. climbs no higher than the rootfs. */
	assert_int_equal (mounts_ensure_path (rootfd, "/up/y", true, &fd, &err), 0);
	assert_inside (fd, "/y");
	close (fd);
	assert_int_equal (mounts_ensure_path (rootfd, "/../../z", true, &fd, &err), 0);
	assert_inside (fd, "/z");
	close (fd);
	/* A file in the way is an error, not a surprise. */
	assert_true (mounts_ensure_path (rootfd, "/file/sub", true, &fd, &err) < 0);
	assert_non_null (strstr (err->msg, "/file/sub"));
	keel_error_release (&err);
	close (rootfd);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_create_nested, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_symlinks_stay_inside, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
