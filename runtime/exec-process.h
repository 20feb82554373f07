/* exec: one more process in a running container (runc's `exec`).
 *
 * The process joins every namespace of the container's init that differs
 * from the caller's (user and time included), its cgroup (or a sub-cgroup
 * of it), and gets its attributes exactly as the init got them
 * (process-setup.c) plus the container's linux.seccomp.  It is made in two
 * steps: an intermediate process enters the cgroup and the namespaces (the
 * pid namespace only applies to children), then clones the process itself
 * as a child of the caller (CLONE_PARENT) and exits.  Both are non-dumpable
 * and hold no fd of the caller but stdio and the preserved ones before
 * anything of the container is resolved.
 */
#ifndef KEEL_EXEC_PROCESS_H
#define KEEL_EXEC_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/container.h"
#include "runtime/spec.h"

struct keel_exec_opts {
	const struct spec *config;          /* the container's config: linux.seccomp */
	const struct spec_process *process; /* what to run */
	const char *sub_cgroup;      /* --cgroup: a path under the container's cgroup, or NULL */
	char *const *sub_cgroup_ctl; /* --cgroup CTRL[,CTRL]:PATH (cgroup v1), n_sub_cgroup_ctl */
	size_t n_sub_cgroup_ctl;
	const char *console_socket; /* process->terminal: where the pty master goes */
	int preserve_fds;           /* fds 3 .. 3+n-1 are passed on */
	bool ignore_paused;
};

/* Run o->process in container id.  *pid gets its pid (a child of the
 * caller, to reap).  Returns once it has called execve; a failure before
 * that (a missing executable, a cwd outside the root) is the error, in
 * the process's own words, and the process is reaped.  A stopped container
 * is refused ("cannot exec in a stopped container"), a paused one too
 * unless o->ignore_paused, as runc words them. */
int keel_container_exec (const struct keel_runtime *rt, const char *id,
                         const struct keel_exec_opts *o, pid_t *pid, struct keel_error **err);

#endif
