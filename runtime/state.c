/* See state.h. */
#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/input.h"
#include "lib/name.h"
#include "lib/util.h"
#include "runtime/notify-proxy.h"

static const char *const status_names[] = {
        [KEEL_CREATING] = "creating",
        [KEEL_CREATED] = "created",
        [KEEL_RUNNING] = "running",
        [KEEL_STOPPED] = "stopped",
};

const char *keel_status_name (enum keel_status s)
{
	if ((size_t)s >= ARRAY_SIZE (status_names))
		return "unknown";
	return status_names[s];
}

int keel_container_check_id (const char *id, struct keel_error **err)
{
	return keel_name_check ("container id", id, err);
}

void keel_state_free (struct keel_state *st)
{
	if (st == NULL)
		return;
	free (st->id);
	free (st->bundle);
	free (st->oci_version);
	free (st->created);
	free (st->owner);
	free (st->cgroup_path);
	for (size_t i = 0; i < st->cgroup_v1.n; i++)
		free (st->cgroup_v1.v[i]);
	free (st->cgroup_v1.v);
	free (st->rootfs);
	spec_map_free (&st->annotations);
	memset (st, 0, sizeof *st);
}

static void strv_free (struct spec_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free (v->v[i]);
	free (v->v);
	v->v = NULL;
	v->n = 0;
}

static void hooks_free (struct spec_hook *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free (h[i].path);
		strv_free (&h[i].args);
		strv_free (&h[i].env);
	}
	free (h);
}

void state_extra_free (struct state_extra *x)
{
	if (x == NULL)
		return;
	hooks_free (x->poststart, x->n_poststart);
	hooks_free (x->poststop, x->n_poststop);
	memset (x, 0, sizeof *x);
}

/* ---- JSON ------------------------------------------------------------- */

static void put_str (json_object *o, const char *k, const char *v)
{
	json_object_object_add (o, k, json_object_new_string (v ? v : ""));
}

static json_object *state_public (const struct keel_state *st)
{
	json_object *o = json_object_new_object ();

	put_str (o, "ociVersion", st->oci_version ? st->oci_version : "1.2.0");
	put_str (o, "id", st->id);
	put_str (o, "status", keel_status_name (st->status));
	json_object_object_add (o, "pid",
	                        json_object_new_int (st->status == KEEL_STOPPED ? 0 : st->pid));
	put_str (o, "bundle", st->bundle);
	if (st->rootfs)
		put_str (o, "rootfs", st->rootfs);
	if (st->created)
		put_str (o, "created", st->created);
	put_str (o, "owner", st->owner ? st->owner : "");
	if (st->annotations.n) {
		json_object *a = json_object_new_object ();
		for (size_t i = 0; i < st->annotations.n; i++)
			put_str (a, st->annotations.e[i].key, st->annotations.e[i].value);
		json_object_object_add (o, "annotations", a);
	}
	return o;
}

static char *to_string (json_object *o, int flags)
{
	char *s = xstrdup (
	        json_object_to_json_string_ext (o, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put (o);
	return s;
}

char *keel_state_json (const struct keel_state *st)
{
	return to_string (state_public (st), JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
}

/* state.json and cgroups.json are written here by hand, not built as
 * json-c objects and serialized: that took ~40K instructions per create,
 * a sixteenth of what a `run`'s own process executes.  They are read back
 * with json-c (state_read); the escaping is JSON's: '"', '\\' and the
 * control characters (as \u00XX), every other byte as it is, as json-c
 * wrote them with JSON_C_TO_STRING_NOSLASHESCAPE. */
struct jw {
	char *s;
	size_t len, cap;
};

static void jw_raw (struct jw *w, const char *p, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		w->cap = (w->len + n + 1) * 2;
		w->s = xrealloc (w->s, w->cap);
	}
	memcpy (w->s + w->len, p, n);
	w->len += n;
	w->s[w->len] = '\0';
}

#define jw_lit(w, lit) jw_raw (w, lit, sizeof lit - 1)

static void jw_str (struct jw *w, const char *v)
{
	const char *p = v ? v : "", *run = p;

	jw_lit (w, "\"");
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_raw (w, run, (size_t)(p - run));
		run = p + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jw_raw (w, esc, 2);
		} else {
			snprintf (esc, sizeof esc, "\\u%04x", c);
			jw_raw (w, esc, 6);
		}
	}
	jw_raw (w, run, (size_t)(p - run));
	jw_lit (w, "\"");
}

