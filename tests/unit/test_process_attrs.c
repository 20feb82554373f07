/* process-attrs for real: each attribute is applied in a forked child that
 * reads it back from the kernel. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <grp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "runtime/process-attrs.h"
#include "tests/unit/linux-helpers.h"

/* ---- rlimits ----------------------------------------------------------- */

static int rlimit_child (void *arg, int out)
{
	struct spec_process *p = arg;
	struct keel_error *err = NULL;
	struct rlimit nofile, core;

	if (process_apply_rlimits (p, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	getrlimit (RLIMIT_NOFILE, &nofile);
	getrlimit (RLIMIT_CORE, &core);
	report (out, "nofile=%llu/%llu\ncore=%llu/%llu\n", (unsigned long long)nofile.rlim_cur,
	        (unsigned long long)nofile.rlim_max, (unsigned long long)core.rlim_cur,
	        (unsigned long long)core.rlim_max);
	return 0;
}

static void test_rlimits (void **state)
{
	struct spec_rlimit rl[] = {
	        {RLIMIT_CORE, "RLIMIT_CORE", 0, 4096},
	        {RLIMIT_NOFILE, "RLIMIT_NOFILE", 100, 200},
	};
	struct spec_process p = {.rlimits = rl, .n_rlimits = 2};
	struct child_report r;

	need_root ();
	/* valgrind refuses any RLIMIT_NOFILE hard limit but its own. */
	if (under_valgrind ())
		p.n_rlimits = 1;
	run_child (rlimit_child, &p, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "core"), "0/4096");
	if (under_valgrind ())
		printf ("# under valgrind: RLIMIT_NOFILE not checked\n");
	else
		assert_string_equal (report_value (&r, "nofile"), "100/200");
}

static void test_rlimit_soft_above_hard (void **state)
{
	struct spec_rlimit rl[] = {{RLIMIT_NOFILE, "RLIMIT_NOFILE", 300, 200}};
	struct spec_process p = {.rlimits = rl, .n_rlimits = 1};
	struct child_report r;

	run_child (rlimit_child, &p, &r);
	assert_false (child_ok (&r));
	assert_non_null (strstr (r.buf, "error: setrlimit RLIMIT_NOFILE (soft 300, hard 200)"));
}

/* ---- oom_score_adj, scheduler, io priority, personality ----------------- */

static int oom_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	char *v = NULL;

	if (process_apply_oom_score_adj (arg, &err) < 0 ||
	    read_file ("/proc/self/oom_score_adj", 0, &v, NULL, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	report (out, "oom=%s", v);
	free (v);
	return 0;
}

static void test_oom_score_adj (void **state)
{
	struct spec_process p = {.has_oom_score_adj = true, .oom_score_adj = 500};
	struct child_report r;

	run_child (oom_child, &p, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "oom"), "500");
}

static int sched_child (void *arg, int out)
{
	struct keel_error *err = NULL;

	if (process_apply_scheduler (arg, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	errno = 0;
	report (out, "policy=%d\nnice=%d\n", sched_getscheduler (0), getpriority (PRIO_PROCESS, 0));
	return 0;
}

static void test_scheduler_batch (void **state)
{
	struct spec_process p = {.scheduler = {.present = true, .policy = SCHED_BATCH, .nice = 7}};
	struct child_report r;

	run_child (sched_child, &p, &r);
	assert_true (child_ok (&r));
	assert_int_equal (atoi (report_value (&r, "policy")), SCHED_BATCH);
	assert_string_equal (report_value (&r, "nice"), "7");
}

static void test_scheduler_fifo (void **state)
{
	struct spec_process p = {
	        .scheduler = {.present = true, .policy = SCHED_FIFO, .priority = 10}};
	struct child_report r;

	need_root ();
	run_child (sched_child, &p, &r);
	if (!child_ok (&r) && strstr (r.buf, "Operation not permitted"))
		skip_because (
		        "the kernel refuses SCHED_FIFO here (no RT bandwidth for this cgroup)");
	assert_true (child_ok (&r));
	assert_int_equal (atoi (report_value (&r, "policy")), SCHED_FIFO);
}

static void test_scheduler_invalid (void **state)
{
	struct spec_process p = {
	        .scheduler = {.present = true, .policy = SCHED_OTHER, .priority = 10}};
	struct child_report r;

	run_child (sched_child, &p, &r);
	assert_false (child_ok (&r));
	assert_non_null (strstr (r.buf, "error: sched_setattr (policy 0, priority 10, nice 0)"));
}

static int ioprio_child (void *arg, int out)
{
	struct keel_error *err = NULL;

	if (process_apply_io_priority (arg, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	report (out, "ioprio=%ld\n", syscall (SYS_ioprio_get, 1, 0));
	return 0;
}

static void test_io_priority (void **state)
{
	struct spec_process p = {.io_priority = {.present = true, .class = 2, .priority = 5}};
	struct child_report r;

	run_child (ioprio_child, &p, &r);
	assert_true (child_ok (&r));
	assert_int_equal (atoi (report_value (&r, "ioprio")), (2 << 13) | 5);
}

static int personality_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	struct utsname u;

	if (personality_apply (arg, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	uname (&u);
	report (out, "persona=%d\nmachine=%s\n", personality (0xffffffff), u.machine);
	return 0;
}

static void test_personality_linux32 (void **state)
{
	struct spec_personality pers = {.present = true, .domain = PER_LINUX32};
	struct child_report r;

	run_child (personality_child, &pers, &r);
	assert_true (child_ok (&r));
	assert_int_equal (atoi (report_value (&r, "persona")), PER_LINUX32);
#ifdef __x86_64__
	assert_string_equal (report_value (&r, "machine"), "i686");
#endif
}

static int affinity_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	cpu_set_t set;

	if (process_apply_cpu_affinity (arg, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	sched_getaffinity (0, sizeof set, &set);
	report (out, "count=%d\ncpu0=%d\n", CPU_COUNT (&set), CPU_ISSET (0, &set) ? 1 : 0);
	return 0;
}

static void test_cpu_affinity (void **state)
{
	static const char *const bad[] = {"", "a", "1-", "3-1", "0,,1", "0-99999"};
	struct child_report r;

	run_child (affinity_child, (void *)"0", &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "count"), "1");
	assert_string_equal (report_value (&r, "cpu0"), "1");
	for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
		run_child (affinity_child, (void *)bad[i], &r);
		assert_false (child_ok (&r));
		assert_non_null (strstr (r.buf, "execCPUAffinity: invalid cpu list"));
	}
	run_child (affinity_child, NULL, &r);
	assert_true (child_ok (&r));
}

/* ---- user ---------------------------------------------------------------- */

struct user_case {
	struct spec_user u;
	bool no_setgroups;
};

static int user_child (void *arg, int out)
{
	struct user_case *c = arg;
	struct keel_error *err = NULL;
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[16];
	int n;
	mode_t old;

	if (user_apply (&c->u, c->no_setgroups, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	getresuid (&ru, &eu, &su);
	getresgid (&rg, &eg, &sg);
	n = getgroups (16, groups);
	old = umask (0);
	report (out, "uids=%u,%u,%u\ngids=%u,%u,%u\numask=%03o\n", ru, eu, su, rg, eg, sg, old);
	report (out, "groups=");
	for (int i = 0; i < n; i++)
		report (out, "%s%u", i ? "," : "", groups[i]);
	report (out, "\n");
	return 0;
}

static void test_user_switch (void **state)
{
	static gid_t extra[] = {10, 20};
	struct user_case c = {
	        .u = {.uid = 1234,
	              .gid = 4321,
	              .additional_gids = extra,
	              .n_additional_gids = 2,
	              .has_umask = true,
	              .umask = 027},
	};
	struct child_report r;

	need_root ();
	run_child (user_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "uids"), "1234,1234,1234");
	assert_string_equal (report_value (&r, "gids"), "4321,4321,4321");
	assert_string_equal (report_value (&r, "groups"), "10,20");
	assert_string_equal (report_value (&r, "umask"), "027");
}

static void test_user_clears_groups (void **state)
{
	struct user_case c = {.u = {.uid = 0, .gid = 0}};
	struct child_report r;

	need_root ();
	run_child (user_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "groups"), "");
}

static void test_user_setgroups_denied (void **state)
{
	static gid_t extra[] = {10};
	struct user_case c = {
	        .u = {.uid = 0, .gid = 0, .additional_gids = extra, .n_additional_gids = 1},
	        .no_setgroups = true,
	};
	struct child_report r;

	run_child (user_child, &c, &r);
	assert_false (child_ok (&r));
	assert_non_null (strstr (r.buf, "additionalGids: setgroups is denied"));
}

/* ---- sysctl -------------------------------------------------------------- */

static struct spec_namespace all_ns[] = {{NS_IPC, NULL}, {NS_NETWORK, NULL}, {NS_UTS, NULL}};

static int check_key (const char *key, struct spec_namespace *ns, size_t n, char **msg)
{
	struct spec s = {.linux_ = {.namespaces = ns, .n_namespaces = n}};
	struct spec_kv kv = {(char *)key, (char *)"1"};
	struct spec_map m = {&kv, 1};
	struct keel_error *err = NULL;
	int ret = sysctl_validate (&m, &s, &err);

	*msg = ret < 0 ? xstrdup (err->msg) : NULL;
	keel_error_release (&err);
	return ret;
}

static void expect_key (const char *key, size_t n_ns, const char *error_part)
{
	char *msg = NULL;
	int ret = check_key (key, all_ns, n_ns, &msg);

	if (error_part == NULL) {
		if (ret < 0)
			printf ("# unexpected: %s\n", msg);
		assert_int_equal (ret, 0);
	} else {
		assert_true (ret < 0);
		if (strstr (msg, error_part) == NULL)
			printf ("# got: %s\n", msg);
		assert_non_null (strstr (msg, error_part));
	}
	free (msg);
}

static void test_sysctl_validation (void **state)
{
	expect_key ("kernel.shmmax", 1, NULL);
	expect_key ("kernel.msgmnb", 1, NULL);
	expect_key ("fs.mqueue.queues_max", 1, NULL);
	expect_key ("kernel.shmmax", 0, "needs an ipc namespace");
	expect_key ("net.ipv4.ip_forward", 2, NULL);
	expect_key ("net/ipv4/conf/eth0.100/forwarding", 2, NULL);
	expect_key ("net.ipv4.ip_forward", 1, "needs a network namespace");
	expect_key ("kernel.hostname", 3, NULL);
	expect_key ("kernel.domainname", 2, "needs a uts namespace");
	expect_key ("vm.swappiness", 3, "is not namespaced");
	expect_key ("kernel.sysrq", 3, "is not namespaced");
	expect_key ("net.ipv4..ip_forward", 3, "invalid key");
	expect_key ("net/../../kernel/sysrq", 3, "invalid key");
}

static void test_sysctl_host_netns (void **state)
{
	struct spec_namespace ns[] = {{NS_NETWORK, (char *)"/proc/self/ns/net"}};
	char *msg = NULL;

	assert_true (check_key ("net.ipv4.ip_forward", ns, 1, &msg) < 0);
	assert_non_null (strstr (msg, "host's network namespace"));
	free (msg);
}

static int sysctl_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	struct spec s = {.linux_ = {.namespaces = all_ns, .n_namespaces = 3}};
	struct spec_kv kv[] = {
	        {(char *)"kernel.shmmni", (char *)"1234"},
	        {(char *)"net.ipv4.ip_forward", (char *)"1"},
	        {(char *)"kernel.hostname", (char *)"keel-sysctl"},
	};
	struct spec_map m = {kv, 3};
	char *a = NULL, *b = NULL;
	struct utsname u;

	if (unshare (CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS) < 0) {
		report (out, "skip: unshare: %s\n", strerror (errno));
		return 0;
	}
	if (sysctl_apply (&m, &s, &err) < 0 ||
	    read_file ("/proc/sys/kernel/shmmni", 0, &a, NULL, &err) < 0 ||
	    read_file ("/proc/sys/net/ipv4/ip_forward", 0, &b, NULL, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	uname (&u);
	report (out, "shmmni=%sforward=%shostname=%s\n", a, b, u.nodename);
	free (a);
	free (b);
	return 0;
}

static void test_sysctl_apply (void **state)
{
	struct child_report r;

	need_root ();
	run_child (sysctl_child, NULL, &r);
	if (report_value (&r, "skip"))
		skip_because ("%s", report_value (&r, "skip"));
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "shmmni"), "1234");
	assert_string_equal (report_value (&r, "forward"), "1");
	assert_string_equal (report_value (&r, "hostname"), "keel-sysctl");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_rlimits),
	        cmocka_unit_test (test_rlimit_soft_above_hard),
	        cmocka_unit_test (test_oom_score_adj),
	        cmocka_unit_test (test_scheduler_batch),
	        cmocka_unit_test (test_scheduler_fifo),
	        cmocka_unit_test (test_scheduler_invalid),
	        cmocka_unit_test (test_io_priority),
	        cmocka_unit_test (test_personality_linux32),
	        cmocka_unit_test (test_cpu_affinity),
	        cmocka_unit_test (test_user_switch),
	        cmocka_unit_test (test_user_clears_groups),
	        cmocka_unit_test (test_user_setgroups_denied),
	        cmocka_unit_test (test_sysctl_validation),
	        cmocka_unit_test (test_sysctl_host_netns),
	        cmocka_unit_test (test_sysctl_apply),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
