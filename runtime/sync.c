/* See sync.h. */
#include "runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/unixsock.h"

int sync_pair (int sv[2], struct keel_error **err)
{
	if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return keel_error (err, errno, "socketpair");
	return 0;
}

struct wire {
	int type;
	int status;
};

int sync_send (int sock, int type, int status, int fd, const char *text, struct keel_error **err)
{
	struct wire w = {.type = type, .status = status};
	struct iovec iov[2] = {
	        {.iov_base = &w, .iov_len = sizeof w},
	        {.iov_base = (void *)(text ? text : ""), .iov_len = text ? strlen (text) : 0},
	};

	if (iov[1].iov_len > sizeof (((struct sync_msg *)0)->text) - 1)
		iov[1].iov_len = sizeof (((struct sync_msg *)0)->text) - 1;
	if (unix_sendmsg_fd (sock, NULL, 0, iov, 2, fd) < 0)
		return keel_error (err, errno, "sync: send message %d", type);
	return 0;
}

int sync_recv (int sock, struct sync_msg *m, struct keel_error **err)
{
	struct wire w;
	struct iovec iov[2] = {
	        {.iov_base = &w, .iov_len = sizeof w},
	        {.iov_base = m->text, .iov_len = sizeof m->text - 1},
	};
	ssize_t n;

	m->fd = -1;
	n = unix_recvmsg_fd (sock, iov, 2, 0, &m->fd);
	if (n < 0)
		return keel_error (err, errno, "sync: receive");
	if (n == 0)
		return keel_error (err, ECONNRESET, "sync: peer exited");
	if ((size_t)n < sizeof w) {
		if (m->fd >= 0)
			close (m->fd);
		m->fd = -1;
		return keel_error (err, EPROTO, "sync: short message");
	}
	m->type = w.type;
	m->status = w.status;
	m->text[n - sizeof w] = '\0';
	return 0;
}

int sync_expect (int sock, int type, struct sync_msg *m, struct keel_error **err)
{
	int ret = sync_recv (sock, m, err);

	if (ret < 0)
		return ret;
	if (m->type == SYNC_ERROR)
		return keel_error (err, m->status, "%s", m->text);
	if (m->type != type) {
		if (m->fd >= 0)
			close (m->fd);
		return keel_error (err, EPROTO, "sync: expected message %d, got %d", type, m->type);
	}
	return 0;
}

int sync_ask (int sock, int type, int done_type, struct keel_error **err)
{
	struct sync_msg m;
	int ret = sync_send (sock, type, 0, -1, NULL, err);

	if (ret == 0)
		ret = sync_expect (sock, done_type, &m, err);
	if (ret < 0)
		return ret;
	/* The answers carry no fd; one that came anyway must not leak into
	 * the container. */
	if (m.fd >= 0)
		close (m.fd);
	return 0;
}

void sync_send_error (int sock, const struct keel_error *e)
{
	sync_send (sock, SYNC_ERROR, e ? e->status : 0, -1, e ? e->msg : "unknown error", NULL);
}

int sync_write (int sock, int type, int status, struct keel_error **err)
{
	struct wire w = {.type = type, .status = status};
	ssize_t n;

	do
		n = write (sock, &w, sizeof w);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return keel_error (err, errno, "sync: write message %d", type);
	if ((size_t)n != sizeof w)
		return keel_error (err, EPROTO, "sync: short write of message %d", type);
	return 0;
}
