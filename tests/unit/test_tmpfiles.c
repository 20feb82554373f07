/* init/tmpfiles: the tmpfiles.d subset keel-import writes for atomic images
 * (parsing, every refusal's exact message) and applying it under a real
 * temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/tmpfiles.h"
#include "lib/util.h"

#define F "containers.d/web/tmpfiles.conf"

static int parse (const char *text, struct tmpfiles *t, struct keel_error **err)
{
	return tmpfiles_parse (F, text, strlen (text), t, err);
}

static void test_parse (void **state)
{
	static const char text[] = "# comment\n"
	                           "\n"
	                           "d /var/lib/web 0750 1000 root - -\n"
	                           "  D! /run/web :0700 - 5\r\n"
	                           "f+ /run/web/motd 0644 0 0 10d hello\\tworld\\n  and more\n"
	                           "w- /proc/sys/net/ipv4/ip_forward - - - - 1\n"
	                           "L+ /run/web/current - - - - /var/lib/web/v2\n"
	                           "f /run/web/empty\n";
	struct keel_error *err = NULL;
	struct tmpfiles t;

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (t.n, 6);
	assert_int_equal (t.v[0].type, 'd');
	assert_string_equal (t.v[0].path, "/var/lib/web");
	assert_true (t.v[0].has_mode);
	assert_int_equal (t.v[0].mode, 0750);
	assert_int_equal (t.v[0].uid, 1000);
	assert_true (t.v[0].has_gid);
	assert_int_equal (t.v[0].gid, 0);
	assert_null (t.v[0].arg);
	assert_int_equal (t.v[0].line, 3);

	assert_int_equal (t.v[1].type, 'D');
	assert_true (t.v[1].boot_only);
	assert_true (t.v[1].mode_on_create);
	assert_int_equal (t.v[1].mode, 0700);
	assert_false (t.v[1].has_uid);
	assert_int_equal (t.v[1].gid, 5);

	assert_int_equal (t.v[2].type, 'F'); /* f+ */
	assert_string_equal (t.v[2].arg, "hello\tworld\n  and more");

	assert_int_equal (t.v[3].type, 'w');
	assert_true (t.v[3].ignore_errors);
	assert_string_equal (t.v[3].arg, "1");

	assert_int_equal (t.v[4].type, 'L');
	assert_true (t.v[4].plus);
	assert_string_equal (t.v[4].arg, "/var/lib/web/v2");

	assert_false (t.v[5].has_mode);
	assert_null (t.v[5].arg);
	tmpfiles_free (&t);
}

/* Only the root itself is refused: names made of dots, or "." at the end
 * of a longer path, are ordinary paths. */
static void test_dots (void **state)
{
	static const char text[] = "d /...\nd /.a\nd /var/.\nd //run/./x/\n";
	struct keel_error *err = NULL;
	struct tmpfiles t;

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (t.n, 4);
	assert_string_equal (t.v[0].path, "/...");
	assert_string_equal (t.v[3].path, "//run/./x/");
	tmpfiles_free (&t);
}

