/* libFuzzer target for the tmpfiles.conf parser (init/tmpfiles.c,
 * tmpfiles_parse).  Every input must either give entries that keep the
 * promises of init/tmpfiles.h (absolute paths without `..` components,
 * never the root itself, a known type, an octal mode up to 07777, a
 * target for every symlink, an unescaped argument of the recorded length)
 * and that tmpfiles_free() releases, or exactly one "tmpfiles.conf...: ..." line with nothing left
 * allocated; never a crash, leak or undefined behaviour.  Nothing is
 * applied: tmpfiles_apply() touches the file system. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/tmpfiles.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_path (const char *p)
{
	const char *s;

	if (p == NULL || p[0] != '/' || strcmp (p, "/") == 0 || strlen (p) >= 4096 ||
	    strchr (p, '%') != NULL)
		abort ();
	for (s = p; (s = strstr (s, "/..")) != NULL; s += 3)
		if (s[3] == '/' || s[3] == '\0')
			abort ();
	/* Nor the root directory under another spelling ("//", "/.", "/./"):
	 * applying it would chmod and chown the host's root. */
	for (s = p; *s == '/' || (*s == '.' && s[-1] == '/' && (s[1] == '/' || s[1] == '\0')); s++)
		;
	if (*s == '\0')
		abort ();
}

static void check (const struct tmpfiles *t)
{
	unsigned last = 0;
	size_t i;

	if (t->n > TMPFILES_MAX_ENTRIES || t->file == NULL)
		abort ();
	for (i = 0; i < t->n; i++) {
		const struct tmpfiles_entry *e = &t->v[i];

		if (strchr ("dDfFwL", e->type) == NULL || e->type == '\0')
			abort ();
		if (e->plus && strchr ("wL", e->type) == NULL)
			abort ();
		check_path (e->path);
		if ((e->has_mode && e->mode > 07777) || (!e->has_mode && e->mode_on_create))
			abort ();
		if (e->arg ? strlen (e->arg) != e->arg_len : e->arg_len != 0)
			abort ();
		if (e->type == 'L' && e->arg == NULL)
			abort ();
		if (e->line <= last)
			abort (); /* one entry a line, in order */
		last = e->line;
	}
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct tmpfiles t;

	if (tmpfiles_parse ("tmpfiles.conf", (const char *)data, size, &t, &err) == 0) {
		if (err != NULL)
			abort ();
		check (&t);
		tmpfiles_free (&t);
		return 0;
	}
	/* The contract: "tmpfiles.conf:LINE: ..." (or "tmpfiles.conf: ..." for
	 * the whole file) on one line, and the set left empty. */
	if (err == NULL || err->msg == NULL || strchr (err->msg, '\n') != NULL ||
	    strncmp (err->msg, "tmpfiles.conf:", 14) != 0)
		abort ();
	if (t.v != NULL || t.n != 0 || t.file != NULL)
		abort ();
	keel_error_release (&err);
	return 0;
}
