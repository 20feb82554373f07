/* init/deploy: the deployment store on a real filesystem: switching,
 * keeping the last N, and a writer stopped dead at every step boundary
 * (a child _exit()s at crash point k) always leaving the old or the new
 * deployment active, complete, and the store usable after repair.
 *
 * What _exit() cannot show is the page cache lost at a power cut: the
 * order of fsync/syncfs and renames is what covers that, and the QEMU
 * scenario is where it is tried for real (docs/deployments.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/deploy.h"
#include "lib/util.h"
#include "tests/unit/fixture.h"

static char tmpdir[64];
static char hostdir[64]; /* stands for the host: removal must never reach it */

static int setup (void **state)
{
	int fd;

	fixture_tmpdir (tmpdir, sizeof tmpdir, "/tmp/kdp-unit");
	fixture_tmpdir (hostdir, sizeof hostdir, "/tmp/kdp-host");
	{
		char f[128];
		snprintf (f, sizeof f, "%s/sentinel", hostdir);
		fixture_put (AT_FDCWD, f, "host");
	}
	fd = open (tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (fd >= 0);
	*state = (void *)(intptr_t)fd;
	return 0;
}

static int teardown (void **state)
{
	char f[128];
	struct stat st;

	/* Every test removed deployments whose rootfs linked here. */
	snprintf (f, sizeof f, "%s/sentinel", hostdir);
	if (stat (f, &st) != 0)
		fail_msg ("%s was removed through a link in a deployment's rootfs", f);
	fixture_remove (hostdir);
	close ((int)(intptr_t)*state);
	fixture_remove (tmpdir);
	return 0;
}

/* An entry whose three files all say VERSION: a mix would show. */
static void make_entry (int cdfd, const char *dir, const char *version)
{
	char p[256];

	assert_int_equal (mkdirat (cdfd, dir, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs", dir);
	assert_int_equal (mkdirat (cdfd, p, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs/version", dir);
	fixture_put (cdfd, p, version);
	snprintf (p, sizeof p, "%s/rootfs/link", dir);
	assert_int_equal (symlinkat ("/etc", cdfd, p), 0); /* never followed by removal */
	/* What a container could plant in its rootfs: links to a host
	 * directory, as a directory entry and in a subdirectory. */
	snprintf (p, sizeof p, "%s/rootfs/host", dir);
	assert_int_equal (symlinkat (hostdir, cdfd, p), 0);
	snprintf (p, sizeof p, "%s/rootfs/sub", dir);
	assert_int_equal (mkdirat (cdfd, p, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs/sub/host", dir);
	assert_int_equal (symlinkat (hostdir, cdfd, p), 0);
	snprintf (p, sizeof p, "%s/config.json", dir);
	fixture_put (cdfd, p, version);
	snprintf (p, sizeof p, "%s/keel.json", dir);
	fixture_put (cdfd, p, version);
}

/* What containers.d/web shows, checked whole: the version, or NULL. */
static char *active_version (int cdfd)
{
	char *a = fixture_get (cdfd, "web/rootfs/version");
	cleanup_free char *b = fixture_get (cdfd, "web/config.json");
	cleanup_free char *c = fixture_get (cdfd, "web/keel.json");

	assert_non_null (a);
	assert_non_null (b);
	assert_non_null (c);
	assert_string_equal (a, b);
	assert_string_equal (a, c);
	return a;
}

static bool exists (int cdfd, const char *p)
{
	struct stat st;

	return fstatat (cdfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* VERSION made into an entry and added as web's next deployment with D
 * (pending or not, its digest and settings), keeping KEEP: its generation. */
static unsigned add_as (int cdfd, const char *version, const struct deployment *d, unsigned keep)
{
	struct keel_error *err = NULL;
	char staged[64];
	unsigned gen = 0;

	snprintf (staged, sizeof staged, ".stage-%s", version);
	make_entry (cdfd, staged, version);
	if (deploy_add (cdfd, "web", staged, d, keep, &gen, &err) < 0)
		fail_msg ("%s", keel_error_string (err));
	return gen;
}

static unsigned add (int cdfd, const char *version, unsigned keep, const char *digest)
{
	struct deployment d = {0};
	unsigned gen;

	d.digest = digest ? xstrdup (digest) : NULL;
	deploy_set (&d, "PORT", "8080");
	deploy_set (&d, "VERSION", version);
	gen = add_as (cdfd, version, &d, keep);
	deployment_free (&d);
	return gen;
}

static void gens (int cdfd, struct deploy_entry *e, const unsigned *want, size_t n)
{
	struct keel_error *err = NULL;
	size_t i;

	if (deploy_open (cdfd, "web", e, &err) < 0)
		fail_msg ("%s", keel_error_string (err));
	assert_int_equal (e->n, n);
	for (i = 0; i < n; i++)
		assert_int_equal (e->v[i].gen, want[i]);
}

static void test_switch (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deploy_entry e;
	cleanup_free char *v = NULL;
	bool found;

	/* A plain directory from before deployments is generation 0. */
	make_entry (cdfd, "web", "v0");
	gens (cdfd, &e, (unsigned[]){0}, 1);
	assert_true (e.exists);
	assert_false (e.versioned);
	deploy_entry_free (&e);

	assert_int_equal (add (cdfd, "v1", 2, "sha256:1111"), 1);
	free (active_version (cdfd));
	gens (cdfd, &e, (unsigned[]){0, 1}, 2);
	assert_true (e.versioned);
	assert_int_equal (e.active, 1);
	assert_true (e.active_since > 0);
	assert_string_equal (deploy_find (&e, 1)->digest, "sha256:1111");
	assert_true (deploy_find (&e, 1)->activated > 0);
	assert_true (deploy_find (&e, 1)->created > 0);
	assert_int_equal (deploy_previous (&e, &found), 0);
	assert_true (found);
	deploy_entry_free (&e);
	v = active_version (cdfd);
	assert_string_equal (v, "v1");
	free (steal_ptr (&v));

	/* v2: keep 2 drops generation 0 (the old plain directory). */
	assert_int_equal (add (cdfd, "v2", 2, "sha256:2222"), 2);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
	free (steal_ptr (&v));
	gens (cdfd, &e, (unsigned[]){1, 2}, 2);
	assert_int_equal (e.active, 2);
	assert_int_equal (e.v[1].n_settings, 2);
	assert_string_equal (e.v[1].settings[0].key, "PORT");
	assert_string_equal (e.v[1].settings[1].value, "v2");
	deploy_entry_free (&e);
	assert_false (exists (cdfd, ".deploy/web/0"));

	/* Back by hand, and forward again. */
	assert_int_equal (deploy_switch (cdfd, "web", 1, &err), 0);
	v = active_version (cdfd);
	assert_string_equal (v, "v1");
	free (steal_ptr (&v));
	assert_int_equal (deploy_switch (cdfd, "web", 2, &err), 0);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
	free (steal_ptr (&v));

	/* A generation that is not there is refused and changes nothing. */
	assert_true (deploy_switch (cdfd, "web", 7, &err) < 0);
	assert_string_equal (err->msg, "switch `web` to deployment 7: web: no deployment 7");
	keel_error_release (&err);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
}

static void test_keep_n (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deploy_entry e;

	/* No entry yet: the first deployment is generation 1. */
	assert_int_equal (add (cdfd, "v1", 3, NULL), 1);
	assert_int_equal (add (cdfd, "v2", 3, NULL), 2);
	assert_int_equal (add (cdfd, "v3", 3, NULL), 3);
	assert_int_equal (add (cdfd, "v4", 3, NULL), 4);
	assert_int_equal (add (cdfd, "v5", 3, NULL), 5);
	gens (cdfd, &e, (unsigned[]){3, 4, 5}, 3);
	deploy_entry_free (&e);
	assert_false (exists (cdfd, ".deploy/web/.gc-1"));
	assert_false (exists (cdfd, ".deploy/web/.gc-2"));

	/* Active 4 with 3 and 5 beside it: keeping 2 keeps where rollback
	 * goes (3), not the one rolled back from (5). */
	assert_int_equal (deploy_switch (cdfd, "web", 4, &err), 0);
	assert_int_equal (deploy_prune (cdfd, "web", 2, &err), 0);
	gens (cdfd, &e, (unsigned[]){3, 4}, 2);
	assert_int_equal (e.active, 4);
	deploy_entry_free (&e);

	/* Active 3, nothing older: the newer one is kept. */
	assert_int_equal (deploy_switch (cdfd, "web", 3, &err), 0);
	assert_int_equal (deploy_prune (cdfd, "web", 2, &err), 0);
	gens (cdfd, &e, (unsigned[]){3, 4}, 2);
	deploy_entry_free (&e);

	/* An update from 3 is generation 5; keeping 2 keeps 3, the one
	 * active before it (where its rollback goes), not 4 (newer). */
	assert_int_equal (add (cdfd, "v6", 2, NULL), 5);
	gens (cdfd, &e, (unsigned[]){3, 5}, 2);
	assert_int_equal (e.active, 5);
	{
		bool found;
		assert_int_equal (deploy_previous (&e, &found), 3);
		assert_true (found);
	}
	deploy_entry_free (&e);
	assert_int_equal (deploy_prune (cdfd, "web", 1, &err), 0);
	gens (cdfd, &e, (unsigned[]){5}, 1);
	deploy_entry_free (&e);
}

/* One an update rolled back from is the first to go. */
static void test_keep_failed (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deploy_entry e;

	add (cdfd, "v1", 3, NULL);
	add (cdfd, "v2", 3, NULL);
	assert_int_equal (
	        deploy_mark_failed (cdfd, "web", 2, "is failed: exited with status 3", &err), 0);
	assert_int_equal (deploy_switch (cdfd, "web", 1, &err), 0);
	assert_int_equal (add (cdfd, "v3", 2, NULL), 3);
	gens (cdfd, &e, (unsigned[]){1, 3}, 2);
	deploy_entry_free (&e);
	add (cdfd, "v4", 3, NULL);
	gens (cdfd, &e, (unsigned[]){1, 3, 4}, 3);
	assert_null (e.v[1].failed);
	deploy_entry_free (&e);
}

/* An update switched to but not committed when the machine went down:
 * the boot goes back; a committed one stays; a first one has nothing to
 * go back to. */
static void test_pending (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deployment d = {0};
	struct deploy_entry e;
	cleanup_free char *msg = NULL;
	cleanup_free char *v = NULL;
	unsigned gen;

	d.pending = true;
	add_as (cdfd, "v1", &d, 2);
	assert_int_equal (deploy_boot_check (cdfd, "web", &msg, &err), 0);
	assert_null (msg);
	assert_int_equal (deploy_commit (cdfd, "web", 1, &err), 0);

	add_as (cdfd, "v2", &d, 2);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
	free (steal_ptr (&v));
	assert_int_equal (deploy_boot_check (cdfd, "web", &msg, &err), 1);
	assert_string_equal (msg, "web: deployment 2 was switched to by an update that did not "
	                          "commit before the machine went down: back to deployment 1");
	v = active_version (cdfd);
	assert_string_equal (v, "v1");
	gens (cdfd, &e, (unsigned[]){1, 2}, 2);
	assert_false (e.v[0].pending);
	assert_string_equal (e.v[1].failed,
	                     "not committed when the machine went down: rolled back at boot");
	deploy_entry_free (&e);
	free (steal_ptr (&msg));
	/* Once back, nothing more to do. */
	assert_int_equal (deploy_boot_check (cdfd, "web", &msg, &err), 0);

	/* Committed: stays. */
	gen = add_as (cdfd, "v3", &d, 2);
	assert_int_equal (deploy_commit (cdfd, "web", gen, &err), 0);
	assert_int_equal (deploy_boot_check (cdfd, "web", &msg, &err), 0);
	free (steal_ptr (&v));
	v = active_version (cdfd);
	assert_string_equal (v, "v3");
	deployment_free (&d);
}

/* PID 1's rollback at an update's deadline (commit.c's helper): only the
 * generation it watched, only while it is active and pending; the reason
 * recorded; a first deployment stays. */
static void test_undo (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deployment d = {0};
	struct deploy_entry e;
	cleanup_free char *v = NULL;
	unsigned gen, prev = 99;

	d.pending = true;
	assert_int_equal (add_as (cdfd, "v1", &d, 5), 1);
	/* a first deployment: nothing to go back to, left pending */
	assert_int_equal (deploy_undo (cdfd, "web", 1, "is failed", &prev, &err),
	                  DEPLOY_UNDO_NO_PREVIOUS);
	gens (cdfd, &e, (unsigned[]){1}, 1);
	assert_true (e.v[0].pending);
	assert_null (e.v[0].failed);
	deploy_entry_free (&e);
	assert_int_equal (deploy_commit (cdfd, "web", 1, &err), 0);

	assert_int_equal (add_as (cdfd, "v2", &d, 5), 2);
	/* another generation than the active pending one: not touched */
	assert_int_equal (deploy_undo (cdfd, "web", 1, "is failed", &prev, &err), DEPLOY_UNDO_NONE);
	assert_int_equal (deploy_undo (cdfd, "web", 3, "is failed", &prev, &err), DEPLOY_UNDO_NONE);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
	free (steal_ptr (&v));
	assert_int_equal (deploy_undo (cdfd, "web", 2, "was not ready within 4s (state running)",
	                               &prev, &err),
	                  DEPLOY_UNDO_SWITCHED);
	assert_int_equal (prev, 1);
	v = active_version (cdfd);
	assert_string_equal (v, "v1");
	free (steal_ptr (&v));
	gens (cdfd, &e, (unsigned[]){1, 2}, 2);
	assert_string_equal (e.v[1].failed, "was not ready within 4s (state running)");
	assert_true (e.v[1].pending); /* never committed: history stays true */
	assert_null (e.v[0].failed);
	deploy_entry_free (&e);
	/* twice: the second finds 1 active and committed */
	assert_int_equal (deploy_undo (cdfd, "web", 2, "again", &prev, &err), DEPLOY_UNDO_NONE);

	/* committed meanwhile: nothing to undo */
	gen = add_as (cdfd, "v3", &d, 5);
	assert_int_equal (deploy_commit (cdfd, "web", gen, &err), 0);
	assert_int_equal (deploy_undo (cdfd, "web", gen, "late", &prev, &err), DEPLOY_UNDO_NONE);
	v = active_version (cdfd);
	assert_string_equal (v, "v3");
	/* an entry that does not exist */
	assert_int_equal (deploy_undo (cdfd, "nosuch", 1, "x", &prev, &err), DEPLOY_UNDO_NONE);
	deployment_free (&d);
}

static unsigned handed;

static int take (unsigned gen, void *arg, struct keel_error **err)
{
	int cdfd = *(int *)arg;
	char *v = active_version (cdfd);

	/* called with the new one complete but the old one still active */
	assert_string_equal (v, "v1");
	free (v);
	handed = gen;
	return 0;
}

static int refuse (unsigned gen, void *arg, struct keel_error **err)
{
	(void)arg;
	handed = gen;
	return keel_error (err, 0, "keel did not take the commit deadline");
}

/* keelctl update hands PID 1 the deadline between the add and the switch
 * (deploy_add_ex): refused, nothing is switched and repair removes it. */
static void test_before_switch (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deployment d = {0};
	struct deploy_entry e;
	cleanup_free char *v = NULL;
	unsigned gen = 0;

	add_as (cdfd, "v1", &d, 5);
	d.pending = true;
	make_entry (cdfd, ".stage-b2", "v2");
	assert_int_equal (deploy_add_ex (cdfd, "web", ".stage-b2", &d, 5, refuse, NULL, &gen, &err),
	                  -1);
	v = keel_error_take (&err);
	assert_non_null (strstr (v, "keel did not take the commit deadline"));
	free (steal_ptr (&v));
	assert_int_equal (handed, 2);
	v = active_version (cdfd);
	assert_string_equal (v, "v1");
	free (steal_ptr (&v));
	assert_int_equal (deploy_repair (cdfd, "web", &err), 0);
	gens (cdfd, &e, (unsigned[]){1}, 1);
	deploy_entry_free (&e);
	/* taken: switched after it */
	make_entry (cdfd, ".stage-b3", "v2");
	assert_int_equal (deploy_add_ex (cdfd, "web", ".stage-b3", &d, 5, take, &cdfd, &gen, &err),
	                  0);
	assert_int_equal (handed, gen);
	v = active_version (cdfd);
	assert_string_equal (v, "v2");
	deployment_free (&d);
}

enum scenario { SC_ADD, SC_ADD_LEGACY, SC_SWITCH };

struct crashing {
	int cdfd;
	enum scenario sc;
	unsigned k;
};

/* In the child of fixture_run_writer: the writer, stopping dead at
 * crash point K. */
static int crashing_writer (void *arg, struct keel_error **err)
{
	const struct crashing *c = arg;
	struct deployment d = {0};
	unsigned gen;

	deploy_crash_at = c->k;
	if (c->sc == SC_SWITCH)
		return deploy_switch (c->cdfd, "web", 1, err);
	d.digest = xstrdup ("sha256:new");
	return deploy_add (c->cdfd, "web", ".stage-new", &d, 2, &gen, err);
}

/* Run one writer in a child that stops dead at crash point K; returns
 * true when it got past every point (K too large). */
static bool run_crashing (int cdfd, enum scenario sc, unsigned k)
{
	struct crashing c = {cdfd, sc, k};

	return fixture_run_writer (crashing_writer, &c);
}

static void crash_scenario (int cdfd, enum scenario sc)
{
	struct keel_error *err = NULL;
	unsigned k, saw_old = 0, saw_new = 0;
	const char *old = sc == SC_SWITCH ? "v2" : sc == SC_ADD_LEGACY ? "v0" : "v2";
	const char *new = sc == SC_SWITCH ? "v1" : "new";
	char cmd[512];

	for (k = 1; k < 64; k++) {
		struct deploy_entry e;
		cleanup_free char *before = NULL, *after = NULL;
		bool done;

		/* A fresh store: old active (and v1 under it for a switch). */
		snprintf (cmd, sizeof cmd, "rm -rf %s/web %s/.deploy %s/.stage-* %s/.web.switch",
		          tmpdir, tmpdir, tmpdir, tmpdir);
		assert_int_equal (system (cmd), 0);
		if (sc == SC_ADD_LEGACY) {
			make_entry (cdfd, "web", "v0");
		} else {
			add (cdfd, "v1", 2, NULL);
			add (cdfd, "v2", 2, NULL);
		}
		if (sc != SC_SWITCH)
			make_entry (cdfd, ".stage-new", "new");

		done = run_crashing (cdfd, sc, k);

		/* Straight after the crash, before any repair: PID 1 booting
		 * now reads one whole deployment, the old or the new. */
		before = active_version (cdfd);
		if (strcmp (before, old) == 0)
			saw_old++;
		else if (strcmp (before, new) == 0)
			saw_new++;
		else
			fail_msg ("crash point %u: `%s` active, neither %s nor %s", k, before, old,
			          new);

		/* Repair keeps what is active and leaves no debris. */
		assert_int_equal (deploy_repair (cdfd, "web", &err), 0);
		after = active_version (cdfd);
		assert_string_equal (before, after);
		assert_false (exists (cdfd, ".web.switch"));
		assert_false (exists (cdfd, ".deploy/web/.gc-1"));
		assert_false (exists (cdfd, ".deploy/web/.gc-0"));
		if (deploy_open (cdfd, "web", &e, &err) < 0)
			fail_msg ("crash point %u: %s", k, keel_error_string (err));
		if (sc == SC_ADD_LEGACY && strcmp (after, "v0") == 0)
			assert_false (e.versioned);
		/* No deployment newer than the active one that never was. */
		for (size_t i = 0; i < e.n; i++)
			assert_true (e.v[i].gen <= e.active || e.v[i].activated > 0);
		deploy_entry_free (&e);

		/* And the store takes the next update. */
		make_entry (cdfd, ".stage-next", "next");
		{
			struct deployment d = {0};
			unsigned gen;
			cleanup_free char *v = NULL;
			if (deploy_add (cdfd, "web", ".stage-next", &d, 2, &gen, &err) < 0)
				fail_msg ("crash point %u, next update: %s", k,
				          keel_error_string (err));
			v = active_version (cdfd);
			assert_string_equal (v, "next");
		}
		snprintf (cmd, sizeof cmd, "rm -rf %s/.stage-next", tmpdir);
		assert_int_equal (system (cmd), 0);
		if (done)
			break;
	}
	/* The points span the switch: some crashes leave the old one, some
	 * the new one, and the last run went through. */
	print_message ("scenario %d: %u crash points, old active after %u, new after %u\n", sc,
	               k - 1, saw_old, saw_new);
	assert_true (k < 64);
	assert_true (saw_old > 0);
	assert_true (saw_new > 0);
}

static void test_crash_add (void **state)
{
	crash_scenario ((int)(intptr_t)*state, SC_ADD);
}

static void test_crash_add_legacy (void **state)
{
	crash_scenario ((int)(intptr_t)*state, SC_ADD_LEGACY);
}

static void test_crash_switch (void **state)
{
	crash_scenario ((int)(intptr_t)*state, SC_SWITCH);
}

static void test_refusals (void **state)
{
	int cdfd = (int)(intptr_t)*state;
	struct keel_error *err = NULL;
	struct deploy_entry e;

	/* containers.d/web pointing anywhere else is not ours to follow. */
	assert_int_equal (symlinkat ("/etc", cdfd, "web"), 0);
	assert_true (deploy_open (cdfd, "web", &e, &err) < 0);
	assert_string_equal (err->msg, "deployments of `web`: web: a symlink to `/etc`, not to a "
	                               "deployment (.deploy/web/N)");
	keel_error_release (&err);
	assert_int_equal (unlinkat (cdfd, "web", 0), 0);

	/* The link to a deployment that is gone. */
	assert_int_equal (symlinkat (".deploy/web/4", cdfd, "web"), 0);
	assert_true (deploy_open (cdfd, "web", &e, &err) < 0);
	assert_string_equal (err->msg, "deployments of `web`: web: the active deployment "
	                               ".deploy/web/4 is missing");
	keel_error_release (&err);
	assert_int_equal (unlinkat (cdfd, "web", 0), 0);
	/* The same with the deployments' directory there but empty: no
	 * generation read, nothing to sort (qsort is never given NULL). */
	assert_int_equal (mkdirat (cdfd, ".deploy", 0755), 0);
	assert_int_equal (mkdirat (cdfd, ".deploy/web", 0755), 0);
	assert_int_equal (symlinkat (".deploy/web/4", cdfd, "web"), 0);
	assert_true (deploy_open (cdfd, "web", &e, &err) < 0);
	assert_string_equal (err->msg, "deployments of `web`: web: the active deployment "
	                               ".deploy/web/4 is missing");
	keel_error_release (&err);
	assert_int_equal (unlinkat (cdfd, "web", 0), 0);

	/* A deploy.json that is not what we write, named with its path. */
	add (cdfd, "v1", 2, NULL);
	fixture_put (cdfd, ".deploy/web/1/deploy.json", "{\"settings\": {\"A\": 1}}");
	assert_true (deploy_open (cdfd, "web", &e, &err) < 0);
	assert_string_equal (err->msg, "deployments of `web`: .deploy/web/1/deploy.json: "
	                               ".settings.A: expected a string");
	keel_error_release (&err);
	fixture_put (cdfd, ".deploy/web/1/deploy.json", "{\"digest\": \"a\", \"digest\": \"b\"");
	assert_true (deploy_open (cdfd, "web", &e, &err) < 0);
	assert_non_null (strstr (err->msg, ".deploy/web/1/deploy.json: not valid JSON"));
	keel_error_release (&err);
}

static void test_settings (void **state)
{
	struct deployment d = {0};

	(void)state;
	deploy_set (&d, "b", "2");
	deploy_set (&d, "a", "1");
	deploy_set (&d, "c", "3");
	deploy_set (&d, "b", "two");
	assert_int_equal (d.n_settings, 3);
	assert_string_equal (d.settings[0].key, "a");
	assert_string_equal (d.settings[1].value, "two");
	deploy_set (&d, "a", NULL);
	deploy_set (&d, "zz", NULL);
	assert_int_equal (d.n_settings, 2);
	assert_string_equal (d.settings[0].key, "b");
	deployment_free (&d);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown (test_switch, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_keep_n, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_keep_failed, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_pending, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_undo, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_before_switch, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_crash_add, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_crash_add_legacy, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_crash_switch, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_refusals, setup, teardown),
	        cmocka_unit_test (test_settings),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
