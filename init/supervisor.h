/* The supervisor: PID 1's single event loop and the state of every
 * containers.d entry ("unit").
 *
 * One epoll set watches a signalfd (SIGCHLD and the shutdown signals), one
 * timerfd armed for the earliest unit deadline (restart delay, start
 * timeout, stop timeout), each unit's log pipe, launch/delete helper pipes
 * and notify socket, the control socket and its clients, and the console
 * when it has queued output.  Nothing sleeps and nothing polls.
 *
 * Unit life:  WAITING -> STARTING -> RUNNING -> READY ... -> EXITED
 *   -> CLEANUP (delete helper) -> RESTART_WAIT -> STARTING ... or
 *   -> DONE (oneshot exited 0) / FAILED / BLOCKED / STOPPED.
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
#include "init/powerbutton.h"
#include "init/policy.h"
#include "init/launch.h"
#include "init/restart.h"
#include "init/tmpfiles.h"
#include "runtime/container.h"
#include "runtime/spec.h"

enum unit_state {
	U_WAITING,      /* for its dependencies */
	U_STARTING,     /* launch helper running */
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
};

enum unit_after_exit { AFTER_DECIDE, AFTER_STOP, AFTER_RESTART };

/* What an epoll event belongs to. */
enum watch_kind {
	W_SIGNAL,
	W_TIMER,
	W_LOG,
	W_HELPER,
	W_NOTIFY,
	W_CONTROL,
	W_CLIENT,
	W_CONSOLE,
	W_DEVICES,
	W_BUTTON, /* unit: index in sup.buttons */
};
struct watch {
	enum watch_kind kind;
	size_t unit; /* for unit watches */
	void *ptr;   /* W_CLIENT */
};

struct unit {
	char *name;
	char *dir;         /* containers.d/NAME */
	char *policy_file; /* containers.d/NAME/keel.json, as shown in messages */
	struct policy policy;
	bool has_policy;
	struct spec *spec;
	struct tmpfiles tmpfiles; /* NAME/tmpfiles.conf, applied before the first start */
	bool tmpfiles_applied;
	char *error; /* why it is broken / failed (last message) */

	enum unit_state state;
	enum unit_after_exit after_exit; /* what to do once the process is gone */
	pid_t pid;                       /* container process, 0 when none */
	bool pid_known;                  /* helper reported the pid */
	char *cgroup;                    /* from /proc/PID/cgroup, for notify checks */
	int exit_status;                 /* wait status of the last exit */
	bool exited;                     /* the process has been reaped */
	bool forced_failure;             /* start timeout or failed start: not a clean exit */
	bool blocked;                    /* being stopped because a requirement failed */
	bool device_wait_reported;       /* "Waiting for device" printed */
	uint64_t started_ms, ready_ms, exit_ms;

	pid_t helper;
	int helper_fd;
	enum { H_NONE, H_START, H_DELETE } helper_op;
	char *helper_buf; /* LAUNCH_REPORT_MAX bytes while a helper runs */
	size_t helper_len;
	bool helper_exited;
	int helper_status;

	uint64_t deadline_ms; /* 0: no timer */
	enum { T_NONE, T_RESTART, T_START_TIMEOUT, T_STOP_TIMEOUT } timer;

	int log_r, log_w; /* pipe: container stdout+stderr -> PID 1 */
	struct logsink log;
	int notify_fd; /* -1 unless readiness notify */
	char *notify_dir;
	char *notify_status; /* last STATUS= */

	struct restart_state restart;
	unsigned restarts;
	struct watch w_log, w_helper, w_notify;
};

enum shutdown_action { SD_NONE, SD_POWEROFF, SD_REBOOT, SD_HALT, SD_EXIT };

struct sup {
	struct init_opts *opts;
	struct console *con;
	struct keel_runtime rt;
	struct unit *units;
	size_t n_units;
	struct graph graph;

	int epfd, sigfd, timerfd, ctlfd, devnull;
	struct watch w_signal, w_timer, w_control, w_console, w_devices;
	struct devwait *devwait; /* kernel uevents, when some entry waits for devices */
	struct {
		int fd; /* -1 once dropped */
		struct watch w;
	} buttons[POWERBUTTON_MAX]; /* power button devices (boot mode) */
	size_t n_buttons;
	bool console_watched;
	uint64_t timer_armed;

	/* exits of pids not yet known (reaped before the helper reported) */
	struct {
		pid_t pid;
		int status;
		uint64_t ms; /* when it was reaped */
	} orphans[64];
	size_t n_orphans, orphan_next;

	enum shutdown_action shutdown;
	bool shutting_down;
	uint64_t kill_all_deadline; /* final SIGKILL sweep at shutdown */
	bool kill_all_sent;
	int exit_code;
	struct ctl_client *clients;
	size_t n_clients;
	bool all_ready_reported;
	uint64_t start_ms;
	pid_t shell_pid; /* emergency shell after an essential failure (boot mode) */
};

/* Read containers.d, validate everything, build the graph (entries.c). */
int sup_load (struct sup *s, struct keel_error **err);
/* The same for entries given by name and directory (each NAMES[i] and
 * DIRS[i] malloc'd, taken over): `keel check` validates with this. */
void sup_load_units (struct sup *s, size_t n, char **names, char **dirs);
/* The sorted names of the entry directories of a containers.d. */
int sup_list_entries (const char *dir, char ***names, size_t *n, struct keel_error **err);

int sup_init (struct sup *s, struct init_opts *opts, struct console *con, struct keel_error **err);
/* Run until shutdown completes; returns the action to take. */
enum shutdown_action sup_run (struct sup *s);
void sup_free (struct sup *s);

/* Used by control.c and shutdown.c. */
const char *unit_state_name (enum unit_state st);
void sup_request_shutdown (struct sup *s, enum shutdown_action a, const char *why);
int sup_unit_stop (struct sup *s, size_t i, bool manual);
int sup_unit_start (struct sup *s, size_t i, bool manual);
void sup_unit_ready (struct sup *s, size_t i);
void sup_after_cleanup (struct sup *s, size_t i);
size_t sup_find (const struct sup *s, const char *name);
int sup_watch (struct sup *s, int fd, uint32_t events, struct watch *w);
void sup_unwatch (struct sup *s, int fd);

#endif
