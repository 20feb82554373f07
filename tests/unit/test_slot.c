/* init/slot: whole-node A/B's state file and its decisions.
 *
 * The parser: every good form read, every bad one refused with the file,
 * the JSON path and the reason.  The decisions, as boot sequences a node
 * goes through (a good update, a bad one, a slot that never comes up, a
 * pending trial left alone by the other slot's mark).  The writer on a
 * real directory, stopped dead at every crash point (a child _exit()s at
 * point k): boot.json is always the old state or the new one, whole,
 * never a mix or nothing.  A power cut's lost page cache is what the
 * fsync of the file before the rename and of the directory after cover;
 * tests-qemu/scenarios/ab boots the real thing. */
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

#include "init/slot.h"
#include "lib/util.h"
#include "tests/unit/fixture.h"

static int parse (const char *text, struct slot_state *st, char **msg)
{
	struct keel_error *err = NULL;
	int ret = slot_state_parse ("boot.json", text, strlen (text), st, &err);

	*msg = ret < 0 ? keel_error_string (err) : NULL;
	keel_error_release (&err);
	return ret;
}

static void test_parse_good (void **state)
{
	struct slot_state st;
	char *msg;

	(void)state;
	assert_int_equal (parse ("{\"good\": \"A\", \"next\": \"B\", \"tries\": 1}", &st, &msg), 0);
	assert_int_equal (st.good, 'A');
	assert_int_equal (st.next, 'B');
	assert_int_equal (st.tries, 1);
	assert_int_equal (st.failed, 0);
	/* tries may be left out (0); lower case slots; failed */
	assert_int_equal (parse ("{\"next\":\"b\",\"good\":\"b\",\"failed\":\"A\"}", &st, &msg), 0);
	assert_int_equal (st.good, 'B');
	assert_int_equal (st.next, 'B');
	assert_int_equal (st.tries, 0);
	assert_int_equal (st.failed, 'A');
	/* the format reads back as itself */
	for (unsigned t = 0; t <= SLOT_MAX_TRIES; t++) {
		struct slot_state a = {
		        .good = 'B', .next = 'A', .tries = t, .failed = t % 2 ? 'A' : 0};
		struct slot_state b;
		char *text = slot_state_format (&a);

		assert_non_null (strchr (text, '\n'));
		assert_int_equal (parse (text, &b, &msg), 0);
		assert_true (slot_state_equal (&a, &b));
		free (text);
	}
}

static void test_parse_bad (void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	        {"", "boot.json: "},
	        {"[]", "boot.json: expected an object"},
	        {"{\"good\": \"A\"}", "boot.json: next: missing"},
	        {"{\"next\": \"A\"}", "boot.json: good: missing"},
	        {"{\"good\": \"C\", \"next\": \"A\"}", "boot.json: good: \"C\" is not a slot"},
	        {"{\"good\": \"AB\", \"next\": \"A\"}", "boot.json: good: \"AB\" is not a slot"},
	        {"{\"good\": 1, \"next\": \"A\"}", "boot.json: good: expected \"A\" or \"B\""},
	        {"{\"good\": \"A\", \"next\": \"\"}", "boot.json: next: \"\" is not a slot"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"tries\": -1}",
	         "boot.json: tries: expected an integer from 0 to 16"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"tries\": 17}",
	         "boot.json: tries: expected an integer from 0 to 16"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"tries\": \"1\"}",
	         "boot.json: tries: expected an integer"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"tries\": 1.5}",
	         "boot.json: tries: expected an integer"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"failed\": \"X\"}",
	         "boot.json: failed: \"X\" is not a slot"},
	        {"{\"good\": \"A\", \"next\": \"B\", \"nxet\": \"B\"}",
	         "boot.json: nxet: unknown key"},
	        {"{\"good\": \"A\", \"good\": \"B\", \"next\": \"B\"}", "boot.json: "},
	        {"{\"good\": \"A\", \"next\": \"B\"} {}", "boot.json: "},
	        {"{\"good\": \"A\\u0000\", \"next\": \"B\"}", "boot.json: good: "},
	};
	struct slot_state st;
	char *msg;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (parse (cases[i].text, &st, &msg) == 0)
			fail_msg ("accepted: %s", cases[i].text);
		if (strncmp (msg, cases[i].msg, strlen (cases[i].msg)) != 0)
			fail_msg ("%s: got \"%s\", want \"%s...\"", cases[i].text, msg,
			          cases[i].msg);
		assert_null (strchr (msg, '\n'));
		free (msg);
	}
}

