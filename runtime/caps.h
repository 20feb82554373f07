/* Process capabilities for the container process (all five sets).
 *
 * Called in the container process after the user switch: the caller has set
 * PR_SET_KEEPCAPS before setresuid() so the permitted set survives it
 * (caps_apply raises the permitted set into the effective one first, which
 * the uid change cleared, to be allowed to drop bounding capabilities).
 */
#ifndef KEEL_CAPS_H
#define KEEL_CAPS_H

#include "lib/error.h"
#include "runtime/spec.h"

/* Drop every bounding capability not listed (PR_CAPBSET_DROP), set the
 * effective, permitted and inheritable sets with libcap, then raise the
 * ambient ones (PR_CAP_AMBIENT).  When caps->present is false the process
 * keeps the capabilities it has, as runc does when process.capabilities is
 * absent.  Capabilities the running kernel does not know are ignored. */
int caps_apply (const struct spec_caps *caps, struct keel_error **err);

#endif
