/* The console queue under a flood (init/console.c), on a real pipe that
 * nobody reads until the end: a quiet container's lines all get in beside
 * two floods, the floods get even shares, keel's own lines always get in,
 * drops are summed up once per interval (and once more at the drain), and
 * a source released with bytes still queued leaves the counts right. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/console.h"
#include "init/logring.h"
#include "lib/util.h"

struct fixture {
	struct console con;
	int rd;
	char *out; /* everything read back */
	size_t out_len;
};

static int setup (void **state)
{
	struct fixture *f = xmalloc0 (sizeof *f);
	struct keel_error *err = NULL;
	char path[64];
	int p[2];

	assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
	fcntl (p[1], F_SETPIPE_SZ, 4096); /* a slow console holds little */
	snprintf (path, sizeof path, "/proc/self/fd/%d", p[1]);
	assert_int_equal (console_open (&f->con, path, &err), 0);
	close (p[1]);
	f->rd = p[0];
	assert_int_equal (fcntl (f->rd, F_SETFL, O_NONBLOCK), 0);
	*state = f;
	return 0;
}

static void read_all (struct fixture *f)
{
	char buf[65536];
	ssize_t n;

	while ((n = read (f->rd, buf, sizeof buf)) > 0) {
		f->out = realloc (f->out, f->out_len + (size_t)n + 1);
		assert_non_null (f->out);
		memcpy (f->out + f->out_len, buf, (size_t)n);
		f->out_len += (size_t)n;
		f->out[f->out_len] = '\0';
	}
}

/* Read while draining, so the drain finds a console that takes things. */
static void drain_reading (struct fixture *f)
{
	while (console_pending (&f->con)) {
		read_all (f);
		console_flush (&f->con);
	}
	read_all (f);
	console_drain (&f->con);
	read_all (f);
}

static int teardown (void **state)
{
	struct fixture *f = *state;

	console_close (&f->con);
	close (f->rd);
	free (f->out);
	free (f);
	return 0;
}

