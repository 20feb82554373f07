/* The lifecycle (runtime.md): create, start, state, kill, delete.
 *
 * create makes the container process with a single clone3(): every new
 * namespace in one call and, with CLONE_INTO_CGROUP, born in its cgroup.
 * The process then sets itself up (init.c-like sequence in child_setup())
 * and reports over the sync socket; any failure there travels back with its
 * message so create fails precisely and removes everything it made.  The
 * process ends up blocked opening ROOT/ID/exec.fifo for writing; start
 * opens it for reading, which lets it go on to execve.
 */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cgroup-devices.h"
#include "runtime/devices.h"
#include "runtime/exec.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"
#include "runtime/notify-proxy.h"
#include "runtime/process-attrs.h"
#include "runtime/process-setup.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of <linux/sched.h>, spelled out: that header clashes
 * with <sched.h> on some libcs. */
struct keel_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	        set_tid_size, cgroup;
};

static const char *state_root (const struct keel_runtime *rt)
{
	return rt && rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT;
}

/* In the state directory of a container without a mount namespace: its
 * rootfs mounts are in the caller's namespace and delete detaches them. */
#define SHARED_MOUNTS "rootfs-mounts"

/* Everything create works with; the child gets a copy at clone time. */
struct create_ctx {
	const struct keel_runtime *rt;
	const char *id;
	const struct spec *spec;
	const struct keel_create_opts *opts;
	const char *rootfs;
	int dirfd;         /* the locked state directory */
	int fifo_fd;       /* O_PATH of its exec fifo: no way back to the host */
	int fifo_dirfd;    /* the state directory, unlocked, only for a container
	                    * without procfs (see open_fifo_handles) */
	char *cgroup_path; /* NULL without cgroups */
	int cgroup_fd;     /* for CLONE_INTO_CGROUP, or -1 */
	/* The v1 hierarchies' directories (cgroup-v1.h), or none. */
	struct spec_strv cgroup_v1;
	/* The cgroup directories this create made: a failed one removes
	 * those and leaves alone any that cgroupsPath found already there
	 * (another container's, or one found frozen). */
	struct spec_strv cgroups_made;
	struct ns_plan ns;
	int sync[2];
	pid_t pid;         /* the container process, in our pid namespace */
	int *mount_fds;    /* per mounts[]: idmapped trees, bind sources (mount_ctx) */
	int *device_trees; /* per linux.devices[] in a new user namespace, or NULL */
	bool setgroups_denied;
	bool own_mountns;       /* a new mount namespace: set up the rootfs in it */
	bool shared_mountns;    /* none in the config: the runtime's (runc, crun) */
	bool rootfs_bound;      /* shared_mountns: our bind of the rootfs is there */
	bool nondumpable_early; /* in the child: PR_SET_DUMPABLE 0 from its start */
	bool default_devices; /* no linux.resources.devices: the default filter after the mounts */
	bool v1_self_join;    /* the child joins its v1 cgroups itself (cgroup_v1_join_self) */
	enum cgroup_devices_via devices_via; /* where the device filter goes (cgroup-v1.h) */
	/* For a caller that goes on with the container (keel_container_create_held):
	 * what save_state recorded, and a pidfd taken before it read the start time. */
	bool hold;
	int pidfd;
	unsigned long long starttime;
	bool starttime_known; /* from the clock around the clone (do_clone) */
	/* The signals ignored, which the container's process inherits and
	 * resets: read by the parent before the clone (reset_signals). */
	uint64_t sig_ignored;
	bool sig_ignored_known;
	char *created;
};

/* The state JSON hooks read on stdin. */
static char *hook_state (const struct create_ctx *c, enum keel_status status, pid_t pid)
{
	struct keel_state st = {
	        .id = (char *)c->id,
	        .bundle = c->spec->bundle ? c->spec->bundle : (char *)c->opts->bundle,
	        .oci_version = c->spec->oci_version,
	        .status = status,
	        .pid = pid,
	        .annotations = c->spec->annotations,
	};
	return keel_state_json (&st);
}

/* ---- the container process ------------------------------------------------ */

static int run_child_hooks (const struct create_ctx *c, enum spec_hook_kind kind, pid_t pid,
                            enum keel_status status, struct keel_error **err)
{
	cleanup_free char *json = NULL;

	if (c->spec->hooks.n[kind] == 0)
		return 0;
	json = hook_state (c, status, pid);
	return hooks_run (kind, c->spec->hooks.h[kind], c->spec->hooks.n[kind], json, err);
}

/* Move fd above the range of fds passed to the process, so a preserved fd
 * number is never one of ours. */
static int move_above (int *fd, int min, struct keel_error **err)
{
	int nfd;

	if (*fd < 0 || *fd >= min)
		return 0;
	nfd = fcntl (*fd, F_DUPFD_CLOEXEC, min);
	if (nfd < 0)
		return keel_error (err, errno, "dup");
	close (*fd);
	*fd = nfd;
	return 0;
}

static int setup_stdio (const struct keel_create_opts *o, struct keel_error **err)
{
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 && o->stdio[i] != i && dup2 (o->stdio[i], i) < 0)
			return keel_error (err, errno, "stdio: dup2 %d", i);
	return 0;
}

static int set_names (const struct create_ctx *c, struct keel_error **err)
{
	const struct spec *s = c->spec;

	if ((s->hostname && *s->hostname) || (s->domainname && *s->domainname)) {
		if (!c->ns.has_uts)
			return keel_error (err, 0,
			                   "hostname: setting it needs a UTS namespace "
			                   "(linux.namespaces has no \"uts\")");
	}
	if (s->hostname && *s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0)
		return keel_error (err, errno, "sethostname `%s`", s->hostname);
	if (s->domainname && *s->domainname &&
	    setdomainname (s->domainname, strlen (s->domainname)) < 0)
		return keel_error (err, errno, "setdomainname `%s`", s->domainname);
	return 0;
}

/* Mounts and the root: everything up to and including pivot_root, with
 * the createRuntime (in the parent) and createContainer hooks between. */
static int setup_rootfs (struct create_ctx *c, pid_t pid, struct keel_error **err)
{
	const struct spec *s = c->spec;
	struct mount_ctx mc = {
	        .rootfs = c->rootfs,
	        .bundle = s->bundle ? s->bundle : c->opts->bundle,
	        .cgroup_path = c->cgroup_path,
	        .cgroup_v1 = &c->cgroup_v1,
	        .in_userns = c->ns.in_userns,
	        .fresh_mountns = c->own_mountns && c->ns.join_fd[NS_MOUNT] < 0,
	        .mount_fds = c->mount_fds,
	        .device_trees = c->device_trees,
	        .cwd = -1,
	};
	int ret;

	if (c->own_mountns || c->shared_mountns) {
		/* Shared: create_container bound the rootfs already. */
		ret = c->own_mountns ? rootfs_prepare (s, c->rootfs, err) : 0;
		if (ret < 0)
			return ret;
		mc.rootfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (mc.rootfd < 0)
			return keel_error (err, errno, "open rootfs `%s`", c->rootfs);
		mc.cwd = mounts_cwd ();
		ret = rootfs_mount_all (s, c->opts->extra_mounts, c->opts->n_extra_mounts, &mc,
		                        err);
		close (mc.rootfd);
		if (mc.cwd >= 0)
			close (mc.cwd);
		if (ret < 0)
			return ret;
	}
	/* The bind sources must not reach the container's process. */
	mounts_idmaps_close (c->mount_fds, s->n_mounts);
	c->mount_fds = NULL;
	devices_trees_close (c->device_trees, s->linux_.n_devices);
	c->device_trees = NULL;
	if (s->hooks.n[HOOK_PRESTART] || s->hooks.n[HOOK_CREATE_RUNTIME]) {
		ret = sync_ask (c->sync[1], SYNC_HOOKS, SYNC_HOOKS_DONE, err);
		if (ret < 0)
			return ret;
	}
	ret = run_child_hooks (c, HOOK_CREATE_CONTAINER, pid, KEEL_CREATING, err);
	if (ret == 0 && c->shared_mountns)
		return rootfs_chroot (c->rootfs, err);
	if (ret < 0 || !c->own_mountns)
		return ret;
	return rootfs_pivot (c->rootfs, c->opts->no_pivot, err);
}

/* As runc: stdio that is the caller's /dev/null (podman's stdin for a
 * detached container) becomes the container's own /dev/null, so that no
 * fd of the process lies on a mount outside its namespace, which criu
 * cannot checkpoint.  A rootfs without /dev/null keeps the caller's. */
static int reopen_dev_null (struct keel_error **err)
{
	cleanup_close int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
	struct stat null_st, st;

	if (null_fd < 0)
		return errno == ENOENT ? 0
		                       : keel_error (err, errno, "open the container's /dev/null");
	if (fstat (null_fd, &null_st) < 0)
		return keel_error (err, errno, "fstat the container's /dev/null");
	if (!S_ISCHR (null_st.st_mode))
		return 0;
	for (int fd = 0; fd < 3; fd++) {
		if (fstat (fd, &st) < 0) {
			if (errno == EBADF)
				continue;
			return keel_error (err, errno, "fstat fd %d", fd);
		}
		if (S_ISCHR (st.st_mode) && st.st_rdev == null_st.st_rdev &&
		    dup3 (null_fd, fd, 0) < 0)
			return keel_error (err, errno, "dup3 the container's /dev/null onto fd %d",
			                   fd);
	}
	return 0;
}

