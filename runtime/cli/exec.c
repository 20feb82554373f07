/* keel-runtime exec [OPTIONS] ID [COMMAND [ARGS...]]: run one more process
 * in a running container, as runc's exec: the process is the container's
 * config.json process with COMMAND as args and the options applied, or
 * the runtime-spec process JSON of --process.  Without --detach it stays
 * with the process as `run` does (signals forwarded, a terminal proxied)
 * and exits with its status, 128+N when signal N killed it; a failure
 * before the process runs exits 255, as runc's does. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/cli/proxy.h"
#include "runtime/exec-process.h"

static const char exec_usage[] =
        "exec [OPTIONS] CONTAINER-ID [COMMAND [ARGS...]]\n"
        "\n"
        "Run a process in a running container and wait for it; exit with its\n"
        "status (128+N when signal N killed it, 255 when it could not start).\n"
        "\n"
        "  -p, --process FILE        the process as a runtime-spec process JSON\n"
        "  -d, --detach              return once the process has started\n"
        "  -t, --tty                 give it a pty (proxied unless --console-socket)\n"
        "      --console-socket SOCK send the pty master to the unix socket SOCK\n"
        "      --pid-file FILE       write the process's pid to FILE\n"
        "  -e, --env NAME=VALUE      add to the environment (repeatable)\n"
        "      --cwd DIR             the working directory inside the container\n"
        "  -u, --user UID[:GID]      run as this user\n"
        "  -g, --additional-gids GID add a supplementary group (repeatable)\n"
        "  -c, --cap CAP_NAME        add a capability to every set but inheritable\n"
        "      --no-new-privs        set no_new_privs\n"
        "      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the process\n"
        "      --cgroup [CTRL[,CTRL]:]PATH  a sub-cgroup of the container's to run in\n"
        "      --ignore-paused       exec even when the container is paused\n"
        "      --apparmor, --process-label  refused: keel has no LSM support\n";

/* What the command line asks for besides the process's own fields. */
struct exec_args {
	const char *process_file, *console_socket, *pid_file, *cwd, *user, *cgroup;
	struct keel_exec_opts opts;
	bool detach, tty, no_new_privs;
	char **env, **caps, **gids, **cgroup_ctl; /* NULL-terminated, as given */
	size_t n_env, n_caps, n_gids, n_cgroup_ctl;
};

/* What the process owns that the config does not: freed by exec_parts_free. */
struct exec_parts {
	struct spec *config, *file;
	char **env;
	int *caps[4];
	gid_t *gids;
	char *console_socket, *pid_file;
};

static void exec_parts_free (struct exec_parts *x)
{
	spec_free (x->config);
	spec_free (x->file);
	free (x->env);
	for (int i = 0; i < 4; i++)
		free (x->caps[i]);
	free (x->gids);
	free (x->console_socket);
	free (x->pid_file);
}

