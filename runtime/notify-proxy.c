/* The NOTIFY_SOCKET proxy of the CLI (see notify-proxy.h). */
#include "runtime/notify-proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/proccgroup.h"
#include "lib/util.h"
#include "runtime/cgroup.h"

#define NOTIFY_MSG_MAX 4096

/* What the caller's manager needs to know about readiness.  MAINPID is
 * ours to say (a pid from inside means nothing outside, and naming a host
 * process would let the container have it supervised or killed); FDSTORE
 * and BARRIER need file descriptors, which are never passed on. */
static const char *const forwarded[] = {
        "READY=", "RELOADING=", "STOPPING=",      "STATUS=",
        "ERRNO=", "WATCHDOG=",  "WATCHDOG_USEC=", "EXTEND_TIMEOUT_USEC=",
};

bool notify_proxy_addr_ok (const char *addr)
{
	struct sockaddr_un sa;

	return addr != NULL && (addr[0] == '/' || addr[0] == '@') && addr[1] != '\0' &&
	       strlen (addr) < sizeof sa.sun_path;
}

void notify_proxy_mount (const char *state_root, const char *id, struct spec_mount *m, char **env)
{
	memset (m, 0, sizeof *m);
	m->destination = xstrdup (NOTIFY_PROXY_IN_CONTAINER);
	m->type = xstrdup ("bind");
	m->source = xasprintf ("%s/%s/" NOTIFY_PROXY_DIR, state_root, id);
	m->options.v = xmalloc0 (6 * sizeof (char *));
	m->options.v[0] = xstrdup ("bind");
	/* Sending on a socket needs no write access to its directory; read-
	 * only keeps the container from leaving files in the state dir. */
	m->options.v[1] = xstrdup ("ro");
	m->options.v[2] = xstrdup ("nosuid");
	m->options.v[3] = xstrdup ("nodev");
	m->options.v[4] = xstrdup ("noexec");
	m->options.n = 5;
	m->flags = MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	m->bind = true;
	*env = xstrdup ("NOTIFY_SOCKET=" NOTIFY_PROXY_IN_CONTAINER "/" NOTIFY_PROXY_SOCKET);
}

void notify_proxy_mount_free (struct spec_mount *m)
{
	free (m->destination);
	free (m->type);
	free (m->source);
	for (size_t k = 0; k < m->options.n; k++)
		free (m->options.v[k]);
	free (m->options.v);
	memset (m, 0, sizeof *m);
}

