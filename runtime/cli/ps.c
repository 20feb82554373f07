/* keel-runtime ps [-f table|json] ID [PS-ARGS]: the processes of a
 * container, as runc ps prints them (containerd reads `--format json`, an
 * array of pids).  They are the members of the container's cgroup and its
 * children; a container run without a cgroup (--cgroup-manager disabled)
 * has only its own process to show.  The table is the host's `ps PS-ARGS`
 * (`ps -ef` without them) cut down to those pids, as runc prints it; a
 * host where `ps -ef` fails (no ps binary: keel's own images need none)
 * gets keel's own PID/CMD table instead, unless PS-ARGS asked for ps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"

static const char ps_usage[] = "ps [OPTIONS] CONTAINER-ID [PS-ARGS]\n"
                               "\n"
                               "List the processes of the container as the host's\n"
                               "`ps PS-ARGS` shows them (`ps -ef` by default; without a ps\n"
                               "binary, a PID/CMD table); --format json: their pids.\n"
                               "\n"
                               "  -f, --format table|json   output format (default table)\n";

struct pids {
	pid_t *v;
	size_t n, cap;
};

static void pids_add (struct pids *p, pid_t pid)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = realloc (p->v, p->cap * sizeof (*p->v));
		if (p->v == NULL)
			abort ();
	}
	p->v[p->n++] = pid;
}

/* The pids in dir/cgroup.procs and, recursively, in every child cgroup. */
static int cgroup_pids (const char *dir, struct pids *p, struct keel_error **err)
{
	cleanup_free char *procs = xasprintf ("%s/cgroup.procs", dir), *buf = NULL;
	DIR *d;
	struct dirent *de;
	char *line, *save = NULL;
	int ret;

	ret = read_file (procs, 0, &buf, NULL, err);
	if (ret < 0)
		return ret;
	for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		unsigned long long v;
		if (parse_uint64 (line, &v))
			pids_add (p, (pid_t)v);
	}
	d = opendir (dir);
	if (d == NULL)
		return keel_error (err, errno, "opendir `%s`", dir);
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *sub = NULL;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = xasprintf ("%s/%s", dir, de->d_name);
		ret = cgroup_pids (sub, p, err);
		if (ret < 0)
			break;
	}
	closedir (d);
	return ret < 0 ? ret : 0;
}

static char *cmdline (pid_t pid)
{
	cleanup_free char *path = xasprintf ("/proc/%d/cmdline", (int)pid);
	char *buf = NULL;
	size_t len = 0, i;

	if (read_file (path, 4096, &buf, &len, NULL) < 0)
		return xstrdup ("?");
	for (i = 0; len > 0 && i < len - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return buf;
}

static void print_pids (const struct pids *p, bool json)
{
	size_t i;

	if (json) {
		json_object *a = json_object_new_array ();
		for (i = 0; i < p->n; i++)
			json_object_array_add (a, json_object_new_int (p->v[i]));
		printf ("%s\n", json_object_to_json_string_ext (a, JSON_C_TO_STRING_PLAIN));
		json_object_put (a);
		return;
	}
	printf ("%-8s %s\n", "PID", "CMD");
	for (i = 0; i < p->n; i++) {
		cleanup_free char *c = cmdline (p->v[i]);
		printf ("%-8d %s\n", (int)p->v[i], c);
	}
}

static bool pids_has (const struct pids *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == pid)
			return true;
	return false;
}

