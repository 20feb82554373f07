/* The unit state machine (init/unit.c) with a fake launcher and a fake
 * clock: every (state, event) pair against a table written from the
 * documented behaviour, then whole lives: restart with backoff, the start
 * limit ending in `failed` (issue 12), `after` going on once a start has
 * failed while `requires` waits, a failed requirement stopping what
 * requires it, a launch that cannot fork, and the ordered stop. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/unit.h"
#include "lib/util.h"

/* ---- the fakes ------------------------------------------------------------ */

static struct fake {
	uint64_t now;
	int launches, cleanups, signals, essential;
	int last_signal;
	bool last_all;
	int launch_fails; /* the next N launches cannot fork */
	size_t last_launched;
} f;

static uint64_t fake_now (void *ctx)
{
	(void)ctx;
	return f.now;
}

static int fake_launch (void *ctx, size_t i, char **why)
{
	(void)ctx;
	if (f.launch_fails > 0) {
		f.launch_fails--;
		*why = xstrdup ("fork: Resource temporarily unavailable");
		return -1;
	}
	f.launches++;
	f.last_launched = i;
	return 0;
}

static int fake_cleanup (void *ctx, size_t i)
{
	(void)ctx, (void)i;
	f.cleanups++;
	return 0;
}

static void fake_signal (void *ctx, size_t i, int signo, bool all)
{
	(void)ctx, (void)i;
	f.signals++;
	f.last_signal = signo;
	f.last_all = all;
}

static void fake_essential (void *ctx, size_t i)
{
	(void)ctx, (void)i;
	f.essential++;
}

static const struct unit_ops fake_ops = {
        .now = fake_now,
        .launch = fake_launch,
        .cleanup = fake_cleanup,
        .signal = fake_signal,
        .essential_failed = fake_essential,
};

/* ---- a small containers.d in memory ---------------------------------------- */

#define MAXU 4
static struct unit units[MAXU];
static struct graph graph;
static struct unit_set set;
static struct spec dummy_spec; /* units need one to start; never read */
static size_t n_units;

static void add (const char *name, const char *requires, const char *after)
{
	struct unit *u = &units[n_units++];

	memset (u, 0, sizeof *u);
	u->name = xstrdup (name);
	u->spec = &dummy_spec;
	policy_defaults (&u->policy);
	u->policy.restart = RESTART_ON_FAILURE;
	u->policy.restart_delay_ms = 1000;
	u->policy.backoff_factor = 2;
	u->policy.backoff_max_ms = 60000;
	u->policy.start_limit_burst = 5;
	u->policy.start_limit_interval_ms = 10000;
	u->policy.start_timeout_ms = 5000;
	u->policy.stop_timeout_ms = 2000;
	if (requires) {
		u->policy.requires.v = xmalloc0 (2 * sizeof (char *));
		u->policy.requires.v[0] = xstrdup (requires);
		u->policy.requires.n = 1;
	}
	if (after) {
		u->policy.after.v = xmalloc0 (2 * sizeof (char *));
		u->policy.after.v[0] = xstrdup (after);
		u->policy.after.n = 1;
	}
}

/* Build the graph and the set once every unit is in its initial state. */
static void build (void)
{
	const char *names[MAXU];
	const struct policy *pols[MAXU];
	size_t i;

	for (i = 0; i < n_units; i++) {
		names[i] = units[i].name;
		pols[i] = &units[i].policy;
		restart_init (&units[i].restart, &units[i].policy);
	}
	graph_build (&graph, n_units, names, pols, NULL, NULL);
	unit_set_init (&set, units, n_units, &graph, NULL, &fake_ops, NULL);
}

static int setup (void **state)
{
	(void)state;
	memset (&f, 0, sizeof f);
	f.now = 1000000;
	n_units = 0;
	return 0;
}

static int teardown (void **state)
{
	size_t i;

	(void)state;
	unit_set_free (&set);
	graph_free (&graph);
	for (i = 0; i < n_units; i++) {
		restart_free (&units[i].restart);
		policy_free (&units[i].policy);
		free (units[i].name);
		free (units[i].error);
	}
	return 0;
}

/* ---- every (state, event) pair ------------------------------------------------ */

struct expect {
	int ret; /* 0 applied, -1 refused or ignored */
	enum unit_state next;
	int launches, cleanups, signals;
};

#define NOPE(st)                \
	{                       \
		-1, st, 0, 0, 0 \
	}
#define TO(st)                 \
	{                      \
		0, st, 0, 0, 0 \
	}

/* The unit under test is a notify service (so LAUNCHED leaves it
 * running, not ready) whose last run failed with status 3 and whose
 * restart policy is on-failure. */