static socklen_t make_addr (const char *path, struct sockaddr_un *sa)
{
	memset (sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	strcpy (sa->sun_path, path);
	if (sa->sun_path[0] == '@') /* the abstract namespace, as sd_notify */
		sa->sun_path[0] = '\0';
	return (socklen_t)(offsetof (struct sockaddr_un, sun_path) + strlen (path));
}

/* The container's pid, cgroup (relative to the unified root, as
 * /proc/PID/cgroup has it) and a pidfd to see it exit. */
static int container_of (const struct keel_runtime *rt, const char *id, struct notify_proxy *p,
                         struct keel_error **err)
{
	struct keel_state st = {0};
	const char *cg_root = cgroup_unified_root ();
	int ret = keel_container_state (rt, id, &st, err);

	if (ret < 0)
		return ret;
	if (st.status != KEEL_CREATED || st.pid <= 0) {
		keel_state_free (&st);
		return 0; /* start says so itself */
	}
	p->pid = p->mainpid = st.pid;
	if (st.cgroup_path && cg_root && strncmp (st.cgroup_path, cg_root, strlen (cg_root)) == 0) {
		const char *rel = st.cgroup_path + strlen (cg_root);
		p->cgroup = xstrdup (*rel ? rel : "/");
	}
	keel_state_free (&st);
	/* Without one (gone already, or a kernel before 5.3) there is
	 * nothing to wait on: start returns at once. */
	p->pidfd = (int)syscall (SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0 && errno != ESRCH && errno != ENOSYS)
		return keel_error (err, errno, "pidfd_open %d", (int)p->pid);
	return 0;
}

int notify_proxy_open (const struct keel_runtime *rt, const char *id, const char *host,
                       struct notify_proxy *p, struct keel_error **err)
{
	const char *root = rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT;
	cleanup_free char *dir = xasprintf ("%s/%s/" NOTIFY_PROXY_DIR, root, id);
	cleanup_close int fd = -1;
	struct sockaddr_un sa;
	struct stat st;
	int one = 1, ret;

	*p = (struct notify_proxy){.fd = -1, .pidfd = -1};
	if (host == NULL || *host == '\0')
		return 0;
	/* Created without NOTIFY_SOCKET: the container has no socket path. */
	if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode))
		return 0;
	if (!notify_proxy_addr_ok (host))
		return keel_error (err, EINVAL,
		                   "NOTIFY_SOCKET `%s`: not an absolute path or @abstract name",
		                   host);
	ret = container_of (rt, id, p, err);
	if (ret < 0)
		return ret;
	p->path = xasprintf ("%s/" NOTIFY_PROXY_SOCKET, dir);
	if (strlen (p->path) >= sizeof sa.sun_path)
		return keel_error (err, ENAMETOOLONG, "notify socket `%s`", p->path);
	fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return keel_error (err, errno, "notify socket");
	if (setsockopt (fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
		return keel_error (err, errno, "SO_PASSCRED on `%s`", p->path);
	/* A socket left by an earlier start that failed. */
	if (unlink (p->path) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove stale `%s`", p->path);
	if (bind (fd, (struct sockaddr *)&sa, make_addr (p->path, &sa)) < 0)
		return keel_error (err, errno, "bind `%s`", p->path);
	/* The container's process may run as any user; the sender check
	 * keeps everyone else out. */
	if (chmod (p->path, 0777) < 0) {
		int e = errno;
		unlink (p->path);
		return keel_error (err, e, "chmod `%s`", p->path);
	}
	p->host = xstrdup (host);
	p->fd = steal_fd (&fd);
	return 0;
}

/* The container's process, or one in its cgroup (or below).  Without a
 * cgroup there is nothing to tell by: anyone, as with runc. */
static bool from_container (const struct notify_proxy *p, pid_t pid)
{
	cleanup_free char *cg = NULL;

	if (pid > 0 && pid == p->pid)
		return true;
	if (p->cgroup == NULL)
		return true;
	if (pid <= 0 || proc_cgroup (pid, &cg, NULL) < 0)
		return false;
	return cgroup_path_within (cg, p->cgroup);
}

static pid_t sender_of (struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR (mh); cm; cm = CMSG_NXTHDR (mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN (sizeof (struct ucred))) {
			struct ucred cred;
			memcpy (&cred, CMSG_DATA (cm), sizeof cred);
			return cred.pid;
		}
	return 0;
}

static bool is_forwarded (const char *line, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE (forwarded); i++) {
		size_t k = strlen (forwarded[i]);
		if (n >= k && memcmp (line, forwarded[i], k) == 0)
			return true;
	}
	return false;
}

static int send_host (const struct notify_proxy *p, const char *msg, size_t len,
                      struct keel_error **err)
{
	cleanup_close int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;

	if (fd < 0)
		return keel_error (err, errno, "socket");
	if (sendto (fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, make_addr (p->host, &sa)) <
	    0)
		return keel_error (err, errno, "NOTIFY_SOCKET: send to `%s`", p->host);
	return 0;
}

int notify_proxy_receive (struct notify_proxy *p, struct keel_error **err)
{
	char in[NOTIFY_MSG_MAX + 1], out[NOTIFY_MSG_MAX + 64];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE (sizeof (struct ucred))];
	} ctl;
	struct iovec iov = {.iov_base = in, .iov_len = NOTIFY_MSG_MAX};
	struct msghdr mh = {
	        .msg_iov = &iov,
	        .msg_iovlen = 1,
	        .msg_control = &ctl,
	        .msg_controllen = sizeof ctl,
	};
	size_t o = 0, i = 0;
	bool ready = false;
	pid_t sender;
	ssize_t n;

	/* Room for the credentials only: the kernel closes any descriptors
	 * sent along (which also completes an sd_notify BARRIER). */
	n = recvmsg (p->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR
		               ? 0
		               : keel_error (err, errno, "recv `%s`", p->path);
	if (n > NOTIFY_MSG_MAX)
		return 0; /* truncated: not a message we could pass on whole */
	sender = sender_of (&mh);
	if (!from_container (p, sender)) {
		keel_log (KEEL_LOG_WARNING,
		          "NOTIFY_SOCKET: ignoring a message from pid %d outside the container",
		          (int)sender);
		return 0;
	}
	while (i < (size_t)n) {
		const char *line = in + i;
		const char *nl = memchr (line, '\n', (size_t)n - i);
		size_t len = nl ? (size_t)(nl - line) : (size_t)n - i;

		i += len + 1;
		if (len == 0 || memchr (line, '\0', len) || !is_forwarded (line, len))
			continue;
		if (len == 7 && memcmp (line, "READY=1", 7) == 0)
			ready = true;
		memcpy (out + o, line, len);
		o += len;
		out[o++] = '\n';
	}
	if (ready)
		o += (size_t)snprintf (out + o, sizeof out - o, "MAINPID=%d\n", (int)p->mainpid);
	if (o == 0)
		return 0;
	if (send_host (p, out, o, err) < 0)
		return -1;
	p->ready = p->ready || ready;
	return 0;
}

int notify_proxy_wait (struct notify_proxy *p, struct keel_error **err)
{
	while (p->fd >= 0 && p->pidfd >= 0 && !p->ready) {
		struct pollfd fds[2] = {{.fd = p->fd, .events = POLLIN},
		                        {.fd = p->pidfd, .events = POLLIN}};

		if (poll (fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return keel_error (err, errno, "poll `%s`", p->path);
		}
		if ((fds[0].revents & POLLIN) && notify_proxy_receive (p, err) < 0)
			return -1;
		/* Exited: drain what it sent just before, then give up. */
		if (fds[1].revents & POLLIN) {
			while (!p->ready && poll (fds, 1, 0) == 1)
				if (notify_proxy_receive (p, err) < 0)
					return -1;
			break;
		}
	}
	return 0;
}

void notify_proxy_close (struct notify_proxy *p)
{
	if (p->fd >= 0) {
		close (p->fd);
		unlink (p->path);
	}
	if (p->pidfd >= 0)
		close (p->pidfd);
	free (p->path);
	free (p->host);
	free (p->cgroup);
	*p = (struct notify_proxy){.fd = -1, .pidfd = -1};
}
