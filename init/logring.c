/* Container log sinks: ring buffer, console lines, rotated file. */
#include "init/logring.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

void logring_init (struct logring *r, size_t cap)
{
	memset (r, 0, sizeof (*r));
	r->cap = cap;
}

void logring_free (struct logring *r)
{
	free (r->buf);
	r->buf = NULL;
	r->start = r->len = 0;
}

void logring_append (struct logring *r, const char *data, size_t len)
{
	size_t end, first;

	if (r->cap == 0 || len == 0)
		return;
	if (r->buf == NULL) {
		r->buf = malloc (r->cap);
		if (r->buf == NULL)
			return; /* no memory: the ring is best effort, the console still works */
	}
	r->total += len;
	if (len >= r->cap) { /* only the newest cap bytes survive */
		memcpy (r->buf, data + len - r->cap, r->cap);
		r->start = 0;
		r->len = r->cap;
		return;
	}
	end = (r->start + r->len) % r->cap;
	first = r->cap - end < len ? r->cap - end : len;
	memcpy (r->buf + end, data, first);
	memcpy (r->buf, data + first, len - first);
	if (r->len + len > r->cap) {
		r->start = (r->start + r->len + len - r->cap) % r->cap;
		r->len = r->cap;
	} else {
		r->len += len;
	}
}

char *logring_tail (const struct logring *r, size_t max, size_t *out_len)
{
	size_t n = r->len < max ? r->len : max;
	size_t from = (r->start + r->len - n) % (r->cap ? r->cap : 1);
	size_t first;
	char *out = xmalloc0 (n + 1);

	if (n > 0) {
		first = r->cap - from < n ? r->cap - from : n;
		memcpy (out, r->buf + from, first);
		memcpy (out + first, r->buf, n - first);
	}
	*out_len = n;
	return out;
}

/* ---- rotated file ---------------------------------------------------- */

void logfile_init (struct logfile *f, const char *path, uint64_t max_size, unsigned count)
{
	memset (f, 0, sizeof (*f));
	f->path = xstrdup (path);
	f->fd = -1;
	f->max_size = max_size;
	f->count = count ? count : 1;
}

void logfile_free (struct logfile *f)
{
	if (f->fd >= 0)
		close (f->fd);
	f->fd = -1;
	free (f->path);
	f->path = NULL;
}

