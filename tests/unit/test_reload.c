/* Reload planning (init/reload.c): the pure plan over old and new entries
 * (keep, add, remove, change with what changed, a broken new entry, a
 * broken edit of a running one), the stop order (dependents first, by the
 * old graph), the plan's text; and fingerprints of real files and a real
 * rootfs directory (same bytes rewritten: no change; one byte: a change;
 * the rootfs written to or touched: no change; replaced: a change). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/reload.h"
#include "lib/util.h"

static struct entry_fp fp_of (uint64_t config, uint64_t policy)
{
	struct entry_fp f = {.taken = true, .config = config, .policy = policy};
	f.has_root = true;
	f.root_dev = 8;
	f.root_ino = 1000 + config;
	return f;
}

static const struct reload_item *item (const struct reload_plan *p, const char *name)
{
	size_t k;

	for (k = 0; k < p->n; k++)
		if (strcmp (p->v[k].name, name) == 0)
			return &p->v[k];
	fail_msg ("no item %s", name);
	return NULL;
}

static void test_actions (void **state)
{
	struct reload_entry old[5] = {
	        {.name = "api", .valid = true, .fp = fp_of (1, 1), .alive = true},
	        {.name = "cache", .valid = true, .fp = fp_of (2, 2), .alive = true},
	        {.name = "db", .valid = true, .fp = fp_of (3, 3), .alive = true},
	        {.name = "old", .valid = true, .fp = fp_of (4, 4), .alive = true},
	        {.name = "web", .valid = true, .fp = fp_of (5, 5), .alive = true},
	};
	struct reload_entry new[6] = {
	        {.name = "api", .valid = true, .fp = fp_of (1, 1)}, /* kept */
	        {.name = "cache",
	         .valid = false,
	         .error = "cache/keel.json: kind: bad",
	         .fp = fp_of (2, 9)},                                 /* broken edit */
	        {.name = "db", .valid = true, .fp = fp_of (3, 3)},    /* rootfs below */
	        {.name = "fresh", .valid = true, .fp = fp_of (6, 6)}, /* added */
	        {.name = "junk", .valid = false, .error = "junk/config.json: missing"},
	        {.name = "web", .valid = true, .fp = fp_of (5, 7)}, /* keel.json */
	};
	struct reload_plan p;
	char *text;

	(void)state;
	new[2].fp.root_ino = 77; /* another rootfs directory */
	reload_plan (old, 5, new, 6, &p);
	assert_int_equal (p.n, 7);
	assert_int_equal (item (&p, "api")->action, RL_KEEP);
	assert_int_equal (item (&p, "cache")->action, RL_BROKEN_EDIT);
	assert_int_equal (item (&p, "cache")->changed, FP_POLICY);
	assert_int_equal (item (&p, "db")->action, RL_CHANGE);
	assert_int_equal (item (&p, "db")->changed, FP_ROOTFS);
	assert_int_equal (item (&p, "fresh")->action, RL_ADD);
	assert_int_equal (item (&p, "junk")->action, RL_ADD_BROKEN);
	assert_int_equal (item (&p, "old")->action, RL_REMOVE);
	assert_int_equal (item (&p, "web")->action, RL_CHANGE);
	assert_int_equal (item (&p, "web")->changed, FP_POLICY);
	assert_int_equal (p.counts[RL_KEEP], 1);
	assert_int_equal (p.counts[RL_CHANGE], 2);
	/* only removed and changed entries are stopped */
	assert_int_equal (p.n_stop, 3);
	text = reload_plan_format (&p, old, new);
	assert_non_null (strstr (text, "keep    api (running, untouched)\n"));
	assert_non_null (strstr (text, "broken  cache (the old one keeps running): "
	                               "cache/keel.json: kind: bad\n"));
	assert_non_null (strstr (text, "change  db: rootfs changed: restarted\n"));
	assert_non_null (strstr (text, "add     fresh (new: started)\n"));
	assert_non_null (
	        strstr (text, "broken  junk (new, not started): junk/config.json: missing\n"));
	assert_non_null (strstr (text, "remove  old (gone from containers.d: stopped)\n"));
	assert_non_null (strstr (text, "change  web: keel.json changed: restarted\n"));
	assert_non_null (strstr (text, "1 kept, 1 added, 1 removed, 2 changed, 2 broken\n"));
	free (text);
	reload_plan_free (&p);
}

/* Same files, but a dependency came back: the verdict differs, so it is
 * restarted (said: "its dependencies"); same files and same verdict:
 * kept, even when broken. */