/* clang-format off */
static const struct expect table[U_NSTATES][UE_NEVENTS] = {
        [U_WAITING] = {
                [UE_GO] = {0, U_STARTING, 1, 0, 0},
                [UE_BLOCK] = TO (U_BLOCKED),
                [UE_START] = NOPE (U_WAITING),
                [UE_STOP] = TO (U_STOPPED),
                [UE_REQ_FAILED] = TO (U_WAITING), /* unit_schedule blocks it */
                [UE_RESTART] = NOPE (U_WAITING),
                [UE_LAUNCHED] = NOPE (U_WAITING),
                [UE_LAUNCH_FAILED] = NOPE (U_WAITING),
                [UE_READY] = NOPE (U_WAITING),
                [UE_EXITED] = NOPE (U_WAITING),
                [UE_CLEANED] = NOPE (U_WAITING),
                [UE_TIMEOUT] = NOPE (U_WAITING),
        },
        [U_STARTING] = {
                [UE_GO] = NOPE (U_STARTING),
                [UE_BLOCK] = NOPE (U_STARTING),
                [UE_START] = NOPE (U_STARTING),
                [UE_STOP] = TO (U_STARTING), /* acted on once the helper is done */
                [UE_REQ_FAILED] = TO (U_STARTING),
                [UE_RESTART] = TO (U_STARTING),
                [UE_LAUNCHED] = TO (U_RUNNING),
                [UE_LAUNCH_FAILED] = {0, U_CLEANUP, 0, 1, 0},
                [UE_READY] = NOPE (U_STARTING),
                [UE_EXITED] = TO (U_STARTING), /* the helper's report follows */
                [UE_CLEANED] = NOPE (U_STARTING),
                [UE_TIMEOUT] = {0, U_STARTING, 0, 0, 1}, /* helper killed */
        },
        [U_RUNNING] = {
                [UE_GO] = NOPE (U_RUNNING),
                [UE_BLOCK] = NOPE (U_RUNNING),
                [UE_START] = NOPE (U_RUNNING),
                [UE_STOP] = {0, U_STOPPING, 0, 0, 1},
                [UE_REQ_FAILED] = {0, U_STOPPING, 0, 0, 1},
                [UE_RESTART] = {0, U_STOPPING, 0, 0, 1},
                [UE_LAUNCHED] = NOPE (U_RUNNING),
                [UE_LAUNCH_FAILED] = NOPE (U_RUNNING),
                [UE_READY] = TO (U_READY),
                [UE_EXITED] = {0, U_CLEANUP, 0, 1, 0},
                [UE_CLEANED] = NOPE (U_RUNNING),
                [UE_TIMEOUT] = {0, U_STOPPING, 0, 0, 1}, /* start timeout: SIGKILL */
        },
        [U_READY] = {
                [UE_GO] = NOPE (U_READY),
                [UE_BLOCK] = NOPE (U_READY),
                [UE_START] = NOPE (U_READY),
                [UE_STOP] = {0, U_STOPPING, 0, 0, 1},
                [UE_REQ_FAILED] = {0, U_STOPPING, 0, 0, 1},
                [UE_RESTART] = {0, U_STOPPING, 0, 0, 1},
                [UE_LAUNCHED] = NOPE (U_READY),
                [UE_LAUNCH_FAILED] = NOPE (U_READY),
                [UE_READY] = TO (U_READY), /* a second READY=1 */
                [UE_EXITED] = {0, U_CLEANUP, 0, 1, 0},
                [UE_CLEANED] = NOPE (U_READY),
                [UE_TIMEOUT] = NOPE (U_READY),
        },
        [U_STOPPING] = {
                [UE_GO] = NOPE (U_STOPPING),
                [UE_BLOCK] = NOPE (U_STOPPING),
                [UE_START] = TO (U_STOPPING), /* starts again once stopped */
                [UE_STOP] = TO (U_STOPPING),
                [UE_REQ_FAILED] = TO (U_STOPPING),
                [UE_RESTART] = TO (U_STOPPING),
                [UE_LAUNCHED] = NOPE (U_STOPPING),
                [UE_LAUNCH_FAILED] = NOPE (U_STOPPING),
                [UE_READY] = NOPE (U_STOPPING),
                [UE_EXITED] = {0, U_CLEANUP, 0, 1, 0},
                [UE_CLEANED] = NOPE (U_STOPPING),
                [UE_TIMEOUT] = {0, U_STOPPING, 0, 0, 1}, /* stop timeout: SIGKILL */
        },
        [U_CLEANUP] = {
                [UE_GO] = NOPE (U_CLEANUP),
                [UE_BLOCK] = NOPE (U_CLEANUP),
                [UE_START] = TO (U_CLEANUP),
                [UE_STOP] = TO (U_CLEANUP),
                [UE_REQ_FAILED] = TO (U_CLEANUP),
                [UE_RESTART] = TO (U_CLEANUP),
                [UE_LAUNCHED] = NOPE (U_CLEANUP),
                [UE_LAUNCH_FAILED] = NOPE (U_CLEANUP),
                [UE_READY] = NOPE (U_CLEANUP),
                [UE_EXITED] = NOPE (U_CLEANUP),
                [UE_CLEANED] = TO (U_RESTART_WAIT), /* status 3, on-failure */
                [UE_TIMEOUT] = {0, U_CLEANUP, 0, 0, 1}, /* delete helper killed */
        },
        [U_RESTART_WAIT] = {
                [UE_GO] = NOPE (U_RESTART_WAIT),
                [UE_BLOCK] = NOPE (U_RESTART_WAIT),
                [UE_START] = TO (U_WAITING),
                [UE_STOP] = TO (U_STOPPED),
                [UE_REQ_FAILED] = TO (U_BLOCKED),
                [UE_RESTART] = TO (U_WAITING),
                [UE_LAUNCHED] = NOPE (U_RESTART_WAIT),
                [UE_LAUNCH_FAILED] = NOPE (U_RESTART_WAIT),
                [UE_READY] = NOPE (U_RESTART_WAIT),
                [UE_EXITED] = NOPE (U_RESTART_WAIT),
                [UE_CLEANED] = NOPE (U_RESTART_WAIT),
                [UE_TIMEOUT] = TO (U_WAITING),
        },
#define TERMINAL(st)                                                                            \
	[st] = {                                                                                \
	        [UE_GO] = NOPE (st),          [UE_BLOCK] = NOPE (st),   [UE_START] = TO (U_WAITING), \
	        [UE_STOP] = TO (U_STOPPED),   [UE_REQ_FAILED] = NOPE (st), [UE_RESTART] = TO (U_WAITING), \
	        [UE_LAUNCHED] = NOPE (st),    [UE_LAUNCH_FAILED] = NOPE (st), [UE_READY] = NOPE (st), \
	        [UE_EXITED] = NOPE (st),      [UE_CLEANED] = NOPE (st), [UE_TIMEOUT] = NOPE (st),   \
	}
        TERMINAL (U_DONE),
        TERMINAL (U_FAILED),
        TERMINAL (U_BLOCKED),
        TERMINAL (U_SKIPPED),
        TERMINAL (U_STOPPED),
        /* reload (init/reload.h): its two states, its two events in every state */
#define NOTHING(st)                                                                             \
	[st] = {                                                                                \
	        [UE_GO] = NOPE (st),          [UE_BLOCK] = NOPE (st),   [UE_START] = NOPE (st),     \
	        [UE_STOP] = TO (st),          [UE_REQ_FAILED] = NOPE (st), [UE_RESTART] = NOPE (st), \
	        [UE_LAUNCHED] = NOPE (st),    [UE_LAUNCH_FAILED] = NOPE (st), [UE_READY] = NOPE (st), \
	        [UE_EXITED] = NOPE (st),      [UE_CLEANED] = NOPE (st), [UE_TIMEOUT] = NOPE (st),   \
	        [UE_REPLACE] = NOPE (st),     [UE_RELOADED] = TO (st),                              \
	}
        NOTHING (U_REMOVED), /* stop: accepted, it stays removed */
        /* (x UE_RELOADED: its name came back; without a replacement it stays removed) */
        [U_HELD] = {
                [UE_GO] = NOPE (U_HELD),
                [UE_BLOCK] = NOPE (U_HELD),
                [UE_START] = NOPE (U_HELD),
                [UE_STOP] = TO (U_STOPPED), /* shutdown during a reload */
                [UE_REQ_FAILED] = NOPE (U_HELD),
                [UE_RESTART] = NOPE (U_HELD),
                [UE_LAUNCHED] = NOPE (U_HELD),
                [UE_LAUNCH_FAILED] = NOPE (U_HELD),
                [UE_READY] = NOPE (U_HELD),
                [UE_EXITED] = NOPE (U_HELD),
                [UE_CLEANED] = NOPE (U_HELD),
                [UE_TIMEOUT] = NOPE (U_HELD),
                [UE_REPLACE] = NOPE (U_HELD),
                [UE_RELOADED] = TO (U_REMOVED), /* no replacement: its entry is gone */
        },
        [U_WAITING][UE_REPLACE] = TO (U_HELD),
        [U_STARTING][UE_REPLACE] = TO (U_STARTING), /* held once the helper is done */
        [U_RUNNING][UE_REPLACE] = {0, U_STOPPING, 0, 0, 1},
        [U_READY][UE_REPLACE] = {0, U_STOPPING, 0, 0, 1},
        [U_STOPPING][UE_REPLACE] = TO (U_STOPPING),
        [U_CLEANUP][UE_REPLACE] = TO (U_CLEANUP),
        [U_RESTART_WAIT][UE_REPLACE] = TO (U_HELD),
        [U_DONE][UE_REPLACE] = TO (U_HELD),
        [U_FAILED][UE_REPLACE] = TO (U_HELD),
        [U_BLOCKED][UE_REPLACE] = TO (U_HELD),
        [U_SKIPPED][UE_REPLACE] = TO (U_HELD),
        [U_STOPPED][UE_REPLACE] = TO (U_HELD),
        [U_WAITING][UE_RELOADED] = NOPE (U_WAITING),
        [U_STARTING][UE_RELOADED] = NOPE (U_STARTING),
        [U_RUNNING][UE_RELOADED] = NOPE (U_RUNNING),
        [U_READY][UE_RELOADED] = NOPE (U_READY),
        [U_STOPPING][UE_RELOADED] = NOPE (U_STOPPING),
        [U_CLEANUP][UE_RELOADED] = NOPE (U_CLEANUP),
        [U_RESTART_WAIT][UE_RELOADED] = NOPE (U_RESTART_WAIT),
        [U_DONE][UE_RELOADED] = NOPE (U_DONE),
        [U_FAILED][UE_RELOADED] = NOPE (U_FAILED),
        [U_BLOCKED][UE_RELOADED] = NOPE (U_BLOCKED),
        [U_SKIPPED][UE_RELOADED] = NOPE (U_SKIPPED),
        [U_STOPPED][UE_RELOADED] = NOPE (U_STOPPED),
        /* health (init/health.h): its state; its two events in every state.
         * The unit's restart policy here is on-failure: unhealthy stops it. */
        [U_UNHEALTHY] = {
                [UE_GO] = NOPE (U_UNHEALTHY),
                [UE_BLOCK] = NOPE (U_UNHEALTHY),
                [UE_START] = NOPE (U_UNHEALTHY),
                [UE_STOP] = {0, U_STOPPING, 0, 0, 1},
                [UE_REQ_FAILED] = {0, U_STOPPING, 0, 0, 1},
                [UE_RESTART] = {0, U_STOPPING, 0, 0, 1},
                [UE_LAUNCHED] = NOPE (U_UNHEALTHY),
                [UE_LAUNCH_FAILED] = NOPE (U_UNHEALTHY),
                [UE_READY] = NOPE (U_UNHEALTHY),
                [UE_EXITED] = {0, U_CLEANUP, 0, 1, 0},
                [UE_CLEANED] = NOPE (U_UNHEALTHY),
                [UE_TIMEOUT] = {0, U_UNHEALTHY, 0, 0, 1}, /* its stop timeout: SIGKILL */
                [UE_REPLACE] = {0, U_STOPPING, 0, 0, 1},
                [UE_RELOADED] = NOPE (U_UNHEALTHY),
                [UE_HEALTH_PASS] = NOPE (U_UNHEALTHY), /* being stopped for its restart */
                [UE_HEALTH_FAIL] = TO (U_UNHEALTHY),
        },
        [U_RUNNING][UE_HEALTH_PASS] = TO (U_RUNNING), /* readiness notify: not ready by it */
        [U_RUNNING][UE_HEALTH_FAIL] = {0, U_UNHEALTHY, 0, 0, 1},
        [U_READY][UE_HEALTH_PASS] = TO (U_READY),
        [U_READY][UE_HEALTH_FAIL] = {0, U_UNHEALTHY, 0, 0, 1},
        [U_WAITING][UE_HEALTH_PASS] = NOPE (U_WAITING),
        [U_WAITING][UE_HEALTH_FAIL] = NOPE (U_WAITING),
        [U_STARTING][UE_HEALTH_PASS] = NOPE (U_STARTING),
        [U_STARTING][UE_HEALTH_FAIL] = NOPE (U_STARTING),
        [U_STOPPING][UE_HEALTH_PASS] = NOPE (U_STOPPING),
        [U_STOPPING][UE_HEALTH_FAIL] = NOPE (U_STOPPING),
        [U_CLEANUP][UE_HEALTH_PASS] = NOPE (U_CLEANUP),
        [U_CLEANUP][UE_HEALTH_FAIL] = NOPE (U_CLEANUP),
        [U_RESTART_WAIT][UE_HEALTH_PASS] = NOPE (U_RESTART_WAIT),
        [U_RESTART_WAIT][UE_HEALTH_FAIL] = NOPE (U_RESTART_WAIT),
        [U_DONE][UE_HEALTH_PASS] = NOPE (U_DONE),
        [U_DONE][UE_HEALTH_FAIL] = NOPE (U_DONE),
        [U_FAILED][UE_HEALTH_PASS] = NOPE (U_FAILED),
        [U_FAILED][UE_HEALTH_FAIL] = NOPE (U_FAILED),
        [U_BLOCKED][UE_HEALTH_PASS] = NOPE (U_BLOCKED),
        [U_BLOCKED][UE_HEALTH_FAIL] = NOPE (U_BLOCKED),
        [U_SKIPPED][UE_HEALTH_PASS] = NOPE (U_SKIPPED),
        [U_SKIPPED][UE_HEALTH_FAIL] = NOPE (U_SKIPPED),
        [U_STOPPED][UE_HEALTH_PASS] = NOPE (U_STOPPED),
        [U_STOPPED][UE_HEALTH_FAIL] = NOPE (U_STOPPED),
        [U_HELD][UE_HEALTH_PASS] = NOPE (U_HELD),
        [U_HELD][UE_HEALTH_FAIL] = NOPE (U_HELD),
        [U_REMOVED][UE_HEALTH_PASS] = NOPE (U_REMOVED),
        [U_REMOVED][UE_HEALTH_FAIL] = NOPE (U_REMOVED),
};
/* clang-format on */

