/* keel-runtime run [OPTIONS] ID: create and start a container, then (unless
 * --detach) stay with it as runc does: forward signals to its process, wait
 * for it, delete it (unless --keep) and exit with its status, 128+N when a
 * signal N killed it.  A terminal container without --console-socket gets
 * its pty proxied to this process's stdin/stdout. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/notify-proxy.h"
#include "runtime/seccomp.h"
#include "runtime/cli/proxy.h"
#include "runtime/terminal.h"

static const char run_usage[] =
        "run [OPTIONS] CONTAINER-ID\n"
        "\n"
        "Create and start the container and wait for it; exit with its status\n"
        "(128+N when signal N killed it).\n"
        "\n" CLI_CREATE_USAGE "  -d, --detach              return once the container has started\n"
        "      --keep                do not delete the container when it exits\n"
        "      --no-subreaper        accepted for runc compatibility\n";

/* Signals `run` passes on to the container's process instead of dying. */
static const int forwarded[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGPIPE};

void cli_console_cleanup (struct console *c)
{
	if (c->raw)
		(void)tcsetattr (0, TCSANOW, &c->saved);
	if (c->listen_fd >= 0)
		close (c->listen_fd);
	if (c->master >= 0)
		close (c->master);
	if (c->path != NULL)
		unlink (c->path);
	if (c->dir != NULL)
		rmdir (c->dir);
	free (c->path);
	free (c->dir);
}

