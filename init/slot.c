/* Whole-node A/B: the state file, the selector, the mark; see slot.h and
 * docs/deployments.md ("Whole-node A/B"). */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libmount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "init/slot.h"
#include "lib/input.h"
#include "lib/jsonpath.h"
#include "lib/util.h"
#include "runtime/exec.h"

unsigned slot_crash_at;
static unsigned crash_count;

/* A power cut between two steps of a writer, for the unit tests. */
static void crash_point (void)
{
	if (slot_crash_at && ++crash_count == slot_crash_at)
		_exit (0);
}

void slot_state_default (struct slot_state *st)
{
	st->good = 'A';
	st->next = 'A';
	st->tries = 0;
	st->failed = 0;
}

/* ---- boot.json -------------------------------------------------------------- */

static int state_slot (const char *name, json_object *v, const char *key, char *out,
                       struct keel_error **err)
{
	char quoted[24];

	if (!json_object_is_type (v, json_type_string))
		return keel_error (err, 0, "%s: %s: expected \"A\" or \"B\"", name, key);
	/* the length too: "A\u0000B" is "A" to a C string */
	*out = json_object_get_string_len (v) == 1 ? slot_name (json_object_get_string (v)) : 0;
	if (*out == 0) {
		jpath_quote (json_object_get_string (v), quoted, sizeof quoted);
		return keel_error (err, 0, "%s: %s: %s is not a slot (\"A\" or \"B\")", name, key,
		                   quoted);
	}
	return 0;
}

int slot_state_parse (const char *name, const char *text, size_t len, struct slot_state *st,
                      struct keel_error **err)
{
	json_object *root = NULL;
	bool have_good = false, have_next = false;
	int ret = 0;

	if (jpath_parse (name, text, len, &root, err) < 0)
		return -1;
	if (!json_object_is_type (root, json_type_object)) {
		json_object_put (root);
		return keel_error (err, 0, "%s: expected an object", name);
	}
	slot_state_default (st);
	json_object_object_foreach (root, k, v)
	{
		if (strcmp (k, "good") == 0) {
			ret = state_slot (name, v, k, &st->good, err);
			have_good = true;
		} else if (strcmp (k, "next") == 0) {
			ret = state_slot (name, v, k, &st->next, err);
			have_next = true;
		} else if (strcmp (k, "failed") == 0) {
			ret = state_slot (name, v, k, &st->failed, err);
		} else if (strcmp (k, "tries") == 0) {
			int64_t n = json_object_get_int64 (v);

			if (!json_object_is_type (v, json_type_int) || n < 0 || n > SLOT_MAX_TRIES)
				ret = keel_error (err, 0,
				                  "%s: tries: expected an integer from 0 to %d",
				                  name, SLOT_MAX_TRIES);
			else
				st->tries = (unsigned)n;
		} else {
			cleanup_free char *p = jpath_join (NULL, k);
			ret = keel_error (err, 0, "%s: %s: unknown key (good, next, tries, failed)",
			                  name, p);
		}
		if (ret < 0)
			break;
	}
	json_object_put (root);
	if (ret == 0 && (!have_good || !have_next))
		ret = keel_error (err, 0, "%s: %s: missing", name, have_good ? "next" : "good");
	return ret;
}

char *slot_state_format (const struct slot_state *st)
{
	char failed[24] = "";

	if (st->failed)
		snprintf (failed, sizeof failed, ", \"failed\": \"%c\"", st->failed);
	return xasprintf ("{\"good\": \"%c\", \"next\": \"%c\", \"tries\": %u%s}\n", st->good,
	                  st->next, st->tries, failed);
}

int slot_state_read (int dfd, const char *name, struct slot_state *st, bool *missing,
                     struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (missing)
		*missing = false;
	if (input_read_at (dfd, SLOT_STATE_FILE, name, INPUT_NOFOLLOW, SLOT_STATE_MAX, &buf, &len,
	                   err) < 0) {
		if ((*err)->status != ENOENT)
			return -1;
		keel_error_release (err);
		slot_state_default (st);
		if (missing)
			*missing = true;
		return 0;
	}
	return slot_state_parse (name, buf, len, st, err);
}

int slot_state_write (int dfd, const char *name, const struct slot_state *st,
                      struct keel_error **err)
{
	static const char tmp[] = "." SLOT_STATE_FILE ".tmp";
	cleanup_free char *text = slot_state_format (st);
	cleanup_close int fd = -1;

