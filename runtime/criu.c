/* criu dump / restore for a container (criu.h). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/mountinfo.h"
#include "lib/util.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cgroup.h"
#include "runtime/criu.h"
#include "runtime/terminal.h"

/* The key criu knows a namespace joined by path under: the same at dump
 * and restore, and runc's, so images move between the runtimes. */
#define NETNS_KEY       "extRootNetNS"
#define DESCRIPTORS     "descriptors.json"
#define DUMP_LOG        "dump.log"
#define RESTORE_LOG     "restore.log"
#define RESTORE_PIDFILE "restore.pid"
#define TTY_KEY         "keel-tty" /* in the images: criu's key of the init's terminal */

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void arg_add (struct argv_buf *a, const char *fmt, ...)
        __attribute__ ((format (printf, 2, 3)));
static void arg_add (struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start (ap, fmt);
	if (vasprintf (&s, fmt, ap) < 0)
		abort ();
	va_end (ap);
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = realloc (a->v, a->cap * sizeof *a->v);
		if (a->v == NULL)
			abort ();
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_free (struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free (a->v[i]);
	free (a->v);
}

static const char *work_dir (const struct criu_opts *o)
{
	return o->work_path ? o->work_path : o->image_path;
}

/* The options dump and restore share. */
static void common_args (struct argv_buf *a, const struct criu_opts *o, const char *log)
{
	arg_add (a, "--images-dir=%s", o->image_path);
	arg_add (a, "--work-dir=%s", work_dir (o));
	arg_add (a, "--log-file=%s", log);
	arg_add (a, "-v4");
	if (o->manage_cgroups_mode)
		arg_add (a, "--manage-cgroups=%s", o->manage_cgroups_mode);
	else
		arg_add (a, "--manage-cgroups");
	if (o->tcp_established)
		arg_add (a, "--tcp-established");
	if (o->file_locks)
		arg_add (a, "--file-locks");
	if (o->ext_unix_sk)
		arg_add (a, "--ext-unix-sk");
	if (o->shell_job)
		arg_add (a, "--shell-job");
	if (o->auto_dedup)
		arg_add (a, "--auto-dedup");
	if (o->empty_netns)
		arg_add (a, "--empty-ns=net");
}

/* The cause of criu's failure in its log.  A fatal error is logged again
 * by every caller it returns through, so the first "Error (file:line):"
 * line that another one follows within two lines (criu draws a "----"
 * line between some) starts such a chain; a lone line is either the cause
 * or a probe criu lives with (a tun device the cgroup's device filter
 * refuses).  Without a chain, the last lone line that is not criu's own
 * summary ("Dumping FAILED."). */
char *criu_log_cause (const char *log)
{
	cleanup_free char *buf = xstrdup (log);
	const char *last = NULL, *prev = NULL;
	char *line, *next;
	int since = 0; /* lines since prev */

	for (line = buf; line && *line; line = next) {
		char *e;

		next = strchr (line, '\n');
		if (next)
			*next++ = '\0';
		e = strstr (line, "Error (");
		if (e == NULL) {
			if (++since > 2)
				prev = NULL;
			continue;
		}
		if (prev)
			return xstrdup (prev);
		prev = e;
		since = 0;
		if (!strstr (e, " FAILED."))
			last = e;
	}
	return last ? xstrdup (last) : NULL;
}

static char *log_cause (const char *log_path)
{
	cleanup_free char *buf = NULL;

	if (read_file (log_path, 0, &buf, NULL, NULL) < 0)
		return NULL;
	return criu_log_cause (buf);
}

/* Run criu with argv, moved into the cgroups first when given.  what is
 * "dump" or "restore", log the log file's name in the work directory. */
static int run_criu (struct argv_buf *a, const struct criu_opts *o, const char *what,
                     const char *log, const char *cgroup_path, const struct spec_strv *cgroup_v1,
                     struct keel_error **err)
{
	cleanup_free char *log_path = xasprintf ("%s/%s", work_dir (o), log);
	cleanup_free char *cause = NULL;
	int go[2], errp[2], exec_errno = 0, status, ret = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2 (go, O_CLOEXEC) < 0)
		return keel_error (err, errno, "pipe");
	if (pipe2 (errp, O_CLOEXEC) < 0) {
		ret = keel_error (err, errno, "pipe");
		close (go[0]);
		close (go[1]);
		return ret;
	}
	pid = fork ();
	if (pid < 0) {
		ret = keel_error (err, errno, "fork");
		close (go[0]);
		close (go[1]);
		close (errp[0]);
		close (errp[1]);
		return ret;
	}
	if (pid == 0) {
		sigset_t none;
		char c;
		int e;

		/* Held until the parent has placed us in the container's
		 * cgroup: criu's children, the restored tree, inherit it. */
		close (go[1]);
		if (read (go[0], &c, 1) != 1)
			_exit (127);
		/* A foreground restore has SIGCHLD and the forwarded signals
		 * blocked; criu waits for its own children by SIGCHLD. */
		sigemptyset (&none);
		if (sigprocmask (SIG_SETMASK, &none, NULL) < 0)
			_exit (127);
		execvp (CRIU_BIN, a->v);
		e = errno;
		if (write (errp[1], &e, sizeof e) < 0)
			_exit (127);
		_exit (127);
	}
	close (go[0]);
	close (errp[1]);
	if (cgroup_v1 && cgroup_v1->n > 0)
		ret = cgroup_v1_enter (cgroup_v1, pid, err);
	if (ret == 0 && cgroup_path &&
	    (cgroup_v1 == NULL || cgroup_v1->n == 0 || strcmp (cgroup_path, cgroup_v1->v[0]) != 0))
		ret = cgroup_enter (cgroup_path, pid, err);
	if (ret < 0)
		kill (pid, SIGKILL);
	else if (write (go[1], "g", 1) != 1)
		ret = keel_error (err, errno, "release criu");
	close (go[1]);
	do
		n = read (errp[0], &exec_errno, sizeof exec_errno);
	while (n < 0 && errno == EINTR);
	close (errp[0]);
	while (waitpid (pid, &status, 0) < 0) {
		if (errno != EINTR)
			return ret < 0 ? ret : keel_error (err, errno, "waitpid criu");
	}
	if (ret < 0)
		return ret;
	if (n == (ssize_t)sizeof exec_errno)
		return keel_error (err, exec_errno, "exec `%s` (install Debian's criu package)",
		                   CRIU_BIN);
	if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
		return 0;
	cause = log_cause (log_path);
	if (cause)
		return keel_error (err, 0, "criu %s: %s (log: %s)", what, cause, log_path);
	if (WIFSIGNALED (status))
		return keel_error (err, 0, "criu %s: killed by signal %d (log: %s)", what,
		                   WTERMSIG (status), log_path);
	return keel_error (err, 0, "criu %s: exit status %d (log: %s)", what, WEXITSTATUS (status),
	                   log_path);
}

