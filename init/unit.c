/* The unit state machine (see unit.h): the one place a unit's state,
 * timer and pending request are written. */
#include "init/unit.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/log.h"
#include "lib/termsafe.h"
#include "lib/util.h"

typedef int action_fn (struct unit_set *set, size_t i, long arg);

const char *unit_state_name (enum unit_state st)
{
	static const char *const names[] = {
	        [U_WAITING] = "waiting",         [U_STARTING] = "starting",
	        [U_RUNNING] = "running",         [U_READY] = "ready",
	        [U_STOPPING] = "stopping",       [U_CLEANUP] = "exited",
	        [U_RESTART_WAIT] = "restarting", [U_DONE] = "done",
	        [U_FAILED] = "failed",           [U_BLOCKED] = "blocked",
	        [U_SKIPPED] = "skipped",         [U_STOPPED] = "stopped",
	        [U_HELD] = "reloading",          [U_REMOVED] = "removed",
	        [U_UNHEALTHY] = "unhealthy",
	};
	return st < U_NSTATES ? names[st] : "?";
}

const char *unit_event_name (enum unit_event ev)
{
	static const char *const names[] = {
	        [UE_GO] = "go",
	        [UE_BLOCK] = "block",
	        [UE_START] = "start",
	        [UE_STOP] = "stop",
	        [UE_REQ_FAILED] = "requirement-failed",
	        [UE_RESTART] = "restart",
	        [UE_LAUNCHED] = "launched",
	        [UE_LAUNCH_FAILED] = "launch-failed",
	        [UE_READY] = "ready",
	        [UE_EXITED] = "exited",
	        [UE_CLEANED] = "cleaned",
	        [UE_TIMEOUT] = "timeout",
	        [UE_REPLACE] = "replace",
	        [UE_RELOADED] = "reloaded",
	        [UE_HEALTH_PASS] = "health-pass",
	        [UE_HEALTH_FAIL] = "health-fail",
	};
	return ev < UE_NEVENTS ? names[ev] : "?";
}

enum graph_state unit_graph_state (const struct unit *u)
{
	switch (u->state) {
	case U_READY:
	case U_DONE:
		return GS_READY;
	case U_FAILED:
	case U_BLOCKED:
	case U_SKIPPED:
	case U_STOPPED:
	case U_REMOVED:
	case U_UNHEALTHY:
		return GS_FAILED;
	default:
		return u->start_failed ? GS_RETRYING : GS_PENDING;
	}
}

bool unit_alive (const struct unit *u)
{
	return u->helper > 0 || (u->pid > 0 && !u->exited) || u->state == U_STARTING ||
	       u->state == U_CLEANUP;
}

/* ---- the set: scratch, worklist ----------------------------------------- */

static void enqueue (struct unit_set *set, size_t i)
{
	if (set->queued[i])
		return;
	set->queued[i] = true;
	set->queue[set->q_tail] = i;
	set->q_tail = (set->q_tail + 1) % set->n;
	set->q_len++;
}

void unit_set_init (struct unit_set *set, struct unit *v, size_t n, const struct graph *g,
                    struct console *con, const struct unit_ops *ops, void *ctx)
{
	size_t i;

	memset (set, 0, sizeof (*set));
	set->v = v;
	set->n = n;
	set->graph = g;
	set->con = con;
	set->ops = ops;
	set->ctx = ctx;
	set->gs = xmalloc0 ((n ? n : 1) * sizeof (*set->gs));
	set->queue = xmalloc0 ((n ? n : 1) * sizeof (*set->queue));
	set->queued = xmalloc0 ((n ? n : 1) * sizeof (*set->queued));
	set->alive = xmalloc0 ((n ? n : 1) * sizeof (*set->alive));
	set->pub = xmalloc0 ((n ? n : 1) * sizeof (*set->pub));
	set->timers_changed = true;
	for (i = 0; i < n; i++) {
		set->pub[i] = unit_graph_state (&v[i]);
		set->count[v[i].state]++;
		enqueue (set, i);
	}
	set->changed = true;
}

void unit_set_free (struct unit_set *set)
{
	free (set->gs);
	free (set->queue);
	free (set->queued);
	free (set->alive);
	free (set->pub);
	set->pub = NULL;
	set->gs = NULL;
	set->queue = NULL;
	set->queued = NULL;
	set->alive = NULL;
}

/* The only writer of u->state.  A change of what dependents see puts
 * them on the worklist; a unit back to waiting puts itself there. */
static void set_state (struct unit_set *set, size_t i, enum unit_state st)
{
	struct unit *u = &set->v[i];
	enum graph_state now_seen;
	size_t k;

	set->count[u->state]--;
	u->state = st;
	if (u->first_us[st] == 0) /* keelctl boot-time: the first time only */
		u->first_us[st] = unit_clock_us ();
	set->count[st]++;
	set->changed = true;
	if (st == U_WAITING)
		enqueue (set, i);
	now_seen = unit_graph_state (u);
	if (now_seen != set->pub[i] && set->graph) {
		set->pub[i] = now_seen;
		for (k = 0; k < set->graph->nodes[i].n_rdeps; k++)
			enqueue (set, set->graph->nodes[i].rdeps[k]);
	}
}

