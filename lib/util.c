/* See util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cleanup_freep (void *p)
{
	free (*(void **) p);
}

void cleanup_closep (int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close (*fd);
		errno = saved;
	}
}

static void (*oom_handler) (const char *what);

void util_set_oom_handler (void (*fn) (const char *what))
{
	oom_handler = fn;
}

static void __attribute__ ((noreturn)) oom (void)
{
	static const char msg[] = "keel: out of memory\n";

	if (oom_handler)
		oom_handler ("out of memory"); /* does not return */
	if (write (2, msg, sizeof msg - 1) < 0) {
		/* nothing more we can do */
	}
	abort ();
}

void *xrealloc (void *p, size_t n)
{
	void *r = realloc (p, n ? n : 1);
	if (r == NULL)
		oom ();
	return r;
}

char *xstrdup (const char *s)
{
	char *r = strdup (s ? s : "");
	if (r == NULL)
		oom ();
	return r;
}

char *xmemdup0 (const void *p, size_t n)
{
	char *r = n < SIZE_MAX ? malloc (n + 1) : NULL;

	if (r == NULL)
		oom ();
	memcpy (r, p, n);
	r[n] = '\0';
	return r;
}

void *xmalloc0 (size_t n)
{
	void *r = calloc (1, n ? n : 1);
	if (r == NULL)
		oom ();
	return r;
}

/* xasprintf's usual formats are paths and messages of literal text and
 * `%s` alone ("%s/%s", "%s/cgroup.procs"): those are joined here without
 * printf, whose musl core costs ~1.4 K instructions a call (~80 calls per
 * container).  NULL if fmt has any other conversion; NULL arguments print
 * as "(null)", as musl's and glibc's printf do. */
static char *join_strings (const char *fmt, va_list ap)
{
	const char *f;
	size_t len = 0;
	va_list aq;
	char *r, *o;

	for (f = fmt; *f; f++) {
		if (*f != '%')
			len++;
		else if (f[1] == '%')
			len++, f++;
		else if (f[1] == 's')
			f++; /* its length is added below */
		else
			return NULL;
	}
	va_copy (aq, ap);
	for (f = fmt; *f; f++)
		if (f[0] == '%' && f[1] == 's') {
			const char *a = va_arg (aq, const char *);
			len += strlen (a ? a : "(null)");
			f++;
		} else if (f[0] == '%') {
			f++;
		}
	va_end (aq);
	o = r = xmalloc0 (len + 1);
	for (f = fmt; *f; f++) {
		if (f[0] != '%') {
			*o++ = *f;
		} else if (f[1] == '%') {
			*o++ = '%';
			f++;
		} else {
			const char *a = va_arg (ap, const char *);
			size_t n;

			a = a ? a : "(null)";
			n = strlen (a);
			memcpy (o, a, n);
			o += n;
			f++;
		}
	}
	*o = '\0';
	return r;
}

char *xasprintf (const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	char *r;
	int n;

	va_start (ap, fmt);
	r = join_strings (fmt, ap);
	va_end (ap);
	if (r != NULL)
		return r;

	/* One formatting pass into the stack for the usual short path or
	 * message, then a copy: musl's vasprintf formats twice (once to
	 * measure), and keel builds ~80 paths this way per container. */
	va_start (ap, fmt);
	n = vsnprintf (buf, sizeof buf, fmt, ap);
	va_end (ap);
	if (n < 0)
		oom ();
	if ((size_t)n < sizeof buf) {
		r = xmalloc0 ((size_t)n + 1);
		memcpy (r, buf, (size_t)n + 1);
		return r;
	}
	va_start (ap, fmt);
	n = vasprintf (&r, fmt, ap);
	va_end (ap);
	if (n < 0)
		oom ();
	return r;
}

int read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len,
		  struct keel_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	char first[4096];
	size_t size = 0, cap = 0;
	bool eof = false;

	fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	/* Most files read here (cgroup, /proc and state files) are far below
	 * a page: read them into the stack and keep an exact copy.  A first
	 * heap buffer of a page or more is a size class musl's malloc serves
	 * with a fresh mmap, so each file cost an mmap, a page fault and a
	 * munmap (about 20 files per container). */
	while (size < sizeof first) {
		ssize_t n = read (fd, first + size, sizeof first - size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "read `%s`", path);
		if (n == 0) {
			eof = true;
			break;
		}
		size += (size_t)n;
		if (max && size > max)
			return keel_error (err, EFBIG, "read `%s`: larger than %zu bytes", path, max);
	}
	cap = eof ? size : 2 * sizeof first;
	buf = malloc (cap + 1);
	if (buf == NULL)
		return keel_error (err, ENOMEM, "read `%s`", path);
	memcpy (buf, first, size);
	while (!eof) {
		ssize_t n;

		if (size == cap) {
			char *nb;
			cap = cap * 2 + 1;
			nb = realloc (buf, cap + 1);
			if (nb == NULL)
				return keel_error (err, ENOMEM, "read `%s`", path);
			buf = nb;
		}
		n = read (fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "read `%s`", path);
		if (n == 0)
			break;
		size += (size_t)n;
		if (max && size > max)
			return keel_error (err, EFBIG, "read `%s`: larger than %zu bytes", path, max);
	}
	buf[size] = '\0';
	if (len)
		*len = size;
	*out = steal_ptr (&buf);
	return 0;
}

int write_all (int fd, const void *buf, size_t len, struct keel_error **err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write (fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "write");
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int write_file_at (int dirfd, const char *path, int flags, mode_t mode, const void *buf,
		   size_t len, struct keel_error **err)
{
	cleanup_close int fd = -1;
	int ret;

	fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC | flags, mode);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	ret = write_all (fd, buf, len, err);
	if (ret < 0)
		return keel_error_wrap (err, "`%s`", path);
	ret = close (steal_fd (&fd));
	if (ret < 0)
		return keel_error (err, errno, "close `%s`", path);
	return 0;
}

int mkdir_p (const char *path, mode_t mode, struct keel_error **err)
{
	cleanup_free char *p = xstrdup (path);
	char *s;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir (p, mode) < 0 && errno != EEXIST)
			return keel_error (err, errno, "mkdir `%s`", p);
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

bool parse_uint64 (const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull (s, &end, 10);
	return errno == 0 && *end == '\0';
}

void buf_put (struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start (ap, fmt);
		n = vsnprintf (b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end (ap);
		if (n < 0)
			return;
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 256;
		b->p = xrealloc (b->p, b->cap);
	}
}
