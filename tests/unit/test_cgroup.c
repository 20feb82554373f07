/* cgroup v2 for real, under the unified root of this machine (hybrid here:
 * /sys/fs/cgroup/unified, pure v2 in the QEMU guest).  Every test works
 * under its own top cgroup /keel-unit-PID and removes it in teardown,
 * killing whatever a failed test left inside. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#include "runtime/cgroup.h"
#include "tests/unit/linux-helpers.h"

static char top_rel[64]; /* "/keel-unit-PID" */
static char top_abs[4096];

static bool cg_usable (void)
{
	return geteuid () == 0 && cgroup_unified_root () != NULL;
}

#define need_cgroup()                                                   \
	do {                                                            \
		need_root ();                                           \
		if (cgroup_unified_root () == NULL)                     \
			skip_because ("no cgroup2 filesystem mounted"); \
	} while (0)

static int teardown (void **state)
{
	struct keel_error *err = NULL;

	if (!cg_usable () || access (top_abs, F_OK) < 0)
		return 0;
	if (cgroup_kill (top_abs, SIGKILL, &err) < 0 || cgroup_destroy (top_abs, &err) < 0) {
		keel_error_print (stdout, "# teardown", &err);
		return -1;
	}
	return 0;
}

static int setup (void **state)
{
	if (!cg_usable ())
		return 0;
	snprintf (top_rel, sizeof top_rel, "/keel-unit-%d", (int)getpid ());
	snprintf (top_abs, sizeof top_abs, "%s%s", cgroup_unified_root (), top_rel);
	return 0;
}

static char *rel (const char *sub)
{
	return xasprintf ("%s/%s", top_rel, sub);
}

static bool has_controller (const char *dir, const char *name)
{
	char *path = xasprintf ("%s/cgroup.controllers", dir), *list = NULL;
	bool found = false;

	if (read_file (path, 0, &list, NULL, NULL) == 0)
		for (char *t = strtok (list, " \n"); t; t = strtok (NULL, " \n"))
			found |= strcmp (t, name) == 0;
	free (path);
	free (list);
	return found;
}

#define need_controller(name)                                                           \
	do {                                                                            \
		need_cgroup ();                                                         \
		if (!has_controller (cgroup_unified_root (), name))                     \
			skip_because ("controller \"%s\" is not available in %s", name, \
			              cgroup_unified_root ());                          \
	} while (0)

static char *read_cg (const char *dir, const char *file)
{
	char *path = xasprintf ("%s/%s", dir, file), *v = NULL;

	if (read_file (path, 0, &v, NULL, NULL) < 0)
		v = xstrdup ("<unreadable>");
	free (path);
	v[strcspn (v, "\n")] = '\0';
	return v;
}

static void assert_file (const char *dir, const char *file, const char *want)
{
	char *v = read_cg (dir, file);

	if (strcmp (v, want) != 0)
		printf ("# %s/%s: got \"%s\", want \"%s\"\n", dir, file, v, want);
	assert_string_equal (v, want);
	free (v);
}

/* A child that sleeps until killed. */
static pid_t spawn_sleeper (void)
{
	pid_t pid = fork ();

	assert_true (pid >= 0);
	/* exec, so that nothing of this process (or of valgrind) is left in
	 * the child the tests kill. */
	if (pid == 0) {
		execlp ("sleep", "sleep", "1000", (char *)NULL);
		_exit (127);
	}
	return pid;
}

static char *cgroup_of (pid_t pid)
{
	char *path = xasprintf ("/proc/%d/cgroup", (int)pid), *c = NULL, *line, *r = NULL;

	if (read_file (path, 0, &c, NULL, NULL) == 0)
		for (line = strtok (c, "\n"); line; line = strtok (NULL, "\n"))
			if (strncmp (line, "0::", 3) == 0)
				r = xstrdup (line + 3);
	free (path);
	free (c);
	return r;
}

/* ---- tests --------------------------------------------------------------- */

/* The mount points of cgroup2 filesystems in /proc/self/mountinfo, read
 * here on their own (field 5 is the mount point, the fstype follows " - "),
 * so the test does not trust the reader it checks. */
