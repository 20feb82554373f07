/* keel-runtime features: what this build supports, as the JSON document
 * of the runtime-spec's features.md (the shape `runc features` prints), so
 * clients can ask instead of guessing. */
#include <ctype.h>
#include <json-c/json.h>
#include <libmount.h>
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

	json_object_object_add (o, "v1", json_object_new_boolean (false));
	json_object_object_add (o, "v2", json_object_new_boolean (true));
	json_object_object_add (o, "systemd", json_object_new_boolean (false));
	json_object_object_add (o, "systemdUser", json_object_new_boolean (false));
	json_object_object_add (o, "rdma", json_object_new_boolean (false));
	return o;
}

#ifdef CONFIG_SECCOMP
static json_object *seccomp_archs (void)
{
	static const char *const archs[] = {
	        "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
	        "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
	        "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
	        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	        "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
	        "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
	        "SCMP_ARCH_RISCV64",
	};
	json_object *a = json_object_new_array ();
	size_t i;

	/* Only the ones the linked libseccomp resolves ("x86_64" after the
	 * prefix, lower case). */
	for (i = 0; i < ARRAY_SIZE (archs); i++) {
		char lower[32];
		size_t j;

		for (j = 0; archs[i][10 + j] && j < sizeof lower - 1; j++)
			lower[j] = (char)tolower ((unsigned char)archs[i][10 + j]);
		lower[j] = '\0';
		if (seccomp_arch_resolve_name (lower) != 0)
			json_object_array_add (a, json_object_new_string (archs[i]));
	}
	return a;
}

static json_object *seccomp (void)
{
	static const char *const actions[] = {
	        "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
	        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	        "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
	};
	static const char *const operators[] = {
	        "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
	        "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
	};
	static const char *const flags[] = {
	        "SECCOMP_FILTER_FLAG_TSYNC",
	        "SECCOMP_FILTER_FLAG_LOG",
	        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	};
	json_object *o = enabled (true);

	json_object_object_add (o, "actions", strv (actions, ARRAY_SIZE (actions)));
	json_object_object_add (o, "operators", strv (operators, ARRAY_SIZE (operators)));
	json_object_object_add (o, "archs", seccomp_archs ());
	json_object_object_add (o, "knownFlags", strv (flags, ARRAY_SIZE (flags)));
	/* WAIT_KILLABLE_RECV needs libseccomp 2.6 (SCMP_FLTATR_CTL_WAITKILL). */
#ifdef SCMP_FLTATR_CTL_WAITKILL
	json_object_object_add (o, "supportedFlags", strv (flags, 4));
#else
	json_object_object_add (o, "supportedFlags", strv (flags, 3));
#endif
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

static int cmp_str (const void *a, const void *b)
{
	return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* What spec-mounts.c accepts: every name in libmount's Linux option map
 * (flags, their "no" forms, bind/rbind, propagation), the recursive
 * mount_setattr forms, idmapped mounts and tmpcopyup; sorted, once each. */
static json_object *mount_options (void)
{
	static const char *const keel_options[] = {
	        "rro",          "rrw",        "rnosuid",      "rsuid",
	        "rnodev",       "rdev",       "rnoexec",      "rexec",
	        "rnodiratime",  "rdiratime",  "rrelatime",    "rnorelatime",
	        "rnoatime",     "ratime",     "rstrictatime", "rnostrictatime",
	        "rnosymfollow", "rsymfollow", "idmap",        "ridmap",
	        "tmpcopyup",    "defaults",
	};
	const struct libmnt_optmap *map = mnt_get_builtin_optmap (MNT_LINUX_MAP);
	const char *names[256];
	size_t n = 0, i;
	json_object *a = json_object_new_array ();

	for (; map && map->name && n < ARRAY_SIZE (names) - ARRAY_SIZE (keel_options); map++)
		if (strchr (map->name, '=') == NULL)
			names[n++] = map->name;
	for (i = 0; i < ARRAY_SIZE (keel_options); i++)
		names[n++] = keel_options[i];
	qsort (names, n, sizeof (names[0]), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp (names[i], names[i - 1]) != 0)
			json_object_array_add (a, json_object_new_string (names[i]));
	return a;
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
