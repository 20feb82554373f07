/* containers.d policy (keel.json): defaults, every field, and the exact
 * message for each kind of mistake. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/policy.h"
#include "lib/util.h"

#define F "containers.d/web/keel.json"

static void test_defaults (void **state)
{
	struct policy p;
	struct keel_error *err = NULL;

	assert_int_equal (policy_parse (F, "{}", 2, &p, &err), 0);
	assert_int_equal (p.kind, KIND_SERVICE);
	assert_int_equal (p.restart, RESTART_NO);
	assert_int_equal (p.ready, READY_STARTED);
	assert_int_equal (p.stop_signal, SIGTERM);
	assert_int_equal (p.stop_timeout_ms, 10000);
	assert_int_equal (p.restart_delay_ms, 1000);
	assert_int_equal (p.start_limit_burst, 5);
	assert_true (p.log_console);
	assert_null (p.log_file);
	assert_int_equal (p.log_rotate_size, 1024 * 1024);
	assert_int_equal (p.log_rotate_count, 10);
	policy_free (&p);

	/* a oneshot is ready when it exits, by default */
	assert_int_equal (policy_parse (F, "{\"kind\":\"oneshot\"}", 18, &p, &err), 0);
	assert_int_equal (p.ready, READY_EXITED);
	policy_free (&p);
}

static void test_full (void **state)
{
	static const char json[] =
	        "{\n"
	        " \"description\": \"the web server\",\n"
	        " \"kind\": \"service\",\n"
	        " \"requires\": [\"net\", \"db\"], \"after\": \"clock\", \"wants\": [],\n"
	        " \"devices\": [\"/dev/vdb\", \"vdc\"],\n"
	        " \"restart\": {\"policy\": \"on-failure\", \"delay\": \"250ms\",\n"
	        "   \"backoff\": {\"factor\": 1.5, \"max\": \"30s\"},\n"
	        "   \"limit\": {\"burst\": 3, \"interval\": 60}},\n"
	        " \"readiness\": \"notify\", \"start_timeout\": \"2m\",\n"
	        " \"stop\": {\"signal\": \"SIGQUIT\", \"timeout\": 2.5},\n"
	        " \"essential\": true,\n"
	        " \"logs\": {\"console\": false, \"file\": \"/var/log/web.log\",\n"
	        "   \"rotate\": {\"size\": \"2MiB\", \"count\": 3}, \"ring\": \"8KiB\"}\n"
	        "}\n";
	struct policy p;
	struct keel_error *err = NULL;

	assert_int_equal (policy_parse (F, json, sizeof json - 1, &p, &err), 0);
	assert_string_equal (p.description, "the web server");
	assert_int_equal (p.devices.n, 2);
	assert_string_equal (p.devices.v[1], "vdc");
	assert_int_equal (p.requires.n, 2);
	assert_string_equal (p.requires.v[1], "db");
	assert_int_equal (p.after.n, 1);
	assert_string_equal (p.after.v[0], "clock");
	assert_int_equal (p.wants.n, 0);
	assert_int_equal (p.restart, RESTART_ON_FAILURE);
	assert_int_equal (p.restart_delay_ms, 250);
	assert_true (p.backoff_factor == 1.5);
	assert_int_equal (p.backoff_max_ms, 30000);
	assert_int_equal (p.start_limit_burst, 3);
	assert_int_equal (p.start_limit_interval_ms, 60000);
	assert_int_equal (p.ready, READY_NOTIFY);
	assert_int_equal (p.start_timeout_ms, 120000);
	assert_int_equal (p.devices_timeout_ms, 90000); /* the default */
	assert_int_equal (p.stop_signal, SIGQUIT);
	assert_int_equal (p.stop_timeout_ms, 2500);
	assert_true (p.essential);
	assert_false (p.log_console);
	assert_string_equal (p.log_file, "/var/log/web.log");
	assert_int_equal (p.log_rotate_size, 2 * 1024 * 1024);
	assert_int_equal (p.log_rotate_count, 3);
	assert_int_equal (p.log_ring_size, 8192);
	policy_free (&p);
}

