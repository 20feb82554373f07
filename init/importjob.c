/* Importing an image on the node in a container of its own (importjob.h,
 * docs/deployments.md "Importing an image on the node"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "init/importjob.h"
#include "init/launch.h"
#include "init/policy.h"
#include "init/update.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/termsafe.h"

#define STAGE_MAX   200
#define SRC_MAX     1024
#define LOG_TAIL    8192
#define TAR_MEMBERS 1000000

const char *import_src_name (enum import_src k)
{
	switch (k) {
	case IMPORT_SRC_ENTRY:
		return "an entry directory";
	case IMPORT_SRC_LAYOUT:
		return "an OCI image layout";
	case IMPORT_SRC_OCI_ARCHIVE:
		return "an OCI image layout archive";
	case IMPORT_SRC_DOCKER:
		return "a docker save archive";
	}
	return "?";
}

/* ---- what SRC is ------------------------------------------------------- */

static unsigned long long tar_number (const unsigned char *p, size_t n, bool *ok)
{
	unsigned long long v = 0;
	size_t i = 0;

	*ok = true;
	if (p[0] & 0x80) {
		/* GNU base-256 for sizes of 8 GiB and more */
		v = p[0] & 0x7f;
		for (i = 1; i < n; i++) {
			if (v > (ULLONG_MAX >> 8)) {
				*ok = false;
				return 0;
			}
			v = (v << 8) | p[i];
		}
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (unsigned)(p[i] - '0');
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			*ok = false;
	return v;
}

/* One of the names a top-level member may have: "x", "./x". */
static bool top_member (const char *m, const char *want)
{
	if (strncmp (m, "./", 2) == 0)
		m += 2;
	return strcmp (m, want) == 0;
}

/* Read a tar's headers (never its data) for manifest.json and oci-layout. */
static int tar_kind (int fd, const char *src, enum import_src *kind, struct keel_error **err)
{
	unsigned char h[512];
	bool manifest = false, layout = false;
	off_t off = 0;

	for (unsigned long members = 0; members < TAR_MEMBERS; members++) {
		char name[101];
		unsigned long long size, sum, want = 0;
		bool ok;
		ssize_t r = pread (fd, h, sizeof h, off);

		if (r < 0)
			return keel_error (err, errno, "%s: read", src);
		if (r < (ssize_t)sizeof h) {
			if (members == 0)
				return keel_error (
				        err, 0, "%s: not a tar archive (shorter than one header)",
				        src);
			break; /* a truncated end: keel-import says more */
		}
		for (size_t i = 0; i < sizeof h; i++)
			want += (i >= 148 && i < 156) ? ' ' : h[i];
		if (want == 8 * ' ' && members > 0)
			break; /* the end: a zero block */
		sum = tar_number (h + 148, 8, &ok);
		if (!ok || sum != want)
			return keel_error (err, 0,
			                   "%s: not a tar archive (header %lu at byte %lld has a "
			                   "bad checksum; a "
			                   "compressed archive must be uncompressed first)",
			                   src, members + 1, (long long)off);
		size = tar_number (h + 124, 12, &ok);
		if (!ok || size > (unsigned long long)LLONG_MAX - 1024 - (unsigned long long)off)
			return keel_error (err, 0, "%s: tar header %lu at byte %lld has a bad size",
			                   src, members + 1, (long long)off);
		memcpy (name, h, 100);
		name[100] = '\0';
		/* plain members only: a prefix (ustar) is a deeper path anyway */
		if (h[345] == '\0' && (h[156] == '0' || h[156] == '\0')) {
			manifest = manifest || top_member (name, "manifest.json");
			layout = layout || top_member (name, "oci-layout");
		}
		off += 512 + (off_t)((size + 511) / 512 * 512);
	}
	if (manifest) {
		*kind = IMPORT_SRC_DOCKER; /* a Docker 25+ archive has both: keel-import knows */
		return 0;
	}
	if (layout) {
		*kind = IMPORT_SRC_OCI_ARCHIVE;
		return 0;
	}
	return keel_error (err, 0,
	                   "%s: a tar archive with neither manifest.json (docker save) nor "
	                   "oci-layout (an OCI image layout) at its top",
	                   src);
}

int import_detect (const char *src, enum import_src *kind, struct keel_error **err)
{
	cleanup_close int fd = open (src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return keel_error (err, errno, "%s", src);
	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "%s: stat", src);
	if (S_ISDIR (st.st_mode)) {
		if (faccessat (fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			*kind = IMPORT_SRC_LAYOUT;
			return 0;
		}
		if (faccessat (fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			*kind = IMPORT_SRC_ENTRY;
			return 0;
		}
		return keel_error (
		        err, 0,
		        "%s: neither an OCI image layout (no oci-layout file) nor an entry "
		        "directory (no config.json)",
		        src);
	}
	if (!S_ISREG (st.st_mode))
		return keel_error (err, 0,
		                   "%s: not a directory nor a regular file (an image layout, an "
		                   "archive or an entry directory)",
		                   src);
	return tar_kind (fd, src, kind, err);
}

/* ---- PID 1: the request ----------------------------------------------- */

static int job_pidfd = -1;
static pid_t job_pid;
static uint64_t job_deadline_ms; /* CLOCK_MONOTONIC: past it, PID 1 kills the helper */
static uint64_t job_killed_ms;   /* when it did, 0 before */

static uint64_t mono_ms (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void importjob_track (pid_t pid, int pidfd, uint64_t deadline_ms)
{
	if (job_pidfd >= 0)
		close (job_pidfd);
	job_pid = pid;
	job_pidfd = pidfd;
	job_deadline_ms = deadline_ms;
	job_killed_ms = 0;
}

/* A pidfd is readable once its process has exited (the SIGCHLD sweep
 * reaps it, supervisor.c); never blocks.  The helper kills its container
 * at its own deadline; one still there IMPORTJOB_GRACE_MS later is stuck
 * (waiting for a container process the kernel holds) and gets SIGKILL.
 * One that outlives that too by IMPORTJOB_KILL_GRACE_MS is itself held by
 * the kernel (D state on a hung FUSE or NFS, a frozen v1 freezer cgroup):
 * PID 1 stops waiting for it, so that a later import can run; the sweep
 * reaps it if it ever ends. */
bool importjob_running (uint64_t now_ms)
{
	struct pollfd p = {.fd = job_pidfd, .events = POLLIN};

	if (job_pidfd < 0)
		return false;
	if (poll (&p, 1, 0) != 0) {
		close (job_pidfd);
		job_pidfd = -1;
		return false;
	}
	if (job_killed_ms == 0 && now_ms >= job_deadline_ms) {
		keel_log (KEEL_LOG_WARNING,
		          "import: the helper (pid %d) outlived its deadline by %ds: killed",
		          (int)job_pid, IMPORTJOB_GRACE_MS / 1000);
		if (syscall (SYS_pidfd_send_signal, job_pidfd, SIGKILL, NULL, 0) < 0)
			keel_log (KEEL_LOG_WARNING, "import: SIGKILL to the helper (pid %d): %s",
			          (int)job_pid, strerror (errno));
		job_killed_ms = now_ms;
	} else if (job_killed_ms != 0 && now_ms >= job_killed_ms + IMPORTJOB_KILL_GRACE_MS) {
		keel_log (KEEL_LOG_WARNING,
		          "import: the helper (pid %d) did not end %ds after SIGKILL (held in the "
		          "kernel?): no longer waited for, another import may run; it is reaped "
		          "if it ever ends",
		          (int)job_pid, IMPORTJOB_KILL_GRACE_MS / 1000);
		close (job_pidfd);
		job_pidfd = -1;
		return false;
	}
	return true;
}

static bool job_running (void)
{
	return importjob_running (mono_ms ());
}

/* A stage is a name directly in containers.d that is never an entry:
 * a dot first, the entry name characters, no "." or "..". */
static const char *stage_invalid (const char *s)
{
	size_t n = strlen (s);

	if (s[0] != '.' || n < 2 || n > STAGE_MAX)
		return "expected a name starting with a dot, at most 200 characters";
	if (strcmp (s, "..") == 0 || strcmp (s, "." DEPLOY_DIR) == 0 || strcmp (s, DEPLOY_DIR) == 0)
		return "reserved name";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '.' || c == '-'))
			return "only letters, digits and _+.- are allowed";
	}
	return NULL;
}

/* An absolute, normal path: no empty, "." or ".." component, no control
 * character (the request is words: no space either). */
static const char *src_invalid (const char *s)
{
	size_t n = strlen (s);

	if (s[0] != '/')
		return "not an absolute path";
	if (n > SRC_MAX)
		return "longer than 1024 characters";
	if (n == 1)
		return "is /";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "has a control character";
	for (const char *p = s + 1; p && *p;) {
		const char *e = strchr (p, '/');
		size_t l = e ? (size_t)(e - p) : strlen (p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return "has an empty, `.` or `..` component";
		p = e ? e + 1 : NULL;
		if (e && *p == '\0')
			return "ends with /";
	}
	return NULL;
}

/* SRC is bound by path (keel's runtime resolves it when it mounts): a
 * directory on the way that anyone but root can write could have SRC
 * swapped for a link to /etc/shadow, a device or another directory
 * between this check and the bind.  So the path must have no link and
 * only root may change what it names: each directory owned by root (or
 * us) and not writable by group or others, unless sticky with the next
 * component owned by root (/tmp: no one else can rename or remove it).
 * *st is what SRC is. */
int import_src_check (const char *src, struct stat *st, struct keel_error **err)
{
	cleanup_close int fd = -1;
	struct stat up;
	const char *why;

	if ((why = src_invalid (src)) != NULL)
		return keel_error (err, 0, "%s: %s", src, why);
	fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat (fd, &up) < 0)
		return keel_error (err, errno, "%s: open /", src);
	for (const char *p = src + 1; *p;) {
		size_t l = strcspn (p, "/");
		char name[NAME_MAX + 1];
		int next;

		if (l > NAME_MAX)
			return keel_error (err, ENAMETOOLONG, "%s", src);
		memcpy (name, p, l);
		name[l] = '\0';
		next = openat (fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return keel_error (err, errno, "%s: `%.*s`", src, (int)(p + l - src), src);
		close (fd);
		fd = next;
		if (fstat (fd, st) < 0)
			return keel_error (err, errno, "%s: stat `%.*s`", src, (int)(p + l - src),
			                   src);
		if ((up.st_uid != 0 && up.st_uid != geteuid ()) ||
		    ((up.st_mode & 022) &&
		     !((up.st_mode & S_ISVTX) && (st->st_uid == 0 || st->st_uid == geteuid ()))))
			return keel_error (
			        err, 0,
			        "%s: `%.*s` is %s: SRC could be swapped for a link to another file "
			        "before keel binds it; keep images in directories only root can "
			        "write",
			        src, p == src + 1 ? 1 : (int)(p - 1 - src), src,
			        (up.st_uid != 0 && up.st_uid != geteuid ())
			                ? "owned by another user than root"
			                : "writable by group or others");
		if (S_ISLNK (st->st_mode))
			return keel_error (err, 0, "%s: `%.*s` is a symbolic link", src,
			                   (int)(p + l - src), src);
		p += l;
		if (*p == '/')
			p++;
		if (*p && !S_ISDIR (st->st_mode))
			return keel_error (err, ENOTDIR, "%s: `%.*s`", src, (int)(p - 1 - src),
			                   src);
		up = *st;
	}
	if (!S_ISDIR (st->st_mode) && !S_ISREG (st->st_mode))
		return keel_error (err, 0, "%s: not a directory nor a regular file", src);
	return 0;
}

void importjob_request (const struct init_opts *o, bool cgroups, char **w, size_t n, struct buf *b)
{
	struct keel_error *err = NULL;
	unsigned long long secs;
	const char *why;
	char *argv[12];
	cleanup_free char *cgroup = NULL;
	bool fallback;
	pid_t pid;
	int pidfd;

	if (n == 1) {
		if (job_running ())
			buf_put (b, "ok\njob: running\npid: %d\n", (int)job_pid);
		else
			buf_put (b, "ok\njob: idle\n");
		return;
	}
	if (n != 4) {
		buf_put (b, "error: import: expected `import` or `import STAGE SRC SECONDS`\n");
		return;
	}
	if ((why = stage_invalid (w[1])) != NULL) {
		buf_put (b, "error: import: stage \"%.200s\": %s\n", w[1], why);
		return;
	}
	if ((why = src_invalid (w[2])) != NULL) {
		buf_put (b, "error: import: SRC \"%.1024s\": %s\n", w[2], why);
		return;
	}
	if (!parse_uint64 (w[3], &secs) || secs < 1 || secs > IMPORTJOB_TIMEOUT_MAX) {
		buf_put (b, "error: import: \"%.20s\": expected 1 to %u seconds\n", w[3],
		         IMPORTJOB_TIMEOUT_MAX);
		return;
	}
	if (job_running ()) {
		buf_put (b, "error: import: a job is running (pid %d): one at a time\n",
		         (int)job_pid);
		return;
	}
	cgroup = xasprintf ("/%s/.import", o->cgroup_root);
	argv[0] = (char *)"keel";
	argv[1] = (char *)IMPORTJOB_HELPER_ROLE;
	argv[2] = o->runtime_root;
	argv[3] = w[1]; /* the stage: what an error of the spawn names */
	argv[4] = (char *)(cgroups ? "cgroupfs" : "disabled");
	argv[5] = cgroup;
	argv[6] = o->dir;
	argv[7] = w[2];
	argv[8] = o->importer;
	argv[9] = w[3];
	argv[10] = NULL;
	if (launch_spawn_role (argv, -1, &pid, &pidfd, &fallback, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		buf_put (b, "error: import: %s\n", m);
		return;
	}
	importjob_track (pid, pidfd, mono_ms () + secs * 1000 + IMPORTJOB_GRACE_MS);
	buf_put (b, "ok\npid: %d\n", (int)pid);
}

/* ---- the helper ------------------------------------------------------- */

static int write_status (int stagefd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int write_status (int stagefd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int fd, len;

	va_start (ap, fmt);
	len = vsnprintf (line, sizeof line - 1, fmt, ap);
	va_end (ap);
	if (len < 0)
		return -1;
	if ((size_t)len > sizeof line - 2)
		len = (int)sizeof line - 2;
	line[len++] = '\n';
	(void)!unlinkat (stagefd, "status.tmp", 0);
	fd = openat (stagefd, "status.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	             0600);
	if (fd < 0)
		return -1;
	if (write (fd, line, (size_t)len) != len) {
		close (fd);
		return -1;
	}
	close (fd);
	return renameat (stagefd, "status.tmp", stagefd, "status");
}

/* The importer's config.json with the job's root, binds and cgroup. */
static int job_config (const char *importer, const char *src, bool src_dir, const char *work,
                       const char *cgroup, char **out, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/config.json", importer);
	cleanup_free char *buf = NULL;
	cleanup_free char *rootfs = xasprintf ("%s/rootfs", importer);
	struct json_object *c, *root, *mounts, *linux_;
	struct {
		const char *dst, *src;
		const char *opts[6];
	} binds[2] = {
	        /* a file goes onto the empty file /src.tar of the importer's
	         * root, a directory onto /src (initramfs/importer/build.sh) */
	        {src_dir ? "/src" : "/src.tar",
	         src,
	         {"bind", "ro", "nosuid", "nodev", "noexec", NULL}},
	        /* nodev: a device node an image makes cannot be opened there */
	        {"/work", work, {"bind", "nosuid", "nodev", "noexec", NULL, NULL}},
	};

	if (input_read (path, NULL, 1 << 20, &buf, NULL, err) < 0)
		return keel_error_wrap (err, "the importer bundle");
	c = json_tokener_parse (buf);
	if (c == NULL || !json_object_is_type (c, json_type_object)) {
		json_object_put (c);
		return keel_error (err, 0, "%s: not a JSON object", path);
	}
	root = json_object_new_object ();
	json_object_object_add (root, "path", json_object_new_string (rootfs));
	json_object_object_add (root, "readonly", json_object_new_boolean (1));
	json_object_object_add (c, "root", root);
	if (!json_object_object_get_ex (c, "mounts", &mounts) ||
	    !json_object_is_type (mounts, json_type_array)) {
		mounts = json_object_new_array ();
		json_object_object_add (c, "mounts", mounts);
	}
	for (size_t i = 0; i < 2; i++) {
		struct json_object *m = json_object_new_object ();
		struct json_object *o = json_object_new_array ();
		json_object_object_add (m, "destination", json_object_new_string (binds[i].dst));
		json_object_object_add (m, "type", json_object_new_string ("bind"));
		json_object_object_add (m, "source", json_object_new_string (binds[i].src));
		for (size_t k = 0; binds[i].opts[k]; k++)
			json_object_array_add (o, json_object_new_string (binds[i].opts[k]));
		json_object_object_add (m, "options", o);
		json_object_array_add (mounts, m);
	}
	if (cgroup) {
		if (!json_object_object_get_ex (c, "linux", &linux_) ||
		    !json_object_is_type (linux_, json_type_object)) {
			linux_ = json_object_new_object ();
			json_object_object_add (c, "linux", linux_);
		}
		json_object_object_add (linux_, "cgroupsPath", json_object_new_string (cgroup));
	}
	*out = xstrdup (json_object_to_json_string_ext (c, JSON_C_TO_STRING_PLAIN));
	json_object_put (c);
	return 0;
}

/* Run `keel-runtime ARGS...` with stdout and stderr to logfd; its wait
 * status, or -1.  secs > 0: kill the container when it runs longer. */
static int runtime (const char *state_root, const char *mgr, int logfd, unsigned secs,
                    bool *timed_out, const char *const *args)
{
	char *argv[16];
	size_t n = 0;
	pid_t pid;
	int status, pfd;

	argv[n++] = (char *)"keel-runtime";
	argv[n++] = (char *)"--root";
	argv[n++] = (char *)state_root;
	argv[n++] = (char *)"--cgroup-manager";
	argv[n++] = (char *)mgr;
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork ();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open ("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nul < 0 || dup2 (nul, 0) < 0 || dup2 (logfd, 1) < 0 || dup2 (logfd, 2) < 0)
			_exit (127);
		execv ("/proc/self/exe", argv);
		dprintf (2, "keel __import: exec keel's runtime: %s\n", strerror (errno));
		_exit (127);
	}
	pfd = (int)syscall (SYS_pidfd_open, pid, 0);
	if (secs > 0 && pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int r;
		do
			r = poll (&p, 1, (int)(secs > INT_MAX / 1000 ? INT_MAX : secs * 1000));
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			const char *kill_args[] = {"kill", IMPORTJOB_ID, "KILL", NULL};
			*timed_out = true;
			dprintf (logfd, "keel __import: the import ran longer than %us: killed\n",
			         secs);
			runtime (state_root, mgr, logfd, 0, timed_out, kill_args);
		}
	}
	if (pfd >= 0)
		close (pfd);
	while (waitpid (pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int importjob_helper_main (int argc, char **argv)
{
	struct keel_error *err = NULL;
	const char *state_root, *mgr, *cgroup, *dir, *stage, *src, *importer;
	cleanup_close int cdfd = -1, stagefd = -1, workfd = -1, logfd = -1, bfd = -1;
	cleanup_free char *config = NULL;
	cleanup_free char *work = NULL;
	cleanup_free char *bundle = NULL;
	unsigned long long secs;
	struct stat st;
	bool timed_out = false;
	sigset_t none;
	int status;

	/* PID 1's mask (every signal blocked, for its signalfd) and its
	 * SIG_IGN for SIGPIPE came through the exec: not for the job. */
	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
	signal (SIGPIPE, SIG_DFL);
	if (argc != 10 || !parse_uint64 (argv[9], &secs) || secs < 1 ||
	    secs > IMPORTJOB_TIMEOUT_MAX) {
		fprintf (stderr, "keel __import: started by PID 1 only\n");
		return 2;
	}
	state_root = argv[2], stage = argv[3], mgr = argv[4], cgroup = argv[5], dir = argv[6];
	src = argv[7], importer = argv[8];

	/* The stage: keelctl's directory in containers.d, work/ in it; no
	 * link on the way (it names where the container may write). */
	cdfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cdfd < 0) {
		fprintf (stderr, "keel __import: open containers.d `%s`: %s\n", dir,
		         strerror (errno));
		return 1;
	}
	stagefd = openat (cdfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stagefd < 0 || fstat (stagefd, &st) < 0 || st.st_uid != geteuid () ||
	    (st.st_mode & 022)) {
		fprintf (stderr,
		         "keel __import: `%s/%s`: not a directory of containers.d owned by us, "
		         "writable by us only%s%s\n",
		         dir, stage, stagefd < 0 ? ": " : "", stagefd < 0 ? strerror (errno) : "");
		return 1;
	}
	logfd = openat (stagefd, "log", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (logfd < 0) {
		fprintf (stderr, "keel __import: create `%s/%s/log`: %s\n", dir, stage,
		         strerror (errno));
		return 1;
	}
	workfd = openat (stagefd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (workfd < 0 || fstat (workfd, &st) < 0 || st.st_uid != geteuid () ||
	    (st.st_mode & 022)) {
		write_status (stagefd, "error %s/%s/work: not a directory writable by us only", dir,
		              stage);
		return 1;
	}
	if (import_src_check (src, &st, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		write_status (stagefd, "error %s", m);
		return 1;
	}
	work = xasprintf ("%s/%s/work", dir, stage);
	if (job_config (importer, src, S_ISDIR (st.st_mode), work,
	                strcmp (mgr, "disabled") == 0 ? NULL : cgroup, &config, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		write_status (stagefd, "error %s", m);
		return 1;
	}
	if (mkdirat (stagefd, "bundle", 0700) < 0 ||
	    (bfd = openat (stagefd, "bundle", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	            0 ||
	    write_file_at (bfd, "config.json", O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600,
	                   config, strlen (config), &err) < 0) {
		cleanup_free char *m = err ? keel_error_take (&err) : xstrdup (strerror (errno));
		write_status (stagefd, "error the job's bundle: %s", m);
		return 1;
	}
	bundle = xasprintf ("%s/%s/bundle", dir, stage);
	{
		/* one job at a time (PID 1): a container left by a job that
		 * was itself killed goes first */
		const char *del[] = {"delete", "--force", IMPORTJOB_ID, NULL};
		const char *run[] = {"run", "--bundle", bundle, IMPORTJOB_ID, NULL};
		cleanup_close int nul = open ("/dev/null", O_WRONLY | O_CLOEXEC);
		runtime (state_root, mgr, nul >= 0 ? nul : logfd, 0, &timed_out, del);
		status = runtime (state_root, mgr, logfd, (unsigned)secs, &timed_out, run);
		runtime (state_root, mgr, nul >= 0 ? nul : logfd, 0, &timed_out, del);
	}
	if (timed_out)
		write_status (stagefd, "timeout %llu", secs);
	else if (status < 0)
		write_status (stagefd, "error running keel's runtime: %s", strerror (errno));
	else if (WIFEXITED (status))
		write_status (stagefd, "exit %d", WEXITSTATUS (status));
	else
		write_status (stagefd, "signal %d", WTERMSIG (status));
	return 0;
}

/* work/request.json: keel-import's arguments (initramfs/importer/keel-import-job). */
static int write_request (int workfd, int cdfd, const char *name, const char *src,
                          const struct deployment *d, const struct import_opts *io,
                          struct keel_error **err)
{
	struct json_object *o = json_object_new_object ();
	struct json_object *a = json_object_new_array ();
	int ret;

	json_object_array_add (a, json_object_new_string ("--name"));
	json_object_array_add (a, json_object_new_string (name));
	json_object_array_add (a, json_object_new_string ("--source-name"));
	json_object_array_add (a, json_object_new_string (src));
	for (size_t i = 0; i < d->n_settings; i++) {
		cleanup_free char *kv =
		        xasprintf ("%s=%s", d->settings[i].key, d->settings[i].value);
		json_object_array_add (a, json_object_new_string ("--set"));
		json_object_array_add (a, json_object_new_string (kv));
	}
	if (io->ref) {
		json_object_array_add (a, json_object_new_string ("--ref"));
		json_object_array_add (a, json_object_new_string (io->ref));
	}
	if (io->no_exports)
		json_object_array_add (a, json_object_new_string ("--no-exports"));
	/* keel-import's default, which it cannot see from its work directory */
	if (faccessat (cdfd, "net", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		json_object_array_add (a, json_object_new_string ("--network"));
		json_object_array_add (a, json_object_new_string ("net"));
	}
	json_object_object_add (o, "args", a);
	{
		const char *text = json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN);
		ret = write_file_at (workfd, "request.json",
		                     O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644, text,
		                     strlen (text), err);
	}
	json_object_put (o);
	return ret;
}

/* The importer's last lines, for the error. */
static char *log_tail (int stagefd)
{
	cleanup_close int fd = openat (stagefd, "log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char buf[LOG_TAIL + 1];
	off_t off;
	ssize_t n;
	char *p;

	if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
		return xstrdup ("");
	off = st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0;
	n = pread (fd, buf, LOG_TAIL, off);
	if (n <= 0)
		return xstrdup ("");
	buf[n] = '\0';
	p = buf;
	if (off > 0 && (p = memchr (buf, '\n', (size_t)n)) != NULL)
		p++;
	else if (p == NULL)
		p = buf;
	/* the container wrote it: no terminal escape (a title, the
	 * clipboard, a cleared screen, an answerback) reaches whoever reads
	 * the error; its lines stay lines (lib/termsafe.h) */
	{
		size_t len = (size_t)n - (size_t)(p - buf);
		char *out = xmalloc0 (len * TERMSAFE_GROWTH + 1);
		termsafe (out, len * TERMSAFE_GROWTH, p, len, TERMSAFE_NEWLINES, NULL);
		return out;
	}
}

/* The entry keel-import wrote, moved out of what the container could
 * reach: every step without following a link (the container made them
 * all), its files checked for what they must be. */
static int take_entry (int cdfd, int stagefd, const char *name, const char *staged,
                       struct keel_error **err)
{
	cleanup_close int wfd = -1, ofd = -1, efd = -1;
	static const struct {
		const char *file;
		mode_t type;
	} need[] = {{"config.json", S_IFREG},
	            {"keel.json", S_IFREG},
	            {"import.json", S_IFREG},
	            {"rootfs", S_IFDIR}};
	struct stat st;

	wfd = openat (stagefd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (wfd >= 0)
		ofd = openat (wfd, "out", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ofd >= 0)
		efd = openat (ofd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (efd < 0)
		return keel_error (err, errno,
		                   "the importer left no entry directory work/out/%s (a link is "
		                   "not followed)",
		                   name);
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		if (fstatat (efd, need[i].file, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return keel_error (err, errno, "the imported entry's %s", need[i].file);
		if ((st.st_mode & S_IFMT) != need[i].type)
			return keel_error (err, 0, "the imported entry's %s is not a %s",
			                   need[i].file,
			                   need[i].type == S_IFDIR ? "directory" : "regular file");
	}
	/* the store writes its own deploy.json (deploy_add) */
	if (unlinkat (efd, DEPLOY_FILE, 0) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove the importer's %s", DEPLOY_FILE);
	if (renameat (ofd, name, cdfd, staged) < 0)
		return keel_error (err, errno, "move the imported entry to `%s`", staged);
	return 0;
}

/* PID 1's own check of the entry among containers.d's (keel check). */
static int check_entry (const char *dir, const char *name, const char *staged,
                        struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/%s", dir, staged);
	char *argv[] = {(char *)"keel",
	                (char *)"check",
	                (char *)"--name",
	                (char *)name,
	                (char *)"--with",
	                (char *)dir,
	                path,
	                NULL};
	pid_t pid;
	int status;

	fflush (stdout);
	fflush (stderr);
	pid = fork ();
	if (pid < 0)
		return keel_error (err, errno, "fork for keel check");
	if (pid == 0) {
		int nul = open ("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2 (nul, 1); /* its "accepted" line: keelctl says its own */
		execv ("/proc/self/exe", argv);
		_exit (127);
	}
	while (waitpid (pid, &status, 0) < 0)
		if (errno != EINTR)
			return keel_error (err, errno, "waitpid");
	if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
		return 0;
	if (WIFEXITED (status) && WEXITSTATUS (status) == 1)
		return keel_error (err, 0, "keel check refused the imported entry (above)");
	return keel_error (err, 0, "keel check could not run on the imported entry (status %d)",
	                   status);
}

static bool digest_valid (const char *s)
{
	if (strncmp (s, "sha256:", 7) != 0 || strlen (s) != 7 + 64)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static char *entry_digest (int cdfd, const char *staged, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/import.json", staged);
	cleanup_free char *buf = NULL;
	struct json_object *o, *v;
	char *r = NULL;

	if (input_read_at (cdfd, path, "import.json", INPUT_NOFOLLOW, 1 << 20, &buf, NULL, err) < 0)
		return NULL;
	o = json_tokener_parse (buf);
	if (o && json_object_object_get_ex (o, "manifest", &v) &&
	    json_object_is_type (v, json_type_string) && digest_valid (json_object_get_string (v)))
		r = xstrdup (json_object_get_string (v));
	else
		keel_error (err, 0, "the imported entry's import.json has no manifest digest");
	json_object_put (o);
	return r;
}

/* Ask for the job and wait for its status; 0 when the importer exited 0. */
static int run_job (const char *sock, int stagefd, const char *stage, const char *src,
                    unsigned timeout, struct keel_error **err)
{
	cleanup_free char *req = xasprintf ("import %s %s %u", stage, src, timeout);
	cleanup_free char *body = NULL;
	cleanup_free char *st = NULL;
	/* the helper's own deadline is the container's; this one covers a
	 * helper that never got to write its status */
	uint64_t deadline = mono_ms () + (uint64_t)timeout * 1000 + 60000;
	unsigned polls = 0;

	/* one job at a time: another entry's import first, waited for */
	while (update_ask (sock, req, &body) < 0) {
		struct timespec one = {.tv_sec = 1};
		if (strstr (body, "a job is running") == NULL || mono_ms () >= deadline)
			return keel_error (err, 0, "asking keel for the import job: %s", body);
		if (polls++ == 0) {
			printf ("waiting for the import that runs (%s)\n", body);
			fflush (stdout);
		}
		free (body);
		body = NULL;
		nanosleep (&one, NULL);
	}
	polls = 0;
	for (;;) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
		struct keel_error *e = NULL;

		if (input_read_at (stagefd, "status", "status", INPUT_NOFOLLOW, 4096, &st, NULL,
		                   &e) == 0)
			break;
		keel_error_release (&e);
		if (++polls % 10 == 0) {
			cleanup_free char *b = NULL;
			cleanup_free char *job = NULL;
			/* the status is written before the helper exits: read
			 * it once more after an idle answer */
			if (update_ask (sock, "import", &b) == 0 &&
			    (job = update_answer_field (b, "job")) != NULL &&
			    strcmp (job, "idle") == 0 &&
			    input_read_at (stagefd, "status", "status", INPUT_NOFOLLOW, 4096, &st,
			                   NULL, &e) < 0) {
				keel_error_release (&e);
				return keel_error (err, 0,
				                   "the import job ended without a result (keel's "
				                   "console or stderr says why)");
			}
			if (st)
				break;
		}
		if (mono_ms () >= deadline)
			return keel_error (err, 0, "the import job gave no result within %us",
			                   timeout + 60);
		nanosleep (&ts, NULL);
	}
	st[strcspn (st, "\n")] = '\0';
	if (strcmp (st, "exit 0") == 0)
		return 0;
	{
		cleanup_free char *tail = log_tail (stagefd);
		size_t l = strlen (tail);
		while (l > 0 && tail[l - 1] == '\n')
			tail[--l] = '\0';
		if (strncmp (st, "timeout ", 8) == 0)
			return keel_error (err, 0,
			                   "the importer ran longer than %ss and was killed%s%s",
			                   st + 8, l ? ":\n" : "", tail);
		if (strncmp (st, "error ", 6) == 0)
			return keel_error (err, 0, "the import job: %s", st + 6);
		return keel_error (err, 0, "the importer failed (%s)%s%s", st, l ? ":\n" : "",
		                   tail);
	}
}

/* Work directories an import of NAME left when its keelctl was killed:
 * removed while no job runs (none can be writing into them then). */
static void remove_stale (const char *sock, int cdfd, const char *name)
{
	cleanup_free char *body = NULL;
	cleanup_free char *job = NULL;
	cleanup_free char *p1 = xasprintf (".%s.import.", name);
	cleanup_free char *p2 = xasprintf (".%s.imported.", name);
	struct keel_error *err = NULL;
	struct dirent *de;
	int fd;
	DIR *dir;

	if (update_ask (sock, "import", &body) < 0 ||
	    (job = update_answer_field (body, "job")) == NULL || strcmp (job, "idle") != 0)
		return;
	fd = openat (cdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir (fd)) == NULL) {
		if (fd >= 0)
			close (fd);
		return;
	}
	while ((de = readdir (dir)) != NULL) {
		cleanup_close int lk = -1;

		if (strncmp (de->d_name, p1, strlen (p1)) != 0 &&
		    strncmp (de->d_name, p2, strlen (p2)) != 0)
			continue;
		/* another keelctl update of NAME that is still alive holds its
		 * directory locked (hold_lock): between the job and deploy_add
		 * no job runs, and its entry must not be removed under it */
		lk = openat (cdfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (lk >= 0 && flock (lk, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (deploy_remove_tree (cdfd, de->d_name, &err) < 0)
			keel_error_print (stderr, "keelctl update", &err);
		else
			printf ("%s: removed %s, left by an import that did not finish\n", name,
			        de->d_name);
	}
	closedir (dir);
}

/* Lock a work directory of ours for as long as this keelctl lives (the
 * lock goes with the process, so one killed leaves nothing held):
 * remove_stale of a concurrent update of the same entry skips it. */
static void hold_lock (int cdfd, const char *dir)
{
	int fd = openat (cdfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) < 0) {
		close (fd);
		return;
	}
	/* fd is kept open on purpose: closing it would drop the lock */
}

int importjob_run (const char *sock, int cdfd, const char *name, const char *src,
                   const struct deployment *d, const struct import_opts *io, char **staged,
                   char **digest, struct keel_error **err)
{
	cleanup_free char *body = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *abs = NULL;
	cleanup_free char *tmpl = NULL;
	cleanup_free char *out = NULL;
	cleanup_close int stagefd = -1, workfd = -1;
	const char *stage, *why;
	struct keel_error *e2 = NULL;
	int ret = -1;

	*staged = NULL;
	*digest = NULL;
	if (update_ask (sock, "deployment", &body) < 0 ||
	    (dir = update_answer_field (body, "dir")) == NULL)
		return keel_error (err, 0, "asking keel where containers.d is: %s", body);
	/* keel binds SRC as it resolves it: one absolute path without links */
	abs = realpath (src, NULL);
	if (abs == NULL)
		return keel_error (err, errno, "%s", src);
	if (strpbrk (abs, " \t\n"))
		why = "a path with a space or a tab cannot be given to keel (its requests are "
		      "words)";
	else
		why = src_invalid (abs);
	if (why != NULL)
		return keel_error (err, 0, "%s: %s", abs, why);
	{
		/* keel's helper checks it again: this says it early */
		struct stat st;
		if (import_src_check (abs, &st, err) < 0)
			return -1;
	}
	remove_stale (sock, cdfd, name);
	tmpl = xasprintf ("%s/.%s.import.XXXXXX", dir, name);
	if (mkdtemp (tmpl) == NULL)
		return keel_error (err, errno, "create a work directory in `%s`", dir);
	stage = strrchr (tmpl, '/') + 1;
	stagefd = openat (cdfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stagefd < 0) {
		keel_error (err, errno, "open `%s`", tmpl);
		goto out;
	}
	hold_lock (cdfd, stage);
	if (mkdirat (stagefd, "work", 0700) < 0 ||
	    (workfd = openat (stagefd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	            0) {
		keel_error (err, errno, "create `%s/work`", tmpl);
		goto out;
	}
	if (write_request (workfd, cdfd, name, abs, d, io, err) < 0)
		goto out;
	printf ("%s: importing %s in the importer container\n", name, abs);
	fflush (stdout);
	if (run_job (sock, stagefd, stage, abs, io->timeout, err) < 0)
		goto out;
	out = xasprintf (".%s.imported.%s", name, stage + strlen (name) + 9);
	if (take_entry (cdfd, stagefd, name, out, err) < 0)
		goto out;
	hold_lock (cdfd, out);
	if (check_entry (dir, name, out, err) < 0 ||
	    (*digest = entry_digest (cdfd, out, err)) == NULL) {
		if (deploy_remove_tree (cdfd, out, &e2) < 0)
			keel_error_print (stderr, "keelctl update", &e2);
		goto out;
	}
	*staged = out;
	out = NULL;
	ret = 0;
out:
	if (deploy_remove_tree (cdfd, stage, &e2) < 0)
		keel_error_print (stderr, "keelctl update", &e2);
	return ret;
}
