/* The non-blocking, bounded console of PID 1 (see console.h). */
#include "init/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/termsafe.h"
#include "lib/util.h"

#define CONTAINER_BUDGET (CONSOLE_QUEUE - CONSOLE_RESERVE)
#define NOTE_NAMES       4 /* containers named in one drop summary */

/* The one console of this process: log.c and every module print through
 * it, and passing it everywhere would only add noise. */
static struct console *the_console;

struct console *console_get (void)
{
	return the_console;
}

uint64_t console_now_ms (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int console_open (struct console *c, const char *path, struct keel_error **err)
{
	struct stat st;
	int fd;

	memset (c, 0, sizeof (*c));
	c->fd = -1;
	if (path) {
		fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		           0644);
		if (fd < 0)
			return keel_error (err, errno, "open console `%s`", path);
	} else {
		/* A new open file description of our stdout: O_NONBLOCK on it
		 * does not leak into the terminal or pipe we were started on. */
		fd = open ("/proc/self/fd/1",
		           O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
		                   (fstat (1, &st) == 0 && S_ISREG (st.st_mode) ? O_APPEND : 0));
		if (fd < 0)
			fd = fcntl (1, F_DUPFD_CLOEXEC, 3); /* no /proc yet: share it */
		if (fd < 0)
			return keel_error (err, errno, "open the console");
	}
	c->fd = fd;
	c->q = malloc (CONSOLE_QUEUE);
	c->segs = malloc (CONSOLE_SEGS * sizeof (*c->segs));
	if (c->q == NULL || c->segs == NULL) {
		free (c->q);
		free (c->segs);
		c->q = NULL;
		c->segs = NULL;
		close (fd);
		c->fd = -1;
		return keel_error (err, ENOMEM, "console queue");
	}
	the_console = c;
	return 0;
}

void console_close (struct console *c)
{
	console_drain (c);
	if (c->fd >= 0)
		close (c->fd);
	c->fd = -1;
	free (c->q);
	c->q = NULL;
	free (c->segs);
	c->segs = NULL;
	if (the_console == c)
		the_console = NULL;
}

bool console_pending (const struct console *c)
{
	return c->q_len > 0;
}

/* ---- who owns the queued bytes ----------------------------------------- */

void console_src_init (struct console_src *src, const char *name)
{
	memset (src, 0, sizeof (*src));
	src->name = name;
}

static void src_unqueue (struct console *c, struct console_src *src, size_t n)
{
	if (src == NULL)
		return;
	src->queued -= n;
	if (src->queued == 0)
		c->n_active--;
}

/* The first n queued bytes are gone (written, or dropped by a drain). */
static void consume (struct console *c, size_t n)
{
	while (n > 0 && c->n_segs > 0) {
		struct console_seg *sg = &c->segs[c->seg_head];
		size_t k = n < sg->len ? n : sg->len;

		src_unqueue (c, sg->src, k);
		sg->len -= k;
		n -= k;
		if (sg->len == 0) {
			c->seg_head = (c->seg_head + 1) % CONSOLE_SEGS;
			c->n_segs--;
		}
	}
}

static void unlist_dropped (struct console *c, struct console_src *src)
{
	struct console_src **pp;

	for (pp = &c->dropped_srcs; *pp; pp = &(*pp)->next_dropped) {
		if (*pp == src) {
			*pp = src->next_dropped;
			break;
		}
	}
	src->listed = false;
	src->next_dropped = NULL;
}

void console_src_release (struct console *c, struct console_src *src)
{
	size_t k;

	if (c == NULL)
		c = the_console;
	if (src->listed && c != NULL)
		unlist_dropped (c, src);
	/* no queued bytes: no run of the queue names it */
	if (c == NULL || c->segs == NULL || src->queued == 0)
		return;
	for (k = 0; k < c->n_segs; k++) {
		struct console_seg *sg = &c->segs[(c->seg_head + k) % CONSOLE_SEGS];
		if (sg->src == src)
			sg->src = NULL;
	}
	c->n_active--;
	src->queued = 0;
}

/* ---- the queue ------------------------------------------------------------ */

static void queue_put (struct console *c, struct console_src *src, const char *s, size_t len)
{
	struct console_seg *tail;

	if (c->q_off + c->q_len + len > CONSOLE_QUEUE) {
		memmove (c->q, c->q + c->q_off, c->q_len);
		c->q_off = 0;
	}
	memcpy (c->q + c->q_off + c->q_len, s, len);
	c->q_len += len;
	tail = c->n_segs ? &c->segs[(c->seg_head + c->n_segs - 1) % CONSOLE_SEGS] : NULL;
	if (tail && tail->src == src) {
		tail->len += len;
	} else {
		/* cannot overflow: every line is longer than 16 bytes */
		c->segs[(c->seg_head + c->n_segs) % CONSOLE_SEGS] =
		        (struct console_seg){.src = src, .len = len};
		c->n_segs++;
	}
	if (src) {
		if (src->queued == 0)
			c->n_active++;
		src->queued += len;
	}
}