uint64_t unit_clock_us (void)
{
	struct timespec ts;

	if (clock_gettime (CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* An error is shown on the console, by `keelctl status` (text and JSON)
 * and in update's answers, and it can quote what an entry's or an image's
 * files held: kept rendered for a terminal (lib/termsafe.h), whoever
 * made it.  Takes msg. */
static char *error_text (char *msg)
{
	char *r;

	if (msg == NULL)
		return NULL;
	r = termsafe_dup (msg, 0);
	free (msg);
	return r;
}

void unit_mark_broken (struct unit *u, char *msg)
{
	free (u->error);
	u->error = error_text (msg);
	u->state = U_FAILED;
}

void unit_free_entry (struct unit *u)
{
	policy_free (&u->policy);
	tmpfiles_free (&u->tmpfiles);
	spec_free (u->spec);
	free (u->name);
	free (u->dir);
	free (u->policy_file);
	free (u->error);
}

void unit_mark_skipped (struct unit *u)
{
	u->state = U_SKIPPED;
}

static uint64_t now (struct unit_set *set)
{
	return set->ops->now (set->ctx);
}

/* The earliest deadline is kept up to date cheaply: a new later one
 * changes nothing, an earlier one replaces it, and only removing the
 * earliest asks for a scan (lazily, by unit_next_deadline). */
static void clear_timer (struct unit_set *set, struct unit *u)
{
	if (u->deadline_ms && u->deadline_ms <= set->next_deadline)
		set->timers_changed = true;
	u->timer = T_NONE;
	u->deadline_ms = 0;
}

static void set_timer (struct unit_set *set, struct unit *u, enum unit_timer kind, uint64_t at)
{
	clear_timer (set, u);
	u->timer = kind;
	u->deadline_ms = at;
	if (!set->timers_changed && (set->next_deadline == 0 || at < set->next_deadline))
		set->next_deadline = at;
}

static void set_error (struct unit *u, char *msg)
{
	free (u->error);
	u->error = error_text (msg);
}

static char *describe_status (int status)
{
	if (WIFEXITED (status))
		return xasprintf ("exited with status %d", WEXITSTATUS (status));
	if (WIFSIGNALED (status))
		return xasprintf ("killed by %s%s", policy_signal_name (WTERMSIG (status)),
		                  WCOREDUMP (status) ? " (core dumped)" : "");
	return xasprintf ("ended (wait status %d)", status);
}

/* ---- failure and its propagation ------------------------------------------ */

/* i will never be ready again: stop whoever requires it (those still
 * waiting are blocked by unit_schedule, which the state change queued). */
static void propagate (struct unit_set *set, size_t i)
{
	const struct graph_node *node;
	size_t k, e;

	if (set->graph == NULL)
		return;
	node = &set->graph->nodes[i];
	for (k = 0; k < node->n_rdeps; k++) {
		size_t j = node->rdeps[k];
		const struct graph_node *dn = &set->graph->nodes[j];

		for (e = 0; e < dn->n_deps; e++) {
			if (dn->deps[e].to == i && dn->deps[e].kind == DEP_REQUIRES) {
				unit_event (set, j, UE_REQ_FAILED, (long)i);
				break;
			}
		}
	}
}

static void failed (struct unit_set *set, size_t i)
{
	struct unit *u = &set->v[i];

	clear_timer (set, u);
	u->start_failed = false;
	set_state (set, i, U_FAILED);
	propagate (set, i);
	if (u->policy.essential && !set->stopping && set->ops->essential_failed)
		set->ops->essential_failed (set->ctx, i);
}

/* ---- the actions ------------------------------------------------------------ */

static int a_ignore (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	keel_debug ("%s: event ignored in state %s", set->v[i].name,
	            unit_state_name (set->v[i].state));
	return -1;
}

static int a_refuse (struct unit_set *set, size_t i, long arg)
{
	(void)set, (void)i, (void)arg;
	return -1; /* "already starting": the caller words it */
}

static int a_accept (struct unit_set *set, size_t i, long arg)
{
	(void)set, (void)i, (void)arg;
	return 0;
}

static void after_cleanup (struct unit_set *set, size_t i);

static int a_go (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];
	uint64_t t = now (set);
	char *why = NULL;

	(void)arg;
	if (set->stopping || u->spec == NULL)
		return -1;
	if (u->timer == T_DEVICE_TIMEOUT)
		clear_timer (set, u); /* its devices came in time */
	u->after_exit = AFTER_DECIDE;
	u->blocked = u->exited = u->forced_failure = u->was_ready = false;
	u->exit_status = 0;
	u->started_ms = t;
	restart_record_start (&u->restart, t);
	set_state (set, i, U_STARTING);
	if (set->ops->launch (set->ctx, i, &why) < 0) {
		/* Out of processes or memory for a moment, or a tmpfiles.conf
		 * that cannot be applied: a failed start like any other, so the
		 * restart policy decides; no helper ran, nothing to delete. */
		set_error (u, why ? why : xstrdup ("could not start the helper"));
		console_status (set->con, CS_FAIL, "Failed to start %s: %s", u->name, u->error);
		u->forced_failure = u->exited = true;
		u->exit_status = 1 << 8;
		after_cleanup (set, i);
		return 0;
	}
	free (why);
	if (u->policy.start_timeout_ms)
		set_timer (set, u, T_START_TIMEOUT, t + u->policy.start_timeout_ms);
	else
		clear_timer (set, u);
	if (u->policy.ready != READY_STARTED || u->policy.kind == KIND_ONESHOT)
		console_status (set->con, CS_NONE, "         Starting %s...", u->name);
	return 0;
}

static int a_block (struct unit_set *set, size_t i, long cause)
{
	struct unit *u = &set->v[i];
	const struct unit *c = &set->v[cause];

	/* Held back by something that is not a unit (a mount: mounter.c)
	 * when the event comes with its reason. */
	if (set->why)
		set_error (u, xstrdup (set->why));
	else
		set_error (u, xasprintf ("requires %s, which %s", c->name,
		                         unit_state_name (c->state)));
	console_status (set->con, CS_FAIL, "Dependency failed for %s: %s", u->name, u->error);
	set_state (set, i, U_BLOCKED);
	propagate (set, i);
	return 0;
}

/* Back to waiting (keelctl start of a unit that is not running). */
static int a_requeue (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	clear_timer (set, u);
	restart_reset (&u->restart);
	u->start_failed = false;
	set_error (u, NULL);
	set_state (set, i, U_WAITING);
	return 0;
}

static int a_stop_idle (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	clear_timer (set, &set->v[i]);
	set->v[i].start_failed = false;
	set_state (set, i, U_STOPPED);
	return 0;
}

static int a_stop_done (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	if (set->v[i].state != U_STOPPED)
		set_state (set, i, U_STOPPED);
	return 0;
}

static void say_req_failed (struct unit_set *set, size_t i, size_t cause)
{
	struct unit *u = &set->v[i];
	const struct unit *c = &set->v[cause];

	console_status (set->con, CS_FAIL, "Stopping %s: it requires %s, which %s", u->name,
	                c->name, unit_state_name (c->state));
	set_error (u, xasprintf ("requires %s, which %s", c->name, unit_state_name (c->state)));
	u->blocked = true;
}

static int a_req_failed_idle (struct unit_set *set, size_t i, long cause)
{
	say_req_failed (set, i, (size_t)cause);
	clear_timer (set, &set->v[i]);
	set->v[i].start_failed = false;
	set_state (set, i, U_BLOCKED); /* had no process to stop */
	propagate (set, i);
	return 0;
}

/* Stop a unit that has a process or a helper, and do `then` once it has
 * exited.  The two kinds differ only in what is sent and the state:
 * - a helper is running (starting: start helper; exited: delete
 *   helper): nothing to signal, the state stays and the stop acts once
 *   the helper is done, bounded by the stop timeout in case it never is
 *   (a stop timer already running is kept);
 * - a process is running (running, ready, unhealthy): its stop signal,
 *   the state stopping, and the stop timeout from now. */
static void stop_then (struct unit_set *set, size_t i, enum unit_after_exit then)
{
	struct unit *u = &set->v[i];

	u->after_exit = then;
	if (u->state == U_STARTING || u->state == U_CLEANUP) {
		if (u->timer != T_STOP_TIMEOUT)
			set_timer (set, u, T_STOP_TIMEOUT, now (set) + u->policy.stop_timeout_ms);
		return;
	}
	set_state (set, i, U_STOPPING);
	console_status (set->con, CS_NONE, "         Stopping %s...", u->name);
	set->ops->signal (set->ctx, i, u->policy.stop_signal, false);
	set_timer (set, u, T_STOP_TIMEOUT, now (set) + u->policy.stop_timeout_ms);
}

static int a_stop (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	stop_then (set, i, AFTER_STOP);
	return 0;
}

static int a_restart (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	stop_then (set, i, AFTER_RESTART);
	return 0;
}

static int a_req_failed (struct unit_set *set, size_t i, long cause)
{
	say_req_failed (set, i, (size_t)cause);
	stop_then (set, i, AFTER_STOP);
	return 0;
}

/* Start again once the exit is handled. */
static int a_then_restart (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	set->v[i].after_exit = AFTER_RESTART;
	return 0;
}

static int a_then_stop (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	set->v[i].after_exit = AFTER_STOP;
	return 0;
}

static int a_req_failed_stopping (struct unit_set *set, size_t i, long cause)
{
	set->v[i].blocked = true;
	set_error (&set->v[i], xasprintf ("requires %s, which %s", set->v[cause].name,
	                                  unit_state_name (set->v[cause].state)));
	set->v[i].after_exit = AFTER_STOP;
	return 0;
}

static int a_ready (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	u->ready_ms = now (set);
	u->was_ready = true;
	u->start_failed = false;
	if (u->timer == T_START_TIMEOUT)
		clear_timer (set, u);
	set_state (set, i, U_READY);
	if (u->policy.ready == READY_NOTIFY)
		console_status (set->con, CS_OK, "Started %s (ready after %llums).", u->name,
		                (unsigned long long)(u->ready_ms - u->started_ms));
	else
		console_status (set->con, CS_OK, "Started %s.", u->name);
	return 0;
}

static void begin_cleanup (struct unit_set *set, size_t i)
{
	set_state (set, i, U_CLEANUP);
	if (set->ops->cleanup (set->ctx, i) < 0)
		after_cleanup (set, i); /* the next start deletes stale state first */
}

static int a_launched (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	set_state (set, i, U_RUNNING);
	if (u->exited) { /* exited before the helper finished */
		begin_cleanup (set, i);
		return 0;
	}
	if (u->after_exit != AFTER_DECIDE) { /* stop or restart asked meanwhile */
		stop_then (set, i, u->after_exit);
		return 0;
	}
	if (u->policy.kind == KIND_SERVICE && u->policy.ready == READY_STARTED)
		a_ready (set, i, 0);
	return 0;
}

static int a_launch_failed (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	if (set->why)
		set_error (u, xstrdup (set->why));
	else if (u->forced_failure)
		set_error (u, xasprintf ("create did not complete within %llums; killed",
		                         (unsigned long long)u->policy.start_timeout_ms));
	else
		set_error (u, xstrdup ("the start helper failed without a report"));
	console_status (set->con, CS_FAIL, "Failed to start %s: %s", u->name, u->error);
	u->forced_failure = u->exited = true;
	if (u->exit_status == 0)
		u->exit_status = 1 << 8;
	begin_cleanup (set, i);
	return 0;
}

/* The process is gone: say so (after what it wrote). */
static void record_exit (struct unit_set *set, size_t i, int status)
{
	struct unit *u = &set->v[i];
	cleanup_free char *how = describe_status (status);
	bool success = WIFEXITED (status) && WEXITSTATUS (status) == 0;

	if (set->ops->drain_log)
		set->ops->drain_log (set->ctx, i);
	u->exited = true;
	u->exit_status = status;
	u->exit_ms = now (set);
	set->changed = true;
	if (u->timer == T_START_TIMEOUT || u->timer == T_STOP_TIMEOUT)
		clear_timer (set, u);
	if (u->after_exit == AFTER_STOP || u->after_exit == AFTER_HOLD || set->stopping)
		console_status (set->con, CS_OK, "Stopped %s (%s).", u->name, how);
	else if (u->policy.kind == KIND_ONESHOT && success && !u->forced_failure)
		console_status (set->con, CS_OK, "Finished %s.", u->name);
	else
		console_status (set->con, success ? CS_INFO : CS_FAIL, "%s %s%s", u->name, how,
		                u->state == U_RUNNING && u->policy.ready == READY_NOTIFY
		                        ? " before it was ready"
		                        : "");
}

static int a_exited_early (struct unit_set *set, size_t i, long status)
{
	record_exit (set, i, (int)status); /* the start helper's report follows */
	return 0;
}

static int a_exited (struct unit_set *set, size_t i, long status)
{
	record_exit (set, i, (int)status);
	begin_cleanup (set, i);
	return 0;
}

static void held (struct unit_set *set, size_t i);

static void after_cleanup (struct unit_set *set, size_t i)
{
	struct unit *u = &set->v[i];
	bool success = WIFEXITED (u->exit_status) && WEXITSTATUS (u->exit_status) == 0 &&
	               !u->forced_failure;
	struct restart_decision d;
	uint64_t t = now (set);

	clear_timer (set, u);
	if (u->after_exit == AFTER_HOLD && !set->stopping) {
		held (set, i); /* reload: the new files come with UE_RELOADED */
		return;
	}
	if (u->after_exit == AFTER_STOP || set->stopping) {
		u->start_failed = false;
		set_state (set, i, u->blocked && !set->stopping ? U_BLOCKED : U_STOPPED);
		propagate (set, i);
		return;
	}
	if (u->after_exit == AFTER_RESTART) {
		restart_reset (&u->restart);
		u->start_failed = false;
		set_state (set, i, U_WAITING);
		return;
	}
	d = restart_decide (&u->restart, &u->policy, success, t);
	switch (d.action) {
	case RA_DONE:
		/* A clean exit is not a failure: what requires it keeps running
		 * (entries still waiting for it are blocked by unit_schedule). */
		u->start_failed = false;
		set_state (set, i, u->policy.kind == KIND_ONESHOT ? U_DONE : U_STOPPED);
		break;
	case RA_FAILED:
		set_error (u, describe_status (u->exit_status));
		if (u->policy.kind == KIND_ONESHOT)
			console_status (set->con, CS_FAIL,
			                "%s failed; what requires it will not start", u->name);
		failed (set, i);
		break;
	case RA_RESTART:
		u->restarts++;
		/* Its start job failed (systemd's words): what is only ordered
		 * after it goes on; what requires it waits for the restart. */
		u->start_failed = !u->was_ready;
		set_timer (set, u, T_RESTART, t + d.delay_ms);
		set_state (set, i, U_RESTART_WAIT);
		console_status (set->con, CS_INFO, "Restarting %s in %llums (restart %u)", u->name,
		                (unsigned long long)d.delay_ms, u->restarts);
		break;
	case RA_GIVE_UP:
		set_error (u, xasprintf ("started %u times within %llums; gave up (restart.limit)",
		                         d.starts_in_interval,
		                         (unsigned long long)u->policy.start_limit_interval_ms));
		console_status (set->con, CS_FAIL, "%s %s", u->name, u->error);
		failed (set, i);
		break;
	}
}

static int a_cleaned (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	after_cleanup (set, i);
	return 0;
}

/* Timeouts, by what the timer was armed for. */
static int a_timeout (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];
	enum unit_timer kind = u->timer;

	(void)arg;
	clear_timer (set, u);
	switch (kind) {
	case T_RESTART:
		if (u->state != U_RESTART_WAIT)
			return -1;
		set_state (set, i, U_WAITING); /* unit_schedule starts it if deps allow */
		return 0;
	case T_START_TIMEOUT:
		console_status (set->con, CS_FAIL, "%s did not %s within %llums", u->name,
		                u->policy.kind == KIND_ONESHOT ? "finish" : "become ready",
		                (unsigned long long)u->policy.start_timeout_ms);
		u->forced_failure = true;
		if (u->state == U_RUNNING)
			set_state (set, i, U_STOPPING); /* not a stop: the restart policy decides */
		set->ops->signal (set->ctx, i, SIGKILL, true);
		return 0;
	case T_STOP_TIMEOUT:
		console_status (set->con, CS_WARN, "%s did not stop within %llums; killing it",
		                u->name, (unsigned long long)u->policy.stop_timeout_ms);
		if (u->state == U_STARTING)
			u->forced_failure = true;
		set->ops->signal (set->ctx, i, SIGKILL, true);
		return 0;
	case T_DEVICE_TIMEOUT:
		if (u->state != U_WAITING)
			return -1;
		set_error (u, xasprintf ("device %s did not appear within %llums",
		                         u->device_missing ? u->device_missing : "?",
		                         (unsigned long long)u->policy.devices_timeout_ms));
		console_status (set->con, CS_FAIL, "%s: %s", u->name, u->error);
		set_state (set, i, U_FAILED);
		return 0;
	case T_NONE:
		break;
	}
	return -1;
}

/* ---- reload: UE_REPLACE and UE_RELOADED (reload.h) ----------------------------- */

static void held (struct unit_set *set, size_t i)
{
	clear_timer (set, &set->v[i]);
	set->v[i].start_failed = false;
	set_state (set, i, U_HELD);
}

/* Nothing runs: held at once. */
static int a_hold_idle (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	held (set, i);
	return 0;
}

/* Something runs: held once it has exited (as a stop). */
static int a_hold (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	stop_then (set, i, AFTER_HOLD);
	return 0;
}

static int a_then_hold (struct unit_set *set, size_t i, long arg)
{
	(void)arg;
	set->v[i].after_exit = AFTER_HOLD;
	return 0;
}

/* The unit takes what the reload read for it (policy, config, tmpfiles,
 * fingerprint) and waits to start as at boot; without a replacement its
 * entry is gone. */
static int a_reloaded (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i], *r = u->replacement;
	struct policy p;
	struct tmpfiles t;
	struct spec *sp;

	(void)arg;
	u->replacement = NULL;
	if (r == NULL) {
		set_error (u, NULL);
		set_state (set, i, U_REMOVED);
		return 0;
	}
	p = u->policy, u->policy = r->policy, r->policy = p;
	t = u->tmpfiles, u->tmpfiles = r->tmpfiles, r->tmpfiles = t;
	sp = u->spec, u->spec = r->spec, r->spec = sp;
	u->has_policy = r->has_policy;
	u->fp = r->fp;
	u->tmpfiles_applied = false;
	restart_free (&u->restart); /* the old limit's array: a reload must not leak it */
	restart_init (&u->restart, &u->policy);
	set_error (u, r->error);
	r->error = NULL;
	u->after_exit = AFTER_DECIDE;
	u->blocked = false;
	u->replacement = r; /* the caller frees what it holds now (the old files) */
	set_state (set, i,
	           u->spec == NULL         ? U_FAILED
	           : r->state == U_SKIPPED ? U_SKIPPED
	                                   : U_WAITING);
	return 0;
}