static bool cgroup2_mounted_at (const char *dir)
{
	FILE *f = fopen ("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	assert_non_null (f);
	while (!found && fgets (line, sizeof line, f) != NULL) {
		char mnt[4096], fstype[64];
		const char *sep = strstr (line, " - ");

		if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf (sep + 3, "%63s", fstype) != 1)
			continue;
		found = strcmp (fstype, "cgroup2") == 0 && strcmp (mnt, dir) == 0;
	}
	fclose (f);
	return found;
}

static void test_unified_root (void **state)
{
	const char *root = cgroup_unified_root ();
	cleanup_free char *type = NULL, *procs = NULL;
	struct statfs sf;

	if (root == NULL) {
		/* then there must truly be none */
		assert_false (cgroup2_mounted_at ("/sys/fs/cgroup"));
		assert_false (cgroup2_mounted_at ("/sys/fs/cgroup/unified"));
		skip_because ("no cgroup2 filesystem mounted");
	}
	/* a cgroup2 filesystem, mounted right there (not a directory in it) */
	assert_int_equal (statfs (root, &sf), 0);
	assert_true (sf.f_type == CGROUP2_SUPER_MAGIC);
	assert_true (cgroup2_mounted_at (root));
	/* and its root cgroup: only child cgroups have cgroup.type */
	type = xasprintf ("%s/cgroup.type", root);
	procs = xasprintf ("%s/cgroup.procs", root);
	assert_int_equal (access (procs, F_OK), 0);
	assert_int_equal (access (type, F_OK), -1);
	printf ("# unified root: %s\n", root);
}

static void test_lifecycle (void **state)
{
	struct keel_error *err = NULL;
	char *path = NULL, *sub, *in_cg, *r;
	pid_t a, b;
	bool empty;
	int status;

	need_cgroup ();
	r = rel ("ctr");
	assert_int_equal (cgroup_create (r, NULL, NULL, &path, NULL, &err), 0);
	assert_int_equal (strncmp (path, top_abs, strlen (top_abs)), 0);
	assert_string_equal (path + strlen (cgroup_unified_root ()), r);

	a = spawn_sleeper ();
	assert_int_equal (cgroup_enter (path, a, &err), 0);
	in_cg = cgroup_of (a);
	assert_string_equal (in_cg, r);
	free (in_cg);

	/* A nested cgroup with its own process: kill and destroy are recursive. */
	sub = xasprintf ("%s/inner", path);
	assert_int_equal (mkdir (sub, 0755), 0);
	b = spawn_sleeper ();
	assert_int_equal (cgroup_enter (sub, b, &err), 0);

	assert_int_equal (cgroup_is_empty (path, &empty, &err), 0);
	assert_false (empty);
	assert_true (cgroup_destroy (path, &err) < 0);
	assert_int_equal (err->status, EBUSY);
	assert_non_null (strstr (err->msg, "processes remain"));
	keel_error_release (&err);

	assert_int_equal (cgroup_kill (path, SIGKILL, &err), 0);
	assert_int_equal (waitpid (a, &status, 0), a);
	assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
	assert_int_equal (waitpid (b, &status, 0), b);
	assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

	assert_int_equal (cgroup_destroy (path, &err), 0);
	assert_int_equal (cgroup_is_empty (top_abs, &empty, &err), 0);
	assert_true (empty);
	assert_int_equal (access (path, F_OK), -1);
	assert_int_equal (access (sub, F_OK), -1);
	/* Idempotent: removing what is gone is not an error. */
	assert_int_equal (cgroup_destroy (path, &err), 0);
	free (sub);
	free (path);
	free (r);
}

static void test_kill_other_signal (void **state)
{
	struct keel_error *err = NULL;
	char *path = NULL, *r;
	pid_t a;
	int status;

	need_cgroup ();
	r = rel ("term");
	assert_int_equal (cgroup_create (r, NULL, NULL, &path, NULL, &err), 0);
	a = spawn_sleeper ();
	assert_int_equal (cgroup_enter (path, a, &err), 0);
	/* Not SIGKILL: delivered to every pid in cgroup.procs. */
	assert_int_equal (cgroup_kill (path, SIGTERM, &err), 0);
	assert_int_equal (waitpid (a, &status, 0), a);
	assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
	assert_int_equal (cgroup_destroy (path, &err), 0);
	free (path);
	free (r);
}

