/* keel-runtime create [OPTIONS] ID: set the container up and leave its
 * process waiting for `start` (runtime.md "create").  The bundle, config
 * and path options are shared with `run`. */
#include <stdlib.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/notify-proxy.h"

bool cli_create_option (int c, const char *arg, struct cli_create_args *a, bool *bad)
{
	cleanup_error struct keel_error *err = NULL;

	switch (c) {
	case 'b':
		a->bundle_arg = arg;
		return true;
	case 'f':
		a->config_arg = arg;
		return true;
	case 'p':
		a->pid_file_arg = arg;
		return true;
	case 'c':
		a->console_socket_arg = arg;
		return true;
	case 'P':
		a->no_pivot = true;
		return true;
	case 'K':
		a->no_new_keyring = true;
		return true;
	case 'F':
		if (cli_parse_preserve_fds (arg, &a->preserve_fds, &err) < 0) {
			keel_log_error (&err);
			*bad = true;
		}
		return true;
	default:
		return false;
	}
}

void cli_create_paths_free (struct cli_create_paths *paths)
{
	free (paths->bundle);
	free (paths->pid_file);
	free (paths->console_socket);
	free (paths->config_json);
	for (size_t i = 0; i < ARRAY_SIZE (paths->env); i++)
		free (paths->env[i]);
	notify_proxy_mount_free (&paths->notify_mount);
	*paths = (struct cli_create_paths){0};
}

int cli_check_terminal (const struct spec *spec, const struct cli_create_args *a, bool foreground,
                        struct keel_error **err)
{
	bool terminal = spec->has_process && spec->process.terminal;

	if (terminal && a->console_socket_arg == NULL && !foreground)
		return keel_error (err, 0,
		                   "process.terminal is set: a detached container needs "
		                   "--console-socket to receive its pty");
	if (!terminal && a->console_socket_arg != NULL)
		return keel_error (err, 0, "--console-socket given but process.terminal is false");
	return 0;
}

/* systemd socket activation passed through as runc does: when LISTEN_PID
 * names this process, its LISTEN_FDS fds (3..) go to the container first,
 * the --preserve-fds ones after them, and the container sees
 * LISTEN_FDS=N LISTEN_PID=1. */
static int listen_fds (struct cli_create_paths *paths, size_t *n_env)
{
	const char *fds = getenv ("LISTEN_FDS"), *pid = getenv ("LISTEN_PID");
	unsigned long long n, p;

	if (fds == NULL || pid == NULL || !parse_uint64 (fds, &n) || !parse_uint64 (pid, &p) ||
	    p != (unsigned long long)getpid () || n == 0 || n > 1024)
		return 0;
	paths->env[(*n_env)++] = xasprintf ("LISTEN_FDS=%llu", n);
	paths->env[(*n_env)++] = xstrdup ("LISTEN_PID=1");
	return (int)n;
}

/* NOTIFY_SOCKET (systemd, podman): the container gets the proxy's socket
 * directory, never the caller's socket; start forwards (notify-proxy.h). */
static void notify_socket (const struct keel_runtime *rt, const char *id,
                           struct cli_create_paths *paths, struct keel_create_opts *opts,
                           size_t *n_env)
{
	const char *host = getenv ("NOTIFY_SOCKET");

	if (host == NULL || *host == '\0')
		return;
	if (!notify_proxy_addr_ok (host)) {
		keel_log (KEEL_LOG_WARNING,
		          "NOTIFY_SOCKET `%s` is not an absolute path or @abstract name: "
		          "not passed to the container",
		          host);
		return;
	}
	notify_proxy_mount (rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT, id,
	                    &paths->notify_mount, &paths->env[(*n_env)++]);
	opts->extra_mounts = &paths->notify_mount;
	opts->n_extra_mounts = 1;
	opts->notify_proxy_dir = true;
}

int cli_create_prepare (const struct keel_runtime *rt, const char *id,
                        const struct cli_create_args *a, struct cli_create_paths *paths,
                        struct spec **spec, struct keel_create_opts *opts, struct keel_error **err)
{
	size_t n_env = 0;
	int ret, n_listen;

	ret = cli_bundle_path (a->bundle_arg, &paths->bundle, err);
	if (ret < 0)
		return ret;
	if (a->pid_file_arg != NULL) {
		ret = cli_abs_path (a->pid_file_arg, &paths->pid_file, err);
		if (ret < 0)
			return ret;
	}
	if (a->console_socket_arg != NULL) {
		ret = cli_abs_path (a->console_socket_arg, &paths->console_socket, err);
		if (ret < 0)
			return ret;
	}
	ret = cli_load_spec (paths->bundle, a->config_arg, spec, &paths->config_json,
	                     &paths->config_len, err);
	if (ret < 0)
		return ret;

	*opts = (struct keel_create_opts){
	        .bundle = paths->bundle,
	        .pid_file = paths->pid_file,
	        .console_socket = paths->console_socket,
	        .no_pivot = a->no_pivot,
	        .preserve_fds = a->preserve_fds,
	        .stdio = {-1, -1, -1},
	        .config_json = paths->config_json,
	        .config_len = paths->config_len,
	};
	n_listen = listen_fds (paths, &n_env);
	if (n_listen > 0)
		opts->preserve_fds += n_listen;
	notify_socket (rt, id, paths, opts, &n_env);
	if (n_env > 0)
		opts->extra_env = paths->env;
	return 0;
}

static const char create_usage[] = "create [OPTIONS] CONTAINER-ID\n"
                                   "\n"
                                   "Create the container; its process waits for `start`.\n"
                                   "\n" CLI_CREATE_USAGE;

int cli_create (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {CLI_CREATE_LONGOPTS, {NULL, 0, NULL, 0}};
	cleanup_error struct keel_error *err = NULL;
	struct cli_create_args a = {0};
	struct cli_create_paths paths = {0};
	struct keel_create_opts opts;
	struct spec *spec = NULL;
	struct cli_parser p;
	bool bad = false;
	const char *id;
	pid_t pid = 0;
	int c, i, ret;

	cli_parser_init (&p, "create", create_usage, CLI_CREATE_SHORTOPTS, longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == CLI_OPT_HELP)
			return 0;
		if (c == CLI_OPT_ERROR || !cli_create_option (c, optarg, &a, &bad) || bad)
			return 1;
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	id = argv[i];

	ret = keel_container_check_id (id, &err);
	if (ret == 0)
		ret = cli_create_prepare (&g->rt, id, &a, &paths, &spec, &opts, &err);
	if (ret == 0)
		ret = cli_check_terminal (spec, &a, false, &err);
	if (ret == 0)
		ret = keel_container_create (&g->rt, id, spec, &opts, &pid, &err);
	spec_free (spec);
	cli_create_paths_free (&paths);
	if (ret < 0) {
		keel_error_wrap (&err, "create `%s`", id);
		return cli_fail (&err);
	}
	keel_debug ("container `%s` created, pid %d", id, (int)pid);
	return 0;
}
