/* keelctl boot-time's rendering (init/boottime.c) from a reply with known
 * stamps: the phases, blame order, the critical chain, the JSON numbers,
 * the SVG's rows; replies that are not what PID 1 sends are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "init/boottime.h"
#include "lib/util.h"

/* Kernel 2 s, keel setup 0.5 s, containers.d 0.1 s (loaded at 2.6 s).
 * net: oneshot, starts at once, created +50 ms, running +10 ms, done after
 * a 400 ms run.  web requires net, waits for a device from 2.7 s, starts
 * at 3.1 s, ready 200 ms after running.  bad: failed at 2.65 s. */
static const char reply[] =
        "{\"clock\":\"CLOCK_BOOTTIME\",\"unit\":\"us\",\"boot\":true,\"now\":9000000,"
        "\"keel_start\":2000000,\"setup_done\":2500000,\"loaded\":2600000,\"settled\":3500000,"
        "\"units\":["
        "{\"name\":\"net\",\"kind\":\"oneshot\",\"state\":\"done\",\"devices\":0,\"deps\":[],"
        "\"devwait\":0,\"created\":2650000,\"waiting\":0,\"starting\":2600000,"
        "\"running\":2660000,\"ready\":0,\"stopping\":0,\"exited\":3060000,\"restarting\":0,"
        "\"done\":3060000,\"failed\":0,\"blocked\":0,\"skipped\":0,\"stopped\":0},"
        "{\"name\":\"web\",\"kind\":\"service\",\"state\":\"ready\",\"devices\":1,"
        "\"deps\":[{\"name\":\"net\",\"kind\":\"requires\"}],"
        "\"devwait\":2700000,\"created\":3200000,\"waiting\":0,\"starting\":3100000,"
        "\"running\":3250000,\"ready\":3450000,\"stopping\":0,\"exited\":0,\"restarting\":0,"
        "\"done\":0,\"failed\":0,\"blocked\":0,\"skipped\":0,\"stopped\":0},"
        "{\"name\":\"bad\",\"kind\":\"service\",\"state\":\"failed\",\"devices\":0,\"deps\":[],"
        "\"devwait\":0,\"created\":0,\"waiting\":0,\"starting\":2600000,\"running\":0,"
        "\"ready\":0,\"stopping\":0,\"exited\":0,\"restarting\":0,\"done\":0,"
        "\"failed\":2650000,\"blocked\":0,\"skipped\":0,\"stopped\":0}"
        "]}";

static char *render (const char *json, enum boottime_format fmt, int *ret)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream (&out, &len);
	struct keel_error *err = NULL;

	assert_non_null (f);
	*ret = boottime_render (json, strlen (json), fmt, f, &err);
	fclose (f);
	if (*ret < 0) {
		free (out);
		out = keel_error_string (err);
		keel_error_release (&err);
	}
	return out;
}

static void test_text (void **state)
{
	int ret;
	char *t = render (reply, BOOTTIME_TEXT, &ret);

	(void)state;
	assert_int_equal (ret, 0);
	assert_non_null (strstr (t,
	                         "Startup finished in 2.000s (kernel) + 600.0ms (keel) + 900.0ms "
	                         "(containers) = 3.500s\n"));
	assert_non_null (strstr (t, "keel: 500.0ms machine setup (mounts, modules, cgroups), "
	                            "100.0ms reading containers.d\n"));
	/* blame: net (460 ms) before web (350 ms); phases and how it ended */
	assert_non_null (
	        strstr (t, "     460.0ms net (create 50.0ms, start 10.0ms, run 400.0ms; done)\n"
	                   "     350.0ms web (deps 100.0ms, devices 400.0ms, create 100.0ms, "
	                   "start 50.0ms, ready 200.0ms; ready)\n"));
	assert_non_null (strstr (t, "bad (create 50.0ms; failed)\n"));
	assert_non_null (strstr (t, "web @3.450s +350.0ms\n└─net @3.060s +460.0ms\n"));
	free (t);
}

static double num (json_object *o, const char *key)
{
	json_object *v;

	assert_true (json_object_object_get_ex (o, key, &v));
	return json_object_get_double (v);
}

static void test_json (void **state)
{
	int ret;
	char *t = render (reply, BOOTTIME_JSON, &ret);
	json_object *j, *units, *web, *chain;

	(void)state;
	assert_int_equal (ret, 0);
	j = json_tokener_parse (t);
	assert_non_null (j);
	assert_true (num (j, "kernel_ms") == 2000.0);
	assert_true (num (j, "keel_setup_ms") == 500.0);
	assert_true (num (j, "keel_load_ms") == 100.0);
	assert_true (num (j, "containers_ms") == 900.0);
	assert_true (num (j, "total_ms") == 3500.0);
	assert_true (json_object_object_get_ex (j, "units", &units));
	web = json_object_array_get_idx (units, 1);
	assert_true (num (web, "deps_ms") == 100.0);
	assert_true (num (web, "devices_ms") == 400.0);
	assert_true (num (web, "create_ms") == 100.0);
	assert_true (num (web, "start_ms") == 50.0);
	assert_true (num (web, "ready_ms") == 200.0);
	assert_true (num (web, "active_ms") == 350.0);
	assert_true (num (web, "start_at_ms") == 3100.0);
	assert_true (num (web, "end_at_ms") == 3450.0);
	assert_true (json_object_object_get_ex (j, "critical_chain", &chain));
	assert_int_equal (json_object_array_length (chain), 2);
	assert_string_equal (json_object_get_string (json_object_array_get_idx (chain, 1)), "net");
	json_object_put (j);
	free (t);
}

