/* sd_notify sockets: one per container, sender checked (see notify.h). */
#include "init/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/proccgroup.h"
#include "lib/termsafe.h"
#include "lib/unixsock.h"
#include "lib/util.h"

#define NOTIFY_MSG_MAX 4096

static void notify_event (struct watch *w, uint32_t events);

int notify_open (struct loop *l, struct unit_set *set, size_t i, const char *state_dir,
                 struct keel_error **err)
{
	struct unit *u = &set->v[i];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;
	cleanup_free char *path = NULL;
	int one = 1, ret;

	if (u->notify_fd >= 0)
		return 0;
	free (u->notify_dir);
	u->notify_dir = xasprintf ("%s/.notify/%s", state_dir, u->name);
	/* STATE/.notify is root's alone: a container reaches its own socket
	 * through the bind mount, nobody else reaches any. */
	path = xasprintf ("%s/.notify", state_dir);
	if (mkdir (path, 0700) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s`", path);
	free (steal_ptr (&path));
	ret = mkdir_p (u->notify_dir, 0755, err);
	if (ret < 0)
		return ret;
	path = xasprintf ("%s/notify.sock", u->notify_dir);
	if (strlen (path) >= sizeof sa.sun_path)
		return keel_error (err, ENAMETOOLONG, "notify socket `%s`", path);
	strcpy (sa.sun_path, path);
	fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return keel_error (err, errno, "notify socket");
	if (unlink (path) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove stale `%s`", path);
	if (bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return keel_error (err, errno, "bind `%s`", path);
	/* Containers may run as any user; the sender check is SO_PASSCRED. */
	if (chmod (path, 0666) < 0)
		return keel_error (err, errno, "chmod `%s`", path);
	if (setsockopt (fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
		return keel_error (err, errno, "SO_PASSCRED on `%s`", path);
	u->notify_fd = steal_fd (&fd);
	if (loop_watch (l, &u->w_notify, u->notify_fd, EPOLLIN, notify_event, set) < 0)
		return keel_error (err, errno, "epoll_ctl `%s`", path);
	return 0;
}

void notify_close (struct loop *l, struct unit *u)
{
	if (u->notify_fd >= 0) {
		loop_unwatch (l, &u->w_notify);
		close (u->notify_fd);
		u->notify_fd = -1;
	}
	if (u->notify_dir) {
		cleanup_free char *path = xasprintf ("%s/notify.sock", u->notify_dir);
		unlink (path);
		rmdir (u->notify_dir);
		free (u->notify_dir);
		u->notify_dir = NULL;
	}
}

void notify_mount (const struct unit *u, struct spec_mount *m, char **env)
{
	memset (m, 0, sizeof (*m));
	m->destination = xstrdup (NOTIFY_DIR_IN_CONTAINER);
	m->type = xstrdup ("bind");
	m->source = xstrdup (u->notify_dir);
	m->options.v = xmalloc0 (3 * sizeof (char *));
	m->options.v[0] = xstrdup ("bind");
	/* Read-only is enough to send on a socket and keeps the container
	 * from leaving files in keel's state directory. */
	m->options.v[1] = xstrdup ("ro");
	m->options.n = 2;
	m->flags = MS_BIND | MS_RDONLY;
	m->bind = true;
	*env = xstrdup ("NOTIFY_SOCKET=" NOTIFY_SOCKET_IN_CONTAINER);
}

void notify_mount_free (struct spec_mount *m)
{
	size_t k;

	free (m->destination);
	free (m->type);
	free (m->source);
	for (k = 0; k < m->options.n; k++)
		free (m->options.v[k]);
	free (m->options.v);
	memset (m, 0, sizeof (*m));
}

void notify_parse (const char *msg, size_t len, bool *ready, char **status)
{
	size_t i = 0;

	while (i < len) {
		const char *line = msg + i;
		const char *nl = memchr (line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		if (n == 7 && memcmp (line, "READY=1", 7) == 0)
			*ready = true;
		else if (n >= 7 && memcmp (line, "STATUS=", 7) == 0) {
			size_t l = n - 7 > 200 ? 200 : n - 7;
			free (*status);
			*status = xmalloc0 (l * TERMSAFE_GROWTH + 1);
			/* Shown by keelctl status, on a terminal: a container
			 * must not be able to send terminal escapes there
			 * (lib/termsafe.h; its NULs become \x00 too). */
			termsafe (*status, l * TERMSAFE_GROWTH, line + 7, l, 0, NULL);
		}
		i += n + 1;
	}
}

bool notify_pid_in_cgroup (int pid, const char *cgroup)
{
	cleanup_free char *cg = NULL;

	if (cgroup == NULL || proc_cgroup (pid, &cg, NULL) < 0)
		return false;
	return cgroup_path_within (cg, cgroup);
}

/* Datagrams on a unit's socket: READY=1 from inside the container is
 * the unit event UE_READY; anything else is kept or ignored. */
static void notify_event (struct watch *w, uint32_t events)
{
	struct unit_set *set = w->arg;
	struct unit *u = (struct unit *)((char *)w - offsetof (struct unit, w_notify));
	size_t i = (size_t)(u - set->v);
	int k;

	(void)events;
	for (k = 0; k < 16; k++) { /* bounded per wakeup */
		char buf[NOTIFY_MSG_MAX];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE (sizeof (struct ucred))];
		} c;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
		struct msghdr mh = {
		        .msg_iov = &iov,
		        .msg_iovlen = 1,
		        .msg_control = &c,
		        .msg_controllen = sizeof c,
		};
		struct cmsghdr *cm;
		struct ucred *cred = NULL;
		bool ready = false;
		ssize_t n = recvmsg (u->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
			    cm->cmsg_len == CMSG_LEN (sizeof (struct ucred)))
				cred = (struct ucred *)CMSG_DATA (cm);
			else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				/* Closing passed fds answers BARRIER=1 (every earlier
				 * message is handled by now); FDSTORE is not supported. */
				int *fds = (int *)CMSG_DATA (cm);
				size_t nf = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int), f;
				for (f = 0; f < nf; f++)
					close (fds[f]);
			}
		}
		if (cred == NULL || cred->pid <= 0 ||
		    (cred->pid != u->pid && !notify_pid_in_cgroup (cred->pid, u->cgroup))) {
			console_status (
			        set->con, CS_WARN,
			        "%s: ignoring a notify message from pid %d outside the container",
			        u->name, cred ? cred->pid : 0);
			continue;
		}
		notify_parse (buf, (size_t)n, &ready, &u->notify_status);
		if (ready)
			unit_event (set, i, UE_READY, 0);
	}
}

/* systemd's BARRIER=1: send a pipe's write end and wait until the
 * receiver closes it, which it does once it has handled every earlier
 * message.  The sender stays alive meanwhile, so the receiver can still
 * check which cgroup it belongs to. */
static int barrier (int fd, const struct sockaddr_un *sa, socklen_t len, struct keel_error **err)
{
	static const char msg[] = "BARRIER=1";
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = sizeof msg - 1};
	struct pollfd pfd;
	int p[2], r;
	ssize_t n;

	if (pipe2 (p, O_CLOEXEC) < 0)
		return keel_error (err, errno, "pipe");
	n = unix_sendmsg_fd (fd, sa, len, &iov, 1, p[1]);
	close (p[1]);
	if (n < 0) {
		int e = errno;
		close (p[0]);
		return keel_error (err, e, "send BARRIER=1");
	}
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	do
		r = poll (&pfd, 1, 5000);
	while (r < 0 && errno == EINTR);
	close (p[0]);
	if (r == 0)
		return keel_error (err, ETIMEDOUT, "no answer to BARRIER=1 within 5 s");
	return r < 0 ? keel_error (err, errno, "poll") : 0;
}

int notify_send (const char *socket_path, const char *msg, struct keel_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;
	socklen_t len;

	if (socket_path == NULL || *socket_path == '\0')
		return keel_error (err, 0, "NOTIFY_SOCKET is not set");
	if (strlen (socket_path) >= sizeof sa.sun_path)
		return keel_error (err, ENAMETOOLONG, "NOTIFY_SOCKET `%s`", socket_path);
	strcpy (sa.sun_path, socket_path);
	if (sa.sun_path[0] == '@') /* abstract namespace, as sd_notify */
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof (struct sockaddr_un, sun_path) + strlen (socket_path));
	fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return keel_error (err, errno, "socket");
	if (sendto (fd, msg, strlen (msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		return keel_error (err, errno, "send to `%s`", socket_path);
	return barrier (fd, &sa, len, err);
}
