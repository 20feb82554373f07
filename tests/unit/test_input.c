/* lib/input.c, the reader of every file keel takes from outside: what is
 * not a regular file is refused without blocking, the size bound holds
 * before and during the read, and every message is "NAME: reason". */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/input.h"
#include "lib/util.h"

static char dir[] = "/tmp/keel-test-input.XXXXXX";

static int setup (void **state)
{
	(void)state;
	/* a blocking open of the FIFO fails the test instead of hanging it */
	alarm (20);
	return mkdtemp (dir) ? 0 : -1;
}

static int teardown (void **state)
{
	cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);

	(void)state;
	alarm (0);
	return system (cmd) == 0 ? 0 : -1;
}

static char *in_dir (const char *name)
{
	return xasprintf ("%s/%s", dir, name);
}

static void expect_refused (const char *path, const char *name, unsigned flags, size_t max,
                            const char *want, int status)
{
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;

	assert_true (input_read_at (AT_FDCWD, path, name, flags, max, &buf, NULL, &err) < 0);
	assert_null (buf);
	assert_string_equal (err->msg, want);
	assert_int_equal (err->status, status);
	keel_error_release (&err);
}

static void test_regular (void **state)
{
	cleanup_free char *p = in_dir ("ok.json"), *buf = NULL;
	struct keel_error *err = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal (write_file_at (AT_FDCWD, p, O_CREAT, 0600, "{\"a\": 1}", 8, &err), 0);
	assert_int_equal (input_read (p, "ok.json", 8, &buf, &len, &err), 0);
	assert_int_equal (len, 8);
	assert_string_equal (buf, "{\"a\": 1}");
	free (buf);
	buf = NULL;
	/* one byte under: refused by fstat's size, before reading */
	expect_refused (p, "ok.json", 0, 7, "ok.json: 8 bytes is larger than the limit of 7 bytes",
	                0);
}

static void test_not_regular (void **state)
{
	cleanup_free char *fifo = in_dir ("fifo"), *sub = in_dir ("sub"), *sock = in_dir ("sock");
	cleanup_free char *zero = in_dir ("zero"), *missing = in_dir ("missing");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s;

	(void)state;
	assert_int_equal (mkfifo (fifo, 0600), 0);
	expect_refused (fifo, "F", 0, 100, "F: a FIFO, not a regular file", 0);
	assert_int_equal (mkdir (sub, 0700), 0);
	expect_refused (sub, "D", 0, 100, "D: a directory, not a regular file", 0);
	assert_int_equal (symlink ("/dev/zero", zero), 0);
	expect_refused (zero, "Z", 0, 100, "Z: a character device, not a regular file", 0);
	/* a socket cannot be opened at all: the syscall's own error */
	s = socket (AF_UNIX, SOCK_STREAM, 0);
	strcpy (sa.sun_path, sock);
	assert_int_equal (bind (s, (struct sockaddr *)&sa, sizeof sa), 0);
	expect_refused (sock, "S", 0, 100, "S: open", ENXIO);
	close (s);
	expect_refused (missing, "M", 0, 100, "M: open", ENOENT);
	/* name NULL: messages use the path */
	{
		cleanup_free char *want = xasprintf ("%s: a FIFO, not a regular file", fifo);
		expect_refused (fifo, NULL, 0, 100, want, 0);
	}
}

static void test_nofollow (void **state)
{
	cleanup_free char *target = in_dir ("target"), *link = in_dir ("link"), *buf = NULL;
	struct keel_error *err = NULL;

	(void)state;
	assert_int_equal (write_file_at (AT_FDCWD, target, O_CREAT, 0600, "x", 1, &err), 0);
	assert_int_equal (symlink (target, link), 0);
	assert_int_equal (input_read (link, NULL, 10, &buf, NULL, &err), 0);
	assert_string_equal (buf, "x");
	expect_refused (link, "L", INPUT_NOFOLLOW, 10, "L: a symbolic link, not a regular file", 0);
}

/* INPUT_PIPE_OK (the runtime's --process): an anonymous pipe and a named
 * FIFO are read to their end, the bound still holds; a device still is
 * refused. */
static void test_pipe_ok (void **state)
{
	cleanup_free char *fifo = in_dir ("fifo-ok"), *path = NULL, *buf = NULL;
	struct keel_error *err = NULL;
	size_t len = 0;
	int p[2];
	pid_t pid;

	(void)state;
	assert_int_equal (pipe (p), 0);
	assert_int_equal (write (p[1], "{\"args\": []}", 12), 12);
	close (p[1]);
	path = xasprintf ("/proc/self/fd/%d", p[0]);
	assert_int_equal (input_read_at (AT_FDCWD, path, "P", INPUT_PIPE_OK, 100, &buf, &len, &err),
	                  0);
	assert_int_equal (len, 12);
	assert_string_equal (buf, "{\"args\": []}");
	close (p[0]);
	free (buf);
	buf = NULL;

	/* a named FIFO whose writer comes later: the read waits for it */
	assert_int_equal (mkfifo (fifo, 0600), 0);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		int fd = open (fifo, O_WRONLY);

		_exit (fd >= 0 && write (fd, "0123456789", 10) == 10 ? 0 : 1);
	}
	assert_int_equal (input_read_at (AT_FDCWD, fifo, "F", INPUT_PIPE_OK, 100, &buf, &len, &err),
	                  0);
	assert_string_equal (buf, "0123456789");
	assert_int_equal (waitpid (pid, NULL, 0), pid);

	/* larger than the bound */
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		int fd = open (fifo, O_WRONLY);

		_exit (fd >= 0 && write (fd, "0123456789", 10) == 10 ? 0 : 1);
	}
	expect_refused (fifo, "F", INPUT_PIPE_OK, 4, "F: larger than the limit of 4 bytes", 0);
	assert_int_equal (waitpid (pid, NULL, 0), pid);
	/* without the flag: refused, without blocking */
	expect_refused (fifo, "F", 0, 100, "F: a FIFO, not a regular file", 0);
	expect_refused ("/dev/zero", "Z", INPUT_PIPE_OK, 100,
	                "Z: a character device, not a regular file", 0);
}

/* /proc files say 0 bytes: read up to the bound, and refuse beyond it */
static void test_proc_size_zero (void **state)
{
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal (input_read ("/proc/self/status", NULL, 1 << 16, &buf, &len, &err), 0);
	assert_true (len > 0 && strstr (buf, "Pid:") != NULL);
	expect_refused ("/proc/self/status", "status", 0, 16,
	                "status: larger than the limit of 16 bytes", 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_regular),
	        cmocka_unit_test (test_not_regular),
	        cmocka_unit_test (test_nofollow),
	        cmocka_unit_test (test_pipe_ok),
	        cmocka_unit_test (test_proc_size_zero),
	};
	return cmocka_run_group_tests (tests, setup, teardown);
}
