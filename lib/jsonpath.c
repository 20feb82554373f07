/* See jsonpath.h. */
#include "lib/jsonpath.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/termsafe.h"
#include "lib/util.h"

/* ---- paths ----------------------------------------------------------- */

static void append (struct jpath *p, const char *s)
{
	size_t n = strlen (s);

	/* Only reachable with absurdly long keys: cut, keep it readable. */
	if (p->len + n >= sizeof (p->s))
		n = sizeof (p->s) - 1 - p->len;
	memcpy (p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

/* Plain identifiers print as ".key"; anything else (annotation keys with
 * dots or slashes) as ["key"] so the path stays unambiguous.  The length
 * of k if it is one ([A-Za-z_][A-Za-z0-9_]*), else 0: one pass, for the
 * key pushed at every member a decoder looks at. */
#define ID_DIGIT 1
#define ID_OTHER 2
static const unsigned char ident_char[256] = {
        ['0' ... '9'] = ID_DIGIT,
        ['a' ... 'z'] = ID_OTHER,
        ['A' ... 'Z'] = ID_OTHER,
        ['_'] = ID_OTHER,
};

static size_t ident_len (const char *k)
{
	const unsigned char *e = (const unsigned char *)k;

	if (ident_char[*e] == ID_DIGIT)
		return 0;
	while (ident_char[*e] != 0)
		e++;
	return *e == '\0' ? (size_t)(e - (const unsigned char *)k) : 0;
}

size_t jpath_push_key (struct jpath *p, const char *key)
{
	size_t mark = p->len, n = ident_len (key);

	if (n > 0 && p->len + n + 1 < sizeof (p->s)) {
		/* ".key", or "key" at the top: what append would write */
		char *o = p->s + p->len;

		if (p->len > 0)
			*o++ = '.';
		memcpy (o, key, n + 1);
		p->len = (size_t)(o - p->s) + n;
	} else if (n > 0) {
		if (p->len > 0)
			append (p, ".");
		append (p, key);
	} else {
		char q[128];

		jpath_quote (key, q, sizeof q);
		append (p, "[");
		append (p, q);
		append (p, "]");
	}
	return mark;
}

size_t jpath_push_index (struct jpath *p, size_t i)
{
	size_t mark = p->len;
	char buf[32], *b = buf + sizeof buf;

	/* by hand: every array element of every parse pushes one, and
	 * snprintf was a tenth of a spec's parse */
	*--b = '\0';
	*--b = ']';
	do
		*--b = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	*--b = '[';
	if (p->len + (size_t)(buf + sizeof buf - b) <= sizeof (p->s)) {
		/* the length is known: no strlen (append's) */
		memcpy (p->s + p->len, b, (size_t)(buf + sizeof buf - b));
		p->len += (size_t)(buf + sizeof buf - b) - 1;
	} else {
		append (p, b);
	}
	return mark;
}

void jpath_pop (struct jpath *p, size_t mark)
{
	p->len = mark;
	p->s[mark] = '\0';
}

char *jpath_join (const char *prefix, const char *key)
{
	struct jpath p = {.len = 0};

	if (prefix != NULL)
		append (&p, prefix);
	jpath_push_key (&p, key);
	return xstrdup (p.s);
}

void jpath_quote (const char *s, char *buf, size_t cap)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char tmp[8];
		int n;

		if (ch == '"' || ch == '\\')
			n = snprintf (tmp, sizeof tmp, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			n = snprintf (tmp, sizeof tmp, "\\x%02x", ch);
		else
			n = snprintf (tmp, sizeof tmp, "%c", ch);
		/* keep room for `..."` and the NUL */
		if (o + (size_t)n > cap - 5) {
			memcpy (buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy (buf + o, tmp, (size_t)n);
		o += (size_t)n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

char *jpath_one_line (const char *s)
{
	size_t len = strlen (s), cap = len * TERMSAFE_GROWTH;
	char *out = xmalloc0 (cap + 1), *o = out;

	/* newline and tab as C does; everything else a terminal would act
	 * on as the console shows it (lib/termsafe.h) */
	while (*s) {
		size_t run = strcspn (s, "\n\t");

		o += termsafe (o, cap - (size_t)(o - out), s, run, 0, NULL);
		s += run;
		if (*s) {
			*o++ = '\\';
			*o++ = *s++ == '\n' ? 'n' : 't';
		}
	}
	return out;
}

char *jpath_vmessage (const char *name, const char *path, const char *fmt, va_list ap)
{
	cleanup_free char *what = NULL, *msg = NULL;

	if (vasprintf (&what, fmt, ap) < 0)
		what = NULL;
	if (path == NULL || *path == '\0')
		msg = xasprintf ("%s: %s", name, what ? what : fmt);
	else
		msg = xasprintf ("%s: %s: %s", name, path, what ? what : fmt);
	return jpath_one_line (msg);
}

/* ---- tokenizing -------------------------------------------------------- */

/* Line and column (in characters: UTF-8 continuation bytes do not count)
 * of byte offset off, both from 1, as editors show them. */
static void line_col (const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			(*line)++;
			*col = 1;
		} else if ((ch & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* A second pass over text that json-c has already accepted, so it can
 * trust the grammar: it only looks at what json-c does not report.
 *
 * It runs twice only when something is wrong.  The quick pass (quick set)
 * builds no path, copies no string but an object key with an escape in
 * it, and on the first problem returns -1 without a message; only then
 * the full pass runs over the same text and says what and where.  Every
 * file that is fine, i.e. every container start, pays the quick pass
 * alone: it was more than json-c's own parse when each pass built the
 * path with snprintf and copied every string. */
struct scan {
	const char *name;
	const char *text;
	size_t len, pos;
	bool quick;
	struct jpath path;
	struct keel_error **err;
};

/* key: decoded, owned when owned is set; otherwise it points into the
 * text (a key without a backslash is its own decoding) and is not
 * NUL-terminated: len bytes. */
struct key_at {
	const char *key;
	size_t len, off;
	bool owned;
};

/* The byte at pos, or NUL past the end: the scan never reads outside. */
static char at (const struct scan *s, size_t pos)
{
	return pos < s->len ? s->text[pos] : '\0';
}

static bool is_ws (char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past the whitespace at p, never beyond end: a pointer walk, as
 * config.json is mostly indentation and this runs over all of it (the
 * scan's and the direct reader's). */
static const char *past_ws (const char *p, const char *end)
{
	while (p < end && is_ws (*p))
		p++;
	return p;
}

static void skip_ws (struct scan *s)
{
	s->pos = (size_t)(past_ws (s->text + s->pos, s->text + s->len) - s->text);
}

/* The byte a one-letter escape stands for (\b \f \n \r \t \" \\ \/), or
 * -1 for any other letter (\u among them). */
static int escaped_byte (char c)
{
	switch (c) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case '"':
	case '\\':
	case '/':
		return c;
	default:
		return -1;
	}
}

static void put_utf8 (char *o, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | (cp >> 6));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | (cp >> 12));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | (cp >> 18));
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static unsigned hex4 (const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

/* The string at pos (on its opening quote), decoded, so that "a" and
 * "\u0061" are the same key as they are to json-c. */
/* The offset of the closing quote of the string whose contents start at
 * start (or len), and whether a backslash came before it. */
static size_t string_end (const struct scan *s, size_t start, bool *escaped)
{
	const char *t = s->text;
	size_t end = start;

	*escaped = false;
	while (end < s->len && t[end] != '"') {
		if (t[end] == '\\') {
			*escaped = true;
			end += 2;
		} else {
			end++;
		}
	}
	return end > s->len ? s->len : end;
}

static char *scan_string (struct scan *s)
{
	const char *t = s->text;
	size_t start = ++s->pos, end, n = 0;
	bool escaped;
	char *out;

	end = string_end (s, start, &escaped);
	out = xmalloc0 (end - start + 1);
	while (s->pos < end) {
		char c = t[s->pos++];
		unsigned cp;

		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = at (s, s->pos++);
		if (c != 'u') {
			/* json-c took the text: any other letter is one of
			 * escaped_byte's */
			int b = escaped_byte (c);
			out[n++] = (char)(b >= 0 ? b : c);
			continue;
		}
		if (s->pos + 4 > end)
			continue;
		cp = hex4 (t + s->pos);
		s->pos += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && s->pos + 6 <= end && t[s->pos] == '\\' &&
		    t[s->pos + 1] == 'u') {
			unsigned lo = hex4 (t + s->pos + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s->pos += 6;
			}
		}
		/* \u0000 and lone surrogates: one byte each keeps them
		 * distinct from every real character for comparing */
		if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
			out[n++] = (char)0xff;
		else
			put_utf8 (out, &n, cp);
	}
	out[n] = '\0';
	s->pos = end + 1;
	return out;
}

static int scan_fail (struct scan *s, size_t off, const char *fmt, ...)
        __attribute__ ((format (printf, 3, 4)));
static int scan_fail (struct scan *s, size_t off, const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	unsigned line, col;
	va_list ap;

	if (s->quick)
		return -1; /* the full pass says what */
	va_start (ap, fmt);
	if (vasprintf (&what, fmt, ap) < 0)
		what = NULL;
	va_end (ap);
	line_col (s->text, s->len, off, &line, &col);
	if (s->path.len == 0)
		return keel_error (s->err, 0, "%s: %s (line %u, column %u)", s->name,
		                   what ? what : fmt, line, col);
	return keel_error (s->err, 0, "%s: %s: %s (line %u, column %u)", s->name, s->path.s,
	                   what ? what : fmt, line, col);
}

/* Whether a number literal of n bytes (integer: without . e E) passes
 * scan_number below, which says what is wrong when it does not: an
 * integer must fit json-c's int64 / uint64 (18 digits and a sign always
 * do), a number with a fraction or exponent must be finite as a double. */
static bool number_fits (const char *w, size_t n, bool integer)
{
	char lit[64];

	if (integer && n <= 18)
		return true;
	if (n >= sizeof lit) {
		if (integer)
			return false;
		n = sizeof lit - 1;
	}
	memcpy (lit, w, n);
	lit[n] = '\0';
	errno = 0;
	if (integer && lit[0] == '-') {
		(void)strtoll (lit, NULL, 10);
		return errno != ERANGE;
	}
	if (integer) {
		(void)strtoull (lit, NULL, 10);
		return errno != ERANGE;
	}
	return isfinite (strtod (lit, NULL));
}

/* An integer literal must fit json-c's int64 / uint64; a number with a
 * fraction or exponent must be finite as a double. */
static int scan_number (struct scan *s)
{
	const char *t = s->text;
	size_t start = s->pos;
	bool integer = true;
	char lit[64];
	size_t n;

	for (char c; (c = at (s, s->pos)) != '\0'; s->pos++) {
		if (c == '.' || c == 'e' || c == 'E')
			integer = false;
		else if (!(c >= '0' && c <= '9') && c != '+' && c != '-')
			break;
	}
	n = s->pos - start;
	/* json-c takes NaN and Infinity even in strict mode; JSON has neither */
	if (n == 0 || isalpha ((unsigned char)at (s, s->pos)))
		return scan_fail (s, start, "not a JSON number");
	if (number_fits (t + start, n, integer))
		return 0;
	if (n >= sizeof lit) {
		/* Long literals: every digit counts, so an integer of more
		 * than 20 digits cannot fit; show its start and length. */
		if (integer)
			return scan_fail (s, start, "%.20s... (%zu digits) does not fit in 64 bits",
			                  t + start, n);
		n = sizeof lit - 1;
	}
	/* 18 digits and a sign fit in 64 bits either way */
	if (integer && n <= 18)
		return 0;
	memcpy (lit, t + start, n);
	lit[n] = '\0';
	errno = 0;
	if (integer && lit[0] == '-') {
		(void)strtoll (lit, NULL, 10);
		if (errno == ERANGE)
			return scan_fail (s, start,
			                  "%s does not fit in 64 bits (the least is %lld)", lit,
			                  (long long)INT64_MIN);
	} else if (integer) {
		(void)strtoull (lit, NULL, 10);
		if (errno == ERANGE)
			return scan_fail (s, start,
			                  "%s does not fit in 64 bits (the greatest is %llu)", lit,
			                  (unsigned long long)UINT64_MAX);
	} else if (!isfinite (strtod (lit, NULL))) {
		return scan_fail (s, start, "%s is out of range for a number", lit);
	}
	return 0;
}

static int cmp_key_at (const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = memcmp (x->key, y->key, x->len < y->len ? x->len : y->len);

	if (c == 0)
		c = x->len < y->len ? -1 : x->len > y->len;
	if (c != 0)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

static bool same_key (const struct key_at *x, const struct key_at *y)
{
	return x->len == y->len && memcmp (x->key, y->key, x->len) == 0;
}

/* The quick pass's test for a key given twice: the objects of a config
 * have a few keys each, where comparing every pair costs less than a
 * sort. */
static bool any_repeat (struct key_at *keys, size_t n)
{
	if (n > 16) {
		qsort (keys, n, sizeof (*keys), cmp_key_at);
		for (size_t i = 1; i < n; i++)
			if (same_key (&keys[i - 1], &keys[i]))
				return true;
		return false;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (same_key (&keys[j], &keys[i]))
				return true;
	return false;
}

static int scan_value (struct scan *s);

static int scan_object (struct scan *s)
{
	struct key_at local[16], *keys = local;
	size_t n = 0, cap = sizeof local / sizeof local[0];
	int ret = 0;

	s->pos++; /* { */
	skip_ws (s);
	while (at (s, s->pos) != '}') {
		size_t off, mark = 0, end;
		struct key_at k;
		bool escaped;

		off = s->pos;
		if (at (s, off) != '"') {
			ret = scan_fail (s, off, "invalid JSON");
			goto out;
		}
		end = string_end (s, off + 1, &escaped);
		if (s->quick && !escaped) {
			k = (struct key_at){.key = s->text + off + 1, .len = end - off - 1};
			s->pos = end + 1;
		} else {
			char *key = scan_string (s);
			k = (struct key_at){.key = key, .len = strlen (key), .owned = true};
		}
		k.off = off;
		if (n == cap) {
			struct key_at *more = keys == local ? NULL : keys;

			more = realloc (more, cap * 2 * sizeof (*keys));
			if (more == NULL) {
				if (k.owned)
					free ((char *)k.key);
				ret = keel_error (s->err, ENOMEM, "%s", s->name);
				goto out;
			}
			if (keys == local)
				memcpy (more, local, sizeof local);
			keys = more;
			cap *= 2;
		}
		keys[n++] = k;
		skip_ws (s);
		s->pos++; /* : */
		skip_ws (s);
		if (!s->quick)
			mark = jpath_push_key (&s->path, k.key);
		ret = scan_value (s);
		if (ret < 0)
			goto out;
		if (!s->quick)
			jpath_pop (&s->path, mark);
		skip_ws (s);
		if (at (s, s->pos) == ',') {
			s->pos++;
			skip_ws (s);
		} else if (at (s, s->pos) != '}') {
			ret = scan_fail (s, s->pos, "invalid JSON");
			goto out;
		}
	}
	s->pos++;
	if (s->quick) {
		ret = any_repeat (keys, n) ? -1 : 0;
		goto out;
	}
	/* Sorted by key, then by place: the first equal neighbours are the
	 * earliest repeat of that key. */
	if (n > 1)
		qsort (keys, n, sizeof (*keys), cmp_key_at);
	for (size_t i = 1; i < n; i++) {
		if (same_key (&keys[i - 1], &keys[i])) {
			unsigned line, col, line2, col2;
			size_t mark = jpath_push_key (&s->path, keys[i].key);

			line_col (s->text, s->len, keys[i - 1].off, &line, &col);
			line_col (s->text, s->len, keys[i].off, &line2, &col2);
			ret = keel_error (
			        s->err, 0,
			        "%s: %s: key given twice (line %u, column %u and line %u, "
			        "column %u)",
			        s->name, s->path.s, line, col, line2, col2);
			jpath_pop (&s->path, mark);
			break;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		if (keys[i].owned)
			free ((char *)keys[i].key);
	if (keys != local)
		free (keys);
	return ret;
}

static int scan_array (struct scan *s)
{
	size_t i = 0;

	s->pos++; /* [ */
	skip_ws (s);
	while (at (s, s->pos) != ']') {
		size_t mark = s->quick ? 0 : jpath_push_index (&s->path, i);
		int ret = scan_value (s);

		i++;
		if (ret < 0)
			return ret;
		if (!s->quick)
			jpath_pop (&s->path, mark);
		skip_ws (s);
		if (at (s, s->pos) == ',') {
			s->pos++;
			skip_ws (s);
		} else if (at (s, s->pos) != ']') {
			return scan_fail (s, s->pos, "invalid JSON");
		}
	}
	s->pos++;
	return 0;
}

/* Recursion is bounded by json-c's own depth limit, which the text has
 * passed already. */
static int scan_value (struct scan *s)
{
	char c = at (s, s->pos);

	switch (c) {
	case '{':
		return scan_object (s);
	case '[':
		return scan_array (s);
	case '"':
		if (s->quick) {
			bool escaped;
			s->pos = string_end (s, s->pos + 1, &escaped) + 1;
		} else {
			free (scan_string (s));
		}
		return 0;
	case 't':
	case 'n':
	case 'f': {
		const char *w = c == 't' ? "true" : c == 'n' ? "null" : "false";
		size_t n = strlen (w);

		if (s->pos + n > s->len || memcmp (s->text + s->pos, w, n) != 0)
			return scan_fail (s, s->pos, "not a JSON value");
		s->pos += n;
		return 0;
	}
	default:
		return scan_number (s);
	}
}

/* json-c's parse of the text as it is, with the message for what json-c
 * refuses or leaves after the value. */
static int parse_text (const char *name, const char *text, size_t len, json_object **out,
                       struct keel_error **err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	unsigned line, col;
	size_t end;

	tok = json_tokener_new ();
	if (tok == NULL)
		return keel_error (err, ENOMEM, "%s: JSON parser", name);
	json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex (tok, text, (int)len);
	jerr = json_tokener_get_error (tok);
	end = json_tokener_get_parse_end (tok);
	json_tokener_free (tok);
	if (jerr == json_tokener_continue || (root == NULL && jerr == json_tokener_success)) {
		json_object_put (root);
		line_col (text, len, len, &line, &col);
		return keel_error (
		        err, 0, "%s: invalid JSON at line %u, column %u: unexpected end of input",
		        name, line, col);
	}
	if (root == NULL || jerr != json_tokener_success) {
		json_object_put (root);
		line_col (text, len, end, &line, &col);
		return keel_error (err, 0, "%s: invalid JSON at line %u, column %u: %s", name, line,
		                   col, json_tokener_error_desc (jerr));
	}
	/* json-c stops after the first complete value: anything but
	 * whitespace after it is a second value, which JSON does not allow. */
	for (; end < len; end++) {
		if (!strchr (" \t\r\n", text[end]) || text[end] == '\0') {
			json_object_put (root);
			line_col (text, len, end, &line, &col);
			return keel_error (err, 0,
			                   "%s: invalid JSON at line %u, column %u: data after the "
			                   "top-level value",
			                   name, line, col);
		}
	}
	*out = root;
	return 0;
}

/* The checks json-c does not make (duplicate keys, numbers), over text
 * json-c has accepted: the quick pass, and the full one for the message. */
static int scan_text (const char *name, const char *text, size_t len, struct keel_error **err)
{
	struct scan s = {.name = name, .text = text, .len = len, .quick = true, .err = err};
	int ret;

	/* json-c accepted it, so it starts (after whitespace) with the
	 * value and the scan can trust the grammar. */
	skip_ws (&s);
	ret = scan_value (&s);
	if (ret < 0) {
		/* something is wrong: the full pass finds it again and
		 * says what, with the path and the line */
		s = (struct scan){.name = name, .text = text, .len = len, .err = err};
		skip_ws (&s);
		ret = scan_value (&s);
	}
	return ret;
}

int jpath_parse_reference (const char *name, const char *text, size_t len, json_object **out,
                           struct keel_error **err)
{
	json_object *root = NULL;
	int ret;

	if (len > INT32_MAX)
		return keel_error (err, EFBIG, "%s: too large to parse", name);
	ret = parse_text (name, text, len, &root, err);
	if (ret < 0)
		return ret;
	ret = scan_text (name, text, len, err);
	if (ret < 0) {
		json_object_put (root);
		return ret;
	}
	*out = root;
	return 0;
}

/* ---- the first try: squeezed text ------------------------------------- */

/* A config.json is two fifths indentation and newlines, which json-c
 * walks a byte at a time, and the scan above a second time.  The first
 * try hands json-c the text without the whitespace between tokens (one
 * pass, which also counts the members and looks at every number), and
 * replaces the scan by two facts that are cheap to check:
 *  - the text's members (its ':' outside strings) are as many as json-c's
 *    objects hold: json-c keeps one member per key, so a key given twice
 *    shows as one fewer;
 *  - every bare word is true, false, null or a number that passes the
 *    scan's own test (number_fits: 64 bits, finite).
 * Anything else (json-c refusing the squeezed text, trailing data, a
 * count that differs, a number out of range, NaN) goes the
 * reference way above over the text as written, so every message, its
 * path and its line and column are those of the reference.
 *
 * The squeezed text parses to the same tree: strings and bare words are
 * copied byte for byte, and of the whitespace json-c allows between any
 * two tokens only the one space between two bare words is kept ("1 2"
 * must not become "12").  json-c's whitespace is these four bytes
 * (is_ws_char), in strict mode with no comments ('/' is a bare-word byte
 * here, kept). */
enum { SQ_WORD = 0, SQ_WS, SQ_QUOTE, SQ_COLON, SQ_PUNCT };

static const unsigned char sq_class[256] = {
        [' '] = SQ_WS,    ['\t'] = SQ_WS,   ['\n'] = SQ_WS,   ['\r'] = SQ_WS,
        ['"'] = SQ_QUOTE, [':'] = SQ_COLON, [','] = SQ_PUNCT, ['{'] = SQ_PUNCT,
        ['}'] = SQ_PUNCT, ['['] = SQ_PUNCT, [']'] = SQ_PUNCT,
};

struct squeezed {
	char *text;
	size_t len;
	size_t members; /* ':' outside strings */
	/* every bare word as above, and every string ASCII without a \u
	 * escape: where a string has either, json-c's idea of two keys
	 * being the same (the bytes it decodes to) and the scan's (which
	 * renders invalid UTF-8 and lone surrogates as U+FFFD) may differ,
	 * and the member count cannot stand for the scan */
	bool plain;
};

/* true, false, null, or a number number_fits takes (the grammar is
 * json-c's to check): what the scan's checks cannot object to. */
static bool plain_word (const char *w, size_t n)
{
	bool integer = true;

	switch (w[0]) {
	case 't':
		return n == 4 && memcmp (w, "true", 4) == 0;
	case 'f':
		return n == 5 && memcmp (w, "false", 5) == 0;
	case 'n':
		return n == 4 && memcmp (w, "null", 4) == 0;
	}
	/* anything else the scan takes for a number: its literal is this
	 * whole word (the scan stops at the first byte that is not one of
	 * these, here the byte after the word, which is not a letter) */
	for (size_t i = 0; i < n; i++) {
		char ch = w[i];

		if (ch == '.' || ch == 'e' || ch == 'E')
			integer = false;
		else if (!(ch >= '0' && ch <= '9') && ch != '+' && ch != '-')
			return false;
	}
	return number_fits (w, n, integer);
}

/* Copy string bytes from p up to the first '"', '\\' or byte above 0x7f
 * (or near the end), eight at a time where the machine is little-endian: the lowest
 * byte the zero-byte test flags is exactly the first match (borrows only
 * spoil the bytes above it).  Writing eight bytes at *o is safe: the
 * output never runs ahead of the input, which has eight left. */
static const unsigned char *copy_plain (const unsigned char *p, const unsigned char *end, char **o)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

	while (end - p >= 8) {
		uint64_t v, q, b, m;

		memcpy (&v, p, 8);
		q = v ^ (ones * '"');
		b = v ^ (ones * '\\');
		/* and a byte above 0x7f, which the caller looks at itself */
		m = ((((q - ones) & ~q) | ((b - ones) & ~b)) & highs) | (v & highs);
		memcpy (*o, &v, 8);
		if (m != 0) {
			size_t k = (size_t)__builtin_ctzll (m) / 8;

			*o += k;
			return p + k;
		}
		*o += 8;
		p += 8;
	}
#else
	(void)end;
	(void)o;
#endif
	return p;
}

/* q->text has room for len bytes.  A loop per kind of run, not a switch
 * per byte: this pass is over every byte, a third of them indentation. */
static void squeeze (const char *text, size_t len, struct squeezed *q)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	char *o = q->text;
	bool word_before = false;

	q->members = 0;
	q->plain = true;
	while (p < end) {
		const unsigned char *w;
		bool gap = false;

		if (sq_class[*p] == SQ_WS) {
			do
				p++;
			while (p < end && sq_class[*p] == SQ_WS);
			if (p == end)
				break;
			gap = true;
		}
		switch (sq_class[*p]) {
		case SQ_QUOTE:
			/* to the closing quote, escapes included; an unclosed
			 * string runs to the end, and json-c refuses it */
			*o++ = (char)*p++;
			for (;;) {
				p = copy_plain (p, end, &o);
				while (p < end && *p != '"' && *p != '\\') {
					q->plain &= *p < 0x80;
					*o++ = (char)*p++;
				}
				if (p == end)
					break;
				*o++ = (char)*p++;
				if (p[-1] == '"')
					break;
				if (p < end) { /* the escaped byte */
					q->plain &= *p != 'u';
					*o++ = (char)*p++;
				}
			}
			word_before = false;
			break;
		case SQ_COLON:
			q->members++;
			/* fallthrough */
		case SQ_PUNCT:
			*o++ = (char)*p++;
			word_before = false;
			break;
		default:
			w = p;
			while (p < end && sq_class[*p] == SQ_WORD)
				p++;
			if (gap && word_before)
				*o++ = ' ';
			memcpy (o, w, (size_t)(p - w));
			o += p - w;
			if (q->plain && !plain_word ((const char *)w, (size_t)(p - w)))
				q->plain = false;
			word_before = true;
			break;
		}
	}
	q->len = (size_t)(o - q->text);
}

/* The members of every object in the tree.  Recursion is bounded by
 * json-c's depth limit. */
static size_t tree_members (json_object *v)
{
	size_t n = 0;

	if (json_object_is_type (v, json_type_object)) {
		n = (size_t)json_object_object_length (v);
		json_object_object_foreach (v, k, e)
		{
			enum json_type t = json_object_get_type (e);

			(void)k;
			if (t == json_type_object || t == json_type_array)
				n += tree_members (e);
		}
	} else if (json_object_is_type (v, json_type_array)) {
		size_t len = json_object_array_length (v);

		for (size_t i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx (v, i);
			enum json_type t = json_object_get_type (e);

			if (t == json_type_object || t == json_type_array)
				n += tree_members (e);
		}
	}
	return n;
}

/* The squeezed try: 1 with *out set when json-c took the squeezed text
 * whole, 0 when the reference way must parse the text as written. */
static int parse_squeezed (const char *text, size_t len, json_object **out, struct squeezed *q)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	size_t end;

	squeeze (text, len, q);
	tok = json_tokener_new ();
	if (tok == NULL)
		return 0;
	json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex (tok, q->text, (int)q->len);
	jerr = json_tokener_get_error (tok);
	end = json_tokener_get_parse_end (tok);
	json_tokener_free (tok);
	if (root == NULL || jerr != json_tokener_success || end != q->len) {
		json_object_put (root);
		return 0;
	}
	*out = root;
	return 1;
}

/* ---- the first try: a direct reader ----------------------------------- */

/* Most config.json and keel.json files are plain: ASCII strings without
 * \u escapes, integers of at most 18 digits, a few levels of nesting.
 * For those, json-c's tokenizer (a state machine over every byte, its
 * own buffer for every string) and the squeeze before it were two thirds
 * of a parse.  The reader below builds the same tree with json-c's own
 * constructors, in document order, in one pass over the text as written.
 * It gives up on anything else and leaves the text to the squeezed try
 * and the reference, so every message is still theirs:
 *   - a string byte below 0x20 or above 0x7e, and a \u escape (json-c's
 *     own handling of surrogates and NUL stays the only one);
 *   - a number that is not a plain integer of at most 18 digits ("0",
 *     "-12"; a fraction, an exponent, "-0", a leading zero: json-c's);
 *   - a key given twice: json_object_object_add keeps one, so the object
 *     does not grow (the reference refuses it with its path);
 *   - nesting deeper than READ_DEPTH (json-c's limit is 32);
 *   - a top-level value that is not an object or an array (json-c's
 *     NULL for null; json-c waiting for more of "0" or "true" at the end
 *     of the text);
 *   - every syntax error and anything after the value.
 * The unit test and fuzz_jsonpath hold jpath_parse to the reference. */
#define READ_DEPTH 16

struct reader {
	const unsigned char *p, *end;
	char *buf;  /* the strings, unescaped: keys stacked while their */
	size_t top; /* values are read, then the value being read */
	unsigned depth;
};

/* String bytes copied as they are: printable ASCII but '"' and '\'. */
static const unsigned char str_plain[256] = {
        [' '] = 1,
        ['!'] = 1,
        ['#' ... '['] = 1,
        [']' ... '~'] = 1,
};

static void read_ws (struct reader *r)
{
	r->p = (const unsigned char *)past_ws ((const char *)r->p, (const char *)r->end);
}

/* The string whose opening quote is at r->p, unescaped at buf + top with
 * a NUL after it: its length, or -1. */
static ssize_t read_string (struct reader *r)
{
	const unsigned char *p = r->p + 1, *end = r->end;
	char *o = r->buf + r->top;
	int esc;

	for (;;) {
		const unsigned char *run = p;

		while (p < end && str_plain[*p])
			p++;
		memcpy (o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			return -1;
		if (*p == '"')
			break;
		if (*p != '\\' || ++p == end || (esc = escaped_byte ((char)*p++)) < 0)
			return -1;
		*o++ = (char)esc;
	}
	*o = '\0';
	r->p = p + 1;
	return o - (r->buf + r->top);
}

static int read_integer (struct reader *r, json_object **out)
{
	const unsigned char *p = r->p, *digits;
	bool negative = *p == '-';
	int64_t v = 0;
	size_t n;

	p += negative;
	for (digits = p; p < r->end && *p >= '0' && *p <= '9'; p++) {
		if (p - digits == 18) /* 18 digits cannot overflow */
			return -1;
		v = v * 10 + (*p - '0');
	}
	n = (size_t)(p - digits);
	if (n == 0 || (digits[0] == '0' && (n > 1 || negative)))
		return -1;
	if (p < r->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return -1;
	r->p = p;
	*out = json_object_new_int64 (negative ? -v : v);
	return *out != NULL ? 0 : -1;
}

static int read_word (struct reader *r, const char *word, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp (r->p, word, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

static int read_value (struct reader *r, json_object **out);

/* At an opening '{' or '[': past it and the whitespace after; true when
 * `close` follows at once (an empty object or array; past it too). */
static bool read_open (struct reader *r, char close)
{
	r->p++;
	read_ws (r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return true;
	}
	return false;
}

/* After a member or an element: 1 past `close`, 0 past a ',' and the
 * whitespace after it, -1 at anything else. */
static int read_next (struct reader *r, char close)
{
	read_ws (r);
	if (r->p == r->end)
		return -1;
	if (*r->p++ == close)
		return 1;
	if (r->p[-1] != ',')
		return -1;
	read_ws (r);
	return 0;
}

/* The members or elements into o or a, which the caller puts whatever
 * these return. */
static int read_object (struct reader *r, json_object *o)
{
	int n = 0, next = 0;

	if (read_open (r, '}'))
		return 0;
	while (next == 0) {
		size_t mark = r->top;
		json_object *v = NULL;
		ssize_t klen;

		if (r->p == r->end || *r->p != '"' || (klen = read_string (r)) < 0)
			return -1;
		read_ws (r);
		if (r->p == r->end || *r->p != ':')
			return -1;
		r->p++;
		read_ws (r);
		r->top += (size_t)klen + 1;
		if (read_value (r, &v) < 0 || json_object_object_add (o, r->buf + mark, v) < 0) {
			json_object_put (v);
			return -1;
		}
		r->top = mark;
		if (json_object_object_length (o) != ++n)
			return -1;
		next = read_next (r, '}');
	}
	return next > 0 ? 0 : -1;
}

static int read_array (struct reader *r, json_object *a)
{
	int next = 0;

	if (read_open (r, ']'))
		return 0;
	while (next == 0) {
		json_object *v = NULL;

		if (read_value (r, &v) < 0 || json_object_array_add (a, v) < 0) {
			json_object_put (v);
			return -1;
		}
		next = read_next (r, ']');
	}
	return next > 0 ? 0 : -1;
}

static int read_value (struct reader *r, json_object **out)
{
	ssize_t n;
	int ret;

	*out = NULL;
	if (r->p == r->end)
		return -1;
	switch (*r->p) {
	case '{':
	case '[':
		if (r->depth == READ_DEPTH)
			return -1;
		*out = *r->p == '{' ? json_object_new_object () : json_object_new_array ();
		if (*out == NULL)
			return -1;
		r->depth++;
		ret = *r->p == '{' ? read_object (r, *out) : read_array (r, *out);
		r->depth--;
		return ret;
	case '"':
		n = read_string (r);
		if (n < 0)
			return -1;
		*out = json_object_new_string_len (r->buf + r->top, (int)n);
		return *out != NULL ? 0 : -1;
	case 't':
		if (read_word (r, "true", 4) < 0)
			return -1;
		*out = json_object_new_boolean (1);
		return *out != NULL ? 0 : -1;
	case 'f':
		if (read_word (r, "false", 5) < 0)
			return -1;
		*out = json_object_new_boolean (0);
		return *out != NULL ? 0 : -1;
	case 'n':
		return read_word (r, "null", 4);
	default:
		return read_integer (r, out);
	}
}

int jpath_parse_direct (const char *text, size_t len, json_object **out)
{
	/* every string is at most its span of the text; with a NUL each,
	 * the stacked keys and the current string fit in len + depth + 2 */
	struct reader r = {.p = (const unsigned char *)text,
	                   .end = (const unsigned char *)text + len,
	                   .buf = malloc (len + READ_DEPTH + 2)};
	json_object *root = NULL;
	int ret = -1;

	if (r.buf == NULL)
		return 0;
	read_ws (&r);
	/* an object or an array: json-c may still wait for more of a word
	 * or a number at the top ("true" and "0" at the end of the text
	 * are "unexpected end of input" there), the reference's to say */
	if (r.p == r.end || (*r.p != '{' && *r.p != '[')) {
		free (r.buf);
		return 0;
	}
	if (read_value (&r, &root) == 0) {
		read_ws (&r);
		ret = r.p == r.end && root != NULL ? 0 : -1;
	}
	free (r.buf);
	if (ret < 0) {
		json_object_put (root);
		return 0;
	}
	*out = root;
	return 1;
}

int jpath_parse (const char *name, const char *text, size_t len, json_object **out,
                 struct keel_error **err)
{
	struct squeezed q;
	json_object *root = NULL;
	int ret;

	if (len > INT32_MAX)
		return keel_error (err, EFBIG, "%s: too large to parse", name);
	if (jpath_parse_direct (text, len, out))
		return 0;
	q.text = malloc (len + 1);
	ret = q.text != NULL ? parse_squeezed (text, len, &root, &q) : 0;
	free (q.text);
	if (ret == 0)
		return jpath_parse_reference (name, text, len, out, err);
	/* json-c took it, so the text as written parses to this same tree:
	 * only the scan's checks are left, and where the two facts hold
	 * they cannot fail */
	if (!q.plain || tree_members (root) != q.members) {
		ret = scan_text (name, text, len, err);
		if (ret < 0) {
			json_object_put (root);
			return ret;
		}
	}
	*out = root;
	return 0;
}