static size_t count (const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr (p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_fair_share_and_reserve (void **state)
{
	struct fixture *f = *state;
	struct console_src a, b, quiet;
	const char flood[] = "flooding flooding flooding flooding flooding flooding";
	char line[64];
	size_t i, na, nb;

	console_src_init (&a, "a");
	console_src_init (&b, "b");
	console_src_init (&quiet, "quiet");
	for (i = 0; i < 20000; i++) {
		console_container_line (&f->con, &a, flood, sizeof flood - 1);
		console_container_line (&f->con, &b, flood, sizeof flood - 1);
		if (i % 200 == 0) {
			int n = snprintf (line, sizeof line, "tick %zu", i / 200);
			console_container_line (&f->con, &quiet, line, (size_t)n);
		}
	}
	/* the containers' part is full: keel's own lines still fit */
	for (i = 0; i < 100; i++)
		console_status (&f->con, CS_OK, "Stopped unit%zu.", i);
	drain_reading (f);

	for (i = 0; i < 100; i++) {
		snprintf (line, sizeof line, "quiet | tick %zu\n", i);
		assert_non_null (strstr (f->out, line));
		snprintf (line, sizeof line, "[  OK  ] Stopped unit%zu.\n", i);
		assert_non_null (strstr (f->out, line));
	}
	na = count (f->out, "] a | flooding");
	nb = count (f->out, "] b | flooding");
	assert_true (na > 10 && nb > 10);
	assert_true (na <= nb * 2 && nb <= na * 2);
	/* one summary at the first drop, one at the drain: not one per line */
	assert_int_equal (count (f->out, "keel: console too slow:"), 2);
	assert_non_null (strstr (f->out, "of container output dropped (a "));
	assert_int_equal (count (f->out, "keel's own lines lost"), 0);
	assert_int_equal (f->con.n_active, 0);
	assert_int_equal (a.queued + b.queued + quiet.queued, 0);
	console_src_release (&f->con, &a);
	console_src_release (&f->con, &b);
	console_src_release (&f->con, &quiet);
}

static void test_summary_per_interval (void **state)
{
	struct fixture *f = *state;
	struct console_src a;
	const char flood[] = "flooding flooding flooding flooding flooding flooding";
	uint64_t t0 = console_now_ms ();
	size_t i;

	console_src_init (&a, "a");
	/* 2.5 s of a flood into a console read 4 KiB per 10 ms: a summary
	 * at the first drop, then one each second */
	while (console_now_ms () - t0 < 2500) {
		for (i = 0; i < 1000; i++)
			console_container_line (&f->con, &a, flood, sizeof flood - 1);
		usleep (10000);
		read_all (f);
		console_flush (&f->con);
	}
	console_src_release (&f->con, &a);
	drain_reading (f);
	assert_int_equal (count (f->out, "keel: console too slow:"), 3 + 1 /* the drain's */);
	assert_int_equal (f->con.n_active, 0);
}

static void test_release_while_queued (void **state)
{
	struct fixture *f = *state;
	struct console_src *a = xmalloc0 (sizeof *a);
	struct console_src b;

	console_src_init (a, "gone");
	console_src_init (&b, "b");
	while (!console_pending (&f->con)) /* the pipe is full: the rest stays queued */
		console_status (&f->con, CS_INFO, "filling the pipe");
	console_container_line (&f->con, a, "one", 3);
	console_container_line (&f->con, &b, "two", 3);
	console_container_line (&f->con, a, "three", 5);
	assert_int_equal (f->con.n_active, 2);
	console_src_release (&f->con, a);
	/* its lines still go out, owned by nobody; its memory can go */
	memset (a, 0xaa, sizeof *a);
	free (a);
	assert_int_equal (f->con.n_active, 1);
	drain_reading (f);
	assert_non_null (strstr (f->out, "gone | one\n"));
	assert_non_null (strstr (f->out, "gone | three\n"));
	assert_int_equal (b.queued, 0);
	assert_int_equal (f->con.n_active, 0);
}

/* What a container prints reaches the console rendered (lib/termsafe.h):
 * no control byte, the escapes shown, valid UTF-8 kept; a line whose
 * rendering is longer than LOG_LINE_BUF goes on in the next console line,
 * nothing lost; keel's own status lines quoting it are rendered too. */
static void test_container_bytes_rendered (void **state)
{
	struct fixture *f = *state;
	struct console_src a;
	char esc[LOG_LINE_MAX];
	const char *p;
	size_t i, lines = 0, shown = 0;

	console_src_init (&a, "evil");
	console_container_line (&f->con, &a,
	                        "\x1b[2J\x1b]0;t\x07\x1bZ\rgr\xc3\xbc\xc3\x9f"
	                        "e \xc2\x9b\xff",
	                        strlen ("\x1b[2J\x1b]0;t\x07\x1bZ\rgr\xc3\xbc\xc3\x9f"
	                                "e \xc2\x9b\xff"));
	memset (esc, 0x1b, sizeof esc);
	console_container_line (&f->con, &a, esc, sizeof esc);
	console_status (&f->con, CS_FAIL, "Failed to start %s: %s", "evil", "user `\x1b[6n` \x9b");
	drain_reading (f);
	assert_non_null (strstr (f->out,
	                         "evil | \\x1b[2J\\x1b]0;t\\x07\\x1bZ\\x0dgr\xc3\xbc\xc3\x9f"
	                         "e \\xc2\\x9b\\xff\n"));
	assert_non_null (strstr (f->out, "Failed to start evil: user `\\x1b[6n` \\x9b\n"));
	for (i = 0; i < f->out_len; i++) {
		unsigned char c = (unsigned char)f->out[i];
		assert_true (c >= 0x20 || c == '\n');
		assert_true (c != 0x7f && c != 0x9b);
	}
	/* 1024 ESC: 4096 bytes shown, over several console lines of at most
	 * LOG_LINE_BUF bytes, every one of them there */
	for (p = f->out; (p = strstr (p, "evil | \\x1b\\x1b")) != NULL; p++) {
		const char *nl = strchr (p, '\n');
		assert_non_null (nl);
		assert_true ((size_t)(nl - p) + 16 <=
		             LOG_LINE_BUF); /* with its stamp and newline */
		lines++;
		for (const char *q = p; q < nl; q++)
			shown += strncmp (q, "\\x1b", 4) == 0;
	}
	assert_true (lines >= 4);
	assert_int_equal (shown, LOG_LINE_MAX);
}

static void test_drain_is_bounded (void **state)
{
	struct fixture *f = *state;
	uint64_t t0;
	size_t i;

	/* nobody reads: the drain gives up after CONSOLE_DRAIN_MS, and
	 * the next one waits much less */
	for (i = 0; i < 400; i++)
		console_status (&f->con, CS_INFO, "line %zu of keel's own", i);
	t0 = console_now_ms ();
	console_drain (&f->con);
	assert_true (console_now_ms () - t0 >= CONSOLE_DRAIN_MS - 10);
	assert_true (console_now_ms () - t0 < CONSOLE_DRAIN_MS + 1000);
	assert_false (console_pending (&f->con));
	console_status (&f->con, CS_INFO, "one more");
	t0 = console_now_ms ();
	console_drain (&f->con);
	assert_true (console_now_ms () - t0 < 1000);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_fair_share_and_reserve, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_summary_per_interval, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_release_while_queued, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_container_bytes_rendered, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_drain_is_bounded, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
