/* seccomp_apply for real: a forked child loads a filter and reports what
 * the filtered syscalls return.  The notify test answers a trapped syscall
 * from the parent through the listener fd. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#ifdef CONFIG_SECCOMP
#include <seccomp.h>
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "runtime/seccomp.h"
#include "runtime/terminal.h"
#include "tests/unit/linux-helpers.h"

#ifdef CONFIG_SECCOMP
static char *names_getpid[] = {(char *)"getpid", NULL};
static char *names_mkdir[] = {(char *)"mkdir", (char *)"mkdirat", (char *)"no_such_syscall_keel",
                              NULL};
static char *names_personality[] = {(char *)"personality", NULL};
static char *arches[] = {(char *)"SCMP_ARCH_X86_64", (char *)"SCMP_ARCH_X86",
                         (char *)"SCMP_ARCH_X32", NULL};
static char *flags_log[] = {(char *)"SECCOMP_FILTER_FLAG_LOG", NULL};

static struct spec_seccomp_arg persona_arg = {
        .index = 0, .value = 0x0008 /* PER_LINUX32 */, .op = SCMP_CMP_EQ};

static struct spec_seccomp_syscall rules[] = {
        {.names = {names_getpid, 1}, .action = SCMP_ACT_ERRNO (EPERM)},
        /* errnoRet overrides the errno folded into the action. */
        {.names = {names_mkdir, 3},
         .action = SCMP_ACT_ERRNO (EPERM),
         .has_errno_ret = true,
         .errno_ret = EROFS},
        {.names = {names_personality, 1},
         .action = SCMP_ACT_ERRNO (EPERM),
         .args = &persona_arg,
         .n_args = 1},
};

static struct spec_seccomp sample (void)
{
	struct spec_seccomp sc = {
	        .present = true,
	        .default_action = SCMP_ACT_ALLOW,
	        .architectures = {arches, 3},
	        .flags = {flags_log, 1},
	        .syscalls = rules,
	        .n_syscalls = ARRAY_SIZE (rules),
	};
	return sc;
}

#define need_seccomp()                                                        \
	do {                                                                  \
		if (under_valgrind ())                                        \
			skip_because ("valgrind does not emulate seccomp()"); \
	} while (0)

struct sc_case {
	struct spec_seccomp sc;
	bool nnp;
};

static int filter_child (void *arg, int out)
{
	struct sc_case *c = arg;
	struct keel_error *err = NULL;
	long r;
	int e;

	if (seccomp_apply (&c->sc, c->nnp, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	r = syscall (SYS_getpid);
	report (out, "getpid=%ld/%d\n", r, r < 0 ? errno : 0);
	r = mkdir ("/proc/keel-seccomp-test", 0755);
	e = errno;
	report (out, "mkdir=%ld/%s\n", r, r < 0 ? strerrorname_np (e) : "0");
	r = syscall (SYS_personality, 0x0008);
	report (out, "personality32=%ld/%d\n", r, r < 0 ? errno : 0);
	r = syscall (SYS_personality, 0xffffffffUL);
	report (out, "personality_query=%ld\n", r);
	r = syscall (1000);
	report (out, "nr1000=%ld/%d\n", r, r < 0 ? errno : 0);
	r = syscall (SYS_io_uring_setup, 0, NULL);
	report (out, "io_uring_setup=%ld/%d\n", r, r < 0 ? errno : 0);
	report (out, "NoNewPrivs=%llx\n", proc_status_hex ("NoNewPrivs"));
	report (out, "Seccomp=%llx\n", proc_status_hex ("Seccomp"));
	return 0;
}

static void test_filter_rules (void **state)
{
	struct sc_case c = {.sc = sample (), .nnp = true};
	struct child_report r;

	need_seccomp ();

	run_child (filter_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "getpid"), "-1/1");
	assert_string_equal (report_value (&r, "mkdir"), "-1/EROFS");
	assert_string_equal (report_value (&r, "personality32"), "-1/1");
	/* Other arguments are not matched by the rule. */
	assert_string_equal (report_value (&r, "personality_query"), "0");
	/* An allowing default needs no ENOSYS prefix: the kernel's own. */
	assert_string_equal (report_value (&r, "nr1000"), "-1/38");
	assert_string_equal (report_value (&r, "NoNewPrivs"), "1");
	assert_string_equal (report_value (&r, "Seccomp"), "2");
}

static void test_without_no_new_privs (void **state)
{
	struct sc_case c = {.sc = sample (), .nnp = false};
	struct child_report r;

	need_seccomp ();

	need_root (); /* loading without no_new_privs needs CAP_SYS_ADMIN */
	run_child (filter_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "getpid"), "-1/1");
	assert_string_equal (report_value (&r, "NoNewPrivs"), "0");
}

