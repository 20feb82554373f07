/* Running from a sealed copy of our own binary (CVE-2019-5736).
 *
 * A process that keel makes inside a container runs keel's binary until
 * it execs the container's program, and PID 1 and its helpers run it for
 * the machine's whole life.  Whatever in a container can see such a
 * process (a shared pid namespace, /proc/PID/exe, /proc/PID/fd) must not
 * reach the host's file: neither to overwrite it nor to read it.  So the
 * roles that make container processes re-exec themselves once, at start,
 * from a memfd holding a copy of the binary, sealed against any change;
 * /proc/PID/exe then names "/memfd:keel (deleted)", and writing to it fails
 * whatever the opener's privileges.
 */
#ifndef KEEL_SELFCLONE_H
#define KEEL_SELFCLONE_H
#include <stdbool.h>

#include "lib/error.h"

/* True when /proc/self/exe is already a memfd with every seal
 * selfclone_exec sets (the file itself is checked, not the environment).
 * -1 with *err when /proc/self/exe cannot be opened. */
int selfclone_is_sealed (struct keel_error **err);

/* Re-exec the running binary from a sealed memfd copy, with the same argv
 * and environment, unless it already runs from one (then 0).  Does not
 * return on success.  mount_proc: /proc may not be mounted yet (PID 1 at
 * boot); mount it for the look at /proc/self/exe and unmount it again, so
 * the boot that follows sees the machine as the kernel left it. */
int selfclone_exec (char **argv, bool mount_proc, struct keel_error **err);

#endif
