/* keel-runtime: the runc-compatible command line.  Global options come
 * first (`keel-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS`), as for
 * runc and crun; each command lives in its own file. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/version.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/command.h"

static const struct cli_command commands[] = {
        {"create", "create a container (its process waits for `start`)", cli_create},
        {"start", "run the user process of a created container", cli_start},
        {"state", "print the state of a container as JSON", cli_state},
        {"kill", "send a signal to the container's process (or all, --all)", cli_kill},
        {"delete", "delete a stopped container (--force: any)", cli_delete},
        {"run", "create and start a container, wait for it unless -d", cli_run},
        {"list", "list containers", cli_list},
        {"spec", "write a default config.json", cli_spec},
        {"features", "print the features this runtime supports as JSON", cli_features},
        {"ps", "list the processes of a container", cli_ps},
        {"update", "change the cgroup resources of a container", cli_update},
        {"pause", "freeze every process of a container", cli_pause},
        {"resume", "thaw a paused container", cli_resume},
        {"exec", "run another process in a running container", cli_exec},
        {"checkpoint", "write a running container to criu images", cli_checkpoint},
        {"restore", "make a running container from criu images", cli_restore},
        {"events", "print a container's statistics and OOM events as JSON", cli_events},
        {"memfd-bind", "mount a sealed copy of keel's binary over its path (stays)",
         cli_memfd_bind},
};

/* The commands that allocate from lib/arena.h: they live for milliseconds
 * (run and exec until the container's process exits, with a bounded
 * arena), where musl's malloc cost a `run` ~200 K instructions, 27 mmap
 * and munmap and 13 page faults (docs/performance.md, "The fourth pass").
 * The others (events, ps, list, update...) keep musl's. */
static bool arena_command (const char *name)
{
	static const char *const names[] = {"create", "start", "run", "exec",
	                                    "delete", "state", "kill"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE (names); i++)
		if (strcmp (name, names[i]) == 0)
			return true;
	return false;
}

/* The commands whose process enters a container (create's, exec's). */
static bool spawning_command (const char *name)
{
	return strcmp (name, "create") == 0 || strcmp (name, "run") == 0 ||
	       strcmp (name, "exec") == 0;
}

static void usage (FILE *out)
{
	size_t i;

	fputs ("usage: " CLI_PROG " [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	       "\n"
	       "An OCI runtime (runtime-spec 1.2) compatible with runc and crun.\n"
	       "\n"
	       "commands:\n",
	       out);
	for (i = 0; i < ARRAY_SIZE (commands); i++)
		fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs ("\n"
	       "global options:\n"
	       "      --root DIR             container state (default " KEEL_DEFAULT_STATE_ROOT
	       ")\n"
	       "      --log FILE             write errors and debug output to FILE\n"
	       "      --log-format text|json the log's format (json: one object per line)\n"
	       "      --log-level LEVEL      `debug` is --debug; others are accepted\n"
	       "      --debug                log debug output\n"
	       "      --cgroup-manager cgroupfs|disabled\n"
	       "                             drive cgroup v2 directly (default) or not at all\n"
	       "      --rootless auto|true|false  accepted for runc compatibility\n"
	       "  -v, --version              print the version\n"
	       "  -h, --help                 this help; `COMMAND --help` for a command's\n"
	       "\n"
	       "systemd cgroup management (--systemd-cgroup) is not supported.\n",
	       out);
}

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_DEBUG,
	OPT_SYSTEMD_CGROUP,
	OPT_CGROUP_MANAGER,
	OPT_ROOTLESS,
};

