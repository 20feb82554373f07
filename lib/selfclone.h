/* Running from a sealed copy of our own binary (CVE-2019-5736).
 *
 * A process that keel makes inside a container runs keel's binary until
 * it execs the container's program, and PID 1 and its helpers run it for
 * the machine's whole life.  Whatever in a container can see such a
 * process (a shared pid namespace, /proc/PID/exe, /proc/PID/fd) must not
 * reach the host's file: neither to overwrite it nor to read it.  So the
 * roles that make container processes re-exec themselves once, at start,
 * from a file that nothing can change: a memfd holding a copy of the binary,
 * sealed against any change (/proc/PID/exe then names "/memfd:keel
 * (deleted)"), or, for the runtime's short-lived commands where the kernel
 * allows it, the binary itself seen through a private overlayfs with no
 * upper layer, never mounted anywhere (/proc/PID/exe names "/keel" on
 * that overlay).  Writing to either fails whatever the opener's privileges.
 */
#ifndef KEEL_SELFCLONE_H
#define KEEL_SELFCLONE_H
#include <stdbool.h>

#include "lib/error.h"

/* True when /proc/self/exe is already one of the two: a memfd with every
 * seal selfclone_exec sets, or a file on a read-only overlayfs whose mount
 * is in no mount namespace of ours (the file itself is checked, not the
 * environment).  -1 with *err when /proc/self/exe cannot be opened. */
int selfclone_is_protected (struct keel_error **err);

/* selfclone_exec's flags. */
enum {
	/* /proc may not be mounted yet (PID 1 at boot): mount it for the
	 * look at /proc/self/exe and unmount it again, so the boot that
	 * follows sees the machine as the kernel left it. */
	SELFCLONE_MOUNT_PROC = 1,
	/* Try the private overlayfs first, the memfd copy when it cannot be
	 * made.  For processes that live as long as their container's
	 * create (the overlay pins the binary's directory while it runs),
	 * not for PID 1. */
	SELFCLONE_OVERLAY = 2,
};

/* Re-exec the running binary from a protected file, with the same argv
 * and environment, unless it already runs from one (then 0).  Does not
 * return on success. */
int selfclone_exec (char **argv, unsigned flags, struct keel_error **err);

/* A memfd (close-on-exec) holding the whole of the file open at fd, with
 * every seal selfclone_is_protected asks for; -1 with *err.  `keel-runtime
 * memfd-bind` puts one over the binary's path, so that what runs from the
 * path is protected already. */
int selfclone_sealed_copy (int fd, struct keel_error **err);

#endif
