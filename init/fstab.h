/* /etc/fstab and /etc/keel/fstab (fstab(5)): the lines keel mounts at boot.
 *
 * One reader for both files.  Every line is split and checked here, before
 * anything is mounted: a bad line is reported with its file and line number
 * ("/etc/fstab:7: ...") and left out, and the others are kept, so one typo
 * holds back only the containers that need that mount (init/mounter.c).
 * What each line becomes at boot -- waiting for its device, the mount
 * itself through libmount in a helper -- is mounter.c's.
 *
 * Not done by keel, on purpose: fsck (fs_passno is read and ignored), swap
 * (swap lines are skipped), remounting "/" (the root is what the kernel or
 * the initramfs gave), network file systems ordering (_netdev means
 * nothing here: keel starts no network before containers).
 */
#ifndef KEEL_INIT_FSTAB_H
#define KEEL_INIT_FSTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

#define FSTAB_MAX_ENTRIES 256
#define FSTAB_MAX_LINE    4096
/* x-keel.wait= default: as long as systemd waits for a device (90 s). */
#define FSTAB_DEFAULT_WAIT_MS 90000u
#define FSTAB_MAX_WAIT_MS     (24u * 3600u * 1000u)

/* How fs_spec names the file system. */
enum fstab_tag {
	FSTAB_NAME,      /* not a path: "tmpfs", "proc", "server:/export" */
	FSTAB_PATH,      /* "/dev/vdb", or a bind mount's source directory */
	FSTAB_LABEL,     /* LABEL=... */
	FSTAB_UUID,      /* UUID=... */
	FSTAB_PARTUUID,  /* PARTUUID=... */
	FSTAB_PARTLABEL, /* PARTLABEL=... */
};

struct fstab_entry {
	char *file; /* the file it came from, for messages */
	unsigned line;
	char *source; /* fs_spec unescaped, quotes of a tag's value removed */
	enum fstab_tag tag;
	char *tag_value;   /* for the tags: the value after '=' (NULL otherwise) */
	char *target;      /* fs_file unescaped, normalised (no trailing '/') */
	char *fstype;      /* "auto": libblkid probes it */
	char *options;     /* fs_mntops as written (unescaped), "defaults" when absent */
	bool nofail;       /* a failure is a warning, not a failed boot */
	bool wait_forever; /* x-keel.wait=infinity (or 0) */
	unsigned wait_ms;  /* how long its device may take to appear */
	bool containers;   /* x-keel.containers: containers.d lives on it (init/store.h) */
};

struct fstab {
	struct fstab_entry *v;
	size_t n;
	char **errors; /* "FILE:LINE: reason", one per bad line */
	size_t n_errors;
	size_t n_skipped; /* swap, noauto and "/" lines: valid, not mounted */
};

/* Parse the text of one fstab file and append its lines to tab (one table
 * can hold /etc/fstab then /etc/keel/fstab: a mount point in both is a
 * duplicate).  A bad line goes to tab->errors and the rest is read; the
 * return value is the number of bad lines.  text need not be
 * NUL-terminated. */
size_t fstab_parse (struct fstab *tab, const char *file, const char *text, size_t len);

/* Read path (a missing file is an empty one) and parse it; < 0 only when
 * the file exists and cannot be read. */
int fstab_read (struct fstab *tab, const char *path, struct keel_error **err);

/* The entry mounted on target, or NULL. */
const struct fstab_entry *fstab_find (const struct fstab *tab, const char *target);

/* The line marked x-keel.containers (at most one is accepted), or NULL. */
const struct fstab_entry *fstab_store (const struct fstab *tab);
/* The longest other entry whose mount point holds e's (it must be mounted
 * first), or NULL. */
const struct fstab_entry *fstab_parent (const struct fstab *tab, const struct fstab_entry *e);

/* A duration as x-keel.wait= takes it: "30" or "30s", "500ms", "2min",
 * "infinity" (or 0: forever, as x-systemd.device-timeout=0).  < 0 when
 * it is not one or longer than a day. */
int fstab_parse_wait (const char *s, unsigned *ms, bool *forever);

/* "LABEL", "UUID"... for the libblkid token, NULL for names and paths. */
const char *fstab_tag_name (enum fstab_tag t);

void fstab_free (struct fstab *tab);

#endif
