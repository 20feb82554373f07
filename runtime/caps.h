/* Process capabilities for the container process (all five sets).
 *
 * Called in the container process after the user switch: the caller has set
 * PR_SET_KEEPCAPS before setresuid() so the permitted set survives it
 * (caps_apply raises the permitted set into the effective one first, which
 * the uid change cleared, to be allowed to drop bounding capabilities).
 */
#ifndef KEEL_CAPS_H
#define KEEL_CAPS_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Drop every bounding capability not listed (PR_CAPBSET_DROP), set the
 * effective, permitted and inheritable sets with libcap, then raise the
 * ambient ones (PR_CAP_AMBIENT).  When caps->present is false the process
 * keeps the capabilities it has, as runc does when process.capabilities is
 * absent.  Capabilities the running kernel does not know are ignored. */
int caps_apply (const struct spec_caps *caps, struct keel_error **err);

/* caps_apply, but capability `keep` (-1: none) stays effective and
 * permitted, if the process has it, until caps_drop_kept(); *kept says
 * whether caps_drop_kept() has anything to do.  The container process
 * loads its seccomp filter without no_new_privs, which needs
 * CAP_SYS_ADMIN, as its last step before execve, after the user switch and
 * the capability sets. */
int caps_apply_keep (const struct spec_caps *caps, int keep, bool *kept, struct keel_error **err);

/* Leave the sets as caps_apply() would have: one capset(2), made after the
 * seccomp filter is loaded. */
int caps_drop_kept (const struct spec_caps *caps, int keep, struct keel_error **err);

#endif
