/* init/boot.c boot_resolv_conf: the /etc/resolv.conf PID 1 writes at boot
 * for containers that bind the host's, under a real temporary root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/boot.h"
#include "lib/util.h"

static int root_make (char *dir)
{
	int fd;

	assert_non_null (mkdtemp (dir));
	fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (fd >= 0);
	return fd;
}

static void root_remove (const char *dir)
{
	cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
	assert_int_equal (system (cmd), 0);
}

static char *content (int root)
{
	struct keel_error *err = NULL;
	char *s = NULL;

	assert_int_equal (read_file_at (root, "etc/resolv.conf", 0, &s, NULL, &err), 0);
	return s;
}

static void test_servers (void **state)
{
	char dir[] = "/tmp/ktf-resolv.XXXXXX";
	struct keel_error *err = NULL;
	cleanup_free char *s = NULL;
	struct stat st;
	int root = root_make (dir);

	/* no /etc at all: made */
	assert_int_equal (boot_resolv_conf (root, "10.0.2.3,2001:db8::1", &err), 0);
	s = content (root);
	assert_string_equal (s,
	                     "# written by keel at boot from keel.dns= on the kernel command line\n"
	                     "nameserver 10.0.2.3\n"
	                     "nameserver 2001:db8::1\n");
	assert_int_equal (fstatat (root, "etc/resolv.conf", &st, 0), 0);
	assert_int_equal (st.st_mode & 07777, 0644);
	/* a second boot (a persistent root) keeps what is there */
	assert_int_equal (boot_resolv_conf (root, "9.9.9.9", &err), 0);
	free (s);
	s = content (root);
	assert_non_null (strstr (s, "nameserver 10.0.2.3\n"));
	assert_null (strstr (s, "9.9.9.9"));
	close (root);
	root_remove (dir);
}

static void test_none_and_image_own (void **state)
{
	char dir[] = "/tmp/ktf-resolv.XXXXXX";
	struct keel_error *err = NULL;
	cleanup_free char *s = NULL;
	char buf[64];
	ssize_t n;
	int root = root_make (dir);

	assert_int_equal (boot_resolv_conf (root, NULL, &err), 0);
	s = content (root);
	assert_null (strstr (s, "nameserver"));
	assert_non_null (strstr (s, "no keel.dns="));
	/* the image's symlink (systemd-resolved style) is left alone, even
	 * dangling: keel does not write through it */
	assert_int_equal (unlinkat (root, "etc/resolv.conf", 0), 0);
	assert_int_equal (symlinkat ("../run/resolved/stub.conf", root, "etc/resolv.conf"), 0);
	assert_int_equal (boot_resolv_conf (root, "1.1.1.1", &err), 0);
	n = readlinkat (root, "etc/resolv.conf", buf, sizeof buf - 1);
	assert_true (n > 0);
	buf[n] = '\0';
	assert_string_equal (buf, "../run/resolved/stub.conf");
	assert_int_equal (faccessat (root, "run", F_OK, 0), -1);
	close (root);
	root_remove (dir);

	/* /etc is a file: the reason is given */
	strcpy (dir, "/tmp/ktf-resolv.XXXXXX");
	root = root_make (dir);
	assert_int_equal (mknodat (root, "etc", S_IFREG | 0644, 0), 0);
	assert_true (boot_resolv_conf (root, NULL, &err) < 0);
	assert_string_equal (err->msg, "open /etc");
	assert_int_equal (err->status, ENOTDIR);
	keel_error_release (&err);
	close (root);
	root_remove (dir);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_servers),
	        cmocka_unit_test (test_none_and_image_own),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
