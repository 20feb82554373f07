/* How linux.namespaces turns into the clone3 flags, the namespaces the
 * child unshares itself, and the ones joined by path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "runtime/namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void plan (struct spec_namespace *ns, size_t n, struct ns_plan *p, int expect_ret)
{
	struct spec s = {0};
	struct keel_error *err = NULL;

	s.linux_.namespaces = ns;
	s.linux_.n_namespaces = n;
	if (expect_ret == 0) {
		assert_int_equal (ns_plan_make (&s, p, &err), 0);
	} else {
		assert_true (ns_plan_make (&s, p, &err) < 0);
		keel_error_release (&err);
	}
}

static void test_all_new (void **state)
{
	struct spec_namespace ns[] = {{NS_PID, NULL},    {NS_NETWORK, NULL}, {NS_MOUNT, NULL},
	                              {NS_IPC, NULL},    {NS_UTS, NULL},     {NS_USER, NULL},
	                              {NS_CGROUP, NULL}, {NS_TIME, NULL}};
	struct ns_plan p;

	plan (ns, 8, &p, 0);
	/* One clone3 for these ... */
	assert_int_equal (p.clone_flags, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
	                                         CLONE_NEWUTS | CLONE_NEWUSER);
	/* ... and these are unshared by the child once it is in its cgroup. */
	assert_true (p.unshare_cgroup);
	assert_true (p.unshare_time);
	assert_true (p.new_user && p.in_userns && p.has_uts && p.new_pid);
	assert_false (p.fork_after_join);
	ns_plan_close (&p);
}

static void test_join_by_path (void **state)
{
	struct spec_namespace ns[] = {
	        {NS_NETWORK, (char *)"/proc/self/ns/net"}, {NS_MOUNT, NULL}, {NS_PID, NULL}};
	struct ns_plan p;

	plan (ns, 3, &p, 0);
	assert_true (p.join_fd[NS_NETWORK] >= 0);
	assert_int_equal (p.clone_flags, CLONE_NEWNS | CLONE_NEWPID);
	ns_plan_close (&p);
	assert_int_equal (p.join_fd[NS_NETWORK], -1);
}

static void test_join_user (void **state)
{
	struct spec_namespace ns[] = {
	        {NS_USER, (char *)"/proc/self/ns/user"}, {NS_MOUNT, NULL}, {NS_PID, NULL}};
	struct ns_plan p;

	plan (ns, 3, &p, 0);
	/* New namespaces must belong to the joined user namespace: the child
	 * unshares them after setns, and forks into the new pid namespace. */
	assert_int_equal (p.clone_flags, 0);
	assert_int_equal (p.unshare_flags, CLONE_NEWNS | CLONE_NEWPID);
	assert_true (p.fork_after_join);
	assert_true (p.in_userns);
	ns_plan_close (&p);
}

static void test_bad_path (void **state)
{
	struct spec_namespace ns[] = {{NS_IPC, (char *)"/nonexistent/ns"}};
	struct spec s = {0};
	struct keel_error *err = NULL;
	struct ns_plan p;

	s.linux_.namespaces = ns;
	s.linux_.n_namespaces = 1;
	assert_true (ns_plan_make (&s, &p, &err) < 0);
	assert_int_equal (err->status, ENOENT);
	assert_string_equal (err->msg, "linux.namespaces[0]: ipc namespace `/nonexistent/ns`");
	keel_error_release (&err);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_all_new),
	        cmocka_unit_test (test_join_by_path),
	        cmocka_unit_test (test_join_user),
	        cmocka_unit_test (test_bad_path),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
