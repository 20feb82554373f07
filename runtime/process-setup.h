/* The attributes the container process gives itself before execve, shared
 * by create (the container's init) and exec (any later process), so both
 * get the same rlimits, scheduler, user, capabilities, cwd check and
 * no_new_privs in the same order. */
#ifndef KEEL_PROCESS_SETUP_H
#define KEEL_PROCESS_SETUP_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

struct process_setup {
	const struct spec_process *process;
	const struct spec_personality *personality; /* NULL: leave it alone */
	bool setgroups_denied;                      /* user_apply()'s flag */
	/* linux.seccomp: the caller loads it last, with
	 * process_load_seccomp(); without no_new_privs that needs
	 * CAP_SYS_ADMIN, which process_setup_apply() keeps for it. */
	const struct spec_seccomp *seccomp;
};

/* cwd (before the user switch, and after it only if that failed, as runc),
 * rlimits, scheduler, I/O priority, personality, user and groups,
 * capabilities, the cwd check (inside the root), no_new_privs -- runc's
 * order: what needs privileges first, then the user switch, then
 * capabilities.  *kept_cap: a capability left effective for loading the
 * filter (-1: none), for process_load_seccomp() to drop. */
int process_setup_apply (const struct process_setup *ps, int *kept_cap, struct keel_error **err);

/* Load sc (nothing when absent), then drop kept_cap.  A filter with
 * SCMP_ACT_NOTIFY hands its listener fd to the runtime over sync_fd: by
 * number (SYNC_SECCOMP's status, taken with pidfd_getfd: sendmsg may be a
 * call the filter itself notifies) when fd_by_number, else with
 * SCM_RIGHTS. */
int process_load_seccomp (const struct spec_seccomp *sc, const struct spec_caps *caps, int kept_cap,
                          int sync_fd, bool fd_by_number, struct keel_error **err);

/* After chdir: getcwd(2) gives a path that does not start with '/' when
 * the directory is not under our root, e.g. reached through a leaked fd
 * (runc checks the same since 1.1.12). */
int process_check_cwd_inside (const char *cwd, struct keel_error **err);

#endif
