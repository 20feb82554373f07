/* /proc/PID/cgroup: the one reader of that kernel format in keel.
 *
 * Only the unified hierarchy's line ("0::PATH") is read; PATH is as the
 * reading process's cgroup namespace shows it.  PID 1 uses it to learn a
 * container's cgroup (notify sender checks, cgroup.kill) and its own (so
 * it never kills the cgroup it lives in); the runtime for its own cgroup.
 */
#ifndef KEEL_LIB_PROCCGROUP_H
#define KEEL_LIB_PROCCGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

/* The "0::" path of pid (0: the caller); *out is malloc'd. */
int proc_cgroup (pid_t pid, char **out, struct keel_error **err);

/* Parse a /proc/PID/cgroup text (NUL-terminated); NULL without a "0::" line. */
char *proc_cgroup_parse (const char *text);

/* Whether cg is root or below it, by path component ("/a/b" is within
 * "/a", "/ab" is not). */
bool cgroup_path_within (const char *cg, const char *root);

#endif