/* Put unit 0 in st as the events that lead there would have left it. */
static void place (enum unit_state st)
{
	struct unit *u = &units[0];

	u->state = st;
	u->policy.ready = READY_NOTIFY;
	switch (st) {
	case U_STARTING:
		u->timer = T_START_TIMEOUT;
		u->deadline_ms = f.now - 1;
		u->helper = 4242;
		break;
	case U_RUNNING:
		u->timer = T_START_TIMEOUT;
		u->deadline_ms = f.now - 1;
		u->pid = 4343;
		u->pid_known = true;
		break;
	case U_READY:
		u->pid = 4343;
		u->pid_known = true;
		u->was_ready = true;
		break;
	case U_STOPPING:
		u->pid = 4343;
		u->pid_known = true;
		u->after_exit = AFTER_STOP;
		u->timer = T_STOP_TIMEOUT;
		u->deadline_ms = f.now - 1;
		break;
	case U_CLEANUP:
		u->exited = true;
		u->exit_status = 3 << 8;
		u->timer = T_STOP_TIMEOUT;
		u->deadline_ms = f.now - 1;
		u->helper = 4444;
		break;
	case U_RESTART_WAIT:
		u->timer = T_RESTART;
		u->deadline_ms = f.now - 1;
		break;
	case U_UNHEALTHY: /* stopped for its restart (on-failure) */
		u->pid = 4343;
		u->pid_known = true;
		u->was_ready = true;
		u->forced_failure = true;
		u->timer = T_STOP_TIMEOUT;
		u->deadline_ms = f.now - 1;
		break;
	default:
		break;
	}
}

