/* Health checks: keel.json's "health" (docs/containers.d.md).
 *
 * While a service runs (running, ready or unhealthy), PID 1 runs its
 * health command inside the container every `interval` (the first as soon
 * as its process exists): a short-lived helper, cloned with a pidfd and no
 * exit signal (so the supervisor's waitpid(-1) sweep never takes it: only
 * this module reaps it, through the pidfd in the event loop), calls the
 * runtime's exec path in-process (runtime/exec-process.c: the container's
 * namespaces, cgroup, user, capabilities, seccomp and no_new_privs, as
 * `keel-runtime exec`), waits at most `timeout` and reports by its exit
 * code.  PID 1 never waits: a helper that outlives timeout + 2 s is killed.
 *
 * The verdict of each check (health_record, pure): a pass resets the
 * count; a failure within `start_period` of the start, before any pass, is
 * not counted (with readiness "healthy", none before the first pass is); `retries` failures in a
 * row make the unit unhealthy (UE_HEALTH_FAIL), whatever its restart policy does next (unit.c); a
 * pass is UE_HEALTH_PASS (readiness "healthy": the first one makes it ready).
 */
#ifndef KEEL_INIT_HEALTH_H
#define KEEL_INIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/loop.h"

struct policy_health;

/* What a check ended with (the helper's exit code). */
enum health_result {
	HR_PASS = 0,    /* the command exited 0 */
	HR_FAIL = 1,    /* it exited non-zero */
	HR_SIGNAL = 2,  /* it was killed by a signal */
	HR_TIMEOUT = 3, /* it ran past the timeout (killed) */
	HR_NORUN = 4,   /* it could not be run in the container */
	HR_LOST = 5,    /* the helper itself died or was killed */
};

enum health_verdict {
	HV_PASS,         /* UE_HEALTH_PASS */
	HV_FAIL,         /* counted, not yet `retries` in a row */
	HV_START_PERIOD, /* not counted: still in the start period */
	HV_UNHEALTHY,    /* `retries` in a row: UE_HEALTH_FAIL */
};

struct unit_health {
	uint64_t run;      /* the start (u->started_ms) these counts belong to */
	bool passed;       /* a check passed during this run */
	unsigned failures; /* in a row */
	uint64_t checks, passes;
	uint64_t next_ms; /* the next check is due (0: none planned) */
	enum health_result last;
	/* the check running now */
	pid_t pid; /* 0: none */
	int pidfd;
	struct watch w;
	uint64_t deadline_ms;
	bool killed; /* SIGKILL sent: reaped when its pidfd says so, result ignored */
};

/* Count one check's result (pure).  until_first_pass: readiness
 * "healthy", where failures before the first pass are the start (bounded
 * by start_timeout, as any readiness), not counted. */
enum health_verdict health_record (struct unit_health *h, const struct policy_health *p,
                                   enum health_result r, uint64_t now, uint64_t started_ms,
                                   bool until_first_pass);
const char *health_result_name (enum health_result r);
/* "passing (12 checks)", "failing (2 in a row of 3): exited non-zero", ... */
const char *health_describe (const struct unit_health *h, const struct policy_health *p, char *buf,
                             size_t cap);

struct sup;
/* Each pass of the supervisor's loop: start the checks that are due, stop
 * those of units no longer running, arm this module's timer.  Cost: the
 * units with a health section only. */
void health_step (struct sup *s);
/* The set of units changed (a reload). */
void health_reindex (struct sup *s);
void health_free (struct sup *s);

#endif
