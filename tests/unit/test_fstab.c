/* fstab(5) lines as keel reads them (init/fstab.c): the fields, escapes,
 * tags, keel's options, what is skipped, and the exact message (file and
 * line number) of each kind of bad line; and keel.json's "mounts". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "init/fstab.h"
#include "init/policy.h"
#include "lib/util.h"

#define F "/etc/fstab"

static size_t parse (struct fstab *t, const char *text)
{
	memset (t, 0, sizeof (*t));
	return fstab_parse (t, F, text, strlen (text));
}

static void test_fields (void **state)
{
	static const char text[] =
	        "# /etc/fstab: static file system information\n"
	        "\n"
	        "   # an indented comment\n"
	        "LABEL=keeldata  /var/lib/data  ext4  rw,noatime,x-keel.wait=20s  0  2\n"
	        "UUID=3e6be9de-8139-11d1-9106-a43f08d823a6\t/srv\tauto\tdefaults\r\n"
	        "PARTUUID=98a81274-01 /boot vfat ro\n"
	        "PARTLABEL=\"my\\040data\" /mnt/part xfs nofail,x-systemd.device-timeout=500ms 0 "
	        "0\n"
	        "/dev/vdc /mnt/with\\040space/ ext4\n"
	        "tmpfs /run/scratch tmpfs size=1m,mode=0700 0 0";
	struct fstab t;
	(void)state;

	assert_int_equal (parse (&t, text), 0);
	assert_int_equal (t.n, 6);

	assert_string_equal (t.v[0].source, "LABEL=keeldata");
	assert_int_equal (t.v[0].tag, FSTAB_LABEL);
	assert_string_equal (t.v[0].tag_value, "keeldata");
	assert_string_equal (t.v[0].target, "/var/lib/data");
	assert_string_equal (t.v[0].fstype, "ext4");
	assert_string_equal (t.v[0].options, "rw,noatime,x-keel.wait=20s");
	assert_int_equal (t.v[0].wait_ms, 20000);
	assert_false (t.v[0].nofail);
	assert_int_equal (t.v[0].line, 4);
	assert_string_equal (t.v[0].file, F);

	/* tabs, a CR before the newline, no dump/pass; default wait */
	assert_int_equal (t.v[1].tag, FSTAB_UUID);
	assert_string_equal (t.v[1].tag_value, "3e6be9de-8139-11d1-9106-a43f08d823a6");
	assert_string_equal (t.v[1].fstype, "auto");
	assert_int_equal (t.v[1].wait_ms, FSTAB_DEFAULT_WAIT_MS);
	assert_string_equal (fstab_tag_name (t.v[1].tag), "UUID");

	assert_int_equal (t.v[2].tag, FSTAB_PARTUUID);
	assert_string_equal (t.v[2].tag_value, "98a81274-01");

	/* quotes around a tag's value are fstab's; the systemd spelling of
	 * the wait is taken too */
	assert_int_equal (t.v[3].tag, FSTAB_PARTLABEL);
	assert_string_equal (t.v[3].tag_value, "my data");
	assert_true (t.v[3].nofail);
	assert_int_equal (t.v[3].wait_ms, 500);

	/* \040 is a space; the trailing '/' is dropped; 3 fields are enough */
	assert_int_equal (t.v[4].tag, FSTAB_PATH);
	assert_string_equal (t.v[4].target, "/mnt/with space");
	assert_string_equal (t.v[4].options, "defaults");
	assert_null (fstab_tag_name (t.v[4].tag));

	/* not a path: nothing to wait for; the last line has no newline */
	assert_int_equal (t.v[5].tag, FSTAB_NAME);
	assert_string_equal (t.v[5].options, "size=1m,mode=0700");

	assert_ptr_equal (fstab_find (&t, "/srv"), &t.v[1]);
	assert_null (fstab_find (&t, "/srv/x"));
	fstab_free (&t);
}

static void test_skipped (void **state)
{
	static const char text[] = "/dev/vda / ext4 rw 0 1\n"
	                           "/dev/vdb none swap sw 0 0\n"
	                           "/dev/vdb2 swap swap defaults\n"
	                           "/dev/vdc /mnt/later ext4 noauto\n"
	                           "/dev/vdd /mnt/now ext4 noauto,auto\n";
	struct fstab t;
	(void)state;

	assert_int_equal (parse (&t, text), 0);
	assert_int_equal (t.n, 1);
	assert_int_equal (t.n_skipped, 4);
	assert_string_equal (t.v[0].target, "/mnt/now");
	fstab_free (&t);
}

