/* containers.d on a persistent disk, the initramfs's as the fallback; see
 * store.h. */
#include "init/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/deploy.h"
#include "init/policy.h"
#include "init/panic.h"
#include "init/update.h"
#include "lib/util.h"
#include "runtime/exec.h"

/* ---- the prepare helper (a child: may block) ----------------------------------- */

/* PID 1's own binary: the sealed copy it runs from. */
const char *store_keel_exe = "/proc/self/exe";

static void say (int out, char kind, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void say (int out, char kind, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *line = NULL;
	va_list ap;
	char *p;

	va_start (ap, fmt);
	if (vasprintf (&msg, fmt, ap) < 0)
		msg = NULL;
	va_end (ap);
	if (msg == NULL)
		return;
	/* one report line each: a message's own newlines would split it */
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	line = xasprintf ("%c%.900s\n", kind, msg);
	(void)!write (out, line, strlen (line));
}

static int fail (int out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int fail (int out, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start (ap, fmt);
	if (vasprintf (&msg, fmt, ap) < 0)
		msg = NULL;
	va_end (ap);
	say (out, 'F', "%s", msg ? msg : "out of memory");
	return -1;
}

/* First boot: copy the initramfs's containers.d, complete and synced,
 * under a temporary name, then rename it into place. */
static int seed (int mfd, const char *mount_point, const char *fallback, int out)
{
	struct keel_error *err = NULL;
	struct stat st;
	int sfd;

	if (fstatat (mfd, STORE_SEED, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* a seed a power cut interrupted: never used, made again */
		if (deploy_remove_tree (mfd, STORE_SEED, &err) < 0) {
			cleanup_free char *m = keel_error_take (&err);
			return fail (out, "removing the unfinished %s/%s: %s", mount_point,
			             STORE_SEED, m);
		}
	}
	if (update_copy_tree (AT_FDCWD, fallback, mfd, STORE_SEED, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		return fail (out, "seeding from %s: %s", fallback, m);
	}
	sfd = openat (mfd, STORE_SEED, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || syncfs (sfd) < 0) {
		int e = errno;
		if (sfd >= 0)
			close (sfd);
		return fail (out, "seeding: syncfs %s/%s: %s", mount_point, STORE_SEED,
		             strerror (e));
	}
	close (sfd);
	/* The rename is the commit; the fsync of the mount point makes it
	 * durable. */
	if (renameat (mfd, STORE_SEED, mfd, STORE_SUBDIR) < 0 || fsync (mfd) < 0)
		return fail (out, "seeding: rename to %s/%s: %s", mount_point, STORE_SUBDIR,
		             strerror (errno));
	say (out, 'I', "Seeded %s/%s from the initramfs's %s", mount_point, STORE_SUBDIR, fallback);
	return 0;
}

/* `keel check DIR` in a process of its own (PID 1's loading code with
 * nothing started).  Its stdout and stderr are one pipe, read to the end
 * here: keel's console reopens its fd 1, which on a file or memfd would
 * start writing again at offset 0, over the lines before.  *text gets what
 * it printed (the first MiB); returns its exit status (2 when it could
 * not run). */
static int run_check (const char *dir, char **text)
{
	size_t len = 0, cap = 1 << 20;
	int p[2], status;
	pid_t pid;

	*text = xmalloc0 (cap + 1);
	if (pipe2 (p, O_CLOEXEC) < 0)
		return 2;
	pid = fork ();
	if (pid < 0) {
		close (p[0]);
		close (p[1]);
		return 2;
	}
	if (pid == 0) {
		char *argv[] = {(char *)"keel", (char *)"check", (char *)dir, NULL};
		int devnull = open ("/dev/null", O_RDONLY);

		if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (p[1], 1) < 0 ||
		    dup2 (p[1], 2) < 0)
			_exit (2);
		execv (store_keel_exe, argv);
		_exit (2);
	}
	close (p[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read (p[0], buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < cap) {
			size_t k = (size_t)n < cap - len ? (size_t)n : cap - len;
			memcpy (*text + len, buf, k);
			len += k;
		}
	}
	close (p[0]);
	while (waitpid (pid, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	return WIFEXITED (status) ? WEXITSTATUS (status) : 2;
}

static bool listed (char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp (names[i], name) == 0)
			return true;
	return false;
}

/* Whether check's output has the line "DIR/NAME: ok". */
static bool accepted (const char *out, const char *dir, const char *name)
{
	cleanup_free char *want = xasprintf ("%s/%s: ok\n", dir, name);
	const char *p;

	for (p = out; (p = strstr (p, want)) != NULL; p++)
		if (p == out || p[-1] == '\n')
			return true;
	return false;
}

/* The first line of check's messages about DIR/NAME, for the reason. */
static char *first_line_about (const char *text, const char *dir, const char *name)
{
	cleanup_free char *pat = xasprintf ("%s/%s", dir, name);
	const char *p = text;

	while ((p = strstr (p, pat)) != NULL) {
		const char *after = p + strlen (pat);
		if (*after == '/' || *after == ':' || *after == ' ') {
			const char *b = p, *e = strchr (p, '\n');
			while (b > text && b[-1] != '\n' && b[-1] != ']')
				b--; /* from the path on: no timestamp, no [FAILED] */
			while (*b == ' ')
				b++;
			return xasprintf ("%.*s", (int)(e ? (size_t)(e - b) : strlen (b)), b);
		}
		p = after;
	}
	return xstrdup ("refused by keel check");
}

/* keel check the disk's containers.d; an entry it refuses is damage unless
 * the initramfs's own containers.d refuses it as well (an image may ship
 * a broken entry: the boot reports it either way, and the disk is no
 * worse). */
static int check_store (const char *dir, const char *fallback, int out)
{
	struct keel_error *err = NULL;
	cleanup_free char *text = NULL, *ftext = NULL;
	char **names = NULL, **fnames = NULL;
	size_t n = 0, fn = 0, i;
	int rc, ret = 0;

	rc = run_check (dir, &text);
	if (rc == 0)
		return 0;
	if (rc != 1)
		return fail (out, "keel check %s could not run (status %d)", dir, rc);
	if (sup_list_entries (dir, &names, &n, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		return fail (out, "%s", m);
	}
	if (sup_list_entries (fallback, &fnames, &fn, &err) < 0)
		keel_error_release (&err); /* then no entry of it counts */
	(void)run_check (fallback, &ftext);
	for (i = 0; i < n; i++) {
		bool in_fallback = listed (fnames, fn, names[i]);

		if (ret == 0 && !accepted (text, dir, names[i]) &&
		    (!in_fallback || accepted (ftext, fallback, names[i]))) {
			cleanup_free char *why = first_line_about (text, dir, names[i]);
			ret = fail (out, "keel check refuses %s, which the initramfs's %s %s: %s",
			            names[i], fallback, in_fallback ? "accepts" : "does not have",
			            why);
		}
	}
	for (i = 0; i < n; i++)
		free (names[i]);
	for (i = 0; i < fn; i++)
		free (fnames[i]);
	free (names);
	free (fnames);
	return ret;
}

/* ".NAME.update.PID": the work directory of a `keelctl update` (update.c)
 * that the machine went down in the middle of.  At boot no update runs,
 * so it is debris; left there, it would also stop a later update that
 * happens to run with the same pid (a container's pids repeat from boot
 * to boot). */
static bool update_debris (const char *n)
{
	const char *dot = n[0] == '.' ? strstr (n + 1, ".update.") : NULL;
	cleanup_free char *name = NULL;

	if (dot == NULL || dot[8] == '\0' || strspn (dot + 8, "0123456789") != strlen (dot + 8))
		return false;
	name = xasprintf ("%.*s", (int)(dot - n - 1), n + 1);
	return policy_valid_name (name);
}

/* Repairs, debris and pending switches, entry by entry. */
static int repair_all (int cdfd, const char *dir, int out)
{
	struct keel_error *err = NULL;
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	/* At boot nothing else writes the store yet; the lock is every
	 * writer's rule all the same (deploy.h). */
	cleanup_close int lockfd = deploy_lock (cdfd, DEPLOY_LOCK_WAIT_MS, &err);
	DIR *d;
	int ret = 0;

	if (lockfd < 0) {
		cleanup_free char *m = keel_error_take (&err);
		return fail (out, "%s: %s", dir, m);
	}
	d = fdopendir (dup (cdfd));
	if (d == NULL)
		return fail (out, "read %s: %s", dir, strerror (errno));
	/* names first: the loop below removes some */
	for (;;) {
		errno = 0;
		de = readdir (d);
		if (de == NULL)
			break;
		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		names = xrealloc (names, (n + 1) * sizeof (*names));
		names[n++] = xstrdup (de->d_name);
	}
	if (errno != 0)
		ret = fail (out, "read %s: %s", dir, strerror (errno));
	closedir (d);
	for (i = 0; ret == 0 && i < n; i++) {
		cleanup_free char *msg = NULL;
		struct stat st;
		int r;

		if (update_debris (names[i])) {
			if (deploy_remove_tree (cdfd, names[i], &err) < 0) {
				cleanup_free char *m = keel_error_take (&err);
				ret = fail (out, "removing %s/%s: %s", dir, names[i], m);
			} else
				say (out, 'W',
				     "Removed %s/%s, an update's copy the machine went down "
				     "in the middle of",
				     dir, names[i]);
			continue;
		}
		if (names[i][0] == '.')
			continue;
		if (deploy_repair (cdfd, names[i], &err) < 0) {
			cleanup_free char *m = keel_error_take (&err);
			ret = fail (out, "repairing the deployments of %s: %s", names[i], m);
			break;
		}
		if (fstatat (cdfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK (st.st_mode))
			continue;
		/* what main.c's deploy_boot_all does for the initramfs */
		r = deploy_boot_check (cdfd, names[i], &msg, &err);
		if (r < 0) {
			cleanup_free char *m = keel_error_take (&err);
			ret = fail (out, "%s: %s", names[i], m);
		} else if (r > 0)
			say (out, 'W', "%s", msg);
	}
	for (i = 0; i < n; i++)
		free (names[i]);
	free (names);
	return ret;
}

int store_prepare (const char *mount_point, const char *fallback, int out)
{
	cleanup_close int mfd = -1, cdfd = -1;
	cleanup_free char *dir = xasprintf ("%s/%s", mount_point, STORE_SUBDIR);
	struct stat st;
	int ret;

	mfd = open (mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return fail (out, "open %s: %s", mount_point, strerror (errno));
	if (fstatat (mfd, STORE_SUBDIR, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return fail (out, "%s: %s", dir, strerror (errno));
		if (seed (mfd, mount_point, fallback, out) < 0)
			return -1;
	} else if (!S_ISDIR (st.st_mode))
		return fail (out, "%s is not a directory", dir);
	cdfd = openat (mfd, STORE_SUBDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cdfd < 0)
		return fail (out, "open %s: %s", dir, strerror (errno));
	ret = repair_all (cdfd, dir, out);
	if (ret == 0)
		ret = check_store (dir, fallback, out);
	if (ret == 0)
		say (out, 'S', "%s", dir);
	return ret;
}

/* ---- PID 1's side ---------------------------------------------------------------- */

struct prep {
	pid_t pid;
	int fd;
	struct watch w;
	char buf[65536]; /* the outcome and the console lines: one per entry at most */
	size_t len;
	bool done;
	int timerfd;
	struct watch w_timer;
	bool expired;
};

static void on_prep (struct watch *w, uint32_t events)
{
	struct prep *p = w->arg;

	(void)events;
	for (;;) {
		ssize_t n;

		if (p->len >= sizeof (p->buf) - 1) {
			p->done = true; /* enough said */
			return;
		}
		n = read (p->fd, p->buf + p->len, sizeof (p->buf) - 1 - p->len);
		if (n > 0) {
			p->len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		p->done = true; /* EOF: the helper is done */
		return;
	}
}

static void on_prep_timer (struct watch *w, uint32_t events)
{
	struct prep *p = w->arg;

	(void)events;
	p->expired = true;
}

/* PID 1's loop until *a or *b, or the store's line settled, or a
 * shutdown request: signals, reaping, mount helpers and uevents go on as
 * usual; nothing here blocks but epoll_wait. */
static void run_until (struct sup *s, const bool *a, const bool *b, const struct mount_slot *slot)
{
	for (;;) {
		struct keel_error *err = NULL;
		bool backlog;

		if (s->shutting_down || (a && *a) || (b && *b))
			return;
		if (slot && slot->state != MS_WAIT && slot->state != MS_RUNNING)
			return;
		/* the console's own watch is the supervisor's: until then
		 * look again soon when it is behind */
		backlog = !console_flush (s->con);
		if (loop_once (&s->loop, backlog ? 50 : -1, &err) < 0) {
			cleanup_free char *m = keel_error_take (&err);
			keel_panic (s->opts, m);
		}
	}
}

static void relay (struct sup *s, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		if (line[0] == 'I')
			console_status (s->con, CS_OK, "%s", line + 1);
		else if (line[0] == 'W')
			console_status (s->con, CS_WARN, "%s", line + 1);
	}
}

/* The prepare helper; returns the outcome ("S..." / "F...") or a reason. */
static char *prepare (struct sup *s, const char *mount_point)
{
	struct prep p = {.fd = -1, .timerfd = -1, .w = {.fd = -1}, .w_timer = {.fd = -1}};
	struct itimerspec its = {.it_value = {.tv_sec = STORE_PREPARE_MS / 1000}};
	int pfd[2];
	char *outcome = NULL, *line;

	if (pipe2 (pfd, O_CLOEXEC) < 0)
		return xasprintf ("Fpipe: %s", strerror (errno));
	p.pid = fork ();
	if (p.pid < 0) {
		int e = errno;
		close (pfd[0]);
		close (pfd[1]);
		return xasprintf ("Ffork the prepare helper: %s", strerror (e));
	}
	if (p.pid == 0) {
		struct keel_error *err = NULL;
		sigset_t none;
		int keep = pfd[1];

		sigemptyset (&none);
		sigprocmask (SIG_SETMASK, &none, NULL);
		signal (SIGPIPE, SIG_DFL);
		close (pfd[0]);
		if (exec_close_fds_except (3, &keep, 1, &err) < 0)
			keel_error_release (&err);
		prctl (PR_SET_NAME, "keel-store", 0, 0, 0);
		_exit (store_prepare (mount_point, s->opts->dir, pfd[1]) == 0 ? 0 : 1);
	}
	close (pfd[1]);
	p.fd = pfd[0];
	p.timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fcntl (p.fd, F_SETFL, O_NONBLOCK) < 0 ||
	    loop_watch (&s->loop, &p.w, p.fd, EPOLLIN, on_prep, &p) < 0 || p.timerfd < 0 ||
	    timerfd_settime (p.timerfd, 0, &its, NULL) < 0 ||
	    loop_watch (&s->loop, &p.w_timer, p.timerfd, EPOLLIN, on_prep_timer, &p) < 0) {
		/* unwatched, it would run on unbounded: stop it */
		outcome = xasprintf ("Fwatch the prepare helper: %s", strerror (errno));
	} else {
		run_until (s, &p.done, &p.expired, NULL);
	}
	loop_unwatch (&s->loop, &p.w);
	loop_unwatch (&s->loop, &p.w_timer);
	if (p.timerfd >= 0)
		close (p.timerfd);
	close (p.fd);
	if (!p.done) {
		/* reaped by the supervisor's sweep as an orphan */
		kill (p.pid, SIGKILL);
		if (outcome)
			return outcome;
		if (s->shutting_down)
			return xstrdup ("Fthe machine is shutting down");
		return xasprintf ("Fpreparing it took longer than %u s (a disk that hangs?)",
		                  STORE_PREPARE_MS / 1000);
	}
	p.buf[p.len] = '\0';
	/* the outcome is the last line; the others are for the console */
	for (line = p.buf + p.len; line > p.buf && line[-1] == '\n';)
		*--line = '\0';
	while (line > p.buf && line[-1] != '\n')
		line--;
	outcome = xstrdup (line[0] == 'S' || line[0] == 'F'
	                           ? line
	                           : "Fthe prepare helper ended without an outcome");
	if (line > p.buf) {
		line[-1] = '\0';
		relay (s, p.buf);
	}
	return outcome;
}

char *store_boot (struct sup *s, struct mounter *m)
{
	const struct mount_slot *slot = mounter_store (m);
	const struct fstab_entry *e;
	cleanup_free char *outcome = NULL;

	if (slot == NULL)
		return NULL;
	e = &m->tab.v[slot->idx];
	if (s->opts->store_off) {
		/* by hand, for a store that boots but runs something bad: the
		 * disk is still mounted as a line of fstab */
		console_status (s->con, CS_WARN,
		                "containers.d: keel.store=off on the kernel command line: booting "
		                "the initramfs's %s, not the store on %s",
		                s->opts->dir, e->source);
		return NULL;
	}
	/* the fstab line's own wait (x-keel.wait=) bounds this */
	run_until (s, NULL, NULL, slot);
	if (slot->state != MS_MOUNTED)
		outcome = xasprintf ("F%s",
		                     slot->error ? slot->error : "the machine is shutting down");
	else
		outcome = prepare (s, e->target);
	if (outcome[0] == 'S') {
		console_status (s->con, CS_OK, "containers.d: %s (the store on %s)", outcome + 1,
		                e->source);
		return xstrdup (outcome + 1);
	}
	console_status (s->con, CS_FAIL,
	                "containers.d: the store on %s (%s:%u) cannot be used: %s; booting the "
	                "initramfs's %s",
	                e->source, e->file, e->line, outcome + 1, s->opts->dir);
	return NULL;
}
