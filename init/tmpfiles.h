/* containers.d/NAME/tmpfiles.conf: paths keel creates at boot before the
 * container starts (written by keel-import from an atomic image's
 * /exports/tmpfiles.template; docs/images.md describes the format).
 *
 * A small subset of tmpfiles.d(5), one entry a line, `#` comments:
 *   Type Path Mode User Group Age Argument
 *   d    /var/lib/web  0750 0 0 - -
 * Types: d, D (directory, parents too), f (file if missing), F or f+ (file,
 * truncated), w (write to an existing file; w+ appends), L (symlink if
 * missing; L+ replaces).  Modifiers: `!` boot only (keel only runs them at
 * boot), `-` a failure to apply is logged, not returned.  Mode is octal,
 * `:` in front means "only when created"; User and Group are numeric or
 * `root`; Age is accepted and ignored; `-` is the default for any field.
 * The Argument is the rest of the line with \\, \n, \t escapes.
 *
 * tmpfiles_parse() reports the first problem as "FILE:LINE: problem".
 */
#ifndef KEEL_INIT_TMPFILES_H
#define KEEL_INIT_TMPFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

#define TMPFILES_MAX_FILE_SIZE (64 * 1024)
#define TMPFILES_MAX_ENTRIES   1024

struct tmpfiles_entry {
	char type;          /* 'd', 'D', 'f', 'F', 'w', 'L' */
	bool plus;          /* '+': f+ truncates, w+ appends, L+ replaces */
	bool ignore_errors; /* '-' */
	bool boot_only;     /* '!' */
	char *path;         /* absolute, without `..` components */
	bool has_mode;
	bool mode_on_create; /* ':' prefix */
	mode_t mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	char *arg; /* unescaped; NULL when absent or "-" */
	size_t arg_len;
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

/* Apply every entry, paths taken relative to the directory rootfd (PID 1
 * passes a descriptor of "/").  Entries are independent: all are tried;
 * failures of `-` entries are logged as warnings, the first other failure
 * is returned (later ones are logged). */
int tmpfiles_apply (const struct tmpfiles *t, int rootfd, struct keel_error **err);

void tmpfiles_free (struct tmpfiles *t);

#endif
