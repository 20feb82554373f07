/* keel.* options from the kernel command line, and the small wire formats
 * PID 1 reads: sd_notify datagrams and launch-helper reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/launch.h"
#include "init/notify.h"
#include "init/options.h"

static void test_cmdline (void **state)
{
	struct init_opts o;
	struct keel_error *err = NULL;
	char *warn = NULL;

	init_opts_defaults (&o);
	assert_int_equal (
	        cmdline_apply (
	                &o,
	                "BOOT_IMAGE=/vmlinuz console=ttyS0 keel.debug "
	                "keel.dir=/mnt/c.d keel.skip=net,web keel.shell=/bin/sh "
	                "keel.hostname=\"box\" keel.bogus=1 keel.dir=relative -- keel.skip=x\n",
	                &warn, &err),
	        0);
	assert_true (o.debug);
	assert_string_equal (o.dir, "/mnt/c.d"); /* a relative path is refused */
	assert_string_equal (o.shell, "/bin/sh");
	assert_string_equal (o.hostname, "box");
	assert_int_equal (o.n_skip, 2);
	assert_true (init_opts_skipped (&o, "net"));
	assert_true (init_opts_skipped (&o, "web"));
	assert_false (init_opts_skipped (&o, "x")); /* after "--": init's argv */
	assert_string_equal (warn, "keel.bogus=1, keel.dir=relative");
	free (warn);
	init_opts_free (&o);

	init_opts_defaults (&o);
	assert_false (o.store_off);
	assert_int_equal (cmdline_apply (&o, "keel.store=off keel.store=maybe", &warn, &err), 0);
	assert_true (o.store_off);
	assert_string_equal (warn, "keel.store=maybe");
	free (warn);
	warn = NULL;
	init_opts_free (&o);

	init_opts_defaults (&o);
	assert_int_equal (cmdline_apply (&o, "keel.debug=0 keel.skip=a/b", &warn, &err), 0);
	assert_false (o.debug);
	assert_int_equal (o.n_skip, 0);
	assert_string_equal (warn, "keel.skip: skip: \"a/b\" is not a valid container name");
	free (warn);
	init_opts_free (&o);

	/* keel.dns: 1-3 addresses; anything else is warned about, not used */
	init_opts_defaults (&o);
	assert_null (o.dns);
	assert_int_equal (
	        cmdline_apply (&o,
	                       "keel.dns=10.0.2.3,2001:db8::1 keel.dns=1.2.3 "
	                       "keel.dns=1.1.1.1,,8.8.8.8 keel.dns=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4 "
	                       "keel.dns= keel.dns=a.b,1.1.1.1",
	                       &warn, &err),
	        0);
	assert_string_equal (o.dns, "10.0.2.3,2001:db8::1");
	assert_string_equal (warn, "keel.dns=1.2.3, keel.dns=1.1.1.1,,8.8.8.8, "
	                           "keel.dns=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4, keel.dns=, "
	                           "keel.dns=a.b,1.1.1.1");
	free (warn);
	init_opts_free (&o);

	/* whole-node A/B (init/slot.h): the boot disk, the booted slot */
	init_opts_defaults (&o);
	assert_null (o.slots);
	assert_int_equal (o.slot, 0);
	assert_int_equal (o.slot_timeout_secs, 600);
	assert_int_equal (cmdline_apply (&o,
	                                 "keel.slot=b keel.slots=LABEL=keelboot keel.slot.trial "
	                                 "keel.slot=C keel.slots= keel.slot.trial=1 "
	                                 "keel.slot.timeout=15 keel.slot.timeout=86401",
	                                 &warn, &err),
	                  0);
	assert_int_equal (o.slot_timeout_secs, 15);
	assert_string_equal (o.slots, "LABEL=keelboot");
	assert_int_equal (o.slot, 'B');
	assert_true (o.slot_trial);
	assert_string_equal (warn, "keel.slot=C, keel.slots=, keel.slot.trial=1, "
	                           "keel.slot.timeout=86401");
	free (warn);
	init_opts_free (&o);
}

static void test_notify_parse (void **state)
{
	bool ready = false;
	char *status = NULL;

	notify_parse ("STATUS=starting", 15, &ready, &status);
	assert_false (ready);
	assert_string_equal (status, "starting");
	notify_parse ("MAINPID=4\nREADY=1\nSTATUS=up\n", 27, &ready, &status);
	assert_true (ready);
	assert_string_equal (status, "up");
	ready = false;
	notify_parse ("READY=10\nXREADY=1", 17, &ready, &status);
	assert_false (ready);
	/* Escapes and NULs never reach the console or keelctl: shown
	 * (lib/termsafe.h), valid UTF-8 kept, a C1 CSI escaped. */
	notify_parse ("STATUS=a\033[2Jb\0c\x7f", 16, &ready, &status);
	assert_string_equal (status, "a\\x1b[2Jb\\x00c\\x7f");
	notify_parse ("STATUS=gr\xc3\xbc\xc3\x9f"
	              "e \xc2\x9b"
	              "6n\r",
	              20, &ready, &status);
	assert_string_equal (status, "gr\xc3\xbc\xc3\x9f"
	                             "e \\xc2\\x9b6n\\x0d");
	free (status);
}

static void test_launch_parse (void **state)
{
	struct launch_report r;
	const char ok[] = "P1234\nS\n";
	const char failed[] = "P77\nEstart `web`: exec: no such file\n";
	const char bad[] = "Pabc\nP-1\nE\n";

	launch_parse (ok, sizeof ok - 1, &r);
	assert_int_equal (r.pid, 1234);
	assert_true (r.started);
	assert_false (r.tmpfiles_done);
	assert_null (r.error);
	launch_report_free (&r);

	/* tmpfiles.conf applied, then create failed: applied is kept */
	launch_parse ("T\nEcreate: no\n", 13, &r);
	assert_true (r.tmpfiles_done);
	assert_false (r.started);
	assert_string_equal (r.error, "create: no");
	launch_report_free (&r);

	launch_parse (failed, sizeof failed - 1, &r);
	assert_int_equal (r.pid, 77);
	assert_false (r.started);
	assert_string_equal (r.error, "start `web`: exec: no such file");
	launch_report_free (&r);

	launch_parse (bad, sizeof bad - 1, &r);
	assert_int_equal (r.pid, 0);
	assert_string_equal (r.error, "");
	launch_report_free (&r);

	launch_parse ("", 0, &r); /* a helper that died silently */
	assert_int_equal (r.pid, 0);
	assert_false (r.started);
	launch_report_free (&r);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_cmdline),
	        cmocka_unit_test (test_notify_parse),
	        cmocka_unit_test (test_launch_parse),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
