/* terminal: a real pty pair, runc's --console-socket handshake over a
 * unix socket, and a child taking the slave as its controlling tty. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

#include "runtime/terminal.h"
#include "tests/unit/linux-helpers.h"

static bool have_ptmx (void)
{
	return access ("/dev/ptmx", R_OK | W_OK) == 0;
}

#define need_pty()                                                     \
	do {                                                           \
		if (!have_ptmx ())                                     \
			skip_because ("/dev/ptmx is not usable here"); \
	} while (0)

/* Read from fd until want has arrived or a second passes. */
static void expect_read (int fd, const char *want)
{
	char buf[256];
	size_t len = 0, n = strlen (want);

	while (len < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll (&p, 1, 1000) <= 0)
			break;
		r = read (fd, buf + len, sizeof buf - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (strcmp (buf, want) != 0)
		printf ("# read \"%s\"\n", buf);
	assert_string_equal (buf, want);
}

static void test_open_pty (void **state)
{
	struct spec_process p = {.terminal = true,
	                         .has_console_size = true,
	                         .console_height = 40,
	                         .console_width = 100};
	struct keel_error *err = NULL;
	struct winsize ws;
	struct termios t;
	struct stat st;
	char *path = NULL;
	int m, s;

	need_pty ();
	assert_int_equal (terminal_open_pty (&p, &m, &s, &err), 0);
	assert_int_equal (ioctl (s, TIOCGWINSZ, &ws), 0);
	assert_int_equal (ws.ws_row, 40);
	assert_int_equal (ws.ws_col, 100);
	assert_int_equal (tcgetattr (s, &t), 0);
	assert_int_equal (t.c_oflag & ONLCR, 0);
	assert_true (fcntl (m, F_GETFD) & FD_CLOEXEC);
	assert_true (fcntl (s, F_GETFD) & FD_CLOEXEC);

	assert_int_equal (terminal_slave_path (m, &path, &err), 0);
	assert_int_equal (strncmp (path, "/dev/pts/", 9), 0);
	assert_int_equal (stat (path, &st), 0);
	{
		struct stat sst;
		assert_int_equal (fstat (s, &sst), 0);
		assert_int_equal (st.st_rdev, sst.st_rdev);
	}
	/* "\n" goes through unchanged (ONLCR off). */
	assert_int_equal (write (s, "hi\n", 3), 3);
	expect_read (m, "hi\n");
	free (path);
	close (m);
	close (s);
}

static void test_send_master (void **state)
{
	struct keel_error *err = NULL;
	char dir[] = "/tmp/keel-console-XXXXXX", path[256];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int lsock, conn, m, s, got = -1;
	struct stat a, b;

	need_pty ();
	assert_non_null (mkdtemp (dir));
	snprintf (path, sizeof path, "%s/console.sock", dir);
	strcpy (addr.sun_path, path);
	lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal (bind (lsock, (struct sockaddr *)&addr, sizeof addr), 0);
	assert_int_equal (listen (lsock, 1), 0);

	assert_int_equal (terminal_open_pty (NULL, &m, &s, &err), 0);
	assert_int_equal (terminal_send_master (path, m, &err), 0);
	conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true (conn >= 0);
	assert_int_equal (terminal_recv_fd (conn, &got, &err), 0);
	/* The received fd is the same pty master: same open file... */
	assert_int_equal (fstat (got, &a), 0);
	assert_int_equal (fstat (m, &b), 0);
	assert_int_equal (a.st_rdev, b.st_rdev);
	/* ...and talks to our slave. */
	assert_int_equal (write (s, "via socket\n", 11), 11);
	expect_read (got, "via socket\n");

	assert_true (terminal_send_master ("/nonexistent/keel.sock", m, &err) < 0);
	assert_string_equal (err->msg, "terminal: console socket: connect to `/nonexistent/keel.sock`");
	keel_error_release (&err);

	close (got);
	close (conn);
	close (lsock);
	close (m);
	close (s);
	unlink (path);
	rmdir (dir);
}

static int slave_child (void *arg, int out)
{
	int slave = *(int *)arg;
	struct keel_error *err = NULL;

	if (terminal_setup_slave (slave, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	/* tcgetpgrp: the foreground group of a fresh session's controlling
	 * tty is the session leader's (TIOCGSID is unknown to valgrind). */
	report (out, "isatty=%d\nsid=%d\npid=%d\nctty_sid=%d\n",
	        isatty (0) && isatty (1) && isatty (2), (int)getsid (0), (int)getpid (),
	        (int)tcgetpgrp (0));
	if (write (1, "from child\n", 11) != 11)
		return 2;
	return 0;
}

static void test_setup_slave (void **state)
{
	struct keel_error *err = NULL;
	struct child_report r;
	char pid[1024];
	int m, s;

	need_pty ();
	assert_int_equal (terminal_open_pty (NULL, &m, &s, &err), 0);
	run_child (slave_child, &s, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "isatty"), "1");
	/* The child leads a new session whose controlling tty is the pty
	 * (report_value returns a static buffer: copy before the next call). */
	snprintf (pid, sizeof pid, "%s", report_value (&r, "pid"));
	assert_string_equal (report_value (&r, "sid"), pid);
	assert_string_equal (report_value (&r, "ctty_sid"), pid);
	expect_read (m, "from child\n");
	close (m);
	close (s);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_open_pty),
	        cmocka_unit_test (test_send_master),
	        cmocka_unit_test (test_setup_slave),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
