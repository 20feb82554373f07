/* PID 1's side of the control socket (see control.h). */
#include "init/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "init/cni.h"
#include "init/commit.h"
#include "init/importjob.h"
#include "init/reload.h"
#include "lib/name.h"
#include "lib/util.h"

static void on_accept (struct watch *w, uint32_t events);
static void on_timer (struct watch *w, uint32_t events);
static void on_client (struct watch *w, uint32_t events);
static void on_log (void *arg, struct logsink *sink);

int control_open (struct control *ctl, struct sup *s, struct keel_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_free char *path = xasprintf ("%s/keel.sock", s->opts->state);
	cleanup_close int fd = -1;

	/* control_close undoes whatever part of this succeeded */
	memset (ctl, 0, sizeof (*ctl));
	ctl->s = s;
	ctl->fd = ctl->timerfd = -1;
	ctl->w.fd = ctl->w_timer.fd = -1;
	if (strlen (path) >= sizeof sa.sun_path)
		return keel_error (err, ENAMETOOLONG, "`%s`", path);
	strcpy (sa.sun_path, path);
	fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return keel_error (err, errno, "socket");
	if (unlink (path) < 0 && errno != ENOENT)
		return keel_error (err, errno, "remove stale `%s`", path);
	if (bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return keel_error (err, errno, "bind `%s`", path);
	if (chmod (path, 0600) < 0)
		return keel_error (err, errno, "chmod `%s`", path);
	if (listen (fd, 8) < 0)
		return keel_error (err, errno, "listen `%s`", path);
	ctl->fd = steal_fd (&fd);
	if (loop_watch (&s->loop, &ctl->w, ctl->fd, EPOLLIN, on_accept, ctl) < 0)
		return keel_error (err, errno, "watch `%s`", path);
	ctl->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctl->timerfd < 0)
		return keel_error (err, errno, "timerfd for the control clients");
	if (loop_watch (&s->loop, &ctl->w_timer, ctl->timerfd, EPOLLIN, on_timer, ctl) < 0)
		return keel_error (err, errno, "watch the control clients' timer");
	logsink_set_tap (on_log, ctl);
	return 0;
}

static void client_free (struct control *ctl, struct ctl_client *c)
{
	struct ctl_client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_unwatch (&ctl->s->loop, &c->w);
	close (c->fd);
	if (c->following)
		ctl->n_followers--;
	free (c->in);
	free (c->out);
	free (c);
	ctl->n_clients--;
}

void control_close (struct control *ctl)
{
	cleanup_free char *path = NULL;

	if (ctl->s == NULL)
		return;
	logsink_set_tap (NULL, NULL);
	while (ctl->clients)
		client_free (ctl, ctl->clients);
	if (ctl->timerfd >= 0) {
		loop_unwatch (&ctl->s->loop, &ctl->w_timer);
		close (ctl->timerfd);
		ctl->timerfd = -1;
	}
	if (ctl->fd >= 0) {
		loop_unwatch (&ctl->s->loop, &ctl->w);
		close (ctl->fd);
		ctl->fd = -1;
		path = xasprintf ("%s/keel.sock", ctl->s->opts->state);
		unlink (path);
	}
}

/* Arm the timer for the earliest client deadline (disarm when none). */
static void arm_deadlines (struct control *ctl)
{
	struct itimerspec its = {0};
	struct ctl_client *c;
	uint64_t next = 0;

	for (c = ctl->clients; c; c = c->next)
		if (c->deadline_ms && (next == 0 || c->deadline_ms < next))
			next = c->deadline_ms;
	if (next == ctl->timer_armed || ctl->timerfd < 0)
		return;
	ctl->timer_armed = next;
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	if (timerfd_settime (ctl->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		console_status (ctl->s->con, CS_WARN, "keel: control timer: %s", strerror (errno));
}

/* Close every client past its deadline: idle, too slow to send its
 * request, or too slow to take its reply.  Followers have none. */
static void expire_clients (struct control *ctl, uint64_t now)
{
	struct ctl_client *c = ctl->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->deadline_ms && c->deadline_ms <= now)
			client_free (ctl, c);
	}
}

