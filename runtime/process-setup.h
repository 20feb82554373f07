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
	/* linux.seccomp, loaded here before capabilities are dropped when
	 * process.noNewPrivileges is false; otherwise the caller loads it
	 * with process_load_seccomp() as late as it can. */
	const struct spec_seccomp *seccomp;
	int sync_fd; /* where a notify listener fd goes (SYNC_SECCOMP) */
};

/* rlimits, scheduler, I/O priority, personality, seccomp (without
 * no_new_privs), user and groups, capabilities, cwd (checked to be inside
 * the root), no_new_privs -- runc's order: what needs privileges first,
 * then the user switch, then capabilities. */
int process_setup_apply (const struct process_setup *ps, struct keel_error **err);

/* Load sc (nothing when absent); a filter with SCMP_ACT_NOTIFY hands its
 * listener fd to the runtime over sync_fd, which passes it on to
 * linux.seccomp.listenerPath. */
int process_load_seccomp (const struct spec_seccomp *sc, bool nnp, int sync_fd,
                          struct keel_error **err);

/* After chdir: getcwd(2) gives a path that does not start with '/' when
 * the directory is not under our root, e.g. reached through a leaked fd
 * (runc checks the same since 1.1.12). */
int process_check_cwd_inside (const char *cwd, struct keel_error **err);

#endif