static void test_every_pair (void **state)
{
	int st, ev;

	for (st = 0; st < U_NSTATES; st++) {
		for (ev = 0; ev < UE_NEVENTS; ev++) {
			const struct expect *want = &table[st][ev];
			long arg = ev == UE_EXITED                         ? (3 << 8)
			           : ev == UE_BLOCK || ev == UE_REQ_FAILED ? 1
			                                                   : 0;
			int ret;

			teardown (state);
			setup (state);
			add ("a", NULL, NULL);
			add ("dep", NULL, NULL);
			units[1].state = U_FAILED;
			place ((enum unit_state)st);
			build ();
			if (st == U_CLEANUP || st == U_STARTING)
				restart_record_start (&units[0].restart, f.now - 100);
			ret = unit_event (&set, 0, (enum unit_event)ev, arg);
			if (ret != want->ret || units[0].state != want->next ||
			    f.launches != want->launches || f.cleanups != want->cleanups ||
			    f.signals != want->signals)
				fail_msg ("%s x %s: got ret %d -> %s (launch %d cleanup %d signal "
				          "%d), "
				          "want ret %d -> %s (launch %d cleanup %d signal %d)",
				          unit_state_name (st), unit_event_name (ev), ret,
				          unit_state_name (units[0].state), f.launches, f.cleanups,
				          f.signals, want->ret, unit_state_name (want->next),
				          want->launches, want->cleanups, want->signals);
			/* the per-state counts stay true */
			assert_int_equal (set.count[units[0].state] >= 1, 1);
		}
	}
}

