/* `keel deploy`: the deployment store from the command line, for
 * keel-import --update on a build host and for people looking at a
 * containers.d tree (docs/deployments.md).  The same code as keelctl's
 * update and rollback on a node: init/deploy.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "init/deploy.h"
#include "init/init.h"
#include "init/policy.h"
#include "lib/util.h"

static void usage (FILE *out)
{
	fputs ("usage: keel deploy list CONTAINERS_D NAME\n"
	       "       keel deploy settings CONTAINERS_D NAME   the active one's --set values, as "
	       "JSON\n"
	       "       keel deploy add CONTAINERS_D NAME DIR [--digest D] [--source S]\n"
	       "                       [--set K=V]... [--keep N] [--pending]\n"
	       "       keel deploy commit CONTAINERS_D NAME     clear the active one's pending "
	       "mark\n"
	       "       keel deploy rollback CONTAINERS_D NAME [GENERATION]\n"
	       "       keel deploy repair CONTAINERS_D NAME\n"
	       "DIR: a complete entry (rootfs/, config.json, keel.json) inside CONTAINERS_D;\n"
	       "it becomes the next deployment of NAME and the active one.\n"
	       "add, commit, rollback and repair wait for another writer of the store\n"
	       "up to 60 s ($KEEL_DEPLOY_LOCK_WAIT seconds), then fail.\n",
	       out);
}

static void print_time (uint64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r (&tt, &tm) == NULL ||
	    strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		fputs ("-", stdout);
	else
		fputs (buf, stdout);
}

static int cmd_list (int cdfd, const char *name, struct keel_error **err)
{
	struct deploy_entry e;
	size_t i, j;

	if (deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	if (!e.exists)
		printf ("%s: no such entry\n", name);
	for (i = 0; i < e.n; i++) {
		const struct deployment *d = &e.v[i];
		bool active = e.exists && d->gen == e.active;
		printf ("%s %u%s digest=%s activated=", name, d->gen, active ? " active" : "",
		        d->digest ? d->digest : "-");
		print_time (active && e.versioned ? e.active_since : d->activated);
		fputs (" settings=", stdout);
		for (j = 0; j < d->n_settings; j++)
			printf ("%s%s=%s", j ? "," : "", d->settings[j].key, d->settings[j].value);
		if (d->n_settings == 0)
			fputs ("-", stdout);
		if (d->pending)
			fputs (" pending", stdout);
		if (d->failed)
			printf (" failed=\"%s\"", d->failed);
		putchar ('\n');
	}
	deploy_entry_free (&e);
	return 0;
}

static void json_str (const char *s)
{
	putchar ('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf ("\\%c", c);
		else if (c < 0x20)
			printf ("\\u%04x", c);
		else
			putchar (c);
	}
	putchar ('"');
}

static int cmd_settings (int cdfd, const char *name, struct keel_error **err)
{
	struct deploy_entry e;
	const struct deployment *d;
	size_t j;

	if (deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	d = e.exists ? deploy_find (&e, e.active) : NULL;
	putchar ('{');
	for (j = 0; d && j < d->n_settings; j++) {
		if (j)
			putchar (',');
		json_str (d->settings[j].key);
		putchar (':');
		json_str (d->settings[j].value);
	}
	puts ("}");
	deploy_entry_free (&e);
	return 0;
}

static int cmd_add (int cdfd, const char *name, int argc, char **argv, struct keel_error **err)
{
	static const struct option opts[] = {
	        {"digest", required_argument, NULL, 'd'}, {"source", required_argument, NULL, 's'},
	        {"set", required_argument, NULL, 'S'},    {"keep", required_argument, NULL, 'k'},
	        {"pending", no_argument, NULL, 'p'},      {NULL, 0, NULL, 0}};
	struct deployment d = {0};
	unsigned long long keep = DEPLOY_KEEP_DEFAULT;
	unsigned gen = 0;
	const char *staged;
	int c, ret;

	optind = 1;
	while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
		char *eq;
		switch (c) {
		case 'd':
			free (d.digest);
			d.digest = xstrdup (optarg);
			break;
		case 's':
			free (d.source);
			d.source = xstrdup (optarg);
			break;
		case 'S':
			eq = strchr (optarg, '=');
			if (eq == NULL || eq == optarg) {
				deployment_free (&d);
				return keel_error (err, 0, "--set %s: expected KEY=VALUE", optarg);
			}
			*eq = '\0';
			deploy_set (&d, optarg, eq + 1);
			*eq = '=';
			break;
		case 'p':
			d.pending = true; /* a boot before `keel deploy commit` goes back */
			break;
		case 'k':
			if (!parse_uint64 (optarg, &keep) || keep < 1 || keep > 1000) {
				deployment_free (&d);
				return keel_error (err, 0, "--keep %s: expected 1 to 1000", optarg);
			}
			break;
		default:
			deployment_free (&d);
			return keel_error (err, 0, "add: unknown option (see keel deploy --help)");
		}
	}
	if (optind + 1 != argc) {
		deployment_free (&d);
		return keel_error (err, 0, "add: expected the directory of the new deployment");
	}
	staged = argv[optind];
	ret = deploy_add (cdfd, name, staged, &d, (unsigned)keep, &gen, err);
	deployment_free (&d);
	if (ret == 0)
		printf ("%s: deployment %u active\n", name, gen);
	return ret;
}

