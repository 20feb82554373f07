/* PID 1's fatal paths: out of memory reaches keel_panic instead of
 * abort(), keel_panic outside boot mode exits 111 after its message, and a
 * broken epoll set makes loop_once fail after a few tries instead of
 * spinning for ever.  The fatal ones run in a child process. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/loop.h"
#include "init/panic.h"
#include "lib/util.h"

/* Under AddressSanitizer (make asan) an impossible allocation must fail
 * like the real allocator's, not stop the test. */
const char *__asan_default_options (void);
const char *__asan_default_options (void)
{
	return "allocator_may_return_null=1";
}

static int child_status (void (*fn) (void))
{
	int status;
	pid_t pid = fork ();

	assert_true (pid >= 0);
	if (pid == 0) {
		int null = open ("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2 (null, 2); /* the panic line is expected */
		fn ();
		_exit (0); /* not reached when fn panics */
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	return status;
}

static struct init_opts opts; /* boot = false: a supervisor under test */

static void run_oom (void)
{
	keel_panic_install (&opts);
	/* an allocation that cannot succeed */
	(void)xmalloc0 (SIZE_MAX / 2);
}

static void run_panic (void)
{
	keel_panic (&opts, "something impossible");
}

static void test_oom_panics (void **state)
{
	int st = child_status (run_oom);

	(void)state;
	assert_true (WIFEXITED (st)); /* not SIGABRT */
	assert_int_equal (WEXITSTATUS (st), KEEL_PANIC_EXIT);
}

static void test_panic_outside_boot (void **state)
{
	int st = child_status (run_panic);

	(void)state;
	assert_true (WIFEXITED (st));
	assert_int_equal (WEXITSTATUS (st), KEEL_PANIC_EXIT);
}

static void test_loop_broken_epoll (void **state)
{
	struct keel_error *err = NULL;
	struct loop l;
	int fd = open ("/dev/null", O_RDONLY);

	(void)state;
	assert_true (fd >= 0);
	close (fd);
	l.epfd = fd; /* closed: epoll_wait fails with EBADF at once */
	l.failures = 0;
	assert_int_equal (loop_once (&l, 0, &err), 0);
	assert_int_equal (loop_once (&l, 0, &err), 0);
	assert_true (loop_once (&l, 0, &err) < 0);
	assert_non_null (err);
	assert_int_equal (err->status, EBADF);
	keel_error_release (&err);
}

static void on_ready (struct watch *w, uint32_t events)
{
	(void)events;
	(*(int *)w->arg)++;
}

/* The callback a watch carries is the one called, with its argument. */
static void test_loop_dispatch (void **state)
{
	struct keel_error *err = NULL;
	struct loop l;
	struct watch w = {.fd = -1};
	int p[2], calls = 0;

	(void)state;
	assert_int_equal (loop_init (&l, &err), 0);
	assert_int_equal (pipe (p), 0);
	assert_int_equal (loop_watch (&l, &w, p[0], 1 /* EPOLLIN */, on_ready, &calls), 0);
	assert_int_equal (loop_once (&l, 0, &err), 0); /* nothing to read */
	assert_int_equal (write (p[1], "x", 1), 1);
	assert_int_equal (loop_once (&l, 1000, &err), 1);
	assert_int_equal (calls, 1);
	loop_unwatch (&l, &w);
	assert_int_equal (w.fd, -1);
	assert_int_equal (loop_once (&l, 0, &err), 0); /* unwatched: no call */
	assert_int_equal (calls, 1);
	close (p[0]);
	close (p[1]);
	loop_close (&l);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_oom_panics),
	        cmocka_unit_test (test_panic_outside_boot),
	        cmocka_unit_test (test_loop_broken_epoll),
	        cmocka_unit_test (test_loop_dispatch),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