/* Load linux.seccomp, the last step before the exec fifo and execve, so a
 * profile need not allow what the runtime does before.  After the filter
 * come only: the listener fd's number to the parent (write; the parent
 * takes the fd with pidfd_getfd), the capset dropping the CAP_SYS_ADMIN
 * kept for loading without no_new_privs, SYNC_CREATED (write), the exec
 * fifo (openat, write, close), startContainer hooks and execve: runc 1.1's
 * order with no_new_privs, and, without it, runc's order minus the user
 * switch, the fd cleanup and the PATH lookup, which it makes after. */
static int load_seccomp (struct create_ctx *c, int kept_cap, struct keel_error **err)
{
	return process_load_seccomp (&c->spec->linux_.seccomp, &c->spec->process.caps, kept_cap,
	                             c->sync[1], true, err);
}

/* The process's own attributes (process-setup.c, shared with exec). */
static int setup_process (struct create_ctx *c, int *kept_cap, struct keel_error **err)
{
	const struct process_setup ps = {
	        .process = &c->spec->process,
	        .personality = &c->spec->linux_.personality,
	        .setgroups_denied = c->setgroups_denied,
	        .seccomp = &c->spec->linux_.seccomp,
	};

	return process_setup_apply (&ps, kept_cap, err);
}

/* Wait for start: opening the fifo for writing blocks until start opens
 * it for reading.  The fifo is reopened through our own O_PATH fd of it,
 * so the process never holds a directory of the host while it resolves
 * the container's paths (CVE-2024-21626); a container without procfs has
 * no path to our fds, and there the state directory's fd is used.  openat
 * in both cases: a seccomp filter (loaded by now) that allowed the call
 * before must allow it still. */
