/* fstab lines mounted at boot in helpers; see mounter.h. */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "init/devwait.h"
#include "init/mounter.h"
#include "lib/log.h"
#include "lib/util.h"
#include "runtime/exec.h"

/* Without uevents (a build without CONFIG_UDEV), look again this often. */
#define MOUNTER_POLL_MS 1000

/* ---- the helper (a child process: may block, never returns) ------------------- */

static void report (int fd, char kind, const char *msg)
{
	cleanup_free char *line = xasprintf ("%c%s\n", kind, msg ? msg : "");
	size_t n = strlen (line);

	/* one line; the pipe is empty and its buffer far larger */
	if (write (fd, line, n) != (ssize_t)n)
		_exit (3);
}

/* mkdir -p, as systemd does for a missing mount point; a read-only root
 * makes the mount itself fail with the message that says so. */
static void make_mount_point (const char *target)
{
	cleanup_free char *p = xstrdup (target);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir (p, 0755);
		*s = '/';
	}
	(void)mkdir (p, 0755);
}

/* The value libblkid gives for a tag (PARTUUID= is the partition table's
 * entry, not the file system's). */
static const char *probe_value_name (enum fstab_tag t)
{
	switch (t) {
	case FSTAB_PARTUUID:
		return "PART_ENTRY_UUID";
	case FSTAB_PARTLABEL:
		return "PART_ENTRY_NAME";
	default:
		return fstab_tag_name (t);
	}
}

/* In a child per device: does /dev/NAME carry the tag?  Writes NAME on out
 * when it does. */
static void probe_one (int out, const char *name, const struct fstab_entry *e)
{
	cleanup_free char *dev = xasprintf ("/dev/%s", name);
	blkid_probe pr = blkid_new_probe_from_filename (dev);
	const char *v = NULL;

	if (pr == NULL)
		_exit (1);
	blkid_probe_enable_superblocks (pr, 1);
	blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
	                                               BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions (pr, 1);
	blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe (pr) == 0 &&
	    blkid_probe_lookup_value (pr, probe_value_name (e->tag), &v, NULL) == 0 && v &&
	    strcmp (v, e->tag_value) == 0)
		report (out, '/', name);
	blkid_free_probe (pr);
	_exit (0);
}

/* LABEL=, UUID=, PARTUUID=, PARTLABEL=: no udevd means no
 * /dev/disk/by-label, so every block device the kernel lists is probed
 * with libblkid -- each in a process of its own, so that one device that
 * hangs on reads (a broken disk) does not keep the others from being
 * found; the first that carries the tag wins.  NULL when none does (or
 * none answers: then the helper waits here until PID 1's deadline). */
