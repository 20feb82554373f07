/* See log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "termsafe.h"
#include "util.h"

static struct {
	int fd;
	bool json, debug;
	bool errors_to_stderr; /* the log is not stderr: errors go there too */
	const char *prog;
} log_state = {.fd = 2, .prog = "keel"};

/* --log /dev/stderr (or the file stderr already writes to) is stderr. */
static bool same_file (int a, int b)
{
	struct stat sa, sb;

	return fstat (a, &sa) == 0 && fstat (b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int keel_log_open (const char *path, bool json, bool debug, struct keel_error **err)
{
	log_state.json = json;
	log_state.debug = debug;
	if (path == NULL)
		return 0;
	int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return keel_error (err, errno, "open log file `%s`", path);
	log_state.fd = fd;
	log_state.errors_to_stderr = !same_file (fd, 2);
	return 0;
}

void keel_log_set_prog (const char *prog)
{
	log_state.prog = prog;
}

bool keel_log_debug_enabled (void)
{
	return log_state.debug;
}

static const char *level_name (enum keel_log_level l)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	return names[l];
}

/* JSON string escaping for the --log-format json lines (runc's format:
 * {"level":"error","msg":"...","time":"..."}). */
static void json_escape (FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf (f, "\\%c", c);
		else if (c == '\n')
			fputs ("\\n", f);
		else if (c == '\t')
			fputs ("\\t", f);
		else if (c < 0x20)
			fprintf (f, "\\u%04x", c);
		else
			fputc (c, f);
	}
}

static void log_line (enum keel_log_level level, const char *msg, bool json, int fd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream (&buf, &len);

	if (f == NULL)
		return;
	if (json) {
		struct timespec ts;
		struct tm tm;
		char when[64] = "";

		if (clock_gettime (CLOCK_REALTIME, &ts) == 0 && gmtime_r (&ts.tv_sec, &tm))
			strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf (f, "{\"level\":\"%s\",\"msg\":\"", level_name (level));
		json_escape (f, msg);
		fprintf (f, "\",\"time\":\"%s\"}\n", when);
	} else {
		/* stderr is a terminal more often than not (PID 1's is the
		 * console), and the message may quote what a container or an
		 * image's file held: rendered by lib/termsafe.h, one line (a
		 * newline in it would let the quoted text forge a line) */
		cleanup_free char *safe = termsafe_dup (msg, 0);
		if (level == KEEL_LOG_ERROR)
			fprintf (f, "%s: %s\n", log_state.prog, safe);
		else
			fprintf (f, "%s: %s: %s\n", log_state.prog, level_name (level), safe);
	}
	if (fclose (f) == 0) {
		/* One write per line so concurrent writers never interleave. */
		(void)write_all (fd, buf, len, NULL);
	}
	free (buf);
}

/* An error goes to the log and, when the log is a file, to stderr as well
 * (in text), as runc does: containerd's shim decides what a failure was by
 * the phrases on the runtime's stderr ("container not running", "does not
 * exist"), and a user running the command sees why it failed. */
static void log_emit (enum keel_log_level level, const char *msg)
{
	log_line (level, msg, log_state.json, log_state.fd);
	if (level == KEEL_LOG_ERROR && log_state.errors_to_stderr)
		log_line (level, msg, false, 2);
}

void keel_log (enum keel_log_level level, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (level == KEEL_LOG_DEBUG && !log_state.debug)
		return;
	va_start (ap, fmt);
	if (vasprintf (&msg, fmt, ap) < 0)
		msg = NULL;
	va_end (ap);
	log_emit (level, msg ? msg : fmt);
	free (msg);
}

void keel_log_warning_error (struct keel_error **err, const char *prefix, ...)
{
	cleanup_free char *p = NULL;
	char *s;
	va_list ap;

	if (err == NULL || *err == NULL)
		return;
	if (prefix != NULL) {
		va_start (ap, prefix);
		if (vasprintf (&p, prefix, ap) < 0)
			p = NULL;
		va_end (ap);
	}
	s = keel_error_take (err);
	if (p != NULL)
		keel_log (KEEL_LOG_WARNING, "%s: %s", p, s);
	else
		log_emit (KEEL_LOG_WARNING, s);
	free (s);
}

void keel_log_error (struct keel_error **err)
{
	char *s;

	if (err == NULL || *err == NULL)
		return;
	s = keel_error_string (*err);
	log_emit (KEEL_LOG_ERROR, s ? s : (*err)->msg);
	free (s);
	keel_error_release (err);
}
