/* The deployment store (deploy.h, docs/deployments.md).
 *
 * The order of every writer is what makes it crash-safe: nothing gets a
 * name the store or PID 1 reads until it is complete and synced, and the
 * one step that changes what is active is a rename(2) (or, once, a
 * renameat2 exchange), followed by an fsync of the directory holding it.
 * Each step boundary is a crash point the unit tests stop at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "init/console.h"
#include "init/deploy.h"
#include "lib/input.h"
#include "lib/util.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define META_MAX (256 * 1024)

unsigned deploy_crash_at;
static unsigned crash_count;

/* A step boundary: the tests make a writer stop dead here. */
static void crash_point (void)
{
	if (deploy_crash_at && ++crash_count == deploy_crash_at)
		_exit (0);
}

static uint64_t now_s (void)
{
	struct timespec ts;

	if (clock_gettime (CLOCK_REALTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec;
}

unsigned deploy_lock_wait_ms (void)
{
	const char *v = getenv ("KEEL_DEPLOY_LOCK_WAIT");
	unsigned long long s;

	if (v && parse_uint64 (v, &s) && s <= 3600)
		return (unsigned)s * 1000;
	return DEPLOY_LOCK_WAIT_MS;
}

static int fsync_at (int dfd, const char *path, struct keel_error **err)
{
	cleanup_close int fd = openat (dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return keel_error (err, errno, "open `%s` to sync it", path);
	if (fsync (fd) < 0)
		return keel_error (err, errno, "fsync `%s`", path);
	return 0;
}

/* Strict decimal generation: "0" or no leading zero, at most DEPLOY_MAX_GEN. */
static bool parse_gen (const char *s, unsigned *out)
{
	unsigned long long v;

	if (s[0] == '0' && s[1] != '\0')
		return false;
	if (!parse_uint64 (s, &v) || v > DEPLOY_MAX_GEN)
		return false;
	*out = (unsigned)v;
	return true;
}

static char *gen_dir (const char *name, unsigned gen)
{
	return xasprintf (DEPLOY_DIR "/%s/%u", name, gen);
}

/* ---- deploy.json -------------------------------------------------------- */

void deployment_free (struct deployment *d)
{
	size_t i;

	for (i = 0; i < d->n_settings; i++) {
		free (d->settings[i].key);
		free (d->settings[i].value);
	}
	free (d->settings);
	free (d->digest);
	free (d->source);
	free (d->failed);
	memset (d, 0, sizeof *d);
}

void deploy_set (struct deployment *d, const char *key, const char *value)
{
	size_t i, j;

	for (i = 0; i < d->n_settings; i++) {
		int c = strcmp (d->settings[i].key, key);
		if (c == 0) {
			free (d->settings[i].value);
			if (value) {
				d->settings[i].value = xstrdup (value);
				return;
			}
			free (d->settings[i].key);
			for (j = i + 1; j < d->n_settings; j++)
				d->settings[j - 1] = d->settings[j];
			d->n_settings--;
			return;
		}
		if (c > 0)
			break;
	}
	if (!value)
		return;
	d->settings = xrealloc (d->settings, (d->n_settings + 1) * sizeof *d->settings);
	for (j = d->n_settings; j > i; j--)
		d->settings[j] = d->settings[j - 1];
	d->settings[i].key = xstrdup (key);
	d->settings[i].value = xstrdup (value);
	d->n_settings++;
}

static int meta_string (struct json_object *o, const char *file, const char *key, char **out,
                        struct keel_error **err)
{
	struct json_object *v;

	if (!json_object_object_get_ex (o, key, &v) || json_object_is_type (v, json_type_null))
		return 0;
	if (!json_object_is_type (v, json_type_string))
		return keel_error (err, 0, "%s: .%s: expected a string", file, key);
	*out = xstrdup (json_object_get_string (v));
	return 0;
}

static int meta_uint (struct json_object *o, const char *file, const char *key, uint64_t *out,
                      struct keel_error **err)
{
	struct json_object *v;

	if (!json_object_object_get_ex (o, key, &v) || json_object_is_type (v, json_type_null))
		return 0;
	if (!json_object_is_type (v, json_type_int) || json_object_get_int64 (v) < 0)
		return keel_error (err, 0, "%s: .%s: expected a non-negative integer", file, key);
	*out = (uint64_t)json_object_get_int64 (v);
	return 0;
}

int deploy_read_meta (int cdfd, const char *dir, struct deployment *d, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/" DEPLOY_FILE, dir);
	cleanup_free char *buf = NULL;
	struct json_object *root, *settings;
	json_tokener *tok;
	uint64_t prev = UINT64_MAX;
	size_t len;
	int ret = 0;

	if (input_read_at (cdfd, path, NULL, INPUT_NOFOLLOW, META_MAX, &buf, &len, err) < 0)
		return -1;
	tok = json_tokener_new ();
	if (tok == NULL)
		return keel_error (err, ENOMEM, "%s: parsing", path);
	json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex (tok, buf, (int)len);
	if (root == NULL || json_tokener_get_error (tok) != json_tokener_success) {
		ret = keel_error (err, 0, "%s: not valid JSON: %s", path,
		                  json_tokener_error_desc (json_tokener_get_error (tok)));
		json_tokener_free (tok);
		json_object_put (root);
		return ret;
	}
	json_tokener_free (tok);
	if (!json_object_is_type (root, json_type_object)) {
		json_object_put (root);
		return keel_error (err, 0, "%s: expected an object", path);
	}
	if (meta_string (root, path, "digest", &d->digest, err) < 0 ||
	    meta_string (root, path, "source", &d->source, err) < 0 ||
	    meta_string (root, path, "failed", &d->failed, err) < 0 ||
	    meta_uint (root, path, "created", &d->created, err) < 0 ||
	    meta_uint (root, path, "activated", &d->activated, err) < 0 ||
	    meta_uint (root, path, "previous", &prev, err) < 0) {
		json_object_put (root);
		return -1;
	}
	if (prev != UINT64_MAX) {
		if (prev > DEPLOY_MAX_GEN) {
			json_object_put (root);
			return keel_error (err, 0, "%s: .previous: not a generation", path);
		}
		d->has_previous = true;
		d->previous = (unsigned)prev;
	}
	{
		struct json_object *p;
		if (json_object_object_get_ex (root, "pending", &p)) {
			if (!json_object_is_type (p, json_type_boolean)) {
				json_object_put (root);
				return keel_error (err, 0, "%s: .pending: expected true or false",
				                   path);
			}
			d->pending = json_object_get_boolean (p);
		}
	}
	if (json_object_object_get_ex (root, "settings", &settings)) {
		if (!json_object_is_type (settings, json_type_object)) {
			json_object_put (root);
			return keel_error (err, 0, "%s: .settings: expected an object", path);
		}
		json_object_object_foreach (settings, k, v)
		{
			if (!json_object_is_type (v, json_type_string)) {
				ret = keel_error (err, 0, "%s: .settings.%s: expected a string",
				                  path, k);
				break;
			}
			if (d->n_settings == DEPLOY_MAX_SETTINGS) {
				ret = keel_error (err, 0, "%s: .settings: more than %d", path,
				                  DEPLOY_MAX_SETTINGS);
				break;
			}
			deploy_set (d, k, json_object_get_string (v));
		}
	}
	json_object_put (root);
	return ret;
}

/* deploy.json through a synced temporary file renamed over it: a reader
 * sees the old or the new file, never a half-written one. */
int deploy_write_meta (int cdfd, const char *dir, const struct deployment *d,
                       struct keel_error **err)
{
	struct json_object *root = json_object_new_object ();
	struct json_object *settings = json_object_new_object ();
	cleanup_free char *tmp = xasprintf ("%s/." DEPLOY_FILE ".tmp", dir);
	cleanup_free char *path = xasprintf ("%s/" DEPLOY_FILE, dir);
	cleanup_close int fd = -1;
	const char *text;
	size_t i;
	int ret = 0;

	if (root == NULL || settings == NULL) {
		json_object_put (root);
		json_object_put (settings);
		return keel_error (err, ENOMEM, "%s", path);
	}
	json_object_object_add (root, "generation", json_object_new_int64 (d->gen));
	if (d->digest)
		json_object_object_add (root, "digest", json_object_new_string (d->digest));
	if (d->source)
		json_object_object_add (root, "source", json_object_new_string (d->source));
	json_object_object_add (root, "created", json_object_new_int64 ((int64_t)d->created));
	if (d->activated)
		json_object_object_add (root, "activated",
		                        json_object_new_int64 ((int64_t)d->activated));
	if (d->failed)
		json_object_object_add (root, "failed", json_object_new_string (d->failed));
	if (d->pending)
		json_object_object_add (root, "pending", json_object_new_boolean (1));
	if (d->has_previous)
		json_object_object_add (root, "previous", json_object_new_int64 (d->previous));
	for (i = 0; i < d->n_settings; i++)
		json_object_object_add (settings, d->settings[i].key,
		                        json_object_new_string (d->settings[i].value));
	json_object_object_add (root, "settings", settings);
	text = json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE);

	fd = openat (cdfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		ret = keel_error (err, errno, "create `%s`", tmp);
	else if (write_all (fd, text, strlen (text), err) < 0 || write_all (fd, "\n", 1, err) < 0)
		ret = keel_error_wrap (err, "write `%s`", tmp);
	else if (fsync (fd) < 0)
		ret = keel_error (err, errno, "fsync `%s`", tmp);
	json_object_put (root);
	if (ret < 0)
		return ret;
	if (renameat (cdfd, tmp, cdfd, path) < 0)
		return keel_error (err, errno, "rename `%s` to `%s`", tmp, path);
	return fsync_at (cdfd, dir, err);
}

/* ---- reading ------------------------------------------------------------ */

void deploy_entry_free (struct deploy_entry *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		deployment_free (&e->v[i]);
	free (e->v);
	free (e->name);
	memset (e, 0, sizeof *e);
}

const struct deployment *deploy_find (const struct deploy_entry *e, unsigned gen)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].gen == gen)
			return &e->v[i];
	return NULL;
}