static const char *netns_path (const struct spec *spec)
{
	for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
		if (spec->linux_.namespaces[i].kind == NS_NETWORK)
			return spec->linux_.namespaces[i].path;
	return NULL;
}

/* The stdio of pid (pipes, /dev/null, a pty) as link targets, for restore
 * to hand the caller's pipes back in their place. */
static int write_descriptors (pid_t pid, const struct criu_opts *o, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/" DESCRIPTORS, o->image_path);
	json_object *arr = json_object_new_array ();
	const char *s;
	int ret;

	for (int fd = 0; fd < 3; fd++) {
		char link[64], target[PATH_MAX];
		ssize_t n;

		snprintf (link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
		n = readlink (link, target, sizeof target - 1);
		/* A closed fd stays a placeholder: the indexes are the fds. */
		target[n < 0 ? 0 : n] = '\0';
		json_object_array_add (arr, json_object_new_string (target));
	}
	s = json_object_to_json_string_ext (arr, JSON_C_TO_STRING_PLAIN);
	ret = write_file_at (AT_FDCWD, path, O_CREAT | O_TRUNC, 0600, s, strlen (s), err);
	json_object_put (arr);
	return ret;
}

/* The "cgroup" mount on a v1 or hybrid host is a tmpfs with one bind of
 * the container's own cgroup per hierarchy (mounts.c): binds of a
 * directory, which criu refuses to dump as they are ("doesn't have a
 * proper root mount").  They are external, as runc makes them: dumped by
 * name (their mount point), bound at restore from the new container's
 * cgroups (restore_cgroup_mounts). */
static int external_cgroup (const struct mountinfo *m, void *data)
{
	struct argv_buf *a = data;

	if ((strcmp (m->fstype, "cgroup") == 0 || strcmp (m->fstype, "cgroup2") == 0) &&
	    strcmp (m->root, "/") != 0)
		arg_add (a, "--ext-mount-map=%s:%s", m->mountpoint, m->mountpoint);
	return 0;
}

static bool has_cgroup_mount (const struct spec *spec, const char **dest)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].type && strcmp (spec->mounts[i].type, "cgroup") == 0) {
			*dest = spec->mounts[i].destination;
			return true;
		}
	return false;
}

