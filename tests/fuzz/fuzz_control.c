/* libFuzzer target for PID 1's control socket (init/control.c): the bytes
 * a client sends on STATE/keel.sock, through the real path.  The input is
 * written to a connected client socket, control_accept() takes the
 * connection (SO_PEERCRED: we run as root), and control_client_event()
 * reads the request line, refuses control characters and over-long lines,
 * and runs control_handle(): the sscanf() split into command, name and
 * arguments, name validation, `logs NAME BYTES`, and list / status / start
 * / stop / restart / poweroff against a supervisor state built in memory
 * for every input (no event loop, no containers: every unit has pid 0 and
 * no cgroup, so nothing is ever signalled).
 *
 * Contract: the server closes the connection after at most one reply;
 * with a full line (or 255 bytes without one) the reply is "ok\n..." or
 * exactly one "error: ...\n" line; without one, no reply.  Never a crash,
 * leak, hang or undefined behaviour.
 *
 * It reaches the supervisor, hence the runtime and its libraries:
 * fuzz-libs: -lseccomp -ludev
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "init/control.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static struct init_opts opts;
static struct console con;
static struct sup s;
static struct control ctl;
static struct spec a_spec; /* only tested for NULL by control.c */
static char dir[64];

/* ---- the supervisor state, rebuilt for every input ---------------------- */

/* The state machine's hands: nothing is forked or signalled here. */
static uint64_t no_now (void *ctx)
{
	(void)ctx;
	return 1000;
}
static int no_launch (void *ctx, size_t i, char **why)
{
	(void)ctx, (void)i;
	*why = xstrdup ("not in the fuzzer");
	return -1;
}
static int no_cleanup (void *ctx, size_t i)
{
	(void)ctx, (void)i;
	return -1;
}
static void no_signal (void *ctx, size_t i, int signo, bool all)
{
	(void)ctx, (void)i, (void)signo, (void)all;
}
static const struct unit_ops fuzz_ops = {
        .now = no_now, .launch = no_launch, .cleanup = no_cleanup, .signal = no_signal};

static struct unit *add_unit (const char *name, enum unit_state st, enum policy_kind kind, bool ok)
{
	struct unit *u = &s.units[s.n_units++];

	u->name = xstrdup (name);
	u->state = st;
	u->spec = ok ? &a_spec : NULL;
	policy_defaults (&u->policy);
	u->policy.kind = kind;
	if (kind == KIND_ONESHOT)
		u->policy.ready = READY_EXITED;
	restart_init (&u->restart, &u->policy);
	logsink_init (&u->log, u->name, 128, false, NULL, 0, 0);
	u->log_r = u->log_w = u->notify_fd = u->helper_fd = -1;
	return u;
}

static void add_dep (struct policy_names *n, const char *name)
{
	n->v = xmalloc0 (2 * sizeof (char *));
	n->v[0] = xstrdup (name);
	n->n = 1;
}

static void units_build (void)
{
	static const char line[] = "listening on :80\nGET / 200\n";
	const char *names[8];
	const struct policy *pols[8];
	struct unit *u;
	size_t i;

	s.units = xmalloc0 (8 * sizeof (struct unit));
	s.n_units = 0;
	s.shutting_down = false;
	s.shutdown = SD_NONE;
	add_unit ("net", U_DONE, KIND_ONESHOT, true);
	u = add_unit ("web", U_READY, KIND_SERVICE, true);
	u->restarts = 2;
	u->policy.description = xstrdup ("the web server");
	add_dep (&u->policy.requires, "net");
	for (i = 0; i < 5; i++)
		logsink_feed (&u->log, line, sizeof line - 1, NULL, NULL, NULL);
	u = add_unit ("bad", U_FAILED, KIND_SERVICE, false);
	u->error = xstrdup ("keel.json: kind: expected one of \"service\", \"oneshot\", got 1");
	add_unit ("db", U_STOPPED, KIND_SERVICE, true);
	add_unit ("job", U_STOPPING, KIND_ONESHOT, true);
	u = add_unit ("app", U_WAITING, KIND_SERVICE, true);
	add_dep (&u->policy.after, "db");
	add_dep (&u->policy.wants, "job");
	u = add_unit ("cron", U_STARTING, KIND_SERVICE, true);
	u->cgroup = xstrdup ("/keel/containers/cron");
	u->notify_status = xstrdup ("warming up");
	add_unit ("old.v2", U_RESTART_WAIT, KIND_SERVICE, true);
	for (i = 0; i < s.n_units; i++) {
		names[i] = s.units[i].name;
		pols[i] = &s.units[i].policy;
	}
	graph_build (&s.graph, s.n_units, names, pols, NULL, NULL);
	unit_set_init (&s.set, s.units, s.n_units, &s.graph, s.con, &fuzz_ops, NULL);
}