/* ,"key": */
static void jw_key (struct jw *w, const char *key)
{
	if (w->len > 1)
		jw_lit (w, ",");
	jw_str (w, key);
	jw_lit (w, ":");
}

static void jw_kstr (struct jw *w, const char *key, const char *v)
{
	jw_key (w, key);
	jw_str (w, v);
}

static void jw_knum (struct jw *w, const char *key, unsigned long long v, bool neg)
{
	char buf[32];
	int n = snprintf (buf, sizeof buf, neg ? "-%llu" : "%llu", v);

	jw_key (w, key);
	jw_raw (w, buf, (size_t)n);
}

static void jw_kint (struct jw *w, const char *key, long long v)
{
	jw_knum (w, key, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
}

static void jw_strv (struct jw *w, const struct spec_strv *v)
{
	jw_lit (w, "[");
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			jw_lit (w, ",");
		jw_str (w, v->v[i]);
	}
	jw_lit (w, "]");
}

static void jw_hooks (struct jw *w, const char *key, const struct spec_hook *h, size_t n)
{
	jw_key (w, key);
	jw_lit (w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			jw_lit (w, ",");
		jw_lit (w, "{\"path\":");
		jw_str (w, h[i].path);
		jw_lit (w, ",\"args\":");
		jw_strv (w, &h[i].args);
		/* absent and [] differ: the runtime's environment or none */
		if (h[i].env.v != NULL) {
			jw_lit (w, ",\"env\":");
			jw_strv (w, &h[i].env);
		}
		if (h[i].has_timeout) {
			char buf[32];
			int m = snprintf (buf, sizeof buf, ",\"timeout\":%d", h[i].timeout);
			jw_raw (w, buf, (size_t)m);
		}
		jw_lit (w, "}");
	}
	jw_lit (w, "]");
}

int state_write (int dirfd, const struct keel_state *st, const struct state_extra *x,
                 struct keel_error **err)
{
	struct jw w = {0};
	int ret;

	/* The keys of state_public, then keel's own. */
	jw_lit (&w, "{");
	jw_kstr (&w, "ociVersion", st->oci_version ? st->oci_version : "1.2.0");
	jw_kstr (&w, "id", st->id);
	jw_kstr (&w, "status", keel_status_name (st->status));
	jw_kint (&w, "pid", st->pid);
	jw_kstr (&w, "bundle", st->bundle);
	if (st->rootfs)
		jw_kstr (&w, "rootfs", st->rootfs);
	if (st->created)
		jw_kstr (&w, "created", st->created);
	jw_kstr (&w, "owner", st->owner);
	if (st->annotations.n) {
		jw_key (&w, "annotations");
		jw_lit (&w, "{");
		for (size_t i = 0; i < st->annotations.n; i++) {
			if (i)
				jw_lit (&w, ",");
			jw_str (&w, st->annotations.e[i].key);
			jw_lit (&w, ":");
			jw_str (&w, st->annotations.e[i].value);
		}
		jw_lit (&w, "}");
	}
	if (st->cgroup_path)
		jw_kstr (&w, "cgroupPath", st->cgroup_path);
	if (st->cgroup_v1.n) {
		jw_key (&w, "cgroupV1Paths");
		jw_strv (&w, &st->cgroup_v1);
	}
	jw_knum (&w, "starttime", x->starttime, false);
	if (x->n_poststart)
		jw_hooks (&w, "poststart", x->poststart, x->n_poststart);
	if (x->n_poststop)
		jw_hooks (&w, "poststop", x->poststop, x->n_poststop);
	jw_lit (&w, "}");
	ret = write_file_at (dirfd, STATE_FILE ".tmp", O_CREAT | O_TRUNC, 0600, w.s, w.len, err);
	free (w.s);
	if (ret < 0)
		return ret;
	if (renameat (dirfd, STATE_FILE ".tmp", dirfd, STATE_FILE) < 0)
		return keel_error (err, errno, "rename `" STATE_FILE "`");
	return 0;
}

