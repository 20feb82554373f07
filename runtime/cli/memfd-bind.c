/* keel-runtime memfd-bind [--cleanup] FILE: keel's binary at FILE's path
 * replaced, for everything that runs it, by a sealed copy in memory.
 *
 * A keel command that makes container processes re-execs itself at
 * start from a protected file (lib/selfclone.h, CVE-2019-5736), unless
 * the file it runs from is protected already: a memfd carrying every
 * seal.  This command makes one such memfd and mounts it over FILE, so
 * each `run`, `create` and `exec` started from FILE skips its own clone
 * (docs/performance.md, "The tenth pass": a tenth of keel's CPU time
 * for a `run` of /bin/true).  runc ships the same tool
 * (contrib/cmd/memfd-bind).
 *
 * A memfd cannot be bind-mounted itself: its file lives on the kernel's
 * internal shm mount, which is in no mount namespace.  What gets mounted
 * is this process's /proc/PID/fd/N magic link, opened without following
 * it; a lookup of FILE then follows the link to the memfd.  Hence the
 * process stays, holding the memfd at that fd number, until SIGTERM,
 * SIGINT or SIGHUP, and then takes its mount away.  Killed without that,
 * it leaves a mount that leads nowhere (an open of FILE fails): the next
 * memfd-bind, or one with --cleanup, removes it.  Following the link needs
 * ptrace access to this process, so only root can run keel from FILE
 * while it is bound; and FILE cannot be replaced (an upgrade) while a
 * mount is on it: stop memfd-bind first.
 *
 * What a container could do with it: reach the memfd through
 * /proc/PID/exe of a process keel put into it (runtime-exe.sh runs those
 * attacks on a bound binary too) and find it sealed against every write,
 * shrink and grow, for good (F_SEAL_SEAL).  The mount is in the caller's
 * mount namespace, never in a container's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/stat.h>

#include "lib/log.h"
#include "lib/selfclone.h"
#include "lib/util.h"
#include "runtime/cli/command.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#define PROC_SUPER_MAGIC 0x9fa0

/* Earlier binds stacked on one path are few; more means something else. */
#define MAX_LEFT_BINDS 64

static const char memfd_bind_usage[] =
        "memfd-bind [--cleanup] FILE\n"
        "\n"
        "Mount a sealed copy in memory of FILE (keel's binary) over FILE, so that\n"
        "keel run from FILE skips its re-exec from a protected copy: it runs from\n"
        "one already.  Stays in the foreground, holding the copy, and prints\n"
        "`ready` once the mount is there; on SIGTERM, SIGINT or SIGHUP it takes\n"
        "the mount away and exits.  First removes what an earlier memfd-bind that\n"
        "was killed left on FILE; refuses a FILE that one still running holds.\n"
        "Only root can run keel from FILE while it is bound; stop memfd-bind\n"
        "before replacing FILE.\n"
        "\n"
        "      --cleanup   only remove earlier memfd-binds' mounts from FILE\n";