static void test_errors (void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	        {"x /a", F ":1: unsupported type (keel knows d, D, f, F, w, L): `x`"},
	        {"\n\nz /a", F ":3: unsupported type (keel knows d, D, f, F, w, L): `z`"},
	        {"d~ /a", F ":1: unsupported type modifier in `d~`"},
	        {"d+ /a", F ":1: unsupported type modifier in `d+`"},
	        {"d-- /a", F ":1: unsupported type modifier in `d--`"},
	        {"d", F ":1: missing path"},
	        {"d var/lib", F ":1: path is not absolute: `var/lib`"},
	        {"d /var/%n", F ":1: specifiers (%) are not supported in `/var/%n`"},
	        {"d /var/../etc", F ":1: path has a `..` component: `/var/../etc`"},
	        {"d /var/..", F ":1: path has a `..` component: `/var/..`"},
	        {"d /", F ":1: refusing the root directory itself: `/`"},
	        /* found by fuzz_tmpfiles: the root under another spelling */
	        {"d /. 0700 1000", F ":1: refusing the root directory itself: `/.`"},
	        {"d //", F ":1: refusing the root directory itself: `//`"},
	        {"D /./", F ":1: refusing the root directory itself: `/./`"},
	        {"f /././/.", F ":1: refusing the root directory itself: `/././/.`"},
	        {"d /a 0999", F ":1: mode is not an octal number up to 07777: `0999`"},
	        {"d /a rwx", F ":1: mode is not octal: `rwx`"},
	        {"d /a 17777", F ":1: mode is not an octal number up to 07777: `17777`"},
	        {"d /a ~0755", F ":1: mode is not octal: `~0755`"},
	        {"d /a 0755 www", F ":1: user is not a number or root: `www`"},
	        {"d /a 0755 0 -1", F ":1: group is not a number or root: `-1`"},
	        {"L /a", F ":1: a symlink needs a target (the argument)"},
	        {"L /a - - - - -", F ":1: a symlink needs a target (the argument)"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE (cases); i++) {
		struct keel_error *err = NULL;
		struct tmpfiles t;

		assert_true (parse (cases[i].text, &t, &err) < 0);
		assert_non_null (err);
		assert_string_equal (err->msg, cases[i].msg);
		assert_int_equal (t.n, 0);
		keel_error_release (&err);
	}
}

static void test_limits (void **state)
{
	struct keel_error *err = NULL;
	struct tmpfiles t;
	size_t i, n = (TMPFILES_MAX_ENTRIES + 1) * 5;
	cleanup_free char *big = xmalloc0 (n + 1);

	for (i = 0; i < TMPFILES_MAX_ENTRIES + 1; i++)
		memcpy (big + i * 5, "d /a\n", 5);
	assert_true (tmpfiles_parse (F, big, n, &t, &err) < 0);
	assert_string_equal (err->msg, F ":1025: more than 1024 entries");
	keel_error_release (&err);

	assert_true (tmpfiles_parse (F, "d /a\0", 5, &t, &err) < 0);
	assert_string_equal (err->msg, F ": holds a NUL byte");
	keel_error_release (&err);

	assert_int_equal (tmpfiles_load ("/nonexistent/tmpfiles.conf", &t, &err), 0);
	assert_int_equal (t.n, 0);
	tmpfiles_free (&t);
}

