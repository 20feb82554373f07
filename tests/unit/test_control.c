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
#include <json-c/json.h>

#include "init/control.h"
#include "lib/util.h"

static struct sup s;
static struct control ctl;
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
	EXPECT ("frobnicate", "error: unknown request \"frobnicate\" (list, status, logs, "
	                      "boot-time, start, stop, restart, reload, deployment, pending, import, "
	                      "poweroff, reboot, halt)\n");
	EXPECT ("list web", "error: list takes no argument\n");
	EXPECT ("status ", "ok\n"
	                   "net                  done       oneshot  0       0\n"
	                   "web                  ready      service  42      2\n"
	                   "bad                  failed     service  0       0\n");
	EXPECT ("start", "error: start needs a container name\n");
	EXPECT ("status ../etc",
	        "error: status: invalid container name `../etc`: only [A-Za-z0-9_+.-] allowed\n");
	EXPECT ("logs web -f", "error: logs -f needs a connection\n");
	EXPECT ("logs web -n x", "error: logs: -n takes a number of lines, got \"x\"\n");
	EXPECT ("logs web -n", "error: logs: unexpected \"-n\" (logs NAME [BYTES] or logs NAME "
	                       "[-n LINES] [-f])\n");
	EXPECT ("logs web -f -f", "error: logs: unexpected \"-f\" (logs NAME [BYTES] or logs "
	                          "NAME [-n LINES] [-f])\n");
	EXPECT ("boot-time now", "error: boot-time takes no argument\n");
	EXPECT ("status --json web net", "error: too many arguments\n");
	EXPECT ("status --json nosuch", "error: no container \"nosuch\"\n");
	EXPECT ("a b c d e f g h i", "error: too many arguments\n");
	EXPECT ("status nosuch", "error: no container \"nosuch\"\n");
	EXPECT ("status web extra", "error: too many arguments\n");
	EXPECT ("logs web 0", "error: logs: BYTES must be a positive number, got \"0\"\n");
	EXPECT ("logs web -5", "error: logs: BYTES must be a positive number, got \"-5\"\n");
	EXPECT ("logs web 1 2", "error: logs: unexpected \"1\" (logs NAME [BYTES] or logs NAME "
	                        "[-n LINES] [-f])\n");
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

static void test_logs_lines (void **state)
{
	logsink_feed (&s.units[0].log, "one\ntwo\nthree\nfour", 18, NULL, NULL, NULL);
	EXPECT ("logs net -n 1", "ok\nfour");
	EXPECT ("logs net -n 2", "ok\nthree\nfour");
	EXPECT ("logs net -n 100", "ok\none\ntwo\nthree\nfour");
	EXPECT ("logs net -n 0", "ok\n");
	logsink_feed (&s.units[0].log, "\n", 1, NULL, NULL, NULL);
	EXPECT ("logs net -n 1", "ok\nfour\n");
	EXPECT ("logs net -n 3", "ok\ntwo\nthree\nfour\n");
	EXPECT ("logs net\t-n\t1", "ok\nfour\n");
}

/* A reply parsed by json-c, past its "ok\n". */
static json_object *json_reply (const char *request)
{
	char *r = req (request);
	json_object *j;

	assert_memory_equal (r, "ok\n", 3);
	j = json_tokener_parse (r + 3);
	if (j == NULL)
		fail_msg ("not JSON: %s", r);
	free (r);
	return j;
}

static const char *jstr (json_object *o, const char *key)
{
	json_object *v;

	assert_true (json_object_object_get_ex (o, key, &v));
	return json_object_get_string (v);
}