static void test_wait (void **state)
{
	unsigned ms = 1;
	bool forever = true;
	(void)state;

	assert_int_equal (fstab_parse_wait ("30", &ms, &forever), 0);
	assert_int_equal (ms, 30000);
	assert_false (forever);
	assert_int_equal (fstab_parse_wait ("2min", &ms, &forever), 0);
	assert_int_equal (ms, 120000);
	assert_int_equal (fstab_parse_wait ("1h", &ms, &forever), 0);
	assert_int_equal (ms, 3600000);
	assert_int_equal (fstab_parse_wait ("250ms", &ms, &forever), 0);
	assert_int_equal (ms, 250);
	assert_int_equal (fstab_parse_wait ("infinity", &ms, &forever), 0);
	assert_true (forever);
	assert_int_equal (fstab_parse_wait ("0", &ms, &forever), 0);
	assert_true (forever);
	assert_int_equal (fstab_parse_wait ("24h", &ms, &forever), 0);
	assert_int_equal (fstab_parse_wait ("25h", &ms, &forever), -1);
	assert_int_equal (fstab_parse_wait ("99999999999999999999", &ms, &forever), -1);
	assert_int_equal (fstab_parse_wait ("", &ms, &forever), -1);
	assert_int_equal (fstab_parse_wait ("5 s", &ms, &forever), -1);
	assert_int_equal (fstab_parse_wait ("-1", &ms, &forever), -1);
	assert_int_equal (fstab_parse_wait ("3d", &ms, &forever), -1);
}

/* One bad line each: the message, with its line number; the good lines
 * around it are kept. */
static void test_bad_lines (void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
	        {"/dev/vdb", "expected at least 3 fields (device, mount point, type), got 1"},
	        {"/dev/vdb /a ext4 rw 0 0 extra",
	         "more than 6 fields (a space in a path is \\040)"},
	        {"/dev/vdb /a\\04 ext4",
	         "mount point: a backslash must start an octal escape like \\040 (a space)"},
	        {"/dev/vdb /a\\x41 ext4",
	         "mount point: a backslash must start an octal escape like \\040 (a space)"},
	        {"/dev/vdb /a\\000b ext4", "mount point: \\000 is not allowed"},
	        {"/dev/vdb /a\\400 ext4",
	         "mount point: a backslash must start an octal escape like \\040 (a space)"},
	        {"/dev/vdb relative ext4", "the mount point must be an absolute path"},
	        {"/dev/vdb /a/../etc ext4", "the mount point must not contain \".\" or \"..\""},
	        {"/dev/vdb /a/./b ext4", "the mount point must not contain \".\" or \"..\""},
	        {"/dev/vdb /a//b ext4", "the mount point must not contain \"//\""},
	        {"/dev/vdb /a\\011b ext4", "the mount point contains a control character"},
	        {"LABEL= /a ext4", "empty value after the tag (LABEL=, UUID=...)"},
	        {"UUID=\"\" /a ext4", "empty value after the tag (LABEL=, UUID=...)"},
	        {"LABEL=\"x /a ext4", "unbalanced quote in the device's tag"},
	        {"ID=abc /a ext4",
	         "unknown tag: expected a path, LABEL=, UUID=, PARTUUID= or PARTLABEL="},
	        {"/dev/vdb /a EXT4", "type \"EXT4\" is not a file system type name"},
	        {"/dev/vdb /a ext4 x-keel.wait=soon",
	         "x-keel.wait= expects a duration like 30s, 500ms, 2min or infinity (at most 24h)"},
	        {"/dev/vdb /a ext4 x-keel.wait",
	         "x-keel.wait= expects a duration like 30s, 500ms, 2min or infinity (at most 24h)"},
	        {"/dev/vdb /a ext4 x-keel.wait=1s,x-systemd.device-timeout=2s",
	         "the device's wait is given twice (x-keel.wait=, x-systemd.device-timeout=)"},
	        {"/dev/vdb /a ext4 x-keel.wiat=1s",
	         "unknown x-keel. option: only x-keel.wait= and x-keel.containers are known"},
	        {"/dev/vdb /a ext4 x-keel.containers=yes",
	         "x-keel.containers takes no value (containers.d is MOUNT-POINT/containers.d)"},
	        {"/dev/vdb /a ext4 noauto,x-keel.containers",
	         "x-keel.containers: the store is mounted at boot, on a mount point of its own "
	         "(not noauto, not /)"},
	        {"/dev/vdb / ext4 x-keel.containers",
	         "x-keel.containers: the store is mounted at boot, on a mount point of its own "
	         "(not noauto, not /)"},
	        {"/dev/vdb /a ext4 rw,\"unbalanced",
	         "the options do not parse (an unbalanced quote?)"},
	        {"/dev/vdb /a ext4 rw x", "dump (field 5) must be a number, got \"x\""},
	        {"/dev/vdb /a ext4 rw 0 -1", "pass (field 6) must be a number, got \"-1\""},
	        {"/dev/vdb /good ext4", "/good is mounted twice (first at /etc/fstab:1)"},
	        {"/dev/vdb /good/ ext4", "/good is mounted twice (first at /etc/fstab:1)"},
	};
	size_t k;
	(void)state;

	for (k = 0; k < sizeof (cases) / sizeof (cases[0]); k++) {
		cleanup_free char *text = xasprintf (
		        "/dev/vda /good ext4\n# comment\n%s\n/dev/vde /after xfs\n", cases[k].line);
		cleanup_free char *want = xasprintf (F ":3: %s", cases[k].msg);
		struct fstab t;

		if (parse (&t, text) != 1 || strcmp (t.errors[0], want) != 0) {
			print_error ("line \"%s\": got \"%s\", want \"%s\"\n", cases[k].line,
			             t.n_errors ? t.errors[0] : "(no error)", want);
			fail ();
		}
		assert_int_equal (t.n, 2);
		assert_string_equal (t.v[1].target, "/after");
		assert_int_equal (t.v[1].line, 4);
		fstab_free (&t);
	}
}

