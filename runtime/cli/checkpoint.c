/* keel-runtime checkpoint ID / restore ID: a running container's process
 * tree written to images by criu, and a container made again from them
 * (runtime/criu.h says how criu is driven).  The flags are runc's, those
 * podman and containerd pass.  As runc, checkpoint without --leave-running
 * ends the container (criu kills the tree) and deletes it; restore makes
 * the state directory and cgroup as create does and the container is
 * "running" with the restored init as its pid. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/cli/proxy.h"
#include "runtime/criu.h"
#include "runtime/terminal.h"

#define CRIU_USAGE_COMMON                                                                      \
	"      --image-path DIR      the checkpoint images (default ./checkpoint)\n"           \
	"      --work-path DIR       criu's log and work files (default: the image path)\n"    \
	"      --tcp-established     established TCP connections\n"                            \
	"      --ext-unix-sk         unix sockets connected outside the container\n"           \
	"      --shell-job           a process started from a shell (its session's tty)\n"     \
	"      --file-locks          file locks\n"                                             \
	"      --manage-cgroups-mode soft|full|strict|ignore\n"                                \
	"                            criu's cgroup handling (default: criu's, soft)\n"         \
	"      --empty-ns network    make the network namespace empty, not restored\n"         \
	"      --auto-dedup          punch holes in the parent's images as pages are dumped\n" \
	"                            or restored\n"                                            \
	"      --lazy-pages, --status-fd FD  refused: keel does not run criu lazy-pages\n"

static const char checkpoint_usage[] =
        "checkpoint [OPTIONS] CONTAINER-ID\n"
        "\n"
        "Write a running container's processes to checkpoint images with criu.\n"
        "The container is gone afterwards unless --leave-running.\n"
        "\n" CRIU_USAGE_COMMON
        "      --leave-running       keep the container running after the checkpoint\n"
        "      --pre-dump            only the memory, for a later incremental\n"
        "                            checkpoint (the container keeps running)\n"
        "      --parent-path DIR     the pre-dump's images, relative to the image path\n"
        "      --page-server ADDRESS:PORT  send the memory to criu's page server there\n";

static const char restore_usage[] =
        "restore [OPTIONS] CONTAINER-ID\n"
        "\n"
        "Make a container from checkpoint images; it is running afterwards.\n"
        "Without --detach, wait for it and exit with its status, as `run`.\n"
        "\n" CRIU_USAGE_COMMON
        "  -b, --bundle DIR          the bundle directory (default: the working directory)\n"
        "  -d, --detach              return once the container runs\n"
        "      --pid-file FILE       write the restored process's pid to FILE\n"
        "      --console-socket SOCK send a terminal container's new pty master there\n"
        "      --no-subreaper, --no-pivot  accepted for runc compatibility\n";

enum {
	OPT_IMAGE = 0x100,
	OPT_WORK,
	OPT_LEAVE,
	OPT_TCP,
	OPT_LOCKS,
	OPT_PREDUMP,
	OPT_PARENT,
	OPT_CGMODE,
	OPT_EXTUNIX,
	OPT_SHELL,
	OPT_PIDFILE,
	OPT_CONSOLE,
	OPT_NOSUBREAPER,
	OPT_NOPIVOT,
	OPT_EMPTYNS,
	OPT_DEDUP,
	OPT_LAZY,
	OPT_STATUSFD,
	OPT_PAGESERVER,
};

#define CRIU_LONGOPTS_COMMON                                                  \
	{"image-path", required_argument, NULL, OPT_IMAGE},                   \
	        {"work-path", required_argument, NULL, OPT_WORK},             \
	        {"tcp-established", no_argument, NULL, OPT_TCP},              \
	        {"file-locks", no_argument, NULL, OPT_LOCKS},                 \
	        {"manage-cgroups-mode", required_argument, NULL, OPT_CGMODE}, \
	        {"ext-unix-sk", no_argument, NULL, OPT_EXTUNIX},              \
	        {"shell-job", no_argument, NULL, OPT_SHELL},                  \
	        {"empty-ns", required_argument, NULL, OPT_EMPTYNS},           \
	        {"auto-dedup", no_argument, NULL, OPT_DEDUP},                 \
	        {"lazy-pages", no_argument, NULL, OPT_LAZY},                  \
	{                                                                     \
		"status-fd", required_argument, NULL, OPT_STATUSFD            \
	}

struct criu_args {
	const char *image_arg, *work_arg, *parent_arg, *cgmode, *empty_ns, *refused;
	struct criu_opts o;
	char *image, *work; /* absolute */
};

