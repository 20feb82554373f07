/* keel.json's "health" section (init/policy.c, f_health and its cross
 * check): the defaults, a command as an array or a shell line, every
 * field, and each refusal with the file, the JSON path and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/policy.h"
#include "lib/util.h"

static char *parse_err (const char *json, struct policy *p)
{
	struct keel_error *err = NULL;

	if (policy_parse ("d/web/keel.json", json, strlen (json), p, &err) == 0)
		return NULL;
	return keel_error_take (&err);
}

#define REFUSED(json, msg)                                         \
	do {                                                       \
		struct policy p_;                                  \
		char *m_ = parse_err (json, &p_);                  \
		assert_non_null (m_);                              \
		assert_string_equal (m_, "d/web/keel.json: " msg); \
		free (m_);                                         \
	} while (0)

static void test_defaults (void **state)
{
	struct policy p;

	(void)state;
	assert_null (parse_err ("{}", &p));
	assert_null (p.health.argv);
	assert_int_equal (p.health.interval_ms, 30000);
	assert_int_equal (p.health.timeout_ms, 30000);
	assert_int_equal (p.health.start_period_ms, 0);
	assert_int_equal (p.health.retries, 3);
	policy_free (&p);
}

static void test_full (void **state)
{
	struct policy p;

	(void)state;
	assert_null (parse_err ("{\"readiness\": \"healthy\", \"restart\": \"on-failure\", "
	                        "\"health\": {\"command\": [\"/bin/check\", \"--quick\", \"\"], "
	                        "\"interval\": \"2s\", \"timeout\": 500, \"start_period\": \"1m\", "
	                        "\"retries\": 5}}",
	                        &p));
	assert_int_equal (p.ready, READY_HEALTHY);
	assert_string_equal (policy_ready_name (p.ready), "healthy");
	assert_int_equal (p.health.argc, 3);
	assert_string_equal (p.health.argv[0], "/bin/check");
	assert_string_equal (p.health.argv[1], "--quick");
	assert_string_equal (p.health.argv[2], "");
	assert_null (p.health.argv[3]);
	assert_int_equal (p.health.interval_ms, 2000);
	assert_int_equal (p.health.timeout_ms, 500000);
	assert_int_equal (p.health.start_period_ms, 60000);
	assert_int_equal (p.health.retries, 5);
	policy_free (&p);
	assert_null (p.health.argv);

	/* a string is a shell command line */
	assert_null (parse_err ("{\"health\": {\"command\": \"test -e /run/ok\"}}", &p));
	assert_int_equal (p.health.argc, 3);
	assert_string_equal (p.health.argv[0], "/bin/sh");
	assert_string_equal (p.health.argv[1], "-c");
	assert_string_equal (p.health.argv[2], "test -e /run/ok");
	policy_free (&p);
}

static void test_refused (void **state)
{
	(void)state;
	REFUSED ("{\"health\": []}",
	         "health: expected an object {\"command\", \"interval\", \"timeout\", "
	         "\"start_period\", \"retries\"}, got []");
	REFUSED ("{\"health\": {}}",
	         "health: \"command\" is required (what to run in the container)");
	REFUSED ("{\"health\": {\"command\": []}}",
	         "health.command: expected 1 to 64 strings, got 0");
	REFUSED ("{\"health\": {\"command\": [\"\"]}}",
	         "health.command[0]: expected a program of at most 4096 characters");
	REFUSED ("{\"health\": {\"command\": [\"/x\", 3]}}",
	         "health.command[1]: expected a string, got 3");
	REFUSED ("{\"health\": {\"command\": \"\"}}",
	         "health.command: expected a command line of 1 to 4096 characters");
	REFUSED ("{\"health\": {\"command\": true}}",
	         "health.command: expected an array of strings (program and arguments) or a shell "
	         "command line, got true");
	REFUSED ("{\"health\": {\"command\": \"x\", \"retries\": 0}}",
	         "health.retries: expected an integer from 1 to 100, got 0");
	REFUSED ("{\"health\": {\"command\": \"x\", \"retry\": 2}}",
	         "health.retry: unknown key (expected one of: command, interval, timeout, "
	         "start_period, retries)");
	REFUSED ("{\"health\": {\"command\": \"x\", \"interval\": \"10ms\"}}",
	         "health.interval: at least 100ms, got 10ms");
	REFUSED ("{\"health\": {\"command\": \"x\", \"timeout\": 0}}",
	         "health.timeout: at least 100ms, got 0ms");
	REFUSED ("{\"readiness\": \"healthy\"}",
	         "readiness: \"healthy\" needs a \"health\" section (its command)");
	REFUSED ("{\"kind\": \"oneshot\", \"health\": {\"command\": \"x\"}}",
	         "health: a oneshot is not checked (it is done when it exits)");
	REFUSED ("{\"kind\": \"oneshot\", \"readiness\": \"healthy\", \"health\": {\"command\": "
	         "\"x\"}}",
	         "readiness: a oneshot is ready when it exits 0; \"healthy\" is only for services");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_defaults),
	        cmocka_unit_test (test_full),
	        cmocka_unit_test (test_refused),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
