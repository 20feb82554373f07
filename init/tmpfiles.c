/* tmpfiles.conf: parse the tmpfiles.d(5) subset of init/tmpfiles.h and
 * create what it lists, with *at() calls relative to a root descriptor and
 * without following symlinks in the final component where that matters. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/tmpfiles.h"
#include "lib/log.h"
#include "lib/input.h"
#include "lib/util.h"

/* ---- parsing ------------------------------------------------------------ */

struct cursor {
	const char *file;
	unsigned line;
	struct keel_error **err;
};

static int fail (struct cursor *c, const char *what, const char *tok)
{
	return keel_error (c->err, 0, "%s:%u: %s%s%s%s", c->file, c->line, what, tok ? " `" : "",
	                   tok ? tok : "", tok ? "`" : "");
}

/* The next whitespace-separated field of *p, NUL-terminated in place. */
static char *next_field (char **p)
{
	char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	start = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return start;
}

static bool is_default (const char *f)
{
	return f == NULL || strcmp (f, "-") == 0;
}

static int parse_type (struct cursor *c, const char *f, struct tmpfiles_entry *e)
{
	const char *m;

	if (strchr ("dDfFwL", f[0]) == NULL)
		return fail (c, "unsupported type (keel knows d, D, f, F, w, L):", f);
	e->type = f[0];
	for (m = f + 1; *m; m++) {
		if (*m == '+' && strchr ("fwL", e->type) != NULL && !e->plus)
			e->plus = true;
		else if (*m == '-' && !e->ignore_errors)
			e->ignore_errors = true;
		else if (*m == '!' && !e->boot_only)
			e->boot_only = true;
		else
			return fail (c, "unsupported type modifier in", f);
	}
	if (e->type == 'f' && e->plus) { /* f+ is F */
		e->type = 'F';
		e->plus = false;
	}
	return 0;
}

/* "/" under any spelling ("//", "/.", "/./"): every component empty or ".".
 * f starts with '/', so s[-1] is always inside it. */
static bool is_root (const char *f)
{
	const char *s;

	for (s = f; *s; s++)
		if (*s != '/' && !(*s == '.' && s[-1] == '/' && (s[1] == '/' || s[1] == '\0')))
			return false;
	return true;
}

static int parse_path (struct cursor *c, const char *f, struct tmpfiles_entry *e)
{
	const char *s;

	if (f == NULL)
		return fail (c, "missing path", NULL);
	if (f[0] != '/')
		return fail (c, "path is not absolute:", f);
	if (strchr (f, '%') != NULL)
		return fail (c, "specifiers (%) are not supported in", f);
	for (s = f; (s = strstr (s, "/..")) != NULL; s += 3)
		if (s[3] == '/' || s[3] == '\0')
			return fail (c, "path has a `..` component:", f);
	if (strlen (f) >= 4096)
		return fail (c, "path is too long", NULL);
	if (is_root (f))
		return fail (c, "refusing the root directory itself:", f);
	e->path = xstrdup (f);
	return 0;
}

static int parse_mode (struct cursor *c, const char *f, struct tmpfiles_entry *e)
{
	unsigned long v;
	char *end;

	if (is_default (f))
		return 0;
	if (*f == ':') {
		e->mode_on_create = true;
		f++;
	}
	if (*f < '0' || *f > '7')
		return fail (c, "mode is not octal:", f);
	errno = 0;
	v = strtoul (f, &end, 8);
	if (errno != 0 || *end != '\0' || v > 07777)
		return fail (c, "mode is not an octal number up to 07777:", f);
	e->has_mode = true;
	e->mode = (mode_t)v;
	return 0;
}

static int parse_id (struct cursor *c, const char *f, const char *what, bool *has, unsigned *out)
{
	unsigned long long v;

	if (is_default (f))
		return 0;
	if (strcmp (f, "root") == 0)
		v = 0;
	else if (!parse_uint64 (f, &v) || v >= (unsigned)-1)
		return fail (c, what, f);
	*has = true;
	*out = (unsigned)v;
	return 0;
}

