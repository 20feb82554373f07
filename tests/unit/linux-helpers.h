/* Helpers for the unit tests of keel's Linux leaf modules (caps, seccomp,
 * process attributes, cgroup, terminal, devices): they change the calling
 * process for real, so each test runs the code under test in a forked
 * child that reports back through a pipe.
 *
 * Include after <cmocka.h>.
 */
#ifndef KEEL_TEST_LINUX_HELPERS_H
#define KEEL_TEST_LINUX_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/util.h"

/* Skip the current test, printing why as a TAP comment. */
#define skip_because(...)             \
	do {                          \
		printf ("# skip: ");  \
		printf (__VA_ARGS__); \
		printf ("\n");        \
		fflush (stdout);      \
		skip ();              \
	} while (0)

#define need_root()                                  \
	do {                                         \
		if (geteuid () != 0)                 \
			skip_because ("needs root"); \
	} while (0)

/* valgrind preloads its vgpreload_*.so: some syscalls (seccomp, openat2,
 * setrlimit(RLIMIT_NOFILE) of the hard limit) are not emulated there. */
static inline bool under_valgrind (void)
{
	const char *p = getenv ("LD_PRELOAD");
	return p != NULL && strstr (p, "vgpreload") != NULL;
}

/* A child's report: what it wrote on its pipe, and how it ended. */
struct child_report {
	char buf[8192];
	int status; /* waitpid status */
};

/* In the child: append a line to the report. */
static inline void report (int fd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static inline void report (int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start (ap, fmt);
	n = vsnprintf (line, sizeof line, fmt, ap);
	va_end (ap);
	if (n > 0 && write (fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
		_exit (120);
}

/* In the child: report a keel_error as "error: MESSAGE" and release it. */
static inline void report_error (int fd, struct keel_error **err)
{
	char *s = keel_error_string (*err);
	report (fd, "error: %s\n", s ? s : "?");
	free (s);
	keel_error_release (err);
}

/* Fork; the child runs fn(arg, pipe_fd) and exits with its return value;
 * the parent collects the report. */
static inline void run_child (int (*fn) (void *arg, int out), void *arg, struct child_report *r)
{
	int p[2];
	pid_t pid;
	size_t len = 0;

	memset (r, 0, sizeof *r);
	assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
	fflush (stdout);
	fflush (stderr);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		close (p[0]);
		_exit (fn (arg, p[1]));
	}
	close (p[1]);
	for (;;) {
		ssize_t n = read (p[0], r->buf + len, sizeof r->buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close (p[0]);
	r->buf[len] = '\0';
	assert_int_equal (waitpid (pid, &r->status, 0), pid);
	if (!WIFEXITED (r->status) || WEXITSTATUS (r->status) != 0)
		printf ("# child report:\n# %s\n", r->buf);
}

static inline bool child_ok (const struct child_report *r)
{
	return WIFEXITED (r->status) && WEXITSTATUS (r->status) == 0;
}

/* The value after "key:" (or "key=") in the report, or NULL. */
static inline const char *report_value (const struct child_report *r, const char *key)
{
	static char val[1024];
	const char *p = r->buf;
	size_t klen = strlen (key);

	while (p && *p) {
		if (strncmp (p, key, klen) == 0 && (p[klen] == ':' || p[klen] == '=')) {
			const char *v = p + klen + 1;
			size_t n;

			v += strspn (v, " \t");
			n = strcspn (v, "\n");
			if (n >= sizeof val)
				n = sizeof val - 1;
			memcpy (val, v, n);
			val[n] = '\0';
			return val;
		}
		p = strchr (p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* A field of /proc/self/status ("CapEff") of the calling process. */
static inline unsigned long long proc_status_hex (const char *field)
{
	char line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen (field);
	FILE *f = fopen ("/proc/self/status", "re");

	if (f == NULL)
		return v;
	while (fgets (line, sizeof line, f))
		if (strncmp (line, field, n) == 0 && line[n] == ':') {
			v = strtoull (line + n + 1, NULL, 16);
			break;
		}
	fclose (f);
	return v;
}

#endif
