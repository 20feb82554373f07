/* Handing a file descriptor to another process over a unix socket. */
#ifndef KEEL_UNIXSOCK_H
#define KEEL_UNIXSOCK_H

#include <stddef.h>

#include "lib/error.h"

/* Connect to the stream socket at path and send msg (len bytes, at least
 * one: SCM_RIGHTS needs data to ride on) with fd attached.  This is how
 * runc hands over a pty master (--console-socket) and a seccomp notify fd
 * (listenerPath); the receiver owns its copy of fd afterwards. */
int unix_send_fd (const char *path, const void *msg, size_t len, int fd,
		  struct keel_error **err);

#endif