static void test_freeze_thaw (void **state)
{
	struct keel_error *err = NULL;
	char *path = NULL, *r, *st;
	pid_t a;
	int status;

	need_cgroup ();
	r = rel ("frz");
	assert_int_equal (cgroup_create (r, NULL, NULL, &path, NULL, &err), 0);
	st = xasprintf ("%s/cgroup.freeze", path);
	if (access (st, F_OK) < 0) {
		free (st);
		free (path);
		free (r);
		skip_because ("no cgroup.freeze (kernel < 5.2)");
	}
	free (st);
	a = spawn_sleeper ();
	assert_int_equal (cgroup_enter (path, a, &err), 0);
	assert_int_equal (cgroup_freeze (path, true, &err), 0);
	{
		char *ev = xasprintf ("%s/cgroup.events", path), *c = NULL;
		assert_int_equal (read_file (ev, 0, &c, NULL, NULL), 0);
		assert_non_null (strstr (c, "frozen 1"));
		free (c);
		free (ev);
	}
	assert_int_equal (cgroup_freeze (path, false, &err), 0);
	{
		char *ev = xasprintf ("%s/cgroup.events", path), *c = NULL;
		assert_int_equal (read_file (ev, 0, &c, NULL, NULL), 0);
		assert_non_null (strstr (c, "frozen 0"));
		free (c);
		free (ev);
	}
	assert_int_equal (cgroup_kill (path, SIGKILL, &err), 0);
	assert_int_equal (waitpid (a, &status, 0), a);
	assert_int_equal (cgroup_destroy (path, &err), 0);
	free (path);
	free (r);
}

static void test_relative_path_under_own_parent (void **state)
{
	struct keel_error *err = NULL;
	char *own, *parent, *path = NULL, *want, *r;

	need_cgroup ();
	own = cgroup_of (getpid ());
	assert_non_null (own);
	parent = xstrdup (own);
	*strrchr (parent, '/') = '\0';
	/* runc's rule: relative to the parent of the caller's cgroup. */
	r = xasprintf ("%s/rel", top_rel + 1);
	assert_int_equal (cgroup_create (r, NULL, NULL, &path, NULL, &err), 0);
	want = xasprintf ("%s%s/%s", cgroup_unified_root (), parent, r);
	assert_string_equal (path, want);
	assert_int_equal (cgroup_destroy (path, &err), 0);
	/* The relative case may have created the top somewhere else. */
	if (strcmp (parent, "") != 0) {
		char *t = xasprintf ("%s%s%s", cgroup_unified_root (), parent, top_rel);
		rmdir (t);
		free (t);
	}
	free (own);
	free (parent);
	free (path);
	free (want);
	free (r);
}

static void test_default_path (void **state)
{
	struct keel_error *err = NULL;
	char *path = NULL, *want;

	need_cgroup ();
	/* default_rel is under the unified root whatever the caller's cgroup. */
	assert_int_equal (cgroup_create (NULL, top_rel + 1, NULL, &path, NULL, &err), 0);
	assert_string_equal (path, top_abs);
	want = xasprintf ("%s/keel/x", top_rel + 1);
	free (path);
	assert_int_equal (cgroup_create (NULL, want, NULL, &path, NULL, &err), 0);
	assert_non_null (strstr (path, "/keel/x"));
	assert_int_equal (cgroup_destroy (path, &err), 0);
	free (path);
	free (want);
}

static void test_bad_paths (void **state)
{
	static const struct {
		const char *path, *msg;
	} bad[] = {
	        {"/a/../b", "cgroup: cgroupsPath `/a/../b`: `..` components are not allowed"},
	        {"../x", "cgroup: cgroupsPath `../x`: `..` components are not allowed"},
	        {"/./a", "cgroup: cgroupsPath `/./a`: `.` components are not allowed"},
	        {"/", "cgroup: cgroupsPath `/` names the root cgroup"},
	        {"//", "cgroup: cgroupsPath `//` names the root cgroup"},
	};
	struct keel_error *err = NULL;
	char *path = NULL;

	need_cgroup ();
	for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
		assert_true (cgroup_create (bad[i].path, NULL, NULL, &path, NULL, &err) < 0);
		assert_null (path);
		assert_string_equal (err->msg, bad[i].msg);
		keel_error_release (&err);
	}
	/* neither a cgroupsPath nor a default */
	assert_true (cgroup_create (NULL, NULL, NULL, &path, NULL, &err) < 0);
	assert_null (path);
	assert_string_equal (err->msg, "cgroup: no cgroupsPath and no default path");
	keel_error_release (&err);
}

