/* keel-runtime features: what this build supports, as the JSON document
 * of the runtime-spec's features.md (the shape `runc features` prints), so
 * clients can ask instead of guessing. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#ifdef CONFIG_SECCOMP
#include <seccomp.h>
#endif

#include "lib/util.h"
#include "lib/version.h"
#include "runtime/cli/command.h"

static const char features_usage[] = "features\n"
                                     "\n"
                                     "Print the features this runtime supports as JSON.\n";

static json_object *strv (const char *const *v, size_t n)
{
	json_object *a = json_object_new_array ();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add (a, json_object_new_string (v[i]));
	return a;
}

static size_t names_count (const char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

static int cmp_str (const void *a, const void *b)
{
	return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The names of a NULL-terminated list (plus extra, may be NULL) as a
 * sorted JSON array, once each; option names with a value ("x=") are left
 * out. */
static json_object *sorted_names (const char **v, const char *const *extra)
{
	size_t n = names_count (v), n_extra = 0, k = 0;
	cleanup_free const char **all = NULL;
	json_object *a = json_object_new_array ();

	while (extra && extra[n_extra])
		n_extra++;
	all = xmalloc0 ((n + n_extra + 1) * sizeof (*all));
	for (size_t i = 0; i < n; i++)
		if (strchr (v[i], '=') == NULL)
			all[k++] = v[i];
	for (size_t i = 0; i < n_extra; i++)
		all[k++] = extra[i];
	qsort (all, k, sizeof (*all), cmp_str);
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp (all[i], all[i - 1]) != 0)
			json_object_array_add (a, json_object_new_string (all[i]));
	return a;
}

static json_object *enabled (bool on)
{
	json_object *o = json_object_new_object ();

	json_object_object_add (o, "enabled", json_object_new_boolean (on));
	return o;
}

/* Every capability libcap knows at build time, as "CAP_CHOWN". */
static json_object *capabilities (void)
{
	json_object *a = json_object_new_array ();
	int c;

	for (c = 0; c <= CAP_LAST_CAP; c++) {
		char *name = cap_to_name (c), *p;

		if (name == NULL)
			continue;
		for (p = name; *p; p++)
			*p = (char)toupper ((unsigned char)*p);
		json_object_array_add (a, json_object_new_string (name));
		cap_free (name);
	}
	return a;
}

static json_object *cgroup (void)
{
	json_object *o = json_object_new_object ();

	/* cgroup-v1.c: v1 and hybrid hosts, as runc does */
	json_object_object_add (o, "v1", json_object_new_boolean (true));
	json_object_object_add (o, "v2", json_object_new_boolean (true));
	json_object_object_add (o, "systemd", json_object_new_boolean (false));
	json_object_object_add (o, "systemdUser", json_object_new_boolean (false));
	/* linux.resources.rdma goes to rdma.max (cgroup.c, cgroup-v1.c) */
	json_object_object_add (o, "rdma", json_object_new_boolean (true));
	return o;
}

#ifdef CONFIG_SECCOMP
/* The parser's archs that the linked libseccomp also resolves ("x86_64"
 * after the SCMP_ARCH_ prefix, lower case). */
static json_object *seccomp_archs (void)
{
	cleanup_free const char **archs = spec_seccomp_arch_names ();
	json_object *a = json_object_new_array ();

	for (const char **p = archs; *p; p++) {
		char lower[32];
		size_t j;

		for (j = 0; (*p)[10 + j] && j < sizeof lower - 1; j++)
			lower[j] = (char)tolower ((unsigned char)(*p)[10 + j]);
		lower[j] = '\0';
		if (seccomp_arch_resolve_name (lower) != 0)
			json_object_array_add (a, json_object_new_string (*p));
	}
	return a;
}

