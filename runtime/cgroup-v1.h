/* cgroup v1 (legacy) and hybrid hosts: a container's cgroup in every
 * mounted v1 hierarchy, as runc's cgroupfs driver does.
 *
 * On a hybrid host (v1 controllers, cgroup2 at /sys/fs/cgroup/unified with
 * no controllers) the container also gets its cgroup in the unified
 * hierarchy (cgroup.c): that one holds all its processes for kill, ps and
 * "is it empty", while every limit goes to the v1 hierarchies (the device
 * filter too, unless no v1 hierarchy has the devices controller: see
 * cgroup_devices_via).  On a legacy
 * host (no cgroup2 at all) the v1 cgroups are all there is.  A pure v2 host
 * never reaches this file.
 *
 * A container's v1 cgroups are a list of absolute directories, one per
 * hierarchy (state.json's "cgroupV1Paths"); the functions below take it.
 */
#ifndef KEEL_CGROUP_V1_H
#define KEEL_CGROUP_V1_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

enum cgroup_mode {
	CGROUP_MODE_UNIFIED, /* cgroup2 only: cgroup.c alone */
	CGROUP_MODE_HYBRID,  /* v1 controllers plus a cgroup2 mount */
	CGROUP_MODE_LEGACY,  /* v1 hierarchies only */
};

/* Decided once from /proc/self/mountinfo: unified when cgroup2 is mounted
 * on /sys/fs/cgroup or when no v1 hierarchy with a controller is mounted
 * (a lone name=systemd mount next to cgroup2 does not make a hybrid host). */
enum cgroup_mode cgroup_mode (void);
/* cgroup2 is what /sys/fs/cgroup is (statfs(2); a yes is kept). */
bool cgroup_v2_on_sys_fs_cgroup (void);

/* Where a container's device filter (linux.resources.devices, or the
 * default list) is enforced: by the v1 devices controller when a v1
 * hierarchy has it, else by the eBPF program on the container's cgroup2
 * cgroup (cgroup-devices.h), which the kernel runs for a task's cgroup in
 * the unified hierarchy whatever v1 does: a pure v2 host, or a hybrid one
 * that mounts no v1 devices hierarchy.  NONE is a legacy host without the
 * devices hierarchy: no filter is possible there, and create refuses the
 * container rather than give it every host device (runc 1.1 refuses too,
 * "mountpoint for devices not found"). */
enum cgroup_devices_via {
	CGROUP_DEVICES_V1,
	CGROUP_DEVICES_BPF,
	CGROUP_DEVICES_NONE,
};

/* For a new container, from this host's mounts (mode is cgroup_mode ()). */
enum cgroup_devices_via cgroup_devices_via (enum cgroup_mode mode);
/* For an existing one (update), from the cgroups it was given: V1 when one
 * of its v1 directories (paths) is in a hierarchy with the devices
 * controller, BPF when cgroup_path is a cgroup2 directory. */
enum cgroup_devices_via cgroup_devices_via_container (const struct spec_strv *paths,
                                                      const char *cgroup_path);

/* Read the v1 hierarchies from /proc/self/mountinfo, once per process (the
 * same pass tells cgroup.c where cgroup2 is mounted). */
void cgroup_v1_load (void);

/* The mount point of the i-th v1 hierarchy (each hierarchy once, in
 * mountinfo's order), NULL past the last.  A forked child gets the list
 * its parent read. */
const char *cgroup_v1_mountpoint (size_t i);

/* Resolve cgroupsPath in every mounted v1 hierarchy (named ones such as
 * name=systemd too), with cgroup.c's rules: "/a/b" under the hierarchy's
 * mount point, a relative "a/b" under the parent of the caller's own cgroup
 * in that hierarchy (/proc/self/cgroup), NULL -> default_rel under the
 * mount point.  Create the directories (in cpuset, the container's gets
 * its parent's cpus and mems, and so does every level above it that has
 * none, or no task could join it), and apply res.  paths gets one
 * absolute directory per hierarchy, made (when not NULL) those of the
 * directories this call made (cgroup_create's).  A resource no v1
 * controller can take is an error naming its JSON path, before anything
 * is made; on failure the directories made are removed again. */
int cgroup_v1_create (const char *cgroups_path, const char *default_rel,
                      const struct spec_resources *res, struct spec_strv *paths,
                      struct spec_strv *made, struct keel_error **err);
/* The directories cgroup_v1_create would make (same order), made not:
 * create records them first (cgroup.h's cgroup_resolve). */
int cgroup_v1_resolve (const char *cgroups_path, const char *default_rel, struct spec_strv *paths,
                       struct keel_error **err);
/* cgroup_v1_create after its cgroup_v1_resolve: paths as that gave them. */
int cgroup_v1_make (const struct spec_strv *paths, const struct spec_resources *res,
                    struct spec_strv *made, struct keel_error **err);
