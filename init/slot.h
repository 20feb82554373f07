/* Whole-node A/B: two slots (a kernel and an initramfs each) on a boot
 * disk and a boot counter in one small state file, the way Flatcar
 * (priority/tries/successful) and Talos do it; docs/deployments.md,
 * "Whole-node A/B".
 *
 *   BOOT/A/vmlinuz  BOOT/A/initrd.img  [BOOT/A/cmdline]
 *   BOOT/B/...
 *   BOOT/boot.json  {"good": "A", "next": "B", "tries": 1}
 *
 * Three parts:
 *   the selector   keel as PID 1 of a small first initramfs
 *                  (keel.slots=DEV on the kernel command line, no
 *                  keel.slot=): mounts DEV, picks a slot, writes the
 *                  decremented counter, kexec_file_load()s the slot with
 *                  keel.slot=X (keel.slot.trial when on trial) and its
 *                  own command line, and reboots into it
 *   the mark       keel as PID 1 of the booted slot: when the startup
 *                  settles with every essential entry ready (or done),
 *                  a helper process writes good=X (PID 1 never blocks)
 *   keelctl slot   status, good, set-next, install: the updater's tool
 *
 * Every write is a synced temporary file renamed over boot.json and the
 * directory synced: a power cut leaves the old state or the new one. */
#ifndef KEEL_INIT_SLOT_H
#define KEEL_INIT_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "init/console.h"
#include "init/loop.h"
#include "init/options.h"
#include "lib/error.h"

#define SLOT_STATE_FILE  "boot.json"
#define SLOT_STATE_MAX   4096 /* a state file is ~60 bytes */
#define SLOT_MAX_TRIES   16
#define SLOT_KERNEL      "vmlinuz"
#define SLOT_INITRD      "initrd.img"
#define SLOT_CMDLINE     "cmdline" /* optional: more kernel command line for this slot */
#define SLOT_CMDLINE_MAX 1024

struct slot_state {
	char good;      /* 'A' or 'B': the slot that booted and was marked */
	char next;      /* the slot to boot: on trial while next != good and tries > 0 */
	unsigned tries; /* boots of next left before the selector gives up on it */
	char failed;    /* 0, or the slot whose tries ran out without a mark */
};

/* 'A' or 'B' for "A" / "B" (either case), else 0. */
static inline char slot_name (const char *s)
{
	if (s == NULL || s[0] == '\0' || s[1] != '\0')
		return 0;
	if (s[0] == 'A' || s[0] == 'a')
		return 'A';
	return s[0] == 'B' || s[0] == 'b' ? 'B' : 0;
}
/* The other slot. */
static inline char slot_other (char s)
{
	return s == 'A' ? 'B' : 'A';
}

static inline bool slot_state_equal (const struct slot_state *a, const struct slot_state *b)
{
	return a->good == b->good && a->next == b->next && a->tries == b->tries &&
	       a->failed == b->failed;
}

/* The state a boot disk without boot.json has: A, nothing on trial. */
void slot_state_default (struct slot_state *st);

/* Parse the text of a boot.json (len bytes; name starts every message:
 * "BOOT/boot.json: tries: expected an integer from 0 to 16").  Keys:
 * good and next (required), tries, failed; any other key is refused. */
int slot_state_parse (const char *name, const char *text, size_t len, struct slot_state *st,
                      struct keel_error **err);
/* The one-line JSON of a state (a new string, ending in a newline). */
char *slot_state_format (const struct slot_state *st);

/* boot.json in the directory dfd (name for messages); *missing (may be
 * NULL) is set and the default state given when there is none. */
int slot_state_read (int dfd, const char *name, struct slot_state *st, bool *missing,
                     struct keel_error **err);
/* Write through .boot.json.tmp: write, fsync, rename, fsync the directory. */
int slot_state_write (int dfd, const char *name, const struct slot_state *st,
                      struct keel_error **err);
/* Tests: _exit(0) at the K-th crash point of a writer (0: never). */
extern unsigned slot_crash_at;

/* ---- the decisions (pure; tests/unit/test_slot.c) ------------------------ */

/* The selector's choice for this boot.  next on trial with tries left:
 * one try is spent and next is booted (*trial set).  next on trial with
 * none left: it failed (failed = next, next = good) and good is booted.
 * Otherwise good.  *changed: st must be written before booting. */
char slot_choose (struct slot_state *st, bool *trial, bool *changed);
/* The booted slot reached "every essential entry ready": good = slot, its
 * trial over, and next = slot unless another slot's trial (tries left)
 * is pending, which is left alone.  Returns whether st changed. */
bool slot_mark_good (struct slot_state *st, char slot);
/* An updater made slot ready: boot it next, tries times, then fall back. */
void slot_set_next (struct slot_state *st, char slot, unsigned tries);

/* The command line the selector gives slot's kernel: keel.slot=X (and
 * keel.slot.trial) first (a "--" hands what follows to init as
 * arguments), then the words of its own (own: /proc/cmdline) and of the
 * slot's cmdline file (extra, may be NULL; extra_name in messages),
 * without any keel.slot=/keel.slot.trial they hold, quoted or not (nor a
 * keel.slots= in the slot's file: the mark writes the disk the selector
 * read).  A new string; NULL
 * and *err for a control character in extra, a double quote without its
 * end (it would swallow keel.slot=), or a line longer than the kernel
 * takes.  A double-quoted part stays one word. */
#define SLOT_CMDLINE_KERNEL_MAX 2048 /* x86's COMMAND_LINE_SIZE */
char *slot_cmdline_make (const char *own, const char *extra, const char *extra_name, char slot,
                         bool trial, struct keel_error **err);

/* The slot a kernel command line says was booted (keel.slot=, 0: none)
 * and *trial (keel.slot.trial), its words read as keel's own parser reads
 * them (cmdline.c: a double-quoted part is one word, quotes removed,
 * nothing after "--"), so keelctl slot and keel agree on the booted slot. */
char slot_booted (const char *cmdline, bool *trial);

/* ---- keel as PID 1 -------------------------------------------------------- */

/* The selector (main.c, boot mode, after modules are loaded, when
 * keel.slots= is given and keel.slot= is not).  Returns only when no
 * slot could be booted: the reason is on the console and the boot goes on
 * with the selector's own containers.d (a rescue image). */
void slot_select_boot (const struct init_opts *o, struct console *con);

/* The startup settled (supervisor.c, "Startup finished"): with a booted
 * slot and every essential entry ready, a helper marks it good; else says
 * why not.  Never blocks; the helper's one-line report comes back through
 * the loop and goes to the console. */
void slot_settled (struct loop *loop, struct console *con, const struct init_opts *o,
                   size_t essential_not_ready);

/* A slot on trial (keel.slot.trial) must be marked within
 * keel.slot.timeout= seconds (default INIT_DEFAULT_SLOT_TIMEOUT, 0: no
 * limit) of this call (main.c, once the loop runs): an essential entry
 * that hangs short of failing, or one blocked for good, would otherwise
 * keep the machine on a bad slot with PID 1 healthy and the watchdog
 * petted.  When it passes, the console says so and expired(arg) runs
 * (main.c: an ordered reboot); the mark disarms it. */
void slot_trial_arm (struct loop *loop, struct console *con, const struct init_opts *o,
                     void (*expired) (void *arg), void *arg);

/* keelctl slot ... (argv[0] is "slot"). */
int slot_ctl_main (int argc, char **argv);

#endif