int state_cgroups_save (int dirfd, const char *cgroup_path, const struct spec_strv *v1,
                        struct keel_error **err)
{
	struct jw w = {0};
	cleanup_free char *s = NULL;
	size_t len;
	int ret;

	jw_lit (&w, "{");
	if (cgroup_path)
		jw_kstr (&w, "cgroupPath", cgroup_path);
	jw_key (&w, "cgroupV1Paths");
	jw_strv (&w, v1);
	jw_lit (&w, "}");
	s = w.s;
	len = w.len;
	/* Nothing reads it while create runs (it holds the lock): only a
	 * create killed midway matters.  One write(2) of less than a page is
	 * all or nothing under SIGKILL (the kernel checks for a fatal signal
	 * before each page it copies), so the file is written in place and is
	 * empty at worst, which state_cgroups_load reads as none made yet.  A
	 * longer one still goes through a temporary name. */
	if (len < 4096)
		return write_file_at (dirfd, CGROUPS_FILE, O_CREAT | O_EXCL, 0600, s, len, err);
	ret = write_file_at (dirfd, CGROUPS_FILE ".tmp", O_CREAT | O_TRUNC, 0600, s, len, err);
	if (ret < 0)
		return ret;
	if (renameat (dirfd, CGROUPS_FILE ".tmp", dirfd, CGROUPS_FILE) < 0)
		return keel_error (err, errno, "rename `" CGROUPS_FILE "`");
	return 0;
}

static char *get_str (json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex (o, k, &v) || !json_object_is_type (v, json_type_string))
		return NULL;
	return xstrdup (json_object_get_string (v));
}

static void get_strv (json_object *o, const char *k, struct spec_strv *out)
{
	json_object *a;
	size_t n;

	if (!json_object_object_get_ex (o, k, &a) || !json_object_is_type (a, json_type_array))
		return;
	n = json_object_array_length (a);
	out->v = xmalloc0 ((n + 1) * sizeof (char *));
	for (size_t i = 0; i < n; i++)
		out->v[out->n++] =
		        xstrdup (json_object_get_string (json_object_array_get_idx (a, i)));
}

static void get_hooks (json_object *o, const char *key, struct spec_hook **out, size_t *nout)
{
	json_object *a, *v;
	size_t n;

	if (!json_object_object_get_ex (o, key, &a) || !json_object_is_type (a, json_type_array))
		return;
	n = json_object_array_length (a);
	*out = xmalloc0 ((n + 1) * sizeof **out);
	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_array_get_idx (a, i);
		struct spec_hook *d = &(*out)[(*nout)++];
		d->path = get_str (h, "path");
		get_strv (h, "args", &d->args);
		get_strv (h, "env", &d->env);
		if (json_object_object_get_ex (h, "timeout", &v)) {
			d->has_timeout = true;
			d->timeout = json_object_get_int (v);
		}
	}
}

