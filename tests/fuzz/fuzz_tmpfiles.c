/* libFuzzer target for the tmpfiles.conf parser (init/tmpfiles.c,
 * tmpfiles_parse).  Every input must either give entries that keep the
 * promises of init/tmpfiles.h (absolute, normalised paths without `..`
 * components, never the root itself, a known type with only the modifiers
 * it takes, an octal mode up to 07777, an age with its selectors, a target
 * for every symlink, an absolute copy source, a bounded ACL of known tags
 * for every a/A line, an argument of the recorded length)
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
	/* Normalised: no "//", no "/." component, no trailing "/"; so never
	 * the root under another spelling (chmod and chown of the host's /). */
	if (strstr (p, "//") != NULL || p[strlen (p) - 1] == '/')
		abort ();
	for (s = p; (s = strstr (s, "/.")) != NULL; s += 2)
		if (s[2] == '/' || s[2] == '\0')
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

		if (strchr ("dDfFwLCzZerRxXaA", e->type) == NULL || e->type == '\0')
			abort ();
		if (e->plus && strchr ("wLCaA", e->type) == NULL)
			abort ();
		if (e->replace && strchr ("dDfFLC", e->type) == NULL)
			abort ();
		check_path (e->path);
		if (e->glob != (strchr ("zZerRxXaA", e->type) != NULL && strpbrk (e->path, "*?[")))
			abort ();
		if ((e->has_mode && e->mode > 07777) ||
		    (!e->has_mode && (e->mode_on_create || e->mode_masked)))
			abort ();
		if (!e->has_age &&
		    (e->age_usec || e->age_keep_level || e->age_by_file || e->age_by_dir))
			abort ();
		if ((e->age_by_file | e->age_by_dir) & ~0xfu)
			abort ();
		if (e->type == 'C' && e->arg != NULL && e->arg[0] != '/')
			abort ();
		if (strchr ("LC", e->type) != NULL && e->arg != NULL &&
		    strlen (e->arg) != e->arg_len)
			abort ();
		if ((e->type == 'a' || e->type == 'A') !=
		    (e->acl_n > 0 && e->acl_n <= TMPFILES_MAX_ACL && e->acl != NULL))
			abort ();
		for (size_t k = 0; k < e->acl_n; k++) {
			const struct tmpfiles_ace *a = &e->acl[k];
			bool named = a->tag == 0x02 || a->tag == 0x08;
			if (a->perm > 7 || (a->tag != 0x01 && a->tag != 0x04 && a->tag != 0x10 &&
			                    a->tag != 0x20 && !named))
				abort ();
			if (!named && a->id != (uint32_t)-1)
				abort ();
		}
		if (e->arg == NULL && e->arg_len != 0)
			abort (); /* (base64 arguments may hold NUL bytes) */
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