/* A reload added units n..new_n-1 (already in their initial state, in
 * the same array, which never moves) and rebuilt the graph in place: the
 * scratch arrays grow, the worklist keeps its order, the new units are
 * counted and looked at. */
void unit_set_grow (struct unit_set *set, size_t new_n)
{
	size_t i, k, old_n = set->n, cap = new_n ? new_n : 1;
	size_t *q = xmalloc0 (cap * sizeof (*q));

	if (new_n < old_n)
		return;
	for (k = 0; k < set->q_len; k++)
		q[k] = set->queue[(set->q_head + k) % (old_n ? old_n : 1)];
	free (set->queue);
	set->queue = q;
	set->q_head = 0;
	set->q_tail = set->q_len % cap;
	set->gs = xrealloc (set->gs, cap * sizeof (*set->gs));
	set->queued = xrealloc (set->queued, cap * sizeof (*set->queued));
	set->alive = xrealloc (set->alive, cap * sizeof (*set->alive));
	set->pub = xrealloc (set->pub, cap * sizeof (*set->pub));
	set->n = new_n;
	for (i = old_n; i < new_n; i++) {
		set->queued[i] = set->alive[i] = false;
		set->pub[i] = unit_graph_state (&set->v[i]);
		set->count[set->v[i].state]++;
		enqueue (set, i);
	}
	/* what each unit's dependents saw may differ in the new graph */
	for (i = 0; i < old_n; i++)
		if (set->v[i].state == U_WAITING)
			enqueue (set, i);
	set->changed = true;
}

