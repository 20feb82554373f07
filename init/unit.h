/* The life of a containers.d entry ("unit"): one state machine, one owner.
 *
 * Only unit.c writes a unit's state, its timer and what is to happen once
 * its process is gone.  Everything else turns what it sees into an event:
 * the scheduler (dependencies allow a start, or a requirement failed),
 * the start/delete helpers (launched, failed, cleaned), the reaper (the
 * process exited), notify (READY=1), the timer (a deadline passed), the
 * control socket and the ordered shutdown (start, stop, restart).  The
 * table `actions[state][event]` in unit.c writes out every pair.
 *
 *   WAITING --go--> STARTING --launched--> RUNNING --ready--> READY
 *      |                 \                     \               |
 *    block          launch failed            exited/stop/timeout
 *      v                   \                       v           v
 *   BLOCKED                 +-------------------> CLEANUP (delete helper)
 *                                                   | cleaned: restart.c decides
 *            RESTART_WAIT <--- restart -------------+---> DONE / FAILED / STOPPED / BLOCKED
 *                | timeout -> WAITING
 *
 * What the machine does to the world (fork a helper, send a signal, read
 * the clock, give up on an essential entry) goes through struct unit_ops,
 * so tests/unit/test_unit.c drives every (state, event) pair with a fake
 * launcher and a fake clock.
 */
#ifndef KEEL_INIT_UNIT_H
#define KEEL_INIT_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/console.h"
#include "init/graph.h"
#include "init/health.h"
#include "init/logring.h"
#include "init/loop.h"
#include "init/policy.h"
#include "init/reload.h"
#include "init/restart.h"
#include "init/tmpfiles.h"
#include "runtime/spec.h"

enum unit_state {
	U_WAITING,      /* for its dependencies (or its devices) */
	U_STARTING,     /* start helper running */
	U_RUNNING,      /* started, not ready yet (notify) */
	U_READY,        /* service ready */
	U_STOPPING,     /* stop signal sent, waiting for the exit */
	U_CLEANUP,      /* exited; delete helper running */
	U_RESTART_WAIT, /* restart timer armed */
	U_DONE,         /* oneshot exited 0 */
	U_FAILED,       /* broken entry, failed start, or gave up */
	U_BLOCKED,      /* a required dependency failed */
	U_SKIPPED,      /* keel.skip / --skip */
	U_STOPPED,      /* stopped on request or at shutdown */
	/* reload (reload.c): */
	U_HELD,    /* stopped by a reload, waiting for its new files (UE_RELOADED) */
	U_REMOVED, /* its entry left containers.d; the slot is reused if it comes back */
	/* health (health.c): */
	U_UNHEALTHY, /* running, its health check failed `retries` times in a row */
	U_NSTATES
};

enum unit_event {
	UE_GO,            /* every dependency allows a start and its devices exist */
	UE_BLOCK,         /* a requirement will not become ready (cause: its index),
	                     or, given with unit_event_why, a mount failed */
	UE_START,         /* keelctl start */
	UE_STOP,          /* keelctl stop, or the ordered shutdown */
	UE_REQ_FAILED,    /* a running requirement failed (cause): stop, end blocked */
	UE_RESTART,       /* keelctl restart */
	UE_LAUNCHED,      /* the start helper reports the container started */
	UE_LAUNCH_FAILED, /* the start helper failed or could not run (unit error set) */
	UE_READY,         /* READY=1, or started with readiness "started" */
	UE_EXITED,        /* the container's process was reaped (status) */
	UE_CLEANED,       /* the delete helper is done, or could not run */
	UE_TIMEOUT,       /* the unit's deadline passed */
	/* reload (reload.c): */
	UE_REPLACE,  /* its entry changed or was removed: stop it and hold it */
	UE_RELOADED, /* every stop of the reload is done: take the new files, or go */
	/* health (health.c): */
	UE_HEALTH_PASS, /* a check passed */
	UE_HEALTH_FAIL, /* checks failed `retries` times in a row (why: the last) */
	UE_NEVENTS
};

