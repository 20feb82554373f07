/* init/importjob: what keelctl update's SRC is (tar headers made here,
 * byte by byte, as tar writes them), and PID 1's `import` request: every
 * refusal's exact answer, and a valid request that reaches the spawn
 * (which has no binary to exec in this test, so it says so: nothing is
 * started). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/importjob.h"
#include "lib/util.h"

static char tmpdir[64];

static int setup (void **state)
{
	(void)state;
	strcpy (tmpdir, "/tmp/ki-unit.XXXXXX");
	assert_non_null (mkdtemp (tmpdir));
	return 0;
}

static int teardown (void **state)
{
	char cmd[128];

	(void)state;
	snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal (system (cmd), 0);
	return 0;
}

/* A ustar header for NAME of SIZE bytes (type 0), its checksum right
 * unless bad_sum; the data follows as zeros. */
static void tar_member (FILE *f, const char *name, size_t size, bool bad_sum)
{
	unsigned char h[512] = {0};
	unsigned sum = 0;
	char zero[512] = {0};

	strncpy ((char *)h, name, 100);
	memcpy (h + 100, "0000644", 8);
	memcpy (h + 108, "0000000", 8);
	memcpy (h + 116, "0000000", 8);
	snprintf ((char *)h + 124, 12, "%011zo", size);
	memcpy (h + 136, "00000000000", 12);
	h[156] = '0';
	memcpy (h + 257, "ustar", 6);
	memcpy (h + 263, "00", 2);
	memset (h + 148, ' ', 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf ((char *)h + 148, 8, "%06o", sum + (bad_sum ? 1 : 0));
	assert_int_equal (fwrite (h, 1, sizeof h, f), sizeof h);
	for (size_t left = (size + 511) / 512; left > 0; left--)
		assert_int_equal (fwrite (zero, 1, sizeof zero, f), sizeof zero);
}

/* A tar at tmpdir/NAME of the given members (NULL-terminated), its end. */
static const char *tar (const char *name, bool bad_first, ...)
{
	static char path[128];
	char zero[1024] = {0};
	va_list ap;
	const char *m;
	bool first = true;
	FILE *f;

	snprintf (path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen (path, "w");
	assert_non_null (f);
	va_start (ap, bad_first);
	while ((m = va_arg (ap, const char *)) != NULL) {
		tar_member (f, m, strlen (m) * 100, first && bad_first);
		first = false;
	}
	va_end (ap);
	assert_int_equal (fwrite (zero, 1, sizeof zero, f), sizeof zero);
	assert_int_equal (fclose (f), 0);
	return path;
}

static void expect_kind (const char *src, enum import_src want)
{
	struct keel_error *err = NULL;
	enum import_src k = IMPORT_SRC_ENTRY;

	assert_int_equal (import_detect (src, &k, &err), 0);
	assert_null (err);
	assert_int_equal (k, want);
}

/* The message import_detect gives, after the path (malloc'd). */
static char *refusal (const char *src)
{
	struct keel_error *err = NULL;
	enum import_src k;
	char *m;

	assert_true (import_detect (src, &k, &err) < 0);
	m = keel_error_take (&err);
	assert_non_null (m);
	assert_true (strncmp (m, src, strlen (src)) == 0);
	memmove (m, m + strlen (src), strlen (m + strlen (src)) + 1);
	return m;
}

static void test_detect_archives (void **state)
{
	char *m;

	(void)state;
	expect_kind (tar ("d.tar", false, "abc/layer.tar", "abc.json", "manifest.json", NULL),
	             IMPORT_SRC_DOCKER);
	expect_kind (tar ("d2.tar", false, "./manifest.json", NULL), IMPORT_SRC_DOCKER);
	/* Docker 25+: an OCI layout and manifest.json; keel-import reads both */
	expect_kind (tar ("d3.tar", false, "oci-layout", "index.json", "manifest.json", NULL),
	             IMPORT_SRC_DOCKER);
	expect_kind (tar ("o.tar", false, "blobs/sha256/aa", "index.json", "oci-layout", NULL),
	             IMPORT_SRC_OCI_ARCHIVE);
	/* a name deeper than the top is not the file */
	m = refusal (tar ("n.tar", false, "x/manifest.json", "y/oci-layout", NULL));
	assert_string_equal (m, ": a tar archive with neither manifest.json (docker save) nor "
	                        "oci-layout (an OCI image layout) at its top");
	free (m);
	m = refusal (tar ("b.tar", true, "manifest.json", NULL));
	assert_string_equal (m, ": not a tar archive (header 1 at byte 0 has a bad checksum; a "
	                        "compressed archive must be uncompressed first)");
	free (m);
	{
		char p[128];
		snprintf (p, sizeof p, "%s/short", tmpdir);
		FILE *f = fopen (p, "w");
		assert_non_null (f);
		fputs ("not a tar", f);
		fclose (f);
		m = refusal (p);
		assert_string_equal (m, ": not a tar archive (shorter than one header)");
		free (m);
	}
}

static void test_detect_dirs (void **state)
{
	char p[128], f[160];
	char *m;

	(void)state;
	snprintf (p, sizeof p, "%s/layout", tmpdir);
	assert_int_equal (mkdir (p, 0755), 0);
	m = refusal (p);
	assert_string_equal (m, ": neither an OCI image layout (no oci-layout file) nor an entry "
	                        "directory (no config.json)");
	free (m);
	snprintf (f, sizeof f, "%s/config.json", p);
	assert_int_equal (close (open (f, O_CREAT | O_WRONLY, 0644)), 0);
	expect_kind (p, IMPORT_SRC_ENTRY);
	snprintf (f, sizeof f, "%s/oci-layout", p);
	assert_int_equal (close (open (f, O_CREAT | O_WRONLY, 0644)), 0);
	expect_kind (p, IMPORT_SRC_LAYOUT);
	m = refusal ("/dev/null");
	assert_string_equal (m, ": not a directory nor a regular file (an image layout, an "
	                        "archive or an entry directory)");
	free (m);
	snprintf (p, sizeof p, "%s/missing", tmpdir);
	m = refusal (p);
	assert_string_equal (m, ": No such file or directory");
	free (m);
}

/* SRC's path as the helper binds it: no link, and only root may change
 * what it names. */
static char *src_refusal (const char *path)
{
	struct keel_error *err = NULL;
	struct stat st;
	char *m;

	assert_true (import_src_check (path, &st, &err) < 0);
	m = keel_error_take (&err);
	assert_non_null (m);
	return m;
}

static void src_ok (const char *path, mode_t type)
{
	struct keel_error *err = NULL;
	struct stat st;

	if (import_src_check (path, &st, &err) < 0) {
		char *m = keel_error_take (&err);
		fail_msg ("%s refused: %s", path, m);
	}
	assert_int_equal (st.st_mode & S_IFMT, type);
}

static void test_src_path (void **state)
{
	char d[128], f[192], l[192], want[512];
	char *m;

	(void)state;
	/* tmpdir is root's, in sticky /tmp: fine */
	snprintf (d, sizeof d, "%s/img", tmpdir);
	assert_int_equal (mkdir (d, 0755), 0);
	snprintf (f, sizeof f, "%s/web.tar", d);
	assert_int_equal (close (open (f, O_CREAT | O_WRONLY, 0644)), 0);
	src_ok (f, S_IFREG);
	src_ok (d, S_IFDIR);
	/* a link anywhere on the way */
	snprintf (l, sizeof l, "%s/link", tmpdir);
	assert_int_equal (symlink ("img", l), 0);
	snprintf (f, sizeof f, "%s/link/web.tar", tmpdir);
	m = src_refusal (f);
	snprintf (want, sizeof want, "%s: `%s` is a symbolic link", f, l);
	assert_string_equal (m, want);
	free (m);
	snprintf (l, sizeof l, "%s/img/shadow", tmpdir);
	assert_int_equal (symlink ("/etc/shadow", l), 0);
	m = src_refusal (l);
	snprintf (want, sizeof want, "%s: `%s` is a symbolic link", l, l);
	assert_string_equal (m, want);
	free (m);
	/* a directory someone else can write: they could swap SRC */
	assert_int_equal (chmod (d, 0777), 0);
	snprintf (f, sizeof f, "%s/web.tar", d);
	m = src_refusal (f);
	snprintf (want, sizeof want,
	          "%s: `%s` is writable by group or others: SRC could be swapped for a link to "
	          "another file before keel binds it; keep images in directories only root can "
	          "write",
	          f, d);
	assert_string_equal (m, want);
	free (m);
	/* sticky, as /tmp: only a root-owned next component */
	assert_int_equal (chmod (d, 01777), 0);
	src_ok (f, S_IFREG);
	assert_int_equal (chown (f, 65534, 65534), 0);
	m = src_refusal (f);
	free (m);
	/* a directory of another user */
	assert_int_equal (chmod (d, 0755), 0);
	assert_int_equal (chown (d, 65534, 65534), 0);
	m = src_refusal (f);
	snprintf (want, sizeof want,
	          "%s: `%s` is owned by another user than root: SRC could be swapped for a "
	          "link to another file before keel binds it; keep images in directories only "
	          "root can write",
	          f, d);
	assert_string_equal (m, want);
	free (m);
	src_ok (d, S_IFDIR); /* its own owner does not matter, its parent's does */
	assert_int_equal (chown (d, 0, 0), 0);
	/* a device, a file on the way, a missing one */
	m = src_refusal ("/dev/null");
	assert_string_equal (m, "/dev/null: not a directory nor a regular file");
	free (m);
	snprintf (f, sizeof f, "%s/img/web.tar/x", tmpdir);
	m = src_refusal (f);
	snprintf (want, sizeof want, "%s: `%s/img/web.tar`: Not a directory", f, tmpdir);
	assert_string_equal (m, want);
	free (m);
	snprintf (f, sizeof f, "%s/nothere/x", tmpdir);
	m = src_refusal (f);
	snprintf (want, sizeof want, "%s: `%s/nothere`: No such file or directory", f, tmpdir);
	assert_string_equal (m, want);
	free (m);
	m = src_refusal ("/a/../etc/shadow");
	assert_string_equal (m, "/a/../etc/shadow: has an empty, `.` or `..` component");
	free (m);
}

/* PID 1's answer to one request line. */
static char *request (const char *line)
{
	struct init_opts o;
	struct buf b = {0};
	char *copy = xstrdup (line);
	char *w[8];
	size_t n = 0;

	init_opts_defaults (&o);
	for (char *p = strtok (copy, " "); p && n < 8; p = strtok (NULL, " "))
		w[n++] = p;
	importjob_request (&o, true, w, n, &b);
	init_opts_free (&o);
	free (copy);
	return b.p;
}

static void answer_is (const char *line, const char *want)
{
	char *got = request (line);

	assert_string_equal (got, want);
	free (got);
}

static void test_request_words (void **state)
{
	(void)state;
	answer_is ("import", "ok\njob: idle\n");
	answer_is ("import .a", "error: import: expected `import` or `import STAGE SRC SECONDS`\n");
	answer_is ("import x /tmp 10",
	           "error: import: stage \"x\": expected a name starting with a dot, at most 200 "
	           "characters\n");
	answer_is ("import ../x /tmp 10",
	           "error: import: stage \"../x\": only letters, digits and _+.- are allowed\n");
	answer_is ("import .. /tmp 10", "error: import: stage \"..\": reserved name\n");
	answer_is ("import .deploy /tmp 10", "error: import: stage \".deploy\": reserved name\n");
	answer_is ("import .a tmp 10", "error: import: SRC \"tmp\": not an absolute path\n");
	answer_is ("import .a / 10", "error: import: SRC \"/\": is /\n");
	answer_is ("import .a /x/../etc 10",
	           "error: import: SRC \"/x/../etc\": has an empty, `.` or `..` component\n");
	answer_is ("import .a /x//y 10",
	           "error: import: SRC \"/x//y\": has an empty, `.` or `..` component\n");
	answer_is ("import .a /x/./y 10",
	           "error: import: SRC \"/x/./y\": has an empty, `.` or `..` component\n");
	answer_is ("import .a /x/ 10", "error: import: SRC \"/x/\": ends with /\n");
	answer_is ("import .a /x\x01y 10",
	           "error: import: SRC \"/x\x01y\": has a control character\n");
	answer_is ("import .a /x 0", "error: import: \"0\": expected 1 to 86400 seconds\n");
	answer_is ("import .a /x 86401", "error: import: \"86401\": expected 1 to 86400 seconds\n");
	answer_is ("import .a /x ten", "error: import: \"ten\": expected 1 to 86400 seconds\n");
	/* Valid words reach the spawn, which has no binary here. */
	answer_is ("import .web.import.abc123 /media/web.tar 600",
	           "error: import: keel's own binary cannot be exec'd for a helper\n");
	answer_is ("import", "ok\njob: idle\n");
}

static void write_str (const char *path, const char *s)
{
	int fd = open (path, O_WRONLY | O_CLOEXEC);

	assert_true (fd >= 0);
	assert_int_equal (write (fd, s, strlen (s)), (ssize_t)strlen (s));
	close (fd);
}

/* 'R', 'S', 'D', 'Z'... of /proc/PID/stat (after the last ')'). */
static char proc_state (pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open (path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read (fd, buf, sizeof buf - 1);
	close (fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr (buf, ')');
	return p && p[1] ? p[2] : '?';
}

/* valgrind 3.19 knows no pidfd_open (434): the tests that need one skip
 * there, before they make anything. */
static void need_pidfd (void)
{
	int fd = (int)syscall (SYS_pidfd_open, getpid (), 0);

	if (fd < 0 && errno == ENOSYS) {
		print_message ("no pidfd_open here (valgrind?)\n");
		skip ();
	}
	if (fd >= 0)
		close (fd);
}

static pid_t child_pausing (int *pidfd)
{
	pid_t pid = fork ();

	assert_true (pid >= 0);
	if (pid == 0) {
		for (;;)
			pause ();
	}
	*pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
	assert_true (*pidfd >= 0);
	return pid;
}

/* A helper that ends on SIGKILL: killed at its deadline, then idle. */
static void test_job_deadline_kill (void **state)
{
	int pidfd, status;
	pid_t pid;

	need_pidfd ();
	pid = child_pausing (&pidfd);

	(void)state;
	importjob_track (pid, pidfd, 5000);
	assert_true (importjob_running (4999));
	assert_true (importjob_running (5000)); /* SIGKILL sent */
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
	assert_false (importjob_running (5001));
	answer_is ("import", "ok\njob: idle\n");
}

/* What test_job_stuck_given_up made, undone by its teardown even when an
 * assertion failed: a frozen child would otherwise hold the test's pipes
 * open for good. */
static char stuck_dir[128];
static pid_t stuck_pid;

static int teardown_stuck (void **state)
{
	char file[192];
	int fd;

	(void)state;
	if (stuck_dir[0] == '\0')
		return 0;
	snprintf (file, sizeof file, "%s/freezer.state", stuck_dir);
	fd = open (file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write (fd, "THAWED", 6);
		close (fd);
	}
	if (stuck_pid > 0) {
		kill (stuck_pid, SIGKILL);
		while (waitpid (stuck_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 100 && rmdir (stuck_dir) < 0 && errno == EBUSY; i++)
		usleep (10000);
	stuck_dir[0] = '\0';
	stuck_pid = 0;
	return 0;
}

/* A helper the kernel holds: a task in a frozen v1 freezer cgroup does not
 * die of SIGKILL until thawed (as one in D state on a hung FUSE mount).
 * PID 1 gives up on it after the grace and a later import is no longer
 * refused; it is reaped once it ends. */
static void test_job_stuck_given_up (void **state)
{
	char *dir = stuck_dir, file[192], buf[32] = "", want[128];
	int pidfd, status, fd;
	struct timespec ts;
	uint64_t dl;
	pid_t pid;

	(void)state;
	need_pidfd ();
	if (geteuid () != 0 || access ("/sys/fs/cgroup/freezer/cgroup.procs", W_OK) < 0) {
		printf ("# skipped: needs root and the cgroup v1 freezer at "
		        "/sys/fs/cgroup/freezer\n");
		skip ();
	}
	snprintf (stuck_dir, sizeof stuck_dir, "/sys/fs/cgroup/freezer/kc2-importjob-%d",
	          (int)getpid ());
	assert_int_equal (mkdir (dir, 0755), 0);
	pid = stuck_pid = child_pausing (&pidfd);
	snprintf (file, sizeof file, "%s/cgroup.procs", dir);
	snprintf (buf, sizeof buf, "%d", (int)pid);
	write_str (file, buf);
	snprintf (file, sizeof file, "%s/freezer.state", dir);
	write_str (file, "FROZEN");
	for (int i = 0; i < 500; i++) {
		fd = open (file, O_RDONLY | O_CLOEXEC);
		assert_true (fd >= 0);
		memset (buf, 0, sizeof buf);
		assert_true (read (fd, buf, sizeof buf - 1) > 0);
		close (fd);
		if (strncmp (buf, "FROZEN", 6) == 0)
			break;
		usleep (10000);
	}
	assert_string_equal (buf, "FROZEN\n");

	/* the deadline an hour from now (CLOCK_MONOTONIC, as PID 1's): the
	 * requests below, at the real time, see the job running */
	clock_gettime (CLOCK_MONOTONIC, &ts);
	dl = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 3600000;
	importjob_track (pid, pidfd, dl);
	snprintf (want, sizeof want, "error: import: a job is running (pid %d): one at a time\n",
	          (int)pid);
	answer_is ("import .web.import.abc123 /media/web.tar 600", want);
	assert_true (importjob_running (dl)); /* SIGKILL sent: held by the freezer */
	usleep (200000);
	assert_true (proc_state (pid) != 'Z' && proc_state (pid) != '?');
	assert_true (importjob_running (dl + IMPORTJOB_KILL_GRACE_MS - 1));
	assert_false (importjob_running (dl + IMPORTJOB_KILL_GRACE_MS)); /* given up */
	answer_is ("import", "ok\njob: idle\n");
	/* the next import is not refused with "a job is running": it reaches
	 * the spawn, which has no binary here */
	answer_is ("import .web.import.abc123 /media/web.tar 600",
	           "error: import: keel's own binary cannot be exec'd for a helper\n");

	write_str (file, "THAWED");
	assert_int_equal (waitpid (pid, &status, 0), pid);
	stuck_pid = 0;
	assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
	assert_int_equal (rmdir (dir), 0);
	stuck_dir[0] = '\0';
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_detect_archives, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_detect_dirs, setup, teardown),
	        cmocka_unit_test (test_request_words),
	        cmocka_unit_test_setup_teardown (test_src_path, setup, teardown),
	        cmocka_unit_test (test_job_deadline_kill),
	        cmocka_unit_test_teardown (test_job_stuck_given_up, teardown_stuck),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