static void test_default_errno (void **state)
{
	/* What the child itself needs, the sanitizer runtimes included. */
	static char *allow[] = {(char *)"write",
	                        (char *)"exit_group",
	                        (char *)"exit",
	                        (char *)"mkdir",
	                        (char *)"mkdirat",
	                        (char *)"mmap",
	                        (char *)"munmap",
	                        (char *)"mprotect",
	                        (char *)"brk",
	                        (char *)"madvise",
	                        (char *)"sigaltstack",
	                        (char *)"rt_sigaction",
	                        (char *)"rt_sigprocmask",
	                        (char *)"openat",
	                        (char *)"open",
	                        (char *)"read",
	                        (char *)"close",
	                        (char *)"newfstatat",
	                        (char *)"fstat",
	                        (char *)"lseek",
	                        (char *)"futex",
	                        (char *)"getrandom",
	                        (char *)"prctl",
	                        (char *)"readlink",
	                        NULL};
	static struct spec_seccomp_syscall allow_rule = {.names = {allow, ARRAY_SIZE (allow) - 1},
	                                                 .action = SCMP_ACT_ALLOW};
	/* Everything but the allowed list fails with the defaultErrnoRet. */
	struct sc_case c = {.sc = {.present = true,
	                           .default_action = SCMP_ACT_ERRNO (EPERM),
	                           .has_default_errno_ret = true,
	                           .default_errno_ret = ENXIO,
	                           .syscalls = &allow_rule,
	                           .n_syscalls = 1},
	                    .nnp = true};
	struct child_report r;

	need_seccomp ();

	run_child (filter_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "getpid"), "-1/6");
	assert_string_equal (report_value (&r, "personality32"), "-1/6");
	/* Numbered above every syscall the profile names (getrandom, 318 on
	 * x86_64): absent, as on an older kernel, not the default action. */
	assert_string_equal (report_value (&r, "nr1000"), "-1/38");
	assert_string_equal (report_value (&r, "io_uring_setup"), "-1/38");
}

static void expect_apply_error (struct spec_seccomp sc, const char *part)
{
	struct sc_case c = {.sc = sc, .nnp = true};
	struct child_report r;

	run_child (filter_child, &c, &r);
	assert_false (child_ok (&r));
	if (strstr (r.buf, part) == NULL)
		printf ("# want: %s\n", part);
	assert_non_null (strstr (r.buf, part));
}

static void test_bad_arch_and_flag (void **state)
{
	static char *bad_arch[] = {(char *)"SCMP_ARCH_VAX", NULL};
	static char *bad_flag[] = {(char *)"SECCOMP_FILTER_FLAG_BOGUS", NULL};
	struct spec_seccomp sc = sample ();

	need_seccomp ();

	sc.architectures.v = bad_arch;
	sc.architectures.n = 1;
	expect_apply_error (sc, "seccomp: unknown architecture `SCMP_ARCH_VAX`");
	sc = sample ();
	sc.flags.v = bad_flag;
	sc.flags.n = 1;
	expect_apply_error (sc, "seccomp: unsupported flag `SECCOMP_FILTER_FLAG_BOGUS`");
}

static void test_notify_needs_listener (void **state)
{
	struct spec_seccomp sc = sample ();
	struct spec_seccomp_syscall notify = {.names = {names_getpid, 1},
	                                      .action = SCMP_ACT_NOTIFY};

	need_seccomp ();

	sc.syscalls = &notify;
	sc.n_syscalls = 1;
	assert_true (seccomp_uses_notify (&sc));
	expect_apply_error (sc, "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
}

static void test_absent_is_noop (void **state)
{
	struct spec_seccomp sc = {.present = false};
	struct keel_error *err = NULL;
	int fd = 5;

	assert_int_equal (seccomp_apply (&sc, true, &err), 0);
	assert_int_equal (seccomp_apply (NULL, true, &err), 0);
	assert_int_equal (seccomp_apply_notify (&sc, true, &fd, &err), 0);
	assert_int_equal (fd, -1);
}

/* ---- notify: the child's getppid() is answered by the parent ------------ */

static int notify_child (void *arg, int out)
{
	int sock = *(int *)arg;
	struct keel_error *err = NULL;
	static char *names[] = {(char *)"getppid", NULL};
	struct spec_seccomp_syscall rule = {.names = {names, 1}, .action = SCMP_ACT_NOTIFY};
	struct spec_seccomp sc = {.present = true,
	                          .default_action = SCMP_ACT_ALLOW,
	                          .syscalls = &rule,
	                          .n_syscalls = 1};
	char cbuf[CMSG_SPACE (sizeof (int))] = {0};
	char byte = 'n';
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
	int fd;

	if (seccomp_apply_notify (&sc, true, &fd, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN (sizeof (int));
	memcpy (CMSG_DATA (cm), &fd, sizeof fd);
	if (sendmsg (sock, &mh, 0) < 0)
		return 2;
	close (fd);
	report (out, "getppid=%ld\n", syscall (SYS_getppid));
	return 0;
}

static void test_notify (void **state)
{
	struct keel_error *err = NULL;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct child_report r;
	int sv[2], fd = -1;
	pid_t pid;
	int p[2];

	need_seccomp ();

	if (seccomp_api_get () < 6)
		skip_because ("libseccomp API level %u < 6 (no notify with TSYNC)",
		              seccomp_api_get ());
	assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* run_child would wait for the child before we could answer it: fork
	 * by hand. */
	assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
	fflush (stdout);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		close (p[0]);
		_exit (notify_child (&sv[1], p[1]));
	}
	close (p[1]);
	close (sv[1]);
	assert_int_equal (terminal_recv_fd (sv[0], &fd, &err), 0);
	assert_int_equal (seccomp_notify_alloc (&req, &resp), 0);
	assert_int_equal (seccomp_notify_receive (fd, req), 0);
	assert_int_equal (req->pid, pid);
	resp->id = req->id;
	resp->val = 4242;
	resp->error = 0;
	resp->flags = 0;
	assert_int_equal (seccomp_notify_respond (fd, resp), 0);
	seccomp_notify_free (req, resp);
	close (fd);
	close (sv[0]);
	memset (&r, 0, sizeof r);
	assert_true (read (p[0], r.buf, sizeof r.buf - 1) > 0);
	close (p[0]);
	assert_int_equal (waitpid (pid, &r.status, 0), pid);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "getppid"), "4242");
}