/* What happens once the process is gone. */
enum unit_after_exit { AFTER_DECIDE, AFTER_STOP, AFTER_RESTART, AFTER_HOLD /* reload */ };
enum unit_timer { T_NONE, T_RESTART, T_START_TIMEOUT, T_STOP_TIMEOUT, T_DEVICE_TIMEOUT };

struct unit {
	/* --- read from containers.d (entries.c), then constant --- */
	char *name;
	char *dir;         /* containers.d/NAME */
	char *policy_file; /* containers.d/NAME/keel.json, as shown in messages */
	struct policy policy;
	bool has_policy;
	struct spec *spec;
	struct tmpfiles tmpfiles; /* NAME/tmpfiles.conf, applied before the first start */
	bool tmpfiles_applied;
	/* reload (reload.c): what was read, and what a reload read for it */
	struct entry_fp fp;
	struct unit *replacement; /* the new files while U_HELD; NULL: removed */

	/* health checks: written by health.c (the counts) */
	struct unit_health health;

	/* --- the lifecycle: written by unit.c only --- */
	enum unit_state state;
	enum unit_after_exit after_exit;
	enum unit_timer timer;
	uint64_t deadline_ms; /* 0: no timer */
	char *error;          /* why it is broken / failed (last message) */
	int exit_status;      /* wait status of the last exit */
	bool exited;          /* the process has been reaped */
	bool forced_failure;  /* start timeout or failed start: not a clean exit */
	bool blocked;         /* being stopped because a requirement failed */
	bool start_failed;    /* its last start attempt failed and it is retrying */
	bool was_ready;       /* reached ready (or done) since its last start */
	struct restart_state restart;
	unsigned restarts;
	uint64_t started_ms, ready_ms, exit_ms;
	/* keelctl boot-time: when each state was first entered (and when the
	 * unit began waiting for a device, its dependencies met; when the
	 * start helper reported the container created), unit_clock_us(), 0:
	 * never.  Stamped by set_state(), the scheduler and the helper reader;
	 * read by control.c. */
	uint64_t first_us[U_NSTATES];
	uint64_t devwait_us, created_us;

	/* --- resources, each written by the module that owns it --- */
	pid_t pid;                 /* container process (launcher), 0 when none */
	bool pid_known;            /* the start helper reported it */
	char *cgroup;              /* its cgroup v2 path, for notify checks and cgroup.kill */
	bool device_wait_reported; /* "Waiting for device" printed (scheduler) */
	const char *device_missing; /* the device waited for (policy's string; devices_ok) */
	pid_t helper;              /* start or delete helper (launcher) */
	int helper_fd;
	enum { H_NONE, H_START, H_DELETE } helper_op;
	char *helper_buf; /* its report so far (at most LAUNCH_REPORT_MAX bytes) */
	size_t helper_len;
	struct watch w_helper;
	/* the helper's pidfd (launch.h: it sends no SIGCHLD), when w_hpid_on */
	struct watch w_hpid;
	bool w_hpid_on;
	int log_r, log_w; /* pipe: container stdout+stderr -> PID 1 */
	struct logsink log;
	struct watch w_log;
	int notify_fd; /* -1 unless readiness notify (notify.c) */
	char *notify_dir;
	char *notify_status; /* last STATUS= */
	struct watch w_notify;
};

struct unit_set;

/* The machine's hands.  ctx is unit_set.ctx. */
struct unit_ops {
	uint64_t (*now) (void *ctx);
	/* Fork the start helper for unit i (log pipe, notify socket,
	 * tmpfiles included); < 0 with the unit's error set when it could not. */
	int (*launch) (void *ctx, size_t i, char **why);
	/* Fork the delete helper; < 0 when it could not (the machine goes on
	 * as if it had run: the next start deletes stale state first). */
	int (*cleanup) (void *ctx, size_t i);
	/* Send signo to the unit's process, or with all to its whole cgroup
	 * (SIGKILL also kills a helper still running). */
	void (*signal) (void *ctx, size_t i, int signo, bool all);
	/* Read what the process wrote before saying it stopped. */
	void (*drain_log) (void *ctx, size_t i);
	/* An essential unit failed (not while stopping everything). */
	void (*essential_failed) (void *ctx, size_t i);
};

