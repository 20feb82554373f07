/* keel-runtime start ID: release a created container's process to exec
 * the user program (runtime.md "start").  With NOTIFY_SOCKET set and a
 * container created with it, start returns once the container sent
 * READY=1 (passed on to NOTIFY_SOCKET) or exited, as runc's does. */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/notify-proxy.h"

static const char start_usage[] = "start CONTAINER-ID\n"
                                  "\n"
                                  "Run the user process of a created container.\n";

static int start_container (struct cli_global *g, const char *id, struct keel_error **err)
{
	const char *root = g->rt.state_root ? g->rt.state_root : KEEL_DEFAULT_STATE_ROOT;
	struct notify_proxy np = {.fd = -1};
	struct keel_state st = {0};
	cleanup_close int pidfd = -1;
	int ret;

	ret = notify_proxy_open (root, id, getenv ("NOTIFY_SOCKET"), &np, err);
	if (ret == 0 && np.fd >= 0) {
		/* Opened before start: the pidfd tells the wait below when the
		 * container is gone without READY=1. */
		ret = keel_container_state (&g->rt, id, &st, err);
		if (ret == 0 && st.pid > 0) {
			np.mainpid = st.pid;
			pidfd = (int)syscall (SYS_pidfd_open, st.pid, 0);
			if (pidfd < 0)
				ret = keel_error (err, errno, "pidfd_open %d", (int)st.pid);
		}
		keel_state_free (&st);
	}
	if (ret == 0)
		ret = keel_container_start (&g->rt, id, err);
	if (ret == 0)
		ret = notify_proxy_wait (&np, pidfd, err);
	notify_proxy_close (&np);
	return ret;
}

int cli_start (struct cli_global *g, int argc, char **argv)
{
	cleanup_error struct keel_error *err = NULL;
	struct cli_parser p;
	int c, i;

	cli_parser_init (&p, "start", start_usage, "", NULL, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END)
		return c == CLI_OPT_HELP ? 0 : 1;
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	if (start_container (g, argv[i], &err) < 0) {
		keel_error_wrap (&err, "start `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
