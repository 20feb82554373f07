/* The sealed self-copy (lib/selfclone.c) and which runtime command lines
 * need it (keel_runtime_spawns in runtime/cli/main.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
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
	assert_int_equal (selfclone_is_sealed (&err), 0);
	assert_null (err);
}

static char *self_argv0;

/* The test binary re-executed by selfclone_exec with `sealed-child`. */
static int sealed_child (char **argv)
{
	struct keel_error *err = NULL;
	int fd;

	if (selfclone_is_sealed (&err) != 1)
		return 1;
	/* Already a sealed copy: no second exec (no loop), just 0. */
	if (selfclone_exec (argv, false, &err) != 0)
		return 2;
	/* Whoever may open it for writing still cannot change it. */
	fd = open ("/proc/self/exe", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0 && write (fd, "x", 1) >= 0)
		return 3;
	return 0;
}

static void test_exec_sealed (void **state)
{
	char *argv[] = {self_argv0, "sealed-child", NULL};
	int status = -1;
	pid_t pid;

	(void)state;
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		struct keel_error *err = NULL;
		selfclone_exec (argv, false, &err);
		_exit (99); /* the exec failed */
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
}

int main (int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_spawns),
	        cmocka_unit_test (test_not_sealed),
	        cmocka_unit_test (test_exec_sealed),
	};

	if (argc > 1 && strcmp (argv[1], "sealed-child") == 0)
		return sealed_child (argv);
	self_argv0 = argv[0];
	return cmocka_run_group_tests (tests, NULL, NULL);
}
