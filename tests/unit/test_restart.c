/* Restart decisions with a fake clock: policy, backoff growth and cap,
 * reset after a healthy run, and the start limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "init/restart.h"

static struct policy pol (enum policy_restart r)
{
	struct policy p;
	policy_defaults (&p);
	p.restart = r;
	p.restart_delay_ms = 100;
	p.backoff_factor = 2;
	p.backoff_max_ms = 1000;
	p.start_limit_burst = 5;
	p.start_limit_interval_ms = 10000;
	return p;
}

static void test_policy_kinds (void **state)
{
	struct policy p = pol (RESTART_NO);
	struct restart_state s;
	struct restart_decision d;

	restart_init (&s, &p);
	restart_record_start (&s, 0);
	assert_int_equal (restart_decide (&s, &p, true, 10).action, RA_DONE);
	assert_int_equal (restart_decide (&s, &p, false, 10).action, RA_FAILED);

	p.restart = RESTART_ON_FAILURE;
	assert_int_equal (restart_decide (&s, &p, true, 10).action, RA_DONE);
	d = restart_decide (&s, &p, false, 10);
	assert_int_equal (d.action, RA_RESTART);
	assert_int_equal (d.delay_ms, 100);

	p.restart = RESTART_ALWAYS;
	restart_reset (&s);
	d = restart_decide (&s, &p, true, 10);
	assert_int_equal (d.action, RA_RESTART);

	/* a oneshot that exits 0 is done whatever the policy */
	p.kind = KIND_ONESHOT;
	p.restart = RESTART_ON_FAILURE;
	assert_int_equal (restart_decide (&s, &p, true, 10).action, RA_DONE);
	assert_int_equal (restart_decide (&s, &p, false, 10).action, RA_RESTART);
	restart_free (&s);
}

/* Crash immediately after every start: 100, 200, 400, 800, 1000 (cap). */
static void test_backoff (void **state)
{
	struct policy p = pol (RESTART_ON_FAILURE);
	struct restart_state s;
	static const uint64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	uint64_t now = 0;
	size_t i;

	p.start_limit_burst = 100;
	restart_init (&s, &p);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct restart_decision d;
		restart_record_start (&s, now);
		now += 5; /* crashed 5 ms later */
		d = restart_decide (&s, &p, false, now);
		assert_int_equal (d.action, RA_RESTART);
		assert_int_equal (d.delay_ms, want[i]);
		now += d.delay_ms;
	}
	restart_free (&s);
}

static void test_reset_after_healthy_run (void **state)
{
	struct policy p = pol (RESTART_ALWAYS);
	struct restart_state s;
	struct restart_decision d;

	restart_init (&s, &p);
	restart_record_start (&s, 0);
	d = restart_decide (&s, &p, false, 1);
	assert_int_equal (d.delay_ms, 100);
	restart_record_start (&s, 101);
	d = restart_decide (&s, &p, false, 102);
	assert_int_equal (d.delay_ms, 200);
	/* this run lasts longer than the limit interval: back to the base delay */
	restart_record_start (&s, 302);
	d = restart_decide (&s, &p, false, 302 + 10000);
	assert_int_equal (d.action, RA_RESTART);
	assert_int_equal (d.delay_ms, 100);
	restart_free (&s);
}

static void test_start_limit (void **state)
{
	struct policy p = pol (RESTART_ON_FAILURE);
	struct restart_state s;
	struct restart_decision d;
	uint64_t now = 0;
	int i;

	p.backoff_factor = 1; /* constant 100 ms */
	p.start_limit_burst = 3;
	p.start_limit_interval_ms = 5000;
	restart_init (&s, &p);
	for (i = 0; i < 2; i++) {
		restart_record_start (&s, now);
		d = restart_decide (&s, &p, false, now + 1);
		assert_int_equal (d.action, RA_RESTART);
		now += 1 + d.delay_ms;
	}
	restart_record_start (&s, now);
	d = restart_decide (&s, &p, false, now + 1);
	assert_int_equal (d.action, RA_GIVE_UP);
	assert_int_equal (d.starts_in_interval, 3);

	/* runs of 2.6 s each: only 2 starts within any 5 s of running */
	restart_reset (&s);
	now = 0;
	for (i = 0; i < 6; i++) {
		restart_record_start (&s, now);
		now += 2600;
		d = restart_decide (&s, &p, false, now);
		assert_int_equal (d.action, RA_RESTART);
		now += d.delay_ms;
	}
	restart_free (&s);
}

/* Issue 12: keel's defaults (5 starts in 10 s) with a backoff of 1, 2, 4
 * ... 60 s.  Measured on the wall clock the starts are always further apart
 * than the interval and the limit never triggers; on the limit's clock
 * (running time only) a service that fails at once gives up after its
 * fifth start, as systemd's StartLimitBurst=5 does. */
static void test_limit_ignores_the_backoff (void **state)
{
	struct policy p;
	struct restart_state s;
	struct restart_decision d;
	uint64_t now = 0;
	int i;

	policy_defaults (&p);
	p.restart = RESTART_ON_FAILURE;
	p.restart_delay_ms = 1000;
	p.backoff_factor = 2;
	p.backoff_max_ms = 60000;
	p.start_limit_burst = 5;
	p.start_limit_interval_ms = 10000;
	restart_init (&s, &p);
	for (i = 1; i <= 5; i++) {
		restart_record_start (&s, now);
		now += 50; /* fails 50 ms after each start */
		d = restart_decide (&s, &p, false, now);
		if (i < 5) {
			assert_int_equal (d.action, RA_RESTART);
			assert_int_equal (d.delay_ms, 1000u << (i - 1)); /* 1, 2, 4, 8 s */
			now += d.delay_ms;
		}
	}
	assert_int_equal (d.action, RA_GIVE_UP);
	assert_int_equal (d.starts_in_interval, 5);
	assert_true (now > p.start_limit_interval_ms); /* wall clock: 15 s */

	/* the same service running 3 s each time: 4 starts cover 12 s of
	 * running, never 5 within 10 s, so it is retried */
	restart_reset (&s);
	for (i = 0; i < 10; i++) {
		restart_record_start (&s, now);
		now += 3000;
		d = restart_decide (&s, &p, false, now);
		assert_int_equal (d.action, RA_RESTART);
		now += d.delay_ms;
	}
	restart_free (&s);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_policy_kinds),
	        cmocka_unit_test (test_backoff),
	        cmocka_unit_test (test_reset_after_healthy_run),
	        cmocka_unit_test (test_start_limit),
	        cmocka_unit_test (test_limit_ignores_the_backoff),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