static int logfile_open (struct logfile *f, struct keel_error **err)
{
	cleanup_free char *dir = xstrdup (f->path);
	struct stat st;
	int ret;

	ret = mkdir_p (dirname (dir), 0755, err);
	if (ret < 0)
		return ret;
	f->fd = open (f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (f->fd < 0)
		return keel_error (err, errno, "open log file `%s`", f->path);
	if (fstat (f->fd, &st) < 0)
		return keel_error (err, errno, "stat log file `%s`", f->path);
	f->size = (uint64_t)st.st_size;
	return 0;
}

/* FILE -> FILE.1 -> ... -> FILE.(count-1); the oldest falls off. */
static int logfile_rotate (struct logfile *f, struct keel_error **err)
{
	unsigned i;

	if (f->fd >= 0)
		close (f->fd);
	f->fd = -1;
	if (f->count == 1) {
		if (unlink (f->path) < 0 && errno != ENOENT)
			return keel_error (err, errno, "remove log file `%s`", f->path);
		return logfile_open (f, err);
	}
	for (i = f->count - 1; i > 0; i--) {
		cleanup_free char *from =
		        i == 1 ? xstrdup (f->path) : xasprintf ("%s.%u", f->path, i - 1);
		cleanup_free char *to = xasprintf ("%s.%u", f->path, i);
		if (rename (from, to) < 0 && errno != ENOENT)
			return keel_error (err, errno, "rotate log file `%s` to `%s`", from, to);
	}
	return logfile_open (f, err);
}

static int logfile_append (struct logfile *f, const char *data, size_t len, struct keel_error **err)
{
	while (len > 0) {
		ssize_t n = write (f->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			/* Reopen (and retry the rotation) next time: the disk may
			 * have room again then. */
			close (f->fd);
			f->fd = -1;
			return keel_error (err, e, "write log file `%s`", f->path);
		}
		data += n;
		len -= (size_t)n;
		f->size += (uint64_t)n;
	}
	return 0;
}

int logfile_write (struct logfile *f, const char *data, size_t len, struct keel_error **err)
{
	int ret;

	if (f->fd < 0) {
		ret = logfile_open (f, err);
		if (ret < 0)
			return ret;
	}
	if (f->size > 0 && f->size + len > f->max_size) {
		/* Fill the file up to the limit with the whole lines that fit,
		 * then rotate: each file ends near the limit whatever sizes the
		 * pipe hands over (a busy machine reads bigger chunks). */
		size_t room = f->size < f->max_size ? (size_t)(f->max_size - f->size) : 0;
		const char *nl = room ? memrchr (data, '\n', room < len ? room : len) : NULL;
		if (nl) {
			size_t cut = (size_t)(nl - data) + 1;
			ret = logfile_append (f, data, cut, err);
			if (ret < 0)
				return ret;
			data += cut;
			len -= cut;
		}
		ret = logfile_rotate (f, err);
		if (ret < 0)
			return ret;
	}
	return logfile_append (f, data, len, err);
}

/* ---- sinks ----------------------------------------------------------- */

void logsink_init (struct logsink *s, const char *name, size_t ring_size, bool console,
                   const char *file, uint64_t rotate_size, unsigned rotate_count)
{
	memset (s, 0, sizeof (*s));
	s->name = name;
	console_src_init (&s->share, name);
	logring_init (&s->ring, ring_size);
	s->console = console;
	if (file) {
		s->has_file = true;
		logfile_init (&s->file, file, rotate_size, rotate_count);
	}
}

void logsink_free (struct logsink *s)
{
	console_src_release (NULL, &s->share);
	logring_free (&s->ring);
	free (s->line);
	s->line = NULL;
	if (s->has_file)
		logfile_free (&s->file);
	s->has_file = false;
}

static void console_feed (struct logsink *s, const char *data, size_t len, log_line_fn emit,
                          void *emit_data)
{
	while (len > 0) {
		const char *nl = memchr (data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room, n;

		/* A line cut at LOG_LINE_MAX just before its newline ends there,
		 * whether or not that newline came in the same read. */
		if (s->cut && s->line_len == 0 && take == 0 && nl) {
			s->cut = false;
			data++;
			len--;
			continue;
		}
		s->cut = false;
		if (s->line_len == 0 && take >= LOG_LINE_MAX) {
			/* An overlong line is cut; no copy needed. */
			emit (emit_data, &s->share, data, LOG_LINE_MAX);
			data += LOG_LINE_MAX;
			len -= LOG_LINE_MAX;
			if (take == LOG_LINE_MAX && nl) {
				data++;
				len--;
			} else {
				s->cut = true;
			}
			continue;
		}
		if (s->line_len == 0 && nl) {
			/* The common case: a whole line, no copy. */
			emit (emit_data, &s->share, data, take);
			data += take + 1;
			len -= take + 1;
			continue;
		}
		if (s->line == NULL) {
			s->line = malloc (LOG_LINE_MAX);
			if (s->line == NULL)
				return;
		}
		room = LOG_LINE_MAX - s->line_len;
		n = take < room ? take : room;
		memcpy (s->line + s->line_len, data, n);
		s->line_len += n;
		data += n;
		len -= n;
		if (s->line_len == LOG_LINE_MAX || (nl && n == take)) {
			emit (emit_data, &s->share, s->line, s->line_len);
			s->line_len = 0;
			if (nl && n == take) {
				data++;
				len--;
			} else {
				s->cut = true;
			}
		}
	}
}

int logsink_feed (struct logsink *s, const char *data, size_t len, log_line_fn emit,
                  void *emit_data, struct keel_error **err)
{
	int ret;

	logring_append (&s->ring, data, len);
	if (s->console && emit)
		console_feed (s, data, len, emit, emit_data);
	if (!s->has_file)
		return 0;
	ret = logfile_write (&s->file, data, len, err);
	if (ret < 0) {
		if (s->file.failing) { /* already reported: stay quiet */
			keel_error_release (err);
			return 0;
		}
		s->file.failing = true;
		return ret;
	}
	s->file.failing = false;
	return 0;
}

void logsink_flush (struct logsink *s, log_line_fn emit, void *emit_data)
{
	if (s->line_len > 0 && s->console && emit)
		emit (emit_data, &s->share, s->line, s->line_len);
	s->line_len = 0;
	s->cut = false;
}