static void test_verdict_change (void **state)
{
	struct reload_entry old[2] = {
	        {.name = "a", .valid = false, .error = "requires db: unknown", .fp = fp_of (1, 1)},
	        {.name = "b", .valid = false, .error = "bad", .fp = fp_of (2, 2)},
	};
	struct reload_entry new[2] = {
	        {.name = "a", .valid = true, .fp = fp_of (1, 1)},
	        {.name = "b", .valid = false, .error = "bad", .fp = fp_of (2, 2)},
	};
	struct reload_plan p;
	char *text;

	(void)state;
	reload_plan (old, 2, new, 2, &p);
	assert_int_equal (item (&p, "a")->action, RL_CHANGE);
	assert_int_equal (item (&p, "a")->changed, 0);
	assert_int_equal (item (&p, "b")->action, RL_KEEP);
	text = reload_plan_format (&p, old, new);
	assert_non_null (strstr (text, "change  a: its dependencies changed: restarted\n"));
	free (text);
	reload_plan_free (&p);
}

/* web -> api -> db (requires), metrics -> db (after); all removed: web
 * before api before db, metrics before db.  Then only db and web: web
 * first (api, kept, is not waited for by the plan: it keeps running). */
static void test_stop_order (void **state)
{
	const size_t api_deps[] = {1}, metrics_deps[] = {1}, web_deps[] = {0};
	struct reload_entry old[4] = {
	        {.name = "api", .valid = true, .fp = fp_of (1, 1), .deps = api_deps, .n_deps = 1},
	        {.name = "db", .valid = true, .fp = fp_of (2, 2)},
	        {.name = "metrics",
	         .valid = true,
	         .fp = fp_of (3, 3),
	         .deps = metrics_deps,
	         .n_deps = 1},
	        {.name = "web", .valid = true, .fp = fp_of (4, 4), .deps = web_deps, .n_deps = 1},
	};
	struct reload_entry new[4];
	struct reload_plan p;
	size_t pos[4], k;
	char *text;

	(void)state;
	reload_plan (old, 4, NULL, 0, &p);
	assert_int_equal (p.counts[RL_REMOVE], 4);
	assert_int_equal (p.n_stop, 4);
	for (k = 0; k < 4; k++)
		pos[p.stop[k]] = k;    /* items are by name: api db metrics web */
	assert_true (pos[3] < pos[0]); /* web before api */
	assert_true (pos[0] < pos[1]); /* api before db */
	assert_true (pos[2] < pos[1]); /* metrics before db */
	text = reload_plan_format (&p, old, new);
	assert_non_null (strstr (text, "0 kept, 0 added, 4 removed, 0 changed, 0 broken\n"));
	free (text);
	reload_plan_free (&p);

	memcpy (new, old, sizeof new);
	new[1].fp.config = 99;   /* db changed */
	new[3].fp.tmpfiles = 42; /* web changed */
	reload_plan (old, 4, new, 4, &p);
	assert_int_equal (p.n_stop, 2);
	assert_string_equal (p.v[p.stop[0]].name, "web");
	assert_string_equal (p.v[p.stop[1]].name, "db");
	assert_int_equal (item (&p, "web")->changed, FP_TMPFILES);
	text = reload_plan_format (&p, old, new);
	assert_non_null (strstr (text, "stop order: web db\n"));
	free (text);
	reload_plan_free (&p);
}

/* An old cycle (broken entries, stopped anyway) ends: each once. */
static void test_stop_order_cycle (void **state)
{
	const size_t a_deps[] = {1}, b_deps[] = {0};
	struct reload_entry old[2] = {
	        {.name = "a", .valid = false, .error = "cycle", .deps = a_deps, .n_deps = 1},
	        {.name = "b", .valid = false, .error = "cycle", .deps = b_deps, .n_deps = 1},
	};
	struct reload_plan p;

	(void)state;
	reload_plan (old, 2, NULL, 0, &p);
	assert_int_equal (p.n_stop, 2);
	assert_int_not_equal (p.stop[0], p.stop[1]);
	reload_plan_free (&p);
}

static void test_empty (void **state)
{
	struct reload_plan p;
	char *text;

	(void)state;
	reload_plan (NULL, 0, NULL, 0, &p);
	assert_int_equal (p.n, 0);
	assert_int_equal (p.n_stop, 0);
	text = reload_plan_format (&p, NULL, NULL);
	assert_string_equal (text, "0 kept, 0 added, 0 removed, 0 changed, 0 broken\n");
	free (text);
	reload_plan_free (&p);
}

