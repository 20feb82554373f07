/* lib/termsafe.h: what reaches a terminal from a container is printable
 * text; every control byte, C1 control and byte that is not UTF-8 is
 * shown as \xNN, valid UTF-8 is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/termsafe.h"
#include "lib/util.h"

static void same (const char *in, unsigned flags, const char *want)
{
	char *got = termsafe_dup (in, flags);

	assert_string_equal (got, want);
	free (got);
}

static void test_printable_kept (void **state)
{
	(void)state;
	same ("", 0, "");
	same ("web | listening on :80", 0, "web | listening on :80");
	same ("tab\there \\x1b ~", 0, "tab\there \\x1b ~");
	same ("gr\xc3\xbc\xc3\x9f"
	      "e \xe2\x9c\x93",
	      0,
	      "gr\xc3\xbc\xc3\x9f"
	      "e \xe2\x9c\x93");
	same ("\xf0\x9f\x90\xa7 U+10FFFF \xf4\x8f\xbf\xbf", 0,
	      "\xf0\x9f\x90\xa7 U+10FFFF \xf4\x8f\xbf\xbf");
	/* U+00A0, the first character after the C1 block */
	same ("\xc2\xa0", 0, "\xc2\xa0");
}

static void test_terminal_sequences_escaped (void **state)
{
	(void)state;
	same ("\x1b[2Jcleared", 0, "\\x1b[2Jcleared");
	same ("\x1b]0;title\x07", 0, "\\x1b]0;title\\x07");
	same ("\x1bZ \x1b[c \x1b[6n", 0, "\\x1bZ \\x1b[c \\x1b[6n");
	same ("evil\roverwritten", 0, "evil\\x0doverwritten");
	same ("back\b\b\x7f", 0, "back\\x08\\x08\\x7f");
	same ("a\nb", 0, "a\\x0ab");
	same ("a\nb", TERMSAFE_NEWLINES, "a\nb");
	same ("\x01\x1f", TERMSAFE_NEWLINES, "\\x01\\x1f");
}

static void test_c1_escaped (void **state)
{
	(void)state;
	/* U+009B CSI, U+0080, U+009F, U+0085 NEL: both bytes shown */
	same ("\xc2\x9b"
	      "2J",
	      0, "\\xc2\\x9b2J");
	same ("\xc2\x80\xc2\x9f\xc2\x85", 0, "\\xc2\\x80\\xc2\\x9f\\xc2\\x85");
	/* 8-bit C1 as a raw byte (not UTF-8) */
	same ("\x9b"
	      "6n",
	      0, "\\x9b6n");
}

