/* What the runtime CLI's commands share: the global options, the command
 * table entry, and the option-parsing helper every command uses so that
 * --help, unknown options and argument counts behave the same everywhere. */
#ifndef KEEL_CLI_COMMAND_H
#define KEEL_CLI_COMMAND_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/error.h"
#include "runtime/container.h"
#include "runtime/spec.h"

#define CLI_PROG "keel-runtime"

/* runc's global flags, parsed by main.c before the command. */
struct cli_global {
	struct keel_runtime rt;
	const char *log_path;
	bool log_json;
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run) (struct cli_global *g, int argc, char **argv);
};

int cli_create (struct cli_global *g, int argc, char **argv);
int cli_start (struct cli_global *g, int argc, char **argv);
int cli_state (struct cli_global *g, int argc, char **argv);
int cli_kill (struct cli_global *g, int argc, char **argv);
int cli_delete (struct cli_global *g, int argc, char **argv);
int cli_run (struct cli_global *g, int argc, char **argv);
int cli_list (struct cli_global *g, int argc, char **argv);
int cli_spec (struct cli_global *g, int argc, char **argv);
int cli_features (struct cli_global *g, int argc, char **argv);
int cli_ps (struct cli_global *g, int argc, char **argv);
int cli_update (struct cli_global *g, int argc, char **argv);
int cli_pause (struct cli_global *g, int argc, char **argv);
int cli_resume (struct cli_global *g, int argc, char **argv);
int cli_exec (struct cli_global *g, int argc, char **argv);
int cli_checkpoint (struct cli_global *g, int argc, char **argv);
int cli_restore (struct cli_global *g, int argc, char **argv);
int cli_events (struct cli_global *g, int argc, char **argv);
int cli_memfd_bind (struct cli_global *g, int argc, char **argv);

/* A running container whose cgroup is frozen is "paused" (runc's status);
 * `state` and `list` print cli_status_name(). */
bool cli_is_paused (const struct keel_state *st);
const char *cli_status_name (const struct keel_state *st);
/* keel_container_state(), then an error unless the container is running
 * (*st is filled whenever the state could be read: free it either way). */
int cli_state_running (struct cli_global *g, const char *id, struct keel_state *st,
                       struct keel_error **err);

/* One command's option parser: getopt_long with "+" semantics (stop at the
 * first operand) and getopt's own messages off, so every error is reported
 * once through the log in keel's words.  argv[0] is the command name. */
struct cli_parser {
	const char *cmd;               /* "create" */
	const char *usage;             /* the --help text, after "usage: keel-runtime " */
	const char *shortopts;         /* without the leading "+:"; 'h' is added */
	const struct option *longopts; /* --help is handled for every command */
	int argc;
	char **argv;
	/* Options may also follow the operands (`update ID --memory 1m`), as
	 * runc's urfave/cli reorders them; only for commands whose operands
	 * are never command lines of their own. */
	bool anywhere;
};

enum {
	CLI_OPT_END = -1,
	CLI_OPT_HELP = -2,  /* --help printed; the command returns 0 */
	CLI_OPT_ERROR = -3, /* message logged; the command returns 1 */
};

void cli_parser_init (struct cli_parser *p, const char *cmd, const char *usage,
                      const char *shortopts, const struct option *longopts, int argc, char **argv);
/* The next option character (optarg set as getopt does) or a CLI_OPT_*. */
int cli_next_opt (struct cli_parser *p);
/* Check the number of operands left; logs "CMD: expects ..." when wrong.
 * Returns the index of the first operand in argv, or -1. */
int cli_operands (struct cli_parser *p, int min, int max, const char *what);

/* The command line of a command that takes one container id and no option
 * but --help (start, state, pause, resume): *id, and 0; or *id NULL and
 * the status the command exits with (0 after --help, 1 after a usage
 * error, already logged). */
int cli_id_only (const char *cmd, const char *usage, int argc, char **argv, const char **id);
/* Log a usage error for cmd ("keel-runtime CMD: ...") and return 1. */
int cli_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Log err (after prefixing it with context) and return 1, runc's exit
 * status for every failure. */
int cli_fail (struct keel_error **err);

