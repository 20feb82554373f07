/* Ordered stop and the end of PID 1 (see shutdown.h). */
#include "init/shutdown.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "runtime/cgroup.h"
#include "lib/mountinfo.h"
#include "lib/util.h"

#define FINAL_GRACE_MS 2000

static const char *action_name (enum shutdown_action a)
{
	switch (a) {
	case SD_POWEROFF:
		return "power off";
	case SD_REBOOT:
		return "reboot";
	case SD_HALT:
		return "halt";
	case SD_EXIT:
		return "stop";
	default:
		return "?";
	}
}

void sup_request_shutdown (struct sup *s, enum shutdown_action a, const char *why)
{
	if (s->shutting_down) {
		/* A second request may only change what happens at the end. */
		if (a != SD_EXIT)
			s->shutdown = a;
		return;
	}
	s->shutting_down = true;
	s->shutdown = a;
	console_status (s->con, CS_INFO, "%s: stopping all containers to %s", why, action_name (a));
}

/* Whether cg (a path in the unified hierarchy) holds PID 1 itself, at any
 * depth: killing it would kill us. */
static bool holds_us (const char *cg)
{
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;
	const char *self = NULL;
	char *line, *save = NULL;
	size_t n = strlen (cg);

	if (read_file ("/proc/self/cgroup", 16384, &buf, NULL, &err) < 0) {
		keel_error_release (&err);
		return true; /* cannot tell: do not risk it */
	}
	for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
		if (strncmp (line, "0::", 3) == 0)
			self = line + 3;
	if (self == NULL)
		return true;
	if (strcmp (cg, "/") == 0)
		return true;
	return strncmp (self, cg, n) == 0 && (self[n] == '\0' || self[n] == '/');
}

/* Signals go straight to the process (our child, so its pid cannot be
 * reused before we reap it) or to its cgroup, never through the runtime's
 * locked state: nothing here may block PID 1. */
static void send_signal (struct sup *s, struct unit *u, int signo, bool all)
{
	const char *root = cgroup_unified_root ();
	struct keel_error *err = NULL;

	if (all && root && u->cgroup && !holds_us (u->cgroup)) {
		cleanup_free char *path = xasprintf ("%s%s", root, u->cgroup);
		if (cgroup_kill (path, signo, &err) == 0)
			return;
		keel_debug ("%s: %s", u->name, err ? err->msg : "cgroup kill failed");
		keel_error_release (&err);
	}
	if (u->pid > 0 && !u->exited && kill (u->pid, signo) < 0 && errno != ESRCH)
		console_status (s->con, CS_WARN, "%s: kill %d: %s", u->name, (int)u->pid,
		                strerror (errno));
}

int sup_unit_stop (struct sup *s, size_t i, bool manual)
{
	struct unit *u = &s->units[i];

	switch (u->state) {
	case U_WAITING:
	case U_RESTART_WAIT:
		u->timer = T_NONE;
		u->deadline_ms = 0;
		u->state = U_STOPPED;
		return 0;
	case U_STARTING:
	case U_CLEANUP:
		/* acted upon when the helper is done; bounded by the stop timeout
		 * in case the helper never is */
		u->after_exit = AFTER_STOP;
		if (u->timer != T_STOP_TIMEOUT) {
			u->timer = T_STOP_TIMEOUT;
			u->deadline_ms = console_now_ms () + u->policy.stop_timeout_ms;
		}
		return 0;
	case U_STOPPING:
		u->after_exit = AFTER_STOP;
		return 0;
	case U_RUNNING:
	case U_READY:
		u->after_exit = AFTER_STOP;
		u->state = U_STOPPING;
		console_status (s->con, CS_NONE, "         Stopping %s...", u->name);
		send_signal (s, u, u->policy.stop_signal, false);
		u->timer = T_STOP_TIMEOUT;
		u->deadline_ms = console_now_ms () + u->policy.stop_timeout_ms;
		return 0;
	default:
		if (manual && u->state != U_STOPPED)
			u->state = U_STOPPED;
		return 0;
	}
}

void shutdown_kill_unit (struct sup *s, size_t i)
{
	struct unit *u = &s->units[i];

	/* A helper stuck in create (a hook, a slow mount) or in delete (a
	 * poststop hook): kill it; whatever it left is cleaned up by the
	 * delete that follows, and orphans come to us. */
	if (u->helper > 0) {
		if (u->helper_op == H_START)
			u->forced_failure = true;
		kill (u->helper, SIGKILL);
	}
	if (u->pid <= 0 || u->exited)
		return;
	if (u->state != U_STOPPING && u->after_exit != AFTER_STOP) {
		/* start timeout: not a stop, but the process must go */
		u->state = U_STOPPING;
	}
	send_signal (s, u, SIGKILL, true);
}