/* What the pairs leave behind besides the state. */
static void test_pair_details (void **state)
{
	/* stop while the start helper runs: remembered, bounded by the stop timeout */
	add ("a", NULL, NULL);
	place (U_STARTING);
	build ();
	assert_int_equal (unit_event (&set, 0, UE_STOP, 0), 0);
	assert_int_equal (units[0].after_exit, AFTER_STOP);
	assert_int_equal (units[0].timer, T_STOP_TIMEOUT);
	assert_int_equal (units[0].deadline_ms, f.now + 2000);
	/* launched meanwhile: stopped at once with its stop signal */
	assert_int_equal (unit_event (&set, 0, UE_LAUNCHED, 4343), 0);
	assert_int_equal (units[0].state, U_STOPPING);
	assert_int_equal (f.last_signal, SIGTERM);
	assert_false (f.last_all);
	/* the stop timeout kills the whole cgroup */
	f.now += 2000;
	unit_timers (&set, f.now);
	assert_int_equal (f.last_signal, SIGKILL);
	assert_true (f.last_all);
	assert_int_equal (unit_event (&set, 0, UE_EXITED, SIGKILL), 0);
	assert_int_equal (unit_event (&set, 0, UE_CLEANED, 0), 0);
	assert_int_equal (units[0].state, U_STOPPED);
}

/* A reload's life (reload.h): a ready unit that web requires is held for
 * its new files (stopped, web left running: a restart by reload is not a
 * failure), takes them with UE_RELOADED and starts again; a held unit
 * without replacement is removed. */
