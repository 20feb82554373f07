/* PID 1's boot log on the console.
 *
 * Every line starts with the monotonic time since boot, as the kernel's
 * own log does, so keel's lines interleave readably with dmesg:
 *   [    1.234567] [  OK  ] Started web.
 *   [    1.240001] web | listening on :80
 * The console is written without ever blocking PID 1 (a slow serial line
 * or a container flooding its output must not stall supervision): lines go
 * to a bounded queue flushed when the fd is writable.  Container output is
 * dropped first when the queue fills (a "N bytes of container output
 * dropped" note follows); keel's own status lines use the whole queue.
 */
#ifndef KEEL_INIT_CONSOLE_H
#define KEEL_INIT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum console_status { CS_OK, CS_FAIL, CS_INFO, CS_WARN, CS_NONE };

#define CONSOLE_QUEUE (64 * 1024)
#define LOG_LINE_BUF  1280 /* a container line (LOG_LINE_MAX) with its prefix */

struct console {
	int fd;
	char *q; /* queue, CONSOLE_QUEUE bytes */
	size_t q_len;
	uint64_t dropped; /* container bytes dropped since the last note */
	bool sync;        /* write synchronously (shutdown, fatal errors) */
};

/* Open path (NULL: keep using fd 1 through a fresh non-blocking open
 * file description, so the caller's terminal keeps its flags). */
int console_open (struct console *c, const char *path, struct keel_error **err);
void console_close (struct console *c);

/* Monotonic milliseconds (CLOCK_MONOTONIC; since boot when PID 1). */
uint64_t console_now_ms (void);

/* "[  OK  ] Started web." and friends. */
void console_status (struct console *c, enum console_status st, const char *fmt, ...)
        __attribute__ ((format (printf, 3, 4)));
/* One line of container output. */
void console_container_line (struct console *c, const char *name, const char *line, size_t len);

/* Flush as much of the queue as the fd takes; true when empty. */
bool console_flush (struct console *c);
/* Flush everything, blocking (used at shutdown). */
void console_drain (struct console *c);
bool console_pending (const struct console *c);

/* The process-wide console keel_log() also writes to. */
struct console *console_get (void);

#endif
