/* keel-runtime spec [--rootless] [--bundle DIR]: write a default
 * config.json, never over an existing one (as runc). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "runtime/cli/command.h"

static const char spec_usage[] =
        "spec [OPTIONS]\n"
        "\n"
        "Write a default config.json (a busybox-style `sh` container) into the\n"
        "bundle directory.\n"
        "\n"
        "  -b, --bundle DIR   where to write config.json (default: here)\n"
        "      --rootless     a config for an unprivileged user (user namespace\n"
        "                     with mappings for the calling user)\n";

int cli_spec (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"bundle", required_argument, NULL, 'b'},
	        {"rootless", no_argument, NULL, 'r'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	cleanup_free char *json = NULL, *path = NULL;
	const char *bundle = ".";
	struct cli_parser p;
	bool rootless = false;
	int c;

	cli_parser_init (&p, "spec", spec_usage, "b:", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	if (cli_operands (&p, 0, 0, "") < 0)
		return 1;

	json = spec_default_json (rootless);
	if (json == NULL) {
		keel_error (&err, ENOMEM, "spec: default config");
		return cli_fail (&err);
	}
	if (json[0] != '\0' && json[strlen (json) - 1] != '\n') {
		char *with_nl = xasprintf ("%s\n", json);
		free (json);
		json = with_nl;
	}
	path = xasprintf ("%s/config.json", bundle);
	if (write_file_at (AT_FDCWD, path, O_CREAT | O_EXCL, 0666, json, strlen (json), &err) < 0) {
		if (err->status == EEXIST)
			keel_error (&err, 0, "spec: `%s` exists; remove it first", path);
		return cli_fail (&err);
	}
	return 0;
}
