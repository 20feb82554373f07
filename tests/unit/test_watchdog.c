/* The hardware watchdog's settings: keel.watchdog=SECONDS and
 * /etc/keel/watchdog (init/watchdog.c).  Opening and petting a real
 * device is shown in QEMU (tests-qemu/scenarios/watchdog). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/options.h"
#include "init/watchdog.h"

static void test_parse_seconds (void **state)
{
	struct keel_error *err = NULL;
	unsigned s = 99;

	assert_int_equal (watchdog_parse_seconds ("30", &s, &err), 0);
	assert_int_equal (s, 30);
	assert_int_equal (watchdog_parse_seconds ("0", &s, &err), 0);
	assert_int_equal (s, 0);
	assert_int_equal (watchdog_parse_seconds ("65535", &s, &err), 0);
	assert_int_equal (s, 65535);

	s = 7;
	assert_true (watchdog_parse_seconds ("65536", &s, &err) < 0);
	assert_string_equal (err->msg, "watchdog: 65536 seconds: at most 65535");
	keel_error_release (&err);
	/* Far beyond unsigned long: stopped at the first digit too many. */
	assert_true (watchdog_parse_seconds ("99999999999999999999999", &s, &err) < 0);
	keel_error_release (&err);
	assert_true (watchdog_parse_seconds ("-1", &s, &err) < 0);
	assert_string_equal (err->msg, "watchdog: \"-1\" is not a number of seconds");
	keel_error_release (&err);
	assert_true (watchdog_parse_seconds ("10s", &s, &err) < 0);
	keel_error_release (&err);
	assert_true (watchdog_parse_seconds (" 10", &s, &err) < 0);
	keel_error_release (&err);
	assert_true (watchdog_parse_seconds ("", &s, &err) < 0);
	keel_error_release (&err);
	assert_int_equal (s, 7); /* untouched on failure */
}

static char *write_tmp (const char *text)
{
	char *path = strdup ("/tmp/khw-test-watchdog-XXXXXX");
	int fd = mkstemp (path);

	assert_true (fd >= 0);
	assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
	close (fd);
	return path;
}

static void test_read_config (void **state)
{
	struct keel_error *err = NULL;
	unsigned s = 5;
	char *p;

	/* No file: nothing changes. */
	assert_int_equal (watchdog_read_config ("/nonexistent/khw-watchdog", &s, &err), 0);
	assert_int_equal (s, 5);

	p = write_tmp ("# seconds before the hardware resets\n\n  20 \n");
	assert_int_equal (watchdog_read_config (p, &s, &err), 0);
	assert_int_equal (s, 20);
	unlink (p);
	free (p);

	p = write_tmp ("20\n30\n");
	assert_true (watchdog_read_config (p, &s, &err) < 0);
	assert_non_null (strstr (err->msg, "more than one timeout"));
	assert_non_null (strstr (err->msg, p)); /* names the file */
	keel_error_release (&err);
	unlink (p);
	free (p);

	p = write_tmp ("twenty\n");
	assert_true (watchdog_read_config (p, &s, &err) < 0);
	assert_non_null (strstr (err->msg, "\"twenty\" is not a number of seconds"));
	assert_non_null (strstr (err->msg, p));
	keel_error_release (&err);
	unlink (p);
	free (p);
	assert_int_equal (s, 20);
}

static void test_cmdline_watchdog (void **state)
{
	struct init_opts o;
	struct keel_error *err = NULL;
	char *warn = NULL;

	init_opts_defaults (&o);
	assert_false (o.watchdog_set);
	assert_int_equal (cmdline_apply (&o, "console=ttyS0 keel.watchdog=15", &warn, &err), 0);
	assert_null (warn);
	assert_true (o.watchdog_set);
	assert_int_equal (o.watchdog_secs, 15);
	init_opts_free (&o);

	/* A bad value is a warning and leaves the watchdog off. */
	init_opts_defaults (&o);
	assert_int_equal (cmdline_apply (&o, "keel.watchdog=soon", &warn, &err), 0);
	assert_false (o.watchdog_set);
	assert_int_equal (o.watchdog_secs, 0);
	assert_string_equal (warn, "keel.watchdog: watchdog: \"soon\" is not a number of seconds");
	free (warn);
	init_opts_free (&o);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_parse_seconds),
	        cmocka_unit_test (test_read_config),
	        cmocka_unit_test (test_cmdline_watchdog),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