	crash_count = 0;
	fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return keel_error (err, errno, "%s: create `%s`", name, tmp);
	if (write_all (fd, text, strlen (text), err) < 0)
		return keel_error_wrap (err, "%s: write `%s`", name, tmp);
	crash_point ();
	if (fsync (fd) < 0)
		return keel_error (err, errno, "%s: fsync `%s`", name, tmp);
	crash_point ();
	if (renameat (dfd, tmp, dfd, SLOT_STATE_FILE) < 0)
		return keel_error (err, errno, "%s: rename `%s` over it", name, tmp);
	crash_point ();
	/* the rename itself reaches the disk with the directory */
	if (fsync (dfd) < 0)
		return keel_error (err, errno, "%s: fsync its directory", name);
	crash_point ();
	return 0;
}

/* ---- the decisions ------------------------------------------------------------ */

char slot_choose (struct slot_state *st, bool *trial, bool *changed)
{
	*trial = false;
	*changed = false;
	if (st->next == st->good)
		return st->good;
	if (st->tries > 0) {
		/* spent before the boot: a slot that hangs or resets the
		 * machine cannot be tried forever */
		st->tries--;
		*trial = true;
		*changed = true;
		return st->next;
	}
	st->failed = st->next;
	st->next = st->good;
	*changed = true;
	return st->good;
}

bool slot_mark_good (struct slot_state *st, char slot)
{
	struct slot_state old = *st;

	st->good = slot;
	/* its trial is over; a next with no tries left (the old good
	 * slot, or a spent trial) gives way to it; a trial of the other
	 * slot an updater set meanwhile stays pending */
	if (st->next == slot || st->tries == 0) {
		st->next = slot;
		st->tries = 0;
	}
	if (st->failed == slot)
		st->failed = 0;
	return !slot_state_equal (&old, st);
}

void slot_set_next (struct slot_state *st, char slot, unsigned tries)
{
	st->next = slot;
	st->tries = slot == st->good ? 0 : tries;
	if (st->failed == slot)
		st->failed = 0;
}

/* ---- the boot disk -------------------------------------------------------------- */

/* Where the selector, and the mark in its own mount namespace, mount it. */
#define SLOT_MNT "/run/keel-slots"

/* How long the selector and the mark wait for the boot disk to appear
 * (its driver was loaded just before: the disk comes within a second). */
#define SLOT_DEVICE_WAIT_MS 10000

/* The device keel.slots= names: a path, or LABEL=, UUID=, PARTUUID=,
 * PARTLABEL= resolved by libblkid (it probes what /proc/partitions lists:
 * no udev needed).  Waits for it: a bounded wait, in the selector (before
 * anything is supervised) or in the mark's helper, never in PID 1's loop. */
static char *find_device (const char *spec, struct keel_error **err)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
	unsigned waited = 0;

	for (;;) {
		struct stat st;

		if (spec[0] == '/') {
			if (stat (spec, &st) == 0)
				return xstrdup (spec);
		} else if (strchr (spec, '=')) {
			char *dev = blkid_evaluate_spec (spec, NULL);
			if (dev)
				return dev;
		} else {
			keel_error (err, 0, "keel.slots=%s: neither a /dev path nor TAG=VALUE",
			            spec);
			return NULL;
		}
		if (waited >= SLOT_DEVICE_WAIT_MS) {
			keel_error (err, 0, "keel.slots=%s: no such device after %u s", spec,
			            SLOT_DEVICE_WAIT_MS / 1000);
			return NULL;
		}
		nanosleep (&pause, NULL);
		waited += 100;
	}
}