static void units_free (void)
{
	size_t i;

	for (i = 0; i < s.n_units; i++) {
		struct unit *u = &s.units[i];
		logsink_free (&u->log);
		restart_free (&u->restart);
		policy_free (&u->policy);
		free (u->name);
		free (u->error);
		free (u->cgroup);
		free (u->notify_status);
	}
	free (s.units);
	s.units = NULL;
	s.n_units = 0;
	unit_set_free (&s.set);
	graph_free (&s.graph);
}

/* ---- the socket, opened once -------------------------------------------- */

static void cleanup (void)
{
	control_close (&ctl); /* closes the listening socket and unlinks it */
	loop_close (&s.loop);
	console_close (&con);
	rmdir (dir);
	init_opts_free (&opts);
}

int LLVMFuzzerInitialize (int *argc, char ***argv)
{
	struct keel_error *err = NULL;

	const char *base = getenv ("TMPDIR");

	/* in $TMPDIR (see fuzz_state.c) unless the socket path would not fit */
	if (base == NULL || *base == '\0' || strlen (base) > sizeof dir - 26)
		base = "/tmp";
	snprintf (dir, sizeof dir, "%s/keel-fuzz-control.XXXXXX", base);
	if (mkdtemp (dir) == NULL)
		abort ();
	init_opts_defaults (&opts);
	free (opts.state);
	opts.state = xstrdup (dir);
	if (console_open (&con, "/dev/null", &err) < 0)
		abort ();
	s.opts = &opts;
	s.con = &con;
	if (loop_init (&s.loop, &err) < 0 || control_open (&ctl, &s, &err) < 0)
		abort ();
	atexit (cleanup);
	return 0;
}

static int client_connect (void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf (sa.sun_path, sizeof sa.sun_path, "%s/keel.sock", dir);
	if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort ();
	return fd;
}

static void check_reply (const uint8_t *data, size_t size, const char *r, size_t len)
{
	size_t head = size < CONTROL_REQ_MAX - 1 ? size : CONTROL_REQ_MAX - 1;
	bool line = memchr (data, '\n', head) != NULL || size >= CONTROL_REQ_MAX - 1;

	if (len == 0) {
		if (line)
			abort (); /* a request without an answer */
		return;
	}
	if (!line)
		abort (); /* answered before the line was complete */
	if (len >= 3 && memcmp (r, "ok\n", 3) == 0)
		return;
	if (len < 8 || memcmp (r, "error: ", 7) != 0)
		abort ();
	/* one line: no NUL, a single newline, at the end */
	if (memchr (r, '\0', len) != NULL || memchr (r, '\n', len) != r + len - 1)
		abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	char reply[8192];
	size_t len = 0, k;
	ssize_t n;
	int fd;

	if (size > 4096)
		return 0; /* the socket buffer takes it all at once */
	units_build ();
	fd = client_connect ();
	if (size > 0 && write (fd, data, size) != (ssize_t)size)
		abort ();
	shutdown (fd, SHUT_WR);
	control_accept (&ctl);
	if (ctl.n_clients != 1)
		abort ();
	/* Each event consumes bytes or ends the connection. */
	for (k = 0; ctl.clients != NULL && k < CONTROL_REQ_MAX + 2; k++)
		control_client_event (&ctl, ctl.clients, EPOLLIN);
	if (ctl.clients != NULL || ctl.n_clients != 0)
		abort (); /* the server never let go */
	while ((n = read (fd, reply + len, sizeof reply - len)) > 0)
		len += (size_t)n;
	/* Closing a socket with unread bytes resets it (after the reply): the
	 * server reads at most one request's worth, so only a longer input
	 * may leave some. */
	if (n < 0 && !(errno == ECONNRESET && size > CONTROL_REQ_MAX - 1))
		abort ();
	check_reply (data, size, reply, len);
	close (fd);
	units_free ();
	return 0;
}
