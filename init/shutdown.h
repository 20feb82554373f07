/* Stopping the whole system in reverse dependency order (each unit's stop,
 * signal then SIGKILL through cgroup.kill after its stop timeout, is the
 * state machine's: unit.c), then the end of PID 1: kill what is left, sync, unmount, and
 * reboot(2) from a child (PID 1 must never exit: the kernel panics).
 *   SIGINT (ctrl-alt-del) reboot; SIGTERM, SIGUSR2, SIGPWR poweroff;
 *   SIGUSR1 halt (toybox oneit / sysvinit conventions).
 * Outside boot mode (tests), SIGTERM stops everything and keel exits 0.
 */
#ifndef KEEL_INIT_SHUTDOWN_H
#define KEEL_INIT_SHUTDOWN_H

#include <stdbool.h>

#include "init/supervisor.h"

/* One step of the ordered stop; true once everything is down. */
bool shutdown_step (struct sup *s);
/* The grace period after the final SIGTERM to everyone ended. */
void shutdown_kill_all_expired (struct sup *s);

/* Unmount every mount point listed in mountinfo (under `under` only, when
 * not NULL: tests), newest first; what cannot be unmounted is remounted
 * read-only.  Returns how many stayed. */
int shutdown_unmount_all (const char *mountinfo, const char *under, struct console *con);

/* After the loop: sync, unmount everything, and power off / reboot /
 * halt.  Never returns in boot mode. */
void shutdown_finish (enum shutdown_action a, bool boot, struct console *con);

#endif