/* One option both commands take; false when c is not one. */
static bool common_option (int c, const char *arg, struct criu_args *a)
{
	switch (c) {
	case OPT_IMAGE:
		a->image_arg = arg;
		return true;
	case OPT_WORK:
		a->work_arg = arg;
		return true;
	case OPT_TCP:
		a->o.tcp_established = true;
		return true;
	case OPT_LOCKS:
		a->o.file_locks = true;
		return true;
	case OPT_CGMODE:
		a->cgmode = arg;
		return true;
	case OPT_EXTUNIX:
		a->o.ext_unix_sk = true;
		return true;
	case OPT_SHELL:
		a->o.shell_job = true;
		return true;
	case OPT_EMPTYNS:
		a->empty_ns = arg;
		return true;
	case OPT_DEDUP:
		a->o.auto_dedup = true;
		return true;
	case OPT_LAZY:
		a->refused = "--lazy-pages";
		return true;
	case OPT_STATUSFD:
		a->refused = "--status-fd";
		return true;
	}
	return false;
}

/* criu takes --prev-images-dir relative to the image directory and, when
 * it is wrong, says so only in its log after the container was stopped
 * for the dump: check it first, as runc does. */
static int check_parent (const char *image, const char *parent, struct keel_error **err)
{
	cleanup_free char *path = NULL;
	struct stat st;

	if (parent[0] == '/')
		return keel_error (err, 0, "--parent-path `%s` must be relative to the image path",
		                   parent);
	path = xasprintf ("%s/%s", image, parent);
	if (stat (path, &st) < 0)
		return keel_error (err, errno, "invalid --parent-path `%s`: %s", parent, path);
	if (!S_ISDIR (st.st_mode))
		return keel_error (err, ENOTDIR, "invalid --parent-path `%s`: %s", parent, path);
	return 0;
}

static int resolve_args (struct criu_args *a, struct keel_error **err)
{
	static const char *const modes[] = {"soft", "full", "strict", "ignore"};
	int ret;

	/* Lazy pages need criu's lazy-pages daemon beside the restore and a
	 * status fd it reports through: nothing keel starts. */
	if (a->refused)
		return keel_error (err, 0, "%s: keel does not run criu lazy-pages", a->refused);
	/* criu can leave only the network namespace empty. */
	if (a->empty_ns && strcmp (a->empty_ns, "network") != 0)
		return keel_error (err, 0, "--empty-ns `%s`: only `network` can be left empty",
		                   a->empty_ns);
	a->o.empty_netns = a->empty_ns != NULL;
	if (a->o.page_server) {
		const char *colon = strrchr (a->o.page_server, ':');
		if (colon == NULL || colon == a->o.page_server || colon[1] == '\0')
			return keel_error (err, 0, "--page-server `%s`: not ADDRESS:PORT",
			                   a->o.page_server);
	}
	if (a->cgmode) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE (modes) && strcmp (a->cgmode, modes[i]) != 0; i++)
			;
		if (i == ARRAY_SIZE (modes))
			return keel_error (err, 0,
			                   "--manage-cgroups-mode `%s`: not soft, full, strict "
			                   "or ignore",
			                   a->cgmode);
		a->o.manage_cgroups_mode = a->cgmode;
	}
	ret = cli_abs_path (a->image_arg ? a->image_arg : "checkpoint", &a->image, err);
	if (ret == 0 && a->work_arg)
		ret = cli_abs_path (a->work_arg, &a->work, err);
	a->o.image_path = a->image;
	a->o.work_path = a->work;
	a->o.parent_path = a->parent_arg;
	if (ret == 0 && a->parent_arg)
		ret = check_parent (a->image, a->parent_arg, err);
	return ret;
}

static void criu_args_free (struct criu_args *a)
{
	free (a->image);
	free (a->work);
}

static int checkpoint (struct cli_global *g, const char *id, struct criu_args *a,
                       struct keel_error **err)
{
	struct keel_state st = {0};
	struct spec *spec = NULL;
	int ret;

	ret = cli_state_running (g, id, &st, err);
	/* The config as create read it: mounts and namespaces name what criu
	 * must treat as external. */
	if (ret == 0)
		ret = cli_created_spec (g, id, st.bundle, &spec, err);
	if (ret == 0)
		ret = resolve_args (a, err);
	if (ret == 0)
		ret = criu_dump (spec, st.pid, &a->o, err);
	/* criu has killed the tree: the container is over, as runc's. */
	if (ret == 0 && !a->o.leave_running && !a->o.pre_dump) {
		ret = keel_container_delete (&g->rt, id, true, err);
		if (ret < 0)
			keel_error_wrap (err, "delete after the checkpoint");
	}
	spec_free (spec);
	keel_state_free (&st);
	return ret;
}

