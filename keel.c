/* keel's multi-call entry point.
 *
 * One binary, three roles, chosen by the name it runs under (as BusyBox
 * does) or by its first argument:
 *   init, or running as PID 1     -> PID 1 (init/)
 *   keel-runtime                  -> runc-compatible OCI runtime (runtime/cli/)
 *   keelctl                       -> control client for a running PID 1 (init/)
 *   keel init|runtime|ctl ARGS... -> the same, explicitly
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/version.h"
#include "runtime/cli/cli.h"

static void usage (FILE *out)
{
	fputs ("usage: keel init [OPTIONS]          run as PID 1\n"
	       "       keel runtime COMMAND [ARGS]  OCI runtime (also as `keel-runtime`)\n"
	       "       keel ctl COMMAND [ARGS]      talk to a running keel (also as `keelctl`)\n"
	       "       keel --version\n",
	       out);
}

int main (int argc, char **argv)
{
	const char *name = argc > 0 ? basename (argv[0]) : "keel";

	if (getpid () == 1 || strcmp (name, "init") == 0)
		return keel_init_main (argc, argv);
	if (strcmp (name, "keel-runtime") == 0)
		return keel_runtime_main (argc, argv);
	if (strcmp (name, "keelctl") == 0)
		return keel_ctl_main (argc, argv);

	if (argc < 2) {
		usage (stderr);
		return 1;
	}
	if (strcmp (argv[1], "init") == 0)
		return keel_init_main (argc - 1, argv + 1);
	if (strcmp (argv[1], "runtime") == 0)
		return keel_runtime_main (argc - 1, argv + 1);
	if (strcmp (argv[1], "ctl") == 0)
		return keel_ctl_main (argc - 1, argv + 1);
	if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "version") == 0) {
		keel_print_version (stdout, "keel");
		return 0;
	}
	if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
		usage (stdout);
		return 0;
	}
	fprintf (stderr, "keel: unknown command `%s`\n", argv[1]);
	usage (stderr);
	return 1;
}