unsigned deploy_previous (const struct deploy_entry *e, bool *found)
{
	size_t i;
	unsigned best = 0;

	const struct deployment *a = deploy_find (e, e->active);

	*found = false;
	if (a && a->has_previous && a->previous != e->active && deploy_find (e, a->previous)) {
		*found = true;
		return a->previous;
	}
	for (i = 0; i < e->n; i++)
		if (e->v[i].gen < e->active && (!*found || e->v[i].gen > best)) {
			best = e->v[i].gen;
			*found = true;
		}
	return best;
}

static int cmp_gen (const void *a, const void *b)
{
	const struct deployment *x = a, *y = b;

	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

/* What containers.d/NAME is: absent, a plain directory (gen 0), or our
 * symlink to .deploy/NAME/G; anything else is refused. */
static int read_active (int cdfd, struct deploy_entry *e, struct keel_error **err)
{
	struct stat st;
	char target[256];
	cleanup_free char *prefix = xasprintf (DEPLOY_DIR "/%s/", e->name);
	ssize_t n;

	if (fstatat (cdfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "stat `%s`", e->name);
	}
	e->exists = true;
	if (S_ISDIR (st.st_mode))
		return 0;
	if (!S_ISLNK (st.st_mode))
		return keel_error (err, 0, "%s: %s, not an entry directory or a deployment link",
		                   e->name, input_file_type (st.st_mode));
	n = readlinkat (cdfd, e->name, target, sizeof target - 1);
	if (n < 0)
		return keel_error (err, errno, "readlink `%s`", e->name);
	target[n] = '\0';
	if (strncmp (target, prefix, strlen (prefix)) != 0 ||
	    !parse_gen (target + strlen (prefix), &e->active))
		return keel_error (err, 0, "%s: a symlink to `%s`, not to a deployment (%sN)",
		                   e->name, target, prefix);
	e->versioned = true;
	e->active_since = (uint64_t)st.st_mtim.tv_sec;
	return 0;
}

int deploy_open (int cdfd, const char *name, struct deploy_entry *e, struct keel_error **err)
{
	cleanup_free char *dir = xasprintf (DEPLOY_DIR "/%s", name);
	cleanup_close int dfd = -1;
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	memset (e, 0, sizeof *e);
	e->name = xstrdup (name);
	if (read_active (cdfd, e, err) < 0)
		goto fail;
	if (e->exists && !e->versioned) {
		/* A plain directory: generation 0, its deploy.json if it has one. */
		e->v = xmalloc0 (sizeof *e->v);
		e->n = cap = 1;
		if (deploy_read_meta (cdfd, name, &e->v[0], err) < 0) {
			if ((*err)->status != ENOENT)
				goto fail;
			keel_error_release (err);
		}
		e->v[0].gen = 0;
	}
	dfd = openat (cdfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		if (errno == ENOENT && !e->versioned)
			return 0;
		if (errno == ENOENT)
			keel_error (err, 0, "%s: the active deployment %s/%u is missing", name, dir,
			            e->active);
		else
			keel_error (err, errno, "open `%s`", dir);
		goto fail;
	}
	d = fdopendir (dfd);
	if (d == NULL) {
		keel_error (err, errno, "read `%s`", dir);
		goto fail;
	}
	dfd = -1; /* the DIR owns it */
	while ((de = readdir (d)) != NULL) {
		unsigned gen;
		cleanup_free char *sub = NULL;

		if (!parse_gen (de->d_name, &gen))
			continue; /* ., .., .gc-N (repair removes those) */
		if (gen == 0 && e->exists && !e->versioned) {
			keel_error (err, 0, "%s: a plain directory and %s/0 both", name, dir);
			closedir (d);
			goto fail;
		}
		if (e->n == cap) {
			cap = cap ? 2 * cap : 4;
			e->v = xrealloc (e->v, cap * sizeof *e->v);
		}
		memset (&e->v[e->n], 0, sizeof e->v[e->n]);
		sub = xasprintf ("%s/%s", dir, de->d_name);
		/* No deploy.json: generation 0, a plain directory from before
		 * deployments (nothing recorded about it). */
		if (deploy_read_meta (cdfd, sub, &e->v[e->n], err) < 0 &&
		    ((*err)->status != ENOENT || gen != 0)) {
			e->n++;
			closedir (d);
			goto fail;
		}
		keel_error_release (err);
		e->v[e->n++].gen = gen;
	}
	closedir (d);
	if (e->n > 1) /* e->v is NULL when there is none: qsort's array must not be */
		qsort (e->v, e->n, sizeof *e->v, cmp_gen);
	if (e->versioned && deploy_find (e, e->active) == NULL) {
		keel_error (err, 0, "%s: the active deployment %s/%u is missing", name, dir,
		            e->active);
		goto fail;
	}
	return 0;
fail:
	keel_error_wrap (err, "deployments of `%s`", name);
	deploy_entry_free (e);
	return -1;
}

/* ---- writing ------------------------------------------------------------ */

/* Remove a tree without following any symlink in it (a rootfs is full of
 * links pointing anywhere). */
static int remove_tree_at (int dfd, const char *name, struct keel_error **err);

int deploy_remove_tree (int dfd, const char *name, struct keel_error **err)
{
	return remove_tree_at (dfd, name, err);
}

static int remove_tree_at (int dfd, const char *name, struct keel_error **err)
{
	int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
				return keel_error (err, errno, "unlink `%s`", name);
			return 0;
		}
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "open `%s`", name);
	}
	d = fdopendir (fd);
	if (d == NULL) {
		close (fd);
		return keel_error (err, errno, "read `%s`", name);
	}
	while (ret == 0 && (de = readdir (d)) != NULL) {
		if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			ret = remove_tree_at (dirfd (d), de->d_name, err);
		else if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
			ret = keel_error (err, errno, "unlink `%s/%s`", name, de->d_name);
	}
	closedir (d);
	if (ret < 0)
		return keel_error_wrap (err, "remove `%s`", name);
	if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return keel_error (err, errno, "rmdir `%s`", name);
	return 0;
}

