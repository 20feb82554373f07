/* process.terminal: pty pair, --console-socket, controlling tty; see
 * terminal.h. */
#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/unixsock.h"
#include "lib/util.h"
#include "runtime/devices.h"
#include "runtime/sync.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* The pty multiplexer: /dev/ptmx or devpts's own ptmx, both 5:2.  The
 * container's /dev may be shared with a process that swapped /dev/ptmx or
 * /dev/pts for something else (runc checks the same since 1.2.8). */
static int check_master (int fd, struct keel_error **err)
{
	struct stat st;

	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "terminal: fstat `/dev/ptmx`");
	if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (5, 2))
		return keel_error (err, 0, "terminal: `/dev/ptmx` is not the pty multiplexer (5:2)");
	return 0;
}

/* The slave is a pty of a devpts (majors 136-143) and the one of master
 * (its number), whichever way it was opened. */
static int check_slave (int master, int fd, struct keel_error **err)
{
	struct statfs sfs;
	struct stat st;
	unsigned int n;

	if (ioctl (master, TIOCGPTN, &n) < 0)
		return keel_error (err, errno, "terminal: the pty's number (TIOCGPTN)");
	if (fstatfs (fd, &sfs) < 0 || fstat (fd, &st) < 0)
		return keel_error (err, errno, "terminal: stat the pty slave");
	if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR (st.st_mode) || major (st.st_rdev) < 136 ||
	    major (st.st_rdev) > 143 ||
	    (major (st.st_rdev) - 136) * 256 + minor (st.st_rdev) != n)
		return keel_error (err, 0, "terminal: the pty slave opened is not pty %u of devpts",
		                   n);
	return 0;
}

/* Open the slave of master: TIOCGPTPEER (4.13+) opens it through the
 * master's own devpts instance, so no path lookup can be redirected; the
 * ptsname path is the fallback for older kernels. */
static int open_slave (int master, struct keel_error **err)
{
	cleanup_free char *path = NULL;
	int fd, ret;

	fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		ret = check_slave (master, fd, err);
		if (ret < 0)
			close (fd);
		return ret < 0 ? ret : fd;
	}
	if (errno != EINVAL && errno != ENOTTY)
		return keel_error (err, errno, "terminal: open the pty slave (TIOCGPTPEER)");
	ret = terminal_slave_path (master, &path, err);
	if (ret < 0)
		return ret;
	fd = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "terminal: open `%s`", path);
	ret = check_slave (master, fd, err);
	if (ret < 0)
		close (fd);
	return ret < 0 ? ret : fd;
}

/* runc's "sane terminal": the container writes "\n" and its client gets
 * "\n", not "\r\n" (ONLCR off); everything else stays cooked. */
static int sane_termios (int fd, struct keel_error **err)
{
	struct termios t;

	if (tcgetattr (fd, &t) < 0)
		return keel_error (err, errno, "terminal: tcgetattr");
	t.c_oflag &= ~(tcflag_t)ONLCR;
	if (tcsetattr (fd, TCSANOW, &t) < 0)
		return keel_error (err, errno, "terminal: tcsetattr");
	return 0;
}

int terminal_open_pty (const struct spec_process *p, int *master, int *slave,
                       struct keel_error **err)
{
	cleanup_close int m = -1;
	cleanup_close int s = -1;
	int ret;

	m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return keel_error (err, errno, "terminal: open `/dev/ptmx`");
	ret = check_master (m, err);
	if (ret < 0)
		return ret;
	if (unlockpt (m) < 0)
		return keel_error (err, errno, "terminal: unlockpt");
	s = open_slave (m, err);
	if (s < 0)
		return s;
	ret = sane_termios (s, err);
	if (ret < 0)
		return ret;
	/* The process must be able to reopen its own terminal (runc): the
	 * pty goes to its user; the group stays devpts's (tty), which write(1)
	 * and friends rely on. */
	if (p != NULL && p->user.uid != 0 && fchown (s, p->user.uid, (gid_t)-1) < 0)
		return keel_error (err, errno, "terminal: chown the pty slave to uid %u",
		                   (unsigned)p->user.uid);
	if (p != NULL && p->has_console_size) {
		struct winsize ws = {
		        .ws_row = (unsigned short)p->console_height,
		        .ws_col = (unsigned short)p->console_width,
		};
		if (ioctl (m, TIOCSWINSZ, &ws) < 0)
			return keel_error (err, errno, "terminal: set the console size %ux%u",
			                   p->console_width, p->console_height);
	}
	*master = steal_fd (&m);
	*slave = steal_fd (&s);
	return 0;
}

int terminal_slave_path (int master, char **path, struct keel_error **err)
{
	char buf[64];
	int ret;

	ret = ptsname_r (master, buf, sizeof buf);
	if (ret != 0)
		return keel_error (err, ret, "terminal: ptsname");
	*path = xstrdup (buf);
	return 0;
}

int terminal_send_master (const char *console_socket_path, int master, struct keel_error **err)
{
	char name[64];

	/* runc sends the name of the pty with the fd; receivers that read it
	 * get the slave's path, the one useful name. */
	if (ptsname_r (master, name, sizeof name) != 0)
		snprintf (name, sizeof name, "/dev/ptmx");
	if (unix_send_fd (console_socket_path, name, strlen (name), master, err) < 0)
		return keel_error_wrap (err, "terminal: console socket");
	return 0;
}

int terminal_recv_fd (int sock, int *fd, struct keel_error **err)
{
	char buf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};

	if (unix_recvmsg_fd (sock, &iov, 1, 0, fd) < 0)
		return keel_error (err, errno, "terminal: recvmsg");
	if (*fd < 0)
		return keel_error (err, EBADMSG, "terminal: no file descriptor in the message");
	return 0;
}

int terminal_setup_slave (int slave, struct keel_error **err)
{
	/* EPERM: already a session leader (e.g. the caller did it): fine. */
	if (setsid () < 0 && errno != EPERM)
		return keel_error (err, errno, "terminal: setsid");
	if (ioctl (slave, TIOCSCTTY, 0) < 0)
		return keel_error (err, errno, "terminal: make the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (slave != i && dup2 (slave, i) < 0)
			return keel_error (err, errno, "terminal: dup2 the pty onto fd %d", i);
	if (slave > 2 && close (slave) < 0)
		return keel_error (err, errno, "terminal: close the pty slave");
	return 0;
}

int terminal_setup_process (const struct spec_process *p, int sync_fd, bool console,
                            struct keel_error **err)
{
	cleanup_close int master = -1, slave = -1;
	int ret;

	ret = terminal_open_pty (p, &master, &slave, err);
	if (ret == 0 && console)
		ret = devices_bind_console ("/", slave, err);
	if (ret == 0)
		ret = sync_send (sync_fd, SYNC_CONSOLE, 0, master, NULL, err);
	if (ret == 0)
		ret = terminal_setup_slave (slave, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.terminal");
	return 0;
}
