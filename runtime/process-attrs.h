/* Per-process attributes of the container process, each applied by one
 * function in the container process (or, for the ones that need host
 * privileges, before joining a user namespace; see each comment). */
#ifndef KEEL_PROCESS_ATTRS_H
#define KEEL_PROCESS_ATTRS_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* setrlimit() every process.rlimits entry.  Raising a hard limit above the
 * current one needs CAP_SYS_RESOURCE, so call it before capabilities are
 * dropped. */
int process_apply_rlimits (const struct spec_process *p, struct keel_error **err);

/* Write process.oomScoreAdj to /proc/self/oom_score_adj (no-op when absent).
 * Lowering it needs CAP_SYS_RESOURCE in the initial user namespace. */
int process_apply_oom_score_adj (const struct spec_process *p, struct keel_error **err);

/* sched_setattr() with process.scheduler (no-op when absent). */
int process_apply_scheduler (const struct spec_process *p, struct keel_error **err);

/* ioprio_set(IOPRIO_WHO_PROCESS, 0, ...) with process.ioPriority. */
int process_apply_io_priority (const struct spec_process *p, struct keel_error **err);

/* sched_setaffinity() of the calling process to a cpu list as in cpuset
 * ("0-3,7"): process.execCPUAffinity (1.2) "initial" is for the process
 * joining the container, "final" once it is in the container's cgroup.
 * No-op when cpus is NULL. */
int process_apply_cpu_affinity (const char *cpus, struct keel_error **err);

/* personality() with linux.personality (no-op when !pers->present). */
int personality_apply (const struct spec_personality *pers, struct keel_error **err);

/* setgroups(additionalGids) unless setgroups is denied in the user namespace
 * (in_userns_without_setgroups: then additionalGids must be empty) or
 * u->keep_original_groups keeps the caller's groups, then
 * setresgid, setresuid, and umask when u->has_umask.  The caller sets
 * PR_SET_KEEPCAPS first if capabilities must survive a non-zero uid.
 * The ids change for the calling thread only (the system calls, not
 * libc's all-threads wrappers): for a process of one thread. */
int user_apply (const struct spec_user *u, bool in_userns_without_setgroups,
                struct keel_error **err);

/* Check every linux.sysctl key as runc does (only sysctls namespaced by a
 * namespace the container has: ipc for kernel.msg*, kernel.sem, kernel.shm*,
 * fs.mqueue.*; network for net.*; uts for kernel.hostname/domainname) and
 * write them under /proc/sys.  Call it in the container's namespaces with
 * its /proc mounted. */
int sysctl_validate (const struct spec_map *m, const struct spec *s, struct keel_error **err);
int sysctl_apply (const struct spec_map *m, const struct spec *s, struct keel_error **err);

#endif
