/* The parent/child protocol of `create`: one SOCK_SEQPACKET socketpair
 * between the runtime process and the container process.  Every message is
 * one datagram (so no framing), optionally carrying one fd (SCM_RIGHTS).
 * A failure in the child travels as SYNC_ERROR with its errno and full
 * message, so the parent reports exactly what the child saw. */
#ifndef KEEL_SYNC_H
#define KEEL_SYNC_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

enum sync_type {
	SYNC_GO = 1,     /* parent -> child: id maps written, cgroup entered */
	SYNC_HOOKS,      /* child -> parent: mounts done, run createRuntime hooks */
	SYNC_HOOKS_DONE, /* parent -> child */
	SYNC_CONSOLE,    /* child -> parent: the pty master (fd attached) */
	SYNC_SECCOMP,    /* child -> parent: the seccomp notify fd's number (pidfd_getfd) */
	SYNC_PID,        /* intermediate -> parent: the container init's pid */
	SYNC_CREATED,    /* child -> parent: held before execve */
	SYNC_ERROR,      /* child -> parent: status + message */
	/* parent -> child, before SYNC_GO: the bind source of mounts[status],
	 * opened in the child's mount namespace (fd attached) */
	SYNC_MOUNT_SOURCE,
	/* child -> parent: mounts done; a config without device rules gets the
	 * default filter now (after the mounts, as runc sets its resources) */
	SYNC_DEVICES,
	SYNC_DEVICES_DONE, /* parent -> child */
};

struct sync_msg {
	int type;
	int status; /* SYNC_ERROR: errno; SYNC_PID: the pid */
	int fd;     /* received fd or -1 */
	char text[4000];
};

/* Both ends close-on-exec: sv[0] for the parent, sv[1] for the child. */
int sync_pair (int sv[2], struct keel_error **err);

/* Send one message; fd < 0 for none, text may be NULL. */
int sync_send (int sock, int type, int status, int fd, const char *text, struct keel_error **err);

/* Send a message without text or fd with write(2) alone: after its
 * seccomp filter the container process talks to the parent only this way,
 * the one syscall a SCMP_ACT_NOTIFY rule may not catch (see seccomp.h). */
int sync_write (int sock, int type, int status, struct keel_error **err);

/* Receive one message.  A peer that went away without a word is ECONNRESET. */
int sync_recv (int sock, struct sync_msg *m, struct keel_error **err);

/* Receive and insist on `type`; a SYNC_ERROR is turned into *err. */
int sync_expect (int sock, int type, struct sync_msg *m, struct keel_error **err);

/* A round trip: send `type` (no fd, no text), then wait for `done_type`.
 * The child's way to have the parent act at one point of its set-up
 * (SYNC_HOOKS, SYNC_DEVICES) and go on only once it has. */
int sync_ask (int sock, int type, int done_type, struct keel_error **err);

/* In the child: send *err to the parent (best effort). */
void sync_send_error (int sock, const struct keel_error *err);

#endif
