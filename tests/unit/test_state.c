/* The pieces of the lifecycle that work alone: container ids, the state
 * directory (create, lock, read back, refresh, remove), the state JSON,
 * the sync channel between runtime and container process, PATH lookup and
 * the environment of the container process, hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/hooks.h"
#include "runtime/state.h"
#include "runtime/sync.h"

static char root[64];

static int setup (void **state)
{
	snprintf (root, sizeof root, "/tmp/keel-unit-state-%d", (int)getpid ());
	return 0;
}

static int teardown (void **state)
{
	char cmd[128];
	snprintf (cmd, sizeof cmd, "rm -rf %s", root);
	return system (cmd) == 0 ? 0 : -1;
}

static void test_check_id (void **state)
{
	struct keel_error *err = NULL;

	assert_int_equal (keel_container_check_id ("web-1_a+b.c", &err), 0);
	assert_true (keel_container_check_id ("", &err) < 0);
	keel_error_release (&err);
	assert_true (keel_container_check_id ("..", &err) < 0);
	keel_error_release (&err);
	assert_true (keel_container_check_id ("a/b", &err) < 0);
	assert_non_null (strstr (err->msg, "a/b"));
	keel_error_release (&err);
	assert_true (keel_container_check_id ("a b", NULL) < 0);
	/* lib/name.h: no leading "-" (an option) or "." (hidden), 128 at most */
	assert_true (keel_container_check_id ("-rf", &err) < 0);
	assert_string_equal (err->msg, "invalid container id `-rf`: must not start with `-`");
	keel_error_release (&err);
	assert_true (keel_container_check_id (".x", NULL) < 0);
	{
		char name[130];

		memset (name, 'a', 128);
		name[128] = '\0';
		assert_int_equal (keel_container_check_id (name, NULL), 0);
		name[128] = 'a';
		name[129] = '\0';
		assert_true (keel_container_check_id (name, &err) < 0);
		assert_string_equal (err->msg, "invalid container id: 129 characters, at most 128");
		keel_error_release (&err);
	}
}

