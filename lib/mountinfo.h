/* The one reader of /proc/PID/mountinfo (proc(5)): each line split into
 * its fields, with the octal escapes (\040 for a space...) of root, mount
 * point and source undone. */
#ifndef KEEL_MOUNTINFO_H
#define KEEL_MOUNTINFO_H

#include "error.h"

struct mountinfo {
	int id, parent;
	const char *root;       /* the part of the filesystem mounted, "/" for all of it */
	const char *mountpoint; /* as the reading process sees it */
	const char *options;    /* per-mount options */
	const char *fstype;
	const char *source;
	const char *super_options;
};

/* Calls cb for each entry of `path` (e.g. "/proc/self/mountinfo") in file
 * order, parents before children.  cb returns 0 to go on, > 0 to stop (the
 * walk returns it), or -errno to fail (the walk makes the error).  A line
 * that does not parse is an error too; errors return < 0. */
int mountinfo_foreach (const char *path, int (*cb) (const struct mountinfo *m, void *data),
                       void *data, struct keel_error **err);

/* The same for the entries whose filesystem type starts with fstype
 * ("cgroup": cgroup and cgroup2) only: the other lines are not split into
 * fields, nor checked. */
int mountinfo_foreach_fstype (const char *path, const char *fstype,
                              int (*cb) (const struct mountinfo *m, void *data), void *data,
                              struct keel_error **err);

/* The same over the text in buf (NUL-terminated, modified in place);
 * name is what errors call it. */
int mountinfo_parse (char *buf, const char *name, int (*cb) (const struct mountinfo *m, void *data),
                     void *data, struct keel_error **err);

/* Undo mountinfo's octal escapes in place. */
void mountinfo_unescape (char *s);

#endif