static json_object *seccomp (void)
{
	cleanup_free const char **actions = spec_seccomp_action_names ();
	cleanup_free const char **operators = spec_seccomp_operator_names ();
	cleanup_free const char **flags = spec_seccomp_flag_names ();
	json_object *o = enabled (true);
	json_object *supported = json_object_new_array ();

	json_object_object_add (o, "actions", sorted_names (actions, NULL));
	json_object_object_add (o, "operators", sorted_names (operators, NULL));
	json_object_object_add (o, "archs", seccomp_archs ());
	json_object_object_add (o, "knownFlags", strv (flags, names_count (flags)));
	for (const char **p = flags; *p; p++) {
		/* WAIT_KILLABLE_RECV needs libseccomp 2.6 (SCMP_FLTATR_CTL_WAITKILL). */
#ifndef SCMP_FLTATR_CTL_WAITKILL
		if (strcmp (*p, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			continue;
#endif
		json_object_array_add (supported, json_object_new_string (*p));
	}
	json_object_object_add (o, "supportedFlags", supported);
	return o;
}
#endif

/* idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), see runtime/mounts.c */
static json_object *mount_extensions (void)
{
	json_object *o = json_object_new_object ();

	json_object_object_add (o, "idmap", enabled (true));
	return o;
}

static json_object *linux_features (void)
{
	static const char *const namespaces[] = {
	        "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
	};
	json_object *o = json_object_new_object ();

	json_object_object_add (o, "namespaces", strv (namespaces, ARRAY_SIZE (namespaces)));
	json_object_object_add (o, "capabilities", capabilities ());
	json_object_object_add (o, "cgroup", cgroup ());
#ifdef CONFIG_SECCOMP
	json_object_object_add (o, "seccomp", seccomp ());
#else
	json_object_object_add (o, "seccomp", enabled (false));
#endif
	json_object_object_add (o, "apparmor", enabled (false));
	json_object_object_add (o, "selinux", enabled (false));
	json_object_object_add (o, "intelRdt", enabled (false));
	json_object_object_add (o, "mountExtensions", mount_extensions ());
	return o;
}

static json_object *annotations (void)
{
	json_object *o = json_object_new_object ();
	cleanup_free char *line = keel_features_line ();

#ifdef CONFIG_SECCOMP
	const struct scmp_version *v = seccomp_version ();
	cleanup_free char *sv = xasprintf ("%u.%u.%u", v->major, v->minor, v->micro);
	json_object_object_add (o, "io.github.seccomp.libseccomp.version",
	                        json_object_new_string (sv));
#endif
	json_object_object_add (o, "keel.version", json_object_new_string (KEEL_VERSION));
	json_object_object_add (o, "keel.features", json_object_new_string (line));
	return o;
}

/* What spec-mounts.c accepts (libmount's Linux option map, the recursive
 * mount_setattr forms, idmap, tmpcopyup) plus "defaults", which the
 * parser takes as a no-op; sorted, once each. */
static json_object *mount_options (void)
{
	static const char *const extra[] = {"defaults", NULL};
	cleanup_free const char **names = spec_mount_option_names ();

	return sorted_names (names, extra);
}

static json_object *features (void)
{
	static const char *const hooks[] = {
	        "prestart",       "createRuntime", "createContainer",
	        "startContainer", "poststart",     "poststop",
	};
	json_object *o = json_object_new_object ();

	json_object_object_add (o, "ociVersionMin", json_object_new_string ("1.0.0"));
	json_object_object_add (o, "ociVersionMax", json_object_new_string ("1.2.0"));
	json_object_object_add (o, "hooks", strv (hooks, ARRAY_SIZE (hooks)));
	json_object_object_add (o, "mountOptions", mount_options ());
	json_object_object_add (o, "linux", linux_features ());
	json_object_object_add (o, "annotations", annotations ());
	return o;
}

int cli_features (struct cli_global *g, int argc, char **argv)
{
	struct cli_parser p;
	json_object *o;
	int c;

	cli_parser_init (&p, "features", features_usage, "", NULL, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END)
		return c == CLI_OPT_HELP ? 0 : 1;
	if (cli_operands (&p, 0, 0, "") < 0)
		return 1;
	o = features ();
	printf ("%s\n", json_object_to_json_string_ext (o, JSON_C_TO_STRING_PRETTY |
	                                                           JSON_C_TO_STRING_SPACED |
	                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put (o);
	return 0;
}