static void test_state_roundtrip (void **state)
{
	struct keel_error *err = NULL;
	struct spec_kv ann[] = {{(char *)"k", (char *)"v"}};
	char *args[] = {(char *)"hook", (char *)"x", NULL};
	char *v1[] = {(char *)"/sys/fs/cgroup/pids/x", (char *)"/sys/fs/cgroup/memory/p/x", NULL};
	struct spec_hook hook = {
	        .path = (char *)"/bin/true", .args = {args, 2}, .has_timeout = true, .timeout = 3};
	struct keel_state st = {
	        .id = (char *)"c1",
	        .bundle = (char *)"/b",
	        .oci_version = (char *)"1.2.0",
	        .status = KEEL_CREATED,
	        .pid = getpid (),
	        .created = (char *)"now",
	        .cgroup_path = (char *)"/sys/fs/cgroup/x",
	        .cgroup_v1 = {v1, 2},
	        .rootfs = (char *)"/b/rootfs",
	        .annotations = {ann, 1},
	};
	struct state_extra x = {.poststop = &hook, .n_poststop = 1};
	struct keel_state rd;
	struct state_extra rx;
	int fd = -1, fd2 = -1;

	assert_int_equal (proc_starttime (getpid (), &x.starttime, NULL, &err), 0);
	assert_int_equal (state_dir_create (root, "c1", &fd, &err), 0);
	/* A second create of the same id fails, naming it. */
	assert_true (state_dir_create (root, "c1", &fd2, &err) < 0);
	assert_int_equal (err->status, EEXIST);
	assert_non_null (strstr (err->msg, "`c1` already exists"));
	keel_error_release (&err);
	/* The lock is held: another open file cannot take it. */
	fd2 = open (root, O_RDONLY);
	assert_true (fd2 >= 0);
	close (fd2);
	{
		char p[128];
		snprintf (p, sizeof p, "%s/c1", root);
		fd2 = open (p, O_RDONLY | O_DIRECTORY);
		assert_true (flock (fd2, LOCK_EX | LOCK_NB) < 0);
		assert_int_equal (errno, EWOULDBLOCK);
		close (fd2);
	}

	assert_int_equal (state_write (fd, &st, &x, &err), 0);
	assert_int_equal (mkfifoat (fd, EXEC_FIFO, 0622), 0);
	assert_int_equal (state_read (fd, &rd, &rx, &err), 0);
	assert_string_equal (rd.id, "c1");
	assert_string_equal (rd.bundle, "/b");
	assert_string_equal (rd.cgroup_path, "/sys/fs/cgroup/x");
	/* cgroup v1 hosts: every hierarchy's directory comes back in order. */
	assert_int_equal (rd.cgroup_v1.n, 2);
	assert_string_equal (rd.cgroup_v1.v[0], "/sys/fs/cgroup/pids/x");
	assert_string_equal (rd.cgroup_v1.v[1], "/sys/fs/cgroup/memory/p/x");
	assert_int_equal (rd.pid, getpid ());
	assert_int_equal (rd.annotations.n, 1);
	assert_string_equal (rd.annotations.e[0].value, "v");
	assert_string_equal (rd.rootfs, "/b/rootfs");
	assert_int_equal (rx.n_poststop, 1);
	assert_string_equal (rx.poststop[0].args.v[1], "x");
	assert_int_equal (rx.poststop[0].timeout, 3);
	assert_int_equal (rx.starttime, x.starttime);
	/* We are alive and the fifo exists: created; without it: running. */
	state_refresh (fd, &rd, &rx);
	assert_int_equal (rd.status, KEEL_CREATED);
	unlinkat (fd, EXEC_FIFO, 0);
	state_refresh (fd, &rd, &rx);
	assert_int_equal (rd.status, KEEL_RUNNING);
	/* Another process's start time: the pid was reused, so stopped. */
	rx.starttime++;
	state_refresh (fd, &rd, &rx);
	assert_int_equal (rd.status, KEEL_STOPPED);
	keel_state_free (&rd);
	state_extra_free (&rx);

	assert_int_equal (state_dir_remove (root, "c1", fd, &err), 0);
	close (fd);
	assert_true (state_dir_open (root, "c1", false, &fd, &err) < 0);
	assert_non_null (strstr (err->msg, "`c1` does not exist"));
	keel_error_release (&err);
}

/* state.json is written without json-c: every byte a bundle path, an
 * annotation or a hook may hold comes back as it was (quotes, '\\', '/',
 * control characters, UTF-8), and a hook's env absent stays absent while
 * an empty one stays empty. */
static void test_state_escapes (void **state)
{
	static const char odd[] = "q\"b\\s/n\nt\tc\x01\x1f\x7f \xc3\xa9 end";
	struct keel_error *err = NULL;
	struct spec_kv ann[] = {{(char *)odd, (char *)odd}, {(char *)"k2", (char *)""}};
	char *args[] = {(char *)odd, NULL};
	char *none[] = {NULL};
	struct spec_hook hooks[] = {
	        {.path = (char *)odd, .args = {args, 1}, .env = {none, 0}},
	        {.path = (char *)"/h", .args = {args, 1}},
	};
	struct keel_state st = {
	        .id = (char *)"c8",
	        .bundle = (char *)odd,
	        .status = KEEL_CREATED,
	        .pid = getpid (),
	        .created = (char *)odd,
	        .annotations = {ann, 2},
	};
	struct state_extra x = {.poststart = hooks, .n_poststart = 2, .starttime = ~0ULL};
	struct keel_state rd;
	struct state_extra rx;
	int fd = -1;

	assert_int_equal (state_dir_create (root, "c8", &fd, &err), 0);
	assert_int_equal (state_write (fd, &st, &x, &err), 0);
	assert_int_equal (state_read (fd, &rd, &rx, &err), 0);
	assert_string_equal (rd.bundle, odd);
	assert_string_equal (rd.created, odd);
	assert_string_equal (rd.oci_version, "1.2.0");
	assert_string_equal (rd.owner, "");
	assert_null (rd.cgroup_path);
	assert_int_equal (rd.annotations.n, 2);
	assert_string_equal (rd.annotations.e[0].key, odd);
	assert_string_equal (rd.annotations.e[0].value, odd);
	assert_string_equal (rd.annotations.e[1].value, "");
	assert_int_equal (rx.starttime, ~0ULL);
	assert_int_equal (rx.n_poststart, 2);
	assert_int_equal (rx.n_poststop, 0);
	assert_string_equal (rx.poststart[0].path, odd);
	assert_string_equal (rx.poststart[0].args.v[0], odd);
	assert_non_null (rx.poststart[0].env.v);
	assert_int_equal (rx.poststart[0].env.n, 0);
	assert_false (rx.poststart[0].has_timeout);
	assert_null (rx.poststart[1].env.v);
	keel_state_free (&rd);
	state_extra_free (&rx);
	assert_int_equal (state_dir_remove (root, "c8", fd, &err), 0);
	close (fd);
}