/* The store's line (init/store.h): found by fstab_store, one only. */
static void test_store_mark (void **state)
{
	struct fstab t;
	(void)state;

	assert_int_equal (parse (&t, "/dev/vda /a ext4\n"), 0);
	assert_null (fstab_store (&t));
	fstab_free (&t);
	assert_int_equal (parse (&t, "/dev/vda /a ext4\nLABEL=st /var/lib/keel ext4 "
	                             "rw,x-keel.containers,x-keel.wait=5s\n"
	                             "/dev/vdc /b ext4 x-keel.containers\n"),
	                  1);
	assert_string_equal (t.errors[0],
	                     F ":3: x-keel.containers is given twice (first at " F ":2)");
	assert_non_null (fstab_store (&t));
	assert_string_equal (fstab_store (&t)->target, "/var/lib/keel");
	assert_int_equal (fstab_store (&t)->wait_ms, 5000);
	assert_false (t.v[0].containers);
	fstab_free (&t);
}

static void test_bytes (void **state)
{
	static const char nul[] = "/dev/vdb /a ext4\0 rw\n/dev/vdc /b ext4\n";
	cleanup_free char *longline = xmalloc0 (FSTAB_MAX_LINE + 100);
	struct fstab t = {0};
	(void)state;

	/* a NUL byte is refused, not read as the end of the line */
	assert_int_equal (fstab_parse (&t, F, nul, sizeof nul - 1), 1);
	assert_string_equal (t.errors[0], F ":1: a NUL byte in the line");
	assert_int_equal (t.n, 1);
	assert_string_equal (t.v[0].target, "/b");
	fstab_free (&t);

	memset (longline, 'a', FSTAB_MAX_LINE + 1);
	longline[0] = '/';
	assert_int_equal (parse (&t, longline), 1);
	assert_string_equal (t.errors[0], F ":1: longer than 4096 characters");
	fstab_free (&t);

	/* empty text, only blanks */
	assert_int_equal (parse (&t, ""), 0);
	assert_int_equal (t.n, 0);
	assert_int_equal (parse (&t, " \t\n\n\r\n"), 0);
	assert_int_equal (t.n, 0);
	fstab_free (&t);
}

static void test_two_files_and_parents (void **state)
{
	struct fstab t = {0};
	(void)state;

	static const char etc[] = "/dev/vdb /data ext4\n";
	static const char keel[] = "/dev/vdc /data/sub ext4\n/dev/vdd /data ext4\n"
	                           "/dev/vde /data/sub/deeper ext4\n/dev/vdf /database ext4\n";

	assert_int_equal (fstab_parse (&t, "/etc/fstab", etc, sizeof etc - 1), 0);
	assert_int_equal (fstab_parse (&t, "/etc/keel/fstab", keel, sizeof keel - 1), 1);
	assert_string_equal (t.errors[0], "/etc/keel/fstab:2: /data is mounted twice (first at "
	                                  "/etc/fstab:1)");
	assert_int_equal (t.n, 4);
	assert_string_equal (t.v[1].file, "/etc/keel/fstab");
	assert_ptr_equal (fstab_parent (&t, &t.v[1]), &t.v[0]);
	assert_ptr_equal (fstab_parent (&t, &t.v[2]), &t.v[1]); /* the nearest */
	assert_null (fstab_parent (&t, &t.v[3]));               /* /database is not inside /data */
	assert_null (fstab_parent (&t, &t.v[0]));
	fstab_free (&t);
}

