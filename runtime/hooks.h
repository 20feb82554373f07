/* OCI hooks (config.md "POSIX-platform Hooks"): each hook runs with the
 * container state JSON on its stdin, its own args and env, and an optional
 * timeout after which it is killed. */
#ifndef KEEL_HOOKS_H
#define KEEL_HOOKS_H

#include <stddef.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* "createRuntime", ... for messages. */
const char *hooks_kind_name (enum spec_hook_kind kind);

/* Run hooks[0..n) in order, stopping at the first failure (a non-zero
 * exit, a signal, or the timeout): "createRuntime hook `/bin/x`: exited
 * with status 1". */
int hooks_run (enum spec_hook_kind kind, const struct spec_hook *hooks, size_t n,
               const char *state_json, struct keel_error **err);

/* poststart and poststop (runtime.md): a failing hook is a warning and
 * the remaining hooks still run.  Each failure is logged, prefixed by
 * what (e.g. "container `web`"). */
void hooks_run_warn (enum spec_hook_kind kind, const struct spec_hook *hooks, size_t n,
                     const char *state_json, const char *what);

#endif
