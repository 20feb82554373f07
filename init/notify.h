/* sd_notify readiness.
 *
 * A container with "readiness": "notify" gets its own datagram socket:
 * STATE/.notify/NAME/notify.sock on the host (a dot directory: the
 * runtime, sharing /run/keel, never mistakes it for a container), its directory bind-mounted at
 * /run/keel-notify in the container, and NOTIFY_SOCKET=/run/keel-notify/
 * notify.sock in its environment (as systemd and crun do).  READY=1 marks
 * it ready; STATUS= is kept for `keelctl status`.  Each datagram's sender
 * is checked with SO_PASSCRED: it must be the container's process or live
 * in the container's cgroup, so nothing else can declare it ready.
 */
#ifndef KEEL_INIT_NOTIFY_H
#define KEEL_INIT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "init/loop.h"
#include "init/unit.h"

#define NOTIFY_DIR_IN_CONTAINER    "/run/keel-notify"
#define NOTIFY_SOCKET_IN_CONTAINER NOTIFY_DIR_IN_CONTAINER "/notify.sock"

/* Open unit i's socket under state_dir and watch it: READY=1 becomes the
 * unit event UE_READY. */
int notify_open (struct loop *l, struct unit_set *set, size_t i, const char *state_dir,
                 struct keel_error **err);
void notify_close (struct loop *l, struct unit *u);
/* The extra mount and env entry for the runtime (free with notify_mount_free). */
void notify_mount (const struct unit *u, struct spec_mount *m, char **env);
void notify_mount_free (struct spec_mount *m);

/* Parse one datagram: READY=1 sets *ready, STATUS=... replaces *status. */
void notify_parse (const char *msg, size_t len, bool *ready, char **status);

/* Whether /proc/PID/cgroup places pid in cgroup (or below it). */
bool notify_pid_in_cgroup (int pid, const char *cgroup);

/* keelctl notify: send one message to $NOTIFY_SOCKET. */
int notify_send (const char *socket_path, const char *msg, struct keel_error **err);

#endif