static void test_too_many (void **state)
{
	struct fstab t = {0};
	size_t k;
	(void)state;

	for (k = 0; k <= FSTAB_MAX_ENTRIES; k++) {
		cleanup_free char *l = xasprintf ("tmpfs /m/%zu tmpfs\n", k);
		fstab_parse (&t, F, l, strlen (l));
	}
	assert_int_equal (t.n, FSTAB_MAX_ENTRIES);
	assert_int_equal (t.n_errors, 1);
	assert_string_equal (t.errors[0], F ":1: more than 256 mounts");
	fstab_free (&t);
}

static void test_read (void **state)
{
	char dir[] = "/tmp/kfs-fstab.XXXXXX";
	cleanup_free char *path = NULL;
	struct keel_error *err = NULL;
	struct fstab t = {0};
	FILE *f;
	(void)state;

	assert_non_null (mkdtemp (dir));
	path = xasprintf ("%s/fstab", dir);
	/* a missing file is an empty one */
	assert_int_equal (fstab_read (&t, path, &err), 0);
	assert_int_equal (t.n, 0);
	f = fopen (path, "w");
	assert_non_null (f);
	fputs ("LABEL=x /x ext4\nbad\n", f);
	fclose (f);
	assert_int_equal (fstab_read (&t, path, &err), 0);
	assert_int_equal (t.n, 1);
	assert_int_equal (t.n_errors, 1);
	assert_true (strncmp (t.errors[0], path, strlen (path)) == 0);
	assert_string_equal (t.errors[0] + strlen (path),
	                     ":2: expected at least 3 fields (device, mount point, type), got 1");
	fstab_free (&t);
	unlink (path);
	/* a directory is not a file to read */
	assert_int_equal (fstab_read (&t, dir, &err), -1);
	assert_non_null (err);
	keel_error_release (&err);
	rmdir (dir);
}

#define P "containers.d/app/keel.json"

static void test_policy_mounts (void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
	        {"{\"mounts\": \"/data\"}",
	         P ": mounts: expected an array of mount points, got \"/data\""},
	        {"{\"mounts\": [\"data\"]}", NULL},
	        {"{\"mounts\": [\"/data/\"]}", NULL},
	        {"{\"mounts\": [\"/\"]}", NULL},
	        {"{\"mounts\": [\"/a/../b\"]}", NULL},
	        {"{\"mounts\": [\"/a//b\"]}", NULL},
	        {"{\"mounts\": [\"/a/.\"]}", NULL},
	        {"{\"mounts\": [1]}", NULL},
	        {"{\"mounts\": [\"/a\", \"/a\"]}", P ": mounts[1]: \"/a\" is listed twice"},
	};
	struct policy p;
	struct keel_error *err = NULL;
	size_t k;
	(void)state;

	static const char good[] = "{\"mounts\": [\"/var/lib/data\", \"/srv/a b\"]}";

	assert_int_equal (policy_parse (P, good, sizeof good - 1, &p, &err), 0);
	assert_int_equal (p.mounts.n, 2);
	assert_string_equal (p.mounts.v[0], "/var/lib/data");
	assert_string_equal (p.mounts.v[1], "/srv/a b");
	policy_free (&p);

	for (k = 0; k < sizeof (bad) / sizeof (bad[0]); k++) {
		assert_int_equal (policy_parse (P, bad[k].json, strlen (bad[k].json), &p, &err),
		                  -1);
		if (bad[k].msg)
			assert_string_equal (err->msg, bad[k].msg);
		else
			assert_non_null (strstr (err->msg, "mounts[0]: expected a mount point of "
			                                   "/etc/fstab like \"/var/lib/data\""));
		keel_error_release (&err);
	}
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_fields),
	        cmocka_unit_test (test_skipped),
	        cmocka_unit_test (test_wait),
	        cmocka_unit_test (test_bad_lines),
	        cmocka_unit_test (test_store_mark),
	        cmocka_unit_test (test_bytes),
	        cmocka_unit_test (test_two_files_and_parents),
	        cmocka_unit_test (test_too_many),
	        cmocka_unit_test (test_read),
	        cmocka_unit_test (test_policy_mounts),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
