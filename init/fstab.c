/* fstab(5) lines: see fstab.h.  Fields are split here (so every message can
 * say which field of which line is wrong); the option string is read with
 * libmount's own option parser, the one that will mount it. */
#include <ctype.h>
#include <errno.h>
#include <libmount.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/fstab.h"
#include "lib/input.h"
#include "lib/util.h"

#define NFIELDS 6

const char *fstab_tag_name (enum fstab_tag t)
{
	switch (t) {
	case FSTAB_LABEL:
		return "LABEL";
	case FSTAB_UUID:
		return "UUID";
	case FSTAB_PARTUUID:
		return "PARTUUID";
	case FSTAB_PARTLABEL:
		return "PARTLABEL";
	case FSTAB_NAME:
	case FSTAB_PATH:
		break;
	}
	return NULL;
}

static void bad (struct fstab *tab, const char *file, unsigned line, const char *fmt, ...)
        __attribute__ ((format (printf, 4, 5)));

static void bad (struct fstab *tab, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start (ap, fmt);
	if (vasprintf (&why, fmt, ap) < 0)
		why = NULL;
	va_end (ap);
	tab->errors = xrealloc (tab->errors, (tab->n_errors + 1) * sizeof (char *));
	tab->errors[tab->n_errors++] = xasprintf ("%s:%u: %s", file, line, why ? why : "bad line");
	free (why);
}

/* fstab(5) escapes a space as \040 (and a tab, a backslash... as their
 * octal code).  Anything else after a backslash is refused rather than
 * guessed, and so is \000: it would cut the field short. */
static char *unescape (const char *s, size_t n, const char **why)
{
	char *out = xmalloc0 (n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (n - i < 4 || s[i + 1] < '0' || s[i + 1] > '3' || s[i + 2] < '0' ||
		    s[i + 2] > '7' || s[i + 3] < '0' || s[i + 3] > '7') {
			*why = "a backslash must start an octal escape like \\040 (a space)";
			free (out);
			return NULL;
		}
		*o = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
		if (*o == '\0') {
			*why = "\\000 is not allowed";
			free (out);
			return NULL;
		}
		o++;
		i += 3;
	}
	*o = '\0';
	return out;
}

/* A mount point: absolute, no "." or ".." component, no empty one; the
 * trailing '/' dropped ("/data/" is "/data"). */
