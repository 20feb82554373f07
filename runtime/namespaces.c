/* See namespaces.h. */
#include "runtime/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int ns_flag (enum spec_ns_kind k)
{
	static const int flags[NS_KIND_MAX] = {
	        [NS_PID] = CLONE_NEWPID,       [NS_NETWORK] = CLONE_NEWNET,
	        [NS_MOUNT] = CLONE_NEWNS,      [NS_IPC] = CLONE_NEWIPC,
	        [NS_UTS] = CLONE_NEWUTS,       [NS_USER] = CLONE_NEWUSER,
	        [NS_CGROUP] = CLONE_NEWCGROUP, [NS_TIME] = CLONE_NEWTIME,
	};
	return flags[k];
}

void ns_plan_close (struct ns_plan *p)
{
	for (int k = 0; k < NS_KIND_MAX; k++)
		if (p->join_fd[k] >= 0) {
			close (p->join_fd[k]);
			p->join_fd[k] = -1;
		}
}

int ns_plan_make (const struct spec *s, struct ns_plan *p, struct keel_error **err)
{
	memset (p, 0, sizeof *p);
	for (int k = 0; k < NS_KIND_MAX; k++)
		p->join_fd[k] = -1;
	for (size_t i = 0; i < s->linux_.n_namespaces; i++) {
		const struct spec_namespace *ns = &s->linux_.namespaces[i];

		if (ns->path && *ns->path) {
			int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				keel_error (err, errno, "linux.namespaces[%zu]: %s namespace `%s`",
				            i, spec_ns_name (ns->kind), ns->path);
				ns_plan_close (p);
				return -1;
			}
			if (p->join_fd[ns->kind] >= 0)
				close (p->join_fd[ns->kind]);
			p->join_fd[ns->kind] = fd;
			continue;
		}
		switch (ns->kind) {
		case NS_CGROUP:
			p->unshare_cgroup = true;
			break;
		case NS_TIME:
			p->unshare_time = true;
			break;
		default:
			p->clone_flags |= (unsigned long)ns_flag (ns->kind);
		}
	}
	p->new_user = p->clone_flags & CLONE_NEWUSER;
	p->new_pid = p->clone_flags & CLONE_NEWPID;
	p->new_mount = p->clone_flags & CLONE_NEWNS;
	p->new_uts = p->clone_flags & CLONE_NEWUTS;
	p->in_userns = p->new_user || p->join_fd[NS_USER] >= 0;
	p->has_uts = p->new_uts || p->join_fd[NS_UTS] >= 0;
	/* Joining a user namespace: the new ones must be created inside it, so
	 * the child unshares them after setns instead of clone3 creating them. */
	if (p->join_fd[NS_USER] >= 0) {
		p->unshare_flags = p->clone_flags;
		p->clone_flags = 0;
		/* A new pid namespace only takes the children of who made it. */
		p->fork_after_join = p->new_pid;
	}
	return 0;
}

/* Parent-side joins, in an order where each setns is allowed: the mount
 * namespace last, since it changes our root and cwd. */
static const enum spec_ns_kind parent_order[] = {NS_NETWORK, NS_IPC, NS_UTS,  NS_CGROUP,
                                                 NS_TIME,    NS_PID, NS_MOUNT};

int ns_parent_enter (const struct ns_plan *p, struct ns_saved *sv, struct keel_error **err)
{
	char path[64];

	for (int k = 0; k < NS_KIND_MAX; k++)
		sv->fd[k] = -1;
	sv->cwd = -1;
	for (size_t i = 0; i < ARRAY_SIZE (parent_order); i++) {
		enum spec_ns_kind k = parent_order[i];
		if (p->join_fd[k] < 0)
			continue;
		snprintf (path, sizeof path, "/proc/self/ns/%s",
		          k == NS_NETWORK ? "net"
		          : k == NS_MOUNT ? "mnt"
		                          : spec_ns_name (k));
		sv->fd[k] = open (path, O_RDONLY | O_CLOEXEC);
		if (sv->fd[k] < 0)
			return keel_error (err, errno, "open `%s`", path);
		if (k == NS_MOUNT) {
			sv->cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (sv->cwd < 0)
				return keel_error (err, errno, "open the current directory");
		}
		if (setns (p->join_fd[k], ns_flag (k)) < 0)
			return keel_error (err, errno, "join %s namespace", spec_ns_name (k));
	}
	return 0;
}

int ns_parent_restore (struct ns_saved *sv, struct keel_error **err)
{
	int ret = 0;

	for (size_t i = ARRAY_SIZE (parent_order); i-- > 0;) {
		enum spec_ns_kind k = parent_order[i];
		if (sv->fd[k] < 0)
			continue;
		if (setns (sv->fd[k], ns_flag (k)) < 0 && ret == 0)
			ret = keel_error (err, errno, "return to our %s namespace",
			                  spec_ns_name (k));
		close (sv->fd[k]);
		sv->fd[k] = -1;
	}
	if (sv->cwd >= 0) {
		if (fchdir (sv->cwd) < 0 && ret == 0)
			ret = keel_error (err, errno, "return to our working directory");
		close (sv->cwd);
		sv->cwd = -1;
	}
	return ret;
}

