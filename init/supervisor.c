/* PID 1's event loop and the unit state machine (see supervisor.h).
 * Restart decisions live in restart.c, dependency rules in graph.c,
 * readiness messages in notify.c, the control socket in control.c and the
 * stop sequence in shutdown.c; this file wires them to the events. */
#include "init/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/control.h"
#include "init/notify.h"
#include "init/powerbutton.h"
#include "init/shutdown.h"
#include "lib/log.h"
#include "lib/util.h"

#define LOG_READS_PER_WAKEUP 4 /* x 16 KiB: a flood cannot monopolise the loop */

const char *unit_state_name (enum unit_state st)
{
	static const char *const names[] = {
	        [U_WAITING] = "waiting",         [U_STARTING] = "starting",
	        [U_RUNNING] = "running",         [U_READY] = "ready",
	        [U_STOPPING] = "stopping",       [U_CLEANUP] = "exited",
	        [U_RESTART_WAIT] = "restarting", [U_DONE] = "done",
	        [U_FAILED] = "failed",           [U_BLOCKED] = "blocked",
	        [U_SKIPPED] = "skipped",         [U_STOPPED] = "stopped",
	};
	return names[st];
}

size_t sup_find (const struct sup *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_units; i++)
		if (strcmp (s->units[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

int sup_watch (struct sup *s, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		if (errno != EEXIST || epoll_ctl (s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
			console_status (s->con, CS_WARN, "keel: epoll_ctl: %s", strerror (errno));
			return -1;
		}
	}
	return 0;
}

void sup_unwatch (struct sup *s, int fd)
{
	if (fd >= 0)
		epoll_ctl (s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static enum graph_state graph_state_of (const struct unit *u)
{
	switch (u->state) {
	case U_READY:
	case U_DONE:
		return GS_READY;
	case U_FAILED:
	case U_BLOCKED:
	case U_SKIPPED:
	case U_STOPPED:
		return GS_FAILED;
	default:
		return GS_PENDING;
	}
}

static void set_timer (struct unit *u, int kind, uint64_t at)
{
	u->timer = kind;
	u->deadline_ms = at;
}

static void clear_timer (struct unit *u)
{
	u->timer = T_NONE;
	u->deadline_ms = 0;
}

/* ---- failure propagation --------------------------------------------- */

static void unit_failed (struct sup *s, size_t i);

/* i will never be ready again: block or stop whoever requires it. */
static void propagate (struct sup *s, size_t i)
{
	size_t j, k;

	for (j = 0; j < s->n_units; j++) {
		struct unit *d = &s->units[j];
		const struct graph_node *node = &s->graph.nodes[j];

		for (k = 0; k < node->n_deps; k++) {
			if (node->deps[k].to != i || node->deps[k].kind != DEP_REQUIRES)
				continue;
			if (d->state == U_RUNNING || d->state == U_READY ||
			    d->state == U_STARTING || d->state == U_RESTART_WAIT) {
				console_status (s->con, CS_FAIL,
				                "Stopping %s: it requires %s, which %s", d->name,
				                s->units[i].name,
				                unit_state_name (s->units[i].state));
				free (d->error);
				d->error = xasprintf ("requires %s, which %s", s->units[i].name,
				                      unit_state_name (s->units[i].state));
				d->blocked = true;
				sup_unit_stop (s, j, false);
				d->after_exit = AFTER_STOP;
				if (d->state == U_STOPPED)
					d->state = U_BLOCKED; /* had no process to stop */
			}
			break;
		}
	}
}

static void unit_failed (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];

	u->state = U_FAILED;
	clear_timer (u);
	propagate (s, i);
	if (u->policy.essential && !s->shutting_down && s->shell_pid <= 0) {
		cleanup_free char *why =
		        xasprintf ("%s is essential: its failure ends the boot", u->name);
		s->exit_code = 1;
		if (s->opts->boot && emergency_shell_path (s->opts)) {
			/* A human may want to look before the machine goes down;
			 * the rest keeps running meanwhile. */
			s->shell_pid = emergency_spawn (s->opts, why);
			if (s->shell_pid > 0)
				return;
		}
		console_status (s->con, CS_FAIL, "%s", why);
		sup_request_shutdown (s, s->opts->boot ? SD_POWEROFF : SD_EXIT, "essential failed");
	}
}

/* ---- starting ---------------------------------------------------------- */

static int ensure_log_pipe (struct sup *s, struct unit *u, size_t i)
{
	int p[2];

	if (u->log_r >= 0)
		return 0;
	if (pipe2 (p, O_CLOEXEC) < 0)
		return -1;
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0) {
		close (p[0]);
		close (p[1]);
		return -1;
	}
	u->log_r = p[0];
	u->log_w = p[1];
	u->w_log = (struct watch){.kind = W_LOG, .unit = i};
	return sup_watch (s, u->log_r, EPOLLIN, &u->w_log);
}

int sup_unit_start (struct sup *s, size_t i, bool manual)
{
	struct unit *u = &s->units[i];
	struct keel_error *err = NULL;
	struct keel_create_opts opts = {0};
	struct spec_mount mount = {0};
	char *env[2] = {NULL, NULL};
	cleanup_free char *cgroup = NULL;
	cleanup_free char *env0 = NULL;
	uint64_t now = console_now_ms ();
	int ret;

	if (u->spec == NULL || s->shutting_down)
		return -1;
	if (manual)
		restart_reset (&u->restart);
	if (ensure_log_pipe (s, u, i) < 0) {
		console_status (s->con, CS_FAIL, "Failed to start %s: log pipe: %s", u->name,
		                strerror (errno));
		unit_failed (s, i);
		return -1;
	}
	opts.bundle = u->spec->bundle ? u->spec->bundle : u->dir;
	opts.stdio[0] = s->devnull;
	opts.stdio[1] = u->log_w;
	opts.stdio[2] = u->log_w;
	cgroup = xasprintf ("%s/%s", s->opts->cgroup_root, u->name);
	opts.default_cgroup_path = cgroup;
	if (u->policy.ready == READY_NOTIFY) {
		if (notify_open (s, i, &err) < 0) {
			cleanup_free char *m = keel_error_string (err);
			keel_error_release (&err);
			console_status (s->con, CS_FAIL, "Failed to start %s: %s", u->name, m);
			unit_failed (s, i);
			return -1;
		}
		notify_mount (u, &mount, &env0);
		env[0] = env0;
		opts.extra_mounts = &mount;
		opts.n_extra_mounts = 1;
		opts.extra_env = env;
	}
	/* The entry's tmpfiles.conf (atomic images: bind-mount sources under
	 * /run and /var/lib) is applied once per boot, by the start helper:
	 * Z, R or cleaning over a large tree must not block PID 1. */
	ret = launch_fork (LAUNCH_START, &s->rt, u->name, u->spec, &opts,
	                   u->tmpfiles_applied ? NULL : &u->tmpfiles, &u->helper, &u->helper_fd,
	                   &err);
	notify_mount_free (&mount);
	if (ret < 0) {
		/* Out of processes or memory for a moment: a failed start like
		 * any other, so the restart policy decides. */
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		console_status (s->con, CS_FAIL, "Failed to start %s: %s", u->name, m);
		free (u->error);
		u->error = xstrdup (m ? m : "fork");
		restart_record_start (&u->restart, now);
		u->after_exit = AFTER_DECIDE;
		u->forced_failure = u->exited = true;
		u->exit_status = 1 << 8;
		u->helper = 0;
		sup_after_cleanup (s, i);
		return -1;
	}
	u->helper_op = H_START;
	u->helper_buf = xmalloc0 (LAUNCH_REPORT_MAX);
	u->helper_len = 0;
	u->w_helper = (struct watch){.kind = W_HELPER, .unit = i};
	sup_watch (s, u->helper_fd, EPOLLIN, &u->w_helper);
	u->state = U_STARTING;
	u->after_exit = AFTER_DECIDE;
	u->blocked = false;
	u->pid = 0;
	u->pid_known = u->exited = u->forced_failure = false;
	u->exit_status = 0;
	u->started_ms = now;
	restart_record_start (&u->restart, now);
	if (u->policy.start_timeout_ms)
		set_timer (u, T_START_TIMEOUT, now + u->policy.start_timeout_ms);
	else
		clear_timer (u);
	if (u->policy.ready != READY_STARTED || u->policy.kind == KIND_ONESHOT)
		console_status (s->con, CS_NONE, "         Starting %s...", u->name);
	return 0;
}

/* Whether every device the entry lists exists (devwait.h); the first
 * time one is missing, say so. */
static bool devices_present (struct sup *s, struct unit *u)
{
	size_t k;

	for (k = 0; k < u->policy.devices.n; k++) {
		struct keel_error *err = NULL;
		bool present = false;

		if (s->devwait == NULL ||
		    devwait_present (s->devwait, u->policy.devices.v[k], &present, &err) < 0) {
			keel_error_release (&err);
			present = false;
		}
		if (!present) {
			if (!u->device_wait_reported)
				console_status (s->con, CS_NONE,
				                "         Waiting for device %s for %s...",
				                u->policy.devices.v[k], u->name);
			u->device_wait_reported = true;
			return false;
		}
	}
	return true;
}

/* Start whatever can start; block what cannot.  Repeats until stable
 * because blocking one entry can block those that require it. */
static void schedule (struct sup *s)
{
	enum graph_state *st;
	bool changed = true;
	size_t i;

	if (s->shutting_down)
		return;
	st = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (*st));
	while (changed) {
		changed = false;
		for (i = 0; i < s->n_units; i++)
			st[i] = graph_state_of (&s->units[i]);
		for (i = 0; i < s->n_units; i++) {
			struct unit *u = &s->units[i];
			size_t cause = 0;

			if (u->state != U_WAITING)
				continue;
			switch (graph_check (&s->graph, i, st, &cause)) {
			case GV_GO:
				if (!devices_present (s, u))
					break; /* a uevent runs schedule() again */
				sup_unit_start (s, i, false);
				changed = true;
				break;
			case GV_BLOCKED:
				u->state = U_BLOCKED;
				free (u->error);
				u->error = xasprintf ("requires %s, which %s", s->units[cause].name,
				                      unit_state_name (s->units[cause].state));
				console_status (s->con, CS_FAIL, "Dependency failed for %s: %s",
				                u->name, u->error);
				changed = true;
				break;
			case GV_WAIT:
				break;
			}
			if (changed)
				break;
		}
	}
	free (st);
}

static void report_all_started (struct sup *s)
{
	size_t i, ready = 0, done = 0, failed = 0, other = 0;

	if (s->all_ready_reported || s->shutting_down)
		return;
	for (i = 0; i < s->n_units; i++) {
		switch (s->units[i].state) {
		case U_READY:
			ready++;
			break;
		case U_DONE:
			done++;
			break;
		case U_WAITING:
		case U_STARTING:
		case U_RUNNING:
		case U_RESTART_WAIT:
		case U_CLEANUP:
			return;
		case U_FAILED:
		case U_BLOCKED:
			failed++;
			break;
		default:
			other++;
		}
	}
	s->all_ready_reported = true;
	console_status (s->con, failed ? CS_WARN : CS_OK,
	                "Startup finished in %llums: %zu ready, %zu done, %zu failed, %zu other",
	                (unsigned long long)console_now_ms () - (unsigned long long)s->start_ms,
	                ready, done, failed, other);
}

/* ---- readiness and exits ------------------------------------------------ */

void sup_unit_ready (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];

	if (u->state != U_RUNNING)
		return;
	u->state = U_READY;
	u->ready_ms = console_now_ms ();
	if (u->timer == T_START_TIMEOUT)
		clear_timer (u);
	if (u->policy.ready == READY_NOTIFY)
		console_status (s->con, CS_OK, "Started %s (ready after %llums).", u->name,
		                (unsigned long long)(u->ready_ms - u->started_ms));
	else
		console_status (s->con, CS_OK, "Started %s.", u->name);
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

static void start_cleanup (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];
	struct keel_error *err = NULL;

	u->state = U_CLEANUP;
	if (launch_fork (LAUNCH_DELETE, &s->rt, u->name, NULL, NULL, NULL, &u->helper,
	                 &u->helper_fd, &err) < 0) {
		/* Without cleanup the name stays taken; the start helper deletes
		 * stale state before create, so go on. */
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		console_status (s->con, CS_WARN, "%s: cleanup: %s", u->name, m);
		u->helper = 0;
		sup_after_cleanup (s, i);
		return;
	}
	u->helper_op = H_DELETE;
	u->helper_buf = xmalloc0 (LAUNCH_REPORT_MAX);
	u->helper_len = 0;
	u->w_helper = (struct watch){.kind = W_HELPER, .unit = i};
	sup_watch (s, u->helper_fd, EPOLLIN, &u->w_helper);
}

static void on_log (struct sup *s, size_t i);

/* The container process is gone (reaped with status). */
static void unit_exited (struct sup *s, size_t i, int status)
{
	struct unit *u = &s->units[i];
	cleanup_free char *how = describe_status (status);
	bool success = WIFEXITED (status) && WEXITSTATUS (status) == 0;

	/* What it wrote before it exited comes before the line saying it
	 * stopped: the reap may be handled before the pipe's readiness in
	 * the same wakeup.  Non-blocking and bounded, like any log read. */
	if (u->log_r >= 0)
		on_log (s, i);
	u->exited = true;
	u->exit_status = status;
	u->exit_ms = console_now_ms ();
	if (u->timer == T_START_TIMEOUT || u->timer == T_STOP_TIMEOUT)
		clear_timer (u);
	if (u->after_exit == AFTER_STOP || s->shutting_down)
		console_status (s->con, CS_OK, "Stopped %s (%s).", u->name, how);
	else if (u->policy.kind == KIND_ONESHOT && success && !u->forced_failure)
		console_status (s->con, CS_OK, "Finished %s.", u->name);
	else
		console_status (s->con, success ? CS_INFO : CS_FAIL, "%s %s%s", u->name, how,
		                u->state == U_RUNNING && u->policy.ready == READY_NOTIFY
		                        ? " before it was ready"
		                        : "");
	if (u->helper > 0)
		return; /* the start helper is still finishing; it calls us back */
	start_cleanup (s, i);
}

void sup_after_cleanup (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];
	bool success = WIFEXITED (u->exit_status) && WEXITSTATUS (u->exit_status) == 0 &&
	               !u->forced_failure;
	struct restart_decision d;
	uint64_t now = console_now_ms ();

	u->pid = 0;
	u->pid_known = false;
	free (u->cgroup);
	u->cgroup = NULL;
	if (u->after_exit == AFTER_STOP || s->shutting_down) {
		u->state = u->blocked && !s->shutting_down ? U_BLOCKED : U_STOPPED;
		propagate (s, i);
		return;
	}
	if (u->after_exit == AFTER_RESTART) {
		u->state = U_WAITING;
		restart_reset (&u->restart);
		return;
	}
	d = restart_decide (&u->restart, &u->policy, success, now);
	switch (d.action) {
	case RA_DONE:
		/* A clean exit is not a failure: what requires it keeps running
		 * (entries still waiting for it are blocked by schedule()). */
		u->state = u->policy.kind == KIND_ONESHOT ? U_DONE : U_STOPPED;
		break;
	case RA_FAILED:
		free (u->error);
		u->error = describe_status (u->exit_status);
		if (u->policy.kind == KIND_ONESHOT)
			console_status (s->con, CS_FAIL, "%s failed; its dependents will not start",
			                u->name);
		unit_failed (s, i);
		break;
	case RA_RESTART:
		u->restarts++;
		u->state = U_RESTART_WAIT;
		set_timer (u, T_RESTART, now + d.delay_ms);
		console_status (s->con, CS_INFO, "Restarting %s in %llums (restart %u)", u->name,
		                (unsigned long long)d.delay_ms, u->restarts);
		break;
	case RA_GIVE_UP:
		free (u->error);
		u->error = xasprintf ("started %u times within %llums; gave up (restart.limit)",
		                      d.starts_in_interval,
		                      (unsigned long long)u->policy.start_limit_interval_ms);
		console_status (s->con, CS_FAIL, "%s %s", u->name, u->error);
		unit_failed (s, i);
		break;
	}
}