struct unit_set {
	struct unit *v;
	size_t n;
	const struct graph *graph;
	struct console *con;
	const struct unit_ops *ops;
	void *ctx;
	bool stopping;       /* the ordered shutdown has begun: nothing starts again */
	size_t max_starting; /* start helpers at once (0: no limit) */
	const char *why;     /* the message of the event being fed (unit_event_why) */

	/* Preallocated once (unit_set_init), never per pass: */
	enum graph_state *gs;  /* dependency states for graph_check */
	enum graph_state *pub; /* the graph state dependents last saw, per unit */
	size_t *queue;         /* worklist of units to look at (a ring, each once) */
	bool *queued;
	size_t q_head, q_tail, q_len;
	bool *alive; /* for the ordered stop */
	bool any_alive;

	size_t count[U_NSTATES]; /* units per state: "all started" in O(1) */
	bool changed;            /* an event was accepted since the last stop step */
	uint64_t next_deadline;  /* earliest unit deadline (0: none) */
	bool timers_changed;     /* next_deadline must be recomputed */
};

/* Allocates the scratch arrays once: no allocation per pass. */
void unit_set_init (struct unit_set *set, struct unit *v, size_t n, const struct graph *g,
                    struct console *con, const struct unit_ops *ops, void *ctx);
void unit_set_free (struct unit_set *set);
/* A reload appended units up to new_n (same array) and rebuilt the graph. */
void unit_set_grow (struct unit_set *set, size_t new_n);

/* Initial states, set while containers.d is read (before any event). */
void unit_mark_broken (struct unit *u, char *msg); /* takes msg */
void unit_mark_skipped (struct unit *u);
/* Free what reading its entry gave a unit (name, directory, keel.json's
 * path, policy, tmpfiles, spec) and its error: the supervisor's end, and
 * a reload's read units that were not taken. */
void unit_free_entry (struct unit *u);

/* Feed one event.  arg: the cause's index for UE_BLOCK / UE_REQ_FAILED,
 * the wait status for UE_EXITED, the pid for UE_LAUNCHED, else 0.
 * Returns 0 when the event applies in the unit's state, -1 when it does
 * not (a control request that makes no sense now: "already running"). */
int unit_event (struct unit_set *set, size_t i, enum unit_event ev, long arg);
/* The same with a message (UE_LAUNCH_FAILED: the helper's error). */
int unit_event_why (struct unit_set *set, size_t i, enum unit_event ev, const char *why);

/* Start whatever may start, block what cannot (UE_GO / UE_BLOCK); units
 * that list devices or mounts ask devices_ok.  Cost: one pass over the waiting
 * units plus their edges. */
typedef bool (*unit_devices_fn) (void *ctx, size_t i);
void unit_schedule (struct unit_set *set, unit_devices_fn devices_ok);
/* Look at every waiting unit again (a uevent: a device may have come). */
void unit_requeue_waiting (struct unit_set *set);

/* Every unit whose deadline passed gets UE_TIMEOUT. */
void unit_timers (struct unit_set *set, uint64_t now);
/* The earliest deadline (0: none); recomputed only when it may have moved. */
uint64_t unit_next_deadline (struct unit_set *set);

/* No unit is waiting, starting or restarting any more. */
bool unit_startup_settled (const struct unit_set *set);

/* The ordered shutdown: stop what waits, then each unit once nothing
 * ordered after it is alive.  True once no unit is alive. */
bool unit_stop_all_step (struct unit_set *set);

bool unit_alive (const struct unit *u);
/* The clock of the boot-time stamps: CLOCK_BOOTTIME in microseconds, the
 * clock of /proc/uptime, so 0 is the kernel's start. */
uint64_t unit_clock_us (void);
const char *unit_state_name (enum unit_state st);
const char *unit_event_name (enum unit_event ev);
enum graph_state unit_graph_state (const struct unit *u);

#endif