/* The boots of one node: what the selector picks, what each boot leaves. */
static void test_decisions (void **state)
{
	struct slot_state st;
	bool trial, changed;

	(void)state;
	slot_state_default (&st);
	/* a fresh disk: A, nothing to write */
	assert_int_equal (slot_choose (&st, &trial, &changed), 'A');
	assert_false (trial);
	assert_false (changed);
	assert_false (slot_mark_good (&st, 'A'));

	/* a good update into B: one try, spent before the boot */
	slot_set_next (&st, 'B', 1);
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	assert_true (trial);
	assert_true (changed);
	assert_int_equal (st.tries, 0);
	assert_true (slot_mark_good (&st, 'B'));
	assert_int_equal (st.good, 'B');
	assert_int_equal (st.next, 'B');
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	assert_false (changed);

	/* a bad update into A, two tries: A, A, then back to B for good */
	slot_set_next (&st, 'A', 2);
	assert_int_equal (slot_choose (&st, &trial, &changed), 'A');
	assert_int_equal (st.tries, 1);
	assert_int_equal (slot_choose (&st, &trial, &changed), 'A');
	assert_int_equal (st.tries, 0);
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	assert_false (trial);
	assert_true (changed);
	assert_int_equal (st.failed, 'A');
	assert_int_equal (st.next, 'B');
	/* and it stays there */
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	assert_false (changed);
	/* the good slot's mark keeps the record of the failure */
	assert_false (slot_mark_good (&st, 'B'));
	assert_int_equal (st.failed, 'A');
	/* a new image in A clears it */
	slot_set_next (&st, 'A', 1);
	assert_int_equal (st.failed, 0);

	/* B marks itself while a trial of A, set by hand meanwhile, is
	 * pending: it stays pending */
	st = (struct slot_state){.good = 'A', .next = 'B', .tries = 1};
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	st.good = 'B'; /* (marked once) */
	slot_set_next (&st, 'A', 1);
	st.good = 'A'; /* and `keelctl slot good A` by hand */
	assert_true (slot_mark_good (&st, 'B'));
	assert_int_equal (st.good, 'B');
	assert_int_equal (st.next, 'A');
	assert_int_equal (st.tries, 1);
	/* with no trial pending, the marked slot is next too: set-next of
	 * the good A while B was on trial cancelled B's trial, but B came
	 * up and is the one running */
	st = (struct slot_state){.good = 'A', .next = 'B', .tries = 1};
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	slot_set_next (&st, 'A', 1);
	assert_int_equal (st.tries, 0);
	assert_true (slot_mark_good (&st, 'B'));
	assert_int_equal (st.good, 'B');
	assert_int_equal (st.next, 'B');
	assert_int_equal (slot_choose (&st, &trial, &changed), 'B');
	assert_false (changed);

	/* set-next of the good slot is no trial */
	st = (struct slot_state){.good = 'A', .next = 'B', .tries = 3};
	slot_set_next (&st, 'A', 3);
	assert_int_equal (st.tries, 0);
	assert_int_equal (slot_choose (&st, &trial, &changed), 'A');
	assert_false (changed);
}

static char *cmdline (const char *own, const char *extra, char slot, bool trial, char **msg)
{
	struct keel_error *err = NULL;
	char *c = slot_cmdline_make (own, extra, "A/cmdline", slot, trial, &err);

	*msg = c ? NULL : keel_error_string (err);
	keel_error_release (&err);
	return c;
}