/* ---- health: U_UNHEALTHY, UE_HEALTH_PASS, UE_HEALTH_FAIL (health.h) -------------- */

/* The first passing check of a unit whose readiness is "healthy". */
static int a_health_ready (struct unit_set *set, size_t i, long arg)
{
	if (set->v[i].policy.ready != READY_HEALTHY)
		return 0; /* ready already (started) or when it says so (notify) */
	return a_ready (set, i, arg);
}

/* Failed `retries` checks in a row.  What requires it is told as of a
 * failure (stopped, then blocked: systemd's BindsTo).  With a restart
 * policy it is stopped as a failure (forced: on-failure restarts it);
 * with "no" it keeps running, shown unhealthy, until a check passes. */
static int a_unhealthy (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	set_error (u, xasprintf ("unhealthy: %s", set->why ? set->why : "its health check failed"));
	console_status (set->con, CS_FAIL, "%s is %s", u->name, u->error);
	if (u->timer == T_START_TIMEOUT)
		clear_timer (set, u);
	set_state (set, i, U_UNHEALTHY);
	propagate (set, i);
	if (u->policy.restart == RESTART_NO)
		return 0;
	u->forced_failure = true; /* the restart policy sees a failure */
	u->after_exit = AFTER_DECIDE;
	console_status (set->con, CS_NONE, "         Stopping %s...", u->name);
	set->ops->signal (set->ctx, i, u->policy.stop_signal, false);
	set_timer (set, u, T_STOP_TIMEOUT, now (set) + u->policy.stop_timeout_ms);
	return 0;
}

