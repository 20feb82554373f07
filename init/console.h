/* PID 1's boot log on the console.
 *
 * Every line starts with the monotonic time since boot, as the kernel's
 * own log does, so keel's lines interleave readably with dmesg:
 *   [    1.234567] [  OK  ] Started web.
 *   [    1.240001] web | listening on :80
 * The console is written without ever blocking PID 1 (a slow serial line
 * or a container flooding its output must not stall supervision): lines go
 * to a bounded queue flushed when the fd is writable.  The queue is shared
 * out so a slow console still tells the truth:
 *  - CONSOLE_RESERVE bytes are keel's own status lines' alone: container
 *    output and drop notes never use them;
 *  - container output shares the rest fairly: a container that already has
 *    lines queued may not hold more than its share (the rest divided by the
 *    containers with queued output plus one, so a newcomer - a quiet
 *    service between two floods - always finds room for its line);
 *  - what does not fit is counted per container and reported in one
 *    summary line per CONSOLE_NOTE_INTERVAL_MS at most (written with the
 *    next line or flush after the interval: no timer of its own);
 *  - console_drain() (shutdown, emergency shell) waits CONSOLE_DRAIN_MS at
 *    most: a console that takes nothing cannot hold up the reboot.
 */
#ifndef KEEL_INIT_CONSOLE_H
#define KEEL_INIT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum console_status { CS_OK, CS_FAIL, CS_INFO, CS_WARN, CS_NONE };

#define CONSOLE_QUEUE            (64 * 1024)
#define CONSOLE_RESERVE          (16 * 1024) /* for keel's own lines only */
#define CONSOLE_NOTE_INTERVAL_MS 1000
#define CONSOLE_DRAIN_MS         5000
#define LOG_LINE_BUF             1280 /* a container line (LOG_LINE_MAX) with its prefix */
/* Every queued line is at least 16 bytes (its timestamp), so this many
 * runs of one owner always cover the queue. */
#define CONSOLE_SEGS (CONSOLE_QUEUE / 16)

/* One container's use of the console (kept in its log sink). */
struct console_src {
	const char *name;                      /* borrowed */
	size_t queued;                         /* its bytes in the queue now */
	uint64_t dropped_lines, dropped_bytes; /* since the last summary */
	struct console_src *next_dropped;      /* in console.dropped_srcs */
	bool listed;
};

/* A run of queued bytes from one owner (NULL: keel itself). */
struct console_seg {
	struct console_src *src;
	size_t len;
};

struct console {
	int fd;
	char *q; /* CONSOLE_QUEUE bytes; the queue is q[q_off, q_off + q_len) */
	size_t q_off, q_len;
	struct console_seg *segs; /* ring of CONSOLE_SEGS, in queue order */
	size_t seg_head, n_segs;
	size_t n_active;                  /* sources with bytes queued */
	struct console_src *dropped_srcs; /* sources with drops since the last summary */
	uint64_t dropped_lines, dropped_bytes;
	uint64_t keel_dropped; /* keel's own lines lost (the whole queue was full) */
	uint64_t note_ms;      /* when the last summary was queued */
	bool sync;             /* write synchronously (shutdown, fatal errors) */
	bool wedged;           /* a drain timed out: later ones do not wait long */
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

void console_src_init (struct console_src *src, const char *name);
/* The source goes away (its unit is freed): its queued bytes stay, owned
 * by nobody, and its drops are forgotten. */
void console_src_release (struct console *c, struct console_src *src);
/* One line of container output. */
void console_container_line (struct console *c, struct console_src *src, const char *line,
                             size_t len);

/* Flush as much of the queue as the fd takes; true when empty. */
bool console_flush (struct console *c);
/* Flush everything, waiting CONSOLE_DRAIN_MS at most (shutdown); what is
 * left then is dropped. */
void console_drain (struct console *c);
bool console_pending (const struct console *c);

/* The process-wide console keel_log() also writes to. */
struct console *console_get (void);

#endif