static void test_invalid_utf8_escaped (void **state)
{
	(void)state;
	same ("\xff\xfe", 0, "\\xff\\xfe");
	/* overlong ESC (0xc0 0x9b) and overlong '/' */
	same ("\xc0\x9b", 0, "\\xc0\\x9b");
	same ("\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf");
	/* a surrogate, past U+10FFFF */
	same ("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	same ("\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");
	/* a cut sequence: its bytes escaped, what follows looked at afresh */
	same ("\xe2\x9c"
	      "ok",
	      0, "\\xe2\\x9cok");
	same ("\xe2\x9c\xe2\x9c\x93", 0, "\\xe2\\x9c\xe2\x9c\x93");
	same ("end\xe2\x9c", 0, "end\\xe2\\x9c");
}

/* Bounded output: nothing is split, and what is written is a prefix of
 * the whole rendering. */
static void test_bounded (void **state)
{
	const char *in = "ab\x1b"
	                 "c\xe2\x9c\x93";
	char out[32];
	size_t used, n;

	(void)state;
	n = termsafe (out, 3, in, strlen (in), 0, &used);
	assert_int_equal (n, 2); /* \x1b does not fit whole */
	assert_int_equal (used, 2);
	n = termsafe (out, 6, in, strlen (in), 0, &used);
	assert_int_equal (n, 6);
	assert_int_equal (used, 3);
	assert_memory_equal (out, "ab\\x1b", 6);
	n = termsafe (out, 9, in, strlen (in), 0, &used);
	assert_int_equal (n, 7); /* the check mark's 3 bytes do not fit */
	assert_int_equal (used, 4);
	n = termsafe (out, sizeof out, in, strlen (in), 0, &used);
	assert_int_equal (n, 10);
	assert_int_equal (used, strlen (in));
	assert_int_equal (termsafe (out, 0, in, strlen (in), 0, &used), 0);
	assert_int_equal (used, 0);
}

/* A stream in pieces: a character cut by the end of a piece waits for
 * the next one with TERMSAFE_MORE, and the result is the same as whole. */
static void test_stream_pieces (void **state)
{
	const char *in = "gr\xc3\xbc\xc3\x9f"
	                 "e \xe2\x9c\x93\x1b[c\xf0\x9f\x90\xa7";
	size_t len = strlen (in);
	char whole[128], pieces[128];
	size_t nw, np, used;

	(void)state;
	nw = termsafe (whole, sizeof whole, in, len, 0, &used);
	assert_int_equal (used, len);
	for (size_t cut = 1; cut < len; cut++) {
		size_t off = 0;

		np = termsafe (pieces, sizeof pieces, in, cut, TERMSAFE_MORE, &used);
		assert_true (used <= cut && cut - used < 4);
		off = used;
		np += termsafe (pieces + np, sizeof pieces - np, in + off, len - off, 0, &used);
		assert_int_equal (off + used, len);
		assert_int_equal (np, nw);
		assert_memory_equal (pieces, whole, nw);
	}
	/* without MORE a cut character is escaped at once */
	np = termsafe (pieces, sizeof pieces, "\xe2\x9c", 2, 0, &used);
	assert_int_equal (used, 2);
	assert_memory_equal (pieces, "\\xe2\\x9c", np);
	/* with MORE only a valid beginning waits: an invalid one does not */
	np = termsafe (pieces, sizeof pieces,
	               "\xe2"
	               "a",
	               2, TERMSAFE_MORE, &used);
	assert_int_equal (used, 2);
	assert_memory_equal (pieces, "\\xe2a", np);
}

/* Every byte value alone: kept exactly when printable ASCII or tab. */
static void test_every_byte (void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		char in = (char)b, out[8];
		size_t n = termsafe (out, sizeof out, &in, 1, 0, NULL);

		if ((b >= 0x20 && b < 0x7f) || b == '\t') {
			assert_int_equal (n, 1);
			assert_int_equal ((unsigned char)out[0], b);
		} else {
			char want[8];
			snprintf (want, sizeof want, "\\x%02x", b);
			assert_int_equal (n, 4);
			assert_memory_equal (out, want, 4);
		}
	}
}

static char *read_back (FILE *f)
{
	static char buf[512];
	size_t n;

	rewind (f);
	n = fread (buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	return buf;
}

/* keel_log's text lines (PID 1's stderr is the console) are one line,
 * rendered; keel_error_print keeps an error's lines (the importer's log
 * tail) and renders the rest. */
static void test_log_and_error_text (void **state)
{
	char path[] = "/tmp/keel-termsafe-XXXXXX";
	struct keel_error *err = NULL;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp (path);
	assert_true (fd >= 0);
	close (fd);
	assert_int_equal (keel_log_open (path, false, false, &err), 0);
	keel_log (KEEL_LOG_WARNING, "user `%s` not found", "\x1b[2J\n[  OK  ] forged\xc2\x9b");
	f = fopen (path, "r");
	assert_non_null (f);
	assert_string_equal (
	        read_back (f),
	        "keel: warning: user `\\x1b[2J\\x0a[  OK  ] forged\\xc2\\x9b` not found\n");
	fclose (f);
	unlink (path);

	f = tmpfile ();
	assert_non_null (f);
	keel_error (&err, 0, "the importer failed:\nline \x1b]0;t\x07\nend\r");
	keel_error_print (f, "keelctl update", &err);
	assert_null (err);
	assert_string_equal (
	        read_back (f),
	        "keelctl update: the importer failed:\nline \\x1b]0;t\\x07\nend\\x0d\n");
	fclose (f);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_printable_kept),
	        cmocka_unit_test (test_terminal_sequences_escaped),
	        cmocka_unit_test (test_c1_escaped),
	        cmocka_unit_test (test_invalid_utf8_escaped),
	        cmocka_unit_test (test_bounded),
	        cmocka_unit_test (test_stream_pieces),
	        cmocka_unit_test (test_every_byte),
	        cmocka_unit_test (test_log_and_error_text),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