static int wait_for_start (const struct create_ctx *c, struct keel_error **err)
{
	cleanup_close int fd = -1;
	char path[64];

	snprintf (path, sizeof path, "/proc/self/fd/%d", c->fifo_fd);
	do
		fd = c->fifo_dirfd >= 0 ? openat (c->fifo_dirfd, EXEC_FIFO, O_WRONLY | O_CLOEXEC)
		                        : openat (AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return keel_error (err, errno, "open exec fifo");
	return write_all (fd, "0", 1, err);
}

/* Whatever our caller had open (PID 1's launch helper holds its control
 * socket, log pipes and containers.d directories; keel-runtime whatever
 * the engine passed) is closed now, before anything config.json or the
 * image controls is resolved: a host directory fd reachable as
 * /proc/self/fd/N would let process.cwd or args[0] walk out to the host
 * (CVE-2024-21626).  What is left is the sync socket, the fifo's O_PATH,
 * namespace fds, stdio and the fds to pass on. */
static int close_foreign_fds (const struct create_ctx *c, int from, struct keel_error **err)
{
	const struct spec *s = c->spec;
	cleanup_free int *keep =
	        xmalloc0 ((8 + NS_KIND_MAX + s->n_mounts + s->linux_.n_devices) * sizeof (int));
	size_t n = 0;

	keep[n++] = c->sync[1];
	if (c->fifo_fd >= 0)
		keep[n++] = c->fifo_fd;
	if (c->fifo_dirfd >= 0)
		keep[n++] = c->fifo_dirfd;
	for (int i = 0; i < 3; i++)
		if (c->opts->stdio[i] >= 0)
			keep[n++] = c->opts->stdio[i];
	for (int k = 0; k < NS_KIND_MAX; k++)
		if (c->ns.join_fd[k] >= 0)
			keep[n++] = c->ns.join_fd[k];
	for (size_t i = 0; c->mount_fds && i < s->n_mounts; i++)
		if (c->mount_fds[i] >= 0)
			keep[n++] = c->mount_fds[i];
	for (size_t i = 0; c->device_trees && i < s->linux_.n_devices; i++)
		if (c->device_trees[i] >= 0)
			keep[n++] = c->device_trees[i];
	return exec_close_fds_except (from, keep, n, err);
}

/* Wait for SYNC_GO, keeping the bind sources the parent sends before it
 * (above the fds passed to the process, so none of them is passed). */
static int recv_until_go (struct create_ctx *c, int min_fd, struct sync_msg *m,
                          struct keel_error **err)
{
	const struct spec *s = c->spec;
	int ret;

	for (;;) {
		ret = sync_recv (c->sync[1], m, err);
		if (ret < 0 || m->type != SYNC_MOUNT_SOURCE)
			break;
		if (m->fd < 0 || m->status < 0 || (size_t)m->status >= s->n_mounts ||
		    (c->mount_fds && c->mount_fds[m->status] >= 0)) {
			if (m->fd >= 0)
				close (m->fd);
			return keel_error (err, EPROTO, "sync: unexpected bind source %d",
			                   m->status);
		}
		if (c->mount_fds == NULL) {
			c->mount_fds = xmalloc0 (s->n_mounts * sizeof (int));
			for (size_t i = 0; i < s->n_mounts; i++)
				c->mount_fds[i] = -1;
		}
		c->mount_fds[m->status] = m->fd;
		ret = move_above (&c->mount_fds[m->status], min_fd, err);
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (m->type == SYNC_ERROR)
		return keel_error (err, m->status, "%s", m->text);
	if (m->type != SYNC_GO)
		return keel_error (err, EPROTO, "sync: expected message %d, got %d", SYNC_GO,
		                   m->type);
	return 0;
}

static int child_setup (struct create_ctx *c, char **exe, char ***envp, struct keel_error **err)
{
	const struct spec *s = c->spec;
	int pass = c->opts->preserve_fds > 0 ? c->opts->preserve_fds : 0;
	struct sync_msg m;
	pid_t host_pid;
	int kept_cap = -1, ret;

	/* The state directory (the flock belongs to the parent's open file:
	 * start must be able to take it while we wait on the fifo) and the
	 * cgroup's fd go with the rest in close_foreign_fds's close_range;
	 * by hand only when among the fds passed on (a caller that left a
	 * gap in them), which that range spares. */
	if (c->dirfd >= 0 && c->dirfd < 3 + pass)
		close (c->dirfd);
	if (c->cgroup_fd >= 0 && c->cgroup_fd < 3 + pass)
		close (c->cgroup_fd);
	if ((ret = move_above (&c->sync[1], 3 + pass, err)) < 0 ||
	    (ret = move_above (&c->fifo_fd, 3 + pass, err)) < 0 ||
	    (ret = move_above (&c->fifo_dirfd, 3 + pass, err)) < 0)
		return ret;
	if ((ret = close_foreign_fds (c, 3 + pass, err)) < 0)
		return ret;
	c->dirfd = -1;
	c->cgroup_fd = -1;
	/* First, in the runtime's namespaces (where the paths were made),
	 * before a fork into a joined pid namespace, which then inherits. */
	if (c->v1_self_join && (ret = cgroup_v1_join_self (&c->cgroup_v1, err)) < 0)
		return ret;
	if ((ret = ns_join_paths (&c->ns, err)) < 0)
		return ret;
	if (c->ns.fork_after_join) {
		/* We made the new pid namespace; our child is its init. */
		pid_t pid = fork ();
		if (pid < 0)
			return keel_error (err, errno, "fork into the new pid namespace");
		if (pid > 0)
			_exit (sync_send (c->sync[1], SYNC_PID, pid, -1, NULL, NULL) < 0);
	}
	/* The parent has written our id maps and placed us in the cgroups. */
	ret = recv_until_go (c, 3 + pass, &m, err);
	if (ret < 0)
		return ret;
	if (!c->nondumpable_early && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_DUMPABLE");
	host_pid = m.status;
	ret = process_apply_cpu_affinity (s->process.exec_cpu_affinity_initial, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.execCPUAffinity.initial");
	if (c->ns.new_user && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
		return keel_error (err, errno,
		                   "user namespace: become root (is uid 0 in linux.uidMappings?)");
	if ((ret = setup_stdio (c->opts, err)) < 0 || (ret = ns_unshare_late (&c->ns, s, err)) < 0)
		return ret;
	ns_plan_close (&c->ns);
	if ((ret = set_names (c, err)) < 0 || (ret = setup_rootfs (c, host_pid, err)) < 0)
		return ret;
	/* The config's mounts may open block devices (an ext4 `source`), which
	 * the filter would refuse; nothing of the config's own runs before the
	 * parent answers. */
	if (c->default_devices) {
		ret = sync_ask (c->sync[1], SYNC_DEVICES, SYNC_DEVICES_DONE, err);
		if (ret < 0)
			return ret;
	}
	if (s->linux_.sysctl.n && (ret = sysctl_apply (&s->linux_.sysctl, s, err)) < 0)
		return ret;
	if ((c->own_mountns || c->shared_mountns) && (ret = rootfs_finish (s, err)) < 0)
		return ret;
	if (s->process.terminal &&
	    (ret = terminal_setup_process (&s->process, c->sync[1], true, err)) < 0)
		return ret;
	if (!s->process.terminal && (ret = reopen_dev_null (err)) < 0)
		return ret;
	/* Without a terminal too the init leads a session of its own, as
	 * runc's does: criu refuses to checkpoint a tree whose session leader
	 * is outside its pid namespace (the runtime's caller). */
	if (!s->process.terminal && setsid () < 0 && errno != EPERM)
		return keel_error (err, errno, "setsid");
	/* Before the user switch: HOME may come from the image's /etc/passwd. */
	*envp = exec_env_add_home (exec_build_env (s->process.env.v, c->opts->extra_env),
	                           s->process.user.uid);
	if ((ret = setup_process (c, &kept_cap, err)) < 0)
		return ret;
	/* Resolve now so a missing executable fails create, not start. */
	if ((ret = exec_find (s->process.args.v[0], s->process.env.v, exe, err)) < 0)
		return keel_error_wrap (err, "process.args[0]");
	if ((ret = exec_pass_fds (pass, err)) < 0)
		return ret;
	ret = process_apply_cpu_affinity (s->process.exec_cpu_affinity_final, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.execCPUAffinity.final");
	/* From here on the parent may exit (`keel-runtime create` does). */
	if (prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_PDEATHSIG");
	/* Last, but within create: a profile that cannot load fails create,
	 * and the listener has its fd when create returns (runc, crun); the
	 * filter also covers the exec fifo and startContainer hooks, as runc. */
	if ((ret = load_seccomp (c, kept_cap, err)) < 0)
		return ret;
	ret = sync_write (c->sync[1], SYNC_CREATED, 0, err);
	if (ret < 0)
		return ret;
	close (c->sync[1]);
	c->sync[1] = -1;
	if (c->fifo_fd >= 0) {
		ret = wait_for_start (c, err);
		if (ret < 0)
			return ret;
		close (c->fifo_fd);
		if (c->fifo_dirfd >= 0)
			close (c->fifo_dirfd);
	}
	return run_child_hooks (c, HOOK_START_CONTAINER, host_pid, KEEL_CREATED, err);
}

/* The signals ignored now, from SigIgn in /proc/self/status, in one read
 * instead of one rt_sigaction per signal; false when it cannot be read (no
 * procfs), and the child asks each signal.  Read by the parent right
 * before the clone, whose child inherits exactly these: the parent's /proc
 * directory exists already (its first look made it), the child's would be
 * made for this look alone (docs/performance.md, ninth pass). */
static bool ignored_signals (uint64_t *mask)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read (fd, buf, sizeof buf - 1);
	close (fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr (buf, "\nSigIgn:\t");
	if (p == NULL)
		return false;
	errno = 0;
	*mask = strtoull (p + 9, &p, 16);
	return errno == 0 && *p == '\n';
}

/* The caller may be PID 1 with every signal blocked for its signalfd and
 * SIGPIPE ignored: the container starts from a clean slate (execve resets
 * handled signals itself, but not blocked or ignored ones).  The kernel's
 * rt_sigaction, not libc's: libc refuses the signals it keeps for itself
 * (32-34 in musl, 32-33 in glibc), but an ignored one is inherited all
 * the same (a caller started as a background job in some shells has them
 * ignored), and musl's sigaction adds two sigprocmask for SIGABRT. */
static void reset_signals (const struct create_ctx *c)
{
	struct {
		unsigned long handler, flags, restorer, mask;
	} k_old, k_dfl = {(unsigned long)SIG_DFL, 0, 0, 0};
	uint64_t ign = c->sig_ignored;
	bool known = c->sig_ignored_known;
	sigset_t none;

	for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
		if (known && !(ign >> (sig - 1) & 1))
			continue;
		if (!known &&
		    (syscall (SYS_rt_sigaction, sig, NULL, &k_old, sizeof k_old.mask) < 0 ||
		     k_old.handler != (unsigned long)SIG_IGN))
			continue;
		syscall (SYS_rt_sigaction, sig, &k_dfl, NULL, sizeof k_dfl.mask);
	}
	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
}

static void __attribute__ ((noreturn)) child_main (struct create_ctx *c)
{
	struct keel_error *err = NULL;
	char *exe = NULL, **envp = NULL;

	/* Non-dumpable before anything else (CVE-2016-9962): until execve
	 * resets it, a process sharing our pid namespace (a container we
	 * joined) must not open /proc/OURS/exe, fd/, mem, cwd or root;
	 * only CAP_SYS_PTRACE in the runtime's user namespace overrides it.
	 * The catch: our /proc/PID files then belong to root, and the parent
	 * writes uid_map, gid_map, setgroups and oom_score_adj there.  As
	 * root it still can; a caller that is not root cannot, so then we
	 * stay dumpable until the parent says it is done (SYNC_GO), a window
	 * in which we have joined no container's namespace but the ones
	 * given by path. */
	c->nondumpable_early = geteuid () == 0;
	if (c->nondumpable_early && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit (1);
	close (c->sync[0]);
	reset_signals (c);
	/* Die with `create` while it still waits for us. */
	if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit (1);
	if (child_setup (c, &exe, &envp, &err) < 0) {
		if (c->sync[1] >= 0) {
			sync_send_error (c->sync[1], err);
		} else {
			/* After start nobody listens on the socket any more. */
			char *msg = keel_error_string (err);
			dprintf (2, "keel: container `%s`: %s\n", c->id, msg ? msg : err->msg);
		}
		_exit (1);
	}
	execve (exe, c->spec->process.args.v, envp);
	dprintf (2, "keel: container `%s`: exec `%s`: %s\n", c->id, exe, strerror (errno));
	_exit (127);
}

/* ---- create, in the runtime process ---------------------------------------- */

static pid_t do_clone (struct create_ctx *c, bool *into_cgroup)
{
	struct keel_clone_args a = {
	        .flags = c->ns.clone_flags,
	        .exit_signal = SIGCHLD,
	};
	unsigned long long before, after;
	bool clocked = boottime_ticks (&before);
	long r;

	*into_cgroup = false;
	c->sig_ignored_known = ignored_signals (&c->sig_ignored);
	/* The held container's pidfd from the clone itself (save_state opens
	 * one where this did not give it): one call fewer, and it names the
	 * process before its pid could be reused.  Not when the process we
	 * clone forks the container's (fork_after_join): that one is another
	 * pid. */
	if (c->hold && !c->ns.fork_after_join) {
		a.flags |= CLONE_PIDFD;
		a.pidfd = (uint64_t)(uintptr_t)&c->pidfd;
	}
	if (c->cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)c->cgroup_fd;
		r = syscall (SYS_clone3, &a, sizeof a);
		if (r >= 0) {
			*into_cgroup = true;
			return (pid_t)r;
		}
		/* Older kernels, or a cgroup that cannot take processes
		 * directly: place the child by hand instead. */
		if (errno != EINVAL && errno != EOPNOTSUPP && errno != E2BIG && errno != EBUSY &&
		    errno != ENOSYS)
			return -1;
		a.flags &= ~CLONE_INTO_CGROUP;
		a.cgroup = 0;
	}
	r = syscall (SYS_clone3, &a, sizeof a);
	if (r < 0 && errno == ENOSYS)
		r = syscall (SYS_clone, (unsigned long)(c->ns.clone_flags | SIGCHLD), NULL, NULL,
		             NULL, 0);
	/* The kernel fills the pidfd in before a late failure (a cgroup that
	 * refuses the process) and releases the fd: a failed clone, and the
	 * child, have none.  Otherwise it is the kernel's, or the -1 it was. */
	if (r <= 0)
		c->pidfd = -1;
	/* The child's start time (/proc/PID/stat's field 22, which state.json
	 * keeps against pid reuse) is the boot clock the kernel read while
	 * cloning it, so between our two reads: where both fall in the same
	 * tick, that tick is it, without opening /proc (a new process's
	 * /proc directory is made on the first look, ~20 us here).  Read
	 * from /proc by save_state otherwise (a tick boundary crossed, ~1 in
	 * 50; or the container process is a grandchild, fork_after_join). */
	if (r > 0 && clocked && !c->ns.fork_after_join && boottime_ticks (&after) &&
	    after == before) {
		c->starttime = before;
		c->starttime_known = true;
	}
	return (pid_t)r;
}

static uid_t host_root (const struct spec_idmapping *m, size_t n, uid_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0 && m[i].size > 0)
			return m[i].host_id;
	return dflt;
}

/* Whether the container gets a procfs (its own or bound from the host),
 * through which its process could reach our fds by path. */
static bool spec_mounts_procfs (const struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (m->type && strcmp (m->type, "proc") == 0)
			return true;
		if (m->source && strncmp (m->source, "/proc", 5) == 0 &&
		    (m->source[5] == '\0' || m->source[5] == '/'))
			return true;
	}
	return false;
}

static int make_fifo (struct create_ctx *c, struct keel_error **err)
{
	const struct spec_linux *l = &c->spec->linux_;

	if (mkfifoat (c->dirfd, EXEC_FIFO, 0622) < 0)
		return keel_error (err, errno, "mkfifo `" EXEC_FIFO "`");
	/* Opened by the container process after its user switch. */
	if (fchmodat (c->dirfd, EXEC_FIFO, 0622, 0) < 0)
		return keel_error (err, errno, "chmod `" EXEC_FIFO "`");
	if (c->ns.new_user && geteuid () == 0 &&
	    fchownat (c->dirfd, EXEC_FIFO, host_root (l->uid_mappings, l->n_uid_mappings, 0),
	              host_root (l->gid_mappings, l->n_gid_mappings, 0), 0) < 0)
		return keel_error (err, errno, "chown `" EXEC_FIFO "`");
	return 0;
}

int keel_write_pid_file (const char *path, pid_t pid, struct keel_error **err)
{
	cleanup_free char *tmp = xasprintf ("%s.tmp", path);
	char buf[32];
	int n = snprintf (buf, sizeof buf, "%d", pid), ret;

	ret = write_file_at (AT_FDCWD, tmp, O_CREAT | O_TRUNC, 0644, buf, (size_t)n, err);
	if (ret < 0)
		return keel_error_wrap (err, "--pid-file");
	if (rename (tmp, path) < 0) {
		int e = errno;
		unlink (tmp);
		return keel_error (err, e, "--pid-file: rename to `%s`", path);
	}
	return 0;
}

/* The user owning the state directory, for `state` and `list` (runc
 * looks it up the same way, when asked).  Looked up there rather than
 * stored at create: getpwuid reads and parses /etc/passwd, work every
 * `create` and `run` would pay for a field only those two print. */
static char *owner_of (int dirfd)
{
	struct passwd *pw;
	struct stat st;

	if (fstat (dirfd, &st) < 0)
		return xstrdup ("");
	pw = getpwuid (st.st_uid);
	return xstrdup (pw ? pw->pw_name : "");
}

static int save_state (struct create_ctx *c, enum keel_status status, struct keel_error **err)
{
	struct keel_state st = {
	        .id = (char *)c->id,
	        .bundle = c->spec->bundle ? c->spec->bundle : (char *)c->opts->bundle,
	        .oci_version = c->spec->oci_version,
	        .status = status,
	        .pid = c->pid,
	        .cgroup_path = c->cgroup_path,
	        .cgroup_v1 = c->cgroup_v1,
	        .annotations = c->spec->annotations,
	        .rootfs = (char *)c->rootfs,
	};
	struct state_extra x = {0};
	int ret;

	/* Written twice when hooks ask for "creating" first: the stamp of
	 * the last write is the one kept, the pidfd the first one taken. */
	free (c->created);
	c->created = st.created = state_timestamp ();
	/* Before the start time is read: the pidfd then pins the very
	 * process it belongs to (none before Linux 5.3: start and delete
	 * check /proc as the other commands do). */
	if (c->hold && c->pidfd < 0 && (c->pidfd = (int)syscall (SYS_pidfd_open, c->pid, 0)) < 0 &&
	    errno != ENOSYS)
		return keel_error (err, errno, "pidfd_open %d", (int)c->pid);
	x.starttime = c->starttime;
	if (!c->starttime_known) {
		ret = proc_starttime (c->pid, &x.starttime, NULL, err);
		if (ret < 0)
			return ret;
		c->starttime = x.starttime;
		c->starttime_known = true;
	}
	/* Borrowed: state_write only reads them. */
	x.poststop = c->spec->hooks.h[HOOK_POSTSTOP];
	x.n_poststop = c->spec->hooks.n[HOOK_POSTSTOP];
	x.poststart = c->spec->hooks.h[HOOK_POSTSTART];
	x.n_poststart = c->spec->hooks.n[HOOK_POSTSTART];
	return state_write (c->dirfd, &st, &x, err);
}

/* The container process's seccomp listener fd goes to listenerPath.  The
 * process cannot send it with SCM_RIGHTS (sendmsg may be a syscall its own
 * filter hands to that very listener): it says the number and we take the
 * fd with pidfd_getfd (Linux 5.6), as runc 1.1 does. */
static int pass_notify_fd (struct create_ctx *c, int child_fd, struct keel_error **err)
{
	cleanup_free char *json = hook_state (c, KEEL_CREATING, c->pid);
	cleanup_close int pidfd = (int)syscall (SYS_pidfd_open, c->pid, 0);
	cleanup_close int fd = -1;

	if (pidfd < 0)
		return keel_error (err, errno, "seccomp: pidfd_open %d", c->pid);
	fd = (int)syscall (SYS_pidfd_getfd, pidfd, child_fd, 0);
	if (fd < 0)
		return keel_error (err, errno, "seccomp: take the listener fd from %d", c->pid);
	return seccomp_send_notify_fd (&c->spec->linux_.seccomp, fd, c->pid, json, err);
}

/* A new user namespace may not search the directories above a bind
 * source: open the sources with our credentials in the child's new mount
 * namespace and hand them over.  A mount namespace unshared later (after
 * joining a user namespace) does not exist yet; its sources are looked up
 * by the child as before. */
static int send_mount_sources (struct create_ctx *c, struct keel_error **err)
{
	const struct spec *s = c->spec;
	int *fds = NULL, ret;

	if (!(c->ns.clone_flags & CLONE_NEWUSER) || !(c->ns.clone_flags & CLONE_NEWNS))
		return 0;
	ret = mounts_sources_open (s, s->bundle ? s->bundle : c->opts->bundle, c->pid, &fds, err);
	for (size_t i = 0; ret == 0 && fds && i < s->n_mounts; i++)
		if (fds[i] >= 0)
			ret = sync_send (c->sync[0], SYNC_MOUNT_SOURCE, (int)i, fds[i], NULL, err);
	mounts_idmaps_close (fds, s->n_mounts);
	return ret;
}

/* Whether this create made dir (one of its cgroups) rather than found it. */
static bool cgroup_made (const struct create_ctx *c, const char *dir)
{
	for (size_t i = 0; i < c->cgroups_made.n; i++)
		if (strcmp (c->cgroups_made.v[i], dir) == 0)
			return true;
	return false;
}

/* A config without linux.resources.devices still gets a device filter:
 * deny everything but the devices every container may use, as runc and
 * crun do (without it a container with CAP_MKNOD could make and open any
 * host device).  It goes where the config's own rules would go: the v1
 * devices controller when a v1 hierarchy has it, else the eBPF program on
 * the unified cgroup (create_cgroups refused the container when there is
 * neither). */
static int apply_default_devices (const struct create_ctx *c, struct keel_error **err)
{
	if (c->devices_via == CGROUP_DEVICES_V1)
		return cgroup_v1_devices_default (&c->cgroup_v1, err);
	/* The default list goes only where the config had no rules, so a
	 * cgroup this create made has no program of its own yet. */
	if (c->cgroup_fd >= 0)
		return cgroup_devices_apply_at (c->cgroup_fd, c->cgroup_path,
		                                cgroup_made (c, c->cgroup_path), NULL, 0, err);
	return cgroup_devices_apply (c->cgroup_path, NULL, 0, err);
}

/* After the clone: finish the child's environment from outside, then
 * serve its requests until it reports that it is held before execve. */
static int parent_side (struct create_ctx *c, bool into_cgroup, struct keel_error **err)
{
	const struct spec_process *p = &c->spec->process;
	struct sync_msg m;
	int ret;

	if (c->ns.fork_after_join) {
		/* The process we cloned forked the container process and exits. */
		ret = sync_expect (c->sync[0], SYNC_PID, &m, err);
		while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		/* Reaped: its pid must not be signalled by undo_create. */
		c->pid = ret < 0 ? 0 : m.status;
		if (ret < 0)
			return ret;
	}
	if (c->cgroup_path && !into_cgroup && c->cgroup_fd >= 0) {
		ret = cgroup_enter (c->cgroup_path, c->pid, err);
		if (ret < 0)
			return ret;
	}
	/* CLONE_INTO_CGROUP reaches only the unified hierarchy; the child
	 * joins the v1 ones itself unless it is in a user namespace. */
	if (c->cgroup_v1.n > 0 && !c->v1_self_join) {
		ret = cgroup_v1_enter (&c->cgroup_v1, c->pid, err);
		if (ret < 0)
			return ret;
	}
	if (c->ns.new_user) {
		ret = ns_write_id_maps (c->pid, c->spec, err);
		if (ret < 0)
			return ret;
	}
	ret = send_mount_sources (c, err);
	if (ret < 0)
		return ret;
	/* Written from here: lowering it needs privileges in the initial user
	 * namespace, which the child may no longer have. */
	if (p->has_oom_score_adj) {
		char path[64], buf[16];
		int n = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
		snprintf (path, sizeof path, "/proc/%d/oom_score_adj", c->pid);
		ret = write_file_at (AT_FDCWD, path, 0, 0, buf, (size_t)n, err);
		if (ret < 0)
			return keel_error_wrap (err, "process.oomScoreAdj");
	}
	/* Hooks may ask `state` about the container while it is created. */
	if (c->spec->hooks.n[HOOK_PRESTART] || c->spec->hooks.n[HOOK_CREATE_RUNTIME] ||
	    c->spec->hooks.n[HOOK_CREATE_CONTAINER]) {
		ret = save_state (c, KEEL_CREATING, err);
		if (ret < 0)
			return ret;
	}
	ret = sync_send (c->sync[0], SYNC_GO, c->pid, -1, NULL, err);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = sync_recv (c->sync[0], &m, err);
		if (ret < 0)
			return keel_error (err, ECONNRESET,
			                   "the container process exited during setup");
		switch (m.type) {
		case SYNC_ERROR:
			return keel_error (err, m.status, "%s", m.text);
		case SYNC_CREATED:
			return 0;
		case SYNC_HOOKS: {
			/* prestart (deprecated) hooks see "created", as crun shows
			 * them and as the tools written for them expect (runc 1.1
			 * says "creating"); createRuntime is "creating". */
			cleanup_free char *pre = hook_state (c, KEEL_CREATED, c->pid);
			cleanup_free char *json = hook_state (c, KEEL_CREATING, c->pid);
			const struct spec_hooks *h = &c->spec->hooks;
			ret = hooks_run (HOOK_PRESTART, h->h[HOOK_PRESTART], h->n[HOOK_PRESTART],
			                 pre, err);
			if (ret == 0)
				ret = hooks_run (HOOK_CREATE_RUNTIME, h->h[HOOK_CREATE_RUNTIME],
				                 h->n[HOOK_CREATE_RUNTIME], json, err);
			if (ret < 0)
				return ret;
			ret = sync_send (c->sync[0], SYNC_HOOKS_DONE, 0, -1, NULL, err);
			if (ret < 0)
				return ret;
			break;
		}
		case SYNC_DEVICES:
			ret = apply_default_devices (c, err);
			if (ret == 0)
				ret = sync_send (c->sync[0], SYNC_DEVICES_DONE, 0, -1, NULL, err);
			if (ret < 0)
				return ret;
			break;
		case SYNC_SECCOMP:
			ret = pass_notify_fd (c, m.status, err);
			if (ret < 0)
				return ret;
			break;
		case SYNC_CONSOLE:
			if (c->opts->console_socket)
				ret = terminal_send_master (c->opts->console_socket, m.fd, err);
			else
				ret = keel_error (
				        err, 0,
				        "process.terminal is set but no console socket was given");
			close (m.fd);
			if (ret < 0)
				return ret;
			break;
		default:
			if (m.fd >= 0)
				close (m.fd);
			return keel_error (err, EPROTO, "sync: unexpected message %d", m.type);
		}
	}
}

static int check_spec (const struct create_ctx *c, struct keel_error **err)
{
	const struct spec *s = c->spec;
	struct stat st;

	if (!s->has_process || s->process.args.n == 0)
		return keel_error (err, 0, "process.args: the container has no process to run");
	if (c->rootfs == NULL || stat (c->rootfs, &st) < 0)
		return keel_error (err, c->rootfs ? errno : EINVAL, "root.path `%s`",
		                   c->rootfs ? c->rootfs : "");
	if (!S_ISDIR (st.st_mode))
		return keel_error (err, ENOTDIR, "root.path `%s`", c->rootfs);
	return 0;
}

/* The container's cgroups that this create made (with the waits of
 * cgroup_v1_destroy and cgroup_destroy for a process that just exited);
 * not the levels made above them, which a concurrent create may be
 * making its own cgroup in. */
static void undo_cgroups (struct create_ctx *c)
{
	cleanup_error struct keel_error *e = NULL;
	struct spec_strv v1 = {0};

	for (size_t i = 0; i < c->cgroup_v1.n; i++)
		if (cgroup_made (c, c->cgroup_v1.v[i]))
			cgroup_paths_push (&v1, xstrdup (c->cgroup_v1.v[i]));
	if (v1.n > 0 && cgroup_v1_destroy (&v1, &e) < 0)
		keel_log_error (&e);
	cgroup_v1_paths_free (&v1);
	if (c->cgroup_path && cgroup_made (c, c->cgroup_path) &&
	    cgroup_destroy (c->cgroup_path, &e) < 0)
		keel_log_error (&e);
}

static void undo_create (struct create_ctx *c)
{
	if (c->pid > 0) {
		kill (c->pid, SIGKILL);
		while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	undo_cgroups (c);
	/* Everything the container mounted in the caller's namespace hangs
	 * under our bind of its rootfs. */
	if (c->rootfs_bound && umount2 (c->rootfs, MNT_DETACH) < 0)
		keel_log (KEEL_LOG_WARNING, "detach the rootfs mounts at `%s`: %s", c->rootfs,
		          strerror (errno));
	if (c->dirfd >= 0)
		state_dir_remove (state_root (c->rt), c->id, c->dirfd, NULL);
}

/* The container's cgroups: the unified one (CLONE_INTO_CGROUP's target)
 * and, on a v1 or hybrid host, one in every v1 hierarchy, which then takes
 * all the limits.  A legacy host has no unified one: the first v1
 * directory is the handle for kill, ps and emptiness. */
/* A cgroup frozen beforehand would hold the container process stopped
 * before it ever reports: create would never return (runc refuses it
 * too, with these words). */
static int refuse_frozen (const struct create_ctx *c, struct keel_error **err)
{
	if ((c->cgroup_v1.n > 0 && cgroup_v1_is_frozen (&c->cgroup_v1)) ||
	    (c->cgroup_fd >= 0 && cgroup_frozen_at (c->cgroup_fd, c->cgroup_path)))
		return keel_error (err, 0, "container's cgroup unexpectedly frozen");
	return 0;
}

/* Write the cgroups create is about to make into the state directory
 * (state.h's CGROUPS_FILE) before it makes any: a create killed from here
 * on (SIGKILL, the OOM killer) leaves a "creating" container whose
 * `delete -f` finds every one of them, as runc's does.  v1 and v2 get the
 * directories, which create_cgroups then makes (resolved once). */
static int record_cgroups (struct create_ctx *c, const char *dflt, enum cgroup_mode mode,
                           struct spec_strv *v1, char **v2, struct keel_error **err)
{
	const char *cgroups_path = c->spec->linux_.cgroups_path;
	int ret = 0;

	if (mode != CGROUP_MODE_UNIFIED)
		ret = cgroup_v1_resolve (cgroups_path, dflt, v1, err);
	if (ret == 0 && mode != CGROUP_MODE_LEGACY)
		ret = cgroup_resolve (cgroups_path, dflt, v2, err);
	if (ret == 0)
		ret = state_cgroups_save (c->dirfd,
		                          mode == CGROUP_MODE_LEGACY && v1->n > 0 ? v1->v[0] : *v2,
		                          v1, err);
	return ret;
}

static int create_cgroups (struct create_ctx *c, const char *dflt, struct keel_error **err)
{
	const struct spec_resources *res = &c->spec->linux_.resources;
	enum cgroup_mode mode = cgroup_mode ();
	struct spec_resources v1_res, bpf_res = {0};
	struct spec_strv v1 = {0};
	cleanup_free char *v2 = NULL;
	int ret;

	/* Not for an unprivileged runtime: it can neither load a device
	 * program nor write devices.deny (runc's rootless mode skips it too). */
	c->default_devices = res->n_devices == 0 && geteuid () == 0;
	c->devices_via = cgroup_devices_via (mode);
	if (c->devices_via == CGROUP_DEVICES_NONE && (c->default_devices || res->n_devices > 0))
		return keel_error (
		        err, 0,
		        "cgroup: no device filter is possible on this host: no cgroup v1 "
		        "hierarchy has the devices controller and no cgroup2 is mounted; "
		        "refusing to create a container that could open every host "
		        "device (mount the v1 devices hierarchy or cgroup2)");
	ret = record_cgroups (c, dflt, mode, &v1, &v2, err);
	if (ret < 0) {
		cgroup_v1_paths_free (&v1);
		return ret;
	}

	if (mode != CGROUP_MODE_UNIFIED) {
		/* The device rules go to the unified cgroup's eBPF program when
		 * no v1 hierarchy can take them: hidden from v1, which would
		 * refuse them as an unmounted controller's. */
		v1_res = *res;
		if (c->devices_via == CGROUP_DEVICES_BPF) {
			v1_res.devices = NULL;
			v1_res.n_devices = 0;
			bpf_res.devices = res->devices;
			bpf_res.n_devices = res->n_devices;
		}
		ret = cgroup_v1_make (&v1, &v1_res, &c->cgroups_made, err);
		if (ret < 0) {
			cgroup_v1_paths_free (&v1);
			return ret;
		}
		c->cgroup_v1 = v1;
		/* create's child joins them itself, with the runtime's own
		 * credentials, which the kernel checks as it would the
		 * parent's write; not from a new or joined user namespace,
		 * where it is no longer who owns them. */
		c->v1_self_join =
		        c->cgroup_v1.n > 0 && !c->ns.new_user && c->ns.join_fd[NS_USER] < 0;
		if (mode == CGROUP_MODE_LEGACY) {
			if (c->cgroup_v1.n == 0)
				return keel_error (err, 0,
				                   "cgroup: no cgroup hierarchy is mounted");
			c->cgroup_path = xstrdup (c->cgroup_v1.v[0]);
			return 0;
		}
		res = bpf_res.n_devices > 0 ? &bpf_res : NULL;
	}
	ret = cgroup_make (v2, res, &c->cgroups_made, &c->cgroup_fd, err);
	if (ret < 0)
		return ret;
	c->cgroup_path = steal_ptr (&v2);
	return 0;
}

static int create_container (struct create_ctx *c, struct keel_error **err)
{
	cleanup_free char *dflt_cgroup = NULL;
	struct ns_saved saved;
	bool into_cgroup = false;
	int ret;

	ret = state_dir_create (state_root (c->rt), c->id, &c->dirfd, err);
	if (ret == 0 && c->opts->config_json)
		ret = state_spec_save (c->dirfd, c->opts->config_json, c->opts->config_len, err);
	if (ret < 0)
		return ret;
	if ((ret = ns_plan_make (c->spec, &c->ns, err)) < 0 || (ret = check_spec (c, err)) < 0)
		return ret;
	c->setgroups_denied = c->ns.new_user && geteuid () != 0;
	/* A mount namespace joined by path is set up like a new one, as runc
	 * does: its root is whatever that namespace's is (the host's, for
	 * one made by `unshare -m`), never what the container may see. */
	c->own_mountns = c->ns.new_mount || (c->ns.unshare_flags & CLONE_NEWNS) ||
	                 c->ns.join_fd[NS_MOUNT] >= 0;
	c->shared_mountns = !c->own_mountns;
	if (c->rt->cgroup_manager != CGROUP_MANAGER_DISABLED) {
		if (c->opts->default_cgroup_path == NULL)
			dflt_cgroup = xasprintf ("keel/%s", c->id);
		ret = create_cgroups (c, dflt_cgroup ? dflt_cgroup : c->opts->default_cgroup_path,
		                      err);
		if (ret == 0)
			ret = refuse_frozen (c, err);
		if (ret < 0)
			return ret;
	}
	if ((!c->opts->no_exec_fifo && (ret = make_fifo (c, err)) < 0) ||
	    (ret = sync_pair (c->sync, err)) < 0)
		return ret;
	if (c->shared_mountns) {
		/* Bound here, not in the child, so that a failed create knows
		 * for sure whether there is a bind of ours to detach. */
		ret = write_file_at (c->dirfd, SHARED_MOUNTS, O_CREAT | O_EXCL, 0600, "", 0, err);
		if (ret == 0)
			ret = rootfs_bind_shared (c->rootfs, err);
		if (ret < 0)
			return ret;
		c->rootfs_bound = true;
	}
	if (c->opts->notify_proxy_dir && mkdirat (c->dirfd, NOTIFY_PROXY_DIR, 0755) < 0)
		return keel_error (err, errno,
		                   "mkdir `" NOTIFY_PROXY_DIR "` in the state directory");
	if (!c->opts->no_exec_fifo) {
		c->fifo_fd = openat (c->dirfd, EXEC_FIFO, O_PATH | O_CLOEXEC);
		if (c->fifo_fd < 0)
			return keel_error (err, errno, "open `" EXEC_FIFO "`");
	}
	if (c->fifo_fd >= 0 && !spec_mounts_procfs (c->spec)) {
		c->fifo_dirfd = openat (c->dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->fifo_dirfd < 0)
			return keel_error (err, errno, "open state directory");
	}
	if ((ret = mounts_idmaps_open (c->spec, &c->mount_fds, err)) < 0)
		return ret;
	if (c->ns.new_user && (ret = devices_prepare_userns (c->spec, &c->device_trees, err)) < 0)
		return ret;
	ret = ns_parent_enter (&c->ns, &saved, err);
	if (ret == 0) {
		c->pid = do_clone (c, &into_cgroup);
		if (c->pid == 0)
			child_main (c);
		if (c->pid < 0) {
			ret = keel_error (err, errno, "clone the container process");
			c->pid = 0;
		}
	}
	if (ns_parent_restore (&saved, ret < 0 ? NULL : err) < 0 && ret == 0)
		ret = -1;
	if (ret < 0)
		return ret;
	close (c->sync[1]);
	c->sync[1] = -1;
	if ((ret = parent_side (c, into_cgroup, err)) < 0 ||
	    (ret = save_state (c, KEEL_CREATED, err)) < 0)
		return ret;
	if (c->opts->pid_file && (ret = keel_write_pid_file (c->opts->pid_file, c->pid, err)) < 0)
		return ret;
	return 0;
}

static void ctx_init (struct create_ctx *c, const struct keel_runtime *rt, const char *id,
                      const struct spec *spec, const struct keel_create_opts *opts)
{
	*c = (struct create_ctx){
	        .rt = rt,
	        .id = id,
	        .spec = spec,
	        .opts = opts,
	        .rootfs = spec->root.abs_path ? spec->root.abs_path : spec->root.path,
	        .dirfd = -1,
	        .fifo_fd = -1,
	        .fifo_dirfd = -1,
	        .cgroup_fd = -1,
	        .sync = {-1, -1},
	        .pidfd = -1,
	};
	for (int k = 0; k < NS_KIND_MAX; k++)
		c->ns.join_fd[k] = -1;
}

/* Everything the runtime process still holds of a create (or adopt). */
static void ctx_release (struct create_ctx *c)
{
	int *fds[] = {&c->sync[0], &c->sync[1],    &c->cgroup_fd, &c->dirfd,
	              &c->fifo_fd, &c->fifo_dirfd, &c->pidfd};

	ns_plan_close (&c->ns);
	for (size_t i = 0; i < ARRAY_SIZE (fds); i++)
		if (*fds[i] >= 0) {
			close (*fds[i]);
			*fds[i] = -1;
		}
	mounts_idmaps_close (c->mount_fds, c->spec->n_mounts);
	devices_trees_close (c->device_trees, c->spec->linux_.n_devices);
	c->mount_fds = c->device_trees = NULL;
	free (c->cgroup_path);
	c->cgroup_path = NULL;
	free (c->created);
	c->created = NULL;
	cgroup_v1_paths_free (&c->cgroup_v1);
	cgroup_v1_paths_free (&c->cgroups_made);
}

static struct keel_held *held_from (struct create_ctx *c);

static int create (const struct keel_runtime *rt, const char *id, const struct spec *spec,
                   const struct keel_create_opts *opts, pid_t *pid, struct keel_held **held,
                   struct keel_error **err)
{
	struct create_ctx c;
	int ret;

	ctx_init (&c, rt, id, spec, opts);
	c.hold = held != NULL;
	ret = keel_container_check_id (id, err);
	if (ret == 0)
		ret = create_container (&c, err);
	if (ret < 0)
		undo_create (&c);
	else if (pid)
		*pid = c.pid;
	if (ret == 0 && held)
		*held = held_from (&c);
	ctx_release (&c);
	return ret;
}

int keel_container_create (const struct keel_runtime *rt, const char *id, const struct spec *spec,
                           const struct keel_create_opts *opts, pid_t *pid, struct keel_error **err)
{
	return create (rt, id, spec, opts, pid, NULL, err);
}

int keel_container_create_held (const struct keel_runtime *rt, const char *id,
                                const struct spec *spec, const struct keel_create_opts *opts,
                                struct keel_held **held, struct keel_error **err)
{
	*held = NULL;
	return create (rt, id, spec, opts, NULL, held, err);
}

int keel_container_adopt (const struct keel_runtime *rt, const char *id, const struct spec *spec,
                          const struct keel_create_opts *opts, keel_spawn_fn spawn, void *arg,
                          pid_t *pid, struct keel_error **err)
{
	cleanup_free char *dflt_cgroup = NULL, *dir = NULL;
	struct create_ctx c;
	int ret;

	ctx_init (&c, rt, id, spec, opts);
	ret = keel_container_check_id (id, err);
	if (ret == 0)
		ret = state_dir_create (state_root (rt), id, &c.dirfd, err);
	if (ret == 0 && opts->config_json)
		ret = state_spec_save (c.dirfd, opts->config_json, opts->config_len, err);
	if (ret == 0 && rt->cgroup_manager != CGROUP_MANAGER_DISABLED) {
		if (opts->default_cgroup_path == NULL)
			dflt_cgroup = xasprintf ("keel/%s", id);
		ret = create_cgroups (&c, dflt_cgroup ? dflt_cgroup : opts->default_cgroup_path,
		                      err);
	}
	/* A config without device rules gets the default list here too,
	 * before anything of the container runs in these cgroups: criu puts
	 * the restored processes into them and lets them go.  create sets it
	 * after the config's mounts; a restore makes no mounts of the
	 * config's that need a block device, and runc sets every resource
	 * (devices included) before criu restores the mounts. */
	if (ret == 0 && c.default_devices)
		ret = apply_default_devices (&c, err);
	if (ret == 0) {
		dir = xasprintf ("%s/%s", state_root (rt), id);
		ret = spawn (arg, dir, c.cgroup_path, &c.cgroup_v1, &c.pid, err);
	}
	/* No exec fifo: the process is past execve already, so "running". */
	if (ret == 0)
		ret = save_state (&c, KEEL_RUNNING, err);
	if (ret == 0 && opts->pid_file)
		ret = keel_write_pid_file (opts->pid_file, c.pid, err);
	if (ret < 0)
		undo_create (&c);
	else if (pid)
		*pid = c.pid;
	ctx_release (&c);
	return ret;
}

/* ---- start, state, kill, delete ------------------------------------------- */

static int pidfd_open_checked (pid_t pid, unsigned long long starttime)
{
	unsigned long long t;
	int fd = (int)syscall (SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -1;
	/* The pidfd pins the process: if its start time matches now, it is
	 * ours and stays ours, whatever happens to the pid number. */
	if (proc_starttime (pid, &t, NULL, NULL) < 0 || (starttime && t != starttime)) {
		close (fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

static int wait_pidfd (int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	do
		r = poll (&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

struct loaded {
	int dirfd;
	int pidfd; /* of st.pid, when asked for and still that process; else -1 */
	struct keel_state st;
	struct state_extra x;
};

static void loaded_free (struct loaded *l)
{
	if (l->dirfd >= 0)
		close (l->dirfd);
	if (l->pidfd >= 0)
		close (l->pidfd);
	keel_state_free (&l->st);
	state_extra_free (&l->x);
}

#define cleanup_loaded __attribute__ ((cleanup (loaded_free)))

/* pin: a pidfd of the process too (start, kill), opened before the
 * refresh reads its start time, which thus checks the pidfd as well: one
 * read of /proc/PID/stat, not a second after pidfd_open.  None (-1) when
 * the container is stopped, or without pidfd_open (before Linux 5.3). */
static int load (const struct keel_runtime *rt, const char *id, bool lock, bool pin,
                 struct loaded *l, struct keel_error **err)
{
	int ret;

	memset (l, 0, sizeof *l);
	l->dirfd = l->pidfd = -1;
	ret = keel_container_check_id (id, err);
	if (ret == 0)
		ret = state_dir_open (state_root (rt), id, lock, &l->dirfd, err);
	if (ret < 0)
		return ret;
	ret = state_read (l->dirfd, &l->st, &l->x, err);
	if (ret < 0) {
		if ((*err)->status != ENOENT)
			return ret;
		/* No state.json yet: create is still running (or was killed);
		 * the cgroups it made are in CGROUPS_FILE, for delete. */
		keel_error_release (err);
		l->st.id = xstrdup (id);
		l->st.status = KEEL_CREATING;
		return state_cgroups_load (l->dirfd, &l->st, err);
	}
	if (pin && l->st.pid > 0)
		l->pidfd = (int)syscall (SYS_pidfd_open, l->st.pid, 0);
	state_refresh (l->dirfd, &l->st, &l->x);
	if (l->st.status == KEEL_STOPPED && l->pidfd >= 0) {
		close (l->pidfd);
		l->pidfd = -1;
	}
	return 0;
}

/* The container of l is released: running, and its poststart hooks run
 * (a failing one is only a warning, as runc's). */
static int started (const char *id, struct loaded *l)
{
	l->st.status = KEEL_RUNNING;
	if (l->x.n_poststart) {
		cleanup_free char *json = NULL;
		cleanup_free char *what = xasprintf ("container `%s`", id);

		json = keel_state_json (&l->st);
		hooks_run_warn (HOOK_POSTSTART, l->x.poststart, l->x.n_poststart, json, what);
	}
	return 0;
}

/* Release the created container of l (locked) and run its poststart
 * hooks; pidfd (or -1) tells when its process died instead. */
static int start_loaded (const char *id, struct loaded *l, int pidfd, struct keel_error **err)
{
	cleanup_close int fifo = -1;
	char c;
	int ret;

	fifo = openat (l->dirfd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		ret = keel_error (err, errno, "open exec fifo");
		return ret;
	}
	/* Opening for reading released the process's open for writing; it
	 * writes one byte, unless it died. */
	for (;;) {
		struct pollfd p[2] = {{.fd = fifo, .events = POLLIN},
		                      {.fd = pidfd, .events = POLLIN}};
		ssize_t n;

		if (poll (p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = keel_error (err, errno, "poll exec fifo");
			return ret;
		}
		n = read (fifo, &c, 1);
		if (n == 1)
			break;
		if ((n < 0 && errno != EAGAIN) || (p[1].revents & POLLIN) ||
		    (p[0].revents & POLLHUP)) {
			ret = keel_error (err, 0, "container `%s`: its process exited before start",
			                  id);
			return ret;
		}
	}
	unlinkat (l->dirfd, EXEC_FIFO, 0);
	return started (id, l);
}

int keel_container_start (const struct keel_runtime *rt, const char *id, struct keel_error **err)
{
	cleanup_loaded struct loaded l = {.dirfd = -1, .pidfd = -1};
	int ret;

	ret = load (rt, id, true, true, &l, err);
	if (ret < 0)
		return ret;
	if (l.st.status != KEEL_CREATED) {
		ret = keel_error (err, 0, "container `%s` is %s, not created", id,
		                  keel_status_name (l.st.status));
		return ret;
	}
	return start_loaded (id, &l, l.pidfd, err);
}

int keel_container_state (const struct keel_runtime *rt, const char *id, struct keel_state *st,
                          struct keel_error **err)
{
	cleanup_loaded struct loaded l = {.dirfd = -1, .pidfd = -1};
	int ret = load (rt, id, false, false, &l, err);

	if (ret == 0) {
		*st = l.st;
		memset (&l.st, 0, sizeof l.st);
		if (st->status == KEEL_STOPPED)
			st->pid = 0;
		/* state.json of a keel before 2026-12 carries the name. */
		if (st->owner == NULL || st->owner[0] == '\0') {
			free (st->owner);
			st->owner = owner_of (l.dirfd);
		}
	}
	return ret;
}

static int signal_init (const struct loaded *l, int signo, struct keel_error **err)
{
	cleanup_close int own = l->pidfd < 0 ? pidfd_open_checked (l->st.pid, l->x.starttime) : -1;
	int pidfd = l->pidfd >= 0 ? l->pidfd : own;

	if (pidfd < 0) {
		if (errno == ESRCH)
			return keel_error (err, ESRCH,
			                   "container not running (its process is gone)");
		/* No pidfd_open (before 5.3): plain kill after the check above. */
		if (kill (l->st.pid, signo) < 0)
			return keel_error (err, errno, "kill %d", l->st.pid);
		return 0;
	}
	if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
		return keel_error (err, errno, "signal %d to the container process", signo);
	return 0;
}

/* kill --all of a stopped container: containerd's shim sends it to every
 * task that has exited, and runc succeeds; what is left in the cgroup
 * (processes that outlived init without a pid namespace) gets the signal. */
static int kill_leftovers (const struct loaded *l, int signo, struct keel_error **err)
{
	if (l->st.cgroup_path == NULL)
		return 0;
	if (access (l->st.cgroup_path, F_OK) < 0) {
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "cgroup `%s`", l->st.cgroup_path);
	}
	return cgroup_kill (l->st.cgroup_path, signo, err);
}

int keel_container_kill (const struct keel_runtime *rt, const char *id, int signo, bool all,
                         struct keel_error **err)
{
	cleanup_loaded struct loaded l = {.dirfd = -1, .pidfd = -1};
	int ret = load (rt, id, false, !all, &l, err);

	if (ret < 0)
		return ret;
	if (l.st.status == KEEL_STOPPED && all)
		return kill_leftovers (&l, signo, err);
	/* runc's words: containerd's shim matches "container not running". */
	if (l.st.status == KEEL_STOPPED || l.st.status == KEEL_CREATING)
		return keel_error (err, ESRCH, "container not running (%s)",
		                   keel_status_name (l.st.status));
	if (all && l.st.cgroup_path)
		ret = cgroup_kill (l.st.cgroup_path, signo, err);
	else
		ret = signal_init (&l, signo, err);
	return ret;
}

/* SIGKILL everything of the container and wait until its init is gone. */
static int kill_and_wait (const struct loaded *l, struct keel_error **err)
{
	cleanup_close int own = l->pidfd < 0 ? pidfd_open_checked (l->st.pid, l->x.starttime) : -1;
	int pidfd = l->pidfd >= 0 ? l->pidfd : own;
	int ret;

	if (l->st.cgroup_path) {
		ret = cgroup_kill (l->st.cgroup_path, SIGKILL, err);
		if (ret < 0)
			return ret;
	}
	/* A task the v1 freezer holds dies only once thawed. */
	if (l->st.cgroup_v1.n > 0 && cgroup_v1_is_frozen (&l->st.cgroup_v1)) {
		ret = cgroup_v1_freeze (&l->st.cgroup_v1, false, err);
		if (ret < 0)
			return ret;
	}
	if (pidfd < 0)
		return 0;
	if (!l->st.cgroup_path)
		syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	if (wait_pidfd (pidfd, 10000) == 0)
		return keel_error (err, ETIMEDOUT, "the container process did not die");
	return 0;
}

/* Leftovers of a container whose init is gone, or of a create killed
 * before it wrote state.json: whatever is in its cgroups gets SIGKILL,
 * in every v1 hierarchy too (a legacy host's processes may be in some of
 * them only), thawed first where the v1 freezer holds them (a frozen task
 * dies only once thawed).  Best effort: the removal after it says what
 * remains. */
static void kill_leftovers_all (const struct loaded *l)
{
	bool empty = true;

	if (l->st.cgroup_v1.n > 0 && cgroup_v1_is_frozen (&l->st.cgroup_v1))
		cgroup_v1_freeze (&l->st.cgroup_v1, false, NULL);
	if (l->st.cgroup_path && cgroup_is_empty (l->st.cgroup_path, &empty, NULL) == 0 && !empty)
		cgroup_kill (l->st.cgroup_path, SIGKILL, NULL);
	for (size_t i = 0; i < l->st.cgroup_v1.n; i++) {
		empty = true;
		if (cgroup_v1_is_empty (l->st.cgroup_v1.v[i], &empty, NULL) == 0 && !empty)
			cgroup_kill (l->st.cgroup_v1.v[i], SIGKILL, NULL);
	}
}

/* The usual end of a stopped container: its init is gone and, with a pid
 * namespace of its own, every process of it, so each of its cgroups goes
 * with one rmdir.  That is tried first, before listing kernfs directories
 * and v1 pid lists to find leftovers (three system calls per hierarchy,
 * and a pid list the kernel builds for each read): the kernel refuses the
 * rmdir of a cgroup that still holds a process or a child cgroup (EBUSY),
 * so nothing left can be missed, only found by kill_leftovers_all.  True
 * when every cgroup is gone. */
static bool remove_empty_cgroups (const struct loaded *l)
{
	bool gone = cgroup_v1_remove_if_empty (&l->st.cgroup_v1);

	/* On a legacy host cgroup_path is one of the v1 directories: by now
	 * ENOENT. */
	if (l->st.cgroup_path && rmdir (l->st.cgroup_path) < 0 && errno != ENOENT)
		gone = false;
	return gone;
}

/* What a caller that made the container knows is in its state directory
 * (struct keel_held); NULL: whatever keel may have put there. */
struct known_files {
	bool spec_copy, shared_mounts, notify_dir, fifo;
};

static int delete_loaded (const struct keel_runtime *rt, const char *id, struct loaded *l,
                          bool force, const struct known_files *k, struct keel_error **err)
{
	bool gone = false; /* every cgroup of the container removed already */
	int ret;

	if (l->st.status == KEEL_RUNNING && !force) {
		ret = keel_error (err, 0, "container `%s` is running: stop it first or use --force",
		                  id);
		return ret;
	}
	/* A created container is killed by delete, as runc does. */
	if (l->st.status != KEEL_STOPPED && l->st.pid > 0) {
		ret = kill_and_wait (l, err);
		if (ret < 0)
			return ret;
	} else if (remove_empty_cgroups (l)) {
		gone = true;
	} else {
		kill_leftovers_all (l);
	}
	if (l->x.n_poststop) {
		cleanup_free char *json = NULL;
		cleanup_free char *what = xasprintf ("container `%s`", id);

		l->st.status = KEEL_STOPPED;
		l->st.pid = 0;
		json = keel_state_json (&l->st);
		hooks_run_warn (HOOK_POSTSTOP, l->x.poststop, l->x.n_poststop, json, what);
	}
	if (l->st.cgroup_v1.n > 0 && !gone) {
		ret = cgroup_v1_destroy (&l->st.cgroup_v1, err);
		if (ret < 0)
			return ret;
	}
	if (l->st.cgroup_path && !gone) {
		ret = cgroup_destroy (l->st.cgroup_path, err);
		if (ret < 0)
			return ret;
	}
	/* Our bind of the rootfs onto itself carries every mount made for
	 * the container (runc and crun leave them behind). */
	if (l->st.rootfs &&
	    (k ? k->shared_mounts : faccessat (l->dirfd, SHARED_MOUNTS, F_OK, 0) == 0) &&
	    umount2 (l->st.rootfs, MNT_DETACH) < 0 && errno != EINVAL)
		return keel_error (err, errno, "detach the rootfs mounts at `%s`", l->st.rootfs);
	{
		/* What keel may have put there, for a delete that did not make it:
		 * a missing one costs one unlinkat, a listing of the directory
		 * (open, fstat, two fcntl, two getdents, close) more. */
		static const struct known_files all = {
		        .spec_copy = true, .shared_mounts = true, .notify_dir = true, .fifo = true};
		struct state_entry known[7];
		size_t n = 0;

		if (k == NULL)
			k = &all;
		known[n++] = (struct state_entry){STATE_FILE, false};
		known[n++] = (struct state_entry){CGROUPS_FILE, false};
		if (k->spec_copy)
			known[n++] = (struct state_entry){SPEC_COPY, false};
		if (k->shared_mounts)
			known[n++] = (struct state_entry){SHARED_MOUNTS, false};
		if (k->fifo)
			known[n++] = (struct state_entry){EXEC_FIFO, false};
		if (k->notify_dir) {
			known[n++] = (struct state_entry){NOTIFY_PROXY_DIR "/" NOTIFY_PROXY_SOCKET,
			                                  false};
			known[n++] = (struct state_entry){NOTIFY_PROXY_DIR, true};
		}
		return state_dir_remove_known (state_root (rt), id, l->dirfd, known, n, err);
	}
}

int keel_container_delete (const struct keel_runtime *rt, const char *id, bool force,
                           struct keel_error **err)
{
	cleanup_loaded struct loaded l = {.dirfd = -1, .pidfd = -1};
	/* No pidfd first: the usual delete is of a stopped container. */
	int ret = load (rt, id, true, false, &l, err);

	if (ret < 0)
		return ret;
	return delete_loaded (rt, id, &l, force, NULL, err);
}

/* ---- a container create made and its caller holds on to (`run`) ---------- */

struct keel_held {
	const struct keel_runtime *rt;
	/* as load() would read it back; l.pidfd taken at create (-1 without
	 * pidfd_open) and kept whatever the status */
	struct loaded l;
	bool locked;  /* l.dirfd's flock is ours */
	bool started; /* start released it: the exec fifo is gone */
	struct known_files files;
};

static struct spec_strv strv_copy (const struct spec_strv *v)
{
	struct spec_strv c = {.v = xmalloc0 ((v->n + 1) * sizeof (char *)), .n = v->n};

	for (size_t i = 0; i < v->n; i++)
		c.v[i] = xstrdup (v->v[i]);
	return c;
}

static struct spec_map map_copy (const struct spec_map *m)
{
	struct spec_map c = {.e = xmalloc0 ((m->n + 1) * sizeof *m->e), .n = m->n};

	for (size_t i = 0; i < m->n; i++) {
		c.e[i].key = xstrdup (m->e[i].key);
		c.e[i].value = xstrdup (m->e[i].value);
	}
	return c;
}

static void copy_hooks (const struct spec_hook *from, size_t n, struct spec_hook **to, size_t *nto)
{
	*nto = 0;
	*to = NULL;
	if (n == 0)
		return;
	*to = xmalloc0 (n * sizeof **to);
	for (size_t i = 0; i < n; i++) {
		struct spec_hook *d = &(*to)[i];
		d->path = xstrdup (from[i].path);
		d->args = strv_copy (&from[i].args);
		/* absent and [] differ (state.h keeps that difference too) */
		if (from[i].env.v != NULL)
			d->env = strv_copy (&from[i].env);
		d->has_timeout = from[i].has_timeout;
		d->timeout = from[i].timeout;
	}
	*nto = n;
}

static char *xstrdup_null (const char *s)
{
	return s ? xstrdup (s) : NULL;
}

/* The state create just wrote, kept as state_read would return it, and
 * what create holds: the state directory, still locked, and the pidfd. */
static struct keel_held *held_from (struct create_ctx *c)
{
	struct keel_held *h = xmalloc0 (sizeof *h);
	struct keel_state *st = &h->l.st;
	const struct spec *s = c->spec;

	h->rt = c->rt;
	h->l.dirfd = steal_fd (&c->dirfd);
	h->l.pidfd = steal_fd (&c->pidfd);
	h->locked = true;
	h->files.spec_copy = c->opts->config_json != NULL;
	h->files.shared_mounts = c->shared_mountns;
	h->files.notify_dir = c->opts->notify_proxy_dir;
	h->files.fifo = !c->opts->no_exec_fifo;
	st->id = xstrdup (c->id);
	st->bundle = xstrdup_null (s->bundle ? s->bundle : c->opts->bundle);
	st->oci_version = xstrdup_null (s->oci_version);
	st->status = KEEL_CREATED;
	st->pid = c->pid;
	st->created = steal_ptr (&c->created);
	st->cgroup_path = steal_ptr (&c->cgroup_path);
	st->cgroup_v1 = c->cgroup_v1;
	c->cgroup_v1 = (struct spec_strv){0};
	st->annotations = map_copy (&s->annotations);
	st->rootfs = xstrdup_null (c->rootfs);
	h->l.x.starttime = c->starttime;
	copy_hooks (s->hooks.h[HOOK_POSTSTART], s->hooks.n[HOOK_POSTSTART], &h->l.x.poststart,
	            &h->l.x.n_poststart);
	copy_hooks (s->hooks.h[HOOK_POSTSTOP], s->hooks.n[HOOK_POSTSTOP], &h->l.x.poststop,
	            &h->l.x.n_poststop);
	return h;
}

pid_t keel_held_pid (const struct keel_held *h)
{
	return h->l.st.pid;
}

int keel_held_start (struct keel_held *h, struct keel_error **err)
{
	/* Locked since create: no other command started or deleted it in
	 * between.  Its process may have died (a kill from elsewhere): the
	 * pidfd says so while start waits on the fifo. */
	int ret = h->files.fifo ? start_loaded (h->l.st.id, &h->l, h->l.pidfd, err)
	                        : started (h->l.st.id, &h->l);

	if (ret < 0)
		return ret;
	h->started = true;
	h->files.fifo = false;
	/* As after `keel start`: the container is anyone's to kill or delete
	 * while it runs. */
	ret = state_dir_unlock (h->l.dirfd, h->l.st.id, err);
	if (ret == 0)
		h->locked = false;
	return ret;
}

int keel_held_delete (struct keel_held *h, bool force, struct keel_error **err)
{
	struct loaded *l = &h->l;

	/* Our directory, locked again; removed meanwhile by a delete of
	 * another process (and maybe a new container of that id made since:
	 * never ours to touch), it is ENOENT. */
	if (!h->locked) {
		cleanup_error struct keel_error *e = NULL;

		if (state_dir_lock (l->dirfd, l->st.id, &e) < 0) {
			if (e->status == ENOENT)
				return 1;
			*err = steal_ptr (&e);
			return -1;
		}
		h->locked = true;
	}
	/* Status as state_refresh would say: a pidfd is readable once the
	 * process exited (reaped or not). */
	if (l->pidfd >= 0) {
		struct pollfd p = {.fd = l->pidfd, .events = POLLIN};
		int r;

		while ((r = poll (&p, 1, 0)) < 0 && errno == EINTR)
			;
		if (r < 0)
			return keel_error (err, errno, "poll the container's pidfd");
		if (r > 0)
			l->st.status = KEEL_STOPPED;
		else
			l->st.status = h->started ? KEEL_RUNNING : KEEL_CREATED;
	} else {
		l->st.status = KEEL_CREATED;
		state_refresh (l->dirfd, &l->st, &l->x);
	}
	return delete_loaded (h->rt, l->st.id, l, force, &h->files, err);
}

void keel_held_free (struct keel_held *h)
{
	if (h == NULL)
		return;
	loaded_free (&h->l);
	free (h);
}