static void test_shorthands (void **state)
{
	struct policy p;
	struct keel_error *err = NULL;
	const char *j = "{\"restart\": \"always\", \"stop\": {\"signal\": 10}}";

	assert_int_equal (policy_parse (F, j, strlen (j), &p, &err), 0);
	assert_int_equal (p.restart, RESTART_ALWAYS);
	assert_int_equal (p.stop_signal, 10);
	policy_free (&p);

	j = "{\"stop\": {\"signal\": \"RTMIN+3\"}}";
	assert_int_equal (policy_parse (F, j, strlen (j), &p, &err), 0);
	assert_int_equal (p.stop_signal, SIGRTMIN + 3);
	policy_free (&p);
}

static void test_units (void **state)
{
	uint64_t v;

	assert_int_equal (policy_parse_duration ("500ms", &v), 0);
	assert_int_equal (v, 500);
	assert_int_equal (policy_parse_duration ("1.5s", &v), 0);
	assert_int_equal (v, 1500);
	assert_int_equal (policy_parse_duration ("2m", &v), 0);
	assert_int_equal (v, 120000);
	assert_int_equal (policy_parse_duration ("1h", &v), 0);
	assert_int_equal (v, 3600000);
	assert_int_equal (policy_parse_duration ("3", &v), 0);
	assert_int_equal (v, 3000);
	assert_int_equal (policy_parse_duration ("-1s", &v), -1);
	assert_int_equal (policy_parse_duration ("1d", &v), -1);
	assert_int_equal (policy_parse_duration ("", &v), -1);
	assert_int_equal (policy_parse_duration ("9999h", &v), -1);
	assert_int_equal (policy_parse_duration (".5s", &v), 0);
	assert_int_equal (v, 500);
	/* strtod would take these; no one means them as durations */
	assert_int_equal (policy_parse_duration ("0x10", &v), -1);
	assert_int_equal (policy_parse_duration ("1e2", &v), -1);
	assert_int_equal (policy_parse_duration ("1E2s", &v), -1);
	assert_int_equal (policy_parse_duration (" 5s", &v), -1);
	assert_int_equal (policy_parse_duration ("inf", &v), -1);
	assert_int_equal (policy_parse_duration ("nan", &v), -1);
	assert_int_equal (policy_parse_duration (".", &v), -1);
	assert_int_equal (policy_parse_duration ("1..2", &v), -1);
	assert_int_equal (policy_parse_size ("64KiB", &v), 0);
	assert_int_equal (v, 65536);
	assert_int_equal (policy_parse_size ("1M", &v), 0);
	assert_int_equal (v, 1048576);
	assert_int_equal (policy_parse_size ("4096", &v), 0);
	assert_int_equal (v, 4096);
	assert_int_equal (policy_parse_size ("1.5M", &v), -1);
	assert_int_equal (policy_parse_size ("99999999999999999999", &v), -1);
	assert_int_equal (policy_parse_signal ("SIGTERM"), SIGTERM);
	assert_int_equal (policy_parse_signal ("HUP"), SIGHUP);
	assert_int_equal (policy_parse_signal ("9"), 9);
	assert_int_equal (policy_parse_signal ("SIGFOO"), -1);
	assert_int_equal (policy_parse_signal ("0"), -1);
	assert_int_equal (policy_parse_signal ("65"), -1);
}

static void test_missing_file_is_defaults (void **state)
{
	struct policy p;
	struct keel_error *err = NULL;

	assert_int_equal (policy_load ("/nonexistent/keel.json", &p, &err), 0);
	assert_int_equal (p.kind, KIND_SERVICE);
	policy_free (&p);
}