static void test_svg (void **state)
{
	int ret;
	char *t = render (reply, BOOTTIME_SVG, &ret);

	(void)state;
	assert_int_equal (ret, 0);
	assert_memory_equal (t, "<?xml version=\"1.0\"", 19);
	assert_non_null (strstr (t, "<text x=\"10\" y=\"104\">kernel</text>"));
	assert_non_null (strstr (t, "<title>web: devices 400.0ms</title>"));
	assert_non_null (strstr (t, "<title>net: run 400.0ms</title>"));
	assert_non_null (strstr (t, "fill=\"#c0392b\">failed")); /* bad, in red */
	assert_non_null (strstr (t, "</svg>\n"));
	free (t);
}

static void test_not_boot (void **state)
{
	char *j = strdup (reply);
	char *p = strstr (j, "\"boot\":true");
	int ret;
	char *t;

	(void)state;
	memcpy (p, "\"boot\":0   ", 11);
	t = render (j, BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, 0);
	/* from keel's start: no kernel part, chain times from 2 s on */
	assert_non_null (strstr (t, "Startup finished in 600.0ms (keel) + 900.0ms (containers) = "
	                            "1.500s\n"));
	assert_non_null (strstr (t, "web @1.450s +350.0ms\n"));
	free (t);
	t = render (j, BOOTTIME_SVG, &ret);
	assert_null (strstr (t, ">kernel</text>"));
	free (t);
	free (j);
}

/* PID 1 started at 1.2 s, ran from its protected copy at 1.5 s, left the
 * initramfs at 1.8 s: the kernel ends at 1.2 s, keel's setup is what comes
 * after the switch root; a stamp out of place is ignored, not trusted. */
static void test_pre_switch (void **state)
{
	char *j = strdup (reply);
	char *p = strstr (j, "\"keel_start\"");
	cleanup_free char *full = NULL, *bad = NULL;
	int ret;
	char *t;
	json_object *o;

	(void)state;
	full = xasprintf ("%.*s\"pid1_start\":1200000,\"switched\":2300000,%s", (int)(p - j), j, p);
	t = render (full, BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, 0);
	assert_non_null (strstr (t, "Startup finished in 1.200s (kernel) + 1.400s (keel) + 900.0ms "
	                            "(containers) = 3.500s\n"));
	assert_non_null (strstr (t, "keel: 800.0ms protecting its binary, 300.0ms leaving the "
	                            "initramfs\nkeel: 200.0ms machine setup (mounts, modules, "
	                            "cgroups), 100.0ms reading containers.d\n"));
	free (t);
	t = render (full, BOOTTIME_JSON, &ret);
	assert_int_equal (ret, 0);
	o = json_tokener_parse (t);
	assert_non_null (o);
	assert_true (num (o, "kernel_ms") == 1200.0);
	assert_true (num (o, "keel_protect_ms") == 800.0);
	assert_true (num (o, "keel_switch_root_ms") == 300.0);
	assert_true (num (o, "keel_setup_ms") == 200.0);
	json_object_put (o);
	free (t);
	t = render (full, BOOTTIME_SVG, &ret);
	assert_non_null (strstr (t, ">keel: pre-switch</text>"));
	assert_non_null (strstr (t, "<title>keel: protecting its binary 800.0ms, leaving the "
	                            "initramfs 300.0ms</title>"));
	free (t);
	/* after keel's start, after the setup: both ignored */
	bad = xasprintf ("%.*s\"pid1_start\":2100000,\"switched\":2600000,%s", (int)(p - j), j, p);
	t = render (bad, BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, 0);
	assert_non_null (strstr (t, "Startup finished in 2.000s (kernel) + 600.0ms (keel)"));
	assert_null (strstr (t, "protecting its binary"));
	free (t);
	free (j);
}

static void test_refused (void **state)
{
	int ret;
	char *t;

	(void)state;
	t = render ("not json", BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, -1);
	assert_string_equal (t, "boot-time: keel's reply is not the expected JSON");
	free (t);
	t = render ("{\"units\":{}}", BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, -1);
	free (t);
	t = render ("{\"keel_start\":5,\"setup_done\":4,\"loaded\":6,\"units\":[]}", BOOTTIME_TEXT,
	            &ret);
	assert_int_equal (ret, -1);
	assert_string_equal (t, "boot-time: keel's stamps are out of order");
	free (t);
	/* no units at all: still a summary */
	t = render ("{\"boot\":true,\"keel_start\":5,\"setup_done\":6,\"loaded\":7,\"units\":[]}",
	            BOOTTIME_TEXT, &ret);
	assert_int_equal (ret, 0);
	assert_non_null (strstr (t, "(no container has become ready or done)"));
	free (t);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_text),    cmocka_unit_test (test_json),
	        cmocka_unit_test (test_svg),     cmocka_unit_test (test_not_boot),
	        cmocka_unit_test (test_refused), cmocka_unit_test (test_pre_switch),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
