/* See hooks.h. */
#include "runtime/hooks.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

const char *hooks_kind_name (enum spec_hook_kind kind)
{
	return spec_hook_kind_name (kind);
}

static void __attribute__ ((noreturn)) hook_exec (const struct spec_hook *h, int in)
{
	char *argv0[] = {h->path, NULL};

	if (dup2 (in, 0) < 0)
		_exit (127);
	/* The kernel's own backstop for the timeout: the alarm survives
	 * execve, so the hook dies of SIGALRM even where the parent cannot
	 * get a pidfd to poll (kernels before 5.3, valgrind). */
	if (h->has_timeout && h->timeout > 0)
		alarm ((unsigned)h->timeout);
	/* Without "env" a hook gets the runtime's environment, as with runc
	 * and crun (hooks such as nvidia-container-runtime-hook need PATH);
	 * "env": [] is an empty one. */
	execve (h->path, h->args.n ? h->args.v : argv0, h->env.v ? h->env.v : environ);
	_exit (127);
}

/* Wait for pid, killing it after timeout seconds (<= 0: no limit). */
static int wait_hook (pid_t pid, int timeout, int *status, bool *timed_out)
{
	*timed_out = false;
	if (timeout > 0) {
		int pfd = (int)syscall (SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			int r;
			do
				r = poll (&p, 1, timeout * 1000);
			while (r < 0 && errno == EINTR);
			close (pfd);
			if (r == 0) {
				kill (pid, SIGKILL);
				*timed_out = true;
			}
		}
	}
	while (waitpid (pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (timeout > 0 && WIFSIGNALED (*status) && WTERMSIG (*status) == SIGALRM)
		*timed_out = true;
	return 0;
}

static int run_one (enum spec_hook_kind kind, const struct spec_hook *h, const char *state_json,
                    struct keel_error **err)
{
	int sv[2], status;
	bool timed_out;
	pid_t pid;

	/* Checked here so a missing hook gets a precise message, not 127. */
	if (access (h->path, X_OK) < 0)
		return keel_error (err, errno, "%s hook `%s`", hooks_kind_name (kind), h->path);
	if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return keel_error (err, errno, "%s hook `%s`: socketpair", hooks_kind_name (kind),
		                   h->path);
	pid = fork ();
	if (pid < 0) {
		int e = errno;
		close (sv[0]);
		close (sv[1]);
		return keel_error (err, e, "%s hook `%s`: fork", hooks_kind_name (kind), h->path);
	}
	if (pid == 0)
		hook_exec (h, sv[1]);
	close (sv[1]);
	/* A hook may ignore its stdin: a short or failed write is fine. */
	if (state_json)
		(void)!send (sv[0], state_json, strlen (state_json), MSG_NOSIGNAL | MSG_DONTWAIT);
	close (sv[0]);
	if (wait_hook (pid, h->has_timeout ? h->timeout : 0, &status, &timed_out) < 0)
		return keel_error (err, errno, "%s hook `%s`: wait", hooks_kind_name (kind),
		                   h->path);
	if (timed_out)
		return keel_error (err, 0, "%s hook `%s`: timed out after %d s, killed",
		                   hooks_kind_name (kind), h->path, h->timeout);
	if (WIFSIGNALED (status))
		return keel_error (err, 0, "%s hook `%s`: killed by signal %d",
		                   hooks_kind_name (kind), h->path, WTERMSIG (status));
	if (WEXITSTATUS (status) == 127)
		return keel_error (err, 0, "%s hook `%s`: exited with status 127 (cannot execute?)",
		                   hooks_kind_name (kind), h->path);
	if (WEXITSTATUS (status) != 0)
		return keel_error (err, 0, "%s hook `%s`: exited with status %d",
		                   hooks_kind_name (kind), h->path, WEXITSTATUS (status));
	return 0;
}

int hooks_run (enum spec_hook_kind kind, const struct spec_hook *hooks, size_t n,
               const char *state_json, struct keel_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = run_one (kind, &hooks[i], state_json, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void hooks_run_warn (enum spec_hook_kind kind, const struct spec_hook *hooks, size_t n,
                     const char *state_json, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		struct keel_error *err = NULL;
		if (run_one (kind, &hooks[i], state_json, &err) < 0)
			keel_log_warning_error (&err, "%s", what);
	}
}
