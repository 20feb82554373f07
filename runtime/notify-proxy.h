/* NOTIFY_SOCKET for the runc-compatible CLI (systemd's Type=notify, podman's
 * --sdnotify=container): the container never sees the caller's socket.
 * create/run give it a directory of its own, STATE/ID/notify, bind-mounted
 * read-only at /run/notify, and NOTIFY_SOCKET=/run/notify/notify.sock (runc's
 * path).  start (and run) bind that socket, wait for READY=1 and pass on to
 * the caller's socket only the state fields (READY, RELOADING, STOPPING,
 * STATUS, ERRNO, WATCHDOG, WATCHDOG_USEC, EXTEND_TIMEOUT_USEC), with
 * MAINPID added to READY=1; anything else (MAINPID from inside, FDSTORE,
 * file descriptors, BARRIER) is dropped.  start and run --detach stop
 * there, as runc's; a foreground run keeps forwarding until the end.
 * Only the container's processes are heard: each datagram's sender
 * (SO_PASSCRED) must be its process or in its cgroup, as with PID 1's.
 *
 * PID 1 does not use this: it has its own per-container socket
 * (init/notify.h) and passes it to the library as an extra mount.
 */
#ifndef KEEL_NOTIFY_PROXY_H
#define KEEL_NOTIFY_PROXY_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/container.h"
#include "runtime/spec.h"

#define NOTIFY_PROXY_DIR          "notify" /* in the container's state directory */
#define NOTIFY_PROXY_SOCKET       "notify.sock"
#define NOTIFY_PROXY_IN_CONTAINER "/run/notify"

/* Whether addr (a NOTIFY_SOCKET value) is one the proxy can send to: an
 * absolute path or an abstract name ("@name"), as sd_notify accepts. */
bool notify_proxy_addr_ok (const char *addr);

/* create/run: the bind mount of STATE_ROOT/ID/notify and the env entry that
 * point the container at the proxy (free with notify_proxy_mount_free). */
void notify_proxy_mount (const char *state_root, const char *id, struct spec_mount *m, char **env);
void notify_proxy_mount_free (struct spec_mount *m);

struct notify_proxy {
	int fd;        /* bound on STATE_ROOT/ID/notify/notify.sock; -1: no proxy */
	int pidfd;     /* the container's process */
	char *path;    /* that socket */
	char *host;    /* the caller's NOTIFY_SOCKET */
	pid_t pid;     /* the container's process */
	char *cgroup;  /* its cgroup as /proc/PID/cgroup shows it, or NULL */
	pid_t mainpid; /* sent with READY=1: pid unless the caller changes it */
	bool ready;    /* READY=1 forwarded: the proxy's work is done */
};

/* start/run: when host is set and the created container id has a proxy
 * directory, bind its socket (p->fd >= 0); otherwise leave p->fd at -1.
 * Call before releasing the container so no early message is lost. */
int notify_proxy_open (const struct keel_runtime *rt, const char *id, const char *host,
                       struct notify_proxy *p, struct keel_error **err);
/* Read one datagram and pass its readiness fields on; sets p->ready once
 * READY=1 went out. */
int notify_proxy_receive (struct notify_proxy *p, struct keel_error **err);
/* start: forward until READY=1, or until the container's process exits
 * (then quietly: the container is not ready and never will be). */
int notify_proxy_wait (struct notify_proxy *p, struct keel_error **err);
/* Close and remove the socket: later messages get ECONNREFUSED/ENOENT. */
void notify_proxy_close (struct notify_proxy *p);

#endif
