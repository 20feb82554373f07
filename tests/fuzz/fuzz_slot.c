/* libFuzzer target for whole-node A/B's state file (init/slot.c,
 * slot_state_parse: BOOT/boot.json on the boot disk, read by the selector
 * at every boot before anything else runs, by the mark and by keelctl
 * slot).  Accepted: good and next are A or B, tries 0 to SLOT_MAX_TRIES,
 * failed none, A or B; the formatted state parses back the same; the
 * selector's choice is A or B, never adds a try, and a second choice
 * after a fallback changes nothing (no boot loop between writes).
 * Refused: one line starting with the file's name, without a control
 * character (the console shows it).  Never a crash, leak or undefined
 * behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/slot.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool is_slot (char c)
{
	return c == 'A' || c == 'B';
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct slot_state st, back, after;
	bool trial, changed;
	char *text, c;

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
