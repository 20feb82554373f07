/* The helpers' open files (init/launch.c): PID 1 raises its limit, and at
 * that limit, with every descriptor taken, a delete helper still forks (on
 * the two descriptors held in reserve) and reports, so a container's
 * cleanup is never the thing that cannot run.  In a child process: the
 * test runner's own limit is left alone. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/launch.h"
#include "lib/util.h"

/* 0 when all went as expected, else the number of the step that did not */
static int at_the_limit (const char *root, bool exec)
{
	struct keel_runtime rt = {.state_root = root};
	struct keel_error *err = NULL;
	struct rlimit rl = {.rlim_cur = 32, .rlim_max = 64};
	char report[64] = "";
	int fd, pidfd = -2, status, n = 0;
	pid_t helper;

	if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
		return 1;
	if (launch_raise_nofile (&err) < 0)
		return 2;
	if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
		return 3; /* the soft limit went up to the hard one at least */
	while (open ("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
		n++;
	if (errno != EMFILE || n == 0)
		return 4;
	if (launch_fork (LAUNCH_DELETE, &rt, "kfl-gone", NULL, NULL, NULL, NULL, NULL, NULL,
	                 &helper, &pidfd, &fd, &err) < 0) {
		keel_error_print (stderr, "launch_fork", &err);
		return 5;
	}
	if (exec) {
		/* exec'd: no SIGCHLD, a pidfd; waitpid needs __WALL */
		if (pidfd < 0)
			return 8;
		close (pidfd);
		if (waitpid (helper, &status, __WALL) != helper)
			return 6;
	} else if (pidfd != -1 || waitpid (helper, &status, 0) != helper) {
		return 6;
	}
	if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
		return 6;
	if (read (fd, report, sizeof report - 1) <= 0 || strcmp (report, "S\n") != 0)
		return 7; /* deleting what is not there is a success */
	return 0;
}

/* The keel binary of this build: tests/test_launch's ../keel. */
static char *keel_binary (void)
{
	static char path[4096];
	ssize_t n = readlink ("/proc/self/exe", path, sizeof path - 16);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	if ((slash = strrchr (path, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if ((slash = strrchr (path, '/')) == NULL)
		return NULL;
	strcpy (slash, "/keel");
	return access (path, X_OK) == 0 ? path : NULL;
}

static void run_at_the_limit (bool exec)
{
	char root[] = "/tmp/kfl-launch.XXXXXX";
	int status;
	pid_t pid;

	/* valgrind keeps descriptors of its own above the soft limit and
	 * refuses the setrlimit this test is about. */
	const char *pre = getenv ("LD_PRELOAD");
	if (pre && strstr (pre, "vgpreload")) {
		print_message ("under valgrind: RLIMIT_NOFILE is valgrind's own\n");
		skip ();
	}
	assert_non_null (mkdtemp (root));
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		if (exec)
			launch_exec_from (keel_binary ());
		_exit (at_the_limit (root, exec));
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
	rmdir (root);
}

static void test_delete_at_the_fd_limit (void **state)
{
	(void)state;
	run_at_the_limit (false);
}

/* The same with the helper exec'd from keel's binary (as PID 1 does). */
static void test_delete_exec_at_the_fd_limit (void **state)
{
	(void)state;
	if (keel_binary () == NULL)
		skip ();
	run_at_the_limit (true);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_delete_at_the_fd_limit),
	        cmocka_unit_test (test_delete_exec_at_the_fd_limit),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
