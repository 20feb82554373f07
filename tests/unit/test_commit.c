/* init/commit: PID 1's commit deadline of an update.
 *
 * The pure parts: the verdict on what PID 1 sees of the entry (ready for
 * the settle time, failed, unhealthy, not started or not ready at the
 * deadline, the files before it while recovering), the `pending` request's
 * checks, and the helper's one-line report.  Then PID 1's side on a real
 * event loop and a real deployment store in a temporary directory: a
 * watched entry that becomes ready on its new files is committed by the
 * helper (pending cleared in deploy.json); one that fails is switched back
 * with the reason recorded; one that never moves is rolled back when the
 * deadline's timerfd fires.  The helper is keel's own binary exec'd in
 * keel; here, with no binary to exec, it is the fork fallback running the
 * same code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/commit.h"
#include "init/deploy.h"
#include "init/supervisor.h"
#include "lib/util.h"
#include "tests/unit/fixture.h"

/* ---- the verdict ------------------------------------------------------------ */

static enum commit_verdict judge (bool exists, bool moved, enum unit_state st, const char *error,
                                  uint64_t ready_ms, uint64_t now, uint64_t deadline,
                                  uint64_t *wake, char **why)
{
	struct commit_view v = {.exists = exists,
	                        .moved = moved,
	                        .state = st,
	                        .error = error,
	                        .ready_ms = ready_ms};

	return commit_judge (&v, now, deadline, 4, wake, why);
}

static void test_judge (void **state)
{
	char *why = NULL;
	uint64_t wake = 0;

	(void)state;
	/* ready on the new files for the settle time: ready */
	assert_int_equal (
	        judge (true, true, U_READY, NULL, 1000, 1000 + COMMIT_SETTLE_MS, 9000, &wake, &why),
	        CV_READY);
	assert_null (why);
	/* ready only just: wait, and wake at the settle time's end */
	assert_int_equal (judge (true, true, U_READY, NULL, 1000, 1200, 9000, &wake, &why),
	                  CV_WAIT);
	assert_int_equal (wake, 1000 + COMMIT_SETTLE_MS);
	/* ...unless the deadline comes first: ready then is ready */
	assert_int_equal (judge (true, true, U_READY, NULL, 8800, 8900, 9000, &wake, &why),
	                  CV_WAIT);
	assert_int_equal (wake, 9000);
	assert_int_equal (judge (true, true, U_READY, NULL, 8800, 9000, 9000, &wake, &why),
	                  CV_READY);
	/* a oneshot done: at once */
	assert_int_equal (judge (true, true, U_DONE, NULL, 0, 1, 9000, &wake, &why), CV_READY);
	/* the old files ready (the reload has not taken the new ones): wait */
	assert_int_equal (judge (true, false, U_READY, NULL, 0, 5000, 9000, &wake, &why), CV_WAIT);
	assert_int_equal (wake, 9000);
	/* failed, blocked, unhealthy on the new files: at once, with the reason */
	assert_int_equal (
	        judge (true, true, U_FAILED, "exited with status 3", 0, 10, 9000, &wake, &why),
	        CV_FAIL);
	assert_string_equal (why, "is failed: exited with status 3");
	free (steal_ptr (&why));
	assert_int_equal (judge (true, true, U_UNHEALTHY, NULL, 0, 10, 9000, &wake, &why), CV_FAIL);
	assert_string_equal (why, "is unhealthy");
	free (steal_ptr (&why));
	assert_int_equal (judge (true, true, U_BLOCKED, "requires db, which failed", 0, 10, 9000,
	                         &wake, &why),
	                  CV_FAIL);
	assert_string_equal (why, "is blocked: requires db, which failed");
	free (steal_ptr (&why));
	/* failed on the old files (before the reload): not GEN's failure */
	assert_int_equal (judge (true, false, U_FAILED, "x", 0, 10, 9000, &wake, &why), CV_WAIT);
	/* starting, restarting: wait, then the deadline */
	assert_int_equal (judge (true, true, U_RESTART_WAIT, NULL, 0, 10, 9000, &wake, &why),
	                  CV_WAIT);
	assert_int_equal (judge (true, true, U_RUNNING, NULL, 0, 9000, 9000, &wake, &why), CV_FAIL);
	assert_string_equal (why, "was not ready within 4s (state running)");
	free (steal_ptr (&why));
	assert_int_equal (judge (true, false, U_READY, NULL, 0, 9001, 9000, &wake, &why), CV_FAIL);
	assert_string_equal (why, "was not started within 4s (keel still runs the files before it: "
	                          "not reloaded, or its new files are broken)");
	free (steal_ptr (&why));
	assert_int_equal (judge (false, false, U_WAITING, NULL, 0, 9001, 9000, &wake, &why),
	                  CV_FAIL);
	assert_string_equal (
	        why, "was not started within 4s (keel has no such entry: was it reloaded?)");
	free (steal_ptr (&why));
}