/* A resource whose controller is missing fails naming it, and leaves no
 * directory behind. */
static void test_missing_controller_error (void **state)
{
	static const char *const ctl[] = {"memory", "pids", "cpu", "io"};
	struct keel_error *err = NULL;
	char *path = NULL, *r, *want;
	struct spec_resources res = {.present = true};
	const char *root;
	const char *missing = NULL;

	need_cgroup ();
	root = cgroup_unified_root ();
	for (size_t i = 0; i < ARRAY_SIZE (ctl) && !missing; i++)
		if (!has_controller (root, ctl[i]))
			missing = ctl[i];
	if (missing == NULL)
		skip_because ("every controller is available in %s (pure v2): nothing is missing",
		              root);
	r = rel ("nomem");
	if (strcmp (missing, "memory") == 0) {
		res.has_memory = true;
		res.memory.has_limit = true;
		res.memory.limit = 64 << 20;
	} else if (strcmp (missing, "pids") == 0) {
		res.has_pids = true;
		res.pids_limit = 10;
	} else if (strcmp (missing, "cpu") == 0) {
		res.has_cpu = true;
		res.cpu.has_shares = true;
		res.cpu.shares = 512;
	} else {
		res.has_blkio = true;
		res.blkio.has_weight = true;
		res.blkio.weight = 500;
	}
	assert_true (cgroup_create (r, NULL, &res, &path, NULL, &err) < 0);
	want = xasprintf ("cgroup: controller \"%s\" is not available in %s", missing, root);
	printf ("# %s\n", err->msg);
	assert_non_null (strstr (err->msg, want));
	keel_error_release (&err);
	assert_int_equal (access (top_abs, F_OK), -1);
	free (want);
	free (r);
}

static char *create_with (const char *name, const struct spec_resources *res)
{
	struct keel_error *err = NULL;
	char *path = NULL, *r = rel (name);

	if (cgroup_create (r, NULL, res, &path, NULL, &err) < 0) {
		printf ("# %s\n", err->msg);
		keel_error_release (&err);
	}
	free (r);
	assert_non_null (path);
	return path;
}

static void destroy (char *path)
{
	struct keel_error *err = NULL;

	assert_int_equal (cgroup_destroy (path, &err), 0);
	free (path);
}

static void test_pids (void **state)
{
	struct spec_resources res = {.present = true, .has_pids = true, .pids_limit = 42};
	char *p;

	need_controller ("pids");
	p = create_with ("pids", &res);
	assert_file (p, "pids.max", "42");
	destroy (p);
	res.pids_limit = -1;
	p = create_with ("pids", &res);
	assert_file (p, "pids.max", "max");
	destroy (p);
}

static void test_memory (void **state)
{
	struct spec_resources res = {.present = true, .has_memory = true};
	char *p, *swap;

	need_controller ("memory");
	res.memory.has_limit = true;
	res.memory.limit = 64 << 20;
	res.memory.has_reservation = true;
	res.memory.reservation = 32 << 20;
	res.memory.has_swap = true;
	res.memory.swap = 96 << 20; /* memory+swap, v1 style: 32 MiB of swap */
	p = create_with ("mem", &res);
	assert_file (p, "memory.max", "67108864");
	assert_file (p, "memory.low", "33554432");
	swap = xasprintf ("%s/memory.swap.max", p);
	if (access (swap, F_OK) == 0)
		assert_file (p, "memory.swap.max", "33554432");
	free (swap);
	destroy (p);
}

