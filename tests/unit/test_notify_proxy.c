/* notify-proxy: what one datagram from the container becomes on the
 * caller's NOTIFY_SOCKET, with real unix datagram sockets in a temporary
 * directory standing for the proxy's socket and the caller's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "runtime/notify-proxy.h"
#include "tests/unit/linux-helpers.h"

struct pair {
	char dir[64];
	int host; /* the caller's socket, bound */
	int in;   /* the container's end, connected to the proxy */
	struct notify_proxy p;
};

static int bind_at (const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true (fd >= 0);
	snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_int_equal (bind (fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void pair_open (struct pair *t)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_free char *host = NULL;
	int one = 1;

	snprintf (t->dir, sizeof t->dir, "/tmp/keel-notify-test.XXXXXX");
	assert_non_null (mkdtemp (t->dir));
	host = xasprintf ("%s/host.sock", t->dir);
	t->host = bind_at (host);
	t->p = (struct notify_proxy){
	        .fd = -1,
	        .pidfd = -1,
	        .path = xasprintf ("%s/proxy.sock", t->dir),
	        .host = xstrdup (host),
	        .pid = getpid (), /* the sender: the container's process */
	        .mainpid = 4321,
	};
	t->p.fd = bind_at (t->p.path);
	assert_int_equal (setsockopt (t->p.fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
	t->in = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf (sa.sun_path, sizeof sa.sun_path, "%s", t->p.path);
	assert_int_equal (connect (t->in, (struct sockaddr *)&sa, sizeof sa), 0);
}

static void pair_close (struct pair *t)
{
	cleanup_free char *host = xasprintf ("%s/host.sock", t->dir);

	notify_proxy_close (&t->p); /* also removes proxy.sock */
	close (t->in);
	close (t->host);
	unlink (host);
	rmdir (t->dir);
}

/* Send msg into the proxy, let it pass it on, return what the caller got
 * ("" for nothing within 200 ms). */
static char *relay (struct pair *t, const char *msg)
{
	static char got[8192];
	struct pollfd pf = {.fd = t->host, .events = POLLIN};
	struct keel_error *err = NULL;
	ssize_t n;

	assert_int_equal (send (t->in, msg, strlen (msg), 0), (ssize_t)strlen (msg));
	assert_int_equal (notify_proxy_receive (&t->p, &err), 0);
	got[0] = '\0';
	if (poll (&pf, 1, 200) == 1) {
		n = recv (t->host, got, sizeof got - 1, 0);
		assert_true (n >= 0);
		got[n] = '\0';
	}
	return got;
}

static void test_ready_gets_mainpid (void **state)
{
	struct pair t;

	(void)state;
	pair_open (&t);
	assert_string_equal (relay (&t, "READY=1"), "READY=1\nMAINPID=4321\n");
	assert_true (t.p.ready);
	pair_close (&t);
}

static void test_only_state_fields (void **state)
{
	struct pair t;

	(void)state;
	pair_open (&t);
	/* MAINPID from inside names a pid the caller would supervise. */
	assert_string_equal (relay (&t, "STATUS=starting\nMAINPID=1\nFDSTORE=1\nX_CUSTOM=y\n"
	                                "EXTEND_TIMEOUT_USEC=5000000"),
	                     "STATUS=starting\nEXTEND_TIMEOUT_USEC=5000000\n");
	assert_false (t.p.ready);
	assert_string_equal (relay (&t, "MAINPID=1\nBARRIER=1"), "");
	assert_string_equal (relay (&t, "READY=0"), "READY=0\n");
	assert_false (t.p.ready);
	pair_close (&t);
}

static void test_other_sender_dropped (void **state)
{
	struct pair t;

	(void)state;
	pair_open (&t);
	/* We are neither the container's process nor in its cgroup. */
	t.p.pid = 1;
	t.p.cgroup = xstrdup ("/keel-notify-test-no-such-cgroup");
	assert_string_equal (relay (&t, "READY=1"), "");
	assert_false (t.p.ready);
	pair_close (&t);
}

static void test_addr_ok (void **state)
{
	(void)state;
	assert_true (notify_proxy_addr_ok ("/run/systemd/notify"));
	assert_true (notify_proxy_addr_ok ("@abstract"));
	assert_false (notify_proxy_addr_ok ("relative/notify"));
	assert_false (notify_proxy_addr_ok ("vsock:2:1234"));
	assert_false (notify_proxy_addr_ok ("@"));
	assert_false (notify_proxy_addr_ok (NULL));
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_ready_gets_mainpid),
	        cmocka_unit_test (test_only_state_fields),
	        cmocka_unit_test (test_other_sender_dropped),
	        cmocka_unit_test (test_addr_ok),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