/* The listener protocol: one message with the state JSON and the fd. */
static void test_send_notify_fd (void **state)
{
	struct keel_error *err = NULL;
	char dir[] = "/tmp/keel-seccomp-XXXXXX", path[256], buf[4096];
	char cbuf[CMSG_SPACE (sizeof (int))];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct iovec iov = {buf, sizeof buf - 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof cbuf};
	struct spec_seccomp sc = {
	        .present = true, .listener_path = path, .listener_metadata = (char *)"meta \"q\""};
	int lsock, conn, fds[2], got;
	ssize_t n;

	assert_non_null (mkdtemp (dir));
	snprintf (path, sizeof path, "%s/listener.sock", dir);
	strcpy (addr.sun_path, path);
	lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true (lsock >= 0);
	assert_int_equal (bind (lsock, (struct sockaddr *)&addr, sizeof addr), 0);
	assert_int_equal (listen (lsock, 1), 0);
	assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
	assert_int_equal (seccomp_send_notify_fd (&sc, fds[0], 1234,
	                                          "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\"}", &err),
	                  0);
	conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true (conn >= 0);
	n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
	assert_true (n > 0);
	buf[n] = '\0';
	printf ("# %s\n", buf);
	assert_non_null (strstr (buf, "\"fds\":[\"seccompFd\"]"));
	assert_non_null (strstr (buf, "\"pid\":1234"));
	assert_non_null (strstr (buf, "\"metadata\":\"meta \\\"q\\\"\""));
	assert_non_null (strstr (buf, "\"state\":{\"ociVersion\":\"1.2.0\",\"id\":\"c1\"}"));
	assert_non_null (CMSG_FIRSTHDR (&mh));
	memcpy (&got, CMSG_DATA (CMSG_FIRSTHDR (&mh)), sizeof got);
	/* The received fd is the pipe's read end. */
	assert_int_equal (write (fds[1], "x", 1), 1);
	assert_int_equal (read (got, buf, 1), 1);
	assert_int_equal (buf[0], 'x');
	close (got);
	close (conn);
	close (lsock);
	close (fds[0]);
	close (fds[1]);
	unlink (path);
	rmdir (dir);
}

#else /* !CONFIG_SECCOMP */

static void test_not_built (void **state)
{
	struct spec_seccomp sc = {.present = true};
	struct keel_error *err = NULL;

	assert_true (seccomp_apply (&sc, true, &err) < 0);
	assert_string_equal (err->msg, "seccomp: keel was built without CONFIG_SECCOMP");
	keel_error_release (&err);
	sc.present = false;
	assert_int_equal (seccomp_apply (&sc, true, &err), 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_not_built),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
#endif

#ifdef CONFIG_SECCOMP
int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_filter_rules),
	        cmocka_unit_test (test_without_no_new_privs),
	        cmocka_unit_test (test_default_errno),
	        cmocka_unit_test (test_bad_arch_and_flag),
	        cmocka_unit_test (test_notify_needs_listener),
	        cmocka_unit_test (test_absent_is_noop),
	        cmocka_unit_test (test_notify),
	        cmocka_unit_test (test_send_notify_fd),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
#endif
