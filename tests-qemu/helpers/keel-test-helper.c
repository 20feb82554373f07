/* keel-test-helper: what the QEMU scenarios need inside a busybox
 * container that busybox cannot do.  Built static at test time and put in
 * every generated rootfs as /bin/keel-test-helper.
 *
 *   keel-test-helper notify MESSAGE...  send MESSAGE (e.g. READY=1) to
 *                                       $NOTIFY_SOCKET (sd_notify protocol),
 *                                       then BARRIER=1: stay alive until the
 *                                       receiver has read it, so it can tell
 *                                       which container the sender is in
 *   keel-test-helper hog MB             allocate and touch MB MiB, 1 MiB at a
 *                                       time, printing progress every 8 MiB
 *   keel-test-helper forks N            fork up to N sleeping children and
 *                                       report how many the kernel allowed
 *   keel-test-helper under PROG ARG...  unmount the container's root
 *                                       (MNT_DETACH), enter its own mount
 *                                       namespace again (setns puts the root
 *                                       on what lies under it) and exec PROG
 *                                       there: what a container with
 *                                       CAP_SYS_ADMIN finds under its root
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* sd_notify's BARRIER=1: pass the write end of a pipe and wait until the
 * receiver closes it, which it does after handling every earlier message. */
static int barrier (int fd, struct sockaddr_un *sa, socklen_t len)
{
	static char text[] = "BARRIER=1";
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE (sizeof (int))];
	} c;
	struct iovec iov = { .iov_base = text, .iov_len = sizeof text - 1 };
	struct msghdr mh = {
		.msg_name = sa,
		.msg_namelen = len,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &c,
		.msg_controllen = sizeof c,
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
	struct pollfd pfd;
	int p[2];

	if (pipe2 (p, O_CLOEXEC) < 0) {
		perror ("notify: pipe");
		return -1;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN (sizeof (int));
	memcpy (CMSG_DATA (cm), &p[1], sizeof (int));
	if (sendmsg (fd, &mh, MSG_NOSIGNAL) < 0) {
		fprintf (stderr, "notify: send BARRIER=1: %s\n", strerror (errno));
		return -1;
	}
	close (p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll (&pfd, 1, 5000) <= 0) {
		fprintf (stderr, "notify: no answer to BARRIER=1 within 5 s\n");
		return -1;
	}
	close (p[0]);
	return 0;
}

static int notify (int argc, char **argv)
{
	const char *path = getenv ("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[4096] = "";
	socklen_t len;
	int fd, i;

	if (path == NULL || *path == '\0') {
		fprintf (stderr, "notify: NOTIFY_SOCKET is not set\n");
		return 1;
	}
	if (strlen (path) >= sizeof (sa.sun_path)) {
		fprintf (stderr, "notify: NOTIFY_SOCKET too long\n");
		return 1;
	}
	strcpy (sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = offsetof (struct sockaddr_un, sun_path) + strlen (path);
	for (i = 0; i < argc; i++) {
		if (strlen (msg) + strlen (argv[i]) + 2 >= sizeof (msg))
			break;
		if (i)
			strcat (msg, "\n");
		strcat (msg, argv[i]);
	}
	fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror ("notify: socket");
		return 1;
	}
	if (sendto (fd, msg, strlen (msg), 0, (struct sockaddr *) &sa, len) < 0) {
		fprintf (stderr, "notify: sendto %s: %s\n", path, strerror (errno));
		return 1;
	}
	if (barrier (fd, &sa, len) < 0)
		return 1;
	close (fd);
	printf ("notify: sent \"%s\" to %s\n", msg, path);
	return 0;
}

static int hog (long mb)
{
	long i;

	for (i = 1; i <= mb; i++) {
		char *p = malloc (1 << 20);
		if (p == NULL) {
			printf ("hog: malloc failed at %ld MiB\n", i);
			return 1;
		}
		memset (p, 0x5a, 1 << 20);
		if (i % 8 == 0) {
			printf ("hog: %ld MiB\n", i);
			fflush (stdout);
		}
	}
	printf ("hog: got all %ld MiB\n", mb);
	return 0;
}

static int forks (long n)
{
	pid_t *pids = calloc ((size_t) n, sizeof (*pids));
	long i, made = 0;

	if (pids == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		pid_t pid = fork ();
		if (pid == 0) {
			pause ();
			_exit (0);
		}
		if (pid < 0) {
			printf ("forks: fork failed after %ld children: %s\n", i, strerror (errno));
			break;
		}
		pids[made++] = pid;
	}
	if (made == n)
		printf ("forks: all %ld children forked\n", n);
	for (i = 0; i < made; i++)
		kill (pids[i], SIGKILL);
	for (i = 0; i < made; i++)
		waitpid (pids[i], NULL, 0);
	free (pids);
	return made == n ? 0 : 3;
}

/* The namespace's fd is opened first: the unmount takes /proc with it. */
static int under (char **argv)
{
	int ns = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (ns < 0 || umount2 ("/", MNT_DETACH) < 0 || setns (ns, CLONE_NEWNS) < 0 ||
	    chdir ("/") < 0) {
		printf ("under: %s\n", strerror (errno));
		return 1;
	}
	execv (argv[0], argv);
	printf ("under: exec %s: %s\n", argv[0], strerror (errno));
	return 127;
}

int main (int argc, char **argv)
{
	setvbuf (stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp (argv[1], "notify") == 0)
		return notify (argc - 2, argv + 2);
	if (argc == 3 && strcmp (argv[1], "hog") == 0)
		return hog (atol (argv[2]));
	if (argc == 3 && strcmp (argv[1], "forks") == 0)
		return forks (atol (argv[2]));
	if (argc >= 3 && strcmp (argv[1], "under") == 0)
		return under (argv + 2);
	fprintf (stderr, "usage: keel-test-helper notify MSG... | hog MB | forks N | under PROG ARG...\n");
	return 2;
}
