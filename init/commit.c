/* PID 1's commit deadline of an update (see commit.h). */
#include "init/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "init/deploy.h"
#include "init/launch.h"
#include "init/reload.h"
#include "init/supervisor.h"
#include "lib/name.h"
#include "lib/util.h"

/* ---- pure --------------------------------------------------------------- */

static const char *const phase_names[] = {
        [CP_WATCHING] = "watching",       [CP_COMMITTING] = "committing",
        [CP_COMMITTED] = "committed",     [CP_UNDOING] = "rolling-back",
        [CP_RELOADING] = "reloading",     [CP_RECOVERING] = "recovering",
        [CP_ROLLED_BACK] = "rolled-back", [CP_FAILED] = "failed",
        [CP_CANCELLED] = "cancelled",
};

const char *commit_phase_name (enum commit_phase p)
{
	return (size_t)p < ARRAY_SIZE (phase_names) ? phase_names[p] : "?";
}

bool commit_phase_final (enum commit_phase p)
{
	return p == CP_COMMITTED || p == CP_ROLLED_BACK || p == CP_FAILED || p == CP_CANCELLED;
}

enum commit_verdict commit_judge (const struct commit_view *v, uint64_t now, uint64_t deadline_ms,
                                  unsigned timeout_s, uint64_t *wake_ms, char **why)
{
	const char *sep = v->error ? ": " : "", *e = v->error ? v->error : "";
	bool expired = now >= deadline_ms;

	*why = NULL;
	*wake_ms = deadline_ms;
	if (v->exists && v->moved) {
		switch (v->state) {
		case U_DONE:
			return CV_READY;
		case U_READY:
			if (expired || now >= v->ready_ms + COMMIT_SETTLE_MS)
				return CV_READY;
			if (v->ready_ms + COMMIT_SETTLE_MS < deadline_ms)
				*wake_ms = v->ready_ms + COMMIT_SETTLE_MS;
			return CV_WAIT;
		case U_FAILED:
		case U_BLOCKED:
		case U_UNHEALTHY:
			*why = xasprintf ("is %s%s%s", unit_state_name (v->state), sep, e);
			return CV_FAIL;
		default:
			break; /* starting, restarting, held by a reload...: not yet */
		}
	}
	if (!expired)
		return CV_WAIT;
	if (!v->exists)
		*why = xasprintf ("was not started within %us (keel has no such entry: was it "
		                  "reloaded?)",
		                  timeout_s);
	else if (!v->moved)
		*why = xasprintf ("was not started within %us (keel still runs the files before "
		                  "it: not reloaded, or its new files are broken)",
		                  timeout_s);
	else
		*why = xasprintf ("was not ready within %us (state %s%s%s)", timeout_s,
		                  unit_state_name (v->state), sep, e);
	return CV_FAIL;
}

int commit_parse (size_t n, char **w, struct commit_args *a, char **error)
{
	struct keel_error *err = NULL;
	unsigned long long v;

	memset (a, 0, sizeof *a);
	*error = NULL;
	if (n != 2 && n != 4) {
		*error = xstrdup ("pending: expected NAME, or NAME GENERATION SECONDS");
		return -1;
	}
	if (keel_name_check ("pending: container name", w[1], &err) < 0) {
		*error = keel_error_take (&err);
		return -1;
	}
	a->name = w[1];
	if (n == 2)
		return 0;
	if (!parse_uint64 (w[2], &v) || v < 1 || v > DEPLOY_MAX_GEN) {
		*error = xasprintf ("pending: generation \"%.32s\": expected 1 to %u", w[2],
		                    DEPLOY_MAX_GEN);
		return -1;
	}
	a->gen = (unsigned)v;
	if (!parse_uint64 (w[3], &v) || v < 1 || v > COMMIT_MAX_SECONDS) {
		*error = xasprintf ("pending: seconds \"%.32s\": expected 1 to %u", w[3],
		                    COMMIT_MAX_SECONDS);
		return -1;
	}
	a->seconds = (unsigned)v;
	a->arm = true;
	return 0;
}