static void push (char ***v, size_t *n, char *s)
{
	*v = realloc (*v, (*n + 2) * sizeof **v);
	if (*v == NULL)
		abort ();
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static bool parse_id (const char *s, uint32_t *out)
{
	unsigned long long n;

	if (!parse_uint64 (s, &n) || n > UINT32_MAX)
		return false;
	*out = (uint32_t)n;
	return true;
}

/* --user UID[:GID], numbers only, as runc's exec. */
static int apply_user (const char *arg, struct spec_user *u, struct keel_error **err)
{
	cleanup_free char *uid = xstrdup (arg);
	char *gid = strchr (uid, ':');

	if (gid)
		*gid++ = '\0';
	if (!parse_id (uid, &u->uid) || (gid && !parse_id (gid, &u->gid)))
		return keel_error (err, 0, "--user `%s`: expected UID[:GID], as numbers", arg);
	return 0;
}

/* --cap adds to bounding, effective, permitted and ambient, as runc's. */
static int apply_caps (const struct exec_args *a, struct spec_caps *c, struct exec_parts *x,
                       struct keel_error **err)
{
	int **sets[4] = {&c->bounding, &c->effective, &c->permitted, &c->ambient};
	size_t *lens[4] = {&c->n_bounding, &c->n_effective, &c->n_permitted, &c->n_ambient};

	for (int s = 0; s < 4; s++) {
		x->caps[s] = xmalloc0 ((*lens[s] + a->n_caps) * sizeof (int) + 1);
		memcpy (x->caps[s], *sets[s], *lens[s] * sizeof (int));
		for (size_t i = 0; i < a->n_caps; i++) {
			int cap = spec_cap_number (a->caps[i]);
			if (cap < 0)
				return keel_error (err, 0, "--cap: unknown capability `%s`",
				                   a->caps[i]);
			x->caps[s][(*lens[s])++] = cap;
		}
		*sets[s] = x->caps[s];
	}
	c->present = true;
	return 0;
}

/* The options on top of the process (a copy whose arrays are the
 * config's or x's: nothing here is freed through it). */
static int apply_options (const struct exec_args *a, struct spec_process *p, struct exec_parts *x,
                          struct keel_error **err)
{
	int ret;

	if (a->cwd) {
		if (a->cwd[0] != '/')
			return keel_error (err, 0, "--cwd `%s` is not an absolute path", a->cwd);
		p->cwd = (char *)a->cwd;
	}
	if (a->n_env) {
		size_t n = 0;
		for (size_t i = 0; i < p->env.n; i++)
			push (&x->env, &n, p->env.v[i]);
		for (size_t i = 0; i < a->n_env; i++) {
			if (strchr (a->env[i], '=') == NULL || a->env[i][0] == '=')
				return keel_error (err, 0, "--env `%s`: expected NAME=VALUE",
				                   a->env[i]);
			push (&x->env, &n, a->env[i]);
		}
		p->env = (struct spec_strv){.v = x->env, .n = n};
	}
	if (a->user && (ret = apply_user (a->user, &p->user, err)) < 0)
		return ret;
	if (a->n_gids) {
		struct spec_user *u = &p->user;
		x->gids = xmalloc0 ((u->n_additional_gids + a->n_gids) * sizeof (gid_t));
		memcpy (x->gids, u->additional_gids, u->n_additional_gids * sizeof (gid_t));
		for (size_t i = 0; i < a->n_gids; i++)
			if (!parse_id (a->gids[i], &x->gids[u->n_additional_gids++]))
				return keel_error (err, 0, "--additional-gids `%s` is not a gid",
				                   a->gids[i]);
		u->additional_gids = x->gids;
	}
	if (a->n_caps && (ret = apply_caps (a, &p->caps, x, err)) < 0)
		return ret;
	if (a->no_new_privs)
		p->no_new_privileges = true;
	if (a->tty)
		p->terminal = true;
	return 0;
}

/* The process: --process FILE as is, or the process of the config the
 * container was created with (state.h keeps it: an edit of the bundle
 * since changes nothing, as with runc) with COMMAND. */
static int build_process (struct cli_global *g, const char *id, struct exec_args *a, char **cmd,
                          int n_cmd, struct spec_process *p, struct exec_parts *x,
                          struct keel_error **err)
{
	struct keel_state st = {0};
	int ret;

	ret = keel_container_state (&g->rt, id, &st, err);
	if (ret == 0 && st.bundle == NULL)
		ret = keel_error (err, 0, "the container's state has no bundle");
	if (ret == 0)
		ret = cli_created_spec (g, id, st.bundle, &x->config, err);
	keel_state_free (&st);
	if (ret < 0)
		return ret;
	if (a->process_file) {
		ret = spec_load_process (a->process_file, &x->file, err);
		if (ret < 0)
			return ret;
		*p = x->file->process;
	} else {
		if (!x->config->has_process)
			return keel_error (err, 0, "config.json has no process to start from");
		*p = x->config->process;
		p->args = (struct spec_strv){.v = cmd, .n = (size_t)n_cmd};
		p->terminal = false; /* only with --tty, as runc */
	}
	return apply_options (a, p, x, err);
}

static int write_pid (const char *arg, pid_t pid, struct exec_parts *x, struct keel_error **err)
{
	int ret;

	if (arg == NULL)
		return 0;
	ret = cli_abs_path (arg, &x->pid_file, err);
	if (ret == 0)
		ret = keel_write_pid_file (x->pid_file, pid, err);
	return ret;
}

/* Start the process and, unless detached, wait for it: *code is its exit
 * code.  Signals are blocked into the signalfd before it exists, so none
 * sent to us meanwhile is lost (it unblocks them itself). */
static int exec_and_wait (struct cli_global *g, const char *id, struct exec_args *a,
                          struct exec_parts *x, int *code, struct keel_error **err)
{
	struct console con = {.listen_fd = -1, .master = -1};
	struct waiter w = {.sfd = -1};
	bool proxy = a->opts.process->terminal && !a->detach && a->console_socket == NULL;
	sigset_t old;
	int ret = 0;

	if (a->console_socket) {
		ret = cli_abs_path (a->console_socket, &x->console_socket, err);
		a->opts.console_socket = x->console_socket;
	} else if (proxy) {
		ret = cli_console_listen (&con, err);
		a->opts.console_socket = con.path;
	}
	if (ret == 0 && !a->detach)
		ret = cli_block_signals (&old, &w.sfd, err);
	if (ret == 0)
		ret = keel_container_exec (&g->rt, id, &a->opts, &w.pid, err);
	if (ret == 0)
		ret = write_pid (a->pid_file, w.pid, x, err);
	if (ret == 0 && proxy)
		ret = cli_console_accept (&con, err);
	if (ret == 0 && !a->detach) {
		ret = cli_wait_container (&w, &con, NULL, err);
		*code = cli_exit_code (w.status);
	}
	if (w.sfd >= 0) {
		close (w.sfd);
		(void)sigprocmask (SIG_SETMASK, &old, NULL);
	}
	cli_console_cleanup (&con);
	return ret;
}

static int check_args (const struct exec_args *a, const struct spec_process *p,
                       struct keel_error **err)
{
	if (p->terminal && a->detach && a->console_socket == NULL)
		return keel_error (err, 0,
		                   "a detached process with a terminal needs --console-socket "
		                   "to receive its pty");
	if (!p->terminal && a->console_socket)
		return keel_error (err, 0,
		                   "--console-socket given but the process has no terminal");
	return 0;
}

static int do_exec (struct cli_global *g, const char *id, struct exec_args *a, char **cmd,
                    int n_cmd, int *code, struct keel_error **err)
{
	struct exec_parts x = {0};
	struct spec_process p;
	int ret;

	ret = build_process (g, id, a, cmd, n_cmd, &p, &x, err);
	if (ret == 0)
		ret = check_args (a, &p, err);
	if (ret == 0) {
		a->opts.config = x.config;
		a->opts.process = &p;
		ret = exec_and_wait (g, id, a, &x, code, err);
	}
	exec_parts_free (&x);
	return ret;
}

int cli_exec (struct cli_global *g, int argc, char **argv)
{
	enum {
		OPT_CONSOLE = 256,
		OPT_PID_FILE,
		OPT_CWD,
		OPT_NNP,
		OPT_PRESERVE,
		OPT_CGROUP,
		OPT_IGNORE_PAUSED,
		OPT_APPARMOR,
		OPT_LABEL,
	};
	static const struct option longopts[] = {
	        {"process", required_argument, NULL, 'p'},
	        {"detach", no_argument, NULL, 'd'},
	        {"tty", no_argument, NULL, 't'},
	        {"console-socket", required_argument, NULL, OPT_CONSOLE},
	        {"pid-file", required_argument, NULL, OPT_PID_FILE},
	        {"env", required_argument, NULL, 'e'},
	        {"cwd", required_argument, NULL, OPT_CWD},
	        {"user", required_argument, NULL, 'u'},
	        {"additional-gids", required_argument, NULL, 'g'},
	        {"cap", required_argument, NULL, 'c'},
	        {"no-new-privs", no_argument, NULL, OPT_NNP},
	        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
	        {"cgroup", required_argument, NULL, OPT_CGROUP},
	        {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
	        {"apparmor", required_argument, NULL, OPT_APPARMOR},
	        {"process-label", required_argument, NULL, OPT_LABEL},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct exec_args a = {0};
	struct cli_parser p;
	int c, i, code = 0, ret = 0;

	cli_parser_init (&p, "exec", exec_usage, "p:dte:u:g:c:", longopts, argc, argv);
	while (ret == 0 && (c = cli_next_opt (&p)) != CLI_OPT_END) {
		switch (c) {
		case CLI_OPT_HELP:
			return 0;
		case 'p':
			a.process_file = optarg;
			break;
		case 'd':
			a.detach = true;
			break;
		case 't':
			a.tty = true;
			break;
		case OPT_CONSOLE:
			a.console_socket = optarg;
			break;
		case OPT_PID_FILE:
			a.pid_file = optarg;
			break;
		case 'e':
			push (&a.env, &a.n_env, optarg);
			break;
		case OPT_CWD:
			a.cwd = optarg;
			break;
		case 'u':
			a.user = optarg;
			break;
		case 'g':
			push (&a.gids, &a.n_gids, optarg);
			break;
		case 'c':
			push (&a.caps, &a.n_caps, optarg);
			break;
		case OPT_NNP:
			a.no_new_privs = true;
			break;
		case OPT_PRESERVE:
			ret = cli_parse_preserve_fds (optarg, &a.opts.preserve_fds, &err);
			break;
		case OPT_CGROUP: {
			/* PATH alone, or CTRL[,CTRL]:PATH any number of times
			 * (cgroup v1), as runc. */
			const char *colon = strchr (optarg, ':');

			if (colon && (colon == optarg || strchr (colon + 1, ':')))
				ret = keel_error (&err, 0,
				                  "--cgroup `%s`: not PATH or "
				                  "CONTROLLER[,CONTROLLER]:PATH",
				                  optarg);
			else if (colon)
				push (&a.cgroup_ctl, &a.n_cgroup_ctl, optarg);
			else if (a.cgroup)
				ret = keel_error (&err, 0, "--cgroup `%s`: one PATH only", optarg);
			else
				a.cgroup = optarg;
			if (ret == 0 && a.cgroup && a.n_cgroup_ctl)
				ret = keel_error (&err, 0,
				                  "--cgroup `%s`: a PATH without a controller "
				                  "prefix must be the only --cgroup",
				                  a.cgroup);
			a.opts.sub_cgroup = a.cgroup;
			a.opts.sub_cgroup_ctl = a.cgroup_ctl;
			a.opts.n_sub_cgroup_ctl = a.n_cgroup_ctl;
			break;
		}
		case OPT_IGNORE_PAUSED:
			a.opts.ignore_paused = true;
			break;
		case OPT_APPARMOR:
			ret = keel_error (&err, 0, "--apparmor: AppArmor is not supported by keel");
			break;
		case OPT_LABEL:
			ret = keel_error (&err, 0,
			                  "--process-label: SELinux is not supported by keel");
			break;
		default:
			ret = -1;
		}
	}
	i = ret == 0 ? cli_operands (&p, 1, a.process_file ? 1 : -1, "container id") : -1;
	if (ret == 0 && i >= 0 && !a.process_file && argc - i < 2)
		ret = keel_error (&err, 0,
		                  "process args cannot be empty (give COMMAND or --process)");
	if (ret == 0 && i >= 0)
		ret = do_exec (g, argv[i], &a, argv + i + 1, argc - i - 1, &code, &err);
	free (a.env);
	free (a.caps);
	free (a.cgroup_ctl);
	free (a.gids);
	if (i < 0) {
		/* The command line itself: a usage error, 1 as for every command. */
		if (err) {
			keel_error_wrap (&err, "exec");
			keel_log_error (&err);
		}
		return 1;
	}
	if (ret < 0) {
		keel_error_wrap (&err, "exec `%s`", argv[i]);
		keel_log_error (&err);
		return 255;
	}
	return code;
}