static void flush_or_drain (struct console *c)
{
	if (c->sync)
		console_drain (c);
	else
		console_flush (c);
}

static void drop_all (struct console *c)
{
	consume (c, c->q_len);
	c->q_off = c->q_len = 0;
}

static int stamp (char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return snprintf (buf, size, "[%5lld.%06ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

/* The summary of what was dropped since the last one: at most one per
 * CONSOLE_NOTE_INTERVAL_MS, in the containers' part of the queue (so it can
 * never push out keel's own lines); when it does not fit yet, the counts
 * keep growing and it is tried again at the next line or flush. */
static void note_dropped (struct console *c, bool force)
{
	char line[512];
	uint64_t now;
	size_t n;
	int k = 0;
	struct console_src *src;

	if (c->dropped_lines == 0 && c->keel_dropped == 0)
		return;
	now = console_now_ms ();
	if (!force && c->note_ms != 0 && now - c->note_ms < CONSOLE_NOTE_INTERVAL_MS)
		return;
	n = (size_t)stamp (line, sizeof line);
	n += (size_t)snprintf (line + n, sizeof line - n,
	                       "keel: console too slow: %llu lines (%llu bytes) of container "
	                       "output dropped",
	                       (unsigned long long)c->dropped_lines,
	                       (unsigned long long)c->dropped_bytes);
	for (src = c->dropped_srcs; src && n < sizeof line - 1; src = src->next_dropped, k++) {
		if (k == NOTE_NAMES) {
			size_t more = 0;
			for (; src; src = src->next_dropped)
				more++;
			n += (size_t)snprintf (line + n, sizeof line - n, ", %zu more", more);
			break;
		}
		n += (size_t)snprintf (line + n, sizeof line - n, "%s%.64s %llu", k ? ", " : " (",
		                       src->name, (unsigned long long)src->dropped_lines);
	}
	if (k > 0 && n < sizeof line - 1)
		n += (size_t)snprintf (line + n, sizeof line - n, ")");
	if (c->keel_dropped && n < sizeof line - 1)
		n += (size_t)snprintf (line + n, sizeof line - n, "; %llu of keel's own lines lost",
		                       (unsigned long long)c->keel_dropped);
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (c->q_len + n > CONTAINER_BUDGET)
		return;
	queue_put (c, NULL, line, n);
	c->note_ms = now;
	c->dropped_lines = c->dropped_bytes = c->keel_dropped = 0;
	while (c->dropped_srcs) {
		src = c->dropped_srcs;
		src->dropped_lines = src->dropped_bytes = 0;
		unlist_dropped (c, src);
	}
}

bool console_flush (struct console *c)
{
	bool wrote = false;

	while (c->q_len > 0) {
		ssize_t n = write (c->fd, c->q + c->q_off, c->q_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* A broken console must not wedge PID 1: drop what is queued. */
			drop_all (c);
			return true;
		}
		consume (c, (size_t)n);
		c->q_off += (size_t)n;
		c->q_len -= (size_t)n;
		wrote = true;
	}
	if (c->q_len == 0)
		c->q_off = 0;
	/* Room again: the summary that did not fit can go now. */
	if (wrote)
		note_dropped (c, false);
	return c->q_len == 0;
}

/* Flush until empty or the deadline; false when the deadline passed. */
static bool flush_until (struct console *c, uint64_t deadline)
{
	while (!console_flush (c)) {
		uint64_t now = console_now_ms ();
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};

		if (now >= deadline)
			return false;
		if (poll (&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return false;
	}
	return true;
}

void console_drain (struct console *c)
{
	uint64_t deadline;

	if (c == NULL || c->q == NULL)
		return;
	/* Bounded: a console that takes nothing for CONSOLE_DRAIN_MS loses
	 * the rest; once that happened, later drains do not wait as long. */
	deadline = console_now_ms () + (c->wedged ? 100 : CONSOLE_DRAIN_MS);
	/* the last drop count is not left unsaid, even within the interval */
	note_dropped (c, true);
	if (!flush_until (c, deadline))
		c->wedged = true;
	else if (c->dropped_lines || c->keel_dropped) { /* it did not fit before */
		note_dropped (c, true);
		if (!flush_until (c, deadline))
			c->wedged = true;
	}
	drop_all (c);
}

/* One of keel's own lines: the whole queue is theirs. */
static void enqueue_keel (struct console *c, const char *s, size_t len)
{
	note_dropped (c, false);
	if (c->sync && c->q_len + len > CONSOLE_QUEUE)
		console_drain (c);
	if (c->q_len + len > CONSOLE_QUEUE) {
		c->keel_dropped++;
		return;
	}
	queue_put (c, NULL, s, len);
	flush_or_drain (c);
}

/* Whether a line of len bytes from src fits its share (see console.h). */
static bool fits_share (const struct console *c, const struct console_src *src, size_t len)
{
	size_t others = c->n_active - (src->queued > 0 ? 1 : 0);

	if (c->q_len + len > CONTAINER_BUDGET)
		return false;
	return src->queued == 0 || src->queued + len <= CONTAINER_BUDGET / (others + 2);
}

static void drop_line (struct console *c, struct console_src *src, size_t len)
{
	src->dropped_lines++;
	src->dropped_bytes += len;
	c->dropped_lines++;
	c->dropped_bytes += len;
	if (!src->listed) {
		/* appended, so the summary names them in the order they lost */
		struct console_src **pp = &c->dropped_srcs;
		while (*pp)
			pp = &(*pp)->next_dropped;
		*pp = src;
		src->next_dropped = NULL;
		src->listed = true;
	}
}

/* "STAMP TAG message\n" into line, cut to fit; returns its length.  The
 * message is rendered for the terminal (lib/termsafe.h): what it quotes
 * (an entry's error, a name or a value from an image's files, what a
 * helper reported) may come from a container; the tag's colours are
 * keel's own and stay. */
static size_t status_line (char *line, size_t size, const char *tag, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = stamp (line, size), m;

	n += snprintf (line + n, size - (size_t)n, "%s", tag);
	m = vsnprintf (msg, sizeof msg, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= sizeof msg)
		m = (int)sizeof msg - 1;
	/* room for the newline */
	n += (int)termsafe (line + n, size - (size_t)n - 1, msg, (size_t)m, 0, NULL);
	line[n++] = '\n';
	return (size_t)n;
}

void console_status (struct console *c, enum console_status st, const char *fmt, ...)
{
	static const char *const tag[] = {
	        [CS_OK] = "[  \033[32mOK\033[0m  ] ",
	        [CS_FAIL] = "[\033[31mFAILED\033[0m] ",
	        [CS_INFO] = "[ INFO ] ",
	        [CS_WARN] = "[ \033[33mWARN\033[0m ] ",
	        [CS_NONE] = "",
	};
	static const char *const plain[] = {
	        [CS_OK] = "[  OK  ] ",   [CS_FAIL] = "[FAILED] ", [CS_INFO] = "[ INFO ] ",
	        [CS_WARN] = "[ WARN ] ", [CS_NONE] = "",
	};
	char line[1024];
	va_list ap;
	size_t n;

	if (c == NULL)
		c = the_console;
	va_start (ap, fmt);
	n = status_line (line, sizeof line, c != NULL && isatty (c->fd) ? tag[st] : plain[st], fmt,
	                 ap);
	va_end (ap);
	if (c == NULL || c->q == NULL) {
		/* Before the console is open (early boot): straight to stderr. */
		if (write (2, line, n) < 0) {
			/* no console at all: nothing else to tell */
		}
		return;
	}
	enqueue_keel (c, line, n);
}

/* A container's line, rendered for the terminal (lib/termsafe.h): its
 * control bytes, C1 controls and invalid UTF-8 shown as \xNN, so nothing
 * it prints can move the cursor, rewrite earlier lines or make the
 * terminal answer into the console's input.  The rendering can be up to
 * four times the line: what does not fit in one console line of
 * LOG_LINE_BUF bytes goes on in the next, under the same prefix. */
void console_container_line (struct console *c, struct console_src *src, const char *line,
                             size_t len)
{
	char buf[LOG_LINE_BUF];
	size_t n, used, room;

	if (c == NULL || c->q == NULL)
		return;
	do {
		note_dropped (c, false);
		n = (size_t)stamp (buf, sizeof buf);
		n += (size_t)snprintf (buf + n, sizeof buf - n, "%.64s | ", src->name);
		/* the rendering is at least as long as the line (or the room):
		 * a flood's lines that cannot fit are dropped before the work */
		room = sizeof buf - n - 1;
		if (!fits_share (c, src, n + (len < room ? len : room) + 1)) {
			drop_line (c, src, n + len + 1);
			return;
		}
		/* at least one escape or character fits: the prefix is < 100 bytes */
		n += termsafe (buf + n, room, line, len, 0, &used);
		buf[n++] = '\n';
		line += used;
		len -= used;
		if (!fits_share (c, src, n)) {
			/* the rest of the line goes with it */
			drop_line (c, src, n + len);
			return;
		}
		queue_put (c, src, buf, n);
		flush_or_drain (c);
	} while (len > 0);
}