static void test_reload_life (void **state)
{
	struct unit fresh = {0};

	(void)state;
	add ("db", NULL, NULL);
	add ("web", "db", NULL);
	build ();
	unit_schedule (&set, NULL);
	assert_int_equal (unit_event (&set, 0, UE_LAUNCHED, 100), 0);
	assert_int_equal (units[0].state, U_READY);
	unit_schedule (&set, NULL);
	assert_int_equal (unit_event (&set, 1, UE_LAUNCHED, 101), 0);
	assert_int_equal (units[1].state, U_READY);

	policy_defaults (&fresh.policy);
	fresh.policy.stop_timeout_ms = 1234;
	fresh.spec = &dummy_spec;
	units[0].replacement = &fresh;
	assert_int_equal (unit_event (&set, 0, UE_REPLACE, 0), 0);
	assert_int_equal (units[0].state, U_STOPPING);
	assert_int_equal (f.last_signal, SIGTERM);
	assert_int_equal (unit_event (&set, 0, UE_EXITED, SIGTERM), 0);
	assert_int_equal (unit_event (&set, 0, UE_CLEANED, 0), 0);
	assert_int_equal (units[0].state, U_HELD);
	assert_int_equal (units[1].state, U_READY); /* not told to stop */
	assert_int_equal (unit_event (&set, 0, UE_START, 0), -1); /* held for the reload */
	assert_int_equal (unit_event (&set, 0, UE_RELOADED, 0), 0);
	assert_int_equal (units[0].state, U_WAITING);
	assert_int_equal (units[0].policy.stop_timeout_ms, 1234);
	assert_ptr_equal (units[0].replacement, &fresh); /* the old files, for the caller */
	assert_int_equal (fresh.policy.stop_timeout_ms, 2000);
	policy_free (&fresh.policy);
	units[0].replacement = NULL;
	unit_schedule (&set, NULL);
	assert_int_equal (units[0].state, U_STARTING);
	assert_int_equal (f.launches, 3);

	/* web removed: it runs, so stopped first, then removed */
	assert_int_equal (unit_event (&set, 1, UE_REPLACE, 0), 0);
	assert_int_equal (unit_event (&set, 1, UE_EXITED, SIGTERM), 0);
	assert_int_equal (unit_event (&set, 1, UE_CLEANED, 0), 0);
	assert_int_equal (unit_event (&set, 1, UE_RELOADED, 0), 0);
	assert_int_equal (units[1].state, U_REMOVED);
	assert_int_equal (unit_graph_state (&units[1]), GS_FAILED);
	assert_int_equal (unit_event (&set, 1, UE_START, 0), -1);
	assert_int_equal (set.count[U_REMOVED], 1);
}

/* Health (health.h): readiness "healthy" is reached by the first pass;
 * unhealthy with restart "no" keeps running, stops what requires it, and
 * a pass makes it ready again; with on-failure it is stopped as a failure
 * and restarted. */
static void test_health_life (void **state)
{
	(void)state;
	add ("db", NULL, NULL);
	add ("web", "db", NULL);
	units[0].policy.ready = READY_HEALTHY;
	units[0].policy.restart = RESTART_NO;
	build ();
	unit_schedule (&set, NULL);
	assert_int_equal (unit_event (&set, 0, UE_LAUNCHED, 100), 0);
	assert_int_equal (units[0].state, U_RUNNING); /* not ready before a check passes */
	unit_schedule (&set, NULL);
	assert_int_equal (units[1].state, U_WAITING); /* web waits for db's readiness */
	assert_int_equal (unit_event (&set, 0, UE_HEALTH_PASS, 0), 0);
	assert_int_equal (units[0].state, U_READY);
	unit_schedule (&set, NULL);
	assert_int_equal (unit_event (&set, 1, UE_LAUNCHED, 101), 0);
	assert_int_equal (units[1].state, U_READY);

	f.signals = 0;
	assert_int_equal (unit_event_why (&set, 0, UE_HEALTH_FAIL, "it timed out 3 times"), 0);
	assert_int_equal (units[0].state, U_UNHEALTHY);
	assert_string_equal (units[0].error, "unhealthy: it timed out 3 times");
	assert_int_equal (units[1].state, U_STOPPING); /* web requires it: told, stopped */
	assert_int_equal (f.signals, 1);               /* web's stop; db is left running */
	assert_int_equal (unit_event (&set, 0, UE_HEALTH_PASS, 0), 0);
	assert_int_equal (units[0].state, U_READY);
	assert_null (units[0].error);

	/* on-failure: stopped as a failure, then restarted */
	units[0].policy.restart = RESTART_ON_FAILURE;
	assert_int_equal (unit_event_why (&set, 0, UE_HEALTH_FAIL, "exited non-zero"), 0);
	assert_int_equal (units[0].state, U_UNHEALTHY);
	assert_int_equal (f.last_signal, SIGTERM);
	assert_int_equal (unit_event (&set, 0, UE_HEALTH_PASS, 0), -1); /* too late */
	assert_int_equal (unit_event (&set, 0, UE_EXITED, SIGTERM), 0);
	assert_int_equal (unit_event (&set, 0, UE_CLEANED, 0), 0);
	assert_int_equal (units[0].state, U_RESTART_WAIT);
	assert_int_equal (units[0].restarts, 1);
}

/* ---- whole lives ------------------------------------------------------------------ */

static void run_once_failing (size_t i, uint64_t ran_ms)
{
	unit_schedule (&set, NULL);
	assert_int_equal (units[i].state, U_STARTING);
	assert_int_equal (unit_event (&set, i, UE_LAUNCHED, 100), 0);
	f.now += ran_ms;
	assert_int_equal (unit_event (&set, i, UE_EXITED, 1 << 8), 0);
	assert_int_equal (unit_event (&set, i, UE_CLEANED, 0), 0);
}

/* Issue 12: defaults 5 starts in 10 s, backoff 1, 2, 4, 8 s: the fifth
 * failure ends `failed`, and the startup is then settled. */