static const char *check_target (char *t)
{
	const char *p = t;
	size_t n;

	if (t[0] != '/')
		return "the mount point must be an absolute path";
	if (strlen (t) > 1024)
		return "the mount point is longer than 1024 characters";
	if (strstr (t, "//"))
		return "the mount point must not contain \"//\"";
	while (*p) {
		const char *e;

		while (*p == '/')
			p++;
		e = strchrnul (p, '/');
		if ((e - p == 1 && p[0] == '.') || (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return "the mount point must not contain \".\" or \"..\"";
		p = e;
	}
	n = strlen (t);
	while (n > 1 && t[n - 1] == '/')
		t[--n] = '\0';
	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "the mount point contains a control character";
	return NULL;
}

static const struct {
	const char *prefix;
	enum fstab_tag tag;
} tags[] = {
        {"LABEL=", FSTAB_LABEL},
        {"UUID=", FSTAB_UUID},
        {"PARTUUID=", FSTAB_PARTUUID},
        {"PARTLABEL=", FSTAB_PARTLABEL},
};

/* Sets the tag and its value; NULL or the reason it is wrong. */
static const char *check_source (struct fstab_entry *e)
{
	size_t k, n;

	e->tag = e->source[0] == '/' ? FSTAB_PATH : FSTAB_NAME;
	for (k = 0; k < sizeof (tags) / sizeof (tags[0]); k++) {
		char *v;

		if (strncmp (e->source, tags[k].prefix, strlen (tags[k].prefix)) != 0)
			continue;
		e->tag = tags[k].tag;
		v = e->source + strlen (tags[k].prefix);
		n = strlen (v);
		/* LABEL="my data": the quotes are fstab's, not the label's */
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v++;
			n -= 2;
		} else if (v[0] == '"' || (n > 0 && v[n - 1] == '"')) {
			return "unbalanced quote in the device's tag";
		}
		if (n == 0)
			return "empty value after the tag (LABEL=, UUID=...)";
		if (n > 255)
			return "the tag's value is longer than 255 characters";
		e->tag_value = xmalloc0 (n + 1);
		memcpy (e->tag_value, v, n);
		return NULL;
	}
	if (strchr (e->source, '=') && e->tag == FSTAB_NAME &&
	    isupper ((unsigned char)e->source[0]))
		return "unknown tag: expected a path, LABEL=, UUID=, PARTUUID= or PARTLABEL=";
	for (k = 0; e->source[k]; k++)
		if ((unsigned char)e->source[k] < 0x20 || e->source[k] == 0x7f)
			return "the device contains a control character";
	return NULL;
}

int fstab_parse_wait (const char *s, unsigned *ms, bool *forever)
{
	unsigned long long v = 0, unit = 1000;
	const char *p = s;

	*forever = false;
	if (strcmp (s, "infinity") == 0) {
		*forever = true;
		*ms = 0;
		return 0;
	}
	if (!isdigit ((unsigned char)*p))
		return -1;
	while (isdigit ((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v > FSTAB_MAX_WAIT_MS)
			return -1;
	}
	if (strcmp (p, "ms") == 0)
		unit = 1;
	else if (strcmp (p, "") == 0 || strcmp (p, "s") == 0)
		unit = 1000;
	else if (strcmp (p, "min") == 0 || strcmp (p, "m") == 0)
		unit = 60000;
	else if (strcmp (p, "h") == 0)
		unit = 3600000;
	else
		return -1;
	if (v * unit > FSTAB_MAX_WAIT_MS)
		return -1;
	if (v == 0) {
		*forever = true; /* as x-systemd.device-timeout=0 */
		*ms = 0;
		return 0;
	}
	*ms = (unsigned)(v * unit);
	return 0;
}

/* The options keel reads itself; the rest is libmount's to apply. */
static const char *check_options (struct fstab_entry *e, bool *noauto)
{
	char *opts = e->options, *name, *value;
	size_t nsz, vsz;
	bool waited = false;
	int r;

	*noauto = false;
	/* libmount reads a quoted value up to the end of the string; a quote
	 * left open is a typo, not a value */
	for (r = 0, name = opts; *name; name++)
		r += *name == '"';
	if (r % 2)
		return "the options do not parse (an unbalanced quote?)";
	while ((r = mnt_optstr_next_option (&opts, &name, &nsz, &value, &vsz)) == 0) {
		cleanup_free char *v = value ? strndup (value, vsz) : NULL;

		if (value && v == NULL)
			return "out of memory";
#define IS(s) (nsz == strlen (s) && strncmp (name, s, nsz) == 0)
		if (IS ("nofail"))
			e->nofail = true;
		else if (IS ("noauto"))
			*noauto = true;
		else if (IS ("auto"))
			*noauto = false;
		else if (IS ("x-keel.wait") || IS ("x-systemd.device-timeout")) {
			if (v == NULL || fstab_parse_wait (v, &e->wait_ms, &e->wait_forever) < 0)
				return "x-keel.wait= expects a duration like 30s, 500ms, 2min or "
				       "infinity (at most 24h)";
			if (waited)
				return "the device's wait is given twice (x-keel.wait=, "
				       "x-systemd.device-timeout=)";
			waited = true;
		} else if (IS ("x-keel.containers")) {
			if (v != NULL)
				return "x-keel.containers takes no value (containers.d is "
				       "MOUNT-POINT/containers.d)";
			e->containers = true;
		} else if (nsz > 7 && strncmp (name, "x-keel.", 7) == 0)
			return "unknown x-keel. option: only x-keel.wait= and x-keel.containers "
			       "are known";
#undef IS
	}
	if (r < 0)
		return "the options do not parse (an unbalanced quote?)";
	return NULL;
}

static void entry_free (struct fstab_entry *e)
{
	free (e->file);
	free (e->source);
	free (e->tag_value);
	free (e->target);
	free (e->fstype);
	free (e->options);
	memset (e, 0, sizeof (*e));
}

/* A field as a message may show it: at most 64 bytes, control bytes as
 * fstab's own octal escapes, so a line cannot write to the console what
 * the console would act on (a newline, an escape sequence). */
static char *shown (const char *s)
{
	size_t n = strlen (s), k, max = 64;
	char *out = xmalloc0 (max * 4 + 4), *o = out;

	for (k = 0; k < n && k < max; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += sprintf (o, "\\%03o", c);
		else
			*o++ = (char)c;
	}
	if (k < n)
		strcpy (o, "...");
	return out;
}

static bool all_digits (const char *s)
{
	if (*s == '\0' || strlen (s) > 9)
		return false;
	for (; *s; s++)
		if (!isdigit ((unsigned char)*s))
			return false;
	return true;
}

static void parse_line (struct fstab *tab, const char *file, unsigned line, const char *s,
                        size_t len)
{
	const char *f[NFIELDS], *why = NULL;
	char *field[NFIELDS] = {0};
	size_t flen[NFIELDS], nf = 0, i = 0, k;
	struct fstab_entry e = {0};
	bool noauto = false;

	if (len > FSTAB_MAX_LINE) {
		bad (tab, file, line, "longer than %d characters", FSTAB_MAX_LINE);
		return;
	}
	for (;;) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len || (nf == 0 && s[i] == '#'))
			break;
		if (s[i] == '\0') {
			bad (tab, file, line, "a NUL byte in the line");
			return;
		}
		if (nf == NFIELDS) {
			bad (tab, file, line, "more than %d fields (a space in a path is \\040)",
			     NFIELDS);
			return;
		}
		f[nf] = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\0')
			i++;
		flen[nf] = (size_t)(s + i - f[nf]);
		nf++;
	}
	if (nf == 0)
		return; /* blank or a comment */
	if (nf < 3) {
		bad (tab, file, line,
		     "expected at least 3 fields (device, mount point, type), got %zu", nf);
		return;
	}
	for (k = 0; k < nf; k++) {
		field[k] = unescape (f[k], flen[k], &why);
		if (field[k] == NULL) {
			static const char *const names[] = {"device",  "mount point", "type",
			                                    "options", "dump",        "pass"};
			bad (tab, file, line, "%s: %s", names[k], why);
			goto out;
		}
	}
	for (k = 4; k < nf; k++) {
		cleanup_free char *v = NULL;

		if (all_digits (field[k]))
			continue;
		v = shown (field[k]);
		bad (tab, file, line, "%s (field %zu) must be a number, got \"%s\"",
		     k == 4 ? "dump" : "pass", k + 1, v);
		goto out;
	}
	e.line = line;
	e.source = field[0];
	e.target = field[1];
	e.fstype = field[2];
	e.options = nf > 3 ? field[3] : xstrdup ("defaults");
	field[0] = field[1] = field[2] = field[3] = NULL;
	e.wait_ms = FSTAB_DEFAULT_WAIT_MS;

	if (strcmp (e.fstype, "swap") == 0 || strcmp (e.target, "none") == 0 ||
	    strcmp (e.target, "swap") == 0) {
		tab->n_skipped++; /* keel does not swap */
		goto out;
	}
	if ((why = check_source (&e)) || (why = check_target (e.target))) {
		bad (tab, file, line, "%s", why);
		goto out;
	}
	if (strlen (e.fstype) > 64 ||
	    strspn (e.fstype, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen (e.fstype)) {
		cleanup_free char *v = shown (e.fstype);
		bad (tab, file, line, "type \"%s\" is not a file system type name", v);
		goto out;
	}
	if ((why = check_options (&e, &noauto))) {
		bad (tab, file, line, "%s", why);
		goto out;
	}
	if (e.containers && (noauto || strcmp (e.target, "/") == 0)) {
		bad (tab, file, line,
		     "x-keel.containers: the store is mounted at boot, on a "
		     "mount point of its own (not noauto, not /)");
		goto out;
	}
	if (e.containers && fstab_store (tab)) {
		const struct fstab_entry *first = fstab_store (tab);
		bad (tab, file, line, "x-keel.containers is given twice (first at %s:%u)",
		     first->file, first->line);
		goto out;
	}
	if (noauto || strcmp (e.target, "/") == 0) {
		tab->n_skipped++; /* not at boot; "/" is already mounted */
		goto out;
	}
	if (fstab_find (tab, e.target)) {
		const struct fstab_entry *first = fstab_find (tab, e.target);
		cleanup_free char *v = shown (e.target);
		bad (tab, file, line, "%s is mounted twice (first at %s:%u)", v, first->file,
		     first->line);
		goto out;
	}
	if (tab->n >= FSTAB_MAX_ENTRIES) {
		bad (tab, file, line, "more than %d mounts", FSTAB_MAX_ENTRIES);
		goto out;
	}
	e.file = xstrdup (file);
	tab->v = xrealloc (tab->v, (tab->n + 1) * sizeof (*tab->v));
	tab->v[tab->n++] = e;
	memset (&e, 0, sizeof (e));
out:
	entry_free (&e);
	for (k = 0; k < NFIELDS; k++)
		free (field[k]);
}

size_t fstab_parse (struct fstab *tab, const char *file, const char *text, size_t len)
{
	size_t before = tab->n_errors, i = 0;
	unsigned line = 0;

	while (i < len) {
		const char *nl = memchr (text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		line++;
		parse_line (tab, file, line, text + i, n);
		i += n + 1;
	}
	return tab->n_errors - before;
}

const struct fstab_entry *fstab_store (const struct fstab *tab)
{
	size_t k;

	for (k = 0; k < tab->n; k++)
		if (tab->v[k].containers)
			return &tab->v[k];
	return NULL;
}

int fstab_read (struct fstab *tab, const char *path, struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (input_read (path, NULL, 1 << 20, &buf, &len, err) < 0) {
		if ((*err)->status == ENOENT) {
			keel_error_release (err);
			return 0;
		}
		return -1;
	}
	fstab_parse (tab, path, buf, len);
	return 0;
}

const struct fstab_entry *fstab_find (const struct fstab *tab, const char *target)
{
	size_t i;

	for (i = 0; i < tab->n; i++)
		if (strcmp (tab->v[i].target, target) == 0)
			return &tab->v[i];
	return NULL;
}

const struct fstab_entry *fstab_parent (const struct fstab *tab, const struct fstab_entry *e)
{
	const struct fstab_entry *best = NULL;
	size_t i;

	for (i = 0; i < tab->n; i++) {
		const char *t = tab->v[i].target;
		size_t n = strlen (t);

		if (&tab->v[i] == e || strcmp (t, e->target) == 0)
			continue;
		if (strcmp (t, "/") != 0 && (strncmp (e->target, t, n) != 0 || e->target[n] != '/'))
			continue;
		if (best == NULL || strlen (best->target) < n)
			best = &tab->v[i];
	}
	return best;
}

void fstab_free (struct fstab *tab)
{
	size_t i;

	for (i = 0; i < tab->n; i++)
		entry_free (&tab->v[i]);
	for (i = 0; i < tab->n_errors; i++)
		free (tab->errors[i]);
	free (tab->v);
	free (tab->errors);
	memset (tab, 0, sizeof (*tab));
}