/* --bundle (default: the working directory) made absolute. */
int cli_bundle_path (const char *arg, char **abs, struct keel_error **err);
/* An absolute form of a path given on the command line (pid file, console
 * socket), relative paths taken from the working directory as runc does. */
int cli_abs_path (const char *arg, char **abs, struct keel_error **err);
/* Load BUNDLE/config.json, or config_arg (crun's --config) when set;
 * *json (when json != NULL) gets the bytes parsed, for create to keep. */
int cli_load_spec (const char *bundle, const char *config_arg, struct spec **out, char **json,
                   size_t *len, struct keel_error **err);
/* The config a container was created with: the copy in its state
 * directory (state.h), or its bundle's config.json when it has none. */
int cli_created_spec (struct cli_global *g, const char *id, const char *bundle, struct spec **out,
                      struct keel_error **err);

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "0" (no signal, only the
 * existence check): the signal number or -1. */
int cli_parse_signal (const char *s);
/* --preserve-fds N */
int cli_parse_preserve_fds (const char *s, int *out, struct keel_error **err);

/* The state JSON of st as runc prints it (runtime-spec fields plus
 * "created" and "owner"); used by `state` and `list --format json`. */
struct json_object;
int cli_state_object (const struct keel_state *st, struct json_object **out,
                      struct keel_error **err);

/* Shared by create and run: options both accept. */
struct cli_create_args {
	const char *bundle_arg;
	const char *config_arg;
	const char *pid_file_arg;
	const char *console_socket_arg;
	bool no_pivot;
	int preserve_fds;
	bool no_new_keyring; /* accepted for runc compatibility */
};
/* Handle one create/run option c (returns false when c is not one). */
bool cli_create_option (int c, const char *arg, struct cli_create_args *a, bool *bad);
/* Resolve the create arguments into opts, whose strings live in *paths
 * (freed with cli_create_paths_free), and load the config. */
struct cli_create_paths {
	char *bundle, *pid_file, *console_socket;
	char *config_json; /* what the spec was parsed from, kept by create */
	size_t config_len;
	/* LISTEN_FDS=N, LISTEN_PID=1, NOTIFY_SOCKET=..., as present; NULL-ended */
	char *env[4];
	struct spec_mount notify_mount; /* the notify proxy's directory */
};
int cli_create_prepare (const struct keel_runtime *rt, const char *id,
                        const struct cli_create_args *a, struct cli_create_paths *paths,
                        struct spec **spec, struct keel_create_opts *opts, struct keel_error **err);
void cli_create_paths_free (struct cli_create_paths *paths);
/* runc's rules for the terminal: a terminal container needs somewhere to
 * send its pty (unless `run` stays in the foreground and proxies it), and a
 * console socket without a terminal is a mistake. */
int cli_check_terminal (const struct spec *spec, const struct cli_create_args *a, bool foreground,
                        struct keel_error **err);

#define CLI_CREATE_LONGOPTS                                                                 \
	{"bundle", required_argument, NULL, 'b'}, {"config", required_argument, NULL, 'f'}, \
	        {"pid-file", required_argument, NULL, 'p'},                                 \
	        {"console-socket", required_argument, NULL, 'c'},                           \
	        {"no-pivot", no_argument, NULL, 'P'},                                       \
	        {"preserve-fds", required_argument, NULL, 'F'},                             \
	{                                                                                   \
		"no-new-keyring", no_argument, NULL, 'K'                                    \
	}
#define CLI_CREATE_SHORTOPTS "b:f:p:c:PF:K"
#define CLI_CREATE_USAGE                                                                      \
	"  -b, --bundle DIR          the bundle directory (default: the working directory)\n" \
	"  -f, --config FILE         read the configuration from FILE instead of\n"           \
	"                            BUNDLE/config.json\n"                                    \
	"      --pid-file FILE       write the container process's pid to FILE\n"             \
	"      --console-socket SOCK send the pty master of a terminal container to the\n"    \
	"                            unix socket SOCK (SCM_RIGHTS)\n"                         \
	"      --no-pivot            do not pivot_root (for a root that cannot be pivoted)\n" \
	"      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the container\n"         \
	"      --no-new-keyring      accepted for runc compatibility\n"

#endif
