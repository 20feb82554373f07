/* Handing a file descriptor to another process over a unix socket: the
 * only place keel builds or parses an SCM_RIGHTS message (runtime/sync.c,
 * runtime/terminal.c and the console socket go through here). */
#ifndef KEEL_UNIXSOCK_H
#define KEEL_UNIXSOCK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "lib/error.h"

/* Connect to the stream socket at path and send msg (len bytes, at least
 * one: SCM_RIGHTS needs data to ride on) with fd attached.  This is how
 * runc hands over a pty master (--console-socket) and a seccomp notify fd
 * (listenerPath); the receiver owns its copy of fd afterwards. */
int unix_send_fd (const char *path, const void *msg, size_t len, int fd,
		  struct keel_error **err);

/* sendmsg(2) of iov[0..n) on sock, to addr when it is not NULL (an
 * unconnected datagram socket), with fd attached when fd >= 0.  EINTR is
 * retried, SIGPIPE never raised.  Returns the bytes sent, or -1 with
 * errno set, so the caller names what it was sending. */
ssize_t unix_sendmsg_fd (int sock, const struct sockaddr_un *addr, socklen_t addrlen,
                         const struct iovec *iov, size_t n, int fd);

/* recvmsg(2) into iov[0..n) with flags (MSG_CMSG_CLOEXEC is always
 * added), EINTR retried.  *fd gets the one descriptor that came with the
 * message, or -1.  Whatever else the sender attached (more descriptors,
 * a second SCM_RIGHTS, one cut short by MSG_CTRUNC) is closed here: a
 * peer in a container cannot make us hold descriptors we did not ask for.
 * Returns the bytes received, or -1 with errno set. */
ssize_t unix_recvmsg_fd (int sock, struct iovec *iov, size_t n, int flags, int *fd);

#endif