int ns_write_map (pid_t pid, const char *file, const struct spec_idmapping *m, size_t n,
                  struct keel_error **err)
{
	char path[64];
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (n == 0)
		return 0;
	buf = xmalloc0 (n * 40 + 1);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf (buf + len, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
		                        m[i].container_id, m[i].host_id, m[i].size);
	snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
	/* The kernel takes the whole map in one write(). */
	return write_file_at (AT_FDCWD, path, 0, 0, buf, len, err);
}

int ns_write_id_maps (pid_t pid, const struct spec *s, struct keel_error **err)
{
	int ret;

	if (geteuid () != 0) {
		char path[64];
		snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
		ret = write_file_at (AT_FDCWD, path, 0, 0, "deny", 4, err);
		if (ret < 0 && (*err)->status != ENOENT)
			return keel_error_wrap (err, "user namespace");
	}
	ret = ns_write_map (pid, "uid_map", s->linux_.uid_mappings, s->linux_.n_uid_mappings, err);
	if (ret < 0)
		return keel_error_wrap (err, "user namespace: linux.uidMappings");
	ret = ns_write_map (pid, "gid_map", s->linux_.gid_mappings, s->linux_.n_gid_mappings, err);
	if (ret < 0)
		return keel_error_wrap (err, "user namespace: linux.gidMappings");
	return 0;
}

int ns_join_paths (const struct ns_plan *p, struct keel_error **err)
{
	if (p->join_fd[NS_USER] < 0)
		return 0;
	if (setns (p->join_fd[NS_USER], CLONE_NEWUSER) < 0)
		return keel_error (err, errno, "join user namespace");
	/* Become root of the joined namespace, then create the new ones in it. */
	if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
		return keel_error (err, errno, "become root in the joined user namespace");
	if (p->unshare_flags && unshare ((int)p->unshare_flags) < 0)
		return keel_error (err, errno, "unshare namespaces");
	return 0;
}

int ns_unshare_late (const struct ns_plan *p, const struct spec *s, struct keel_error **err)
{
	if (p->unshare_cgroup && unshare (CLONE_NEWCGROUP) < 0)
		return keel_error (err, errno, "unshare cgroup namespace");
	if (p->unshare_time) {
		const struct spec_time_offset *mo = &s->linux_.time_monotonic;
		const struct spec_time_offset *bo = &s->linux_.time_boottime;
		char buf[128];
		int len = 0, ret;

		if (unshare (CLONE_NEWTIME) < 0)
			return keel_error (err, errno, "unshare time namespace");
		if (mo->present)
			len += snprintf (buf + len, sizeof buf - (size_t)len,
			                 "monotonic %" PRId64 " %" PRIu32 "\n", mo->secs,
			                 mo->nanosecs);
		if (bo->present)
			len += snprintf (buf + len, sizeof buf - (size_t)len,
			                 "boottime %" PRId64 " %" PRIu32 "\n", bo->secs,
			                 bo->nanosecs);
		if (len > 0) {
			ret = write_file_at (AT_FDCWD, "/proc/self/timens_offsets", 0, 0, buf,
			                     (size_t)len, err);
			if (ret < 0)
				return keel_error_wrap (err, "linux.timeOffsets");
		}
		/* unshare() puts only future children in the new time
		 * namespace, and execve moves the caller into it only since
		 * Linux 6.3: enter it explicitly, after the offsets are
		 * written (they are frozen once a process is inside). */
		cleanup_close int tfd = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
		if (tfd < 0)
			return keel_error (err, errno, "open /proc/self/ns/time_for_children");
		if (setns (tfd, CLONE_NEWTIME) < 0)
			return keel_error (err, errno, "enter the new time namespace");
	}
	return 0;
}

int ns_new_userns (const struct spec_idmapping *uid, size_t n_uid, const struct spec_idmapping *gid,
                   size_t n_gid, int *fd, struct keel_error **err)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} a = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	char path[64];
	int p[2], ret;
	pid_t pid;

	if (pipe2 (p, O_CLOEXEC) < 0)
		return keel_error (err, errno, "pipe");
	pid = (pid_t)syscall (SYS_clone3, &a, sizeof a);
	if (pid == 0) {
		char c;
		/* Hold the namespace until the parent has its fd. */
		close (p[1]);
		(void)!read (p[0], &c, 1);
		_exit (0);
	}
	close (p[0]);
	if (pid < 0) {
		close (p[1]);
		return keel_error (err, errno, "clone a user namespace");
	}
	ret = ns_write_map (pid, "uid_map", uid, n_uid, err);
	if (ret == 0)
		ret = ns_write_map (pid, "gid_map", gid, n_gid, err);
	if (ret == 0) {
		snprintf (path, sizeof path, "/proc/%d/ns/user", pid);
		*fd = open (path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			ret = keel_error (err, errno, "open `%s`", path);
	}
	close (p[1]);
	while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ret;
}
