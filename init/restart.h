/* Restart decisions: a pure function of the policy, the history of starts
 * and the time (passed in, so unit tests drive a fake clock).
 *
 *  - restart.policy says whether an exit deserves a restart at all
 *    ("on-failure": a non-zero status or a signal; "always": any exit of a
 *    service; a oneshot that exits 0 is done, never restarted);
 *  - the delay grows as delay * factor^(consecutive failures), capped at
 *    backoff.max; a run that lasted longer than limit.interval resets it;
 *  - the start limit: when the restart would be the (burst+1)th start
 *    within limit.interval, keel gives up and marks the container failed
 *    (systemd's StartLimitBurst / StartLimitIntervalSec).  The interval is
 *    measured in the container's running time: the backoff delays keel
 *    itself waits between starts do not count.  Otherwise a growing
 *    backoff would space the starts further apart than the interval (the
 *    defaults: 5 starts in 10 s, delays 1, 2, 4 ... 60 s) and a service
 *    that can never start would be retried forever.  A run longer than the
 *    interval pushes the earlier starts out of it, as in systemd.
 * Memory per container: one timestamp per allowed start (burst <= 1000).
 */
#ifndef KEEL_INIT_RESTART_H
#define KEEL_INIT_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "init/policy.h"

struct restart_state {
	uint64_t *starts; /* ring of the last `burst` start times (ms) */
	unsigned cap, head, count;
	unsigned failures; /* consecutive exits that asked for a restart */
	uint64_t last_start_ms;
	uint64_t run_ms; /* the limit's clock: running time summed over every start */
};

enum restart_action {
	RA_DONE,    /* exited as wanted (oneshot 0, or policy "no"/"on-failure" and 0) */
	RA_FAILED,  /* failed and the policy says no restart */
	RA_RESTART, /* restart after delay_ms */
	RA_GIVE_UP, /* failed too often: start limit hit */
};

struct restart_decision {
	enum restart_action action;
	uint64_t delay_ms;
	unsigned starts_in_interval; /* for the message */
};

void restart_init (struct restart_state *s, const struct policy *p);
void restart_free (struct restart_state *s);
/* Forget the history (a manual start from the control socket). */
void restart_reset (struct restart_state *s);

void restart_record_start (struct restart_state *s, uint64_t now_ms);

/* success: the process exited with status 0. */
struct restart_decision restart_decide (struct restart_state *s, const struct policy *p,
                                        bool success, uint64_t now_ms);

#endif