static void test_memory_swap_below_limit (void **state)
{
	struct spec_resources res = {.present = true, .has_memory = true};
	struct keel_error *err = NULL;
	char *path = NULL, *r;

	need_controller ("memory");
	r = rel ("swap");
	res.memory.has_limit = true;
	res.memory.limit = 64 << 20;
	res.memory.has_swap = true;
	res.memory.swap = 32 << 20;
	assert_true (cgroup_create (r, NULL, &res, &path, NULL, &err) < 0);
	assert_non_null (strstr (err->msg, "below memory.limit"));
	keel_error_release (&err);
	free (r);
}

static void test_cpu (void **state)
{
	struct spec_resources res = {.present = true, .has_cpu = true};
	char *p;

	need_controller ("cpu");
	res.cpu.has_shares = true;
	res.cpu.shares = 1024; /* crun/runc: 1 + (1022 * 9999) / 262142 = 39 */
	res.cpu.has_quota = true;
	res.cpu.quota = 50000;
	res.cpu.has_period = true;
	res.cpu.period = 100000;
	p = create_with ("cpu", &res);
	assert_file (p, "cpu.weight", "39");
	assert_file (p, "cpu.max", "50000 100000");
	destroy (p);
}

static void test_cpuset (void **state)
{
	struct spec_resources res = {.present = true, .has_cpu = true};
	char *p;

	need_controller ("cpuset");
	res.cpu.cpus = (char *)"0";
	res.cpu.mems = (char *)"0";
	p = create_with ("cpuset", &res);
	assert_file (p, "cpuset.cpus", "0");
	assert_file (p, "cpuset.mems", "0");
	destroy (p);
}

static void test_io (void **state)
{
	struct spec_resources res = {.present = true, .has_blkio = true};
	char *p, *v;

	need_controller ("io");
	res.blkio.has_weight = true;
	res.blkio.weight = 500;
	p = create_with ("io", &res);
	v = xasprintf ("%s/io.bfq.weight", p);
	if (access (v, F_OK) == 0)
		assert_file (p, "io.bfq.weight", "default 500");
	else /* 1 + (500 - 10) * 9999 / 990 */
		assert_file (p, "io.weight", "default 4950");
	free (v);
	destroy (p);
}

static void test_hugetlb (void **state)
{
	struct spec_hugepage_limit h = {(char *)"2MB", 4194304};
	struct spec_resources res = {
	        .present = true, .hugepage_limits = &h, .n_hugepage_limits = 1};
	char *p;

	need_controller ("hugetlb");
	p = create_with ("huge", &res);
	assert_file (p, "hugetlb.2MB.max", "4194304");
	destroy (p);
}

static void test_unified (void **state)
{
	struct spec_kv kv[] = {{(char *)"cgroup.max.depth", (char *)"3"},
	                       {(char *)"cgroup.max.descendants", (char *)"7"}};
	struct spec_resources res = {.present = true, .unified = {kv, 2}};
	char *p;

	need_cgroup ();
	p = create_with ("unified", &res);
	assert_file (p, "cgroup.max.depth", "3");
	assert_file (p, "cgroup.max.descendants", "7");
	destroy (p);
}

static void test_unified_bad_keys (void **state)
{
	static const char *const bad[] = {"../cgroup.procs", "a/b", "..", "nosuch.file"};
	struct keel_error *err = NULL;
	char *path = NULL, *r;

	need_cgroup ();
	r = rel ("badkey");
	for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
		struct spec_kv kv = {(char *)bad[i], (char *)"1"};
		struct spec_resources res = {.present = true, .unified = {&kv, 1}};

		assert_true (cgroup_create (r, NULL, &res, &path, NULL, &err) < 0);
		printf ("# %s -> %s\n", bad[i], err->msg);
		keel_error_release (&err);
	}
	assert_int_equal (access (top_abs, F_OK), -1);
	free (r);
}

static void test_unified_missing_controller (void **state)
{
	struct spec_kv kv = {(char *)"memory.high", (char *)"1000000"};
	struct spec_resources res = {.present = true, .unified = {&kv, 1}};
	struct keel_error *err = NULL;
	char *path = NULL, *r;

	need_cgroup ();
	if (has_controller (cgroup_unified_root (), "memory"))
		skip_because ("memory is available in %s", cgroup_unified_root ());
	r = rel ("umem");
	assert_true (cgroup_create (r, NULL, &res, &path, NULL, &err) < 0);
	assert_non_null (strstr (err->msg, "controller \"memory\" is not available"));
	keel_error_release (&err);
	free (r);
}