/* ---- the request ------------------------------------------------------------ */

static int parse (const char *line, struct commit_args *a, char **error)
{
	static char buf[512];
	char *w[8];
	size_t n = 0;
	char *save = NULL, *p;

	snprintf (buf, sizeof buf, "%s", line);
	for (p = strtok_r (buf, " ", &save); p && n < 8; p = strtok_r (NULL, " ", &save))
		w[n++] = p;
	return commit_parse (n, w, a, error);
}

static void refused (const char *line, const char *want)
{
	struct commit_args a;
	char *e = NULL;

	assert_int_equal (parse (line, &a, &e), -1);
	if (strstr (e, want) == NULL)
		fail_msg ("`%s`: got \"%s\", want \"%s\"", line, e, want);
	free (e);
}

static void test_parse (void **state)
{
	struct commit_args a;
	char *e = NULL;

	(void)state;
	assert_int_equal (parse ("pending web 3 60", &a, &e), 0);
	assert_true (a.arm);
	assert_string_equal (a.name, "web");
	assert_int_equal (a.gen, 3);
	assert_int_equal (a.seconds, 60);
	assert_int_equal (parse ("pending web", &a, &e), 0);
	assert_false (a.arm);
	assert_int_equal (parse ("pending web 999999999 86400", &a, &e), 0);
	assert_int_equal (a.gen, DEPLOY_MAX_GEN);

	refused ("pending", "expected NAME, or NAME GENERATION SECONDS");
	refused ("pending web 3", "expected NAME, or NAME GENERATION SECONDS");
	refused ("pending web 3 60 x", "expected NAME, or NAME GENERATION SECONDS");
	refused ("pending ../web 3 60", "container name");
	refused ("pending .web", "container name");
	refused ("pending -web", "container name");
	refused ("pending web 0 60", "generation \"0\": expected 1 to 999999999");
	refused ("pending web 1000000000 60", "generation \"1000000000\"");
	refused ("pending web -1 60", "generation \"-1\"");
	refused ("pending web 3x 60", "generation \"3x\"");
	refused ("pending web 99999999999999999999999 60", "generation");
	refused ("pending web 3 0", "seconds \"0\": expected 1 to 86400");
	refused ("pending web 3 86401", "seconds \"86401\"");
	refused ("pending web 3 1e3", "seconds \"1e3\"");
}

static void report (const char *text, char kind, unsigned prev, const char *msg)
{
	char buf[COMMIT_REPORT_MAX];
	struct commit_report r;

	snprintf (buf, sizeof buf, "%s", text);
	commit_parse_report (buf, strlen (buf), &r);
	assert_int_equal (r.kind, kind);
	assert_int_equal (r.prev, prev);
	if (msg)
		assert_string_equal (r.message, msg);
}

