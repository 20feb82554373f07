/* The end of PID 1: shutdown_unmount_all reads mountinfo through
 * libmount, so a mount point with a space ("\040" in mountinfo) is
 * unmounted like any other, children before parents.  Run in a private
 * mount namespace of a child process, limited to a temporary directory:
 * the host's mounts are never touched. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmount.h>

#include "init/shutdown.h"

static char dir[] = "/tmp/kcore-umount-XXXXXX";

static bool mounted (const char *target)
{
	struct libmnt_table *tb = mnt_new_table ();
	bool found;

	if (tb == NULL || mnt_table_parse_file (tb, "/proc/self/mountinfo") < 0)
		return true; /* cannot tell: count as a failure */
	found = mnt_table_find_target (tb, target, MNT_ITER_FORWARD) != NULL;
	mnt_unref_table (tb);
	return found;
}

/* In the child: 0 when everything went as expected, else the step. */
static int child (void)
{
	char space[256], inner[256], plain[256];

	snprintf (space, sizeof space, "%s/with space", dir);
	snprintf (inner, sizeof inner, "%s/with space/in ner", dir);
	snprintf (plain, sizeof plain, "%s/plain", dir);
	if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	if (mkdir (space, 0700) < 0 || mkdir (plain, 0700) < 0)
		return 11;
	if (mount ("tmpfs", space, "tmpfs", 0, "size=64k") < 0)
		return 12;
	if (mkdir (inner, 0700) < 0 || mount ("tmpfs", inner, "tmpfs", 0, "size=64k") < 0)
		return 13;
	if (mount ("tmpfs", plain, "tmpfs", 0, "size=64k") < 0)
		return 14;
	if (!mounted (space) || !mounted (inner) || !mounted (plain))
		return 15; /* the check itself must see them first */
	if (shutdown_unmount_all ("/proc/self/mountinfo", dir, NULL) != 0)
		return 16;
	if (mounted (inner))
		return 17;
	if (mounted (space))
		return 18;
	if (mounted (plain))
		return 19;
	return 0;
}

static void test_unmount_spaces (void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (getuid () != 0)
		skip ();
	assert_non_null (mkdtemp (dir));
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0)
		_exit (child ());
	assert_int_equal (waitpid (pid, &status, 0), pid);
	/* the mounts died with the child's namespace; the directories stay */
	{
		char path[256];
		snprintf (path, sizeof path, "%s/with space/in ner", dir);
		rmdir (path);
		snprintf (path, sizeof path, "%s/with space", dir);
		rmdir (path);
		snprintf (path, sizeof path, "%s/plain", dir);
		rmdir (path);
		rmdir (dir);
	}
	if (WIFEXITED (status) && WEXITSTATUS (status) >= 10 && WEXITSTATUS (status) <= 12)
		skip (); /* no mount namespace or tmpfs here (a restricted container) */
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_unmount_spaces),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