/* A generation newer than the active one that was never activated is
 * what an update left when it stopped before its switch: removed, so the
 * next update's keep-N keeps deployments that ran. */
static int remove_unactivated (int cdfd, const char *name, struct keel_error **err)
{
	struct deploy_entry e;
	size_t i;
	int ret = 0;

	if (deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	for (i = 0; i < e.n && ret == 0; i++) {
		cleanup_free char *from = NULL, *to = NULL;
		if (e.v[i].gen <= e.active || e.v[i].activated)
			continue;
		from = gen_dir (name, e.v[i].gen);
		to = xasprintf (DEPLOY_DIR "/%s/.gc-%u", name, e.v[i].gen);
		if (renameat (cdfd, from, cdfd, to) < 0)
			ret = keel_error (err, errno, "rename `%s` to `%s`", from, to);
		else
			ret = remove_tree_at (cdfd, to, err);
	}
	deploy_entry_free (&e);
	return ret;
}

static char *switch_name (const char *name)
{
	return xasprintf (".%s.switch", name);
}

int deploy_repair (int cdfd, const char *name, struct keel_error **err)
{
	cleanup_free char *sw = switch_name (name);
	cleanup_free char *dir = xasprintf (DEPLOY_DIR "/%s", name);
	cleanup_free char *legacy = gen_dir (name, 0);
	cleanup_close int dfd = -1;
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (fstatat (cdfd, sw, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK (st.st_mode)) {
			/* A switch link never renamed into place: the switch did
			 * not happen. */
			if (unlinkat (cdfd, sw, 0) < 0)
				return keel_error (err, errno, "remove `%s`", sw);
		} else if (S_ISDIR (st.st_mode)) {
			/* The plain directory an exchange swapped out: the switch
			 * happened; finish moving it to generation 0. */
			if (renameat (cdfd, sw, cdfd, legacy) < 0)
				return keel_error (err, errno, "rename `%s` to `%s`", sw, legacy);
			if (fsync_at (cdfd, dir, err) < 0)
				return -1;
		}
		if (fsync_at (cdfd, ".", err) < 0)
			return -1;
	} else if (errno != ENOENT) {
		return keel_error (err, errno, "stat `%s`", sw);
	}

	dfd = openat (cdfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : keel_error (err, errno, "open `%s`", dir);
	d = fdopendir (dfd);
	if (d == NULL)
		return keel_error (err, errno, "read `%s`", dir);
	dfd = -1;
	while ((de = readdir (d)) != NULL) {
		/* A pruned deployment renamed aside but not yet removed. */
		if (strncmp (de->d_name, ".gc-", 4) == 0 &&
		    remove_tree_at (dirfd (d), de->d_name, err) < 0) {
			closedir (d);
			return keel_error_wrap (err, "%s", dir);
		}
	}
	closedir (d);
	return remove_unactivated (cdfd, name, err);
}

/* Point containers.d/NAME at generation GEN in one atomic step. */
static int switch_to (int cdfd, const struct deploy_entry *e, unsigned gen, struct keel_error **err)
{
	cleanup_free char *sw = switch_name (e->name);
	cleanup_free char *target = gen_dir (e->name, gen);
	cleanup_free char *legacy = gen_dir (e->name, 0);
	cleanup_free char *dir = xasprintf (DEPLOY_DIR "/%s", e->name);

	if (symlinkat (target, cdfd, sw) < 0)
		return keel_error (err, errno, "symlink `%s` -> `%s`", sw, target);
	crash_point ();
	if (e->exists && !e->versioned) {
		/* rename(2) cannot put a symlink over a directory: exchange
		 * them, which is as atomic, then move the directory aside. */
		if (syscall (SYS_renameat2, cdfd, sw, cdfd, e->name, RENAME_EXCHANGE) < 0) {
			int saved = errno;
			(void)unlinkat (cdfd, sw, 0);
			return keel_error (err, saved, "exchange `%s` with `%s`", e->name, sw);
		}
		if (fsync_at (cdfd, ".", err) < 0)
			return -1;
		crash_point ();
		if (renameat (cdfd, sw, cdfd, legacy) < 0)
			return keel_error (err, errno, "rename `%s` to `%s`", sw, legacy);
		if (fsync_at (cdfd, dir, err) < 0)
			return -1;
		crash_point ();
		return 0;
	}
	if (renameat (cdfd, sw, cdfd, e->name) < 0) {
		int saved = errno;
		(void)unlinkat (cdfd, sw, 0);
		return keel_error (err, saved, "rename `%s` over `%s`", sw, e->name);
	}
	crash_point ();
	if (fsync_at (cdfd, ".", err) < 0)
		return -1;
	crash_point ();
	return 0;
}

/* When GEN became active, for status and history (the active one's time
 * is also its symlink's mtime, which cannot disagree with the switch). */
static int record_activation (int cdfd, const char *name, unsigned gen, struct keel_error **err)
{
	cleanup_free char *dir = gen_dir (name, gen);
	struct deployment d = {0};
	int ret;

	if (deploy_read_meta (cdfd, dir, &d, err) < 0) {
		deployment_free (&d);
		if ((*err)->status != ENOENT || gen != 0)
			return -1;
		keel_error_release (err); /* a plain entry's: nothing recorded */
	}
	d.gen = gen;
	d.activated = now_s ();
	ret = deploy_write_meta (cdfd, dir, &d, err);
	deployment_free (&d);
	return ret;
}

static int ensure_dir (int dfd, const char *path, const char *parent, struct keel_error **err)
{
	if (mkdirat (dfd, path, 0755) == 0)
		return fsync_at (dfd, parent, err);
	if (errno != EEXIST)
		return keel_error (err, errno, "mkdir `%s`", path);
	return 0;
}

/* Who holds the flock on FD, from /proc/locks (the pid as this pid
 * namespace sees it); 0 when it cannot tell.  Nothing is written in the
 * lock file, which keel-mkimage may copy into an image. */
static long lock_holder (int fd)
{
	struct stat st;
	FILE *f;
	char line[256];
	long pid = 0;

	if (fstat (fd, &st) < 0 || (f = fopen ("/proc/locks", "re")) == NULL)
		return 0;
	while (pid == 0 && fgets (line, sizeof line, f)) {
		char type[16];
		long p;
		unsigned maj, min;
		unsigned long ino;

		/* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a
		 * waiter's line has "->" where FLOCK is */
		if (sscanf (line, "%*d: %15s %*s %*s %ld %x:%x:%lu", type, &p, &maj, &min, &ino) ==
		            5 &&
		    strcmp (type, "FLOCK") == 0 && maj == major (st.st_dev) &&
		    min == minor (st.st_dev) && ino == st.st_ino)
			pid = p;
	}
	fclose (f);
	return pid;
}

int deploy_lock (int cdfd, unsigned wait_ms, struct keel_error **err)
{
	cleanup_close int fd = -1;
	unsigned waited_ms = 0, pause_ms = 5;

	/* In .deploy, where nothing is an entry and nothing lists. */
	if (ensure_dir (cdfd, DEPLOY_DIR, ".", err) < 0)
		return -1;
	fd = openat (cdfd, DEPLOY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", DEPLOY_LOCK);
	/* flock(2) has no timeout and a timer signal would be process-wide
	 * state in a library: try, and sleep a little longer each time, up to
	 * 0.1 s (never in PID 1: its helpers and the command line wait here).
	 * The time is the sum of the sleeps, so at least WAIT_MS. */
	while (flock (fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return keel_error (err, errno, "lock `%s`", DEPLOY_LOCK);
		if (waited_ms >= wait_ms) {
			long holder = lock_holder (fd);
			char who[48] = "another writer";

			if (holder > 0)
				snprintf (who, sizeof who, "another writer (pid %ld)", holder);
			return keel_error (
			        err, 0,
			        "the deployment store is busy: %s has held `%s` for more "
			        "than %u s; try again",
			        who, DEPLOY_LOCK, wait_ms / 1000);
		}
		if (pause_ms > wait_ms - waited_ms)
			pause_ms = wait_ms - waited_ms;
		ts = (struct timespec){.tv_nsec = pause_ms * 1000000L};
		while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
			;
		waited_ms += pause_ms;
		pause_ms = pause_ms < 50 ? pause_ms * 2 : 100;
	}
	return steal_fd (&fd);
}

int deploy_commit (int cdfd, const char *name, unsigned gen, struct keel_error **err)
{
	cleanup_free char *dir = gen_dir (name, gen);
	struct deployment d = {0};
	int ret = 0;

	if (deploy_read_meta (cdfd, dir, &d, err) < 0) {
		deployment_free (&d);
		return -1;
	}
	d.gen = gen;
	if (d.pending) {
		d.pending = false;
		ret = deploy_write_meta (cdfd, dir, &d, err);
	}
	deployment_free (&d);
	return ret;
}

int deploy_undo (int cdfd, const char *name, unsigned gen, const char *why, unsigned *prev,
                 struct keel_error **err)
{
	struct deploy_entry e;
	const struct deployment *a;
	bool found;
	int ret;

	if (deploy_repair (cdfd, name, err) < 0 || deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	a = e.versioned ? deploy_find (&e, e.active) : NULL;
	if (a == NULL || !a->pending || (gen != DEPLOY_ANY_GEN && e.active != gen)) {
		/* committed, rolled back by hand, or another update since */
		deploy_entry_free (&e);
		return DEPLOY_UNDO_NONE;
	}
	*prev = deploy_previous (&e, &found);
	if (!found) {
		/* A first deployment has nothing to go back to: it stays. */
		deploy_entry_free (&e);
		return DEPLOY_UNDO_NO_PREVIOUS;
	}
	ret = deploy_mark_failed (cdfd, name, e.active, why, err);
	if (ret == 0)
		ret = deploy_switch (cdfd, name, *prev, err);
	deploy_entry_free (&e);
	return ret < 0 ? -1 : DEPLOY_UNDO_SWITCHED;
}

int deploy_boot_check (int cdfd, const char *name, char **msg, struct keel_error **err)
{
	struct deploy_entry e;
	unsigned prev = 0, active;
	int r;

	*msg = NULL;
	/* which one is active, for the message (undo repairs first: so here) */
	if (deploy_repair (cdfd, name, err) < 0 || deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	active = e.active;
	deploy_entry_free (&e);
	r = deploy_undo (cdfd, name, DEPLOY_ANY_GEN,
	                 "not committed when the machine went down: rolled back at boot", &prev,
	                 err);
	if (r < 0)
		return -1;
	if (r != DEPLOY_UNDO_SWITCHED)
		return 0;
	*msg = xasprintf ("%s: deployment %u was switched to by an update that did not "
	                  "commit before the machine went down: back to deployment %u",
	                  name, active, prev);
	return 1;
}

void deploy_boot_all (const char *dir)
{
	cleanup_close int cdfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (cdfd < 0)
		return; /* sup_load says what is wrong with it */
	d = opendir (dir);
	if (d == NULL)
		return;
	while ((de = readdir (d)) != NULL) {
		struct keel_error *err = NULL;
		cleanup_free char *msg = NULL;
		struct stat st;
		int r;

		/* Only links: a plain entry has no deployments to go back to. */
		if (de->d_name[0] == '.' ||
		    fstatat (cdfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK (st.st_mode))
			continue;
		r = deploy_boot_check (cdfd, de->d_name, &msg, &err);
		if (r < 0) {
			cleanup_free char *m = keel_error_take (&err);
			console_status (NULL, CS_WARN, "%s: %s", dir, m);
		} else if (r > 0) {
			console_status (NULL, CS_WARN, "%s", msg);
		}
	}
	closedir (d);
}

int deploy_mark_failed (int cdfd, const char *name, unsigned gen, const char *why,
                        struct keel_error **err)
{
	cleanup_free char *dir = gen_dir (name, gen);
	struct deployment d = {0};
	int ret;

	if (deploy_read_meta (cdfd, dir, &d, err) < 0) {
		deployment_free (&d);
		return -1;
	}
	d.gen = gen;
	free (d.failed);
	d.failed = xstrdup (why);
	ret = deploy_write_meta (cdfd, dir, &d, err);
	deployment_free (&d);
	return ret;
}

int deploy_prune (int cdfd, const char *name, unsigned keep, struct keel_error **err)
{
	struct deploy_entry e;
	cleanup_free char *dir = xasprintf (DEPLOY_DIR "/%s", name);
	bool *keepv;
	size_t i, kept = 0;
	int ret = 0;

	if (keep == 0)
		keep = 1; /* the active one always stays */
	if (deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	keepv = xmalloc0 ((e.n ? e.n : 1) * sizeof *keepv);
	/* The active one, then older ones newest first (where rollback
	 * goes), then newer ones (rolled back from) oldest first. */
	for (i = 0; i < e.n; i++)
		if (e.v[i].gen == e.active && e.exists) {
			keepv[i] = true;
			kept++;
		}
	/* Then where a rollback of the active one goes. */
	{
		bool found;
		unsigned prev = deploy_previous (&e, &found);
		for (i = 0; found && i < e.n && kept < keep; i++)
			if (!keepv[i] && e.v[i].gen == prev) {
				keepv[i] = true;
				kept++;
			}
	}
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: deployments no update rolled back from; 1: the rest */
		for (i = e.n; i-- > 0 && kept < keep;)
			if (!keepv[i] && e.v[i].gen < e.active && (pass || !e.v[i].failed)) {
				keepv[i] = true;
				kept++;
			}
		for (i = 0; i < e.n && kept < keep; i++)
			if (!keepv[i] && e.v[i].gen > e.active && (pass || !e.v[i].failed)) {
				keepv[i] = true;
				kept++;
			}
	}
	for (i = 0; i < e.n && ret == 0; i++) {
		cleanup_free char *from = NULL, *to = NULL;
		if (keepv[i] || (!e.versioned && e.v[i].gen == 0))
			continue;
		/* Renamed aside first, so a crash halfway through removing it
		 * leaves no half deployment under a generation name. */
		from = gen_dir (name, e.v[i].gen);
		to = xasprintf ("%s/.gc-%u", dir, e.v[i].gen);
		if (renameat (cdfd, from, cdfd, to) < 0) {
			ret = keel_error (err, errno, "rename `%s` to `%s`", from, to);
			break;
		}
		if (fsync_at (cdfd, dir, err) < 0) {
			ret = -1;
			break;
		}
		crash_point ();
		if (remove_tree_at (cdfd, to, err) < 0) {
			ret = -1;
			break;
		}
		crash_point ();
	}
	free (keepv);
	deploy_entry_free (&e);
	return ret;
}

int deploy_add (int cdfd, const char *name, const char *staged, const struct deployment *d,
                unsigned keep, unsigned *gen, struct keel_error **err)
{
	return deploy_add_ex (cdfd, name, staged, d, keep, NULL, NULL, gen, err);
}

int deploy_add_ex (int cdfd, const char *name, const char *staged, const struct deployment *d,
                   unsigned keep, deploy_before_switch_fn before_switch, void *arg, unsigned *gen,
                   struct keel_error **err)
{
	struct deploy_entry e;
	struct deployment m = {0};
	cleanup_free char *dir = xasprintf (DEPLOY_DIR "/%s", name);
	cleanup_free char *final = NULL;
	unsigned g;
	size_t i;
	int ret;

	crash_count = 0;
	if (deploy_repair (cdfd, name, err) < 0 || deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	g = e.active;
	for (i = 0; i < e.n; i++)
		if (e.v[i].gen > g)
			g = e.v[i].gen;
	g++;
	if (g > DEPLOY_MAX_GEN) {
		deploy_entry_free (&e);
		return keel_error (err, 0, "%s: no generation left after %u", dir, DEPLOY_MAX_GEN);
	}
	m.gen = g;
	m.digest = d->digest ? xstrdup (d->digest) : NULL;
	m.source = d->source ? xstrdup (d->source) : NULL;
	m.created = now_s ();
	m.pending = d->pending;
	m.has_previous = e.exists;
	m.previous = e.active;
	for (i = 0; i < d->n_settings; i++)
		deploy_set (&m, d->settings[i].key, d->settings[i].value);
	ret = deploy_write_meta (cdfd, staged, &m, err);
	deployment_free (&m);
	if (ret < 0)
		goto out;
	crash_point ();
	/* Every file of the new tree on disk before it gets a name the
	 * store reads: one syncfs instead of an fsync per file of a rootfs. */
	if (syncfs (cdfd) < 0) {
		ret = keel_error (err, errno, "syncfs");
		goto out;
	}
	crash_point ();
	if ((ret = ensure_dir (cdfd, DEPLOY_DIR, ".", err)) < 0 ||
	    (ret = ensure_dir (cdfd, dir, DEPLOY_DIR, err)) < 0)
		goto out;
	final = gen_dir (name, g);
	if (renameat (cdfd, staged, cdfd, final) < 0) {
		ret = keel_error (err, errno, "rename `%s` to `%s`", staged, final);
		goto out;
	}
	if ((ret = fsync_at (cdfd, dir, err)) < 0)
		goto out;
	crash_point ();
	/* Refused: not switched to; the next repair removes it (a newer
	 * deployment never activated). */
	if (before_switch && (ret = before_switch (g, arg, err)) < 0)
		goto out;
	if ((ret = switch_to (cdfd, &e, g, err)) < 0)
		goto out;
	if ((ret = record_activation (cdfd, name, g, err)) < 0)
		goto out;
	crash_point ();
	*gen = g;
	ret = deploy_prune (cdfd, name, keep, err);
out:
	deploy_entry_free (&e);
	if (ret < 0)
		keel_error_wrap (err, "deploy `%s`", name);
	return ret;
}

int deploy_switch (int cdfd, const char *name, unsigned gen, struct keel_error **err)
{
	struct deploy_entry e;
	int ret = 0;

	crash_count = 0;
	if (deploy_repair (cdfd, name, err) < 0 || deploy_open (cdfd, name, &e, err) < 0)
		return -1;
	if (!e.exists)
		ret = keel_error (err, 0, "%s: no such entry", name);
	else if (deploy_find (&e, gen) == NULL)
		ret = keel_error (err, 0, "%s: no deployment %u", name, gen);
	else if (e.active != gen) {
		ret = switch_to (cdfd, &e, gen, err);
		if (ret == 0)
			ret = record_activation (cdfd, name, gen, err);
		crash_point ();
	}
	deploy_entry_free (&e);
	if (ret < 0)
		keel_error_wrap (err, "switch `%s` to deployment %u", name, gen);
	return ret;
}
