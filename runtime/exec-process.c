/* exec: another process in a running container; see exec-process.h.
 *
 * Three processes take part: this one (the runtime), the intermediate it
 * forks, and the exec'd process the intermediate clones.  They talk over
 * one sync socket (sync.h): the intermediate sends SYNC_PID, the process
 * sends SYNC_CONSOLE / SYNC_SECCOMP, and either sends SYNC_ERROR.  The
 * socket is close-on-exec, so its end of file means the process called
 * execve and the intermediate is gone.
 */
#include "runtime/exec-process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup-v1.h"
#include "runtime/exec.h"
#include "runtime/process-attrs.h"
#include "runtime/process-setup.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

struct exec_ctx {
	const struct keel_exec_opts *o;
	pid_t init;
	int pidfd;
	int ns_fd[NS_KIND_MAX];            /* -1: the same namespace as ours */
	int ns_flags;                      /* CLONE_NEW* of the namespaces to join */
	int cgroup_fd;                     /* the cgroup directory, or -1 */
	const struct spec_strv *cgroup_v1; /* its v1 directories (hybrid, legacy) */
	struct spec_strv v1_sub;           /* the same with --cgroup's sub-cgroups */
	int sync[2];
};

static const char *proc_ns_name (enum spec_ns_kind k)
{
	return k == NS_NETWORK ? "net" : k == NS_MOUNT ? "mnt" : spec_ns_name (k);
}

/* ---- the runtime process: what to join ---------------------------------- */

static int load_running (const struct keel_runtime *rt, const char *id, bool ignore_paused,
                         struct keel_state *st, unsigned long long *starttime,
                         struct keel_error **err)
{
	const char *root = rt && rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT;
	cleanup_close int dirfd = -1;
	cleanup_free char *freeze = NULL, *frozen = NULL;
	struct state_extra x = {0};
	int ret;

	ret = keel_container_check_id (id, err);
	if (ret == 0)
		ret = state_dir_open (root, id, false, &dirfd, err);
	if (ret == 0)
		ret = state_read (dirfd, st, &x, err);
	if (ret < 0) {
		if ((*err)->status == ENOENT)
			return keel_error (err, 0, "cannot exec in a container being created");
		return ret;
	}
	state_refresh (dirfd, st, &x);
	*starttime = x.starttime;
	state_extra_free (&x);
	/* runc allows a created container too: its namespaces are all there. */
	if (st->status == KEEL_STOPPED)
		return keel_error (err, 0, "cannot exec in a stopped container");
	if (st->status == KEEL_CREATING)
		return keel_error (err, 0, "cannot exec in a container being created");
	if (st->cgroup_path == NULL || ignore_paused)
		return 0;
	/* On a v1 or hybrid host the freezer is v1's (cgroup-v1.c). */
	if (st->cgroup_v1.n > 0) {
		if (cgroup_v1_is_frozen (&st->cgroup_v1))
			return keel_error (err, 0,
			                   "cannot exec in a paused container (use --ignore-paused "
			                   "to override)");
		return 0;
	}
	freeze = xasprintf ("%s/cgroup.freeze", st->cgroup_path);
	if (read_file (freeze, 16, &frozen, NULL, NULL) == 0 && frozen[0] == '1')
		return keel_error (err, 0,
		                   "cannot exec in a paused container (use --ignore-paused to "
		                   "override)");
	return 0;
}

/* A pidfd of the init, checked to be the process state.json names: from
 * then on its pid cannot be another process's. */
static int open_init (struct exec_ctx *c, unsigned long long starttime, struct keel_error **err)
{
	unsigned long long t = 0;

	c->pidfd = (int)syscall (SYS_pidfd_open, c->init, 0);
	if (c->pidfd < 0 && errno != ENOSYS)
		return keel_error (err, errno == ESRCH ? 0 : errno,
		                   "cannot exec in a stopped container (pid %d is gone)", c->init);
	if (proc_starttime (c->init, &t, NULL, NULL) < 0 || (starttime && t != starttime))
		return keel_error (err, 0, "cannot exec in a stopped container");
	return 0;
}

