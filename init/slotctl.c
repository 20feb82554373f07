/* `keelctl slot`: the whole-node A/B state from the command line, for the
 * updater (a container with the boot disk mounted) and for people.  It
 * works on the boot disk's directory and never talks to PID 1: the
 * selector and the mark read the same file (slot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/slot.h"
#include "lib/input.h"
#include "lib/util.h"

#define SLOT_DEFAULT_DIR "/boot"

static void usage (FILE *out)
{
	fputs ("usage: keelctl slot [--dir DIR] COMMAND   (DIR: the boot disk, "
	       "default " SLOT_DEFAULT_DIR ")\n"
	       "  status [--json]          booted slot, good, next, tries left, failed\n"
	       "  good [SLOT]              mark SLOT (default: the booted one) good\n"
	       "  set-next SLOT [--tries N]\n"
	       "                           boot SLOT next, N times (default 1) before falling\n"
	       "                           back to the good one\n"
	       "  install SLOT SRC [--tries N]\n"
	       "                           copy SRC/vmlinuz, SRC/initrd.img (and SRC/cmdline)\n"
	       "                           into SLOT, synced, then set-next SLOT; refused for\n"
	       "                           the good slot and the booted one\n"
	       "SLOT is A or B.  The format: docs/deployments.md, \"Whole-node A/B\".\n",
	       out);
}

/* keel.slot= of the running kernel (0 when booted without the selector);
 * *trial: keel.slot.trial. */
static char booted_slot (bool *trial)
{
	cleanup_free char *cmd = NULL;
	struct keel_error *err = NULL;

	*trial = false;
	if (read_file ("/proc/cmdline", 65536, &cmd, NULL, &err) < 0) {
		keel_error_release (&err);
		return 0;
	}
	return slot_booted (cmd, trial);
}

