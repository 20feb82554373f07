/* The control socket's request handling (control_handle): replies for
 * list, status and logs, and the refusal of every malformed request,
 * against a supervisor state built in memory (no event loop). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/control.h"
#include "lib/util.h"

static struct sup s;
static struct init_opts opts;

static void add_unit (const char *name, enum unit_state st, enum policy_kind kind)
{
	struct unit *u = &s.units[s.n_units++];

	u->name = xstrdup (name);
	u->state = st;
	policy_defaults (&u->policy);
	u->policy.kind = kind;
	logsink_init (&u->log, u->name, 64, false, NULL, 0, 0);
}

static int setup (void **state)
{
	const char *names[3];
	const struct policy *pols[3];
	size_t i;

	memset (&s, 0, sizeof s);
	init_opts_defaults (&opts);
	s.opts = &opts;
	s.units = xmalloc0 (3 * sizeof (struct unit));
	add_unit ("net", U_DONE, KIND_ONESHOT);
	add_unit ("web", U_READY, KIND_SERVICE);
	add_unit ("bad", U_FAILED, KIND_SERVICE);
	s.units[1].pid = 42;
	s.units[1].restarts = 2;
	s.units[1].policy.description = xstrdup ("the web server");
	s.units[2].error = xstrdup ("keel.json: kind: expected one of ...");
	s.units[1].policy.requires.v = xmalloc0 (2 * sizeof (char *));
	s.units[1].policy.requires.v[0] = xstrdup ("net");
	s.units[1].policy.requires.n = 1;
	for (i = 0; i < 3; i++) {
		names[i] = s.units[i].name;
		pols[i] = &s.units[i].policy;
	}
	graph_build (&s.graph, 3, names, pols, NULL, NULL);
	/* 100 bytes through a 64-byte ring: the oldest 36 are gone */
	logsink_feed (&s.units[1].log,
	              "0123456789012345678901234567890123456789012345678901234567890123456789"
	              "012345678901234567890123456789",
	              100, NULL, NULL, NULL);
	return 0;
}

static int teardown (void **state)
{
	size_t i;

	for (i = 0; i < s.n_units; i++) {
		logsink_free (&s.units[i].log);
		policy_free (&s.units[i].policy);
		free (s.units[i].name);
		free (s.units[i].error);
	}
	free (s.units);
	graph_free (&s.graph);
	init_opts_free (&opts);
	return 0;
}

static char *req (const char *r)
{
	size_t len;
	char *out = control_handle (&s, r, &len);
	assert_int_equal (strlen (out), len);
	return out;
}

#define EXPECT(request, reply)                     \
	do {                                       \
		char *got_ = req (request);        \
		assert_string_equal (got_, reply); \
		free (got_);                       \
	} while (0)

static void test_list (void **state)
{
	EXPECT ("list", "ok\n"
	                "net                  done       oneshot  0       0\n"
	                "web                  ready      service  42      2\n"
	                "bad                  failed     service  0       0\n");
}

static void test_status (void **state)
{
	EXPECT ("status web", "ok\nname: web\nstate: ready\nkind: service\npid: 42\nrestarts: 2\n"
	                      "description: the web server\nrestart: no\nreadiness: started\n"
	                      "requires: net\nnetwork: default\nlog-bytes: 100\n");
	EXPECT ("status bad", "ok\nname: bad\nstate: failed\nkind: service\npid: 0\nrestarts: 0\n"
	                      "restart: no\nreadiness: started\nnetwork: default\n"
	                      "error: keel.json: kind: expected one of ...\nlog-bytes: 0\n");
}

static void test_logs (void **state)
{
	EXPECT ("logs web", "ok\n6789012345678901234567890123456789012345678901234567890123456789");
	EXPECT ("logs web 10", "ok\n0123456789");
	EXPECT ("logs net", "ok\n");
}

static void test_refused (void **state)
{
	EXPECT ("", "error: empty request\n");
	EXPECT ("   ", "error: empty request\n");
	EXPECT ("frobnicate", "error: unknown request \"frobnicate\" (list, status, logs, start, "
	                      "stop, restart, poweroff, reboot, halt)\n");
	EXPECT ("list web", "error: unknown request \"list\" (list, status, logs, start, stop, "
	                    "restart, poweroff, reboot, halt)\n");
	EXPECT ("status ", "ok\n"
	                   "net                  done       oneshot  0       0\n"
	                   "web                  ready      service  42      2\n"
	                   "bad                  failed     service  0       0\n");
	EXPECT ("start", "error: start needs a container name\n");
	EXPECT ("status ../etc", "error: status needs a container name\n");
	EXPECT ("status nosuch", "error: no container \"nosuch\"\n");
	EXPECT ("status web extra", "error: too many arguments\n");
	EXPECT ("logs web 0", "error: logs: BYTES must be a positive number, got \"0\"\n");
	EXPECT ("logs web -5", "error: logs: BYTES must be a positive number, got \"-5\"\n");
	EXPECT ("logs web 1 2", "error: too many arguments\n");
	EXPECT ("start bad", "error: bad is broken: keel.json: kind: expected one of ...\n");
	EXPECT ("poweroff now", "error: poweroff takes no argument\n");
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_list),
	        cmocka_unit_test (test_status),
	        cmocka_unit_test (test_logs),
	        cmocka_unit_test (test_refused),
	};
	return cmocka_run_group_tests (tests, setup, teardown);
}
