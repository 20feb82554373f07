/* Health checks' count (init/health.c, health_record): a pass resets the
 * failures; failures in the start period before any pass do not count;
 * after a pass they do, even within it; `retries` in a row make the unit
 * unhealthy, and every further failure says so again; with readiness
 * "healthy" no failure before the first pass counts; the status text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "init/health.h"
#include "init/policy.h"

static void test_retries_in_a_row (void **state)
{
	struct policy p;
	struct unit_health h = {0};
	char buf[128];

	(void)state;
	policy_defaults (&p);
	p.health.retries = 3;
	assert_string_equal (health_describe (&h, &p.health, buf, sizeof buf), "not checked yet");
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 1000, 0, false), HV_FAIL);
	assert_int_equal (health_record (&h, &p.health, HR_TIMEOUT, 2000, 0, false), HV_FAIL);
	assert_string_equal (health_describe (&h, &p.health, buf, sizeof buf),
	                     "failing (2 in a row, unhealthy at 3): timed out");
	/* a pass in between: the count starts over */
	assert_int_equal (health_record (&h, &p.health, HR_PASS, 3000, 0, false), HV_PASS);
	assert_int_equal (h.failures, 0);
	assert_string_equal (health_describe (&h, &p.health, buf, sizeof buf),
	                     "passing (3 checks, 1 passed)");
	assert_int_equal (health_record (&h, &p.health, HR_SIGNAL, 4000, 0, false), HV_FAIL);
	assert_int_equal (health_record (&h, &p.health, HR_NORUN, 5000, 0, false), HV_FAIL);
	assert_int_equal (health_record (&h, &p.health, HR_LOST, 6000, 0, false), HV_UNHEALTHY);
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 7000, 0, false), HV_UNHEALTHY);
	assert_int_equal (h.failures, 4);
	assert_int_equal (h.checks, 7);
	assert_int_equal (h.passes, 1);
	assert_int_equal (h.last, HR_FAIL);
}

static void test_start_period (void **state)
{
	struct policy p;
	struct unit_health h = {0};

	(void)state;
	policy_defaults (&p);
	p.health.retries = 1;
	p.health.start_period_ms = 10000;
	/* started at 1000: failures until 11000 do not count */
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 2000, 1000, false),
	                  HV_START_PERIOD);
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 10999, 1000, false),
	                  HV_START_PERIOD);
	assert_int_equal (h.failures, 0);
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 11000, 1000, false), HV_UNHEALTHY);
	/* once it passed, it has started: a failure counts at once */
	memset (&h, 0, sizeof h);
	assert_int_equal (health_record (&h, &p.health, HR_PASS, 2000, 1000, false), HV_PASS);
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 3000, 1000, false), HV_UNHEALTHY);
	/* readiness "healthy": nothing counts before the first pass */
	memset (&h, 0, sizeof h);
	p.health.start_period_ms = 0;
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 99000, 1000, true),
	                  HV_START_PERIOD);
	assert_int_equal (health_record (&h, &p.health, HR_PASS, 99100, 1000, true), HV_PASS);
	assert_int_equal (health_record (&h, &p.health, HR_FAIL, 99200, 1000, true), HV_UNHEALTHY);
}

static void test_names (void **state)
{
	(void)state;
	assert_string_equal (health_result_name (HR_PASS), "exited 0");
	assert_string_equal (health_result_name (HR_FAIL), "exited non-zero");
	assert_string_equal (health_result_name (HR_TIMEOUT), "timed out");
	assert_string_equal (health_result_name (HR_NORUN), "could not be run in the container");
	assert_string_equal (health_result_name ((enum health_result)42), "?");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_retries_in_a_row),
	        cmocka_unit_test (test_start_period),
	        cmocka_unit_test (test_names),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
