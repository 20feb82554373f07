/* Health checks (see health.h): the pure count, the helper that execs the
 * command in the container, and PID 1's side (pidfds, one timerfd). */
#include "init/health.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/supervisor.h"
#include "lib/util.h"
#include "runtime/exec-process.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define HEALTH_GRACE_MS 2000 /* the helper's own bound is the timeout; then ours */

/* ---- the count (pure) --------------------------------------------------------- */

enum health_verdict health_record (struct unit_health *h, const struct policy_health *p,
                                   enum health_result r, uint64_t now, uint64_t started_ms,
                                   bool until_first_pass)
{
	h->checks++;
	h->last = r;
	if (r == HR_PASS) {
		h->passes++;
		h->passed = true;
		h->failures = 0;
		return HV_PASS;
	}
	/* Docker's start period: a slow start is not a failure, until the
	 * first pass says it has started. */
	if (!h->passed && (until_first_pass || now < started_ms + p->start_period_ms))
		return HV_START_PERIOD;
	h->failures++;
	return h->failures >= p->retries ? HV_UNHEALTHY : HV_FAIL;
}

const char *health_result_name (enum health_result r)
{
	switch (r) {
	case HR_PASS:
		return "exited 0";
	case HR_FAIL:
		return "exited non-zero";
	case HR_SIGNAL:
		return "killed by a signal";
	case HR_TIMEOUT:
		return "timed out";
	case HR_NORUN:
		return "could not be run in the container";
	case HR_LOST:
		return "its helper was lost";
	}
	return "?";
}

const char *health_describe (const struct unit_health *h, const struct policy_health *p, char *buf,
                             size_t cap)
{
	if (h->checks == 0)
		snprintf (buf, cap, "not checked yet");
	else if (h->failures == 0)
		snprintf (buf, cap, "passing (%llu checks, %llu passed)",
		          (unsigned long long)h->checks, (unsigned long long)h->passes);
	else
		snprintf (buf, cap, "failing (%u in a row, unhealthy at %u): %s", h->failures,
		          p->retries, health_result_name (h->last));
	return buf;
}

/* ---- the helper ------------------------------------------------------------------- */

/* In the cloned helper: run the command in the container, wait at most
 * the timeout, exit with an enum health_result. */
static int helper (const struct sup *s, const struct unit *u)
{
	struct spec_process proc = u->spec->process;
	struct keel_exec_opts o = {.config = u->spec, .process = &proc};
	struct keel_error *err = NULL;
	struct timespec ts = {.tv_sec = (time_t)(u->policy.health.timeout_ms / 1000),
	                      .tv_nsec = (long)(u->policy.health.timeout_ms % 1000) * 1000000};
	sigset_t chld, none;
	int fd, status;
	pid_t pid;

	/* PID 1 blocks every signal for its signalfd; the check must not
	 * inherit that, and must get none of PID 1's fds. */
	sigemptyset (&none);
	sigemptyset (&chld);
	sigaddset (&chld, SIGCHLD);
	sigprocmask (SIG_SETMASK, &chld, NULL);
	signal (SIGPIPE, SIG_DFL);
	prctl (PR_SET_NAME, "keel-health", 0, 0, 0);
	prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dup2 (fd, 0) < 0 || dup2 (fd, 1) < 0 || dup2 (fd, 2) < 0)
		return HR_NORUN;
	if (syscall (SYS_close_range, 3, ~0U, 0) < 0)
		for (int k = 3; k < 65536; k++)
			close (k);
	proc.args.v = u->policy.health.argv;
	proc.args.n = u->policy.health.argc;
	proc.terminal = false;
	if (keel_container_exec (&s->rt, u->name, &o, &pid, &err) < 0) {
		keel_error_release (&err);
		return HR_NORUN;
	}
	for (;;) {
		pid_t w = waitpid (pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return HR_LOST;
		if (sigtimedwait (&chld, NULL, &ts) < 0 && errno == EAGAIN) {
			kill (pid, SIGKILL);
			while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
				;
			return HR_TIMEOUT;
		}
		/* (the remaining time is not recomputed: a stray SIGCHLD can
		 * only lengthen the wait by one timeout, PID 1 bounds it) */
	}
	if (WIFEXITED (status))
		return WEXITSTATUS (status) == 0 ? HR_PASS : HR_FAIL;
	return HR_SIGNAL;
}

