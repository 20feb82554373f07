/* See proccgroup.h. */
#include "lib/proccgroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* A process in many v1 hierarchies has a dozen lines; far below this. */
#define PROC_CGROUP_MAX 65536

char *proc_cgroup_parse (const char *text)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr (line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen (line);

		if (len >= 3 && strncmp (line, "0::", 3) == 0) {
			char *r = xmalloc0 (len - 3 + 1);
			memcpy (r, line + 3, len - 3);
			return r;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int proc_cgroup (pid_t pid, char **out, struct keel_error **err)
{
	cleanup_free char *path =
	        pid ? xasprintf ("/proc/%d/cgroup", (int)pid) : xstrdup ("/proc/self/cgroup");
	cleanup_free char *buf = NULL;
	int ret;

	*out = NULL;
	ret = read_file (path, PROC_CGROUP_MAX, &buf, NULL, err);
	if (ret < 0)
		return ret;
	*out = proc_cgroup_parse (buf);
	if (*out == NULL)
		return keel_error (err, 0, "%s: no unified (0::) line", path);
	return 0;
}

bool cgroup_path_within (const char *cg, const char *root)
{
	size_t n;

	if (cg == NULL || root == NULL)
		return false;
	if (strcmp (root, "/") == 0)
		return cg[0] == '/';
	n = strlen (root);
	return strncmp (cg, root, n) == 0 && (cg[n] == '\0' || cg[n] == '/');
}
