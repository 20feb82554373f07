/* PID 1's event loop and the glue to the unit state machine (see
 * supervisor.h).  Unit states are decided in unit.c, restarts in
 * restart.c, dependency rules in graph.c, the stop sequence in
 * shutdown.c; this file forks helpers, reaps, reads logs and turns each
 * of those into a unit event. */
#include "init/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/commit.h"
#include "init/notify.h"
#include "init/panic.h"
#include "init/health.h"
#include "init/reload.h"
#include "init/shutdown.h"
#include "init/slot.h"
#include "lib/log.h"
#include "lib/proccgroup.h"
#include "lib/util.h"
#include "runtime/cgroup.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define LOG_READS_PER_WAKEUP 4 /* x 16 KiB: a flood cannot monopolise the loop */

#define unit_of(w, member) ((struct unit *)((char *)(w)-offsetof (struct unit, member)))

size_t sup_find (const struct sup *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_units; i++)
		if (strcmp (s->units[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

int sup_unit_event (struct sup *s, size_t i, enum unit_event ev)
{
	return unit_event (&s->set, i, ev, 0);
}

/* ---- pid -> unit, for the reaper (open addressing, O(1)) ----------------- */

static size_t pid_slot (const struct pidmap *m, pid_t pid)
{
	return ((size_t)pid * 2654435761u) & (m->cap - 1);
}

static void pidmap_put (struct pidmap *m, pid_t pid, size_t unit);

static void pidmap_grow (struct pidmap *m)
{
	struct pidmap old = *m;
	size_t k;

	m->cap = old.cap ? old.cap * 2 : 256;
	m->pid = xmalloc0 (m->cap * sizeof (*m->pid));
	m->unit = xmalloc0 (m->cap * sizeof (*m->unit));
	m->used = 0;
	for (k = 0; k < old.cap; k++)
		if (old.pid[k] > 0)
			pidmap_put (m, old.pid[k], old.unit[k]);
	free (old.pid);
	free (old.unit);
}

static void pidmap_put (struct pidmap *m, pid_t pid, size_t unit)
{
	size_t k;

	if ((m->used + 1) * 2 > m->cap)
		pidmap_grow (m);
	for (k = pid_slot (m, pid); m->pid[k] > 0 && m->pid[k] != pid; k = (k + 1) & (m->cap - 1))
		;
	if (m->pid[k] <= 0)
		m->used++;
	m->pid[k] = pid;
	m->unit[k] = unit;
}

/* Removes the entry; (size_t)-1 when pid is not ours. */
static size_t pidmap_take (struct pidmap *m, pid_t pid)
{
	size_t k;

	if (m->cap == 0)
		return (size_t)-1;
	for (k = pid_slot (m, pid); m->pid[k] != 0; k = (k + 1) & (m->cap - 1)) {
		if (m->pid[k] == pid) {
			m->pid[k] = -1; /* a tombstone keeps later probes going */
			return m->unit[k];
		}
	}
	return (size_t)-1;
}

/* ---- launching (the state machine's hands) -------------------------------- */

static void on_log (struct watch *w, uint32_t events);
static void on_helper (struct watch *w, uint32_t events);

static bool read_log (struct sup *s, struct unit *u);
static void close_log (struct sup *s, struct unit *u);

/* A fresh pipe per start: PID 1 keeps only the read end (the write end
 * lives in the container), so it holds one fd per entry, not two, and
 * every fork of a helper copies a smaller fd table.  What an earlier run
 * still had in the old pipe is read first. */
static int ensure_log_pipe (struct sup *s, struct unit *u)
{
	int p[2];

	if (u->log_r >= 0) {
		read_log (s, u);
		close_log (s, u);
	}
	if (pipe2 (p, O_CLOEXEC) < 0)
		return -1;
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0) {
		close (p[0]);
		close (p[1]);
		return -1;
	}
	u->log_r = p[0];
	u->log_w = p[1];
	return loop_watch (&s->loop, &u->w_log, u->log_r, EPOLLIN, on_log, s);
}

static void reaped (struct sup *s, pid_t pid, int status);

/* An exec'd helper's pidfd says it ended (launch.h); its SIGCHLD may come
 * first, and then reaped() has already unwatched this. */
static void on_helper_exit (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	struct unit *u = unit_of (w, w_hpid);
	siginfo_t si = {0};
	int status;

	(void)events;
	if (waitid ((idtype_t)P_PIDFD, (id_t)w->fd, &si, WEXITED | WNOHANG | __WALL) < 0 ||
	    si.si_pid == 0)
		return; /* not yet (cannot be on EPOLLIN), or gone: nothing to reap */
	status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
	reaped (s, si.si_pid, status);
	(void)u;
}

static void unwatch_helper_exit (struct sup *s, struct unit *u)
{
	int fd = u->w_hpid.fd;

	if (!u->w_hpid_on)
		return;
	loop_unwatch (&s->loop, &u->w_hpid);
	close (fd);
	u->w_hpid_on = false;
}

static void watch_helper (struct sup *s, size_t i, enum launch_op op, int pidfd)
{
	struct unit *u = &s->units[i];

	u->helper_op = op == LAUNCH_START ? H_START : H_DELETE;
	u->helper_buf = NULL; /* grown as the report comes: usually a few bytes */
	u->helper_len = 0;
	pidmap_put (&s->pids, u->helper, i);
	loop_watch (&s->loop, &u->w_helper, u->helper_fd, EPOLLIN, on_helper, s);
	if (pidfd >= 0) {
		if (loop_watch (&s->loop, &u->w_hpid, pidfd, EPOLLIN, on_helper_exit, s) < 0) {
			/* Nothing else would tell of its end: wait for it now,
			 * after a SIGKILL (epoll_ctl fails only without memory). */
			siginfo_t si = {0};
			syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			while (waitid ((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 &&
			       errno == EINTR)
				;
			close (pidfd);
			reaped (s, u->helper, SIGKILL);
			return;
		}
		u->w_hpid_on = true;
	}
}

static int op_launch (void *ctx, size_t i, char **why)
{
	struct sup *s = ctx;
	struct unit *u = &s->units[i];
	struct keel_error *err = NULL;
	struct keel_create_opts opts = {0};
	struct spec_mount mount = {0};
	char *env[2] = {NULL, NULL};
	cleanup_free char *cgroup = NULL;
	cleanup_free char *env0 = NULL;
	int ret, pidfd = -1;

	if (ensure_log_pipe (s, u) < 0) {
		*why = xasprintf ("log pipe: %s", strerror (errno));
		return -1;
	}
	opts.bundle = u->spec->bundle ? u->spec->bundle : u->dir;
	opts.stdio[0] = s->devnull;
	opts.stdio[1] = u->log_w;
	opts.stdio[2] = u->log_w;
	cgroup = xasprintf ("%s/%s", s->opts->cgroup_root, u->name);
	opts.default_cgroup_path = cgroup;
	if (u->policy.ready == READY_NOTIFY) {
		if (notify_open (&s->loop, &s->set, i, s->opts->state, &err) < 0) {
			*why = keel_error_string (err);
			keel_error_release (&err);
			return -1;
		}
		notify_mount (u, &mount, &env0);
		env[0] = env0;
		opts.extra_mounts = &mount;
		opts.n_extra_mounts = 1;
		opts.extra_env = env;
	}
	u->pid = 0;
	u->pid_known = false;
	/* The entry's tmpfiles.conf (atomic images: bind-mount sources under
	 * /run and /var/lib) is applied once per boot, by the start helper:
	 * Z, R or cleaning over a large tree must not block PID 1.  CNI runs
	 * there too (cni.h). */
	ret = launch_fork (LAUNCH_START, &s->rt, u->name, u->spec, &opts,
	                   u->tmpfiles_applied ? NULL : &u->tmpfiles, &u->policy.network, u->dir,
	                   &u->fp, &u->helper, &pidfd, &u->helper_fd, &err);
	notify_mount_free (&mount);
	close (u->log_w); /* the helper passed it on to the container */
	u->log_w = -1;
	if (ret < 0) {
		*why = keel_error_string (err);
		keel_error_release (&err);
		u->helper = 0;
		return -1;
	}
	watch_helper (s, i, LAUNCH_START, pidfd);
	return 0;
}

static int op_cleanup (void *ctx, size_t i)
{
	struct sup *s = ctx;
	struct unit *u = &s->units[i];
	struct keel_error *err = NULL;
	int pidfd = -1;

	u->pid = 0;
	u->pid_known = false;
	free (u->cgroup);
	u->cgroup = NULL;
	if (launch_fork (LAUNCH_DELETE, &s->rt, u->name, NULL, NULL, NULL, NULL, NULL, NULL,
	                 &u->helper, &pidfd, &u->helper_fd, &err) < 0) {
		/* Without cleanup the name stays taken; the start helper deletes
		 * stale state before create, so go on. */
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		console_status (s->con, CS_WARN, "%s: cleanup: %s", u->name, m);
		u->helper = 0;
		return -1;
	}
	watch_helper (s, i, LAUNCH_DELETE, pidfd);
	return 0;
}

/* Whether cg (a path in the unified hierarchy) holds PID 1 itself, at any
 * depth: killing it would kill us. */
static bool holds_us (const char *cg)
{
	cleanup_free char *self = NULL;
	struct keel_error *err = NULL;

	if (proc_cgroup (0, &self, &err) < 0) {
		keel_error_release (&err);
		return true; /* cannot tell: do not risk it */
	}
	return strcmp (cg, "/") == 0 || cgroup_path_within (self, cg);
}

/* Signals go straight to the process (our child, so its pid cannot be
 * reused before we reap it) or to its cgroup, never through the runtime's
 * locked state: nothing here may block PID 1.  SIGKILL also ends a helper
 * stuck in create (a hook, a slow mount) or delete (a poststop hook);
 * whatever it left is cleaned up by the delete that follows. */
static void op_signal (void *ctx, size_t i, int signo, bool all)
{
	struct sup *s = ctx;
	struct unit *u = &s->units[i];
	const char *root = cgroup_unified_root ();
	struct keel_error *err = NULL;

	if (signo == SIGKILL && u->helper > 0)
		kill (u->helper, SIGKILL);
	if (u->pid <= 0 || u->exited)
		return;
	if (all && root && u->cgroup && !holds_us (u->cgroup)) {
		cleanup_free char *path = xasprintf ("%s%s", root, u->cgroup);
		if (cgroup_kill (path, signo, &err) == 0)
			return;
		keel_debug ("%s: %s", u->name, err ? err->msg : "cgroup kill failed");
		keel_error_release (&err);
	}
	if (kill (u->pid, signo) < 0 && errno != ESRCH)
		console_status (s->con, CS_WARN, "%s: kill %d: %s", u->name, (int)u->pid,
		                strerror (errno));
}

static void op_drain_log (void *ctx, size_t i)
{
	struct sup *s = ctx;

	/* What it wrote before it exited comes before the line saying it
	 * stopped: the reap may be handled before the pipe's readiness in
	 * the same wakeup.  Non-blocking and bounded, like any log read. */
	if (s->units[i].log_r >= 0)
		read_log (s, &s->units[i]);
}

static void op_essential_failed (void *ctx, size_t i)
{
	struct sup *s = ctx;
	cleanup_free char *why = NULL;
	enum shutdown_action a = SD_POWEROFF;

	if (s->shell_pid > 0)
		return;
	why = xasprintf ("%s is essential: its failure ends the boot", s->units[i].name);
	s->exit_code = 1;
	/* A slot on trial falls back at once, shell or not: the A/B
	 * selector boots the good slot after the reboot (slot.h) */
	if (s->opts->boot && !s->opts->slot_trial && emergency_shell_path (s->opts)) {
		/* A human may want to look before the machine goes down; the
		 * rest keeps running meanwhile. */
		s->shell_pid = emergency_spawn (s->opts, why);
		if (s->shell_pid > 0)
			return;
	}
	console_status (s->con, CS_FAIL, "%s", why);
	if (!s->opts->boot)
		a = SD_EXIT;
	else if (s->opts->slot_trial)
		a = SD_REBOOT;
	sup_request_shutdown (s, a, "essential failed");
}

static uint64_t op_now (void *ctx)
{
	(void)ctx;
	return console_now_ms ();
}

static const struct unit_ops real_ops = {
        .now = op_now,
        .launch = op_launch,
        .cleanup = op_cleanup,
        .signal = op_signal,
        .drain_log = op_drain_log,
        .essential_failed = op_essential_failed,
};

/* Whether every device the entry lists exists (devwait.h); the first
 * time one is missing, say so.  And every mount it lists is mounted
 * (mounter.h; it says what it waits for). */
static bool devices_present (void *ctx, size_t i)
{
	struct sup *s = ctx;
	struct unit *u = &s->units[i];
	size_t k;

	if (u->policy.mounts.n > 0 && !mounter_ready (s->mounts, i))
		return false;

	for (k = 0; k < u->policy.devices.n; k++) {
		struct keel_error *err = NULL;
		bool present = false;

		if (s->devwait == NULL ||
		    devwait_present (s->devwait, u->policy.devices.v[k], &present, &err) < 0) {
			keel_error_release (&err);
			present = false;
		}
		if (!present) {
			u->device_missing = u->policy.devices.v[k];
			if (!u->device_wait_reported) {
				u->devwait_us = unit_clock_us (); /* boot-time */
				console_status (s->con, CS_NONE,
				                "         Waiting for device %s for %s...",
				                u->policy.devices.v[k], u->name);
			}
			u->device_wait_reported = true;
			return false;
		}
	}
	return true;
}

static void report_all_started (struct sup *s)
{
	size_t i, ready = 0, done = 0, failed = 0, other = 0, essential_not_ready = 0;

	/* O(1) until the end of the startup; one count then. */
	if (s->all_ready_reported || s->shutting_down || !unit_startup_settled (&s->set))
		return;
	for (i = 0; i < s->n_units; i++) {
		switch (s->units[i].state) {
		case U_READY:
			ready++;
			break;
		case U_DONE:
			done++;
			break;
		case U_FAILED:
		case U_BLOCKED:
			failed++;
			break;
		default:
			other++;
		}
		if (s->units[i].policy.essential && s->units[i].state != U_READY &&
		    s->units[i].state != U_DONE)
			essential_not_ready++;
	}
	s->all_ready_reported = true;
	s->settled_us = unit_clock_us (); /* keelctl boot-time */
	console_status (s->con, failed ? CS_WARN : CS_OK,
	                "Startup finished in %llums: %zu ready, %zu done, %zu failed, %zu other",
	                (unsigned long long)console_now_ms () - (unsigned long long)s->start_ms,
	                ready, done, failed, other);
	/* whole-node A/B: the booted slot is good (slot.h) */
	slot_settled (&s->loop, s->con, s->opts, essential_not_ready);
}

/* ---- helpers (launch / delete) ----------------------------------------- */

static void helper_drain (struct sup *s, struct unit *u)
{
	char buf[LAUNCH_REPORT_MAX];

	while (u->helper_fd >= 0 && u->helper_len < LAUNCH_REPORT_MAX) {
		ssize_t n = read (u->helper_fd, buf, LAUNCH_REPORT_MAX - u->helper_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		u->helper_buf = xrealloc (u->helper_buf, u->helper_len + (size_t)n);
		memcpy (u->helper_buf + u->helper_len, buf, (size_t)n);
		u->helper_len += (size_t)n;
	}
	/* keelctl boot-time: the 'P' line comes once the container is created,
	 * before it is started */
	if (u->created_us == 0 && u->helper_op == H_START && u->helper_len > 0 &&
	    (u->helper_buf[0] == 'P' || memmem (u->helper_buf, u->helper_len, "\nP", 2)))
		u->created_us = unit_clock_us ();
	/* A report never fills the buffer; if one does, stop listening (the
	 * rest is read when the helper is reaped) rather than spin. */
	if (u->helper_fd >= 0 && u->helper_len == LAUNCH_REPORT_MAX)
		loop_unwatch (&s->loop, &u->w_helper);
}

/* The report is read when the helper is reaped; here we only keep the
 * pipe from filling. */
static void on_helper (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	struct unit *u = unit_of (w, w_helper);

	if (u->helper_fd >= 0)
		helper_drain (s, u);
	if (events & (EPOLLHUP | EPOLLERR))
		loop_unwatch (&s->loop, w);
}

/* An exit reaped before we knew whose it was.  Only exits recorded after
 * since_ms count: an older entry with the same number is another process
 * whose pid has been reused. */
static bool orphan_take (struct sup *s, pid_t pid, uint64_t since_ms, int *status)
{
	size_t k;

	for (k = 0; k < s->n_orphans; k++) {
		if (s->orphans[k].pid == pid && s->orphans[k].ms >= since_ms) {
			*status = s->orphans[k].status;
			s->orphans[k].pid = 0;
			return true;
		}
	}
	return false;
}

/* The helper has exited and its report is complete. */
static void helper_done (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];
	struct launch_report r;
	int op = u->helper_op, status;

	helper_drain (s, u);
	launch_parse (u->helper_buf, u->helper_len, &r);
	unwatch_helper_exit (s, u);
	loop_unwatch (&s->loop, &u->w_helper);
	close (u->helper_fd);
	u->helper_fd = -1;
	free (u->helper_buf);
	u->helper_buf = NULL;
	u->helper = 0;
	u->helper_op = H_NONE;

	if (op == H_DELETE) {
		if (r.error)
			console_status (s->con, CS_WARN, "%s: delete: %s", u->name, r.error);
		launch_report_free (&r);
		unit_event (&s->set, i, UE_CLEANED, 0);
		return;
	}
	if (r.tmpfiles_done)
		u->tmpfiles_applied = true;
	if (r.network)
		console_status (s->con, CS_INFO, "%s: network %s", u->name, r.network);
	if (r.pid > 0 && !u->exited) {
		u->pid = r.pid;
		u->pid_known = true;
		free (u->cgroup);
		if (proc_cgroup (u->pid, &u->cgroup, NULL) < 0)
			u->cgroup = NULL;
	}
	if (!r.started) {
		if (u->pid > 0 && !u->exited && !orphan_take (s, u->pid, u->started_ms, &status)) {
			/* created but not started: the delete helper kills it */
			kill (u->pid, SIGKILL);
		}
		unit_event_why (&s->set, i, UE_LAUNCH_FAILED, r.error);
		launch_report_free (&r);
		return;
	}
	launch_report_free (&r);
	if (u->pid_known)
		pidmap_put (&s->pids, u->pid, i);
	unit_event (&s->set, i, UE_LAUNCHED, (long)u->pid);
	if (u->pid_known && !u->exited && orphan_take (s, u->pid, u->started_ms, &status)) {
		pidmap_take (&s->pids, u->pid);
		unit_event (&s->set, i, UE_EXITED, status);
	}
}

/* ---- signals and reaping ------------------------------------------------ */

/* Waiting for any child costs the kernel a walk over all of PID 1's
 * children (every running container): done at most every REAP_SWEEP_MS.
 * The exit a SIGCHLD names is reaped at once by its pid, which the kernel
 * finds directly; a sweep catches those whose SIGCHLD was merged into
 * another's (standard signals do not queue) and orphans. */
#define REAP_SWEEP_MS 100

static void reaped (struct sup *s, pid_t pid, int status)
{
	size_t i = pidmap_take (&s->pids, pid);

	if (i < s->n_units && s->units[i].helper == pid) {
		helper_done (s, i);
		return;
	}
	if (i < s->n_units && s->units[i].pid_known && s->units[i].pid == pid &&
	    !s->units[i].exited) {
		unit_event (&s->set, i, UE_EXITED, status);
		return;
	}
	if (s->shell_pid > 0 && pid == s->shell_pid) {
		s->shell_pid = 0;
		sup_request_shutdown (s, SD_POWEROFF, "emergency shell exited");
		return;
	}
	/* An orphan reparented to us, or a container whose pid the helper has
	 * not reported yet: remember the status for a while. */
	s->orphans[s->orphan_next].pid = pid;
	s->orphans[s->orphan_next].status = status;
	s->orphans[s->orphan_next].ms = console_now_ms ();
	s->orphan_next = (s->orphan_next + 1) % ARRAY_SIZE (s->orphans);
	if (s->n_orphans < ARRAY_SIZE (s->orphans))
		s->n_orphans++;
	keel_debug ("reaped pid %d", (int)pid);
}

static void reap_sweep (struct sup *s)
{
	int status;
	pid_t pid;

	s->last_sweep_ms = console_now_ms ();
	s->sweep_due_ms = 0;
	while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
		reaped (s, pid, status);
}

static void reap_one (struct sup *s, pid_t pid)
{
	int status;

	if (pid > 0 && waitpid (pid, &status, WNOHANG) == pid)
		reaped (s, pid, status);
}

static void on_signal (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	struct signalfd_siginfo si;

	(void)events;
	for (;;) {
		ssize_t n = read (s->sigfd, &si, sizeof si);
		if (n != sizeof si)
			break;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_one (s, (pid_t)si.ssi_pid);
			if (s->sweep_due_ms == 0)
				s->sweep_due_ms = s->last_sweep_ms + REAP_SWEEP_MS;
			break;
		case SIGINT:
			sup_request_shutdown (s, SD_REBOOT, "SIGINT (ctrl-alt-del)");
			break;
		case SIGTERM:
			sup_request_shutdown (s, s->opts->boot ? SD_POWEROFF : SD_EXIT, "SIGTERM");
			break;
		case SIGUSR2:
		case SIGPWR:
			sup_request_shutdown (s, SD_POWEROFF,
			                      si.ssi_signo == SIGPWR ? "SIGPWR" : "SIGUSR2");
			break;
		case SIGUSR1:
			sup_request_shutdown (s, SD_HALT, "SIGUSR1");
			break;
		case SIGHUP:
			reload_on_signal (s);
			break;
		default:
			break;
		}
	}
	if (s->sweep_due_ms && s->sweep_due_ms <= console_now_ms ())
		reap_sweep (s);
}

/* ---- timers --------------------------------------------------------------- */

static void arm_timer (struct sup *s)
{
	uint64_t next = unit_next_deadline (&s->set);
	struct itimerspec its = {0};

	if (s->kill_all_deadline && (next == 0 || s->kill_all_deadline < next))
		next = s->kill_all_deadline;
	if (s->sweep_due_ms && (next == 0 || s->sweep_due_ms < next))
		next = s->sweep_due_ms;
	if (next == s->timer_armed)
		return;
	s->timer_armed = next;
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	if (timerfd_settime (s->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		console_status (s->con, CS_WARN, "keel: timerfd_settime: %s", strerror (errno));
}

static void on_timer (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	uint64_t ticks, now = console_now_ms ();

	(void)events;
	if (read (s->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		console_status (s->con, CS_WARN, "keel: timerfd: %s", strerror (errno));
	s->timer_armed = 0;
	if (s->sweep_due_ms && s->sweep_due_ms <= now)
		reap_sweep (s);
	unit_timers (&s->set, now);
	if (s->kill_all_deadline && s->kill_all_deadline <= now)
		shutdown_kill_all_expired (s);
}

/* ---- logs ------------------------------------------------------------------ */

static void console_line (void *data, struct console_src *src, const char *line, size_t len)
{
	console_container_line (data, src, line, len);
}

static void close_log (struct sup *s, struct unit *u)
{
	loop_unwatch (&s->loop, &u->w_log);
	if (u->log_r >= 0)
		close (u->log_r);
	u->log_r = -1;
}

/* True at the end of the pipe: every writer (the container and whatever
 * it started) is gone. */
static bool read_log (struct sup *s, struct unit *u)
{
	char buf[16384];
	int k;

	for (k = 0; k < LOG_READS_PER_WAKEUP; k++) {
		struct keel_error *err = NULL;
		ssize_t n = read (u->log_r, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return true;
		if (n < 0)
			break;
		if (logsink_feed (&u->log, buf, (size_t)n, console_line, s->con, &err) < 0) {
			cleanup_free char *m = keel_error_string (err);
			keel_error_release (&err);
			console_status (s->con, CS_WARN,
			                "%s: logs: %s (keeping the console and ring)", u->name, m);
		}
		if ((size_t)n < sizeof buf)
			break;
	}
	return false;
}

static void on_log (struct watch *w, uint32_t events)
{
	struct unit *u = unit_of (w, w_log);

	/* Without writers the pipe stays readable (EOF) for ever: stop
	 * watching it; the next start makes a new one. */
	if (read_log (w->arg, u) && (events & EPOLLHUP))
		close_log (w->arg, u);
}

/* ---- the loop ---------------------------------------------------------------- */

static void on_console (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;

	(void)events;
	console_flush (s->con);
}

int sup_init (struct sup *s, struct init_opts *opts, struct console *con, struct keel_error **err)
{
	sigset_t mask;

	memset (s, 0, sizeof (*s));
	s->opts = opts;
	s->con = con;
	s->loop.epfd = s->sigfd = s->timerfd = s->devnull = -1;
	s->w_signal.fd = s->w_timer.fd = s->w_console.fd = s->w_devices.fd = -1;
	s->start_ms = console_now_ms ();
	s->rt.state_root = opts->runtime_root;
	s->rt.cgroup_manager = CGROUP_MANAGER_CGROUPFS;
	s->rt.debug = opts->debug;

	sigemptyset (&mask);
	sigaddset (&mask, SIGCHLD);
	sigaddset (&mask, SIGHUP); /* reload containers.d (reload.c) */
	sigaddset (&mask, SIGINT);
	sigaddset (&mask, SIGTERM);
	sigaddset (&mask, SIGUSR1);
	sigaddset (&mask, SIGUSR2);
	sigaddset (&mask, SIGPWR);
	sigaddset (&mask, SIGHUP);
	if (sigprocmask (SIG_BLOCK, &mask, NULL) < 0)
		return keel_error (err, errno, "sigprocmask");
	signal (SIGPIPE, SIG_IGN);
	s->sigfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return keel_error (err, errno, "signalfd");
	if (loop_init (&s->loop, err) < 0)
		return -1;
	s->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timerfd < 0)
		return keel_error (err, errno, "timerfd_create");
	s->devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
	if (s->devnull < 0)
		return keel_error (err, errno, "open /dev/null");
	/* Orphans of containers must come to us even when we are not PID 1. */
	if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "PR_SET_CHILD_SUBREAPER");

	if (loop_watch (&s->loop, &s->w_signal, s->sigfd, EPOLLIN, on_signal, s) < 0 ||
	    loop_watch (&s->loop, &s->w_timer, s->timerfd, EPOLLIN, on_timer, s) < 0)
		return keel_error (err, errno, "epoll_ctl");
	if (mkdir_p (opts->state, 0755, err) < 0)
		return -1;
	return 0;
}

static void device_event (void *ctx, const char *action, const char *devnode)
{
	(void)ctx;
	keel_debug ("uevent %s %s", action, devnode);
}

/* Kernel uevents: drained here; the waiting entries are looked at again. */
static void on_devices (struct watch *w, uint32_t events)
{
	struct sup *s = w->arg;
	struct keel_error *err = NULL;

	(void)events;
	if (devwait_dispatch (s->devwait, device_event, s, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		console_status (s->con, CS_WARN, "devices: %s", m);
	}
	unit_requeue_waiting (&s->set);
}

/* Listen to uevents only when some entry waits for a device. */
static void open_devwait (struct sup *s)
{
	struct keel_error *err = NULL;
	size_t i;
	bool needed = false;

	for (i = 0; i < s->n_units; i++)
		needed = needed || (s->units[i].policy.devices.n > 0 && s->units[i].spec);
	if (!needed)
		return;
	if (devwait_open (&s->devwait, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		console_status (s->con, CS_WARN, "cannot listen for devices: %s", m);
		s->devwait = NULL;
		return;
	}
	loop_watch (&s->loop, &s->w_devices, devwait_fd (s->devwait), EPOLLIN, on_devices, s);
}

static void update_console_watch (struct sup *s)
{
	bool pending = console_pending (s->con);

	if (pending == s->console_watched)
		return;
	if (pending)
		loop_watch (&s->loop, &s->w_console, s->con->fd, EPOLLOUT, on_console, s);
	else
		loop_unwatch (&s->loop, &s->w_console);
	s->console_watched = pending;
}

/* Start helpers at once: enough to keep every CPU busy while others wait
 * on the kernel (mounts, cgroups), few enough not to thrash. */
static size_t sup_max_starting (void)
{
	long cpus = sysconf (_SC_NPROCESSORS_ONLN);

	return cpus > 0 ? (size_t)cpus * 32 : 64;
}

void sup_start_units (struct sup *s)
{
	size_t i;

	if (s->set.v != NULL)
		return;
	for (i = 0; i < s->n_units; i++)
		s->units[i].w_log.fd = s->units[i].w_helper.fd = s->units[i].w_notify.fd = -1;
	unit_set_init (&s->set, s->units, s->n_units, &s->graph, s->con, &real_ops, s);
	s->set.max_starting = sup_max_starting ();
}

enum shutdown_action sup_run (struct sup *s)
{
	sup_start_units (s);
	open_devwait (s);
	for (;;) {
		struct keel_error *err = NULL;

		if (s->shutting_down && shutdown_step (s))
			break;
		reload_step (s); /* a reload's ordered stops, then its starts */
		commit_step (s); /* updates: commit when ready, roll back at the deadline */
		health_step (s); /* checks due, checks of units no longer running */
		unit_schedule (&s->set, devices_present);
		report_all_started (s);
		arm_timer (s);
		update_console_watch (s);
		if (loop_once (&s->loop, -1, &err) < 0) {
			cleanup_free char *m = keel_error_string (err);
			keel_error_release (&err);
			keel_panic (s->opts, m);
		}
	}
	return s->shutdown;
}

void sup_free (struct sup *s)
{
	size_t i;

	reload_free (s);
	commit_free (s);
	health_free (s);
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		notify_close (&s->loop, u);
		if (u->log_r >= 0)
			close (u->log_r);
		if (u->log_w >= 0)
			close (u->log_w);
		if (u->helper_fd >= 0)
			close (u->helper_fd);
		logsink_free (&u->log);
		restart_free (&u->restart);
		unit_free_entry (u);
		free (u->cgroup);
		free (u->helper_buf);
		free (u->notify_status);
	}
	free (s->units);
	unit_set_free (&s->set);
	graph_free (&s->graph);
	free (s->pids.pid);
	free (s->pids.unit);
	if (s->devwait)
		devwait_free (s->devwait);
	if (s->sigfd >= 0)
		close (s->sigfd);
	if (s->timerfd >= 0)
		close (s->timerfd);
	loop_close (&s->loop);
	if (s->devnull >= 0)
		close (s->devnull);
}
