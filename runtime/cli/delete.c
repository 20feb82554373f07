/* keel-runtime delete [--force] ID: run poststop hooks and remove the
 * container's cgroup and state (runtime.md "delete").  As runc, --force
 * kills a running container first and is quiet about one that does not
 * exist, so cleanup scripts can call it unconditionally. */
#include <errno.h>

#include "lib/util.h"
#include "runtime/cli/command.h"

static const char delete_usage[] = "delete [OPTIONS] CONTAINER-ID\n"
                                   "\n"
                                   "Delete a stopped container.\n"
                                   "\n"
                                   "  -f, --force   kill the container first if it still runs\n";

int cli_delete (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"force", no_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct cli_parser p;
	bool force = false;
	int c, i;

	cli_parser_init (&p, "delete", delete_usage, "f", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'f')
			force = true;
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	if (keel_container_delete (&g->rt, argv[i], force, &err) < 0) {
		if (force && err->status == ENOENT)
			return 0;
		keel_error_wrap (&err, "delete `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
