/* libFuzzer target for init/fstab.c fstab_parse: any text is read without
 * a crash, leak or undefined behaviour, and the table keeps its contract:
 * every kept line has an absolute, normalised mount point (no ".", "..",
 * "//", trailing '/', control character) that no other kept line has, a
 * type of [a-z0-9._-], a tag with a non-empty value exactly when the
 * source starts with a known tag, a wait within a day, a line number
 * within the input; every refusal is one "fuzz:LINE: ..." line without a
 * control character (the console shows it); kept + refused + skipped never exceeds the lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/fstab.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_target (const char *t)
{
	const char *p;
	size_t n = strlen (t);

	if (t[0] != '/' || n == 0 || (n > 1 && t[n - 1] == '/') || strstr (t, "//") ||
	    strstr (t, "/../") || strstr (t, "/./"))
		abort ();
	if ((n >= 3 && strcmp (t + n - 3, "/..") == 0) || (n >= 2 && strcmp (t + n - 2, "/.") == 0))
		abort ();
	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct fstab tab = {0};
	size_t i, j, lines = 1, bad;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	bad = fstab_parse (&tab, "fuzz", (const char *)data, size);
	if (bad != tab.n_errors || tab.n > FSTAB_MAX_ENTRIES ||
	    tab.n + tab.n_errors + tab.n_skipped > lines)
		abort ();
	for (i = 0; i < tab.n_errors; i++) {
		const char *p;

		if (strncmp (tab.errors[i], "fuzz:", 5) != 0)
			abort ();
		for (p = tab.errors[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort (); /* what the console would act on */
	}
	for (i = 0; i < tab.n; i++) {
		const struct fstab_entry *e = &tab.v[i];

		check_target (e->target);
		if (strcmp (e->target, "/") == 0 || e->line == 0 || e->line > lines)
			abort ();
		if (*e->fstype == '\0' ||
		    strspn (e->fstype, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		            strlen (e->fstype))
			abort ();
		if ((fstab_tag_name (e->tag) != NULL) != (e->tag_value != NULL))
			abort ();
		if (e->tag_value &&
		    (*e->tag_value == '\0' || strncmp (e->source, fstab_tag_name (e->tag),
		                                       strlen (fstab_tag_name (e->tag))) != 0))
			abort ();
		if ((e->tag == FSTAB_PATH) != (e->source[0] == '/'))
			abort ();
		if (!e->wait_forever && (e->wait_ms == 0 || e->wait_ms > FSTAB_MAX_WAIT_MS))
			abort ();
		if (e->options == NULL || strcmp (e->file, "fuzz") != 0)
			abort ();
		for (j = 0; j < i; j++)
			if (strcmp (tab.v[j].target, e->target) == 0)
				abort ();
		if (fstab_find (&tab, e->target) != e)
			abort ();
		const struct fstab_entry *p = fstab_parent (&tab, e);
		if (p && (p == e || strncmp (e->target, p->target, strlen (p->target)) != 0))
			abort ();
	}
	fstab_free (&tab);
	return 0;
}
