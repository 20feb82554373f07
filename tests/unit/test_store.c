/* init/store: what a boot does to the disk's containers.d, on a real
 * filesystem, with the build's own keel for `keel check`: the seed on
 * first boot (complete, then renamed; a half seed made again), a store
 * that is not a directory, an entry keel check refuses on the disk but
 * not in the initramfs (fall back) or in both (keep the disk), an update
 * that did not commit (switched back, said).
 *
 * The power cut itself is tests-qemu/scenarios/store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/deploy.h"
#include "init/store.h"
#include "lib/util.h"
#include "tests/unit/fixture.h"

static char tmpdir[64];
static char fallback[128], mnt[128], store[160];
static char keel[4096];

static const char config[] =
        "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/sh\"], \"cwd\": \"/\"},"
        " \"root\": {\"path\": \"rootfs\"},"
        " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}]}}\n";

static void put (const char *path, const char *text)
{
	fixture_put (AT_FDCWD, path, text);
}

static char *get (const char *path)
{
	return fixture_get (AT_FDCWD, path);
}

/* An entry keel check accepts: config.json, rootfs/ with a file and a
 * link, keel.json saying VERSION. */
static void make_entry (const char *dir, const char *version)
{
	char p[512];

	assert_int_equal (mkdir (dir, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs", dir);
	assert_int_equal (mkdir (p, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs/VERSION", dir);
	put (p, version);
	snprintf (p, sizeof p, "%s/rootfs/link", dir);
	assert_int_equal (symlink ("VERSION", p), 0);
	snprintf (p, sizeof p, "%s/config.json", dir);
	put (p, config);
	snprintf (p, sizeof p, "%s/keel.json", dir);
	{
		cleanup_free char *k = xasprintf ("{\"description\": \"version %s\"}\n", version);
		put (p, k);
	}
}

static int setup (void **state)
{
	char self[4096];
	ssize_t n;

	(void)state;
	/* the build's keel: build/dev/tests/test_store -> build/dev/keel */
	n = readlink ("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf (keel, sizeof keel, "%s/../keel", dirname (self));
	store_keel_exe = keel;
	fixture_tmpdir (tmpdir, sizeof tmpdir, "/tmp/kp-store-unit");
	snprintf (fallback, sizeof fallback, "%s/initramfs-containers.d", tmpdir);
	snprintf (mnt, sizeof mnt, "%s/mnt", tmpdir);
	snprintf (store, sizeof store, "%s/containers.d", mnt);
	if (mkdir (fallback, 0755) < 0 || mkdir (mnt, 0755) < 0)
		return -1;
	return 0;
}

static int teardown (void **state)
{
	(void)state;
	fixture_remove (tmpdir);
	return 0;
}

/* store_prepare's report, whole. */
static int prepare (char **report)
{
	int fd = memfd_create ("store-report", MFD_CLOEXEC);
	int ret;
	off_t len;

	assert_true (fd >= 0);
	ret = store_prepare (mnt, fallback, fd);
	len = lseek (fd, 0, SEEK_END);
	*report = xmalloc0 ((size_t)len + 1);
	assert_int_equal (pread (fd, *report, (size_t)len, 0), len);
	close (fd);
	return ret;
}

static void need_keel (void)
{
	if (access (keel, X_OK) != 0)
		skip ();
}

static void test_seed (void **state)
{
	cleanup_free char *r1 = NULL, *r2 = NULL, *v = NULL, *seeded = NULL;
	char p[512], want[512];
	struct stat st;

	(void)state;
	need_keel ();
	snprintf (p, sizeof p, "%s/web", fallback);
	make_entry (p, "v1");
	assert_int_equal (prepare (&r1), 0);
	seeded = xasprintf ("ISeeded %s from the initramfs's %s\n", store, fallback);
	assert_non_null (strstr (r1, seeded));
	snprintf (want, sizeof want, "S%s\n", store);
	assert_non_null (strstr (r1, want));
	/* a copy: the file, the link as a link, nothing of the seed left */
	snprintf (p, sizeof p, "%s/web/rootfs/VERSION", store);
	v = get (p);
	assert_non_null (v);
	assert_string_equal (v, "v1");
	snprintf (p, sizeof p, "%s/web/rootfs/link", store);
	assert_int_equal (lstat (p, &st), 0);
	assert_true (S_ISLNK (st.st_mode));
	snprintf (p, sizeof p, "%s/" STORE_SEED, mnt);
	assert_int_equal (lstat (p, &st), -1);
	/* the second boot does not seed again, and keeps what is there */
	snprintf (p, sizeof p, "%s/web/rootfs/VERSION", store);
	put (p, "v2");
	assert_int_equal (prepare (&r2), 0);
	assert_null (strstr (r2, "Seeded"));
	free (v);
	v = get (p);
	assert_string_equal (v, "v2");
}

static void test_half_seed (void **state)
{
	cleanup_free char *r = NULL;
	char p[512];
	struct stat st;

	(void)state;
	need_keel ();
	snprintf (p, sizeof p, "%s/web", fallback);
	make_entry (p, "v1");
	/* what a power cut in the middle of the copy leaves */
	snprintf (p, sizeof p, "%s/" STORE_SEED, mnt);
	assert_int_equal (mkdir (p, 0700), 0);
	snprintf (p, sizeof p, "%s/" STORE_SEED "/half", mnt);
	put (p, "half");
	assert_int_equal (prepare (&r), 0);
	snprintf (p, sizeof p, "%s/half", store);
	assert_int_equal (lstat (p, &st), -1);
	snprintf (p, sizeof p, "%s/web/config.json", store);
	assert_int_equal (lstat (p, &st), 0);
	snprintf (p, sizeof p, "%s/" STORE_SEED, mnt);
	assert_int_equal (lstat (p, &st), -1);
}

/* A half seed that is a link (planted by whatever can write the disk):
 * removed as a link, never followed; a containers.d that is a link is
 * not used (PID 1 would read entries from wherever it points). */
static void test_links (void **state)
{
	cleanup_free char *r1 = NULL, *r2 = NULL, *want = NULL;
	char p[1024], host[256];
	struct stat st;

	(void)state;
	need_keel ();
	snprintf (p, sizeof p, "%s/web", fallback);
	make_entry (p, "v1");
	snprintf (host, sizeof host, "%s/host", tmpdir);
	assert_int_equal (mkdir (host, 0755), 0);
	snprintf (p, sizeof p, "%s/sentinel", host);
	put (p, "host");
	snprintf (p, sizeof p, "%s/" STORE_SEED, mnt);
	assert_int_equal (symlink (host, p), 0);
	assert_int_equal (prepare (&r1), 0);
	snprintf (p, sizeof p, "%s/sentinel", host);
	assert_int_equal (stat (p, &st), 0);
	snprintf (p, sizeof p, "%s/web/config.json", store);
	assert_int_equal (lstat (p, &st), 0);
	/* containers.d itself a link */
	snprintf (p, sizeof p, "%s/containers.d.real", mnt);
	assert_int_equal (rename (store, p), 0);
	assert_int_equal (symlink ("containers.d.real", store), 0);
	assert_int_equal (prepare (&r2), -1);
	want = xasprintf ("F%s is not a directory\n", store);
	assert_string_equal (r2, want);
}

/* What an update the machine went down in the middle of its copy leaves:
 * removed at boot (a later update with the same pid would find it in its
 * way); nothing else that starts with a dot is touched. */
static void test_update_debris (void **state)
{
	cleanup_free char *r = NULL, *want = NULL;
	char p[1024];
	struct stat st;

	(void)state;
	need_keel ();
	assert_int_equal (mkdir (store, 0755), 0);
	snprintf (p, sizeof p, "%s/web", store);
	make_entry (p, "v1");
	snprintf (p, sizeof p, "%s/.web.update.31", store);
	make_entry (p, "v2");
	snprintf (p, sizeof p, "%s/.web.update.x", store);
	assert_int_equal (mkdir (p, 0755), 0);
	snprintf (p, sizeof p, "%s/.keep", store);
	put (p, "mine");
	assert_int_equal (prepare (&r), 0);
	want = xasprintf ("WRemoved %s/.web.update.31, an update's copy the machine went down "
	                  "in the middle of\n",
	                  store);
	assert_non_null (strstr (r, want));
	snprintf (p, sizeof p, "%s/.web.update.31", store);
	assert_int_equal (lstat (p, &st), -1);
	snprintf (p, sizeof p, "%s/.web.update.x", store);
	assert_int_equal (lstat (p, &st), 0);
	snprintf (p, sizeof p, "%s/.keep", store);
	assert_int_equal (lstat (p, &st), 0);
}

static void test_not_a_directory (void **state)
{
	cleanup_free char *r = NULL, *want = NULL;

	(void)state;
	need_keel ();
	put (store, "not a directory");
	assert_int_equal (prepare (&r), -1);
	want = xasprintf ("F%s is not a directory\n", store);
	assert_string_equal (r, want);
}

static void test_check (void **state)
{
	cleanup_free char *r1 = NULL, *r2 = NULL;
	char p[512];
	const char *f;

	(void)state;
	need_keel ();
	snprintf (p, sizeof p, "%s/web", fallback);
	make_entry (p, "v1");
	snprintf (p, sizeof p, "%s/other", fallback);
	make_entry (p, "v1");
	assert_int_equal (mkdir (store, 0755), 0);
	snprintf (p, sizeof p, "%s/web", store);
	make_entry (p, "v2");
	snprintf (p, sizeof p, "%s/other", store);
	make_entry (p, "v2");
	/* a keel.json the disk damaged: the initramfs's is fine */
	snprintf (p, sizeof p, "%s/web/keel.json", store);
	put (p, "{\"restart\": \"sometimes\"}");
	assert_int_equal (prepare (&r1), -1);
	f = strstr (r1, "Fkeel check refuses web, which the initramfs's ");
	assert_non_null (f);
	assert_non_null (strstr (f, "accepts: "));
	assert_non_null (strstr (f, "/containers.d/web/keel.json: restart: expected one of"));
	assert_null (strstr (r1, "\nS"));
	/* the image ships it broken too: the disk is no worse */
	snprintf (p, sizeof p, "%s/web/keel.json", fallback);
	put (p, "{\"restart\": \"sometimes\"}");
	if (prepare (&r2) != 0)
		fail_msg ("%s", r2);
}

static void test_uncommitted (void **state)
{
	struct keel_error *err = NULL;
	struct deployment d = {.pending = true};
	cleanup_free char *r = NULL, *v = NULL;
	char p[512];
	unsigned gen = 0;
	int cdfd;

	(void)state;
	need_keel ();
	assert_int_equal (mkdir (store, 0755), 0);
	snprintf (p, sizeof p, "%s/web", store);
	make_entry (p, "v1");
	snprintf (p, sizeof p, "%s/.staged", store);
	make_entry (p, "v2");
	cdfd = open (store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (cdfd >= 0);
	/* an update switched to v2 and the machine went down before its
	 * commit */
	assert_int_equal (deploy_add (cdfd, "web", ".staged", &d, 2, &gen, &err), 0);
	assert_int_equal (gen, 1);
	close (cdfd);
	snprintf (p, sizeof p, "%s/web/rootfs/VERSION", store);
	v = get (p);
	assert_string_equal (v, "v2");
	assert_int_equal (prepare (&r), 0);
	assert_non_null (strstr (r,
	                         "\nWweb: deployment 1 was switched to by an update that did "
	                         "not commit before the machine went down: back to deployment 0") ||
	                 strncmp (r, "Wweb: deployment 1 was switched to", 34) == 0);
	free (v);
	v = get (p);
	assert_string_equal (v, "v1");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_seed, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_half_seed, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_links, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_update_debris, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_not_a_directory, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_check, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_uncommitted, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
