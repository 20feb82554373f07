/* linux.seccomp: build and load the container's syscall filter.
 *
 * With CONFIG_SECCOMP off, keel links no libseccomp and a config with a
 * seccomp section is refused: "seccomp: keel was built without
 * CONFIG_SECCOMP".
 *
 * Loading a filter needs either no_new_privs or CAP_SYS_ADMIN: with
 * process.noNewPrivileges the caller applies it as late as possible (just
 * before execve), otherwise before capabilities are dropped, as runc does.
 */
#ifndef KEEL_SECCOMP_H
#define KEEL_SECCOMP_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Build the filter from sc and load it into the calling thread (all threads
 * with SECCOMP_FILTER_FLAG_TSYNC).  Does nothing when sc is NULL or
 * !sc->present.  A filter that uses SCMP_ACT_NOTIFY is refused here: use
 * seccomp_apply_notify(). */
int seccomp_apply (const struct spec_seccomp *sc, bool no_new_privs, struct keel_error **err);

/* The same, allowing SCMP_ACT_NOTIFY: *notify_fd gets the listener fd of the
 * loaded filter (-1 when the filter has no notify rule).  The container
 * process hands it to the runtime process (SCM_RIGHTS), which passes it on
 * with seccomp_send_notify_fd(). */
int seccomp_apply_notify (const struct spec_seccomp *sc, bool no_new_privs, int *notify_fd,
                          struct keel_error **err);

/* Connect to linux.seccomp.listenerPath and send the notify fd with the
 * container state JSON (runtime-spec "containerProcessState": ociVersion,
 * fds ["seccompFd"], pid, metadata, state) in one SCM_RIGHTS message, as
 * runc and crun do.  state_json is keel_state_json() of the container. */
int seccomp_send_notify_fd (const struct spec_seccomp *sc, int notify_fd, pid_t pid,
                            const char *state_json, struct keel_error **err);

/* true when sc uses SCMP_ACT_NOTIFY in its default action or any rule. */
bool seccomp_uses_notify (const struct spec_seccomp *sc);

#endif
