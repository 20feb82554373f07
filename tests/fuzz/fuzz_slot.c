/* libFuzzer target for whole-node A/B's state file (init/slot.c,
 * slot_state_parse: BOOT/boot.json on the boot disk, read by the selector
 * at every boot before anything else runs, by the mark and by keelctl
 * slot).  Accepted: good and next are A or B, tries 0 to SLOT_MAX_TRIES,
 * failed none, A or B; the formatted state parses back the same; the
 * selector's choice is A or B, never adds a try, and a second choice
 * after a fallback changes nothing (no boot loop between writes).
 * Refused: one line starting with the file's name, without a control
 * character (the console shows it).  Never a crash, leak or undefined
 * behaviour.  The same bytes as a slot's cmdline file go through the
 * command line the selector makes (check_cmdline). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/options.h"
#include "init/slot.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool is_slot (char c)
{
	return c == 'A' || c == 'B';
}

/* The same bytes as a slot's cmdline file: in the command line the slot's
 * kernel gets, keel's own parser (cmdline.c) finds exactly the slot and
 * trial the selector gave, whatever the file held; no control character;
 * quotes balanced; within the kernel's limit.  Or one line naming the
 * file. */
static void check_cmdline (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct init_opts o;
	char *extra = malloc (size + 1), *c, *warn = NULL;
	bool trial = size % 2;
	size_t quotes = 0;

	if (extra == NULL)
		return;
	memcpy (extra, data, size);
	extra[size] = '\0'; /* a file read is cut at its first NUL too */
	c = slot_cmdline_make ("console=ttyS0 keel.slots=LABEL=boot", extra, "A/cmdline", 'B',
	                       trial, &err);
	free (extra);
	if (c == NULL) {
		if (err == NULL || strncmp (err->msg, "A/cmdline: ", 11) != 0 ||
		    strchr (err->msg, '\n'))
			abort ();
		keel_error_release (&err);
		return;
	}
	if (strlen (c) >= SLOT_CMDLINE_KERNEL_MAX)
		abort ();
	for (const char *p = c; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort ();
		quotes += *p == '"';
	}
	if (quotes % 2)
		abort ();
	init_opts_defaults (&o);
	if (cmdline_apply (&o, c, &warn, &err) != 0 || o.slot != 'B' || o.slot_trial != trial ||
	    o.slots == NULL || strcmp (o.slots, "LABEL=boot") != 0)
		abort ();
	free (warn);
	init_opts_free (&o);
	free (c);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct slot_state st, back, after;
	bool trial, changed;
	char *text, c;

	check_cmdline (data, size);
	if (slot_state_parse ("boot.json", (const char *)data, size, &st, &err) < 0) {
		if (err == NULL || err->msg == NULL || strncmp (err->msg, "boot.json: ", 11) != 0)
			abort ();
		for (const char *p = err->msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort ();
		keel_error_release (&err);
		return 0;
	}
	if (err != NULL || !is_slot (st.good) || !is_slot (st.next) || st.tries > SLOT_MAX_TRIES ||
	    (st.failed && !is_slot (st.failed)))
		abort ();
	text = slot_state_format (&st);
	if (slot_state_parse ("boot.json", text, strlen (text), &back, &err) < 0 ||
	    !slot_state_equal (&st, &back))
		abort ();
	free (text);
	after = st;
	c = slot_choose (&after, &trial, &changed);
	if (!is_slot (c) || after.tries > st.tries || (trial && c != st.next) ||
	    (!trial && c != after.good))
		abort ();
	if (!trial) {
		/* booted the good slot: the next boot picks it again */
		back = after;
		if (slot_choose (&back, &trial, &changed) != c || changed)
			abort ();
	}
	/* marking the booted slot leaves it good, its trial over */
	if (slot_mark_good (&after, c), after.good != c || (after.next == c && after.tries != 0))
		abort ();
	return 0;
}