void commit_parse_report (char *buf, size_t len, struct commit_report *r)
{
	unsigned long long v;
	char *nl;

	memset (r, 0, sizeof *r);
	nl = len ? memchr (buf, '\n', len) : NULL;
	if (nl == NULL || nl + 1 != buf + len)
		return; /* a report is exactly one whole line */
	*nl = '\0';
	switch (buf[0]) {
	case 'C':
	case 'F':
	case 'N':
		if (buf[1] == '\0')
			r->kind = buf[0];
		break;
	case 'R':
		if (parse_uint64 (buf + 1, &v) && v <= DEPLOY_MAX_GEN) {
			r->kind = 'R';
			r->prev = (unsigned)v;
		}
		break;
	case 'E':
		r->kind = 'E';
		r->message = buf + 1;
		break;
	default:
		break;
	}
}

/* What comes from a container (its error) on one line. */
static char *one_line (char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

/* ---- PID 1 ------------------------------------------------------------------ */

struct cwatch {
	struct sup *s;
	char *name;
	unsigned gen, prev, timeout_s;
	bool has_prev;
	enum commit_phase phase;
	uint64_t deadline_ms; /* of the phase being watched or recovering */
	uint64_t wake_ms;     /* when to look again (the deadline, or a settle time's end) */
	uint64_t seq;         /* age, for making room */
	/* the entry when the deadline was set: the deployment before GEN */
	bool had_unit;
	struct entry_fp fp;
	bool touched;     /* the entry ran GEN's files: its dependents restart after */
	char *why;        /* why GEN did not commit */
	char *error;      /* why the commit or the rollback did not work */
	struct buf notes; /* "reload: ..." and "dependent: ..." lines for keelctl */
	pid_t helper;     /* the helper running (committing, rolling back), 0: none */
	int fd;           /* its report pipe, -1 when none */
	struct watch w;
	char rep[COMMIT_REPORT_MAX];
	size_t rep_len;
	bool rep_overflow;
};

struct commit {
	struct cwatch *v[COMMIT_MAX_WATCHES];
	size_t n;
	uint64_t seq;
	int timerfd;
	struct watch w_timer;
	uint64_t armed;
};

static void on_timer (struct watch *w, uint32_t events)
{
	struct commit *c = ((struct sup *)w->arg)->commit;
	uint64_t ticks;

	(void)events;
	/* the pass of the loop after this callback looks at the deadlines */
	if (read (c->timerfd, &ticks, sizeof ticks) > 0)
		c->armed = 0;
}

static struct commit *commit_get (struct sup *s, struct keel_error **err)
{
	struct commit *c = s->commit;

	if (c)
		return c;
	c = xmalloc0 (sizeof *c);
	c->w_timer.fd = -1;
	c->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->timerfd < 0) {
		keel_error (err, errno, "timerfd for update deadlines");
		free (c);
		return NULL;
	}
	s->commit = c;
	if (loop_watch (&s->loop, &c->w_timer, c->timerfd, EPOLLIN, on_timer, s) < 0) {
		keel_error (err, errno, "watch the timer of update deadlines");
		close (c->timerfd);
		free (c);
		s->commit = NULL;
		return NULL;
	}
	return c;
}

static void watch_free (struct sup *s, struct cwatch *w)
{
	if (w->fd >= 0) {
		loop_unwatch (&s->loop, &w->w);
		close (w->fd);
	}
	free (w->name);
	free (w->why);
	free (w->error);
	free (w->notes.p);
	free (w);
}

static size_t watch_find (const struct commit *c, const char *name)
{
	for (size_t k = 0; k < c->n; k++)
		if (strcmp (c->v[k]->name, name) == 0)
			return k;
	return (size_t)-1;
}

static void watch_remove (struct sup *s, struct commit *c, size_t k)
{
	watch_free (s, c->v[k]);
	c->v[k] = c->v[--c->n];
}

/* Armed for the earliest wake time of what is watched; disarmed when
 * nothing is, or while shutting down (nothing is looked at then: a past
 * deadline left armed would fire at every pass). */