/* A state.json with fields of the wrong type still loads (found by
 * fuzz_state: "status": null crashed every command reading it). */
static void test_state_odd_types (void **state)
{
	static const char json[] = "{\"id\": \"c2\", \"status\": null, \"pid\": \"x\", "
	                           "\"annotations\": {\"a\": null}, \"poststart\": [1, {}]}";
	struct keel_error *err = NULL;
	struct keel_state rd;
	struct state_extra rx;
	int fd = -1;

	assert_int_equal (state_dir_create (root, "c2", &fd, &err), 0);
	assert_int_equal (write_file_at (fd, STATE_FILE, O_CREAT, 0600, json, strlen (json), &err),
	                  0);
	assert_int_equal (state_read (fd, &rd, &rx, &err), 0);
	assert_string_equal (rd.id, "c2");
	assert_int_equal (rd.status, KEEL_CREATED); /* not "creating": refreshed from reality */
	assert_int_equal (rx.n_poststart, 2);
	keel_state_free (&rd);
	state_extra_free (&rx);
	assert_int_equal (state_dir_remove (root, "c2", fd, &err), 0);
	close (fd);
}

/* The config create keeps: none is "read the bundle" (NULL, 0), a copy
 * parses with the bundle as its directory, a corrupt one is an error
 * naming the copy; state_dir_remove takes it away with the rest. */