static const struct {
	const char *json;
	const char *msg;
} bad[] = {
        /* syntax */
        {"", F ": invalid JSON at line 1, column 1: unexpected end of input"},
        {"{\n  \"kind\": ", F ": invalid JSON at line 2, column 11: unexpected end of input"},
        {"{\n  \"kind\": service\n}",
         F ": invalid JSON at line 2, column 11: unexpected character"},
        {"{} {}", F ": invalid JSON at line 1, column 4: unexpected character"},
        {"[]", F ": expected a JSON object at the top, got []"},
        {"\"x\"", F ": expected a JSON object at the top, got \"x\""},
        /* unknown keys */
        {"{\"restrat\": \"always\"}", F ": restrat: unknown key (expected one of: description, "
                                        "kind, requires, after, wants, devices, devices_timeout, mounts, restart, "
                                        "readiness, start_timeout, stop, essential, logs, network, health)"},
        /* devices */
        {"{\"devices\": \"/dev/vdb\"}",
         F ": devices: expected an array of device nodes, got \"/dev/vdb\""},
        {"{\"devices\": [\"/dev/../etc/x\"]}",
         F ": devices[0]: expected a device node like \"/dev/vdb\", got \"/dev/../etc/x\""},
        {"{\"devices\": [\"vdb\", 7]}",
         F ": devices[1]: expected a device node like \"/dev/vdb\", got 7"},
        {"{\"restart\": {\"dealy\": 1}}",
         F ": restart.dealy: unknown key (expected one of: policy, delay, backoff, limit)"},
        {"{\"logs\": {\"rotate\": {\"files\": 3}}}",
         F ": logs.rotate.files: unknown key (expected one of: size, count)"},
        /* description */
        {"{\"description\": 5}", F ": description: expected a string, got 5"},
        /* kind */
        {"{\"kind\": \"daemon\"}",
         F ": kind: expected one of \"service\", \"oneshot\", got \"daemon\""},
        {"{\"kind\": 1}", F ": kind: expected one of \"service\", \"oneshot\", got 1"},
        /* dependencies */
        {"{\"requires\": {}}", F ": requires: expected an array of container names, got {}"},
        {"{\"requires\": [\"net\", 3]}", F ": requires[1]: expected a container name, got 3"},
        {"{\"after\": [\"a/b\"]}",
         F ": after[0]: \"a/b\" is not a valid container name ("
           "[A-Za-z0-9_+.-], at most 128, not starting with . or -)"},
        {"{\"wants\": [\"..\"]}",
         F ": wants[0]: \"..\" is not a valid container name ("
           "[A-Za-z0-9_+.-], at most 128, not starting with . or -)"},
        {"{\"requires\": [\"\"]}",
         F ": requires[0]: \"\" is not a valid container name ("
           "[A-Za-z0-9_+.-], at most 128, not starting with . or -)"},
        {"{\"requires\": [\"db\", \"db\"]}", F ": requires[1]: \"db\" is listed twice"},
        /* restart */
        {"{\"restart\": \"sometimes\"}",
         F ": restart: expected one of \"no\", \"on-failure\", \"always\", got \"sometimes\""},
        {"{\"restart\": true}",
         F ": restart: expected \"no\", \"on-failure\", \"always\" or an object, got true"},
        {"{\"restart\": {\"policy\": \"yes\"}}",
         F ": restart.policy: expected one of \"no\", \"on-failure\", \"always\", got \"yes\""},
        {"{\"restart\": {\"delay\": \"abc\"}}", F
         ": restart.delay: expected a duration like \"500ms\" or a number of seconds, got \"abc\""},
        {"{\"restart\": {\"delay\": \"5 s\"}}", F
         ": restart.delay: expected a duration like \"500ms\" or a number of seconds, got \"5 s\""},
        {"{\"restart\": {\"delay\": -1}}",
         F ": restart.delay: expected a duration like \"500ms\" or a number of seconds (0 to one "
           "week), got -1"},
        {"{\"restart\": {\"delay\": null}}",
         F ": restart.delay: expected a duration like \"500ms\" or a number of seconds (0 to one "
           "week), got null"},
        {"{\"restart\": {\"backoff\": {\"factor\": 0.5}}}",
         F ": restart.backoff.factor: expected a number from 1 (constant delay) to 100, got 0.5"},
        {"{\"restart\": {\"backoff\": {\"factor\": \"2\"}}}",
         F ": restart.backoff.factor: expected a number from 1 (constant delay) to 100, got \"2\""},
        {"{\"restart\": {\"backoff\": 2}}",
         F ": restart.backoff: expected an object {\"factor\", \"max\"}, got 2"},
        {"{\"restart\": {\"delay\": \"10s\", \"backoff\": {\"max\": \"1s\"}}}",
         F ": restart.backoff.max: 1000ms is shorter than restart.delay (10000ms)"},
        {"{\"restart\": {\"limit\": {\"burst\": 0}}}",
         F ": restart.limit.burst: expected an integer from 1 to 1000, got 0"},
        {"{\"restart\": {\"limit\": {\"burst\": 1.5}}}",
         F ": restart.limit.burst: expected an integer from 1 to 1000, got 1.5"},
        {"{\"restart\": {\"limit\": {\"interval\": 0}}}",
         F ": restart.limit.interval: must be longer than 0"},
        {"{\"kind\": \"oneshot\", \"restart\": \"always\"}",
         F ": restart.policy: \"always\" would rerun a oneshot forever; use \"on-failure\""},
        /* readiness and timeouts */
        {"{\"readiness\": \"ready\"}",
         F ": readiness: expected one of \"started\", \"exited\", \"notify\", \"healthy\", got \"ready\""},
        {"{\"readiness\": \"exited\"}",
         F ": readiness: \"exited\" is only for oneshots (set \"kind\": \"oneshot\")"},
        {"{\"kind\": \"oneshot\", \"readiness\": \"notify\"}",
         F ": readiness: a oneshot is ready when it exits 0; \"notify\" is only for services"},
        {"{\"devices_timeout\": \"soon\"}", F
         ": devices_timeout: expected a duration like \"500ms\" or a number of seconds, got \"soon\""},
        {"{\"start_timeout\": \"1w\"}", F
         ": start_timeout: expected a duration like \"500ms\" or a number of seconds, got \"1w\""},
        {"{\"start_timeout\": 1e12}",
         F ": start_timeout: expected a duration like \"500ms\" or a number of seconds (0 to one "
           "week), got 1e12"},
        /* stop */
        {"{\"stop\": \"SIGTERM\"}",
         F ": stop: expected an object {\"signal\", \"timeout\"}, got \"SIGTERM\""},
        {"{\"stop\": {\"signal\": \"SIGTERN\"}}",
         F ": stop.signal: expected a signal like \"SIGTERM\" or its number, got \"SIGTERN\""},
        {"{\"stop\": {\"signal\": 99}}",
         F ": stop.signal: expected a signal like \"SIGTERM\" or its number, got 99"},
        {"{\"stop\": {\"timeout\": 0}}",
         F ": stop.timeout: must be longer than 0 (SIGKILL follows the stop signal after it)"},
        /* essential */
        {"{\"essential\": \"yes\"}", F ": essential: expected true or false, got \"yes\""},
        /* logs */
        {"{\"logs\": []}",
         F ": logs: expected an object {\"console\", \"file\", \"rotate\", \"ring\"}, got []"},
        {"{\"logs\": {\"console\": 1}}", F ": logs.console: expected true or false, got 1"},
        {"{\"logs\": {\"file\": \"web.log\"}}",
         F ": logs.file: expected an absolute path, got \"web.log\""},
        {"{\"logs\": {\"file\": 7}}", F ": logs.file: expected an absolute path or null, got 7"},
        {"{\"logs\": {\"rotate\": {\"size\": \"1 MB\"}}}",
         F ": logs.rotate.size: expected a size like \"64KiB\" or a number of bytes, got \"1 MB\""},
        {"{\"logs\": {\"rotate\": {\"size\": 100}}}",
         F ": logs.rotate.size: 100 bytes is out of range (4096 to 1099511627776)"},
        {"{\"logs\": {\"rotate\": {\"count\": 0}}}",
         F ": logs.rotate.count: expected an integer from 1 to 100, got 0"},
        {"{\"logs\": {\"ring\": \"1GiB\"}}",
         F ": logs.ring: 1073741824 bytes is out of range (1024 to 16777216)"},
        {"{\"logs\": {\"ring\": -5}}",
         F ": logs.ring: expected a size like \"64KiB\" or a number of bytes, got -5"},
        /* a key given twice: json-c would keep the last one silently */
        {"{\"kind\": \"oneshot\",\n \"kind\": \"service\"}",
         F ": kind: key given twice (line 1, column 2 and line 2, column 2)"},
        {"{\"stop\": {\"timeout\": 1, \"signal\": 9, \"timeout\": 2}}",
         F ": stop.timeout: key given twice (line 1, column 11 and line 1, column 38)"},
        /* the same key spelt with an escape, and a repeat in an object of
         * more than 16 keys (lib/jsonpath.c's quick pass sorts those) */
        {"{\"kind\": \"oneshot\", \"\\u006bind\": \"service\"}",
         F ": kind: key given twice (line 1, column 2 and line 1, column 21)"},
        {"{\"k0\": 0, \"k1\": 1, \"k2\": 2, \"k3\": 3, \"k4\": 4, \"k5\": 5, \"k6\": 6, "
         "\"k7\": 7, \"k8\": 8, \"k9\": 9, \"k10\": 10, \"k11\": 11, \"k12\": 12, "
         "\"k13\": 13, \"k14\": 14, \"k15\": 15, \"k16\": 16, \"k17\": 17, \"k18\": 18, "
         "\"k19\": 19, \"k7\": 0}",
         F ": k7: key given twice (line 1, column 65 and line 1, column 202)"},
        /* numbers beyond 64 bits are named as written, not as json-c's clamp */
        {"{\"restart\": {\"limit\": {\"burst\": 99999999999999999999999}}}",
         F ": restart.limit.burst: 99999999999999999999999 does not fit in 64 bits (the "
           "greatest is 18446744073709551615) (line 1, column 33)"},
        {"{\"restart\": {\"limit\": {\"burst\": 9223372036854775808}}}",
         F ": restart.limit.burst: expected an integer from 1 to 1000, got 9223372036854775808"},
        {"{\"logs\": {\"ring\": 18446744073709551615}}",
         F ": logs.ring: 18446744073709551615 bytes is out of range (1024 to 16777216)"},
        /* durations are decimal: no hex, no exponent, no blanks */
        {"{\"stop\": {\"timeout\": \"0x10\"}}",
         F ": stop.timeout: expected a duration like \"500ms\" or a number of seconds, got "
           "\"0x10\""},
        {"{\"stop\": {\"timeout\": \"1e2\"}}",
         F ": stop.timeout: expected a duration like \"500ms\" or a number of seconds, got "
           "\"1e2\""},
        {"{\"restart\": {\"delay\": \"inf\"}}",
         F ": restart.delay: expected a duration like \"500ms\" or a number of seconds, got "
           "\"inf\""},
        {"{\"restart\": {\"delay\": \"1.2.3s\"}}",
         F ": restart.delay: expected a duration like \"500ms\" or a number of seconds, got "
           "\"1.2.3s\""},
        /* control characters from the file are escaped: one line (found by fuzz_policy) */
        {"{\"restart\": {\"{}\npolicy\": 1}}",
         F ": restart[\"{}\\x0apolicy\"]: unknown key (expected one of: policy, delay, backoff, "
           "limit)"},
        {"{\"requires\": [\"a\tb\033[2J\"]}",
         F ": requires[0]: \"a\\tb\\x1b[2J\" is not a valid container name ("
           "[A-Za-z0-9_+.-], at most 128, not starting with . or -)"},
        {"{\"logs\": {\"file\": \"x\r\n[  OK  ] fake\"}}",
         F ": logs.file: expected an absolute path, got \"x\\x0d\\n[  OK  ] fake\""},
};