/* ---- helpers (launch / delete) ----------------------------------------- */

static void helper_drain (struct sup *s, struct unit *u)
{
	while (u->helper_fd >= 0 && u->helper_len < LAUNCH_REPORT_MAX) {
		ssize_t n = read (u->helper_fd, u->helper_buf + u->helper_len,
		                  LAUNCH_REPORT_MAX - u->helper_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		u->helper_len += (size_t)n;
	}
	/* A report never fills the buffer; if one does, stop listening (the
	 * rest is read when the helper is reaped) rather than spin. */
	if (u->helper_fd >= 0 && u->helper_len == LAUNCH_REPORT_MAX)
		sup_unwatch (s, u->helper_fd);
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

static void read_cgroup (struct unit *u)
{
	cleanup_free char *path = xasprintf ("/proc/%d/cgroup", (int)u->pid);
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;
	char *line;

	if (read_file (path, 16384, &buf, NULL, &err) < 0) {
		keel_error_release (&err);
		return;
	}
	for (line = buf; line && *line;
	     line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
		if (strncmp (line, "0::", 3) == 0) {
			char *nl = strchr (line, '\n');
			if (nl)
				*nl = '\0';
			free (u->cgroup);
			u->cgroup = xstrdup (line + 3);
			return;
		}
	}
}

/* The helper has exited and its report is complete. */
static void helper_done (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];
	struct launch_report r;
	int op = u->helper_op, status;

	helper_drain (s, u);
	launch_parse (u->helper_buf, u->helper_len, &r);
	sup_unwatch (s, u->helper_fd);
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
		sup_after_cleanup (s, i);
		return;
	}

	if (r.tmpfiles_done)
		u->tmpfiles_applied = true;
	if (r.pid > 0 && !u->exited) {
		u->pid = r.pid;
		u->pid_known = true;
		read_cgroup (u);
	}
	if (!r.started) {
		free (u->error);
		u->error = r.error ? xstrdup (r.error)
		           : u->forced_failure
		                   ? xasprintf ("create did not complete within %llums; killed",
		                                (unsigned long long)u->policy.start_timeout_ms)
		                   : xstrdup ("the start helper failed without a report");
		console_status (s->con, CS_FAIL, "Failed to start %s: %s", u->name, u->error);
		u->forced_failure = true;
		launch_report_free (&r);
		if (u->pid > 0 && !u->exited && !orphan_take (s, u->pid, u->started_ms, &status)) {
			/* created but not started: the delete helper kills it */
			kill (u->pid, SIGKILL);
		}
		u->exited = true;
		if (u->exit_status == 0)
			u->exit_status = 1 << 8;
		start_cleanup (s, i);
		return;
	}
	launch_report_free (&r);
	if (u->state == U_STARTING)
		u->state = U_RUNNING;
	if (u->after_exit == AFTER_STOP && !u->exited)
		sup_unit_stop (s, i, false);
	if (u->pid > 0 && !u->exited && orphan_take (s, u->pid, u->started_ms, &status)) {
		unit_exited (s, i, status);
		return;
	}
	if (u->exited) { /* exited before the helper finished */
		start_cleanup (s, i);
		return;
	}
	if (u->policy.kind == KIND_SERVICE && u->policy.ready == READY_STARTED)
		sup_unit_ready (s, i);
}

