/* The one rule for a container name: a containers.d entry (whose name is
 * its container id), a dependency in keel.json, a keel.skip= name, a
 * keelctl argument, and a runtime container id alike.  keel-import's shell
 * copy (initramfs/import/lib/common.sh valid_name) must agree:
 * tests/integration/name-rule.sh runs both over the same names.
 *
 * [A-Za-z0-9_+.-], 1 to 128 characters, not starting with "." or "-":
 * - the characters are runc's id rule (podman, containerd and Kubernetes
 *   ids all fit it);
 * - 128 holds containerd's longest id (76) and Kubernetes' 64-hex ones,
 *   and keeps a directory or cgroup named after it, with a suffix, far
 *   under NAME_MAX (255);
 * - a leading "." is a hidden directory, which containers.d skips, and a
 *   leading "-" would read as an option to keelctl and keel-runtime. */
#ifndef KEEL_NAME_H
#define KEEL_NAME_H

#include <stdbool.h>

#include "lib/error.h"

#define KEEL_NAME_MAX 128
/* For messages: what the rule is, in a few words. */
#define KEEL_NAME_RULE "[A-Za-z0-9_+.-], at most 128, not starting with . or -"

bool keel_name_valid (const char *s);

/* keel_name_valid with a reason: "WHAT `NAME`: too long (N characters,
 * at most 128)" and the like. */
int keel_name_check (const char *what, const char *s, struct keel_error **err);

#endif
