/* PID 1's side of the control socket (see control.h). */
#include "init/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "init/cni.h"
#include "init/reload.h"
#include "lib/util.h"

static void on_listen (struct watch *w, uint32_t events)
{
	(void)events;
	control_accept (w->arg);
}

static void on_client (struct watch *w, uint32_t events)
{
	control_client_event (
	        w->arg, (struct ctl_client *)((char *)w - offsetof (struct ctl_client, w)), events);
}

int control_open (struct control *ctl, struct sup *s, struct keel_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_free char *path = xasprintf ("%s/keel.sock", s->opts->state);
	cleanup_close int fd = -1;

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
	ctl->s = s;
	ctl->clients = NULL;
	ctl->n_clients = 0;
	ctl->timer_armed = 0;
	ctl->w.fd = ctl->w_timer.fd = -1;
	ctl->fd = steal_fd (&fd);
	ctl->timerfd = -1;
	if (loop_watch (&s->loop, &ctl->w, ctl->fd, EPOLLIN, on_listen, ctl) < 0)
		return keel_error (err, errno, "watch `%s`", path);
	ctl->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctl->timerfd < 0)
		return keel_error (err, errno, "timerfd for the control clients");
	/* the deadlines' timer: handled with the listening socket */
	if (loop_watch (&s->loop, &ctl->w_timer, ctl->timerfd, EPOLLIN, on_listen, ctl) < 0)
		return keel_error (err, errno, "watch the control clients' timer");
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
	free (c->out);
	free (c);
	ctl->n_clients--;
}

void control_close (struct control *ctl)
{
	cleanup_free char *path = NULL;

	if (ctl->s == NULL)
		return;
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
		if (next == 0 || c->deadline_ms < next)
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
 * request, or too slow to take its reply. */
static void expire_clients (struct control *ctl, uint64_t now)
{
	struct ctl_client *c = ctl->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->deadline_ms <= now)
			client_free (ctl, c);
	}
}

/* Room for one more: the oldest client still waiting for its request
 * line goes (it has had the longest to send it), else the oldest being
 * answered.  A new connection may be the poweroff. */
static void make_room (struct control *ctl)
{
	struct ctl_client *c, *idle = NULL, *any = NULL;

	for (c = ctl->clients; c; c = c->next) {
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
	for (k = 0; k < 4; k++) {
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
		c->since_ms = now;
		c->deadline_ms = now + CONTROL_REQUEST_MS;
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
		if (loop_watch (&ctl->s->loop, &c->w, fd, EPOLLIN, on_client, ctl) < 0)
			client_free (ctl, c);
	}
	arm_deadlines (ctl);
}

/* ---- requests ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

static void put (struct buf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void put (struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start (ap, fmt);
		n = vsnprintf (b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end (ap);
		if (n < 0)
			return;
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 256;
		b->p = xrealloc (b->p, b->cap);
	}
}

static void list (struct sup *s, struct buf *b)
{
	size_t i;

	put (b, "ok\n");
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		put (b, "%-20s %-10s %-8s %-7d %u\n", u->name, unit_state_name (u->state),
		     policy_kind_name (u->policy.kind), u->exited ? 0 : (int)u->pid, u->restarts);
	}
}

static void status (struct sup *s, struct unit *u, struct buf *b)
{
	size_t i = (size_t)(u - s->units), k;
	const struct graph_node *node = &s->graph.nodes[i];
	char hbuf[128];

	put (b, "ok\nname: %s\nstate: %s\nkind: %s\npid: %d\nrestarts: %u\n", u->name,
	     unit_state_name (u->state), policy_kind_name (u->policy.kind),
	     u->exited ? 0 : (int)u->pid, u->restarts);
	if (u->policy.description)
		put (b, "description: %s\n", u->policy.description);
	put (b, "restart: %s\nreadiness: %s\n", policy_restart_name (u->policy.restart),
	     policy_ready_name (u->policy.ready));
	for (k = 0; k < node->n_deps; k++)
		put (b, "%s: %s\n",
		     node->deps[k].kind == DEP_REQUIRES ? "requires"
		     : node->deps[k].kind == DEP_WANTS  ? "wants"
		                                        : "after",
		     s->units[node->deps[k].to].name);
	if (u->cgroup)
		put (b, "cgroup: %s\n", u->cgroup);
	{
		cleanup_free char *net = cni_status (&s->rt, u->name, &u->policy.network);
		put (b, "network: %s\n", net);
	}
	if (u->notify_status)
		put (b, "status: %s\n", u->notify_status);
	if (u->policy.health.argv) /* health.c's count */
		put (b, "health: %s\n",
		     health_describe (&u->health, &u->policy.health, hbuf, sizeof hbuf));
	if (u->error)
		put (b, "error: %s\n", u->error);
	put (b, "log-bytes: %llu\n", (unsigned long long)u->log.ring.total);
}

