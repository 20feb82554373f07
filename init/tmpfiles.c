/* tmpfiles.conf: parse the tmpfiles.d(5) lines of init/tmpfiles.h and apply
 * them under a root directory descriptor.  The paths come from an image, and
 * the trees they name (bind-mount sources) are written by its container, so
 * every step is taken relative to a descriptor already inside the root:
 * parents are resolved with runtime/resolve.c (symlinks and `..` stop at the
 * root), the last component is acted on with *at() calls that do not follow
 * it, and recursive walks open each level with O_NOFOLLOW and stay on their
 * mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/posix_acl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/stat.h> /* struct statx: musl 1.2.3 has no statx() */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "init/tmpfiles.h"
#include "lib/log.h"
#include "lib/input.h"
#include "lib/util.h"
#include "runtime/resolve.h"

#define KNOWN_TYPES "dDfFwLCzZerRxXaA"
#define GLOB_TYPES  "zZerRxXaA"
#define MAX_DEPTH   256   /* directory levels a recursive walk enters */
#define MAX_MATCHES 65536 /* paths one glob may expand to */
/* open_parent: a parent directory is missing (no error made; for z, r, e
 * and the like a missing path is nothing to do).  keel_error() values are
 * small negatives, so this cannot be one of them. */
#define NOT_THERE INT_MIN

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

static int parse_type (struct cursor *c, const char *f, struct tmpfiles_entry *e, bool *base64)
{
	const char *m;

	if (strchr (KNOWN_TYPES, f[0]) == NULL)
		return fail (
		        c,
		        "unsupported type (keel knows d, D, f, F, w, L, C, z, Z, e, r, R, x, X, "
		        "a, A):",
		        f);
	e->type = f[0];
	for (m = f + 1; *m; m++) {
		if (*m == '+' && strchr ("fwLCaA", e->type) != NULL && !e->plus)
			e->plus = true;
		else if (*m == '-' && !e->ignore_errors)
			e->ignore_errors = true;
		else if (*m == '!' && !e->boot_only)
			e->boot_only = true;
		else if (*m == '=' && strchr ("dDfFLC", e->type) != NULL && !e->replace)
			e->replace = true;
		else if (*m == '~' && strchr ("fFwLC", e->type) != NULL && !*base64)
			*base64 = true;
		else if (*m == '^')
			return fail (
			        c,
			        "`^` (argument from a service credential) is not supported, keel "
			        "has no credential store:",
			        f);
		else
			return fail (c, "unsupported type modifier in", f);
	}
	if (e->type == 'f' && e->plus) { /* f+ is F */
		e->type = 'F';
		e->plus = false;
	}
	return 0;
}

/* "//a/./b/" -> "/a/b"; "" when nothing but the root is left. */
static void normalise (char *p)
{
	char *r = p, *w = p;

	while (*r) {
		while (*r == '/')
			r++;
		if (r[0] == '.' && (r[1] == '/' || r[1] == '\0')) {
			r++;
			continue;
		}
		if (*r == '\0')
			break;
		*w++ = '/';
		while (*r && *r != '/')
			*w++ = *r++;
	}
	*w = '\0';
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
	e->path = xstrdup (f);
	normalise (e->path);
	if (e->path[0] == '\0') {
		free (e->path);
		e->path = NULL;
		return fail (c, "refusing the root directory itself:", f);
	}
	e->glob = strchr (GLOB_TYPES, e->type) != NULL && strpbrk (e->path, "*?[") != NULL;
	return 0;
}

