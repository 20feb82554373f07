/* The protected self-copy (lib/selfclone.c: a private overlayfs or a sealed
 * memfd) and which runtime command lines need it (keel_runtime_spawns in
 * runtime/cli/main.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/selfclone.h"
#include "runtime/cli/cli.h"

static bool spawns (char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return keel_runtime_spawns (argc, argv);
}

static void test_spawns (void **state)
{
	(void)state;
	assert_true (spawns ((char *[]){"keel-runtime", "create", "x", NULL}));
	assert_true (spawns ((char *[]){"runtime", "run", "--bundle", "b", "x", NULL}));
	assert_true (spawns ((char *[]){"keel-runtime", "exec", "x", "sh", NULL}));
	/* values of global options are not the command */
	assert_true (spawns ((char *[]){"r", "--root", "run", "--log", "state", "create", NULL}));
	assert_true (spawns ((char *[]){"r", "--root=/x", "--debug", "run", "x", NULL}));
	assert_true (spawns ((char *[]){"r", "--", "create", "x", NULL}));
	assert_false (spawns ((char *[]){"r", "--root", "create", "state", "x", NULL}));
	assert_false (spawns ((char *[]){"r", "start", "x", NULL}));
	assert_false (spawns ((char *[]){"r", "delete", "run", NULL}));
	assert_false (spawns ((char *[]){"r", "--log-format", "json", "list", NULL}));
	assert_false (spawns ((char *[]){"r", "--version", NULL}));
	assert_false (spawns ((char *[]){"r", NULL}));
}

static void test_not_sealed (void **state)
{
	struct keel_error *err = NULL;

	(void)state;
	/* The test binary runs from its file, not from a sealed copy. */
	assert_int_equal (selfclone_is_protected (&err), 0);
	assert_null (err);
}

static char *self_argv0;

/* The test binary re-executed by selfclone_exec with `sealed-child`. */
static int sealed_child (char **argv)
{
	struct keel_error *err = NULL;
	int fd;

	if (selfclone_is_protected (&err) != 1)
		return 1;
	/* Already a sealed copy: no second exec (no loop), just 0. */
	if (selfclone_exec (argv, 0, &err) != 0)
		return 2;
	/* Whoever may open it for writing still cannot change it. */
	fd = open ("/proc/self/exe", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0 && write (fd, "x", 1) >= 0)
		return 3;
	/* Which of the two: a memfd carries seals, the overlay does not. */
	fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 4;
	if (fcntl (fd, F_GET_SEALS) >= 0)
		return 10;
	{
		struct statfs sfs;
		if (fstatfs (fd, &sfs) == 0 && sfs.f_type == 0x794c7630)
			return 11;
	}
	return 5;
}

/* Run the test binary through selfclone_exec (flags) as `sealed-child`;
 * its exit status. */
static int exec_child (unsigned flags)
{
	char *argv[] = {self_argv0, "sealed-child", NULL};
	int status = -1;
	pid_t pid;

	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		struct keel_error *err = NULL;
		selfclone_exec (argv, flags, &err);
		_exit (99); /* the exec failed */
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	return WEXITSTATUS (status);
}

static void test_exec_sealed (void **state)
{
	(void)state;
	/* Without SELFCLONE_OVERLAY: always the memfd. */
	assert_int_equal (exec_child (0), 10);
}

/* Can this process make the private overlay?  Root, overlayfs, and
 * statmount (Linux 6.8), which the exec'd binary needs to recognise it. */
static bool overlay_possible (void)
{
	int fd;

	if (geteuid () != 0 || (syscall (457, NULL, NULL, 0, 0) < 0 && errno == ENOSYS))
		return false;
	fd = (int)syscall (SYS_fsopen, "overlay", 0);
	if (fd < 0)
		return false;
	close (fd);
	return true;
}

static void test_exec_overlay (void **state)
{
	(void)state;
	/* The overlay where it can be made, else the memfd; either way the
	 * child found itself protected and its binary unwritable. */
	assert_int_equal (exec_child (SELFCLONE_OVERLAY), overlay_possible () ? 11 : 10);
}

/* Run from an overlayfs like the private one, but mounted somewhere (in a
 * mount namespace of the test's own): read-only, no upper layer, yet
 * named by a path, so it is not taken as protected; asked to, the binary
 * moves on to a private overlay of its own (exit 11 from sealed_child). */
static int attached_child (char **argv)
{
	struct keel_error *err = NULL;
	char *next[] = {argv[0], "sealed-child", NULL};

	if (selfclone_is_protected (&err) != 0)
		return 20;
	selfclone_exec (next, SELFCLONE_OVERLAY, &err);
	return 21;
}

static void test_attached_overlay (void **state)
{
	char self[PATH_MAX], dir[] = "/tmp/keel-test-ovl.XXXXXX", lower[PATH_MAX + 16];
	int status = -1;
	ssize_t n;
	pid_t pid;

	(void)state;
	if (!overlay_possible ()) {
		skip ();
		return;
	}
	n = readlink ("/proc/self/exe", self, sizeof self - 1);
	assert_true (n > 0);
	self[n] = '\0';
	assert_non_null (mkdtemp (dir));
	snprintf (lower, sizeof lower, "lowerdir=%.*s:/dev",
	          (int)(strrchr (self, '/') - self), self);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		char exe[PATH_MAX + 64];
		char *argv[] = {exe, "attached-child", NULL};
		if (unshare (CLONE_NEWNS) < 0 ||
		    mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount ("overlay", dir, "overlay", MS_RDONLY, lower) < 0)
			_exit (98);
		snprintf (exe, sizeof exe, "%s%s", dir, strrchr (self, '/'));
		execv (exe, argv);
		_exit (99);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	rmdir (dir);
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 11);
}

int main (int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_spawns),
	        cmocka_unit_test (test_not_sealed),
	        cmocka_unit_test (test_exec_sealed),
	        cmocka_unit_test (test_exec_overlay),
	        cmocka_unit_test (test_attached_overlay),
	};

	if (argc > 1 && strcmp (argv[1], "sealed-child") == 0)
		return sealed_child (argv);
	if (argc > 1 && strcmp (argv[1], "attached-child") == 0)
		return attached_child (argv);
	self_argv0 = argv[0];
	return cmocka_run_group_tests (tests, NULL, NULL);
}
