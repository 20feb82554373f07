/* The control socket's request handling (control_handle): replies for
 * list, status and logs, and the refusal of every malformed request,
 * against a supervisor state built in memory (no event loop); and its
 * connection handling on a real socket and epoll set: a full set of idle
 * clients makes room for a new one (the oldest idle goes), which can power
 * off, and clients past their deadline are closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	                      "stop, restart, reload, deployment, poweroff, reboot, halt)\n");
	EXPECT ("list web", "error: unknown request \"list\" (list, status, logs, start, stop, "
	                    "restart, reload, deployment, poweroff, reboot, halt)\n");
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
	EXPECT ("reload --now", "error: reload: unknown option \"--now\" (--dry-run)\n");
	EXPECT ("reload --dry-run x", "error: too many arguments\n");
	free (opts.dir);
	opts.dir = xstrdup ("/nonexistent/ked-containers.d");
	EXPECT ("deployment", "ok\ndir: /nonexistent/ked-containers.d\n");
	EXPECT ("deployment web", "error: deployment takes no argument\n");
	EXPECT ("reload --dry-run", "error: reload: open containers.d `/nonexistent/ked-containers.d`: "
	                            "No such file or directory\n");
}

/* ---- connections ----------------------------------------------------------- */

static char sock_dir[64];
static struct control ctl;

static int conn_setup (void **state)
{
	struct keel_error *err = NULL;

	setup (state);
	snprintf (sock_dir, sizeof sock_dir, "/tmp/kfl-control.XXXXXX");
	assert_non_null (mkdtemp (sock_dir));
	free (opts.state);
	opts.state = xstrdup (sock_dir);
	assert_int_equal (loop_init (&s.loop, &err), 0);
	assert_int_equal (control_open (&ctl, &s, &err), 0);
	return 0;
}

static int conn_teardown (void **state)
{
	control_close (&ctl);
	loop_close (&s.loop);
	rmdir (sock_dir);
	return teardown (state);
}

static int client (void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true (fd >= 0);
	snprintf (sa.sun_path, sizeof sa.sun_path, "%s/keel.sock", sock_dir);
	assert_int_equal (connect (fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* keel's side hung up on fd (end of file, nothing sent) */
static bool hung_up (int fd)
{
	char b[16];

	return recv (fd, b, sizeof b, MSG_DONTWAIT) == 0;
}

static void accept_all (void)
{
	size_t k;

	for (k = 0; k < CONTROL_MAX_CLIENTS + 4; k++)
		control_accept (&ctl);
}

static void test_full_set_makes_room (void **state)
{
	int idle[CONTROL_MAX_CLIENTS], fd, k;
	char reply[64] = "";

	for (k = 0; k < CONTROL_MAX_CLIENTS; k++) {
		idle[k] = client ();
		accept_all ();
	}
	assert_int_equal (ctl.n_clients, CONTROL_MAX_CLIENTS);
	for (k = 0; k < CONTROL_MAX_CLIENTS; k++)
		assert_false (hung_up (idle[k]));
	/* one more: it gets in, the oldest idle one goes */
	fd = client ();
	accept_all ();
	assert_int_equal (ctl.n_clients, CONTROL_MAX_CLIENTS);
	assert_true (hung_up (idle[0]));
	for (k = 1; k < CONTROL_MAX_CLIENTS; k++)
		assert_false (hung_up (idle[k]));
	/* and it is heard: poweroff */
	assert_int_equal (send (fd, "poweroff\n", 9, MSG_NOSIGNAL), 9);
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	assert_true (s.shutting_down);
	assert_int_equal (recv (fd, reply, sizeof reply - 1, 0), 3);
	assert_string_equal (reply, "ok\n");
	close (fd);
	for (k = 0; k < CONTROL_MAX_CLIENTS; k++)
		close (idle[k]);
}

static void test_deadlines (void **state)
{
	struct ctl_client *c;
	uint64_t now = console_now_ms ();
	int a = client (), b = client ();

	accept_all ();
	assert_int_equal (ctl.n_clients, 2);
	for (c = ctl.clients; c; c = c->next) {
		assert_true (c->deadline_ms > now);
		assert_true (c->deadline_ms <= console_now_ms () + CONTROL_REQUEST_MS);
	}
	/* the older one's time is up: the next event closes it */
	ctl.clients->next->deadline_ms = now;
	control_accept (&ctl);
	assert_int_equal (ctl.n_clients, 1);
	assert_true (hung_up (a));
	assert_false (hung_up (b));
	/* a request half sent keeps its deadline; a whole one gets the reply's */
	assert_int_equal (send (b, "li", 2, MSG_NOSIGNAL), 2);
	now = ctl.clients->deadline_ms;
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	assert_int_equal (ctl.clients->deadline_ms, now);
	close (a);
	close (b);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_list),
	        cmocka_unit_test (test_status),
	        cmocka_unit_test (test_logs),
	        cmocka_unit_test (test_refused),
	};
	const struct CMUnitTest conn_tests[] = {
	        cmocka_unit_test_setup_teardown (test_full_set_makes_room, conn_setup,
	                                         conn_teardown),
	        cmocka_unit_test_setup_teardown (test_deadlines, conn_setup, conn_teardown),
	};
	int failed = cmocka_run_group_tests (tests, setup, teardown);

	return failed + cmocka_run_group_tests (conn_tests, NULL, NULL);
}
