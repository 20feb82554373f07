/* containers.d/NAME/tmpfiles.conf: paths keel creates, adjusts and removes
 * at boot before the container starts (written by keel-import from an
 * atomic image's /exports/tmpfiles.template).  The format is tmpfiles.d(5);
 * docs/containers.d.md ("tmpfiles.conf") lists what keel implements and
 * where it differs from systemd-tmpfiles:
 *
 *   Type Path Mode User Group Age Argument
 *   d    /var/lib/web  0750 0 0 10d -
 *
 * Types: d D f F w L C z Z e r R x X a A.  Modifiers: `!` `-` `=` `~` `+`
 * (`^`, credentials, is refused: keel has no credential store).  Mode is
 * octal with an optional `:` (only when created) or `~` (masked by the
 * existing bits); User and Group are numeric or `root`; Age is systemd's
 * time span with the optional `abcmABCM:` and `~` prefixes.  Paths are
 * absolute, without `..`, stored normalised ("//a/./b/" is "/a/b"); globs
 * (`*?[`) are expanded for z Z e r R a A and matched for x X.
 *
 * tmpfiles_parse() reports the first problem as "FILE:LINE: problem". */
#ifndef KEEL_INIT_TMPFILES_H
#define KEEL_INIT_TMPFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

#define TMPFILES_MAX_FILE_SIZE (64 * 1024)
#define TMPFILES_MAX_ENTRIES   1024
#define TMPFILES_MAX_ACL       64 /* entries in one a/A line */

/* Which timestamps make a path "old" (the Age field's letters). */
enum {
	TMPFILES_AGE_ATIME = 1 << 0,
	TMPFILES_AGE_BTIME = 1 << 1,
	TMPFILES_AGE_CTIME = 1 << 2,
	TMPFILES_AGE_MTIME = 1 << 3,
};

/* One POSIX ACL entry as the kernel's system.posix_acl_* xattr holds it. */
struct tmpfiles_ace {
	uint16_t tag;  /* ACL_USER_OBJ ... ACL_OTHER, <linux/posix_acl.h> values */
	uint16_t perm; /* 4 r, 2 w, 1 x */
	uint32_t id;   /* uid or gid for ACL_USER / ACL_GROUP, else -1 */
	bool cap_x;    /* `X`: x only for directories or when someone has x */
	bool deflt;    /* a `d:` (default ACL) entry */
};

struct tmpfiles_entry {
	char type;          /* one of "dDfFwLCzZerRxXaA" */
	bool plus;          /* '+': f+ is F, w+ appends, L+ replaces, C+ merges, a+ adds */
	bool ignore_errors; /* '-' */
	bool boot_only;     /* '!' */
	bool replace;       /* '=': remove what is there when its type differs */
	char *path;         /* absolute, normalised, without `..` components */
	bool glob;          /* path holds * ? or [ and the type expands globs */
	bool has_mode;
	bool mode_on_create; /* ':' prefix */
	bool mode_masked;    /* '~' prefix */
	mode_t mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	bool has_age;
	bool age_keep_level; /* '~': the first level below the path is kept */
	uint64_t age_usec;
	unsigned age_by_file, age_by_dir; /* TMPFILES_AGE_* */
	char *arg;                        /* unescaped (or base64-decoded); NULL when absent */
	size_t arg_len;
	struct tmpfiles_ace *acl; /* a/A: the parsed argument */
	size_t acl_n;
	unsigned line;
};

struct tmpfiles {
	struct tmpfiles_entry *v;
	size_t n;
	char *file; /* for messages */
};

/* Parse the text of a tmpfiles.conf; `file` names it in messages. */
int tmpfiles_parse (const char *file, const char *text, size_t len, struct tmpfiles *out,
                    struct keel_error **err);

/* Read and parse FILE; a missing file is an empty set. */
int tmpfiles_load (const char *file, struct tmpfiles *out, struct keel_error **err);

/* Apply every entry as `systemd-tmpfiles --boot --remove --create --clean`
 * would, in two passes: first removal and cleaning (r, R, the contents of
 * D, contents older than Age), then creation and adjustment in file order.
 * Paths are resolved inside the directory rootfd (PID 1 passes "/"): no
 * symlink or `..` leads out of it, the last component is never followed
 * (except by w), and recursion never follows a symlink nor enters another
 * mount.  Entries are independent: all are tried; failures of `-` entries
 * are logged as warnings, the first other failure is returned (later ones
 * are logged). */
int tmpfiles_apply (const struct tmpfiles *t, int rootfd, struct keel_error **err);

void tmpfiles_free (struct tmpfiles *t);

#endif
