/* lib/proccgroup.c: the one reader of /proc/PID/cgroup.  The unified
 * line is found among v1 lines, a missing one is an error, and "within"
 * compares whole path components. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/proccgroup.h"

static void test_parse (void **state)
{
	char *p;

	(void)state;
	p = proc_cgroup_parse (
	        "12:memory:/a\n1:name=systemd:/init.scope\n0::/keel/containers/web\n");
	assert_string_equal (p, "/keel/containers/web");
	free (p);
	p = proc_cgroup_parse ("0::/"); /* no newline at the end */
	assert_string_equal (p, "/");
	free (p);
	/* a v1-only host: no unified line */
	assert_null (proc_cgroup_parse ("4:cpu,cpuacct:/x\n"));
	assert_null (proc_cgroup_parse (""));
	/* "10::" is not "0::" */
	assert_null (proc_cgroup_parse ("10::/not\n"));
}

static void test_within (void **state)
{
	(void)state;
	assert_true (cgroup_path_within ("/keel/web", "/keel/web"));
	assert_true (cgroup_path_within ("/keel/web/sub", "/keel/web"));
	assert_false (cgroup_path_within ("/keel/webx", "/keel/web"));
	assert_false (cgroup_path_within ("/keel", "/keel/web"));
	assert_true (cgroup_path_within ("/anything", "/"));
	assert_false (cgroup_path_within (NULL, "/"));
	assert_false (cgroup_path_within ("/a", NULL));
}

/* Our own cgroup, read for real: a path, and we are within it. */
static void test_self (void **state)
{
	struct keel_error *err = NULL;
	char *self = NULL;

	(void)state;
	if (proc_cgroup (0, &self, &err) < 0) {
		keel_error_release (&err);
		skip (); /* no cgroup2 mounted in this environment */
	}
	assert_true (self[0] == '/');
	assert_true (cgroup_path_within (self, self));
	free (self);
	assert_true (proc_cgroup (getpid (), &self, &err) == 0);
	free (self);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_parse),
	        cmocka_unit_test (test_within),
	        cmocka_unit_test (test_self),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