static void test_start_limit_ends_failed (void **state)
{
	int k;

	add ("etcd", NULL, NULL);
	build ();
	for (k = 1; k <= 4; k++) {
		run_once_failing (0, 50);
		assert_int_equal (units[0].state, U_RESTART_WAIT);
		assert_int_equal (units[0].deadline_ms, f.now + (1000u << (k - 1)));
		assert_false (unit_startup_settled (&set));
		f.now = unit_next_deadline (&set);
		unit_timers (&set, f.now);
		assert_int_equal (units[0].state, U_WAITING);
	}
	run_once_failing (0, 50);
	assert_int_equal (units[0].state, U_FAILED);
	assert_string_equal (units[0].error,
	                     "started 5 times within 10000ms; gave up (restart.limit)");
	assert_int_equal (f.launches, 5);
	assert_true (unit_startup_settled (&set));
	assert_int_equal (unit_next_deadline (&set), 0);
}

/* Issue 12: `after` goes on once the dependency's start has failed (as
 * systemd's After=), `requires` waits for the restart and is blocked when
 * it gives up. */
static void test_after_goes_on_requires_waits (void **state)
{
	int k;

	/* etcd uses readiness notify, so its start can fail before it is ready */
	add ("etcd", NULL, NULL);
	add ("client", NULL, "etcd");
	add ("needs", "etcd", NULL);
	units[0].policy.ready = READY_NOTIFY;
	build ();
	unit_schedule (&set, NULL);
	assert_int_equal (unit_event (&set, 0, UE_LAUNCHED, 100), 0);
	unit_schedule (&set, NULL);
	assert_int_equal (units[1].state, U_WAITING); /* its start job is running */
	f.now += 50;
	assert_int_equal (unit_event (&set, 0, UE_EXITED, 1 << 8), 0);
	assert_int_equal (unit_event (&set, 0, UE_CLEANED, 0), 0);
	assert_int_equal (units[0].state, U_RESTART_WAIT);
	unit_schedule (&set, NULL);
	assert_int_equal (units[1].state, U_STARTING); /* after: goes on */
	assert_int_equal (units[2].state, U_WAITING);  /* requires: waits */
	for (k = 2; k <= 5; k++) {
		f.now = units[0].deadline_ms;
		unit_timers (&set, f.now);
		run_once_failing (0, 50);
		assert_int_equal (units[2].state, U_WAITING); /* until etcd gives up */
	}
	assert_int_equal (units[0].state, U_FAILED);
	unit_schedule (&set, NULL);
	assert_int_equal (units[2].state, U_BLOCKED);
	assert_string_equal (units[2].error, "requires etcd, which failed");
}

/* A requirement that fails stops what requires it; that one ends blocked. */
static void test_requirement_failure_stops (void **state)
{
	add ("db", NULL, NULL);
	add ("web", "db", NULL);
	units[0].policy.restart = RESTART_NO;
	build ();
	unit_schedule (&set, NULL);
	unit_event (&set, 0, UE_LAUNCHED, 100);
	assert_int_equal (units[0].state, U_READY);
	unit_schedule (&set, NULL);
	assert_int_equal (units[1].state, U_STARTING);
	unit_event (&set, 1, UE_LAUNCHED, 101);
	assert_int_equal (units[1].state, U_READY);
	f.signals = 0;
	unit_event (&set, 0, UE_EXITED, 2 << 8);
	unit_event (&set, 0, UE_CLEANED, 0);
	assert_int_equal (units[0].state, U_FAILED);
	assert_int_equal (units[1].state, U_STOPPING);
	assert_int_equal (f.signals, 1);
	unit_event (&set, 1, UE_EXITED, SIGTERM);
	unit_event (&set, 1, UE_CLEANED, 0);
	assert_int_equal (units[1].state, U_BLOCKED);
	assert_string_equal (units[1].error, "requires db, which failed");
}

/* No process could be forked: a failed start, decided by the restart
 * policy, with nothing to delete. */
static void test_launch_cannot_fork (void **state)
{
	add ("a", NULL, NULL);
	build ();
	f.launch_fails = 1;
	unit_schedule (&set, NULL);
	assert_int_equal (units[0].state, U_RESTART_WAIT);
	assert_int_equal (f.cleanups, 0);
	assert_string_equal (units[0].error, "fork: Resource temporarily unavailable");
	f.now = unit_next_deadline (&set);
	unit_timers (&set, f.now);
	unit_schedule (&set, NULL);
	assert_int_equal (units[0].state, U_STARTING);
}

static void test_essential_failure (void **state)
{
	add ("a", NULL, NULL);
	units[0].policy.restart = RESTART_NO;
	units[0].policy.essential = true;
	build ();
	unit_schedule (&set, NULL);
	unit_event (&set, 0, UE_LAUNCHED, 100);
	unit_event (&set, 0, UE_EXITED, 1 << 8);
	unit_event (&set, 0, UE_CLEANED, 0);
	assert_int_equal (units[0].state, U_FAILED);
	assert_int_equal (f.essential, 1);
}