/* ---- PID 1's side ---------------------------------------------------------------- */

static struct {
	bool ready;
	int timerfd;
	struct watch w_timer;
	uint64_t armed;
	size_t *idx; /* units with a health section */
	size_t n, n_units;
	struct sup *s;
} hs = {.timerfd = -1};

static void on_check_done (struct watch *w, uint32_t events);

static void on_timer (struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read (w->fd, &ticks, sizeof ticks) > 0)
		hs.armed = 0;
	/* the loop's next pass runs health_step */
}

void health_reindex (struct sup *s)
{
	size_t i;

	free (hs.idx);
	hs.idx = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (size_t));
	hs.n = 0;
	for (i = 0; i < s->n_units; i++)
		if (s->units[i].policy.health.argv)
			hs.idx[hs.n++] = i;
	hs.n_units = s->n_units;
}

static bool checked_state (const struct unit *u)
{
	return (u->state == U_RUNNING || u->state == U_READY || u->state == U_UNHEALTHY) &&
	       u->pid_known && !u->exited && u->spec != NULL;
}

static void end_check (struct sup *s, struct unit *u)
{
	loop_unwatch (&s->loop, &u->health.w);
	close (u->health.pidfd);
	u->health.pidfd = -1;
	u->health.pid = 0;
	u->health.deadline_ms = 0;
	u->health.killed = false;
}

/* Never waits: a helper that does not die at once (stuck in the kernel)
 * is reaped when its pidfd says it is gone. */
static void kill_check (struct sup *s, struct unit *u)
{
	siginfo_t si = {0};

	if (u->health.killed)
		return;
	syscall (SYS_pidfd_send_signal, u->health.pidfd, SIGKILL, NULL, 0);
	u->health.killed = true;
	if (waitid ((idtype_t)P_PIDFD, (id_t)u->health.pidfd, &si, WEXITED | WNOHANG | __WALL) ==
	            0 &&
	    si.si_pid != 0)
		end_check (s, u);
}

static void start_check (struct sup *s, size_t i, uint64_t now)
{
	struct unit *u = &s->units[i];
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} a = {.flags = CLONE_PIDFD, .exit_signal = 0};
	int pidfd = -1;
	pid_t pid;

	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	u->health.next_ms = 0;
	pid = (pid_t)syscall (SYS_clone3, &a, sizeof a);
	if (pid == 0)
		_exit (helper (s, u));
	if (pid < 0) {
		/* out of processes for a moment: a failed check like any other */
		console_status (s->con, CS_WARN, "%s: health check: clone3: %s", u->name,
		                strerror (errno));
		u->health.next_ms = now + u->policy.health.interval_ms;
		return;
	}
	u->health.pid = pid;
	u->health.pidfd = pidfd;
	u->health.deadline_ms = now + u->policy.health.timeout_ms + HEALTH_GRACE_MS;
	if (loop_watch (&s->loop, &u->health.w, pidfd, EPOLLIN, on_check_done, s) < 0) {
		console_status (s->con, CS_WARN, "%s: health check: watch: %s", u->name,
		                strerror (errno));
		kill_check (s, u);
		u->health.next_ms = now + u->policy.health.interval_ms;
	}
}

