/* Where a container's output goes once PID 1 has read it from its pipe:
 *  - a bounded in-memory ring (the tail `keelctl logs NAME` shows),
 *  - the console, one "NAME | line" per line (partial lines are held up to
 *    LOG_LINE_MAX bytes, then cut),
 *  - optionally a file rotated by size (FILE, FILE.1 ... FILE.(count-1)).
 * Memory is allocated on first output and never grows past ring size +
 * LOG_LINE_MAX per container.  A failing file (full disk) is reported once
 * and retried at the next rotation boundary; it never stops the other sinks.
 */
#ifndef KEEL_INIT_LOGRING_H
#define KEEL_INIT_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init/console.h"
#include "lib/error.h"

#define LOG_LINE_MAX 1024

struct logring {
	char *buf;
	size_t cap, start, len;
	uint64_t total; /* bytes ever written */
};

void logring_init (struct logring *r, size_t cap);
void logring_free (struct logring *r);
void logring_append (struct logring *r, const char *data, size_t len);
/* Copy the last min(max, len) bytes into a new buffer (caller frees). */
char *logring_tail (const struct logring *r, size_t max, size_t *out_len);

struct logfile {
	char *path;
	int fd;
	uint64_t size, max_size;
	unsigned count;
	bool failing; /* last write failed; reported already */
};

void logfile_init (struct logfile *f, const char *path, uint64_t max_size, unsigned count);
void logfile_free (struct logfile *f);
/* Append, rotating first when the file would grow past max_size. */
int logfile_write (struct logfile *f, const char *data, size_t len, struct keel_error **err);

/* Called once per complete console line (without the newline); src is
 * the sink's share of the console (src->name is the container's name). */
typedef void (*log_line_fn) (void *data, struct console_src *src, const char *line, size_t len);

struct logsink {
	const char *name;         /* borrowed */
	struct console_src share; /* its use of the console (console.h) */
	struct logring ring;
	bool console;
	char *line; /* partial console line, LOG_LINE_MAX bytes, lazily allocated */
	size_t line_len;
	bool cut; /* the last line was cut at LOG_LINE_MAX right at the end of a read */
	bool has_file;
	struct logfile file;
};

void logsink_init (struct logsink *s, const char *name, size_t ring_size, bool console,
                   const char *file, uint64_t rotate_size, unsigned rotate_count);
void logsink_free (struct logsink *s);
/* Feed bytes read from the container; file errors come back in *err (the
 * other sinks still got the data).  Returns < 0 only for the file. */
int logsink_feed (struct logsink *s, const char *data, size_t len, log_line_fn emit,
                  void *emit_data, struct keel_error **err);
/* The container's pipe closed: emit a pending partial line. */
void logsink_flush (struct logsink *s, log_line_fn emit, void *emit_data);

#endif