int state_read (int dirfd, struct keel_state *st, struct state_extra *x, struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	json_object *o, *v;
	int ret;

	/* keel wrote it: anything but a regular file (a FIFO, a link) was put
	 * there by someone else and must not block or redirect the read */
	ret = input_read_at (dirfd, STATE_FILE, NULL, INPUT_NOFOLLOW, 1 << 20, &buf, NULL, err);
	if (ret < 0)
		return ret;
	o = json_tokener_parse (buf);
	if (o == NULL || !json_object_is_type (o, json_type_object)) {
		json_object_put (o);
		return keel_error (err, 0, "`" STATE_FILE "` is not valid JSON");
	}
	memset (st, 0, sizeof *st);
	st->id = get_str (o, "id");
	st->bundle = get_str (o, "bundle");
	st->oci_version = get_str (o, "ociVersion");
	st->created = get_str (o, "created");
	st->owner = get_str (o, "owner");
	st->cgroup_path = get_str (o, "cgroupPath");
	get_strv (o, "cgroupV1Paths", &st->cgroup_v1);
	st->rootfs = get_str (o, "rootfs");
	if (json_object_object_get_ex (o, "pid", &v))
		st->pid = json_object_get_int (v);
	/* Only "creating" is kept: every other status is read from reality. */
	if (json_object_object_get_ex (o, "status", &v) &&
	    json_object_is_type (v, json_type_string) &&
	    strcmp (json_object_get_string (v), "creating") == 0)
		st->status = KEEL_CREATING;
	else
		st->status = KEEL_CREATED;
	if (json_object_object_get_ex (o, "annotations", &v) &&
	    json_object_is_type (v, json_type_object)) {
		size_t n = (size_t)json_object_object_length (v), i = 0;
		st->annotations.e = xmalloc0 ((n + 1) * sizeof *st->annotations.e);
		json_object_object_foreach (v, key, val)
		{
			if (i == n)
				break;
			st->annotations.e[i].key = xstrdup (key);
			st->annotations.e[i].value = xstrdup (json_object_get_string (val));
			i++;
		}
		st->annotations.n = i;
	}
	if (x) {
		memset (x, 0, sizeof *x);
		if (json_object_object_get_ex (o, "starttime", &v))
			x->starttime = json_object_get_uint64 (v);
		get_hooks (o, "poststart", &x->poststart, &x->n_poststart);
		get_hooks (o, "poststop", &x->poststop, &x->n_poststop);
	}
	json_object_put (o);
	if (st->id == NULL)
		return keel_error (err, 0, "`" STATE_FILE "` has no id");
	return 0;
}

int state_cgroups_load (int dirfd, struct keel_state *st, struct keel_error **err)
{
	struct keel_error *e = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_object *o;
	int ret;

	/* As state.json: keel wrote it, anything but a regular file is not. */
	ret = input_read_at (dirfd, CGROUPS_FILE, NULL, INPUT_NOFOLLOW, 1 << 20, &buf, &len, &e);
	if (ret < 0) {
		if (e->status == ENOENT) {
			keel_error_release (&e);
			return 0;
		}
		if (err)
			*err = e;
		else
			keel_error_release (&e);
		return ret;
	}
	/* A create killed between its open and its write: no cgroup yet. */
	if (len == 0)
		return 0;
	o = json_tokener_parse (buf);
	if (o == NULL || !json_object_is_type (o, json_type_object)) {
		json_object_put (o);
		return keel_error (err, 0, "`" CGROUPS_FILE "` is not valid JSON");
	}
	st->cgroup_path = get_str (o, "cgroupPath");
	get_strv (o, "cgroupV1Paths", &st->cgroup_v1);
	json_object_put (o);
	return 0;
}