static void logs (struct unit *u, const char *arg, struct buf *b)
{
	unsigned long long max = u->log.ring.cap;
	size_t n;
	char *t;

	if (arg && (!parse_uint64 (arg, &max) || max == 0)) {
		put (b, "error: logs: BYTES must be a positive number, got \"%s\"\n", arg);
		return;
	}
	t = logring_tail (&u->log.ring, (size_t)max, &n);
	put (b, "ok\n");
	if (b->cap - b->len < n + 1) {
		b->cap = b->len + n + 1;
		b->p = xrealloc (b->p, b->cap);
	}
	memcpy (b->p + b->len, t, n);
	b->len += n;
	b->p[b->len] = '\0'; /* a string for tests; the socket uses len */
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
		put (b, "error: shutting down\n");
		return;
	}
	if (ev != UE_STOP && u->spec == NULL) {
		put (b, "error: %s is broken: %s\n", u->name,
		     u->error ? u->error : "invalid entry");
		return;
	}
	if (sup_unit_event (s, i, ev) < 0) {
		put (b, "error: %s is already %s\n", u->name, unit_state_name (u->state));
		return;
	}
	put (b, "ok\n");
}

/* reload [--dry-run]: reload.c reads containers.d and plans (and applies
 * unless --dry-run); the reply is its plan. */
static void reload_cmd (struct sup *s, int n, const char *arg, struct buf *b)
{
	char *reply;

	if (n > 2) {
		put (b, "error: too many arguments\n");
		return;
	}
	if (n == 2 && strcmp (arg, "--dry-run") != 0) {
		put (b, "error: reload: unknown option \"%s\" (--dry-run)\n", arg);
		return;
	}
	reply = reload_request (s, n == 2);
	put (b, "%s", reply);
	free (reply);
}

/* "deployment": where PID 1 reads containers.d, for keelctl update and
 * rollback, which change the deployment store there (init/update.c) and
 * then ask for a reload.  No file is read here: PID 1 only says where. */
static void deployment_cmd (struct sup *s, int n, struct buf *b)
{
	if (n != 1) {
		put (b, "error: deployment takes no argument\n");
		return;
	}
	put (b, "ok\ndir: %s\n", s->opts->dir);
}

char *control_handle (struct sup *s, const char *req, size_t *len)
{
	struct buf b = {0};
	char cmd[32] = "", name[160] = "", arg[32] = "", extra[2] = "";
	int n = sscanf (req, "%31s %159s %31s %1s", cmd, name, arg, extra);
	size_t i;

	if (n < 1) {
		put (&b, "error: empty request\n");
	} else if (n == 4) {
		put (&b, "error: too many arguments\n");
	} else if ((strcmp (cmd, "list") == 0 || strcmp (cmd, "status") == 0) && n == 1) {
		list (s, &b);
	} else if (strcmp (cmd, "poweroff") == 0 || strcmp (cmd, "reboot") == 0 ||
	           strcmp (cmd, "halt") == 0) {
		enum shutdown_action a = cmd[0] == 'p'   ? SD_POWEROFF
		                         : cmd[0] == 'r' ? SD_REBOOT
		                                         : SD_HALT;
		if (n != 1) {
			put (&b, "error: %s takes no argument\n", cmd);
		} else {
			put (&b, "ok\n");
			sup_request_shutdown (s, s->opts->boot ? a : SD_EXIT, "keelctl");
		}
	} else if (strcmp (cmd, "reload") == 0) {
		reload_cmd (s, n, name, &b);
	} else if (strcmp (cmd, "deployment") == 0) {
		deployment_cmd (s, n, &b);
	} else if (strcmp (cmd, "status") == 0 || strcmp (cmd, "logs") == 0 ||
	           strcmp (cmd, "start") == 0 || strcmp (cmd, "stop") == 0 ||
	           strcmp (cmd, "restart") == 0) {
		if (n < 2 || !policy_valid_name (name)) {
			put (&b, "error: %s needs a container name\n", cmd);
		} else if ((i = sup_find (s, name)) == (size_t)-1) {
			put (&b, "error: no container \"%s\"\n", name);
		} else if (strcmp (cmd, "logs") == 0) {
			logs (&s->units[i], n == 3 ? arg : NULL, &b);
		} else if (n != 2) {
			put (&b, "error: too many arguments\n");
		} else if (strcmp (cmd, "status") == 0) {
			status (s, &s->units[i], &b);
		} else {
			unit_cmd (s, cmd, &s->units[i], &b);
		}
	} else {
		put (&b,
		     "error: unknown request \"%.31s\" (list, status, logs, start, stop, "
		     "restart, reload, deployment, poweroff, reboot, halt)\n",
		     cmd);
	}
	*len = b.len;
	return b.p;
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
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_free (ctl, c);
	return false;
}

void control_client_event (struct control *ctl, struct ctl_client *c, uint32_t events)
{
	char *nl;

	if (c->out) {
		client_write (ctl, c);
		return;
	}
	if (events & EPOLLIN) {
		ssize_t n =
		        recv (c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, MSG_DONTWAIT);
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
	}
	c->in[c->in_len] = '\0';
	nl = memchr (c->in, '\n', c->in_len);
	if (nl == NULL && c->in_len < sizeof c->in - 1)
		return; /* wait for the rest of the line */
	if (nl == NULL) {
		c->out = xasprintf ("error: request longer than %d bytes\n", CONTROL_REQ_MAX - 1);
		c->out_len = strlen (c->out);
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
			c->out = control_handle (ctl->s, c->in, &c->out_len);
	}
	c->deadline_ms = console_now_ms () + CONTROL_REPLY_MS;
	loop_change (&ctl->s->loop, &c->w, EPOLLOUT);
	if (client_write (ctl, c))
		arm_deadlines (ctl);
}