/* Room for one more: the oldest client still waiting for its request
 * line goes (it has had the longest to send it), else the oldest being
 * answered.  Followers stay: there are at most CONTROL_MAX_FOLLOWERS of
 * them, so one of the others is always there to go.  A new connection may
 * be the poweroff. */
static void make_room (struct control *ctl)
{
	struct ctl_client *c, *idle = NULL, *any = NULL;

	for (c = ctl->clients; c; c = c->next) {
		if (c->following)
			continue;
		/* the list is newest first: on a tie the later one is older */
		if (any == NULL || c->since_ms <= any->since_ms)
			any = c;
		if (c->out == NULL && (idle == NULL || c->since_ms <= idle->since_ms))
			idle = c;
	}
	if (idle || any)
		client_free (ctl, idle ? idle : any);
}

void control_accept (struct control *ctl)
{
	uint64_t ticks, now = console_now_ms ();
	int k;

	if (ctl->timerfd >= 0 && read (ctl->timerfd, &ticks, sizeof ticks) > 0)
		ctl->timer_armed = 0;
	expire_clients (ctl, now);
	for (k = 0; k < 4 && ctl->fd >= 0; k++) {
		struct ucred cred;
		socklen_t len = sizeof cred;
		struct ctl_client *c;
		int fd = accept4 (ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != getuid ())) {
			close (fd);
			continue;
		}
		if (ctl->n_clients >= CONTROL_MAX_CLIENTS)
			make_room (ctl);
		c = xmalloc0 (sizeof (*c));
		c->fd = fd;
		c->w.fd = -1;
		c->since_ms = now;
		c->deadline_ms = now + CONTROL_REQUEST_MS;
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
		c->events = EPOLLIN;
		if (loop_watch (&ctl->s->loop, &c->w, fd, EPOLLIN, on_client, ctl) < 0)
			client_free (ctl, c);
	}
	arm_deadlines (ctl);
}

static void on_accept (struct watch *w, uint32_t events)
{
	(void)events;
	control_accept (w->arg);
}

static void on_timer (struct watch *w, uint32_t events)
{
	(void)events;
	control_accept (w->arg);
}

/* ---- requests ------------------------------------------------------------ */

