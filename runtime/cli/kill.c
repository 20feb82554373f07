/* keel-runtime kill [--all] ID [SIGNAL]: signal the container's process,
 * or with --all every process in its cgroup.  SIGNAL is a name (TERM,
 * SIGTERM, case-insensitive, RTMIN+N) or a number, 0 only checking that
 * the process is there; the default is TERM.  As with runc, --all of a
 * stopped container succeeds (containerd's shim kills exited tasks so). */
#include <signal.h>

#include "lib/util.h"
#include "runtime/cli/command.h"

static const char kill_usage[] = "kill [OPTIONS] CONTAINER-ID [SIGNAL]\n"
                                 "\n"
                                 "Send SIGNAL (default TERM; 0: none, only check) to the\n"
                                 "container's process.\n"
                                 "\n"
                                 "  -a, --all   signal every process of the container\n";

int cli_kill (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"all", no_argument, NULL, 'a'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct cli_parser p;
	bool all = false;
	int c, i, signo = SIGTERM;

	cli_parser_init (&p, "kill", kill_usage, "a", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'a')
			all = true;
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	i = cli_operands (&p, 1, 2, "container id");
	if (i < 0)
		return 1;
	if (i + 1 < argc) {
		signo = cli_parse_signal (argv[i + 1]);
		if (signo < 0)
			return cli_usage_error ("kill", "unknown signal `%s`", argv[i + 1]);
	}
	if (keel_container_kill (&g->rt, argv[i], signo, all, &err) < 0) {
		keel_error_wrap (&err, "kill `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