/* Every namespace of the init that is not ours: an fd of each (the way in
 * before Linux 5.8, whose setns takes no pidfd) and its CLONE_NEW* flag.
 * Joining one we are in is skipped (for user, the kernel refuses it). */
static int open_namespaces (struct exec_ctx *c, struct keel_error **err)
{
	for (int k = 0; k < NS_KIND_MAX; k++) {
		char theirs[64], ours[64];
		struct stat a, b;

		snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", c->init, proc_ns_name (k));
		snprintf (ours, sizeof ours, "/proc/self/ns/%s", proc_ns_name (k));
		if (stat (theirs, &a) < 0) {
			if (errno == ENOENT && stat (ours, &b) < 0)
				continue; /* a namespace this kernel does not have */
			return keel_error (err, errno, "stat `%s`", theirs);
		}
		if (stat (ours, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			continue;
		c->ns_fd[k] = open (theirs, O_RDONLY | O_CLOEXEC);
		if (c->ns_fd[k] < 0)
			return keel_error (err, errno, "open `%s`", theirs);
		c->ns_flags |= spec_ns_clone_flag (k);
	}
	return 0;
}

/* A --cgroup PATH stays below the container's cgroup: no ".." in it. */
static int check_sub (const char *arg, const char *sub, struct keel_error **err)
{
	for (const char *s = sub; *s; s += strcspn (s, "/"), s += *s == '/')
		if (strncmp (s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return keel_error (err, 0, "--cgroup `%s`: .. is not a sub cgroup path",
			                   arg);
	return 0;
}

/* The container's cgroup, or the --cgroup one below it (which must exist,
 * as with runc): a plain PATH in every hierarchy, unified and v1; on v1,
 * CTRL[,CTRL]:PATH in the hierarchies of those controllers only. */
static int open_cgroup (struct exec_ctx *c, const char *cgroup_path, const struct spec_strv *v1,
                        struct keel_error **err)
{
	const struct keel_exec_opts *o = c->o;
	const char *sub = o->sub_cgroup;
	cleanup_free char *path = NULL;
	int ret;

	c->cgroup_v1 = v1;
	if (cgroup_path == NULL && v1->n == 0) {
		if (sub || o->n_sub_cgroup_ctl)
			return keel_error (err, 0, "--cgroup: the container has no cgroup");
		return 0;
	}
	if (sub && (ret = check_sub (sub, sub, err)) < 0)
		return ret;
	for (size_t k = 0; k < o->n_sub_cgroup_ctl; k++) {
		const char *arg = o->sub_cgroup_ctl[k];
		if (v1->n == 0)
			return keel_error (err, 0,
			                   "--cgroup `%s`: a controller prefix is for cgroup v1 "
			                   "hierarchies, and this container has none",
			                   arg);
		if ((ret = check_sub (arg, strchr (arg, ':') + 1, err)) < 0)
			return ret;
	}
	if (v1->n > 0 && (sub || o->n_sub_cgroup_ctl)) {
		ret = cgroup_v1_sub_paths (v1, sub, o->sub_cgroup_ctl, o->n_sub_cgroup_ctl,
		                           &c->v1_sub, err);
		if (ret < 0)
			return ret;
		c->cgroup_v1 = &c->v1_sub;
		/* Checked here, where the error still reaches the caller as
		 * the unified one does. */
		for (size_t i = 0; i < c->v1_sub.n; i++) {
			struct stat st;
			if (stat (c->v1_sub.v[i], &st) < 0)
				return keel_error (err, errno, "--cgroup: cgroup `%s`",
				                   c->v1_sub.v[i]);
		}
	}
	if (cgroup_path == NULL)
		return 0;
	path = sub ? xasprintf ("%s/%s", cgroup_path, sub) : xstrdup (cgroup_path);
	c->cgroup_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->cgroup_fd < 0)
		return keel_error (err, errno, "%scgroup `%s`", sub ? "--cgroup: " : "", path);
	return 0;
}

/* ---- the exec'd process ---------------------------------------------------- */

static int process_setup (struct exec_ctx *c, char **exe, char ***envp, struct keel_error **err)
{
	const struct spec_process *p = c->o->process;
	const struct process_setup ps = {
	        .process = p,
	        .seccomp = &c->o->config->linux_.seccomp,
	};
	int keep = c->sync[1], kept_cap = -1, ret;
	sigset_t none;

	/* Only the sync socket is left of ours; the namespace, pidfd and
	 * cgroup fds stay with the intermediate. */
	if ((ret = exec_close_fds_except (3 + c->o->preserve_fds, &keep, 1, err)) < 0)
		return ret;
	/* Die with the runtime while it still waits for us. */
	if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_PDEATHSIG");
	/* A blocked mask survives execve; the caller may be PID 1 with every
	 * signal blocked for its signalfd. */
	sigemptyset (&none);
	if (sigprocmask (SIG_SETMASK, &none, NULL) < 0)
		return keel_error (err, errno, "sigprocmask");
	/* /dev/console stays the container init's */
	if (p->terminal && (ret = terminal_setup_process (p, c->sync[1], false, err)) < 0)
		return ret;
	if ((ret = process_setup_apply (&ps, &kept_cap, err)) < 0)
		return ret;
	if ((ret = exec_find (p->args.v[0], p->env.v, exe, err)) < 0)
		return keel_error_wrap (err, "process.args[0]");
	*envp = exec_build_env (p->env.v, NULL);
	if ((ret = exec_pass_fds (c->o->preserve_fds, err)) < 0)
		return ret;
	ret = process_apply_cpu_affinity (p->exec_cpu_affinity_final, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.execCPUAffinity.final");
	if (prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_PDEATHSIG");
	/* Last, with or without no_new_privs: the filter then covers only
	 * execve.  The listener fd goes with SCM_RIGHTS: nothing waits here
	 * for the runtime to take it by number before execve closes it. */
	if ((ret = process_load_seccomp (ps.seccomp, &p->caps, kept_cap, c->sync[1], false, err)) <
	    0)
		return ret;
	return 0;
}

static void __attribute__ ((noreturn)) process_main (struct exec_ctx *c)
{
	struct keel_error *err = NULL;
	char *exe = NULL, **envp = NULL;

	if (process_setup (c, &exe, &envp, &err) < 0) {
		sync_send_error (c->sync[1], err);
		_exit (1);
	}
	execve (exe, c->o->process->args.v, envp);
	keel_error (&err, errno, "exec `%s`", exe);
	sync_send_error (c->sync[1], err);
	_exit (127);
}

/* ---- the intermediate ---------------------------------------------------- */

/* Keep our own fds above the preserved ones, so a preserved fd number is
 * never one of them, then close everything else the caller had open. */
static int close_foreign_fds (struct exec_ctx *c, struct keel_error **err)
{
	int *mine[3 + NS_KIND_MAX] = {&c->sync[1], &c->pidfd, &c->cgroup_fd};
	int keep[ARRAY_SIZE (mine)], min = 3 + c->o->preserve_fds;
	size_t n = 3, k = 0;

	for (int i = 0; i < NS_KIND_MAX; i++)
		mine[n++] = &c->ns_fd[i];
	for (size_t i = 0; i < n; i++) {
		int fd = *mine[i];
		if (fd < 0)
			continue;
		if (fd < min) {
			int nfd = fcntl (fd, F_DUPFD_CLOEXEC, min);
			if (nfd < 0)
				return keel_error (err, errno, "dup");
			close (fd);
			*mine[i] = fd = nfd;
		}
		keep[k++] = fd;
	}
	return exec_close_fds_except (min, keep, k, err);
}

/* Enter the cgroup (from outside every namespace, where the kernel allows
 * the move) and then the namespaces: all at once through the pidfd, or,
 * before Linux 5.8, one fd at a time, user first for the privileges it
 * gives over the others. */
static int join (struct exec_ctx *c, struct keel_error **err)
{
	int ret;

	if (c->cgroup_fd >= 0) {
		ret = write_file_at (c->cgroup_fd, "cgroup.procs", 0, 0, "0", 1, err);
		if (ret < 0)
			return keel_error_wrap (err, "join the container's cgroup");
	}
	/* Every v1 hierarchy too: the devices, pids and memory limits of a
	 * hybrid or legacy host live there, and a process left outside them
	 * would escape them (runc's bats "device cgroup deny" exec case). */
	if (c->cgroup_v1 && c->cgroup_v1->n > 0) {
		ret = cgroup_v1_enter (c->cgroup_v1, getpid (), err);
		if (ret < 0)
			return keel_error_wrap (err, "join the container's cgroups");
	}
	if (c->ns_flags == 0)
		return 0;
	if (c->pidfd >= 0 && setns (c->pidfd, c->ns_flags) == 0)
		return 0;
	if (c->pidfd >= 0 && errno != EINVAL)
		return keel_error (err, errno, "join the namespaces of pid %d", c->init);
	for (int i = -1; i < NS_KIND_MAX; i++) {
		enum spec_ns_kind k = i < 0 ? NS_USER : (enum spec_ns_kind)i;
		if ((i >= 0 && k == NS_USER) || c->ns_fd[k] < 0)
			continue;
		if (setns (c->ns_fd[k], spec_ns_clone_flag (k)) < 0)
			return keel_error (err, errno, "join the %s namespace of pid %d",
			                   spec_ns_name (k), c->init);
	}
	return 0;
}

static int intermediate (struct exec_ctx *c, pid_t *pid, struct keel_error **err)
{
	int ret;

	/* Non-dumpable from the start: once in the container's user
	 * namespace, its root could otherwise ptrace us or open
	 * /proc/PID/exe, the host's keel binary (CVE-2019-5736); the
	 * process inherits it and keeps it until execve. */
	if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_DUMPABLE");
	if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_PDEATHSIG");
	if ((ret = close_foreign_fds (c, err)) < 0)
		return ret;
	ret = process_apply_cpu_affinity (c->o->process->exec_cpu_affinity_initial, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.execCPUAffinity.initial");
	/* Here, still privileged on the host: in the container's user
	 * namespace lowering it is refused.  The process inherits it. */
	ret = c->o->process->has_oom_score_adj ? process_apply_oom_score_adj (c->o->process, err)
	                                       : 0;
	if (ret < 0)
		return keel_error_wrap (err, "process.oomScoreAdj");
	if ((ret = join (c, err)) < 0)
		return ret;
	/* A child of the runtime, so that it reaps it (and the pid namespace
	 * we joined applies to it). */
	*pid = (pid_t)syscall (SYS_clone, (unsigned long)CLONE_PARENT, NULL, NULL, NULL, 0);
	if (*pid < 0)
		return keel_error (err, errno, "clone the process");
	return 0;
}

static void __attribute__ ((noreturn)) intermediate_main (struct exec_ctx *c)
{
	struct keel_error *err = NULL;
	pid_t pid = 0;

	close (c->sync[0]);
	if (intermediate (c, &pid, &err) < 0) {
		sync_send_error (c->sync[1], err);
		_exit (1);
	}
	if (pid == 0)
		process_main (c);
	_exit (sync_send (c->sync[1], SYNC_PID, pid, -1, NULL, NULL) < 0);
}

/* ---- the runtime process: serve both until execve -------------------------- */

/* The notify listener fd goes to linux.seccomp.listenerPath with the
 * process's pid in the state, so it waits until that pid is known. */
static int send_notify_fd (const struct exec_ctx *c, const struct keel_state *st, int *fd,
                           pid_t pid, struct keel_error **err)
{
	struct keel_state running = *st;
	cleanup_free char *json = NULL;
	cleanup_close int notify = steal_fd (fd);

	running.status = KEEL_RUNNING;
	json = keel_state_json (&running);
	return seccomp_send_notify_fd (&c->o->config->linux_.seccomp, notify, pid, json, err);
}

static int serve (struct exec_ctx *c, const struct keel_state *st, pid_t *pid,
                  struct keel_error **err)
{
	cleanup_close int notify = -1;
	struct sync_msg m;
	int ret = 0;

	for (;;) {
		if (notify >= 0 && *pid > 0 &&
		    (ret = send_notify_fd (c, st, &notify, *pid, err)) < 0)
			return ret;
		ret = sync_recv (c->sync[0], &m, err);
		if (ret < 0) {
			if ((*err)->status != ECONNRESET)
				return ret;
			keel_error_release (err);
			return 0; /* both gone: execve, or an exit we learn from waitpid */
		}
		switch (m.type) {
		case SYNC_PID:
			*pid = m.status;
			break;
		case SYNC_ERROR:
			return keel_error (err, m.status, "%s", m.text);
		case SYNC_CONSOLE:
			ret = c->o->console_socket
			              ? terminal_send_master (c->o->console_socket, m.fd, err)
			              : keel_error (err, 0, "a terminal needs a console socket");
			close (m.fd);
			if (ret < 0)
				return ret;
			break;
		case SYNC_SECCOMP:
			if (notify >= 0)
				close (notify);
			notify = m.fd;
			break;
		default:
			if (m.fd >= 0)
				close (m.fd);
			return keel_error (err, EPROTO, "sync: unexpected message %d", m.type);
		}
	}
}

static int run_exec (struct exec_ctx *c, const struct keel_state *st, pid_t *pid,
                     struct keel_error **err)
{
	pid_t child;
	int status = 0, ret;

	child = fork ();
	if (child < 0)
		return keel_error (err, errno, "fork");
	if (child == 0)
		intermediate_main (c);
	close (c->sync[1]);
	c->sync[1] = -1;
	ret = serve (c, st, pid, err);
	while (waitpid (child, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == 0 && *pid <= 0)
		ret = keel_error (err, 0, "the process joining the container exited (status %#x)",
		                  status);
	if (ret < 0 && *pid > 0) {
		kill (*pid, SIGKILL);
		while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
			;
		*pid = 0;
	}
	return ret;
}

int keel_container_exec (const struct keel_runtime *rt, const char *id,
                         const struct keel_exec_opts *o, pid_t *pid, struct keel_error **err)
{
	struct exec_ctx c = {.o = o, .pidfd = -1, .cgroup_fd = -1, .sync = {-1, -1}};
	struct keel_state st = {0};
	unsigned long long starttime = 0;
	int ret;

	*pid = 0;
	for (int k = 0; k < NS_KIND_MAX; k++)
		c.ns_fd[k] = -1;
	ret = load_running (rt, id, o->ignore_paused, &st, &starttime, err);
	c.init = st.pid;
	if (ret == 0 && o->process->terminal && o->console_socket == NULL)
		ret = keel_error (err, 0,
		                  "process.terminal is set but no console socket was given");
	if (ret == 0)
		ret = open_init (&c, starttime, err);
	if (ret == 0)
		ret = open_namespaces (&c, err);
	if (ret == 0)
		ret = open_cgroup (&c, st.cgroup_path, &st.cgroup_v1, err);
	if (ret == 0)
		ret = sync_pair (c.sync, err);
	if (ret == 0)
		ret = run_exec (&c, &st, pid, err);
	for (int k = 0; k < NS_KIND_MAX; k++)
		if (c.ns_fd[k] >= 0)
			close (c.ns_fd[k]);
	for (int i = 0; i < 2; i++)
		if (c.sync[i] >= 0)
			close (c.sync[i]);
	if (c.pidfd >= 0)
		close (c.pidfd);
	if (c.cgroup_fd >= 0)
		close (c.cgroup_fd);
	cgroup_v1_strv_free (&c.v1_sub);
	keel_state_free (&st);
	return ret;
}