/* ---- signals and reaping ------------------------------------------------ */

static void reap (struct sup *s)
{
	for (;;) {
		int status;
		pid_t pid = waitpid (-1, &status, WNOHANG);
		size_t i;
		bool known = false;

		if (pid <= 0)
			break;
		for (i = 0; i < s->n_units && !known; i++) {
			struct unit *u = &s->units[i];
			if (u->helper == pid) {
				known = true;
				u->helper_status = status;
				helper_done (s, i);
			} else if (u->pid_known && u->pid == pid && !u->exited) {
				known = true;
				unit_exited (s, i, status);
			}
		}
		if (!known && s->shell_pid > 0 && pid == s->shell_pid) {
			s->shell_pid = 0;
			sup_request_shutdown (s, SD_POWEROFF, "emergency shell exited");
			continue;
		}
		if (known)
			continue;
		/* An orphan reparented to us, or a container whose pid the helper
		 * has not reported yet: remember the status for a while. */
		s->orphans[s->orphan_next].pid = pid;
		s->orphans[s->orphan_next].status = status;
		s->orphans[s->orphan_next].ms = console_now_ms ();
		s->orphan_next = (s->orphan_next + 1) % ARRAY_SIZE (s->orphans);
		if (s->n_orphans < ARRAY_SIZE (s->orphans))
			s->n_orphans++;
		keel_debug ("reaped pid %d", (int)pid);
	}
}

