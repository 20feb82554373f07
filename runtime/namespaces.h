/* linux.namespaces: which namespaces the container process is cloned into,
 * which it joins by path, and the user namespace id maps.
 *
 * keel creates the container process with one clone3() carrying every new
 * namespace it can (user, pid, mount, network, ipc, uts).  Two are
 * unshared by the child instead: cgroup (its root must be the container's
 * cgroup, which the child is in only once clone3 placed it there) and time
 * (offsets can only be written before a process enters the namespace; the
 * child enters it at execve).  Namespaces given by path are joined by the
 * parent around the clone, so the child is born in them (and setns on a pid
 * namespace only affects children anyway); only a user namespace given by
 * path is joined by the child, which then unshares the new ones in it.
 */
#ifndef KEEL_NAMESPACES_H
#define KEEL_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

struct ns_plan {
	unsigned long clone_flags;   /* CLONE_NEW* for clone3 */
	unsigned long unshare_flags; /* joining a user ns: new ones unshared after it */
	bool unshare_cgroup, unshare_time;
	bool new_user, new_pid, new_mount, new_uts;
	bool in_userns, has_uts; /* new or joined */
	/* Joining a user namespace with a new pid namespace: the child unshares
	 * it and forks the container process, which is its first member. */
	bool fork_after_join;
	int join_fd[NS_KIND_MAX]; /* -1, or an fd of the namespace to join */
};

/* Work out the plan and open every namespace path (close with ns_plan_close). */
int ns_plan_make (const struct spec *s, struct ns_plan *p, struct keel_error **err);
void ns_plan_close (struct ns_plan *p);

/* Parent, around clone: join every namespace given by path except user
 * (the child is born in them: a namespace owned by the host could not be
 * joined from inside a new user namespace) and return to ours afterwards. */
struct ns_saved {
	int fd[NS_KIND_MAX];
	int cwd;
};
int ns_parent_enter (const struct ns_plan *p, struct ns_saved *sv, struct keel_error **err);
int ns_parent_restore (struct ns_saved *sv, struct keel_error **err);

/* Parent: write the child's uid_map and gid_map (setgroups "deny" first
 * when we lack CAP_SETGID, as the kernel then requires). */
int ns_write_id_maps (pid_t pid, const struct spec *s, struct keel_error **err);

/* Write one id map ("uid_map"/"gid_map") of pid. */
int ns_write_map (pid_t pid, const char *file, const struct spec_idmapping *m, size_t n,
                  struct keel_error **err);

/* A user namespace with these mappings and no process in it (for
 * idmapped mounts): *fd gets an fd of it. */
int ns_new_userns (const struct spec_idmapping *uid, size_t n_uid, const struct spec_idmapping *gid,
                   size_t n_gid, int *fd, struct keel_error **err);

/* Child: join the user namespace given by path, then unshare the new
 * namespaces inside it (fork_after_join: the caller then forks). */
int ns_join_paths (const struct ns_plan *p, struct keel_error **err);
/* Child, after it is in its cgroup: unshare cgroup and time namespaces,
 * writing linux.timeOffsets. */
int ns_unshare_late (const struct ns_plan *p, const struct spec *s, struct keel_error **err);

#endif