static void test_bad (void **state)
{
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct policy p;
		struct keel_error *err = NULL;
		int ret = policy_parse (F, bad[i].json, strlen (bad[i].json), &p, &err);

		if (ret >= 0 || err == NULL)
			fail_msg ("case %zu (%s) was accepted", i, bad[i].json);
		if (strcmp (err->msg, bad[i].msg) != 0)
			fail_msg ("case %zu (%s):\n  got:      %s\n  expected: %s", i, bad[i].json,
			          err->msg, bad[i].msg);
		keel_error_release (&err);
	}
	print_message ("%zu bad policies refused with their exact messages\n",
	               sizeof bad / sizeof bad[0]);
}

/* One element past each array's bound: refused before any element is
 * looked at, with the bound and the count in the message. */
static void test_too_many (void **state)
{
	static const struct {
		const char *key; /* the JSON around the array, "%s" for it */
		const char *elem;
		size_t max;
		const char *msg;
	} cases[] = {
	        {"{\"requires\": [%s]}", "\"a\"", POLICY_MAX_DEPS,
	         F ": requires: at most 64 names, got 65"},
	        {"{\"wants\": [%s]}", "\"a\"", POLICY_MAX_DEPS,
	         F ": wants: at most 64 names, got 65"},
#ifdef CONFIG_UDEV
	        {"{\"devices\": [%s]}", "\"/dev/vdb\"", POLICY_MAX_DEVICES,
	         F ": devices: at most 16 devices, got 17"},
#endif
	        {"{\"mounts\": [%s]}", "\"/data\"", POLICY_MAX_MOUNTS,
	         F ": mounts: at most 16 mounts, got 17"},
	        {"{\"network\": {\"cni\": \"n\", \"ports\": [%s]}}", "\"80:80\"", POLICY_MAX_PORTS,
	         F ": network.ports: at most 64 ports, got 65"},
	};
	size_t i, k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cleanup_free char *arr = xstrdup (cases[i].elem);
		cleanup_free char *json = NULL;
		struct policy p;
		struct keel_error *err = NULL;

		for (k = 0; k < cases[i].max; k++) {
			char *more = xasprintf ("%s, %s", arr, cases[i].elem);
			free (arr);
			arr = more;
		}
		json = xasprintf (cases[i].key, arr);
		if (policy_parse (F, json, strlen (json), &p, &err) >= 0)
			fail_msg ("%s was accepted", cases[i].key);
		assert_string_equal (err->msg, cases[i].msg);
		keel_error_release (&err);
	}
}

