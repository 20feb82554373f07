/* lib/util.h: xasprintf, whose formats of `%s` and literal text alone are
 * joined without printf; every case is checked against snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define SAME(...)                                          \
	do {                                               \
		char want[2048];                           \
		char *got = xasprintf (__VA_ARGS__);       \
		snprintf (want, sizeof want, __VA_ARGS__); \
		assert_string_equal (got, want);           \
		free (got);                                \
	} while (0)

static void test_xasprintf_joins_strings (void **state)
{
	(void)state;
	SAME ("%s/%s", "/sys/fs/cgroup/unified", "keel/kg-1");
	SAME ("%s/cgroup.procs", "/sys/fs/cgroup/cpu/keel");
	SAME ("keel/%s", "");
	SAME ("%s%s%s", "a", "", "c");
	SAME ("plain text");
	SAME ("100%% of %s", "it");
	SAME ("%%s is %s", "literal");
}

static void test_xasprintf_other_conversions (void **state)
{
	char big[600];

	(void)state;
	SAME ("/proc/%d/mountinfo", 42);
	SAME ("%s: %d", "x", -1);
	SAME ("+%.*s", 3, "cpuset");
	SAME ("%5s|", "ab");
	SAME ("%s and %u", "a", 7u);
	memset (big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	SAME ("%s/%d", big, 1); /* beyond the 256-byte first buffer */
	SAME ("%s/%s", big, big);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_xasprintf_joins_strings),
	        cmocka_unit_test (test_xasprintf_other_conversions),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
