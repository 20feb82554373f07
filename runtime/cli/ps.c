/* keel-runtime ps [-f table|json] ID: the processes of a container, as
 * runc ps prints them (containerd reads `--format json`, an array of pids).
 * They are the members of the container's cgroup and its children; a
 * container run without a cgroup (--cgroup-manager disabled) has only its
 * own process to show. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cli/command.h"

static const char ps_usage[] = "ps [OPTIONS] CONTAINER-ID\n"
                               "\n"
                               "List the processes of the container.\n"
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
	i = cli_operands (&parser, 1, 1, "container id");
	if (i < 0)
		return 1;
	ret = container_pids (g, argv[i], &p, &err);
	if (ret == 0)
		print_pids (&p, json);
	free (p.v);
	if (ret < 0) {
		keel_error_wrap (&err, "ps `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