/* Move pid into every one of the container's v1 cgroups. */
int cgroup_v1_enter (const struct spec_strv *paths, pid_t pid, struct keel_error **err);
/* Move the calling thread into every one of paths ("0" to each `tasks`):
 * for a single-threaded process, the process.  A thread moving itself is
 * the one v1 migration for which the kernel does not take
 * cgroup_threadgroup_rwsem for writing, whose percpu_down_write waits for
 * an RCU grace period: writing another process's pid to cgroup.procs
 * (cgroup_v1_enter) cost ~9 ms of wall time at the first write after a
 * pause (measured on a 6.18 kernel), and an isolated `run` about 15 ms.
 * The kernel checks the caller's credentials as it would the parent's
 * write: not from a new or joined user namespace, where the caller is no
 * longer the runtime's user. */
int cgroup_v1_join_self (const struct spec_strv *paths, struct keel_error **err);
/* exec --cgroup on v1: each of the container's directories (paths) with
 * the sub-cgroup it gets, into *out (same order; free with
 * cgroup_v1_strv_free): `all` (a plain PATH) for every hierarchy, or
 * from specs "CTRL[,CTRL]:PATH" the PATH named for a controller of its
 * hierarchy; a hierarchy no spec names keeps its directory.  A controller
 * none of the container's hierarchies has is an error, as with runc.  The
 * PATHs were checked by the caller (no ".."). */
int cgroup_v1_sub_paths (const struct spec_strv *paths, const char *all, char *const *specs,
                         size_t n_specs, struct spec_strv *out, struct keel_error **err);
void cgroup_v1_strv_free (struct spec_strv *v);
/* Write res into the hierarchies whose controllers take each part. */
int cgroup_v1_apply_resources (const struct spec_strv *paths, const struct spec_resources *res,
                               struct keel_error **err);
/* The device list of a config without linux.resources.devices: deny all,
 * then the devices every container may use (as runc and crun), in each
 * hierarchy that has the devices controller; an error when none of paths
 * is in one (the filter is never silently left out). */
int cgroup_v1_devices_default (const struct spec_strv *paths, struct keel_error **err);
/* freezer.state FROZEN / THAWED, waiting until the kernel reports it. */
int cgroup_v1_freeze (const struct spec_strv *paths, bool frozen, struct keel_error **err);
/* true when the container's freezer cgroup is FROZEN (or FREEZING). */
bool cgroup_v1_is_frozen (const struct spec_strv *paths);
/* true when cgroup.procs of dir and of every cgroup below it is empty
 * (v1 has no cgroup.events). */
int cgroup_v1_is_empty (const char *dir, bool *empty, struct keel_error **err);
/* rmdir every directory of paths, children first; EBUSY while processes
 * remain (after a short wait for exiting ones). */
int cgroup_v1_destroy (const struct spec_strv *paths, struct keel_error **err);
/* One rmdir of each directory of paths, no wait and no walk: true when
 * every one is gone (or was never there).  The kernel refuses the rmdir
 * of a cgroup that still holds a process or a child cgroup, so a false
 * says only that something is left for cgroup_v1_destroy. */
bool cgroup_v1_remove_if_empty (const struct spec_strv *paths);
void cgroup_v1_paths_free (struct spec_strv *paths);

/* Shared with cgroup.c (v2 and each v1 hierarchy): where a container's
 * cgroup goes in the hierarchy mounted at root.  cgroupsPath (default_rel
 * when it is NULL) is taken under root when absolute; a relative one
 * under the parent of the caller's own cgroup, which own_fn (called with
 * arg, only then) gives relative to root.  Components "." and ".." are
 * refused, and so is the root cgroup itself.  *out is malloc'd. */
typedef int cgroup_own_fn (const void *arg, char **own, struct keel_error **err);
int cgroup_path_resolve (const char *root, cgroup_own_fn *own_fn, const void *arg,
                         const char *cgroups_path, const char *default_rel, char **out,
                         struct keel_error **err);
/* mkdir -p of abs (below root, as cgroup_path_resolve makes it), a level
 * at a time: before(arg, PARENT, false) ahead of each level (v2: the
 * controllers enabled in the parent), after(arg, DIR, MADE) once the level
 * is there, MADE when this call made it (v1's cpuset: cpus and mems from
 * the parent); either may be NULL.  Without before, the leaf is tried
 * first and the levels above are made only when one is missing: after
 * then sees the leaf alone, and fills what it needs above it itself.
 * made gets the directories this call made, shallowest first:
 * cgroup_mkdirs_undo removes them deepest first (a failure to is only
 * logged, at debug level) and frees the list; cgroup_v1_paths_free only
 * frees it. */
typedef int cgroup_dir_fn (void *arg, const char *dir, bool made, struct keel_error **err);
int cgroup_mkdir_p (const char *root, const char *abs, cgroup_dir_fn *before, cgroup_dir_fn *after,
                    void *arg, struct spec_strv *made, struct keel_error **err);
void cgroup_mkdirs_undo (struct spec_strv *made);
/* Move the directories of made to the end of to (NULL: drop them), made
 * is left empty. */
void cgroup_made_take (struct spec_strv *to, struct spec_strv *made);
/* Append s (taken) to v, which stays NULL-terminated. */
void cgroup_paths_push (struct spec_strv *v, char *s);

#endif