static void on_signal (struct sup *s)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read (s->sigfd, &si, sizeof si);
		if (n != sizeof si)
			break;
		switch (si.ssi_signo) {
		case SIGCHLD:
			break; /* reaped below, whatever the count */
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
		default:
			break;
		}
	}
	reap (s);
}

/* ---- timers --------------------------------------------------------------- */

static void arm_timer (struct sup *s)
{
	uint64_t next = 0;
	struct itimerspec its = {0};
	size_t i;

	for (i = 0; i < s->n_units; i++)
		if (s->units[i].deadline_ms && (next == 0 || s->units[i].deadline_ms < next))
			next = s->units[i].deadline_ms;
	if (s->kill_all_deadline && (next == 0 || s->kill_all_deadline < next))
		next = s->kill_all_deadline;
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

static void on_timer (struct sup *s)
{
	uint64_t ticks, now = console_now_ms ();
	size_t i;

	if (read (s->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		console_status (s->con, CS_WARN, "keel: timerfd: %s", strerror (errno));
	s->timer_armed = 0;
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		int kind = u->timer;

		if (u->deadline_ms == 0 || u->deadline_ms > now)
			continue;
		clear_timer (u);
		switch (kind) {
		case T_RESTART:
			if (u->state == U_RESTART_WAIT)
				u->state = U_WAITING; /* schedule() starts it if deps allow */
			break;
		case T_START_TIMEOUT:
			console_status (s->con, CS_FAIL, "%s did not %s within %llums", u->name,
			                u->policy.kind == KIND_ONESHOT ? "finish" : "become ready",
			                (unsigned long long)u->policy.start_timeout_ms);
			u->forced_failure = true;
			shutdown_kill_unit (s, i);
			break;
		case T_STOP_TIMEOUT:
			console_status (s->con, CS_WARN,
			                "%s did not stop within %llums; killing it", u->name,
			                (unsigned long long)u->policy.stop_timeout_ms);
			shutdown_kill_unit (s, i);
			break;
		}
	}
	if (s->kill_all_deadline && s->kill_all_deadline <= now)
		shutdown_kill_all_expired (s);
}

/* ---- logs ------------------------------------------------------------------ */

static void console_line (void *data, struct console_src *src, const char *line, size_t len)
{
	console_container_line (data, src, line, len);
}

static void on_log (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];
	char buf[16384];
	int k;

	for (k = 0; k < LOG_READS_PER_WAKEUP; k++) {
		struct keel_error *err = NULL;
		ssize_t n = read (u->log_r, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
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
}

/* ---- the loop ---------------------------------------------------------------- */

int sup_init (struct sup *s, struct init_opts *opts, struct console *con, struct keel_error **err)
{
	sigset_t mask;

	memset (s, 0, sizeof (*s));
	s->opts = opts;
	s->con = con;
	s->epfd = s->sigfd = s->timerfd = s->ctlfd = s->devnull = -1;
	s->start_ms = console_now_ms ();
	s->rt.state_root = opts->runtime_root;
	s->rt.cgroup_manager = CGROUP_MANAGER_CGROUPFS;
	s->rt.debug = opts->debug;

	sigemptyset (&mask);
	sigaddset (&mask, SIGCHLD);
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
	s->epfd = epoll_create1 (EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return keel_error (err, errno, "epoll_create1");
	s->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timerfd < 0)
		return keel_error (err, errno, "timerfd_create");
	s->devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
	if (s->devnull < 0)
		return keel_error (err, errno, "open /dev/null");
	/* Orphans of containers must come to us even when we are not PID 1. */
	if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "PR_SET_CHILD_SUBREAPER");

	s->w_signal.kind = W_SIGNAL;
	s->w_timer.kind = W_TIMER;
	s->w_console.kind = W_CONSOLE;
	if (sup_watch (s, s->sigfd, EPOLLIN, &s->w_signal) < 0 ||
	    sup_watch (s, s->timerfd, EPOLLIN, &s->w_timer) < 0)
		return keel_error (err, errno, "epoll_ctl");
	if (mkdir_p (opts->state, 0755, err) < 0)
		return -1;
	if (control_open (s, err) < 0)
		return keel_error_wrap (err, "control socket");
	return 0;
}

static void device_event (void *ctx, const char *action, const char *devnode)
{
	keel_debug ("uevent %s %s", action, devnode);
}

/* Kernel uevents: drained here; schedule() after the batch looks at the
 * waiting entries again. */
static void on_devices (struct sup *s)
{
	struct keel_error *err = NULL;

	if (devwait_dispatch (s->devwait, device_event, s, &err) < 0) {
		console_status (s->con, CS_WARN, "devices: %s", err->msg);
		keel_error_release (&err);
	}
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
		console_status (s->con, CS_WARN, "cannot listen for devices: %s", err->msg);
		keel_error_release (&err);
		s->devwait = NULL;
		return;
	}
	s->w_devices.kind = W_DEVICES;
	sup_watch (s, devwait_fd (s->devwait), EPOLLIN, &s->w_devices);
}

static void dispatch (struct sup *s, struct watch *w, uint32_t events)
{
	switch (w->kind) {
	case W_SIGNAL:
		on_signal (s);
		break;
	case W_TIMER:
		on_timer (s);
		break;
	case W_LOG:
		on_log (s, w->unit);
		break;
	case W_HELPER:
		/* The report is read when the helper is reaped; here we only keep
		 * the pipe from filling. */
		if (s->units[w->unit].helper_fd >= 0)
			helper_drain (s, &s->units[w->unit]);
		if (events & (EPOLLHUP | EPOLLERR))
			sup_unwatch (s, s->units[w->unit].helper_fd);
		break;
	case W_NOTIFY:
		notify_receive (s, w->unit);
		break;
	case W_CONTROL:
		control_accept (s);
		break;
	case W_CLIENT:
		control_client_event (s, w->ptr, events);
		break;
	case W_CONSOLE:
		console_flush (s->con);
		break;
	case W_DEVICES:
		on_devices (s);
		break;
	case W_BUTTON:
		powerbutton_event (s, w->unit, events);
		break;
	}
}

static void update_console_watch (struct sup *s)
{
	bool pending = console_pending (s->con);

	if (pending == s->console_watched)
		return;
	if (pending)
		sup_watch (s, s->con->fd, EPOLLOUT, &s->w_console);
	else
		sup_unwatch (s, s->con->fd);
	s->console_watched = pending;
}

enum shutdown_action sup_run (struct sup *s)
{
	struct epoll_event evs[32];

	open_devwait (s);
	if (s->opts->boot)
		powerbutton_open (s);
	schedule (s);
	for (;;) {
		int n, k;

		if (s->shutting_down && shutdown_step (s))
			break;
		report_all_started (s);
		arm_timer (s);
		update_console_watch (s);
		n = epoll_wait (s->epfd, evs, ARRAY_SIZE (evs), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			console_status (s->con, CS_FAIL, "keel: epoll_wait: %s", strerror (errno));
			continue;
		}
		for (k = 0; k < n; k++)
			dispatch (s, evs[k].data.ptr, evs[k].events);
		schedule (s);
	}
	return s->shutdown;
}

void sup_free (struct sup *s)
{
	size_t i;

	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		notify_close (s, i);
		if (u->log_r >= 0)
			close (u->log_r);
		if (u->log_w >= 0)
			close (u->log_w);
		if (u->helper_fd >= 0)
			close (u->helper_fd);
		logsink_free (&u->log);
		restart_free (&u->restart);
		policy_free (&u->policy);
		tmpfiles_free (&u->tmpfiles);
		spec_free (u->spec);
		free (u->name);
		free (u->dir);
		free (u->policy_file);
		free (u->error);
		free (u->cgroup);
		free (u->helper_buf);
		free (u->notify_status);
	}
	free (s->units);
	graph_free (&s->graph);
	if (s->devwait)
		devwait_free (s->devwait);
	powerbutton_close (s);
	control_close (s);
	if (s->sigfd >= 0)
		close (s->sigfd);
	if (s->timerfd >= 0)
		close (s->timerfd);
	if (s->epfd >= 0)
		close (s->epfd);
	if (s->devnull >= 0)
		close (s->devnull);
}