static void test_report (void **state)
{
	(void)state;
	report ("C\n", 'C', 0, NULL);
	report ("R0\n", 'R', 0, NULL);
	report ("R12\n", 'R', 12, NULL);
	report ("F\n", 'F', 0, NULL);
	report ("N\n", 'N', 0, NULL);
	report ("Ewrite `deploy.json`: No space left on device\n", 'E', 0,
	        "write `deploy.json`: No space left on device");
	/* not one whole line, or not a report: none */
	report ("", 0, 0, NULL);
	report ("C", 0, 0, NULL);
	report ("C\nC\n", 0, 0, NULL);
	report ("Cx\n", 0, 0, NULL);
	report ("R\n", 0, 0, NULL);
	report ("R1000000000\n", 0, 0, NULL);
	report ("Rx\n", 0, 0, NULL);
	report ("X\n", 0, 0, NULL);
}

/* The helper's error report fits what PID 1 reads (COMMIT_REPORT_MAX - 1
 * bytes), however long the message: containers.d's path here. */
static void test_report_long (void **state)
{
	char dir[1400], got[4096];
	char *argv[] = {(char *)COMMIT_HELPER_ROLE, (char *)"undo", (char *)"web", dir,
	                (char *)"1", (char *)"why", NULL};
	struct commit_report r;
	int p[2], saved;
	ssize_t n;

	(void)state;
	memset (dir, 'x', sizeof dir - 1);
	dir[0] = '/';
	dir[sizeof dir - 1] = '\0';
	for (size_t i = 200; i < sizeof dir - 1; i += 200)
		dir[i] = '/'; /* components of at most 199 bytes: ENOENT, not ENAMETOOLONG */
	assert_int_equal (pipe (p), 0);
	saved = dup (3);
	assert_int_equal (dup2 (p[1], 3), 3);
	assert_int_equal (commit_helper_main (6, argv), 1);
	if (saved >= 0) {
		dup2 (saved, 3);
		close (saved);
	} else {
		close (3);
	}
	close (p[1]);
	n = read (p[0], got, sizeof got);
	close (p[0]);
	assert_true (n > 0 && n <= COMMIT_REPORT_MAX - 1);
	commit_parse_report (got, (size_t)n, &r);
	assert_int_equal (r.kind, 'E');
	assert_true (strncmp (r.message, "open containers.d `/xxx", 23) == 0);
}

/* ---- PID 1's side, on a real loop and store ---------------------------------- */

static char tmpdir[64];
static struct sup s;
static struct init_opts opts;
static int cdfd = -1;

static void put (const char *path, const char *text)
{
	fixture_put (cdfd, path, text);
}