static mode_t mode_of (int root, const char *p)
{
	struct stat st;

	assert_int_equal (fstatat (root, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode & 07777;
}

static void assert_content (int root, const char *p, const char *want)
{
	cleanup_free char *s = NULL;
	struct keel_error *err = NULL;

	assert_int_equal (read_file_at (root, p, 0, &s, NULL, &err), 0);
	assert_string_equal (s, want);
}

static void test_apply (void **state)
{
	static const char text[] = "d /var/lib/web 0750 1000 1000 - -\n"
	                           "d /var/lib/web/sub\n"
	                           "f /run/web/motd 0640 - - - hello\\n\n"
	                           "f /run/web/kept - - - - new\n"
	                           "F /run/web/trunc - - - - fresh\n"
	                           "w /run/web/w - - - - one\n"
	                           "w+ /run/web/w - - - - two\n"
	                           "w /run/web/missing - - - - x\n"
	                           "L /run/web/link - - - - /var/lib/web\n"
	                           "L /run/web/keep-link - - - - /new\n"
	                           "L+ /run/web/swap - - - - /var/lib/web/sub\n"
	                           "d /run/web/dir :0700\n"
	                           "d //run/web/slashes 0711\n"
	                           "w //run/web/w2 - - - - three\n";
	char dir[] = "/tmp/keel-tmpfiles.XXXXXX";
	struct keel_error *err = NULL;
	struct tmpfiles t;
	cleanup_close int root = -1;
	cleanup_free char *cmd = NULL;
	char buf[64];
	ssize_t n;
	struct stat st;

	assert_non_null (mkdtemp (dir));
	root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (root >= 0);
	/* what is there before */
	assert_int_equal (mkdirat (root, "run", 0755), 0);
	assert_int_equal (mkdirat (root, "run/web", 0755), 0);
	assert_int_equal (write_file_at (root, "run/web/kept", O_CREAT, 0600, "old", 3, &err), 0);
	assert_int_equal (
	        write_file_at (root, "run/web/trunc", O_CREAT, 0644, "old old old", 11, &err), 0);
	assert_int_equal (write_file_at (root, "run/web/w", O_CREAT, 0644, "zero", 4, &err), 0);
	assert_int_equal (write_file_at (root, "run/web/w2", O_CREAT, 0644, "zero", 4, &err), 0);
	assert_int_equal (symlinkat ("/old", root, "run/web/keep-link"), 0);
	assert_int_equal (symlinkat ("/old", root, "run/web/swap"), 0);

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (tmpfiles_apply (&t, root, &err), 0);

	assert_int_equal (mode_of (root, "var/lib/web"), 0750);
	assert_int_equal (fstatat (root, "var/lib/web", &st, 0), 0);
	assert_int_equal (st.st_uid, 1000);
	assert_int_equal (st.st_gid, 1000);
	assert_int_equal (mode_of (root, "var/lib"), 0755); /* parents */
	assert_int_equal (mode_of (root, "var/lib/web/sub"), 0755);
	assert_int_equal (mode_of (root, "run/web/motd"), 0640);
	assert_content (root, "run/web/motd", "hello\n");
	assert_content (root, "run/web/kept", "old");            /* f keeps content */
	assert_int_equal (mode_of (root, "run/web/kept"), 0600); /* and mode, with - */
	assert_content (root, "run/web/trunc", "fresh");
	assert_content (root, "run/web/w", "onetwo");
	/* "//x" is still under root, not the absolute "/x" */
	assert_int_equal (mode_of (root, "run/web/slashes"), 0711);
	assert_content (root, "run/web/w2", "three");
	assert_int_equal (faccessat (root, "run/web/missing", F_OK, 0), -1);
	n = readlinkat (root, "run/web/link", buf, sizeof buf - 1);
	assert_true (n > 0);
	buf[n] = '\0';
	assert_string_equal (buf, "/var/lib/web");
	n = readlinkat (root, "run/web/keep-link", buf, sizeof buf - 1);
	buf[n] = '\0';
	assert_string_equal (buf, "/old");
	n = readlinkat (root, "run/web/swap", buf, sizeof buf - 1);
	buf[n] = '\0';
	assert_string_equal (buf, "/var/lib/web/sub");
	assert_int_equal (mode_of (root, "run/web/dir"), 0700);

	/* "d /run/web/kept" fails (a file is there) and is the error returned;
	 * "d- /run/web/trunc" fails too but is only logged. */
	tmpfiles_free (&t);
	assert_int_equal (parse ("d /run/web/kept\nd- /run/web/trunc\nd /ok\n", &t, &err), 0);
	assert_true (tmpfiles_apply (&t, root, &err) < 0);
	assert_string_equal (err->msg, F ":1: `/run/web/kept` exists and is not a directory");
	keel_error_release (&err);
	assert_int_equal (mode_of (root, "ok"), 0755); /* later entries still applied */

	/* applying again succeeds and converges: w truncates then w+ appends,
	 * and ":0700" only applied when the directory was created */
	assert_int_equal (fchmodat (root, "run/web/dir", 0711, 0), 0);
	tmpfiles_free (&t);
	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (tmpfiles_apply (&t, root, &err), 0);
	assert_content (root, "run/web/w", "onetwo");
	assert_int_equal (mode_of (root, "run/web/dir"), 0711);
	tmpfiles_free (&t);

	cmd = xasprintf ("rm -rf '%s'", dir);
	assert_int_equal (system (cmd), 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_parse),
	        cmocka_unit_test (test_dots),
	        cmocka_unit_test (test_errors),
	        cmocka_unit_test (test_limits),
	        cmocka_unit_test (test_apply),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