struct restore_cg {
	struct argv_buf *a;
	const char *dest;
	const struct spec_strv *v1;
};

/* A host v1 hierarchy H: the container's directory in it is bound at
 * DEST/basename(H), as mounts.c names it. */
static int restore_v1_hierarchy (const struct mountinfo *m, void *data)
{
	struct restore_cg *r = data;
	size_t len = strlen (m->mountpoint);
	const char *name = strrchr (m->mountpoint, '/');

	if (strcmp (m->fstype, "cgroup") != 0)
		return 0;
	for (size_t k = 0; k < r->v1->n; k++) {
		const char *dir = r->v1->v[k];
		if (strncmp (dir, m->mountpoint, len) == 0 && (dir[len] == '/' || !dir[len])) {
			arg_add (r->a, "--ext-mount-map=%s/%s:%s", r->dest,
			         name ? name + 1 : m->mountpoint, dir);
			break;
		}
	}
	return 0;
}

static int restore_cgroup_mounts (struct argv_buf *a, const struct spec *spec,
                                  const char *cgroup_path, const struct spec_strv *cgroup_v1,
                                  struct keel_error **err)
{
	struct restore_cg r = {.a = a, .v1 = cgroup_v1};
	int ret;

	if (cgroup_v1 == NULL || cgroup_v1->n == 0 || !has_cgroup_mount (spec, &r.dest))
		return 0;
	ret = mountinfo_foreach ("/proc/self/mountinfo", restore_v1_hierarchy, &r, err);
	if (ret >= 0 && cgroup_path && cgroup_mode () == CGROUP_MODE_HYBRID)
		arg_add (a, "--ext-mount-map=%s/unified:%s", r.dest, cgroup_path);
	return ret < 0 ? ret : 0;
}

