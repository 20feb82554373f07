/* keel-runtime start ID: release a created container's process to exec
 * the user program (runtime.md "start").  With NOTIFY_SOCKET set and a
 * container created with it, start returns once the container sent
 * READY=1 (passed on to NOTIFY_SOCKET) or exited, as runc's does. */
#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/notify-proxy.h"

static const char start_usage[] = "start CONTAINER-ID\n"
                                  "\n"
                                  "Run the user process of a created container.\n";

static int start_container (struct cli_global *g, const char *id, struct keel_error **err)
{
	struct notify_proxy np;
	int ret;

	ret = notify_proxy_open (&g->rt, id, getenv ("NOTIFY_SOCKET"), &np, err);
	if (ret == 0)
		ret = keel_container_start (&g->rt, id, err);
	if (ret == 0)
		ret = notify_proxy_wait (&np, err);
	notify_proxy_close (&np);
	return ret;
}

int cli_start (struct cli_global *g, int argc, char **argv)
{
	cleanup_error struct keel_error *err = NULL;
	const char *id;
	int ret = cli_id_only ("start", start_usage, argc, argv, &id);

	if (id == NULL)
		return ret;
	if (start_container (g, id, &err) < 0) {
		keel_error_wrap (&err, "start `%s`", id);
		return cli_fail (&err);
	}
	return 0;
}
