/* devices_create into a real tmpfs "rootfs" (mounted by setup, lazily
 * unmounted with everything below it by teardown). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/devices.h"
#include "runtime/terminal.h"
#include "tests/unit/linux-helpers.h"

static char root[64];
static bool mounted;

static int setup (void **state)
{
	snprintf (root, sizeof root, "/tmp/keel-devices-XXXXXX");
	if (mkdtemp (root) == NULL)
		return -1;
	mounted = geteuid () == 0 && mount ("tmpfs", root, "tmpfs", 0, "mode=0755") == 0;
	return 0;
}

static int teardown (void **state)
{
	if (mounted && umount2 (root, MNT_DETACH) < 0)
		return -1;
	mounted = false;
	return rmdir (root);
}

#define need_rootfs()                                               \
	do {                                                        \
		need_root ();                                       \
		if (!mounted)                                       \
			skip_because ("cannot mount a tmpfs here"); \
	} while (0)

static void assert_node (const char *rel, mode_t type, unsigned maj, unsigned min, mode_t mode,
                         uid_t uid, gid_t gid)
{
	char *p = xasprintf ("%s%s", root, rel);
	struct stat st;

	if (lstat (p, &st) < 0)
		printf ("# lstat %s: %s\n", p, strerror (errno));
	assert_int_equal (lstat (p, &st), 0);
	assert_int_equal (st.st_mode & S_IFMT, type);
	if (type != S_IFIFO) {
		assert_int_equal (major (st.st_rdev), maj);
		assert_int_equal (minor (st.st_rdev), min);
	}
	assert_int_equal (st.st_mode & 07777, mode);
	assert_int_equal (st.st_uid, uid);
	assert_int_equal (st.st_gid, gid);
	free (p);
}

static void assert_link (const char *rel, const char *target)
{
	char *p = xasprintf ("%s%s", root, rel), buf[256];
	ssize_t n = readlink (p, buf, sizeof buf - 1);

	assert_true (n > 0);
	buf[n] = '\0';
	assert_string_equal (buf, target);
	free (p);
}

/* The six nodes every container gets, 0666 root:root (runc's list). */
static void assert_default_nodes (void)
{
	assert_node ("/dev/null", S_IFCHR, 1, 3, 0666, 0, 0);
	assert_node ("/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0);
	assert_node ("/dev/full", S_IFCHR, 1, 7, 0666, 0, 0);
	assert_node ("/dev/random", S_IFCHR, 1, 8, 0666, 0, 0);
	assert_node ("/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0);
	assert_node ("/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0);
}

static void test_defaults (void **state)
{
	struct keel_error *err = NULL;
	struct spec s = {0};
	mode_t old;

	need_rootfs ();
	old = umask (077); /* the modes must not depend on the caller's umask */
	assert_int_equal (devices_create (&s, root, false, &err), 0);
	/* ... and the caller's umask is left as it was. */
	assert_int_equal (umask (old), 077);
	assert_default_nodes ();
	assert_link ("/dev/ptmx", "pts/ptmx");
	assert_link ("/dev/fd", "/proc/self/fd");
	assert_link ("/dev/stdin", "/proc/self/fd/0");
	assert_link ("/dev/stdout", "/proc/self/fd/1");
	assert_link ("/dev/stderr", "/proc/self/fd/2");
	assert_link ("/dev/core", "/proc/kcore");
	/* The nodes work: /dev/zero reads zeros. */
	{
		char *p = xasprintf ("%s/dev/zero", root), c = 1;
		int fd = open (p, O_RDONLY | O_CLOEXEC);
		assert_true (fd >= 0);
		assert_int_equal (read (fd, &c, 1), 1);
		assert_int_equal (c, 0);
		close (fd);
		free (p);
	}
}

/* A /dev that is setgid to another group: mknodat alone gives the nodes
 * that group, so none of the chowns may be left out (make_defaults
 * leaves them out only when the first node came out exact). */
static void test_defaults_setgid_dev (void **state)
{
	struct keel_error *err = NULL;
	struct spec s = {0};
	char *dev;

	need_rootfs ();
	dev = xasprintf ("%s/dev", root);
	assert_int_equal (mkdir (dev, 0755), 0);
	assert_int_equal (chown (dev, 0, 4321), 0);
	assert_int_equal (chmod (dev, 02755), 0);
	free (dev);
	assert_int_equal (devices_create (&s, root, false, &err), 0);
	assert_default_nodes ();
}

static void test_config_devices (void **state)
{
	struct spec_device d[] = {
	        {.path = (char *)"/dev/fuse",
	         .type = 'c',
	         .major = 10,
	         .minor = 229,
	         .has_file_mode = true,
	         .file_mode = 0600,
	         .has_uid = true,
	         .uid = 1,
	         .has_gid = true,
	         .gid = 2},
	        {.path = (char *)"/dev/deep/er/loop7", .type = 'b', .major = 7, .minor = 7},
	        {.path = (char *)"/dev/myfifo",
	         .type = 'p',
	         .has_file_mode = true,
	         .file_mode = 0640},
	        /* Outside /dev, as runc and crun allow. */
	        {.path = (char *)"/foo/null", .type = 'c', .major = 1, .minor = 3},
	        /* Overrides the default /dev/null's mode and owner. */
	        {.path = (char *)"/dev/null",
	         .type = 'c',
	         .major = 1,
	         .minor = 3,
	         .has_file_mode = true,
	         .file_mode = 0620,
	         .has_gid = true,
	         .gid = 5},
	};
	struct spec s = {.linux_ = {.devices = d, .n_devices = ARRAY_SIZE (d)}};
	struct keel_error *err = NULL;

	need_rootfs ();
	assert_int_equal (devices_create (&s, root, false, &err), 0);
	assert_node ("/dev/fuse", S_IFCHR, 10, 229, 0600, 1, 2);
	assert_node ("/dev/deep/er/loop7", S_IFBLK, 7, 7, 0666, 0, 0);
	assert_node ("/dev/myfifo", S_IFIFO, 0, 0, 0640, 0, 0);
	assert_node ("/dev/null", S_IFCHR, 1, 3, 0620, 0, 5);
	assert_node ("/foo/null", S_IFCHR, 1, 3, 0666, 0, 0);
	/* Running it again (a node already there) replaces, not fails. */
	assert_int_equal (devices_create (&s, root, false, &err), 0);
	assert_node ("/dev/fuse", S_IFCHR, 10, 229, 0600, 1, 2);
}

static void test_rejects_bad_paths (void **state)
{
	static const char *const bad[] = {"/dev/../etc/evil", "relative/dev"};
	struct keel_error *err = NULL;

	need_rootfs ();
	for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
		struct spec_device d = {
		        .path = (char *)bad[i], .type = 'c', .major = 1, .minor = 3};
		struct spec s = {.linux_ = {.devices = &d, .n_devices = 1}};

		assert_true (devices_create (&s, root, false, &err) < 0);
		printf ("# %s -> %s\n", bad[i], err->msg);
		assert_non_null (strstr (err->msg, "linux.devices[0]"));
		keel_error_release (&err);
	}
}

/* A symlinked /dev in the image pointing outside the rootfs (absolute, or
 * with ".." past the top) still resolves inside it. */
static void test_symlink_stays_inside (void **state)
{
	char outside[] = "/tmp/keel-devices-outside-XXXXXX";
	struct keel_error *err = NULL;
	struct spec s = {0};
	char *link, *target, *inside, *escaped;

	need_rootfs ();
	assert_non_null (mkdtemp (outside));
	link = xasprintf ("%s/dev", root);
	target = xasprintf ("../../../../../../..%s", outside);
	assert_int_equal (symlink (target, link), 0);
	escaped = xasprintf ("%s/null", outside);
	/* Dangling inside the rootfs: an error, and nothing outside. */
	assert_true (devices_create (&s, root, false, &err) < 0);
	printf ("# dangling: %s\n", err->msg);
	keel_error_release (&err);
	assert_int_equal (access (escaped, F_OK), -1);
	/* Once the target exists inside the rootfs, the nodes go there. */
	inside = xasprintf ("%s%s", root, outside);
	assert_int_equal (mkdir_p (inside, 0755, &err), 0);
	free (inside);
	inside = xasprintf ("%s%s/null", root, outside);
	assert_int_equal (devices_create (&s, root, false, &err), 0);
	assert_int_equal (access (escaped, F_OK), -1);
	assert_int_equal (access (inside, F_OK), 0);
	assert_int_equal (rmdir (outside), 0);
	free (link);
	free (target);
	free (inside);
	free (escaped);
}

static int userns_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	struct spec s = {0};
	struct stat st;
	char *p;

	/* A private mount namespace so the bind mounts die with the child. */
	if (unshare (CLONE_NEWNS) < 0 ||
	    mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		report (out, "skip: private mount namespace: %s\n", strerror (errno));
		return 0;
	}
	if (devices_create (&s, root, true, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	p = xasprintf ("%s/dev/null", root);
	if (stat (p, &st) < 0)
		return 2;
	report (out, "null=%u:%u\n", major (st.st_rdev), minor (st.st_rdev));
	free (p);
	p = xasprintf ("%s/dev/urandom", root);
	if (stat (p, &st) < 0)
		return 3;
	report (out, "urandom=%u:%u\n", major (st.st_rdev), minor (st.st_rdev));
	free (p);
	return 0;
}

static void test_bind_from_host (void **state)
{
	struct child_report r;

	need_rootfs ();
	run_child (userns_child, NULL, &r);
	if (report_value (&r, "skip"))
		skip_because ("%s", report_value (&r, "skip"));
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "null"), "1:3");
	assert_string_equal (report_value (&r, "urandom"), "1:9");
}

/* linux.devices in a new user namespace: the node the parent made, with
 * the mapped owner and the exact mode, attached where the entry says. */
static int prepared_child (void *arg, int out)
{
	struct spec_device d = {.path = (char *)"/dev/made",
	                        .type = 'c',
	                        .major = 1,
	                        .minor = 5,
	                        .has_file_mode = true,
	                        .file_mode = 0640,
	                        .has_uid = true,
	                        .uid = 1000,
	                        .has_gid = true,
	                        .gid = 2000};
	struct spec_idmapping map = {.container_id = 0, .host_id = 100000, .size = 65536};
	struct spec s = {.linux_ = {.devices = &d,
	                            .n_devices = 1,
	                            .uid_mappings = &map,
	                            .n_uid_mappings = 1,
	                            .gid_mappings = &map,
	                            .n_gid_mappings = 1}};
	struct keel_error *err = NULL;
	int *trees = NULL;
	struct stat st;
	char *p;

	if (unshare (CLONE_NEWNS) < 0 ||
	    mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		report (out, "skip: %s\n", strerror (errno));
		return 0;
	}
	if (devices_prepare_userns (&s, &trees, &err) < 0) {
		report (out, "skip: %s\n", err->msg);
		keel_error_release (&err);
		return 0;
	}
	if (devices_create_with (&s, root, true, trees, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	devices_trees_close (trees, s.linux_.n_devices);
	p = xasprintf ("%s/dev/made", root);
	if (stat (p, &st) < 0)
		return 2;
	report (out, "node=%u:%u %o %u:%u\n", major (st.st_rdev), minor (st.st_rdev),
	        st.st_mode & 07777, st.st_uid, st.st_gid);
	free (p);
	/* Unmapped owners are refused before anything is made. */
	d.uid = 70000;
	if (devices_prepare_userns (&s, &trees, &err) == 0)
		return 3;
	report (out, "unmapped=%s\n", err->msg);
	keel_error_release (&err);
	return 0;
}

static void test_prepared_for_userns (void **state)
{
	struct child_report r;

	need_rootfs ();
	run_child (prepared_child, NULL, &r);
	if (report_value (&r, "skip"))
		skip_because ("%s", report_value (&r, "skip"));
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "node"), "1:5 640 101000:102000");
	assert_non_null (strstr (report_value (&r, "unmapped"), "not mapped"));
}

static int console_child (void *arg, int out)
{
	struct keel_error *err = NULL;
	cleanup_free char *slave_path = NULL;
	char *p;
	struct stat a, b;
	int m, s;

	if (unshare (CLONE_NEWNS) < 0 ||
	    mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		report (out, "skip: %s\n", strerror (errno));
		return 0;
	}
	if (terminal_open_pty (NULL, &m, &s, &err) < 0 ||
	    terminal_slave_path (m, &slave_path, &err) < 0 ||
	    devices_bind_console (root, s, &err) < 0) {
		/* valgrind 3.19 does not know open_tree (syscall 428). */
		if (err != NULL && err->status == ENOSYS) {
			report (out, "skip: open_tree: %s\n", strerror (ENOSYS));
			keel_error_release (&err);
			return 0;
		}
		report_error (out, &err);
		return 1;
	}
	p = xasprintf ("%s/dev/console", root);
	if (stat (p, &a) < 0 || fstat (s, &b) < 0)
		return 2;
	report (out, "same=%d\n", a.st_rdev == b.st_rdev);
	free (p);
	return 0;
}

static void test_bind_console (void **state)
{
	struct child_report r;

	need_rootfs ();
	if (access ("/dev/ptmx", R_OK | W_OK) < 0)
		skip_because ("/dev/ptmx is not usable here");
	run_child (console_child, NULL, &r);
	if (report_value (&r, "skip"))
		skip_because ("private mount namespace: %s", report_value (&r, "skip"));
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "same"), "1");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_defaults, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_defaults_setgid_dev, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_config_devices, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_rejects_bad_paths, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_symlink_stays_inside, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_bind_from_host, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_prepared_for_userns, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_bind_console, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