static void test_spec_copy (void **state)
{
	static const char cfg[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
	                          " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\","
	                          " \"env\": [\"AT=create\"]}}";
	struct keel_error *err = NULL;
	struct spec *spec = (struct spec *)1;
	int fd = -1;

	assert_int_equal (state_dir_create (root, "c4", &fd, &err), 0);
	assert_int_equal (state_spec_load (fd, "/b", &spec, &err), 0);
	assert_null (spec);
	assert_int_equal (state_spec_save (fd, cfg, strlen (cfg), &err), 0);
	assert_int_equal (state_spec_load (fd, "/b", &spec, &err), 0);
	assert_non_null (spec);
	assert_string_equal (spec->process.env.v[0], "AT=create");
	assert_string_equal (spec->root.abs_path, "/b/rootfs");
	spec_free (spec);
	/* Written in place, once: create never replaces one. */
	assert_true (state_spec_save (fd, "{", 1, &err) < 0);
	keel_error_release (&err);
	assert_int_equal (unlinkat (fd, SPEC_COPY, 0), 0);
	assert_int_equal (state_spec_save (fd, "{", 1, &err), 0);
	assert_true (state_spec_load (fd, "/b", &spec, &err) < 0);
	assert_non_null (strstr (err->msg, "kept by create"));
	keel_error_release (&err);
	assert_int_equal (state_dir_remove (root, "c4", fd, &err), 0);
	close (fd);
}

/* cgroups.json reads back as written; empty (a create killed between
 * its open and its one write) is "no cgroup made yet", not an error that
 * would keep delete from removing the container; anything else that is
 * not JSON is one. */
static void test_cgroups_record (void **state)
{
	char *v1[] = {"/sys/fs/cgroup/cpu/keel/c5", "/sys/fs/cgroup/pids/keel/c5", NULL};
	struct spec_strv v = {.v = v1, .n = 2};
	struct keel_error *err = NULL;
	struct keel_state st = {0};
	int fd = -1;

	assert_int_equal (state_dir_create (root, "c5", &fd, &err), 0);
	assert_int_equal (state_cgroups_save (fd, "/sys/fs/cgroup/keel/c5", &v, &err), 0);
	assert_int_equal (state_cgroups_load (fd, &st, &err), 0);
	assert_string_equal (st.cgroup_path, "/sys/fs/cgroup/keel/c5");
	assert_int_equal (st.cgroup_v1.n, 2);
	assert_string_equal (st.cgroup_v1.v[1], "/sys/fs/cgroup/pids/keel/c5");
	keel_state_free (&st);
	assert_int_equal (unlinkat (fd, CGROUPS_FILE, 0), 0);
	assert_int_equal (write_file_at (fd, CGROUPS_FILE, O_CREAT | O_EXCL, 0600, "", 0, &err), 0);
	assert_int_equal (state_cgroups_load (fd, &st, &err), 0);
	assert_null (st.cgroup_path);
	assert_int_equal (st.cgroup_v1.n, 0);
	assert_int_equal (unlinkat (fd, CGROUPS_FILE, 0), 0);
	assert_int_equal (
	        write_file_at (fd, CGROUPS_FILE, O_CREAT | O_EXCL, 0600, "{\"cg", 4, &err), 0);
	assert_true (state_cgroups_load (fd, &st, &err) < 0);
	assert_non_null (strstr (err->msg, CGROUPS_FILE));
	keel_error_release (&err);
	keel_state_free (&st);
	assert_int_equal (state_dir_remove (root, "c5", fd, &err), 0);
	close (fd);
}

/* What `run` does with the directory it made: unlock it while the
 * container runs, lock it again (ENOENT once another delete removed it),
 * remove what it knows is there, and what it does not know too. */
static void test_dir_known (void **state)
{
	static const struct state_entry known[] = {
	        {STATE_FILE, false}, {"missing", false}, {"sub", true}};
	struct keel_error *err = NULL;
	char path[128];
	struct stat sb;
	int fd = -1, other = -1;

	assert_int_equal (state_dir_create (root, "c6", &fd, &err), 0);
	assert_int_equal (write_file_at (fd, STATE_FILE, O_CREAT, 0600, "{}", 2, &err), 0);
	assert_int_equal (mkdirat (fd, "sub", 0700), 0);
	/* Locked: another command waits; unlocked, it gets the lock. */
	assert_int_equal (state_dir_open (root, "c6", false, &other, &err), 0);
	assert_true (flock (other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
	assert_int_equal (state_dir_unlock (fd, "c6", &err), 0);
	assert_int_equal (flock (other, LOCK_EX | LOCK_NB), 0);
	assert_int_equal (flock (other, LOCK_UN), 0);
	assert_int_equal (state_dir_lock (fd, "c6", &err), 0);
	/* Known names only: no listing, and the directory goes. */
	assert_int_equal (state_dir_remove_known (root, "c6", fd, known, 3, &err), 0);
	snprintf (path, sizeof path, "%s/c6", root);
	assert_true (stat (path, &sb) < 0 && errno == ENOENT);
	close (fd);
	/* Removed while another held it open: its lock says so. */
	assert_true (state_dir_lock (other, "c6", &err) < 0);
	assert_int_equal (err->status, ENOENT);
	assert_string_equal (err->msg, "container `c6` does not exist");
	keel_error_release (&err);
	close (other);
	/* Something it did not know of: the full sweep takes it too. */
	assert_int_equal (state_dir_create (root, "c7", &fd, &err), 0);
	assert_int_equal (write_file_at (fd, "later", O_CREAT, 0600, "x", 1, &err), 0);
	assert_int_equal (state_dir_remove_known (root, "c7", fd, known, 3, &err), 0);
	snprintf (path, sizeof path, "%s/c7", root);
	assert_true (stat (path, &sb) < 0 && errno == ENOENT);
	close (fd);
}

/* A state.json that keel did not write (a FIFO, a symlink) is refused
 * without blocking or following it. */
static void test_state_not_a_file (void **state)
{
	struct keel_error *err = NULL;
	struct keel_state rd;
	struct state_extra rx;
	int fd = -1;

	alarm (20); /* a blocking open of the FIFO fails instead of hanging */
	assert_int_equal (state_dir_create (root, "c3", &fd, &err), 0);
	assert_int_equal (mkfifoat (fd, STATE_FILE, 0600), 0);
	assert_true (state_read (fd, &rd, &rx, &err) < 0);
	assert_string_equal (err->msg, STATE_FILE ": a FIFO, not a regular file");
	keel_error_release (&err);
	assert_int_equal (unlinkat (fd, STATE_FILE, 0), 0);
	assert_int_equal (symlinkat ("/etc/hostname", fd, STATE_FILE), 0);
	assert_true (state_read (fd, &rd, &rx, &err) < 0);
	assert_string_equal (err->msg, STATE_FILE ": a symbolic link, not a regular file");
	keel_error_release (&err);
	assert_int_equal (unlinkat (fd, STATE_FILE, 0), 0);
	assert_int_equal (state_dir_remove (root, "c3", fd, &err), 0);
	close (fd);
	alarm (0);
}

static void test_state_json (void **state)
{
	struct keel_state st = {
	        .id = (char *)"x", .bundle = (char *)"/b", .status = KEEL_STOPPED, .pid = 42};
	char *s = keel_state_json (&st);
	json_object *o = json_tokener_parse (s), *v;

	assert_non_null (o);
	assert_true (json_object_object_get_ex (o, "status", &v));
	assert_string_equal (json_object_get_string (v), "stopped");
	assert_true (json_object_object_get_ex (o, "pid", &v));
	assert_int_equal (json_object_get_int (v), 0); /* stopped: no pid */
	assert_true (json_object_object_get_ex (o, "ociVersion", &v));
	json_object_put (o);
	free (s);
	assert_string_equal (keel_status_name (KEEL_CREATING), "creating");
}

static void test_list (void **state)
{
	struct keel_runtime rt = {.state_root = root};
	struct keel_error *err = NULL;
	char **ids;
	size_t n;
	int fd;

	assert_int_equal (keel_container_list (&rt, &ids, &n, &err), 0);
	assert_int_equal (n, 0);
	free (ids);
	assert_int_equal (state_dir_create (root, "b", &fd, &err), 0);
	close (fd);
	assert_int_equal (state_dir_create (root, "a", &fd, &err), 0);
	close (fd);
	assert_int_equal (keel_container_list (&rt, &ids, &n, &err), 0);
	assert_int_equal (n, 2);
	assert_string_equal (ids[0], "a");
	assert_string_equal (ids[1], "b");
	assert_null (ids[2]);
	for (size_t i = 0; i < n; i++)
		free (ids[i]);
	free (ids);
}

/* restore's adopt: a config without device rules gets the default filter
 * before the process criu restores can run.  The spawn below stands in
 * for criu: a real child, put into the container's cgroups, that then
 * tries a host device the default list does not allow (/dev/kmsg) and
 * one it does (/dev/null). */
struct adopt_child {
	int go[2];
};

static int adopt_spawn (void *arg, const char *state_dir, const char *cgroup_path,
                        const struct spec_strv *cgroup_v1, pid_t *pid, struct keel_error **err)
{
	struct adopt_child *a = arg;
	char c;
	int ret = 0;

	(void)state_dir;
	*pid = fork ();
	if (*pid < 0)
		return keel_error (err, errno, "fork");
	if (*pid == 0) {
		int kmsg, null;

		close (a->go[1]);
		if (read (a->go[0], &c, 1) != 1)
			_exit (3);
		kmsg = open ("/dev/kmsg", O_RDONLY | O_CLOEXEC);
		null = open ("/dev/null", O_RDWR | O_CLOEXEC);
		_exit (kmsg >= 0 ? 1 : null < 0 ? 2 : 0);
	}
	/* On a legacy host cgroup_path is the first v1 directory. */
	if (cgroup_path && (cgroup_v1->n == 0 || strcmp (cgroup_path, cgroup_v1->v[0]) != 0))
		ret = cgroup_enter (cgroup_path, *pid, err);
	if (ret == 0 && cgroup_v1->n > 0)
		ret = cgroup_v1_enter (cgroup_v1, *pid, err);
	if (write (a->go[1], "x", 1) != 1 && ret == 0)
		ret = keel_error (err, errno, "write");
	return ret;
}

static void test_adopt_default_devices (void **state)
{
	static const char config[] =
	        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}";
	struct keel_runtime rt = {.state_root = root};
	struct keel_create_opts opts = {.stdio = {-1, -1, -1}};
	struct adopt_child a;
	struct spec *spec = NULL;
	struct keel_error *err = NULL;
	char cg[64], id[32];
	pid_t pid = 0;
	int status = -1, ret;

	(void)state;
	if (geteuid () != 0 || cgroup_devices_via (cgroup_mode ()) == CGROUP_DEVICES_NONE) {
		skip ();
		return;
	}
	snprintf (cg, sizeof cg, "/keeltest-unit-adopt-%d", (int)getpid ());
	snprintf (id, sizeof id, "adopt-%d", (int)getpid ());
	opts.default_cgroup_path = cg;
	assert_int_equal (spec_parse ("config.json", config, strlen (config), "/b", &spec, &err),
	                  0);
	assert_int_equal (pipe (a.go), 0);
	ret = keel_container_adopt (&rt, id, spec, &opts, adopt_spawn, &a, &pid, &err);
	if (ret < 0)
		fail_msg ("adopt: %s", err->msg);
	close (a.go[0]);
	close (a.go[1]);
	assert_true (pid > 0);
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_int_equal (keel_container_delete (&rt, id, true, &err), 0);
	spec_free (spec);
	/* 1: /dev/kmsg opened, no filter; 2: /dev/null refused. */
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
}

static void test_sync (void **state)
{
	struct keel_error *err = NULL;
	struct sync_msg m;
	int sv[2], p[2];

	assert_int_equal (sync_pair (sv, &err), 0);
	assert_int_equal (pipe (p), 0);
	assert_int_equal (sync_send (sv[1], SYNC_CONSOLE, 0, p[1], NULL, &err), 0);
	assert_int_equal (sync_expect (sv[0], SYNC_CONSOLE, &m, &err), 0);
	assert_true (m.fd >= 0 && m.fd != p[1]);
	assert_int_equal (write (m.fd, "z", 1), 1);
	close (m.fd);
	{
		char c;
		assert_int_equal (read (p[0], &c, 1), 1);
		assert_int_equal (c, 'z');
	}
	/* An error from the child becomes the parent's error, errno included. */
	keel_error (&err, EACCES, "mount `proc` on `/proc`");
	sync_send_error (sv[1], err);
	keel_error_release (&err);
	assert_true (sync_expect (sv[0], SYNC_CREATED, &m, &err) < 0);
	assert_int_equal (err->status, EACCES);
	assert_string_equal (err->msg, "mount `proc` on `/proc`");
	keel_error_release (&err);
	/* The peer going away is an error, not a hang. */
	close (sv[1]);
	assert_true (sync_recv (sv[0], &m, &err) < 0);
	assert_int_equal (err->status, ECONNRESET);
	keel_error_release (&err);
	close (sv[0]);
	close (p[0]);
	close (p[1]);
}

static void test_exec_find (void **state)
{
	struct keel_error *err = NULL;
	char *env[] = {(char *)"PATH=/nonexistent:/bin", NULL};
	char *out = NULL;

	assert_int_equal (exec_find ("sh", env, &out, &err), 0);
	assert_string_equal (out, "/bin/sh");
	free (out);
	assert_int_equal (exec_find ("/bin/sh", NULL, &out, &err), 0);
	free (out);
	assert_true (exec_find ("no-such-program-keel", env, &out, &err) < 0);
	assert_non_null (strstr (err->msg, "executable file not found in $PATH"));
	keel_error_release (&err);
	/* A directory is not executable. */
	assert_true (exec_find ("/tmp", env, &out, &err) < 0);
	assert_int_equal (err->status, EACCES);
	keel_error_release (&err);
}

static void test_exec_env (void **state)
{
	char *env[] = {(char *)"A=1", (char *)"B=2", NULL};
	char *extra[] = {(char *)"A=3", (char *)"NOTIFY_SOCKET=/x", NULL};
	char **v = exec_build_env (env, extra);

	assert_string_equal (v[0], "A=3"); /* replaced in place */
	assert_string_equal (v[1], "B=2");
	assert_string_equal (v[2], "NOTIFY_SOCKET=/x");
	assert_null (v[3]);
	assert_string_equal (exec_getenv (v, "B"), "2");
	assert_null (exec_getenv (v, "C"));
	free (v);
}

static void test_hooks (void **state)
{
	struct keel_error *err = NULL;
	char out[256];
	char *args[] = {(char *)"sh", (char *)"-c", NULL, NULL};
	char *env[] = {(char *)"X=y", NULL};
	struct spec_hook h = {.path = (char *)"/bin/sh", .args = {args, 3}, .env = {env, 1}};
	char *got = NULL;

	snprintf (out, sizeof out, "cat > %s.hook; echo \"$X\" >> %s.hook", root, root);
	args[2] = out;
	mkdir (root, 0755);
	assert_int_equal (hooks_run (HOOK_POSTSTOP, &h, 1, "{\"id\":\"c\"}", &err), 0);
	snprintf (out, sizeof out, "%s.hook", root);
	assert_int_equal (read_file (out, 0, &got, NULL, &err), 0);
	assert_string_equal (got, "{\"id\":\"c\"}y\n");
	free (got);
	unlink (out);

	args[2] = (char *)"exit 3";
	assert_true (hooks_run (HOOK_CREATE_RUNTIME, &h, 1, "{}", &err) < 0);
	assert_string_equal (err->msg, "createRuntime hook `/bin/sh`: exited with status 3");
	keel_error_release (&err);

	args[2] = (char *)"sleep 5";
	h.has_timeout = true;
	h.timeout = 1;
	assert_true (hooks_run (HOOK_PRESTART, &h, 1, "{}", &err) < 0);
	assert_non_null (strstr (err->msg, "timed out after 1 s"));
	keel_error_release (&err);

	h.path = (char *)"/nonexistent/hook";
	assert_true (hooks_run (HOOK_POSTSTART, &h, 1, "{}", &err) < 0);
	assert_int_equal (err->status, ENOENT);
	keel_error_release (&err);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_check_id),
	        cmocka_unit_test_setup_teardown (test_state_roundtrip, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_state_odd_types, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_state_escapes, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_spec_copy, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_state_not_a_file, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_cgroups_record, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_dir_known, setup, teardown),
	        cmocka_unit_test (test_state_json),
	        cmocka_unit_test_setup_teardown (test_list, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_adopt_default_devices, setup, teardown),
	        cmocka_unit_test (test_sync),
	        cmocka_unit_test (test_exec_find),
	        cmocka_unit_test (test_exec_env),
	        cmocka_unit_test_setup_teardown (test_hooks, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
