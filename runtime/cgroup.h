/* cgroup v2 for containers: placement, resources, freeze, kill, removal.
 *
 * This file drives the unified hierarchy: /sys/fs/cgroup on a pure v2 host
 * (the kernel keel boots), /sys/fs/cgroup/unified on a hybrid one.  On
 * hybrid and legacy hosts the container also gets a cgroup in every v1
 * hierarchy and its resources go there (cgroup-v1.h); the unified cgroup
 * then holds its processes, and its device filter when no v1 hierarchy has
 * the devices controller (cgroup_devices_via).
 */
#ifndef KEEL_CGROUP_H
#define KEEL_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* The mount point of the unified hierarchy, or NULL when there is none. */
const char *cgroup_unified_root (void);

struct mountinfo;
/* For cgroup-v1.c's pass over /proc/self/mountinfo: note a cgroup2 mount,
 * so cgroup_unified_root need not read the file again. */
void cgroup_unified_note (const struct mountinfo *m);

/* Resolve cgroupsPath (absolute, relative, or NULL -> default_rel) to an
 * absolute directory under the unified root, create it and its parents
 * (enabling the controllers the resources need in each parent's
 * subtree_control), and apply res.  *abs_path gets the malloc'd path.
 * "/a/b" is under the unified root; a relative "a/b" is joined under the
 * parent of the caller's own cgroup, as runc does; default_rel is always
 * under the unified root (as crun's default).  ".." is refused.  On failure
 * the directories it made are removed again; on success they are appended
 * to made (when not NULL, shallowest first: cgroup_made_take), so that a
 * create that fails later removes what it made and only that.  A cgroup
 * that already has processes is used anyway, with a warning in the log
 * (runc 1.1). */
int cgroup_create (const char *cgroups_path, const char *default_rel,
                   const struct spec_resources *res, char **abs_path, struct spec_strv *made,
                   struct keel_error **err);
/* cgroup_create's *abs_path without making anything: create records it
 * before it makes the cgroup, so that a create killed halfway leaves a
 * state directory whose delete finds the cgroup (container.c). */
int cgroup_resolve (const char *cgroups_path, const char *default_rel, char **abs_path,
                    struct keel_error **err);
/* cgroup_create after its cgroup_resolve: abs_path as that gave it; with
 * dirfd, the cgroup's directory open (O_DIRECTORY, for CLONE_INTO_CGROUP
 * and the device filter) goes there, and the resources are applied
 * through it. */
int cgroup_make (const char *abs_path, const struct spec_resources *res, struct spec_strv *made,
                 int *dirfd, struct keel_error **err);
int cgroup_enter (const char *abs_path, pid_t pid, struct keel_error **err);
int cgroup_apply_resources (const char *abs_path, const struct spec_resources *res,
                            struct keel_error **err);
/* Signal every process in the cgroup (cgroup.kill for SIGKILL). */
int cgroup_kill (const char *abs_path, int signo, struct keel_error **err);
int cgroup_freeze (const char *abs_path, bool frozen, struct keel_error **err);
/* Whether a task put into the cgroup (dirfd, opened on abs_path) would be
 * held frozen: "frozen 1" in its cgroup.events, which a new cgroup under
 * a frozen parent shows at once (its own cgroup.freeze stays 0), or a
 * populated one whose cgroup.freeze is 1 and is still freezing. */
bool cgroup_frozen_at (int dirfd, const char *abs_path);
/* true when cgroup.procs (recursively) is empty */
int cgroup_is_empty (const char *abs_path, bool *empty, struct keel_error **err);
/* Remove the cgroup (and its empty children); fails with EBUSY while
 * processes remain. */
int cgroup_destroy (const char *abs_path, struct keel_error **err);

/* For cgroup.c and cgroup-v1.c only: write value to DIR/FILE (an error
 * naming the file and value), printf-style, and whether DIR/FILE exists. */
int cg_write (const char *dir, const char *file, const char *value, struct keel_error **err);
int cg_writef (const char *dir, const char *file, struct keel_error **err, const char *fmt, ...)
        __attribute__ ((format (printf, 4, 5)));
bool cg_exists (const char *dir, const char *file);
/* A cgroup file that holds one value (cpuset.cpus, freezer.state,
 * cgroup.events) into *out (malloc'd, trailing newline and spaces cut):
 * DIR/FILE, or FILE under dirfd when dirfd >= 0 (dir then only names it
 * in errors).  One read(2): the kernel shows such a file in one piece, so
 * a read that does not fill the buffer got all of it, and the read that
 * would only see the end of the file is not made. */
int cg_read_value (int dirfd, const char *dir, const char *file, char **out,
                   struct keel_error **err);
/* Whether a resources section asks for anything (v1 and v2 alike), and
 * whether a config-given name is safe as a file name in a cgroup dir. */
bool cg_memory_set (const struct spec_memory *m);
bool cg_cpu_set (const struct spec_cpu *c);
bool cg_blkio_set (const struct spec_blkio *b);
bool cg_safe_file_name (const char *name);
/* linux.resources.rdma to DIR/rdma.max, the same file on v1 and v2. */
int cg_apply_rdma (const char *dir, const struct spec_resources *res, struct keel_error **err);

#endif