/* keelctl slot's booted slot, read as keel reads its command line. */
static void test_booted (void **state)
{
	bool trial;

	(void)state;
	assert_int_equal (slot_booted ("keel.slot=B keel.slot.trial console=ttyS0", &trial), 'B');
	assert_true (trial);
	assert_int_equal (slot_booted ("console=ttyS0", &trial), 0);
	assert_false (trial);
	/* a quoted value is one word: its keel.slot=A is not an option */
	assert_int_equal (slot_booted ("keel.slot=B x=\"a keel.slot=A keel.slot.trial b\"", &trial),
	                  'B');
	assert_false (trial);
	/* quotes removed as keel's parser removes them */
	assert_int_equal (slot_booted ("\"keel.slot=A\" keel.\"slot.trial\"", &trial), 'A');
	assert_true (trial);
	/* after "--": init's arguments */
	assert_int_equal (slot_booted ("keel.slot=A -- keel.slot=B keel.slot.trial", &trial), 'A');
	assert_false (trial);
	/* a bad value is ignored, as keel ignores it */
	assert_int_equal (slot_booted ("keel.slot=B keel.slot=C", &trial), 'B');
}

/* What the selector hands the slot's kernel. */
static void test_cmdline (void **state)
{
	char *c, *msg, big[3000];

	(void)state;
	c = cmdline ("console=ttyS0 panic=-1  keel.slots=LABEL=keelboot\n", NULL, 'B', true, &msg);
	assert_string_equal (c, "keel.slot=B keel.slot.trial console=ttyS0 panic=-1 "
	                        "keel.slots=LABEL=keelboot");
	free (c);
	/* the slot's own words follow; a keel.slot of either is dropped, so
	 * only the selector says which slot booted and whether on trial */
	c = cmdline ("keel.slot=A keel.slots=/dev/vda keel.slot.trial",
	             "quiet\nkeel.debug keel.slot.trial\tkeel.\"slot=A\" keel.slots=/dev/vdb\n",
	             'B', false, &msg);
	assert_string_equal (c, "keel.slot=B keel.slots=/dev/vda quiet keel.debug");
	free (c);
	/* ahead of a "--" (what follows goes to init as arguments) */
	c = cmdline ("console=ttyS0 -- x", "-- y", 'A', false, &msg);
	assert_string_equal (c, "keel.slot=A console=ttyS0 -- x -- y");
	free (c);
	/* a quoted value keeps its spaces */
	c = cmdline ("a \"b  c\" keel.x=\"y z\"", NULL, 'A', false, &msg);
	assert_string_equal (c, "keel.slot=A a \"b  c\" keel.x=\"y z\"");
	free (c);
	c = cmdline ("", "", 'A', false, &msg);
	assert_string_equal (c, "keel.slot=A");
	free (c);
	/* refused: a control character in the slot's file; too long */
	assert_null (cmdline ("x", "quiet\x1b[2J", 'A', false, &msg));
	assert_string_equal (msg, "A/cmdline: a control character (byte 5)");
	free (msg);
	assert_null (cmdline ("x", "quiet keel.x=\"y", 'A', false, &msg));
	assert_string_equal (msg, "A/cmdline: a double quote without its end");
	free (msg);
	assert_null (cmdline ("x=\"", NULL, 'A', false, &msg));
	assert_string_equal (msg, "the kernel command line: a double quote without its end");
	free (msg);
	memset (big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_null (cmdline ("console=ttyS0", big, 'A', false, &msg));
	assert_non_null (strstr (msg, "more than the 2047 the kernel takes"));
	free (msg);
}

static char tmpdir[64];

static int setup (void **state)
{
	(void)state;
	fixture_tmpdir (tmpdir, sizeof tmpdir, "/tmp/keel-test-slot");
	return 0;
}

static int teardown (void **state)
{
	(void)state;
	fixture_remove (tmpdir);
	return 0;
}

static void test_read_write (void **state)
{
	struct keel_error *err = NULL;
	struct slot_state st = {.good = 'B', .next = 'A', .tries = 2}, back;
	int dfd = open (tmpdir, O_RDONLY | O_DIRECTORY);
	bool missing;
	char p[128];

	(void)state;
	assert_true (dfd >= 0);
	/* none yet: the default, said so */
	assert_int_equal (slot_state_read (dfd, "boot.json", &back, &missing, &err), 0);
	assert_true (missing);
	assert_int_equal (back.good, 'A');
	assert_int_equal (slot_state_write (dfd, "boot.json", &st, &err), 0);
	assert_int_equal (slot_state_read (dfd, "boot.json", &back, &missing, &err), 0);
	assert_false (missing);
	assert_true (slot_state_equal (&st, &back));
	/* a link put in its place is refused, not followed */
	snprintf (p, sizeof p, "%s/" SLOT_STATE_FILE, tmpdir);
	assert_int_equal (unlink (p), 0);
	assert_int_equal (symlink ("/etc/hostname", p), 0);
	assert_true (slot_state_read (dfd, "boot.json", &back, &missing, &err) < 0);
	keel_error_release (&err);
	/* the writer replaces the link itself (rename), never writes through it */
	assert_int_equal (slot_state_write (dfd, "boot.json", &st, &err), 0);
	assert_int_equal (slot_state_read (dfd, "boot.json", &back, &missing, &err), 0);
	assert_true (slot_state_equal (&st, &back));
	close (dfd);
}

struct crashing {
	int dfd;
	const struct slot_state *st;
	unsigned k;
};

/* In the child of fixture_run_writer: the writer, stopping dead at
 * crash point K. */
static int crashing_writer (void *arg, struct keel_error **err)
{
	const struct crashing *c = arg;

	slot_crash_at = c->k;
	return slot_state_write (c->dfd, "boot.json", c->st, err);
}

/* The writer stopped dead at point k; true when it got past every point. */
static bool write_crashing (int dfd, const struct slot_state *st, unsigned k)
{
	struct crashing c = {dfd, st, k};

	return fixture_run_writer (crashing_writer, &c);
}

static void test_crash_points (void **state)
{
	struct keel_error *err = NULL;
	struct slot_state old = {.good = 'A', .next = 'A'};
	struct slot_state new = {.good = 'A', .next = 'B', .tries = 1};
	struct slot_state back;
	int dfd = open (tmpdir, O_RDONLY | O_DIRECTORY);
	unsigned k, saw_old = 0, saw_new = 0;
	bool missing;

	(void)state;
	assert_true (dfd >= 0);
	for (k = 1; k < 20; k++) {
		bool done;

		assert_int_equal (slot_state_write (dfd, "boot.json", &old, &err), 0);
		done = write_crashing (dfd, &new, k);
		/* whatever the point: a whole state, the old or the new */
		assert_int_equal (slot_state_read (dfd, "boot.json", &back, &missing, &err), 0);
		assert_false (missing);
		if (slot_state_equal (&back, &old))
			saw_old++;
		else if (slot_state_equal (&back, &new))
			saw_new++;
		else
			fail_msg ("crash point %u: neither the old nor the new state", k);
		/* and the next writer still works over what was left */
		assert_int_equal (slot_state_write (dfd, "boot.json", &new, &err), 0);
		if (done)
			break;
	}
	assert_true (k < 20);
	print_message ("slot_state_write: %u crash points, old state after %u, new after %u\n",
	               k - 1, saw_old, saw_new);
	assert_true (saw_old >= 2); /* stopped before the rename */
	assert_true (saw_new >= 2); /* stopped after it */
	close (dfd);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_parse_good),
	        cmocka_unit_test (test_parse_bad),
	        cmocka_unit_test (test_decisions),
	        cmocka_unit_test (test_cmdline),
	        cmocka_unit_test (test_booted),
	        cmocka_unit_test_setup_teardown (test_read_write, setup, teardown),
	        cmocka_unit_test_setup_teardown (test_crash_points, setup, teardown),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