static void arm_timer (struct commit *c, bool off)
{
	struct itimerspec its = {0};
	uint64_t next = 0;

	for (size_t k = 0; !off && k < c->n; k++) {
		const struct cwatch *w = c->v[k];
		if ((w->phase == CP_WATCHING || w->phase == CP_RECOVERING) &&
		    (next == 0 || w->wake_ms < next))
			next = w->wake_ms;
	}
	if (next == c->armed)
		return;
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	if (timerfd_settime (c->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		c->armed = next;
}

/* The unit of that name, unless none (or removed). */
static struct unit *unit_named (struct sup *s, const char *name, size_t *idx)
{
	size_t i = sup_find (s, name);

	if (i == (size_t)-1 || s->units[i].state == U_REMOVED)
		return NULL;
	*idx = i;
	return &s->units[i];
}

static void view_of (struct sup *s, const struct cwatch *w, struct commit_view *v)
{
	size_t i;
	struct unit *u = unit_named (s, w->name, &i);
	bool same;

	memset (v, 0, sizeof *v);
	if (u == NULL)
		return;
	v->exists = true;
	v->state = u->state;
	v->error = u->error;
	v->ready_ms = u->ready_ms;
	/* The link's switch changes the rootfs's identity in the fingerprint:
	 * files other than the ones of the deadline's start are GEN's. */
	same = w->had_unit && reload_fp_diff (&w->fp, &u->fp) == 0;
	v->moved = w->phase == CP_RECOVERING ? same : !same;
}

/* Once NAME is ready: the entries that require it ran on its old files (a
 * reload leaves them running) or were stopped when it failed. */
static void restart_dependents (struct sup *s, struct cwatch *w)
{
	const struct graph_node *node;
	size_t i;

	if (s->shutting_down || unit_named (s, w->name, &i) == NULL || i >= s->graph.n)
		return;
	node = &s->graph.nodes[i];
	for (size_t k = 0; k < node->n_rdeps; k++) {
		size_t j = node->rdeps[k];
		const struct graph_node *dn = &s->graph.nodes[j];
		struct unit *u = &s->units[j];
		bool requires = false, running;
		long pid;

		for (size_t d = 0; d < dn->n_deps; d++)
		requires |= dn->deps[d].to == i && dn->deps[d].kind == DEP_REQUIRES;
		if (!requires || u->state == U_REMOVED)
			continue;
		running = u->state == U_READY || u->state == U_RUNNING || u->state == U_UNHEALTHY;
		pid = running && !u->exited ? (long)u->pid : 0;
		if ((running || u->spec != NULL) &&
		    sup_unit_event (s, j, running ? UE_RESTART : UE_START) == 0)
			buf_put (&w->notes, "dependent: %s %s %ld\n", u->name,
			         running ? "restarted" : "started", pid);
		else
			buf_put (&w->notes, "dependent: %s left %s\n", u->name,
			         unit_state_name (u->state));
	}
}

static int helper_run (int fd, const char *op, const char *name, const char *dir, const char *gens,
                       const char *why);
static void on_helper (struct watch *ww, uint32_t events);

/* The file work in a helper: `keel __commit OP NAME DIR GEN [WHY]`. */
static int spawn (struct sup *s, struct cwatch *w, const char *op, const char *why)
{
	struct keel_error *err = NULL;
	char gen[16], whyb[COMMIT_WHY_MAX];
	char *argv[] = {(char *)"keel", (char *)COMMIT_HELPER_ROLE,
	                (char *)op,     w->name,
	                s->opts->dir,   gen,
	                whyb,           NULL};
	bool fallback = false;
	int p[2], pidfd = -1;
	pid_t pid = 0;

	snprintf (gen, sizeof gen, "%u", w->gen);
	snprintf (whyb, sizeof whyb, "%s", why ? why : "");
	if (pipe2 (p, O_CLOEXEC) < 0) {
		w->error = xasprintf ("a pipe for the helper: %s", strerror (errno));
		return -1;
	}
	if (launch_spawn_role (argv, p[1], &pid, &pidfd, &fallback, &err) < 0) {
		if (!fallback) {
			w->error = keel_error_take (&err);
			close (p[0]);
			close (p[1]);
			return -1;
		}
		keel_error_release (&err);
		/* as launch.c does when the binary cannot be exec'd: a fork */
		pid = fork ();
		if (pid == 0) {
			close (p[0]);
			_exit (helper_run (p[1], op, w->name, s->opts->dir, gen, whyb));
		}
		if (pid < 0) {
			w->error = xasprintf ("fork the helper: %s", strerror (errno));
			close (p[0]);
			close (p[1]);
			return -1;
		}
	}
	/* its end is the pipe's end; the reaper's sweep reaps it as it does
	 * the mount helpers (an unknown pid) */
	if (pidfd >= 0)
		close (pidfd);
	close (p[1]);
	if (fcntl (p[0], F_SETFL, O_NONBLOCK) < 0 ||
	    loop_watch (&s->loop, &w->w, p[0], EPOLLIN, on_helper, w) < 0) {
		w->error = xasprintf ("watch the helper: %s", strerror (errno));
		kill (pid, SIGKILL);
		close (p[0]);
		return -1;
	}
	w->fd = p[0];
	w->helper = pid;
	w->rep_len = 0;
	w->rep_overflow = false;
	return 0;
}

static void fail (struct sup *s, struct cwatch *w, const char *what)
{
	w->phase = CP_FAILED;
	console_status (s->con, CS_FAIL, "%s: deployment %u: %s: %s", w->name, w->gen, what,
	                w->error ? w->error : "?");
}

/* The helper's report is complete (its pipe closed). */
static void helper_done (struct sup *s, struct cwatch *w)
{
	struct commit_report r;

	loop_unwatch (&s->loop, &w->w);
	close (w->fd);
	w->fd = -1;
	w->helper = 0;
	if (w->rep_overflow)
		w->rep_len = 0;
	commit_parse_report (w->rep, w->rep_len, &r);
	if (r.kind == 0) {
		free (w->error);
		w->error = xstrdup ("the helper ended without a report");
		fail (s, w, w->phase == CP_COMMITTING ? "commit" : "rollback");
		return;
	}
	if (r.kind == 'N') {
		w->phase = CP_CANCELLED;
		console_status (s->con, CS_INFO,
		                "%s: deployment %u is no longer the active uncommitted one: its "
		                "deadline is dropped",
		                w->name, w->gen);
		return;
	}
	if (r.kind == 'E') {
		free (w->error);
		w->error = one_line (xstrdup (r.message));
		fail (s, w, w->phase == CP_COMMITTING ? "commit" : "rollback");
		return;
	}
	if (w->phase == CP_COMMITTING && r.kind == 'C') {
		w->phase = CP_COMMITTED;
		console_status (s->con, CS_OK, "%s: deployment %u is ready: committed", w->name,
		                w->gen);
		restart_dependents (s, w);
		return;
	}
	if (w->phase == CP_UNDOING && r.kind == 'F') {
		w->phase = CP_FAILED;
		w->has_prev = false;
		console_status (s->con, CS_WARN,
		                "%s: deployment %u %s: not committed, and there is no deployment "
		                "before it to go back to",
		                w->name, w->gen, w->why);
		return;
	}
	if (w->phase == CP_UNDOING && r.kind == 'R') {
		w->phase = CP_RELOADING; /* commit_step asks for the reload */
		w->has_prev = true;
		w->prev = r.prev;
		console_status (s->con, CS_WARN,
		                "%s: deployment %u %s: not committed, back to "
		                "deployment %u",
		                w->name, w->gen, w->why, w->prev);
		return;
	}
	free (w->error);
	w->error = xasprintf ("unexpected report \"%c\" from the helper", r.kind);
	fail (s, w, w->phase == CP_COMMITTING ? "commit" : "rollback");
}

static void on_helper (struct watch *ww, uint32_t events)
{
	struct cwatch *w = ww->arg;

	(void)events;
	for (int k = 0; k < 16; k++) { /* bounded: the loop comes back */
		char junk[256];
		size_t room = sizeof w->rep - 1 - w->rep_len;
		ssize_t n = room ? read (w->fd, w->rep + w->rep_len, room)
		                 : read (w->fd, junk, sizeof junk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			helper_done (w->s, w);
			return;
		}
		if (room)
			w->rep_len += (size_t)n;
		else
			w->rep_overflow = true;
	}
}

static void step_one (struct sup *s, struct cwatch *w, uint64_t now)
{
	struct commit_view v;
	cleanup_free char *why = NULL;
	enum commit_verdict verdict;

	if (w->phase == CP_RELOADING) {
		char *reply, *line, *nl;

		if (reload_busy (s))
			return; /* asked again when that one is done */
		reply = reload_request (s, false);
		if (strncmp (reply, "ok\n", 3) != 0) {
			free (w->error);
			w->error = one_line (reply);
			fail (s, w, "the reload of the rollback");
			return;
		}
		for (line = reply + 3; *line; line = nl + 1) {
			nl = strchr (line, '\n');
			if (nl == NULL)
				break;
			buf_put (&w->notes, "reload: %.*s\n", (int)(nl - line), line);
		}
		free (reply);
		w->phase = CP_RECOVERING;
		w->deadline_ms = w->wake_ms = now + (uint64_t)w->timeout_s * 1000;
		return;
	}
	if (w->phase != CP_WATCHING && w->phase != CP_RECOVERING)
		return;
	view_of (s, w, &v);
	if (w->phase == CP_WATCHING && v.exists && v.moved)
		w->touched = true;
	verdict = commit_judge (&v, now, w->deadline_ms, w->timeout_s, &w->wake_ms, &why);
	if (verdict == CV_WAIT)
		return;
	if (w->phase == CP_RECOVERING) {
		if (verdict == CV_READY) {
			w->phase = CP_ROLLED_BACK;
			console_status (s->con, CS_OK, "%s: deployment %u is ready again", w->name,
			                w->prev);
			/* never ran GEN's files (not reloaded): they ran on these */
			if (w->touched)
				restart_dependents (s, w);
		} else {
			free (w->error);
			w->error = one_line (xstrdup (why));
			w->phase = CP_FAILED;
			console_status (s->con, CS_FAIL, "%s: the rollback to deployment %u %s",
			                w->name, w->prev, why);
		}
		return;
	}
	if (verdict == CV_READY) {
		w->phase = CP_COMMITTING;
		if (spawn (s, w, "commit", NULL) < 0)
			fail (s, w, "commit");
		return;
	}
	w->why = one_line (why);
	why = NULL;
	w->phase = CP_UNDOING;
	if (spawn (s, w, "undo", w->why) < 0)
		fail (s, w, "rollback");
}

void commit_step (struct sup *s)
{
	struct commit *c = s->commit;
	uint64_t now;

	if (c == NULL)
		return;
	if (!s->shutting_down) {
		now = console_now_ms ();
		for (size_t k = 0; k < c->n; k++)
			step_one (s, c->v[k], now);
	}
	arm_timer (c, s->shutting_down);
}

static void status_reply (const struct cwatch *w, struct buf *b)
{
	buf_put (b, "ok\nname: %s\ngeneration: %u\nstate: %s\ntimeout: %u\n", w->name, w->gen,
	         commit_phase_name (w->phase), w->timeout_s);
	if (w->has_prev)
		buf_put (b, "previous: %u\n", w->prev);
	if (w->why)
		buf_put (b, "why: %s\n", w->why);
	if (w->error)
		buf_put (b, "error: %s\n", w->error);
	if (w->notes.p)
		buf_put (b, "%s", w->notes.p);
}

char *commit_request (struct sup *s, size_t n, char **w)
{
	struct keel_error *err = NULL;
	struct buf b = {0};
	struct commit_args a;
	struct commit *c;
	struct cwatch *cw;
	struct unit *u;
	char *e = NULL;
	size_t k, i;

	if (commit_parse (n, w, &a, &e) < 0) {
		buf_put (&b, "error: %s\n", e);
		free (e);
		return b.p;
	}
	c = s->commit;
	k = c ? watch_find (c, a.name) : (size_t)-1;
	if (!a.arm) {
		if (k == (size_t)-1)
			buf_put (&b, "error: pending: no update of %s is watched\n", a.name);
		else
			status_reply (c->v[k], &b);
		return b.p;
	}
	if (s->shutting_down) {
		buf_put (&b, "error: shutting down\n");
		return b.p;
	}
	if (k != (size_t)-1 && !commit_phase_final (c->v[k]->phase) &&
	    c->v[k]->phase != CP_WATCHING) {
		buf_put (&b, "error: pending: the update of %s to deployment %u is %s; try again\n",
		         a.name, c->v[k]->gen, commit_phase_name (c->v[k]->phase));
		return b.p;
	}
	if (c == NULL && (c = commit_get (s, &err)) == NULL) {
		cleanup_free char *m = keel_error_take (&err);
		buf_put (&b, "error: pending: %s\n", m);
		return b.p;
	}
	if (k != (size_t)-1) {
		/* a newer update of the same entry: the one before is its business */
		watch_remove (s, c, k);
	} else if (c->n == COMMIT_MAX_WATCHES) {
		size_t old = (size_t)-1;
		for (k = 0; k < c->n; k++)
			if (commit_phase_final (c->v[k]->phase) &&
			    (old == (size_t)-1 || c->v[k]->seq < c->v[old]->seq))
				old = k;
		if (old == (size_t)-1) {
			buf_put (&b, "error: pending: %d updates are watched already\n",
			         COMMIT_MAX_WATCHES);
			return b.p;
		}
		watch_remove (s, c, old);
	}
	cw = xmalloc0 (sizeof *cw);
	cw->s = s;
	cw->fd = -1;
	cw->w.fd = -1;
	cw->name = xstrdup (a.name);
	cw->gen = a.gen;
	cw->timeout_s = a.seconds;
	cw->phase = CP_WATCHING;
	cw->seq = ++c->seq;
	cw->deadline_ms = cw->wake_ms = console_now_ms () + (uint64_t)a.seconds * 1000;
	if ((u = unit_named (s, a.name, &i)) != NULL) {
		cw->had_unit = true;
		cw->fp = u->fp;
	}
	c->v[c->n++] = cw;
	console_status (s->con, CS_INFO,
	                "%s: deployment %u is to be ready within %us, or it is rolled back", a.name,
	                a.gen, a.seconds);
	arm_timer (c, false);
	buf_put (&b, "ok\n");
	return b.p;
}

void commit_free (struct sup *s)
{
	struct commit *c = s->commit;

	if (c == NULL)
		return;
	while (c->n)
		watch_remove (s, c, c->n - 1);
	loop_unwatch (&s->loop, &c->w_timer);
	close (c->timerfd);
	free (c);
	s->commit = NULL;
}

/* ---- the helper: `keel __commit ...` --------------------------------------------- */

static void say (int fd, char kind, const char *msg)
{
	cleanup_free char *line = xasprintf ("%c%s\n", kind, msg ? msg : "");
	struct keel_error *err = NULL;

	one_line (line + 1);
	/* PID 1 takes a report of COMMIT_REPORT_MAX - 1 bytes at most and
	 * drops a longer one whole ("ended without a report"): cut it */
	if (strlen (line) > COMMIT_REPORT_MAX - 1)
		line[COMMIT_REPORT_MAX - 1] = '\0';
	line[strlen (line) - 1] = '\n';
	if (write_all (fd, line, strlen (line), &err) < 0)
		keel_error_release (&err); /* PID 1 sees no report: says so */
}

static int helper_run (int fd, const char *op, const char *name, const char *dir, const char *gens,
                       const char *why)
{
	struct keel_error *err = NULL;
	cleanup_close int cdfd = -1, lockfd = -1;
	unsigned long long g;
	unsigned prev = 0;
	char num[16];
	int r;

	if (!keel_name_valid (name) || !parse_uint64 (gens, &g) || g < 1 || g > DEPLOY_MAX_GEN) {
		say (fd, 'E', "commit helper: bad arguments");
		return 2;
	}
	cdfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cdfd < 0) {
		cleanup_free char *m =
		        xasprintf ("open containers.d `%s`: %s", dir, strerror (errno));
		say (fd, 'E', m);
		return 1;
	}
	/* A keelctl writing the store meanwhile finishes first (deploy.h);
	 * PID 1 does not wait for this: it watches the report's pipe. */
	lockfd = deploy_lock (cdfd, DEPLOY_LOCK_WAIT_MS, &err);
	if (lockfd < 0)
		goto error;
	if (strcmp (op, "commit") == 0) {
		struct deploy_entry e;
		bool active;

		if (deploy_open (cdfd, name, &e, &err) < 0)
			goto error;
		active = e.versioned && e.active == (unsigned)g;
		deploy_entry_free (&e);
		if (!active) {
			say (fd, 'N', NULL);
			return 0;
		}
		if (deploy_commit (cdfd, name, (unsigned)g, &err) < 0)
			goto error;
		say (fd, 'C', NULL);
		return 0;
	}
	if (strcmp (op, "undo") == 0) {
		r = deploy_undo (cdfd, name, (unsigned)g, why && *why ? why : "not committed",
		                 &prev, &err);
		if (r < 0)
			goto error;
		snprintf (num, sizeof num, "%u", prev);
		if (r == DEPLOY_UNDO_SWITCHED)
			say (fd, 'R', num);
		else
			say (fd, r == DEPLOY_UNDO_NO_PREVIOUS ? 'F' : 'N', NULL);
		return 0;
	}
	say (fd, 'E', "commit helper: unknown operation");
	return 2;
error : {
	cleanup_free char *m = keel_error_take (&err);
	say (fd, 'E', m);
	return 1;
}
}

int commit_helper_main (int argc, char **argv)
{
	sigset_t none;

	/* PID 1's mask (every signal blocked, for its signalfd) came through
	 * the exec */
	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
	if (fcntl (3, F_GETFD) < 0 || argc < 5 || argc > 6) {
		fprintf (stderr, "keel: %s is started by keel init only\n", COMMIT_HELPER_ROLE);
		return 2;
	}
	prctl (PR_SET_NAME, "keel-commit", 0, 0, 0);
	return helper_run (3, argv[1], argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
}
