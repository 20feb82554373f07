/* keelctl update / rollback (update.h, docs/deployments.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "init/deploy.h"
#include "init/importjob.h"
#include "init/policy.h"
#include "init/update.h"
#include "lib/input.h"
#include "lib/util.h"

#define UPDATE_TIMEOUT_DEFAULT 60
#define POLL_MS                100

/* One request, the whole answer; 0 with "ok" (its body in *out), -1 with
 * the error text (or why there was none) in *out. */
static int ask (const char *sock, const char *req, char **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 30};
	cleanup_close int fd = -1;
	cleanup_free char *line = xasprintf ("%s\n", req);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	*out = NULL;
	if (strlen (sock) >= sizeof sa.sun_path) {
		*out = xstrdup ("socket path too long");
		return -1;
	}
	strcpy (sa.sun_path, sock);
	fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    send (fd, line, strlen (line), MSG_NOSIGNAL) != (ssize_t)strlen (line)) {
		*out = xasprintf ("%s: %s", sock, strerror (errno));
		return -1;
	}
	for (;;) {
		ssize_t n;
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = xrealloc (buf, cap);
		}
		n = read (fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free (buf);
			*out = xasprintf ("reading keel's answer: %s", strerror (errno));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (buf == NULL)
		buf = xstrdup ("");
	buf[len] = '\0';
	if (strncmp (buf, "ok\n", 3) == 0) {
		memmove (buf, buf + 3, len - 2);
		*out = buf;
		return 0;
	}
	if (len == 0) {
		free (buf);
		buf = xstrdup ("keel closed the connection without an answer");
	} else if (buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
	}
	*out = buf;
	return -1;
}

int update_ask (const char *sock, const char *req, char **out)
{
	return ask (sock, req, out);
}

