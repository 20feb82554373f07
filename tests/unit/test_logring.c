/* Log sinks: ring wrap-around, console line splitting and cutting, file
 * rotation by size. */
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

#include "init/logring.h"
#include "lib/util.h"

static void test_ring (void **state)
{
	struct logring r;
	char *t;
	size_t n;

	logring_init (&r, 8);
	t = logring_tail (&r, 100, &n);
	assert_int_equal (n, 0);
	free (t);
	logring_append (&r, "abc", 3);
	logring_append (&r, "defgh", 5);
	t = logring_tail (&r, 100, &n);
	assert_int_equal (n, 8);
	assert_memory_equal (t, "abcdefgh", 8);
	free (t);
	logring_append (&r, "XYZ", 3); /* wraps: oldest 3 bytes go */
	t = logring_tail (&r, 100, &n);
	assert_memory_equal (t, "defghXYZ", 8);
	free (t);
	t = logring_tail (&r, 4, &n);
	assert_int_equal (n, 4);
	assert_memory_equal (t, "hXYZ", 4);
	free (t);
	logring_append (&r, "0123456789abc", 13); /* larger than the ring */
	t = logring_tail (&r, 100, &n);
	assert_memory_equal (t, "56789abc", 8);
	free (t);
	assert_int_equal (r.total, 24);
	logring_free (&r);
}

static char lines[4096];

static void emit (void *data, struct console_src *src, const char *line, size_t len)
{
	size_t l = strlen (lines);
	snprintf (lines + l, sizeof lines - l, "%s|%.*s\n", src->name, (int)len, line);
}

static void test_console_lines (void **state)
{
	struct logsink s;
	struct keel_error *err = NULL;
	char big[LOG_LINE_MAX + 10];

	lines[0] = '\0';
	logsink_init (&s, "web", 1024, true, NULL, 0, 0);
	assert_int_equal (logsink_feed (&s, "one\ntw", 6, emit, NULL, &err), 0);
	assert_string_equal (lines, "web|one\n");
	assert_int_equal (logsink_feed (&s, "o\nthree\n", 8, emit, NULL, &err), 0);
	assert_string_equal (lines, "web|one\nweb|two\nweb|three\n");
	assert_int_equal (logsink_feed (&s, "tail", 4, emit, NULL, &err), 0);
	logsink_flush (&s, emit, NULL);
	assert_string_equal (lines, "web|one\nweb|two\nweb|three\nweb|tail\n");

	/* an endless line is cut at LOG_LINE_MAX */
	lines[0] = '\0';
	memset (big, 'x', sizeof big);
	big[sizeof big - 1] = '\n';
	assert_int_equal (logsink_feed (&s, big, sizeof big, emit, NULL, &err), 0);
	assert_int_equal (strlen (lines), 4 + LOG_LINE_MAX + 1 + 4 + 9 + 1);

	/* A line of exactly LOG_LINE_MAX is one console line whether its
	 * newline comes in the same read or the next one (found by
	 * fuzz_logsink: the next read's newline gave an empty line). */
	lines[0] = '\0';
	assert_int_equal (logsink_feed (&s, big, LOG_LINE_MAX, emit, NULL, &err), 0);
	assert_int_equal (logsink_feed (&s, "\nafter\n", 7, emit, NULL, &err), 0);
	assert_int_equal (strlen (lines), 4 + LOG_LINE_MAX + 1 + 4 + 5 + 1);
	assert_string_equal (lines + 4 + LOG_LINE_MAX + 1, "web|after\n");
	/* the same through the copying path: a partial line first */
	lines[0] = '\0';
	assert_int_equal (logsink_feed (&s, big, 10, emit, NULL, &err), 0);
	assert_int_equal (logsink_feed (&s, big, LOG_LINE_MAX - 10, emit, NULL, &err), 0);
	assert_int_equal (logsink_feed (&s, "\n\n", 2, emit, NULL, &err), 0);
	assert_int_equal (strlen (lines), 4 + LOG_LINE_MAX + 1 + 4 + 1); /* then one empty line */
	logsink_free (&s);
}

static void test_no_console (void **state)
{
	struct logsink s;
	struct keel_error *err = NULL;
	char *t;
	size_t n;

	lines[0] = '\0';
	logsink_init (&s, "quiet", 1024, false, NULL, 0, 0);
	assert_int_equal (logsink_feed (&s, "hidden\n", 7, emit, NULL, &err), 0);
	assert_string_equal (lines, "");
	t = logring_tail (&s.ring, 1024, &n);
	assert_memory_equal (t, "hidden\n", 7);
	free (t);
	logsink_free (&s);
}

static off_t fsize (const char *p)
{
	struct stat st;
	return stat (p, &st) == 0 ? st.st_size : -1;
}

static void test_rotation (void **state)
{
	char dir[] = "/tmp/keel-logring-XXXXXX";
	struct logsink s;
	struct keel_error *err = NULL;
	char chunk[1000];
	int i;

	assert_non_null (mkdtemp (dir));
	cleanup_free char *path = xasprintf ("%s/sub/web.log", dir);
	logsink_init (&s, "web", 1024, false, path, 4096, 3);
	memset (chunk, 'a', sizeof chunk);
	for (i = 0; i < 20; i++) /* 20000 bytes through 4 KiB files */
		assert_int_equal (logsink_feed (&s, chunk, sizeof chunk, NULL, NULL, &err), 0);
	cleanup_free char *p1 = xasprintf ("%s.1", path);
	cleanup_free char *p2 = xasprintf ("%s.2", path);
	cleanup_free char *p3 = xasprintf ("%s.3", path);
	assert_true (fsize (path) > 0 && fsize (path) <= 4096);
	assert_int_equal (fsize (p1), 4000);
	assert_int_equal (fsize (p2), 4000);
	assert_int_equal (fsize (p3), -1); /* count 3: FILE, FILE.1, FILE.2 */
	logsink_free (&s);

	/* an unwritable file is reported once, and the ring still works */
	cleanup_free char *bad = xasprintf ("%s/web.log/x", path);
	logsink_init (&s, "web", 1024, false, bad, 4096, 3);
	assert_true (logsink_feed (&s, "x\n", 2, NULL, NULL, &err) < 0);
	assert_non_null (err);
	keel_error_release (&err);
	assert_int_equal (logsink_feed (&s, "y\n", 2, NULL, NULL, &err), 0);
	assert_null (err);
	assert_int_equal (s.ring.len, 4);
	logsink_free (&s);

	unlink (path);
	unlink (p1);
	unlink (p2);
	cleanup_free char *sub = xasprintf ("%s/sub", dir);
	rmdir (sub);
	rmdir (dir);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_ring),
	        cmocka_unit_test (test_console_lines),
	        cmocka_unit_test (test_no_console),
	        cmocka_unit_test (test_rotation),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
