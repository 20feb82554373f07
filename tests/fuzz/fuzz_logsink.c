/* libFuzzer target for the splitting of container output into console
 * lines and the log ring (init/logring.c, logsink_feed / logsink_flush /
 * logring_tail): the bytes a container writes to its stdout reach PID 1
 * through a pipe, in whatever pieces read() returns.
 *
 * Input: byte 0 picks the ring size (1 to 256 bytes, so it wraps often),
 * byte 1 the read() size (1 to 256), the rest is the container's output.
 * It is fed once whole and once in those pieces.  Contract: every console
 * line is at most LOG_LINE_MAX bytes without a newline; no byte other than
 * a line's newline is lost or duplicated; the lines do not depend on how
 * the output was split into reads; the ring holds exactly the last bytes
 * written and counts them all.  Never a crash, leak or undefined
 * behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/logring.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The console lines, each followed by a newline, in one buffer. */
struct lines {
	char *buf;
	size_t len, cap, n, bytes;
};

static void emit (void *data, struct console_src *src, const char *line, size_t len)
{
	struct lines *l = data;

	if (len > LOG_LINE_MAX || memchr (line, '\n', len) != NULL || strcmp (src->name, "c") != 0)
		abort ();
	if (l->len + len + 1 > l->cap) {
		l->cap = (l->len + len + 1) * 2;
		l->buf = realloc (l->buf, l->cap);
		if (l->buf == NULL)
			abort ();
	}
	memcpy (l->buf + l->len, line, len);
	l->buf[l->len + len] = '\n';
	l->len += len + 1;
	l->n++;
	l->bytes += len;
}

static void feed (const char *out, size_t len, size_t ring, size_t chunk, struct lines *l)
{
	struct keel_error *err = NULL;
	struct logsink s;
	size_t off, n, tail_len;
	char *tail;

	logsink_init (&s, "c", ring, true, NULL, 0, 0);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (logsink_feed (&s, out + off, n, emit, l, &err) != 0 || err != NULL)
			abort ();
	}
	logsink_flush (&s, emit, l);
	/* The ring: every byte counted, the newest ones kept. */
	if (s.ring.total != len)
		abort ();
	tail = logring_tail (&s.ring, (size_t)-1, &tail_len);
	if (tail_len != (len < ring ? len : ring) || memcmp (tail, out + len - tail_len, tail_len))
		abort ();
	free (tail);
	logsink_free (&s);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct lines whole = {0}, pieces = {0};
	const char *out = (const char *)data + 2;
	size_t len, i, newlines = 0;

	if (size < 2)
		return 0;
	len = size - 2;
	feed (out, len, 1 + (size_t)data[0], len ? len : 1, &whole);
	feed (out, len, 1 + (size_t)data[0], 1 + (size_t)data[1], &pieces);
	for (i = 0; i < len; i++)
		newlines += out[i] == '\n';
	if (whole.bytes != len - newlines || pieces.bytes != len - newlines)
		abort ();
	if (whole.len != pieces.len ||
	    (whole.len && memcmp (whole.buf, pieces.buf, whole.len) != 0))
		abort (); /* the lines depend on how read() split the output */
	free (whole.buf);
	free (pieces.buf);
	return 0;
}
