/* Short-lived helpers that call the runtime library (see launch.h). */
#include "init/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "init/cni.h"
#include "init/console.h"
#include "init/reload.h"
#include "lib/termsafe.h"
#include "lib/util.h"
#include "runtime/exec.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

extern char **environ;

/* The open file limit a container gets (launch_raise_nofile, container_nofile). */
static struct rlimit child_nofile;
static bool child_nofile_set;

/* Three descriptors held in reserve for a delete helper's report pipe and
 * pidfd: with PID 1 at its open file limit, the cleanup after a failed or
 * finished container must still run, or its cgroup and state stay behind. */
static int fd_reserve[3] = {-1, -1, -1};

static void self_open (void);

static void reserve_fill (void)
{
	for (size_t i = 0; i < ARRAY_SIZE (fd_reserve); i++)
		if (fd_reserve[i] < 0)
			fd_reserve[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

static bool reserve_release (void)
{
	bool had = fd_reserve[0] >= 0 && fd_reserve[1] >= 0;

	for (size_t i = 0; i < ARRAY_SIZE (fd_reserve); i++) {
		if (fd_reserve[i] >= 0)
			close (fd_reserve[i]);
		fd_reserve[i] = -1;
	}
	return had;
}

int launch_raise_nofile (struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	unsigned long long nr_open = 0;
	struct rlimit old, rl;

	if (getrlimit (RLIMIT_NOFILE, &old) < 0)
		return keel_error (err, errno, "getrlimit RLIMIT_NOFILE");
	child_nofile.rlim_max = old.rlim_max;
	if (child_nofile.rlim_max != RLIM_INFINITY && child_nofile.rlim_max < LAUNCH_NOFILE_HARD)
		child_nofile.rlim_max = LAUNCH_NOFILE_HARD;
	child_nofile.rlim_cur = LAUNCH_NOFILE_SOFT;
	/* The kernel's ceiling; raising the hard limit needs CAP_SYS_RESOURCE. */
	if (read_file ("/proc/sys/fs/nr_open", 64, &buf, NULL, err) < 0)
		keel_error_release (err);
	else if (!parse_uint64 (strtok (buf, "\n"), &nr_open))
		nr_open = 0;
	rl.rlim_cur = rl.rlim_max = nr_open > old.rlim_max ? nr_open : old.rlim_max;
	if (setrlimit (RLIMIT_NOFILE, &rl) < 0) {
		/* no CAP_SYS_RESOURCE (or no /proc): the soft limit up to the hard */
		rl.rlim_cur = rl.rlim_max = old.rlim_max;
		if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
			return keel_error (err, errno, "setrlimit RLIMIT_NOFILE to %llu",
			                   (unsigned long long)old.rlim_max);
	}
	if (child_nofile.rlim_max > rl.rlim_max)
		child_nofile.rlim_max = rl.rlim_max;
	if (child_nofile.rlim_cur > child_nofile.rlim_max)
		child_nofile.rlim_cur = child_nofile.rlim_max;
	child_nofile_set = true;
	reserve_fill ();
	self_open ();
	return 0;
}

static void report (int fd, char tag, const char *msg)
{
	char line[LAUNCH_REPORT_MAX];
	size_t n = (size_t)snprintf (line, sizeof line - 1, "%c%s", tag, msg ? msg : "");
	char *nl;

	if (n > sizeof line - 2)
		n = sizeof line - 2;
	/* one line per report whatever the message contains */
	while ((nl = memchr (line, '\n', n)) != NULL)
		*nl = ' ';
	line[n++] = '\n';
	if (write (fd, line, n) < 0) {
		/* PID 1 is gone or the pipe broke: nothing left to tell */
	}
}

static void report_error (int fd, struct keel_error **err)
{
	cleanup_free char *s = keel_error_string (*err);
	report (fd, 'E', s ? s : "unknown error");
	keel_error_release (err);
}

/* PID 1's raised limit is not for containers: unless config.json sets its
 * own (the runtime applies it in the container), the helper lowers its own
 * limit before create, and the container inherits that.  Only once the
 * helper has dropped PID 1's descriptors: it still has to open some. */
static int container_nofile (const struct spec *spec, struct keel_error **err)
{
	size_t i;

	if (!child_nofile_set)
		return 0;
	for (i = 0; i < spec->process.n_rlimits; i++)
		if (spec->process.rlimits[i].resource == RLIMIT_NOFILE)
			return 0;
	if (setrlimit (RLIMIT_NOFILE, &child_nofile) < 0)
		return keel_error (err, errno, "set the container's open file limit (%llu/%llu)",
		                   (unsigned long long)child_nofile.rlim_cur,
		                   (unsigned long long)child_nofile.rlim_max);
	return 0;
}

static int helper_start (int fd, const struct keel_runtime *rt, const char *id,
                         const struct spec *spec, const struct keel_create_opts *opts,
                         const struct tmpfiles *tmpfiles, const struct policy_network *net)
{
	struct keel_error *err = NULL;
	struct cni_attach cni;
	char buf[32];
	pid_t pid = 0;

	if (tmpfiles != NULL && tmpfiles->n > 0) {
		int rootfd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

		if (rootfd < 0) {
			keel_error (&err, errno, "open /");
			report_error (fd, &err);
			return 1;
		}
		ret = tmpfiles_apply (tmpfiles, rootfd, &err);
		close (rootfd);
		if (ret < 0) {
			report_error (fd, &err);
			return 1;
		}
		report (fd, 'T', NULL);
	}

	/* A stale state directory from an earlier run of the same name would
	 * make create fail with EEXIST. */
	if (keel_container_delete (rt, id, true, &err) < 0)
		keel_error_release (&err);
	if (container_nofile (spec, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	/* CNI (cni.h): create -> ADD -> start; opts gain the resolv.conf bind */
	if (cni_prepare (rt, id, net, spec, opts, &cni, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	if (keel_container_create (rt, id, spec, &cni.opts, &pid, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	snprintf (buf, sizeof buf, "%d", (int)pid);
	report (fd, 'P', buf);
	if (cni_attach (rt, id, net, pid, &cni, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	if (cni.summary)
		report (fd, 'N', cni.summary);
	cni_attach_free (&cni);
	if (keel_container_start (rt, id, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	report (fd, 'S', NULL);
	return 0;
}

static int helper_delete (int fd, const struct keel_runtime *rt, const char *id)
{
	struct keel_error *err = NULL;
	int ret = 0;

	/* DEL while the namespace is still held (cni.h); its failure is
	 * reported, the container is deleted all the same. */
	if (cni_detach (rt, id, &err) < 0) {
		report_error (fd, &err);
		ret = 1;
	}
	/* A create that failed has already removed what it made. */
	if (keel_container_delete (rt, id, true, &err) < 0 && err->status != ENOENT) {
		report_error (fd, &err);
		return 1;
	}
	keel_error_release (&err);
	report (fd, 'S', NULL);
	return ret;
}

/* The helper starts with every descriptor of PID 1 (a log pipe per entry
 * and more): with many entries, all the numbers below the open file limit
 * are taken, and create or delete would fail half-way (a cgroup made, its
 * removal not possible).  It needs only its report pipe and the
 * container's stdio. */
static void drop_inherited_fds (int report_fd, const struct keel_create_opts *opts)
{
	struct keel_error *err = NULL;
	int keep[4];
	size_t n = 0, i;

	keep[n++] = report_fd;
	for (i = 0; opts && i < 3; i++)
		if (opts->stdio[i] >= 3)
			keep[n++] = opts->stdio[i];
	if (exec_close_fds_except (3, keep, n, &err) < 0)
		keel_error_release (&err); /* close_range missing: carry on with them */
}

/* The old way, kept for when the binary cannot be exec'd (no /proc, no
 * close_range): a fork of PID 1 that calls the library with PID 1's own
 * parsed spec.  Its cost grows with PID 1's memory (README.md). */
static int launch_fork_copy (enum launch_op op, const struct keel_runtime *rt, const char *id,
                             const struct spec *spec, const struct keel_create_opts *opts,
                             const struct tmpfiles *tmpfiles, const struct policy_network *net,
                             pid_t *helper, int *report_fd, struct keel_error **err)
{
	int p[2];
	pid_t pid;

	if (pipe2 (p, O_CLOEXEC) < 0) {
		/* at the limit, a cleanup still runs: on the reserve */
		bool retry = errno == EMFILE && op == LAUNCH_DELETE && reserve_release ();
		if (!retry || pipe2 (p, O_CLOEXEC) < 0)
			return keel_error (err, errno, "pipe");
	}
	pid = fork ();
	if (pid < 0) {
		int e = errno;
		close (p[0]);
		close (p[1]);
		return keel_error (err, e, "fork a helper for `%s`", id);
	}
	if (pid == 0) {
		sigset_t all;
		int rc;

		/* PID 1 blocks every signal for its signalfd; the container
		 * must not inherit that mask, nor PID 1's dispositions. */
		sigemptyset (&all);
		sigprocmask (SIG_SETMASK, &all, NULL);
		signal (SIGPIPE, SIG_DFL);
		close (p[0]);
		drop_inherited_fds (p[1], opts);
		prctl (PR_SET_NAME, op == LAUNCH_START ? "keel-start" : "keel-delete", 0, 0, 0);
		rc = op == LAUNCH_START ? helper_start (p[1], rt, id, spec, opts, tmpfiles, net)
		                        : helper_delete (p[1], rt, id);
		_exit (rc);
	}
	close (p[1]);
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		close (p[0]);
		return keel_error (err, e, "fcntl");
	}
	*helper = pid;
	*report_fd = p[0];
	reserve_fill ();
	return 0;
}

/* ---- the helper without a copy of PID 1 ------------------------------------------- */

/* The file PID 1 runs from, opened once: the sealed memfd of
 * lib/selfclone.c (so the helper, like PID 1, has no host binary a
 * container could reach through /proc/PID/exe).  -2: not opened yet;
 * -1: not usable, helpers are forked (launch_fork_copy). */
static int self_fd = -2;
static const char *self_path; /* NULL: helpers are forked (launch_exec_from) */

void launch_exec_from (const char *path)
{
	self_path = path;
}

/* Opened early (launch_raise_nofile), before PID 1's descriptors can run
 * out; a failure for want of descriptors is tried again at the next start. */
static void self_open (void)
{
	if (self_fd != -2 || self_path == NULL)
		return;
	self_fd = open (self_path, O_RDONLY | O_CLOEXEC);
	if (self_fd < 0)
		self_fd = errno == EMFILE || errno == ENFILE ? -2 : -1;
}

/* The vfork child's stack: it only moves fds and execs; PID 1 is
 * suspended meanwhile (CLONE_VFORK), so one stack serves every spawn. */
static char spawn_stack[32768] __attribute__ ((aligned (16)));

struct spawn_args {
	char **argv;
	int fds[4];       /* the helper's fds 0..3; -1 keeps PID 1's (0-2 only) */
	volatile int err; /* written by the child (shared memory) when exec failed */
};

/* Runs in PID 1's memory (CLONE_VM) until the exec: syscalls only, no
 * allocation, no lock.  Every signal stays blocked (PID 1's mask, for its
 * signalfd) so none of PID 1's handlers can run here; the helper unblocks
 * after the exec.  Every fd of PID 1 but the four is marked close-on-exec,
 * so the helper never holds one (tests/integration/init-escape.sh). */
static int spawn_child (void *arg)
{
	struct spawn_args *a = arg;
	bool low = false;
	int tmp[4], i;

	for (i = 0; i < 4; i++)
		low = low || (a->fds[i] >= 0 && a->fds[i] < 3);
	if (!low) {
		/* Every source is 3 or above (PID 1 keeps 0-2 open): 0-2 first,
		 * then 3, needs no new descriptor (PID 1 may be at its limit). */
		for (i = 0; i < 4; i++)
			if (a->fds[i] >= 0 && a->fds[i] != i && dup2 (a->fds[i], i) < 0)
				goto fail;
		/* dup2 onto itself keeps close-on-exec */
		if (a->fds[3] == 3 && fcntl (3, F_SETFD, 0) < 0)
			goto fail;
	} else {
		/* a source among the targets: each out of the way first */
		for (i = 0; i < 4; i++) {
			tmp[i] = -1;
			if (a->fds[i] >= 0 && (tmp[i] = fcntl (a->fds[i], F_DUPFD, 10)) < 0)
				goto fail;
		}
		for (i = 0; i < 4; i++)
			if (tmp[i] >= 0 && dup2 (tmp[i], i) < 0)
				goto fail;
	}
	if (syscall (SYS_close_range, a->fds[3] >= 0 ? 4U : 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	syscall (SYS_execveat, self_fd, "", a->argv, environ, AT_EMPTY_PATH);
fail:
	a->err = errno ? errno : EINVAL;
	_exit (127);
}

/* Start keel's own binary as a helper without copying PID 1: the kernel
 * shares PID 1's memory with the child until it execs, so the cost no
 * longer grows with PID 1's size (no page tables copied, no copy-on-write
 * faults after).  *fallback says the way itself is not usable here. */
static int spawn_helper (char **argv, const int fds[4], pid_t *out, int *pidfd, bool *fallback,
                         struct keel_error **err)
{
	struct spawn_args a = {.argv = argv, .err = 0};
	int pfd = -1;
	pid_t pid;

	*fallback = false;
	memcpy (a.fds, fds, sizeof a.fds);
	/* the pidfd tells of its end (launch.h; its exec brings SIGCHLD back) */
	pid = clone (spawn_child, spawn_stack + sizeof spawn_stack,
	             CLONE_VM | CLONE_VFORK | CLONE_PIDFD, &a, &pfd);
	if (pid < 0) {
		/* at the open file limit there is no room for the pidfd: the
		 * fork needs none (launch_spawn keeps the exec for next time) */
		*fallback = errno == EMFILE || errno == ENFILE;
		return keel_error (err, errno, "start a helper for `%s`", argv[3]);
	}
	if (a.err != 0) {
		int e = a.err;
		/* It has exited already (the clone returns after the exec or
		 * the exit): reap it here, no wait. */
		(void)!waitpid (pid, NULL, __WALL);
		if (pfd >= 0)
			close (pfd);
		*fallback = true;
		return keel_error (err, e, "exec keel's own binary for a helper");
	}
	if (pfd < 0) {
		/* cannot happen with CLONE_PIDFD honoured: kill and reap it,
		 * and fork from now on */
		kill (pid, SIGKILL);
		(void)!waitpid (pid, NULL, __WALL);
		*fallback = true;
		return keel_error (err, ENOSYS, "no pidfd for a helper");
	}
	*out = pid;
	*pidfd = pfd;
	return 0;
}

int launch_spawn_role (char **argv, int report_w, pid_t *helper, int *pidfd, bool *fallback,
                       struct keel_error **err)
{
	int fds[4] = {-1, -1, -1, report_w};

	*fallback = false;
	self_open ();
	if (self_fd < 0) {
		*fallback = true;
		return keel_error (err, 0, "keel's own binary cannot be exec'd for a helper");
	}
	return spawn_helper (argv, fds, helper, pidfd, fallback, err);
}

static char *fp_string (const struct entry_fp *fp)
{
	return xasprintf ("%016" PRIx64 ":%016" PRIx64 ":%016" PRIx64, fp->config, fp->policy,
	                  fp->tmpfiles);
}

static int launch_spawn (enum launch_op op, const struct keel_runtime *rt, const char *id,
                         const char *dir, const struct entry_fp *fp,
                         const struct keel_create_opts *opts, bool tmpfiles, int report_w,
                         pid_t *helper, int *pidfd, bool *fallback, struct keel_error **err)
{
	cleanup_free char *nofile = NULL;
	cleanup_free char *fps = NULL;
	const struct spec_mount *m = NULL;
	char *argv[20];
	int fds[4] = {-1, -1, -1, report_w};
	size_t n = 0;

	self_open ();
	if (self_fd < 0) {
		*fallback = true;
		return -1;
	}
	nofile = child_nofile_set
	                 ? xasprintf ("%llu:%llu", (unsigned long long)child_nofile.rlim_cur,
	                              (unsigned long long)child_nofile.rlim_max)
	                 : xstrdup ("-");
	argv[n++] = (char *)"keel";
	argv[n++] = (char *)LAUNCH_HELPER_ROLE;
	argv[n++] = (char *)(op == LAUNCH_START ? "start" : "delete");
	argv[n++] = (char *)id;
	argv[n++] = (char *)rt->state_root;
	argv[n++] =
	        (char *)(rt->cgroup_manager == CGROUP_MANAGER_DISABLED ? "disabled" : "cgroupfs");
	argv[n++] = (char *)(rt->debug ? "1" : "0");
	argv[n++] = nofile;
	if (op == LAUNCH_START) {
		if (opts->n_extra_mounts > 1 ||
		    (opts->extra_env && opts->extra_env[0] && opts->extra_env[1])) {
			*fallback = true; /* only the notify mount is carried */
			return -1;
		}
		m = opts->n_extra_mounts ? &opts->extra_mounts[0] : NULL;
		/* the notify mount's shape (notify_mount), rebuilt by the helper */
		if (m && (!m->bind || m->recursive || m->rro || m->clear_flags || m->propagation ||
		          m->rec_attr_set || m->rec_attr_clr || m->source == NULL ||
		          (m->flags & ~(unsigned long)(MS_BIND | MS_RDONLY)))) {
			*fallback = true;
			return -1;
		}
		fps = fp_string (fp);
		argv[n++] = (char *)dir;
		argv[n++] = (char *)(opts->default_cgroup_path ? opts->default_cgroup_path : "-");
		argv[n++] = (char *)(tmpfiles ? "1" : "0");
		argv[n++] = fps;
		argv[n++] = m ? m->source : (char *)"-";
		argv[n++] = m ? m->destination : (char *)"-";
		argv[n++] = (char *)(m && (m->flags & MS_RDONLY) ? "ro" : "rw");
		argv[n++] =
		        opts->extra_env && opts->extra_env[0] ? opts->extra_env[0] : (char *)"-";
		for (size_t i = 0; i < 3; i++)
			fds[i] = opts->stdio[i];
	}
	argv[n] = NULL;
	if (spawn_helper (argv, fds, helper, pidfd, fallback, err) < 0) {
		int e = *err ? (*err)->status : 0;
		/* for want of descriptors, memory or processes: this once */
		if (*fallback && e != EMFILE && e != ENFILE && e != ENOMEM && e != EAGAIN) {
			close (self_fd);
			self_fd = -1;
		}
		return -1;
	}
	return 0;
}

int launch_fork (enum launch_op op, const struct keel_runtime *rt, const char *id,
                 const struct spec *spec, const struct keel_create_opts *opts,
                 const struct tmpfiles *tmpfiles, const struct policy_network *net, const char *dir,
                 const struct entry_fp *fp, pid_t *helper, int *pidfd, int *report_fd,
                 struct keel_error **err)
{
	struct keel_error *why = NULL;
	bool fallback = false;
	int p[2];

	*pidfd = -1;
	if (op == LAUNCH_START) {
		struct entry_fp now;

		if (dir == NULL || fp == NULL)
			goto copy;
		/* The helper reads the entry's files again: when they are no
		 * longer those PID 1 validated (edited without a reload, or
		 * kept by a reload because the new ones are broken), the entry
		 * starts as it was, from PID 1's own copy in a fork.  Three
		 * small bounded reads (reload.c); the helper checks again. */
		reload_fingerprint (dir, NULL, &now);
		if (reload_fp_diff (fp, &now) & (FP_CONFIG | FP_POLICY | FP_TMPFILES))
			goto copy;
	}
	if (pipe2 (p, O_CLOEXEC) < 0) {
		/* at the limit, a cleanup still runs: on the reserve */
		bool retry = errno == EMFILE && op == LAUNCH_DELETE && reserve_release ();
		if (!retry || pipe2 (p, O_CLOEXEC) < 0)
			return keel_error (err, errno, "pipe");
	}
	if (launch_spawn (op, rt, id, dir, fp, opts, tmpfiles != NULL, p[1], helper, pidfd,
	                  &fallback, &why) < 0) {
		close (p[0]);
		close (p[1]);
		if (!fallback) {
			*err = why;
			return -1;
		}
		if (why != NULL && self_fd == -1) {
			cleanup_free char *m = keel_error_string (why);
			console_status (NULL, CS_WARN, "helpers are forked from now on: %s",
			                m ? m : "?");
		}
		keel_error_release (&why);
		goto copy;
	}
	close (p[1]);
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0) {
		/* cannot fail on a pipe; should it, the helper is not ours to
		 * lose: it is killed and reaped here */
		int e = errno;
		close (p[0]);
		kill (*helper, SIGKILL);
		(void)!waitpid (*helper, NULL, __WALL);
		close (*pidfd);
		*pidfd = -1;
		return keel_error (err, e, "fcntl");
	}
	*report_fd = p[0];
	reserve_fill ();
	return 0;
copy:
	return launch_fork_copy (op, rt, id, spec, opts, tmpfiles, net, helper, report_fd, err);
}

/* ---- the helper's side: `keel __launch ...` (exec'd by launch_spawn) ---------------- */

static bool parse_fp (const char *s, struct entry_fp *fp)
{
	char tail;

	memset (fp, 0, sizeof (*fp));
	return sscanf (s, "%" SCNx64 ":%" SCNx64 ":%" SCNx64 "%c", &fp->config, &fp->policy,
	               &fp->tmpfiles, &tail) == 3;
}

int launch_helper_main (int argc, char **argv)
{
	struct keel_error *err = NULL;
	struct keel_runtime rt = {0};
	struct keel_create_opts opts = {.stdio = {-1, -1, -1}};
	struct spec_mount mount = {0};
	char *mopts[3] = {(char *)"bind", (char *)"ro", NULL};
	char *env[2] = {NULL, NULL};
	struct policy pol;
	struct tmpfiles tf = {0};
	struct entry_fp want, now;
	struct spec *spec = NULL;
	cleanup_free char *config = NULL;
	cleanup_free char *keeljson = NULL;
	cleanup_free char *tmpconf = NULL;
	unsigned long long cur, max;
	sigset_t none;
	int fd = 3, rc;
	bool start;

	/* PID 1's mask (every signal blocked, for its signalfd) came through
	 * the exec; the container must not inherit it, nor SIG_IGN for SIGPIPE. */
	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
	signal (SIGPIPE, SIG_DFL);
	if (fcntl (fd, F_GETFD) < 0 || argc < 7) {
		fprintf (stderr, "keel: %s is started by keel init only\n", LAUNCH_HELPER_ROLE);
		return 2;
	}
	start = strcmp (argv[1], "start") == 0;
	/* only fd 3 and 0-2 came through the exec; should one more have, drop it */
	drop_inherited_fds (fd, NULL);
	rt.state_root = argv[3];
	rt.cgroup_manager = strcmp (argv[4], "disabled") == 0 ? CGROUP_MANAGER_DISABLED
	                                                      : CGROUP_MANAGER_CGROUPFS;
	rt.debug = strcmp (argv[5], "1") == 0;
	if (sscanf (argv[6], "%llu:%llu", &cur, &max) == 2) {
		child_nofile.rlim_cur = (rlim_t)cur;
		child_nofile.rlim_max = (rlim_t)max;
		child_nofile_set = true;
	}
	prctl (PR_SET_NAME, start ? "keel-start" : "keel-delete", 0, 0, 0);
	if (!start)
		return helper_delete (fd, &rt, argv[2]);
	if (argc != 15 || !parse_fp (argv[10], &want)) {
		report (fd, 'E', "launch helper: bad arguments");
		return 2;
	}
	/* The entry as PID 1 validated it (entries.c): the same files, read
	 * again here, in the helper's own process, and refused if they are no
	 * longer what PID 1 read (a change takes `keelctl reload`). */
	config = xasprintf ("%s/config.json", argv[7]);
	keeljson = xasprintf ("%s/keel.json", argv[7]);
	tmpconf = xasprintf ("%s/tmpfiles.conf", argv[7]);
	policy_defaults (&pol);
	if (policy_load (keeljson, &pol, &err) < 0 ||
	    spec_load (config, argv[7], &spec, &err) < 0 ||
	    (strcmp (argv[9], "1") == 0 && tmpfiles_load (tmpconf, &tf, &err) < 0)) {
		report_error (fd, &err);
		return 1;
	}
	reload_fingerprint (argv[7], spec->root.abs_path, &now);
	if (reload_fp_diff (&want, &now) & (FP_CONFIG | FP_POLICY | FP_TMPFILES)) {
		char what[128];
		cleanup_free char *m = xasprintf (
		        "%s: %s changed since keel read it; `keelctl reload` to use the new files",
		        argv[7],
		        reload_fp_describe (reload_fp_diff (&want, &now) &
		                                    (FP_CONFIG | FP_POLICY | FP_TMPFILES),
		                            what, sizeof what));
		report (fd, 'E', m);
		return 1;
	}
	opts.bundle = spec->bundle ? spec->bundle : argv[7];
	opts.default_cgroup_path = strcmp (argv[8], "-") == 0 ? NULL : argv[8];
	if (strcmp (argv[11], "-") != 0) {
		mount.source = argv[11];
		mount.destination = argv[12];
		mount.type = (char *)"bind";
		mount.options.v = mopts;
		mount.options.n = strcmp (argv[13], "ro") == 0 ? 2 : 1;
		mount.flags = MS_BIND | (strcmp (argv[13], "ro") == 0 ? MS_RDONLY : 0);
		mount.bind = true;
		opts.extra_mounts = &mount;
		opts.n_extra_mounts = 1;
	}
	if (strcmp (argv[14], "-") != 0) {
		env[0] = argv[14];
		opts.extra_env = env;
	}
	rc = helper_start (fd, &rt, argv[2], spec, &opts, strcmp (argv[9], "1") == 0 ? &tf : NULL,
	                   &pol.network);
	/* the helper returns into main and exits: what it read goes first
	 * (LeakSanitizer's report at its exit went to the container's log) */
	spec_free (spec);
	tmpfiles_free (&tf);
	policy_free (&pol);
	return rc;
}

/* A report's text goes to the console and to keelctl: an error can quote
 * what the image's files held (config.json's args, a user name from its
 * /etc/passwd), so it is rendered for a terminal here (lib/termsafe.h). */
static char *report_text (const char *s, size_t n)
{
	char *out = xmalloc0 (n * TERMSAFE_GROWTH + 1);

	termsafe (out, n * TERMSAFE_GROWTH, s, n, 0, NULL);
	return out;
}

void launch_parse (const char *buf, size_t len, struct launch_report *r)
{
	size_t i = 0;

	memset (r, 0, sizeof (*r));
	while (i < len) {
		const char *line = buf + i;
		const char *nl = memchr (line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		char tmp[32];

		if (n > 0 && line[0] == 'P' && n - 1 < sizeof tmp) {
			unsigned long long v;
			memcpy (tmp, line + 1, n - 1);
			tmp[n - 1] = '\0';
			if (parse_uint64 (tmp, &v) && v > 0 && v < (1ULL << 22))
				r->pid = (pid_t)v;
		} else if (n > 0 && line[0] == 'S') {
			r->started = true;
		} else if (n > 0 && line[0] == 'T') {
			r->tmpfiles_done = true;
		} else if (n > 0 && line[0] == 'N' && r->network == NULL) {
			r->network = report_text (line + 1, n - 1);
		} else if (n > 0 && line[0] == 'E' && r->error == NULL) {
			r->error = report_text (line + 1, n - 1);
		}
		i += n + 1;
	}
}

void launch_report_free (struct launch_report *r)
{
	free (r->error);
	r->error = NULL;
	free (r->network);
	r->network = NULL;
}