/* Healthy again (restart "no": it was left running). */
static int a_healthy_again (struct unit_set *set, size_t i, long arg)
{
	struct unit *u = &set->v[i];

	(void)arg;
	if (u->forced_failure)
		return -1; /* being stopped for its restart */
	set_error (u, NULL);
	console_status (set->con, CS_OK, "%s is healthy again.", u->name);
	set_state (set, i, U_READY);
	return 0;
}

/* ---- the table ---------------------------------------------------------------- */

#define IGN a_ignore
#define REF a_refuse

/* Every (state, event) pair.  IGN: cannot happen in that state (a stray
 * report); REF: a request that makes no sense now (the caller says why). */
/* clang-format off */
static action_fn *const actions[U_NSTATES][UE_NEVENTS] = {
        /*                  GO    BLOCK    START      STOP          REQ_FAILED              RESTART            LAUNCHED    LAUNCH_FAILED    READY    EXITED          CLEANED    TIMEOUT */
        [U_WAITING] =      {a_go, a_block, REF,       a_stop_idle,    a_accept,             REF,               IGN,        IGN,             IGN,     IGN,            IGN,       a_timeout},
        [U_STARTING] =     {IGN,  IGN,     REF,       a_stop,         a_req_failed,         a_restart,         a_launched, a_launch_failed, IGN,     a_exited_early, IGN,       a_timeout},
        [U_RUNNING] =      {IGN,  IGN,     REF,       a_stop,         a_req_failed,         a_restart,         IGN,        IGN,             a_ready, a_exited,       IGN,       a_timeout},
        [U_READY] =        {IGN,  IGN,     REF,       a_stop,         a_req_failed,         a_restart,         IGN,        IGN,             a_accept, a_exited,      IGN,       IGN},
        [U_STOPPING] =     {IGN,  IGN,     a_then_restart, a_then_stop, a_req_failed_stopping, a_then_restart, IGN,      IGN,             IGN,     a_exited,       IGN,       a_timeout},
        [U_CLEANUP] =      {IGN,  IGN,     a_then_restart, a_stop,         a_req_failed,         a_then_restart, IGN,    IGN,             IGN,     IGN,            a_cleaned, a_timeout},
        [U_RESTART_WAIT] = {IGN,  IGN,     a_requeue, a_stop_idle,    a_req_failed_idle,    a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       a_timeout},
        [U_DONE] =         {IGN,  IGN,     a_requeue, a_stop_done,    IGN,                  a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       IGN},
        [U_FAILED] =       {IGN,  IGN,     a_requeue, a_stop_done,    IGN,                  a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       IGN},
        [U_BLOCKED] =      {IGN,  IGN,     a_requeue, a_stop_done,    IGN,                  a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       IGN},
        [U_SKIPPED] =      {IGN,  IGN,     a_requeue, a_stop_done,    IGN,                  a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       IGN},
        [U_STOPPED] =      {IGN,  IGN,     a_requeue, a_stop_done,    IGN,                  a_requeue,         IGN,        IGN,             IGN,     IGN,            IGN,       IGN},
        /* reload (reload.h): the two states, then the two events in every state */
        /*                  GO    BLOCK    START      STOP          REQ_FAILED              RESTART            LAUNCHED    LAUNCH_FAILED    READY    EXITED          CLEANED    TIMEOUT    REPLACE  RELOADED */
        [U_HELD] =         {IGN,  IGN,     REF,       a_stop_done,    IGN,                  REF,               IGN,        IGN,             IGN,     IGN,            IGN,       IGN,       REF,     a_reloaded},
        [U_REMOVED] =      {IGN,  IGN,     REF,       a_accept,       IGN,                  REF,               IGN,        IGN,             IGN,     IGN,            IGN,       IGN,       REF,     a_reloaded},
        [U_WAITING][UE_REPLACE] = a_hold_idle,        [U_WAITING][UE_RELOADED] = IGN,
        [U_STARTING][UE_REPLACE] = a_hold,            [U_STARTING][UE_RELOADED] = IGN,
        [U_RUNNING][UE_REPLACE] = a_hold,             [U_RUNNING][UE_RELOADED] = IGN,
        [U_READY][UE_REPLACE] = a_hold,               [U_READY][UE_RELOADED] = IGN,
        [U_STOPPING][UE_REPLACE] = a_then_hold,       [U_STOPPING][UE_RELOADED] = IGN,
        [U_CLEANUP][UE_REPLACE] = a_hold,             [U_CLEANUP][UE_RELOADED] = IGN,
        [U_RESTART_WAIT][UE_REPLACE] = a_hold_idle,   [U_RESTART_WAIT][UE_RELOADED] = IGN,
        [U_DONE][UE_REPLACE] = a_hold_idle,           [U_DONE][UE_RELOADED] = IGN,
        [U_FAILED][UE_REPLACE] = a_hold_idle,         [U_FAILED][UE_RELOADED] = IGN,
        [U_BLOCKED][UE_REPLACE] = a_hold_idle,        [U_BLOCKED][UE_RELOADED] = IGN,
        [U_SKIPPED][UE_REPLACE] = a_hold_idle,        [U_SKIPPED][UE_RELOADED] = IGN,
        [U_STOPPED][UE_REPLACE] = a_hold_idle,        [U_STOPPED][UE_RELOADED] = IGN,
        /* health (health.h): its state, then its two events in every state */
        /*                  GO    BLOCK    START      STOP          REQ_FAILED              RESTART            LAUNCHED    LAUNCH_FAILED    READY    EXITED          CLEANED    TIMEOUT    REPLACE         RELOADED HEALTH_PASS      HEALTH_FAIL */
        [U_UNHEALTHY] =    {IGN,  IGN,     REF,       a_stop,         a_req_failed,         a_restart,         IGN,        IGN,             IGN,     a_exited,       IGN,       a_timeout, a_hold,         IGN,     a_healthy_again, a_accept},
        [U_RUNNING][UE_HEALTH_PASS] = a_health_ready, [U_RUNNING][UE_HEALTH_FAIL] = a_unhealthy,
        [U_READY][UE_HEALTH_PASS] = a_accept,         [U_READY][UE_HEALTH_FAIL] = a_unhealthy,
        [U_WAITING][UE_HEALTH_PASS] = IGN,            [U_WAITING][UE_HEALTH_FAIL] = IGN,
        [U_STARTING][UE_HEALTH_PASS] = IGN,           [U_STARTING][UE_HEALTH_FAIL] = IGN,
        [U_STOPPING][UE_HEALTH_PASS] = IGN,           [U_STOPPING][UE_HEALTH_FAIL] = IGN,
        [U_CLEANUP][UE_HEALTH_PASS] = IGN,            [U_CLEANUP][UE_HEALTH_FAIL] = IGN,
        [U_RESTART_WAIT][UE_HEALTH_PASS] = IGN,       [U_RESTART_WAIT][UE_HEALTH_FAIL] = IGN,
        [U_DONE][UE_HEALTH_PASS] = IGN,               [U_DONE][UE_HEALTH_FAIL] = IGN,
        [U_FAILED][UE_HEALTH_PASS] = IGN,             [U_FAILED][UE_HEALTH_FAIL] = IGN,
        [U_BLOCKED][UE_HEALTH_PASS] = IGN,            [U_BLOCKED][UE_HEALTH_FAIL] = IGN,
        [U_SKIPPED][UE_HEALTH_PASS] = IGN,            [U_SKIPPED][UE_HEALTH_FAIL] = IGN,
        [U_STOPPED][UE_HEALTH_PASS] = IGN,            [U_STOPPED][UE_HEALTH_FAIL] = IGN,
        [U_HELD][UE_HEALTH_PASS] = IGN,               [U_HELD][UE_HEALTH_FAIL] = IGN,
        [U_REMOVED][UE_HEALTH_PASS] = IGN,            [U_REMOVED][UE_HEALTH_FAIL] = IGN,
};
/* clang-format on */

