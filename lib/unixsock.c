/* See unixsock.h. */
#include "unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util.h"

int unix_send_fd (const char *path, const void *msg, size_t len, int fd,
		  struct keel_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE (sizeof (int))];
	cleanup_close int sock = -1;
	struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;

	if (strlen (path) >= sizeof addr.sun_path)
		return keel_error (err, ENAMETOOLONG, "socket path `%s`", path);
	strcpy (addr.sun_path, path);
	sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return keel_error (err, errno, "socket");
	if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
		return keel_error (err, errno, "connect to `%s`", path);
	memset (cbuf, 0, sizeof cbuf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	cm = CMSG_FIRSTHDR (&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN (sizeof (int));
	memcpy (CMSG_DATA (cm), &fd, sizeof (int));
	if (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
		return keel_error (err, errno, "send fd to `%s`", path);
	return 0;
}