static void put_mem (struct buf *b, const char *p, size_t n)
{
	if (b->cap - b->len < n + 1) {
		b->cap = b->len + n + 1;
		b->p = xrealloc (b->p, b->cap);
	}
	memcpy (b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0'; /* a string for tests; the socket uses len */
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), 0 when
 * it is not one (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static size_t utf8_len (const unsigned char *p, size_t n)
{
	size_t len, k;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string (or null).  What a container wrote (STATUS=, its error)
 * can hold any byte: control characters are escaped, bytes that are not
 * UTF-8 become U+FFFD, so the document always parses. */
static void put_json_str (struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL) {
		buf_put (b, "null");
		return;
	}
	n = strlen (s);
	buf_put (b, "\"");
	while (n > 0) {
		size_t k = utf8_len (p, n);
		if (k == 0) {
			buf_put (b, "\\ufffd");
			k = 1;
		} else if (*p == '"' || *p == '\\') {
			buf_put (b, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_put (b, "\\u%04x", *p);
		} else {
			put_mem (b, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
	buf_put (b, "\"");
}

static void list (struct sup *s, struct buf *b)
{
	size_t i;

	buf_put (b, "ok\n");
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		buf_put (b, "%-20s %-10s %-8s %-7d %u\n", u->name, unit_state_name (u->state),
		     policy_kind_name (u->policy.kind), u->exited ? 0 : (int)u->pid, u->restarts);
	}
}

static const char *dep_kind_name (enum dep_kind k)
{
	return k == DEP_REQUIRES ? "requires" : k == DEP_WANTS ? "wants" : "after";
}

static void status (struct sup *s, struct unit *u, struct buf *b)
{
	size_t i = (size_t)(u - s->units), k;
	const struct graph_node *node = &s->graph.nodes[i];
	char hbuf[128];

	buf_put (b, "ok\nname: %s\nstate: %s\nkind: %s\npid: %d\nrestarts: %u\n", u->name,
	     unit_state_name (u->state), policy_kind_name (u->policy.kind),
	     u->exited ? 0 : (int)u->pid, u->restarts);
	if (u->policy.description)
		buf_put (b, "description: %s\n", u->policy.description);
	buf_put (b, "restart: %s\nreadiness: %s\n", policy_restart_name (u->policy.restart),
	     policy_ready_name (u->policy.ready));
	for (k = 0; k < node->n_deps; k++)
		buf_put (b, "%s: %s\n", dep_kind_name (node->deps[k].kind),
		     s->units[node->deps[k].to].name);
	if (u->cgroup)
		buf_put (b, "cgroup: %s\n", u->cgroup);
	{
		cleanup_free char *net = cni_status (&s->rt, u->name, &u->policy.network);
		buf_put (b, "network: %s\n", net);
	}
	if (u->notify_status)
		buf_put (b, "status: %s\n", u->notify_status);
	if (u->policy.health.argv) /* health.c's count */
		buf_put (b, "health: %s\n",
		     health_describe (&u->health, &u->policy.health, hbuf, sizeof hbuf));
	if (u->error)
		buf_put (b, "error: %s\n", u->error);
	buf_put (b, "log-bytes: %llu\n", (unsigned long long)u->log.ring.total);
}

/* One unit as a JSON object; the field names are documented in
 * docs/containers.d.md ("keelctl status --json") and stay stable. */
static void status_json_unit (struct sup *s, size_t i, struct buf *b)
{
	struct unit *u = &s->units[i];
	const struct graph_node *node = s->graph.nodes ? &s->graph.nodes[i] : NULL;
	static const enum dep_kind kinds[] = {DEP_REQUIRES, DEP_WANTS, DEP_AFTER};
	size_t k, d;

	buf_put (b, "{\"name\":");
	put_json_str (b, u->name);
	buf_put (b, ",\"state\":\"%s\",\"kind\":\"%s\",\"pid\":%d,\"restarts\":%u,\"description\":",
	     unit_state_name (u->state), policy_kind_name (u->policy.kind),
	     u->exited ? 0 : (int)u->pid, u->restarts);
	put_json_str (b, u->policy.description);
	buf_put (b, ",\"restart\":\"%s\",\"readiness\":\"%s\"", policy_restart_name (u->policy.restart),
	     policy_ready_name (u->policy.ready));
	for (k = 0; k < 3; k++) {
		bool first = true;
		buf_put (b, ",\"%s\":[", dep_kind_name (kinds[k]));
		for (d = 0; node && d < node->n_deps; d++) {
			if (node->deps[d].kind != kinds[k])
				continue;
			buf_put (b, first ? "" : ",");
			put_json_str (b, s->units[node->deps[d].to].name);
			first = false;
		}
		buf_put (b, "]");
	}
	buf_put (b, ",\"cgroup\":");
	put_json_str (b, u->cgroup);
	{
		cleanup_free char *net = cni_status (&s->rt, u->name, &u->policy.network);
		buf_put (b, ",\"network\":");
		put_json_str (b, net);
	}
	buf_put (b, ",\"notify_status\":");
	put_json_str (b, u->notify_status);
	buf_put (b, ",\"error\":");
	put_json_str (b, u->error);
	buf_put (b, ",\"log_bytes\":%llu}", (unsigned long long)u->log.ring.total);
}

static void status_json (struct sup *s, size_t only, struct buf *b)
{
	size_t i;
	bool first = true;

	buf_put (b, "ok\n{\"units\":[");
	for (i = 0; i < s->n_units; i++) {
		if (only != (size_t)-1 && i != only)
			continue;
		buf_put (b, first ? "\n" : ",\n");
		status_json_unit (s, i, b);
		first = false;
	}
	buf_put (b, "\n]}\n");
}

/* The boot's raw timestamps (unit_clock_us, 0: never); keelctl turns them
 * into phases and charts (boottime.c), PID 1 only copies numbers. */
static void boot_time (struct sup *s, struct buf *b)
{
	size_t i, k;

	buf_put (b,
	     "ok\n{\"clock\":\"CLOCK_BOOTTIME\",\"unit\":\"us\",\"boot\":%s,\"now\":%llu,"
	     "\"pid1_start\":%llu,\"keel_start\":%llu,\"switched\":%llu,\"setup_done\":%llu,"
	     "\"loaded\":%llu,\"settled\":%llu,\"units\":[",
	     s->opts->boot ? "true" : "false", (unsigned long long)unit_clock_us (),
	     (unsigned long long)s->pid1_start_us, (unsigned long long)s->keel_start_us,
	     (unsigned long long)s->switched_us, (unsigned long long)s->setup_us,
	     (unsigned long long)s->loaded_us, (unsigned long long)s->settled_us);
	for (i = 0; i < s->n_units; i++) {
		const struct unit *u = &s->units[i];
		const struct graph_node *node = s->graph.nodes ? &s->graph.nodes[i] : NULL;

		buf_put (b, "%s\n{\"name\":", i ? "," : "");
		put_json_str (b, u->name);
		buf_put (b, ",\"kind\":\"%s\",\"state\":\"%s\",\"devices\":%zu,\"deps\":[",
		     policy_kind_name (u->policy.kind), unit_state_name (u->state),
		     u->policy.devices.n);
		for (k = 0; node && k < node->n_deps; k++) {
			buf_put (b, "%s{\"name\":", k ? "," : "");
			put_json_str (b, s->units[node->deps[k].to].name);
			buf_put (b, ",\"kind\":\"%s\"}", dep_kind_name (node->deps[k].kind));
		}
		buf_put (b, "],\"devwait\":%llu,\"created\":%llu", (unsigned long long)u->devwait_us,
		     (unsigned long long)u->created_us);
		for (k = 0; k < U_NSTATES; k++)
			buf_put (b, ",\"%s\":%llu", unit_state_name ((enum unit_state)k),
			     (unsigned long long)u->first_us[k]);
		buf_put (b, "}");
	}
	buf_put (b, "\n]}\n");
}

/* The last `lines` lines of the ring (a partial last line counts). */
static void logs_lines (struct unit *u, unsigned long long lines, struct buf *b)
{
	size_t n, from;
	cleanup_free char *t = logring_tail (&u->log.ring, u->log.ring.cap, &n);

	from = n;
	if (from > 0 && t[from - 1] == '\n')
		from--; /* the last line's own newline */
	while (from > 0) {
		if (t[from - 1] == '\n' && --lines == 0)
			break;
		from--;
	}
	buf_put (b, "ok\n");
	put_mem (b, t + from, n - from);
}

static void logs (struct unit *u, const char *arg, struct buf *b)
{
	unsigned long long max = u->log.ring.cap;
	size_t n;
	char *t;

	if (arg && (!parse_uint64 (arg, &max) || max == 0)) {
		buf_put (b, "error: logs: BYTES must be a positive number, got \"%s\"\n", arg);
		return;
	}
	t = logring_tail (&u->log.ring, (size_t)max, &n);
	buf_put (b, "ok\n");
	put_mem (b, t, n);
	free (t);
}

/* start, stop, restart: unit events; the state machine says whether
 * they apply in the unit's state. */
static void unit_cmd (struct sup *s, const char *cmd, struct unit *u, struct buf *b)
{
	size_t i = (size_t)(u - s->units);
	enum unit_event ev = strcmp (cmd, "stop") == 0      ? UE_STOP
	                     : strcmp (cmd, "restart") == 0 ? UE_RESTART
	                                                    : UE_START;

	if (s->shutting_down) {
		buf_put (b, "error: shutting down\n");
		return;
	}
	if (ev != UE_STOP && u->spec == NULL) {
		buf_put (b, "error: %s is broken: %s\n", u->name,
		     u->error ? u->error : "invalid entry");
		return;
	}
	if (sup_unit_event (s, i, ev) < 0) {
		buf_put (b, "error: %s is already %s\n", u->name, unit_state_name (u->state));
		return;
	}
	buf_put (b, "ok\n");
}

/* reload [--dry-run]: reload.c reads containers.d and plans (and applies
 * unless --dry-run); the reply is its plan. */
static void reload_cmd (struct sup *s, int n, const char *arg, struct buf *b)
{
	char *reply;

	if (n > 2) {
		buf_put (b, "error: too many arguments\n");
		return;
	}
	if (n == 2 && strcmp (arg, "--dry-run") != 0) {
		buf_put (b, "error: reload: unknown option \"%s\" (--dry-run)\n", arg);
		return;
	}
	reply = reload_request (s, n == 2);
	buf_put (b, "%s", reply);
	free (reply);
}

/* "deployment": where PID 1 reads containers.d, for keelctl update and
 * rollback, which change the deployment store there (init/update.c) and
 * then ask for a reload.  No file is read here: PID 1 only says where. */
static void deployment_cmd (struct sup *s, int n, struct buf *b)
{
	if (n != 1) {
		buf_put (b, "error: deployment takes no argument\n");
		return;
	}
	buf_put (b, "ok\ndir: %s\n", s->opts->dir);
}

#define MAX_WORDS 8

/* Split a request into words (spaces and tabs); NUL-terminates in place.
 * Returns the count, or MAX_WORDS + 1 when there are more. */
static size_t split (char *line, char **w)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == MAX_WORDS)
			return MAX_WORDS + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* The unit a request names, or (size_t)-1 with the error put. */
static size_t find_unit (struct sup *s, const char *cmd, const char *name, struct buf *b)
{
	struct keel_error *err = NULL;
	size_t i;

	if (name == NULL || name[0] == '-') {
		buf_put (b, "error: %s needs a container name\n", cmd);
		return (size_t)-1;
	}
	if (keel_name_check ("container name", name, &err) < 0) {
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		buf_put (b, "error: %s: %s\n", cmd, m ? m : "invalid container name");
		return (size_t)-1;
	}
	if ((i = sup_find (s, name)) == (size_t)-1)
		buf_put (b, "error: no container \"%s\"\n", name);
	return i;
}

/* `logs NAME [BYTES]` or `logs NAME [-n LINES] [-f]`.  *follow is set
 * when -f is asked and allowed (follow != NULL). */
static void logs_request (struct sup *s, char **w, size_t n, struct buf *b, bool *follow,
                          size_t *unit)
{
	unsigned long long lines = 0;
	bool f = false, has_n = false;
	size_t i, k;

	if ((i = find_unit (s, "logs", n > 1 ? w[1] : NULL, b)) == (size_t)-1)
		return;
	if (n == 3 && strcmp (w[2], "-f") != 0 && strcmp (w[2], "-n") != 0) {
		logs (&s->units[i], w[2], b);
		return;
	}
	for (k = 2; k < n; k++) {
		if (strcmp (w[k], "-f") == 0 && !f) {
			f = true;
		} else if (strcmp (w[k], "-n") == 0 && !has_n && k + 1 < n) {
			has_n = true;
			if (!parse_uint64 (w[++k], &lines)) {
				buf_put (b, "error: logs: -n takes a number of lines, got \"%s\"\n",
				     w[k]);
				return;
			}
		} else {
			buf_put (b,
			     "error: logs: unexpected \"%s\" (logs NAME [BYTES] or logs NAME [-n "
			     "LINES] [-f])\n",
			     w[k]);
			return;
		}
	}
	if (f && follow == NULL) {
		buf_put (b, "error: logs -f needs a connection\n");
		return;
	}
	if (has_n && lines == 0)
		buf_put (b, "ok\n");
	else if (has_n)
		logs_lines (&s->units[i], lines, b);
	else
		logs (&s->units[i], NULL, b);
	if (f) {
		*follow = true;
		*unit = i;
	}
}

static char *handle (struct sup *s, const char *req, size_t *len, bool *follow, size_t *unit)
{
	struct buf b = {0};
	cleanup_free char *line = xstrdup (req);
	char *w[MAX_WORDS];
	size_t n = split (line, w), i;
	const char *cmd = n > 0 ? w[0] : "";

	if (n == 0) {
		buf_put (&b, "error: empty request\n");
	} else if (n > MAX_WORDS) {
		buf_put (&b, "error: too many arguments\n");
	} else if (strcmp (cmd, "list") == 0 || strcmp (cmd, "boot-time") == 0 ||
	           strcmp (cmd, "poweroff") == 0 || strcmp (cmd, "reboot") == 0 ||
	           strcmp (cmd, "halt") == 0) {
		if (n != 1) {
			buf_put (&b, "error: %s takes no argument\n", cmd);
		} else if (cmd[0] == 'l') {
			list (s, &b);
		} else if (cmd[0] == 'b') {
			boot_time (s, &b);
		} else {
			enum shutdown_action a = cmd[0] == 'p'   ? SD_POWEROFF
			                         : cmd[0] == 'r' ? SD_REBOOT
			                                         : SD_HALT;
			buf_put (&b, "ok\n");
			sup_request_shutdown (s, s->opts->boot ? a : SD_EXIT, "keelctl");
		}
	} else if (strcmp (cmd, "reload") == 0) {
		reload_cmd (s, (int)n, n > 1 ? w[1] : NULL, &b);
	} else if (strcmp (cmd, "deployment") == 0) {
		deployment_cmd (s, (int)n, &b);
	} else if (strcmp (cmd, "pending") == 0) {
		char *r = commit_request (s, n, w);
		buf_put (&b, "%s", r);
		free (r);
	} else if (strcmp (cmd, "import") == 0) {
		importjob_request (s->opts, s->rt.cgroup_manager != CGROUP_MANAGER_DISABLED, w, n,
		                   &b);
	} else if (strcmp (cmd, "status") == 0 && n == 1) {
		list (s, &b);
	} else if (strcmp (cmd, "status") == 0 && strcmp (w[1], "--json") == 0) {
		if (n > 3)
			buf_put (&b, "error: too many arguments\n");
		else if (n == 2)
			status_json (s, (size_t)-1, &b);
		else if ((i = find_unit (s, cmd, w[2], &b)) != (size_t)-1)
			status_json (s, i, &b);
	} else if (strcmp (cmd, "logs") == 0) {
		logs_request (s, w, n, &b, follow, unit);
	} else if (strcmp (cmd, "status") == 0 || strcmp (cmd, "start") == 0 ||
	           strcmp (cmd, "stop") == 0 || strcmp (cmd, "restart") == 0) {
		if ((i = find_unit (s, cmd, n > 1 ? w[1] : NULL, &b)) == (size_t)-1)
			;
		else if (n != 2)
			buf_put (&b, "error: too many arguments\n");
		else if (strcmp (cmd, "status") == 0)
			status (s, &s->units[i], &b);
		else
			unit_cmd (s, cmd, &s->units[i], &b);
	} else {
		buf_put (&b,
		     "error: unknown request \"%.31s\" (list, status, logs, boot-time, start, stop, "
		     "restart, reload, deployment, pending, import, poweroff, reboot, halt)\n",
		     cmd);
	}
	*len = b.len;
	return b.p;
}

char *control_handle (struct sup *s, const char *req, size_t *len)
{
	return handle (s, req, len, NULL, NULL);
}

/* ---- connections ----------------------------------------------------------- */

/* Change what the client's watch waits for, only when it changes (a
 * follower is pumped at every log read: no epoll_ctl each time). */
static void want (struct control *ctl, struct ctl_client *c, uint32_t events)
{
	if (c->events != events && loop_change (&ctl->s->loop, &c->w, events) == 0)
		c->events = events;
}

/* A follower that fell further behind than its unit's ring holds: it is
 * told (if its socket takes the line) and closed; so is the console. */
static void drop_follower (struct control *ctl, struct ctl_client *c)
{
	struct unit *u = &ctl->s->units[c->unit];
	cleanup_free char *note =
	        xasprintf ("\nkeel: logs -f %s: this follower fell more than %zu bytes behind "
	                   "(the log ring's size) and was dropped\n",
	                   u->name, u->log.ring.cap);

	if (send (c->fd, note, strlen (note), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* its socket is full: it never read; the console line says it */
	}
	console_status (ctl->s->con, CS_WARN,
	                "keel: a `keelctl logs -f %s` fell behind the log ring; dropped", u->name);
	client_free (ctl, c);
}

/* Send a follower what its unit's ring has past follow_pos, straight from
 * the ring; wait for EPOLLOUT when the socket is full, for EPOLLIN (its
 * hang-up) when there is nothing to send.  Returns false when freed. */
static bool follow_pump (struct control *ctl, struct ctl_client *c)
{
	const struct logring *r = &ctl->s->units[c->unit].log.ring;

	for (;;) {
		const char *p;
		size_t n;
		ssize_t sent;

		if (logring_peek (r, c->follow_pos, &p, &n) < 0) {
			drop_follower (ctl, c);
			return false;
		}
		if (n == 0)
			break;
		sent = send (c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno == EAGAIN) {
			want (ctl, c, c->half_closed ? EPOLLOUT : EPOLLIN | EPOLLOUT);
			return true;
		}
		if (sent <= 0) {
			client_free (ctl, c);
			return false;
		}
		c->follow_pos += (uint64_t)sent;
	}
	want (ctl, c, c->half_closed ? 0 : EPOLLIN);
	return true;
}

/* New bytes in some unit's ring: its followers that are not waiting for
 * their socket get them now. */
static void on_log (void *arg, struct logsink *sink)
{
	struct control *ctl = arg;
	struct ctl_client *c, *next;

	if (ctl->n_followers == 0)
		return;
	for (c = ctl->clients; c; c = next) {
		const struct logring *r = &sink->ring;
		next = c->next;
		if (!c->following || &ctl->s->units[c->unit].log != sink)
			continue;
		if (c->out == NULL)
			follow_pump (ctl, c);
		else if (r->total - c->follow_pos > r->cap)
			drop_follower (ctl, c); /* has not even taken the first reply */
	}
}

/* Bytes the client sent that nobody read yet. */
static bool unread_input (int fd)
{
	int n = 0;

	return ioctl (fd, FIONREAD, &n) == 0 && n > 0;
}

/* Send what the socket takes; false when the client is done (freed). */
static bool client_write (struct control *ctl, struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send (c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                  MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			client_free (ctl, c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	free (c->out);
	c->out = NULL;
	if (c->following)
		return follow_pump (ctl, c);
	if (c->discard || unread_input (c->fd)) {
		/* The rest of an overlong request (or bytes after the request
		 * line) may still be coming: closing with them unread would
		 * reset the connection under the client's read of the reply.
		 * Say end-of-reply, drop what comes until it hangs up (or its
		 * deadline; it counts as idle for make_room). */
		c->discard = true;
		shutdown (c->fd, SHUT_WR);
		want (ctl, c, EPOLLIN);
		return true;
	}
	client_free (ctl, c);
	return false;
}

/* Read and drop what a client sends that is not a request (a follower's
 * or the tail of an overlong line).  False when it hung up: freed, except
 * a follower at end of file (the caller decides). */
static bool drain_input (struct control *ctl, struct ctl_client *c)
{
	char junk[512];
	int k;

	for (k = 0; k < 16; k++) { /* bounded: the loop comes back */
		ssize_t n = recv (c->fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n == 0 && c->following)
			return false; /* the caller decides */
		if (n <= 0) {
			client_free (ctl, c);
			return false;
		}
	}
	return true;
}

void control_client_event (struct control *ctl, struct ctl_client *c, uint32_t events)
{
	bool follow = false;
	size_t unit = 0;
	char *nl;

	if (c->following && c->out == NULL) {
		if (events & (EPOLLHUP | EPOLLERR)) {
			client_free (ctl, c); /* gone both ways */
			return;
		}
		if ((events & EPOLLIN) && !drain_input (ctl, c)) {
			/* end of file: it only shut its sending side (`echo logs
			 * web -f | socat - UNIX:...`); it still reads.  Stop
			 * watching its input (EPOLLHUP still comes when it goes). */
			c->half_closed = true;
			want (ctl, c, 0);
			return;
		}
		if (events & EPOLLOUT)
			follow_pump (ctl, c);
		return;
	}
	if (c->out) {
		if (client_write (ctl, c))
			arm_deadlines (ctl);
		return;
	}
	if (c->discard) {
		drain_input (ctl, c);
		return;
	}
	if (events & EPOLLIN) {
		ssize_t n;
		if (c->in == NULL)
			c->in = xmalloc0 (CONTROL_REQ_MAX);
		n = recv (c->fd, c->in + c->in_len, CONTROL_REQ_MAX - 1 - c->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_free (ctl, c);
			return;
		}
		c->in_len += (size_t)n;
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		client_free (ctl, c);
		return;
	} else {
		return;
	}
	c->in[c->in_len] = '\0';
	nl = memchr (c->in, '\n', c->in_len);
	if (nl == NULL && c->in_len < CONTROL_REQ_MAX - 1)
		return; /* wait for the rest of the line */
	if (nl == NULL) {
		c->out = xasprintf ("error: request longer than %d bytes\n", CONTROL_REQ_MAX - 1);
		c->out_len = strlen (c->out);
		c->discard = true;
	} else {
		size_t k;
		*nl = '\0';
		for (k = 0; c->in[k]; k++) {
			if ((unsigned char)c->in[k] < 0x20 && c->in[k] != '\t') {
				c->out = xstrdup ("error: control characters in the request\n");
				c->out_len = strlen (c->out);
				break;
			}
		}
		if (c->out == NULL)
			c->out = handle (ctl->s, c->in, &c->out_len, &follow, &unit);
	}
	free (c->in);
	c->in = NULL;
	if (follow && ctl->n_followers >= CONTROL_MAX_FOLLOWERS) {
		free (c->out);
		c->out = xasprintf ("error: already %d followers (logs -f) at once\n",
		                    CONTROL_MAX_FOLLOWERS);
		c->out_len = strlen (c->out);
		follow = false;
	}
	if (follow) {
		/* from what the reply's tail ends with on; no deadline */
		c->following = true;
		c->unit = unit;
		c->follow_pos = ctl->s->units[unit].log.ring.total;
		c->deadline_ms = 0;
		ctl->n_followers++;
	} else {
		c->deadline_ms = console_now_ms () + CONTROL_REPLY_MS;
	}
	want (ctl, c, EPOLLOUT);
	if (client_write (ctl, c))
		arm_deadlines (ctl);
}

static void on_client (struct watch *w, uint32_t events)
{
	struct ctl_client *c = (struct ctl_client *)((char *)w - offsetof (struct ctl_client, w));

	control_client_event (w->arg, c, events);
}