static char *find_by_tag (const struct fstab_entry *e, int report_fd)
{
	DIR *d = opendir ("/sys/class/block");
	struct dirent *de;
	char line[300];
	size_t len = 0;
	int p[2];

	if (d == NULL || pipe2 (p, O_CLOEXEC) < 0) {
		if (d)
			closedir (d);
		return NULL;
	}
	while ((de = readdir (d)) != NULL) {
		pid_t pid;

		if (de->d_name[0] == '.' || strlen (de->d_name) > 200)
			continue;
		pid = fork ();
		if (pid == 0) {
			/* a prober that hangs must not hold PID 1's pipe */
			close (report_fd);
			close (p[0]);
			probe_one (p[1], de->d_name, e);
		}
	}
	closedir (d);
	close (p[1]);
	/* one line is enough; EOF once every prober is done */
	for (;;) {
		ssize_t n = read (p[0], line + len, sizeof (line) - 1 - len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
		nl = strchr (line, '\n');
		if (nl) {
			*nl = '\0';
			close (p[0]);
			return xasprintf ("/dev/%s", line + 1); /* "/NAME" */
		}
		if (len >= sizeof (line) - 1)
			break;
	}
	close (p[0]);
	return NULL;
}

static int helper_mount (int fd, const struct fstab_entry *e)
{
	cleanup_free char *dev = NULL;
	struct libmnt_context *cx;
	char msg[256] = "";
	int rc;

	if (fstab_tag_name (e->tag)) {
		dev = find_by_tag (e, fd);
		if (dev == NULL) {
			report (fd, 'N', NULL);
			return 0;
		}
	} else {
		struct stat st;

		dev = xstrdup (e->source);
		if (e->tag == FSTAB_PATH && strncmp (dev, "/dev/", 5) == 0 && stat (dev, &st) < 0) {
			if (errno != ENOENT) {
				cleanup_free char *m = xasprintf ("%s: %s", dev, strerror (errno));
				report (fd, 'E', m);
				return 1;
			}
			report (fd, 'N', NULL);
			return 0;
		}
	}
	make_mount_point (e->target);
	cx = mnt_new_context ();
	if (cx == NULL) {
		report (fd, 'E', "libmount: out of memory");
		return 1;
	}
	/* keel has no /sbin/mount.TYPE helpers and no mtab to write; "auto"
	 * is left to libmount, which probes the type with libblkid. */
	mnt_context_disable_helpers (cx, 1);
	mnt_context_disable_mtab (cx, 1);
	if (mnt_context_set_source (cx, dev) < 0 || mnt_context_set_target (cx, e->target) < 0 ||
	    mnt_context_set_options (cx, e->options) < 0 ||
	    (strcmp (e->fstype, "auto") != 0 && mnt_context_set_fstype (cx, e->fstype) < 0)) {
		mnt_free_context (cx);
		report (fd, 'E', "libmount: cannot set up the mount");
		return 1;
	}
	rc = mnt_context_mount (cx);
	if (rc != 0 || mnt_context_get_status (cx) != 1) {
		mnt_context_get_excode (cx, rc, msg, sizeof (msg));
		mnt_free_context (cx);
		if (msg[0] == '\0')
			snprintf (msg, sizeof (msg), "mount failed (libmount %d)", rc);
		report (fd, 'E', msg);
		return 1;
	}
	mnt_free_context (cx);
	report (fd, 'M', dev);
	return 0;
}

/* ---- PID 1's side ------------------------------------------------------------- */

static void arm_timer (struct mounter *m);
static void try_slot (struct mounter *m, size_t k);

static uint64_t deadline_of (const struct mounter *m, const struct fstab_entry *e)
{
	return e->wait_forever ? 0 : m->start_ms + e->wait_ms;
}

static bool unit_lists (const struct unit *u, const char *target)
{
	size_t k;

	for (k = 0; k < u->policy.mounts.n; k++)
		if (strcmp (u->policy.mounts.v[k], target) == 0)
			return true;
	return false;
}

/* Hold back what needs this mount (only that: the rest starts). */
static void block_dependents (struct mounter *m, const char *target, const char *why)
{
	size_t i;

	if (m->set == NULL)
		return;
	for (i = 0; i < m->set->n; i++) {
		struct unit *u = &m->set->v[i];
		cleanup_free char *msg = NULL;

		if (u->state != U_WAITING || !unit_lists (u, target))
			continue;
		msg = xasprintf ("needs mount %s: %s", target, why);
		unit_event_why (m->set, i, UE_BLOCK, msg);
	}
}

static void slot_fail (struct mounter *m, size_t k, char *why /* taken */)
{
	struct mount_slot *s = &m->slot[k];
	const struct fstab_entry *e = &m->tab.v[k];
	size_t j;

	s->state = MS_FAILED;
	free (s->error);
	s->error = why;
	console_status (m->con, e->nofail ? CS_WARN : CS_FAIL, "%s %s (%s, %s:%u): %s",
	                e->nofail ? "Not mounted (nofail):" : "Failed to mount", e->target,
	                e->source, e->file, e->line, why);
	block_dependents (m, e->target, why);
	/* and the lines mounted inside it */
	for (j = 0; j < m->tab.n; j++)
		if (m->slot[j].state == MS_WAIT && fstab_parent (&m->tab, &m->tab.v[j]) == e)
			slot_fail (m, j, xasprintf ("inside %s, which is not mounted", e->target));
}

static void helper_finished (struct mounter *m, size_t k)
{
	struct mount_slot *s = &m->slot[k];
	const struct fstab_entry *e = &m->tab.v[k];
	char *nl;
	size_t j;

	loop_unwatch (m->loop, &s->w);
	close (s->fd);
	s->fd = -1;
	s->helper = 0;
	nl = memchr (s->buf, '\n', s->len);
	if (nl == NULL || s->len == 0) {
		s->state = MS_WAIT;
		slot_fail (m, k, xstrdup ("the mount helper died without a report"));
		return;
	}
	*nl = '\0';
	switch (s->buf[0]) {
	case 'M':
		s->state = MS_MOUNTED;
		s->order = ++m->mounted;
		s->device = xstrdup (s->buf + 1);
		console_status (m->con, CS_OK, "Mounted %s (%s on %s, %s)", e->target, e->source,
		                s->device, e->fstype);
		/* what waited for it: lines inside it, then containers */
		for (j = 0; j < m->tab.n; j++)
			if (m->slot[j].state == MS_WAIT &&
			    fstab_parent (&m->tab, &m->tab.v[j]) == e)
				try_slot (m, j);
		if (m->set)
			unit_requeue_waiting (m->set);
		break;
	case 'N':
		s->state = MS_WAIT;
		if (!s->waited)
			console_status (m->con, CS_NONE, "         Waiting for %s for %s...",
			                e->source, e->target);
		s->waited = true;
		if (s->retry)
			try_slot (m, k);
		break;
	default:
		s->state = MS_WAIT;
		slot_fail (m, k, xstrdup (s->buf[0] == 'E' ? s->buf + 1 : "bad helper report"));
		break;
	}
	arm_timer (m);
}

static void on_helper (struct watch *w, uint32_t events)
{
	struct mount_slot *s = w->arg;
	ssize_t n;

	(void)events;
	for (;;) {
		if (s->len >= sizeof (s->buf) - 1) {
			/* more than one line: the report is complete enough */
			helper_finished (s->m, s->idx);
			return;
		}
		n = read (s->fd, s->buf + s->len, sizeof (s->buf) - 1 - s->len);
		if (n > 0) {
			s->len += (size_t)n;
			/* the report is one line: done, whoever else still
			 * holds the pipe */
			if (memchr (s->buf, '\n', s->len)) {
				helper_finished (s->m, s->idx);
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		helper_finished (s->m, s->idx); /* EOF (or an error): the helper is done */
		return;
	}
}

static void try_slot (struct mounter *m, size_t k)
{
	struct mount_slot *s = &m->slot[k];
	const struct fstab_entry *e = &m->tab.v[k];
	const struct fstab_entry *parent = fstab_parent (&m->tab, e);
	int p[2];
	pid_t pid;

	if (s->state == MS_RUNNING) {
		s->retry = true;
		return;
	}
	if (s->state != MS_WAIT)
		return;
	if (parent && m->slot[parent - m->tab.v].state != MS_MOUNTED)
		return; /* tried again once the parent is mounted */
	s->retry = false;
	if (pipe2 (p, O_CLOEXEC) < 0) {
		slot_fail (m, k, xasprintf ("pipe: %s", strerror (errno)));
		return;
	}
	pid = fork ();
	if (pid < 0) {
		int e2 = errno;
		close (p[0]);
		close (p[1]);
		slot_fail (m, k, xasprintf ("fork the mount helper: %s", strerror (e2)));
		return;
	}
	if (pid == 0) {
		sigset_t none;

		/* not PID 1's blocked signals: SIGTERM at shutdown must work */
		sigemptyset (&none);
		sigprocmask (SIG_SETMASK, &none, NULL);
		signal (SIGPIPE, SIG_DFL);
		close (p[0]);
		/* PID 1's fds (control socket, log pipes, containers' notify
		 * sockets) are not the helper's: one hung on a broken device
		 * for long must not hold them open */
		int keep = p[1];
		struct keel_error *err = NULL;
		if (exec_close_fds_except (3, &keep, 1, &err) < 0)
			keel_error_release (&err); /* close_range missing: carry on */
		prctl (PR_SET_NAME, "keel-mount", 0, 0, 0);
		_exit (helper_mount (p[1], e));
	}
	close (p[1]);
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0 ||
	    loop_watch (m->loop, &s->w, p[0], EPOLLIN, on_helper, s) < 0) {
		/* the helper still runs, unwatched: stop it and say so */
		kill (pid, SIGKILL);
		close (p[0]);
		slot_fail (m, k, xasprintf ("watch the mount helper: %s", strerror (errno)));
		return;
	}
	s->fd = p[0];
	s->helper = pid;
	s->len = 0;
	s->state = MS_RUNNING;
}

static void retry_waiting (struct mounter *m)
{
	size_t k;

	for (k = 0; k < m->tab.n; k++)
		if (m->slot[k].state == MS_WAIT || m->slot[k].state == MS_RUNNING)
			try_slot (m, k);
}

static void arm_timer (struct mounter *m)
{
	uint64_t next = 0, now = console_now_ms ();
	struct itimerspec its = {0};
	size_t k;

	for (k = 0; k < m->tab.n; k++) {
		uint64_t d;

		if (m->slot[k].state != MS_WAIT && m->slot[k].state != MS_RUNNING)
			continue;
		d = deadline_of (m, &m->tab.v[k]);
		if (m->dw == NULL && m->slot[k].state == MS_WAIT &&
		    (d == 0 || d > now + MOUNTER_POLL_MS))
			d = now + MOUNTER_POLL_MS;
		if (d && (next == 0 || d < next))
			next = d;
	}
	if (next) {
		uint64_t in = next > now ? next - now : 1;
		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000L;
	}
	if (timerfd_settime (m->timerfd, 0, &its, NULL) < 0)
		console_status (m->con, CS_WARN, "mounts: timerfd_settime: %s", strerror (errno));
}

static void on_timer (struct watch *w, uint32_t events)
{
	struct mounter *m = w->arg;
	uint64_t now = console_now_ms (), ticks;
	size_t k;

	(void)events;
	if (read (m->timerfd, &ticks, sizeof (ticks)) < 0 && errno != EAGAIN)
		console_status (m->con, CS_WARN, "mounts: timerfd: %s", strerror (errno));
	for (k = 0; k < m->tab.n; k++) {
		struct mount_slot *s = &m->slot[k];
		const struct fstab_entry *e = &m->tab.v[k];
		uint64_t d = deadline_of (m, e);

		if ((s->state != MS_WAIT && s->state != MS_RUNNING) || d == 0 || now < d)
			continue;
		if (s->state == MS_RUNNING) {
			/* a mount stuck on a slow or broken device: SIGKILL
			 * takes effect once the kernel lets go of it */
			kill (s->helper, SIGKILL);
			loop_unwatch (m->loop, &s->w);
			close (s->fd);
			s->fd = -1;
			s->helper = 0;
			s->state = MS_WAIT;
			slot_fail (m, k,
			           xasprintf ("still mounting after %u ms (x-keel.wait=)",
			                      e->wait_ms));
		} else {
			slot_fail (m, k,
			           xasprintf ("%s did not appear within %u ms (x-keel.wait=)",
			                      e->source, e->wait_ms));
		}
	}
	if (m->dw == NULL)
		retry_waiting (m);
	arm_timer (m);
}

static void on_uevent (void *ctx, const char *action, const char *devnode)
{
	bool *any = ctx;
	const char *name = devwait_devname (devnode);
	cleanup_free char *sys = NULL;

	if (name == NULL || strchr (name, '/') ||
	    (strcmp (action, "add") != 0 && strcmp (action, "change") != 0))
		return;
	/* block devices only: a key press or a tty is no reason to probe
	 * every disk again */
	sys = xasprintf ("/sys/class/block/%s", name);
	if (access (sys, F_OK) == 0)
		*any = true;
}

static void on_devices (struct watch *w, uint32_t events)
{
	struct mounter *m = w->arg;
	struct keel_error *err = NULL;
	bool any = false;

	(void)events;
	if (devwait_dispatch (m->dw, on_uevent, &any, &err) < 0) {
		console_status (m->con, CS_WARN, "mounts: uevents: %s", err->msg);
		keel_error_release (&err);
	}
	if (any) {
		retry_waiting (m);
		arm_timer (m);
	}
}

/* Why an entry that needs target cannot have it (malloc'd), or NULL while
 * it may still come. */
static char *why_not (const struct mounter *m, const char *target)
{
	const struct fstab_entry *e = fstab_find (&m->tab, target);

	if (e == NULL && !m->read_any)
		return xasprintf ("needs mount %s: keel mounts fstab only as the machine's init",
		                  target);
	if (e == NULL)
		return xasprintf ("needs mount %s, which no line of %s or %s gives", target,
		                  MOUNTER_FSTAB, MOUNTER_KEEL_FSTAB);
	if (m->slot[e - m->tab.v].state == MS_FAILED)
		return xasprintf ("needs mount %s: %s", target, m->slot[e - m->tab.v].error);
	return NULL;
}

void mounter_open (struct mounter *m, const char *const *files, struct loop *loop,
                   struct unit_set *set, struct console *con)
{
	struct keel_error *err = NULL;
	size_t i, k;

	memset (m, 0, sizeof (*m));
	m->loop = loop;
	m->con = con;
	m->timerfd = -1;
	m->w_timer.fd = m->w_dev.fd = -1;
	m->start_ms = console_now_ms ();
	m->open = true;
	for (const char *const *f = files; *f; f++)
		if (fstab_read (&m->tab, *f, &err) < 0) {
			console_status (con, CS_FAIL, "%s", err->msg);
			keel_error_release (&err);
		}
	for (i = 0; i < m->tab.n_errors; i++)
		console_status (con, CS_FAIL, "%s (line ignored)", m->tab.errors[i]);
	m->slot = xmalloc0 ((m->tab.n + 1) * sizeof (*m->slot));
	for (k = 0; k < m->tab.n; k++) {
		m->slot[k].m = m;
		m->slot[k].idx = k;
		m->slot[k].fd = -1;
		m->slot[k].w.fd = -1;
	}
	m->read_any = files[0] != NULL;
	if (set)
		mounter_attach (m, set);
	if (m->tab.n == 0)
		return;
	m->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timerfd < 0 ||
	    loop_watch (loop, &m->w_timer, m->timerfd, EPOLLIN, on_timer, m) < 0) {
		/* without a timer nothing would time out: mount once, wait never */
		console_status (con, CS_WARN, "mounts: timer: %s", strerror (errno));
	}
	if (devwait_open (&m->dw, &err) < 0) {
		keel_debug ("mounts: no uevents (%s): looking again every %d ms", err->msg,
		            MOUNTER_POLL_MS);
		keel_error_release (&err);
		m->dw = NULL;
	} else if (loop_watch (loop, &m->w_dev, devwait_fd (m->dw), EPOLLIN, on_devices, m) < 0) {
		devwait_free (m->dw);
		m->dw = NULL;
	}
	retry_waiting (m);
	if (m->timerfd >= 0)
		arm_timer (m);
}

void mounter_attach (struct mounter *m, struct unit_set *set)
{
	size_t i, k;

	m->set = set;
	free (m->unit_waiting_said);
	m->n_said = set->n;
	m->unit_waiting_said = xmalloc0 (m->n_said + 1);
	/* A container that needs a mount no line gives, or one that already
	 * failed, never starts. */
	for (i = 0; i < set->n; i++) {
		const struct unit *u = &set->v[i];

		for (k = 0; k < u->policy.mounts.n; k++) {
			cleanup_free char *msg = why_not (m, u->policy.mounts.v[k]);

			if (msg) {
				unit_event_why (set, i, UE_BLOCK, msg);
				break;
			}
		}
	}
}

const struct mount_slot *mounter_store (const struct mounter *m)
{
	const struct fstab_entry *e = m->open ? fstab_store (&m->tab) : NULL;

	return e ? &m->slot[e - m->tab.v] : NULL;
}

bool mounter_ready (struct mounter *m, size_t i)
{
	const struct unit *u;
	size_t k;

	if (m == NULL || !m->open || m->set == NULL || i >= m->set->n)
		return false;
	u = &m->set->v[i];
	for (k = 0; k < u->policy.mounts.n; k++) {
		const struct fstab_entry *e = fstab_find (&m->tab, u->policy.mounts.v[k]);
		cleanup_free char *why = NULL;

		if (e && m->slot[e - m->tab.v].state == MS_MOUNTED)
			continue;
		/* started again (keelctl start) after its mount failed, or
		 * added by a reload: blocked with the reason, not left waiting */
		why = why_not (m, u->policy.mounts.v[k]);
		if (why) {
			unit_event_why (m->set, i, UE_BLOCK, why);
			return false;
		}
		if (i >= m->n_said) {
			/* units added since (a reload) */
			m->unit_waiting_said = xrealloc (m->unit_waiting_said, m->set->n);
			memset (m->unit_waiting_said + m->n_said, 0, m->set->n - m->n_said);
			m->n_said = m->set->n;
		}
		if (!m->unit_waiting_said[i])
			console_status (m->con, CS_NONE, "         Waiting for mount %s for %s...",
			                u->policy.mounts.v[k], u->name);
		m->unit_waiting_said[i] = true;
		return false;
	}
	return true;
}

int mounter_unmount (struct mounter *m)
{
	unsigned o;
	size_t k;
	int left = 0;

	if (!m->open)
		return 0;
	for (k = 0; k < m->tab.n; k++) {
		struct mount_slot *s = &m->slot[k];

		if (s->state != MS_RUNNING)
			continue;
		kill (s->helper, SIGKILL);
		loop_unwatch (m->loop, &s->w);
		close (s->fd);
		s->fd = -1;
		s->state = MS_FAILED;
	}
	/* Newest first: what was mounted inside another comes off first. */
	for (o = m->mounted; o > 0; o--) {
		for (k = 0; k < m->tab.n && m->slot[k].order != o; k++)
			;
		if (k == m->tab.n || m->slot[k].state != MS_MOUNTED)
			continue;
		const char *t = m->tab.v[k].target;
		m->slot[k].state = MS_WAIT;
		if (umount2 (t, 0) == 0) {
			console_status (m->con, CS_OK, "Unmounted %s", t);
			continue;
		}
		left++;
		if (errno == EBUSY && mount (NULL, t, "none", MS_REMOUNT | MS_RDONLY, NULL) == 0)
			console_status (m->con, CS_WARN, "%s is busy: remounted read-only", t);
		else
			console_status (m->con, CS_WARN, "unmount %s: %s", t, strerror (errno));
	}
	return left;
}

void mounter_close (struct mounter *m)
{
	size_t k;

	if (!m->open)
		return;
	for (k = 0; k < m->tab.n; k++) {
		struct mount_slot *s = &m->slot[k];

		if (s->fd >= 0) {
			if (s->state == MS_RUNNING)
				kill (s->helper, SIGKILL);
			loop_unwatch (m->loop, &s->w);
			close (s->fd);
		}
		free (s->device);
		free (s->error);
	}
	loop_unwatch (m->loop, &m->w_timer);
	loop_unwatch (m->loop, &m->w_dev);
	if (m->timerfd >= 0)
		close (m->timerfd);
	if (m->dw)
		devwait_free (m->dw);
	free (m->slot);
	free (m->unit_waiting_said);
	fstab_free (&m->tab);
	m->open = false;
}
