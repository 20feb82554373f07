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
	s->set.stopping = true; /* nothing starts again */
	s->shutdown = a;
	console_status (s->con, CS_INFO, "%s: stopping all containers to %s", why, action_name (a));
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
	if (!unit_stop_all_step (&s->set))
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