static int cmd_rollback (int cdfd, const char *name, int argc, char **argv, struct keel_error **err)
{
	struct deploy_entry e;
	unsigned long long want;
	unsigned gen;
	bool found = true;

	if (deploy_repair (cdfd, name, err) < 0 || deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	if (argc > 1) {
		if (!parse_uint64 (argv[1], &want) || want > DEPLOY_MAX_GEN) {
			deploy_entry_free (&e);
			return keel_error (err, 0, "rollback: `%s` is not a generation", argv[1]);
		}
		gen = (unsigned)want;
	} else {
		gen = deploy_previous (&e, &found);
	}
	deploy_entry_free (&e);
	if (!found)
		return keel_error (err, 0, "%s: no deployment older than the active one", name);
	if (deploy_switch (cdfd, name, gen, err) < 0)
		return -1;
	printf ("%s: deployment %u active\n", name, gen);
	return 0;
}

int keel_deploy_main (int argc, char **argv)
{
	struct keel_error *err = NULL;
	const char *cmd, *name;
	cleanup_close int lockfd = -1;
	int cdfd, ret;

	if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
		usage (stdout);
		return 0;
	}
	if (argc < 4) {
		usage (stderr);
		return 2;
	}
	cmd = argv[1];
	name = argv[3];
	if (!policy_valid_name (name)) {
		fprintf (stderr, "keel deploy: `%s` is not a valid entry name\n", name);
		return 2;
	}
	cdfd = open (argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cdfd < 0) {
		fprintf (stderr, "keel deploy: open `%s`: %s\n", argv[2], strerror (errno));
		return 1;
	}
	/* Every command that writes the store holds its lock (deploy.h). */
	if (strcmp (cmd, "list") != 0 && strcmp (cmd, "settings") != 0) {
		lockfd = deploy_lock (cdfd, deploy_lock_wait_ms (), &err);
		if (lockfd < 0) {
			close (cdfd);
			keel_error_print (stderr, "keel deploy", &err);
			return 1;
		}
	}
	if (strcmp (cmd, "list") == 0 && argc == 4)
		ret = cmd_list (cdfd, name, &err);
	else if (strcmp (cmd, "settings") == 0 && argc == 4)
		ret = cmd_settings (cdfd, name, &err);
	else if (strcmp (cmd, "add") == 0)
		ret = cmd_add (cdfd, name, argc - 3, argv + 3, &err);
	else if (strcmp (cmd, "rollback") == 0 && argc <= 5)
		ret = cmd_rollback (cdfd, name, argc - 3, argv + 3, &err);
	else if (strcmp (cmd, "repair") == 0 && argc == 4)
		ret = deploy_repair (cdfd, name, &err);
	else if (strcmp (cmd, "commit") == 0 && argc == 4) {
		struct deploy_entry e;
		ret = deploy_open (cdfd, name, &e, &err);
		if (ret == 0 && !e.versioned)
			ret = keel_error (&err, 0, "%s: no deployments", name);
		else if (ret == 0)
			ret = deploy_commit (cdfd, name, e.active, &err);
		if (ret == 0 || e.name)
			deploy_entry_free (&e);
	} else {
		close (cdfd);
		usage (stderr);
		return 2;
	}
	close (cdfd);
	if (ret < 0) {
		keel_error_print (stderr, "keel deploy", &err);
		return 1;
	}
	return 0;
}
