/* Short-lived helpers that call the runtime library (see launch.h). */
#include "init/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "init/cni.h"
#include "lib/util.h"
#include "runtime/exec.h"

/* The open file limit a container gets (launch_raise_nofile, container_nofile). */
static struct rlimit child_nofile;
static bool child_nofile_set;

/* Two descriptors held in reserve for a delete helper's report pipe: with
 * PID 1 at its open file limit, the cleanup after a failed or finished
 * container must still run, or its cgroup and state stay behind. */
static int fd_reserve[2] = {-1, -1};

static void reserve_fill (void)
{
	for (size_t i = 0; i < 2; i++)
		if (fd_reserve[i] < 0)
			fd_reserve[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

static bool reserve_release (void)
{
	bool had = fd_reserve[0] >= 0 && fd_reserve[1] >= 0;

	for (size_t i = 0; i < 2; i++)
		if (fd_reserve[i] >= 0)
			close (fd_reserve[i]);
	fd_reserve[0] = fd_reserve[1] = -1;
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

int launch_fork (enum launch_op op, const struct keel_runtime *rt, const char *id,
                 const struct spec *spec, const struct keel_create_opts *opts,
                 const struct tmpfiles *tmpfiles, const struct policy_network *net,
                 pid_t *helper, int *report_fd,
                 struct keel_error **err)
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
			r->network = xmalloc0 (n);
			memcpy (r->network, line + 1, n - 1);
		} else if (n > 0 && line[0] == 'E' && r->error == NULL) {
			r->error = xmalloc0 (n);
			memcpy (r->error, line + 1, n - 1);
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