static bool unit_alive (const struct unit *u)
{
	return u->helper > 0 || (u->pid > 0 && !u->exited) || u->state == U_STARTING ||
	       u->state == U_CLEANUP;
}

/* Everything else in our PID namespace: only as PID 1, where kill(-1)
 * means "every process but me" in our namespace. */
static bool final_sweep (struct sup *s)
{
	int status;
	pid_t pid;

	if (getpid () != 1)
		return true;
	if (s->kill_all_deadline == 0 && !s->kill_all_sent) {
		s->kill_all_sent = true;
		if (kill (-1, SIGTERM) == 0)
			console_status (s->con, CS_INFO, "Sent SIGTERM to remaining processes");
		s->kill_all_deadline = console_now_ms () + FINAL_GRACE_MS;
	}
	while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
		;
	if (pid < 0 && errno == ECHILD) {
		s->kill_all_deadline = 0;
		return true;
	}
	return false;
}

void shutdown_kill_all_expired (struct sup *s)
{
	s->kill_all_deadline = 0;
	if (getpid () == 1 && kill (-1, SIGKILL) == 0)
		console_status (s->con, CS_WARN, "Sent SIGKILL to remaining processes");
}

bool shutdown_step (struct sup *s)
{
	bool *alive = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (bool));
	bool any = false;
	size_t i;

	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		if (u->state == U_WAITING || u->state == U_RESTART_WAIT)
			sup_unit_stop (s, i, false);
		alive[i] = unit_alive (u);
		any = any || alive[i];
	}
	/* Reverse dependency order: stop an entry once nothing that depends
	 * on it (through any edge) is still alive. */
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		if (!alive[i] || u->state == U_STOPPING || u->after_exit == AFTER_STOP)
			continue;
		if (!graph_has_live_dependent (&s->graph, i, alive))
			sup_unit_stop (s, i, false);
	}
	free (alive);
	if (any)
		return false;
	return final_sweep (s);
}

/* ---- the very end -------------------------------------------------------- */

struct points {
	char **v;
	size_t n;
};

static int add_point (const struct mountinfo *m, void *data)
{
	struct points *p = data;
	char **v = realloc (p->v, (p->n + 1) * sizeof *v);

	if (v == NULL)
		return -ENOMEM;
	p->v = v;
	p->v[p->n++] = xstrdup (m->mountpoint);
	return 0;
}

static void unmount_all (struct console *con)
{
	struct keel_error *err = NULL;
	struct points p = {0};
	size_t i;

	/* Whatever was read before a failure is still unmounted. */
	if (mountinfo_foreach ("/proc/self/mountinfo", add_point, &p, &err) < 0)
		keel_error_release (&err);
	/* Newest first: children before their parents. */
	for (i = p.n; i-- > 0;) {
		const char *mp = p.v[i];
		if (strcmp (mp, "/") != 0 && umount2 (mp, 0) == 0)
			continue;
		if (strcmp (mp, "/") != 0 && umount2 (mp, MNT_DETACH) == 0 &&
		    strcmp (mp, "/proc") != 0)
			continue;
		if (mount (NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 && errno != EBUSY &&
		    errno != EINVAL)
			console_status (con, CS_WARN, "remount `%s` read-only: %s", mp,
			                strerror (errno));
	}
	for (i = 0; i < p.n; i++)
		free (p.v[i]);
	free (p.v);
}

void shutdown_finish (enum shutdown_action a, bool boot, struct console *con)
{
	int cmd;
	pid_t pid;

	if (!boot)
		return;
	console_status (con, CS_INFO, "Syncing and unmounting file systems");
	con->sync = true;
	console_drain (con);
	sync ();
	unmount_all (con);
	sync ();
	switch (a) {
	case SD_REBOOT:
		cmd = RB_AUTOBOOT;
		break;
	case SD_HALT:
		cmd = RB_HALT_SYSTEM;
		break;
	default:
		cmd = RB_POWER_OFF;
		break;
	}
	console_status (con, CS_OK, "Reached the end: %s", action_name (a));
	console_drain (con);
	/* reboot(2) from a child, as toybox's oneit: the kernel acts on it,
	 * and PID 1 itself never exits (that would panic the kernel). */
	pid = fork ();
	if (pid == 0) {
		reboot (cmd);
		_exit (1);
	}
	if (pid < 0)
		reboot (cmd);
	for (;;)
		pause ();
}