int cli_checkpoint (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CRIU_LONGOPTS_COMMON,
	        {"leave-running", no_argument, NULL, OPT_LEAVE},
	        {"pre-dump", no_argument, NULL, OPT_PREDUMP},
	        {"parent-path", required_argument, NULL, OPT_PARENT},
	        {"page-server", required_argument, NULL, OPT_PAGESERVER},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct criu_args a = {0};
	struct cli_parser p;
	int c, i, ret;

	cli_parser_init (&p, "checkpoint", checkpoint_usage, "", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (common_option (c, optarg, &a))
			continue;
		if (c == OPT_LEAVE)
			a.o.leave_running = true;
		else if (c == OPT_PREDUMP)
			a.o.pre_dump = true;
		else if (c == OPT_PARENT)
			a.parent_arg = optarg;
		else if (c == OPT_PAGESERVER)
			a.o.page_server = optarg;
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	ret = checkpoint (g, argv[i], &a, &err);
	criu_args_free (&a);
	if (ret < 0) {
		keel_error_wrap (&err, "checkpoint `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}

/* ---- restore -------------------------------------------------------------- */

struct restore_ctx {
	const struct spec *spec;
	const struct criu_opts *o;
	int tty_master; /* a terminal container's new pty, -1 for none */
};

/* keel_container_adopt's spawn: criu restores with a bind of the rootfs
 * as its root, because criu needs / to be a mount point and a bundle's
 * rootfs is often a plain directory.  The restored tree has its own mount
 * namespace, so ours is detached again right after. */
static int restore_spawn (void *arg, const char *state_dir, const char *cgroup_path,
                          const struct spec_strv *cgroup_v1, pid_t *pid, struct keel_error **err)
{
	struct restore_ctx *r = arg;
	const char *rootfs = r->spec->root.abs_path ? r->spec->root.abs_path : r->spec->root.path;
	cleanup_free char *dir = realpath (state_dir, NULL), *root = NULL;
	int ret;

	/* criu resolves --root from its own mount namespace: absolute, even
	 * with a relative --root of ours */
	if (dir == NULL)
		return keel_error (err, errno, "state directory `%s`", state_dir);
	root = xasprintf ("%s/criu-root", dir);
	if (mkdir (root, 0700) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s`", root);
	if (mount (rootfs, root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		ret = keel_error (err, errno, "bind `%s` on `%s`", rootfs, root);
		rmdir (root);
		return ret;
	}
	ret = criu_restore (r->spec, root, cgroup_path, cgroup_v1, r->o, pid, &r->tty_master, err);
	if (umount2 (root, MNT_DETACH) < 0)
		keel_log (KEEL_LOG_WARNING, "detach `%s`: %s", root, strerror (errno));
	else if (rmdir (root) < 0)
		keel_log (KEEL_LOG_WARNING, "rmdir `%s`: %s", root, strerror (errno));
	return ret;
}

struct restore_args {
	struct criu_args c;
	const char *bundle_arg, *pid_file_arg, *console_arg;
	bool detach;
};

/* runc's rules for a terminal, as for create (cli_check_terminal). */
static int check_terminal (const struct spec *spec, const struct restore_args *a,
                           struct keel_error **err)
{
	bool terminal = spec->has_process && spec->process.terminal;

	if (terminal && a->detach && a->console_arg == NULL)
		return keel_error (err, 0,
		                   "process.terminal is set: a detached restore needs "
		                   "--console-socket to send the pty's master to");
	if (!terminal && a->console_arg)
		return keel_error (err, 0, "--console-socket given but process.terminal is false");
	return 0;
}

/* The restored tree's new pty: its master to --console-socket, or in the
 * foreground to our own proxy (through a socket of ours, as after create). */
static int pass_terminal (struct restore_ctx *r, const char *console_socket, bool detach,
                          struct console *con, struct keel_error **err)
{
	int ret;

	if (r->tty_master < 0)
		return 0;
	if (console_socket) {
		ret = terminal_send_master (console_socket, r->tty_master, err);
	} else {
		ret = cli_console_listen (con, err);
		if (ret == 0)
			ret = terminal_send_master (con->path, r->tty_master, err);
		if (ret == 0 && !detach)
			ret = cli_console_accept (con, err);
	}
	close (r->tty_master);
	r->tty_master = -1;
	return ret;
}

static int restore (struct cli_global *g, const char *id, struct restore_args *a, int *code,
                    struct keel_error **err)
{
	cleanup_free char *bundle = NULL, *pid_file = NULL, *json = NULL, *console = NULL;
	struct keel_create_opts opts = {.stdio = {-1, -1, -1}};
	size_t json_len = 0;
	struct waiter w = {.sfd = -1};
	struct console con = {.listen_fd = -1, .master = -1}; /* foreground terminal proxy */
	struct spec *spec = NULL;
	struct restore_ctx r = {.tty_master = -1};
	sigset_t old;
	bool blocked = false;
	int ret;

	*code = 0;
	ret = cli_bundle_path (a->bundle_arg, &bundle, err);
	if (ret == 0 && a->pid_file_arg)
		ret = cli_abs_path (a->pid_file_arg, &pid_file, err);
	if (ret == 0)
		ret = cli_load_spec (bundle, NULL, &spec, &json, &json_len, err);
	if (ret == 0)
		ret = check_terminal (spec, a, err);
	if (ret == 0 && a->console_arg)
		ret = cli_abs_path (a->console_arg, &console, err);
	if (ret == 0)
		ret = resolve_args (&a->c, err);
	/* In the foreground the restored init becomes our child when criu
	 * exits (we are its nearest subreaper), which is the only way we can
	 * wait for it: --no-subreaper is accepted but changes nothing. */
	if (ret == 0 && !a->detach && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		ret = keel_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
	if (ret == 0 && !a->detach) {
		/* The mask in effect now, for putting back even when the
		 * signalfd fails after the mask changed. */
		if (sigprocmask (SIG_SETMASK, NULL, &old) < 0)
			ret = keel_error (err, errno, "sigprocmask");
		else {
			blocked = true;
			ret = cli_block_signals (&old, &w.sfd, err);
		}
	}
	if (ret == 0) {
		opts.bundle = bundle;
		opts.pid_file = pid_file;
		opts.config_json = json;
		opts.config_len = json_len;
		r = (struct restore_ctx){.spec = spec, .o = &a->c.o, .tty_master = -1};
		ret = keel_container_adopt (&g->rt, id, spec, &opts, restore_spawn, &r, &w.pid,
		                            err);
		if (ret == 0 && (ret = pass_terminal (&r, console, a->detach, &con, err)) < 0)
			/* restored, but nobody holds its terminal: not left running */
			(void)keel_container_delete (&g->rt, id, true, NULL);
		else if (ret < 0 && r.tty_master >= 0)
			close (r.tty_master);
	}
	spec_free (spec);
	if (ret == 0 && !a->detach) {
		ret = cli_wait_container (&w, &con, NULL, err);
		*code = cli_exit_code (w.status);
	}
	if (w.sfd >= 0)
		close (w.sfd);
	if (blocked)
		(void)sigprocmask (SIG_SETMASK, &old, NULL);
	/* After the mask is back: poststop hooks must not inherit it. */
	if (ret == 0 && !a->detach) {
		ret = keel_container_delete (&g->rt, id, true, err);
		if (ret < 0)
			keel_error_wrap (err, "delete");
	}
	cli_console_cleanup (&con);
	return ret;
}

int cli_restore (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        CRIU_LONGOPTS_COMMON,
	        {"bundle", required_argument, NULL, 'b'},
	        {"detach", no_argument, NULL, 'd'},
	        {"pid-file", required_argument, NULL, OPT_PIDFILE},
	        {"console-socket", required_argument, NULL, OPT_CONSOLE},
	        {"no-subreaper", no_argument, NULL, OPT_NOSUBREAPER},
	        {"no-pivot", no_argument, NULL, OPT_NOPIVOT},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct restore_args a = {0};
	struct cli_parser p;
	int c, i, ret, code;

	cli_parser_init (&p, "restore", restore_usage, "b:d", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (common_option (c, optarg, &a.c))
			continue;
		if (c == 'b')
			a.bundle_arg = optarg;
		else if (c == 'd')
			a.detach = true;
		else if (c == OPT_PIDFILE)
			a.pid_file_arg = optarg;
		else if (c == OPT_CONSOLE)
			a.console_arg = optarg;
		else if (c == OPT_NOSUBREAPER || c == OPT_NOPIVOT)
			; /* see restore(); criu restores the mount namespace as it was */
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	ret = restore (g, argv[i], &a, &code, &err);
	criu_args_free (&a.c);
	if (ret < 0) {
		keel_error_wrap (&err, "restore `%s`", argv[i]);
		return cli_fail (&err);
	}
	return code;
}
