/* See exec.h. */
#include "runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"

const char *exec_getenv (char *const *env, const char *name)
{
	size_t len = strlen (name);

	for (; env && *env; env++)
		if (strncmp (*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/* 0 when path is an executable regular file, else the errno why not. */
static int check_exec (const char *path)
{
	struct stat st;

	if (stat (path, &st) < 0)
		return errno;
	if (!S_ISREG (st.st_mode))
		return EACCES;
	if (faccessat (AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return errno;
	return 0;
}

int exec_find (const char *file, char *const *env, char **out, struct keel_error **err)
{
	const char *path, *p;
	int saw_eacces = 0, e;

	if (file == NULL || *file == '\0')
		return keel_error (err, 0, "exec: process.args[0] is empty");
	if (strchr (file, '/')) {
		e = check_exec (file);
		if (e)
			return keel_error (err, e, "exec: `%s`", file);
		*out = xstrdup (file);
		return 0;
	}
	path = exec_getenv (env, "PATH");
	if (path == NULL)
		path = EXEC_DEFAULT_PATH;
	for (p = path;; p++) {
		const char *end = strchrnul (p, ':');
		cleanup_free char *cand = NULL;

		if (end == p)
			cand = xasprintf ("./%s", file);
		else
			cand = xasprintf ("%.*s/%s", (int)(end - p), p, file);
		e = check_exec (cand);
		if (e == 0) {
			*out = steal_ptr (&cand);
			return 0;
		}
		if (e == EACCES)
			saw_eacces = 1;
		p = end;
		if (*p == '\0')
			break;
	}
	if (saw_eacces)
		return keel_error (err, EACCES, "exec: `%s`", file);
	return keel_error (err, 0, "exec: `%s`: executable file not found in $PATH", file);
}

static void env_set (char **v, size_t *n, char *entry)
{
	size_t klen = strcspn (entry, "=");

	for (size_t i = 0; i < *n; i++)
		if (strncmp (v[i], entry, klen) == 0 && v[i][klen] == '=') {
			v[i] = entry;
			return;
		}
	v[(*n)++] = entry;
}

char **exec_build_env (char *const *env, char *const *extra)
{
	size_t total = 1, n = 0;
	char **v;

	for (char *const *e = env; e && *e; e++)
		total++;
	for (char *const *e = extra; e && *e; e++)
		total++;
	v = xmalloc0 (total * sizeof (char *));
	for (char *const *e = env; e && *e; e++)
		env_set (v, &n, *e);
	for (char *const *e = extra; e && *e; e++)
		env_set (v, &n, *e);
	v[n] = NULL;
	return v;
}

int exec_pass_fds (int n, struct keel_error **err)
{
	for (int fd = 3; fd < 3 + n; fd++) {
		int fl = fcntl (fd, F_GETFD);
		if (fl < 0) {
			if (errno == EBADF)
				continue;
			return keel_error (err, errno, "preserve fd %d", fd);
		}
		if ((fl & FD_CLOEXEC) && fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return keel_error (err, errno, "preserve fd %d", fd);
	}
	if (syscall (SYS_close_range, 3 + n, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return keel_error (err, errno, "close_range");
	return 0;
}

/* The sixth field of uid's line in the current root's /etc/passwd, or NULL.
 * The file is the image's and untrusted: only a regular file is read (a
 * FIFO would hang create), and only its first megabyte. */
static char *passwd_home (uid_t uid)
{
	cleanup_close int fd = -1;
	struct stat st;
	FILE *f;
	char *line = NULL, *home = NULL;
	size_t cap = 0;
	off_t seen = 0;
	ssize_t n;

	fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
		return NULL;
	f = fdopen (fd, "r");
	if (f == NULL)
		return NULL;
	fd = -1;
	while (home == NULL && seen < (1 << 20) && (n = getline (&line, &cap, f)) > 0) {
		char *field[7], *p = line, *end;
		int k = 0;
		unsigned long id;

		seen += n;
		line[strcspn (line, "\n")] = '\0';
		for (; k < 7 && p; k++) {
			field[k] = p;
			p = strchr (p, ':');
			if (p)
				*p++ = '\0';
		}
		if (k < 6 || field[2][0] == '\0')
			continue;
		errno = 0;
		id = strtoul (field[2], &end, 10);
		if (errno == 0 && *end == '\0' && id == (unsigned long)uid && field[5][0] != '\0')
			home = xstrdup (field[5]);
	}
	free (line);
	fclose (f);
	return home;
}

char **exec_env_add_home (char **env, uid_t uid)
{
	cleanup_free char *home = NULL;
	char **v;
	size_t n = 0;

	if (exec_getenv (env, "HOME"))
		return env;
	home = passwd_home (uid);
	while (env && env[n])
		n++;
	v = xmalloc0 ((n + 2) * sizeof (char *));
	if (n)
		memcpy (v, env, n * sizeof (char *));
	v[n] = xasprintf ("HOME=%s", home ? home : "/");
	free (env);
	return v;
}

static int cmp_int (const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int exec_close_fds_except (int from, int *keep, size_t n, struct keel_error **err)
{
	unsigned int lo = (unsigned int)from;

	qsort (keep, n, sizeof *keep, cmp_int);
	for (size_t i = 0; i <= n; i++) {
		unsigned int hi = i < n ? (unsigned int)keep[i] : ~0U;
		if (i < n && keep[i] < from)
			continue;
		if (hi > lo && syscall (SYS_close_range, lo, hi - 1, 0) < 0)
			return keel_error (err, errno, "close_range %u-%u", lo, hi - 1);
		if (i < n)
			lo = (unsigned int)keep[i] + 1;
	}
	return 0;
}
