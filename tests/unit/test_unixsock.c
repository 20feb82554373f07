/* lib/unixsock.c, the one place SCM_RIGHTS is built and parsed: a fd
 * arrives with its message, and whatever else a peer attaches is closed
 * rather than left open in the receiver (runtime/sync.c and
 * runtime/terminal.c receive from processes inside the container). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/unixsock.h"

static int open_fds (void)
{
	DIR *d = opendir ("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null (d);
	while ((de = readdir (d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir (d);
	return n - 1; /* the DIR's own */
}

static void test_one_fd (void **state)
{
	int sv[2], p[2], got = -2;
	char buf[16] = "";
	struct iovec out = {.iov_base = "hello", .iov_len = 5};
	struct iovec in = {.iov_base = buf, .iov_len = sizeof buf - 1};
	struct stat a, b;

	(void)state;
	assert_int_equal (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
	assert_int_equal (unix_sendmsg_fd (sv[0], NULL, 0, &out, 1, p[1]), 5);
	assert_int_equal (unix_recvmsg_fd (sv[1], &in, 1, 0, &got), 5);
	assert_string_equal (buf, "hello");
	assert_true (got >= 0 && got != p[1]);
	assert_int_equal (fstat (got, &a), 0);
	assert_int_equal (fstat (p[1], &b), 0);
	assert_true (a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_true (fcntl (got, F_GETFD) & FD_CLOEXEC);

	/* no fd sent: -1, the message still arrives */
	assert_int_equal (unix_sendmsg_fd (sv[0], NULL, 0, &out, 1, -1), 5);
	assert_int_equal (unix_recvmsg_fd (sv[1], &in, 1, 0, &got), 5);
	assert_int_equal (got, -1);
	close (got);
	close (p[0]);
	close (p[1]);
	close (sv[0]);
	close (sv[1]);
}

/* A peer sends 5 descriptors where one is expected: the first is kept,
 * the other 4 are closed, so the receiver's fd table does not grow. */
static void test_surplus_closed (void **state)
{
	int sv[2], fds[5], got = -1, before, after;
	union {
		char buf[CMSG_SPACE (sizeof fds)];
		struct cmsghdr align;
	} u;
	char data = 'x', rbuf;
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	struct iovec rin = {.iov_base = &rbuf, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	(void)state;
	assert_int_equal (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 5; i++)
		fds[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
	memset (&u, 0, sizeof u);
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	cm = CMSG_FIRSTHDR (&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN (sizeof fds);
	memcpy (CMSG_DATA (cm), fds, sizeof fds);
	assert_int_equal (sendmsg (sv[0], &mh, 0), 1);
	for (int i = 0; i < 5; i++)
		close (fds[i]);

	before = open_fds ();
	assert_int_equal (unix_recvmsg_fd (sv[1], &rin, 1, 0, &got), 1);
	after = open_fds ();
	assert_true (got >= 0);
	assert_int_equal (after, before + 1);
	close (got);
	close (sv[0]);
	close (sv[1]);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_one_fd),
	        cmocka_unit_test (test_surplus_closed),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
