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

#include "lib/util.h"

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
	if (c->q == NULL) {
		close (fd);
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
	if (the_console == c)
		the_console = NULL;
}

bool console_pending (const struct console *c)
{
	return c->q_len > 0;
}

bool console_flush (struct console *c)
{
	while (c->q_len > 0) {
		ssize_t n = write (c->fd, c->q, c->q_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0) {
			/* A broken console must not wedge PID 1: drop what is queued. */
			c->q_len = 0;
			return true;
		}
		memmove (c->q, c->q + n, c->q_len - (size_t)n);
		c->q_len -= (size_t)n;
	}
	return true;
}

void console_drain (struct console *c)
{
	int tries = 0;

	if (c->q == NULL)
		return;
	while (!console_flush (c) && tries++ < 50) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		/* Bounded: a console that stays blocked for 5 s loses the rest. */
		if (poll (&p, 1, 100) < 0 && errno != EINTR)
			break;
	}
	c->q_len = 0;
}

static void enqueue (struct console *c, const char *s, size_t len, size_t limit)
{
	if (c == NULL || c->q == NULL)
		return;
	if (c->q_len + len > limit) {
		c->dropped += len;
		return;
	}
	memcpy (c->q + c->q_len, s, len);
	c->q_len += len;
	if (c->sync)
		console_drain (c);
	else
		console_flush (c);
}

static int stamp (char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return snprintf (buf, size, "[%5lld.%06ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static void note_dropped (struct console *c)
{
	char line[128];
	int n;

	if (c->dropped == 0 || c->q_len + sizeof line > CONSOLE_QUEUE)
		return;
	n = stamp (line, sizeof line);
	n += snprintf (line + n, sizeof line - (size_t)n,
	               "keel: console too slow: %llu bytes of container output dropped\n",
	               (unsigned long long)c->dropped);
	c->dropped = 0;
	enqueue (c, line, (size_t)n, CONSOLE_QUEUE);
}

/* "STAMP TAG message\n" into line, cut to fit; returns its length. */
static size_t status_line (char *line, size_t size, const char *tag, const char *fmt,
                           va_list ap)
{
	int n = stamp (line, size);

	n += snprintf (line + n, size - (size_t)n, "%s", tag);
	n += vsnprintf (line + n, size - (size_t)n, fmt, ap);
	if (n >= (int)size - 1)
		n = (int)size - 2;
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
	n = status_line (line, sizeof line,
	                 c != NULL && isatty (c->fd) ? tag[st] : plain[st], fmt, ap);
	va_end (ap);
	if (c == NULL) {
		/* Before the console is open (early boot): straight to stderr. */
		if (write (2, line, n) < 0) {
			/* no console at all: nothing else to tell */
		}
		return;
	}
	note_dropped (c);
	enqueue (c, line, n, CONSOLE_QUEUE);
}

void console_container_line (struct console *c, const char *name, const char *line, size_t len)
{
	char head[160];
	char buf[LOG_LINE_BUF];
	int n;

	if (c == NULL)
		return;
	note_dropped (c);
	n = stamp (head, sizeof head);
	n += snprintf (head + n, sizeof head - (size_t)n, "%.64s | ", name);
	if (len > sizeof buf - (size_t)n - 1)
		len = sizeof buf - (size_t)n - 1;
	memcpy (buf, head, (size_t)n);
	memcpy (buf + n, line, len);
	buf[(size_t)n + len] = '\n';
	/* Container output only gets three quarters of the queue, so keel's
	 * own status lines still fit while a container floods. */
	enqueue (c, buf, (size_t)n + len + 1, CONSOLE_QUEUE / 4 * 3);
}
