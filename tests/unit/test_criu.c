/* runtime/criu.c: the cause keel reports from criu's log, on excerpts of
 * logs criu 3.17 and 4.2 wrote on Linux 6.18. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "runtime/criu.h"

static void expect_cause (const char *log, const char *cause)
{
	char *got = criu_log_cause (log);

	if (cause == NULL)
		assert_null (got);
	else
		assert_string_equal (got, cause);
	free (got);
}

/* A chain: the first line is the cause, the callers' lines follow. */
static void test_chain (void **state)
{
	(void)state;
	expect_cause (
	        "(00.030666) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
	        "(00.030668) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n"
	        "(00.030669) Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed\n"
	        "(00.030680) Found mmap_min_addr 0x10000\n"
	        "(00.030681) files stat: fs/nr_open 1048576\n"
	        "(00.030690) Found task size\n"
	        "(00.030693) Error (criu/crtools.c:260): Could not initialize kernel features "
	        "detection.\n",
	        "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds");
}

/* A probe criu survives comes first, alone: the chain after it wins. */
static void test_lone_probe_then_chain (void **state)
{
	(void)state;
	expect_cause (
	        "(00.037762) Error (criu/tun.c:85): tun: Unable to create tun: Operation not "
	        "permitted\n"
	        "(00.041189) Restoring netdev veth idx 10\n"
	        "(00.041587) Dumping netns links\n"
	        "(00.041603) \tLD: Got link 1, type 772\n"
	        "(00.043891) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
	        "(00.043892) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n",
	        "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds");
}

/* Lone lines only: the last that is not criu's "FAILED." summary. */
static void test_lone_then_summary (void **state)
{
	(void)state;
	expect_cause ("(00.045914) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for "
	              "self: Operation not permitted\n"
	              "(00.050000) Seizing tasks\n"
	              "(00.060000) Collecting\n"
	              "(00.066000) Dumping\n"
	              "(00.067431) Error (criu/cr-dump.c:1681): A session leader of 7749(1) is "
	              "outside of its pid namespace\n"
	              "(00.100000) Unfreezing tasks into 1\n"
	              "(00.110000) \tUnseizing 7749 into 1\n"
	              "(00.120000) \tUnseizing 7750 into 1\n"
	              "(00.136632) Error (criu/cr-dump.c:2128): Dumping FAILED.",
	              "Error (criu/cr-dump.c:1681): A session leader of 7749(1) is outside of its "
	              "pid namespace");
}

/* criu draws a "----" line between a cause and its caller's line. */
static void test_chain_across_separator (void **state)
{
	(void)state;
	expect_cause (
	        "(00.184291) 20241 fdinfo 0: pos: 0 flags: 100000/0\n"
	        "(00.184316) Error (criu/files-reg.c:1790): Can't lookup mount=27 for fd=0 "
	        "path=/tmp/ckb/in\n"
	        "(00.184319) ----------------------------------------\n"
	        "(00.184329) Error (criu/cr-dump.c:1698): Dump files (pid: 20241) failed with "
	        "-1\n",
	        "Error (criu/files-reg.c:1790): Can't lookup mount=27 for fd=0 "
	        "path=/tmp/ckb/in");
}

static void test_no_error (void **state)
{
	(void)state;
	expect_cause ("(00.026540) Warn  (criu/kerndat.c:1642): CRIU was built without "
	              "libnftables support\nLooks good.\n",
	              NULL);
	expect_cause ("", NULL);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_chain),
	        cmocka_unit_test (test_lone_probe_then_chain),
	        cmocka_unit_test (test_lone_then_summary),
	        cmocka_unit_test (test_chain_across_separator),
	        cmocka_unit_test (test_no_error),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