/* The ordered stop: web (requires db) is stopped first, db once web is gone. */
static void test_ordered_stop (void **state)
{
	add ("db", NULL, NULL);
	add ("web", "db", NULL);
	add ("later", NULL, NULL);
	build ();
	unit_schedule (&set, NULL);
	unit_event (&set, 0, UE_LAUNCHED, 100);
	unit_schedule (&set, NULL);
	unit_event (&set, 1, UE_LAUNCHED, 101);
	unit_event (&set, 2, UE_LAUNCHED, 102);
	units[0].pid = 100;
	units[1].pid = 101;
	units[2].pid = 102;
	assert_false (unit_stop_all_step (&set));
	assert_int_equal (units[0].state, U_READY);
	assert_int_equal (units[1].state, U_STOPPING);
	assert_int_equal (units[2].state, U_STOPPING);
	units[1].exited = true;
	unit_event (&set, 1, UE_EXITED, SIGTERM);
	unit_event (&set, 1, UE_CLEANED, 0);
	assert_false (unit_stop_all_step (&set));
	assert_int_equal (units[0].state, U_STOPPING);
	unit_event (&set, 0, UE_EXITED, SIGTERM);
	unit_event (&set, 0, UE_CLEANED, 0);
	unit_event (&set, 2, UE_EXITED, SIGTERM);
	unit_event (&set, 2, UE_CLEANED, 0);
	assert_true (unit_stop_all_step (&set));
	assert_int_equal (units[0].state, U_STOPPED);
	/* nothing starts once stopping */
	assert_int_equal (unit_event (&set, 0, UE_START, 0), 0);
	unit_schedule (&set, NULL);
	assert_int_equal (units[0].state, U_WAITING);
}

/* The worklist: a chain of n waiting units costs one look per change. */
static void test_schedule_chain (void **state)
{
	add ("a", NULL, NULL);
	add ("b", NULL, "a");
	add ("c", NULL, "b");
	add ("d", NULL, "c");
	build ();
	unit_schedule (&set, NULL);
	assert_int_equal (f.launches, 1);
	unit_event (&set, 0, UE_LAUNCHED, 100);
	unit_schedule (&set, NULL);
	assert_int_equal (f.launches, 2);
	assert_int_equal (f.last_launched, 1);
	unit_event (&set, 1, UE_LAUNCHED, 101);
	unit_schedule (&set, NULL);
	unit_event (&set, 2, UE_LAUNCHED, 102);
	unit_schedule (&set, NULL);
	assert_int_equal (f.launches, 4);
	assert_int_equal (units[3].state, U_STARTING);
}

/* A unit waiting for a device: the device's deadline runs from the first
 * look that found it missing; at it the unit fails with the device named,
 * and a dependent that requires it is blocked.  A device that comes in
 * time disarms it. */
static bool devices_there;
static bool fake_devices (void *ctx, size_t i)
{
	(void)ctx;
	units[i].device_missing = units[i].policy.devices.v[0];
	return devices_there;
}

static void with_device (struct unit *u, const char *dev, uint64_t timeout_ms)
{
	u->policy.devices.v = xmalloc0 (2 * sizeof (char *));
	u->policy.devices.v[0] = xstrdup (dev);
	u->policy.devices.n = 1;
	u->policy.devices_timeout_ms = timeout_ms;
}

static void test_device_timeout (void **state)
{
	add ("disk", NULL, NULL);
	add ("db", "disk", NULL);
	with_device (&units[0], "/dev/vdb", 30000);
	build ();
	devices_there = false;
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[0].state, U_WAITING);
	assert_int_equal (units[0].timer, T_DEVICE_TIMEOUT);
	assert_int_equal (units[0].deadline_ms, f.now + 30000);
	/* a uevent for another device: looked at again, same deadline */
	f.now += 10000;
	unit_requeue_waiting (&set);
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[0].deadline_ms, f.now + 20000);
	f.now += 19999;
	unit_timers (&set, f.now);
	assert_int_equal (units[0].state, U_WAITING);
	f.now += 1;
	unit_timers (&set, f.now);
	assert_int_equal (units[0].state, U_FAILED);
	assert_string_equal (units[0].error, "device /dev/vdb did not appear within 30000ms");
	assert_int_equal (units[0].timer, T_NONE);
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[1].state, U_BLOCKED);
	assert_int_equal (f.launches, 0);

	/* keelctl start: a fresh wait; this time the device comes */
	assert_int_equal (unit_event (&set, 0, UE_START, 0), 0);
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[0].deadline_ms, f.now + 30000);
	devices_there = true;
	unit_requeue_waiting (&set);
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[0].state, U_STARTING);
	assert_int_equal (units[0].timer, T_START_TIMEOUT); /* the device's is gone */
}

/* devices_timeout 0: wait forever, no timer. */
static void test_device_wait_forever (void **state)
{
	add ("disk", NULL, NULL);
	with_device (&units[0], "vdb", 0);
	build ();
	devices_there = false;
	unit_schedule (&set, fake_devices);
	assert_int_equal (units[0].timer, T_NONE);
	f.now += 7 * 24 * 3600 * 1000ULL;
	unit_timers (&set, f.now);
	assert_int_equal (units[0].state, U_WAITING);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_every_pair, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_pair_details, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_reload_life, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_health_life, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_start_limit_ends_failed, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_after_goes_on_requires_waits, setup,
	                                         teardown),
	        cmocka_unit_test_setup_teardown (test_requirement_failure_stops, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_launch_cannot_fork, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_essential_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_ordered_stop, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_schedule_chain, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_device_timeout, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_device_wait_forever, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
