/* Reading a file that comes from outside keel (keel.json, config.json,
 * tmpfiles.conf, /etc/keel/modules, a runtime state file).
 *
 * PID 1 must never block on one: a plain open(2) of a FIFO waits for a
 * writer forever, a read of /dev/zero never ends.  So every such file is
 * opened O_NONBLOCK (a FIFO opens at once, a device node is refused before
 * the first read), checked with fstat to be a regular file, bounded in
 * size, and only then read.  Errors are "NAME: reason" with the same shape
 * as every parse error keel prints about that file:
 *   containers.d/web/keel.json: a FIFO, not a regular file
 *   config.json: 17 MiB is larger than the limit of 16 MiB
 */
#ifndef KEEL_INPUT_H
#define KEEL_INPUT_H

#include <stddef.h>

#include "lib/error.h"

/* Refuse a symlink as the last component (state files keel itself wrote:
 * a link there was put by someone else). */
#define INPUT_NOFOLLOW 1u
/* Also read a FIFO or pipe to its end, blocking for its writer as a plain
 * open(2) and read(2) would: for a command-line tool (`keel-runtime exec
 * -p <(...)`, `-p /dev/stdin`), as runc reads its --process, never for
 * what PID 1 reads.  The size bound still holds. */
#define INPUT_PIPE_OK 2u

/* Read path (relative to dirfd) into a NUL-terminated buffer of at most
 * max bytes (max > 0: every input has a bound); *len gets its size if
 * len != NULL.  name is what messages call the file (NULL: path).  A
 * failed syscall keeps its errno as the status (ENOENT for a missing
 * file); a file that is too large or not a regular file fails with
 * status 0, its message saying all there is to say. */
int input_read_at (int dirfd, const char *path, const char *name, unsigned flags, size_t max,
                   char **out, size_t *len, struct keel_error **err);

static inline int input_read (const char *path, const char *name, size_t max, char **out,
                              size_t *len, struct keel_error **err)
{
	return input_read_at (-100 /* AT_FDCWD */, path, name, 0, max, out, len, err);
}

/* "a FIFO", "a directory", ... for st_mode (messages). */
const char *input_file_type (unsigned mode);

/* "16 MiB", "64 KiB", "100 bytes": a size as a person reads it. */
void input_format_size (unsigned long long n, char *buf, size_t cap);

#endif