static char *fd_path (char buf[static 32], int fd)
{
	snprintf (buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* path opened without following it: the file itself, or the root of a
 * mount on it. */
static int open_nofollow (const char *path, struct keel_error **err)
{
	int fd = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return keel_error (err, errno, "memfd-bind: open `%s`", path);
	return fd;
}

/* fd (open_nofollow's) is what a memfd-bind mounts: a /proc magic link
 * that is the root of a mount.  A magic link elsewhere (FILE given as
 * /proc/self/exe) is not a mount root and is left alone. */
static bool is_memfd_bind (int fd)
{
	struct statfs sfs;
	struct statx sx;

	if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	if (syscall (SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &sx) < 0 ||
	    !S_ISLNK (sx.stx_mode))
		return false;
	return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* The inode a memfd-bind on path leads to, or false when it leads
 * nowhere (its memfd-bind was killed: the magic link's process is gone). */
static bool bind_target (const char *path, struct stat *st)
{
	return stat (path, st) == 0;
}

/* Unmount the memfd-binds stacked on path: all of them, alive or not,
 * when only is NULL; else the top one if it leads to only's memfd (ours),
 * and none when it does not.  *n counts them.  Leaves *fd open on what
 * path names after that. */
static int remove_binds (const char *path, const struct stat *only, int *fd, int *n,
                         struct keel_error **err)
{
	char buf[32];
	struct stat st;

	*n = 0;
	*fd = open_nofollow (path, err);
	while (*fd >= 0 && is_memfd_bind (*fd)) {
		if (only != NULL && (!bind_target (path, &st) || st.st_dev != only->st_dev ||
		                     st.st_ino != only->st_ino))
			break;
		if (*n == MAX_LEFT_BINDS)
			return keel_error (err, 0, "memfd-bind: `%s`: more than %d mounts on it",
			                   path, MAX_LEFT_BINDS);
		/* Through the fd: a lookup of path would follow the link. */
		if (umount2 (fd_path (buf, *fd), MNT_DETACH) < 0)
			return keel_error (err, errno, "memfd-bind: unmount the memfd-bind on `%s`",
			                   path);
		(*n)++;
		close (*fd);
		*fd = open_nofollow (path, err);
		if (only != NULL)
			break;
	}
	return *fd < 0 ? -1 : 0;
}

/* What is left on path of memfd-binds killed without their cleanup goes;
 * a live one is refused (its process would otherwise, at its own exit,
 * take away a mount of ours).  *fd: path itself, a regular file. */
static int clear_path (const char *path, int *fd, struct keel_error **err)
{
	struct stat st;
	int n;

	*fd = open_nofollow (path, err);
	if (*fd < 0)
		return -1;
	if (is_memfd_bind (*fd) && bind_target (path, &st))
		return keel_error (err, 0,
		                   "memfd-bind: `%s` is bound by a memfd-bind that is still "
		                   "running; stop it first",
		                   path);
	close (*fd);
	if (remove_binds (path, NULL, fd, &n, err) < 0)
		return -1;
	if (n > 0)
		keel_log (KEEL_LOG_WARNING, "memfd-bind: removed %d stale mount%s from `%s`", n,
		          n == 1 ? "" : "s", path);
	if (fstat (*fd, &st) < 0)
		return keel_error (err, errno, "memfd-bind: stat `%s`", path);
	if (S_ISLNK (st.st_mode))
		return keel_error (err, 0,
		                   "memfd-bind: `%s` is a symbolic link; name the file it "
		                   "points to (the mount goes on that one)",
		                   path);
	if (!S_ISREG (st.st_mode))
		return keel_error (err, 0, "memfd-bind: `%s` is not a regular file", path);
	return 0;
}

/* The sealed copy of the file at target (an O_PATH fd), with its
 * permission bits (a memfd is made 0777). */
static int make_copy (const char *path, int target, struct keel_error **err)
{
	cleanup_close int in = -1, copy = -1;
	struct stat st;
	char buf[32];

	in = open (fd_path (buf, target), O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat (in, &st) < 0)
		return keel_error (err, errno, "memfd-bind: open `%s` for reading", path);
	copy = selfclone_sealed_copy (in, err);
	if (copy < 0)
		return keel_error_wrap (err, "memfd-bind: `%s`", path);
	if (fchmod (copy, st.st_mode & 0777) < 0)
		return keel_error (err, errno, "memfd-bind: chmod the copy of `%s`", path);
	return steal_fd (&copy);
}

/* Mount the copy's magic link over target, then check that path leads to
 * the copy (and unmount again when it does not).  *cst: the copy's
 * identity, which tells our mount from another's at the end. */
static int bind_copy (const char *path, int copy, int target, struct stat *cst,
                      struct keel_error **err)
{
	cleanup_close int link = -1, check = -1;
	char from[32], to[32];
	struct stat a;
	int n;

	if (fstat (copy, cst) < 0)
		return keel_error (err, errno, "memfd-bind: fstat the copy of `%s`", path);
	link = open (fd_path (from, copy), O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (link < 0)
		return keel_error (err, errno, "memfd-bind: open the memfd's /proc link");
	if (mount (fd_path (from, link), fd_path (to, target), "none", MS_BIND, NULL) < 0)
		return keel_error (err, errno, "memfd-bind: mount the sealed copy over `%s`", path);
	/* The copy itself, so sealed as selfclone made it. */
	check = open (path, O_RDONLY | O_CLOEXEC);
	if (check >= 0 && fstat (check, &a) == 0 && a.st_ino == cst->st_ino &&
	    a.st_dev == cst->st_dev)
		return 0;
	keel_error (err, check < 0 ? errno : 0,
	            "memfd-bind: `%s` does not lead to the copy once bound", path);
	close (check);
	check = -1;
	if (remove_binds (path, cst, &check, &n, NULL) < 0)
		keel_log (KEEL_LOG_ERROR, "memfd-bind: could not take the mount off `%s`", path);
	return -1;
}

static int cleanup_only (const char *path, struct keel_error **err)
{
	cleanup_close int fd = -1;
	int n;

	if (remove_binds (path, NULL, &fd, &n, err) < 0)
		return -1;
	printf ("%d mount%s removed from %s\n", n, n == 1 ? "" : "s", path);
	return 0;
}

/* Wait until told to stop (the caller holds the copy, cst), then take our
 * mount (only ours) away. */
static int hold (const char *path, const struct stat *cst, struct keel_error **err)
{
	cleanup_close int fd = -1;
	sigset_t set;
	int sig, n;

	sigemptyset (&set);
	sigaddset (&set, SIGTERM);
	sigaddset (&set, SIGINT);
	sigaddset (&set, SIGHUP);
	if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
		return keel_error (err, errno, "memfd-bind: sigprocmask");
	/* Nothing of the caller's tree stays busy while we wait. */
	if (chdir ("/") < 0)
		return keel_error (err, errno, "memfd-bind: chdir /");
	if (printf ("ready\n") < 0 || fflush (stdout) == EOF)
		keel_log (KEEL_LOG_WARNING, "memfd-bind: could not write `ready`");
	do
		sig = sigwaitinfo (&set, NULL);
	while (sig < 0 && errno == EINTR);
	if (sig < 0)
		return keel_error (err, errno, "memfd-bind: sigwaitinfo");
	if (remove_binds (path, cst, &fd, &n, err) < 0)
		return -1;
	/* Someone's --cleanup took ours away already (and another may be
	 * bound since): nothing of ours is left to undo. */
	if (n == 0)
		keel_log (KEEL_LOG_WARNING, "memfd-bind: `%s`: our mount was gone already", path);
	return 0;
}

int cli_memfd_bind (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"cleanup", no_argument, NULL, 'c'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	cleanup_close int target = -1, copy = -1;
	struct cli_parser p;
	struct stat cst;
	bool cleanup = false;
	const char *path;
	int c, i;

	(void)g;
	cli_parser_init (&p, "memfd-bind", memfd_bind_usage, "", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'c')
			cleanup = true;
		else
			return c == CLI_OPT_HELP ? 0 : 1;
	}
	i = cli_operands (&p, 1, 1, "FILE");
	if (i < 0)
		return 1;
	path = argv[i];
	if (cleanup)
		return cleanup_only (path, &err) < 0 ? cli_fail (&err) : 0;
	if (clear_path (path, &target, &err) < 0)
		return cli_fail (&err);
	copy = make_copy (path, target, &err);
	if (copy < 0 || bind_copy (path, copy, target, &cst, &err) < 0)
		return cli_fail (&err);
	close (target);
	target = -1;
	if (hold (path, &cst, &err) < 0)
		return cli_fail (&err);
	return 0;
}
