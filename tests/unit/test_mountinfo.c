/* lib/mountinfo.c: the fields of proc(5)'s mountinfo lines, escapes undone,
 * optional fields skipped, a broken line an error, the walk stopped by a
 * callback's non-zero return. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/mountinfo.h"
#include "lib/util.h"

static char *write_tmp (const char *text)
{
	char *path = xstrdup ("/tmp/keel-mountinfo-XXXXXX");
	int fd = mkstemp (path);

	assert_true (fd >= 0);
	assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
	close (fd);
	return path;
}

struct seen {
	char lines[8][512];
	int n, stop_at;
};

static int record (const struct mountinfo *m, void *data)
{
	struct seen *s = data;

	snprintf (s->lines[s->n], sizeof s->lines[0], "%d %d [%s] [%s] [%s] [%s] [%s] [%s]", m->id,
	          m->parent, m->root, m->mountpoint, m->options, m->fstype, m->source,
	          m->super_options);
	return ++s->n == s->stop_at;
}

static void test_fields (void **state)
{
	(void)state;
	cleanup_free char *p = write_tmp (
	        "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
	        "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 propagate_from:2 - ext3 "
	        "/dev/r\\134oot rw,errors=continue\n"
	        "40 22 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n");
	struct seen s = {.stop_at = -1};
	struct keel_error *err = NULL;

	assert_int_equal (mountinfo_foreach (p, record, &s, &err), 0);
	assert_int_equal (s.n, 3);
	assert_string_equal (s.lines[0], "22 1 [/] [/proc] [rw,nosuid] [proc] [proc] [rw]");
	assert_string_equal (s.lines[1], "36 35 [/mnt1] [/mnt two] [rw,noatime] [ext3] "
	                                 "[/dev/r\\oot] [rw,errors=continue]");
	assert_string_equal (s.lines[2], "40 22 [/] [/sys/fs/cgroup/unified] [rw] [cgroup2] "
	                                 "[cgroup2] [rw,nsdelegate]");
	unlink (p);
}

static void test_stop_and_errors (void **state)
{
	(void)state;
	cleanup_free char *p = write_tmp ("1 0 0:1 / / rw - rootfs rootfs rw\n"
	                                  "2 1 0:2 / /a rw - tmpfs tmpfs rw\n");
	cleanup_free char *bad = write_tmp ("1 0 0:1 / / rw - rootfs rootfs rw\n"
	                                    "this is not mountinfo\n");
	struct seen s = {.stop_at = 1};
	struct keel_error *err = NULL;

	assert_int_equal (mountinfo_foreach (p, record, &s, &err), 1);
	assert_int_equal (s.n, 1);
	s = (struct seen){.stop_at = -1};
	assert_true (mountinfo_foreach (bad, record, &s, &err) < 0);
	assert_non_null (err);
	assert_non_null (strstr (err->msg, "does not parse"));
	keel_error_release (&err);
	assert_true (mountinfo_foreach ("/nonexistent/mountinfo", record, &s, &err) < 0);
	assert_int_equal (err->status, ENOENT);
	keel_error_release (&err);
	unlink (p);
	unlink (bad);
}

static int fail_second (const struct mountinfo *m, void *data)
{
	(void)m;
	return ++*(int *)data == 2 ? -ENOMEM : 0;
}

static void test_callback_error (void **state)
{
	(void)state;
	cleanup_free char *p = write_tmp ("1 0 0:1 / / rw - rootfs rootfs rw\n"
	                                  "2 1 0:2 / /a rw - tmpfs tmpfs rw\n");
	struct keel_error *err = NULL;
	int calls = 0;

	assert_true (mountinfo_foreach (p, fail_second, &calls, &err) < 0);
	assert_int_equal (calls, 2);
	assert_int_equal (err->status, ENOMEM);
	keel_error_release (&err);
	unlink (p);
}

/* Only the lines of the filesystem type asked for (a prefix: "cgroup"
 * is cgroup and cgroup2), found past optional fields and paths holding
 * '-'; the others are not split into fields. */
static void test_fstype (void **state)
{
	(void)state;
	cleanup_free char *p = write_tmp (
	        "22 1 0:21 / /run/user-0 rw,nosuid shared:12 - tmpfs a-b rw\n"
	        "30 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw master:3 - cgroup cgroup rw,cpu\n"
	        "31 22 0:27 / /x-y rw - ext4 /dev/sda rw\n"
	        "40 22 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
	struct seen s = {.stop_at = -1};
	struct keel_error *err = NULL;

	assert_int_equal (mountinfo_foreach_fstype (p, "cgroup", record, &s, &err), 0);
	assert_int_equal (s.n, 2);
	assert_string_equal (s.lines[0], "30 22 [/] [/sys/fs/cgroup/cpu,cpuacct] [rw] [cgroup] "
	                                 "[cgroup] [rw,cpu]");
	assert_string_equal (s.lines[1], "40 22 [/] [/sys/fs/cgroup/unified] [rw] [cgroup2] "
	                                 "[cgroup2] [rw]");
	s = (struct seen){.stop_at = -1};
	assert_int_equal (mountinfo_foreach_fstype (p, "cgroup2", record, &s, &err), 0);
	assert_int_equal (s.n, 1);
	s = (struct seen){.stop_at = -1};
	assert_int_equal (mountinfo_foreach_fstype (p, "proc", record, &s, &err), 0);
	assert_int_equal (s.n, 0);
	unlink (p);
}

static void test_self (void **state)
{
	(void)state;
	struct seen s = {.stop_at = 1};
	struct keel_error *err = NULL;

	/* The real file parses; "/" is among the first entries. */
	assert_int_equal (mountinfo_foreach ("/proc/self/mountinfo", record, &s, &err), 1);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_fields),         cmocka_unit_test (test_stop_and_errors),
	        cmocka_unit_test (test_callback_error), cmocka_unit_test (test_fstype),
	        cmocka_unit_test (test_self),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