char *update_answer_field (const char *body, const char *key)
{
	size_t k = strlen (key);
	const char *p = body;

	while (p && *p) {
		const char *nl = strchr (p, '\n');
		if (strncmp (p, key, k) == 0 && p[k] == ':' && p[k + 1] == ' ') {
			size_t n = nl ? (size_t)(nl - p) - k - 2 : strlen (p + k + 2);
			char *v = xmalloc0 (n + 1);
			memcpy (v, p + k + 2, n);
			return v;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static uint64_t now_ms (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ustate {
	char *state, *error;
	long pid;
	bool known;
};

static void ustate_free (struct ustate *u)
{
	free (u->state);
	free (u->error);
	memset (u, 0, sizeof *u);
}

static void unit_status (const char *sock, const char *name, struct ustate *u)
{
	cleanup_free char *req = xasprintf ("status %s", name);
	cleanup_free char *body = NULL;
	cleanup_free char *pid = NULL;

	memset (u, 0, sizeof *u);
	if (ask (sock, req, &body) < 0)
		return;
	u->known = true;
	u->state = update_answer_field (body, "state");
	u->error = update_answer_field (body, "error");
	pid = update_answer_field (body, "pid");
	u->pid = pid ? strtol (pid, NULL, 10) : 0;
}

/* Wait until NAME runs again with a pid other than OLD_PID and is ready
 * (done, for a oneshot); *why says what happened otherwise. */
static int wait_ready (const char *sock, const char *name, long old_pid, unsigned timeout_s,
                       char **why)
{
	uint64_t deadline = now_ms () + (uint64_t)timeout_s * 1000;
	bool moved = false;

	for (;;) {
		struct ustate u;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_MS * 1000000L};

		unit_status (sock, name, &u);
		if (u.known && u.state) {
			bool ready =
			        strcmp (u.state, "ready") == 0 || strcmp (u.state, "done") == 0;
			if (u.pid != old_pid || !ready)
				moved = true;
			if (ready && moved) {
				ustate_free (&u);
				return 0;
			}
			if (moved &&
			    (strcmp (u.state, "failed") == 0 || strcmp (u.state, "blocked") == 0 ||
			     strcmp (u.state, "unhealthy") == 0)) {
				*why = xasprintf ("is %s%s%s", u.state, u.error ? ": " : "",
				                  u.error ? u.error : "");
				ustate_free (&u);
				return -1;
			}
		}
		if (now_ms () >= deadline) {
			*why = xasprintf ("was not ready within %us (state %s%s%s)", timeout_s,
			                  u.state ? u.state : "unknown", u.error ? ": " : "",
			                  u.error ? u.error : "");
			ustate_free (&u);
			return -1;
		}
		ustate_free (&u);
		nanosleep (&ts, NULL);
	}
}

/* Where PID 1 reads containers.d, opened. */
static int open_store (const char *sock, struct keel_error **err)
{
	cleanup_free char *body = NULL;
	cleanup_free char *dir = NULL;
	int fd;

	if (ask (sock, "deployment", &body) < 0)
		return keel_error (err, 0, "asking keel where containers.d is: %s", body);
	dir = update_answer_field (body, "dir");
	if (dir == NULL)
		return keel_error (err, 0, "keel did not say where containers.d is");
	fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open containers.d `%s`", dir);
	return fd;
}

/* Copy SRC (a bundle: rootfs/, config.json, keel.json) to DST under
 * dstfd, owners, modes and links as they are, never following a link. */
int update_copy_tree (int sfd, const char *sname, int dfd, const char *dname,
                      struct keel_error **err)
{
	struct stat st;

	if (fstatat (sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "stat `%s`", sname);
	if (S_ISDIR (st.st_mode)) {
		int s = openat (sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int d;
		DIR *dir;
		struct dirent *de;
		int ret = 0;

		if (s < 0)
			return keel_error (err, errno, "open `%s`", sname);
		if (mkdirat (dfd, dname, 0700) < 0) {
			close (s);
			return keel_error (err, errno, "mkdir `%s`", dname);
		}
		d = openat (dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dir = fdopendir (s);
		if (d < 0 || dir == NULL) {
			ret = keel_error (err, errno, "open `%s`", dname);
			if (dir)
				closedir (dir);
			else
				close (s);
			if (d >= 0)
				close (d);
			return ret;
		}
		while (ret == 0 && (de = readdir (dir)) != NULL) {
			if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
				continue;
			ret = update_copy_tree (dirfd (dir), de->d_name, d, de->d_name, err);
			if (ret < 0)
				keel_error_wrap (err, "%s", sname);
		}
		closedir (dir);
		if (ret == 0 && (fchownat (d, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0 ||
		                 fchmod (d, st.st_mode & 07777) < 0))
			ret = keel_error (err, errno, "owner and mode of `%s`", dname);
		close (d);
		return ret;
	}
	if (S_ISLNK (st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat (sfd, sname, target, sizeof target - 1);
		if (n < 0)
			return keel_error (err, errno, "readlink `%s`", sname);
		target[n] = '\0';
		if (symlinkat (target, dfd, dname) < 0 ||
		    fchownat (dfd, dname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return keel_error (err, errno, "symlink `%s`", dname);
		return 0;
	}
	if (S_ISREG (st.st_mode)) {
		cleanup_close int s = openat (sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_close int d = -1;
		char buf[65536];
		ssize_t n;

		if (s < 0)
			return keel_error (err, errno, "open `%s`", sname);
		d = openat (dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d < 0)
			return keel_error (err, errno, "create `%s`", dname);
		while ((n = read (s, buf, sizeof buf)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return keel_error (err, errno, "read `%s`", sname);
			if (write_all (d, buf, (size_t)n, err) < 0)
				return keel_error_wrap (err, "write `%s`", dname);
		}
		if (fchown (d, st.st_uid, st.st_gid) < 0 || fchmod (d, st.st_mode & 07777) < 0)
			return keel_error (err, errno, "owner and mode of `%s`", dname);
		return 0;
	}
	/* Device nodes, FIFOs, sockets of an image's rootfs. */
	if (mknodat (dfd, dname, st.st_mode, st.st_rdev) < 0 ||
	    fchownat (dfd, dname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return keel_error (err, errno, "mknod `%s`", dname);
	return 0;
}

/* import.json's manifest digest (keel-import writes it), or NULL. */
static char *bundle_digest (const char *src)
{
	cleanup_free char *path = xasprintf ("%s/import.json", src);
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;
	struct json_object *o, *v;
	char *r = NULL;

	if (input_read (path, NULL, 1 << 20, &buf, NULL, &err) < 0) {
		keel_error_release (&err);
		return NULL;
	}
	o = json_tokener_parse (buf);
	if (o && json_object_object_get_ex (o, "manifest", &v) &&
	    json_object_is_type (v, json_type_string))
		r = xstrdup (json_object_get_string (v));
	json_object_put (o);
	return r;
}

static void say_reload (const char *body)
{
	const char *p = body;

	while (p && *p) {
		const char *nl = strchr (p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen (p);
		printf ("  reload: %.*s\n", n, p);
		p = nl ? nl + 1 : NULL;
	}
}

/* The entries that require NAME run on the old deployment (a reload
 * leaves them untouched) or were stopped when it failed: restarted, or
 * started, once NAME is ready, and waited for. */
static void restart_dependents (const char *sock, const char *name, unsigned timeout)
{
	cleanup_free char *list = NULL;
	cleanup_free char *needle = xasprintf ("\nrequires: %s\n", name);
	char *p, *save = NULL;

	if (ask (sock, "list", &list) < 0)
		return;
	for (p = strtok_r (list, "\n", &save); p; p = strtok_r (NULL, "\n", &save)) {
		char dep[160];
		cleanup_free char *req = NULL;
		cleanup_free char *body = NULL;
		cleanup_free char *reply = NULL;
		cleanup_free char *why = NULL;
		struct ustate u;
		bool running;

		if (sscanf (p, "%159s", dep) != 1 || strcmp (dep, name) == 0)
			continue;
		req = xasprintf ("status %s", dep);
		if (ask (sock, req, &body) < 0 || strstr (body, needle) == NULL)
			continue;
		unit_status (sock, dep, &u);
		running = u.state &&
		          (strcmp (u.state, "ready") == 0 || strcmp (u.state, "running") == 0);
		free (req);
		req = xasprintf ("%s %s", running ? "restart" : "start", dep);
		if (ask (sock, req, &reply) < 0) {
			printf ("  %s (requires %s): %s: %s\n", dep, name, req, reply);
		} else if (wait_ready (sock, dep, running ? u.pid : 0, timeout, &why) < 0) {
			printf ("  %s (requires %s): %s: it %s\n", dep, name,
			        running ? "restarted" : "started", why);
		} else {
			printf ("  %s (requires %s): %s, ready\n", dep, name,
			        running ? "restarted" : "started");
		}
		ustate_free (&u);
	}
	fflush (stdout);
}

/* NAME was switched: reload, wait; *why on failure. */
static int activate (const char *sock, const char *name, long old_pid, unsigned timeout, char **why)
{
	cleanup_free char *body = NULL;

	if (ask (sock, "reload", &body) < 0) {
		*why = xasprintf ("reload: %s", body);
		return -1;
	}
	say_reload (body);
	fflush (stdout);
	return wait_ready (sock, name, old_pid, timeout, why);
}

/* Each "KEY: value" line of a body, in order: fn(value, arg). */
static void each_field (const char *body, const char *key, void (*fn) (const char *, void *),
                        void *arg)
{
	size_t k = strlen (key);
	const char *p = body;

	while (p && *p) {
		const char *nl = strchr (p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen (p);
		if (n > k + 1 && strncmp (p, key, k) == 0 && p[k] == ':' && p[k + 1] == ' ') {
			cleanup_free char *v = xmalloc0 (n - k - 1);
			memcpy (v, p + k + 2, n - k - 2);
			fn (v, arg);
		}
		p = nl ? nl + 1 : NULL;
	}
}

static void print_reload (const char *v, void *arg)
{
	(void)arg;
	printf ("  reload: %s\n", v);
}

struct dep_report {
	const char *sock, *name;
	unsigned timeout;
};

/* "dependent: NAME restarted|started PID" or "dependent: NAME left STATE":
 * what PID 1 did to an entry that requires the updated one; keelctl waits
 * for it to be ready and says so, as before PID 1 did it. */
static void print_dependent (const char *v, void *arg)
{
	const struct dep_report *d = arg;
	char dep[160], what[16];
	cleanup_free char *why = NULL;
	long pid = 0;

	if (sscanf (v, "%159s %15s %ld", dep, what, &pid) < 2)
		return;
	if (strcmp (what, "left") == 0) {
		const char *st = strchr (strchr (v, ' ') + 1, ' ');
		printf ("  %s (requires %s): left %s\n", dep, d->name, st ? st + 1 : "as it was");
	} else if (wait_ready (d->sock, dep, pid, d->timeout, &why) < 0) {
		printf ("  %s (requires %s): %s: it %s\n", dep, d->name, what, why);
	} else {
		printf ("  %s (requires %s): %s, ready\n", dep, d->name, what);
	}
}

/* Hand PID 1 the commit deadline of GEN (commit.h), once GEN is complete
 * and before the link is switched to it (deploy_add_ex): a keelctl killed
 * at any moment after the switch leaves PID 1 in charge. */
struct handover {
	const char *sock, *name;
	unsigned timeout;
};

static int hand_deadline (unsigned gen, void *arg, struct keel_error **err)
{
	const struct handover *h = arg;
	cleanup_free char *req = xasprintf ("pending %s %u %u", h->name, gen, h->timeout);
	cleanup_free char *body = NULL;

	if (ask (h->sock, req, &body) < 0)
		return keel_error (err, 0, "keel did not take the commit deadline: %s", body);
	return 0;
}

/* What PID 1 decided about the update to GEN (commit.h): it owns the
 * deadline; keelctl asks for the reload and reports. */
static int follow_update (const char *sock, const char *name, unsigned gen, unsigned timeout)
{
	struct dep_report dr = {sock, name, timeout};
	cleanup_free char *req = xasprintf ("pending %s", name);
	cleanup_free char *body = NULL;
	cleanup_free char *state = NULL;
	cleanup_free char *why = NULL;
	cleanup_free char *error = NULL;
	cleanup_free char *prevs = NULL;
	unsigned prev = 0;
	/* PID 1 waits up to the timeout for the new one, then as long for the
	 * old one again; keelctl gives up on hearing from it after both */
	uint64_t limit = now_ms () + ((uint64_t)timeout * 2 + 30) * 1000;

	if (ask (sock, "reload", &body) < 0)
		fprintf (stderr,
		         "keelctl: update %s: reload: %s (keel rolls it back at the deadline)\n",
		         name, body);
	else
		say_reload (body);
	fflush (stdout);
	for (;;) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_MS * 1000000L};

		free (body);
		body = NULL;
		free (state);
		state = NULL;
		if (ask (sock, req, &body) == 0) {
			state = update_answer_field (body, "state");
			if (state &&
			    (strcmp (state, "committed") == 0 ||
			     strcmp (state, "rolled-back") == 0 || strcmp (state, "failed") == 0 ||
			     strcmp (state, "cancelled") == 0))
				break;
		}
		if (now_ms () >= limit) {
			fprintf (stderr,
			         "keelctl: update %s: keel has not decided about deployment %u "
			         "(state %s): %s\n",
			         name, gen, state ? state : "unknown", body ? body : "");
			return 1;
		}
		nanosleep (&ts, NULL);
	}
	why = update_answer_field (body, "why");
	error = update_answer_field (body, "error");
	prevs = update_answer_field (body, "previous");
	if (prevs)
		prev = (unsigned)strtoul (prevs, NULL, 10);
	if (strcmp (state, "committed") == 0) {
		printf ("%s: deployment %u is ready: committed\n", name, gen);
		each_field (body, "dependent", print_dependent, &dr);
		fflush (stdout);
		return 0;
	}
	if (strcmp (state, "cancelled") == 0) {
		fprintf (stderr,
		         "keelctl: update %s: deployment %u was rolled back or replaced meanwhile: "
		         "not committed\n",
		         name, gen);
		return 1;
	}
	if (why == NULL) {
		fprintf (stderr, "keelctl: update %s: deployment %u: %s\n", name, gen,
		         error ? error : "failed");
		return 1;
	}
	fprintf (stderr, "keelctl: update %s: deployment %u %s\n", name, gen, why);
	if (prevs == NULL && error == NULL) {
		fprintf (stderr, "keelctl: update %s: no deployment before it to go back to\n",
		         name);
		return 1;
	}
	if (prevs == NULL) {
		fprintf (stderr, "keelctl: update %s: the rollback: %s\n", name, error);
		return 1;
	}
	fprintf (stderr, "keelctl: update %s: rolling back to deployment %u\n", name, prev);
	fflush (stderr);
	each_field (body, "reload", print_reload, NULL);
	fflush (stdout);
	if (error) {
		fprintf (stderr, "keelctl: update %s: the rollback to deployment %u %s\n", name,
		         prev, error);
		return 1;
	}
	fprintf (stderr, "keelctl: update %s: rolled back: deployment %u is ready again\n", name,
	         prev);
	fflush (stderr);
	each_field (body, "dependent", print_dependent, &dr);
	fflush (stdout);
	return 1;
}

static int parse_timeout (const char *s, unsigned *out)
{
	unsigned long long v;

	if (!parse_uint64 (s, &v) || v < 1 || v > 86400) {
		fprintf (stderr, "keelctl: --timeout %s: expected 1 to 86400 seconds\n", s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int update_main (const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {{"set", required_argument, NULL, 's'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"keep", required_argument, NULL, 'k'},
	                                     {"ref", required_argument, NULL, 'r'},
	                                     {"import-timeout", required_argument, NULL, 'i'},
	                                     {"no-exports", no_argument, NULL, 'x'},
	                                     {NULL, 0, NULL, 0}};
	struct keel_error *err = NULL;
	struct deployment d = {0};
	enum import_src kind;
	struct import_opts io = {.timeout = 600};
	struct deploy_entry e;
	cleanup_close int cdfd = -1, lockfd = -1;
	cleanup_free char *staged = NULL;
	struct handover ho;
	unsigned timeout = UPDATE_TIMEOUT_DEFAULT, gen = 0, keep = DEPLOY_KEEP_DEFAULT;
	bool had_prev = false;
	const char *name, *src;
	int c;

	optind = 1;
	while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
		if (c == 't' && parse_timeout (optarg, &timeout) < 0)
			return 2;
		if (c == 'r')
			io.ref = optarg;
		if (c == 'x')
			io.no_exports = true;
		if (c == 'i' && parse_timeout (optarg, &io.timeout) < 0) {
			deployment_free (&d);
			return 2;
		}
		if (c == 'k') {
			unsigned long long v;
			if (!parse_uint64 (optarg, &v) || v < 1 || v > 1000) {
				fprintf (stderr, "keelctl: --keep %s: expected 1 to 1000\n",
				         optarg);
				deployment_free (&d);
				return 2;
			}
			keep = (unsigned)v;
		}
		if (c == 's') {
			char *eq = strchr (optarg, '=');
			if (eq == NULL || eq == optarg) {
				fprintf (stderr, "keelctl: --set %s: expected KEY=VALUE\n", optarg);
				deployment_free (&d);
				return 2;
			}
			*eq = '\0';
			deploy_set (&d, optarg, eq + 1);
			*eq = '=';
		}
		if (c == '?') {
			deployment_free (&d);
			return 2;
		}
	}
	if (argc - optind != 2 || !policy_valid_name (argv[optind])) {
		fprintf (stderr, "usage: keelctl update NAME SRC [--set K=V]... [--timeout SECS] "
		                 "[--keep N] [--ref REF] [--no-exports] [--import-timeout SECS]\n"
		                 "SRC: an OCI image layout (a directory or a tar of one), a docker "
		                 "save archive, or an entry directory\n");
		deployment_free (&d);
		return 2;
	}
	name = argv[optind];
	src = argv[optind + 1];

	/* What SRC is, before anything is changed (importjob.c). */
	if (import_detect (src, &kind, &err) < 0) {
		keel_error_print (stderr, "keelctl update", &err);
		deployment_free (&d);
		return 1;
	}
	if ((io.ref || io.no_exports) && kind == IMPORT_SRC_ENTRY) {
		fprintf (stderr, "keelctl: update: --%s is for an image: %s is %s\n",
		         io.ref ? "ref" : "no-exports", src, import_src_name (kind));
		deployment_free (&d);
		return 2;
	}
	/* The store's writer lock (deploy.h) for its own steps only: not
	 * for the import or the copy (ours alone: a name with our pid), nor
	 * while PID 1 decides (its commit helper takes the lock). */
	cdfd = open_store (sock, &err);
	if (cdfd < 0 || (lockfd = deploy_lock (cdfd, deploy_lock_wait_ms (), &err)) < 0 ||
	    deploy_repair (cdfd, name, &err) < 0 || deploy_open (cdfd, name, &e, &err) < 0) {
		keel_error_print (stderr, "keelctl update", &err);
		deployment_free (&d);
		return 1;
	}
	/* The active deployment's settings, the ones given now on top. */
	if (e.exists) {
		const struct deployment *a = deploy_find (&e, e.active);
		had_prev = true;
		for (size_t i = 0; a && i < a->n_settings; i++) {
			bool given = false;
			for (size_t j = 0; j < d.n_settings; j++)
				given |= strcmp (d.settings[j].key, a->settings[i].key) == 0;
			if (!given)
				deploy_set (&d, a->settings[i].key, a->settings[i].value);
		}
	}
	deploy_entry_free (&e);
	close (steal_fd (&lockfd));
	d.pending = true; /* until committed: a boot in between goes back */
	d.source = xstrdup (src);

	ho = (struct handover){sock, name, timeout};
	if (kind != IMPORT_SRC_ENTRY) {
		/* An image: the importer container makes the entry (importjob.h). */
		if (importjob_run (sock, cdfd, name, src, &d, &io, &staged, &d.digest, &err) < 0) {
			keel_error_print (stderr, "keelctl update", &err);
			deployment_free (&d);
			return 1;
		}
	} else {
		d.digest = bundle_digest (src);
		staged = xasprintf (".%s.update.%d", name, (int)getpid ());
	}
	if ((kind == IMPORT_SRC_ENTRY &&
	     update_copy_tree (AT_FDCWD, src, cdfd, staged, &err) < 0) ||
	    (lockfd = deploy_lock (cdfd, deploy_lock_wait_ms (), &err)) < 0 ||
	    deploy_add_ex (cdfd, name, staged, &d, keep, hand_deadline, &ho, &gen, &err) < 0) {
		keel_error_print (stderr, "keelctl update", &err);
		/* A half copy, or a copy the store refused, is ours: removed;
		 * so is a deployment PID 1 did not take the deadline of (never
		 * switched to: repair removes it, when the store is ours). */
		if (faccessat (cdfd, staged, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    deploy_remove_tree (cdfd, staged, &err) < 0)
			keel_error_print (stderr, "keelctl update", &err);
		if (lockfd >= 0 && deploy_repair (cdfd, name, &err) < 0)
			keel_error_print (stderr, "keelctl update", &err);
		deployment_free (&d);
		return 1;
	}
	close (steal_fd (&lockfd));
	deployment_free (&d);
	printf ("%s: deployment %u active%s, reloading\n", name, gen,
	        had_prev ? "" : " (first deployment)");
	fflush (stdout);
	return follow_update (sock, name, gen, timeout);
}

int rollback_main (const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
	                                     {NULL, 0, NULL, 0}};
	struct keel_error *err = NULL;
	struct deploy_entry e;
	struct ustate before;
	cleanup_close int cdfd = -1, lockfd = -1;
	cleanup_free char *why = NULL;
	unsigned timeout = UPDATE_TIMEOUT_DEFAULT, gen;
	bool found;
	const char *name;
	int c;

	optind = 1;
	while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
		if (c == 't' && parse_timeout (optarg, &timeout) < 0)
			return 2;
		if (c == '?')
			return 2;
	}
	if (argc - optind != 1 || !policy_valid_name (argv[optind])) {
		fprintf (stderr, "usage: keelctl rollback NAME [--timeout SECS]\n");
		return 2;
	}
	name = argv[optind];
	/* The store's writer lock (deploy.h) up to the switch, not while
	 * the entry reloads. */
	cdfd = open_store (sock, &err);
	if (cdfd < 0 || (lockfd = deploy_lock (cdfd, deploy_lock_wait_ms (), &err)) < 0 ||
	    deploy_repair (cdfd, name, &err) < 0 || deploy_open (cdfd, name, &e, &err) < 0) {
		keel_error_print (stderr, "keelctl rollback", &err);
		return 1;
	}
	gen = deploy_previous (&e, &found);
	deploy_entry_free (&e);
	if (!found) {
		fprintf (stderr, "keelctl: rollback %s: no deployment older than the active one\n",
		         name);
		return 1;
	}
	unit_status (sock, name, &before);
	if (deploy_switch (cdfd, name, gen, &err) < 0) {
		why = keel_error_take (&err);
		fprintf (stderr, "keelctl: rollback %s: deployment %u %s\n", name, gen, why);
		ustate_free (&before);
		return 1;
	}
	close (steal_fd (&lockfd));
	if (activate (sock, name, before.pid, timeout, &why) < 0) {
		fprintf (stderr, "keelctl: rollback %s: deployment %u %s\n", name, gen, why);
		ustate_free (&before);
		return 1;
	}
	printf ("%s: deployment %u active and ready\n", name, gen);
	restart_dependents (sock, name, timeout);
	ustate_free (&before);
	return 0;
}

void update_print_status (const char *sock, const char *name)
{
	struct keel_error *err = NULL;
	struct deploy_entry e;
	const struct deployment *d;
	cleanup_close int cdfd = open_store (sock, &err);
	char when[64] = "-";

	if (cdfd < 0 || deploy_open (cdfd, name, &e, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		printf ("deployment: unknown (%s)\n", m);
		return;
	}
	d = e.exists ? deploy_find (&e, e.active) : NULL;
	if (e.versioned && d) {
		time_t t = (time_t)e.active_since;
		struct tm tm;
		if (gmtime_r (&t, &tm))
			strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf ("deployment: %u (of %zu kept)\ndigest: %s\nactivated: %s\n", e.active, e.n,
		        d->digest ? d->digest : "-", when);
	} else if (e.exists) {
		printf ("deployment: none (a plain entry directory)\ndigest: %s\n",
		        d && d->digest ? d->digest : "-");
	}
	deploy_entry_free (&e);
}