/* ---- fingerprints of real files ---------------------------------------------- */

static void put_file (const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf (path, sizeof path, "%s/%s", dir, name);
	f = fopen (path, "w");
	assert_non_null (f);
	assert_int_equal (fputs (text, f) >= 0, 1);
	assert_int_equal (fclose (f), 0);
}

static void test_fingerprint (void **state)
{
	char dir[] = "/tmp/ked-reload.XXXXXX", root[64], root2[64], path[128];
	struct entry_fp a, b;
	struct timespec ts[2] = {{.tv_sec = 1000000, .tv_nsec = 0},
	                         {.tv_sec = 1000000, .tv_nsec = 0}};
	char what[96];

	(void)state;
	assert_non_null (mkdtemp (dir));
	snprintf (root, sizeof root, "%s/rootfs", dir);
	snprintf (root2, sizeof root2, "%s/rootfs.new", dir);
	assert_int_equal (mkdir (root, 0755), 0);
	put_file (dir, "config.json", "{\"ociVersion\": \"1.0.2\"}");
	put_file (dir, "keel.json", "{\"kind\": \"service\"}");
	reload_fingerprint (dir, root, &a);
	assert_true (a.taken);
	assert_true (a.config != 0 && a.policy != 0);
	assert_int_equal (a.tmpfiles, 0); /* absent */
	assert_true (a.has_root);

	/* the same bytes written again: no change */
	put_file (dir, "config.json", "{\"ociVersion\": \"1.0.2\"}");
	reload_fingerprint (dir, root, &b);
	assert_int_equal (reload_fp_diff (&a, &b), 0);

	/* one byte of keel.json, and a tmpfiles.conf appears */
	put_file (dir, "keel.json", "{\"kind\": \"oneshot\"}");
	put_file (dir, "tmpfiles.conf", "d /run/x 0755 - - -\n");
	reload_fingerprint (dir, root, &b);
	assert_int_equal (reload_fp_diff (&a, &b), FP_POLICY | FP_TMPFILES);
	assert_string_equal (reload_fp_describe (reload_fp_diff (&a, &b), what, sizeof what),
	                     "keel.json, tmpfiles.conf");

	/* the rootfs written to (a mount point made in it) and touched: the
	 * container's own business, no change */
	reload_fingerprint (dir, root, &a);
	snprintf (path, sizeof path, "%s/proc", root);
	assert_int_equal (mkdir (path, 0755), 0);
	assert_int_equal (utimensat (AT_FDCWD, root, ts, 0), 0);
	reload_fingerprint (dir, root, &b);
	assert_int_equal (reload_fp_diff (&a, &b), 0);
	assert_int_equal (rmdir (path), 0);

	/* a new rootfs renamed into place */
	assert_int_equal (mkdir (root2, 0755), 0);
	assert_int_equal (rmdir (root), 0);
	assert_int_equal (rename (root2, root), 0);
	reload_fingerprint (dir, root, &a);
	assert_int_equal (reload_fp_diff (&a, &b), FP_ROOTFS);

	/* a config that became unreadable (a FIFO) is a change too */
	snprintf (path, sizeof path, "%s/config.json", dir);
	assert_int_equal (unlink (path), 0);
	assert_int_equal (mkfifo (path, 0600), 0);
	reload_fingerprint (dir, root, &b);
	assert_int_equal (reload_fp_diff (&a, &b), FP_CONFIG);
	assert_true (b.config != 0);

	unlink (path);
	snprintf (path, sizeof path, "%s/keel.json", dir);
	unlink (path);
	snprintf (path, sizeof path, "%s/tmpfiles.conf", dir);
	unlink (path);
	rmdir (root);
	rmdir (dir);
}

static void test_hash (void **state)
{
	(void)state;
	assert_int_not_equal (reload_hash ("", 0), 0);
	assert_int_not_equal (reload_hash ("a", 1), reload_hash ("b", 1));
	assert_int_not_equal (reload_hash ("\0", 1), reload_hash ("\0\0", 2));
	assert_int_equal (reload_hash ("keel", 4), reload_hash ("keel", 4));
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_actions),    cmocka_unit_test (test_verdict_change),
	        cmocka_unit_test (test_stop_order), cmocka_unit_test (test_stop_order_cycle),
	        cmocka_unit_test (test_empty),      cmocka_unit_test (test_fingerprint),
	        cmocka_unit_test (test_hash),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
