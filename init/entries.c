/* Reading containers.d: every entry is parsed and validated before anything
 * starts, and a broken one gets exactly one console line naming the file
 * and the JSON path; the rest of the boot goes on without it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/cni.h"
#include "init/supervisor.h"
#include "lib/name.h"
#include "lib/util.h"

#define MAX_ENTRIES 4096 /* bench/init.sh runs 3000 */

static int cmp_str (const void *a, const void *b)
{
	return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the entry directories. */
static int list_entries (const char *dir, char ***out, size_t *n, struct keel_error **err)
{
	DIR *d = opendir (dir);
	struct dirent *de;
	char **names;
	size_t count = 0;

	if (d == NULL)
		return keel_error (err, errno, "open containers.d `%s`", dir);
	names = xmalloc0 (MAX_ENTRIES * sizeof (char *));
	while ((de = readdir (d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat (dirfd (d), de->d_name, &st, 0) < 0 || !S_ISDIR (st.st_mode))
			continue; /* README.md, build-rootfs.sh, ... */
		if (count == MAX_ENTRIES) {
			console_status (NULL, CS_WARN, "%s: more than %d entries; ignoring `%s`",
			                dir, MAX_ENTRIES, de->d_name);
			continue;
		}
		names[count++] = xstrdup (de->d_name);
	}
	closedir (d);
	qsort (names, count, sizeof (char *), cmp_str);
	*out = names;
	*n = count;
	return 0;
}

static bool quiet; /* a reload's dry run reads without a word */

static void mark_broken (struct unit *u, char *msg)
{
	if (!quiet)
		console_status (NULL, CS_FAIL, "%s", msg);
	unit_mark_broken (u, msg);
}

static void load_one (struct sup *s, struct unit *u)
{
	struct keel_error *err = NULL;
	cleanup_free char *config = xasprintf ("%s/config.json", u->dir);
	cleanup_free char *tmpfiles = xasprintf ("%s/tmpfiles.conf", u->dir);
	struct stat st, root;

	if (!policy_valid_name (u->name)) {
		mark_broken (u, xasprintf ("%s: \"%s\" is not a valid container name "
		                           "(" KEEL_NAME_RULE ")",
		                           u->dir, u->name));
		return;
	}
	if (policy_load (u->policy_file, &u->policy, &err) < 0) {
		mark_broken (u, keel_error_take (&err));
		return;
	}
	u->has_policy = true;
	if (tmpfiles_load (tmpfiles, &u->tmpfiles, &err) < 0) {
		mark_broken (u, keel_error_take (&err));
		return;
	}
	if (access (config, F_OK) < 0) {
		mark_broken (u, xasprintf ("%s: missing: every entry is an OCI bundle "
		                           "(config.json and its rootfs)",
		                           config));
		return;
	}
	/* Errors and warnings alike start with the entry's path, not the
	 * bare "config.json" the runtime CLI prints. */
	if (spec_load_as (config, config, u->dir, &u->spec, &err) < 0) {
		mark_broken (u, keel_error_take (&err));
		return;
	}
	if (u->spec->has_process && u->spec->process.terminal) {
		mark_broken (u,
		             xasprintf ("%s: process.terminal: keel gives a container a log pipe, "
		                        "not a terminal; set it to false",
		                        config));
		return;
	}
	if (cni_check_entry (u->policy_file, &u->policy, u->spec, &err) < 0) {
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		mark_broken (u, xstrdup (m ? m : u->policy_file));
		return;
	}
	if (u->spec->root.abs_path == NULL || stat (u->spec->root.abs_path, &st) < 0 ||
	    !S_ISDIR (st.st_mode)) {
		mark_broken (u, xasprintf ("%s: root.path: `%s` is not a directory%s", config,
		                           u->spec->root.abs_path ? u->spec->root.abs_path : "",
		                           errno == ENOENT ? " (missing rootfs: see "
		                                             "containers.d/build-rootfs.sh)"
		                                           : ""));
		return;
	}
	/* A rootfs that is, or links to, the host's / would give the container
	 * the whole host (and pivot_root cannot move / onto itself): refuse it
	 * here, with the entry's other checks, not at start. */
	if (stat ("/", &root) == 0 && st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
		mark_broken (u, xasprintf ("%s: root.path: `%s` is the host's root directory; "
		                           "a container needs its own rootfs",
		                           config, u->spec->root.abs_path));
		return;
	}
	if (init_opts_skipped (s->opts, u->name))
		unit_mark_skipped (u);
}

void sup_load_entry (struct sup *s, struct unit *u, bool report)
{
	quiet = !report;
	load_one (s, u);
	quiet = false;
	/* what a reload compares with (reload.h) */
	reload_fingerprint (u->dir, u->spec ? u->spec->root.abs_path : NULL, &u->fp);
}

static void graph_warning (void *data, size_t node, const char *msg)
{
	struct sup *s = data;
	console_status (s->con, CS_WARN, "%s: %s", s->units[node].policy_file, msg);
}

int sup_list_entries (const char *dir, char ***names, size_t *n, struct keel_error **err)
{
	return list_entries (dir, names, n, err);
}

int sup_load (struct sup *s, struct keel_error **err)
{
	char **names = NULL, **dirs;
	size_t n = 0, i;
	int ret;

	ret = sup_list_entries (s->opts->dir, &names, &n, err);
	if (ret < 0)
		return ret;
	dirs = xmalloc0 ((n ? n : 1) * sizeof (char *));
	for (i = 0; i < n; i++)
		dirs[i] = xasprintf ("%s/%s", s->opts->dir, names[i]);
	sup_load_units (s, n, names, dirs);
	free (names);
	free (dirs);
	return 0;
}

void sup_load_units (struct sup *s, size_t n, char **names, char **dirs)
{
	const char **gnames;
	const struct policy **pols;
	size_t i;

	/* Room for entries a reload adds: units never move (watches and the
	 * console's queue point into them). */
	s->cap_units = n + RELOAD_SPARE_UNITS;
	s->units = xmalloc0 (s->cap_units * sizeof (struct unit));
	s->n_units = n;
	for (i = 0; i < n; i++) {
		struct unit *u = &s->units[i];
		u->name = names[i];
		u->dir = dirs[i];
		u->policy_file = xasprintf ("%s/keel.json", u->dir);
		u->helper_fd = u->log_r = u->log_w = u->notify_fd = -1;
		policy_defaults (&u->policy);
		sup_load_entry (s, u, true);
	}

	gnames = xmalloc0 ((n ? n : 1) * sizeof (char *));
	pols = xmalloc0 ((n ? n : 1) * sizeof (struct policy *));
	for (i = 0; i < n; i++) {
		gnames[i] = s->units[i].name;
		pols[i] = s->units[i].state == U_FAILED ? NULL : &s->units[i].policy;
	}
	graph_build (&s->graph, n, gnames, pols, graph_warning, s);
	free (gnames);
	free (pols);
	for (i = 0; i < n; i++) {
		struct unit *u = &s->units[i];
		if (s->graph.nodes[i].error != NULL && u->state != U_FAILED)
			mark_broken (u,
			             xasprintf ("%s: %s", u->policy_file, s->graph.nodes[i].error));
	}
	for (i = 0; i < n; i++) {
		struct unit *u = &s->units[i];
		restart_init (&u->restart, &u->policy);
		logsink_init (&u->log, u->name, u->policy.log_ring_size, u->policy.log_console,
		              u->policy.log_file, u->policy.log_rotate_size,
		              u->policy.log_rotate_count);
	}
}