static void test_too_big (void **state)
{
	static char big[POLICY_MAX_FILE_SIZE + 2];
	struct policy p;
	struct keel_error *err = NULL;

	memset (big, ' ', sizeof big - 1);
	assert_true (policy_parse (F, big, sizeof big - 1, &p, &err) < 0);
	assert_string_equal (err->msg, F ": 65537 bytes is larger than the limit of 64 KiB");
	keel_error_release (&err);
}

/* policy_load on what a keel.json may be besides a file: each is refused
 * at once (a FIFO must not block PID 1 in open) with one "FILE: reason"
 * line, the same shape as a parse error. */
static void test_load_not_a_file (void **state)
{
	char dir[] = "/tmp/keel-test-policy.XXXXXX";
	cleanup_free char *fifo = NULL, *sub = NULL, *zero = NULL, *big = NULL, *want = NULL;
	struct keel_error *err = NULL;
	struct policy p;
	int fd;

	/* A keel that opens the FIFO blocking would hang here: fail instead. */
	alarm (20);
	assert_non_null (mkdtemp (dir));
	fifo = xasprintf ("%s/fifo.json", dir);
	sub = xasprintf ("%s/dir.json", dir);
	zero = xasprintf ("%s/zero.json", dir);
	big = xasprintf ("%s/big.json", dir);
	assert_int_equal (mkfifo (fifo, 0600), 0);
	assert_int_equal (mkdir (sub, 0700), 0);
	assert_int_equal (symlink ("/dev/zero", zero), 0);
	fd = open (big, O_WRONLY | O_CREAT, 0600);
	assert_true (fd >= 0);
	assert_int_equal (ftruncate (fd, 10 << 20), 0);
	close (fd);

	/* a FIFO with no writer: open(2) without O_NONBLOCK would wait forever */
	assert_true (policy_load (fifo, &p, &err) < 0);
	want = xasprintf ("%s: a FIFO, not a regular file", fifo);
	assert_string_equal (err->msg, want);
	keel_error_release (&err);
	free (want);

	assert_true (policy_load (sub, &p, &err) < 0);
	want = xasprintf ("%s: a directory, not a regular file", sub);
	assert_string_equal (err->msg, want);
	keel_error_release (&err);
	free (want);

	/* a dangling link is not "no keel.json" (which means the defaults) */
	{
		cleanup_free char *dangling = xasprintf ("%s/dangling.json", dir);
		assert_int_equal (symlink ("/nonexistent/keel.json", dangling), 0);
		assert_true (policy_load (dangling, &p, &err) < 0);
		want = xasprintf ("%s: a symbolic link to a missing file", dangling);
		assert_string_equal (err->msg, want);
		keel_error_release (&err);
		free (want);
		unlink (dangling);
	}

	/* read(2) of /dev/zero never ends */
	assert_true (policy_load (zero, &p, &err) < 0);
	want = xasprintf ("%s: a character device, not a regular file", zero);
	assert_string_equal (err->msg, want);
	keel_error_release (&err);
	free (want);

	/* refused from its size, before reading 10 MiB */
	assert_true (policy_load (big, &p, &err) < 0);
	want = xasprintf ("%s: 10485760 bytes is larger than the limit of 64 KiB", big);
	assert_string_equal (err->msg, want);
	assert_int_equal (err->status, 0);
	keel_error_release (&err);

	unlink (fifo);
	rmdir (sub);
	unlink (zero);
	unlink (big);
	rmdir (dir);
	alarm (0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_defaults),
	        cmocka_unit_test (test_full),
	        cmocka_unit_test (test_shorthands),
	        cmocka_unit_test (test_units),
	        cmocka_unit_test (test_missing_file_is_defaults),
	        cmocka_unit_test (test_bad),
	        cmocka_unit_test (test_too_many),
	        cmocka_unit_test (test_too_big),
	        cmocka_unit_test (test_load_not_a_file),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