/* Read fd to its end into a NUL-terminated buffer. */
static int read_all (int fd, char **out, struct keel_error **err)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc (buf, cap + 1);
			if (buf == NULL)
				abort ();
		}
		n = read (fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free (buf);
			return keel_error (err, errno, "read the output of ps");
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Run `ps args...` and return its output (stdout and stderr together, for
 * the error message when it fails). */
static int run_ps (char **args, char **out, struct keel_error **err)
{
	posix_spawn_file_actions_t fa;
	cleanup_free char *buf = NULL;
	int pipefd[2], status, e, ret;
	pid_t pid;

	if (pipe2 (pipefd, O_CLOEXEC) < 0)
		return keel_error (err, errno, "ps: pipe");
	e = posix_spawn_file_actions_init (&fa);
	if (e == 0) {
		e = posix_spawn_file_actions_adddup2 (&fa, pipefd[1], 1);
		if (e == 0)
			e = posix_spawn_file_actions_adddup2 (&fa, pipefd[1], 2);
		if (e == 0)
			e = posix_spawnp (&pid, "ps", &fa, NULL, args, environ);
		posix_spawn_file_actions_destroy (&fa);
	}
	close (pipefd[1]);
	if (e != 0) {
		close (pipefd[0]);
		return keel_error (err, e, "run ps");
	}
	ret = read_all (pipefd[0], &buf, err);
	close (pipefd[0]);
	while (waitpid (pid, &status, 0) < 0)
		if (errno != EINTR)
			return keel_error (err, errno, "wait for ps");
	if (ret < 0)
		return ret;
	if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
		size_t len = strlen (buf);

		while (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		return keel_error (err, 0, "ps failed: %s", buf);
	}
	*out = steal_ptr (&buf);
	return 0;
}

/* The header of ps's output, then the lines whose PID column is one of p. */
static int print_ps_filtered (const struct pids *p, char *output, struct keel_error **err)
{
	char *save = NULL, *header = strtok_r (output, "\n", &save), *line;
	cleanup_free char *titles = xstrdup (header ? header : "");
	char *tsave = NULL, *t;
	int col = -1, k = 0;

	for (t = strtok_r (titles, " \t", &tsave); t; t = strtok_r (NULL, " \t", &tsave), k++)
		if (strcmp (t, "PID") == 0) {
			col = k;
			break;
		}
	if (col < 0)
		return keel_error (err, 0, "ps: no PID column in its output (`%s`)",
		                   header ? header : "");
	printf ("%s\n", header);
	while ((line = strtok_r (NULL, "\n", &save)) != NULL) {
		const char *f = line;
		unsigned long long v;
		char field[32];
		size_t n;

		/* The col-th whitespace-separated field. */
		for (k = 0;; k++) {
			f += strspn (f, " \t");
			n = strcspn (f, " \t");
			if (k == col || n == 0)
				break;
			f += n;
		}
		if (n == 0 || n >= sizeof field)
			continue;
		memcpy (field, f, n);
		field[n] = '\0';
		if (parse_uint64 (field, &v) && pids_has (p, (pid_t)v))
			printf ("%s\n", line);
	}
	return 0;
}

/* runc passes what follows the id to ps; a `--` there would reach ps,
 * which refuses it, so keel drops it. */
static int print_ps (const struct pids *p, int argc, char **argv, struct keel_error **err)
{
	cleanup_free char **args = xmalloc0 (sizeof (char *) * (size_t)(argc + 2));
	cleanup_free char *out = NULL;
	int i = 0, n = 1, ret;

	if (argc > 0 && strcmp (argv[0], "--") == 0)
		i++;
	args[0] = "ps";
	for (; i < argc; i++)
		args[n++] = argv[i];
	ret = run_ps (args, &out, err);
	if (ret < 0)
		return ret;
	return print_ps_filtered (p, out, err);
}

static int container_pids (struct cli_global *g, const char *id, struct pids *p,
                           struct keel_error **err)
{
	struct keel_state st = {0};
	int ret;

	ret = keel_container_state (&g->rt, id, &st, err);
	if (ret < 0)
		return ret;
	if (st.cgroup_path != NULL)
		ret = cgroup_pids (st.cgroup_path, p, err);
	else if (st.status != KEEL_STOPPED && st.pid > 0)
		pids_add (p, st.pid);
	keel_state_free (&st);
	return ret;
}

int cli_ps (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct pids p = {0};
	struct cli_parser parser;
	bool json = false;
	int c, i, ret;

	cli_parser_init (&parser, "ps", ps_usage, "f:", longopts, argc, argv);
	while ((c = cli_next_opt (&parser)) != CLI_OPT_END) {
		if (c != 'f')
			return c == CLI_OPT_HELP ? 0 : 1;
		if (strcmp (optarg, "json") == 0)
			json = true;
		else if (strcmp (optarg, "table") != 0)
			return cli_usage_error ("ps", "unknown format `%s`", optarg);
	}
	i = cli_operands (&parser, 1, -1, "container id");
	if (i < 0)
		return 1;
	ret = container_pids (g, argv[i], &p, &err);
	if (ret == 0 && !json && i + 1 < argc) {
		ret = print_ps (&p, argc - i - 1, argv + i + 1, &err);
	} else if (ret == 0 && !json) {
		static char *ef[] = {"-ef"};

		/* Nothing printed when it fails: no ps, or one that refuses -ef. */
		ret = print_ps (&p, 1, ef, &err);
		if (ret < 0) {
			keel_debug ("ps: `ps -ef`: %s; keel's own table instead", err->msg);
			keel_error_release (&err);
			print_pids (&p, false);
			ret = 0;
		}
	} else if (ret == 0) {
		print_pids (&p, json);
	}
	free (p.v);
	if (ret < 0) {
		keel_error_wrap (&err, "ps `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