/* Mount the boot disk (the type probed by libmount) at target. */
static int mount_boot_disk (const char *spec, const char *target, struct keel_error **err)
{
	cleanup_free char *dev = find_device (spec, err);
	struct libmnt_context *cx;
	char msg[256] = "";
	int rc;

	if (dev == NULL)
		return -1;
	if (mkdir (target, 0700) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s`", target);
	cx = mnt_new_context ();
	if (cx == NULL)
		return keel_error (err, ENOMEM, "libmount");
	mnt_context_disable_helpers (cx, 1);
	mnt_context_disable_mtab (cx, 1);
	if (mnt_context_set_source (cx, dev) < 0 || mnt_context_set_target (cx, target) < 0 ||
	    mnt_context_set_options (cx, "rw,nosuid,nodev,noexec,noatime") < 0) {
		mnt_free_context (cx);
		return keel_error (err, 0, "libmount: cannot set up the mount of %s", dev);
	}
	rc = mnt_context_mount (cx);
	if (rc != 0 || mnt_context_get_status (cx) != 1) {
		mnt_context_get_excode (cx, rc, msg, sizeof msg);
		mnt_free_context (cx);
		return keel_error (err, 0, "mount %s on %s: %s", dev, target,
		                   msg[0] ? msg : "failed");
	}
	mnt_free_context (cx);
	return 0;
}

/* ---- the selector ------------------------------------------------------------------ */

/* The next word of a kernel command line, cut in place; a double-quoted
 * part keeps its spaces (and its quotes), as the kernel's parser reads
 * it.  NULL at the end. */
static char *next_word (char **pos)
{
	char *p = *pos, *w;
	bool quoted = false;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '\0')
		return NULL;
	for (w = p; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
			break;
	}
	if (*p)
		*p++ = '\0';
	*pos = p;
	return w;
}

/* The words of text, without keel.slot=... and keel.slot.trial (only the
 * selector says which slot booted) and, from a slot's file, keel.slots=,
 * appended to b. */
static void put_words (struct buf *b, char *text, bool slot_file)
{
	char *p = text, *w;

	for (w = next_word (&p); w; w = next_word (&p)) {
		/* as keel's own parser (cmdline.c) reads it: quotes removed */
		char bare[32];
		size_t n = 0;

		for (const char *c = w; *c && n < sizeof bare - 1; c++)
			if (*c != '"')
				bare[n++] = *c;
		bare[n] = '\0';
		if (strncmp (bare, "keel.slot=", 10) == 0 ||
		    strncmp (bare, "keel.slot.trial", 15) == 0)
			continue;
		/* the boot disk the selector read is the one the mark writes */
		if (slot_file && strncmp (bare, "keel.slots=", 11) == 0)
			continue;
		buf_put (b, "%s%s", b->len ? " " : "", w);
	}
}

char slot_booted (const char *cmdline, bool *trial)
{
	cleanup_free char *buf = xstrdup (cmdline ? cmdline : "");
	char *p = buf, *w, slot = 0;

	*trial = false;
	for (w = next_word (&p); w; w = next_word (&p)) {
		char *o = w;

		for (const char *c = w; *c; c++) /* quotes removed, as cmdline.c */
			if (*c != '"')
				*o++ = *c;
		*o = '\0';
		if (strcmp (w, "--") == 0)
			break;
		if (strncmp (w, "keel.slot=", 10) == 0 && slot_name (w + 10))
			slot = slot_name (w + 10);
		else if (strcmp (w, "keel.slot.trial") == 0)
			*trial = true;
	}
	return slot;
}

static size_t count_quotes (const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '"';
	return n;
}

char *slot_cmdline_make (const char *own, const char *extra, const char *extra_name, char slot,
                         bool trial, struct keel_error **err)
{
	cleanup_free char *o = xstrdup (own), *x = xstrdup (extra ? extra : "");
	struct buf b = {0};

	for (char *c = x; *c; c++) {
		if (*c == '\n' || *c == '\t' || *c == '\r')
			*c = ' ';
		else if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			keel_error (err, 0, "%s: a control character (byte %zu)", extra_name,
			            (size_t)(c - x));
			return NULL;
		}
	}
	/* an open quote would swallow the keel.slot= put after it */
	if (count_quotes (o) % 2 || count_quotes (x) % 2) {
		keel_error (err, 0, "%s: a double quote without its end",
		            count_quotes (o) % 2 ? "the kernel command line" : extra_name);
		return NULL;
	}
	/* first: a "--" in either hands the rest to init as arguments */
	buf_put (&b, "keel.slot=%c%s", slot, trial ? " keel.slot.trial" : "");
	put_words (&b, o, false);
	put_words (&b, x, true);
	if (b.len >= SLOT_CMDLINE_KERNEL_MAX) {
		keel_error (err, 0,
		            "%s: the command line would be %zu bytes, more than the %d the "
		            "kernel takes",
		            extra_name, b.len, SLOT_CMDLINE_KERNEL_MAX - 1);
		free (b.p);
		return NULL;
	}
	return b.p;
}

/* The booted slot's kernel command line: which slot it is, the
 * selector's own, the slot's cmdline file. */
static char *slot_cmdline (int dfd, char slot, bool trial, struct keel_error **err)
{
	cleanup_free char *own = NULL, *extra = NULL, *path = NULL;

	if (read_file ("/proc/cmdline", 65536, &own, NULL, err) < 0)
		return NULL;
	path = xasprintf ("%c/" SLOT_CMDLINE, slot);
	if (input_read_at (dfd, path, NULL, 0, SLOT_CMDLINE_MAX, &extra, NULL, err) < 0) {
		if ((*err)->status != ENOENT)
			return NULL;
		keel_error_release (err);
	}
	return slot_cmdline_make (own, extra, path, slot, trial, err);
}

/* Load slot's kernel and initramfs for the kexec reboot. */
static int slot_load (int dfd, char slot, bool trial, struct console *con, struct keel_error **err)
{
	cleanup_free char *kpath = xasprintf ("%c/" SLOT_KERNEL, slot);
	cleanup_free char *ipath = xasprintf ("%c/" SLOT_INITRD, slot);
	cleanup_free char *cmd = NULL;
	cleanup_close int kfd = -1, ifd = -1;

	kfd = openat (dfd, kpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (kfd < 0)
		return keel_error (err, errno, "slot %c: open `%s`", slot, kpath);
	ifd = openat (dfd, ipath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (ifd < 0)
		return keel_error (err, errno, "slot %c: open `%s`", slot, ipath);
	cmd = slot_cmdline (dfd, slot, trial, err);
	if (cmd == NULL)
		return keel_error_wrap (err, "slot %c", slot);
	console_status (con, CS_INFO, "Slot %c: loading %s with \"%s\"", slot, kpath, cmd);
	/* The kernel checks the image (a bzImage; its signature where the
	 * kernel enforces one) and copies both in now: the disk can come
	 * off before the jump. */
	if (syscall (SYS_kexec_file_load, kfd, ifd, strlen (cmd) + 1, cmd, 0UL) < 0)
		return keel_error (err, errno, "slot %c: kexec_file_load `%s`", slot, kpath);
	return 0;
}

static void fail_say (struct console *con, struct keel_error **err)
{
	cleanup_free char *m = keel_error_take (err);

	console_status (con, CS_FAIL, "%s", m);
}

void slot_select_boot (const struct init_opts *o, struct console *con)
{
	struct keel_error *err = NULL;
	struct slot_state st;
	cleanup_close int dfd = -1;
	cleanup_free char *name = xasprintf ("%s:/" SLOT_STATE_FILE, o->slots);
	char slot;
	bool trial, changed, missing;

	if (mount_boot_disk (o->slots, SLOT_MNT, &err) < 0)
		goto fail;
	dfd = open (SLOT_MNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		keel_error (&err, errno, "open `%s`", SLOT_MNT);
		goto fail;
	}
	if (slot_state_read (dfd, name, &st, &missing, &err) < 0) {
		/* Written only by rename: damage is not ours.  A is the
		 * slot a fresh disk boots; the file is kept for a look. */
		cleanup_free char *m = keel_error_take (&err);
		console_status (con, CS_WARN, "%s; booting slot A", m);
		slot_state_default (&st);
		missing = true; /* not rewritten */
		slot = 'A';
		trial = false;
	} else {
		cleanup_free char *before = slot_state_format (&st);

		before[strlen (before) - 1] = '\0';
		slot = slot_choose (&st, &trial, &changed);
		if (missing)
			console_status (con, CS_INFO, "%s: none; booting slot A", name);
		else if (trial)
			console_status (con, CS_INFO,
			                "%s: %s: slot %c on trial, %u tries left after this one",
			                name, before, slot, st.tries);
		else if (changed)
			console_status (con, CS_WARN,
			                "%s: %s: slot %c was never marked good in its tries; "
			                "back to slot %c",
			                name, before, st.failed, slot);
		else
			console_status (con, CS_INFO, "%s: %s: slot %c", name, before, slot);
		if (changed && slot_state_write (dfd, name, &st, &err) < 0) {
			/* Without the spent try on disk a bad slot could be
			 * tried forever: boot the good one instead. */
			cleanup_free char *m = keel_error_take (&err);
			console_status (con, CS_FAIL, "%s; booting slot %c", m, st.good);
			slot = st.good;
			trial = false;
		}
	}
	if (slot_load (dfd, slot, trial, con, &err) < 0) {
		char good = missing ? 'A' : st.good;

		fail_say (con, &err);
		if (slot == good)
			goto give_up;
		/* a trial slot that cannot even be loaded has failed */
		if (!missing) {
			st.failed = slot;
			st.next = good;
			st.tries = 0;
			if (slot_state_write (dfd, name, &st, &err) < 0) {
				cleanup_free char *m2 = keel_error_take (&err);
				console_status (con, CS_WARN, "%s", m2);
			}
		}
		slot = good;
		trial = false;
		if (slot_load (dfd, slot, false, con, &err) < 0)
			goto fail;
	}
	console_status (con, CS_OK, "Booting slot %c%s", slot, trial ? " (on trial)" : "");
	close (dfd);
	dfd = -1;
	sync ();
	if (umount2 (SLOT_MNT, 0) < 0)
		console_status (con, CS_WARN, "unmount `%s`: %s", SLOT_MNT, strerror (errno));
	con->sync = true;
	console_drain (con);
	reboot (RB_KEXEC);
	keel_error (&err, errno, "reboot into slot %c (kexec)", slot);
	con->sync = false; /* the boot goes on: back to the queued console */
fail:
	fail_say (con, &err);
give_up:
	console_status (con, CS_FAIL, "No slot could be booted: going on with this image");
	if (dfd >= 0) {
		close (dfd);
		dfd = -1;
	}
	(void)umount2 (SLOT_MNT, MNT_DETACH);
}

/* ---- the mark ----------------------------------------------------------------------- */

/* In the helper (may block): mount the boot disk in a mount namespace of
 * its own, so nothing of it is seen by PID 1 or the containers and it
 * goes away with the helper, then write good = slot.  One line on fd:
 * "M<state>" marked, "=<state>" it was already, "E<message>". */
static int mark_helper (int fd, const char *spec, char slot)
{
	static const char mnt[] = SLOT_MNT;
	struct keel_error *err = NULL;
	struct slot_state st;
	cleanup_free char *line = NULL, *text = NULL, *name = NULL;
	cleanup_close int dfd = -1;
	char kind = 'E';

	name = xasprintf ("%s:/" SLOT_STATE_FILE, spec);
	if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		keel_error (&err, errno, "a mount namespace for the boot disk");
	else if (mount_boot_disk (spec, mnt, &err) < 0)
		;
	else if ((dfd = open (mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		keel_error (&err, errno, "open `%s`", mnt);
	else if (slot_state_read (dfd, name, &st, NULL, &err) < 0)
		;
	else if (!slot_mark_good (&st, slot))
		kind = '=';
	else if (slot_state_write (dfd, name, &st, &err) == 0)
		kind = 'M';
	/* the mount goes with the namespace; the directory made for it
	 * is in the /run everyone sees */
	if (dfd >= 0) {
		close (dfd);
		dfd = -1;
		if (umount2 (mnt, 0) == 0)
			(void)rmdir (mnt);
	}
	if (kind == 'E') {
		text = keel_error_take (&err);
	} else {
		text = slot_state_format (&st);
		text[strlen (text) - 1] = '\0';
	}
	line = xasprintf ("%c%s\n", kind, text);
	if (write (fd, line, strlen (line)) < 0)
		return 3;
	return kind == 'E' ? 1 : 0;
}

static struct {
	struct watch w;
	struct loop *loop;
	struct console *con;
	int fd;
	char slot;
	char buf[512];
	size_t len;
	/* the trial's deadline (slot_trial_arm) */
	struct watch w_timer;
	int timerfd;
	unsigned timeout_secs;
	void (*expired) (void *arg);
	void *arg;
} mark = {.fd = -1, .timerfd = -1};

static void trial_disarm (void)
{
	if (mark.timerfd < 0)
		return;
	loop_unwatch (mark.loop, &mark.w_timer);
	close (mark.timerfd);
	mark.timerfd = -1;
}

static void mark_reported (struct watch *w, uint32_t events)
{
	ssize_t n;
	char *nl;

	(void)w;
	(void)events;
	for (;;) {
		n = read (mark.fd, mark.buf + mark.len, sizeof (mark.buf) - 1 - mark.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0)
			mark.len += (size_t)n;
		mark.buf[mark.len] = '\0';
		nl = strchr (mark.buf, '\n');
		if (n > 0 && nl == NULL && mark.len < sizeof (mark.buf) - 1)
			continue;
		break;
	}
	if (nl)
		*nl = '\0';
	switch (mark.buf[0]) {
	case 'M':
		trial_disarm ();
		console_status (mark.con, CS_OK, "Slot %c marked good: %s", mark.slot,
		                mark.buf + 1);
		break;
	case '=':
		trial_disarm ();
		console_status (mark.con, CS_OK, "Slot %c is good: %s", mark.slot, mark.buf + 1);
		break;
	case 'E':
		console_status (mark.con, CS_FAIL, "Slot %c not marked good: %s", mark.slot,
		                mark.buf + 1);
		break;
	default:
		console_status (mark.con, CS_FAIL,
		                "Slot %c not marked good: its helper ended "
		                "without a report",
		                mark.slot);
	}
	/* the helper is reaped by the supervisor's sweep, as the mounter's */
	loop_unwatch (mark.loop, &mark.w);
	close (mark.fd);
	mark.fd = -1;
}

void slot_settled (struct loop *loop, struct console *con, const struct init_opts *o,
                   size_t essential_not_ready)
{
	int p[2];
	pid_t pid;

	if (o->slot == 0 || mark.fd >= 0)
		return;
	if (o->slots == NULL) {
		console_status (con, CS_WARN,
		                "Slot %c not marked good: no keel.slots= to find "
		                "the boot disk",
		                o->slot);
		return;
	}
	if (essential_not_ready > 0) {
		console_status (con, CS_FAIL, "Slot %c not marked good: %zu essential %s not ready",
		                o->slot, essential_not_ready,
		                essential_not_ready == 1 ? "entry" : "entries");
		return;
	}
	if (pipe2 (p, O_CLOEXEC) < 0) {
		console_status (con, CS_FAIL, "Slot %c not marked good: pipe: %s", o->slot,
		                strerror (errno));
		return;
	}
	pid = fork ();
	if (pid < 0) {
		console_status (con, CS_FAIL, "Slot %c not marked good: fork: %s", o->slot,
		                strerror (errno));
		close (p[0]);
		close (p[1]);
		return;
	}
	if (pid == 0) {
		struct keel_error *err = NULL;
		sigset_t none;
		int keep = p[1];

		sigemptyset (&none);
		sigprocmask (SIG_SETMASK, &none, NULL);
		signal (SIGPIPE, SIG_DFL);
		close (p[0]);
		if (exec_close_fds_except (3, &keep, 1, &err) < 0)
			keel_error_release (&err);
		prctl (PR_SET_NAME, "keel-slot", 0, 0, 0);
		_exit (mark_helper (p[1], o->slots, o->slot));
	}
	close (p[1]);
	mark.loop = loop;
	mark.con = con;
	mark.slot = o->slot;
	mark.len = 0;
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0 ||
	    loop_watch (loop, &mark.w, p[0], EPOLLIN, mark_reported, NULL) < 0) {
		console_status (con, CS_FAIL, "Slot %c: watch the mark's helper: %s", o->slot,
		                strerror (errno));
		close (p[0]);
		return;
	}
	mark.fd = p[0];
	console_status (con, CS_INFO, "Slot %c: every essential entry is ready; marking it good",
	                o->slot);
}

static void trial_expired (struct watch *w, uint32_t events)
{
	uint64_t n;

	(void)w;
	(void)events;
	if (read (mark.timerfd, &n, sizeof n) != (ssize_t)sizeof n)
		return; /* spurious: not expired yet */
	trial_disarm ();
	console_status (mark.con, CS_FAIL,
	                "Slot %c not marked good within %u s of its trial: rebooting, so the "
	                "selector falls back",
	                mark.slot, mark.timeout_secs);
	mark.expired (mark.arg);
}

void slot_trial_arm (struct loop *loop, struct console *con, const struct init_opts *o,
                     void (*expired) (void *arg), void *arg)
{
	struct itimerspec its = {.it_value = {.tv_sec = o->slot_timeout_secs}};
	int fd;

	if (o->slot == 0 || !o->slot_trial || o->slot_timeout_secs == 0 || mark.timerfd >= 0)
		return;
	fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || timerfd_settime (fd, 0, &its, NULL) < 0 ||
	    loop_watch (loop, &mark.w_timer, fd, EPOLLIN, trial_expired, NULL) < 0) {
		/* without it a trial that hangs short of a failure stays
		 * until someone reboots: say so */
		console_status (con, CS_WARN, "Slot %c: no deadline for its trial: %s", o->slot,
		                strerror (errno));
		if (fd >= 0)
			close (fd);
		return;
	}
	mark.loop = loop;
	mark.con = con;
	mark.slot = o->slot;
	mark.timerfd = fd;
	mark.timeout_secs = o->slot_timeout_secs;
	mark.expired = expired;
	mark.arg = arg;
}
