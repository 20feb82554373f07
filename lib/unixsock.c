/* See unixsock.h. */
#include "unixsock.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util.h"

/* Room for the one fd we expect and a few more, so that surplus ones
 * arrive (and are closed) instead of being cut with MSG_CTRUNC. */
#define RECV_FDS_MAX 8

ssize_t unix_sendmsg_fd (int sock, const struct sockaddr_un *addr, socklen_t addrlen,
                         const struct iovec *iov, size_t n, int fd)
{
	union {
		char buf[CMSG_SPACE (sizeof (int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
	        .msg_name = (void *)addr,
	        .msg_namelen = addr ? addrlen : 0,
	        .msg_iov = (struct iovec *)iov,
	        .msg_iovlen = n,
	};
	ssize_t r;

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset (&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		cm = CMSG_FIRSTHDR (&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN (sizeof (int));
		memcpy (CMSG_DATA (cm), &fd, sizeof (int));
	}
	do
		r = sendmsg (sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t unix_recvmsg_fd (int sock, struct iovec *iov, size_t n, int flags, int *fd)
{
	union {
		char buf[CMSG_SPACE (RECV_FDS_MAX * sizeof (int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
	        .msg_iov = iov,
	        .msg_iovlen = n,
	        .msg_control = u.buf,
	        .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *cm;
	ssize_t r;

	*fd = -1;
	do
		r = recvmsg (sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return r;
	for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm)) {
		size_t nfds, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN (0))
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
		for (i = 0; i < nfds; i++) {
			int got;

			memcpy (&got, CMSG_DATA (cm) + i * sizeof (int), sizeof (int));
			if (*fd < 0 && !(mh.msg_flags & MSG_CTRUNC))
				*fd = got;
			else
				close (got);
		}
	}
	return r;
}

int unix_send_fd (const char *path, const void *msg, size_t len, int fd,
		  struct keel_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_close int sock = -1;
	struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };

	if (strlen (path) >= sizeof addr.sun_path)
		return keel_error (err, ENAMETOOLONG, "socket path `%s`", path);
	strcpy (addr.sun_path, path);
	sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return keel_error (err, errno, "socket");
	if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
		return keel_error (err, errno, "connect to `%s`", path);
	if (unix_sendmsg_fd (sock, NULL, 0, &iov, 1, fd) < 0)
		return keel_error (err, errno, "send fd to `%s`", path);
	return 0;
}
