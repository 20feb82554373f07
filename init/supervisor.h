/* The supervisor: PID 1's event loop and the glue between the world and
 * the unit state machine (unit.h).
 *
 * The loop (loop.h) watches a signalfd (SIGCHLD and the shutdown signals),
 * one timerfd armed for the earliest unit deadline, each unit's log pipe
 * and start/delete helper pipe, the console when it has queued output, and
 * whatever other modules register (control socket, notify sockets, power
 * buttons, uevents), each watch with its own callback.  Nothing sleeps and
 * nothing polls.  This file forks the helpers, reaps, and turns each of
 * those into a unit event; it never writes a unit's state.
 */
#ifndef KEEL_INIT_SUPERVISOR_H
#define KEEL_INIT_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/console.h"
#include "init/devwait.h"
#include "init/graph.h"
#include "init/logring.h"
#include "init/options.h"
#include "init/launch.h"
#include "init/loop.h"
#include "init/mounter.h"
#include "init/policy.h"
#include "init/unit.h"
#include "runtime/container.h"
#include "runtime/spec.h"

enum shutdown_action { SD_NONE, SD_POWEROFF, SD_REBOOT, SD_HALT, SD_EXIT };

struct sup {
	struct init_opts *opts;
	struct console *con;
	struct keel_runtime rt;
	struct unit *units;
	size_t n_units;
	size_t cap_units;       /* allocated: n_units + room for a reload's additions */
	struct reload *reload;  /* the reload under way (reload.c), NULL when none */
	struct commit *commit;  /* updates' commit deadlines (commit.c), NULL until one */
	struct graph graph;
	struct unit_set set; /* the lifecycle of units[] (unit.c) */
	struct loop loop;

	int sigfd, timerfd, devnull;
	struct watch w_signal, w_timer, w_console, w_devices;
	struct devwait *devwait; /* kernel uevents, when some entry waits for devices */
	struct mounter *mounts;  /* fstab at boot (main.c), NULL: none read (mounter.h) */
	struct pidmap {
		pid_t *pid; /* 0 free, -1 removed */
		size_t *unit;
		size_t cap, used;
	} pids; /* helper and container pids -> unit, for the reaper */
	bool console_watched;
	uint64_t timer_armed;

	/* exits of pids not yet known (reaped before the helper reported) */
	struct {
		pid_t pid;
		int status;
		uint64_t ms; /* when it was reaped */
	} orphans[64];
	size_t n_orphans, orphan_next;
	uint64_t last_sweep_ms, sweep_due_ms; /* waitpid(-1) at most every 100 ms */

	enum shutdown_action shutdown;
	bool shutting_down;
	uint64_t kill_all_deadline; /* final SIGKILL sweep at shutdown */
	bool kill_all_sent;
	int exit_code;
	bool all_ready_reported;
	uint64_t start_ms;
	/* keelctl boot-time (unit_clock_us): keel's first instruction, the
	 * machine set up (mounts, modules, cgroups), containers.d read, the
	 * startup settled ("Startup finished"); set by main.c and here. */
	uint64_t keel_start_us, setup_us, loaded_us, settled_us;
	/* Before keel_start_us (0: unknown): PID 1's first instruction, before
	 * the re-exec from its protected copy (keel_init_stamp_start), and
	 * the end of leaving the initramfs (0: nothing to leave). */
	uint64_t pid1_start_us, switched_us;
	pid_t shell_pid; /* emergency shell after an essential failure (boot mode) */
};

/* Read containers.d, validate everything, build the graph (entries.c). */
int sup_load (struct sup *s, struct keel_error **err);
/* The same for entries given by name and directory (each NAMES[i] and
 * DIRS[i] malloc'd, taken over): `keel check` validates with this. */
void sup_load_units (struct sup *s, size_t n, char **names, char **dirs);
/* The sorted names of the entry directories of a containers.d. */
int sup_list_entries (const char *dir, char ***names, size_t *n, struct keel_error **err);
/* One entry read and validated as at boot, for reload.c (u->name, dir,
 * policy_file set; report: say what is broken on the console), its
 * fingerprint taken. */
void sup_load_entry (struct sup *s, struct unit *u, bool report);

int sup_init (struct sup *s, struct init_opts *opts, struct console *con, struct keel_error **err);
/* Hand the loaded units to the state machine (before anything can send
 * them events); sup_run does it if not done yet. */
void sup_start_units (struct sup *s);
/* Run until shutdown completes; returns the action to take. */
enum shutdown_action sup_run (struct sup *s);
void sup_free (struct sup *s);

/* Used by control.c, main.c and shutdown.c. */
void sup_request_shutdown (struct sup *s, enum shutdown_action a, const char *why);
size_t sup_find (const struct sup *s, const char *name);
/* Feed one unit event (control requests) and report whether it applied. */
int sup_unit_event (struct sup *s, size_t i, enum unit_event ev);

#endif
