/* Ordered stop and the end of PID 1 (see shutdown.h). */
#include "init/shutdown.h"

#include <errno.h>
#include <libmount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
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

/* Whether mount point mp is under (or is) the directory under. */
static bool is_under (const char *mp, const char *under)
{
	size_t n;

	if (under == NULL)
		return true;
	n = strlen (under);
	return strncmp (mp, under, n) == 0 && (mp[n] == '\0' || mp[n] == '/');
}

int shutdown_unmount_all (const char *mountinfo, const char *under, struct console *con)
{
	struct libmnt_table *tb = mnt_new_table ();
	struct libmnt_iter *it = mnt_new_iter (MNT_ITER_BACKWARD);
	struct libmnt_fs *fs;
	int left = 0;

	/* libmount undoes mountinfo's escapes (a mount point with a space
	 * is "\040" there).  A table that cannot be read completely still
	 * holds what was parsed before the error. */
	if (tb == NULL || it == NULL || mnt_table_parse_file (tb, mountinfo) < 0)
		console_status (con, CS_WARN, "cannot read `%s`; unmounting what was read",
		                mountinfo);
	/* Newest first: children before their parents. */
	while (tb && it && mnt_table_next_fs (tb, it, &fs) == 0) {
		const char *mp = mnt_fs_get_target (fs);

		if (mp == NULL || !is_under (mp, under))
			continue;
		if (strcmp (mp, "/") != 0 && umount2 (mp, 0) == 0)
			continue;
		if (strcmp (mp, "/") != 0 && umount2 (mp, MNT_DETACH) == 0 &&
		    strcmp (mp, "/proc") != 0)
			continue;
		left++;
		if (mount (NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 && errno != EBUSY &&
		    errno != EINVAL)
			console_status (con, CS_WARN, "remount `%s` read-only: %s", mp,
			                strerror (errno));
	}
	mnt_free_iter (it);
	mnt_unref_table (tb);
	return left;
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
	shutdown_unmount_all ("/proc/self/mountinfo", NULL, con);
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