static int parse_tries (const char *s, unsigned *out)
{
	unsigned long long n;

	if (!parse_uint64 (s, &n) || n < 1 || n > SLOT_MAX_TRIES) {
		fprintf (stderr, "keelctl slot: --tries %s: expected 1 to %d\n", s, SLOT_MAX_TRIES);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* Copy dfd/SRC's file name into slot/name through a synced temporary
 * file renamed over it. */
static int copy_in (int sfd, int ddfd, const char *name, const char *dname, struct keel_error **err)
{
	cleanup_free char *tmp = xasprintf (".%s.tmp", name);
	cleanup_close int in = -1, out = -1;
	struct stat st;
	char buf[65536];

	in = openat (sfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0)
		return keel_error (err, errno, "open `%s`", name);
	if (fstat (in, &st) < 0)
		return keel_error (err, errno, "stat `%s`", name);
	if (!S_ISREG (st.st_mode))
		return keel_error (err, 0, "`%s`: not a regular file", name);
	out = openat (ddfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return keel_error (err, errno, "create `%s/%s`", dname, tmp);
	for (;;) {
		ssize_t n = read (in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "read `%s`", name);
		if (n == 0)
			break;
		if (write_all (out, buf, (size_t)n, err) < 0)
			return keel_error_wrap (err, "write `%s/%s`", dname, tmp);
	}
	if (fsync (out) < 0)
		return keel_error (err, errno, "fsync `%s/%s`", dname, tmp);
	if (renameat (ddfd, tmp, ddfd, name) < 0)
		return keel_error (err, errno, "rename `%s/%s`", dname, tmp);
	return 0;
}

static int cmd_install (int dfd, const char *name, struct slot_state *st, char slot,
                        const char *src, unsigned tries, struct keel_error **err)
{
	static const char *const files[] = {SLOT_KERNEL, SLOT_INITRD};
	char dname[2] = {slot, '\0'};
	cleanup_close int sfd = -1, ddfd = -1;
	bool trial;
	size_t i;

	if (slot == st->good)
		return keel_error (err, 0,
		                   "slot %c is the good one (what a failed boot falls back "
		                   "to): install into slot %c",
		                   slot, slot_other (slot));
	if (slot == booted_slot (&trial))
		return keel_error (err, 0, "slot %c is the one running", slot);
	sfd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return keel_error (err, errno, "open `%s`", src);
	/* The selector refuses a cmdline it cannot use (too large, a control
	 * character, an open quote) only at the boot, spending the trial:
	 * say it now, before anything changes. */
	if (faccessat (sfd, SLOT_CMDLINE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		cleanup_free char *text = NULL, *cmd = NULL;
		cleanup_free char *path = xasprintf ("%s/" SLOT_CMDLINE, src);
		if (input_read_at (sfd, SLOT_CMDLINE, path, 0, SLOT_CMDLINE_MAX, &text, NULL, err) <
		            0 ||
		    (cmd = slot_cmdline_make ("", text, path, slot, true, err)) == NULL)
			return keel_error_wrap (err, "install slot %c", slot);
	}
	/* Whatever trial of the slot was pending is off while its files
	 * change: a power cut in the middle boots the good slot. */
	if (st->next == slot) {
		slot_set_next (st, st->good, 0);
		if (slot_state_write (dfd, name, st, err) < 0)
			return -1;
	}
	if (mkdirat (dfd, dname, 0755) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s`", dname);
	ddfd = openat (dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ddfd < 0)
		return keel_error (err, errno, "open `%s`", dname);
	for (i = 0; i < 2; i++)
		if (copy_in (sfd, ddfd, files[i], dname, err) < 0)
			return keel_error_wrap (err, "install slot %c", slot);
	if (faccessat (sfd, SLOT_CMDLINE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (copy_in (sfd, ddfd, SLOT_CMDLINE, dname, err) < 0)
			return keel_error_wrap (err, "install slot %c", slot);
	} else if (unlinkat (ddfd, SLOT_CMDLINE, 0) < 0 && errno != ENOENT) {
		return keel_error (err, errno, "remove `%s/" SLOT_CMDLINE "`", dname);
	}
	if (fsync (ddfd) < 0 || fsync (dfd) < 0)
		return keel_error (err, errno, "fsync `%s`", dname);
	slot_set_next (st, slot, tries);
	return slot_state_write (dfd, name, st, err);
}

static void print_status (const struct slot_state *st, bool missing)
{
	bool trial;
	char b = booted_slot (&trial);

	if (b)
		printf ("booted: %c%s\n", b, trial ? " (on trial)" : "");
	else
		printf ("booted: - (no keel.slot= on the kernel command line)\n");
	printf ("good: %c%s\n", st->good, missing ? " (no " SLOT_STATE_FILE " yet)" : "");
	if (st->next != st->good)
		printf ("next: %c (%u %s left)\n", st->next, st->tries,
		        st->tries == 1 ? "try" : "tries");
	else
		printf ("next: %c\n", st->next);
	printf ("failed: %c\n", st->failed ? st->failed : '-');
}

int slot_ctl_main (int argc, char **argv)
{
	const char *dir = SLOT_DEFAULT_DIR;
	struct keel_error *err = NULL;
	struct slot_state st;
	cleanup_free char *name = NULL;
	cleanup_close int dfd = -1;
	const char *cmd, *arg1 = NULL, *arg2 = NULL;
	unsigned tries = 1;
	bool missing, json = false, trial;
	int i, ret = 0;
	char slot = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp (argv[i], "--tries") == 0 && i + 1 < argc) {
			if (parse_tries (argv[++i], &tries) < 0)
				return 2;
		} else if (strcmp (argv[i], "--json") == 0)
			json = true;
		else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
			usage (stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			usage (stderr);
			return 2;
		} else
			break;
	}
	if (i >= argc) {
		usage (stderr);
		return 2;
	}
	cmd = argv[i++];
	for (; i < argc; i++) {
		if (strcmp (argv[i], "--tries") == 0 && i + 1 < argc) {
			if (parse_tries (argv[++i], &tries) < 0)
				return 2;
		} else if (strcmp (argv[i], "--json") == 0)
			json = true;
		else if (arg1 == NULL)
			arg1 = argv[i];
		else if (arg2 == NULL)
			arg2 = argv[i];
		else {
			usage (stderr);
			return 2;
		}
	}
	name = xasprintf ("%s/" SLOT_STATE_FILE, dir);
	dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf (stderr, "keelctl slot: open `%s`: %s\n", dir, strerror (errno));
		return 1;
	}
	if (slot_state_read (dfd, name, &st, &missing, &err) < 0) {
		keel_error_print (stderr, "keelctl slot", &err);
		return 1;
	}
	if (strcmp (cmd, "status") == 0 && arg1 == NULL) {
		if (json) {
			cleanup_free char *text = slot_state_format (&st);
			fputs (text, stdout);
		} else
			print_status (&st, missing);
		return 0;
	}
	if (arg1 && (slot = slot_name (arg1)) == 0) {
		fprintf (stderr, "keelctl slot %s: `%s` is not a slot (A or B)\n", cmd, arg1);
		return 2;
	}
	if (strcmp (cmd, "good") == 0 && arg2 == NULL) {
		if (slot == 0 && (slot = booted_slot (&trial)) == 0) {
			fputs ("keelctl slot good: not booted from a slot (no keel.slot= on the "
			       "kernel command line): name one\n",
			       stderr);
			return 2;
		}
		if (slot_mark_good (&st, slot) || missing)
			ret = slot_state_write (dfd, name, &st, &err);
	} else if (strcmp (cmd, "set-next") == 0 && slot && arg2 == NULL) {
		slot_set_next (&st, slot, tries);
		ret = slot_state_write (dfd, name, &st, &err);
	} else if (strcmp (cmd, "install") == 0 && slot && arg2) {
		ret = cmd_install (dfd, name, &st, slot, arg2, tries, &err);
	} else {
		usage (stderr);
		return 2;
	}
	if (ret < 0) {
		keel_error_print (stderr, "keelctl slot", &err);
		return 1;
	}
	print_status (&st, false);
	return 0;
}
