/* linux.seccomp: build and load the container's syscall filter.
 *
 * With CONFIG_SECCOMP off, keel links no libseccomp and a config with a
 * seccomp section is refused: "seccomp: keel was built without
 * CONFIG_SECCOMP".
 *
 * Loading a filter needs either no_new_privs or CAP_SYS_ADMIN.  The
 * container process loads it as its last step before the exec fifo and
 * execve in both cases, keeping CAP_SYS_ADMIN until then without
 * no_new_privs (caps_apply_keep), so a profile only has to allow what
 * follows (see load_seccomp in container.c).
 *
 * keel loads the program with seccomp(2) itself: libseccomp's program with
 * a prefix of its own that makes every syscall numbered above the highest
 * one the profile names (per architecture) fail with ENOSYS, as runc does,
 * unless the default action is ALLOW, LOG or TRACE.
 */
#ifndef KEEL_SECCOMP_H
#define KEEL_SECCOMP_H

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Build the filter from sc and load it into the calling thread (all threads
 * with SECCOMP_FILTER_FLAG_TSYNC), setting no_new_privs first when asked.
 * Does nothing when sc is NULL or !sc->present.  A filter that uses
 * SCMP_ACT_NOTIFY is refused here: use seccomp_apply_notify(). */
int seccomp_apply (const struct spec_seccomp *sc, bool no_new_privs, struct keel_error **err);

/* The same, allowing SCMP_ACT_NOTIFY: *notify_fd gets the listener fd of the
 * loaded filter (close-on-exec; -1 when the filter has no notify rule).
 * The container process then writes its number to the runtime process with
 * write(2), which takes the fd with pidfd_getfd and passes it on with
 * seccomp_send_notify_fd().  Because that write must not wait for the
 * listener, SCMP_ACT_NOTIFY as the default action or for `write` is
 * refused, as runc does. */
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