int unit_event (struct unit_set *set, size_t i, enum unit_event ev, long arg)
{
	int ret;

	if (i >= set->n || ev >= UE_NEVENTS)
		return -1;
	ret = actions[set->v[i].state][ev](set, i, arg);
	if (ret == 0)
		set->changed = true;
	return ret;
}

int unit_event_why (struct unit_set *set, size_t i, enum unit_event ev, const char *why)
{
	int ret;

	set->why = why;
	ret = unit_event (set, i, ev, 0);
	set->why = NULL;
	return ret;
}

/* ---- scheduling, timers, the ordered stop ---------------------------------------- */

void unit_schedule (struct unit_set *set, unit_devices_fn devices_ok)
{
	if (set->stopping)
		return;
	/* Each unit is queued at most once at a time; one that waits for a
	 * device stays off the queue until the next uevent requeues it. */
	while (set->q_len > 0) {
		size_t i = set->queue[set->q_head], cause = 0, k;

		/* A thousand helpers forked at once only fight over two CPUs
		 * (and over the kernel's locks, with PID 1): the rest stay
		 * queued until a start completes. */
		if (set->max_starting && set->count[U_STARTING] >= set->max_starting)
			break;
		const struct graph_node *node = &set->graph->nodes[i];
		struct unit *u = &set->v[i];

		set->q_head = (set->q_head + 1) % set->n;
		set->q_len--;
		set->queued[i] = false;
		if (u->state != U_WAITING)
			continue;
		for (k = 0; k < node->n_deps; k++)
			set->gs[node->deps[k].to] = unit_graph_state (&set->v[node->deps[k].to]);
		switch (graph_check (set->graph, i, set->gs, &cause)) {
		case GV_GO:
			if (devices_ok && (u->policy.devices.n > 0 || u->policy.mounts.n > 0) &&
			    !devices_ok (set->ctx, i)) {
				/* The devices' own deadline, from the first look
				 * that found one missing (mounts have theirs, in
				 * mounter.c). */
				if (u->policy.devices.n > 0 && u->policy.devices_timeout_ms &&
				    u->timer == T_NONE)
					set_timer (set, u, T_DEVICE_TIMEOUT,
					           now (set) + u->policy.devices_timeout_ms);
				break;
			}
			unit_event (set, i, UE_GO, 0);
			break;
		case GV_BLOCKED:
			unit_event (set, i, UE_BLOCK, (long)cause);
			break;
		case GV_WAIT:
			break; /* requeued when that dependency changes */
		}
	}
}

