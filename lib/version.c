/* See version.h.  Versions come from the libraries themselves at run time
 * where they offer it (json-c, libmount, libseccomp), otherwise from the
 * headers keel was compiled against. */
#include "version.h"

#include <json-c/json_c_version.h>
#include <libmount.h>
#include <stdlib.h>
#include <sys/capability.h>
#ifdef CONFIG_SECCOMP
#include <seccomp.h>
#endif

#include "util.h"

#ifndef KEEL_UDEV_VERSION
/* The build passes the version of the libudev it links (pkg-config or the
 * sysroot's stamp); this is only the fallback for a build that does not. */
#define KEEL_UDEV_VERSION "unknown"
#endif

static char *seccomp_part (void)
{
#ifdef CONFIG_SECCOMP
	const struct scmp_version *v = seccomp_version ();
	return xasprintf ("+SECCOMP %u.%u.%u", v->major, v->minor, v->micro);
#else
	return xstrdup ("-SECCOMP");
#endif
}

char *keel_features_line (void)
{
	const char *mount_ver = NULL;
	cleanup_free char *sc = seccomp_part ();

	if (mnt_get_library_version (&mount_ver) < 0 || mount_ver == NULL)
		mount_ver = "unknown";
	return xasprintf ("+JSONC %s +CAP %d.%d +MOUNT %s %s %s", json_c_version (), LIBCAP_MAJOR,
			  LIBCAP_MINOR, mount_ver, sc,
#ifdef CONFIG_UDEV
			  "+UDEV " KEEL_UDEV_VERSION
#else
			  "-UDEV"
#endif
	);
}

void keel_print_version (FILE *out, const char *prog)
{
	cleanup_free char *line = keel_features_line ();

	fprintf (out, "%s version %s\nspec: 1.2.0\n%s\n", prog, KEEL_VERSION, line);
}
