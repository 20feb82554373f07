/* The file fixtures of the unit tests that work on a real directory (the
 * deployment store, the boot disk's state file, the store on a disk, the
 * commit helper): a scratch directory under /tmp, removed whole without
 * following a link (the trees hold links a container could plant, to
 * directories that stand for the host); small files written and read
 * back; and a writer run in a child that may stop dead at a crash point.
 *
 * Header-only, as linux-helpers.h: every unit test is one .c linked with
 * libkeel.a (Makefile).  Include after <cmocka.h>.
 */
#ifndef KEEL_TEST_FIXTURE_H
#define KEEL_TEST_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/util.h"

/* DIR (SIZE bytes) gets a new directory PREFIX.XXXXXX, e.g. "/tmp/kdp-unit". */
static inline void fixture_tmpdir (char *dir, size_t size, const char *prefix)
{
	assert_true ((size_t)snprintf (dir, size, "%s.XXXXXX", prefix) < size);
	assert_non_null (mkdtemp (dir));
}

static inline int fixture_rm_one (const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove (p);
}

/* Remove DIR and everything below it; a link is removed, never followed. */
static inline void fixture_remove (const char *dir)
{
	nftw (dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* PATH (relative to DFD, or AT_FDCWD) holds exactly TEXT. */
static inline void fixture_put (int dfd, const char *path, const char *text)
{
	struct keel_error *err = NULL;

	if (write_file_at (dfd, path, O_CREAT | O_TRUNC, 0644, text, strlen (text), &err) < 0)
		fail_msg ("%s", keel_error_string (err));
}

/* What PATH holds (up to 64 KiB; free it), NULL when it cannot be read. */
static inline char *fixture_get (int dfd, const char *path)
{
	struct keel_error *err = NULL;
	char *s = NULL;

	if (read_file_at (dfd, path, 65536, &s, NULL, &err) < 0) {
		keel_error_release (&err);
		return NULL;
	}
	return s;
}

/* Run WRITER(ARG) in a child (which sets its module's crash point first:
 * it _exit(0)s there).  True when it got through every point; a writer
 * that fails says why on stderr and fails the test. */
static inline bool fixture_run_writer (int (*writer) (void *arg, struct keel_error **err),
                                       void *arg)
{
	pid_t pid;
	int status;

	fflush (NULL);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		struct keel_error *err = NULL;

		if (writer (arg, &err) < 0) {
			fprintf (stderr, "the writer failed: %s\n", keel_error_string (err));
			_exit (2);
		}
		_exit (10);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	assert_int_not_equal (WEXITSTATUS (status), 2);
	return WEXITSTATUS (status) == 10;
}

#endif
