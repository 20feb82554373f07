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
                         const struct tmpfiles *tmpfiles)
{
	struct keel_error *err = NULL;
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
	if (keel_container_create (rt, id, spec, opts, &pid, &err) < 0) {
		report_error (fd, &err);
		return 1;
	}
	snprintf (buf, sizeof buf, "%d", (int)pid);
	report (fd, 'P', buf);
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

	/* A create that failed has already removed what it made. */
	if (keel_container_delete (rt, id, true, &err) < 0 && err->status != ENOENT) {
		report_error (fd, &err);
		return 1;
	}
	keel_error_release (&err);
	report (fd, 'S', NULL);
	return 0;
}

int launch_fork (enum launch_op op, const struct keel_runtime *rt, const char *id,
                 const struct spec *spec, const struct keel_create_opts *opts,
                 const struct tmpfiles *tmpfiles, pid_t *helper, int *report_fd,
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
		rc = op == LAUNCH_START ? helper_start (p[1], rt, id, spec, opts, tmpfiles)
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
		} else if (n > 0 && line[0] == 'T') {
			r->tmpfiles_done = true;
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
}