static void test_rdma (void **state)
{
	struct spec_rdma dev = {(char *)"keel-no-such-hca", true, false, 10, 0};
	struct spec_resources res = {.present = true, .rdma = &dev, .n_rdma = 1};
	struct keel_error *err = NULL;
	char *path = NULL, *r;

	need_cgroup ();
	r = rel ("rdma");
	assert_true (cgroup_create (r, NULL, &res, &path, NULL, &err) < 0);
	printf ("# %s\n", err->msg);
	if (has_controller (cgroup_unified_root (), "rdma"))
		/* No such device here: the kernel refuses the line. */
		assert_non_null (
		        strstr (err->msg, "rdma.max to \"keel-no-such-hca hca_handle=10\""));
	else
		assert_non_null (strstr (err->msg, "controller \"rdma\" is not available"));
	keel_error_release (&err);
	assert_int_equal (access (top_abs, F_OK), -1);
	free (r);
}

/* linux.resources.devices: an eBPF device filter on the cgroup, checked by
 * opening device nodes from a process inside it. */
struct dev_case {
	const char *path;
};

static int open_result (const char *dev, int flags)
{
	int fd = open (dev, flags | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close (fd);
	return 0;
}

static int devices_child (void *arg, int out)
{
	struct dev_case *c = arg;
	struct keel_error *err = NULL;

	if (cgroup_enter (c->path, getpid (), &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	report (out, "ctl_r=%d\nnull_rw=%d\nkmsg_r=%d\nkmsg_w=%d\n",
	        open_result ("/dev/loop-control", O_RDONLY), open_result ("/dev/null", O_RDWR),
	        open_result ("/dev/kmsg", O_RDONLY), open_result ("/dev/kmsg", O_WRONLY));
	return 0;
}

static void test_device_filter (void **state)
{
	struct spec_device_rule deny_all[] = {{false, 'a', -1, -1, (char *)"rwm"}};
	struct spec_device_rule some[] = {
	        {false, 'a', -1, -1, (char *)"rwm"},
	        {true, 'c', 10, 237, (char *)"r"}, /* /dev/loop-control, read only */
	        {true, 'c', 1, 11, (char *)"w"},   /* /dev/kmsg, write only */
	};
	struct spec_resources res = {.present = true, .devices = deny_all, .n_devices = 1};
	struct keel_error *err = NULL;
	struct child_report r;
	struct dev_case c;
	char *path = NULL;

	need_cgroup ();
	if (access ("/dev/loop-control", F_OK) < 0 || access ("/dev/kmsg", F_OK) < 0)
		skip_because ("needs /dev/loop-control and /dev/kmsg on the host");
	c.path = path = create_with ("devs", &res);
	run_child (devices_child, &c, &r);
	assert_true (child_ok (&r));
	assert_int_equal (atoi (report_value (&r, "ctl_r")), EPERM);
	assert_string_equal (report_value (&r, "null_rw"), "0"); /* a default device */
	assert_int_equal (atoi (report_value (&r, "kmsg_r")), EPERM);

	/* Replacing the filter: the old one must be gone, or /dev/loop-control stays
	 * denied. */
	res.devices = some;
	res.n_devices = ARRAY_SIZE (some);
	assert_int_equal (cgroup_apply_resources (path, &res, &err), 0);
	run_child (devices_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "ctl_r"), "0");
	assert_string_equal (report_value (&r, "null_rw"), "0");
	assert_int_equal (atoi (report_value (&r, "kmsg_r")), EPERM);
	assert_string_equal (report_value (&r, "kmsg_w"), "0");
	destroy (path);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_unified_root),
	        cmocka_unit_test_setup_teardown (test_lifecycle, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_kill_other_signal, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_freeze_thaw, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_relative_path_under_own_parent, setup,
	                                         teardown),
	        cmocka_unit_test_setup_teardown (test_default_path, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_bad_paths, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_missing_controller_error, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_pids, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_memory, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_memory_swap_below_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_cpu, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_cpuset, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_io, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_hugetlb, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_unified, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_unified_bad_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_unified_missing_controller, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_rdma, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_device_filter, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
