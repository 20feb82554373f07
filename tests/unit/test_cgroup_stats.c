/* cgroup-stats.c's readers on files laid out as the kernel writes them, in
 * a temporary directory: the v2 path (which this hybrid host never takes
 * for real) and v1's per-hierarchy lookup.  runtime-events.sh checks the
 * same against a live container's cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup-stats.h"

static char dir[64];

static void put (const char *sub, const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf (path, sizeof path, "%s%s/%s", dir, sub, file);
	f = fopen (path, "w");
	assert_non_null (f);
	fputs (text, f);
	fclose (f);
}

/* A value at a dotted path ("memory.usage.limit") as a string. */
static const char *at (json_object *o, const char *path)
{
	char buf[128], *tok, *save = NULL;

	snprintf (buf, sizeof buf, "%s", path);
	for (tok = strtok_r (buf, ".", &save); tok && o; tok = strtok_r (NULL, ".", &save))
		if (!json_object_object_get_ex (o, tok, &o))
			return "(absent)";
	return json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN);
}

static int setup (void **state)
{
	(void)state;
	snprintf (dir, sizeof dir, "/tmp/keel-unit-stats.XXXXXX");
	return mkdtemp (dir) ? 0 : -1;
}

static int teardown (void **state)
{
	char cmd[128];

	(void)state;
	snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system (cmd) == 0 ? 0 : -1;
}

static void test_v2 (void **state)
{
	struct keel_state st = {.id = "c", .cgroup_path = dir};
	struct keel_error *err = NULL;
	json_object *o = NULL;

	(void)state;
	put ("", "cpu.stat",
	     "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\n"
	     "nr_throttled 2\nthrottled_usec 30\n");
	put ("", "memory.current", "4096\n");
	put ("", "memory.max", "max\n");
	put ("", "memory.stat", "anon 1024\nfile 2048\n");
	put ("", "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	put ("", "pids.current", "2\n");
	put ("", "pids.max", "max\n");
	put ("", "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	put ("", "hugetlb.2MB.current", "0\n");
	put ("", "hugetlb.2MB.rsvd.current", "0\n");
	put ("", "hugetlb.2MB.events", "max 4\n");
	put ("", "cpuset.cpus.effective", "0-2,5\n");
	assert_int_equal (cgroup_stats_json (&st, &o, &err), 0);
	assert_string_equal (at (o, "cpu.usage.total"), "1500000");
	assert_string_equal (at (o, "cpu.usage.kernel"), "500000");
	assert_string_equal (at (o, "cpu.usage.user"), "1000000");
	assert_string_equal (at (o, "cpu.throttling.throttledTime"), "30000");
	assert_string_equal (at (o, "memory.usage.usage"), "4096");
	assert_string_equal (at (o, "memory.usage.limit"), "18446744073709551615");
	assert_string_equal (at (o, "memory.usage.failcnt"), "3");
	assert_string_equal (at (o, "memory.cache"), "2048");
	assert_string_equal (at (o, "memory.raw.anon"), "1024");
	assert_string_equal (at (o, "pids.current"), "2");
	assert_string_equal (at (o, "pids.limit"), "(absent)"); /* "max": runc's 0, omitted */
	assert_string_equal (at (o, "blkio.ioServiceBytesRecursive"),
	                     "[{\"major\":8,\"op\":\"Read\",\"value\":10},"
	                     "{\"major\":8,\"op\":\"Write\",\"value\":20}]");
	assert_string_equal (at (o, "hugetlb"), "{\"2MB\":{\"failcnt\":4}}");
	assert_string_equal (at (o, "cpuset.cpus"), "[0,1,2,5]");
	json_object_put (o);
}

static void test_v1 (void **state)
{
	char mem[128], acct[128];
	char *paths[2] = {mem, acct};
	struct keel_state st = {.id = "c", .cgroup_v1 = {.v = paths, .n = 2}};
	struct keel_error *err = NULL;
	json_object *o = NULL;

	(void)state;
	snprintf (mem, sizeof mem, "%s/memory", dir);
	snprintf (acct, sizeof acct, "%s/cpuacct", dir);
	assert_int_equal (mkdir (mem, 0755), 0);
	assert_int_equal (mkdir (acct, 0755), 0);
	put ("/memory", "memory.usage_in_bytes", "8192\n");
	put ("/memory", "memory.limit_in_bytes", "67108864\n");
	put ("/memory", "memory.failcnt", "0\n");
	put ("/memory", "memory.stat", "cache 4096\nrss 100\n");
	put ("/cpuacct", "cpuacct.usage", "777\n");
	put ("/cpuacct", "cpuacct.usage_percpu", "700 77 \n");
	put ("/cpuacct", "cpuacct.stat", "user 2\nsystem 1\n");
	assert_int_equal (cgroup_stats_json (&st, &o, &err), 0);
	assert_string_equal (at (o, "memory.usage.usage"), "8192");
	assert_string_equal (at (o, "memory.usage.limit"), "67108864");
	assert_string_equal (at (o, "memory.cache"), "4096");
	assert_string_equal (at (o, "cpu.usage.total"), "777");
	assert_string_equal (at (o, "cpu.usage.percpu"), "[700,77]");
	assert_string_equal (at (o, "cpu.usage.kernel"), "10000000"); /* 1 tick at 100 Hz */
	json_object_put (o);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_v2, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_v1, setup, teardown),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