int cli_console_listen (struct console *c, struct keel_error **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char tmpl[] = "/tmp/keel-run-XXXXXX";

	if (mkdtemp (tmpl) == NULL)
		return keel_error (err, errno, "mkdtemp `%s`", tmpl);
	c->dir = xstrdup (tmpl);
	c->path = xasprintf ("%s/console.sock", c->dir);
	c->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		return keel_error (err, errno, "console socket");
	snprintf (addr.sun_path, sizeof addr.sun_path, "%s", c->path);
	if (bind (c->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return keel_error (err, errno, "bind console socket `%s`", c->path);
	if (listen (c->listen_fd, 1) < 0)
		return keel_error (err, errno, "listen on `%s`", c->path);
	return 0;
}

/* Take the master the container sent during create, size it like our
 * terminal and put our terminal in raw mode so keys reach the container. */
int cli_console_accept (struct console *c, struct keel_error **err)
{
	cleanup_close int conn = accept4 (c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct winsize ws;
	struct termios raw;
	int ret;

	if (conn < 0)
		return keel_error (err, errno, "accept on console socket `%s`", c->path);
	ret = terminal_recv_fd (conn, &c->master, err);
	if (ret < 0)
		return ret;
	if (isatty (0) && ioctl (0, TIOCGWINSZ, &ws) == 0)
		(void)ioctl (c->master, TIOCSWINSZ, &ws);
	if (isatty (0) && tcgetattr (0, &c->saved) == 0) {
		raw = c->saved;
		cfmakeraw (&raw);
		if (tcsetattr (0, TCSANOW, &raw) == 0)
			c->raw = true;
	}
	return 0;
}

/* Copy what is readable from `from` to `to`; false at EOF or error. */
static bool pump (int from, int to)
{
	char buf[4096];
	ssize_t n = read (from, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return write_all (to, buf, (size_t)n, NULL) == 0;
}

/* Reap every child (we are a subreaper); note the container's status. */
static void reap (struct waiter *w)
{
	int status;
	pid_t p;

	while ((p = waitpid (-1, &status, WNOHANG)) > 0)
		if (p == w->pid) {
			w->status = status;
			w->exited = true;
		}
}

static void on_signal (struct waiter *w, struct console *con)
{
	struct signalfd_siginfo si;

	while (read (w->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD) {
			reap (w);
		} else if (si.ssi_signo == SIGWINCH && con->master >= 0) {
			struct winsize ws;
			if (ioctl (0, TIOCGWINSZ, &ws) == 0)
				(void)ioctl (con->master, TIOCSWINSZ, &ws);
		} else if (kill (w->pid, (int)si.ssi_signo) < 0 && errno != ESRCH) {
			keel_log (KEEL_LOG_WARNING, "forward signal %u to %d: %s", si.ssi_signo,
			          (int)w->pid, strerror (errno));
		}
	}
}

/* Wait for the container's process, forwarding signals and, with a
 * console, the pty's traffic.  Output still buffered in the pty when the
 * process exits is drained before returning. */
int cli_wait_container (struct waiter *w, struct console *con, struct notify_proxy *np,
                        struct keel_error **err)
{
	bool in_open = con->master >= 0, out_open = con->master >= 0;

	while (!w->exited || out_open) {
		struct pollfd fds[4] = {
		        {.fd = w->sfd, .events = POLLIN},
		        {.fd = in_open ? 0 : -1, .events = POLLIN},
		        {.fd = out_open ? con->master : -1, .events = POLLIN},
		        {.fd = np ? np->fd : -1, .events = POLLIN},
		};
		int timeout = w->exited ? 0 : -1;
		int n = poll (fds, 4, timeout);

		if (n < 0 && errno != EINTR)
			return keel_error (err, errno, "poll");
		if (n <= 0 && w->exited)
			break; /* exited and the pty has nothing more */
		if (fds[0].revents & POLLIN)
			on_signal (w, con);
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			in_open = pump (0, con->master);
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
			out_open = pump (con->master, 1);
		if ((fds[3].revents & POLLIN) && notify_proxy_receive (np, err) < 0)
			keel_log_error (err); /* the container runs on regardless */
	}
	return 0;
}

/* Block the forwarded signals and SIGCHLD into a signalfd.  Called after
 * start: nothing forked later (poststop hooks run after the old mask is
 * back) inherits the blocked set. */
int cli_block_signals (sigset_t *old, int *sfd, struct keel_error **err)
{
	sigset_t set;
	size_t i;

	sigemptyset (&set);
	sigaddset (&set, SIGCHLD);
	for (i = 0; i < ARRAY_SIZE (forwarded); i++)
		sigaddset (&set, forwarded[i]);
	if (sigprocmask (SIG_BLOCK, &set, old) < 0)
		return keel_error (err, errno, "sigprocmask");
	*sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sfd < 0)
		return keel_error (err, errno, "signalfd");
	return 0;
}

int cli_exit_code (int status)
{
	if (WIFEXITED (status))
		return WEXITSTATUS (status);
	if (WIFSIGNALED (status))
		return 128 + WTERMSIG (status);
	return 1;
}

struct run_args {
	struct cli_create_args create;
	bool detach, keep;
};

/* Start, then wait in the foreground; *code gets the exit code. */
static int start_and_wait (struct keel_held *h, struct console *con, struct notify_proxy *np,
                           int *code, struct keel_error **err)
{
	struct waiter w = {.pid = keel_held_pid (h), .sfd = -1};
	sigset_t old;
	int ret;

	ret = keel_held_start (h, err);
	if (ret < 0)
		return keel_error_wrap (err, "start");
	ret = cli_block_signals (&old, &w.sfd, err);
	if (ret == 0) {
		reap (&w); /* a process that exited before the signalfd existed */
		ret = cli_wait_container (&w, con, np, err);
	}
	if (w.sfd >= 0)
		close (w.sfd);
	(void)sigprocmask (SIG_SETMASK, &old, NULL);
	*code = cli_exit_code (w.status);
	return ret;
}

static int run_container (struct cli_global *g, const char *id, const struct run_args *a, int *code,
                          struct keel_error **err)
{
	struct cli_create_paths paths = {0};
	struct console con = {.listen_fd = -1, .master = -1};
	struct notify_proxy np = {.fd = -1, .pidfd = -1};
	struct keel_create_opts opts;
	struct keel_held *h = NULL;
	struct spec *spec = NULL;
	bool proxy;
	int ret;

	ret = cli_create_prepare (&g->rt, id, &a->create, &paths, &spec, &opts, err);
	if (ret == 0)
		ret = cli_check_terminal (spec, &a->create, !a->detach, err);
	proxy = ret == 0 && spec->has_process && spec->process.terminal &&
	        a->create.console_socket_arg == NULL;
	if (ret == 0 && proxy) {
		ret = cli_console_listen (&con, err);
		opts.console_socket = con.path;
	}
	if (ret == 0 && !a->detach && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		ret = keel_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
	/* No exec fifo: nothing runs between create and start here, so the
	 * process need not wait for one (crun's run has none; runc's opens
	 * it at once).  It waits as after `create` with NOTIFY_SOCKET (the
	 * proxy that relays READY=1 listens only once create is done) and
	 * with a seccomp listener (create takes the listener fd out of the
	 * process with pidfd_getfd, which an execve would close first). */
	opts.no_exec_fifo =
	        ret == 0 && !opts.notify_proxy_dir &&
	        !(spec->linux_.seccomp.present && seccomp_uses_notify (&spec->linux_.seccomp));
	/* create hands over what it knows, and start and delete go on from
	 * it: no reading of the state back from disk, twice. */
	if (ret == 0) {
		ret = keel_container_create_held (&g->rt, id, spec, &opts, &h, err);
		if (ret < 0)
			keel_error_wrap (err, "create");
	}
	spec_free (spec);
	cli_create_paths_free (&paths);
	if (ret < 0) {
		cli_console_cleanup (&con);
		return ret;
	}

	if (proxy)
		ret = cli_console_accept (&con, err);
	if (ret == 0)
		ret = notify_proxy_open (&g->rt, id, getenv ("NOTIFY_SOCKET"), &np, err);
	if (ret == 0 && a->detach) {
		/* As runc: a detached run returns once the container is ready,
		 * its process the one to watch from then on. */
		ret = keel_held_start (h, err);
		if (ret < 0)
			keel_error_wrap (err, "start");
		else
			ret = notify_proxy_wait (&np, err);
		*code = 0;
	} else if (ret == 0) {
		/* We stay and exit with the container: we are the main pid. */
		np.mainpid = getpid ();
		ret = start_and_wait (h, &con, &np, code, err);
	}
	notify_proxy_close (&np);
	cli_console_cleanup (&con);

	/* A failed start leaves nothing behind either, as runc. */
	if (ret < 0 || (!a->detach && !a->keep)) {
		cleanup_error struct keel_error *derr = NULL;
		int r = keel_held_delete (h, true, &derr);

		/* A delete --force from elsewhere was first: it killed the
		 * process and removed everything; runc then exits with the
		 * status too (128+9). */
		if (r > 0)
			keel_log (KEEL_LOG_DEBUG, "container `%s` was deleted meanwhile", id);
		if (r < 0) {
			keel_error_wrap (&derr, "delete");
			if (ret == 0) {
				keel_held_free (h);
				*err = steal_ptr (&derr);
				return -1;
			}
			keel_log_error (&derr);
		}
	}
	keel_held_free (h);
	return ret;
}

int cli_run (struct cli_global *g, int argc, char **argv)
{
	enum { OPT_KEEP = 256, OPT_NO_SUBREAPER };
	static const struct option longopts[] = {
	        CLI_CREATE_LONGOPTS,
	        {"detach", no_argument, NULL, 'd'},
	        {"keep", no_argument, NULL, OPT_KEEP},
	        {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct run_args a = {0};
	struct cli_parser p;
	bool bad = false;
	int c, i, code = 1;

	cli_parser_init (&p, "run", run_usage, CLI_CREATE_SHORTOPTS "d", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'd')
			a.detach = true;
		else if (c == OPT_KEEP)
			a.keep = true;
		else if (c == OPT_NO_SUBREAPER)
			continue;
		else if (c == CLI_OPT_HELP)
			return 0;
		else if (c == CLI_OPT_ERROR || !cli_create_option (c, optarg, &a.create, &bad) ||
		         bad)
			return 1;
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	if (keel_container_check_id (argv[i], &err) < 0 ||
	    run_container (g, argv[i], &a, &code, &err) < 0) {
		keel_error_wrap (&err, "run `%s`", argv[i]);
		return cli_fail (&err);
	}
	return code;
}
