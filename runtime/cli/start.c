/* keel-runtime start ID: release a created container's process to exec
 * the user program (runtime.md "start"). */
#include "lib/util.h"
#include "runtime/cli/command.h"

static const char start_usage[] = "start CONTAINER-ID\n"
                                  "\n"
                                  "Run the user process of a created container.\n";

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
	if (keel_container_start (&g->rt, argv[i], &err) < 0) {
		keel_error_wrap (&err, "start `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
