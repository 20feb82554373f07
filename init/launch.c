/* Short-lived helpers that call the runtime library (see launch.h). */
#include "init/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init/cni.h"
#include "lib/util.h"

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

static int helper_start (int fd, const struct keel_runtime *rt, const char *id,
                         const struct spec *spec, const struct keel_create_opts *opts,
                         const struct policy_network *net)
{
	struct keel_error *err = NULL;
	struct cni_attach cni;
	char buf[32];
	pid_t pid = 0;

	/* A stale state directory from an earlier run of the same name would
	 * make create fail with EEXIST. */
	if (keel_container_delete (rt, id, true, &err) < 0)
		keel_error_release (&err);
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

int launch_fork (enum launch_op op, const struct keel_runtime *rt, const char *id,
                 const struct spec *spec, const struct keel_create_opts *opts,
                 const struct policy_network *net, pid_t *helper, int *report_fd,
                 struct keel_error **err)
{
	int p[2];
	pid_t pid;

	if (pipe2 (p, O_CLOEXEC) < 0)
		return keel_error (err, errno, "pipe");
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
		prctl (PR_SET_NAME, op == LAUNCH_START ? "keel-start" : "keel-delete", 0, 0, 0);
		rc = op == LAUNCH_START ? helper_start (p[1], rt, id, spec, opts, net)
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