void unit_requeue_waiting (struct unit_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].state == U_WAITING)
			enqueue (set, i);
}

uint64_t unit_next_deadline (struct unit_set *set)
{
	size_t i;

	/* Recomputed only after a timer changed: not once per wakeup. */
	if (!set->timers_changed)
		return set->next_deadline;
	set->timers_changed = false;
	set->next_deadline = 0;
	for (i = 0; i < set->n; i++)
		if (set->v[i].deadline_ms &&
		    (set->next_deadline == 0 || set->v[i].deadline_ms < set->next_deadline))
			set->next_deadline = set->v[i].deadline_ms;
	return set->next_deadline;
}

void unit_timers (struct unit_set *set, uint64_t t)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct unit *u = &set->v[i];
		if (u->deadline_ms == 0 || u->deadline_ms > t)
			continue;
		unit_event (set, i, UE_TIMEOUT, 0);
		/* A deadline its state has no use for must not fire forever. */
		if (u->deadline_ms && u->deadline_ms <= t)
			clear_timer (set, u);
	}
}

bool unit_stop_all_step (struct unit_set *set)
{
	bool any = false;
	size_t i;

	set->stopping = true;
	if (!set->changed)
		return !set->any_alive;
	set->changed = false;
	for (i = 0; i < set->n; i++) {
		struct unit *u = &set->v[i];
		if (u->state == U_WAITING || u->state == U_RESTART_WAIT)
			unit_event (set, i, UE_STOP, 0);
		set->alive[i] = unit_alive (u);
		any = any || set->alive[i];
	}
	/* Reverse dependency order: stop an entry once nothing that depends
	 * on it (through any edge) is still alive. */
	for (i = 0; i < set->n; i++) {
		struct unit *u = &set->v[i];
		if (!set->alive[i] || u->state == U_STOPPING || u->after_exit == AFTER_STOP)
			continue;
		if (!graph_has_live_dependent (set->graph, i, set->alive))
			unit_event (set, i, UE_STOP, 0);
	}
	set->any_alive = any;
	return !any;
}

bool unit_startup_settled (const struct unit_set *set)
{
	return set->count[U_WAITING] + set->count[U_STARTING] + set->count[U_RUNNING] +
	               set->count[U_RESTART_WAIT] + set->count[U_CLEANUP] ==
	       0;
}