static void make_entry (const char *dir, const char *version)
{
	char p[256];

	assert_int_equal (mkdirat (cdfd, dir, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs", dir);
	assert_int_equal (mkdirat (cdfd, p, 0755), 0);
	snprintf (p, sizeof p, "%s/rootfs/version", dir);
	put (p, version);
	snprintf (p, sizeof p, "%s/config.json", dir);
	put (p, version);
}

/* A new pending deployment of web, switched to; its generation. */
static unsigned add_pending (const char *stage, const char *version)
{
	struct keel_error *err = NULL;
	struct deployment d = {.pending = true};
	unsigned gen = 0;

	make_entry (stage, version);
	assert_int_equal (deploy_add (cdfd, "web", stage, &d, 10, &gen, &err), 0);
	deployment_free (&d);
	return gen;
}

static int setup (void **state)
{
	struct keel_error *err = NULL;
	struct unit *u;

	(void)state;
	fixture_tmpdir (tmpdir, sizeof tmpdir, "/tmp/kc-commit");
	cdfd = open (tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (cdfd >= 0);
	make_entry ("web", "v0"); /* a plain entry: deployment 0 */

	memset (&s, 0, sizeof s);
	init_opts_defaults (&opts);
	free (opts.dir);
	opts.dir = xstrdup (tmpdir);
	s.opts = &opts;
	assert_int_equal (loop_init (&s.loop, &err), 0);
	s.units = xmalloc0 (sizeof (struct unit));
	s.n_units = 1;
	u = &s.units[0];
	u->name = xstrdup ("web");
	u->state = U_READY;
	u->fp.taken = true;
	u->fp.config = 1; /* deployment 0's files */
	s.graph.nodes = xmalloc0 (sizeof (struct graph_node));
	s.graph.n = 1;
	return 0;
}

static int teardown (void **state)
{
	(void)state;
	commit_free (&s);
	loop_close (&s.loop);
	init_opts_free (&opts);
	free (s.units[0].name);
	free (s.units[0].error);
	free (s.units);
	free (s.graph.nodes);
	close (cdfd);
	fixture_remove (tmpdir);
	return 0;
}

static char *request (const char *line)
{
	char buf[256], *w[8];
	size_t n = 0;
	char *save = NULL, *p;

	snprintf (buf, sizeof buf, "%s", line);
	for (p = strtok_r (buf, " ", &save); p && n < 8; p = strtok_r (NULL, " ", &save))
		w[n++] = p;
	return commit_request (&s, n, w);
}

/* Run the loop (as sup_run does: commit_step each pass) until `pending
 * web` shows the state, 10 s at most. */
static char *run_until (const char *state_line)
{
	for (int k = 0; k < 200; k++) {
		struct keel_error *err = NULL;
		char *st;

		commit_step (&s);
		st = request ("pending web");
		if (strstr (st, state_line))
			return st;
		free (st);
		assert_true (loop_once (&s.loop, 50, &err) >= 0);
	}
	fail_msg ("`pending web` never showed \"%s\"", state_line);
	return NULL;
}

static const struct deployment *meta (struct deploy_entry *e, unsigned gen)
{
	struct keel_error *err = NULL;

	assert_int_equal (deploy_open (cdfd, "web", e, &err), 0);
	return deploy_find (e, gen);
}

static void test_commit_when_ready (void **state)
{
	struct deploy_entry e;
	unsigned gen = add_pending (".stage-1", "v1");
	char *r;

	(void)state;
	r = request ("pending web 1 20");
	assert_string_equal (r, "ok\n");
	free (r);
	/* the reload has not taken the new files yet: ready on the old ones
	 * is not a commit */
	commit_step (&s);
	r = request ("pending web");
	assert_non_null (strstr (r, "state: watching\n"));
	free (r);
	/* the new files (another fingerprint), ready long enough */
	s.units[0].fp.config = 2;
	s.units[0].ready_ms = console_now_ms () - COMMIT_SETTLE_MS;
	r = run_until ("state: committed\n");
	assert_non_null (strstr (r, "generation: 1\n"));
	free (r);
	{
		const struct deployment *d = meta (&e, gen);
		assert_false (d->pending);
		assert_null (d->failed);
		assert_int_equal (e.active, 1);
		deploy_entry_free (&e);
	}
}

static void test_rollback_when_failed (void **state)
{
	struct deploy_entry e;
	unsigned gen;
	char *r;

	(void)state;
	add_pending (".stage-1", "v1");
	{
		struct keel_error *err = NULL;
		assert_int_equal (deploy_commit (cdfd, "web", 1, &err), 0);
	}
	s.units[0].fp.config = 2; /* running deployment 1 */
	gen = add_pending (".stage-2", "v2");
	assert_int_equal (gen, 2);
	r = request ("pending web 2 20");
	assert_string_equal (r, "ok\n");
	free (r);
	/* a reload is under way: the rollback's own reload waits for it */
	s.reload = (struct reload *)&s;
	s.units[0].fp.config = 3;
	s.units[0].state = U_FAILED;
	s.units[0].error = xstrdup ("exited with status 3");
	r = run_until ("state: reloading\n");
	assert_non_null (strstr (r, "why: is failed: exited with status 3\n"));
	assert_non_null (strstr (r, "previous: 1\n"));
	free (r);
	assert_string_equal (meta (&e, 2)->failed, "is failed: exited with status 3");
	assert_int_equal (e.active, 1);
	deploy_entry_free (&e);
	/* a second update of web while this one is being rolled back: refused */
	r = request ("pending web 3 20");
	assert_string_equal (r, "error: pending: the update of web to deployment 2 is reloading; "
	                        "try again\n");
	free (r);
	s.reload = NULL;
}

static void test_rollback_at_deadline (void **state)
{
	struct deploy_entry e;
	uint64_t t0;
	char *r;

	(void)state;
	add_pending (".stage-1", "v1");
	r = request ("pending web 1 1");
	assert_string_equal (r, "ok\n");
	free (r);
	s.reload = (struct reload *)&s;
	t0 = console_now_ms ();
	/* nothing happens to the entry: the timerfd ends the wait */
	r = run_until ("state: reloading\n");
	assert_true (console_now_ms () - t0 >= 1000);
	assert_non_null (
	        strstr (r, "why: was not started within 1s (keel still runs the files before it"));
	assert_non_null (strstr (r, "previous: 0\n"));
	free (r);
	assert_non_null (strstr (meta (&e, 1)->failed, "was not started within 1s"));
	assert_int_equal (e.active, 0);
	deploy_entry_free (&e);
	s.reload = NULL;
}

/* While keel shuts down nothing is decided (the boot check undoes a
 * pending switch), and a deadline passing then does not wake the loop at
 * every pass. */
static void test_quiet_at_shutdown (void **state)
{
	int events = 0;
	char *r;

	(void)state;
	add_pending (".stage-1", "v1");
	r = request ("pending web 1 1");
	assert_string_equal (r, "ok\n");
	free (r);
	s.shutting_down = true;
	for (int k = 0; k < 6; k++) {
		struct keel_error *err = NULL;
		commit_step (&s);
		events += loop_once (&s.loop, 300, &err);
	}
	assert_int_equal (events, 0);
	r = request ("pending web");
	assert_non_null (strstr (r, "state: watching\n"));
	free (r);
	r = request ("pending web 2 5");
	assert_string_equal (r, "error: shutting down\n");
	free (r);
	s.shutting_down = false;
}

static void test_first_deployment (void **state)
{
	char *r;

	(void)state;
	/* web is a plain entry; "solo" gets its first deployment */
	{
		struct keel_error *err = NULL;
		struct deployment d = {.pending = true};
		unsigned gen;
		make_entry (".stage-s", "s1");
		assert_int_equal (deploy_add (cdfd, "solo", ".stage-s", &d, 10, &gen, &err), 0);
		assert_int_equal (gen, 1);
	}
	r = request ("pending solo 1 1");
	assert_string_equal (r, "ok\n");
	free (r);
	for (int k = 0; k < 200; k++) {
		struct keel_error *err = NULL;
		commit_step (&s);
		r = request ("pending solo");
		if (strstr (r, "state: failed\n"))
			break;
		free (r);
		r = NULL;
		assert_true (loop_once (&s.loop, 50, &err) >= 0);
	}
	assert_non_null (r);
	assert_non_null (strstr (r, "why: was not started within 1s (keel has no such entry"));
	assert_null (strstr (r, "previous:"));
	free (r);
	r = request ("pending nosuch");
	assert_string_equal (r, "error: pending: no update of nosuch is watched\n");
	free (r);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_judge),
	        cmocka_unit_test (test_parse),
	        cmocka_unit_test (test_report),
	        cmocka_unit_test (test_report_long),
	        cmocka_unit_test_setup_teardown (test_commit_when_ready, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_rollback_when_failed, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_rollback_at_deadline, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_quiet_at_shutdown, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_first_deployment, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