static const struct option global_longopts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"debug", no_argument, NULL, OPT_DEBUG},
        {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP},
        {"cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER},
        {"rootless", required_argument, NULL, OPT_ROOTLESS},
        {"version", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
};

static int set_cgroup_manager (struct cli_global *g, const char *v)
{
	if (strcmp (v, "cgroupfs") == 0)
		g->rt.cgroup_manager = CGROUP_MANAGER_CGROUPFS;
	else if (strcmp (v, "disabled") == 0)
		g->rt.cgroup_manager = CGROUP_MANAGER_DISABLED;
	else if (strcmp (v, "systemd") == 0)
		return cli_usage_error (NULL, "--cgroup-manager systemd: keel drives cgroup v2 "
		                              "itself; use cgroupfs or disabled");
	else
		return cli_usage_error (NULL,
		                        "--cgroup-manager: unknown manager `%s` "
		                        "(cgroupfs or disabled)",
		                        v);
	return 0;
}

/* Parse the global options; returns the index of the command, 0 when the
 * process should exit with *status (--help, --version, errors). */
static int parse_global (struct cli_global *g, int argc, char **argv, int *status)
{
	static const char usage_text[] = "[GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n";
	struct cli_parser p;
	int c;

	cli_parser_init (&p, NULL, usage_text, "v", global_longopts, argc, argv);
	*status = 1;
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		switch (c) {
		case CLI_OPT_HELP:
			usage (stdout);
			*status = 0;
			return 0;
		case CLI_OPT_ERROR:
			return 0;
		case 'v':
			keel_print_version (stdout, CLI_PROG);
			*status = 0;
			return 0;
		case OPT_ROOT:
			g->rt.state_root = optarg;
			break;
		case OPT_LOG:
			g->log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp (optarg, "json") == 0)
				g->log_json = true;
			else if (strcmp (optarg, "text") == 0)
				g->log_json = false;
			else {
				cli_usage_error (NULL,
				                 "--log-format: `%s` is neither text nor json",
				                 optarg);
				return 0;
			}
			break;
		case OPT_LOG_LEVEL:
			/* crun's spelling; keel logs errors and warnings always */
			if (strcmp (optarg, "debug") == 0) {
				g->rt.debug = true;
			} else if (strcmp (optarg, "error") != 0 &&
			           strcmp (optarg, "warning") != 0 &&
			           strcmp (optarg, "info") != 0) {
				cli_usage_error (NULL,
				                 "--log-level: `%s` is not error, warning, info "
				                 "or debug",
				                 optarg);
				return 0;
			}
			break;
		case OPT_DEBUG:
			g->rt.debug = true;
			break;
		case OPT_SYSTEMD_CGROUP:
			cli_usage_error (NULL, "--systemd-cgroup: keel drives cgroup v2 itself and "
			                       "does not talk to systemd; use --cgroup-manager "
			                       "cgroupfs");
			return 0;
		case OPT_CGROUP_MANAGER:
			if (set_cgroup_manager (g, optarg) != 0)
				return 0;
			break;
		case OPT_ROOTLESS:
			if (strcmp (optarg, "auto") != 0 && strcmp (optarg, "true") != 0 &&
			    strcmp (optarg, "false") != 0) {
				cli_usage_error (NULL,
				                 "--rootless: `%s` is not auto, true or false",
				                 optarg);
				return 0;
			}
			break;
		default:
			return 0;
		}
	}
	if (optind >= argc) {
		usage (stderr);
		return 0;
	}
	return optind;
}

/* The command: the first word that is neither a global option nor the
 * value of one (global_longopts says which take a value); NULL if none. */
static const char *command_word (int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o;

		if (strcmp (a, "--") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-')
			return a;
		if (a[1] != '-' || strchr (a, '=') != NULL)
			continue;
		for (o = global_longopts; o->name; o++)
			if (strcmp (a + 2, o->name) == 0 && o->has_arg == required_argument)
				i++;
	}
	return NULL;
}

bool keel_runtime_spawns (int argc, char **argv)
{
	const char *name = command_word (argc, argv);

	return name != NULL && spawning_command (name);
}

static void no_op (int sig)
{
	(void)sig;
}

int keel_runtime_main (int argc, char **argv)
{
	struct cli_global g = {
	        .rt = {.state_root = KEEL_DEFAULT_STATE_ROOT,
	               .cgroup_manager = CGROUP_MANAGER_CGROUPFS},
	};
	cleanup_error struct keel_error *err = NULL;
	const char *name;
	int status, first;
	size_t i;

	/* Before anything allocates, so that musl's malloc is never set up */
	name = command_word (argc, argv);
	if (name != NULL && arena_command (name) && getpid () != 1) {
		keel_arena_start ();
		/* A create of a typical bundle fills ~60 KiB of it (the
		 * config's json-c tree most), a page fault a page otherwise. */
		if (spawning_command (name))
			keel_arena_prefault (64u * 1024u);
	}

	/* A closed stderr or log pipe (an engine that went away, `| head`)
	 * must not kill the runtime halfway through a create, leaving a
	 * "creating" state and its cgroups: its writes fail with EPIPE
	 * instead.  A handler, not SIG_IGN, so execve gives the container's
	 * processes SIGPIPE's default back. */
	struct sigaction pipe_sa = {.sa_handler = no_op, .sa_flags = SA_RESTART};

	sigemptyset (&pipe_sa.sa_mask);
	if (sigaction (SIGPIPE, &pipe_sa, NULL) < 0)
		keel_log (KEEL_LOG_WARNING, "sigaction SIGPIPE: %s", strerror (errno));
	keel_log_set_prog (CLI_PROG);
	first = parse_global (&g, argc, argv, &status);
	if (first == 0)
		return status;
	if (keel_log_open (g.log_path, g.log_json, g.rt.debug, &err) < 0)
		return cli_fail (&err);

	name = argv[first];
	for (i = 0; i < ARRAY_SIZE (commands); i++)
		if (strcmp (name, commands[i].name) == 0)
			return commands[i].run (&g, argc - first, argv + first);
	return cli_usage_error (NULL, "unknown command `%s`", name);
}
