/* keel's multi-call entry point.
 *
 * One binary, three roles, chosen by the name it runs under (as BusyBox
 * does) or by its first argument:
 *   init, or running as PID 1     -> PID 1 (init/)
 *   keel-runtime                  -> runc-compatible OCI runtime (runtime/cli/)
 *   keelctl                       -> control client for a running PID 1 (init/)
 *   keel init|runtime|ctl ARGS... -> the same, explicitly
 *   keel check DIR                -> validate containers.d entries as PID 1
 *                                    would (init/check.c), start nothing
 *   keel deploy CMD CONTAINERS_D NAME -> the deployment store (init/deploycmd.c)
 *
 * PID 1 and the runtime commands that make container processes first
 * re-exec themselves from a sealed copy of the binary (lib/selfclone.h),
 * with the same argv, so the choice above is made again, the same way.
 */
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init/commit.h"
#include "init/importjob.h"
#include "init/init.h"
#include "init/launch.h"
#include "lib/selfclone.h"
#include "lib/version.h"
#include "runtime/cli/cli.h"

static void usage (FILE *out)
{
	fputs ("usage: keel init [OPTIONS]          run as PID 1\n"
	       "       keel runtime COMMAND [ARGS]  OCI runtime (also as `keel-runtime`)\n"
	       "       keel ctl COMMAND [ARGS]      talk to a running keel (also as `keelctl`)\n"
	       "       keel check DIR               validate containers.d entries as PID 1 would\n"
	       "       keel deploy COMMAND ...      the deployment store of a containers.d\n"
	       "       keel --version\n",
	       out);
}

static bool is_role (const char *arg)
{
	static const char *const roles[] = {"init",      "runtime", "ctl",    "check", "deploy",
	                                    "--version", "version", "--help", "-h"};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp (arg, roles[i]) == 0)
			return true;
	return false;
}

/* Go on from a sealed copy of the binary; returns only when already running
 * from one.  PID 1 must not exit (the kernel would panic), so it says what
 * failed and boots from its own file; any other role refuses to make
 * containers that could reach the host binary.  overlay: the runtime's
 * commands may run from the binary through a private overlayfs instead of
 * a copy (lib/selfclone.h); PID 1 and its helpers, which run as long as
 * the machine, keep the memfd. */
static void run_sealed (char **argv, bool overlay)
{
	struct keel_error *err = NULL;
	bool pid1 = getpid () == 1;
	unsigned flags = (pid1 ? SELFCLONE_MOUNT_PROC : 0) | (overlay ? SELFCLONE_OVERLAY : 0);

	if (selfclone_exec (argv, flags, &err) == 0) {
		/* An exec from a memfd or an fd names the process after it
		 * ("memfd:keel", or the fd's number): give ps and pidof back
		 * the name keel was started as.  Cosmetic, so unchecked. */
		const char *slash = argv[0] ? strrchr (argv[0], '/') : NULL;
		if (argv[0])
			(void)!prctl (PR_SET_NAME, slash ? slash + 1 : argv[0], 0, 0, 0);
		return;
	}
	keel_error_print (stderr, "keel", &err);
	if (!pid1)
		exit (1);
	fputs ("keel: going on from the binary itself; containers may reach it\n", stderr);
}

static int init_main (int argc, char **argv, char **full_argv)
{
	keel_init_stamp_start ();
	run_sealed (full_argv, false);
	/* start and delete helpers are this binary, exec'd (init/launch.h) */
	launch_exec_from ("/proc/self/exe");
	return keel_init_main (argc, argv);
}

static int runtime_main (int argc, char **argv, char **full_argv)
{
	if (keel_runtime_spawns (argc, argv))
		run_sealed (full_argv, getpid () != 1);
	return keel_runtime_main (argc, argv);
}

int main (int argc, char **argv)
{
	const char *name = argc > 0 ? basename (argv[0]) : "keel";

	/* Names first: keelctl or keel-runtime can be PID 1 of a container's
	 * own PID namespace and must still act as themselves. */
	if (strcmp (name, "keel-runtime") == 0)
		return runtime_main (argc, argv, argv);
	if (strcmp (name, "keelctl") == 0)
		return keel_ctl_main (argc, argv);
	if (strcmp (name, "init") == 0)
		return init_main (argc, argv, argv);
	/* The kernel starts /init with any command-line word it does not
	 * know as an argument, so as PID 1 only an explicit role word is
	 * a role; everything else is init's. */
	if (argc < 2 || (getpid () == 1 && !is_role (argv[1])))
		return getpid () == 1 ? init_main (argc, argv, argv) : (usage (stderr), 1);
	if (strcmp (argv[1], "init") == 0)
		return init_main (argc - 1, argv + 1, argv);
	if (strcmp (argv[1], "runtime") == 0)
		return runtime_main (argc - 1, argv + 1, argv);
	if (strcmp (argv[1], "ctl") == 0)
		return keel_ctl_main (argc - 1, argv + 1);
	if (strcmp (argv[1], "check") == 0)
		return keel_check_main (argc - 1, argv + 1);
	if (strcmp (argv[1], "deploy") == 0)
		return keel_deploy_main (argc - 1, argv + 1);
	/* PID 1's start and delete helpers (init/launch.h), exec'd from the
	 * sealed copy PID 1 runs from; run_sealed makes sure of it. */
	if (strcmp (argv[1], LAUNCH_HELPER_ROLE) == 0) {
		run_sealed (argv, false);
		return launch_helper_main (argc - 1, argv + 1);
	}
	/* PID 1's commit and rollback helper of an update (init/commit.h) */
	if (strcmp (argv[1], COMMIT_HELPER_ROLE) == 0) {
		run_sealed (argv, false);
		return commit_helper_main (argc - 1, argv + 1);
	}
	/* PID 1's import job (init/importjob.h), exec'd the same way. */
	if (strcmp (argv[1], IMPORTJOB_HELPER_ROLE) == 0) {
		run_sealed (argv, false);
		return importjob_helper_main (argc, argv);
	}
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
