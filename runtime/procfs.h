/* Opening procfs files so that nothing the container did can redirect
 * the open: the runtime's writes to procfs (linux.sysctl, oom_score_adj)
 * would otherwise follow whatever is mounted or linked at their path,
 * and a mount steered into /proc by a racing symlink in a shared volume
 * (or a /dev/null, /dev/console bind gone astray) turns a harmless write
 * into one to core_pattern or sysrq-trigger (runc's CVE-2025-52881). */
#ifndef KEEL_PROCFS_H
#define KEEL_PROCFS_H

#include <stddef.h>

#include "lib/error.h"

/* open(2) of path relative to the root of a procfs of our own ("self/..."
 * names the caller, "sys/net/..." a sysctl): a procfs just made with
 * fsopen, else a clone of the procfs at /proc without anything mounted in
 * it (open_tree), else /proc itself once checked to be a procfs root.
 * The path is resolved with no symlink, no magic link and no mount
 * crossing (openat2, or the same by hand where it is missing), and the fd
 * is checked to be on procfs.  Returns the fd or < 0 with *err set. */
int procfs_open (const char *path, int flags, struct keel_error **err);

/* procfs_open (path, O_WRONLY) and write buf whole. */
int procfs_write (const char *path, const char *buf, size_t len, struct keel_error **err);

#endif