/* The argument with \\, \n, \t decoded; other backslashes are kept. */
static char *unescape (const char *s, size_t *len)
{
	char *out = xmalloc0 (strlen (s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\\' && (s[1] == '\\' || s[1] == 'n' || s[1] == 't')) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : '\\';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

static int parse_line (struct cursor *c, char *l, struct tmpfiles_entry *e)
{
	char *p = l, *type, *path, *mode, *user, *group, *age;
	unsigned id;
	int ret;

	type = next_field (&p);
	path = next_field (&p);
	mode = next_field (&p);
	user = next_field (&p);
	group = next_field (&p);
	age = next_field (&p);
	(void)age; /* keel does not clean up by age */
	while (*p == ' ' || *p == '\t')
		p++;

	memset (e, 0, sizeof (*e));
	e->line = c->line;
	ret = parse_type (c, type, e);
	if (ret == 0)
		ret = parse_path (c, path, e);
	if (ret == 0)
		ret = parse_mode (c, mode, e);
	if (ret == 0 &&
	    (ret = parse_id (c, user, "user is not a number or root:", &e->has_uid, &id)) == 0 &&
	    e->has_uid)
		e->uid = (uid_t)id;
	if (ret == 0 &&
	    (ret = parse_id (c, group, "group is not a number or root:", &e->has_gid, &id)) == 0 &&
	    e->has_gid)
		e->gid = (gid_t)id;
	if (ret == 0 && *p != '\0' && strcmp (p, "-") != 0)
		e->arg = unescape (p, &e->arg_len);
	if (ret == 0 && e->type == 'L' && e->arg == NULL)
		ret = fail (c, "a symlink needs a target (the argument)", NULL);
	if (ret < 0) {
		free (e->path);
		free (e->arg);
		memset (e, 0, sizeof (*e));
	}
	return ret;
}

int tmpfiles_parse (const char *file, const char *text, size_t len, struct tmpfiles *out,
                    struct keel_error **err)
{
	struct cursor c = {.file = file, .line = 0, .err = err};
	cleanup_free char *buf = NULL;
	char *line, *next;

	memset (out, 0, sizeof (*out));
	if (len > TMPFILES_MAX_FILE_SIZE)
		return keel_error (err, EFBIG, "%s: larger than %d bytes", file,
		                   TMPFILES_MAX_FILE_SIZE);
	if (memchr (text, '\0', len) != NULL)
		return keel_error (err, 0, "%s: holds a NUL byte", file);
	buf = xmalloc0 (len + 1);
	memcpy (buf, text, len);
	out->file = xstrdup (file);
	out->v = xmalloc0 (sizeof (*out->v) * TMPFILES_MAX_ENTRIES);
	for (line = buf; line != NULL; line = next) {
		size_t n;
		char *s;
		int ret;

		next = strchr (line, '\n');
		if (next)
			*next++ = '\0';
		c.line++;
		n = strlen (line);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		if (out->n == TMPFILES_MAX_ENTRIES) {
			tmpfiles_free (out);
			return keel_error (err, 0, "%s:%u: more than %d entries", file, c.line,
			                   TMPFILES_MAX_ENTRIES);
		}
		ret = parse_line (&c, s, &out->v[out->n]);
		if (ret < 0) {
			tmpfiles_free (out);
			return ret;
		}
		out->n++;
	}
	return 0;
}

int tmpfiles_load (const char *file, struct tmpfiles *out, struct keel_error **err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int ret;

	memset (out, 0, sizeof (*out));
	if (access (file, F_OK) < 0 && errno == ENOENT)
		return 0;
	ret = input_read (file, NULL, TMPFILES_MAX_FILE_SIZE, &text, &len, err);
	if (ret < 0)
		return ret;
	return tmpfiles_parse (file, text, len, out, err);
}

void tmpfiles_free (struct tmpfiles *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free (t->v[i].path);
		free (t->v[i].arg);
	}
	free (t->v);
	free (t->file);
	memset (t, 0, sizeof (*t));
}

/* ---- applying ----------------------------------------------------------- */

/* mkdir -p of the parents of rel (relative to rootfd), mode 0755. */
static int make_parents (int rootfd, const char *rel, struct keel_error **err)
{
	cleanup_free char *p = xstrdup (rel);
	char *s;

	for (s = strchr (p, '/'); s != NULL; s = strchr (s + 1, '/')) {
		*s = '\0';
		if (mkdirat (rootfd, p, 0755) < 0 && errno != EEXIST)
			return keel_error (err, errno, "mkdir `/%s`", p);
		*s = '/';
	}
	return 0;
}

/* Mode and owner of an open file: the mode when it was created or the
 * entry says so always; the owner whenever the entry names one. */
static int fix_attrs (int fd, const struct tmpfiles_entry *e, bool created, mode_t dflt,
                      struct keel_error **err)
{
	if (created || (e->has_mode && !e->mode_on_create)) {
		if (fchmod (fd, e->has_mode ? e->mode : dflt) < 0)
			return keel_error (err, errno, "chmod `%s`", e->path);
	}
	if ((e->has_uid || e->has_gid) &&
	    fchown (fd, e->has_uid ? e->uid : (uid_t)-1, e->has_gid ? e->gid : (gid_t)-1) < 0)
		return keel_error (err, errno, "chown `%s`", e->path);
	return 0;
}

static int apply_dir (int rootfd, const char *rel, const struct tmpfiles_entry *e,
                      struct keel_error **err)
{
	cleanup_close int fd = -1;
	bool created = true;
	int ret;

	ret = make_parents (rootfd, rel, err);
	if (ret < 0)
		return ret;
	if (mkdirat (rootfd, rel, 0700) < 0) {
		if (errno != EEXIST)
			return keel_error (err, errno, "mkdir `%s`", e->path);
		created = false;
	}
	fd = openat (rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) /* a file or a symlink */
		return keel_error (err, 0, "`%s` exists and is not a directory", e->path);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	return fix_attrs (fd, e, created, 0755, err);
}

static int apply_file (int rootfd, const char *rel, const struct tmpfiles_entry *e,
                       struct keel_error **err)
{
	cleanup_close int fd = -1;
	bool created = true;
	int ret;

	ret = make_parents (rootfd, rel, err);
	if (ret < 0)
		return ret;
	if (e->type == 'F') {
		struct stat st;
		created = fstatat (rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0;
		fd = openat (rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		             0600);
	} else {
		fd = openat (rootfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		             0600);
		if (fd < 0 && errno == EEXIST) {
			/* 'f' leaves the content of an existing file alone. */
			created = false;
			fd = openat (rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		}
	}
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	if (created || e->type == 'F') {
		if (e->arg != NULL) {
			ret = write_all (fd, e->arg, e->arg_len, err);
			if (ret < 0)
				return keel_error_wrap (err, "write `%s`", e->path);
		}
	}
	return fix_attrs (fd, e, created, 0644, err);
}

static int apply_write (int rootfd, const char *rel, const struct tmpfiles_entry *e,
                        struct keel_error **err)
{
	cleanup_close int fd = -1;
	int ret;

	if (e->arg == NULL)
		return 0;
	/* w follows symlinks (it is how /proc/sys knobs get set) and ignores
	 * a missing file. */
	fd = openat (rootfd, rel, O_WRONLY | O_CLOEXEC | (e->plus ? O_APPEND : O_TRUNC));
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	ret = write_all (fd, e->arg, e->arg_len, err);
	if (ret < 0)
		return keel_error_wrap (err, "write `%s`", e->path);
	return 0;
}

static int apply_link (int rootfd, const char *rel, const struct tmpfiles_entry *e,
                       struct keel_error **err)
{
	int ret;

	ret = make_parents (rootfd, rel, err);
	if (ret < 0)
		return ret;
	if (symlinkat (e->arg, rootfd, rel) == 0)
		return 0;
	if (errno != EEXIST)
		return keel_error (err, errno, "symlink `%s` -> `%s`", e->path, e->arg);
	if (!e->plus)
		return 0; /* L keeps whatever is there */
	if (unlinkat (rootfd, rel, 0) < 0 &&
	    (errno != EISDIR || unlinkat (rootfd, rel, AT_REMOVEDIR) < 0))
		return keel_error (err, errno, "remove `%s` to replace it", e->path);
	if (symlinkat (e->arg, rootfd, rel) < 0)
		return keel_error (err, errno, "symlink `%s` -> `%s`", e->path, e->arg);
	return 0;
}

static int apply_one (int rootfd, const struct tmpfiles_entry *e, struct keel_error **err)
{
	const char *rel = e->path; /* relative to rootfd: "//x" must not become "/x" */

	while (*rel == '/')
		rel++;

	switch (e->type) {
	case 'd':
	case 'D':
		return apply_dir (rootfd, rel, e, err);
	case 'f':
	case 'F':
		return apply_file (rootfd, rel, e, err);
	case 'w':
		return apply_write (rootfd, rel, e, err);
	default:
		return apply_link (rootfd, rel, e, err);
	}
}

int tmpfiles_apply (const struct tmpfiles *t, int rootfd, struct keel_error **err)
{
	int first = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct keel_error *e = NULL;
		const struct tmpfiles_entry *en = &t->v[i];

		if (apply_one (rootfd, en, &e) >= 0)
			continue;
		keel_error_wrap (&e, "%s:%u", t->file, en->line);
		if (en->ignore_errors) {
			cleanup_free char *s = keel_error_string (e);
			keel_log (KEEL_LOG_WARNING, "%s (ignored: `-` entry)", s ? s : "tmpfiles");
			keel_error_release (&e);
		} else if (first == 0) {
			first = -1 - (e->status > 0 ? e->status : 0);
			keel_error_release (err);
			*err = e;
		} else {
			keel_log_error (&e);
		}
	}
	return first;
}