static void test_status_json (void **state)
{
	json_object *j, *units, *u, *v;

	/* what a container can say: control characters, quotes, not UTF-8 */
	s.units[1].notify_status = xstrdup ("half \"done\"\x01 \xff\xfe caf\xc3\xa9 \xed\xa0\x80");
	j = json_reply ("status --json");
	assert_true (json_object_object_get_ex (j, "units", &units));
	assert_int_equal (json_object_array_length (units), 3);
	u = json_object_array_get_idx (units, 1);
	assert_string_equal (jstr (u, "name"), "web");
	assert_string_equal (jstr (u, "state"), "ready");
	assert_string_equal (jstr (u, "kind"), "service");
	assert_string_equal (jstr (u, "pid"), "42");
	assert_string_equal (jstr (u, "restarts"), "2");
	assert_string_equal (jstr (u, "description"), "the web server");
	assert_string_equal (jstr (u, "restart"), "no");
	assert_string_equal (jstr (u, "readiness"), "started");
	assert_string_equal (jstr (u, "log_bytes"), "100");
	assert_string_equal (jstr (u, "notify_status"),
	                     "half \"done\"\x01 \xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9 "
	                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_true (json_object_object_get_ex (u, "requires", &v));
	assert_int_equal (json_object_array_length (v), 1);
	assert_string_equal (json_object_get_string (json_object_array_get_idx (v, 0)), "net");
	assert_true (json_object_object_get_ex (u, "cgroup", &v));
	assert_null (v); /* JSON null */
	u = json_object_array_get_idx (units, 2);
	assert_string_equal (jstr (u, "error"), "keel.json: kind: expected one of ...");
	json_object_put (j);

	j = json_reply ("status --json bad");
	assert_true (json_object_object_get_ex (j, "units", &units));
	assert_int_equal (json_object_array_length (units), 1);
	assert_string_equal (jstr (json_object_array_get_idx (units, 0), "state"), "failed");
	json_object_put (j);
	free (s.units[1].notify_status);
	s.units[1].notify_status = NULL;
}

static void test_boot_time (void **state)
{
	json_object *j, *units, *u, *v;

	s.keel_start_us = 1500000;
	s.setup_us = 1600000;
	s.loaded_us = 1700000;
	s.units[1].first_us[U_STARTING] = 1710000;
	s.units[1].created_us = 1720000;
	s.units[1].first_us[U_RUNNING] = 1730000;
	s.units[1].first_us[U_READY] = 1740000;
	j = json_reply ("boot-time");
	assert_string_equal (jstr (j, "clock"), "CLOCK_BOOTTIME");
	assert_string_equal (jstr (j, "keel_start"), "1500000");
	assert_string_equal (jstr (j, "loaded"), "1700000");
	assert_true (json_object_object_get_ex (j, "units", &units));
	assert_int_equal (json_object_array_length (units), 3);
	u = json_object_array_get_idx (units, 1);
	assert_string_equal (jstr (u, "name"), "web");
	assert_string_equal (jstr (u, "starting"), "1710000");
	assert_string_equal (jstr (u, "created"), "1720000");
	assert_string_equal (jstr (u, "ready"), "1740000");
	assert_string_equal (jstr (u, "done"), "0");
	assert_true (json_object_object_get_ex (u, "deps", &v));
	assert_int_equal (json_object_array_length (v), 1);
	assert_string_equal (jstr (json_object_array_get_idx (v, 0), "kind"), "requires");
	json_object_put (j);
}

/* ---- connections ----------------------------------------------------------- */

static char sock_dir[64];

static int conn_setup (void **state)
{
	struct keel_error *err = NULL;

	setup (state);
	snprintf (sock_dir, sizeof sock_dir, "/tmp/kfl-control.XXXXXX");
	assert_non_null (mkdtemp (sock_dir));
	free (opts.state);
	opts.state = xstrdup (sock_dir);
	s.loop.epfd = epoll_create1 (EPOLL_CLOEXEC);
	assert_true (s.loop.epfd >= 0);
	assert_int_equal (control_open (&ctl, &s, &err), 0);
	return 0;
}

static int conn_teardown (void **state)
{
	control_close (&ctl);
	close (s.loop.epfd);
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

/* Read what is there within a moment (the server side ran already). */
static size_t read_some (int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = recv (fd, buf + len, cap - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static struct ctl_client *client_of (int nth_newest)
{
	struct ctl_client *c = ctl.clients;

	while (c && nth_newest-- > 0)
		c = c->next;
	assert_non_null (c);
	return c;
}

static void test_long_request (void **state)
{
	char line[CONTROL_REQ_MAX + 600], reply[256];
	int fd = client ();
	size_t k;

	/* 300 bytes: a request like any other, a precise answer */
	memset (line, 'a', sizeof line);
	memcpy (line, "status ", 7);
	line[300] = '\n';
	assert_int_equal (send (fd, line, 301, MSG_NOSIGNAL), 301);
	accept_all ();
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	read_some (fd, reply, sizeof reply);
	assert_string_equal (
	        reply, "error: status: invalid container name: 293 characters, at most 128\n");
	assert_true (hung_up (fd));
	close (fd);

	/* longer than the limit: the error, then end of file, never a reset */
	fd = client ();
	line[300] = 'a';
	line[sizeof line - 1] = '\n';
	assert_int_equal (send (fd, line, sizeof line, MSG_NOSIGNAL), (ssize_t)sizeof line);
	accept_all ();
	for (k = 0; k < 8 && ctl.n_clients > 0; k++)
		control_client_event (&ctl, ctl.clients, EPOLLIN);
	read_some (fd, reply, sizeof reply);
	assert_string_equal (reply, "error: request longer than 4095 bytes\n");
	assert_int_equal (recv (fd, reply, sizeof reply, MSG_DONTWAIT), 0);
	close (fd);
	for (k = 0; k < 4 && ctl.n_clients > 0; k++)
		control_client_event (&ctl, ctl.clients, EPOLLIN);
	assert_int_equal (ctl.n_clients, 0);
}

static void test_follow (void **state)
{
	char buf[512];
	int f = client (), slow, other, k;
	int small = 1024;

	/* the follower gets the last line, then what comes after */
	assert_int_equal (send (f, "logs net -n 1 -f\n", 17, MSG_NOSIGNAL), 17);
	accept_all ();
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	read_some (f, buf, sizeof buf);
	assert_string_equal (buf, "ok\n");
	assert_int_equal (ctl.n_followers, 1);
	logsink_feed (&s.units[0].log, "hello\n", 6, NULL, NULL, NULL);
	logsink_feed (&s.units[1].log, "not mine\n", 9, NULL, NULL, NULL);
	logsink_feed (&s.units[0].log, "world\n", 6, NULL, NULL, NULL);
	read_some (f, buf, sizeof buf);
	assert_string_equal (buf, "hello\nworld\n");
	/* no deadline: the timer's pass leaves it */
	assert_int_equal (client_of (0)->deadline_ms, 0);
	control_accept (&ctl);
	assert_int_equal (ctl.n_followers, 1);

	/* a follower that never reads: its socket fills, then the ring laps
	 * it and it is dropped; PID 1 never waited */
	slow = client ();
	assert_int_equal (setsockopt (slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	assert_int_equal (send (slow, "logs net -f\n", 12, MSG_NOSIGNAL), 12);
	accept_all ();
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	assert_int_equal (ctl.n_followers, 2);
	for (k = 0; k < 4000 && ctl.n_followers == 2; k++) {
		logsink_feed (&s.units[0].log, "0123456789abcdef", 16, NULL, NULL, NULL);
		read_some (f, buf, sizeof buf); /* the good one keeps up */
	}
	assert_int_equal (ctl.n_followers, 1);
	assert_true (k < 4000);

	/* a request still gets its answer */
	other = client ();
	assert_int_equal (send (other, "list\n", 5, MSG_NOSIGNAL), 5);
	accept_all ();
	control_client_event (&ctl, ctl.clients, EPOLLIN);
	read_some (other, buf, sizeof buf);
	assert_memory_equal (buf, "ok\nnet ", 7);

	/* one that only shuts its sending side still follows */
	shutdown (f, SHUT_WR);
	control_client_event (&ctl, ctl.clients->next ? ctl.clients->next : ctl.clients, EPOLLIN);
	assert_int_equal (ctl.n_followers, 1);
	logsink_feed (&s.units[0].log, "still\n", 6, NULL, NULL, NULL);
	read_some (f, buf, sizeof buf);
	assert_string_equal (buf, "still\n");

	/* a follower that hangs up is gone at its next event */
	close (f);
	for (k = 0; k < 4 && ctl.n_followers > 0; k++)
		control_client_event (&ctl, ctl.clients, EPOLLIN | EPOLLHUP);
	assert_int_equal (ctl.n_followers, 0);
	close (slow);
	close (other);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_list),       cmocka_unit_test (test_status),
	        cmocka_unit_test (test_logs),       cmocka_unit_test (test_refused),
	        cmocka_unit_test (test_logs_lines), cmocka_unit_test (test_status_json),
	        cmocka_unit_test (test_boot_time),
	};
	const struct CMUnitTest conn_tests[] = {
	        cmocka_unit_test_setup_teardown (test_full_set_makes_room, conn_setup,
	                                         conn_teardown),
	        cmocka_unit_test_setup_teardown (test_deadlines, conn_setup, conn_teardown),
	        cmocka_unit_test_setup_teardown (test_long_request, conn_setup, conn_teardown),
	        cmocka_unit_test_setup_teardown (test_follow, conn_setup, conn_teardown),
	};
	int failed = cmocka_run_group_tests (tests, setup, teardown);

	return failed + cmocka_run_group_tests (conn_tests, NULL, NULL);
}
