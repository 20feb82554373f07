/* `keel check`: validate containers.d entries with exactly the code PID 1
 * reads them with (entries.c: name, keel.json, tmpfiles.conf, config.json,
 * rootfs, dependency graph), and print PID 1's own lines.  keel-import
 * runs it so an image PID 1 would refuse fails at import, with the message
 * the boot would have shown (docs/images.md).
 *
 *   keel check CONTAINERS_D             every entry
 *   keel check [--name NAME] [--with CONTAINERS_D] ENTRY
 *
 * An ENTRY (a directory holding keel.json or config.json) is checked under
 * NAME (default: its directory's name) among the entries of --with, which
 * its dependencies name; without --with, among its directory's siblings.
 * An entry of --with with the same name is the one ENTRY replaces.
 *
 * Nothing is started and nothing outside the entries is touched.  Exit
 * status: 0 every checked entry is accepted, 1 one is refused, 2 the
 * command could not run. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/init.h"
#include "init/supervisor.h"
#include "lib/util.h"

static void check_usage (FILE *out)
{
	fputs ("usage: keel check CONTAINERS_D\n"
	       "       keel check [--name NAME] [--with CONTAINERS_D] ENTRY\n"
	       "Validate containers.d entries as PID 1 does at boot, without starting anything.\n",
	       out);
}

static bool is_entry (const char *dir)
{
	cleanup_free char *p = xasprintf ("%s/keel.json", dir);
	cleanup_free char *c = xasprintf ("%s/config.json", dir);

	return access (p, F_OK) == 0 || access (c, F_OK) == 0;
}

static char *strip_slashes (const char *s)
{
	char *d = xstrdup (s);
	size_t n = strlen (d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

/* The lines PID 1's loading wrote to fd 2, minus those about an entry that
 * is only there for the graph: they are that entry's business, not the
 * checked one's. */
static void replay (int fd, char *const *quiet_dirs, size_t n_quiet)
{
	cleanup_free char *buf = NULL;
	off_t len = lseek (fd, 0, SEEK_END);
	char *line, *save = NULL;

	if (len <= 0)
		return;
	buf = xmalloc0 ((size_t)len + 1);
	if (pread (fd, buf, (size_t)len, 0) != len)
		return;
	for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		bool quiet = false;

		for (size_t i = 0; i < n_quiet && !quiet; i++) {
			size_t dl = strlen (quiet_dirs[i]);
			const char *hit = strstr (line, quiet_dirs[i]);
			quiet = hit && hit[dl] == '/';
		}
		if (!quiet)
			fprintf (stderr, "%s\n", line);
	}
}

int keel_check_main (int argc, char **argv)
{
	struct keel_error *err = NULL;
	struct init_opts opts;
	struct sup s;
	const char *name = NULL, *with = NULL;
	cleanup_free char *target = NULL, *group = NULL, *real_name = NULL;
	char **names = NULL, **dirs = NULL, **quiet = NULL;
	size_t n = 0, n_quiet = 0, checked = 0, refused = 0, i;
	bool entry;
	int cap, saved;

	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		if (strcmp (argv[i], "--name") == 0 && i + 1 < (size_t)argc)
			name = argv[++i];
		else if (strcmp (argv[i], "--with") == 0 && i + 1 < (size_t)argc)
			with = argv[++i];
		else if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
			check_usage (stdout);
			return 0;
		} else {
			check_usage (stderr);
			return 2;
		}
	}
	if (i + 1 != (size_t)argc) {
		check_usage (stderr);
		return 2;
	}
	target = strip_slashes (argv[i]);
	entry = is_entry (target);
	if (!entry && (name || with)) {
		fprintf (stderr,
		         "keel check: %s: not an entry (no keel.json or config.json); "
		         "--name and --with are for one entry\n",
		         target);
		return 2;
	}
	if (entry) {
		/* "." or "dir/.." is named after the directory it is. */
		char *real = realpath (target, NULL);

		if (real == NULL) {
			fprintf (stderr, "keel check: %s: %s\n", target, strerror (errno));
			return 2;
		}
		if (name == NULL)
			name = real_name = xstrdup (basename (real));
		/* dirname() writes into its argument: last. */
		group = with ? strip_slashes (with) : xstrdup (dirname (real));
		free (real);
	} else
		group = xstrdup (target);

	if (sup_list_entries (group, &names, &n, &err) < 0) {
		keel_error_print (stderr, "keel check", &err);
		return 2;
	}
	{
		/* ENTRY takes the place of an entry of the same name, and comes
		 * last, so it is the unit checked. */
		char **all = names;
		size_t total = n;

		names = xmalloc0 ((total + 1) * sizeof (char *));
		dirs = xmalloc0 ((total + 1) * sizeof (char *));
		quiet = xmalloc0 ((total + 1) * sizeof (char *));
		for (n = i = 0; i < total; i++) {
			if (entry && strcmp (all[i], name) == 0) {
				free (all[i]);
				continue;
			}
			names[n] = all[i];
			dirs[n] = xasprintf ("%s/%s", group, all[i]);
			if (entry)
				quiet[n_quiet++] = xstrdup (dirs[n]);
			n++;
		}
		free (all);
		if (entry) {
			names[n] = xstrdup (name);
			dirs[n] = xstrdup (target);
			n++;
		}
	}

	init_opts_defaults (&opts);
	free (opts.dir);
	opts.dir = xstrdup (group);
	memset (&s, 0, sizeof s);
	s.opts = &opts;
	s.loop.epfd = s.sigfd = s.timerfd = s.devnull = -1;

	/* PID 1 writes its verdicts to the console (fd 2 before it is open):
	 * catch them to leave out those about graph-only entries. */
	fflush (stderr);
	cap = memfd_create ("keel-check", MFD_CLOEXEC);
	saved = dup (2);
	if (cap < 0 || saved < 0 || dup2 (cap, 2) < 0) {
		fprintf (stderr, "keel check: capturing messages: %s\n", strerror (errno));
		return 2;
	}
	sup_load_units (&s, n, names, dirs);
	fflush (stderr);
	if (dup2 (saved, 2) < 0)
		return 2;
	close (saved);
	replay (cap, quiet, n_quiet);
	close (cap);

	for (i = 0; i < s.n_units; i++) {
		struct unit *u = &s.units[i];
		if (entry && i + 1 != s.n_units)
			continue;
		checked++;
		if (u->state == U_FAILED)
			refused++;
		else
			printf ("%s: ok\n", u->dir);
	}
	if (!entry)
		printf ("keel check: %zu entries, %zu accepted, %zu refused\n", checked,
		        checked - refused, refused);
	for (i = 0; i < n_quiet; i++)
		free (quiet[i]);
	free (quiet);
	free (names);
	free (dirs);
	sup_free (&s);
	init_opts_free (&opts);
	return refused ? 1 : 0;
}