bool boottime_ticks (unsigned long long *ticks)
{
	struct timespec ts;
	long hz = sysconf (_SC_CLK_TCK);

	/* the kernel's nsec_to_clock_t: start_boottime / (1e9 / USER_HZ),
	 * seen through the reader's time namespace, as clock_gettime is */
	if (hz <= 0 || 1000000000L % hz != 0 || clock_gettime (CLOCK_BOOTTIME, &ts) < 0)
		return false;
	*ticks = ((unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec) /
	         (1000000000ULL / (unsigned long long)hz);
	return true;
}

int proc_starttime (pid_t pid, unsigned long long *starttime, bool *zombie, struct keel_error **err)
{
	char path[64], buf[1024], *p;
	cleanup_close int fd = -1;
	ssize_t n;
	int field;

	snprintf (path, sizeof path, "/proc/%d/stat", pid);
	fd = open (path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	n = read (fd, buf, sizeof buf - 1);
	if (n < 0)
		return keel_error (err, errno, "read `%s`", path);
	buf[n] = '\0';
	/* comm may contain anything, including ") ": parse after the last ')'. */
	p = strrchr (buf, ')');
	if (p == NULL || p[1] != ' ')
		return keel_error (err, EINVAL, "parse `%s`", path);
	p += 2;
	if (zombie)
		*zombie = *p == 'Z' || *p == 'X';
	/* p is field 3 (state); starttime is field 22. */
	for (field = 3; field < 22 && p; field++) {
		p = strchr (p, ' ');
		if (p)
			p++;
	}
	if (p == NULL)
		return keel_error (err, EINVAL, "parse `%s`", path);
	*starttime = strtoull (p, NULL, 10);
	return 0;
}

void state_refresh (int dirfd, struct keel_state *st, const struct state_extra *x)
{
	unsigned long long t;
	bool zombie;

	if (st->pid <= 0 || proc_starttime (st->pid, &t, &zombie, NULL) < 0 || zombie ||
	    (x && x->starttime && t != x->starttime)) {
		st->status = KEEL_STOPPED;
		return;
	}
	if (st->status == KEEL_CREATING)
		return;
	if (faccessat (dirfd, EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		st->status = KEEL_CREATED;
	else
		st->status = KEEL_RUNNING;
}

char *state_timestamp (void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime (CLOCK_REALTIME, &ts);
	gmtime_r (&ts.tv_sec, &tm);
	strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

/* ---- the directory ------------------------------------------------------ */

static int lock_dir (int fd, const char *id, struct keel_error **err)
{
	while (flock (fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return keel_error (err, errno, "container `%s`: lock state directory", id);
	return 0;
}

int state_dir_create (const char *root, const char *id, int *dirfd, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/%s", root, id);
	cleanup_close int fd = -1;
	int r;

	/* The root is there but for the first container: made then. */
	r = mkdir (path, 0711);
	if (r < 0 && errno == ENOENT) {
		if (mkdir (root, 0711) < 0 && errno != EEXIST && mkdir_p (root, 0711, err) < 0)
			return keel_error_wrap (err, "state root");
		r = mkdir (path, 0711);
	}
	if (r < 0) {
		if (errno == EEXIST)
			return keel_error (err, EEXIST, "container `%s` already exists", id);
		return keel_error (err, errno, "mkdir `%s`", path);
	}
	fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	if (lock_dir (fd, id, err) < 0)
		return -1;
	*dirfd = steal_fd (&fd);
	return 0;
}

int state_dir_lock (int dirfd, const char *id, struct keel_error **err)
{
	struct stat st;

	if (lock_dir (dirfd, id, err) < 0)
		return -1;
	/* A delete that held the lock before us removed the directory. */
	if (fstat (dirfd, &st) < 0)
		return keel_error (err, errno, "container `%s`: stat state directory", id);
	if (st.st_nlink == 0)
		return keel_error (err, ENOENT, "container `%s` does not exist", id);
	return 0;
}

int state_dir_unlock (int dirfd, const char *id, struct keel_error **err)
{
	if (flock (dirfd, LOCK_UN) < 0)
		return keel_error (err, errno, "container `%s`: unlock state directory", id);
	return 0;
}

int state_dir_open (const char *root, const char *id, bool lock, int *dirfd,
                    struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/%s", root, id);
	cleanup_close int fd = -1;

	fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return keel_error (err, ENOENT, "container `%s` does not exist", id);
		return keel_error (err, errno, "open `%s`", path);
	}
	if (lock && state_dir_lock (fd, id, err) < 0)
		return -1;
	*dirfd = steal_fd (&fd);
	return 0;
}

int state_dir_remove (const char *root, const char *id, int dirfd, struct keel_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *path = xasprintf ("%s/%s", root, id);
	DIR *d;
	struct dirent *de;

	/* The one subdirectory: the CLI's notify proxy (notify-proxy.h). */
	if (unlinkat (dirfd, NOTIFY_PROXY_DIR "/" NOTIFY_PROXY_SOCKET, 0) < 0 && errno != ENOENT)
		return keel_error (err, errno,
		                   "remove `%s/" NOTIFY_PROXY_DIR "/" NOTIFY_PROXY_SOCKET "`",
		                   path);
	if (unlinkat (dirfd, NOTIFY_PROXY_DIR, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove `%s/" NOTIFY_PROXY_DIR "`", path);
	fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	d = fdopendir (steal_fd (&fd));
	if (d == NULL)
		return keel_error (err, errno, "opendir `%s`", path);
	while ((de = readdir (d)) != NULL) {
		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		if (unlinkat (dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			int e = errno;
			closedir (d);
			return keel_error (err, e, "remove `%s/%s`", path, de->d_name);
		}
	}
	closedir (d);
	if (rmdir (path) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove `%s`", path);
	return 0;
}

int state_dir_remove_known (const char *root, const char *id, int dirfd,
                            const struct state_entry *known, size_t n, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/%s", root, id);

	for (size_t i = 0; i < n; i++)
		if (unlinkat (dirfd, known[i].name, known[i].dir ? AT_REMOVEDIR : 0) < 0 &&
		    errno != ENOENT)
			return keel_error (err, errno, "remove `%s/%s`", path, known[i].name);
	if (rmdir (path) == 0 || errno == ENOENT)
		return 0;
	/* Something the caller did not know of: the full sweep. */
	if (errno != ENOTEMPTY && errno != EEXIST)
		return keel_error (err, errno, "remove `%s`", path);
	return state_dir_remove (root, id, dirfd, err);
}

static int cmp_str (const void *a, const void *b)
{
	return strcmp (*(char *const *)a, *(char *const *)b);
}

int keel_container_list (const struct keel_runtime *rt, char ***ids, size_t *n,
                         struct keel_error **err)
{
	const char *root = rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT;
	DIR *d = opendir (root);
	struct dirent *de;
	char **v = NULL;
	size_t len = 0, cap = 0;

	*ids = NULL;
	*n = 0;
	if (d == NULL) {
		if (errno == ENOENT) {
			*ids = xmalloc0 (sizeof (char *));
			return 0;
		}
		return keel_error (err, errno, "open state root `%s`", root);
	}
	while ((de = readdir (d)) != NULL) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (keel_container_check_id (de->d_name, NULL) < 0)
			continue;
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc (v, cap * sizeof (char *));
			if (v == NULL) {
				closedir (d);
				return keel_error (err, ENOMEM, "list containers");
			}
		}
		v[len++] = xstrdup (de->d_name);
	}
	closedir (d);
	if (v == NULL)
		v = xmalloc0 (sizeof (char *));
	v[len] = NULL;
	qsort (v, len, sizeof (char *), cmp_str);
	*ids = v;
	*n = len;
	return 0;
}

int state_spec_save (int dirfd, const char *json, size_t len, struct keel_error **err)
{
	/* Written in place: its readers (exec, checkpoint) first need the
	 * state.json create renames into place after this is whole, and
	 * delete never reads it. */
	return write_file_at (dirfd, SPEC_COPY, O_CREAT | O_EXCL, 0600, json, len, err);
}

int state_spec_load (int dirfd, const char *bundle, struct spec **out, struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	if (faccessat (dirfd, SPEC_COPY, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "`" SPEC_COPY "`");
	/* The copy create made (within spec-load.c's 16 MiB), as state.json:
	 * anything but a regular file was put there by someone else. */
	ret = input_read_at (dirfd, SPEC_COPY, NULL, INPUT_NOFOLLOW, 16u << 20, &buf, &len, err);
	if (ret < 0)
		return keel_error_wrap (err, "the container's state directory");
	return spec_parse (SPEC_COPY " (kept by create)", buf, len, bundle, out, err);
}