static void verdict (struct sup *s, size_t i, enum health_result r)
{
	struct unit *u = &s->units[i];
	uint64_t now = console_now_ms ();
	enum health_verdict v = health_record (&u->health, &u->policy.health, r, now, u->started_ms,
	                                       u->policy.ready == READY_HEALTHY);
	cleanup_free char *why = NULL;

	u->health.next_ms = now + u->policy.health.interval_ms;
	switch (v) {
	case HV_PASS:
		unit_event (&s->set, i, UE_HEALTH_PASS, 0);
		break;
	case HV_START_PERIOD:
		break;
	case HV_FAIL:
		console_status (s->con, CS_WARN, "%s: health check %s (%u in a row of %u)", u->name,
		                health_result_name (r), u->health.failures,
		                u->policy.health.retries);
		break;
	case HV_UNHEALTHY:
		why = xasprintf ("its health check %s %u times in a row", health_result_name (r),
		                 u->health.failures);
		unit_event_why (&s->set, i, UE_HEALTH_FAIL, why);
		break;
	}
}

static void on_check_done (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	struct unit *u = (struct unit *)((char *)w - offsetof (struct unit, health.w));
	size_t i = (size_t)(u - s->units);
	siginfo_t si = {0};
	enum health_result r = HR_LOST;

	(void)events;
	if (waitid ((idtype_t)P_PIDFD, (id_t)u->health.pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
		r = HR_LOST;
	else if (si.si_pid == 0)
		return; /* not yet */
	else if (si.si_code == CLD_EXITED && si.si_status <= HR_LOST)
		r = (enum health_result)si.si_status;
	if (u->health.killed) { /* killed by us: its result means nothing */
		end_check (s, u);
		return;
	}
	end_check (s, u);
	if (checked_state (u))
		verdict (s, i, r);
}

static void arm (uint64_t next)
{
	struct itimerspec its = {0};

	if (next == hs.armed)
		return;
	hs.armed = next;
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	if (timerfd_settime (hs.timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		console_status (hs.s->con, CS_WARN, "keel: health timer: %s", strerror (errno));
}

void health_step (struct sup *s)
{
	uint64_t now, next = 0;
	size_t k;

	if (hs.n_units != s->n_units || hs.s != s) {
		hs.s = s;
		health_reindex (s);
	}
	if (hs.n == 0 || s->shutting_down)
		return;
	if (!hs.ready) {
		/* console_now_ms is CLOCK_MONOTONIC in ms: the timer's clock */
		hs.timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (hs.timerfd < 0 ||
		    loop_watch (&s->loop, &hs.w_timer, hs.timerfd, EPOLLIN, on_timer, s) < 0) {
			console_status (s->con, CS_FAIL, "keel: health checks: timerfd: %s",
			                strerror (errno));
			return;
		}
		hs.ready = true;
	}
	now = console_now_ms ();
	for (k = 0; k < hs.n; k++) {
		size_t i = hs.idx[k];
		struct unit *u = &s->units[i];
		struct unit_health *h = &u->health;

		if (!checked_state (u)) {
			if (h->pid)
				kill_check (s, u);
			continue;
		}
		if (h->run != u->started_ms) { /* a new run: counts start over */
			if (h->pid)
				kill_check (s, u);
			h->run = u->started_ms;
			h->passed = false;
			h->failures = 0;
			h->next_ms = now; /* the first check as soon as it runs */
		}
		if (h->pid && !h->killed && now >= h->deadline_ms) {
			kill_check (s, u);
			verdict (s, i, HR_LOST);
		}
		if (h->pid == 0 && h->next_ms && h->next_ms <= now && checked_state (u))
			start_check (s, i, now);
		if (h->pid && !h->killed && (next == 0 || h->deadline_ms < next))
			next = h->deadline_ms;
		if (h->pid == 0 && h->next_ms && (next == 0 || h->next_ms < next))
			next = h->next_ms;
	}
	if (next)
		arm (next);
}

void health_free (struct sup *s)
{
	size_t k;

	for (k = 0; k < hs.n && hs.s == s; k++) {
		struct unit *u = &s->units[hs.idx[k]];
		if (u->health.pid)
			kill_check (s, u);
	}
	if (hs.ready) {
		loop_unwatch (&s->loop, &hs.w_timer);
		close (hs.timerfd);
		hs.timerfd = -1;
		hs.ready = false;
	}
	free (hs.idx);
	hs.idx = NULL;
	hs.n = hs.n_units = 0;
	hs.s = NULL;
}