static int dump_mounts (struct argv_buf *a, const struct spec *spec, pid_t pid,
                        struct keel_error **err)
{
	const char *dest;
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].bind)
			arg_add (a, "--ext-mount-map=%s:%s", spec->mounts[i].destination,
			         spec->mounts[i].destination);
	/* A masked file is /dev/null bound over it; a masked directory is a
	 * tmpfs, which criu dumps like any other. */
	for (size_t i = 0; i < spec->linux_.masked_paths.n; i++) {
		const char *p = spec->linux_.masked_paths.v[i];
		cleanup_free char *in = xasprintf ("/proc/%d/root%s", (int)pid, p);
		struct stat sb;

		if (stat (in, &sb) == 0 && !S_ISDIR (sb.st_mode))
			arg_add (a, "--ext-mount-map=%s:/dev/null", p);
	}
	/* Device nodes a user namespace gets bound from the host's. */
	for (size_t i = 0; i < spec->linux_.n_devices; i++)
		arg_add (a, "--ext-mount-map=%s:%s", spec->linux_.devices[i].path,
		         spec->linux_.devices[i].path);
	if (cgroup_mode () != CGROUP_MODE_UNIFIED && has_cgroup_mount (spec, &dest)) {
		cleanup_free char *mi = xasprintf ("/proc/%d/mountinfo", (int)pid);
		int ret = mountinfo_foreach (mi, external_cgroup, a, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int find_console (const struct mountinfo *m, void *data)
{
	(void)data;
	return strcmp (m->mountpoint, "/dev/console") == 0;
}

/* A terminal container's stdio is the slave of a pty whose master is held
 * outside the tree (by run, conmon, the shim): criu dumps it as external,
 * keyed by the slave's rdev and its devpts's dev, and the key is kept in
 * the images for restore, which gives the tree a new pty's slave under it
 * (runc has criu make a master over its RPC, orphan-pts-master, which the
 * criu program does not offer).  create binds the slave on /dev/console:
 * that bind is external too. */
static int dump_terminal (struct argv_buf *a, const struct spec *spec, pid_t pid,
                          const struct criu_opts *o, struct keel_error **err)
{
	cleanup_free char *key = NULL, *path = NULL, *mi = NULL;
	int ret;

	if (!spec->has_process || !spec->process.terminal)
		return 0;
	for (int fd = 0; fd < 3 && key == NULL; fd++) {
		char link[64];
		struct stat sb;

		snprintf (link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
		/* UNIX98 pty slaves: majors 136..143 */
		if (stat (link, &sb) == 0 && S_ISCHR (sb.st_mode) && major (sb.st_rdev) >= 136 &&
		    major (sb.st_rdev) <= 143)
			key = xasprintf ("tty[%llx:%llx]", (unsigned long long)sb.st_rdev,
			                 (unsigned long long)sb.st_dev);
	}
	if (key == NULL)
		return 0; /* the terminal is closed: nothing of it to restore */
	arg_add (a, "--external=%s", key);
	mi = xasprintf ("/proc/%d/mountinfo", (int)pid);
	ret = mountinfo_foreach (mi, find_console, NULL, err);
	if (ret < 0)
		return ret;
	if (ret > 0)
		arg_add (a, "--ext-mount-map=/dev/console:/dev/console");
	path = xasprintf ("%s/" TTY_KEY, o->image_path);
	return write_file_at (AT_FDCWD, path, O_CREAT | O_TRUNC, 0600, key, strlen (key), err);
}

int criu_dump (const struct spec *spec, pid_t pid, const struct criu_opts *o,
               struct keel_error **err)
{
	struct argv_buf a = {0};
	const char *netns = netns_path (spec);
	const char *root = spec->root.abs_path ? spec->root.abs_path : spec->root.path;
	int ret;

	ret = mkdir_p (o->image_path, 0700, err);
	if (ret == 0 && o->work_path)
		ret = mkdir_p (o->work_path, 0700, err);
	if (ret < 0)
		return ret;
	arg_add (&a, CRIU_BIN);
	arg_add (&a, o->pre_dump ? "pre-dump" : "dump");
	arg_add (&a, "--tree=%d", (int)pid);
	arg_add (&a, "--root=%s", root);
	common_args (&a, o, DUMP_LOG);
	if (o->leave_running && !o->pre_dump)
		arg_add (&a, "--leave-running");
	/* Incremental: only the pages changed since the parent's images. */
	if (o->pre_dump || o->parent_path)
		arg_add (&a, "--track-mem");
	if (o->parent_path)
		arg_add (&a, "--prev-images-dir=%s", o->parent_path);
	if (o->page_server) {
		const char *colon = strrchr (o->page_server, ':');
		/* criu connects to it; the images there, not in image_path */
		arg_add (&a, "--page-server");
		arg_add (&a, "--address=%.*s", (int)(colon - o->page_server), o->page_server);
		arg_add (&a, "--port=%s", colon + 1);
	}
	if (netns && !o->empty_netns) {
		struct stat sb;
		if (stat (netns, &sb) < 0) {
			argv_free (&a);
			return keel_error (err, errno, "linux.namespaces: network `%s`", netns);
		}
		arg_add (&a, "--external=net[%llu]:" NETNS_KEY, (unsigned long long)sb.st_ino);
	}
	/* A pre-dump only takes memory: mounts and fds are the dump's. */
	if (!o->pre_dump) {
		ret = dump_mounts (&a, spec, pid, err);
		if (ret == 0)
			ret = dump_terminal (&a, spec, pid, o, err);
		if (ret == 0)
			ret = write_descriptors (pid, o, err);
	}
	if (ret == 0)
		ret = run_criu (&a, o, o->pre_dump ? "pre-dump" : "dump", DUMP_LOG, NULL, NULL,
		                err);
	argv_free (&a);
	return ret;
}

/* --inherit-fd for every stdio pipe the dumped init had: ours replace them. */
static int inherit_stdio (struct argv_buf *a, const struct criu_opts *o, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/" DESCRIPTORS, o->image_path);
	cleanup_free char *buf = NULL;
	json_object *arr;
	int ret;

	ret = read_file (path, 0, &buf, NULL, err);
	if (ret < 0)
		return keel_error_wrap (err, "checkpoint images");
	arr = json_tokener_parse (buf);
	if (arr == NULL || !json_object_is_type (arr, json_type_array)) {
		json_object_put (arr);
		return keel_error (err, 0, "`%s`: not a JSON array", path);
	}
	for (size_t i = 0; i < json_object_array_length (arr) && i < 3; i++) {
		const char *s = json_object_get_string (json_object_array_get_idx (arr, i));
		if (s && strncmp (s, "pipe:", 5) == 0)
			arg_add (a, "--inherit-fd=fd[%zu]:%s", i, s);
	}
	json_object_put (arr);
	return 0;
}

/* Images of a terminal container (dump_terminal kept its key): a new pty
 * from our /dev/ptmx, its slave inherited by criu under the dumped key and
 * bound on /dev/console, its master for the caller (--console-socket or
 * the foreground proxy, as after create). */
static int restore_terminal (struct argv_buf *a, const struct spec *spec, const struct criu_opts *o,
                             int *master, int *slave, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/" TTY_KEY, o->image_path);
	cleanup_free char *key = NULL, *name = NULL;
	unsigned long long rdev, dev;
	int ret, end = 0;

	if (access (path, F_OK) < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "`%s`", path);
	if (!spec->has_process || !spec->process.terminal)
		return keel_error (err, 0,
		                   "the checkpoint holds a terminal (`%s`) but process.terminal "
		                   "is false",
		                   path);
	ret = read_file (path, 64, &key, NULL, err);
	if (ret < 0)
		return keel_error_wrap (err, "checkpoint images");
	/* It goes on criu's command line: exactly what dump_terminal wrote. */
	if (sscanf (key, "tty[%llx:%llx]%n", &rdev, &dev, &end) != 2 || key[end] != '\0')
		return keel_error (err, 0, "`%s`: not a tty[RDEV:DEV] key", path);
	ret = terminal_open_pty (&spec->process, master, slave, err);
	if (ret == 0)
		ret = terminal_slave_path (*master, &name, err);
	/* Not O_CLOEXEC: criu inherits it under this number. */
	if (ret == 0 && fcntl (*slave, F_SETFD, 0) < 0)
		ret = keel_error (err, errno, "fcntl the pty's slave");
	if (ret < 0)
		return ret;
	arg_add (a, "--inherit-fd=fd[%d]:%s", *slave, key);
	arg_add (a, "--ext-mount-map=/dev/console:%s", name);
	return 0;
}

int criu_restore (const struct spec *spec, const char *root, const char *cgroup_path,
                  const struct spec_strv *cgroup_v1, const struct criu_opts *o, pid_t *pid,
                  int *tty_master, struct keel_error **err)
{
	cleanup_free char *pidfile = xasprintf ("%s/" RESTORE_PIDFILE, work_dir (o));
	cleanup_free char *buf = NULL;
	cleanup_close int netns_fd = -1, tty_slave = -1;
	struct argv_buf a = {0};
	const char *netns = netns_path (spec);
	unsigned long long n;
	int ret;

	*tty_master = -1;

	if (o->work_path && (ret = mkdir_p (o->work_path, 0700, err)) < 0)
		return ret;
	if (unlink (pidfile) < 0 && errno != ENOENT)
		return keel_error (err, errno, "unlink `%s`", pidfile);
	arg_add (&a, CRIU_BIN);
	arg_add (&a, "restore");
	/* criu exits once the tree runs; the tree is not its child then. */
	arg_add (&a, "--restore-detached");
	arg_add (&a, "--pidfile=%s", pidfile);
	arg_add (&a, "--root=%s", root);
	common_args (&a, o, RESTORE_LOG);
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].bind)
			arg_add (&a, "--ext-mount-map=%s:%s", spec->mounts[i].destination,
			         spec->mounts[i].source);
	if (spec->linux_.masked_paths.n > 0)
		arg_add (&a, "--ext-mount-map=/dev/null:/dev/null");
	for (size_t i = 0; i < spec->linux_.n_devices; i++)
		arg_add (&a, "--ext-mount-map=%s:%s", spec->linux_.devices[i].path,
		         spec->linux_.devices[i].path);
	ret = restore_cgroup_mounts (&a, spec, cgroup_path, cgroup_v1, err);
	if (ret < 0) {
		argv_free (&a);
		return ret;
	}
	if (netns && !o->empty_netns) {
		/* Not O_CLOEXEC: criu inherits it under this number. */
		netns_fd = open (netns, O_RDONLY);
		if (netns_fd < 0) {
			argv_free (&a);
			return keel_error (err, errno, "linux.namespaces: network `%s`", netns);
		}
		arg_add (&a, "--inherit-fd=fd[%d]:" NETNS_KEY, netns_fd);
	}
	ret = inherit_stdio (&a, o, err);
	if (ret == 0)
		ret = restore_terminal (&a, spec, o, tty_master, &tty_slave, err);
	if (ret == 0)
		ret = run_criu (&a, o, "restore", RESTORE_LOG, cgroup_path, cgroup_v1, err);
	argv_free (&a);
	if (ret == 0 && (ret = read_file (pidfile, 64, &buf, NULL, err)) < 0)
		keel_error_wrap (err, "criu restore's pid file");
	if (ret == 0) {
		buf[strcspn (buf, "\n")] = '\0';
		if (!parse_uint64 (buf, &n) || n == 0 || n > INT_MAX)
			ret = keel_error (err, 0, "criu restore's pid file `%s`: `%s` is not a pid",
			                  pidfile, buf);
		else
			*pid = (pid_t)n;
	}
	if (ret < 0 && *tty_master >= 0) {
		close (*tty_master);
		*tty_master = -1;
	}
	return ret;
}