static int parse_mode (struct cursor *c, const char *f, struct tmpfiles_entry *e)
{
	unsigned long v;
	char *end;

	if (is_default (f))
		return 0;
	for (; *f == ':' || *f == '~'; f++) {
		bool *flag = *f == ':' ? &e->mode_on_create : &e->mode_masked;
		if (*flag)
			return fail (c, "mode is not octal:", f);
		*flag = true;
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

static bool parse_idnum (const char *f, unsigned *out)
{
	unsigned long long v;

	if (strcmp (f, "root") == 0)
		v = 0;
	else if (!parse_uint64 (f, &v) || v >= (unsigned)-1)
		return false;
	*out = (unsigned)v;
	return true;
}

static int parse_id (struct cursor *c, const char *f, const char *what, bool *has, unsigned *out)
{
	if (is_default (f))
		return 0;
	if (!parse_idnum (f, out))
		return fail (c, what, f);
	*has = true;
	return 0;
}

/* systemd's time span: "10d", "1h30min", "0"; a bare number is seconds. */
static bool parse_span (const char *s, uint64_t *usec)
{
	static const struct {
		const char *u;
		uint64_t mul;
	} units[] = {
	        {"usec", 1ULL},
	        {"us", 1ULL},
	        {"msec", 1000ULL},
	        {"ms", 1000ULL},
	        {"seconds", 1000000ULL},
	        {"second", 1000000ULL},
	        {"sec", 1000000ULL},
	        {"s", 1000000ULL},
	        {"minutes", 60000000ULL},
	        {"minute", 60000000ULL},
	        {"min", 60000000ULL},
	        {"m", 60000000ULL},
	        {"hours", 3600000000ULL},
	        {"hour", 3600000000ULL},
	        {"hr", 3600000000ULL},
	        {"h", 3600000000ULL},
	        {"days", 86400000000ULL},
	        {"day", 86400000000ULL},
	        {"d", 86400000000ULL},
	        {"weeks", 604800000000ULL},
	        {"week", 604800000000ULL},
	        {"w", 604800000000ULL},
	        {"months", 2629800000000ULL},
	        {"month", 2629800000000ULL},
	        {"M", 2629800000000ULL},
	        {"years", 31557600000000ULL},
	        {"year", 31557600000000ULL},
	        {"y", 31557600000000ULL},
	};
	uint64_t total = 0;

	if (*s == '\0')
		return false;
	while (*s) {
		unsigned long long v = 0;
		uint64_t mul = 1000000ULL;
		size_t i, n;

		while (*s == ' ')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (unsigned)(*s - '0');
		}
		for (i = 0; i < ARRAY_SIZE (units); i++) {
			n = strlen (units[i].u);
			if (strncmp (s, units[i].u, n) == 0 && !(s[n] >= 'a' && s[n] <= 'z')) {
				mul = units[i].mul;
				s += n;
				break;
			}
		}
		if (i == ARRAY_SIZE (units) && *s != '\0' && !(*s >= '0' && *s <= '9') && *s != ' ')
			return false;
		if (v != 0 && mul > UINT64_MAX / v)
			return false;
		if (total > UINT64_MAX - v * mul)
			return false;
		total += v * mul;
	}
	*usec = total;
	return true;
}

static int parse_age (struct cursor *c, const char *f, struct tmpfiles_entry *e)
{
	const char *colon, *s;

	if (is_default (f))
		return 0;
	/* Checked on every line, used on d, D, e and C (as systemd). */
	e->age_by_file =
	        TMPFILES_AGE_ATIME | TMPFILES_AGE_BTIME | TMPFILES_AGE_CTIME | TMPFILES_AGE_MTIME;
	/* A directory's ctime changes when its old contents go; not by default. */
	e->age_by_dir = TMPFILES_AGE_ATIME | TMPFILES_AGE_BTIME | TMPFILES_AGE_MTIME;
	colon = strchr (f, ':');
	if (colon != NULL) {
		e->age_by_file = e->age_by_dir = 0;
		for (s = f; s < colon; s++) {
			const char *l = strchr ("abcmABCM", *s);
			if (*s == '\0' || l == NULL)
				return fail (c, "age selector is not one of abcmABCM in", f);
			if (l - "abcmABCM" < 4)
				e->age_by_file |= 1u << (l - "abcmABCM");
			else
				e->age_by_dir |= 1u << (l - "abcmABCM" - 4);
		}
		f = colon + 1;
	}
	if (*f == '~') {
		e->age_keep_level = true;
		f++;
	}
	if (!parse_span (f, &e->age_usec))
		return fail (c, "age is not a time span (such as 10d or 1h30min):", f);
	e->has_age = true;
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

/* `~`: the argument is base64 (whitespace ignored, `=` padding optional). */
static char *unbase64 (const char *s, size_t *len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc0 (strlen (s) + 1), *o = out;
	unsigned acc = 0, bits = 0;
	bool pad = false;

	for (; *s; s++) {
		const char *p;

		if (*s == ' ' || *s == '\t')
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		p = strchr (a, *s);
		if (p == NULL || *s == '\0' || pad) {
			free (out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6) { /* a lone 6-bit group cannot end base64 */
		free (out);
		return NULL;
	}
	*len = (size_t)(o - out);
	return out;
}

/* a/A: "[d:]u:UID:rwx,g::r-x,m::rwx,o::---" with numeric ids (no NSS here). */
static int parse_acl (struct cursor *c, const char *text, struct tmpfiles_entry *e)
{
	cleanup_free char *buf = xstrdup (text);
	struct tmpfiles_ace *a_shrunk;
	char *save = NULL, *ent;

	e->acl = xmalloc0 (sizeof (*e->acl) * TMPFILES_MAX_ACL);
	for (ent = strtok_r (buf, ",", &save); ent != NULL; ent = strtok_r (NULL, ",", &save)) {
		struct tmpfiles_ace *a = &e->acl[e->acl_n];
		cleanup_free char *whole = xstrdup (ent); /* strsep cuts ent */
		char *f[4] = {NULL}, *s = ent, *q;
		size_t nf = 0, i;
		const char *tag, *qual, *perm;

		if (e->acl_n == TMPFILES_MAX_ACL)
			return fail (c, "more than 64 ACL entries", NULL);
		while (nf < 4 && (q = strsep (&s, ":")) != NULL)
			f[nf++] = q;
		if (s != NULL)
			return fail (c, "ACL entry has too many fields:", whole);
		i = 0;
		if (nf > 0 && (strcmp (f[0], "d") == 0 || strcmp (f[0], "default") == 0)) {
			a->deflt = true;
			i = 1;
		}
		if (nf - i == 3) {
			tag = f[i];
			qual = f[i + 1];
			perm = f[i + 2];
		} else if (nf - i == 2) { /* "m:rwx", "o:r" */
			tag = f[i];
			qual = "";
			perm = f[i + 1];
		} else {
			return fail (c, "ACL entry is not [d:]TAG:ID:PERMS:", whole);
		}
		a->id = (uint32_t)ACL_UNDEFINED_ID;
		if (strcmp (tag, "u") == 0 || strcmp (tag, "user") == 0)
			a->tag = *qual ? ACL_USER : ACL_USER_OBJ;
		else if (strcmp (tag, "g") == 0 || strcmp (tag, "group") == 0)
			a->tag = *qual ? ACL_GROUP : ACL_GROUP_OBJ;
		else if ((strcmp (tag, "m") == 0 || strcmp (tag, "mask") == 0) && *qual == '\0')
			a->tag = ACL_MASK;
		else if ((strcmp (tag, "o") == 0 || strcmp (tag, "other") == 0) && *qual == '\0')
			a->tag = ACL_OTHER;
		else
			return fail (c, "ACL entry has an unknown tag:", whole);
		if (*qual) {
			unsigned id;
			if (!parse_idnum (qual, &id))
				return fail (c,
				             "ACL user or group is not a number or root:", whole);
			a->id = id;
		}
		for (; *perm; perm++) {
			if (*perm == 'r')
				a->perm |= ACL_READ;
			else if (*perm == 'w')
				a->perm |= ACL_WRITE;
			else if (*perm == 'x')
				a->perm |= ACL_EXECUTE;
			else if (*perm == 'X')
				a->cap_x = true;
			else if (*perm != '-')
				return fail (
				        c, "ACL permissions are not made of r, w, x, X, -:", whole);
		}
		e->acl_n++;
	}
	if (e->acl_n == 0)
		return fail (c, "an ACL line needs entries (the argument)", NULL);
	a_shrunk = realloc (e->acl, sizeof (*e->acl) * e->acl_n);
	if (a_shrunk != NULL)
		e->acl = a_shrunk;
	return 0;
}

static void entry_clear (struct tmpfiles_entry *e)
{
	free (e->path);
	free (e->arg);
	free (e->acl);
	memset (e, 0, sizeof (*e));
}

static int parse_line (struct cursor *c, char *l, struct tmpfiles_entry *e)
{
	char *p = l, *type, *path, *mode, *user, *group, *age;
	bool base64 = false;
	unsigned id;
	int ret;

	type = next_field (&p);
	path = next_field (&p);
	mode = next_field (&p);
	user = next_field (&p);
	group = next_field (&p);
	age = next_field (&p);
	while (*p == ' ' || *p == '\t')
		p++;

	memset (e, 0, sizeof (*e));
	e->line = c->line;
	ret = parse_type (c, type, e, &base64);
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
	if (ret == 0)
		ret = parse_age (c, age, e);
	if (ret == 0 && *p != '\0' && strcmp (p, "-") != 0) {
		if (base64) {
			e->arg = unbase64 (p, &e->arg_len);
			if (e->arg == NULL)
				ret = fail (c, "argument is not base64 (the `~` modifier):", p);
		} else {
			e->arg = unescape (p, &e->arg_len);
		}
	}
	if (ret == 0 && e->arg != NULL && strchr ("LC", e->type) != NULL &&
	    strlen (e->arg) != e->arg_len)
		ret = fail (c, "a path argument holds a NUL byte", NULL);
	if (ret == 0 && e->type == 'L' && e->arg == NULL)
		ret = fail (c, "a symlink needs a target (the argument)", NULL);
	if (ret == 0 && e->type == 'C' && e->arg != NULL && e->arg[0] != '/')
		ret = fail (c, "the copy source is not absolute:", p); /* as written: one line */
	if (ret == 0 && (e->type == 'a' || e->type == 'A')) {
		if (e->arg == NULL)
			ret = fail (c, "an ACL line needs entries (the argument)", NULL);
		else
			ret = parse_acl (c, p, e); /* as written: messages stay one line */
	}
	if (ret < 0)
		entry_clear (e);
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
	/* PID 1 keeps every entry's set for its lifetime: only what is used. */
	if (out->n == 0) {
		free (out->v);
		out->v = NULL;
	} else {
		struct tmpfiles_entry *v = realloc (out->v, sizeof (*out->v) * out->n);
		if (v != NULL)
			out->v = v;
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

	for (i = 0; i < t->n; i++)
		entry_clear (&t->v[i]);
	free (t->v);
	free (t->file);
	memset (t, 0, sizeof (*t));
}

/* ---- resolving inside the root ------------------------------------------ */

struct ctx {
	const struct tmpfiles *t;
	int rootfd;
	uint64_t now_usec; /* CLOCK_REALTIME, what file times are compared with */
};

static void close_dir (DIR **d)
{
	if (*d)
		closedir (*d);
}
#define cleanup_dir __attribute__ ((cleanup (close_dir)))

/* A path relative to the root, for *at() calls: "/a/b" -> "a/b". */
static const char *rel_of (const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* Remove what is at (dfd, name), a directory with its contents (staying on
 * this mount), for `=`. */
static int remove_tree (struct ctx *x, int dfd, const char *name, const char *path,
                        struct keel_error **err);

/* The directory holding the last component of the absolute path p, opened
 * inside the root; *name is that component (in p).  create: make missing
 * directories (0755), replace: remove a parent that is not a directory
 * (nor a symlink to one) first.  A parent missing without create is
 * NOT_THERE. */
static int open_parent (struct ctx *x, const char *p, bool create, bool replace, const char **name,
                        struct keel_error **err)
{
	cleanup_free char *rel = xstrdup (rel_of (p));
	cleanup_close int cur = -1;
	char *slash = strrchr (rel, '/'), *s, *comp;

	*name = strrchr (p, '/') + 1;
	cur = fcntl (x->rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return keel_error (err, errno, "dup the root descriptor");
	if (slash == NULL)
		return steal_fd (&cur);
	*slash = '\0';
	for (comp = rel; comp != NULL; comp = s ? s + 1 : NULL) {
		int fd;
		struct stat st;

		s = strchr (comp, '/');
		if (s)
			*s = '\0';
		fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
				return keel_error (err, errno, "mkdir `/%s`", rel);
			fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
		    fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK (st.st_mode)) {
				/* Follow it, but inside the root: the whole
				 * prefix again, through resolve.c. */
				fd = open_in_root (x->rootfd, rel, O_RDONLY | O_DIRECTORY);
				if (fd < 0 && errno == ENOENT && create)
					return keel_error (
					        err, 0,
					        "`/%s` is a symlink to nothing (a parent of "
					        "`%s`)",
					        rel, p);
			} else if (replace) {
				int r = remove_tree (x, cur, comp, rel, err);
				if (r < 0)
					return r;
				if (mkdirat (cur, comp, 0755) < 0)
					return keel_error (err, errno, "mkdir `/%s`", rel);
				fd = openat (cur, comp,
				             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			} else {
				return keel_error (err, 0,
				                   "`/%s` is not a directory (a parent of `%s`)",
				                   rel, p);
			}
		}
		if (fd < 0 && errno == ENOENT && !create)
			return NOT_THERE;
		if (fd < 0)
			return keel_error (err, errno, "open `/%s`", rel);
		close (cur);
		cur = fd;
		if (s)
			*s = '/';
	}
	return steal_fd (&cur);
}

static bool is_glob (const char *s)
{
	return strpbrk (s, "*?[") != NULL;
}

struct paths {
	char **v;
	size_t n, cap;
};

static void paths_add (struct paths *ps, char *p)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		ps->v = realloc (ps->v, sizeof (char *) * ps->cap);
		if (ps->v == NULL)
			abort ();
	}
	ps->v[ps->n++] = p;
}

static void paths_free (struct paths *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free (ps->v[i]);
	free (ps->v);
	memset (ps, 0, sizeof (*ps));
}

static int cmp_str (const void *a, const void *b)
{
	return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Expand the glob components of `rest` below the directory `done` (an
 * absolute path, "" for the root) as glob(3) would, listing directories
 * opened inside the root: a leading dot is only matched by a dot. */
static int glob_walk (struct ctx *x, const char *done, const char *rest, struct paths *out,
                      struct keel_error **err)
{
	const char *slash = strchr (rest, '/');
	cleanup_free char *comp = slash ? strndup (rest, (size_t)(slash - rest)) : xstrdup (rest);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (comp == NULL)
		abort ();
	if (!is_glob (rest)) {
		paths_add (out, xasprintf ("%s/%s", done, rest));
		return 0;
	}
	if (!is_glob (comp)) {
		cleanup_free char *next = xasprintf ("%s/%s", done, comp);
		return glob_walk (x, next, slash + 1, out, err);
	}
	fd = open_in_root (x->rootfd, *done ? done : "/", O_RDONLY | O_DIRECTORY);
	if (fd < 0) /* missing or not a directory: no match */
		return 0;
	d = fdopendir (fd);
	if (d == NULL) {
		close (fd);
		return keel_error (err, errno, "open `%s`", *done ? done : "/");
	}
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *next = NULL;
		int r;

		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		if (fnmatch (comp, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (out->n >= MAX_MATCHES)
			return keel_error (err, 0, "more than %d paths match", MAX_MATCHES);
		next = xasprintf ("%s/%s", done, de->d_name);
		if (slash == NULL) {
			paths_add (out, steal_ptr (&next));
			continue;
		}
		r = glob_walk (x, next, slash + 1, out, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The paths an entry names: itself, or its glob's matches (sorted). */
static int entry_paths (struct ctx *x, const struct tmpfiles_entry *e, struct paths *out,
                        struct keel_error **err)
{
	int r;

	memset (out, 0, sizeof (*out));
	if (!e->glob) {
		paths_add (out, xstrdup (e->path));
		return 0;
	}
	r = glob_walk (x, "", e->path + 1, out, err);
	if (r < 0) {
		paths_free (out);
		return keel_error_wrap (err, "expand `%s`", e->path);
	}
	if (out->n > 1) /* qsort's array must not be NULL, even for 0 items */
		qsort (out->v, out->n, sizeof (char *), cmp_str);
	return 0;
}

/* ---- what cleaning keeps ------------------------------------------------ */

/* x (the path and what is below it), X (the path only), and paths another
 * entry creates: cleaning and recursive removal leave them alone. */
static bool excluded (struct ctx *x, const char *path, const struct tmpfiles_entry *self,
                      bool *contents_too)
{
	bool only_path = false; /* an X matched; an x or an entry may still say more */
	size_t i;

	*contents_too = false;
	for (i = 0; i < x->t->n; i++) {
		const struct tmpfiles_entry *e = &x->t->v[i];

		if (e->type == 'X' && fnmatch (e->path, path, FNM_PATHNAME) == 0)
			only_path = true;
		if (e->type == 'x') {
			cleanup_free char *pre = xstrdup (path);
			char *s;

			/* the path, or a directory it is under */
			for (;;) {
				if (fnmatch (e->path, pre, FNM_PATHNAME) == 0) {
					*contents_too = true;
					return true;
				}
				s = strrchr (pre, '/');
				if (s == NULL || s == pre)
					break;
				*s = '\0';
			}
		}
		if (e != self && !e->glob && strchr ("dDfFwLCzZeaA", e->type) != NULL &&
		    strcmp (e->path, path) == 0) {
			*contents_too = true; /* that entry cleans it, if it says so */
			return true;
		}
	}
	return only_path;
}

/* ---- removing and cleaning ---------------------------------------------- */

struct clean {
	bool by_age;     /* false: everything goes (R, D) */
	uint64_t cutoff; /* usec since the epoch: older than this is old */
	unsigned by_file, by_dir;
	bool keep_level; /* keep what is directly in the top directory */
};

static uint64_t ts_usec (const struct statx_timestamp *t)
{
	return (uint64_t)t->tv_sec * 1000000ULL + t->tv_nsec / 1000;
}

/* Old when every selected time is before the cutoff. */
static bool is_old (const struct statx *sx, unsigned by, uint64_t cutoff)
{
	if ((by & TMPFILES_AGE_ATIME) && ts_usec (&sx->stx_atime) >= cutoff)
		return false;
	if ((by & TMPFILES_AGE_BTIME) && (sx->stx_mask & STATX_BTIME) &&
	    ts_usec (&sx->stx_btime) >= cutoff)
		return false;
	if ((by & TMPFILES_AGE_CTIME) && ts_usec (&sx->stx_ctime) >= cutoff)
		return false;
	if ((by & TMPFILES_AGE_MTIME) && ts_usec (&sx->stx_mtime) >= cutoff)
		return false;
	return true;
}

#define STATX_WANT (STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID)

static int xstatx (int dfd, const char *name, struct statx *sx)
{
	return (int)syscall (SYS_statx, dfd, name,
	                     AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH), STATX_WANT, sx);
}

/* Another file system, or a bind mount of this one (mount ids differ). */
static bool other_mount (const struct statx *top, const struct statx *sx)
{
	if (top->stx_dev_major != sx->stx_dev_major || top->stx_dev_minor != sx->stx_dev_minor)
		return true;
	return (top->stx_mask & sx->stx_mask & STATX_MNT_ID) && top->stx_mnt_id != sx->stx_mnt_id;
}

/* Remove what the directory dfd (at `path`) holds, as c says: recursion
 * does not follow symlinks (they are removed as links) and does not enter
 * another mount; excluded paths stay; when cleaning by age, sticky ones
 * stay too. */
static int clean_dir (struct ctx *x, int dfd, const char *path, const struct statx *top,
                      const struct clean *c, unsigned depth, struct keel_error **err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (depth >= MAX_DEPTH)
		return keel_error (err, 0, "`%s`: deeper than %d levels", path, MAX_DEPTH);
	fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	d = fdopendir (fd);
	if (d == NULL) {
		close (fd);
		return keel_error (err, errno, "open `%s`", path);
	}
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *sub = NULL;
		struct statx sx;
		bool contents_too, excl, keep = c->keep_level && depth == 0;
		int r;

		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		sub = xasprintf ("%s/%s", path, de->d_name);
		if (xstatx (dfd, de->d_name, &sx) < 0) {
			if (errno == ENOENT)
				continue;
			return keel_error (err, errno, "stat `%s`", sub);
		}
		excl = excluded (x, sub, NULL, &contents_too);
		if (excl && contents_too)
			continue;
		if (c->by_age && (sx.stx_mode & S_ISVTX))
			continue;
		if (S_ISDIR (sx.stx_mode)) {
			cleanup_close int sfd = -1;

			if (other_mount (top, &sx))
				continue;
			sfd = openat (dfd, de->d_name,
			              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0 && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR))
				continue; /* gone or swapped for a link since: not followed */
			if (sfd < 0)
				return keel_error (err, errno, "open `%s`", sub);
			r = clean_dir (x, sfd, sub, top, c, depth + 1, err);
			if (r < 0)
				return r;
			if (excl || keep || (c->by_age && !is_old (&sx, c->by_dir, c->cutoff)))
				continue;
			if (unlinkat (dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
			    errno != ENOTEMPTY && errno != EEXIST && errno != EBUSY)
				return keel_error (err, errno, "rmdir `%s`", sub);
			continue;
		}
		if (excl || keep || (c->by_age && !is_old (&sx, c->by_file, c->cutoff)))
			continue;
		if (unlinkat (dfd, de->d_name, 0) < 0 && errno != ENOENT)
			return keel_error (err, errno, "remove `%s`", sub);
	}
	return 0;
}

static int remove_tree (struct ctx *x, int dfd, const char *name, const char *path,
                        struct keel_error **err)
{
	struct clean all = {0};
	struct statx sx;
	cleanup_close int fd = -1;
	int r;

	if (xstatx (dfd, name, &sx) < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "stat `%s`", path);
	if (!S_ISDIR (sx.stx_mode)) {
		if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
			return keel_error (err, errno, "remove `%s`", path);
		return 0;
	}
	fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	r = clean_dir (x, fd, path, &sx, &all, 0, err);
	if (r < 0)
		return r;
	if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EBUSY)
			return 0; /* excluded paths or mounts are left inside */
		return keel_error (err, errno, "rmdir `%s`", path);
	}
	return 0;
}

/* r (a file or an empty directory) and R (with what is inside). */
static int do_remove (struct ctx *x, const struct tmpfiles_entry *e, const char *p,
                      struct keel_error **err)
{
	const char *name;
	cleanup_close int pfd = open_parent (x, p, false, false, &name, err);

	if (pfd == NOT_THERE)
		return 0;
	if (pfd < 0)
		return pfd;
	if (e->type == 'R')
		return remove_tree (x, pfd, name, p, err);
	if (unlinkat (pfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return keel_error (err, errno, "remove `%s`", p);
	if (unlinkat (pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno == ENOTEMPTY || errno == EEXIST)
		return keel_error (err, errno,
		                   "remove `%s` (r removes empty directories, R the rest)", p);
	return keel_error (err, errno, "remove `%s`", p);
}

/* The contents of D's directory (at boot), or what in d/D/e/C's directory
 * is older than Age. */
static int do_clean (struct ctx *x, const struct tmpfiles_entry *e, const char *p, bool by_age,
                     struct keel_error **err)
{
	struct clean c = {.by_age = by_age,
	                  .by_file = e->age_by_file,
	                  .by_dir = e->age_by_dir,
	                  .keep_level = by_age && e->age_keep_level};
	const char *name;
	cleanup_close int pfd = open_parent (x, p, false, false, &name, err);
	cleanup_close int fd = -1;
	struct statx sx;
	bool contents_too;

	if (pfd == NOT_THERE)
		return 0;
	if (pfd < 0)
		return pfd;
	c.cutoff = x->now_usec > e->age_usec ? x->now_usec - e->age_usec : 0;
	fd = openat (pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return 0; /* nothing to clean; the create pass says what is wrong */
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", p);
	if (excluded (x, p, e, &contents_too) && contents_too)
		return 0;
	if (xstatx (fd, "", &sx) < 0)
		return keel_error (err, errno, "stat `%s`", p);
	return clean_dir (x, fd, p, &sx, &c, 0, err);
}

/* ---- mode and owner ----------------------------------------------------- */

/* `~` mode: drop the r, w or x bits the file has none of today. */
static mode_t masked_mode (const struct tmpfiles_entry *e, mode_t cur)
{
	mode_t m = e->mode;

	if (!e->mode_masked)
		return m;
	if ((cur & 0111) == 0)
		m &= ~(mode_t)0111;
	if ((cur & 0222) == 0)
		m &= ~(mode_t)0222;
	if ((cur & 0444) == 0)
		m &= ~(mode_t)0444;
	return m;
}

/* chmod of an O_PATH descriptor (a fifo, a socket, a device node we must
 * not open for real) through its /proc/self/fd link. */
static int chmod_opath (int fd, mode_t mode)
{
	char p[64];

	snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
	return chmod (p, mode);
}

/* Owner then mode (chown clears set-id bits, so it must come first) of
 * the open file fd (O_PATH or not).  Symlinks get the owner only. */
static int set_perms (int fd, const char *path, mode_t cur, bool opath, bool has_mode, mode_t mode,
                      const struct tmpfiles_entry *e, struct keel_error **err)
{
	if ((e->has_uid || e->has_gid) &&
	    fchownat (fd, "", e->has_uid ? e->uid : (uid_t)-1, e->has_gid ? e->gid : (gid_t)-1,
	              AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "chown `%s`", path);
	if (!has_mode || S_ISLNK (cur))
		return 0;
	if ((cur & 07777) == mode && !(e->has_uid || e->has_gid))
		return 0;
	if ((opath ? chmod_opath (fd, mode) : fchmod (fd, mode)) < 0)
		return keel_error (err, errno, "chmod `%s`", path);
	return 0;
}

/* d, f, C: the mode when created or when the entry says so always; the
 * owner whenever the entry names one. */
static int fix_attrs (int fd, const char *path, const struct tmpfiles_entry *e, bool created,
                      mode_t dflt, struct keel_error **err)
{
	struct stat st;
	bool set_mode = created || (e->has_mode && !e->mode_on_create);

	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "stat `%s`", path);
	return set_perms (fd, path, st.st_mode, false, set_mode,
	                  e->has_mode ? masked_mode (e, st.st_mode) : dflt, e, err);
}

static int apply_acl_fd (int fd, const char *path, mode_t cur, bool opath,
                         const struct tmpfiles_entry *e, struct keel_error **err);

/* z, Z, e, a, A on one existing object (dfd, name), not following it. */
static __attribute__ ((noinline)) int adjust_one (int dfd, const char *name, const char *path,
                                                  const struct tmpfiles_entry *e,
                                                  struct keel_error **err)
{
	cleanup_close int fd = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "open `%s`", path);
	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "stat `%s`", path);
	if (e->type == 'a' || e->type == 'A')
		return apply_acl_fd (fd, path, st.st_mode, true, e, err);
	return set_perms (fd, path, st.st_mode, true, e->has_mode && !e->mode_on_create,
	                  masked_mode (e, st.st_mode), e, err);
}

/* Z and A: the directory fd and everything below it on the same mount,
 * never through a symlink. */
static int adjust_tree (int fd, const char *path, const struct statx *top,
                        const struct tmpfiles_entry *e, unsigned depth, struct keel_error **err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int dfd;

	if (depth >= MAX_DEPTH)
		return keel_error (err, 0, "`%s`: deeper than %d levels", path, MAX_DEPTH);
	dfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return keel_error (err, errno, "open `%s`", path);
	d = fdopendir (dfd);
	if (d == NULL) {
		close (dfd);
		return keel_error (err, errno, "open `%s`", path);
	}
	while ((de = readdir (d)) != NULL) {
		cleanup_free char *sub = NULL;
		struct statx sx;
		int r;

		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		sub = xasprintf ("%s/%s", path, de->d_name);
		if (xstatx (dirfd (d), de->d_name, &sx) < 0) {
			if (errno == ENOENT)
				continue;
			return keel_error (err, errno, "stat `%s`", sub);
		}
		if (S_ISDIR (sx.stx_mode)) {
			cleanup_close int sfd = -1;

			if (other_mount (top, &sx))
				continue;
			sfd = openat (dirfd (d), de->d_name,
			              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0 && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR))
				continue;
			if (sfd < 0)
				return keel_error (err, errno, "open `%s`", sub);
			r = adjust_one (dirfd (d), de->d_name, sub, e, err);
			if (r == 0)
				r = adjust_tree (sfd, sub, top, e, depth + 1, err);
		} else {
			r = adjust_one (dirfd (d), de->d_name, sub, e, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* z Z e a A on one path: missing is nothing to do. */
static int do_adjust (struct ctx *x, const struct tmpfiles_entry *e, const char *p,
                      struct keel_error **err)
{
	const char *name;
	cleanup_close int pfd = open_parent (x, p, false, false, &name, err);
	cleanup_close int fd = -1;
	struct statx sx;
	int r;

	if (pfd == NOT_THERE)
		return 0;
	if (pfd < 0)
		return pfd;
	if (xstatx (pfd, name, &sx) < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "stat `%s`", p);
	if (e->type == 'e' && !S_ISDIR (sx.stx_mode))
		return keel_error (err, 0, "`%s` exists and is not a directory", p);
	r = adjust_one (pfd, name, p, e, err);
	if (r < 0 || (e->type != 'Z' && e->type != 'A') || !S_ISDIR (sx.stx_mode))
		return r;
	fd = openat (pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", p);
	return adjust_tree (fd, p, &sx, e, 0, err);
}

/* ---- POSIX ACLs (a, A) -------------------------------------------------- */

/* The kernel's xattr form: a le32 version, then {le16 tag, le16 perm,
 * le32 id} entries sorted by tag then id (posix_acl_valid checks it).
 * keel runs on little-endian and big-endian alike: bytes written by hand. */
struct acl {
	struct tmpfiles_ace v[TMPFILES_MAX_ACL + 8];
	size_t n;
};

static void acl_put (struct acl *a, uint16_t tag, uint32_t id, uint16_t perm)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].tag == tag && a->v[i].id == id) {
			a->v[i].perm = perm;
			return;
		}
	if (a->n < ARRAY_SIZE (a->v))
		a->v[a->n++] = (struct tmpfiles_ace){.tag = tag, .id = id, .perm = perm};
}

static const struct tmpfiles_ace *acl_get (const struct acl *a, uint16_t tag)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].tag == tag)
			return &a->v[i];
	return NULL;
}

static uint32_t le32 (const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void acl_read (int fd, bool opath, const char *xname, struct acl *a)
{
	unsigned char buf[4 + 8 * (TMPFILES_MAX_ACL + 8)];
	char p[64];
	ssize_t n, i;

	snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
	n = opath ? getxattr (p, xname, buf, sizeof buf) : fgetxattr (fd, xname, buf, sizeof buf);
	if (n < 4 || le32 (buf) != 2)
		return;
	for (i = 4; i + 8 <= n; i += 8)
		acl_put (a, (uint16_t)(buf[i] | buf[i + 1] << 8), le32 (buf + i + 4),
		         (uint16_t)(buf[i + 2] | buf[i + 3] << 8));
}

static int cmp_ace (const void *a, const void *b)
{
	const struct tmpfiles_ace *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int acl_write (int fd, bool opath, const char *xname, struct acl *a, const char *path,
                      struct keel_error **err)
{
	unsigned char buf[4 + 8 * (TMPFILES_MAX_ACL + 8)] = {2, 0, 0, 0};
	size_t i, n = 4;
	char p[64];
	int r;

	qsort (a->v, a->n, sizeof (a->v[0]), cmp_ace);
	for (i = 0; i < a->n; i++, n += 8) {
		buf[n] = (unsigned char)a->v[i].tag;
		buf[n + 1] = (unsigned char)(a->v[i].tag >> 8);
		buf[n + 2] = (unsigned char)a->v[i].perm;
		buf[n + 3] = 0;
		buf[n + 4] = (unsigned char)a->v[i].id;
		buf[n + 5] = (unsigned char)(a->v[i].id >> 8);
		buf[n + 6] = (unsigned char)(a->v[i].id >> 16);
		buf[n + 7] = (unsigned char)(a->v[i].id >> 24);
	}
	snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
	r = opath ? setxattr (p, xname, buf, n, 0) : fsetxattr (fd, xname, buf, n, 0);
	if (r < 0)
		return keel_error (err, errno, "set the %s ACL of `%s`",
		                   strstr (xname, "default") ? "default" : "access", path);
	return 0;
}

/* One ACL (access, or default for directories): a replaces the entries it
 * names over the base the mode gives, a+ adds them to what is there; the
 * base entries and the mask are added when missing, as setfacl does. */
static int apply_acl_kind (int fd, const char *path, mode_t cur, bool opath, bool deflt,
                           const struct tmpfiles_entry *e, struct keel_error **err)
{
	const char *xname = deflt ? "system.posix_acl_default" : "system.posix_acl_access";
	struct acl a = {0};
	bool any = false, named = false;
	uint16_t mask = 0;
	size_t i;

	for (i = 0; i < e->acl_n; i++)
		any |= e->acl[i].deflt == deflt;
	if (!any)
		return 0;
	if (e->plus)
		acl_read (fd, opath, xname, &a);
	if (!acl_get (&a, ACL_USER_OBJ))
		acl_put (&a, ACL_USER_OBJ, (uint32_t)ACL_UNDEFINED_ID, (cur >> 6) & 7);
	if (!acl_get (&a, ACL_GROUP_OBJ))
		acl_put (&a, ACL_GROUP_OBJ, (uint32_t)ACL_UNDEFINED_ID, (cur >> 3) & 7);
	if (!acl_get (&a, ACL_OTHER))
		acl_put (&a, ACL_OTHER, (uint32_t)ACL_UNDEFINED_ID, cur & 7);
	for (i = 0; i < e->acl_n; i++) {
		const struct tmpfiles_ace *s = &e->acl[i];
		uint16_t perm = s->perm;

		if (s->deflt != deflt)
			continue;
		if (s->cap_x && (S_ISDIR (cur) || (cur & 0111)))
			perm |= ACL_EXECUTE;
		acl_put (&a, s->tag, s->id, perm);
	}
	for (i = 0; i < a.n; i++) {
		if (a.v[i].tag == ACL_USER || a.v[i].tag == ACL_GROUP)
			named = true;
		if (a.v[i].tag == ACL_USER || a.v[i].tag == ACL_GROUP ||
		    a.v[i].tag == ACL_GROUP_OBJ)
			mask |= a.v[i].perm;
	}
	if (named && !acl_get (&a, ACL_MASK))
		acl_put (&a, ACL_MASK, (uint32_t)ACL_UNDEFINED_ID, mask);
	return acl_write (fd, opath, xname, &a, path, err);
}

static int apply_acl_fd (int fd, const char *path, mode_t cur, bool opath,
                         const struct tmpfiles_entry *e, struct keel_error **err)
{
	int r;

	if (S_ISLNK (cur))
		return 0; /* symlinks carry no ACL */
	r = apply_acl_kind (fd, path, cur, opath, false, e, err);
	if (r == 0 && S_ISDIR (cur))
		r = apply_acl_kind (fd, path, cur, opath, true, e, err);
	return r;
}

/* ---- creating ----------------------------------------------------------- */

/* `=`: what is at (pfd, name) goes unless it already has the wanted type. */
static int replace_other (struct ctx *x, int pfd, const char *name, const char *path, mode_t want,
                          struct keel_error **err)
{
	struct stat st;

	if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || (st.st_mode & S_IFMT) == want)
		return 0;
	return remove_tree (x, pfd, name, path, err);
}

static int apply_dir (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	const char *name;
	cleanup_close int pfd = open_parent (x, e->path, true, e->replace, &name, err);
	cleanup_close int fd = -1;
	bool created = true;
	int r;

	if (pfd < 0)
		return pfd;
	if (e->replace && (r = replace_other (x, pfd, name, e->path, S_IFDIR, err)) < 0)
		return r;
	if (mkdirat (pfd, name, 0700) < 0) {
		if (errno != EEXIST)
			return keel_error (err, errno, "mkdir `%s`", e->path);
		created = false;
	}
	fd = openat (pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) /* a file or a symlink */
		return keel_error (err, 0, "`%s` exists and is not a directory", e->path);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	return fix_attrs (fd, e->path, e, created, 0755, err);
}

static int apply_file (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	const char *name;
	cleanup_close int pfd = open_parent (x, e->path, true, e->replace, &name, err);
	cleanup_close int fd = -1;
	bool created = true;
	struct stat st;
	int r;

	if (pfd < 0)
		return pfd;
	if (e->replace && (r = replace_other (x, pfd, name, e->path, S_IFREG, err)) < 0)
		return r;
	/* What is there must be a regular file: a FIFO or a device node a
	 * container left in its tree is never opened for real.  (Swapped in
	 * after this check, O_NONBLOCK keeps the open from hanging and fstat
	 * below refuses it.) */
	if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode) &&
	    !S_ISLNK (st.st_mode))
		return keel_error (err, 0, "`%s` exists and is not a regular file", e->path);
	if (e->type == 'F') {
		created = fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0;
		fd = openat (pfd, name,
		             O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		                     O_CLOEXEC,
		             0600);
	} else {
		fd = openat (pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			/* 'f' leaves the content of an existing file alone. */
			created = false;
			fd = openat (pfd, name,
			             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		}
	}
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
		return keel_error (err, 0, "`%s` exists and is not a regular file", e->path);
	if ((created || e->type == 'F') && e->arg != NULL) {
		r = write_all (fd, e->arg, e->arg_len, err);
		if (r < 0)
			return keel_error_wrap (err, "write `%s`", e->path);
	}
	return fix_attrs (fd, e->path, e, created, 0644, err);
}

static int apply_write (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	cleanup_close int fd = -1;
	int r;

	if (e->arg == NULL)
		return 0;
	/* w follows symlinks (it is how /proc/sys knobs get set), inside the
	 * root, and ignores a missing file. */
	fd = open_in_root (x->rootfd, e->path,
	                   O_WRONLY | O_NONBLOCK | O_NOCTTY | (e->plus ? O_APPEND : O_TRUNC));
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	r = write_all (fd, e->arg, e->arg_len, err);
	if (r < 0)
		return keel_error_wrap (err, "write `%s`", e->path);
	return 0;
}

static int apply_link (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	const char *name;
	cleanup_close int pfd = open_parent (x, e->path, true, e->replace, &name, err);
	int r;

	if (pfd < 0)
		return pfd;
	if (symlinkat (e->arg, pfd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return keel_error (err, errno, "symlink `%s` -> `%s`", e->path, e->arg);
	if (!e->plus && !e->replace)
		return 0; /* L keeps whatever is there */
	if (!e->plus) {   /* L= replaces what is not a symlink */
		struct stat st;
		if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
			return 0;
	}
	r = remove_tree (x, pfd, name, e->path, err);
	if (r < 0)
		return keel_error_wrap (err, "remove `%s` to replace it", e->path);
	if (symlinkat (e->arg, pfd, name) < 0)
		return keel_error (err, errno, "symlink `%s` -> `%s`", e->path, e->arg);
	return 0;
}

/* Leaves of copy_node, kept out of its frame (noinline): it recurses up
 * to MAX_DEPTH levels, and these buffers must not be on every level. */
static __attribute__ ((noinline)) int copy_data (int in, int out, const char *path,
                                                 struct keel_error **err)
{
	cleanup_free char *buf = xmalloc0 (65536);
	ssize_t n;

	while ((n = read (in, buf, 65536)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "read the source of `%s`", path);
		if (write_all (out, buf, (size_t)n, err) < 0)
			return keel_error_wrap (err, "write `%s`", path);
	}
	return 0;
}

static __attribute__ ((noinline)) int copy_symlink (int sfd, const char *sname, int dfd,
                                                    const char *dname, const char *path,
                                                    const struct statx *sx, struct keel_error **err)
{
	cleanup_free char *target = xmalloc0 (PATH_MAX);
	ssize_t n = readlinkat (sfd, sname, target, PATH_MAX - 1);

	if (n < 0)
		return keel_error (err, errno, "readlink the source of `%s`", path);
	target[n] = '\0';
	if (symlinkat (target, dfd, dname) < 0)
		return errno == EEXIST ? 0 : keel_error (err, errno, "symlink `%s`", path);
	if (fchownat (dfd, dname, sx->stx_uid, sx->stx_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "chown `%s`", path);
	return 0;
}

/* C: copy (sfd, sname) to (dfd, dname) keeping mode, owner and times;
 * merge: into an existing directory, never replacing what is there. */
static int copy_node (int sfd, const char *sname, int dfd, const char *dname, const char *path,
                      const struct statx *top, unsigned depth, struct keel_error **err)
{
	struct statx sx;
	struct timespec ts[2];
	cleanup_close int out = -1;
	mode_t m;

	if (depth >= MAX_DEPTH)
		return keel_error (err, 0, "`%s`: deeper than %d levels", path, MAX_DEPTH);
	if (xstatx (sfd, sname, &sx) < 0)
		return errno == ENOENT ? 0
		                       : keel_error (err, errno, "stat the source of `%s`", path);
	m = sx.stx_mode & 07777;
	ts[0] = (struct timespec){.tv_sec = sx.stx_atime.tv_sec, .tv_nsec = sx.stx_atime.tv_nsec};
	ts[1] = (struct timespec){.tv_sec = sx.stx_mtime.tv_sec, .tv_nsec = sx.stx_mtime.tv_nsec};
	if (S_ISLNK (sx.stx_mode))
		return copy_symlink (sfd, sname, dfd, dname, path, &sx, err);
	if (S_ISDIR (sx.stx_mode)) {
		cleanup_close int sd = -1;
		cleanup_dir DIR *d = NULL;
		struct dirent *de;
		bool created = true;
		int r;

		if (depth > 0 && other_mount (top, &sx))
			return 0;
		if (mkdirat (dfd, dname, 0700) < 0) {
			if (errno != EEXIST)
				return keel_error (err, errno, "mkdir `%s`", path);
			created = false;
		}
		out = openat (dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0 && !created && (errno == ENOTDIR || errno == ELOOP))
			return 0; /* something else is there: kept */
		if (out < 0)
			return keel_error (err, errno, "open `%s`", path);
		sd = openat (sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sd < 0)
			return keel_error (err, errno, "open the source of `%s`", path);
		d = fdopendir (sd);
		if (d == NULL)
			return keel_error (err, errno, "open the source of `%s`", path);
		sd = -1; /* the DIR owns it */
		while ((de = readdir (d)) != NULL) {
			cleanup_free char *sub = NULL;

			if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
				continue;
			sub = xasprintf ("%s/%s", path, de->d_name);
			r = copy_node (dirfd (d), de->d_name, out, de->d_name, sub, top, depth + 1,
			               err);
			if (r < 0)
				return r;
		}
		if (!created)
			return 0; /* a merge keeps the directory's own mode and owner */
	} else if (S_ISREG (sx.stx_mode)) {
		/* O_NONBLOCK: swapped for a FIFO since the statx, it must not
		 * hang the copy; fstat says what was opened. */
		cleanup_close int in = openat (
		        sfd, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		struct stat st;

		if (in < 0 || fstat (in, &st) < 0)
			return keel_error (err, errno, "open the source of `%s`", path);
		if (!S_ISREG (st.st_mode))
			return keel_error (err, 0, "the source of `%s` changed while copied", path);
		out = openat (dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		              0600);
		if (out < 0)
			return errno == EEXIST ? 0 : keel_error (err, errno, "create `%s`", path);
		if (copy_data (in, out, path, err) < 0)
			return -1;
	} else if (S_ISFIFO (sx.stx_mode) || S_ISCHR (sx.stx_mode) || S_ISBLK (sx.stx_mode)) {
		if (mknodat (dfd, dname, (sx.stx_mode & S_IFMT) | 0600,
		             makedev (sx.stx_rdev_major, sx.stx_rdev_minor)) < 0)
			return errno == EEXIST ? 0 : keel_error (err, errno, "mknod `%s`", path);
		out = openat (dfd, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return keel_error (err, errno, "open `%s`", path);
		if (fchownat (out, "", sx.stx_uid, sx.stx_gid, AT_EMPTY_PATH) < 0 ||
		    chmod_opath (out, m) < 0)
			return keel_error (err, errno, "chown or chmod `%s`", path);
		return 0;
	} else {
		return 0; /* sockets belong to a running program: not copied */
	}
	if (fchown (out, sx.stx_uid, sx.stx_gid) < 0 || fchmod (out, m) < 0)
		return keel_error (err, errno, "chown or chmod `%s`", path);
	if (futimens (out, ts) < 0)
		return keel_error (err, errno, "set the times of `%s`", path);
	return 0;
}

static bool dir_is_empty (int pfd, const char *name)
{
	int fd = openat (pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	bool empty = true;
	DIR *d;

	if (fd < 0)
		return false;
	d = fdopendir (fd);
	if (d == NULL) {
		close (fd);
		return false;
	}
	while (empty && (de = readdir (d)) != NULL)
		empty = strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0;
	closedir (d);
	return empty;
}

/* C: copy when the destination is missing or an empty directory (C+: any
 * directory, merged); the source (default /usr/share/factory/PATH) is
 * resolved inside the root too. */
static int apply_copy (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	cleanup_free char *src =
	        e->arg ? xstrdup (e->arg) : xasprintf ("/usr/share/factory%s", e->path);
	const char *name, *sname;
	cleanup_close int pfd = -1, spfd = -1, fd = -1;
	struct statx sx, top;
	bool exists;
	int r;

	normalise (src);
	if (src[0] == '\0')
		return keel_error (err, 0, "refusing to copy the root directory to `%s`", e->path);
	spfd = open_parent (x, src, false, false, &sname, err);
	if (spfd == NOT_THERE)
		return keel_error (err, ENOENT, "the copy source `%s` of `%s`", src, e->path);
	if (spfd < 0)
		return spfd;
	if (xstatx (spfd, sname, &top) < 0)
		return keel_error (err, errno, "the copy source `%s` of `%s`", src, e->path);
	pfd = open_parent (x, e->path, true, e->replace, &name, err);
	if (pfd < 0)
		return pfd;
	if (e->replace &&
	    (r = replace_other (x, pfd, name, e->path, top.stx_mode & S_IFMT, err)) < 0)
		return r;
	exists = xstatx (pfd, name, &sx) == 0;
	if (exists && !(S_ISDIR (sx.stx_mode) && S_ISDIR (top.stx_mode) &&
	                (e->plus || dir_is_empty (pfd, name))))
		return 0;
	r = copy_node (spfd, sname, pfd, name, e->path, &top, 0, err);
	if (r < 0 || !(e->has_mode || e->has_uid || e->has_gid))
		return r;
	fd = openat (pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", e->path);
	if (xstatx (fd, "", &sx) < 0)
		return keel_error (err, errno, "stat `%s`", e->path);
	return set_perms (fd, e->path, sx.stx_mode, true, e->has_mode, masked_mode (e, sx.stx_mode),
	                  e, err);
}

/* ---- the two passes ----------------------------------------------------- */

static int each_path (struct ctx *x, const struct tmpfiles_entry *e,
                      int (*fn) (struct ctx *, const struct tmpfiles_entry *, const char *,
                                 struct keel_error **),
                      struct keel_error **err)
{
	struct paths ps;
	size_t i;
	int r;

	r = entry_paths (x, e, &ps, err);
	if (r < 0)
		return r;
	/* Deepest first: "r /a" after "r /a/f" whatever the file's order. */
	for (i = ps.n; i-- > 0 && r == 0;)
		r = fn (x, e, ps.v[i], err);
	paths_free (&ps);
	return r;
}

static int clean_all (struct ctx *x, const struct tmpfiles_entry *e, const char *p,
                      struct keel_error **err)
{
	return do_clean (x, e, p, false, err);
}

static int clean_aged (struct ctx *x, const struct tmpfiles_entry *e, const char *p,
                       struct keel_error **err)
{
	return do_clean (x, e, p, true, err);
}

static int remove_pass (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	int r = 0;

	if (e->type == 'r' || e->type == 'R')
		return each_path (x, e, do_remove, err);
	if (e->type == 'D') /* at boot, as systemd-tmpfiles --boot --remove */
		r = each_path (x, e, clean_all, err);
	if (r == 0 && e->has_age)
		r = each_path (x, e, clean_aged, err);
	return r;
}

static int create_pass (struct ctx *x, const struct tmpfiles_entry *e, struct keel_error **err)
{
	switch (e->type) {
	case 'd':
	case 'D':
		return apply_dir (x, e, err);
	case 'f':
	case 'F':
		return apply_file (x, e, err);
	case 'w':
		return apply_write (x, e, err);
	case 'L':
		return apply_link (x, e, err);
	case 'C':
		return apply_copy (x, e, err);
	case 'z':
	case 'Z':
	case 'e':
	case 'a':
	case 'A':
		return each_path (x, e, do_adjust, err);
	default: /* r R x X: nothing to create */
		return 0;
	}
}

static int cmp_path_desc (const void *a, const void *b)
{
	const struct tmpfiles_entry *x = *(const struct tmpfiles_entry *const *)a;
	const struct tmpfiles_entry *y = *(const struct tmpfiles_entry *const *)b;

	return strcmp (y->path, x->path);
}

static void report (const struct tmpfiles *t, const struct tmpfiles_entry *en, struct keel_error *e,
                    int *first, struct keel_error **err)
{
	if (e == NULL) /* every failure makes its error; never print nothing */
		keel_error (&e, 0, "failed");
	keel_error_wrap (&e, "%s:%u", t->file, en->line);
	if (en->ignore_errors) {
		cleanup_free char *s = keel_error_string (e);
		keel_log (KEEL_LOG_WARNING, "%s (ignored: `-` entry)", s ? s : "tmpfiles");
		keel_error_release (&e);
	} else if (*first == 0) {
		*first = -1 - (e->status > 0 ? e->status : 0);
		keel_error_release (err);
		*err = e;
	} else {
		keel_log_error (&e);
	}
}

int tmpfiles_apply (const struct tmpfiles *t, int rootfd, struct keel_error **err)
{
	struct ctx x = {.t = t, .rootfd = rootfd};
	cleanup_free const struct tmpfiles_entry **order = NULL;
	struct timespec now;
	int first = 0;
	size_t i;

	if (t->n == 0)
		return 0;
	clock_gettime (CLOCK_REALTIME, &now);
	x.now_usec = (uint64_t)now.tv_sec * 1000000ULL + (uint64_t)now.tv_nsec / 1000;
	/* Removal first, deepest paths first, then creation in file order. */
	order = xmalloc0 (sizeof (*order) * t->n);
	for (i = 0; i < t->n; i++)
		order[i] = &t->v[i];
	qsort (order, t->n, sizeof (*order), cmp_path_desc);
	for (i = 0; i < t->n; i++) {
		struct keel_error *e = NULL;

		if (remove_pass (&x, order[i], &e) < 0)
			report (t, order[i], e, &first, err);
	}
	for (i = 0; i < t->n; i++) {
		struct keel_error *e = NULL;

		if (create_pass (&x, &t->v[i], &e) < 0)
			report (t, &t->v[i], e, &first, err);
	}
	return first;
}
