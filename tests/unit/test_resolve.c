/* runtime/resolve.c: paths stay inside the rootfs, through openat2 and
 * through the by-hand walk used where openat2 is missing; both must agree
 * on every case. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "runtime/resolve.h"

struct tree {
	char dir[64];
	int rootfd;
};

/* root/
 *   etc/hostname        (file "inside")
 *   dir/sub/
 *   abs -> /etc         (absolute symlink: must resolve inside root)
 *   up -> ../../../etc  (climbing symlink: stops at root)
 *   file-link -> etc/hostname
 *   loop -> loop
 */
static int setup (void **state)
{
	struct tree *t = xmalloc0 (sizeof *t);
	char p[PATH_MAX];

	strcpy (t->dir, "/tmp/keel-resolve-XXXXXX");
	assert_non_null (mkdtemp (t->dir));
	snprintf (p, sizeof p, "%s/etc", t->dir);
	assert_int_equal (mkdir (p, 0755), 0);
	snprintf (p, sizeof p, "%s/etc/hostname", t->dir);
	assert_int_equal (write_file_at (AT_FDCWD, p, O_CREAT | O_TRUNC, 0644, "inside", 6, NULL), 0);
	snprintf (p, sizeof p, "%s/dir", t->dir);
	assert_int_equal (mkdir (p, 0755), 0);
	snprintf (p, sizeof p, "%s/dir/sub", t->dir);
	assert_int_equal (mkdir (p, 0755), 0);
	snprintf (p, sizeof p, "%s/abs", t->dir);
	assert_int_equal (symlink ("/etc", p), 0);
	snprintf (p, sizeof p, "%s/up", t->dir);
	assert_int_equal (symlink ("../../../etc", p), 0);
	snprintf (p, sizeof p, "%s/file-link", t->dir);
	assert_int_equal (symlink ("etc/hostname", p), 0);
	snprintf (p, sizeof p, "%s/loop", t->dir);
	assert_int_equal (symlink ("loop", p), 0);
	t->rootfd = open (t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true (t->rootfd >= 0);
	*state = t;
	return 0;
}

static int teardown (void **state)
{
	struct tree *t = *state;
	char cmd[128];

	close (t->rootfd);
	snprintf (cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	assert_int_equal (system (cmd), 0);
	free (t);
	return 0;
}

/* Read the file at path inside the root with the given resolver. */
static int read_with (int (*open_fn) (int, const char *, int), int rootfd, const char *path,
		      char *buf, size_t len)
{
	int fd = open_fn (rootfd, path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read (fd, buf, len - 1);
	close (fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void check_both (int rootfd, const char *path, int expect, const char *content)
{
	int (*fns[]) (int, const char *, int) = { open_in_root, open_in_root_walk };

	for (size_t i = 0; i < ARRAY_SIZE (fns); i++) {
		char buf[64] = "";
		int r = read_with (fns[i], rootfd, path, buf, sizeof buf);

		if (r != expect)
			fail_msg ("%s via %s: got %d, expected %d", path, i ? "walk" : "openat2", r,
				  expect);
		if (content)
			assert_string_equal (buf, content);
	}
}

static void test_files_resolve_inside (void **state)
{
	struct tree *t = *state;

	check_both (t->rootfd, "/etc/hostname", 0, "inside");
	check_both (t->rootfd, "etc/hostname", 0, "inside");
	check_both (t->rootfd, "/abs/hostname", 0, "inside");
	check_both (t->rootfd, "/up/hostname", 0, "inside");
	check_both (t->rootfd, "/../../etc/hostname", 0, "inside");
	check_both (t->rootfd, "/dir/sub/../../etc/hostname", 0, "inside");
	check_both (t->rootfd, "/file-link", 0, "inside");
}

static void test_errors_agree (void **state)
{
	struct tree *t = *state;

	check_both (t->rootfd, "/missing", -ENOENT, NULL);
	check_both (t->rootfd, "/etc/hostname/x", -ENOTDIR, NULL);
	check_both (t->rootfd, "/loop", -ELOOP, NULL);
}

static void test_directories (void **state)
{
	struct tree *t = *state;
	int (*fns[]) (int, const char *, int) = { open_in_root, open_in_root_walk };

	for (size_t i = 0; i < ARRAY_SIZE (fns); i++) {
		struct stat a, b;
		int fd = fns[i](t->rootfd, "/abs/../dir/sub/", O_PATH | O_DIRECTORY);
		char p[PATH_MAX];

		assert_true (fd >= 0);
		assert_int_equal (fstat (fd, &a), 0);
		snprintf (p, sizeof p, "%s/dir/sub", t->dir);
		assert_int_equal (stat (p, &b), 0);
		assert_int_equal (a.st_ino, b.st_ino);
		close (fd);
		fd = fns[i](t->rootfd, "/", O_PATH | O_DIRECTORY);
		assert_true (fd >= 0);
		close (fd);
	}
}

/* O_NOFOLLOW on the last component, as the procfs/sysfs destinations use
 * it: openat2 and the walk agree.  "abs" is a symlink to a directory. */
static void test_last_symlink_not_followed (void **state)
{
	struct tree *t = *state;
	int (*fns[]) (int, const char *, int) = { open_in_root, open_in_root_walk };

	for (size_t i = 0; i < ARRAY_SIZE (fns); i++) {
		struct stat st;
		int fd;

		/* O_DIRECTORY: a symlink is no directory. */
		errno = 0;
		assert_int_equal (fns[i](t->rootfd, "/abs", O_PATH | O_NOFOLLOW | O_DIRECTORY), -1);
		assert_int_equal (errno, ENOTDIR);
		/* O_PATH alone: the link itself. */
		fd = fns[i](t->rootfd, "/abs", O_PATH | O_NOFOLLOW);
		assert_true (fd >= 0);
		assert_int_equal (fstat (fd, &st), 0);
		assert_true (S_ISLNK (st.st_mode));
		close (fd);
		/* Not the last component: followed (inside the root). */
		fd = fns[i](t->rootfd, "/abs/hostname", O_PATH | O_NOFOLLOW);
		assert_true (fd >= 0);
		close (fd);
		/* A real directory passes. */
		fd = fns[i](t->rootfd, "/dir", O_PATH | O_NOFOLLOW | O_DIRECTORY);
		assert_true (fd >= 0);
		close (fd);
	}
}

int main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown (test_files_resolve_inside, setup, teardown),
		cmocka_unit_test_setup_teardown (test_errors_agree, setup, teardown),
		cmocka_unit_test_setup_teardown (test_directories, setup, teardown),
		cmocka_unit_test_setup_teardown (test_last_symlink_not_followed, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
